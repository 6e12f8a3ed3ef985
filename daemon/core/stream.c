/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "hostenc.source"
#include "source.h"

#include <errno.h>
#include <hxfr/hxfr.h>
#include <string.h>

#include "convert.h"
#include "daemon.h"
#include "encoder.h"

#define QUEUE_MAX 2              /* frames waiting besides the one encoding */
#define GOP_MAX_AUS 900
#define GOP_MAX_BYTES (64u << 20)
#define FPS_WINDOW 64

struct job {
	struct he_frame *frame; /* NULL for a keepalive re-encode */
	uint64_t tag;
	bool has_tag;
	bool dropped;           /* dropped before encoding: result without data */
	bool force_idr;
};

struct result {
	uint64_t tag;
	bool has_tag;
	struct he_au *au;       /* NULL when dropped or failed */
	int32_t code;
	const char *why;
};

struct he_source {
	gint ref;
	struct he_daemon *d;
	uint32_t id;
	char *name;
	GMainContext *ctx;

	/* shared with the worker, under lock */
	GMutex lock;
	GCond cond;
	GQueue jobs;
	bool busy, quit, force_idr, have_last;
	uint32_t pending_bitrate, bitrate, fps_num, fps_den, gop;
	uint32_t asked_bitrate; /* --bitrate or CONFIG_REQ; 0 = derive from the size */
	char enc_name[HXFR_SHORT_NAME_MAX];
	bool enc_hw;
	uint32_t width, height;
	GThread *thread;
	GAsyncQueue *results;
	gint wakeup_pending;

	/* worker only */
	struct he_encoder *enc;
	uint32_t enc_w, enc_h;
	struct he_frame *last_nv12; /* last frame encoded, for keepalive */
	uint64_t seq;

	/* main loop only */
	const struct he_owner_impl *owner_impl;
	void *owner;
	GList *consumers;
	GPtrArray *gop_aus;
	size_t gop_bytes;
	bool gop_valid;
	guint keepalive_timer;
	int64_t last_submit_us;
	bool owner_needs_idr;
	void (*demand_cb)(void *data, bool wanted);
	void *demand_data;
	void (*input_cb)(void *data, const struct he_input_event *ev);
	void *input_data;
	int64_t fps_ring[FPS_WINDOW];
	uint32_t fps_next, fps_count;
	bool dead;

	struct he_stats stats;
};

struct he_au *he_au_ref(struct he_au *au)
{
	g_atomic_int_inc(&au->ref);
	return au;
}

void he_au_unref(struct he_au *au)
{
	if (!au || !g_atomic_int_dec_and_test(&au->ref))
		return;
	g_bytes_unref(au->data);
	g_free(au);
}

static struct he_source *source_ref(struct he_source *s)
{
	g_atomic_int_inc(&s->ref);
	return s;
}

static void source_unref(struct he_source *s)
{
	if (!g_atomic_int_dec_and_test(&s->ref))
		return;
	he_stats_clear(&s->stats);
	g_mutex_clear(&s->lock);
	g_cond_clear(&s->cond);
	g_async_queue_unref(s->results);
	g_ptr_array_unref(s->gop_aus);
	g_free(s->name);
	g_free(s);
}

/* ---- worker thread ---------------------------------------------------- */

static struct he_encoder_config encoder_config(struct he_source *s, const struct he_frame *f)
{
	struct he_encoder_config c = { 0 };
	uint32_t fps;

	g_mutex_lock(&s->lock);
	c.fps_num = s->fps_num ? s->fps_num : 30;
	c.fps_den = s->fps_den ? s->fps_den : 1;
	/* Not s->bitrate: that may be the default derived from a former size. */
	c.bitrate = s->pending_bitrate ? s->pending_bitrate : s->asked_bitrate;
	s->pending_bitrate = 0;
	c.gop = s->gop;
	g_mutex_unlock(&s->lock);
	c.width = f->width;
	c.height = f->height;
	if (!c.bitrate) /* 4 bits per pixel per second: 8.3 Mb/s at 1080p */
		c.bitrate = (uint32_t)MIN((uint64_t)f->width * f->height * 4, 100000000u);
	fps = c.fps_num / c.fps_den;
	if (!c.gop)
		c.gop = MAX(fps, 1u) * 10;
	c.profile = 66;
	return c;
}

static int ensure_encoder(struct he_source *s, const struct he_frame *f, const char **why)
{
	struct he_encoder_config c;
	g_autoptr(GError) err = NULL;

	if (s->enc && s->enc_w == f->width && s->enc_h == f->height)
		return 0;
	he_encoder_destroy(s->enc);
	s->enc = NULL;
	c = encoder_config(s, f);
	s->enc = he_encoder_create(s->d->encoder_name, &c, &err);
	if (!s->enc) {
		g_warning("source %u: cannot create encoder %ux%u: %s", s->id, f->width,
			  f->height, err ? err->message : "?");
		*why = "host could not create an encoder for this size";
		return -EIO;
	}
	s->enc_w = f->width;
	s->enc_h = f->height;
	g_mutex_lock(&s->lock);
	g_strlcpy(s->enc_name, he_encoder_name(s->enc), sizeof(s->enc_name));
	s->enc_hw = he_encoder_is_hardware(s->enc);
	s->bitrate = c.bitrate;
	s->width = f->width;
	s->height = f->height;
	g_mutex_unlock(&s->lock);
	g_info("source %u (%s): encoder %s %ux%u %u b/s gop %u", s->id, s->name,
	       he_encoder_name(s->enc), f->width, f->height, c.bitrate, c.gop);
	return 0;
}

/* Produce the NV12/I420 picture the encoder takes. Converted frames are
 * owned copies; NV12/I420 input is used as it is (no copy). */
static struct he_frame *to_encoder_format(struct he_source *s, struct he_frame *f)
{
	struct he_frame *out;
	struct he_image src;
	int64_t t0;

	if (f->fourcc == HXFR_FMT_NV12 || f->fourcc == HXFR_FMT_I420)
		return he_frame_ref(f);
	out = he_frame_alloc(HXFR_FMT_NV12, f->width, f->height);
	if (!out)
		return NULL;
	src = (struct he_image){ .fourcc = f->fourcc, .width = f->width, .height = f->height };
	memcpy(src.plane, f->plane, sizeof(src.plane));
	memcpy(src.stride, f->stride, sizeof(src.stride));
	t0 = g_get_monotonic_time();
	if (he_convert_to_nv12(&src, (uint8_t *)out->plane[0], out->stride[0],
			       (uint8_t *)out->plane[1], out->stride[1]) < 0) {
		he_frame_unref(out);
		return NULL;
	}
	he_stats_record(&s->stats, HE_STAGE_CONVERT, g_get_monotonic_time() - t0);
	out->pts_ns = f->pts_ns;
	out->capture_us = f->capture_us;
	return out;
}

/* Keep the last picture for static-screen re-encodes. A picture that lives
 * in guest shared memory is copied, since the guest reuses the slot. */
static void keep_last(struct he_source *s, struct he_frame *pic)
{
	struct he_frame *keep = pic;

	if (pic->shm) {
		keep = he_frame_alloc(pic->fourcc, pic->width, pic->height);
		if (!keep)
			return;
		for (unsigned i = 0; i < hxfr_format_planes(pic->fourcc); i++) {
			uint64_t min_stride, rows;

			hxfr_format_plane_geometry(pic->fourcc, i, pic->width, pic->height,
						   &min_stride, &rows);
			for (uint64_t y = 0; y < rows; y++)
				memcpy((uint8_t *)keep->plane[i] + y * keep->stride[i],
				       pic->plane[i] + y * pic->stride[i], min_stride);
		}
	} else {
		he_frame_ref(keep);
	}
	he_frame_unref(s->last_nv12);
	s->last_nv12 = keep;
	g_mutex_lock(&s->lock);
	s->have_last = true;
	g_mutex_unlock(&s->lock);
}

static struct he_au *encode_picture(struct he_source *s, struct he_frame *pic, bool idr,
				    struct result *r)
{
	struct he_image img = { .fourcc = pic->fourcc, .width = pic->width,
				.height = pic->height };
	struct he_packet pkt = { 0 };
	struct he_au *au;
	uint32_t bitrate;
	int64_t t0;

	g_mutex_lock(&s->lock);
	bitrate = s->pending_bitrate;
	s->pending_bitrate = 0;
	g_mutex_unlock(&s->lock);
	if (bitrate && he_encoder_set_bitrate(s->enc, bitrate) == 0) {
		g_mutex_lock(&s->lock);
		s->bitrate = bitrate;
		g_mutex_unlock(&s->lock);
	}
	memcpy(img.plane, pic->plane, sizeof(img.plane));
	memcpy(img.stride, pic->stride, sizeof(img.stride));
	t0 = g_get_monotonic_time();
	if (he_encoder_encode(s->enc, &img, pic->pts_ns / 1000, idr, &pkt) < 0) {
		r->code = HXFR_ERR_ENCODE_FAILED;
		r->why = "the encoder failed on this frame";
		return NULL;
	}
	he_stats_record(&s->stats, HE_STAGE_ENCODE, g_get_monotonic_time() - t0);
	au = g_new0(struct he_au, 1);
	au->ref = 1;
	au->data = pkt.data;
	au->keyframe = pkt.keyframe;
	au->pts_ns = pic->pts_ns;
	au->capture_us = pic->capture_us;
	au->encoded_us = he_now_us();
	au->seq = s->seq++;
	au->width = pic->width;
	au->height = pic->height;
	return au;
}

static void process_job(struct he_source *s, struct job *j, bool idr, struct result *r)
{
	struct he_frame *pic;

	if (!j->frame) { /* keepalive */
		if (!s->last_nv12 || !s->enc)
			return;
		r->au = encode_picture(s, s->last_nv12, idr, r);
		if (r->au) {
			/* The same picture, shown again now. Its pts stays the
			 * picture's (a guest's pts clock is its own: extrapolating
			 * could run past its next frame); the capture time, which
			 * browsers use, is now. */
			r->au->keepalive = true;
			r->au->capture_us = he_now_us();
		}
		return;
	}
	if (ensure_encoder(s, j->frame, &r->why) < 0) {
		r->code = HXFR_ERR_ENCODE_FAILED;
		return;
	}
	pic = to_encoder_format(s, j->frame);
	if (!pic) {
		r->code = HXFR_ERR_INTERNAL;
		r->why = "colour conversion failed";
		return;
	}
	r->au = encode_picture(s, pic, idr, r);
	if (r->au)
		keep_last(s, pic);
	he_frame_unref(pic);
}

static gboolean drain_results(gpointer data);

static void post_result(struct he_source *s, struct result *r)
{
	g_async_queue_push(s->results, g_memdup2(r, sizeof(*r)));
	/* An idle source, not g_main_context_invoke(): that would run the
	 * handler on this thread whenever the main context is not owned
	 * (e.g. during shutdown), racing the main thread. */
	if (g_atomic_int_compare_and_exchange(&s->wakeup_pending, 0, 1)) {
		GSource *idle = g_idle_source_new();

		g_source_set_priority(idle, G_PRIORITY_DEFAULT);
		g_source_set_callback(idle, drain_results, source_ref(s),
				      (GDestroyNotify)source_unref);
		g_source_attach(idle, s->ctx);
		g_source_unref(idle);
	}
}

static gpointer worker_main(gpointer data)
{
	struct he_source *s = data;

	for (;;) {
		struct job *j;
		struct result r = { 0 };
		bool idr;

		g_mutex_lock(&s->lock);
		while (!s->quit && g_queue_is_empty(&s->jobs))
			g_cond_wait(&s->cond, &s->lock);
		if (s->quit) {
			g_mutex_unlock(&s->lock);
			break;
		}
		j = g_queue_pop_head(&s->jobs);
		s->busy = true;
		idr = false;
		if (!j->dropped) {
			idr = s->force_idr || j->force_idr;
			s->force_idr = false;
		}
		g_mutex_unlock(&s->lock);

		r.tag = j->tag;
		r.has_tag = j->has_tag;
		if (!j->dropped)
			process_job(s, j, idr, &r);
		if (r.has_tag || r.au)
			post_result(s, &r);
		he_frame_unref(j->frame);
		g_free(j);

		g_mutex_lock(&s->lock);
		s->busy = false;
		g_mutex_unlock(&s->lock);
	}
	he_encoder_destroy(s->enc);
	s->enc = NULL;
	he_frame_unref(s->last_nv12);
	s->last_nv12 = NULL;
	return NULL;
}

/* ---- main loop side ----------------------------------------------------- */

static void gop_reset(struct he_source *s)
{
	g_ptr_array_set_size(s->gop_aus, 0);
	s->gop_bytes = 0;
	s->gop_valid = false;
}

static void gop_add(struct he_source *s, struct he_au *au)
{
	if (au->keyframe)
		gop_reset(s);
	else if (!s->gop_valid)
		return;
	if (s->gop_aus->len >= GOP_MAX_AUS ||
	    s->gop_bytes + g_bytes_get_size(au->data) > GOP_MAX_BYTES) {
		/* A partial GOP is useless to a late joiner: start a fresh one. */
		gop_reset(s);
		he_source_request_idr(s);
		return;
	}
	s->gop_valid = true;
	g_ptr_array_add(s->gop_aus, he_au_ref(au));
	s->gop_bytes += g_bytes_get_size(au->data);
}

/* A consumer that fell behind skips to the next IDR. The IDR is requested
 * once it can take data again, so a stuck consumer costs the others
 * nothing (no IDR storm). */
static void consumer_resync(struct he_source *s, struct he_consumer *c)
{
	c->need_idr = true;
	c->idr_requested = false;
	c->resyncs++;
}

/* Delivers to one consumer; returns FALSE when it must be detached. */
static bool deliver_one(struct he_source *s, struct he_consumer *c, struct he_au *au, bool replay)
{
	int res;

	if (c->need_idr && !au->keyframe) {
		c->skipped++;
		if (!c->idr_requested && (!c->impl->ready || c->impl->ready(c))) {
			c->idr_requested = true;
			he_source_request_idr(s);
		}
		return true;
	}
	c->need_idr = false;
	res = c->impl->deliver(c, au, replay);
	if (res == -EPIPE)
		return false;
	if (res == -EAGAIN)
		consumer_resync(s, c);
	else
		c->delivered++;
	return true;
}

static void fps_tick(struct he_source *s, int64_t now)
{
	s->fps_ring[s->fps_next] = now;
	s->fps_next = (s->fps_next + 1) % FPS_WINDOW;
	if (s->fps_count < FPS_WINDOW)
		s->fps_count++;
}

static void deliver_au(struct he_source *s, struct he_au *au)
{
	GList *l = s->consumers;

	he_stats_count(&s->stats, &s->stats.frames_encoded, 1);
	he_stats_count(&s->stats, &s->stats.bytes_out, g_bytes_get_size(au->data));
	if (au->keyframe)
		he_stats_count(&s->stats, &s->stats.keyframes, 1);
	fps_tick(s, g_get_monotonic_time());
	gop_add(s, au);
	while (l) {
		struct he_consumer *c = l->data;

		l = l->next;
		if (!deliver_one(s, c, au, false)) {
			he_source_detach(s, c);
			c->impl->source_gone(c);
		}
	}
}

static void handle_result(struct he_source *s, struct result *r)
{
	if (r->au)
		deliver_au(s, r->au);
	else if (r->has_tag && r->code == 0)
		he_stats_count(&s->stats, &s->stats.frames_dropped, 1);
	if (r->has_tag && s->owner_impl)
		s->owner_impl->result(s->owner, r->tag, r->au, r->code, r->why);
	he_au_unref(r->au);
}

static gboolean drain_results(gpointer data)
{
	struct he_source *s = data;
	struct result *r;

	g_atomic_int_set(&s->wakeup_pending, 0);
	while ((r = g_async_queue_try_pop(s->results))) {
		if (!s->dead)
			handle_result(s, r);
		else
			he_au_unref(r->au);
		g_free(r);
	}
	return G_SOURCE_REMOVE;
}

static uint32_t live_jobs(struct he_source *s)
{
	uint32_t n = 0;

	for (GList *l = s->jobs.head; l; l = l->next)
		n += !((struct job *)l->data)->dropped;
	return n;
}

/* With the lock held: make room by dropping the oldest waiting frame. Its
 * result (DROPPED) still comes back in order, from the worker. */
static void drop_oldest(struct he_source *s)
{
	for (GList *l = s->jobs.head; l; l = l->next) {
		struct job *j = l->data;

		if (j->dropped)
			continue;
		j->dropped = true;
		if (j->force_idr)
			s->force_idr = true;
		he_frame_unref(j->frame);
		j->frame = NULL;
		return;
	}
}

static bool queue_job(struct he_source *s, struct job *j, bool owner_frame)
{
	g_mutex_lock(&s->lock);
	if (live_jobs(s) >= QUEUE_MAX) {
		if (!owner_frame) {
			g_mutex_unlock(&s->lock);
			return false;
		}
		drop_oldest(s);
	}
	g_queue_push_tail(&s->jobs, j);
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->lock);
	return true;
}

int he_source_submit(struct he_source *s, struct he_frame *f, uint64_t tag)
{
	struct job *j = g_new0(struct job, 1);
	bool owned = s->owner_impl != NULL;
	int64_t now = g_get_monotonic_time();

	j->frame = he_frame_ref(f);
	j->tag = tag;
	j->has_tag = owned;
	j->force_idr = f->force_idr || (owned && s->owner_needs_idr);
	if (!queue_job(s, j, owned)) {
		he_frame_unref(j->frame);
		g_free(j);
		he_stats_count(&s->stats, &s->stats.frames_dropped, 1);
		return -EBUSY;
	}
	/* j belongs to the worker now, which may have freed it already */
	s->owner_needs_idr = false;
	s->last_submit_us = now;
	he_stats_count(&s->stats, &s->stats.frames_in, 1);
	return 0;
}

uint32_t he_source_pending(struct he_source *s)
{
	uint32_t n;

	g_mutex_lock(&s->lock);
	n = g_queue_get_length(&s->jobs) + (s->busy ? 1 : 0);
	g_mutex_unlock(&s->lock);
	return n;
}

static gboolean keepalive_tick(gpointer data)
{
	struct he_source *s = data;
	int64_t interval = G_USEC_PER_SEC / MAX(s->d->cfg.keepalive_fps, 1u);
	struct job *j;

	if (!s->consumers || g_get_monotonic_time() - s->last_submit_us < interval)
		return G_SOURCE_CONTINUE;
	g_mutex_lock(&s->lock);
	if (!s->have_last || s->busy || !g_queue_is_empty(&s->jobs)) {
		g_mutex_unlock(&s->lock);
		return G_SOURCE_CONTINUE;
	}
	j = g_new0(struct job, 1);
	g_queue_push_tail(&s->jobs, j);
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->lock);
	s->last_submit_us = g_get_monotonic_time();
	/* The guest never sees keepalive frames, so its own stream must
	 * restart from an IDR: its next frame cannot reference them. */
	if (s->owner_impl)
		s->owner_needs_idr = true;
	return G_SOURCE_CONTINUE;
}

struct he_source *he_source_new(struct he_daemon *d, uint32_t id, const char *name)
{
	struct he_source *s = g_new0(struct he_source, 1);

	s->ref = 1;
	s->d = d;
	s->id = id;
	s->name = g_strdup(name);
	s->ctx = d->ctx ? g_main_context_ref(d->ctx) : g_main_context_ref_thread_default();
	g_mutex_init(&s->lock);
	g_cond_init(&s->cond);
	g_queue_init(&s->jobs);
	s->results = g_async_queue_new();
	s->gop_aus = g_ptr_array_new_with_free_func((GDestroyNotify)he_au_unref);
	s->bitrate = d->cfg.bitrate;
	s->asked_bitrate = d->cfg.bitrate;
	s->gop = d->cfg.gop;
	g_strlcpy(s->enc_name, d->encoder_name ? d->encoder_name : "", sizeof(s->enc_name));
	he_stats_init(&s->stats);
	s->last_submit_us = g_get_monotonic_time();
	s->thread = g_thread_new("he-encode", worker_main, s);
	if (d->cfg.keepalive_fps) {
		GSource *t = g_timeout_source_new(1000 / MIN(d->cfg.keepalive_fps * 2, 1000u));

		g_source_set_callback(t, keepalive_tick, s, NULL);
		s->keepalive_timer = g_source_attach(t, s->ctx);
		g_source_unref(t);
	}
	return s;
}

void he_source_destroy(struct he_source *s)
{
	struct job *j;

	if (!s)
		return;
	s->dead = true;
	if (s->keepalive_timer) {
		GSource *t = g_main_context_find_source_by_id(s->ctx, s->keepalive_timer);

		if (t)
			g_source_destroy(t);
	}
	g_mutex_lock(&s->lock);
	s->quit = true;
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->lock);
	g_thread_join(s->thread);
	while ((j = g_queue_pop_head(&s->jobs))) {
		he_frame_unref(j->frame);
		g_free(j);
	}
	while (s->consumers) {
		struct he_consumer *c = s->consumers->data;

		he_source_detach(s, c);
		c->impl->source_gone(c);
	}
	gop_reset(s);
	g_main_context_unref(s->ctx);
	source_unref(s);
}

void he_source_set_owner(struct he_source *s, const struct he_owner_impl *impl, void *owner)
{
	s->owner_impl = impl;
	s->owner = owner;
}

void he_source_request_idr(struct he_source *s)
{
	g_mutex_lock(&s->lock);
	s->force_idr = true;
	g_mutex_unlock(&s->lock);
}

void he_source_set_bitrate(struct he_source *s, uint32_t bps)
{
	g_mutex_lock(&s->lock);
	s->pending_bitrate = bps;
	s->asked_bitrate = bps;
	g_mutex_unlock(&s->lock);
}

void he_source_set_gop(struct he_source *s, uint32_t frames)
{
	g_mutex_lock(&s->lock);
	s->gop = frames;
	g_mutex_unlock(&s->lock);
}

void he_source_set_fps(struct he_source *s, uint32_t num, uint32_t den)
{
	g_mutex_lock(&s->lock);
	s->fps_num = num;
	s->fps_den = den;
	g_mutex_unlock(&s->lock);
}

void he_source_attach(struct he_source *s, struct he_consumer *c)
{
	bool first = s->consumers == NULL;

	c->source = s;
	c->need_idr = false;
	s->consumers = g_list_append(s->consumers, c);
	if (s->gop_valid) {
		for (guint i = 0; i < s->gop_aus->len; i++)
			if (!deliver_one(s, c, g_ptr_array_index(s->gop_aus, i), true))
				break;
	} else {
		c->need_idr = true;
		c->idr_requested = true;
		he_source_request_idr(s);
	}
	if (first && s->demand_cb)
		s->demand_cb(s->demand_data, true);
}

void he_source_detach(struct he_source *s, struct he_consumer *c)
{
	GList *l = g_list_find(s->consumers, c);

	if (!l)
		return;
	s->consumers = g_list_delete_link(s->consumers, l);
	c->source = NULL;
	if (!s->consumers && s->demand_cb && !s->dead)
		s->demand_cb(s->demand_data, false);
}

uint32_t he_source_consumers(struct he_source *s)
{
	return g_list_length(s->consumers);
}

void he_source_set_demand_cb(struct he_source *s, void (*cb)(void *data, bool wanted),
			     void *data)
{
	s->demand_cb = cb;
	s->demand_data = data;
}

void he_source_set_input_cb(struct he_source *s,
			    void (*cb)(void *data, const struct he_input_event *ev), void *data)
{
	s->input_cb = cb;
	s->input_data = data;
}

bool he_source_input(struct he_source *s, const struct he_input_event *ev)
{
	if (!s->input_cb)
		return false;
	s->input_cb(s->input_data, ev);
	return true;
}

uint32_t he_source_id(const struct he_source *s)
{
	return s->id;
}

const char *he_source_name(const struct he_source *s)
{
	return s->name;
}

static double measured_fps(struct he_source *s)
{
	int64_t now = g_get_monotonic_time(), first = 0;
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->fps_count; i++) {
		int64_t t = s->fps_ring[i];

		if (now - t > 2 * G_USEC_PER_SEC)
			continue;
		if (!n || t < first)
			first = t;
		n++;
	}
	if (n < 2 || now == first)
		return 0.0;
	return (double)n * G_USEC_PER_SEC / (double)(now - first);
}

void he_source_info(struct he_source *s, struct he_source_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->name = s->name;
	out->consumers = he_source_consumers(s);
	out->fps = measured_fps(s);
	g_mutex_lock(&s->lock);
	out->encoder = s->enc_name;
	out->hardware = s->enc_hw;
	out->width = s->width;
	out->height = s->height;
	out->bitrate = s->bitrate;
	g_mutex_unlock(&s->lock);
}

struct he_stats *he_source_stats(struct he_source *s)
{
	return &s->stats;
}
