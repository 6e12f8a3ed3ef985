/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd against peers that would hold its resources without using
 * them: connections that say nothing, say HELLO and stall, or trickle a
 * message a byte at a time hold a session slot only until the handshake
 * deadline, the session idle timeout or the minimum rate inside a message
 * closes them; one TCP address cannot take every slot; and announcing big
 * frames pins no bytes in flight, so HELLO, SUBSCRIBE and others' frames
 * still get through. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "client.h"

#define HANDSHAKE_S 2
#define SESSION_IDLE_S 4
#define IDLE_S 2
/* the host's timers tick once a second; slack for a loaded machine */
#define TICK_SLACK_MS 2500

static struct tc_conn *hello_conn(uint16_t port, const char *name)
{
	struct tc_conn *c = tc_connect_tcp(port);
	struct hxfr_hello_resp hr;

	tc_hello(c, HXFR_PATH_INLINE, 2, name, &hr);
	return c;
}

/* The session still works: PING answered, frames encoded correctly. */
static void still_usable(struct tc_conn *c, uint32_t frame_no)
{
	struct tc_stream st;
	struct tc_run run = { .fourcc = HXFR_FMT_NV12, .width = 320, .height = 240,
			      .first = frame_no, .count = 2, .window = 1, .first_idr = true,
			      .keyreq_before = -1, .force_at = -1 };

	tc_stream_init(&st);
	tc_ping(c, false);
	tc_run_frames(c, &st, &run);
	tc_stream_clear(&st);
}

/* Expect the host to close @p c between @p min_ms and @p max_ms from now. */
static void expect_closed_between(struct tc_conn *c, const char *what, int64_t min_ms,
				  int64_t max_ms)
{
	int64_t ms = tc_expect_closed(c, (int)max_ms, NULL);

	g_test_message("%s: closed after %" G_GINT64_FORMAT " ms", what, ms);
	g_assert_cmpint(ms, >=, min_ms);
}

/* ---- a peer that trickles bytes ------------------------------------------ */

struct trickle {
	GThread *thread;
	struct tc_conn *c;
	const uint8_t *bytes;
	size_t len, burst;
	unsigned interval_ms;
	size_t sent;
	gint stop;
};

/* The first t->burst bytes at once, then one byte at a time, until the
 * host closes or the bytes run out. */
static gpointer trickle_main(gpointer data)
{
	struct trickle *t = data;

	if (t->burst && send(tc_fd(t->c), t->bytes, t->burst, MSG_NOSIGNAL) == (ssize_t)t->burst)
		t->sent = t->burst;
	while (t->sent < t->len && !g_atomic_int_get(&t->stop)) {
		if (send(tc_fd(t->c), t->bytes + t->sent, 1, MSG_NOSIGNAL) != 1)
			break;
		t->sent++;
		g_usleep(t->interval_ms * 1000);
	}
	return NULL;
}

static void trickle_start(struct trickle *t, struct tc_conn *c, const uint8_t *bytes,
			  size_t len, size_t burst, unsigned interval_ms)
{
	*t = (struct trickle){ .c = c, .bytes = bytes, .len = len, .burst = burst,
			       .interval_ms = interval_ms };
	t->thread = g_thread_new("trickle", trickle_main, t);
}

static void trickle_stop(struct trickle *t)
{
	g_atomic_int_set(&t->stop, 1);
	g_thread_join(t->thread);
	g_test_message("trickled %zu bytes", t->sent);
}

/* A FRAME_REQUEST header announcing @p payload bytes, then that many zeros. */
static uint8_t *frame_bytes(uint32_t payload, size_t *len)
{
	uint8_t *buf = g_malloc0(HXFR_HEADER_SIZE + payload);

	g_assert_cmpint(hxfr_build_header(buf, HXFR_HEADER_SIZE, HXFR_FRAME_REQUEST,
					  HXFR_FLAG_PIXEL_DATA, 0, payload), ==, HXFR_HEADER_SIZE);
	*len = HXFR_HEADER_SIZE + payload;
	return buf;
}

/* ---- cases ------------------------------------------------------------------ */

/* Four slots, taken by a silent connection, one that trickles its first
 * header, one that says HELLO and stalls, and one that trickles a frame
 * after HELLO. A fifth peer is refused while they hold them; each is
 * closed by its own rule, and then a new guest gets a working session. */
static void test_slots(void)
{
	static const char *const args[] = {
		"--max-sessions=4", "--max-sessions-per-peer=0",
		"--handshake-timeout=" G_STRINGIFY(HANDSHAKE_S),
		"--session-idle-timeout=" G_STRINGIFY(SESSION_IDLE_S),
		"--idle-timeout=" G_STRINGIFY(IDLE_S), NULL
	};
	struct th_options o = { .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *silent = tc_connect_tcp(d->port);
	struct tc_conn *slow_hello = tc_connect_tcp(d->port);
	struct tc_conn *stall = hello_conn(d->port, "stall");
	struct tc_conn *slow_frame = hello_conn(d->port, "slow-frame");
	struct tc_conn *extra, *guest;
	struct trickle t1, t2;
	g_autofree uint8_t *frame = NULL;
	uint8_t hello[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];
	struct hxfr_hello h = { .version = HXFR_VERSION, .frame_paths = HXFR_PATH_INLINE,
				.max_inflight = 1 };
	size_t frame_len;

	/* A byte every 300 ms: progress far more often than the idle timeout
	 * asks, far slower than the minimum rate. The frame's header goes at
	 * once; its 100 kB would be allowed 1.5 s at 64 KiB/s, so the idle
	 * timeout (2 s) is its deadline. */
	g_assert_cmpint(hxfr_build_hello(hello, sizeof(hello), 0, &h), ==, sizeof(hello));
	trickle_start(&t1, slow_hello, hello, sizeof(hello), 0, 300);
	frame = frame_bytes(100000, &frame_len);
	trickle_start(&t2, slow_frame, frame, frame_len, HXFR_HEADER_SIZE + 20, 300);

	extra = tc_connect_tcp(d->port);
	g_assert_cmpint(tc_expect_error(extra, 0), ==, HXFR_ERR_LIMIT);
	tc_close(extra);

	expect_closed_between(silent, "silent connection", HANDSHAKE_S * 1000 - 200,
			      HANDSHAKE_S * 1000 + TICK_SLACK_MS);
	expect_closed_between(slow_hello, "HELLO trickled", 0, HANDSHAKE_S * 1000 + TICK_SLACK_MS);
	expect_closed_between(slow_frame, "frame trickled after HELLO", 0,
			      IDLE_S * 1000 + TICK_SLACK_MS);
	expect_closed_between(stall, "HELLO, then nothing", 0,
			      SESSION_IDLE_S * 1000 + TICK_SLACK_MS);
	trickle_stop(&t1);
	trickle_stop(&t2);
	g_assert_cmpuint(t1.sent, <, sizeof(hello));
	g_assert_cmpuint(t2.sent, <, frame_len);

	/* the host may notice the last close a moment after the peer */
	for (int64_t deadline = g_get_monotonic_time() + TH_TIMEOUT_MS * 1000ll;;) {
		struct tc_msg msg;

		guest = tc_connect_tcp(d->port);
		tc_send_empty(guest, HXFR_PING);
		g_assert_cmpint(tc_recv(guest, TH_TIMEOUT_MS, &msg), ==, 1);
		if (msg.m.hdr.type == HXFR_PONG) {
			tc_msg_clear(&msg);
			break;
		}
		tc_msg_clear(&msg);
		tc_close(guest);
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(100000);
	}
	tc_close(guest);
	guest = hello_conn(d->port, "after");
	still_usable(guest, 10);
	tc_close(silent);
	tc_close(slow_hello);
	tc_close(stall);
	tc_close(slow_frame);
	tc_close(guest);
	th_daemon_stop(d);
}


/* What counts as activity: a PING; a subscription; a stream somebody
 * watches. A local process of hostencd's own user on its unix socket is
 * never timed out for silence (a QEMU chardev may sit there for hours). */
static void test_idle_rules(void)
{
	static const char *const args[] = {
		"--pattern-size=320x240", "--pattern-fps=10", "--max-sessions-per-peer=0",
		"--handshake-timeout=" G_STRINGIFY(HANDSHAKE_S),
		"--session-idle-timeout=" G_STRINGIFY(SESSION_IDLE_S), NULL
	};
	struct th_options o = { .pattern = true, .unix_socket = true, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *pinger = hello_conn(d->port, "pinger");
	struct tc_conn *idle = hello_conn(d->port, "idle");
	struct tc_conn *scanout = hello_conn(d->port, "scanout");
	struct tc_conn *local = tc_connect_unix(d->unix_path);
	struct tc_frame_counter sub = { .c = tc_connect_tcp(d->port) };
	struct tc_frame_counter viewer = { .c = tc_connect_tcp(d->port) };
	struct tc_picture *p = tc_picture_new(HXFR_FMT_NV12, 320, 240, 0);
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_ENABLE_SCANOUT_SIZE];
	struct hxfr_enable_scanout es = { .id = 3, .width = 320, .height = 240, .refresh_hz = 30 };
	struct tc_stream st;
	struct tc_msg msg;
	int64_t start = g_get_monotonic_time();

	/* a guest's own stream (scanout 3), watched by a viewer */
	g_assert_cmpint(hxfr_build_enable_scanout(buf, sizeof(buf), 0, &es), ==, sizeof(buf));
	tc_send_ok(scanout, buf, sizeof(buf));
	tc_expect(scanout, HXFR_SCANOUT_RESP, &msg);
	tc_msg_clear(&msg);
	tc_stream_init(&st);
	tc_picture_render(p, 1);
	tc_send_frame(scanout, p, tc_pts(1), false);
	tc_expect_frame(scanout, &st, p, tc_pts(1));
	tc_subscribe_ok(viewer.c, 3);
	viewer.thread = g_thread_new("viewer", tc_frame_counter_main, &viewer);
	tc_subscribe_ok(sub.c, 0);
	sub.thread = g_thread_new("subscriber", tc_frame_counter_main, &sub);

	/* past the session idle timeout, with one PING a second */
	while (g_get_monotonic_time() - start < (SESSION_IDLE_S * 1000 + TICK_SLACK_MS) * 1000ll) {
		tc_ping(pinger, true);
		g_usleep(1000000);
	}
	tc_expect_closed(idle, 1000, NULL);
	tc_ping(pinger, true);
	tc_ping(local, false);
	tc_ping(scanout, false);
	g_atomic_int_set(&sub.stop, 1);
	g_atomic_int_set(&viewer.stop, 1);
	g_thread_join(sub.thread);
	g_thread_join(viewer.thread);
	g_test_message("subscriber got %d frames, viewer %d", sub.frames, viewer.frames);
	/* (a reader fails on a close: both connections stayed up) */
	g_assert_cmpint(sub.frames, >, 10);
	g_assert_cmpint(viewer.frames, >=, 1);
	/* the viewer goes: nobody watches, so the scanout guest idles out */
	tc_close(viewer.c);
	expect_closed_between(scanout, "unwatched guest", 0, SESSION_IDLE_S * 1000 + TICK_SLACK_MS);
	tc_ping(local, false);
	tc_stream_clear(&st);
	tc_picture_free(p);
	tc_close(pinger);
	tc_close(idle);
	tc_close(scanout);
	tc_close(local);
	tc_close(sub.c);
	th_daemon_stop(d);
}

static void open_conns(struct tc_conn **c, unsigned n, uint16_t port, const char *unix_path)
{
	for (unsigned i = 0; i < n; i++) {
		c[i] = unix_path ? tc_connect_unix(unix_path) : tc_connect_tcp(port);
		tc_ping(c[i], false);
	}
}

static void close_conns(struct tc_conn **c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		tc_close(c[i]);
}

/* One address gets 8 TCP sessions by default (--max-sessions-per-peer);
 * unix sockets do not count. A slot that frees up can be used again. */
static void test_per_peer(void)
{
	struct th_options o = { .unix_socket = true };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *tcp[8], *local[10], *extra;

	open_conns(tcp, G_N_ELEMENTS(tcp), d->port, NULL);
	extra = tc_connect_tcp(d->port);
	g_assert_cmpint(tc_expect_error(extra, 0), ==, HXFR_ERR_LIMIT);
	tc_expect_closed(extra, 5000, NULL);
	tc_close(extra);
	open_conns(local, G_N_ELEMENTS(local), 0, d->unix_path);
	tc_ping(tcp[0], false);
	tc_close(tcp[7]);
	for (int64_t deadline = g_get_monotonic_time() + TH_TIMEOUT_MS * 1000ll;;) {
		struct tc_msg msg;

		tcp[7] = tc_connect_tcp(d->port);
		tc_send_empty(tcp[7], HXFR_PING);
		g_assert_cmpint(tc_recv(tcp[7], TH_TIMEOUT_MS, &msg), ==, 1);
		if (msg.m.hdr.type == HXFR_PONG) {
			tc_msg_clear(&msg);
			break;
		}
		tc_msg_clear(&msg);
		tc_close(tcp[7]);
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(50000);
	}
	close_conns(tcp, G_N_ELEMENTS(tcp));
	close_conns(local, G_N_ELEMENTS(local));
	th_daemon_stop(d);
}

/* Four peers announce a 64 MiB frame each and send nothing more: as much
 * as --max-inflight-bytes. That pins nothing: another guest's HELLO,
 * SUBSCRIBE and frames go through. */
static void test_announced_bytes(void)
{
	static const char *const args[] = { "--max-inflight-bytes=268435456",
					     "--pattern-size=320x240", NULL };
	struct th_options o = { .pattern = true, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *ann[4], *guest, *sub;
	uint8_t hdr[HXFR_HEADER_SIZE];
	struct hxfr_hello_resp hr;
	struct tc_msg msg;

	/* the largest message the host takes (its --max-payload default) */
	g_assert_cmpint(hxfr_build_header(hdr, sizeof(hdr), HXFR_FRAME_REQUEST,
					  HXFR_FLAG_PIXEL_DATA, 0, 64u << 20), ==, sizeof(hdr));
	for (unsigned i = 0; i < G_N_ELEMENTS(ann); i++) {
		ann[i] = hello_conn(d->port, "announcer");
		tc_send_ok(ann[i], hdr, sizeof(hdr));
	}
	g_usleep(300000); /* the host has read every announcement */
	guest = tc_connect_tcp(d->port);
	tc_hello(guest, HXFR_PATH_INLINE, 2, "guest", &hr);
	still_usable(guest, 20);
	sub = tc_connect_tcp(d->port);
	tc_subscribe_ok(sub, 0);
	tc_expect(sub, HXFR_FRAME_RESPONSE, &msg);
	tc_msg_clear(&msg);
	for (unsigned i = 0; i < G_N_ELEMENTS(ann); i++)
		tc_close(ann[i]);
	tc_close(guest);
	tc_close(sub);
	th_daemon_stop(d);
}

/* A session's frames in flight are capped at its share of the host's
 * bytes (--max-session-bytes): a frame over it is refused, and the
 * session goes on. */
static void test_session_share(void)
{
	static const char *const args[] = { "--max-inflight-bytes=67108864",
					     "--max-session-bytes=2097152", NULL };
	struct th_options o = { .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = hello_conn(d->port, "share");
	struct tc_picture *big = tc_picture_new(HXFR_FMT_BGRX, 1024, 768, 0);

	tc_picture_render(big, 1);
	tc_send_frame(c, big, tc_pts(1), false);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_REQUEST), ==, HXFR_ERR_LIMIT);
	still_usable(c, 30);
	tc_picture_free(big);
	tc_close(c);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lockout/slots", test_slots);
	g_test_add_func("/lockout/idle-rules", test_idle_rules);
	g_test_add_func("/lockout/per-peer", test_per_peer);
	g_test_add_func("/lockout/announced-bytes", test_announced_bytes);
	g_test_add_func("/lockout/session-share", test_session_share);
	return g_test_run();
}
