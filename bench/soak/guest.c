/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest: a session over TCP that streams the clip at 30 fps, inline or
 * through its ring in the shared file, two frames in flight, and checks
 * every reply (its pts, one access unit, nothing missing, the picture it
 * sent). Told to disconnect, it goes (cleanly, abruptly, or in the middle
 * of a message) and comes back after the gap. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "client.h"
#include "conn.h"
#include "soak.h"

struct guest {
	struct soak_actor *a;
	struct soak *s;
	struct soak_conn *c;
	struct soak_checker chk;
	const struct soak_clip *clip;
	/* ring */
	uint8_t *ring;
	uint64_t ring_off;
	struct hxfr_ring_header hdr;
	/* this session */
	uint32_t sent, done;        /* frames sent and answered */
	uint32_t first;             /* frame number of the session's first frame */
	int64_t next_us;            /* when the next frame is due */
	int64_t waiting_since_us;   /* oldest frame in flight sent then */
};

static int64_t frame_pts(uint32_t k)
{
	return (int64_t)k * 1000000000 / SOAK_FPS + 1000;
}

static const struct tc_picture *picture(const struct guest *g, uint32_t k)
{
	return g->clip->pic[k % SOAK_CLIP];
}

/* ---- the ring --------------------------------------------------------------- */

static void slot_state(const struct guest *g, uint32_t slot, uint32_t state, int64_t pts)
{
	uint8_t *h = g->ring + g->hdr.slot_header_offset + (uint64_t)slot * HXFR_RING_SLOT_HEADER_SIZE;

	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(state >> (8 * i));
	for (int i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)((uint64_t)pts >> (8 * i));
}

static int ring_attach(struct guest *g, char *why, size_t len)
{
	uint64_t id = g_random_int() | ((uint64_t)g_random_int() << 32) | 1;
	int64_t deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	if (hxfr_ring_init(g->ring, SOAK_RING_SIZE, SOAK_WINDOW, SOAK_SLOT_SIZE, id) < 0 ||
	    hxfr_ring_header_read(g->ring, SOAK_RING_SIZE, &g->hdr, NULL) < 0) {
		snprintf(why, len, "ring does not initialise");
		return -1;
	}
	/* The previous session's ring is free once hostencd saw it end,
	 * which a loaded machine may take a moment to do. */
	while (soak_shm_attach(g->c, g->ring_off, SOAK_RING_SIZE, id, "soak", why, len) < 0) {
		if (g_get_monotonic_time() > deadline || !strstr(why, "status"))
			return -1;
		g_usleep(200000);
	}
	return 0;
}

/* ---- one session ---------------------------------------------------------- */

static int session_start(struct guest *g, char *why, size_t len)
{
	uint32_t paths = g->a->shm ? HXFR_PATH_SHM : HXFR_PATH_INLINE;

	g->c = soak_conn_tcp(g->s->port);
	if (!g->c) {
		snprintf(why, len, "connect: %s", g_strerror(errno));
		return -1;
	}
	if (soak_hello(g->c, paths, SOAK_WINDOW, g->a->name, why, len) < 0 ||
	    (g->a->shm && ring_attach(g, why, len) < 0) ||
	    soak_config(g->c, SOAK_BITRATE, SOAK_FPS, why, len) < 0) {
		soak_conn_close(g->c, false);
		g->c = NULL;
		return -1;
	}
	soak_checker_reset(&g->chk);
	g->done = g->sent = g->first;
	g->next_us = g_get_monotonic_time();
	g_atomic_int_inc(&g->a->n.connects);
	return 0;
}

/* The session ends: consumers of the stream see its epoch change first. */
static void session_end(struct guest *g, enum soak_disconnect how)
{
	g_atomic_int_set(&g->a->up, 0);
	g_atomic_int_inc(&g->a->epoch);
	g->first = g->sent;
	if (how == SOAK_DISC_CLEAN)
		(void)soak_send_empty(g->c, HXFR_GOODBYE);
	if (how == SOAK_DISC_MID) {
		/* half of a frame message */
		const struct tc_picture *p = picture(g, g->sent);
		struct hxfr_frame_request m = { .width = p->width, .height = p->height,
						.format = p->fourcc, .stride = p->stride,
						.pts_ns = frame_pts(g->sent),
						.duration_ns = 1000000000 / SOAK_FPS,
						.pixels_len = p->size };
		struct hxfr_frame_shm f = { .format = p->fourcc, .width = p->width,
					    .height = p->height, .pts_ns = frame_pts(g->sent) };
		uint8_t buf[HXFR_FRAME_REQUEST_PREFIX + HXFR_FRAME_SHM_SIZE];

		if (g->a->shm) {
			f.stride[0] = p->pstride[0];
			if (hxfr_build_frame_shm(buf, sizeof(buf), 0, &f) > 0)
				(void)soak_conn_send(g->c, buf, 30);
		} else if (hxfr_build_frame_request(buf, sizeof(buf), 0, &m) > 0) {
			(void)soak_conn_send2(g->c, buf, HXFR_FRAME_REQUEST_PREFIX, p->data,
					      p->size / 2);
		}
	}
	soak_conn_close(g->c, how == SOAK_DISC_RST || how == SOAK_DISC_MID);
	g->c = NULL;
}

static int send_frame(struct guest *g)
{
	uint32_t k = g->sent;
	const struct tc_picture *p = picture(g, k);

	if (g->a->shm) {
		uint32_t slot = k % SOAK_WINDOW;
		struct hxfr_frame_shm f = { .slot = slot, .format = p->fourcc, .width = p->width,
					    .height = p->height, .pts_ns = frame_pts(k),
					    .duration_ns = 1000000000 / SOAK_FPS };
		uint8_t buf[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];

		slot_state(g, slot, HXFR_SLOT_WRITING, f.pts_ns);
		for (uint32_t i = 0; i < p->planes; i++) {
			f.stride[i] = p->pstride[i];
			f.plane_offset[i] = (uint32_t)(p->plane[i] - p->data);
		}
		memcpy(g->ring + g->hdr.data_offset + (uint64_t)slot * g->hdr.slot_size, p->data,
		       p->size);
		slot_state(g, slot, HXFR_SLOT_QUEUED, f.pts_ns);
		if (hxfr_build_frame_shm(buf, sizeof(buf), 0, &f) < 0)
			return -EINVAL;
		return soak_conn_send(g->c, buf, sizeof(buf));
	} else {
		struct hxfr_frame_request m = { .width = p->width, .height = p->height,
						.format = p->fourcc, .stride = p->stride,
						.pts_ns = frame_pts(k),
						.duration_ns = 1000000000 / SOAK_FPS,
						.pixels_len = p->size };
		uint8_t buf[HXFR_FRAME_REQUEST_PREFIX];

		if (hxfr_build_frame_request(buf, sizeof(buf), 0, &m) < 0)
			return -EINVAL;
		return soak_conn_send2(g->c, buf, sizeof(buf), p->data, p->size);
	}
}

/* The reply to frame g->done. @return false when the session must end. */
static bool take_reply(struct guest *g, const struct soak_msg *msg)
{
	struct hxfr_frame_response r;
	struct soak_au_result res;
	uint32_t k = g->done;
	char what[400];

	if (msg->m.hdr.type == HXFR_PONG)
		return true;
	if (msg->m.hdr.type != HXFR_FRAME_RESPONSE ||
	    hxfr_decode_frame_response(&msg->m, &r, NULL) < 0) {
		soak_describe(1, msg, what, sizeof(what));
		soak_error(g->a, "frame %u: expected its FRAME_RESPONSE, got %s", k, what);
		return false;
	}
	if (g->a->shm)
		slot_state(g, k % SOAK_WINDOW, HXFR_SLOT_FREE, 0);
	g->done++;
	g->waiting_since_us = g_get_monotonic_time();
	if (r.pts_ns != frame_pts(k)) {
		soak_error(g->a, "reply pts %" G_GINT64_FORMAT ", expected frame %u's", r.pts_ns, k);
		return false;
	}
	if (msg->m.hdr.flags & HXFR_FLAG_DROPPED) {
		g_atomic_int_inc(&g->a->n.drops);
		return true;
	}
	if (msg->m.hdr.flags) {
		soak_error(g->a, "frame %u: reply flags 0x%x", k, msg->m.hdr.flags);
		return true;
	}
	soak_checker_au(&g->chk, r.au, r.au_len, r.is_keyframe, NULL, &res);
	if (res.missing)
		g_atomic_int_add(&g->a->n.misses, res.missing);
	if (res.bad) {
		soak_error(g->a, "frame %u: %s", k, res.why);
		/* a broken reference makes every later frame bad too */
		return false;
	}
	if (res.frame_no != k % SOAK_CLIP)
		soak_error(g->a, "frame %u: the reply shows frame %u of the clip, sent %u", k,
			   res.frame_no, k % SOAK_CLIP);
	g_atomic_int_inc(&g->a->n.frames);
	g_atomic_int_set(&g->a->up, 1); /* its stream exists */
	return true;
}

/* Stream until told to go or something breaks. */
static void stream(struct guest *g)
{
	for (;;) {
		int64_t now = g_get_monotonic_time(), wait_ms;
		enum soak_disconnect how;
		struct soak_msg msg;
		int gap = 0, res;
		char what[400];

		if (soak_stopping(g->s)) {
			session_end(g, SOAK_DISC_CLEAN);
			return;
		}
		if ((how = soak_take_request(g->a, &gap))) {
			session_end(g, how);
			g_atomic_int_inc(&g->a->n.planned);
			soak_sleep_ms(g->s, gap);
			return;
		}
		if (g->sent - g->done < SOAK_WINDOW && now >= g->next_us) {
			if (g->sent == g->done)
				g->waiting_since_us = now;
			if ((res = send_frame(g)) < 0) {
				soak_error(g->a, "sending frame %u: %s", g->sent, g_strerror(-res));
				break;
			}
			g->sent++;
			g->next_us += G_USEC_PER_SEC / SOAK_FPS;
			/* far behind (a busy machine): do not try to catch up */
			if (g->next_us < now - G_USEC_PER_SEC / 2)
				g->next_us = now;
			continue;
		}
		wait_ms = g->sent - g->done < SOAK_WINDOW ? (g->next_us - now + 999) / 1000 : 50;
		wait_ms = CLAMP(wait_ms, 1, 50);
		if (g->sent == g->done) {
			g_usleep((gulong)wait_ms * 1000);
			continue;
		}
		res = soak_conn_recv(g->c, (int)wait_ms, &msg);
		if (res == -ETIMEDOUT) {
			if (now - g->waiting_since_us > (int64_t)SOAK_REPLY_MS * 1000) {
				soak_error(g->a, "no reply to frame %u for %d s", g->done,
					   SOAK_REPLY_MS / 1000);
				break;
			}
			continue;
		}
		if (res < 0) {
			soak_describe(res, &msg, what, sizeof(what));
			soak_error(g->a, "waiting for frame %u's reply: %s", g->done, what);
			break;
		}
		res = take_reply(g, &msg);
		soak_msg_clear(&msg);
		if (!res)
			break;
	}
	session_end(g, SOAK_DISC_RST);
}

gpointer soak_guest_main(gpointer data)
{
	struct soak_actor *a = data;
	struct guest g = { .a = a, .s = a->soak };

	for (unsigned i = 0; i < SOAK_CLIP_FORMATS; i++)
		if (g.s->clips[i].fourcc == a->fourcc)
			g.clip = &g.s->clips[i];
	g_assert_nonnull(g.clip);
	if (a->shm) {
		g.ring_off = (uint64_t)(a->index % SOAK_SHM_GUESTS) * SOAK_RING_STRIDE;
		g.ring = g.s->ring_region->map + g.ring_off;
	}
	soak_checker_init(&g.chk, g.clip, SOAK_W, SOAK_H);
	while (!soak_stopping(g.s)) {
		char why[300];

		if (!soak_daemon_alive(g.s))
			break;
		if (session_start(&g, why, sizeof(why)) < 0) {
			soak_error(a, "session: %s", why);
			soak_sleep_ms(g.s, 1000);
			continue;
		}
		stream(&g);
	}
	soak_checker_clear(&g.chk);
	return NULL;
}
