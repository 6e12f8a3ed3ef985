/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Attackers on the HXFR port: a PING flood that never reads, silent
 * connections, a trickle at 1 byte a second, tiny odd-sized frames, a
 * guest that truncates the file under its ring. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "check.h"
#include "client.h"
#include "conn.h"
#include "soak.h"
#include "web-client.h"

#define SILENT_CONNECTIONS 24
/* hostencd's defaults (--handshake-timeout, --idle-timeout 10 s) plus its
 * timers' tick and a loaded machine */
#define CLOSE_WITHIN_MS 25000

/* ---- PING flood --------------------------------------------------------- */

void soak_attack_ping_flood(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	struct hxfr_ping p = { .has_time = true, .time_ns = 1 };
	uint8_t one[HXFR_HEADER_SIZE + HXFR_PING_TS_SIZE];
	size_t n = (size_t)hxfr_build_ping(one, sizeof(one), HXFR_PING, 0, &p);
	g_autofree uint8_t *buf = g_malloc(n * 4096);

	for (size_t i = 0; i < 4096; i++)
		memcpy(buf + i * n, one, n);
	while (!soak_attack_over(s, until_us)) {
		struct soak_conn *c = soak_conn_tcp(s->port);
		int64_t t0 = g_get_monotonic_time();
		bool closed = false;
		char why[300];

		if (!c || soak_hello(c, HXFR_PATH_INLINE, 1, "attacker-ping", why, sizeof(why)) < 0) {
			soak_attack_undefended(s, st, "ping flood: no session to start with");
			soak_conn_close(c, true);
			soak_sleep_ms(s, 1000);
			continue;
		}
		size_t at = 0; /* whole messages: the stream must stay well framed */

		while (!closed && !soak_attack_over(s, until_us) && soak_ms_since(t0) < CLOSE_WITHIN_MS) {
			ssize_t w = send(c->fd, buf + at, n * 4096 - at, MSG_NOSIGNAL | MSG_DONTWAIT);
			struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

			if (w >= 0) {
				at = (at + (size_t)w) % (n * 4096);
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				closed = true;
			else if (poll(&pfd, 1, 50) > 0 && (pfd.revents & (POLLHUP | POLLERR)))
				closed = true;
		}
		if (closed) {
			g_atomic_int_inc(&st->rounds);
			soak_attack_defended(st, soak_ms_since(t0));
		} else if (soak_ms_since(t0) >= CLOSE_WITHIN_MS) {
			g_atomic_int_inc(&st->rounds);
			soak_attack_undefended(s, st, "ping flood not closed within %d s",
					       CLOSE_WITHIN_MS / 1000);
		}
		soak_conn_close(c, true);
	}
}

/* ---- silent connections ---------------------------------------------------- */

void soak_attack_silent(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	while (!soak_attack_over(s, until_us)) {
		struct pollfd pfd[SILENT_CONNECTIONS];
		int64_t t0 = g_get_monotonic_time();
		unsigned open = 0;

		for (unsigned i = 0; i < SILENT_CONNECTIONS; i++) {
			struct soak_conn *c = soak_conn_tcp(s->port);

			pfd[i] = (struct pollfd){ .fd = c ? soak_conn_steal_fd(c) : -1, .events = POLLIN };
			open += c != NULL;
		}
		while (open && !soak_attack_over(s, until_us) && soak_ms_since(t0) < CLOSE_WITHIN_MS) {
			if (poll(pfd, SILENT_CONNECTIONS, 100) <= 0)
				continue;
			for (unsigned i = 0; i < SILENT_CONNECTIONS; i++) {
				uint8_t junk[4096];
				ssize_t r;

				if (pfd[i].fd < 0 || !pfd[i].revents)
					continue;
				r = recv(pfd[i].fd, junk, sizeof(junk), MSG_DONTWAIT);
				if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
					continue; /* an ERROR first, perhaps */
				g_atomic_int_inc(&st->rounds);
				soak_attack_defended(st, soak_ms_since(t0));
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open--;
			}
		}
		if (open && soak_ms_since(t0) >= CLOSE_WITHIN_MS) {
			g_atomic_int_add(&st->rounds, (gint)open);
			for (unsigned i = 0; i < open; i++)
				soak_attack_undefended(s, st, "a silent connection still open after %d s",
						       CLOSE_WITHIN_MS / 1000);
		}
		for (unsigned i = 0; i < SILENT_CONNECTIONS; i++)
			if (pfd[i].fd >= 0)
				close(pfd[i].fd);
	}
}

/* ---- 1 byte a second ------------------------------------------------------------ */

/* Closed by the host (EOF, reset), reading and dropping what it sent. */
static bool peer_closed(int fd, int wait_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t junk[4096];
	int64_t end = g_get_monotonic_time() + (int64_t)wait_ms * 1000;

	for (;;) {
		int left = (int)((end - g_get_monotonic_time()) / 1000);
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return false;
		r = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
}

void soak_attack_trickle(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	for (unsigned round = 0; !soak_attack_over(s, until_us); round++) {
		struct hxfr_hello h = { .version = HXFR_VERSION, .frame_paths = HXFR_PATH_INLINE,
					.max_inflight = 1, .name = "attacker-trickle" };
		struct hxfr_frame_request m = { .width = SOAK_W, .height = SOAK_H,
						.format = HXFR_FMT_BGRX, .stride = SOAK_W * 4,
						.pixels_len = (size_t)SOAK_W * SOAK_H * 4 };
		uint8_t bytes[HXFR_FRAME_REQUEST_PREFIX + 256] = { 0 };
		struct soak_conn *c = soak_conn_tcp(s->port);
		bool after_hello = round % 2, closed = false;
		size_t len = 0, sent = 0;
		int64_t t0;
		char why[300];

		if (!c || (after_hello &&
			   soak_hello(c, HXFR_PATH_INLINE, 1, "attacker-trickle", why, sizeof(why)) < 0)) {
			soak_attack_undefended(s, st, "trickle: no connection to start with");
			soak_conn_close(c, true);
			soak_sleep_ms(s, 1000);
			continue;
		}
		if (after_hello)
			len = (size_t)hxfr_build_frame_request(bytes, sizeof(bytes), 0, &m) + 256;
		else
			len = (size_t)hxfr_build_hello(bytes, sizeof(bytes), 0, &h);
		t0 = g_get_monotonic_time();
		while (!closed && sent < len && !soak_attack_over(s, until_us) &&
		       soak_ms_since(t0) < CLOSE_WITHIN_MS) {
			if (send(c->fd, bytes + sent, 1, MSG_NOSIGNAL) != 1)
				closed = true;
			else if (++sent, peer_closed(c->fd, 1000))
				closed = true;
		}
		if (closed) {
			g_atomic_int_inc(&st->rounds);
			soak_attack_defended(st, soak_ms_since(t0));
		} else if (sent >= len || soak_ms_since(t0) >= CLOSE_WITHIN_MS) {
			g_atomic_int_inc(&st->rounds);
			soak_attack_undefended(s, st, "%s at 1 byte/s not closed after %zu bytes, %d s",
					       after_hello ? "a frame" : "a HELLO", sent,
					       soak_ms_since(t0) / 1000);
		}
		soak_conn_close(c, true);
	}
}

/* ---- tiny odd-sized frames ---------------------------------------------------- */

/* Under the encoder's 16x16 (refused with an ERROR), and odd sizes over
 * it (encoded: each a new encoder, since the size changes every frame). */
static const uint32_t tiny_sizes[][2] = {
	{ 1, 1 }, { 15, 15 }, { 3, 17 }, { 16, 16 }, { 17, 17 }, { 17, 31 }, { 33, 19 },
	{ 31, 17 }, { 45, 63 }, { 63, 45 }, { 99, 17 }, { 17, 99 }, { 129, 17 },
};
static const uint32_t tiny_formats[] = { HXFR_FMT_BGRX, HXFR_FMT_NV12, HXFR_FMT_I420 };

/* One tiny frame and its reply: an ERROR under 16x16, else an IDR that
 * decodes to the size sent. @return 1 as expected, 0 the session ended,
 * -1 something else (@p why). */
static int tiny_frame(struct soak_conn *c, struct soak_checker *chk, unsigned k, char *why,
		      size_t len)
{
	uint32_t w = tiny_sizes[k % G_N_ELEMENTS(tiny_sizes)][0];
	uint32_t h = tiny_sizes[k % G_N_ELEMENTS(tiny_sizes)][1];
	uint32_t fmt = tiny_formats[(k / G_N_ELEMENTS(tiny_sizes)) % G_N_ELEMENTS(tiny_formats)];
	bool too_small = w < 16 || h < 16;
	uint64_t min_stride = 0, rows = 0, size = 0;
	struct hxfr_frame_request m = { .width = w, .height = h, .format = fmt,
					.pts_ns = (int64_t)k * 33333333 + 1,
					.duration_ns = 33333333 };
	uint8_t prefix[HXFR_FRAME_REQUEST_PREFIX], pixels[160 * 100 * 4];
	struct hxfr_frame_response r;
	struct soak_msg msg;
	int res, dw = 0, dh = 0;

	hxfr_format_plane_geometry(fmt, 0, w, h, &min_stride, &rows);
	m.stride = (uint32_t)min_stride;
	hxfr_format_frame_size(fmt, w, h, m.stride, &size);
	m.pixels_len = (size_t)size;
	for (size_t i = 0; i < size; i++)
		pixels[i] = (uint8_t)g_random_int();
	if (hxfr_build_frame_request(prefix, sizeof(prefix), 0, &m) < 0 ||
	    soak_conn_send2(c, prefix, sizeof(prefix), pixels, (size_t)size) < 0)
		return 0;
	res = soak_conn_recv(c, SOAK_REPLY_MS, &msg);
	if (res == -ETIMEDOUT)
		snprintf(why, len, "%ux%u: no reply", w, h);
	else if (res < 0)
		res = 0;
	else if (too_small && msg.m.hdr.type == HXFR_ERROR)
		res = 1;
	else if (too_small || msg.m.hdr.type != HXFR_FRAME_RESPONSE ||
		 hxfr_decode_frame_response(&msg.m, &r, NULL) < 0)
		soak_describe(res, &msg, why, len);
	else if (!r.is_keyframe || soak_decode_size(chk, r.au, r.au_len, &dw, &dh) < 0 ||
		 dw != (int)w || dh != (int)h)
		snprintf(why, len, "%ux%u %.4s: %s decodes to %dx%d", w, h, (const char *)&fmt,
			 r.is_keyframe ? "the IDR" : "a P-frame", dw, dh);
	else
		res = 1;
	soak_msg_clear(&msg);
	return res == 1 ? 1 : res == 0 ? 0 : -1;
}

void soak_attack_tiny(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	struct soak_conn *c = NULL;
	struct soak_checker chk;
	char why[300];

	soak_checker_init(&chk, NULL, 0, 0);
	for (unsigned k = 0; !soak_attack_over(s, until_us); k++) {
		int res;

		if (!c) {
			c = soak_conn_tcp(s->port);
			if (!c || soak_hello(c, HXFR_PATH_INLINE, 1, "attacker-tiny", why,
					     sizeof(why)) < 0) {
				soak_attack_undefended(s, st, "tiny frames: no session: %s",
						       c ? why : g_strerror(errno));
				soak_conn_close(c, false);
				c = NULL;
				soak_sleep_ms(s, 1000);
				continue;
			}
		}
		res = tiny_frame(c, &chk, k, why, sizeof(why));
		g_atomic_int_inc(&st->rounds);
		if (res > 0) {
			soak_attack_defended(st, -1);
		} else {
			soak_attack_undefended(s, st, "tiny frame: %s",
					       res ? why : "the session ended");
			soak_conn_close(c, false);
			c = NULL;
		}
		g_usleep(50000);
	}
	soak_conn_close(c, false);
	soak_checker_clear(&chk);
}

/* ---- a ring's file truncated --------------------------------------------------- */

#define TRUNC_SLOTS SOAK_TRUNC_SLOTS
#define TRUNC_RING SOAK_TRUNC_RING

static void trunc_fill(struct soak *s, const struct hxfr_ring_header *hdr, uint32_t slot,
		       const struct tc_picture *p, int64_t pts, struct hxfr_frame_shm *f)
{
	*f = (struct hxfr_frame_shm){ .slot = slot, .format = p->fourcc, .width = p->width,
				      .height = p->height, .pts_ns = pts,
				      .duration_ns = 1000000000 / SOAK_FPS };
	for (uint32_t i = 0; i < p->planes; i++) {
		f->stride[i] = p->pstride[i];
		f->plane_offset[i] = (uint32_t)(p->plane[i] - p->data);
	}
	memcpy(s->attack_region->map + hdr->data_offset + (uint64_t)slot * hdr->slot_size, p->data,
	       p->size);
}

static int trunc_send(struct soak_conn *c, const struct hxfr_frame_shm *f)
{
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];

	if (hxfr_build_frame_shm(buf, sizeof(buf), 0, f) < 0)
		return -EINVAL;
	return soak_conn_send(c, buf, sizeof(buf));
}

/* A session on the ring, streaming well: 0, or -1 with why. */
static int trunc_session(struct soak *s, struct soak_conn **out, struct hxfr_ring_header *hdr,
			 const struct tc_picture *p, char *why, size_t len)
{
	uint64_t id = g_random_int() | ((uint64_t)g_random_int() << 32) | 1;
	struct soak_conn *c;
	int64_t deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	if (ftruncate(s->attack_region->fd, (off_t)s->attack_region->size) < 0 ||
	    hxfr_ring_init(s->attack_region->map, TRUNC_RING, TRUNC_SLOTS, SOAK_SLOT_SIZE, id) < 0 ||
	    hxfr_ring_header_read(s->attack_region->map, TRUNC_RING, hdr, NULL) < 0) {
		snprintf(why, len, "the ring's file does not come back");
		return -1;
	}
	if (!(c = soak_conn_tcp(s->port))) {
		snprintf(why, len, "connect: %s", g_strerror(errno));
		return -1;
	}
	*out = c;
	if (soak_hello(c, HXFR_PATH_SHM, TRUNC_SLOTS, "attacker-truncate", why, len) < 0)
		return -1;
	while (soak_shm_attach(c, 0, TRUNC_RING, id, "attack", why, len) < 0)
		if (g_get_monotonic_time() > deadline || !strstr(why, "status") ||
		    !soak_sleep_ms(s, 200))
			return -1;
	if (soak_config(c, SOAK_BITRATE, SOAK_FPS, why, len) < 0)
		return -1;
	for (uint32_t k = 0; k < 3; k++) {
		struct hxfr_frame_shm f;
		struct soak_msg msg = { 0 };
		int res = -EPIPE;

		trunc_fill(s, hdr, k, p, (int64_t)k * 33333333 + 1, &f);
		if (trunc_send(c, &f) < 0 || (res = soak_conn_recv(c, SOAK_REPLY_MS, &msg)) != 1 ||
		    msg.m.hdr.type != HXFR_FRAME_RESPONSE) {
			soak_describe(res, &msg, why, len);
			soak_msg_clear(&msg);
			return -1;
		}
		soak_msg_clear(&msg);
	}
	return 0;
}

/* Frames in flight, the file cut under them: ERROR SHM, then the close. */
static void trunc_round(struct soak *s, struct soak_attack_stats *st, unsigned round)
{
	const struct tc_picture *p = s->clips[round % 2].pic[round % SOAK_CLIP];
	off_t cut = round % 2 ? (off_t)s->attack_region->size / 2 : 0;
	struct hxfr_ring_header hdr;
	struct hxfr_frame_shm f[TRUNC_SLOTS];
	struct soak_conn *c = NULL;
	bool error_shm = false;
	int64_t t0;
	char why[300];

	if (trunc_session(s, &c, &hdr, p, why, sizeof(why)) < 0) {
		g_atomic_int_inc(&st->rounds);
		soak_attack_undefended(s, st, "truncating guest: no good session first: %s", why);
		soak_conn_close(c, true);
		soak_sleep_ms(s, 1000);
		return;
	}
	/* every slot written before the cut: after it, this process must
	 * not touch the mapping either */
	for (uint32_t k = 0; k < TRUNC_SLOTS; k++)
		trunc_fill(s, &hdr, k, p, (int64_t)(3 + k) * 33333333 + 1, &f[k]);
	t0 = g_get_monotonic_time();
	(void)trunc_send(c, &f[0]);
	if (ftruncate(s->attack_region->fd, cut) < 0)
		soak_log(s, "attacker: ftruncate: %s", g_strerror(errno));
	(void)trunc_send(c, &f[1]);
	(void)trunc_send(c, &f[2]);
	for (;;) {
		struct soak_msg msg;
		struct hxfr_error e;
		int res = soak_conn_recv(c, CLOSE_WITHIN_MS, &msg);

		if (res == 1 && msg.m.hdr.type == HXFR_ERROR &&
		    hxfr_decode_error(&msg.m, &e, NULL) == 0 && e.code == HXFR_ERR_SHM)
			error_shm = true;
		soak_msg_clear(&msg);
		if (res == 1)
			continue;
		g_atomic_int_inc(&st->rounds);
		if (res != -ETIMEDOUT && error_shm)
			soak_attack_defended(st, soak_ms_since(t0));
		else
			soak_attack_undefended(s, st, "file cut to %lld bytes: %s",
					       (long long)cut, res == -ETIMEDOUT ?
					       "the session was not closed" : "closed without ERROR SHM");
		break;
	}
	soak_conn_close(c, true);
}

void soak_attack_truncate(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	for (unsigned round = 0; !soak_attack_over(s, until_us); round++) {
		trunc_round(s, st, round);
		soak_sleep_ms(s, 1000);
	}
	/* the file whole again for the next slot */
	if (ftruncate(s->attack_region->fd, (off_t)s->attack_region->size) < 0)
		soak_log(s, "attacker: ftruncate: %s", g_strerror(errno));
}
