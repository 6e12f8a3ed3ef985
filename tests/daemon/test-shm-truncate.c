/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd when a guest truncates the file under the ring it attached
 * while its frames are being encoded (to nothing, with NV12 frames that
 * libx264 reads itself, and to half its size, with BGRx frames that the
 * colour conversion reads): each read past the new end is a SIGBUS in the
 * encode worker. hostencd lives on, that guest gets ERROR SHM naming FRAME_SHM and is
 * closed, and another guest streaming through a ring of its own, the HXFR
 * subscriber and the web viewer of that guest's stream go on getting good
 * frames. The file, grown back, can be attached again at once (the closed
 * session let go of its mapping). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "web-client.h"

#define BITRATE 2000000
#define FPS 30
#define W 320
#define H 240
#define SLOT_SIZE (1u << 20)
#define SLOTS 4u
#define RING_SIZE (4096u + SLOTS * SLOT_SIZE)
#define RING_OFFSET 8192u
#define REGION_SIZE (RING_OFFSET + RING_SIZE + 4096u)
#define SCANOUT 5u      /* the innocent guest's stream id */
#define FRAMES_AFTER 5  /* frames every survivor must get after the close */
#define INIT_MSG "{\"type\":\"init\",\"codecs\":[\"avc1.42c01f\"],\"width\":320,\"height\":240}"

/* Write @p p into @p slot (its inline layout as it is) and describe it;
 * nothing is sent. */
static struct hxfr_frame_shm fill_slot(const struct tc_ring *ring, uint32_t slot,
				       const struct tc_picture *p, uint32_t frame_no)
{
	struct hxfr_frame_shm f = { .slot = slot, .format = p->fourcc, .width = p->width,
				    .height = p->height, .pts_ns = tc_pts(frame_no),
				    .duration_ns = 1000000000 / FPS };

	for (uint32_t i = 0; i < p->planes; i++) {
		f.stride[i] = p->pstride[i];
		f.plane_offset[i] = (uint32_t)(p->plane[i] - p->data);
	}
	memcpy(tc_ring_slot(ring, slot), p->data, p->size);
	return f;
}

/* Frame requests in one write. @return 0 or -errno: the host may have
 * closed the connection already (the callers tell why). */
static int send_requests(struct tc_conn *c, const struct hxfr_frame_shm *f, unsigned n)
{
	uint8_t buf[4][HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];

	g_assert_cmpuint(n, <=, G_N_ELEMENTS(buf));
	for (unsigned i = 0; i < n; i++)
		g_assert_cmpint(hxfr_build_frame_shm(buf[i], sizeof(buf[i]), 0, &f[i]), ==,
				sizeof(buf[i]));
	return tc_send(c, buf, n * sizeof(buf[0]));
}

/* @p msg must be a good reply to the frame with @p pts showing @p p. */
static void check_frame(struct tc_stream *st, const struct tc_msg *msg,
			const struct tc_picture *p, int64_t pts)
{
	struct tc_reply rep;
	struct hxfr_error e;

	if (msg->m.hdr.type == HXFR_ERROR && hxfr_decode_error(&msg->m, &e, NULL) == 0)
		g_error("expected FRAME_RESPONSE, got ERROR %d: %s", e.code, e.message);
	tc_parse_response(msg, &rep);
	g_assert_cmpuint(rep.flags, ==, 0);
	g_assert_cmpint(rep.r.pts_ns, ==, pts);
	tc_check_picture(st, tc_stream_decode(st, rep.r.au, rep.r.au_len, rep.r.is_keyframe), p);
}

/* The innocent guest: streams from its own ring until told to stop, every
 * reply checked against its picture. Two in flight; whether a reply is an
 * IDR is the host's business here (a keepalive while this thread waits on
 * a busy machine makes the next frame one). The connection ending is
 * left to the main thread to explain. */
struct streamer {
	GThread *thread;
	struct tc_conn *c;
	struct tc_ring ring;
	gint stop;
	gint frames;
	gint ended;
};

static gpointer streamer_main(gpointer data)
{
	struct streamer *b = data;
	struct tc_picture *p[2] = { tc_picture_new(HXFR_FMT_NV12, W, H, 0),
				    tc_picture_new(HXFR_FMT_NV12, W, H, 0) };
	struct tc_stream st;
	uint32_t sent = 0, done = 0;

	tc_stream_init(&st);
	while (!g_atomic_int_get(&b->stop) || done < sent) {
		struct tc_msg msg;
		int res;

		if (!g_atomic_int_get(&b->stop) && sent - done < 2) {
			struct hxfr_frame_shm f;

			tc_picture_render(p[sent % 2], 100 + sent);
			f = fill_slot(&b->ring, sent % 2, p[sent % 2], 100 + sent);
			if (send_requests(b->c, &f, 1) < 0)
				break;
			sent++;
			continue;
		}
		res = tc_recv(b->c, TH_TIMEOUT_MS, &msg);
		if (res == -EPIPE || res == -ECONNRESET)
			break;
		g_assert_cmpint(res, ==, 1);
		check_frame(&st, &msg, p[done % 2], tc_pts(100 + done));
		tc_msg_clear(&msg);
		done++;
		g_atomic_int_inc(&b->frames);
	}
	g_atomic_int_set(&b->ended, done < sent || !g_atomic_int_get(&b->stop));
	tc_stream_clear(&st);
	tc_picture_free(p[0]);
	tc_picture_free(p[1]);
	return NULL;
}

/* Watchers of the innocent guest's stream, counting what they get until
 * told to stop or their connection ends (which the test then reports:
 * the main thread says whether hostencd died). */
struct watcher {
	GThread *thread;
	struct tc_conn *c;  /* an HXFR subscriber, or */
	struct wc_ws *ws;   /* a web viewer */
	gint stop;
	gint frames;
	gint ended;
};

static gpointer subscriber_main(gpointer data)
{
	struct watcher *v = data;

	while (!g_atomic_int_get(&v->stop)) {
		struct tc_msg msg;
		int res = tc_recv(v->c, 200, &msg);

		if (res == -ETIMEDOUT)
			continue;
		if (res != 1) {
			g_atomic_int_set(&v->ended, 1);
			break;
		}
		if (msg.m.hdr.type == HXFR_FRAME_RESPONSE)
			g_atomic_int_inc(&v->frames);
		tc_msg_clear(&msg);
	}
	return NULL;
}

static gpointer viewer_main(gpointer data)
{
	struct watcher *v = data;
	g_autoptr(GByteArray) payload = g_byte_array_new();

	while (!g_atomic_int_get(&v->stop)) {
		int op = wc_ws_recv(v->ws, 200, payload);

		if (op == -2 || op == 8) { /* the end, or a close frame */
			g_atomic_int_set(&v->ended, 1);
			break;
		}
		if (op == 2)
			g_atomic_int_inc(&v->frames);
	}
	return NULL;
}

static void enable_scanout(struct tc_conn *c, uint32_t id)
{
	struct hxfr_enable_scanout m = { .id = id, .width = W, .height = H, .refresh_hz = 60 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_ENABLE_SCANOUT_SIZE];
	struct hxfr_scanout_resp r;
	struct tc_msg msg;

	g_assert_cmpint(hxfr_build_enable_scanout(buf, sizeof(buf), 0, &m), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
	tc_expect(c, HXFR_SCANOUT_RESP, &msg);
	g_assert_cmpint(hxfr_decode_scanout_resp(&msg.m, &r, NULL), ==, 0);
	g_assert_cmpuint(r.success, ==, 1);
	tc_msg_clear(&msg);
}

/* Replies to @p n requests for the pictures @p p: good frames (each the
 * picture of its slot: never one read from a truncated file), then the
 * ERROR, then the end of the connection. @return the good frames. */
static unsigned expect_truncated(struct th_daemon *d, struct tc_conn *c, struct tc_stream *st,
				 struct tc_picture *const *p, const struct hxfr_frame_shm *f,
				 unsigned n)
{
	unsigned good = 0, skipped = 99;

	for (;;) {
		struct tc_msg msg;
		struct hxfr_error e;
		int res = tc_recv(c, TH_TIMEOUT_MS, &msg);

		if (res != 1) {
			g_usleep(200000); /* a dying hostencd closes its sockets first */
			g_error("expected a reply or ERROR SHM, got %s%s", res == -ETIMEDOUT ?
				"nothing" : "the end of the connection",
				th_daemon_alive(d) ? "" : ": hostencd died (its status is above)");
		}
		if (msg.m.hdr.type == HXFR_ERROR) {
			g_assert_cmpint(hxfr_decode_error(&msg.m, &e, NULL), ==, 0);
			g_test_message("ERROR %d about %s: %s", e.code,
				       hxfr_type_name(e.offending_type), e.message);
			g_assert_cmpint(e.code, ==, HXFR_ERR_SHM);
			g_assert_cmpuint(e.offending_type, ==, HXFR_FRAME_SHM);
			g_assert_nonnull(strstr(e.message, "FRAME_SHM"));
			g_assert_nonnull(strstr(e.message, "truncated"));
			tc_msg_clear(&msg);
			break;
		}
		g_assert_cmpuint(good, <, n);
		check_frame(st, &msg, p[good], f[good].pts_ns);
		tc_msg_clear(&msg);
		good++;
	}
	/* closed right after its ERROR: nothing else comes */
	tc_expect_closed(c, TH_TIMEOUT_MS, &skipped);
	g_assert_cmpuint(skipped, ==, 0);
	return good;
}

/* Wait until each counter passed its mark by FRAMES_AFTER, while no
 * connection of theirs ends. */
static void expect_progress(gint *const *counters, gint *const *ended, const int *marks,
			    unsigned n)
{
	int64_t deadline = g_get_monotonic_time() + TH_TIMEOUT_MS * 1000ll;

	for (unsigned i = 0; i < n; i++) {
		while (g_atomic_int_get(counters[i]) < marks[i] + FRAMES_AFTER) {
			for (unsigned k = 0; k < n; k++)
				if (g_atomic_int_get(ended[k]))
					g_error("survivor %u lost its connection", k);
			if (g_get_monotonic_time() > deadline)
				g_error("survivor %u got %d frames after the truncation, expected %d",
					i, g_atomic_int_get(counters[i]) - marks[i], FRAMES_AFTER);
			g_usleep(20000);
		}
	}
}

/* The guilty guest: a ring in @p r; good frames first. */
static struct tc_conn *guilty_start(struct th_daemon *d, struct tc_ring *ring,
				    struct tc_region *r, struct tc_stream *st, uint32_t fourcc,
				    uint32_t first)
{
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_hello_resp hr;
	struct tc_run run = { .fourcc = fourcc, .width = W, .height = H,
			      .first = first, .count = 6, .window = 2, .first_idr = true,
			      .keyreq_before = -1, .force_at = -1 };

	tc_ring_init(ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	run.ring = ring;
	tc_hello(c, HXFR_PATH_SHM, SLOTS, "guilty", &hr);
	g_assert_cmpint(tc_shm_attach(c, ring, ""), ==, HXFR_ERR_OK);
	tc_config(c, BITRATE, FPS);
	tc_run_frames(c, st, &run);
	return c;
}

/*
 * Truncate the guilty guest's file to @p new_size with its frames (in
 * @p fourcc) in flight. To nothing: the frame sent before may or may not
 * have been read in time, the one after cannot be. To half: the pictures
 * in slots 0 and 1 still lie inside the file and encode well, the one in
 * slot 2 does not.
 */
static void truncate_case(uint64_t new_size, uint32_t fourcc)
{
	struct tc_region *guilty_r = tc_region_new(REGION_SIZE);
	struct tc_region *other_r = tc_region_new(REGION_SIZE);
	g_autofree char *other_spec = g_strdup_printf("--shm=other=%s", other_r->path);
	const char *const args[] = { other_spec, "--http=127.0.0.1:0", NULL };
	struct th_options o = { .shm_spec = guilty_r->path, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct streamer b = { .c = tc_connect_tcp(d->port) };
	struct watcher sub = { .c = tc_connect_tcp(d->port) }, web = { 0 };
	g_autofree char *ws_path = g_strdup_printf("/ws/stream?source=%u", SCANOUT);
	struct tc_picture *p[3];
	struct hxfr_frame_shm f[3];
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_ring ring;
	struct tc_conn *a;
	gint *counters[] = { &b.frames, &sub.frames, &web.frames };
	gint *ended[] = { &b.ended, &sub.ended, &web.ended };
	int marks[G_N_ELEMENTS(counters)];
	unsigned good;

	g_assert_cmpuint(d->http_port, >, 0);
	/* the innocent guest, its subscriber and its web viewer */
	tc_ring_init(&b.ring, other_r, 0, RING_SIZE, SLOTS, SLOT_SIZE);
	tc_hello(b.c, HXFR_PATH_SHM, 2, "innocent", &hr);
	g_assert_cmpint(tc_shm_attach(b.c, &b.ring, "other"), ==, HXFR_ERR_OK);
	tc_config(b.c, BITRATE, FPS);
	enable_scanout(b.c, SCANOUT);
	tc_subscribe_ok(sub.c, SCANOUT);
	sub.thread = g_thread_new("subscriber", subscriber_main, &sub);
	web.ws = wc_ws_open(d->http_port, NULL, ws_path, NULL);
	g_assert_cmpint(web.ws->status, ==, 101);
	g_assert_true(wc_ws_send_text(web.ws, INIT_MSG));
	web.thread = g_thread_new("web viewer", viewer_main, &web);
	b.thread = g_thread_new("innocent", streamer_main, &b);

	/* the guilty one streams well first */
	tc_stream_init(&st);
	a = guilty_start(d, &ring, guilty_r, &st, fourcc, 1);
	for (unsigned i = 0; i < G_N_ELEMENTS(p); i++) {
		p[i] = tc_picture_new(fourcc, W, H, 0);
		tc_picture_render(p[i], 50 + i);
		f[i] = fill_slot(&ring, i, p[i], 50 + i);
	}
	/* never more than two in flight: none is dropped before encoding */
	g_assert_cmpint(send_requests(a, f, 1), ==, 0);
	g_assert_cmpint(ftruncate(guilty_r->fd, (off_t)new_size), ==, 0);
	g_assert_cmpint(send_requests(a, f + 1, 1), ==, 0);
	if (new_size == 0) {
		good = expect_truncated(d, a, &st, p, f, 2);
		g_assert_cmpuint(good, <=, 1);
	} else {
		for (good = 0; good < 2; good++) {
			struct tc_msg msg;

			g_assert_cmpint(tc_recv(a, TH_TIMEOUT_MS, &msg), ==, 1);
			check_frame(&st, &msg, p[good], f[good].pts_ns);
			tc_msg_clear(&msg);
		}
		(void)send_requests(a, f + 2, 1);
		g_assert_cmpuint(expect_truncated(d, a, &st, p + 2, f + 2, 1), ==, 0);
	}
	g_test_message("truncated to %" G_GUINT64_FORMAT " bytes: good frames before the ERROR: %u",
		       new_size, good);
	tc_close(a);
	tc_stream_clear(&st);
	g_assert_true(th_daemon_alive(d));

	/* everybody else goes on */
	for (unsigned i = 0; i < G_N_ELEMENTS(counters); i++)
		marks[i] = g_atomic_int_get(counters[i]);
	expect_progress(counters, ended, marks, G_N_ELEMENTS(counters));
	g_test_message("after the close: innocent guest %d frames, subscriber %d, web viewer %d",
		       g_atomic_int_get(&b.frames), g_atomic_int_get(&sub.frames),
		       g_atomic_int_get(&web.frames));

	/* the file grown back, its ring is free at once: a new session of
	 * the guest attaches it and streams */
	g_assert_cmpint(ftruncate(guilty_r->fd, REGION_SIZE), ==, 0);
	tc_stream_init(&st);
	a = guilty_start(d, &ring, guilty_r, &st, fourcc, 60);
	tc_stream_clear(&st);
	tc_close(a);

	g_atomic_int_set(&b.stop, 1);
	g_atomic_int_set(&sub.stop, 1);
	g_atomic_int_set(&web.stop, 1);
	g_thread_join(b.thread);
	g_thread_join(sub.thread);
	g_thread_join(web.thread);
	g_assert_true(th_daemon_alive(d));
	for (unsigned i = 0; i < G_N_ELEMENTS(ended); i++)
		g_assert_cmpint(*ended[i], ==, 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(p); i++)
		tc_picture_free(p[i]);
	tc_close(b.c);
	tc_close(sub.c);
	wc_ws_free(web.ws);
	th_daemon_stop(d); /* exits cleanly, no sanitizer report */
	tc_region_free(guilty_r);
	tc_region_free(other_r);
}

/* NV12 goes to libx264 as it is: the fault is in libx264's own copy. */
static void test_to_zero(void)
{
	truncate_case(0, HXFR_FMT_NV12);
}

/* BGRx is converted: the fault is in the colour conversion (libyuv). */
static void test_to_half(void)
{
	truncate_case(REGION_SIZE / 2, HXFR_FMT_BGRX);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/shm-truncate/to-zero", test_to_zero);
	g_test_add_func("/shm-truncate/to-half", test_to_half);
	return g_test_run();
}
