/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A simulated guest: one paced HXFR session over a ring, see sim-guest.h. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hxfr/hxfr.h>

#include "bench-io.h"
#include "sim-guest.h"
#include "stats.h"

#define WHO "guest"
#define EOF_WHY "hostencd closed"

#define SLOTS 4
#define REPLY_TIMEOUT_S 10.0 /* a reply later than this: the run failed */

int sim_source_init(struct sim_source *s, const struct bench_clip *clip)
{
	size_t size = bench_clip_frame_size(clip);

	s->clip = clip;
	s->id = calloc(clip->n, sizeof(*s->id));
	if (!s->id)
		return -ENOMEM;
	/* Only the previous distinct picture is compared: scenes change
	 * forward (a blinking cursor comes back, but that is a new frame to
	 * an encoder too, and to a damage-tracking guest). */
	for (uint32_t i = 0; i < clip->n; i++)
		s->id[i] = i > 0 && memcmp(clip->frames[i], clip->frames[s->id[i - 1]], size) == 0
				   ? s->id[i - 1]
				   : i;
	return 0;
}

uint32_t sim_source_frame(const struct sim_source *s, uint64_t k)
{
	uint64_t n = s->clip->n, period = n > 1 ? 2 * (n - 1) : 1, i = k % period;

	return (uint32_t)(i < n ? i : period - i);
}

void sim_source_clear(struct sim_source *s)
{
	free(s->id);
	s->id = NULL;
}

static uint64_t slot_bytes(uint32_t w, uint32_t h)
{
	return ((uint64_t)w * 4 * h + 63) / 64 * 64;
}

uint64_t sim_ring_size(uint32_t w, uint32_t h)
{
	/* header and slot headers in the first page, then the slots */
	return HXFR_RING_ALIGN + SLOTS * ((slot_bytes(w, h) + HXFR_RING_ALIGN - 1) /
					  HXFR_RING_ALIGN * HXFR_RING_ALIGN);
}

/* ---- messages ------------------------------------------------------------ */

struct conn {
	int fd;
	uint8_t *buf;
	size_t cap;
};

/* One whole message into c->buf. @return its type, or -1. */
static int read_msg(struct conn *c, struct hxfr_msg *msg)
{
	uint8_t hdr[HXFR_HEADER_SIZE];

	if (bench_read_all(c->fd, hdr, sizeof(hdr), WHO, EOF_WHY) < 0)
		return -1;
	if (hxfr_header_decode(hdr, &msg->hdr) < 0) {
		fprintf(stderr, "guest: bad header from hostencd\n");
		return -1;
	}
	if (HXFR_HEADER_SIZE + (size_t)msg->hdr.payload_size > c->cap) {
		c->cap = HXFR_HEADER_SIZE + (size_t)msg->hdr.payload_size;
		c->buf = g_realloc(c->buf, c->cap);
	}
	memcpy(c->buf, hdr, sizeof(hdr));
	if (bench_read_all(c->fd, c->buf + HXFR_HEADER_SIZE, msg->hdr.payload_size, WHO,
			   EOF_WHY) < 0)
		return -1;
	msg->payload = c->buf + HXFR_HEADER_SIZE;
	msg->total = HXFR_HEADER_SIZE + msg->hdr.payload_size;
	if (msg->hdr.type == HXFR_ERROR) {
		struct hxfr_error e;

		if (hxfr_decode_error(msg, &e, NULL) == 0)
			fprintf(stderr, "guest: hostencd replied ERROR %s: %s\n",
				hxfr_error_name(e.code), e.message);
		return -1;
	}
	return msg->hdr.type;
}

static int expect(struct conn *c, uint8_t type)
{
	struct hxfr_msg msg;
	int t = read_msg(c, &msg);

	if (t >= 0 && t != type) {
		fprintf(stderr, "guest: expected %s, got %s\n", hxfr_type_name(type),
			hxfr_type_name((uint8_t)t));
		return -1;
	}
	return t < 0 ? -1 : 0;
}

static int handshake(struct conn *c, const struct sim_guest_config *cfg, uint64_t ring_id)
{
	struct hxfr_hello hello = { .version = HXFR_VERSION, .frame_paths = HXFR_PATH_SHM,
				    .max_inflight = cfg->window };
	struct hxfr_shm_attach att = { .ring_offset = cfg->ring_offset,
				       .ring_size = sim_ring_size(cfg->src->clip->w,
								  cfg->src->clip->h),
				       .ring_id = ring_id };
	struct hxfr_config conf = { .bitrate = 0, .fps_num = cfg->fps, .fps_den = 1 };
	uint8_t buf[256];
	ssize_t n;

	g_strlcpy(hello.name, cfg->name, sizeof(hello.name));
	n = hxfr_build_hello(buf, sizeof(buf), 0, &hello);
	if (n < 0 || bench_write_all(c->fd, buf, (size_t)n, WHO) < 0 ||
	    expect(c, HXFR_HELLO_RESP) < 0)
		return -1;
	n = hxfr_build_shm_attach(buf, sizeof(buf), 0, &att);
	if (n < 0 || bench_write_all(c->fd, buf, (size_t)n, WHO) < 0 ||
	    expect(c, HXFR_SHM_ATTACH_RESP) < 0)
		return -1;
	n = hxfr_build_config_req(buf, sizeof(buf), 0, &conf);
	if (n < 0 || bench_write_all(c->fd, buf, (size_t)n, WHO) < 0 ||
	    expect(c, HXFR_CONFIG_RESP) < 0)
		return -1;
	return 0;
}

/* ---- the paced loop ------------------------------------------------------ */

struct run {
	const struct sim_guest_config *cfg;
	struct conn c;
	uint8_t *ring;
	struct hxfr_ring_header hdr;
	uint32_t slot_id[SLOTS];   /* clip frame id each slot holds */
	uint32_t next_slot;
	uint32_t fifo[SLOTS], fifo_slot[SLOTS], head, count; /* frames in flight */
	double *sent_at;
	uint32_t last_id;
	int keyreq_frame;
	struct sim_guest_result *res;
};

static volatile uint32_t *slot_state(struct run *r, uint32_t slot)
{
	return (volatile uint32_t *)(r->ring + r->hdr.slot_header_offset +
				     (size_t)slot * HXFR_RING_SLOT_HEADER_SIZE);
}

static int send_frame(struct run *r, uint32_t k, uint32_t id)
{
	const struct bench_clip *clip = r->cfg->src->clip;
	uint32_t slot = r->next_slot++ % SLOTS;
	struct hxfr_frame_shm m = { .slot = slot, .format = HXFR_FMT_BGRX, .width = clip->w,
				    .height = clip->h, .stride = { clip->stride },
				    .pts_ns = (int64_t)k * 1000000000 / r->cfg->fps };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];

	__atomic_store_n(slot_state(r, slot), HXFR_SLOT_WRITING, __ATOMIC_RELEASE);
	if (r->slot_id[slot] != id) {
		memcpy(r->ring + hxfr_ring_slot_data_offset(&r->hdr, slot), clip->frames[id],
		       bench_clip_frame_size(clip));
		r->slot_id[slot] = id;
	}
	__atomic_store_n(slot_state(r, slot), HXFR_SLOT_QUEUED, __ATOMIC_RELEASE);
	hxfr_build_frame_shm(buf, sizeof(buf), 0, &m);
	r->sent_at[k] = bench_now();
	if (bench_write_all(r->c.fd, buf, sizeof(buf), WHO) < 0)
		return -1;
	r->fifo[(r->head + r->count) % SLOTS] = k;
	r->fifo_slot[(r->head + r->count) % SLOTS] = slot;
	r->count++;
	r->res->frames[k].sent = true;
	r->res->sent++;
	r->last_id = id;
	return 0;
}

static int keyframe_req(struct run *r, uint32_t k)
{
	uint8_t buf[HXFR_HEADER_SIZE];

	hxfr_build_empty(buf, sizeof(buf), HXFR_KEYFRAME_REQ, 0);
	r->keyreq_frame = (int)k;
	return bench_write_all(r->c.fd, buf, sizeof(buf), WHO);
}

/* Frame @p k is due now. */
static int due(struct run *r, uint32_t k)
{
	const struct sim_guest_config *cfg = r->cfg;
	uint32_t clip_frame = sim_source_frame(cfg->src, cfg->first_frame + k);
	uint32_t id = cfg->src->id[clip_frame];
	double t = (double)k / cfg->fps;

	r->res->frames[k].due_s = t;
	r->res->frames[k].rt_ms = -1;
	r->res->frames[k].clip_frame = clip_frame;
	if ((cfg->changes_only && id == r->last_id) ||
	    (cfg->max_sends && r->res->sent >= cfg->max_sends))
		return 0;
	if (r->count >= cfg->window) {
		r->res->frames[k].skipped = true;
		r->res->skipped++;
		return 0;
	}
	if (cfg->keyframe_req_at >= 0 && r->keyreq_frame < 0 && t >= cfg->keyframe_req_at &&
	    keyframe_req(r, k) < 0)
		return -1;
	return send_frame(r, k, id);
}

static int reply(struct run *r)
{
	struct hxfr_msg msg;
	struct hxfr_frame_response fr;
	struct sim_frame *f;
	uint32_t k;
	int t = read_msg(&r->c, &msg);

	if (t < 0)
		return -1;
	if (t != HXFR_FRAME_RESPONSE)
		return 0; /* PING and the like */
	if (!r->count || hxfr_decode_frame_response(&msg, &fr, NULL) < 0) {
		fprintf(stderr, "guest: unexpected FRAME_RESPONSE\n");
		return -1;
	}
	k = r->fifo[r->head];
	__atomic_store_n(slot_state(r, r->fifo_slot[r->head]), HXFR_SLOT_FREE, __ATOMIC_RELEASE);
	r->head = (r->head + 1) % SLOTS;
	r->count--;
	f = &r->res->frames[k];
	f->rt_ms = (float)((bench_now() - r->sent_at[k]) * 1e3);
	f->dropped = (msg.hdr.flags & HXFR_FLAG_DROPPED) != 0;
	f->bytes = (uint32_t)fr.au_len;
	f->key = fr.is_keyframe && !f->dropped;
	if (r->cfg->keep_aus && fr.au_len)
		f->au = g_memdup2(fr.au, fr.au_len);
	r->res->replies++;
	r->res->dropped += f->dropped;
	r->res->keyframes += f->key;
	if (f->key && r->keyreq_frame >= 0 && (int)k >= r->keyreq_frame &&
	    r->res->key_after_req < 0)
		r->res->key_after_req = (int)k;
	return 0;
}

/* Wait for a reply until @p until (bench_now() time). */
static int wait_reply(struct run *r, double until)
{
	double left = until - bench_now();
	struct timespec ts = { .tv_sec = 0 };
	struct pollfd p = { .fd = r->c.fd, .events = POLLIN };
	int rc;

	if (left > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	}
	rc = ppoll(&p, 1, &ts, NULL);
	if (rc < 0 && errno != EINTR) {
		fprintf(stderr, "guest: poll: %s\n", g_strerror(errno));
		return -1;
	}
	return rc > 0 ? reply(r) : 0;
}

static int loop(struct run *r)
{
	const struct sim_guest_config *cfg = r->cfg;
	uint32_t n = r->res->n, k = 0;
	double t0 = cfg->start_at > 0 ? cfg->start_at : bench_now(), last = t0;

	while (bench_now() < t0)
		g_usleep(1000);
	while (k < n || r->count) {
		double next = k < n ? t0 + (double)k / cfg->fps : last + REPLY_TIMEOUT_S;

		if (bench_now() >= next) {
			if (k >= n) {
				fprintf(stderr, "guest %s: no reply for %.0f s\n", cfg->name,
					REPLY_TIMEOUT_S);
				return -1;
			}
			if (due(r, k++) < 0)
				return -1;
			continue;
		}
		if (wait_reply(r, next) < 0)
			return -1;
		last = bench_now();
	}
	r->res->seconds = last - t0;
	return 0;
}

int sim_guest_run(const struct sim_guest_config *cfg, struct sim_guest_result *out)
{
	const struct bench_clip *clip = cfg->src->clip;
	uint64_t ring_size = sim_ring_size(clip->w, clip->h);
	uint64_t ring_id = g_random_int() | ((uint64_t)g_random_int() << 32) | 1;
	double cpu0 = bench_thread_cpu();
	struct run r = { .cfg = cfg, .c = { .fd = -1 }, .last_id = UINT32_MAX, .keyreq_frame = -1,
			 .res = out };
	const char *why = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->key_after_req = -1;
	out->n = (uint32_t)ceil(cfg->seconds * cfg->fps);
	out->frames = g_new0(struct sim_frame, out->n);
	r.sent_at = g_new0(double, out->n);
	memset(r.slot_id, 0xff, sizeof(r.slot_id));
	if (cfg->window < 1 || cfg->window >= SLOTS ||
	    cfg->ring_offset + ring_size > cfg->host->map_size) {
		fprintf(stderr, "guest %s: bad window or ring offset\n", cfg->name);
		goto out;
	}
	r.ring = cfg->host->map + cfg->ring_offset;
	if (hxfr_ring_init(r.ring, ring_size, SLOTS, slot_bytes(clip->w, clip->h), ring_id) < 0 ||
	    hxfr_ring_header_read(r.ring, ring_size, &r.hdr, &why) < 0) {
		fprintf(stderr, "guest %s: ring: %s\n", cfg->name, why ? why : "does not fit");
		goto out;
	}
	r.c.fd = bench_hostencd_connect(cfg->host);
	if (r.c.fd < 0 || handshake(&r.c, cfg, ring_id) < 0 || loop(&r) < 0)
		goto out;
	rc = 0;
out:
	out->failed = rc < 0;
	out->cpu_s = bench_thread_cpu() - cpu0;
	if (r.c.fd >= 0)
		close(r.c.fd);
	g_free(r.c.buf);
	g_free(r.sent_at);
	return rc;
}

void sim_guest_result_clear(struct sim_guest_result *r)
{
	for (uint32_t k = 0; r->frames && k < r->n; k++)
		g_free(r->frames[k].au);
	g_free(r->frames);
	memset(r, 0, sizeof(*r));
}
