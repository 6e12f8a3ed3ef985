/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input for a guest that is not a known VM: a viewer on hostencd's web
 * page types and points; hostencd sends INPUT to the guest session that
 * asked for it (HELLO_INPUT); vsockenc turns each event into a GStreamer
 * navigation event upstream and a "hostenc-input" bus message. The viewer
 * here is a real WebSocket client (libsoup) speaking the page's protocol. */
#include "vsockenc-test.h"

#include <gst/video/navigation.h>
#include <libsoup/soup.h>
#include <linux/input-event-codes.h>
#include <string.h>

typedef struct
{
  GMutex lock;
  GPtrArray *nav;               /* upstream navigation events' structures */
} Seen;

static GstPadProbeReturn
on_upstream (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Seen *seen = data;
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (ev) == GST_EVENT_NAVIGATION) {
    g_mutex_lock (&seen->lock);
    g_ptr_array_add (seen->nav,
        gst_structure_copy (gst_event_get_structure (ev)));
    g_mutex_unlock (&seen->lock);
  }
  return GST_PAD_PROBE_OK;
}

static guint
http_port (VtHost * h)
{
  g_autofree gchar *log = NULL;
  const gchar *key = "ready: open http://127.0.0.1:";
  const gchar *at;

  ck_assert (g_file_get_contents (h->log, &log, NULL, NULL));
  at = strstr (log, key);
  ck_assert (at != NULL);
  return (guint) g_ascii_strtoull (at + strlen (key), NULL, 10);
}

static void
on_connected (GObject * src, GAsyncResult * res, gpointer data)
{
  SoupWebsocketConnection **ws = data;
  g_autoptr (GError) err = NULL;

  *ws = soup_session_websocket_connect_finish (SOUP_SESSION (src), res, &err);
  if (!*ws)
    GST_WARNING ("websocket: %s", err->message);
}

static SoupWebsocketConnection *
connect_viewer (guint port, const gchar * source)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree gchar *url =
      g_strdup_printf ("ws://127.0.0.1:%u/ws/stream?source=%s", port, source);
  SoupMessage *msg = soup_message_new ("GET", url);
  SoupWebsocketConnection *ws = NULL;
  gint64 deadline = g_get_monotonic_time () + VT_TIMEOUT_S * G_USEC_PER_SEC;

  soup_session_websocket_connect_async (session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, on_connected, &ws);
  while (!ws && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (msg);
  ck_assert (ws != NULL);
  soup_websocket_connection_send_text (ws, "{\"type\":\"init\","
      "\"client\":\"input-test\",\"codecs\":[\"avc1.42c01f\"],"
      "\"width\":320,\"height\":240}");
  return ws;
}

/* Waits (iterating the default context for the socket) until @n
 * hostenc-input messages are on @bus; returns them. */
static GPtrArray *
wait_input_messages (GstBus * bus, guint n)
{
  GPtrArray *got = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  gint64 deadline = g_get_monotonic_time () + VT_TIMEOUT_S * G_USEC_PER_SEC;

  while (got->len < n && g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);

    if (!m) {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
      continue;
    }
    if (gst_structure_has_name (gst_message_get_structure (m),
            "hostenc-input"))
      g_ptr_array_add (got,
          gst_structure_copy (gst_message_get_structure (m)));
    gst_message_unref (m);
  }
  return got;
}

static const GstStructure *
nav_named (Seen * seen, const gchar * event, guint nth)
{
  const GstStructure *found = NULL;

  g_mutex_lock (&seen->lock);
  for (guint i = 0; i < seen->nav->len && !found; i++) {
    const GstStructure *s = g_ptr_array_index (seen->nav, i);

    if (g_strcmp0 (gst_structure_get_string (s, "event"), event) == 0
        && nth-- == 0)
      found = s;
  }
  g_mutex_unlock (&seen->lock);
  return found;
}

GST_START_TEST (test_viewer_input_reaches_upstream)
{
  const gchar *args[] = { "--http=127.0.0.1:0", NULL };
  VtHostOptions ho = {.tcp = TRUE,.args = args };
  VtHost *host = vt_host_start (&ho);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc name=src "
      "is-live=true ! video/x-raw,format=BGRx,width=320,height=240,"
      "framerate=30/1 ! vsockenc host=%s stream-name=typing ! fakesink",
      host->address);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstPad *srcpad = gst_element_get_static_pad (src, "src");
  GstBus *bus = gst_element_get_bus (pipe);
  Seen seen = {.nav = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_structure_free) };
  SoupWebsocketConnection *ws;
  GPtrArray *msgs;
  const GstStructure *s;
  gdouble x = 0, y = 0;
  gint button = 0;
  guint code = 0;

  g_mutex_init (&seen.lock);
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream,
      &seen, NULL);
  ck_assert (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* the stream exists once the first frame went through */
  ck_assert (gst_element_get_state (pipe, NULL, NULL,
          VT_TIMEOUT_S * GST_SECOND) == GST_STATE_CHANGE_SUCCESS);
  g_usleep (500 * 1000);
  ws = connect_viewer (http_port (host), "guest/typing");
  soup_websocket_connection_send_text (ws,
      "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":true}");
  soup_websocket_connection_send_text (ws,
      "{\"type\":\"key\",\"code\":\"KeyA\",\"down\":false}");
  soup_websocket_connection_send_text (ws,
      "{\"type\":\"pointer\",\"x\":32767,\"y\":16384,\"buttons\":0}");
  soup_websocket_connection_send_text (ws,
      "{\"type\":\"pointer\",\"x\":32767,\"y\":16384,\"buttons\":1}");
  /* key down, key up, a motion, then (a motion and) the button */
  msgs = wait_input_messages (bus, 4);
  fail_unless (msgs->len >= 4, "%u input messages", msgs->len);
  while (g_strcmp0 (gst_structure_get_string (g_ptr_array_index (msgs,
                  msgs->len - 1), "kind"), "button") != 0 && msgs->len < 6) {
    GPtrArray *more = wait_input_messages (bus, 1);

    fail_unless_equals_int (more->len, 1);
    g_ptr_array_add (msgs, gst_structure_copy (g_ptr_array_index (more, 0)));
    g_ptr_array_unref (more);
  }

  /* the bus: raw evdev values */
  s = g_ptr_array_index (msgs, 0);
  fail_unless_equals_string (gst_structure_get_string (s, "kind"), "key");
  ck_assert (gst_structure_get_uint (s, "code", &code) && code == KEY_A);
  fail_unless_equals_string (gst_structure_get_string (s, "key"), "a");
  s = g_ptr_array_index (msgs, msgs->len - 1);
  fail_unless_equals_string (gst_structure_get_string (s, "kind"), "button");
  ck_assert (gst_structure_get_uint (s, "code", &code) && code == BTN_LEFT);

  /* upstream: navigation events in the stream's pixels */
  s = nav_named (&seen, "key-press", 0);
  ck_assert (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "key"), "a");
  ck_assert (nav_named (&seen, "key-release", 0) != NULL);
  s = nav_named (&seen, "mouse-move", 0);
  ck_assert (s != NULL);
  ck_assert (gst_structure_get_double (s, "pointer_x", &x));
  ck_assert (gst_structure_get_double (s, "pointer_y", &y));
  fail_unless (x > 318.9 && x < 319.1, "x %f", x);
  fail_unless (y > 119.0 && y < 120.5, "y %f", y);
  s = nav_named (&seen, "mouse-button-press", 0);
  ck_assert (s != NULL);
  ck_assert (gst_structure_get_int (s, "button", &button) && button == 1);

  g_ptr_array_unref (msgs);
  soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_object_unref (ws);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (srcpad);
  gst_object_unref (src);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_ptr_array_unref (seen.nav);
  g_mutex_clear (&seen.lock);
  vt_host_stop (host);
}

GST_END_TEST

static Suite *
vsockenc_input_suite (void)
{
  Suite *s = suite_create ("vsockenc-input");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_viewer_input_reaches_upstream);
  return s;
}

int
main (int argc, char **argv)
{
  vt_init (&argc, &argv);
  return gst_check_run_suite (vsockenc_input_suite (), "vsockenc-input",
      __FILE__);
}
