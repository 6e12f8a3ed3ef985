/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd against malformed and hostile input: each case checks the
 * reaction docs/protocol.md ("What the host does on each error")
 * documents, while a well-behaved guard session streams through all of
 * them and must never see an error or miss a reply. One hostencd serves
 * the whole binary; the last case checks that it is still alive and
 * serves a new session, and tearing it down checks its log for sanitizer
 * reports. */
#include <errno.h>
#include <string.h>

#include "client.h"

#define MAX_PAYLOAD (8u << 20)
#define IDLE_TIMEOUT_S 2
/* A framing error closes at once; well before the idle timeout could. */
#define FRAMING_CLOSE_MS (IDLE_TIMEOUT_S * 1000 / 2)
#define SLOT_SIZE (320u * 1024u)
#define RING_SIZE (4096u + 2 * SLOT_SIZE)

static struct th_daemon *daemon_;
static struct tc_region *region;

/* ---- the guard: a 17th session that streams throughout ---------------- */

static struct {
	GThread *thread;
	gint stop;
	gint replies;
	unsigned idrs;
} guard;

static gpointer guard_main(gpointer data)
{
	struct tc_conn *c = tc_connect_tcp(daemon_->port);
	struct tc_picture *p = tc_picture_new(HXFR_FMT_NV12, 320, 240, 352);
	struct hxfr_hello_resp hr;
	struct tc_stream st;

	tc_stream_init(&st);
	tc_hello(c, HXFR_PATH_INLINE, 2, "guard", &hr);
	tc_config(c, 2000000, 30);
	/* Any ERROR, DROPPED, wrong or missing reply aborts the test. */
	for (uint32_t n = 0; !g_atomic_int_get(&guard.stop); n++) {
		tc_picture_render(p, 5000 + n);
		tc_send_frame(c, p, tc_pts(5000 + n), false);
		guard.idrs += tc_expect_frame(c, &st, p, tc_pts(5000 + n));
		g_atomic_int_inc(&guard.replies);
		g_usleep(20000);
	}
	tc_ping(c, true);
	tc_picture_free(p);
	tc_stream_clear(&st);
	tc_close(c);
	return NULL;
}

/* ---- helpers -------------------------------------------------------------- */

static struct tc_conn *hello_conn(uint32_t paths, uint32_t max_inflight)
{
	struct tc_conn *c = tc_connect_tcp(daemon_->port);
	struct hxfr_hello_resp hr;

	tc_hello(c, paths, max_inflight, "malformed", &hr);
	return c;
}

/* The session still works: PING answered, a frame encoded correctly. */
static void still_usable(struct tc_conn *c, struct tc_stream *st, uint32_t frame_no)
{
	struct tc_run run = { .fourcc = HXFR_FMT_NV12, .width = 320, .height = 240,
			      .first = frame_no, .count = 2, .window = 1,
			      .first_idr = st->aus == 0, .keyreq_before = -1, .force_at = -1 };

	tc_ping(c, false);
	tc_run_frames(c, st, &run);
}

/* A FRAME_REQUEST with header @p flags, the given fields (unchecked: the
 * point is to send wrong ones), @p reserved7 in its reserved bytes if
 * non-NULL, and @p pixels zero bytes of pixel data. */
static void send_frame_request(struct tc_conn *c, uint8_t flags, uint32_t w, uint32_t h,
			       uint32_t fourcc, uint32_t stride, size_t pixels,
			       const uint8_t *reserved7)
{
	size_t size = HXFR_FRAME_REQUEST_SIZE + pixels;
	g_autofree uint8_t *payload = g_malloc0(size);
	struct hxfr_frame_request m = { .resource_id = 9, .width = w, .height = h,
					.format = fourcc, .stride = stride, .pts_ns = 1 };
	uint8_t tmp[HXFR_FRAME_REQUEST_PREFIX];

	/* the builder's layout, then patched where a test wants it wrong */
	g_assert_cmpint(hxfr_build_frame_request(tmp, sizeof(tmp), 0, &m), ==, sizeof(tmp));
	memcpy(payload, tmp + HXFR_HEADER_SIZE, HXFR_FRAME_REQUEST_SIZE);
	if (reserved7)
		memcpy(payload + 37, reserved7, 7);
	tc_send_raw(c, HXFR_FRAME_REQUEST, flags, (uint32_t)size, payload, size);
}

static bool is_invalid_or_limit(int32_t code)
{
	return code == HXFR_ERR_INVALID_MSG || code == HXFR_ERR_LIMIT;
}

/* ---- framing errors: the connection is closed, nothing is answered -------- */

static void test_bad_magic(void)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct tc_conn *c = tc_connect_tcp(daemon_->port);
	uint8_t ping[HXFR_HEADER_SIZE];
	unsigned skipped = 1;

	tc_send_ok(c, http, sizeof(http) - 1);
	tc_expect_closed(c, FRAMING_CLOSE_MS, &skipped);
	g_assert_cmpuint(skipped, ==, 0);
	tc_close(c);

	/* good messages first, then one wrong byte inside the next magic */
	c = tc_connect_tcp(daemon_->port);
	tc_ping(c, false);
	g_assert_cmpint(hxfr_build_empty(ping, sizeof(ping), HXFR_PING, 0), ==, sizeof(ping));
	ping[2] ^= 0x20;
	tc_send_ok(c, ping, 3);
	tc_expect_closed(c, FRAMING_CLOSE_MS, &skipped);
	g_assert_cmpuint(skipped, ==, 0);
	tc_close(c);
}

static void test_oversize(void)
{
	const uint32_t sizes[] = { MAX_PAYLOAD + 1, UINT32_MAX };
	struct hxfr_hello_resp hr;
	struct tc_conn *c = tc_connect_tcp(daemon_->port);

	/* the cap is the one HELLO_RESP announces */
	tc_hello(c, HXFR_PATH_INLINE, 1, "oversize", &hr);
	g_assert_cmpuint(hr.max_payload, ==, MAX_PAYLOAD);
	tc_close(c);
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		unsigned skipped = 1;

		c = tc_connect_tcp(daemon_->port);
		tc_send_raw(c, HXFR_FRAME_REQUEST, HXFR_FLAG_PIXEL_DATA, sizes[i], NULL, 0);
		tc_expect_closed(c, FRAMING_CLOSE_MS, &skipped);
		g_assert_cmpuint(skipped, ==, 0);
		tc_close(c);
	}
	/* exactly the cap is allowed (and then rejected as a message, not framing) */
	c = tc_connect_tcp(daemon_->port);
	{
		g_autofree uint8_t *junk = g_malloc0(MAX_PAYLOAD);

		tc_send_raw(c, 0x77, 0, MAX_PAYLOAD, junk, MAX_PAYLOAD);
	}
	tc_ping(c, false); /* Helix peer: the unknown type is skipped silently */
	tc_close(c);
}

/* A peer that stops mid-message is closed after --idle-timeout; one that
 * is merely quiet between messages is not. */
static void test_truncated_idle(void)
{
	struct tc_conn *in_header = tc_connect_tcp(daemon_->port);
	struct tc_conn *in_payload = tc_connect_tcp(daemon_->port);
	struct tc_conn *quiet = tc_connect_tcp(daemon_->port);
	uint8_t hdr[HXFR_HEADER_SIZE];
	int64_t ms;

	tc_ping(quiet, false);
	g_assert_cmpint(hxfr_build_header(hdr, sizeof(hdr), HXFR_PING, 0, 0, 8), ==, sizeof(hdr));
	tc_send_ok(in_header, hdr, 5);
	tc_send_raw(in_payload, 0x66, 0, 100, "0123456789", 10);
	ms = tc_expect_closed(in_header, 10000, NULL);
	g_test_message("closed %" G_GINT64_FORMAT " ms after a truncated header", ms);
	/* the host's timer ticks once a second: within a second of the
	 * timeout, plus slack for a loaded machine */
	g_assert_cmpint(ms, >=, IDLE_TIMEOUT_S * 1000 - 100);
	g_assert_cmpint(ms, <=, IDLE_TIMEOUT_S * 1000 + 3000);
	tc_expect_closed(in_payload, 3000, NULL);
	/* idle between messages for longer than the timeout: still served */
	g_usleep((IDLE_TIMEOUT_S * 1000 + 1500) * 1000);
	tc_ping(quiet, false);
	tc_close(in_header);
	tc_close(in_payload);
	tc_close(quiet);
}

/* ---- message errors: ERROR and the session goes on ---------------------- */

static void test_shm_out_of_slot(void)
{
	struct tc_conn *c = hello_conn(HXFR_PATH_SHM | HXFR_PATH_INLINE, 2);
	struct hxfr_frame_shm f = { .format = HXFR_FMT_BGRX, .width = 320, .height = 240,
				    .stride = { 1280 }, .plane_offset = { SLOT_SIZE - 1280 * 240 + 4 } };
	struct tc_stream st;
	struct tc_ring ring;

	tc_stream_init(&st);
	tc_ring_init(&ring, region, 0, RING_SIZE, 2, SLOT_SIZE);
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_OK);
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);
	/* a good shm frame right after */
	{
		struct tc_run run = { .fourcc = HXFR_FMT_BGRX, .width = 320, .height = 240,
				      .first = 1, .count = 2, .window = 1, .ring = &ring,
				      .first_idr = true, .keyreq_before = -1, .force_at = -1 };

		tc_run_frames(c, &st, &run);
	}
	tc_stream_clear(&st);
	tc_close(c);
}

static void test_geometry(void)
{
	static const uint8_t nonzero[7] = { 0, 0, 0, 1, 0, 0, 0 };
	struct tc_conn *c = hello_conn(HXFR_PATH_INLINE | HXFR_PATH_SHM, 2);
	struct tc_stream st;

	tc_stream_init(&st);
	/* width 65536 and a width*height that overflows 32 bits */
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 65536, 1, HXFR_FMT_NV12, 65536, 16, NULL);
	g_assert_true(is_invalid_or_limit(tc_expect_error(c, HXFR_FRAME_REQUEST)));
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 65536, 65536, HXFR_FMT_BGRX, 0, 16, NULL);
	g_assert_true(is_invalid_or_limit(tc_expect_error(c, HXFR_FRAME_REQUEST)));
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 0x80000001u, 2, HXFR_FMT_BGRX, 8, 16, NULL);
	g_assert_true(is_invalid_or_limit(tc_expect_error(c, HXFR_FRAME_REQUEST)));
	/* zero width */
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 0, 16, HXFR_FMT_NV12, 16, 16, NULL);
	g_assert_true(is_invalid_or_limit(tc_expect_error(c, HXFR_FRAME_REQUEST)));
	/* stride below the row size, and over 65536 */
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 64, 64, HXFR_FMT_BGRX, 255, 255 * 64, NULL);
	g_assert_true(is_invalid_or_limit(tc_expect_error(c, HXFR_FRAME_REQUEST)));
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 64, 1, HXFR_FMT_BGRX, 70000, 70000, NULL);
	g_assert_true(is_invalid_or_limit(tc_expect_error(c, HXFR_FRAME_REQUEST)));
	/* pixel bytes one short of width x height */
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 64, 64, HXFR_FMT_NV12, 64, 64 * 96 - 1, NULL);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_REQUEST), ==, HXFR_ERR_INVALID_MSG);
	/* a reserved byte set */
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 64, 64, HXFR_FMT_NV12, 64, 64 * 96, nonzero);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_REQUEST), ==, HXFR_ERR_INVALID_MSG);
	/* an unknown format */
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 64, 64, HXFR_FOURCC('Y', 'U', 'Y', 'V'), 128,
			   128 * 64, NULL);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_REQUEST), <, 0);
	/* valid for the wire, larger than this host's --max-size 1920x1080 */
	send_frame_request(c, HXFR_FLAG_PIXEL_DATA, 2048, 16, HXFR_FMT_NV12, 2048, 2048 * 24, NULL);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_REQUEST), ==, HXFR_ERR_LIMIT);
	/* FRAME_SHM with width 65536 */
	{
		struct hxfr_frame_shm f = { .format = HXFR_FMT_NV12, .width = 16, .height = 16,
					    .stride = { 16, 16 }, .plane_offset = { 0, 256 } };
		uint8_t buf[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];

		g_assert_cmpint(hxfr_build_frame_shm(buf, sizeof(buf), 0, &f), ==, sizeof(buf));
		buf[HXFR_HEADER_SIZE + 8 + 2] = 1; /* width: 16 -> 65552 */
		tc_send_ok(c, buf, sizeof(buf));
		g_assert_true(is_invalid_or_limit(tc_expect_error(c, HXFR_FRAME_SHM)));
	}
	/* CONFIG_REQ over --max-size, and with a bitrate under 10 kbit/s */
	{
		struct hxfr_config cfg = { .width = 4096, .height = 2160 };
		uint8_t buf[HXFR_HEADER_SIZE + HXFR_CONFIG_REQ_SIZE];

		g_assert_cmpint(hxfr_build_config_req(buf, sizeof(buf), 0, &cfg), ==, sizeof(buf));
		tc_send_ok(c, buf, sizeof(buf));
		g_assert_cmpint(tc_expect_error(c, HXFR_CONFIG_REQ), ==, HXFR_ERR_LIMIT);
		cfg = (struct hxfr_config){ 0 };
		g_assert_cmpint(hxfr_build_config_req(buf, sizeof(buf), 0, &cfg), ==, sizeof(buf));
		buf[HXFR_HEADER_SIZE + 8] = 5; /* bitrate 5 b/s */
		tc_send_ok(c, buf, sizeof(buf));
		g_assert_cmpint(tc_expect_error(c, HXFR_CONFIG_REQ), ==, HXFR_ERR_INVALID_MSG);
	}
	still_usable(c, &st, 20);
	tc_stream_clear(&st);
	tc_close(c);
}

static void test_unknown_type(void)
{
	static const uint8_t junk[100] = { 1, 2, 3 };
	struct tc_conn *c = tc_connect_tcp(daemon_->port);

	/* a Helix peer: skipped by its size, silently */
	tc_send_raw(c, 0x77, 0x5a, sizeof(junk), junk, sizeof(junk));
	tc_send_raw(c, 0x78, 0, 0, NULL, 0);
	tc_ping(c, false); /* the PONG is the very next message */
	tc_close(c);

	/* a HELLO peer: ERROR UNSUPPORTED naming the type */
	c = hello_conn(HXFR_PATH_INLINE, 1);
	tc_send_raw(c, 0x77, 0x5a, sizeof(junk), junk, sizeof(junk));
	g_assert_cmpint(tc_expect_error(c, 0x77), ==, HXFR_ERR_UNSUPPORTED);
	tc_ping(c, true);
	tc_close(c);
}

/* Peers that vanish in the middle of a big inline frame. */
static void test_killed_mid_message(void)
{
	struct tc_picture *p = tc_picture_new(HXFR_FMT_BGRX, 1280, 720, 0);
	struct hxfr_frame_request m = { .width = 1280, .height = 720, .format = HXFR_FMT_BGRX,
					.stride = 1280 * 4, .pixels_len = p->size };
	uint8_t prefix[HXFR_FRAME_REQUEST_PREFIX];

	tc_picture_render(p, 0);
	g_assert_cmpint(hxfr_build_frame_request(prefix, sizeof(prefix), 0, &m), ==,
			sizeof(prefix));
	for (int i = 0; i < 3; i++) {
		struct tc_conn *c = i == 2 ? hello_conn(HXFR_PATH_INLINE, 1) :
					     tc_connect_tcp(daemon_->port);

		tc_send_ok(c, prefix, sizeof(prefix));
		tc_send_ok(c, p->data, p->size / 2);
		if (i == 1)
			tc_close_reset(c); /* RST instead of FIN */
		else
			tc_close(c);
	}
	/* and one that dies inside the header */
	{
		struct tc_conn *c = tc_connect_tcp(daemon_->port);

		tc_send_ok(c, prefix, 7);
		tc_close_reset(c);
	}
	g_assert_true(th_daemon_alive(daemon_));
	{
		struct tc_conn *c = hello_conn(HXFR_PATH_INLINE, 1);
		struct tc_stream st;

		tc_stream_init(&st);
		still_usable(c, &st, 40);
		tc_stream_clear(&st);
		tc_close(c);
	}
	tc_picture_free(p);
}

static void test_gpu_handle(void)
{
	struct hxfr_frame_request m = { .resource_id = 7, .width = 320, .height = 240,
					.format = HXFR_FMT_BGRA, .stride = 1280, .pts_ns = 5 };
	uint8_t buf[HXFR_FRAME_REQUEST_PREFIX];
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_conn *c;

	g_assert_cmpint(hxfr_build_frame_request(buf, sizeof(buf), 0, &m), ==, sizeof(buf));
	g_assert_cmpuint(buf[5], ==, 0); /* no PIXEL_DATA */
	/* a Helix peer (which may use the path) */
	c = tc_connect_tcp(daemon_->port);
	tc_send_ok(c, buf, sizeof(buf));
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_REQUEST), ==, HXFR_ERR_UNSUPPORTED);
	tc_stream_init(&st);
	still_usable(c, &st, 60);
	tc_stream_clear(&st);
	tc_close(c);
	/* a HELLO peer asking for it: not offered (no importer), and refused */
	c = tc_connect_tcp(daemon_->port);
	tc_hello(c, HXFR_PATH_ALL, 2, "gpu", &hr);
	g_assert_cmpuint(hr.frame_paths & HXFR_PATH_GPU_HANDLE, ==, 0);
	tc_send_ok(c, buf, sizeof(buf));
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_REQUEST), ==, HXFR_ERR_UNSUPPORTED);
	tc_ping(c, false);
	tc_close(c);
}

/* More frames in flight than HELLO_RESP allowed: ERROR BUSY for the extra
 * ones, in request order; the allowed ones are answered normally. */
static void test_busy(void)
{
	struct tc_conn *c = hello_conn(HXFR_PATH_INLINE, 2);
	struct tc_picture *p = tc_picture_new(HXFR_FMT_NV12, 64, 64, 0);
	uint8_t prefix[HXFR_FRAME_REQUEST_PREFIX];
	GByteArray *burst = g_byte_array_new();
	unsigned busy = 0, frames = 0;

	tc_picture_render(p, 0);
	for (uint32_t i = 0; i < 5; i++) {
		struct hxfr_frame_request m = { .width = 64, .height = 64, .format = HXFR_FMT_NV12,
						.stride = 64, .pts_ns = tc_pts(i),
						.pixels_len = p->size };

		g_assert_cmpint(hxfr_build_frame_request(prefix, sizeof(prefix), 0, &m), ==,
				sizeof(prefix));
		g_byte_array_append(burst, prefix, sizeof(prefix));
		g_byte_array_append(burst, p->data, (guint)p->size);
	}
	/* one write, so the host sees all five before any can finish */
	tc_send_ok(c, burst->data, burst->len);
	for (uint32_t i = 0; i < 5; i++) {
		struct tc_msg msg;

		g_assert_cmpint(tc_recv(c, TH_TIMEOUT_MS, &msg), ==, 1);
		if (msg.m.hdr.type == HXFR_ERROR) {
			struct hxfr_error e;

			g_assert_cmpint(hxfr_decode_error(&msg.m, &e, NULL), ==, 0);
			g_assert_cmpint(e.code, ==, HXFR_ERR_BUSY);
			g_assert_cmpuint(e.offending_type, ==, HXFR_FRAME_REQUEST);
			busy++;
		} else {
			struct tc_reply rep;

			tc_parse_response(&msg, &rep);
			g_assert_cmpint(rep.r.pts_ns, ==, tc_pts(i));
			frames++;
		}
		/* the first two requests are within the quota */
		g_assert_cmpuint(frames, >=, MIN(i + 1, 2));
		tc_msg_clear(&msg);
	}
	/* All three extra ones are BUSY when the host reads the burst in one
	 * go, as it normally does; should the kernel split it, the first of
	 * them may find a frame already answered. */
	g_test_message("%u frames answered, %u BUSY", frames, busy);
	g_assert_cmpuint(busy, >=, 1);
	g_assert_cmpuint(busy + frames, ==, 5);
	g_byte_array_unref(burst);
	tc_picture_free(p);
	/* the quota is free again */
	{
		struct tc_stream st;

		tc_stream_init(&st);
		still_usable(c, &st, 80);
		tc_stream_clear(&st);
	}
	tc_close(c);
}

/* Invalid messages of several kinds, round robin. */
static void send_invalid(struct tc_conn *c, unsigned i)
{
	static const uint8_t three[3];

	switch (i % 4) {
	case 0: tc_send_raw(c, HXFR_PING, 0, 3, three, 3); break;            /* bad size */
	case 1: tc_send_raw(c, HXFR_KEYFRAME_REQ, 0x80, 0, NULL, 0); break;  /* bad flag */
	case 2: tc_send_raw(c, 0x7e, 0, 3, three, 3); break;                  /* unknown */
	default: tc_send_raw(c, HXFR_SUBSCRIBE, 0, 3, three, 3); break;      /* bad size */
	}
}

/* 63 invalid messages in a row are answered; the 64th closes the session.
 * A valid message in between starts the count again. */
static void test_errors_in_row(void)
{
	struct tc_conn *c = hello_conn(HXFR_PATH_INLINE, 1);
	unsigned errors = 0;

	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 63; i++)
			send_invalid(c, i);
		for (unsigned i = 0; i < 63; i++) {
			struct tc_msg msg;

			tc_expect(c, HXFR_ERROR, &msg);
			tc_msg_clear(&msg);
		}
		tc_ping(c, false);
	}
	tc_close(c);

	c = hello_conn(HXFR_PATH_INLINE, 1);
	for (unsigned i = 0; i < 64; i++)
		send_invalid(c, i);
	for (;;) {
		struct tc_msg msg;
		int res = tc_recv(c, TH_TIMEOUT_MS, &msg);

		if (res != 1) {
			g_assert_true(res == -EPIPE || res == -ECONNRESET);
			break;
		}
		g_assert_cmpuint(msg.m.hdr.type, ==, HXFR_ERROR);
		errors++;
		tc_msg_clear(&msg);
	}
	g_test_message("closed after %u ERROR replies", errors);
	g_assert_cmpuint(errors, >=, 63);
	g_assert_cmpuint(errors, <=, 64);
	tc_close(c);
}

/* After all of it: the guard never failed and got every reply, and the
 * host still takes new sessions. */
static void test_survived(void)
{
	int64_t deadline = g_get_monotonic_time() + (int64_t)TH_TIMEOUT_MS * 1000;
	struct tc_conn *c;
	struct tc_stream st;

	g_assert_true(th_daemon_alive(daemon_));
	/* (only matters when this case runs alone, with -p) */
	while (g_atomic_int_get(&guard.replies) < 20 && g_get_monotonic_time() < deadline)
		g_usleep(10000);
	g_atomic_int_set(&guard.stop, 1);
	g_thread_join(guard.thread);
	guard.thread = NULL;
	g_test_message("guard session: %d frames, all answered and correct, %u IDRs",
		       g_atomic_int_get(&guard.replies), guard.idrs);
	g_assert_cmpint(g_atomic_int_get(&guard.replies), >=, 20);
	g_assert_true(th_daemon_alive(daemon_));
	c = hello_conn(HXFR_PATH_INLINE, 2);
	tc_stream_init(&st);
	still_usable(c, &st, 90);
	tc_stream_clear(&st);
	tc_close(c);
}

int main(int argc, char **argv)
{
	g_autofree char *max_payload = g_strdup_printf("--max-payload=%u", MAX_PAYLOAD);
	g_autofree char *idle = g_strdup_printf("--idle-timeout=%d", IDLE_TIMEOUT_S);
	const char *const args[] = { max_payload, idle, "--max-size=1920x1080",
				     "--max-inflight=4", NULL };
	struct th_options o = { .args = args };
	int res;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/malformed/bad-magic", test_bad_magic);
	g_test_add_func("/malformed/oversize", test_oversize);
	g_test_add_func("/malformed/truncated-idle", test_truncated_idle);
	g_test_add_func("/malformed/shm-out-of-slot", test_shm_out_of_slot);
	g_test_add_func("/malformed/geometry", test_geometry);
	g_test_add_func("/malformed/unknown-type", test_unknown_type);
	g_test_add_func("/malformed/killed-mid-message", test_killed_mid_message);
	g_test_add_func("/malformed/gpu-handle", test_gpu_handle);
	g_test_add_func("/malformed/busy", test_busy);
	g_test_add_func("/malformed/errors-in-row", test_errors_in_row);
	g_test_add_func("/malformed/survived", test_survived);

	region = tc_region_new(RING_SIZE);
	o.shm_spec = region->path;
	daemon_ = th_daemon_start(&o);
	guard.thread = g_thread_new("guard", guard_main, NULL);
	res = g_test_run();
	if (guard.thread) { /* a subset of the cases was run */
		g_atomic_int_set(&guard.stop, 1);
		g_thread_join(guard.thread);
	}
	th_daemon_stop(daemon_);
	tc_region_free(region);
	return res;
}
