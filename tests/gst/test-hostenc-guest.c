/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostenc-guest (gst/hostenc-guest.c): the pipeline it prints for given
 * options; its search for the host in fake sysfs, /dev and route trees
 * (HOSTENC_GUEST_SYSFS_ROOT, _DEV_ROOT, _ROUTE_FILE); the capture chosen
 * from the session's environment; the portal path against no session
 * bus, a bus without a portal and a fake portal on a private bus; bad
 * options; and one real run against hostencd, checked through its
 * /sources and ended with SIGTERM.
 *
 * Environment (tests/gst/meson.build): HOSTENC_GUEST (the program),
 * GST_PLUGIN_PATH (the build's gst/), VSOCKENC_SYSTEM_PLUGINS (the system
 * plugin directory: a private registry over the few plugins used),
 * HOSTENCD (optional: the real run), DBUS_DAEMON (optional: the bus
 * tests). */
#include "test-fs.h"

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <gst/gst.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_S 60
#define PORT_NAME "org.hostenc.hxfr.0"

static gchar *tmp;              /* this run's private directory */
/* run_guest() sends SIGINT once this says the portal's Start was called */
static GString *interrupt_after_start;

/* ---- helpers ------------------------------------------------------------- */

static void
write_file (const gchar * path, const gchar * text)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autoptr (GError) err = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, text, -1, &err);
  g_assert_no_error (err);
}

/* A fresh empty directory under tmp. */
static gchar *
fresh_dir (const gchar * name)
{
  static guint n;
  gchar *dir = g_strdup_printf ("%s/%s-%u", tmp, name, ++n);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  return dir;
}

#define ROUTE_HEADER "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\t" \
  "Metric\tMask\t\tMTU\tWindow\tIRTT\n"

/* The environment of a run: ours without the session's variables, with
 * empty sysfs and /dev trees and a route file whose default gateway is
 * 10.0.2.2 (behind a worse one), so that nothing of this machine leaks in. */
static gchar **
base_env (void)
{
  gchar **env = g_get_environ ();
  g_autofree gchar *sys = fresh_dir ("sys"), *dev = fresh_dir ("dev");
  g_autofree gchar *route = g_build_filename (sys, "route", NULL);

  write_file (route, ROUTE_HEADER
      "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "eth1\t00000000\t0302000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
      "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
  for (const gchar * const *v = (const gchar * const[]) { "DISPLAY",
          "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", NULL }; *v; v++)
    env = g_environ_unsetenv (env, *v);
  env = g_environ_setenv (env, "HOSTENC_GUEST_SYSFS_ROOT", sys, TRUE);
  env = g_environ_setenv (env, "HOSTENC_GUEST_DEV_ROOT", dev, TRUE);
  env = g_environ_setenv (env, "HOSTENC_GUEST_ROUTE_FILE", route, TRUE);
  /* no session bus unless a test gives one */
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS",
      "unix:path=/nonexistent/hostenc-guest-test-bus", TRUE);
  return env;
}

typedef struct
{
  gboolean done;
  gboolean exited;
  gchar *out;
  gchar *err;
} Communicated;

static void
on_exited (GObject * source, GAsyncResult * res, gpointer data)
{
  Communicated *c = data;
  g_autoptr (GError) err = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, &err);
  g_assert_no_error (err);
  c->exited = TRUE;
}

static void
on_communicated (GObject * source, GAsyncResult * res, gpointer data)
{
  Communicated *c = data;
  g_autoptr (GError) err = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &c->out,
      &c->err, &err);
  g_assert_no_error (err);
  c->done = TRUE;
}

/* @text in the TAP log, a line at a time */
static void
log_lines (const gchar * what, const gchar * text)
{
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  for (guint i = 0; lines[i]; i++) {
    if (lines[i][0])
      g_test_message ("%s: %s", what, lines[i]);
  }
}

/* Run hostenc-guest ARGS with @env, iterating the main context meanwhile
 * (a fake portal in this process answers). The exit status; stdout and
 * stderr in @out and @err (g_free() them). */
static gint
run_guest (gchar ** env, gchar ** out, gchar ** err, ...)
{
  g_autoptr (GSubprocessLauncher) l =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) e = NULL;
  Communicated c = { 0 };
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  const gchar *a;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("HOSTENC_GUEST"));
  va_start (args, err);
  while ((a = va_arg (args, const gchar *)))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_environ (l, env);
  p = g_subprocess_launcher_spawnv (l, (const gchar * const *) argv->pdata,
      &e);
  g_assert_no_error (e);
  g_subprocess_communicate_utf8_async (p, NULL, NULL, on_communicated, &c);
  g_subprocess_wait_async (p, NULL, on_exited, &c);
  while (!c.done || !c.exited) {
    g_main_context_iteration (NULL, FALSE);
    if (interrupt_after_start
        && strstr (interrupt_after_start->str, "Start(")) {
      g_usleep (100000);        /* the Response is awaited */
      g_subprocess_send_signal (p, SIGINT);
      interrupt_after_start = NULL;
    }
    if (g_get_monotonic_time () > deadline) {
      g_subprocess_force_exit (p);
      g_error ("hostenc-guest still runs after %d s", TIMEOUT_S);
    }
    g_usleep (1000);
  }
  log_lines ("stdout", c.out);
  log_lines ("stderr", c.err);
  /* Killed by a signal (a sanitizer's abort, say): say so where meson
   * shows it, with what the program printed. */
  if (g_subprocess_get_if_signaled (p))
    g_printerr ("hostenc-guest killed by signal %d; its stderr:\n%s\n",
        g_subprocess_get_term_sig (p), c.err ? c.err : "");
  *out = c.out;
  *err = c.err;
  return g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p) :
      -1;
}

#define assert_has(haystack, needle) G_STMT_START { \
    if (!strstr ((haystack), (needle))) \
      g_error ("'%s' not in: %s", (needle), (haystack)); \
  } G_STMT_END

/* ---- what it prints ------------------------------------------------------ */

static void
test_print_explicit (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;

  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "test", "--host", "tcp:127.0.0.1:1234", "--shm", "none",
          "--stream-name", "x", NULL), ==, 0);
  assert_has (out, "videotestsrc is-live=true pattern=smpte ! ");
  assert_has (out, "format=BGRx ! queue max-size-buffers=2 ");
  assert_has (out, "leaky=downstream ! vsockenc host=tcp:127.0.0.1:1234 ");
  assert_has (out, " stream-name=x ! fakesink sync=false\n");
  g_assert_null (strstr (out, "shm-path"));
  g_assert_true (strchr (out, '\n') == out + strlen (out) - 1);
  assert_has (err, "(--host)");
  assert_has (err, "frames go inline");
}

static void
test_default_name (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;
  const gchar *name, *end;

  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "test", "--shm", "none", NULL), ==, 0);
  name = strstr (out, "stream-name=");
  g_assert_nonnull (name);
  name += strlen ("stream-name=");
  end = strchr (name, ' ');
  g_assert_nonnull (end);
  g_assert_cmpint (end - name, <=, 31);
  g_assert_true (g_str_has_prefix (end - strlen ("-desktop"), "-desktop "));
  for (const gchar * c = name; c < end; c++)
    g_assert_true (g_ascii_isalnum (*c) || strchr ("._-", *c));
}

static gboolean
is_vsockenc (const GValue * v, const GValue * unused)
{
  GstElementFactory *f = gst_element_get_factory (g_value_get_object (v));

  return !(f && g_str_equal (GST_OBJECT_NAME (f), "vsockenc"));
}

/* The printed description, parsed by GStreamer, sets what was asked. */
static void
test_quoting (void)
{
  static const gchar *const names[] = { "a b", "q\"uo\\te", "\"x\"", "NULL",
    "x=y ! fakesink", NULL
  };

  gst_init (NULL, NULL);
  for (guint i = 0; names[i]; i++) {
    g_auto (GStrv) env = base_env ();
    g_autofree gchar *out = NULL, *err = NULL, *name = NULL, *shm = NULL;
    g_autoptr (GError) e = NULL;
    g_autoptr (GstElement) pipeline = NULL;
    g_autoptr (GstIterator) it = NULL;
    GValue found = G_VALUE_INIT;
    GstElement *enc;

    g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
            "test", "--host", "unix:/tmp/a b\"c", "--shm", "/tmp/s h",
            "--stream-name", names[i], NULL), ==, 0);
    pipeline = gst_parse_launch (out, &e);
    g_assert_no_error (e);
    it = gst_bin_iterate_elements (GST_BIN (pipeline));
    g_assert_true (gst_iterator_find_custom (it, (GCompareFunc) is_vsockenc,
            &found, NULL));
    enc = g_value_get_object (&found);
    g_object_get (enc, "stream-name", &name, "shm-path", &shm, NULL);
    g_assert_cmpstr (name, ==, names[i]);
    g_assert_cmpstr (shm, ==, "/tmp/s h");
    g_clear_pointer (&name, g_free);
    g_object_get (enc, "host", &name, NULL);
    g_assert_cmpstr (name, ==, "unix:/tmp/a b\"c");
    g_value_unset (&found);
  }
}

/* ---- finding the host ---------------------------------------------------- */

static gchar *
env_path (gchar ** env, const gchar * var, const gchar * rel)
{
  return g_build_filename (g_environ_getenv (env, var), rel, NULL);
}

static void
add_vport (gchar ** env, const gchar * port, const gchar * name)
{
  g_autofree gchar *attr = NULL, *text = g_strdup_printf ("%s\n", name);
  g_autofree gchar *rel = g_build_filename ("class/virtio-ports", port,
      "name", NULL);
  g_autofree gchar *dev = env_path (env, "HOSTENC_GUEST_DEV_ROOT", port);

  attr = env_path (env, "HOSTENC_GUEST_SYSFS_ROOT", rel);
  write_file (attr, text);
  write_file (dev, "");
}

static void
test_host_serial (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;

  add_vport (env, "vport0p1", "org.qemu.guest_agent.0");
  add_vport (env, "vport0p2", PORT_NAME);
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "test", "--shm", "none", NULL), ==, 0);
  assert_has (out, "vsockenc host=serial:" PORT_NAME " ");
  assert_has (err, "host: serial:" PORT_NAME);
  assert_has (err, "/vport0p2");
}

/* A port the user cannot open: on to the next candidate, saying why. */
static void
test_host_serial_denied (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL, *dev = NULL;

  if (geteuid () == 0) {
    g_test_skip ("root opens any file");
    return;
  }
  add_vport (env, "vport0p1", PORT_NAME);
  dev = env_path (env, "HOSTENC_GUEST_DEV_ROOT", "vport0p1");
  g_assert_cmpint (chmod (dev, 0), ==, 0);
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "test", "--shm", "none", NULL), ==, 0);
  assert_has (out, "host=tcp:10.0.2.2:15937 ");
  assert_has (err, "udev");
}

static void
test_host_gateway (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *out2 = NULL, *err2 = NULL;

  /* a port with another name is not ours */
  add_vport (env, "vport0p1", "org.qemu.guest_agent.0");
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "test", "--shm", "none", NULL), ==, 0);
  assert_has (out, "vsockenc host=tcp:10.0.2.2:15937 ");
  assert_has (err, "no virtio-serial port named " PORT_NAME);
  assert_has (err, "vsock");
  assert_has (err, "default gateway");

  g_assert_cmpint (run_guest (env, &out2, &err2, "--print", "--capture",
          "test", "--shm", "none", "--port", "5000", NULL), ==, 0);
  assert_has (out2, "vsockenc host=tcp:10.0.2.2:5000 ");
}

static void
test_host_no_route (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *route = g_strdup (g_environ_getenv (env,
          "HOSTENC_GUEST_ROUTE_FILE"));

  write_file (route, ROUTE_HEADER
      "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "test", "--shm", "none", NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  assert_has (err, "no default route");
  assert_has (err, "--host tcp:HOST:PORT");
}

/* ---- shared memory ------------------------------------------------------- */

static void
test_shm (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *out2 = NULL, *err2 = NULL;
  g_autofree gchar *dev = env_path (env, "HOSTENC_GUEST_SYSFS_ROOT",
      "bus/pci/devices/0000:00:05.0");
  g_autofree gchar *vendor = g_build_filename (dev, "vendor", NULL);
  g_autofree gchar *device = g_build_filename (dev, "device", NULL);
  g_autofree gchar *bar = g_build_filename (dev, "resource2", NULL);

  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "test", "--host", "tcp:127.0.0.1:1", NULL), ==, 0);
  g_assert_null (strstr (out, "shm-path"));
  assert_has (err, "no ivshmem device: frames go inline");

  write_file (vendor, "0x1af4\n");
  write_file (device, "0x1110\n");
  write_file (bar, "");
  g_assert_cmpint (truncate (bar, 64 << 20), ==, 0);
  g_assert_cmpint (run_guest (env, &out2, &err2, "--print", "--capture",
          "test", "--host", "tcp:127.0.0.1:1", NULL), ==, 0);
  assert_has (out2, " shm-path=auto ");
  assert_has (err2, "0000:00:05.0/resource2 (64 MiB)");
}

/* ---- the capture --------------------------------------------------------- */

static void
test_capture_x11 (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;

  env = g_environ_setenv (env, "DISPLAY", ":7", TRUE);
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--host",
          "tcp:127.0.0.1:1", "--shm", "none", "--fps", "12", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "ximagesrc display-name=:7 "
          "use-damage=false show-pointer=true ! video/x-raw,framerate=12/1 ! "
          "videoconvert ! video/x-raw,format=BGRx ! queue "));
  assert_has (err, "capture: x11 (DISPLAY=:7)");
}

static void
test_capture_none (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;

  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--host",
          "tcp:127.0.0.1:1", "--shm", "none", NULL), ==, 1);
  assert_has (err, "WAYLAND_DISPLAY");
  assert_has (err, "DISPLAY is set");
  assert_has (err, "--capture test");
}

/* Wayland is asked of the portal, before X11 (Xwayland's DISPLAY). */
static void
test_capture_wayland_no_bus (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;

  env = g_environ_setenv (env, "WAYLAND_DISPLAY", "wayland-0", TRUE);
  env = g_environ_setenv (env, "DISPLAY", ":0", TRUE);
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--host",
          "tcp:127.0.0.1:1", "--shm", "none", NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  assert_has (err, "capture: portal (a Wayland session");
  assert_has (err, "no D-Bus session bus");
}

/* ---- the portal, on a private bus ---------------------------------------- */

typedef struct
{
  GPid pid;
  gchar *address;
} Bus;

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static Bus *
bus_start (void)
{
  const gchar *daemon = g_getenv ("DBUS_DAEMON");
  g_autofree gchar *dir = NULL, *conf = NULL, *sock = NULL, *text = NULL;
  g_autofree gchar *conf_arg = NULL;
  g_autoptr (GError) err = NULL;
  Bus *b;

  if (!daemon || !daemon[0])
    return NULL;
  dir = fresh_dir ("bus");
  sock = g_build_filename (dir, "bus", NULL);
  conf = g_build_filename (dir, "bus.conf", NULL);
  text = g_strdup_printf ("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD "
      "D-Bus Bus Configuration 1.0//EN\" \"http://www.freedesktop.org/"
      "standards/dbus/1.0/busconfig.dtd\">\n<busconfig><type>session</type>"
      "<listen>unix:path=%s</listen><auth>EXTERNAL</auth>"
      "<policy context=\"default\"><allow send_destination=\"*\"/>"
      "<allow eavesdrop=\"true\"/>"
      "<allow own=\"*\"/></policy></busconfig>\n", sock);
  write_file (conf, text);
  conf_arg = g_strdup_printf ("--config-file=%s", conf);
  b = g_new0 (Bus, 1);
  b->address = g_strdup_printf ("unix:path=%s", sock);
  g_spawn_async (NULL, (gchar *[]) { (gchar *) daemon, conf_arg,
          (gchar *) "--nofork", NULL }, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
      child_setup, NULL, &b->pid, &err);
  g_assert_no_error (err);
  for (guint i = 0; !g_file_test (sock, G_FILE_TEST_EXISTS); i++) {
    g_assert_cmpuint (i, <, TIMEOUT_S * 100);
    g_usleep (10000);
  }
  return b;
}

static void
bus_stop (Bus * b)
{
  kill (b->pid, SIGTERM);
  waitpid (b->pid, NULL, 0);
  g_spawn_close_pid (b->pid);
  g_free (b->address);
  g_free (b);
}

static void
test_portal_absent (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;
  Bus *b = bus_start ();

  if (!b) {
    g_test_skip ("no dbus-daemon");
    return;
  }
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", b->address, TRUE);
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "portal", "--host", "tcp:127.0.0.1:1", "--shm", "none", NULL), ==,
      1);
  g_assert_cmpstr (out, ==, "");
  assert_has (err, "no xdg-desktop-portal on the session bus");
  assert_has (err, "xdg-desktop-portal-gnome");
  bus_stop (b);
}

/* A fake xdg-desktop-portal: ScreenCast version 4 that answers every
 * request, the Start one after a while (a dialog). */
typedef struct
{
  GDBusConnection *bus;
  guint32 start_response;
  guint obj, session_obj;
  gchar *session;
  GString *calls;               /* "Name(what it got) " */
  gboolean closed;              /* Session.Close */
  gboolean request_closed;      /* Request.Close */
  guint request_obj;
  GDBusInterfaceInfo *request_iface;
} FakePortal;

static const gchar fake_xml[] =
    "<node><interface name='org.freedesktop.portal.ScreenCast'>"
    "<method name='CreateSession'><arg type='a{sv}' direction='in'/>"
    "<arg type='o' direction='out'/></method>"
    "<method name='SelectSources'><arg type='o' direction='in'/>"
    "<arg type='a{sv}' direction='in'/><arg type='o' direction='out'/>"
    "</method>"
    "<method name='Start'><arg type='o' direction='in'/>"
    "<arg type='s' direction='in'/><arg type='a{sv}' direction='in'/>"
    "<arg type='o' direction='out'/></method>"
    "<method name='OpenPipeWireRemote'><arg type='o' direction='in'/>"
    "<arg type='a{sv}' direction='in'/><arg type='h' direction='out'/>"
    "</method>"
    "<property name='AvailableSourceTypes' type='u' access='read'/>"
    "<property name='AvailableCursorModes' type='u' access='read'/>"
    "<property name='version' type='u' access='read'/>"
    "</interface><interface name='org.freedesktop.portal.Session'>"
    "<method name='Close'/><signal name='Closed'>"
    "<arg type='a{sv}'/></signal></interface>"
    "<interface name='org.freedesktop.portal.Request'>"
    "<method name='Close'/></interface></node>";

static void
fake_request_call (GDBusConnection * bus, const gchar * sender,
    const gchar * path, const gchar * iface, const gchar * method,
    GVariant * params, GDBusMethodInvocation * inv, gpointer data)
{
  FakePortal *fp = data;

  g_assert_cmpstr (method, ==, "Close");
  fp->request_closed = TRUE;
  g_dbus_method_invocation_return_value (inv, NULL);
}

static const GDBusInterfaceVTable request_vtable = { fake_request_call };

typedef struct
{
  FakePortal *fp;
  gchar *sender;
  gchar *path;
  guint32 response;
  GVariant *results;
} Pending;

static gboolean
send_response (gpointer data)
{
  Pending *r = data;
  g_autoptr (GError) err = NULL;

  g_dbus_connection_emit_signal (r->fp->bus, r->sender, r->path,
      "org.freedesktop.portal.Request", "Response",
      g_variant_new ("(u@a{sv})", r->response, r->results), &err);
  g_assert_no_error (err);
  g_free (r->sender);
  g_free (r->path);
  g_free (r);
  return G_SOURCE_REMOVE;
}

/* Return the request's path (made of the caller and its handle_token)
 * and answer on it after @delay_ms. */
static void
answer (FakePortal * fp, GDBusMethodInvocation * inv, GVariant * options,
    guint delay_ms, guint32 response, GVariant * results)
{
  g_autofree gchar *sender = g_strdup (g_dbus_method_invocation_get_sender
      (inv) + 1);
  const gchar *token = NULL;
  Pending *r = g_new0 (Pending, 1);

  g_assert_true (g_variant_lookup (options, "handle_token", "&s", &token));
  g_strdelimit (sender, ".", '_');
  r->fp = fp;
  r->sender = g_strdup (g_dbus_method_invocation_get_sender (inv));
  r->path = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s",
      sender, token);
  r->response = response;
  r->results = results;
  g_dbus_method_invocation_return_value (inv, g_variant_new ("(o)",
          r->path));
  if (response != G_MAXUINT32) {
    g_timeout_add (delay_ms, send_response, r);
    return;
  }
  /* a dialog nobody answers: only Request.Close ends it */
  fp->request_obj = g_dbus_connection_register_object (fp->bus, r->path,
      fp->request_iface, &request_vtable, fp, NULL, NULL);
  g_assert_cmpuint (fp->request_obj, !=, 0);
  g_variant_unref (g_variant_ref_sink (r->results));
  g_free (r->sender);
  g_free (r->path);
  g_free (r);
}

static void
fake_session_call (GDBusConnection * bus, const gchar * sender,
    const gchar * path, const gchar * iface, const gchar * method,
    GVariant * params, GDBusMethodInvocation * inv, gpointer data)
{
  FakePortal *fp = data;

  g_assert_cmpstr (method, ==, "Close");
  fp->closed = TRUE;
  g_dbus_method_invocation_return_value (inv, NULL);
}

static void
fake_call (GDBusConnection * bus, const gchar * sender, const gchar * path,
    const gchar * iface, const gchar * method, GVariant * params,
    GDBusMethodInvocation * inv, gpointer data)
{
  static const GDBusInterfaceVTable session_vtable = { fake_session_call };
  FakePortal *fp = data;
  g_autoptr (GVariant) options = g_variant_get_child_value (params,
      g_variant_n_children (params) - 1);
  g_autofree gchar *got = g_variant_print (options, FALSE);
  g_autoptr (GDBusNodeInfo) node = NULL;
  GVariantBuilder b;

  g_string_append_printf (fp->calls, "%s(%s) ", method, got);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (g_str_equal (method, "CreateSession")) {
    const gchar *token = NULL;
    g_autofree gchar *who = g_strdup (sender + 1);

    g_assert_true (g_variant_lookup (options, "session_handle_token", "&s",
            &token));
    g_strdelimit (who, ".", '_');
    if (fp->session_obj)        /* a second run */
      g_dbus_connection_unregister_object (bus, fp->session_obj);
    g_free (fp->session);
    fp->session = g_strdup_printf ("/org/freedesktop/portal/desktop/"
        "session/%s/%s", who, token);
    node = g_dbus_node_info_new_for_xml (fake_xml, NULL);
    fp->session_obj = g_dbus_connection_register_object (bus, fp->session,
        node->interfaces[1], &session_vtable, fp, NULL, NULL);
    g_assert_cmpuint (fp->session_obj, !=, 0);
    g_variant_builder_add (&b, "{sv}", "session_handle",
        g_variant_new_string (fp->session));
    answer (fp, inv, options, 0, 0, g_variant_builder_end (&b));
  } else if (g_str_equal (method, "SelectSources")) {
    g_autoptr (GVariant) session = g_variant_get_child_value (params, 0);

    g_assert_cmpstr (g_variant_get_string (session, NULL), ==, fp->session);
    answer (fp, inv, options, 0, 0, g_variant_builder_end (&b));
  } else if (g_str_equal (method, "Start")) {
    g_variant_builder_add (&b, "{sv}", "streams",
        g_variant_new_parsed ("[(uint32 42, {'source_type': <uint32 1>, "
                "'size': <(1024, 768)>})]"));
    g_variant_builder_add (&b, "{sv}", "restore_token",
        g_variant_new_string ("tok-1"));
    answer (fp, inv, options, 200, fp->start_response,
        g_variant_builder_end (&b));
  } else {
    g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
    gint pair[2];

    g_variant_builder_clear (&b);
    g_assert_cmpstr (method, ==, "OpenPipeWireRemote");
    g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
            pair), ==, 0);
    g_assert_cmpint (g_unix_fd_list_append (fds, pair[0], NULL), ==, 0);
    close (pair[0]);
    close (pair[1]);
    g_dbus_method_invocation_return_value_with_unix_fd_list (inv,
        g_variant_new ("(h)", 0), fds);
  }
}

static GVariant *
fake_get (GDBusConnection * bus, const gchar * sender, const gchar * path,
    const gchar * iface, const gchar * name, GError ** err, gpointer data)
{
  return g_variant_new_uint32 (g_str_equal (name, "version") ? 4 : 7);
}

static FakePortal *
fake_portal_start (Bus * b, guint32 start_response)
{
  static const GDBusInterfaceVTable vtable = { fake_call, fake_get };
  g_autoptr (GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (fake_xml,
      NULL);
  g_autoptr (GVariant) ret = NULL;
  g_autoptr (GError) err = NULL;
  FakePortal *fp = g_new0 (FakePortal, 1);

  fp->start_response = start_response;
  fp->calls = g_string_new (NULL);
  fp->request_iface = g_dbus_interface_info_ref (node->interfaces[2]);
  fp->bus = g_dbus_connection_new_for_address_sync (b->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &err);
  g_assert_no_error (err);
  fp->obj = g_dbus_connection_register_object (fp->bus,
      "/org/freedesktop/portal/desktop", node->interfaces[0], &vtable, fp,
      NULL, &err);
  g_assert_no_error (err);
  ret = g_dbus_connection_call_sync (fp->bus, "org.freedesktop.DBus",
      "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
      g_variant_new ("(su)", "org.freedesktop.portal.Desktop", 4),
      G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &err);
  g_assert_no_error (err);
  return fp;
}

static void
fake_portal_stop (FakePortal * fp)
{
  g_dbus_connection_unregister_object (fp->bus, fp->obj);
  if (fp->session_obj)
    g_dbus_connection_unregister_object (fp->bus, fp->session_obj);
  if (fp->request_obj)
    g_dbus_connection_unregister_object (fp->bus, fp->request_obj);
  g_dbus_interface_info_unref (fp->request_iface);
  g_dbus_connection_close_sync (fp->bus, NULL, NULL);
  g_object_unref (fp->bus);
  g_string_free (fp->calls, TRUE);
  g_free (fp->session);
  g_free (fp);
}

static void
test_portal_fake (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autofree gchar *state = fresh_dir ("state"), *token = NULL;
  g_autofree gchar *token_file = g_build_filename (state, "hostenc",
      "portal-restore-token", NULL);
  Bus *b = bus_start ();
  FakePortal *fp;

  if (!b) {
    g_test_skip ("no dbus-daemon");
    return;
  }
  fp = fake_portal_start (b, 0);
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", b->address, TRUE);
  env = g_environ_setenv (env, "XDG_STATE_HOME", state, TRUE);
  env = g_environ_setenv (env, "XDG_SESSION_TYPE", "wayland", TRUE);
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--host",
          "tcp:127.0.0.1:1", "--shm", "none", "--fps", "25", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "pipewiresrc fd="));
  assert_has (out, " path=42 always-copy=false ! videorate max-rate=25 ! "
      "videoconvert ! video/x-raw,format=BGRx ! queue ");
  assert_has (err, "PipeWire node 42");
  g_test_message ("portal calls: %s", fp->calls->str);
  g_assert_true (g_str_has_prefix (fp->calls->str, "CreateSession("));
  assert_has (fp->calls->str, "'session_handle_token': <'");
  assert_has (fp->calls->str, ") SelectSources(");
  assert_has (fp->calls->str, "'types': <uint32 1>");
  assert_has (fp->calls->str, "'cursor_mode': <uint32 2>");
  assert_has (fp->calls->str, "'persist_mode': <uint32 2>");
  g_assert_null (strstr (fp->calls->str, "restore_token"));
  assert_has (fp->calls->str, ") Start(");
  assert_has (fp->calls->str, ") OpenPipeWireRemote(");
  g_assert_true (fp->closed);   /* Session.Close at exit */
  g_assert_true (g_file_get_contents (token_file, &token, NULL, NULL));
  g_assert_cmpstr (token, ==, "tok-1");

  /* next time the token is offered, so the portal need not ask */
  g_string_truncate (fp->calls, 0);
  g_assert_cmpint (run_guest (env, &out2, &err2, "--print", "--host",
          "tcp:127.0.0.1:1", "--shm", "none", NULL), ==, 0);
  assert_has (fp->calls->str, "'restore_token': <'tok-1'>");
  fake_portal_stop (fp);
  bus_stop (b);
}

static void
test_portal_denied (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;
  Bus *b = bus_start ();
  FakePortal *fp;

  if (!b) {
    g_test_skip ("no dbus-daemon");
    return;
  }
  fp = fake_portal_start (b, 1);
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", b->address, TRUE);
  env = g_environ_setenv (env, "XDG_STATE_HOME", tmp, TRUE);
  g_assert_cmpint (run_guest (env, &out, &err, "--print", "--capture",
          "portal", "--host", "tcp:127.0.0.1:1", "--shm", "none", NULL), ==,
      1);
  g_assert_cmpstr (out, ==, "");
  assert_has (err, "the screen cast was not allowed");
  fake_portal_stop (fp);
  bus_stop (b);
}

/* SIGINT while the portal's dialog is open: the dialog is dismissed
 * (Request.Close), the session closed, and the exit clean. */
static void
test_portal_interrupted (void)
{
  g_auto (GStrv) env = base_env ();
  g_autofree gchar *out = NULL, *err = NULL;
  Bus *b = bus_start ();
  FakePortal *fp;

  if (!b) {
    g_test_skip ("no dbus-daemon");
    return;
  }
  fp = fake_portal_start (b, G_MAXUINT32);
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", b->address, TRUE);
  env = g_environ_setenv (env, "XDG_STATE_HOME", tmp, TRUE);
  interrupt_after_start = fp->calls;
  g_assert_cmpint (run_guest (env, &out, &err, "--capture", "portal",
          "--host", "tcp:127.0.0.1:1", "--shm", "none", NULL), ==, 0);
  g_assert_null (interrupt_after_start);
  assert_has (err, "stopped before streaming");
  g_assert_true (fp->request_closed);
  g_assert_true (fp->closed);
  fake_portal_stop (fp);
  bus_stop (b);
}

/* ---- bad options --------------------------------------------------------- */

static void
test_bad_options (void)
{
  static const gchar *const bad[][3] = {
    {"--capture", "bogus", "--capture bogus"},
    {"--fps", "0", "--fps 0"},
    {"--bogus", NULL, "--bogus"},
    {"--stream-name", "0123456789012345678901234567890x", "1 to 31"},
    {"--stream-name", "caf\xc3\xa9", "printable ASCII"},
    {"--host", "10.0.2.2:15937", "tcp:HOST:PORT"},
    {"--port", "70000", "1..65535"},
    {"--fps", "many", "--fps"},
    {"extra", NULL, "unexpected argument 'extra'"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_auto (GStrv) env = base_env ();
    g_autofree gchar *out = NULL, *err = NULL;

    g_assert_cmpint (run_guest (env, &out, &err, "--print", bad[i][0],
            bad[i][1], NULL), ==, 2);
    assert_has (err, bad[i][2]);
    assert_has (err, "Run 'hostenc-guest --help'");
    g_assert_cmpstr (out, ==, "");
  }
}

/* ---- a real run ---------------------------------------------------------- */

static guint
free_tcp_port (void)
{
  struct sockaddr_in sa = {.sin_family = AF_INET,
    .sin_addr.s_addr = htonl (INADDR_LOOPBACK)
  };
  socklen_t len = sizeof (sa);
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sa, sizeof (sa)), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sa, &len), ==, 0);
  close (fd);
  return ntohs (sa.sin_port);
}

/* GET @path from the host's web server. */
static gchar *
http_get (guint port, const gchar * path)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: "
      "127.0.0.1:%u\r\nConnection: close\r\n\r\n", path, port);
  GString *reply = g_string_new (NULL);
  gchar buf[4096];
  gssize n;

  g_socket_client_set_timeout (client, 10);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      &err);
  g_assert_no_error (err);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
          (conn)), req, strlen (req), NULL, NULL, &err);
  g_assert_no_error (err);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM
                  (conn)), buf, sizeof (buf), NULL, &err)) > 0)
    g_string_append_len (reply, buf, n);
  g_assert_no_error (err);
  return g_string_free (reply, FALSE);
}

static gboolean
sources_list (guint web_port, const gchar * name)
{
  g_autofree gchar *sources = http_get (web_port, "/sources");
  g_autofree gchar *quoted = g_strdup_printf ("\"%s\"", name);

  return strstr (sources, quoted) != NULL;
}

static void
test_run (void)
{
  const gchar *hostencd = g_getenv ("HOSTENCD");
  g_autofree gchar *dir = NULL, *host_log = NULL, *guest_log = NULL;
  g_autofree gchar *listen = NULL, *address = NULL, *text = NULL;
  g_autoptr (GSubprocessLauncher) l = NULL;
  g_autoptr (GSubprocess) guest = NULL;
  g_autoptr (GError) err = NULL;
  g_auto (GStrv) env = NULL;
  const gchar *url;
  guint port, web_port = 0;
  gint64 started, deadline, stopped;
  gint fd;
  GPid host;

  if (!hostencd || !hostencd[0]) {
    g_test_skip ("no HOSTENCD (a build without the daemon)");
    return;
  }
  dir = fresh_dir ("run");
  host_log = g_build_filename (dir, "hostencd.log", NULL);
  guest_log = g_build_filename (dir, "hostenc-guest.log", NULL);
  port = free_tcp_port ();
  listen = g_strdup_printf ("tcp:127.0.0.1:%u", port);
  fd = open (host_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_spawn_async_with_fds (NULL, (gchar *[]) { (gchar *) hostencd,
          (gchar *) "--no-vms", (gchar *) "--no-pattern",
          (gchar *) "--listen", listen, (gchar *) "--http",
          (gchar *) "127.0.0.1:0", (gchar *) "--no-token", NULL }, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
      child_setup, NULL, &host, -1, fd, fd, &err);
  g_assert_no_error (err);
  close (fd);
  deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  while (!(g_file_get_contents (host_log, &text, NULL, NULL)
          && (url = strstr (text, "ready: open http://127.0.0.1:"))
          && sscanf (url, "ready: open http://127.0.0.1:%u/",
              &web_port) == 1)) {
    g_assert_cmpint (waitpid (host, NULL, WNOHANG), ==, 0);
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_clear_pointer (&text, g_free);
    g_usleep (20000);
  }

  /* the host lists the guest's stream */
  env = base_env ();
  address = g_strdup_printf ("tcp:127.0.0.1:%u", port);
  l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_environ (l, env);
  g_subprocess_launcher_set_stderr_file_path (l, guest_log);
  guest = g_subprocess_launcher_spawn (l, &err, g_getenv ("HOSTENC_GUEST"),
      "--capture", "test", "--host", address, "--shm", "none",
      "--stream-name", "t1", NULL);
  g_assert_no_error (err);
  started = g_get_monotonic_time ();
  while (!sources_list (web_port, "guest/t1")) {
    g_assert_nonnull (g_subprocess_get_identifier (guest));  /* runs */
    g_assert_cmpint (g_get_monotonic_time () - started, <,
        TIMEOUT_S * G_USEC_PER_SEC);
    g_usleep (100000);
  }
  while (g_get_monotonic_time () - started < 3 * G_USEC_PER_SEC)
    g_usleep (100000);
  g_assert_true (sources_list (web_port, "guest/t1"));
  g_assert_nonnull (g_subprocess_get_identifier (guest));

  /* SIGTERM: a prompt, clean exit, and the host's stream is gone */
  g_subprocess_send_signal (guest, SIGTERM);
  stopped = g_get_monotonic_time ();
  g_subprocess_wait (guest, NULL, &err);
  g_assert_no_error (err);
  g_test_message ("hostenc-guest exited %.3f s after SIGTERM",
      (g_get_monotonic_time () - stopped) / 1e6);
  g_clear_pointer (&text, g_free);
  g_file_get_contents (guest_log, &text, NULL, NULL);
  log_lines ("hostenc-guest", text);
  g_assert_true (g_subprocess_get_if_exited (guest));
  g_assert_cmpint (g_subprocess_get_exit_status (guest), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - stopped, <, 3 * G_USEC_PER_SEC);
  assert_has (text, "streaming");
  assert_has (text, "stopping");
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (sources_list (web_port, "guest/t1")) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (50000);
  }

  kill (host, SIGTERM);
  waitpid (host, NULL, 0);
  g_spawn_close_pid (host);
}

/* ---- main ---------------------------------------------------------------- */


/* A private registry over only the system plugins used (as
 * tests/gst/vsockenc-test.c does), shared with the children. */
static void
private_registry (void)
{
  static const gchar *const plugins[] = { "libgstcoreelements.so",
    "libgstvideotestsrc.so", "libgstvideoconvertscale.so",
    "libgstvideorate.so", NULL
  };
  const gchar *sys = g_getenv ("VSOCKENC_SYSTEM_PLUGINS");
  g_autofree gchar *dir = g_build_filename (tmp, "plugins", NULL);
  g_autofree gchar *registry = g_build_filename (tmp, "registry.bin", NULL);

  if (!sys)
    return;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  for (guint i = 0; plugins[i]; i++) {
    g_autofree gchar *from = g_build_filename (sys, plugins[i], NULL);
    g_autofree gchar *to = g_build_filename (dir, plugins[i], NULL);

    if (symlink (from, to) < 0)
      g_printerr ("# cannot link %s: %s\n", from, g_strerror (errno));
  }
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", dir, TRUE);
  g_setenv ("GST_PLUGIN_SYSTEM_PATH", dir, TRUE);
  g_setenv ("GST_REGISTRY_1_0", registry, TRUE);
  g_setenv ("GST_REGISTRY", registry, TRUE);
  /* an ASan-built plugin cannot be scanned by the uninstrumented
   * gst-plugin-scanner */
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
}

int
main (int argc, char **argv)
{
  gint ret;

  g_test_init (&argc, &argv, NULL);
  if (!g_getenv ("HOSTENC_GUEST") || !g_getenv ("GST_PLUGIN_PATH")) {
    g_printerr ("HOSTENC_GUEST and GST_PLUGIN_PATH must be set (meson test "
        "does)\n");
    return 1;
  }
  tmp = g_dir_make_tmp ("test-hostenc-guest-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  private_registry ();

  g_test_add_func ("/hostenc-guest/print/explicit", test_print_explicit);
  g_test_add_func ("/hostenc-guest/print/default-name", test_default_name);
  g_test_add_func ("/hostenc-guest/print/quoting", test_quoting);
  g_test_add_func ("/hostenc-guest/host/serial", test_host_serial);
  g_test_add_func ("/hostenc-guest/host/serial-denied",
      test_host_serial_denied);
  g_test_add_func ("/hostenc-guest/host/gateway", test_host_gateway);
  g_test_add_func ("/hostenc-guest/host/no-route", test_host_no_route);
  g_test_add_func ("/hostenc-guest/shm", test_shm);
  g_test_add_func ("/hostenc-guest/capture/x11", test_capture_x11);
  g_test_add_func ("/hostenc-guest/capture/none", test_capture_none);
  g_test_add_func ("/hostenc-guest/capture/wayland-no-bus",
      test_capture_wayland_no_bus);
  g_test_add_func ("/hostenc-guest/portal/absent", test_portal_absent);
  g_test_add_func ("/hostenc-guest/portal/fake", test_portal_fake);
  g_test_add_func ("/hostenc-guest/portal/denied", test_portal_denied);
  g_test_add_func ("/hostenc-guest/portal/interrupted",
      test_portal_interrupted);
  g_test_add_func ("/hostenc-guest/options/bad", test_bad_options);
  g_test_add_func ("/hostenc-guest/run", test_run);
  ret = g_test_run ();
  tf_rm_rf (tmp);
  g_free (tmp);
  return ret;
}
