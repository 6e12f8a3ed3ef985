/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd with Helix peers: no HELLO, empty PING, scanout messages and
 * SUBSCRIBE (the test pattern as source 0, and a guest's scanout). */
#include <errno.h>
#include <string.h>

#include "client.h"

#define PATTERN_W 320
#define PATTERN_H 240
#define PATTERN_FPS 30

struct sub_state {
	struct tc_stream st;
	struct tc_picture *ref;   /* the pattern source's picture, rebuilt */
	uint32_t last_frame;
	unsigned frames, replayed;
	bool live;                /* a live (not REPLAYED) frame was seen */
};

static void sub_init(struct sub_state *s)
{
	memset(s, 0, sizeof(*s));
	tc_stream_init(&s->st);
	s->ref = tc_picture_new(HXFR_FMT_BGRX, PATTERN_W, PATTERN_H, 0);
}

static void sub_clear(struct sub_state *s)
{
	tc_stream_clear(&s->st);
	tc_picture_free(s->ref);
}

static void subscribe(struct tc_conn *c, uint32_t id, bool ok)
{
	struct hxfr_subscribe_resp r;
	struct tc_msg msg;
	const char *why = NULL;

	tc_send_u32(c, HXFR_SUBSCRIBE, 0, id);
	tc_expect(c, HXFR_SUBSCRIBE_RESP, &msg);
	if (hxfr_decode_subscribe_resp(&msg.m, &r, &why) < 0)
		g_error("bad SUBSCRIBE_RESP: %s", why);
	g_assert_cmpuint(msg.m.hdr.session, ==, id);
	g_assert_cmpuint(r.id, ==, id);
	g_assert_cmpuint(r.success, ==, ok);
	tc_msg_clear(&msg);
}

/* One FRAME_RESPONSE from the pattern source: decodable, the picture the
 * pattern drew for it, frame numbers increasing, pts matching the frame
 * number, REPLAYED only before the first live frame. @return is_keyframe. */
static bool sub_receive(struct tc_conn *c, struct sub_state *s)
{
	struct tc_msg msg;
	struct tc_reply rep;
	const AVFrame *f;
	bool replayed;

	tc_expect(c, HXFR_FRAME_RESPONSE, &msg);
	tc_parse_response(&msg, &rep);
	g_assert_cmpuint(rep.session, ==, 0);
	g_assert_cmpuint(rep.flags & ~HXFR_FLAG_REPLAYED, ==, 0);
	g_assert_cmpuint(rep.r.nal_count, ==, 1);
	replayed = rep.flags & HXFR_FLAG_REPLAYED;
	if (replayed && s->live)
		g_error("a REPLAYED frame after live ones");
	s->live |= !replayed;
	s->replayed += replayed;
	f = tc_stream_decode(&s->st, rep.r.au, rep.r.au_len, rep.r.is_keyframe);
	tc_render_like_pattern_source(s->ref, f);
	tc_check_picture(&s->st, f, s->ref);
	if (s->frames && s->ref->frame_no <= s->last_frame)
		g_error("frame number %u after %u", s->ref->frame_no, s->last_frame);
	/* the pattern source stamps frame n with n / fps seconds */
	g_assert_cmpint(rep.r.pts_ns, ==, (int64_t)s->ref->frame_no * 1000000000 / PATTERN_FPS);
	g_assert_cmpint(rep.r.dts_ns, ==, rep.r.pts_ns);
	s->last_frame = s->ref->frame_no;
	s->frames++;
	tc_msg_clear(&msg);
	return rep.r.is_keyframe;
}

/* SUBSCRIBE 0: the test pattern, live from an IDR; a late subscriber gets
 * the current GOP first (REPLAYED, from its IDR), then live frames; a
 * subscriber's KEYFRAME_REQ brings an IDR soon. */
static void test_subscribe_pattern(void)
{
	static const char *const args[] = { "--pattern-size=320x240", "--pattern-fps=30",
					     "--keepalive-fps=0", NULL };
	struct th_options o = { .pattern = true, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *a = tc_connect_tcp(d->port), *b;
	struct sub_state sa, sb;
	unsigned until_idr = 0;

	sub_init(&sa);
	sub_init(&sb);
	subscribe(a, 0, true);
	for (int i = 0; i < 20; i++)
		sub_receive(a, &sa);
	/* the first subscriber started the source: nothing to replay */
	g_assert_cmpuint(sa.replayed, ==, 0);
	g_assert_cmpuint(sa.st.idrs, ==, 1);

	b = tc_connect_tcp(d->port);
	subscribe(b, 0, true);
	while (!sb.live)
		sub_receive(b, &sb);
	g_test_message("late subscriber: %u frames replayed", sb.replayed);
	/* at least the 20 frames a already had since the IDR */
	g_assert_cmpuint(sb.replayed, >=, 20);
	g_assert_cmpuint(sb.st.idrs, ==, 1);
	for (int i = 0; i < 10; i++)
		sub_receive(b, &sb);

	/* a KEYFRAME_REQ from a subscriber: an IDR within a few frames */
	tc_send_empty(b, HXFR_KEYFRAME_REQ);
	while (!sub_receive(b, &sb)) {
		until_idr++;
		g_assert_cmpuint(until_idr, <, 10);
	}
	g_assert_cmpuint(sb.st.idrs, ==, 2);
	/* a saw the same IDR (one source, one encoder) and still decodes */
	for (int i = 0; i < 5; i++)
		sub_receive(a, &sa);
	g_test_message("lowest PSNR: %.1f dB (first subscriber), %.1f dB (late one)",
		       sa.st.min_psnr, sb.st.min_psnr);
	tc_close(b);
	tc_close(a);
	sub_clear(&sa);
	sub_clear(&sb);
	th_daemon_stop(d);
}

/* A peer that never says HELLO gets Helix behaviour: inline frames
 * encoded, an empty PING answered by an empty PONG, SUBSCRIBE to an
 * unknown source refused without closing. */
static void test_no_hello(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct tc_stream st;
	/* Helix guests send BGRA8888 or RGBA8888 */
	struct tc_run bgra = { .fourcc = HXFR_FMT_BGRA, .width = 320, .height = 240,
			       .first = 50, .count = 8, .window = 1, .first_idr = true,
			       .keyreq_before = 4, .force_at = -1 };
	struct tc_run rgba = { .fourcc = HXFR_FMT_RGBA, .width = 320, .height = 240,
			       .first = 58, .count = 8, .window = 1, .first_idr = false,
			       .keyreq_before = -1, .force_at = 2 };

	tc_stream_init(&st);
	tc_ping(c, false);
	g_assert_cmpuint(tc_run_frames(c, &st, &bgra), ==, 2);
	tc_ping(c, false);
	g_assert_cmpuint(tc_run_frames(c, &st, &rgba), ==, 1);
	subscribe(c, 77, false);
	tc_ping(c, false);
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
}

/* The subscriber's copy of a guest frame: same pts, same picture. */
static void expect_relayed(struct tc_conn *s, struct tc_stream *st, uint16_t id,
			   const struct tc_picture *p, int64_t pts)
{
	struct tc_msg msg;
	struct tc_reply rep;

	tc_expect(s, HXFR_FRAME_RESPONSE, &msg);
	tc_parse_response(&msg, &rep);
	g_assert_cmpuint(rep.session, ==, id);
	g_assert_cmpuint(rep.flags, ==, 0);
	g_assert_cmpint(rep.r.pts_ns, ==, pts);
	tc_check_picture(st, tc_stream_decode(st, rep.r.au, rep.r.au_len, rep.r.is_keyframe), p);
	tc_msg_clear(&msg);
}

/* Helix's desktop bridge: ENABLE_SCANOUT binds a guest's frames to a
 * scanout id that SUBSCRIBE finds; DISABLE_SCANOUT always gets a reply and
 * ends the subscription. */
static void test_scanout(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *g = tc_connect_tcp(d->port), *s = tc_connect_tcp(d->port);
	struct tc_picture *p = tc_picture_new(HXFR_FMT_BGRA, 320, 240, 0);
	struct tc_stream gst, sst;

	tc_stream_init(&gst);
	tc_stream_init(&sst);
	tc_enable_scanout(g, 2, 320, 240);
	tc_expect_scanout_resp(g, 2, true);
	subscribe(s, 2, true);
	for (uint32_t n = 0; n < 8; n++) {
		tc_picture_render(p, n);
		tc_send_frame(g, p, tc_pts(n), false);
		g_assert_cmpuint(tc_expect_frame(g, &gst, p, tc_pts(n)), ==, n == 0);
		expect_relayed(s, &sst, 2, p, tc_pts(n));
	}
	/* one scanout per session */
	tc_enable_scanout(g, 3, 320, 240);
	tc_expect_scanout_resp(g, 3, false);
	/* a scanout id taken by another session */
	tc_enable_scanout(s, 2, 320, 240);
	tc_expect_scanout_resp(s, 2, false);
	/* DISABLE of a scanout this session does not have: a reply, success 0 */
	tc_send_u32(g, HXFR_DISABLE_SCANOUT, 0, 5);
	tc_expect_scanout_resp(g, 5, false);
	tc_send_u32(g, HXFR_DISABLE_SCANOUT, 0, 2);
	tc_expect_scanout_resp(g, 2, true);
	/* the source is gone: its subscriber is closed */
	tc_expect_closed(s, 5000, NULL);
	/* the guest goes on with inline frames: a new stream, from an IDR */
	tc_picture_render(p, 8);
	tc_send_frame(g, p, tc_pts(8), false);
	tc_stream_clear(&gst);
	tc_stream_init(&gst);
	g_assert_true(tc_expect_frame(g, &gst, p, tc_pts(8)));
	tc_picture_free(p);
	tc_stream_clear(&gst);
	tc_stream_clear(&sst);
	tc_close(s);
	tc_close(g);
	th_daemon_stop(d);
}

/* A scanout id given to a VM (--scanout-owner ID=VM) cannot be taken by
 * anyone else, even while that VM is not there: viewers of that id would
 * watch the squatter. Other ids are still first come, first served. */
static void test_scanout_owner(void)
{
	static const char *const args[] = { "--scanout-owner=4=vm1", NULL };
	struct th_options o = { .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *g = tc_connect_tcp(d->port);
	g_autofree char *log = NULL;

	tc_enable_scanout(g, 4, 320, 240);
	tc_expect_scanout_resp(g, 4, false);
	tc_enable_scanout(g, 5, 320, 240);
	tc_expect_scanout_resp(g, 5, true);
	tc_close(g);
	g_assert_true(g_file_get_contents(d->log_path, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "ENABLE_SCANOUT 4 refused: it belongs to VM vm1"));
	th_daemon_stop(d);
}

/* Keepalive re-encodes of @p last (its pts, its picture) for the
 * subscriber, for @p ms; or, with @p next, until the relayed frame @p pts
 * (picture @p next) arrives. @return how many keepalives. */
static unsigned keepalives(struct tc_conn *s, struct tc_stream *st, const struct tc_picture *last,
			   int64_t last_pts, const struct tc_picture *next, int64_t pts, int ms)
{
	int64_t until = g_get_monotonic_time() + (int64_t)ms * 1000;
	unsigned n = 0;

	while (next || g_get_monotonic_time() < until) {
		struct tc_msg msg;
		struct tc_reply rep;
		int res = tc_recv(s, next ? TH_TIMEOUT_MS : 50, &msg);

		if (res == -ETIMEDOUT && !next)
			continue;
		g_assert_cmpint(res, ==, 1);
		tc_parse_response(&msg, &rep);
		g_assert_cmpuint(rep.flags, ==, 0);
		if (next && rep.r.pts_ns == pts) {
			tc_check_picture(st, tc_stream_decode(st, rep.r.au, rep.r.au_len,
							      rep.r.is_keyframe), next);
			tc_msg_clear(&msg);
			break;
		}
		g_assert_cmpint(rep.r.pts_ns, ==, last_pts);
		tc_check_picture(st, tc_stream_decode(st, rep.r.au, rep.r.au_len, rep.r.is_keyframe),
				 last);
		n++;
		tc_msg_clear(&msg);
	}
	return n;
}

/* A static screen (Helix lesson: 0 fps): while the guest sends nothing,
 * its subscribers get the last picture re-encoded (--keepalive-fps, from
 * 2 s after the guest's last frame); the guest never sees those, so its next frame must be an IDR (a P-frame
 * would reference pictures its decoder never had) - and only then. */
static void test_keepalive(void)
{
	static const char *const args[] = { "--keepalive-fps=4", NULL };
	struct th_options o = { .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *g = tc_connect_tcp(d->port), *s = tc_connect_tcp(d->port);
	struct tc_picture *p = tc_picture_new(HXFR_FMT_NV12, 320, 240, 0);
	struct tc_picture *last = tc_picture_new(HXFR_FMT_NV12, 320, 240, 0);
	struct tc_stream gst, sst;

	tc_stream_init(&gst);
	tc_stream_init(&sst);
	tc_enable_scanout(g, 1, 320, 240);
	tc_expect_scanout_resp(g, 1, true);
	subscribe(s, 1, true);
	for (uint32_t n = 0; n < 6; n++) {
		unsigned between = 0;
		bool key;

		if (n == 3) {
			/* the guest pauses: the subscriber still gets the last
			 * picture, from 2 s after the guest's own last frame (a
			 * guest's pause shorter than that costs it no IDR) */
			unsigned k = keepalives(s, &sst, last, tc_pts(2), NULL, 0, 3000);

			g_test_message("%u keepalive frames in 3 s", k);
			g_assert_cmpuint(k, >=, 2);
			tc_expect_silence(g, 100); /* never to the guest */
		}
		tc_picture_render(p, n);
		tc_send_frame(g, p, tc_pts(n), false);
		key = tc_expect_frame(g, &gst, p, tc_pts(n));
		/* a loaded machine may be slow enough for keepalives in between */
		if (n == 0)
			expect_relayed(s, &sst, 1, p, tc_pts(n));
		else
			between = keepalives(s, &sst, last, tc_pts(n - 1), p, tc_pts(n), 0);
		g_assert_cmpuint(key, ==, n == 0 || n == 3 || between > 0);
		tc_picture_render(last, n);
	}
	tc_picture_free(p);
	tc_picture_free(last);
	tc_stream_clear(&gst);
	tc_stream_clear(&sst);
	tc_close(s);
	tc_close(g);
	th_daemon_stop(d);
}

/* Frames in flight when ENABLE_SCANOUT re-registers the guest's source or
 * DISABLE_SCANOUT removes it: every frame still gets exactly one reply, in
 * order, and the session goes on. */
static void test_scanout_inflight(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *g = tc_connect_tcp(d->port);
	struct tc_picture *p = tc_picture_new(HXFR_FMT_NV12, 640, 360, 0);
	uint32_t n = 0;

	for (int round = 0; round < 2; round++) {
		unsigned frames = 0, resp = 0;
		struct tc_stream st;

		for (int i = 0; i < 2; i++) {
			tc_picture_render(p, n);
			tc_send_frame(g, p, tc_pts(n++), false);
		}
		if (round == 0)
			tc_enable_scanout(g, 4, 640, 360);
		else
			tc_send_u32(g, HXFR_DISABLE_SCANOUT, 0, 4);
		while (frames + resp < 3) {
			struct tc_msg msg;
			struct tc_reply rep;

			g_assert_cmpint(tc_recv(g, TH_TIMEOUT_MS, &msg), ==, 1);
			if (msg.m.hdr.type == HXFR_SCANOUT_RESP) {
				resp++;
			} else {
				tc_parse_response(&msg, &rep);
				g_assert_cmpint(rep.r.pts_ns, ==, tc_pts(n - 2 + frames));
				frames++;
			}
			tc_msg_clear(&msg);
		}
		g_assert_cmpuint(frames, ==, 2);
		g_assert_cmpuint(resp, ==, 1);
		/* and the next frame is encoded, from an IDR */
		tc_stream_init(&st);
		tc_picture_render(p, n);
		tc_send_frame(g, p, tc_pts(n), false);
		g_assert_true(tc_expect_frame(g, &st, p, tc_pts(n)));
		n++;
		tc_stream_clear(&st);
	}
	tc_picture_free(p);
	tc_close(g);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/helix/subscribe-pattern", test_subscribe_pattern);
	g_test_add_func("/helix/no-hello", test_no_hello);
	g_test_add_func("/helix/scanout", test_scanout);
	g_test_add_func("/helix/scanout-owner", test_scanout_owner);
	g_test_add_func("/helix/scanout-inflight", test_scanout_inflight);
	g_test_add_func("/helix/keepalive", test_keepalive);
	return g_test_run();
}
