/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Faults that real guests and pages produce, each of which cost a system
 * like this one an outage once:
 * - a guest that stamps every frame pts = 0: hostencd still encodes each
 *   one, answers each with the guest's own pts, and everyone downstream
 *   (subscribers, browser viewers) gets strictly increasing timestamps;
 * - a reconnect storm of guests (connect, HELLO, maybe a frame, gone; some
 *   mid-message) from one address: nothing is left behind (sessions,
 *   streams, descriptors) and a guest already streaming is not disturbed;
 * - a page reconnecting in a loop with its client id: each new connection
 *   supersedes the last (4000), one viewer remains.
 * The half-open guest behind user networking is in tests/vm/test-guest.c
 * (it needs a real VM). */
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "web-client.h"

#define W 320
#define H 240
/* What the page says first (docs/web.md, "Init exchange"). */
#define PAGE_INIT "{\"type\":\"init\",\"codecs\":[\"avc1.42e01f\"],\"width\":320,\"height\":240}"

static struct th_daemon *start(void)
{
	static const char *const args[] = { "--http=127.0.0.1:0", NULL };
	struct th_options o = { .args = args };

	return th_daemon_start(&o);
}

/* ---- pts = 0 ------------------------------------------------------------- */

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The first @p want live (not replayed) video messages: their capture
 * times and sequence numbers grow strictly. @return how many came. */
static unsigned check_viewer_order(struct wc_ws *ws, unsigned want)
{
	g_autoptr(GByteArray) msg = g_byte_array_new();
	uint64_t last_cap = 0, last_seq = 0;
	unsigned n = 0;
	int op;

	while (n < want && (op = wc_ws_recv(ws, 5000, msg)) >= 0) {
		if (op != 2 || msg->len < 24 || (msg->data[1] & 2))
			continue;
		if (n) {
			g_assert_cmpuint(le(msg->data + 8, 8), >, last_cap);
			g_assert_cmpuint(le(msg->data + 16, 4), >, last_seq);
		}
		last_cap = le(msg->data + 8, 8);
		last_seq = le(msg->data + 16, 4);
		n++;
	}
	return n;
}

/* A subscriber's FRAME_RESPONSEs: pts strictly increasing. */
static unsigned check_subscriber_order(struct tc_conn *s, unsigned want)
{
	int64_t last = INT64_MIN;
	unsigned n = 0;

	while (n < want) {
		struct tc_msg msg;
		struct tc_reply rep;

		tc_expect(s, HXFR_FRAME_RESPONSE, &msg);
		tc_parse_response(&msg, &rep);
		g_assert_cmpint(rep.r.pts_ns, >, last);
		last = rep.r.pts_ns;
		tc_msg_clear(&msg);
		n++;
	}
	return n;
}

static void test_pts_zero(void)
{
	struct th_daemon *d = start();
	struct tc_conn *g = tc_connect_tcp(d->port), *sub = tc_connect_tcp(d->port);
	struct tc_picture *p = tc_picture_new(HXFR_FMT_BGRA, W, H, 0);
	struct hxfr_hello_resp resp;
	struct tc_stream st;
	struct wc_ws *ws;
	g_autofree char *init = NULL;
	uint32_t id;

	tc_stream_init(&st);
	tc_hello(g, HXFR_PATH_INLINE, 1, "pz", &resp);
	tc_picture_render(p, 0);
	tc_send_frame(g, p, 0, false);
	g_assert_true(tc_expect_frame(g, &st, p, 0)); /* the guest's own pts back */
	ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=guest/pz", NULL);
	g_assert_cmpint(ws->status, ==, 101);
	g_assert_true(wc_ws_send_text(ws, PAGE_INIT));
	init = wc_ws_wait_text(ws, "init", 5000);
	g_assert_nonnull(init);
	id = (uint32_t)g_ascii_strtoull(strstr(init, "\"source\":") + 9, NULL, 10);
	tc_subscribe_ok(sub, id);
	for (uint32_t n = 1; n <= 30; n++) {
		tc_picture_render(p, n);
		tc_send_frame(g, p, 0, false);
		/* each frame encoded and answered, pts 0 as sent, picture right */
		tc_expect_frame(g, &st, p, 0);
		g_usleep(5000); /* a capture clock tick apart, as a real guest */
	}
	g_assert_cmpuint(check_subscriber_order(sub, 30), ==, 30);
	g_assert_cmpuint(check_viewer_order(ws, 25), ==, 25);
	wc_ws_free(ws);
	tc_close(sub);
	tc_close(g);
	tc_stream_clear(&st);
	tc_picture_free(p);
	th_daemon_stop(d);
}

/* ---- guests reconnecting in a loop --------------------------------------- */

static void hello_raw(struct tc_conn *c, const char *name)
{
	struct hxfr_hello h = { .version = HXFR_VERSION, .frame_paths = HXFR_PATH_INLINE,
				.max_inflight = 2 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];

	g_strlcpy(h.name, name, sizeof(h.name));
	g_assert_cmpint(hxfr_build_hello(buf, sizeof(buf), 0, &h), ==, sizeof(buf));
	tc_send(c, buf, sizeof(buf)); /* the peer may already be refused: fine */
}

/* One storm guest: HELLO, then by @p i: gone at once, gone mid-frame
 * (half a FRAME_REQUEST), or gone with a reset. */
static void storm_guest(uint16_t port, unsigned i, const struct tc_picture *p)
{
	struct tc_conn *c = tc_connect_tcp(port);

	hello_raw(c, "storm");
	switch (i % 3) {
	case 0:
		tc_close(c);
		break;
	case 1: {
		uint8_t hdr[HXFR_HEADER_SIZE];

		g_assert_cmpint(hxfr_build_header(hdr, sizeof(hdr), HXFR_FRAME_REQUEST, 0, 0,
						  HXFR_FRAME_REQUEST_SIZE + W * H * 4), ==,
				sizeof(hdr));
		tc_send(c, hdr, sizeof(hdr));
		tc_close(c);
		break;
	}
	default: /* refused peers (over the per-address limit) are closed: fine */
		tc_try_send_frame(c, p, 0, false);
		tc_close_reset(c);
		break;
	}
}

static void test_reconnect_storm(void)
{
	struct th_daemon *d = start();
	struct tc_conn *g = tc_connect_tcp(d->port);
	struct tc_picture *p = tc_picture_new(HXFR_FMT_BGRA, W, H, 0);
	struct hxfr_hello_resp resp;
	struct tc_stream st;
	unsigned fds_before, fds_after = 0;
	int64_t deadline;

	tc_stream_init(&st);
	tc_hello(g, HXFR_PATH_INLINE, 1, "steady", &resp);
	tc_picture_render(p, 0);
	tc_send_frame(g, p, tc_pts(0), false);
	g_assert_true(tc_expect_frame(g, &st, p, tc_pts(0)));
	fds_before = wc_fd_count(d->pid);
	for (unsigned i = 0; i < 300; i++) {
		storm_guest(d->port, i, p);
		if (i % 10 == 9) { /* the steady guest goes on, every picture right */
			uint32_t n = i / 10 + 1;

			tc_picture_render(p, n);
			tc_send_frame(g, p, tc_pts(n), false);
			tc_expect_frame(g, &st, p, tc_pts(n));
		}
	}
	/* nothing of the storm stays: sessions, descriptors, streams */
	deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (wc_metric(d->http_port, "hostenc_sessions") != 1 ||
	       (fds_after = wc_fd_count(d->pid)) > fds_before + 2) {
		if (g_get_monotonic_time() > deadline)
			g_error("after the storm: %" G_GUINT64_FORMAT " sessions, %u fds (%u before)",
				wc_metric(d->http_port, "hostenc_sessions"), wc_fd_count(d->pid),
				fds_before);
		g_usleep(100000);
	}
	{
		g_autofree char *sources = NULL;

		g_assert_cmpint(wc_get(d->http_port, NULL, "/sources", NULL, &sources), ==, 200);
		g_assert_null(strstr(sources, "storm"));
	}
	g_assert_true(th_daemon_alive(d));
	tc_close(g);
	tc_stream_clear(&st);
	tc_picture_free(p);
	th_daemon_stop(d);
}

/* ---- a page reconnecting in a loop --------------------------------------- */

static void test_viewer_storm(void)
{
	static const char *const args[] = { "--http=127.0.0.1:0", "--pattern-size=320x240",
					    NULL };
	struct th_options o = { .pattern = true, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct wc_ws *ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=0", NULL);
	g_autofree char *init = NULL;
	g_autofree char *client = NULL, *secret = NULL, *path = NULL;

	g_assert_true(wc_ws_send_text(ws, PAGE_INIT));
	init = wc_ws_wait_text(ws, "init", 5000);
	g_assert_nonnull(init);
	client = wc_json_string(init, "client");
	secret = wc_json_string(init, "secret");
	path = g_strdup_printf("/ws/stream?source=0&client=%s&secret=%s", client, secret);
	for (int i = 0; i < 40; i++) {
		struct wc_ws *next = wc_ws_open(d->http_port, NULL, path, NULL);
		g_autofree char *again = NULL;
		g_autoptr(GByteArray) msg = g_byte_array_new();

		g_assert_cmpint(next->status, ==, 101);
		g_assert_true(wc_ws_send_text(next, PAGE_INIT));
		again = wc_ws_wait_text(next, "init", 5000);
		g_assert_nonnull(again);
		/* the previous connection of this page is told why it goes */
		while (wc_ws_recv(ws, 5000, msg) >= 0 && !ws->close_code)
			;
		g_assert_cmpuint(ws->close_code, ==, 4000);
		wc_ws_free(ws);
		ws = next;
	}
	/* the superseded ones are gone once their closing handshakes end */
	for (int64_t deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	     wc_metric(d->http_port, "hostenc_viewers") != 1;) {
		if (g_get_monotonic_time() > deadline)
			g_error("%" G_GUINT64_FORMAT " viewers after the storm, not 1",
				wc_metric(d->http_port, "hostenc_viewers"));
		g_usleep(100000);
	}
	wc_ws_free(ws);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/faults/pts-zero", test_pts_zero);
	g_test_add_func("/faults/reconnect-storm", test_reconnect_storm);
	g_test_add_func("/faults/viewer-storm", test_viewer_storm);
	return g_test_run();
}
