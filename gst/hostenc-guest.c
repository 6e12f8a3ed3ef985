/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostenc-guest: puts this guest's desktop on the host's hostencd. Finds
 * the host (hostenc-vm's virtio-serial port, else vsock, else TCP to the
 * default gateway), the shared memory (QEMU's ivshmem), the capture of
 * the running session (X11, the xdg-desktop-portal under Wayland, or a
 * test pattern), then runs
 *   CAPTURE ! queue ! vsockenc host=... ! fakesink
 * until SIGINT/SIGTERM, when it ends the stream (vsockenc says GOODBYE).
 * See docs/guest.md.
 * The search for the host and the shared memory is in
 * hostenc-guest-find.c, the portal in hostenc-guest-portal.c. */
#include <gio/gio.h>
#include <glib-unix.h>
#include <gst/gst.h>

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "hostenc-guest-find.h"
#include "hostenc-guest-portal.h"

#define STREAM_NAME_MAX 31
#define EXIT_USAGE 2
#define STOP_GRACE_MS 2000
#define BGRX "videoconvert ! video/x-raw,format=BGRx"

typedef struct
{
  gchar *host;
  gchar *shm;
  gchar *capture;
  gchar *stream_name;
  gint port;
  gint fps;
  gint bitrate;
  gboolean print;
  gboolean version;
} Options;

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GCancellable *cancel;
  HgPortal *portal;
  gboolean stopping;
  gboolean announced;
  gint status;
} App;

static gboolean
is_set (const gchar * var)
{
  const gchar *v = g_getenv (var);

  return v && v[0];
}

static void
append_escaped (GString * s, const gchar * v)
{
  for (; *v; v++) {
    if (*v == '"' || *v == '\\')
      g_string_append_c (s, '\\');
    g_string_append_c (s, *v);
  }
}

/* " NAME=VALUE" in gst-launch syntax: gst_parse unescapes a quoted value
 * once, then a string that starts with '"' (or is NULL) is unwrapped
 * once more as a serialized GStreamer string. */
static void
append_prop (GString * d, const gchar * name, const gchar * value)
{
  const gchar *c;

  g_string_append_printf (d, " %s=", name);
  for (c = value; *c; c++) {
    if (!g_ascii_isalnum (*c) && !strchr ("-_.:/,+@%", *c))
      break;
  }
  if (value[0] && !*c && !g_str_equal (value, "NULL")) {
    g_string_append (d, value);
    return;
  }
  g_string_append_c (d, '"');
  if (value[0] == '"' || g_str_equal (value, "NULL")) {
    g_autoptr (GString) inner = g_string_new ("\"");

    append_escaped (inner, value);
    g_string_append_c (inner, '"');
    append_escaped (d, inner->str);
  } else {
    append_escaped (d, value);
  }
  g_string_append_c (d, '"');
}

/* ---- capture ------------------------------------------------------------- */

static void stop (App * app);

static void
on_portal_closed (gpointer data)
{
  App *app = data;

  hg_say ("the portal closed the screen cast (sharing was stopped)");
  stop (app);
}

/* The capture's part of the pipeline, ending in BGRx. */
static gchar *
capture_description (App * app, const Options * o, GError ** err)
{
  const gchar *kind = o->capture;
  const gchar *display = g_getenv ("DISPLAY");

  if (g_str_equal (kind, "auto")) {
    if (is_set ("WAYLAND_DISPLAY")
        || g_strcmp0 (g_getenv ("XDG_SESSION_TYPE"), "wayland") == 0) {
      hg_say ("capture: portal (a Wayland session: WAYLAND_DISPLAY=%s, "
          "XDG_SESSION_TYPE=%s)", g_getenv ("WAYLAND_DISPLAY"),
          g_getenv ("XDG_SESSION_TYPE"));
      kind = "portal";
    } else if (is_set ("DISPLAY")) {
      hg_say ("capture: x11 (DISPLAY=%s)", display);
      kind = "x11";
    } else {
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "no desktop session to capture: none of WAYLAND_DISPLAY, "
          "XDG_SESSION_TYPE=wayland or DISPLAY is set. Run " HG_PROG " in the "
          "desktop session; for the systemd user unit, import them with "
          "'systemctl --user import-environment DISPLAY WAYLAND_DISPLAY "
          "XDG_SESSION_TYPE'; or give --capture test to try the path "
          "without a desktop");
      return NULL;
    }
  } else {
    hg_say ("capture: %s (--capture)", kind);
  }

  if (g_str_equal (kind, "test"))
    return g_strdup_printf ("videotestsrc is-live=true pattern=smpte ! "
        "video/x-raw,framerate=%d/1 ! " BGRX, o->fps);
  if (g_str_equal (kind, "x11")) {
    GString *d;

    if (!is_set ("DISPLAY")) {
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "--capture x11 needs DISPLAY (the X server to capture, as :0)");
      return NULL;
    }
    d = g_string_new ("ximagesrc");
    append_prop (d, "display-name", display);
    g_string_append_printf (d, " use-damage=false show-pointer=true ! "
        "video/x-raw,framerate=%d/1 ! " BGRX, o->fps);
    return g_string_free (d, FALSE);
  }
  /* portal */
  app->portal = hg_portal_open (app->cancel, err);
  if (!app->portal)
    return NULL;
  hg_portal_watch_closed (app->portal, on_portal_closed, app);
  hg_say ("capture: PipeWire node %u of the portal's screen cast",
      hg_portal_node (app->portal));
  /* frames come when the screen changes: only cap their rate */
  return g_strdup_printf ("pipewiresrc fd=%d path=%u always-copy=false ! "
      "videorate max-rate=%d ! " BGRX, hg_portal_fd (app->portal),
      hg_portal_node (app->portal), o->fps);
}

/* ---- the pipeline -------------------------------------------------------- */

static gchar *
build_description (const gchar * capture, const gchar * host,
    const gchar * shm, const Options * o)
{
  GString *d = g_string_new (capture);

  g_string_append (d, " ! queue max-size-buffers=2 max-size-bytes=0 "
      "max-size-time=0 leaky=downstream ! vsockenc");
  append_prop (d, "host", host);
  if (shm)
    append_prop (d, "shm-path", shm);
  append_prop (d, "stream-name", o->stream_name);
  if (o->bitrate > 0)
    g_string_append_printf (d, " bitrate=%d", o->bitrate);
  g_string_append (d, " ! fakesink sync=false");
  return g_string_free (d, FALSE);
}

static gboolean
on_stop_timeout (gpointer data)
{
  App *app = data;

  if (app->loop)
    g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

/* End the stream: EOS through the pipeline (vsockenc drains), or at once
 * when asked a second time or after STOP_GRACE_MS. */
static void
stop (App * app)
{
  if (!app->loop || !g_main_loop_is_running (app->loop))
    return;
  if (app->stopping) {
    hg_say ("stopping now");
    g_main_loop_quit (app->loop);
    return;
  }
  app->stopping = TRUE;
  hg_say ("stopping: ending the stream");
  gst_element_send_event (app->pipeline, gst_event_new_eos ());
  g_timeout_add (STOP_GRACE_MS, on_stop_timeout, app);
}

static gboolean
on_signal (gpointer data)
{
  App *app = data;

  g_cancellable_cancel (app->cancel);   /* a portal dialog, if waiting */
  stop (app);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      hg_say ("error from %s: %s", GST_OBJECT_NAME (msg->src), err->message);
      if (debug)
        g_printerr ("  (%s)\n", debug);
      app->status = EXIT_FAILURE;
      g_main_loop_quit (app->loop);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      hg_say ("warning from %s: %s", GST_OBJECT_NAME (msg->src), err->message);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    case GST_MESSAGE_STATE_CHANGED:
      if (msg->src == GST_OBJECT (app->pipeline) && !app->announced) {
        GstState state;

        gst_message_parse_state_changed (msg, NULL, &state, NULL);
        if (state == GST_STATE_PLAYING) {
          app->announced = TRUE;
          hg_say ("streaming (SIGINT or SIGTERM ends it)");
        }
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gint
run (App * app, const gchar * description)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GstBus) bus = NULL;
  guint watch;

  app->pipeline = gst_parse_launch_full (description, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!app->pipeline) {
    hg_say ("cannot build the pipeline: %s", err->message);
    if (g_error_matches (err, GST_PARSE_ERROR, GST_PARSE_ERROR_NO_SUCH_ELEMENT))
      g_printerr ("  ximagesrc is in gstreamer1.0-plugins-good, pipewiresrc "
          "in gstreamer1.0-pipewire, vsockenc in hostenc's plugin "
          "(GST_PLUGIN_PATH for an uninstalled build)\n");
    return EXIT_FAILURE;
  }
  app->loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (app->pipeline);
  watch = gst_bus_add_watch (bus, on_bus, app);
  if (gst_element_set_state (app->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus,
        GST_MESSAGE_ERROR);

    if (msg)
      on_bus (bus, msg, app);
    else
      hg_say ("the pipeline does not start");
    app->status = EXIT_FAILURE;
  } else {
    g_main_loop_run (app->loop);
  }
  /* READY -> NULL: vsockenc says GOODBYE */
  gst_element_set_state (app->pipeline, GST_STATE_NULL);
  g_source_remove (watch);
  gst_clear_object (&app->pipeline);
  g_clear_pointer (&app->loop, g_main_loop_unref);
  return app->status;
}

/* ---- options ------------------------------------------------------------- */

/* HOSTNAME-desktop in hostencd's characters ([A-Za-z0-9._-], the others
 * become '_'), STREAM_NAME_MAX at most */
static gchar *
default_stream_name (void)
{
  static const gchar suffix[] = "-desktop";
  const gchar *host = g_get_host_name ();
  GString *s = g_string_new (NULL);

  for (; *host && s->len < STREAM_NAME_MAX - strlen (suffix); host++)
    g_string_append_c (s, g_ascii_isalnum (*host) || strchr ("._-", *host)
        ? *host : '_');
  if (s->len == 0)
    g_string_append (s, "guest");
  g_string_append (s, suffix);
  return g_string_free (s, FALSE);
}

static void
options_clear (Options * o)
{
  g_free (o->host);
  g_free (o->shm);
  g_free (o->capture);
  g_free (o->stream_name);
}

static gboolean G_GNUC_PRINTF (2, 3)
bad_option (GError ** err, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (err, g_error_new_valist (G_OPTION_ERROR,
          G_OPTION_ERROR_BAD_VALUE, format, args));
  va_end (args);
  return FALSE;
}

static gboolean
check_options (Options * o, GError ** err)
{
  static const gchar *const captures[] = { "auto", "x11", "portal", "test",
    NULL
  };
  static const gchar *const prefixes[] = { "tcp:", "unix:", "serial:",
    "vsock:", NULL
  };
  gboolean host_ok = FALSE;

  if (!o->shm)
    o->shm = g_strdup ("auto");
  if (!o->capture)
    o->capture = g_strdup ("auto");
  for (guint i = 0; o->host && prefixes[i]; i++)
    host_ok |= g_str_has_prefix (o->host, prefixes[i])
        && o->host[strlen (prefixes[i])];
  if (o->host && !host_ok)
    return bad_option (err, "--host %s: use tcp:HOST:PORT, unix:PATH, "
        "serial:PORT-NAME or vsock:CID:PORT", o->host);
  if (!g_strv_contains (captures, o->capture))
    return bad_option (err, "--capture %s: use auto, x11, portal or test",
        o->capture);
  if (!o->shm[0])
    return bad_option (err, "--shm needs a file, auto or none");
  if (o->port < 1 || o->port > 65535)
    return bad_option (err, "--port %d: ports are 1..65535", o->port);
  if (o->fps < 1 || o->fps > 240)
    return bad_option (err, "--fps %d: give 1..240 frames per second",
        o->fps);
  if (o->bitrate != 0 && (o->bitrate < 10000 || o->bitrate > 1000000000))
    return bad_option (err, "--bitrate %d: give 10000..1000000000 bits/s, "
        "or 0 for the host's default", o->bitrate);
  if (!o->stream_name) {
    o->stream_name = default_stream_name ();
    return TRUE;
  }
  for (const gchar * c = o->stream_name; *c; c++) {
    if (*c < 0x20 || *c > 0x7e)
      return bad_option (err, "--stream-name: printable ASCII only");
  }
  if (!o->stream_name[0] || strlen (o->stream_name) > STREAM_NAME_MAX)
    return bad_option (err, "--stream-name: 1 to %d characters",
        STREAM_NAME_MAX);
  return TRUE;
}

static gboolean
parse_options (gint * argc, gchar *** argv, Options * o, GError ** err)
{
  const GOptionEntry entries[] = {
    {"host", 'H', 0, G_OPTION_ARG_STRING, &o->host,
        "Where hostencd is: tcp:HOST:PORT, unix:PATH, serial:PORT-NAME or "
          "vsock:CID:PORT (default: found, see below)", "ADDR"},
    {"port", 'p', 0, G_OPTION_ARG_INT, &o->port,
        "hostencd's port for the vsock and TCP candidates (default 15937)",
        "N"},
    {"shm", 's', 0, G_OPTION_ARG_FILENAME, &o->shm,
        "Shared memory for the frames: auto (QEMU's ivshmem, found through "
          "sysfs), none (frames inline) or a file (default auto)",
        "PATH|auto|none"},
    {"capture", 'c', 0, G_OPTION_ARG_STRING, &o->capture,
        "What to capture: auto, x11 (ximagesrc on $DISPLAY), portal "
          "(xdg-desktop-portal + PipeWire, for Wayland) or test (a test "
          "pattern, no desktop needed) (default auto)",
        "auto|x11|portal|test"},
    /* bytes as given (not converted from the locale): checked below */
    {"stream-name", 'n', 0, G_OPTION_ARG_FILENAME, &o->stream_name,
        "The name the host lists the stream under, as guest/NAME: printable "
          "ASCII, up to 31 characters (default HOSTNAME-desktop)", "NAME"},
    {"fps", 'f', 0, G_OPTION_ARG_INT, &o->fps,
        "Frames per second at most (default 30)", "N"},
    {"bitrate", 'b', 0, G_OPTION_ARG_INT, &o->bitrate,
        "Bits per second for the host's encoder (default 0: the host's)",
        "BITS"},
    {"print", 0, 0, G_OPTION_ARG_NONE, &o->print,
        "Print the GStreamer pipeline and exit without running it", NULL},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &o->version,
        "Print the version and exit", NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);

  g_option_context_set_summary (ctx, "Puts this VM's desktop on the host's "
      "hostencd: captures the screen and sends the frames to it through "
      "vsockenc.");
  g_option_context_set_description (ctx,
      "Finding the host, unless --host is given:\n"
      "  1. hostenc-vm's virtio-serial port " HG_VPORT_NAME
      " -> serial:" HG_VPORT_NAME "\n"
      "  2. vsock, when /dev/vsock exists and hostencd answers on CID 2 "
      "-> vsock:2:PORT\n"
      "  3. TCP to the default gateway from /proc/net/route (10.0.2.2 with "
      "QEMU's\n     user networking) -> tcp:GATEWAY:PORT\n"
      "Capture with --capture auto: the portal when WAYLAND_DISPLAY is set "
      "or\nXDG_SESSION_TYPE=wayland, else x11 when DISPLAY is set.\n"
      "It says on stderr what it picked and why. SIGINT or SIGTERM ends "
      "the stream.\n"
      "Exit status: 0 stopped by a signal or --print, 1 an error, 2 bad "
      "options.\nSee docs/guest.md.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, argc, argv, err))
    return FALSE;
  if (*argc > 1)
    return bad_option (err, "unexpected argument '%s'", (*argv)[1]);
  return o->version || check_options (o, err);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *host = NULL, *shm = NULL, *capture = NULL;
  g_autofree gchar *description = NULL;
  Options o = { 0 };
  App app = { 0 };
  guint sigint, sigterm;
  gint status = EXIT_FAILURE;

  setlocale (LC_ALL, "");
  o.port = HG_DEFAULT_PORT;
  o.fps = 30;
  /* string defaults after parsing: GOption does not free what it replaces */
  if (!parse_options (&argc, &argv, &o, &err)) {
    hg_say ("%s\nRun '" HG_PROG " --help' for the options.", err->message);
    options_clear (&o);
    return EXIT_USAGE;
  }
  if (o.version) {
    g_print (HG_PROG " %s\n", HOSTENC_VERSION);
    options_clear (&o);
    return EXIT_SUCCESS;
  }

  app.cancel = g_cancellable_new ();
  sigint = g_unix_signal_add (SIGINT, on_signal, &app);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &app);

  if (!(host = hg_find_host (o.host, o.port, &err)))
    goto out;
  shm = hg_find_shm (o.shm);
  if (!(capture = capture_description (&app, &o, &err))) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      hg_say ("stopped before streaming (%s)", err->message);
      g_clear_error (&err);
      status = EXIT_SUCCESS;
    }
    goto out;
  }
  description = build_description (capture, host, shm, &o);
  hg_say ("stream name: %s (the host lists it as guest/NAME, or as "
      "VM/guest-NAME through hostenc-vm's port)", o.stream_name);
  if (o.print) {
    g_print ("%s\n", description);
    status = EXIT_SUCCESS;
    goto out;
  }
  gst_init (NULL, NULL);
  status = run (&app, description);

out:
  if (err)
    hg_say ("%s", err->message);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  hg_portal_close (app.portal);
  g_clear_object (&app.cancel);
  options_clear (&o);
  return status;
}
