/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the desktop-capture tests; see capture-test.h. */
#include "test-fs.h"
#include "capture-test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gst/allocators/allocators.h>
#include <gst/app/gstappsink.h>

void
ct_skip (const gchar * format, ...)
{
  va_list ap;
  gchar why[1024];

  /* no heap here: exit() runs no g_autofree, and LeakSanitizer (in a
   * sanitized build) would count what the callers still hold */
  va_start (ap, format);
  g_vsnprintf (why, sizeof (why), format, ap);
  va_end (ap);
  g_print ("SKIP: %s\n", why);
  exit (CT_EXIT_SKIP);
}

gchar *
ct_find_program (const gchar * prog)
{
  return g_find_program_in_path (prog);
}

void
ct_init (int *argc, char ***argv, const gchar * const *extra,
    const gchar * why_missing)
{
  const gchar *sys;

  vt_init (argc, argv);
  sys = g_getenv ("VSOCKENC_SYSTEM_PLUGINS");
  for (guint i = 0; extra && extra[i]; i++) {
    gchar path[4096], why[1024];
    GError *err = NULL;
    GstPlugin *plugin;

    g_snprintf (path, sizeof (path), "%s/%s", sys, extra[i]);
    if (!g_file_test (path, G_FILE_TEST_EXISTS))
      ct_skip ("%s not found (%s)", path, why_missing);
    /* registers its features in the registry that vt_init() made */
    plugin = gst_plugin_load_file (path, &err);
    if (!plugin) {
      g_strlcpy (why, err->message, sizeof (why));
      g_error_free (err);
      ct_skip ("cannot load %s: %s (%s)", path, why, why_missing);
    }
    gst_object_unref (plugin);
  }
}

/* ---- child processes ---------------------------------------------------- */

static void
child_setup (gpointer data)
{
  /* never outlive the test (a failed assertion exits without cleanup) */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

gchar **
ct_child_env (const gchar * const *vars)
{
  static const gchar *const drop[] = {
    "GST_PLUGIN_SYSTEM_PATH", "GST_PLUGIN_SYSTEM_PATH_1_0",
    "GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0", "GST_REGISTRY",
    "GST_REGISTRY_1_0", "GST_REGISTRY_FORK", "G_DEBUG", "LD_PRELOAD", NULL
  };
  gchar **env = g_get_environ ();

  for (guint i = 0; drop[i]; i++)
    env = g_environ_unsetenv (env, drop[i]);
  for (guint i = 0; vars && vars[i]; i++) {
    const gchar *eq = strchr (vars[i], '=');
    g_autofree gchar *name = NULL;

    g_assert (eq != NULL);
    name = g_strndup (vars[i], eq - vars[i]);
    env = g_environ_setenv (env, name, eq + 1, TRUE);
  }
  return env;
}

CtProc *
ct_proc_start (const gchar * name, const gchar * const *argv, gchar ** envp,
    const gchar * dir, gint keep_fd)
{
  CtProc *p = g_new0 (CtProc, 1);
  g_autoptr (GError) err = NULL;
  gint src_fds[1] = { keep_fd }, dst_fds[1] = { 3 };
  gint fd;

  p->name = g_strdup (name);
  p->log = g_strdup_printf ("%s/%s.log", dir, name);
  fd = open (p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    g_printerr ("cannot create %s: %s\n", p->log, g_strerror (errno));
    goto failed;
  }
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, (const gchar * const *)
          envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH_FROM_ENVP,
          child_setup, NULL, -1, fd, fd, keep_fd >= 0 ? src_fds : NULL,
          keep_fd >= 0 ? dst_fds : NULL, keep_fd >= 0 ? 1 : 0, &p->pid,
          NULL, NULL, NULL, &err)) {
    g_printerr ("cannot start %s: %s\n", argv[0], err->message);
    close (fd);
    goto failed;
  }
  close (fd);
  return p;

failed:
  g_free (p->name);
  g_free (p->log);
  g_free (p);
  return NULL;
}

gint
ct_run (const gchar * const *argv, gchar ** envp, guint timeout_s,
    gchar ** out)
{
  g_autoptr (GError) err = NULL;
  GString *text = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s *
      G_USEC_PER_SEC;
  gint status = 0, fd = -1;
  gboolean reading = TRUE;
  GPid pid;

  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, (const gchar * const *)
          envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH_FROM_ENVP |
          G_SPAWN_STDERR_TO_DEV_NULL, child_setup, NULL, -1, -1, -1, NULL,
          NULL, 0, &pid, NULL, &fd, NULL, &err)) {
    g_printerr ("cannot run %s: %s\n", argv[0], err->message);
    g_string_free (text, TRUE);
    return -1;
  }
  while (reading) {
    struct pollfd pf = {.fd = fd,.events = POLLIN };
    gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
    gchar buf[4096];
    gssize n;

    if (left <= 0) {
      kill (pid, SIGKILL);
      break;
    }
    if (poll (&pf, 1, (gint) MIN (left, 1000)) <= 0)
      continue;
    n = read (fd, buf, sizeof (buf));
    if (n > 0)
      g_string_append_len (text, buf, n);
    else if (n == 0 || errno != EINTR)
      reading = FALSE;
  }
  close (fd);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  if (out)
    *out = g_string_free (text, FALSE);
  else
    g_string_free (text, TRUE);
  if (reading)
    return -1;                  /* timed out */
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

gboolean
ct_proc_alive (CtProc * p)
{
  if (!p->exited && waitpid (p->pid, &p->status, WNOHANG) == p->pid) {
    p->exited = TRUE;
    g_spawn_close_pid (p->pid);
  }
  return !p->exited;
}

void
ct_proc_print_log (CtProc * p)
{
  g_autofree gchar *text = NULL;

  if (!g_file_get_contents (p->log, &text, NULL, NULL))
    text = g_strdup ("(no log)\n");
  g_printerr ("---- %s (pid %d%s) ----\n%s---- end of %s ----\n", p->name,
      (gint) p->pid, p->exited ? ", exited" : "", text, p->name);
}

void
ct_proc_stop (CtProc * p)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (!p)
    return;
  if (ct_proc_alive (p)) {
    kill (p->pid, SIGTERM);
    while (ct_proc_alive (p) && g_get_monotonic_time () < deadline)
      g_usleep (10000);
    if (ct_proc_alive (p)) {
      g_printerr ("%s did not exit on SIGTERM: killed\n", p->name);
      kill (p->pid, SIGKILL);
      waitpid (p->pid, &p->status, 0);
      g_spawn_close_pid (p->pid);
      p->exited = TRUE;
    }
  }
  g_free (p->name);
  g_free (p->log);
  g_free (p);
}

gboolean
ct_wait_for (CtCondition cond, gpointer data, guint timeout_s,
    CtProc ** watch)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s *
      G_USEC_PER_SEC;

  for (;;) {
    gboolean dead = FALSE;

    if (cond (data))
      return TRUE;
    for (guint i = 0; watch && watch[i]; i++)
      if (!ct_proc_alive (watch[i])) {
        g_printerr ("%s exited (status 0x%x)\n", watch[i]->name,
            watch[i]->status);
        dead = TRUE;
      }
    if (dead || g_get_monotonic_time () > deadline) {
      for (guint i = 0; watch && watch[i]; i++)
        ct_proc_print_log (watch[i]);
      return FALSE;
    }
    g_usleep (20000);
  }
}


/* ---- the consumer pipeline ---------------------------------------------- */

static GMutex probe_lock;

gchar *
ct_mapping_of (gconstpointer addr)
{
  g_autofree gchar *maps = NULL;
  g_auto (GStrv) lines = NULL;
  guintptr a = (guintptr) addr;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return g_strdup ("?");
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    guint64 from, to;
    gchar *end, *path;

    from = g_ascii_strtoull (lines[i], &end, 16);
    if (*end != '-')
      continue;
    to = g_ascii_strtoull (end + 1, &end, 16);
    if (a < from || a >= to)
      continue;
    /* address perms offset dev inode path */
    path = strchr (lines[i], '/');
    if (!path)
      path = strchr (lines[i], '[');
    return g_strdup (path ? path : "an anonymous mapping");
  }
  return g_strdup ("no mapping");
}

static gchar *
describe_memory (GstBuffer * buf)
{
  GString *s = g_string_new (NULL);
  guint n = gst_buffer_n_memory (buf);

  g_string_append_printf (s, "%u memor%s", n, n == 1 ? "y" : "ies");
  for (guint i = 0; i < n; i++) {
    GstMemory *m = gst_buffer_peek_memory (buf, i);
    const gchar *type = m->allocator ? m->allocator->mem_type : "(none)";

    g_string_append_printf (s, "%s [%u] allocator %s (mem_type '%s'",
        i ? "," : ":", i, m->allocator ? GST_OBJECT_NAME (m->allocator) :
        "(none)", type ? type : "(null)");
    if (gst_is_dmabuf_memory (m))
      g_string_append (s, ", DMA-BUF");
    else if (gst_is_fd_memory (m))
      g_string_append (s, ", fd memory");
    else
      g_string_append (s, ", no fd");
    if (gst_is_fd_memory (m)) {
      gint fd = gst_fd_memory_get_fd (m);
      g_autofree gchar *link = g_strdup_printf ("/proc/self/fd/%d", fd);
      g_autofree gchar *target = g_file_read_link (link, NULL);

      g_string_append_printf (s, ", fd %d -> %s", fd,
          target ? target : "?");
    } else {
      GstMapInfo map;

      if (gst_memory_map (m, &map, GST_MAP_READ)) {
        g_autofree gchar *where = ct_mapping_of (map.data);

        g_string_append_printf (s, ", data in %s", where);
        gst_memory_unmap (m, &map);
      }
    }
    g_string_append_printf (s, ", %" G_GSIZE_FORMAT " bytes)", m->size);
  }
  return g_string_free (s, FALSE);
}

static GstPadProbeReturn
enc_sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  CtCapture *c = data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstMemory *m = gst_buffer_peek_memory (buf, 0);

    g_autofree gchar *where = NULL;

    /* where the pixels are: the file behind the fd, or the mapping that
     * holds the data */
    if (gst_is_fd_memory (m)) {
      g_autofree gchar *link = g_strdup_printf ("/proc/self/fd/%d",
          gst_fd_memory_get_fd (m));

      where = g_file_read_link (link, NULL);
    } else {
      GstMapInfo map;

      if (gst_memory_map (m, &map, GST_MAP_READ)) {
        where = ct_mapping_of (map.data);
        gst_memory_unmap (m, &map);
      }
    }
    g_mutex_lock (&probe_lock);
    c->n_in++;
    if (gst_is_dmabuf_memory (m))
      c->n_dmabuf_mem++;
    else if (gst_is_fd_memory (m))
      c->n_fd_mem++;
    else
      c->n_other_mem++;
    if (where && g_str_has_prefix (where, "/memfd:"))
      c->n_in_memfd++;
    if (!c->first_mem)
      c->first_mem = describe_memory (buf);
    g_mutex_unlock (&probe_lock);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;

      gst_event_parse_caps (ev, &caps);
      g_mutex_lock (&probe_lock);
      gst_caps_replace (&c->in_caps, caps);
      g_mutex_unlock (&probe_lock);
    }
  }
  return GST_PAD_PROBE_OK;
}

CtCapture *
ct_capture_new (const gchar * desc)
{
  CtCapture *c = g_new0 (CtCapture, 1);
  g_autoptr (GError) err = NULL;
  GstPad *pad;

  g_print ("consumer: %s\n", desc);
  c->pipeline = gst_parse_launch (desc, &err);
  fail_unless (c->pipeline != NULL && err == NULL,
      "cannot build the consumer pipeline: %s", err ? err->message : "?");
  c->enc = gst_bin_get_by_name (GST_BIN (c->pipeline), "enc");
  c->sink = gst_bin_get_by_name (GST_BIN (c->pipeline), "out");
  ck_assert (c->enc != NULL && c->sink != NULL);
  ck_assert (GST_IS_APP_SINK (c->sink));
  g_object_set (c->sink, "sync", FALSE, NULL);
  pad = gst_element_get_static_pad (c->enc, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, enc_sink_probe, c, NULL);
  gst_object_unref (pad);
  return c;
}

static void
print_logs (CtCapture * c)
{
  for (guint i = 0; i < G_N_ELEMENTS (c->logs) && c->logs[i]; i++) {
    ct_proc_alive (c->logs[i]);
    ct_proc_print_log (c->logs[i]);
  }
}

static void
fail_on_message (CtCapture * c, GstMessage * msg)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *dbg = NULL;
  g_autofree gchar *src = gst_object_get_path_string (msg->src);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, &dbg);
  else
    gst_message_parse_warning (msg, &err, &dbg);
  g_printerr ("%s from %s: %s\n%s\n", GST_MESSAGE_TYPE_NAME (msg), src,
      err->message, dbg ? dbg : "");
  /* an error anywhere fails; a warning only from vsockenc (it warns
   * about frames the host could not encode) */
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    print_logs (c);
    fail ("error from %s: %s", src, err->message);
  }
  if (GST_MESSAGE_SRC (msg) == GST_OBJECT (c->enc)) {
    print_logs (c);
    fail ("warning from %s: %s", src, err->message);
  }
}

static void
check_bus (CtCapture * c, GstBus * bus)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR |
              GST_MESSAGE_WARNING))) {
    fail_on_message (c, msg);
    gst_message_unref (msg);
  }
}

guint
ct_capture_run (CtCapture * c, guint timeout_s, CtFrameFunc func,
    gpointer data)
{
  GstBus *bus = gst_element_get_bus (c->pipeline);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s *
      G_USEC_PER_SEC;
  GstStateChangeReturn sret;
  g_autofree gchar *caps = NULL;
  guint n = 0;

  sret = gst_element_set_state (c->pipeline, GST_STATE_PLAYING);
  check_bus (c, bus);
  if (sret == GST_STATE_CHANGE_FAILURE)
    print_logs (c);
  fail_if (sret == GST_STATE_CHANGE_FAILURE, "consumer cannot start");
  for (;;) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (c->sink),
        100 * GST_MSECOND);

    check_bus (c, bus);
    if (s) {
      GstVideoInfo info;
      GstBuffer *buf = gst_sample_get_buffer (s);

      ck_assert (gst_video_info_from_caps (&info, gst_sample_get_caps (s)));
      fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&info),
          GST_VIDEO_FORMAT_BGRx);
      if (func)
        func (c, n, buf, &info, data);
      n++;
      gst_sample_unref (s);
      continue;
    }
    if (gst_app_sink_is_eos (GST_APP_SINK (c->sink)))
      break;
    if (g_get_monotonic_time () > deadline) {
      GstState state = GST_STATE_VOID_PENDING, pending;

      gst_element_get_state (c->pipeline, &state, &pending, 0);
      print_logs (c);
      fail ("no EOS within %u s: %u pictures decoded, %u buffers reached "
          "vsockenc, pipeline %s (pending %s)", timeout_s, n, c->n_in,
          gst_element_state_get_name (state),
          gst_element_state_get_name (pending));
    }
  }
  check_bus (c, bus);
  g_object_get (c->enc, "stats", &c->stats, NULL);
  gst_object_unref (bus);

  g_mutex_lock (&probe_lock);
  caps = c->in_caps ? gst_caps_to_string (c->in_caps) : g_strdup ("none");
  g_print ("vsockenc received %u buffers: %u fd memory, %u DMA-BUF, %u other"
      "\n  caps: %s\n  first buffer: %s\n", c->n_in, c->n_fd_mem,
      c->n_dmabuf_mem, c->n_other_mem, caps,
      c->first_mem ? c->first_mem : "(none)");
  g_mutex_unlock (&probe_lock);
  if (c->stats) {
    g_autofree gchar *s = gst_structure_to_string (c->stats);

    g_print ("vsockenc stats at EOS: %s\n", s);
  }
  g_print ("decoded %u pictures\n", n);
  return n;
}

void
ct_capture_free (CtCapture * c)
{
  gst_element_set_state (c->pipeline, GST_STATE_NULL);
  gst_object_unref (c->enc);
  gst_object_unref (c->sink);
  gst_object_unref (c->pipeline);
  gst_clear_caps (&c->in_caps);
  if (c->stats)
    gst_structure_free (c->stats);
  g_free (c->first_mem);
  g_free (c);
}

/* ---- pictures ------------------------------------------------------------ */

void
ct_mean_bgr (const GstVideoFrame * f, guint x, guint y, guint size,
    gdouble bgr[3])
{
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
  guint x0 = x - size / 2, y0 = y - size / 2;
  gdouble sum[3] = { 0, 0, 0 };

  ck_assert (x0 + size <= (guint) GST_VIDEO_FRAME_WIDTH (f)
      && y0 + size <= (guint) GST_VIDEO_FRAME_HEIGHT (f));
  for (guint j = 0; j < size; j++)
    for (guint i = 0; i < size; i++)
      for (guint ch = 0; ch < 3; ch++)
        sum[ch] += data[(gsize) (y0 + j) * stride + (x0 + i) * 4 + ch];
  for (guint ch = 0; ch < 3; ch++)
    bgr[ch] = sum[ch] / (size * size);
}

gdouble
ct_bgr_distance (const gdouble bgr[3], guint32 rgb)
{
  gdouble want[3] = { rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff };
  gdouble d = 0;

  for (guint ch = 0; ch < 3; ch++)
    d = MAX (d, ABS (bgr[ch] - want[ch]));
  return d;
}
