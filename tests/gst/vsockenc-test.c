/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the vsockenc tests. */
#include "test-fs.h"
#include "vsockenc-test.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* What the tests use of the system's plugins; nothing else is scanned, so
 * that a sanitized test process does not load hundreds of plugins. */
static const gchar *const system_plugins[] = {
  "libgstcoreelements.so",
  "libgstvideotestsrc.so",
  "libgstvideoconvertscale.so",
  "libgstlibav.so",
  "libgstvideoparsersbad.so",
  "libgstapp.so",
  NULL,
};

static gchar *test_tmp;
static pid_t test_tmp_owner;


static void
remove_test_tmp (void)
{
  /* check forks a child per test: only the process that made it */
  if (test_tmp && getpid () == test_tmp_owner)
    tf_rm_rf (test_tmp);
}

void
vt_init (int *argc, char ***argv)
{
  const gchar *sys = g_getenv ("VSOCKENC_SYSTEM_PLUGINS");
  const gchar *mine = g_getenv ("VSOCKENC_PLUGIN_DIR");
  g_autofree gchar *plugins = NULL, *registry = NULL;

  if (!sys || !mine) {
    g_printerr ("VSOCKENC_SYSTEM_PLUGINS and VSOCKENC_PLUGIN_DIR must be set "
        "(meson test does)\n");
    exit (1);
  }
  test_tmp = g_dir_make_tmp ("vsockenc-test-XXXXXX", NULL);
  g_assert (test_tmp);
  test_tmp_owner = getpid ();
  atexit (remove_test_tmp);
  plugins = g_build_filename (test_tmp, "plugins", NULL);
  registry = g_build_filename (test_tmp, "registry.bin", NULL);
  mkdir (plugins, 0700);
  for (guint i = 0; system_plugins[i]; i++) {
    g_autofree gchar *from = g_build_filename (sys, system_plugins[i], NULL);
    g_autofree gchar *to = g_build_filename (plugins, system_plugins[i], NULL);

    if (symlink (from, to) < 0)
      g_printerr ("cannot link %s: %s\n", from, g_strerror (errno));
  }
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", plugins, TRUE);
  g_setenv ("GST_PLUGIN_SYSTEM_PATH", plugins, TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", mine, TRUE);
  g_setenv ("GST_PLUGIN_PATH", mine, TRUE);
  g_setenv ("GST_REGISTRY_1_0", registry, TRUE);
  g_setenv ("GST_REGISTRY", registry, TRUE);
  /* scan in this process: an ASan-built plugin cannot be loaded by the
   * uninstrumented gst-plugin-scanner */
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  gst_check_init (argc, argv);
}

/* ---- hostencd ------------------------------------------------------------ */

static void
child_setup (gpointer data)
{
  /* never outlive the test (a failed assertion exits without cleanup) */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
log_says_ready (VtHost * h)
{
  g_autofree gchar *text = NULL;

  return g_file_get_contents (h->log, &text, NULL, NULL)
      && strstr (text, "ready") != NULL;
}

static void
print_log (VtHost * h)
{
  g_autofree gchar *text = NULL;

  if (g_file_get_contents (h->log, &text, NULL, NULL))
    g_printerr ("---- hostencd log (%s) ----\n%s---- end ----\n", h->log, text);
}

static void
host_spawn (VtHost * h)
{
  g_autoptr (GError) err = NULL;
  gint64 deadline = g_get_monotonic_time () + VT_TIMEOUT_S * G_USEC_PER_SEC;
  gint fd = open (h->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gint status;

  fail_unless (fd >= 0, "cannot create %s", h->log);
  if (!g_spawn_async_with_fds (NULL, h->argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
          child_setup, NULL, &h->pid, -1, fd, fd, &err))
    fail ("cannot start hostencd: %s", err->message);
  close (fd);
  while (!log_says_ready (h)) {
    if (waitpid (h->pid, &status, WNOHANG) == h->pid) {
      print_log (h);
      h->pid = 0;
      fail ("hostencd exited at start (status 0x%x)", status);
    }
    if (g_get_monotonic_time () > deadline) {
      print_log (h);
      fail ("hostencd not ready within %d s", VT_TIMEOUT_S);
    }
    g_usleep (10000);
  }
}

static guint
free_tcp_port (void)
{
  struct sockaddr_in sa = {.sin_family = AF_INET,
    .sin_addr.s_addr = htonl (INADDR_LOOPBACK)
  };
  socklen_t len = sizeof (sa);
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  ck_assert (fd >= 0);
  ck_assert (bind (fd, (struct sockaddr *) &sa, sizeof (sa)) == 0);
  ck_assert (getsockname (fd, (struct sockaddr *) &sa, &len) == 0);
  close (fd);
  return ntohs (sa.sin_port);
}

VtHost *
vt_host_start (const VtHostOptions * o)
{
  static const VtHostOptions none = { 0 };
  VtHost *h = g_new0 (VtHost, 1);
  GPtrArray *argv = g_ptr_array_new ();
  const gchar *bin = g_getenv ("HOSTENCD");

  fail_unless (bin != NULL, "HOSTENCD is not set");
  o = o ? o : &none;
  h->dir = g_dir_make_tmp ("vsockenc-host-XXXXXX", NULL);
  ck_assert (h->dir != NULL);
  h->log = g_build_filename (h->dir, "hostencd.log", NULL);
  g_ptr_array_add (argv, g_strdup (bin));
  g_ptr_array_add (argv, g_strdup ("--no-pattern"));
  g_ptr_array_add (argv, g_strdup ("--no-vms"));
  g_ptr_array_add (argv, g_strdup ("--verbose"));
  if (o->tcp) {
    h->port = free_tcp_port ();
    h->address = g_strdup_printf ("tcp:127.0.0.1:%u", h->port);
  } else {
    h->sock = g_build_filename (h->dir, "h.sock", NULL);
    h->address = g_strdup_printf ("unix:%s", h->sock);
  }
  g_ptr_array_add (argv, g_strdup_printf ("--listen=%s", h->address));
  if (o->shm) {
    gint fd;

    h->shm = g_build_filename (h->dir, "shm.bin", NULL);
    fd = open (h->shm, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert (fd >= 0 && ftruncate (fd, 64 << 20) == 0);
    close (fd);
    g_ptr_array_add (argv, g_strdup_printf ("--shm=%s", h->shm));
  }
  for (guint i = 0; o->args && o->args[i]; i++)
    g_ptr_array_add (argv, g_strdup (o->args[i]));
  /* hostencd makes a random web token otherwise; these tests use none. */
  g_ptr_array_add (argv, g_strdup ("--no-token"));
  g_ptr_array_add (argv, NULL);
  h->argv = (gchar **) g_ptr_array_free (argv, FALSE);
  host_spawn (h);
  return h;
}

void
vt_host_kill (VtHost * h)
{
  gint status;

  if (!h->pid)
    return;
  kill (h->pid, SIGKILL);
  waitpid (h->pid, &status, 0);
  g_spawn_close_pid (h->pid);
  h->pid = 0;
}

void
vt_host_restart (VtHost * h)
{
  vt_host_kill (h);
  host_spawn (h);
}

void
vt_host_stop (VtHost * h)
{
  g_autofree gchar *text = NULL;
  gint64 deadline = g_get_monotonic_time () + VT_TIMEOUT_S * G_USEC_PER_SEC;
  gint status = 0;
  gboolean exited = FALSE;

  if (h->pid) {
    kill (h->pid, SIGTERM);
    while (!(exited = waitpid (h->pid, &status, WNOHANG) == h->pid)
        && g_get_monotonic_time () < deadline)
      g_usleep (10000);
    if (!exited) {
      vt_host_kill (h);
      print_log (h);
      fail ("hostencd did not exit on SIGTERM");
    }
    g_spawn_close_pid (h->pid);
    h->pid = 0;
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
      print_log (h);
      fail ("hostencd exited with status 0x%x", status);
    }
  }
  if (g_file_get_contents (h->log, &text, NULL, NULL)
      && (strstr (text, "ERROR: AddressSanitizer")
          || strstr (text, "ERROR: LeakSanitizer")
          || strstr (text, "runtime error:"))) {
    print_log (h);
    fail ("sanitizer report in hostencd's log");
  }
  tf_rm_rf (h->dir);
  g_free (h->dir);
  g_free (h->sock);
  g_free (h->address);
  g_free (h->shm);
  g_free (h->log);
  g_strfreev (h->argv);
  g_free (h);
}

/* ---- pictures ------------------------------------------------------------ */

GstBuffer *
vt_make_bgrx (guint width, guint height, guint n)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize) width * height * 4,
      NULL);
  guint bx = (n * 5) % (width - 24), by = (n * 3) % (height - 24);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (guint y = 0; y < height; y++) {
    for (guint x = 0; x < width; x++) {
      guint8 *p = map.data + ((gsize) y * width + x) * 4;
      gboolean box = x >= bx && x < bx + 24 && y >= by && y < by + 24;

      p[0] = (guint8) (x * 255 / (width - 1));
      p[1] = (guint8) (y * 255 / (height - 1));
      p[2] = (guint8) (128 + 90 * sin ((x + 2.0 * n) / 17.0) *
          cos (y / 23.0));
      p[3] = 255;
      if (box)
        p[0] = p[1] = p[2] = (n & 1) ? 240 : 16;
    }
  }
  gst_buffer_unmap (buf, &map);
  return buf;
}

gdouble
vt_psnr_bgrx (GstBuffer * a, GstBuffer * b, guint width, guint height)
{
  GstMapInfo ma, mb;
  gdouble se = 0.0, mse;
  gsize n = (gsize) width * height;

  gst_buffer_map (a, &ma, GST_MAP_READ);
  gst_buffer_map (b, &mb, GST_MAP_READ);
  ck_assert (ma.size >= n * 4 && mb.size >= n * 4);
  for (gsize i = 0; i < n; i++)
    for (guint c = 0; c < 3; c++) {
      gdouble d = (gdouble) ma.data[i * 4 + c] - mb.data[i * 4 + c];

      se += d * d;
    }
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  mse = se / (gdouble) (n * 3);
  return mse == 0.0 ? 99.0 : 10.0 * log10 (255.0 * 255.0 / mse);
}

GPtrArray *
vt_decode (GPtrArray * aus, GstCaps * caps)
{
  GstHarness *d = gst_harness_new_parse ("h264parse ! avdec_h264 ! "
      "videoconvert ! capsfilter caps=video/x-raw,format=BGRx");
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstBuffer *b;

  gst_harness_set_src_caps (d, gst_caps_copy (caps));
  for (guint i = 0; i < aus->len; i++)
    fail_unless_equals_int (gst_harness_push (d,
            gst_buffer_ref (g_ptr_array_index (aus, i))), GST_FLOW_OK);
  ck_assert (gst_harness_push_event (d, gst_event_new_eos ()));
  while ((b = gst_harness_try_pull (d)))
    g_ptr_array_add (out, b);
  gst_harness_teardown (d);
  return out;
}

gboolean
vt_au_has_idr (GstBuffer * au)
{
  GstMapInfo m;
  gboolean idr = FALSE;

  gst_buffer_map (au, &m, GST_MAP_READ);
  for (gsize i = 0; i + 3 < m.size && !idr; i++)
    if (m.data[i] == 0 && m.data[i + 1] == 0 && m.data[i + 2] == 1)
      idr = (m.data[i + 3] & 0x1f) == 5;
  gst_buffer_unmap (au, &m);
  return idr;
}

GstElement *
vt_make_enc (VtHost * h, gboolean shm)
{
  GstElement *e = gst_element_factory_make ("vsockenc", NULL);

  fail_unless (e != NULL, "vsockenc not found (GST_PLUGIN_PATH?)");
  g_object_set (e, "host", h->address, NULL);
  if (shm)
    g_object_set (e, "shm-path", h->shm, NULL);
  return e;
}

GPtrArray *
vt_pull_all (GstHarness * h, guint expected)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstBuffer *b;

  /* finish() drained on EOS inside push_event: everything is queued */
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  if (expected)
    fail_unless_equals_int (out->len, expected);
  return out;
}

guint
vt_count_fds (void)
{
  GDir *d = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  ck_assert (d != NULL);
  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  return n;
}

/* ---- subprocesses ---------------------------------------------------------- */

static gchar *
read_and_remove (const gchar * path)
{
  gchar *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    text = g_strdup ("");
  unlink (path);
  return text;
}

gint
vt_run (const gchar * const *argv, gchar ** envp, guint timeout_s,
    gchar ** out, gchar ** err)
{
  g_autoptr (GError) e = NULL;
  g_autofree gchar *out_path = g_build_filename (test_tmp, "run-out-XXXXXX",
      NULL);
  g_autofree gchar *err_path = g_build_filename (test_tmp, "run-err-XXXXXX",
      NULL);
  gint ofd = g_mkstemp (out_path), efd = g_mkstemp (err_path);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s *
      G_USEC_PER_SEC;
  gint status = 0, ret;
  GPid pid;

  ck_assert (ofd >= 0 && efd >= 0);
  if (!g_spawn_async_with_fds (NULL, (gchar **) argv, envp,
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, child_setup, NULL,
          &pid, -1, ofd, efd, &e))
    fail ("cannot run %s: %s", argv[0], e->message);
  close (ofd);
  close (efd);
  while (waitpid (pid, &status, WNOHANG) != pid) {
    if (g_get_monotonic_time () > deadline) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      status = -1;
      break;
    }
    g_usleep (10000);
  }
  g_spawn_close_pid (pid);
  ret = status == -1 ? -1 : WIFEXITED (status) ? WEXITSTATUS (status) :
      128 + WTERMSIG (status);
  if (out)
    *out = read_and_remove (out_path);
  else
    unlink (out_path);
  if (err)
    *err = read_and_remove (err_path);
  else
    unlink (err_path);
  return ret;
}

gboolean
vt_sanitized (void)
{
  const gchar *p = g_getenv ("VSOCKENC_PRELOAD");

  return p && *p;
}

gchar **
vt_launch_env (void)
{
  gchar **env = g_get_environ ();
  const gchar *asan;
  g_autofree gchar *asan_opts = NULL;

  if (!vt_sanitized ())
    return env;
  /* gst-launch-1.0 is not instrumented: the plugin's sanitizer runtime
   * has to be loaded first. LeakSanitizer stays off in that process (what
   * gst-launch itself keeps at exit is not the plugin's); the plugin is
   * leak-checked in the test binaries, which are instrumented. */
  env = g_environ_setenv (env, "LD_PRELOAD", g_getenv ("VSOCKENC_PRELOAD"),
      TRUE);
  asan = g_environ_getenv (env, "ASAN_OPTIONS");
  asan_opts = g_strdup_printf ("%s%sdetect_leaks=0", asan ? asan : "",
      asan && *asan ? ":" : "");
  env = g_environ_setenv (env, "ASAN_OPTIONS", asan_opts, TRUE);
  return env;
}

GstMessage *
vt_wait_message (GstBus * bus, GstMessageType types, guint timeout_s)
{
  return gst_bus_timed_pop_filtered (bus, (GstClockTime) timeout_s *
      GST_SECOND, types);
}

/* ---- a character device in front of hostencd --------------------------- */

struct _VtPty
{
  gint master, slave, sock, stop[2];
  gchar *path;
  GThread *thread;
};

static gboolean
write_all (gint fd, const guint8 * p, gssize n)
{
  while (n > 0) {
    gssize w = write (fd, p, (gsize) n);

    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return FALSE;
    p += w;
    n -= w;
  }
  return TRUE;
}

static gpointer
pty_pump (gpointer data)
{
  VtPty *p = data;
  guint8 buf[65536];

  for (;;) {
    struct pollfd f[3] = {
      {.fd = p->master,.events = POLLIN},
      {.fd = p->sock,.events = POLLIN},
      {.fd = p->stop[0],.events = POLLIN},
    };
    gssize n;

    if (poll (f, 3, -1) < 0 && errno != EINTR)
      break;
    if (f[2].revents)
      break;
    if (f[0].revents & POLLIN) {
      n = read (p->master, buf, sizeof (buf));
      if (n <= 0 || !write_all (p->sock, buf, n))
        break;
    }
    if (f[1].revents & (POLLIN | POLLHUP)) {
      n = read (p->sock, buf, sizeof (buf));
      if (n <= 0 || !write_all (p->master, buf, n))
        break;
    }
  }
  return NULL;
}

VtPty *
vt_pty_start (const gchar * unix_path)
{
  VtPty *p = g_new0 (VtPty, 1);
  struct sockaddr_un sun = {.sun_family = AF_UNIX };
  struct termios t;

  p->master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  fail_unless (p->master >= 0 && grantpt (p->master) == 0
      && unlockpt (p->master) == 0, "no pty: %s", g_strerror (errno));
  p->path = g_strdup (ptsname (p->master));
  /* kept open so that the raw settings stay while vsockenc opens and
   * closes its own descriptor */
  p->slave = open (p->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  ck_assert (p->slave >= 0);
  ck_assert (tcgetattr (p->slave, &t) == 0);
  cfmakeraw (&t);
  ck_assert (tcsetattr (p->slave, TCSANOW, &t) == 0);
  p->sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_strlcpy (sun.sun_path, unix_path, sizeof (sun.sun_path));
  fail_unless (connect (p->sock, (struct sockaddr *) &sun, sizeof (sun)) == 0,
      "connect %s: %s", unix_path, g_strerror (errno));
  ck_assert (pipe2 (p->stop, O_CLOEXEC) == 0);
  p->thread = g_thread_new ("pty-pump", pty_pump, p);
  return p;
}

const gchar *
vt_pty_path (VtPty * p)
{
  return p->path;
}

void
vt_pty_stop (VtPty * p)
{
  ck_assert (write (p->stop[1], "x", 1) == 1);
  g_thread_join (p->thread);
  close (p->stop[0]);
  close (p->stop[1]);
  close (p->sock);
  close (p->slave);
  close (p->master);
  g_free (p->path);
  g_free (p);
}
