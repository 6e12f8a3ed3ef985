/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest encoder element benchmark (not a test). The same raw clip (BGRx,
 * made once by videotestsrc and kept in a file) goes through
 *   x264   videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast
 *          (what a guest does without hostenc: conversion and encoding on
 *          the guest's CPU),
 *   shm    vsockenc to hostencd through the shared-memory ring,
 *   inline vsockenc to hostencd with the pixels on the socket,
 * twice: as fast as it goes (throughput) and paced at the clip's rate by a
 * live source (latency as a desktop would see it). For each run: frames
 * per second, per-frame latency through the encoder (pad probes before and
 * after it, by timestamp), and CPU time of this process (the pipeline) and
 * of hostencd, per frame and as a share of one core.
 *
 * usage: bench-vsockenc [--hostencd PATH] [--frames N] [--size WxH]
 *                       [--depth N] [--keep DIR]
 * The plugin is found next to this program (build/gst); hostencd at
 * build/daemon/hostencd unless --hostencd says otherwise.
 */
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct
{
  const gchar *name;
  const gchar *desc;            /* the encoder part of the pipeline */
} Mode;

typedef struct
{
  gdouble fps, lat_mean, lat_p50, lat_p95, lat_max;     /* ms */
  gdouble cpu_ms, host_ms;      /* CPU per frame, ms */
  gdouble cpu_pct, host_pct;    /* share of one core */
  guint frames_out;
  gchar *path;                  /* vsockenc's frame-path */
} Result;

typedef struct
{
  guint w, h, n, depth, warmup, reps;
  GstClockTime dur;
  guint8 *clip;                 /* mmap of the raw file */
  gsize frame_size;
  gint64 *t_in, *t_out;         /* monotonic µs by frame index */
  gboolean live;
} Bench;

static gint64
cpu_us_self (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (gint64) ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
      (gint64) ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

static gint64
cpu_us_pid (GPid pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) f = NULL;
  const gchar *end;
  gint64 ticks;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  end = strrchr (text, ')');    /* the command name may hold spaces */
  if (!end)
    return 0;
  f = g_strsplit (end + 2, " ", 0);
  if (g_strv_length (f) < 13)
    return 0;
  /* fields 14 and 15 of stat; index 0 here is field 3 */
  ticks = g_ascii_strtoll (f[11], NULL, 10) + g_ascii_strtoll (f[12], NULL, 10);
  return ticks * 1000000 / sysconf (_SC_CLK_TCK);
}

/* By running time, which encoders keep (x264enc shifts its timestamps
 * and its segment by 1000 hours; the running time stays). */
static gint64
frame_index (Bench * b, GstPad * pad, GstBuffer * buf)
{
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg = NULL;
  guint64 rt = GST_CLOCK_TIME_NONE;

  if (ev) {
    gst_event_parse_segment (ev, &seg);
    rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    gst_event_unref (ev);
  }
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return -1;
  return (gint64) ((rt + b->dur / 2) / b->dur);
}

static GstPadProbeReturn
probe_in (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Bench *b = data;
  gint64 i = frame_index (b, pad, GST_PAD_PROBE_INFO_BUFFER (info));

  if (i >= 0 && i < b->n)
    b->t_in[i] = g_get_monotonic_time ();
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
probe_out (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Bench *b = data;
  gint64 i = frame_index (b, pad, GST_PAD_PROBE_INFO_BUFFER (info));

  if (i >= 0 && i < b->n)
    b->t_out[i] = g_get_monotonic_time ();
  return GST_PAD_PROBE_OK;
}

/* Feeds the clip: as fast as appsrc takes it, or at its frame rate. */
static gpointer
feeder (gpointer data)
{
  GstElement *src = data;
  Bench *b = g_object_get_data (G_OBJECT (src), "bench");
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < b->n; i++) {
    /* the clip's memory itself: no copy before the encoder */
    GstBuffer *buf = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY,
        b->clip + (gsize) i * b->frame_size, b->frame_size, 0,
        b->frame_size, NULL, NULL);

    if (b->live) {
      gint64 due = start + (gint64) (i * b->dur / GST_USECOND);
      gint64 now = g_get_monotonic_time ();

      if (due > now)
        g_usleep ((gulong) (due - now));
    }
    GST_BUFFER_PTS (buf) = i * b->dur;
    GST_BUFFER_DURATION (buf) = b->dur;
    if (gst_app_src_push_buffer (GST_APP_SRC (src), buf) != GST_FLOW_OK)
      break;
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  return NULL;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gboolean
run_mode (Bench * b, const Mode * m, GPid host, Result * r)
{
  g_autofree gchar *caps = g_strdup_printf ("video/x-raw,format=BGRx,"
      "width=%u,height=%u,framerate=%u/1", b->w, b->h,
      (guint) (GST_SECOND / b->dur));
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time "
      "is-live=%s block=true max-bytes=%" G_GSIZE_FORMAT " caps=%s ! %s ! "
      "fakesink sync=false", b->live ? "true" : "false", 2 * b->frame_size,
      caps, m->desc);
  g_autoptr (GError) err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstElement *src, *first, *enc;
  GstPad *in, *out;
  GstBus *bus;
  GstMessage *msg;
  GThread *th;
  gint64 t0, t1, c0, c1, h0, h1, first_in = 0, last_out = 0;
  GArray *lat = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gboolean ok = TRUE;

  if (!pipe) {
    g_printerr ("%s: %s\n", desc, err->message);
    return FALSE;
  }
  memset (b->t_in, 0, sizeof (gint64) * b->n);
  memset (b->t_out, 0, sizeof (gint64) * b->n);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  first = gst_bin_get_by_name (GST_BIN (pipe), "encin");
  enc = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  if (!first)
    first = gst_object_ref (enc);
  in = gst_element_get_static_pad (first, "sink");
  out = gst_element_get_static_pad (enc, "src");
  gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_BUFFER, probe_in, b, NULL);
  gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, probe_out, b, NULL);
  g_object_set_data (G_OBJECT (src), "bench", b);

  bus = gst_element_get_bus (pipe);
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_parse_error (msg, &err, NULL);
      g_printerr ("%s: %s\n", m->name, err->message);
      gst_message_unref (msg);
    }
    ok = FALSE;
    goto out;
  }
  t0 = g_get_monotonic_time ();
  c0 = cpu_us_self ();
  h0 = host ? cpu_us_pid (host) : 0;
  th = g_thread_new ("feeder", feeder, src);
  msg = gst_bus_timed_pop_filtered (bus, 600 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  t1 = g_get_monotonic_time ();
  c1 = cpu_us_self ();
  h1 = host ? cpu_us_pid (host) : 0;
  g_thread_join (th);
  if (!msg || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    if (msg) {
      gst_message_parse_error (msg, &err, NULL);
      g_printerr ("%s: %s\n", m->name, err->message);
    }
    ok = FALSE;
  }
  if (msg)
    gst_message_unref (msg);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (enc), "frame-path"))
    g_object_get (enc, "frame-path", &r->path, NULL);
  gst_element_set_state (pipe, GST_STATE_NULL);
  if (!ok)
    goto out;

  r->frames_out = 0;
  for (guint i = 0; i < b->n; i++) {
    if (!b->t_in[i] || !b->t_out[i])
      continue;
    r->frames_out++;
    if (i < b->warmup)          /* encoder creation and first IDRs */
      continue;
    gdouble ms = (b->t_out[i] - b->t_in[i]) / 1000.0;

    g_array_append_val (lat, ms);
    if (!first_in || b->t_in[i] < first_in)
      first_in = b->t_in[i];
    last_out = MAX (last_out, b->t_out[i]);
  }
  g_array_sort (lat, cmp_double);
  if (lat->len) {
    gdouble sum = 0;

    for (guint i = 0; i < lat->len; i++)
      sum += g_array_index (lat, gdouble, i);
    r->lat_mean = sum / lat->len;
    r->lat_p50 = g_array_index (lat, gdouble, lat->len / 2);
    r->lat_p95 = g_array_index (lat, gdouble, lat->len * 95 / 100);
    r->lat_max = g_array_index (lat, gdouble, lat->len - 1);
  }
  /* steady state: from the first frame in after the warm-up to the last
   * frame out (connecting and creating the encoder are not in it) */
  r->fps = last_out > first_in ? lat->len * 1e6 / (last_out - first_in) : 0;
  r->cpu_ms = (c1 - c0) / 1000.0 / b->n;
  r->host_ms = (h1 - h0) / 1000.0 / b->n;
  r->cpu_pct = 100.0 * (c1 - c0) / (t1 - t0);
  r->host_pct = 100.0 * (h1 - h0) / (t1 - t0);

out:
  g_array_unref (lat);
  gst_object_unref (in);
  gst_object_unref (out);
  gst_object_unref (first);
  gst_object_unref (enc);
  gst_object_unref (src);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return ok;
}

/* Each figure's median over @n runs (they need not come from one run). */
static void
median_result (Result * runs, guint n, Result * out)
{
#define MEDIAN(field) G_STMT_START {                                    \
    gdouble v[15];                                                      \
    for (guint k = 0; k < n; k++)                                       \
      v[k] = (gdouble) runs[k].field;                                   \
    qsort (v, n, sizeof (gdouble), cmp_double);                         \
    out->field = v[n / 2];                                              \
  } G_STMT_END
  MEDIAN (fps);
  MEDIAN (lat_mean);
  MEDIAN (lat_p50);
  MEDIAN (lat_p95);
  MEDIAN (lat_max);
  MEDIAN (cpu_ms);
  MEDIAN (host_ms);
  MEDIAN (cpu_pct);
  MEDIAN (host_pct);
  MEDIAN (frames_out);
#undef MEDIAN
  for (guint k = 0; k < n; k++)
    g_free (runs[k].path);
}

static gboolean
make_clip (Bench * b, const gchar * path)
{
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc pattern=smpte "
      "horizontal-speed=4 num-buffers=%u ! video/x-raw,format=BGRx,width=%u,"
      "height=%u,framerate=30/1 ! filesink location=%s", b->n, b->w, b->h,
      path);
  g_autoptr (GError) err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstBus *bus;
  GstMessage *msg;
  gboolean ok;

  if (!pipe) {
    g_printerr ("%s\n", err->message);
    return FALSE;
  }
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 600 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return ok;
}

static GPid
start_hostencd (const gchar * bin, const gchar * dir, gchar ** sock,
    gchar ** shm)
{
  g_autofree gchar *listen = NULL, *shm_arg = NULL, *log = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *argv[7];
  GPid pid = 0;
  gint fd;

  *sock = g_build_filename (dir, "hostencd.sock", NULL);
  /* tmpfs, as QEMU's memory-backend-file for ivshmem usually is: a
   * shared mapping of a disk file would also pay for writeback */
  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR))
    *shm = g_strdup_printf ("/dev/shm/vsockenc-bench-%d.shm", getpid ());
  else
    *shm = g_build_filename (dir, "shm.bin", NULL);
  fd = open (*shm, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate (fd, 256 << 20) < 0) {
    g_printerr ("%s: %s\n", *shm, g_strerror (errno));
    return 0;
  }
  close (fd);
  listen = g_strdup_printf ("--listen=unix:%s", *sock);
  shm_arg = g_strdup_printf ("--shm=%s", *shm);
  log = g_build_filename (dir, "hostencd.log", NULL);
  argv[0] = bin;
  argv[1] = "--no-pattern";
  argv[2] = listen;
  argv[3] = shm_arg;
  argv[4] = "--max-inflight=16";
  argv[5] = "--no-vms";
  argv[6] = NULL;
  fd = open (log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (!g_spawn_async_with_fds (NULL, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, -1, fd, fd, &err)) {
    g_printerr ("cannot start %s: %s\n", bin, err->message);
    return 0;
  }
  close (fd);
  for (gint i = 0; i < 3000; i++) {     /* up to 30 s */
    g_autofree gchar *text = NULL;

    if (g_file_get_contents (log, &text, NULL, NULL) && strstr (text, "ready"))
      return pid;
    g_usleep (10000);
  }
  g_printerr ("hostencd did not start; see %s\n", log);
  kill (pid, SIGKILL);
  return 0;
}

static void
print_table (Bench * b, const Mode * modes, Result res[][3], guint n_modes)
{
  printf ("\n%ux%u BGRx, %u frames at %u fps, vsockenc max-inflight=%u; "
      "fps and latency leave out the first %u frames (encoder set-up), CPU "
      "counts every frame; medians of %u runs\n\n", b->w, b->h, b->n,
      (guint) (GST_SECOND / b->dur), b->depth, b->warmup, b->reps);
  printf ("| run | encoder | frames out | fps | latency mean / p50 / p95 / "
      "max (ms) | pipeline CPU ms/frame (%% core) | hostencd CPU ms/frame "
      "(%% core) | total CPU ms/frame |\n");
  printf ("|---|---|---|---|---|---|---|---|\n");
  for (guint live = 0; live < 2; live++)
    for (guint i = 0; i < n_modes; i++) {
      Result *r = &res[live][i];

      printf ("| %s | %s | %u | %.1f | %.1f / %.1f / %.1f / %.1f | "
          "%.2f (%.0f%%) | ", live ? "live 30 fps" : "throughput",
          modes[i].name, r->frames_out, r->fps, r->lat_mean, r->lat_p50, r->lat_p95,
          r->lat_max, r->cpu_ms, r->cpu_pct);
      if (i == 0)
        printf ("- | %.2f |\n", r->cpu_ms);
      else
        printf ("%.2f (%.0f%%) | %.2f |\n", r->host_ms, r->host_pct,
            r->cpu_ms + r->host_ms);
    }
}

int
main (int argc, char **argv)
{
  g_autofree gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *self_dir = g_path_get_dirname (exe ? exe : argv[0]);
  g_autofree gchar *hostencd = NULL, *size = NULL, *keep = NULL;
  g_autofree gchar *dir = NULL, *clip = NULL, *sock = NULL, *shm = NULL;
  gint frames = 300, depth = 2, repeat = 1;
  GOptionEntry entries[] = {
    {"hostencd", 0, 0, G_OPTION_ARG_FILENAME, &hostencd,
        "hostencd to run (default: ../daemon/hostencd from this program)",
        "PATH"},
    {"frames", 'n', 0, G_OPTION_ARG_INT, &frames, "Frames (default 300)", "N"},
    {"size", 's', 0, G_OPTION_ARG_STRING, &size,
        "Frame size (default 1920x1080)", "WxH"},
    {"depth", 'd', 0, G_OPTION_ARG_INT, &depth,
        "vsockenc max-inflight (default 2)", "N"},
    {"repeat", 'r', 0, G_OPTION_ARG_INT, &repeat,
        "Run each case N times, interleaved, and report the medians "
        "(default 1)", "N"},
    {"keep", 0, 0, G_OPTION_ARG_FILENAME, &keep,
        "Work in DIR and keep the clip and hostencd's log", "DIR"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- vsockenc "
      "benchmark: x264enc in the guest vs hostencd over shm and inline");
  g_autoptr (GError) err = NULL;
  g_autofree gchar *x264_desc = NULL, *shm_desc = NULL, *inline_desc = NULL;
  Bench b = { 0 };
  Result res[2][3] = { {{0}} };
  GPid host;
  gint fd;
  struct stat st;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  if (!g_getenv ("GST_PLUGIN_PATH"))
    g_setenv ("GST_PLUGIN_PATH", self_dir, TRUE);
  if (!hostencd)
    hostencd = g_build_filename (self_dir, "..", "daemon", "hostencd", NULL);
  gst_init (&argc, &argv);
  b.w = 1920;
  b.h = 1080;
  if (size && sscanf (size, "%ux%u", &b.w, &b.h) != 2) {
    g_printerr ("--size WxH\n");
    return 2;
  }
  b.n = (guint) MAX (frames, 20);
  b.warmup = 10;
  b.depth = (guint) CLAMP (depth, 1, 16);
  b.dur = GST_SECOND / 30;
  b.frame_size = (gsize) b.w * b.h * 4;
  b.t_in = g_new0 (gint64, b.n);
  b.t_out = g_new0 (gint64, b.n);

  dir = keep ? g_strdup (keep) : g_dir_make_tmp ("vsockenc-bench-XXXXXX",
      NULL);
  g_mkdir_with_parents (dir, 0700);
  clip = g_build_filename (dir, "clip.bgrx", NULL);
  fprintf (stderr, "making the clip (%u frames) in %s\n", b.n, clip);
  if (!make_clip (&b, clip))
    return 1;
  fd = open (clip, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0 || (gsize) st.st_size < b.frame_size * b.n)
    return 1;
  b.clip = mmap (NULL, b.frame_size * b.n, PROT_READ, MAP_SHARED, fd, 0);
  close (fd);
  if (b.clip == MAP_FAILED)
    return 1;
  /* fault the whole clip in once, so no run pays for reading it */
  for (gsize off = 0; off < b.frame_size * b.n; off += 4096)
    ((volatile guint8 *) b.clip)[off];

  host = start_hostencd (hostencd, dir, &sock, &shm);
  if (!host)
    return 1;
  x264_desc = g_strdup ("videoconvert name=encin ! x264enc name=enc "
      "tune=zerolatency speed-preset=ultrafast");
  shm_desc = g_strdup_printf ("vsockenc name=enc host=unix:%s shm-path=%s "
      "max-inflight=%u", sock, shm, b.depth);
  inline_desc = g_strdup_printf ("vsockenc name=enc host=unix:%s "
      "max-inflight=%u", sock, b.depth);
  {
    const Mode modes[3] = {
      {"x264enc (guest CPU)", x264_desc},
      {"vsockenc shm", shm_desc},
      {"vsockenc inline", inline_desc},
    };

    guint reps = b.reps = (guint) CLAMP (repeat, 1, 15);
    Result all[2][3][15];

    memset (all, 0, sizeof (all));
    for (guint rep = 0; rep < reps; rep++)
      for (guint live = 0; live < 2; live++) {
        b.live = live;
        for (guint i = 0; i < 3; i++) {
          fprintf (stderr, "%s, %s (%u/%u) ...\n", modes[i].name,
              live ? "live" : "throughput", rep + 1, reps);
          if (!run_mode (&b, &modes[i], i ? host : 0, &all[live][i][rep]))
            fprintf (stderr, "  failed\n");
          else if (all[live][i][rep].path)
            fprintf (stderr, "  frame path: %s\n", all[live][i][rep].path);
        }
      }
    for (guint live = 0; live < 2; live++)
      for (guint i = 0; i < 3; i++)
        median_result (all[live][i], reps, &res[live][i]);
    print_table (&b, modes, res, 3);
  }
  kill (host, SIGTERM);
  waitpid (host, NULL, 0);
  munmap (b.clip, b.frame_size * b.n);
  unlink (shm);
  if (!keep) {
    unlink (clip);
    {
      g_autofree gchar *log = g_build_filename (dir, "hostencd.log", NULL);

      unlink (log);
    }
    rmdir (dir);
  }
  g_free (b.t_in);
  g_free (b.t_out);
  return 0;
}
