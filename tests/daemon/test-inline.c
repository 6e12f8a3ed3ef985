/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd, inline frames (FRAME_REQUEST with PIXEL_DATA) over TCP and a
 * unix socket: every reply is checked down to the decoded pixels. */
#include <errno.h>
#include <string.h>

#include "client.h"

#define BITRATE 2000000
#define FPS 30

static struct tc_conn *connect_to(struct th_daemon *d, bool unix_socket)
{
	return unix_socket ? tc_connect_unix(d->unix_path) : tc_connect_tcp(d->port);
}

/* Three formats in a row on one stream; KEYFRAME_REQ and force_keyframe
 * each produce exactly one IDR, nothing else does. */
static void stream_formats(bool unix_socket, const uint32_t *fourccs, size_t n, uint32_t w,
			   uint32_t h)
{
	struct th_options o = { .unix_socket = unix_socket };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = connect_to(d, unix_socket);
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	uint32_t next = 100;
	unsigned idrs = 0;

	tc_stream_init(&st);
	tc_hello(c, HXFR_PATH_INLINE, 4, "test-inline", &hr);
	g_assert_cmpuint(hr.frame_paths, ==, HXFR_PATH_INLINE);
	g_assert_cmpuint(hr.max_inflight, ==, 4);
	tc_config(c, BITRATE, FPS);
	for (size_t i = 0; i < n; i++) {
		/* padded strides: the host must honour them */
		uint32_t stride = hxfr_format_planes(fourccs[i]) == 1 ? w * 4 + 16 : w + 32;
		struct tc_run run = { .fourcc = fourccs[i], .width = w, .height = h,
				      .stride = stride, .first = next, .count = 12, .window = 2,
				      .first_idr = i == 0, .keyreq_before = 5, .force_at = 9 };

		idrs += tc_run_frames(c, &st, &run);
		next += run.count;
	}
	g_assert_cmpuint(idrs, ==, 1 + 2 * n);
	g_assert_cmpuint(st.aus, ==, 12 * n);
	/* HELLO_RESP's profile is the one in the SPS */
	g_assert_cmpint(st.profile_idc, ==, hr.profile);
	g_test_message("lowest PSNR: %.1f dB", st.min_psnr);
	tc_ping(c, true);
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
}

static void test_tcp(void)
{
	static const uint32_t fmts[] = { HXFR_FMT_NV12, HXFR_FMT_BGRX, HXFR_FMT_I420 };

	stream_formats(false, fmts, G_N_ELEMENTS(fmts), 320, 240);
}

static void test_unix(void)
{
	static const uint32_t fmts[] = { HXFR_FMT_RGBX, HXFR_FMT_BGRA, HXFR_FMT_RGBA,
					 HXFR_FMT_NV12 };

	stream_formats(true, fmts, G_N_ELEMENTS(fmts), 640, 360);
}

/* A new size restarts the stream with an IDR of that size, on the same
 * connection; includes the one 1280x720 case of the suite. */
static void test_size_change(void)
{
	static const struct { uint32_t fourcc, w, h, count; } steps[] = {
		{ HXFR_FMT_NV12, 320, 240, 4 },
		{ HXFR_FMT_BGRX, 1280, 720, 6 },
		{ HXFR_FMT_I420, 640, 360, 4 },
		{ HXFR_FMT_NV12, 320, 240, 3 },
	};
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	uint32_t next = 0;

	tc_stream_init(&st);
	tc_hello(c, HXFR_PATH_INLINE, 2, "test-size", &hr);
	tc_config(c, BITRATE, FPS);
	for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
		struct tc_run run = { .fourcc = steps[i].fourcc, .width = steps[i].w,
				      .height = steps[i].h, .first = next, .count = steps[i].count,
				      .window = 2, .first_idr = true, .keyreq_before = -1,
				      .force_at = -1 };

		g_assert_cmpuint(tc_run_frames(c, &st, &run), ==, 1);
		next += run.count;
	}
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
}

/* CONFIG_RESP says what the host applies, not what was asked: zeros
 * ("the host's choice") come back as the values in use. */
static void test_config_applied(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_hello_resp hr;
	struct hxfr_config a;

	tc_hello(c, HXFR_PATH_INLINE, 2, "test-config-applied", &hr);
	/* Nothing asked: the defaults, not zeros (the request's size is 0x0,
	 * so the bitrate is the default's floor). */
	a = tc_config_applied(c, 0, 0);
	g_assert_cmpuint(a.bitrate, ==, 500000);
	g_assert_cmpuint(a.fps_num, ==, 30);
	g_assert_cmpuint(a.fps_den, ==, 1);
	g_assert_cmpuint(a.profile, ==, 66);
	g_assert_cmpuint(a.realtime, ==, 1);
	a = tc_config_applied(c, 3000000, 50);
	g_assert_cmpuint(a.bitrate, ==, 3000000);
	g_assert_cmpuint(a.fps_num, ==, 50);
	a = tc_config_applied(c, 0, 0); /* the rate in use stays */
	g_assert_cmpuint(a.fps_num, ==, 50);
	tc_config(c, 2000000, 30);
	tc_close(c);
	th_daemon_stop(d);
}

/* Without CONFIG_REQ the bitrate is the host's default for the *current*
 * size (9 bits per pixel per second there, at least 0.5 Mbit/s): after growing
 * from 64x64
 * to 320x240 the stream must get 320x240's rate, or its pictures are
 * unreadable. */
static void test_default_bitrate(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct tc_picture *small = tc_picture_new(HXFR_FMT_NV12, 64, 64, 0);
	struct tc_run run = { .fourcc = HXFR_FMT_NV12, .width = 320, .height = 240, .first = 10,
			      .count = 6, .window = 2, .first_idr = true, .keyreq_before = -1,
			      .force_at = -1 };
	struct hxfr_hello_resp hr;
	struct tc_stream st;

	tc_stream_init(&st);
	tc_hello(c, HXFR_PATH_INLINE, 2, "test-default-bitrate", &hr);
	/* 64x64 at 16 kbit/s is a blur: check the replies, not the pixels */
	for (uint32_t n = 0; n < 3; n++) {
		struct tc_msg msg;
		struct tc_reply rep;

		tc_picture_render(small, n);
		tc_send_frame(c, small, tc_pts(n), false);
		tc_expect(c, HXFR_FRAME_RESPONSE, &msg);
		tc_parse_response(&msg, &rep);
		g_assert_cmpuint(rep.flags, ==, 0);
		g_assert_cmpint(rep.r.pts_ns, ==, tc_pts(n));
		tc_stream_decode(&st, rep.r.au, rep.r.au_len, rep.r.is_keyframe);
		tc_msg_clear(&msg);
	}
	g_assert_cmpuint(tc_run_frames(c, &st, &run), ==, 1);
	tc_picture_free(small);
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
}

/* max_inflight frames sent back to back: one reply each, in request order,
 * each a decodable frame or DROPPED (no data); never an ERROR. The host
 * drops the oldest waiting frame to keep latency low, so the newest of a
 * burst is always encoded; a dropped frame's force_keyframe carries over
 * to the next encoded one. */
static void test_pipelined(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct tc_picture *pics[4];
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	unsigned frames = 0, dropped = 0;

	tc_stream_init(&st);
	tc_hello(c, HXFR_PATH_INLINE, 4, "test-pipelined", &hr);
	g_assert_cmpuint(hr.max_inflight, ==, 4);
	tc_config(c, BITRATE, FPS);
	for (int i = 0; i < 4; i++)
		pics[i] = tc_picture_new(HXFR_FMT_NV12, 320, 240, 0);
	for (uint32_t round = 0; round < 6; round++) {
		/* round 3 starts with a forced keyframe */
		bool want_idr = round == 0 || round == 3;

		for (uint32_t i = 0; i < 4; i++) {
			tc_picture_render(pics[i], round * 4 + i);
			tc_send_frame(c, pics[i], tc_pts(round * 4 + i), round == 3 && i == 0);
		}
		for (uint32_t i = 0; i < 4; i++) {
			struct tc_msg msg;
			struct tc_reply rep;

			tc_expect(c, HXFR_FRAME_RESPONSE, &msg);
			tc_parse_response(&msg, &rep);
			g_assert_cmpint(rep.r.pts_ns, ==, tc_pts(round * 4 + i));
			if (rep.flags & HXFR_FLAG_DROPPED) {
				g_assert_cmpuint(rep.r.nal_count, ==, 0);
				g_assert_cmpuint(rep.r.au_len, ==, 0);
				g_assert_cmpuint(i, <, 3);
				dropped++;
			} else {
				const AVFrame *f;

				g_assert_cmpuint(rep.flags, ==, 0);
				g_assert_cmpuint(rep.r.nal_count, ==, 1);
				g_assert_cmpuint(rep.r.is_keyframe, ==, want_idr);
				want_idr = false;
				f = tc_stream_decode(&st, rep.r.au, rep.r.au_len, rep.r.is_keyframe);
				tc_check_picture(&st, f, pics[i]);
				frames++;
			}
			tc_msg_clear(&msg);
		}
	}
	g_test_message("%u frames encoded, %u dropped by the host", frames, dropped);
	g_assert_cmpuint(st.idrs, ==, 2);
	for (int i = 0; i < 4; i++)
		tc_picture_free(pics[i]);
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
}

/* Reads until a message of @p type; counts the FRAME_RESPONSEs before it. */
static unsigned frames_before(struct tc_conn *c, uint8_t type)
{
	unsigned n = 0;

	for (;;) {
		struct tc_msg m;

		g_assert_cmpint(tc_recv(c, TH_TIMEOUT_MS, &m), ==, 1);
		if (m.m.hdr.type == type) {
			tc_msg_clear(&m);
			return n;
		}
		g_assert_cmpuint(m.m.hdr.type, ==, HXFR_FRAME_RESPONSE);
		n++;
		tc_msg_clear(&m);
	}
}

/* HELLO rules. A HELLO on a live session starts a new session on the same
 * channel (a guest pipeline restarted on a virtio-serial port): replies to
 * the old session's frames that were not out yet never arrive after the
 * new HELLO_RESP. Another major version gets ERROR VERSION and a close. */
static void test_hello(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_hello h = { .version = HXFR_VERSION, .frame_paths = HXFR_PATH_INLINE,
				.max_inflight = 1 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];
	struct hxfr_hello_resp hr;
	struct tc_picture *p = tc_picture_new(HXFR_FMT_BGRX, 1280, 720, 0);
	struct tc_stream st;
	unsigned early;

	g_assert_cmpint(hxfr_build_hello(buf, sizeof(buf), 0, &h), ==, sizeof(buf));
	/* Whether a reply is still pending when the new HELLO is read is up to
	 * the scheduler: when all four went out first (a loaded machine), there
	 * was nothing to check, so try again (a few times at most). */
	for (int attempt = 0; attempt < 5; attempt++) {
		tc_hello(c, HXFR_PATH_INLINE, 64, "first", &hr);
		/* the host's own limit (--max-inflight, default 4) caps the guest's wish */
		g_assert_cmpuint(hr.max_inflight, ==, 4);
		for (int i = 0; i < 4; i++) {
			tc_picture_render(p, (uint32_t)i);
			tc_send_frame(c, p, tc_pts((uint32_t)i), false);
		}
		tc_send_ok(c, buf, sizeof(buf));
		early = frames_before(c, HXFR_HELLO_RESP);
		g_test_message("%u of 4 old replies went out before the new HELLO_RESP", early);
		if (early < 4)
			break;
	}
	g_assert_cmpuint(early, <, 4);
	/* nothing of the old session follows: only the PONG */
	tc_ping(c, false);
	tc_expect_silence(c, 1000);
	/* the new session works: its first frame comes back as an IDR */
	tc_stream_init(&st);
	tc_picture_render(p, 10);
	tc_send_frame(c, p, tc_pts(10), false);
	g_assert_true(tc_expect_frame(c, &st, p, tc_pts(10)));

	/* GOODBYE ends the session; the reply GOODBYE comes after every reply
	 * already out, and a HELLO then starts afresh */
	tc_picture_render(p, 11);
	tc_send_frame(c, p, tc_pts(11), false);
	tc_send_empty(c, HXFR_GOODBYE);
	early = frames_before(c, HXFR_GOODBYE);
	g_assert_cmpuint(early, <=, 1);
	tc_expect_silence(c, 500);
	tc_hello(c, HXFR_PATH_INLINE, 2, "second", &hr);
	g_assert_cmpuint(hr.max_inflight, ==, 2);
	tc_stream_clear(&st);
	tc_stream_init(&st);
	tc_picture_render(p, 12);
	tc_send_frame(c, p, tc_pts(12), false);
	g_assert_true(tc_expect_frame(c, &st, p, tc_pts(12)));
	tc_stream_clear(&st);
	tc_picture_free(p);
	tc_close(c);

	c = tc_connect_tcp(d->port);
	h.version = (2u << 16) | 3;
	g_assert_cmpint(hxfr_build_hello(buf, sizeof(buf), 0, &h), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
	g_assert_cmpint(tc_expect_error(c, HXFR_HELLO), ==, HXFR_ERR_VERSION);
	tc_expect_closed(c, 5000, NULL);
	tc_close(c);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/inline/config-applied", test_config_applied);
	g_test_add_func("/inline/tcp", test_tcp);
	g_test_add_func("/inline/unix", test_unix);
	g_test_add_func("/inline/size-change", test_size_change);
	g_test_add_func("/inline/default-bitrate", test_default_bitrate);
	g_test_add_func("/inline/pipelined", test_pipelined);
	g_test_add_func("/inline/hello", test_hello);
	return g_test_run();
}
