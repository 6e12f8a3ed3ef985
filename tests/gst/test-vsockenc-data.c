/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockenc data tests with GstHarness and a real hostencd: pictures survive
 * the round trip (decoded and compared), timestamps are kept, forced key
 * units come out as IDRs, every input format and both frame paths work. */
#include "vsockenc-test.h"

#include <gst/app/gstappsink.h>

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define W 320
#define H 240
#define FPS 30
#define DUR (GST_SECOND / FPS)
#define N_FRAMES 30

/* Measured here: 35-36 dB at 320x240 and 176x144, 31-32 dB at 100x60 and
 * 98x50. The floor is 4:2:0 chroma subsampling of the sharp-edged moving
 * box (RGB PSNR), not the bitrate. A wrong stride, plane offset, channel
 * order or a decoded frame paired with the wrong input falls far below
 * 20 dB; the neighbour check below catches reordering on its own. */
#define MIN_PSNR 30.0

typedef struct
{
  VtHost *host;
  GstHarness *h;
  GstElement *enc;
  GstBus *bus;
  GPtrArray *inputs;
} Fixture;

/* Host and element; properties can be set before fixture_play(). */
static void
fixture_init (Fixture * f, const VtHostOptions * ho, gboolean shm)
{
  memset (f, 0, sizeof (*f));
  f->host = vt_host_start (ho);
  f->enc = vt_make_enc (f->host, shm);
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->enc, f->bus);
  f->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
}

/* The harness sets the element PLAYING: start() connects. A live
 * harness (its default) makes vsockenc wait for each reply within the
 * frame interval; otherwise it pipelines. */
static void
fixture_play_full (Fixture * f, const gchar * caps, gboolean live)
{
  f->h = gst_harness_new_with_element (f->enc, "sink", "src");
  gst_harness_set_live (f->h, live);
  gst_harness_set_src_caps_str (f->h, caps);
}

static void
fixture_play (Fixture * f, const gchar * caps)
{
  fixture_play_full (f, caps, TRUE);
}

static void
fixture_start (Fixture * f, const VtHostOptions * ho, gboolean shm,
    const gchar * caps)
{
  fixture_init (f, ho, shm);
  fixture_play (f, caps);
}

static void
fixture_stop (Fixture * f)
{
  gst_harness_teardown (f->h);
  gst_element_set_bus (f->enc, NULL);
  gst_object_unref (f->enc);
  gst_object_unref (f->bus);
  g_ptr_array_unref (f->inputs);
  vt_host_stop (f->host);
}

static void
push_frames (Fixture * f, guint from, guint n, GstClockTime base)
{
  for (guint i = from; i < from + n; i++) {
    GstBuffer *b = vt_make_bgrx (W, H, i);

    GST_BUFFER_PTS (b) = base + i * DUR;
    GST_BUFFER_DURATION (b) = DUR;
    g_ptr_array_add (f->inputs, gst_buffer_ref (b));
    fail_unless_equals_int (gst_harness_push (f->h, b), GST_FLOW_OK);
  }
}

static GstCaps *
output_caps (GstHarness * h)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);

  ck_assert (caps != NULL);
  return caps;
}

/* Decode @out and compare every picture with its own input (and check
 * that it matches it better than its neighbours: no reordering). */
static void
check_pictures (GPtrArray * inputs, GPtrArray * out, GstCaps * caps)
{
  GPtrArray *dec = vt_decode (out, caps);
  gdouble worst = 99.0;

  fail_unless_equals_int (dec->len, out->len);
  for (guint i = 0; i < dec->len; i++) {
    gdouble p = vt_psnr_bgrx (g_ptr_array_index (dec, i),
        g_ptr_array_index (inputs, i), W, H);

    worst = MIN (worst, p);
    fail_unless (p >= MIN_PSNR, "frame %u: PSNR %.1f dB < %.1f", i, p,
        MIN_PSNR);
    if (i > 0)
      fail_unless (vt_psnr_bgrx (g_ptr_array_index (dec, i),
              g_ptr_array_index (inputs, i - 1), W, H) < p - 3.0,
          "frame %u looks like its predecessor", i);
  }
  GST_INFO ("%u frames, worst PSNR %.1f dB", dec->len, worst);
  g_ptr_array_unref (dec);
}

static void
check_frame_path (Fixture * f, const gchar * want)
{
  GstMessage *m;
  gchar *path = NULL;
  const GstStructure *s;

  g_object_get (f->enc, "frame-path", &path, NULL);
  fail_unless_equals_string (path, want);
  g_free (path);
  /* and the element message that announced it */
  while ((m = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ELEMENT))) {
    s = gst_message_get_structure (m);
    if (gst_structure_has_name (s, "vsockenc-frame-path")) {
      fail_unless_equals_string (gst_structure_get_string (s, "path"), want);
      gst_message_unref (m);
      return;
    }
    gst_message_unref (m);
  }
  fail ("no vsockenc-frame-path message");
}

/* @live: the harness answers latency queries as a live source, so
 * vsockenc waits for each reply within the frame interval; otherwise it
 * pipelines (the reply of frame N is taken with frame N + 1). */
static void
roundtrip (gboolean shm, gboolean live)
{
  VtHostOptions ho = {.shm = shm };
  Fixture f;
  GPtrArray *out;
  GstCaps *caps;
  GstStructure *s;
  gint w = 0, h = 0;

  fixture_init (&f, &ho, shm);
  fixture_play_full (&f, "video/x-raw,format=BGRx,width=320,height=240,"
      "framerate=30/1", live);
  push_frames (&f, 0, N_FRAMES, 0);
  /* two in flight: at most one frame is still with the host */
  fail_unless (gst_harness_buffers_received (f.h) >= N_FRAMES - 1, "%u out",
      gst_harness_buffers_received (f.h));
  ck_assert (gst_harness_push_event (f.h, gst_event_new_eos ()));
  out = vt_pull_all (f.h, N_FRAMES);
  check_frame_path (&f, shm ? "shm" : "inline");

  caps = output_caps (f.h);
  s = gst_caps_get_structure (caps, 0);
  ck_assert (gst_structure_has_name (s, "video/x-h264"));
  fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
      "byte-stream");
  fail_unless_equals_string (gst_structure_get_string (s, "alignment"), "au");
  fail_unless_equals_string (gst_structure_get_string (s, "profile"),
      "constrained-baseline");
  ck_assert (gst_structure_get_int (s, "width", &w) && w == W);
  ck_assert (gst_structure_get_int (s, "height", &h) && h == H);

  for (guint i = 0; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    gboolean key = !GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);

    /* hostencd's GOP is 10 s: only the first frame is an IDR */
    fail_unless_equals_int (key, i == 0);
    fail_unless_equals_int (vt_au_has_idr (b), i == 0);
  }
  check_pictures (f.inputs, out, caps);
  if (shm) {
    guint64 copied = 0, in_place = 0;

    /* the harness brings its own memory: each frame is copied into a slot */
    g_object_get (f.enc, "stats", &s, NULL);
    ck_assert (gst_structure_get_uint64 (s, "frames-copied", &copied));
    ck_assert (gst_structure_get_uint64 (s, "frames-in-place", &in_place));
    fail_unless_equals_uint64 (copied, N_FRAMES);
    fail_unless_equals_uint64 (in_place, 0);
    gst_structure_free (s);
  }
  gst_caps_unref (caps);
  g_ptr_array_unref (out);
  fixture_stop (&f);
}

/* All buffers of @desc's appsink "sink" until EOS. */
static GPtrArray *
run_to_eos (const gchar * desc, GstElement ** keep_enc)
{
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *sample;

  ck_assert (pipe != NULL && sink != NULL);
  ck_assert (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              VT_TIMEOUT_S * GST_SECOND))) {
    g_ptr_array_add (out, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  ck_assert (gst_app_sink_is_eos (GST_APP_SINK (sink)));
  if (keep_enc)
    *keep_enc = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return out;
}

/* videotestsrc draws into the buffers vsockenc proposes, which are the
 * ring's slots: no frame is copied in the guest, and the pictures are
 * videotestsrc's. */
GST_START_TEST (test_ring_in_place)
{
  VtHostOptions ho = {.shm = TRUE };
  VtHost *host = vt_host_start (&ho);
  const gchar *src = "videotestsrc num-buffers=30 pattern=ball ! "
      "video/x-raw,format=BGRx,width=320,height=240,framerate=30/1";
  g_autofree gchar *desc = g_strdup_printf ("%s ! vsockenc name=enc host=%s "
      "shm-path=%s ! appsink name=sink sync=false", src, host->address,
      host->shm);
  g_autofree gchar *ref_desc = g_strdup_printf ("%s ! appsink name=sink "
      "sync=false", src);
  GstElement *enc = NULL;
  GPtrArray *out = run_to_eos (desc, &enc);
  GPtrArray *ref = run_to_eos (ref_desc, NULL);
  GstCaps *caps = gst_caps_from_string ("video/x-h264,stream-format=byte-stream,"
      "alignment=au,width=320,height=240,framerate=30/1");
  GstStructure *s = NULL;
  guint64 copied = 1, in_place = 0;

  fail_unless_equals_int (out->len, 30);
  fail_unless_equals_int (ref->len, 30);
  check_pictures (ref, out, caps);
  g_object_get (enc, "stats", &s, NULL);
  ck_assert (gst_structure_get_uint64 (s, "frames-copied", &copied));
  ck_assert (gst_structure_get_uint64 (s, "frames-in-place", &in_place));
  GST_INFO ("copied %" G_GUINT64_FORMAT ", in place %" G_GUINT64_FORMAT,
      copied, in_place);
  fail_unless_equals_uint64 (copied, 0);
  fail_unless_equals_uint64 (in_place, 30);
  gst_structure_free (s);
  gst_caps_unref (caps);
  gst_object_unref (enc);
  g_ptr_array_unref (out);
  g_ptr_array_unref (ref);
  vt_host_stop (host);
}

GST_END_TEST

GST_START_TEST (test_roundtrip_inline)
{
  roundtrip (FALSE, FALSE);
}

GST_END_TEST

GST_START_TEST (test_roundtrip_shm)
{
  roundtrip (TRUE, FALSE);
}

GST_END_TEST

GST_START_TEST (test_roundtrip_inline_live)
{
  roundtrip (FALSE, TRUE);
}

GST_END_TEST

GST_START_TEST (test_roundtrip_shm_live)
{
  roundtrip (TRUE, TRUE);
}

GST_END_TEST

/* shm-path set but use-shm=false, and shm-path set with a host that does
 * not offer the path: inline both times, the second with a warning. */
GST_START_TEST (test_path_fallbacks)
{
  static const gchar caps[] = "video/x-raw,format=BGRx,width=320,"
      "height=240,framerate=30/1";
  VtHostOptions with_shm = {.shm = TRUE };
  Fixture f;
  GPtrArray *out;
  GstMessage *m;
  GError *err = NULL;
  g_autofree gchar *shm_file = NULL;
  gint fd;

  fixture_init (&f, &with_shm, TRUE);
  g_object_set (f.enc, "use-shm", FALSE, NULL);
  fixture_play (&f, caps);
  push_frames (&f, 0, 3, 0);
  ck_assert (gst_harness_push_event (f.h, gst_event_new_eos ()));
  out = vt_pull_all (f.h, 3);
  g_ptr_array_unref (out);
  check_frame_path (&f, "inline");
  ck_assert (gst_bus_pop_filtered (f.bus, GST_MESSAGE_WARNING) == NULL);
  fixture_stop (&f);

  /* a host without --shm: inline, and a warning says why */
  fixture_init (&f, NULL, FALSE);
  shm_file = g_build_filename (f.host->dir, "guest-shm.bin", NULL);
  fd = g_open (shm_file, O_RDWR | O_CREAT, 0600);
  ck_assert (fd >= 0 && ftruncate (fd, 16 << 20) == 0);
  close (fd);
  g_object_set (f.enc, "shm-path", shm_file, NULL);
  fixture_play (&f, caps);
  push_frames (&f, 0, 3, 0);
  ck_assert (gst_harness_push_event (f.h, gst_event_new_eos ()));
  out = vt_pull_all (f.h, 3);
  g_ptr_array_unref (out);
  m = gst_bus_pop_filtered (f.bus, GST_MESSAGE_WARNING);
  fail_unless (m != NULL, "no warning about the missing shared memory");
  gst_message_parse_warning (m, &err, NULL);
  fail_unless (strstr (err->message, "Not using shared memory") != NULL,
      "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (m);
  check_frame_path (&f, "inline");
  fixture_stop (&f);
}

GST_END_TEST

GST_START_TEST (test_timestamps)
{
  const GstClockTime base = 5 * GST_SECOND + 123;
  Fixture f;
  GPtrArray *out;

  fixture_start (&f, NULL, FALSE, "video/x-raw,format=BGRx,width=320,"
      "height=240,framerate=30/1");
  push_frames (&f, 0, 20, base);
  ck_assert (gst_harness_push_event (f.h, gst_event_new_eos ()));
  out = vt_pull_all (f.h, 20);
  for (guint i = 0; i < out->len; i++) {
    GstBuffer *in = g_ptr_array_index (f.inputs, i);
    GstBuffer *b = g_ptr_array_index (out, i);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), GST_BUFFER_PTS (in));
    fail_unless_equals_uint64 (GST_BUFFER_DTS (b), GST_BUFFER_PTS (in));
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (b),
        GST_BUFFER_DURATION (in));
  }
  g_ptr_array_unref (out);
  fixture_stop (&f);
}

GST_END_TEST

static gboolean
is_force_key_unit (GstEvent * e)
{
  return GST_EVENT_TYPE (e) == GST_EVENT_CUSTOM_DOWNSTREAM &&
      gst_video_event_is_force_key_unit (e);
}

/* Upstream and downstream force-key-unit events: the next output is an
 * IDR without DELTA_UNIT, announced downstream; the rest stay P frames. */
GST_START_TEST (test_force_key_unit)
{
  Fixture f;
  GPtrArray *out;
  GstEvent *e;
  guint fku_events = 0;

  fixture_start (&f, NULL, FALSE, "video/x-raw,format=BGRx,width=320,"
      "height=240,framerate=30/1");
  push_frames (&f, 0, 10, 0);
  ck_assert (gst_harness_push_upstream_event (f.h,
          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
              TRUE, 1)));
  push_frames (&f, 10, 10, 0);
  ck_assert (gst_harness_push_event (f.h,
          gst_video_event_new_downstream_force_key_unit (GST_CLOCK_TIME_NONE,
              GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, TRUE, 2)));
  push_frames (&f, 20, 10, 0);
  ck_assert (gst_harness_push_event (f.h, gst_event_new_eos ()));
  out = vt_pull_all (f.h, 30);
  for (guint i = 0; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    gboolean want = i == 0 || i == 10 || i == 20;

    fail_unless_equals_int (!GST_BUFFER_FLAG_IS_SET (b,
            GST_BUFFER_FLAG_DELTA_UNIT), want);
    fail_unless_equals_int (vt_au_has_idr (b), want);
  }
  while ((e = gst_harness_try_pull_event (f.h))) {
    fku_events += is_force_key_unit (e);
    gst_event_unref (e);
  }
  fail_unless_equals_int (fku_events, 2);
  {
    GstCaps *caps = output_caps (f.h);

    check_pictures (f.inputs, out, caps);
    gst_caps_unref (caps);
  }
  g_ptr_array_unref (out);
  fixture_stop (&f);
}

GST_END_TEST

/* key-int-max: the element forces an IDR every N frames. */
GST_START_TEST (test_key_int_max)
{
  Fixture f;
  GPtrArray *out;

  fixture_init (&f, NULL, FALSE);
  g_object_set (f.enc, "key-int-max", 8, NULL);
  fixture_play (&f, "video/x-raw,format=BGRx,width=320,height=240,"
      "framerate=30/1");
  push_frames (&f, 0, 20, 0);
  ck_assert (gst_harness_push_event (f.h, gst_event_new_eos ()));
  out = vt_pull_all (f.h, 20);
  for (guint i = 0; i < out->len; i++)
    fail_unless_equals_int (vt_au_has_idr (g_ptr_array_index (out, i)),
        i % 8 == 0);
  g_ptr_array_unref (out);
  fixture_stop (&f);
}

GST_END_TEST

/* Each input format, through videoconvert from the same BGRx pictures;
 * sizes that need repacking (I420 chroma stride, odd NV12 height) too. */
static void
check_format (VtHost * host, const gchar * format, guint w, guint h,
    gboolean shm)
{
  g_autofree gchar *desc = g_strdup_printf ("videoconvert ! "
      "video/x-raw,format=%s ! vsockenc name=enc bitrate=1000000 host=%s%s%s",
      format,
      host->address, shm ? " shm-path=" : "", shm ? host->shm : "");
  g_autofree gchar *in_caps = g_strdup_printf ("video/x-raw,format=BGRx,"
      "width=%u,height=%u,framerate=30/1", w, h);
  GstHarness *hn = gst_harness_new_parse (desc);
  GstElement *enc = gst_bin_get_by_name (GST_BIN (hn->element), "enc");
  GPtrArray *inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GPtrArray *out, *dec;
  GstPad *sink = gst_element_get_static_pad (enc, "sink");
  GstCaps *caps;
  gint cw = 0, ch = 0;
  gdouble worst = 99.0;

  gst_harness_set_src_caps_str (hn, in_caps);
  for (guint i = 0; i < 8; i++) {
    GstBuffer *b = vt_make_bgrx (w, h, i);

    GST_BUFFER_PTS (b) = i * DUR;
    GST_BUFFER_DURATION (b) = DUR;
    g_ptr_array_add (inputs, gst_buffer_ref (b));
    fail_unless_equals_int (gst_harness_push (hn, b), GST_FLOW_OK);
  }
  ck_assert (gst_harness_push_event (hn, gst_event_new_eos ()));
  out = vt_pull_all (hn, 8);

  caps = gst_pad_get_current_caps (sink);
  fail_unless_equals_string (gst_structure_get_string
      (gst_caps_get_structure (caps, 0), "format"), format);
  gst_caps_unref (caps);
  caps = output_caps (hn);
  ck_assert (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "width", &cw) && cw == (gint) w);
  ck_assert (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "height", &ch) && ch == (gint) h);
  dec = vt_decode (out, caps);
  fail_unless_equals_int (dec->len, 8);
  for (guint i = 0; i < dec->len; i++) {
    gdouble p = vt_psnr_bgrx (g_ptr_array_index (dec, i),
        g_ptr_array_index (inputs, i), w, h);

    worst = MIN (worst, p);
    fail_unless (p >= MIN_PSNR, "%s %ux%u frame %u: PSNR %.1f dB",
        format, w, h, i, p);
  }
  GST_INFO ("%s %ux%u %s: worst PSNR %.1f dB", format, w, h,
      shm ? "shm" : "inline", worst);
  {
    gchar *path = NULL;

    g_object_get (enc, "frame-path", &path, NULL);
    fail_unless_equals_string (path, shm ? "shm" : "inline");
    g_free (path);
  }
  gst_caps_unref (caps);
  g_ptr_array_unref (dec);
  g_ptr_array_unref (out);
  g_ptr_array_unref (inputs);
  gst_object_unref (sink);
  gst_object_unref (enc);
  gst_harness_teardown (hn);
}

GST_START_TEST (test_formats)
{
  static const gchar *const fmts[] = { "BGRx", "BGRA", "RGBx", "RGBA",
    "NV12", "I420"
  };
  VtHostOptions ho = {.shm = TRUE };
  VtHost *host = vt_host_start (&ho);

  for (guint i = 0; i < G_N_ELEMENTS (fmts); i++) {
    check_format (host, fmts[i], 176, 144, FALSE);
    check_format (host, fmts[i], 176, 144, TRUE);
  }
  /* layouts GStreamer pads differently from HXFR: repacked */
  check_format (host, "I420", 100, 60, FALSE);
  check_format (host, "I420", 100, 60, TRUE);
  check_format (host, "NV12", 98, 50, FALSE);
  check_format (host, "BGRx", 100, 50, TRUE);
  vt_host_stop (host);
}

GST_END_TEST

/* A flush discards what is in flight without desynchronising the
 * connection; the stream restarts with an IDR. */
GST_START_TEST (test_flush)
{
  Fixture f;
  GPtrArray *out;
  GstSegment seg;
  guint n, first_after;

  fixture_start (&f, NULL, FALSE, "video/x-raw,format=BGRx,width=320,"
      "height=240,framerate=30/1");
  push_frames (&f, 0, 6, 0);
  ck_assert (gst_harness_push_event (f.h, gst_event_new_flush_start ()));
  ck_assert (gst_harness_push_event (f.h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  ck_assert (gst_harness_push_event (f.h, gst_event_new_segment (&seg)));
  /* what came out before the flush */
  out = vt_pull_all (f.h, 0);
  first_after = out->len;
  fail_unless (first_after >= 4 && first_after <= 6, "%u before the flush",
      first_after);
  g_ptr_array_unref (out);
  push_frames (&f, 6, 10, 0);
  ck_assert (gst_harness_push_event (f.h, gst_event_new_eos ()));
  out = vt_pull_all (f.h, 10);
  n = out->len;
  ck_assert (vt_au_has_idr (g_ptr_array_index (out, 0)));
  for (guint i = 1; i < n; i++)
    ck_assert (!vt_au_has_idr (g_ptr_array_index (out, i)));
  for (guint i = 0; i < n; i++)
    fail_unless_equals_uint64 (GST_BUFFER_PTS (g_ptr_array_index (out, i)),
        (6 + i) * DUR);
  g_ptr_array_unref (out);
  ck_assert (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fixture_stop (&f);
}

GST_END_TEST

/* The latency query answers a real figure. The harness is a live source:
 * vsockenc waits for each reply within the frame interval, so its latency
 * is the measured round trip. */
GST_START_TEST (test_latency_live)
{
  Fixture f;
  GPtrArray *out;
  GstQuery *q;
  GstClockTime min = 0, max = 0;
  gboolean live = FALSE;
  GstStructure *stats = NULL;
  guint64 rtt_min = 0, rtt_max = 0, encoded = 0;

  fixture_start (&f, NULL, FALSE, "video/x-raw,format=BGRx,width=320,"
      "height=240,framerate=30/1");
  push_frames (&f, 0, 40, 0);
  q = gst_query_new_latency ();
  ck_assert (gst_pad_peer_query (f.h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  GST_INFO ("latency %" GST_TIME_FORMAT " .. %" GST_TIME_FORMAT,
      GST_TIME_ARGS (min), GST_TIME_ARGS (max));
  ck_assert (live);
  /* vsockenc's own share of it */
  gst_video_encoder_get_latency (GST_VIDEO_ENCODER (f.enc), &min, &max);
  g_object_get (f.enc, "stats", &stats, NULL);
  ck_assert (gst_structure_get_uint64 (stats, "rtt-min", &rtt_min));
  ck_assert (gst_structure_get_uint64 (stats, "rtt-max", &rtt_max));
  ck_assert (gst_structure_get_uint64 (stats, "frames-encoded", &encoded));
  gst_structure_free (stats);
  ck_assert (rtt_min > 0 && rtt_max < 2 * GST_SECOND);
  /* the round trip; a frame interval if replies take longer than the
   * 25 ms vsockenc waits for them */
  fail_unless (min >= rtt_min && min <= MAX (rtt_max, DUR), "latency %"
      GST_TIME_FORMAT
      " outside the measured %" GST_TIME_FORMAT " .. %" GST_TIME_FORMAT,
      GST_TIME_ARGS (min), GST_TIME_ARGS (rtt_min), GST_TIME_ARGS (rtt_max));
  ck_assert (max >= min);
  /* and each frame came out within its own handle_frame */
  ck_assert (encoded >= 39);
  fail_unless (gst_harness_buffers_received (f.h) >= 39, "%u out",
      gst_harness_buffers_received (f.h));
  ck_assert (gst_harness_push_event (f.h, gst_event_new_eos ()));
  out = vt_pull_all (f.h, 0);
  g_ptr_array_unref (out);
  fixture_stop (&f);
}

GST_END_TEST

/* From a non-live source frames are pipelined: frame N leaves with frame
 * N + 1, so the latency is at least one frame interval (two in flight). */
GST_START_TEST (test_latency_pipelined)
{
  VtHost *host = vt_host_start (NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! vsockenc name=enc "
      "host=%s ! fakesink", host->address);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *enc = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  GstPad *src = gst_element_get_static_pad (enc, "src");
  GstClockTime min = 0, max = 0;
  gboolean live = TRUE;
  GstQuery *q;

  gst_element_set_state (pipe, GST_STATE_PAUSED);
  fail_unless_equals_int (gst_element_get_state (pipe, NULL, NULL,
          VT_TIMEOUT_S * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  q = gst_query_new_latency ();
  ck_assert (gst_pad_query (src, q));
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  GST_INFO ("latency %" GST_TIME_FORMAT " .. %" GST_TIME_FORMAT,
      GST_TIME_ARGS (min), GST_TIME_ARGS (max));
  ck_assert (!live);
  /* vsockenc's own share of it */
  gst_video_encoder_get_latency (GST_VIDEO_ENCODER (enc), &min, &max);
  fail_unless (min >= DUR && min < 2 * GST_SECOND, "latency %"
      GST_TIME_FORMAT, GST_TIME_ARGS (min));
  ck_assert (max >= min);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (enc);
  gst_object_unref (pipe);
  vt_host_stop (host);
}

GST_END_TEST

static Suite *
vsockenc_data_suite (void)
{
  Suite *s = suite_create ("vsockenc-data");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_roundtrip_inline);
  tcase_add_test (tc, test_roundtrip_shm);
  tcase_add_test (tc, test_roundtrip_inline_live);
  tcase_add_test (tc, test_roundtrip_shm_live);
  tcase_add_test (tc, test_ring_in_place);
  tcase_add_test (tc, test_path_fallbacks);
  tcase_add_test (tc, test_timestamps);
  tcase_add_test (tc, test_force_key_unit);
  tcase_add_test (tc, test_key_int_max);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_latency_live);
  tcase_add_test (tc, test_latency_pipelined);
  return s;
}

int
main (int argc, char **argv)
{
  vt_init (&argc, &argv);
  return gst_check_run_suite (vsockenc_data_suite (), "vsockenc-data",
      __FILE__);
}
