/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockenc against a real hostencd that is missing, refuses, dies or comes
 * back: clear errors, no hang on shutdown, reconnection, and no leaked
 * file descriptors over 100 state cycles (leaks: LeakSanitizer in the
 * sanitized build). */
#include "vsockenc-test.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define DUR (GST_SECOND / 30)

/* The element alone (no harness, which asserts on state changes). */
static GstMessage *
start_and_fail (const gchar * host)
{
  GstElement *e = gst_element_factory_make ("vsockenc", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;

  gst_element_set_bus (e, bus);
  g_object_set (e, "host", host, "connect-timeout", 2000, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  ck_assert (m != NULL);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  return m;
}

static void
assert_error (GstMessage * m, GQuark domain, gint code, const gchar * text)
{
  GError *err = NULL;
  gchar *debug = NULL;

  ck_assert (m != NULL);
  gst_message_parse_error (m, &err, &debug);
  GST_INFO ("error: %s (%s)", err->message, debug);
  fail_unless (err->domain == domain && err->code == code,
      "unexpected error %s:%d: %s", g_quark_to_string (err->domain),
      err->code, err->message);
  fail_unless (strstr (err->message, text) != NULL, "'%s' lacks '%s'",
      err->message, text);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (m);
}

GST_START_TEST (test_unreachable)
{
  assert_error (start_and_fail ("tcp:127.0.0.1:1"), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ_WRITE,
      "Could not connect to hostencd at tcp:127.0.0.1:1: Connection refused");
  assert_error (start_and_fail ("unix:/nonexistent/hostencd.sock"),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ_WRITE,
      "Could not connect to hostencd at unix:/nonexistent/hostencd.sock: "
      "No such file or directory");
  assert_error (start_and_fail ("hostencd.example:15937"), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "is not an address");
}

GST_END_TEST

/* Caps the host cannot take fail negotiation with an error that says why. */
static void
refused_caps (VtHost * host, const gchar * caps, const gchar * text)
{
  GstElement *e = vt_make_enc (host, FALSE);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;

  gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (h, caps);
  fail_unless_equals_int (gst_harness_push (h, vt_make_bgrx (16, 16, 0)),
      GST_FLOW_NOT_NEGOTIATED);
  assert_error (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR),
      GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, text);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_START_TEST (test_refused_caps)
{
  static const gchar *const args[] = { "--max-size=320x240", NULL };
  VtHostOptions ho = {.args = args };
  VtHost *host = vt_host_start (&ho);

  refused_caps (host, "video/x-raw,format=BGRx,width=640,height=480,"
      "framerate=30/1", "640x480 frames are larger than hostencd at");
  refused_caps (host, "video/x-raw,format=BGRx,width=320,height=239,"
      "framerate=30/1", "needs an even width and height");
  vt_host_stop (host);
}

GST_END_TEST

/* Frames the host rejects (ERROR LIMIT: its bytes-in-flight quota is
 * smaller than one frame): dropped with one warning, then an element error
 * after a run of them. */
GST_START_TEST (test_frame_errors)
{
  static const gchar *const args[] = { "--max-inflight-bytes=1048576", NULL };
  VtHostOptions ho = {.args = args };
  VtHost *host = vt_host_start (&ho);
  GstElement *e = vt_make_enc (host, FALSE);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstFlowReturn ret = GST_FLOW_OK;
  GstMessage *m;
  GError *err = NULL;
  guint pushed = 0;

  gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=BGRx,width=640,"
      "height=480,framerate=30/1");
  while (ret == GST_FLOW_OK && pushed < 100) {
    GstBuffer *b = vt_make_bgrx (640, 480, pushed);

    GST_BUFFER_PTS (b) = pushed++ * DUR;
    ret = gst_harness_push (h, b);
  }
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  fail_unless (pushed >= 30 && pushed <= 33, "%u frames pushed", pushed);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  /* one warning for the run, then the error */
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  ck_assert (m != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (m), GST_MESSAGE_WARNING);
  gst_message_parse_warning (m, &err, NULL);
  fail_unless (strstr (err->message, "hostencd dropped a frame") != NULL,
      "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (m);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  ck_assert (m != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (m), GST_MESSAGE_ERROR);
  assert_error (m, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE,
      "frames in a row");
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  vt_host_stop (host);
}

GST_END_TEST

static guint64
stat_u64 (GstElement * enc, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = 0;

  g_object_get (enc, "stats", &s, NULL);
  ck_assert (gst_structure_get_uint64 (s, field, &v));
  gst_structure_free (s);
  return v;
}

/* hostencd killed mid-stream: an error within connect-timeout (plus slack
 * for sanitized builds), and the pipeline stops without hanging. */
GST_START_TEST (test_host_killed)
{
  VtHost *host = vt_host_start (NULL);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vsockenc name=enc host=%s connect-timeout=1000 io-timeout=2000 ! "
      "fakesink", host->address);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *enc = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  GstBus *bus = gst_element_get_bus (pipe);
  gint64 t0, waited_ms;
  GstMessage *m;

  ck_assert (pipe != NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  t0 = g_get_monotonic_time ();
  while (stat_u64 (enc, "frames-encoded") < 10) {
    fail_unless (g_get_monotonic_time () - t0 < VT_TIMEOUT_S * G_USEC_PER_SEC,
        "no frames encoded");
    g_usleep (20000);
  }
  vt_host_kill (host);
  t0 = g_get_monotonic_time ();
  m = vt_wait_message (bus, GST_MESSAGE_ERROR, 20);
  waited_ms = (g_get_monotonic_time () - t0) / 1000;
  ck_assert (m != NULL);
  fail_unless (GST_MESSAGE_SRC (m) == GST_OBJECT (enc), "error from %s",
      GST_OBJECT_NAME (GST_MESSAGE_SRC (m)));
  assert_error (m, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
      "Lost the connection to hostencd at");
  GST_INFO ("error %" G_GINT64_FORMAT " ms after the kill", waited_ms);
  fail_unless (waited_ms >= 900 && waited_ms < 1000 + 5000,
      "error after %" G_GINT64_FORMAT " ms", waited_ms);
  /* the watchdog: a hang on shutdown kills this test */
  alarm (30);
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  alarm (0);
  gst_object_unref (bus);
  gst_object_unref (enc);
  gst_object_unref (pipe);
  vt_host_stop (host);
}

GST_END_TEST

/* hostencd restarts within connect-timeout: the element reconnects, sends
 * again what had no reply, restarts the stream with an IDR, loses nothing. */
/* A stream that pauses (a static desktop captured on damage) keeps its
 * session: the element says PING when nothing came for keepalive ms, so
 * hostencd's idle timeout does not close it. With the keepalive longer
 * than the host's timeout the session is closed and the element has to
 * reconnect: the same test with the other outcome. */
static guint64
pause_and_count_reconnects (guint keepalive_ms)
{
  const gchar *args[] = { "--session-idle-timeout=2", NULL };
  VtHostOptions ho = {.tcp = TRUE,.args = args };
  VtHost *host = vt_host_start (&ho);
  GstElement *e = vt_make_enc (host, FALSE);
  GstHarness *h;
  guint64 n;

  g_object_set (e, "keepalive", keepalive_ms, "connect-timeout", 10000, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=BGRx,width=320,"
      "height=240,framerate=30/1");
  for (guint i = 0; i < 6; i++) {
    GstBuffer *b = vt_make_bgrx (320, 240, i);

    if (i == 3)
      g_usleep (5 * G_USEC_PER_SEC);    /* nothing to send for 5 s */
    GST_BUFFER_PTS (b) = i * DUR;
    GST_BUFFER_DURATION (b) = DUR;
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  ck_assert (gst_harness_push_event (h, gst_event_new_eos ()));
  g_ptr_array_unref (vt_pull_all (h, 6));
  n = stat_u64 (e, "reconnects");
  gst_harness_teardown (h);
  gst_object_unref (e);
  vt_host_stop (host);
  return n;
}

GST_START_TEST (test_keepalive)
{
  fail_unless_equals_uint64 (pause_and_count_reconnects (500), 0);
  fail_unless_equals_uint64 (pause_and_count_reconnects (600000), 1);
}

GST_END_TEST

GST_START_TEST (test_reconnect)
{
  VtHost *host = vt_host_start (NULL);
  GstElement *e = vt_make_enc (host, FALSE);
  GstBus *bus = gst_bus_new ();
  GPtrArray *inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GPtrArray *out, *dec;
  GstHarness *h;
  GstCaps *caps;
  GstMessage *m;
  guint idr = 0;

  g_object_set (e, "connect-timeout", 30000, NULL);
  gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=BGRx,width=320,"
      "height=240,framerate=30/1");
  for (guint i = 0; i < 20; i++) {
    GstBuffer *b = vt_make_bgrx (320, 240, i);

    if (i == 10)
      vt_host_restart (host);   /* SIGKILL, then a new hostencd */
    GST_BUFFER_PTS (b) = i * DUR;
    GST_BUFFER_DURATION (b) = DUR;
    g_ptr_array_add (inputs, gst_buffer_ref (b));
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  ck_assert (gst_harness_push_event (h, gst_event_new_eos ()));
  out = vt_pull_all (h, 20);
  for (guint i = 0; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), i * DUR);
    if (vt_au_has_idr (b)) {
      idr++;
      fail_unless (i == 0 || i == 9 || i == 10, "IDR at %u", i);
    }
  }
  fail_unless_equals_int (idr, 2);
  fail_unless_equals_int (stat_u64 (e, "reconnects"), 1);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  while (m && !gst_structure_has_name (gst_message_get_structure (m),
          "vsockenc-reconnected")) {
    gst_message_unref (m);
    m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  }
  fail_unless (m != NULL, "no vsockenc-reconnected message");
  gst_message_unref (m);
  ck_assert (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  /* the stream decodes across the reconnection */
  caps = gst_pad_get_current_caps (h->sinkpad);
  dec = vt_decode (out, caps);
  fail_unless_equals_int (dec->len, 20);
  for (guint i = 0; i < dec->len; i++)
    fail_unless (vt_psnr_bgrx (g_ptr_array_index (dec, i),
            g_ptr_array_index (inputs, i), 320, 240) > 30.0, "frame %u", i);
  gst_caps_unref (caps);
  g_ptr_array_unref (dec);
  g_ptr_array_unref (out);
  g_ptr_array_unref (inputs);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  vt_host_stop (host);
}

GST_END_TEST

/* NULL -> PLAYING -> NULL, 100 times, with frames flowing when each stop
 * comes (inline and shared memory in turn): no fd is left behind. */
GST_START_TEST (test_state_cycles)
{
  VtHostOptions ho = {.shm = TRUE };
  VtHost *host = vt_host_start (&ho);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! vsockenc name=enc "
      "host=%s shm-path=%s ! fakesink sync=false", host->address, host->shm);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *enc = gst_bin_get_by_name (GST_BIN (pipe), "enc");
  guint fds_before = 0;
  gint64 t0 = g_get_monotonic_time ();

  ck_assert (pipe != NULL);
  for (guint i = 0; i <= 100; i++) {
    GstStateChangeReturn r;

    g_object_set (enc, "use-shm", (i & 1) == 1, NULL);
    gst_element_set_state (pipe, GST_STATE_PLAYING);
    r = gst_element_get_state (pipe, NULL, NULL, VT_TIMEOUT_S * GST_SECOND);
    fail_unless_equals_int (r, GST_STATE_CHANGE_SUCCESS);
    alarm (30);
    fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    alarm (0);
    if (i == 0)                 /* after a first cycle: lazily opened fds */
      fds_before = vt_count_fds ();
  }
  fail_unless_equals_int (vt_count_fds (), fds_before);
  GST_INFO ("100 cycles in %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - t0) / 1000);
  {
    GstBus *bus = gst_element_get_bus (pipe);

    ck_assert (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
    gst_object_unref (bus);
  }
  gst_object_unref (enc);
  gst_object_unref (pipe);
  vt_host_stop (host);
}

GST_END_TEST

/* Deep pipelining against hostencd's short queue: the host drops frames
 * (DROPPED replies) rather than fall behind; they are dropped here too,
 * the rest keep their timestamps and decode. */
GST_START_TEST (test_dropped)
{
  static const gchar *const args[] = { "--max-inflight=16", NULL };
  VtHostOptions ho = {.args = args };
  VtHost *host = vt_host_start (&ho);
  GstElement *e = vt_make_enc (host, FALSE);
  GstHarness *h;
  GPtrArray *out, *dec;
  GstCaps *caps;
  guint64 dropped, last_pts = 0;
  GstBuffer *pic[8];

  g_object_set (e, "max-inflight", 16, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_live (h, FALSE);      /* pipelined: no wait per frame */
  gst_harness_set_src_caps_str (h, "video/x-raw,format=BGRx,width=1280,"
      "height=720,framerate=30/1");
  for (guint i = 0; i < G_N_ELEMENTS (pic); i++)
    pic[i] = vt_make_bgrx (1280, 720, i);
  /* as fast as the socket takes them: faster than a 720p encode */
  for (guint i = 0; i < 60; i++) {
    GstBuffer *b = gst_buffer_copy (pic[i % G_N_ELEMENTS (pic)]);

    GST_BUFFER_PTS (b) = i * DUR;
    GST_BUFFER_DURATION (b) = DUR;
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  for (guint i = 0; i < G_N_ELEMENTS (pic); i++)
    gst_buffer_unref (pic[i]);
  ck_assert (gst_harness_push_event (h, gst_event_new_eos ()));
  out = vt_pull_all (h, 0);
  dropped = stat_u64 (e, "frames-dropped");
  GST_INFO ("%u frames out, %" G_GUINT64_FORMAT " dropped by the host",
      out->len, dropped);
  fail_unless_equals_int (out->len + dropped, 60);
  fail_unless_equals_int (stat_u64 (e, "frame-errors"), 0);
  for (guint i = 0; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);

    ck_assert (i == 0 || GST_BUFFER_PTS (b) > last_pts);
    ck_assert (GST_BUFFER_PTS (b) % DUR == 0);
    last_pts = GST_BUFFER_PTS (b);
  }
  caps = gst_pad_get_current_caps (h->sinkpad);
  dec = vt_decode (out, caps);
  fail_unless_equals_int (dec->len, out->len);
  gst_caps_unref (caps);
  g_ptr_array_unref (dec);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  gst_object_unref (e);
  vt_host_stop (host);
}

GST_END_TEST

static gsize
mean_size (GPtrArray * out, guint from, guint to)
{
  gsize sum = 0;

  for (guint i = from; i < to; i++)
    sum += gst_buffer_get_size (g_ptr_array_index (out, i));
  return sum / (to - from);
}

/* bitrate changes while playing reach the host (CONFIG_REQ). */
GST_START_TEST (test_bitrate_change)
{
  VtHost *host = vt_host_start (NULL);
  GstElement *e = vt_make_enc (host, FALSE);
  GstHarness *h;
  GPtrArray *out;
  gsize low, high;

  g_object_set (e, "bitrate", 100000, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=BGRx,width=320,"
      "height=240,framerate=30/1");
  for (guint i = 0; i < 60; i++) {
    GstBuffer *b = vt_make_bgrx (320, 240, i);

    if (i == 30)
      g_object_set (e, "bitrate", 2000000, NULL);
    GST_BUFFER_PTS (b) = i * DUR;
    GST_BUFFER_DURATION (b) = DUR;
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  ck_assert (gst_harness_push_event (h, gst_event_new_eos ()));
  out = vt_pull_all (h, 60);
  low = mean_size (out, 10, 30);
  high = mean_size (out, 40, 60);
  GST_INFO ("mean AU %" G_GSIZE_FORMAT " bytes at 100 kb/s, %" G_GSIZE_FORMAT
      " at 2 Mb/s", low, high);
  fail_unless (high > 2 * low, "%" G_GSIZE_FORMAT " vs %" G_GSIZE_FORMAT,
      high, low);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  gst_object_unref (e);
  vt_host_stop (host);
}

GST_END_TEST

/* unix:PATH naming a character device: opened as one (a virtio-serial
 * port in a guest; a raw pseudo-terminal bridged to hostencd here). */
static void
char_device (gboolean shm, guint w, guint hgt)
{
  VtHostOptions ho = {.shm = shm };
  VtHost *host = vt_host_start (&ho);
  VtPty *pty = vt_pty_start (host->sock);
  g_autofree gchar *address = g_strdup_printf ("unix:%s", vt_pty_path (pty));
  g_autofree gchar *caps = g_strdup_printf ("video/x-raw,format=BGRx,"
      "width=%u,height=%u,framerate=30/1", w, hgt);
  GstElement *e = gst_element_factory_make ("vsockenc", NULL);
  GPtrArray *out, *dec;
  GstHarness *h;
  GstCaps *oc;
  gchar *path = NULL;

  g_object_set (e, "host", address, NULL);
  if (shm)
    g_object_set (e, "shm-path", host->shm, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (h, caps);
  for (guint i = 0; i < 10; i++) {
    GstBuffer *b = vt_make_bgrx (w, hgt, i);

    GST_BUFFER_PTS (b) = i * DUR;
    GST_BUFFER_DURATION (b) = DUR;
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  ck_assert (gst_harness_push_event (h, gst_event_new_eos ()));
  out = vt_pull_all (h, 10);
  g_object_get (e, "frame-path", &path, NULL);
  fail_unless_equals_string (path, shm ? "shm" : "inline");
  g_free (path);
  oc = gst_pad_get_current_caps (h->sinkpad);
  dec = vt_decode (out, oc);
  fail_unless_equals_int (dec->len, 10);
  gst_caps_unref (oc);
  g_ptr_array_unref (dec);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  gst_object_unref (e);
  vt_pty_stop (pty);
  vt_host_stop (host);
}

GST_START_TEST (test_char_device)
{
  char_device (TRUE, 320, 240);
  char_device (FALSE, 64, 48);
}

GST_END_TEST

static Suite *
vsockenc_lifecycle_suite (void)
{
  Suite *s = suite_create ("vsockenc-lifecycle");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_unreachable);
  tcase_add_test (tc, test_refused_caps);
  tcase_add_test (tc, test_frame_errors);
  tcase_add_test (tc, test_host_killed);
  tcase_add_test (tc, test_reconnect);
  tcase_add_test (tc, test_keepalive);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_dropped);
  tcase_add_test (tc, test_bitrate_change);
  tcase_add_test (tc, test_char_device);
  return s;
}

int
main (int argc, char **argv)
{
  vt_init (&argc, &argv);
  return gst_check_run_suite (vsockenc_lifecycle_suite (),
      "vsockenc-lifecycle", __FILE__);
}
