/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The encode worker of a stream: one thread, one encoder. It takes jobs in
 * order, (re)creates the encoder when the size changes, hands the frame to
 * media (which converts where the backend needs it, once) and posts each
 * result back to the main loop. */
#define G_LOG_DOMAIN "hostenc.stream"
#include <errno.h>
#include <hxfr/hxfr.h>
#include <string.h>

#include "encoder.h"
#include "sigbus.h"
#include "stream-private.h"

static struct he_encoder_config encoder_config(struct he_stream *s, const struct he_frame *f)
{
	struct he_encoder_config c;

	he_encoder_config_init(&c, f->width, f->height);
	g_mutex_lock(&s->lock);
	c.fps_num = s->fps_num;
	c.fps_den = s->fps_den;
	if (s->asked_bitrate)
		c.bitrate = s->asked_bitrate;
	s->bitrate_changed = false;
	g_mutex_unlock(&s->lock);
	/* No --gop: IDRs only on request, except that intra refresh needs a
	 * wave period (0: the encoder's 10 s). */
	c.gop = s->env.gop ? s->env.gop : s->env.intra_refresh ? 0 : HE_ENCODER_GOP_ON_REQUEST;
	c.intra_refresh = s->env.intra_refresh;
	c.vbv_frames = s->env.vbv_frames;
	c.profile = HE_PROFILE_CONSTRAINED_BASELINE;
	return c;
}

static void publish_encoder(struct he_stream *s, const struct he_encoder_config *c)
{
	g_mutex_lock(&s->lock);
	g_strlcpy(s->enc_name, he_encoder_name(s->enc), sizeof(s->enc_name));
	s->enc_hw = he_encoder_is_hardware(s->enc);
	s->bitrate = c->bitrate;
	s->width = c->width;
	s->height = c->height;
	s->have_last = false;
	g_mutex_unlock(&s->lock);
}

static int ensure_encoder(struct he_stream *s, const struct he_frame *f, struct stream_result *r)
{
	struct he_encoder_config c;
	g_autoptr(GError) err = NULL;
	const struct he_encoder_config *now = s->enc ? he_encoder_get_config(s->enc) : NULL;

	if (now && now->width == f->width && now->height == f->height)
		return 0;
	he_encoder_destroy(s->enc);
	c = encoder_config(s, f);
	s->enc = he_encoder_create(s->env.encoder, &c, &err);
	if (!s->enc) {
		g_warning("stream %s: cannot create an encoder for %ux%u: %s", s->name, f->width,
			  f->height, err ? err->message : "?");
		r->code = HXFR_ERR_ENCODE_FAILED;
		r->why = "host could not create an encoder for this size";
		he_stats_add(&s->stats, HE_COUNT_ENCODE_ERRORS, 1);
		return -EIO;
	}
	publish_encoder(s, &c);
	g_info("stream %s: encoder %s %ux%u %u b/s", s->name, he_encoder_name(s->enc), f->width,
	       f->height, c.bitrate);
	return 0;
}

/* Bitrate and keep-input changes, applied between frames. */
static bool apply_settings(struct he_stream *s)
{
	uint32_t bps;
	bool keep, changed;

	g_mutex_lock(&s->lock);
	changed = s->bitrate_changed;
	s->bitrate_changed = false;
	bps = s->asked_bitrate ? s->asked_bitrate
			       : he_encoder_default_bitrate(s->width, s->height);
	keep = s->keep_input;
	g_mutex_unlock(&s->lock);
	he_encoder_set_keep_input(s->enc, keep);
	if (changed && he_encoder_set_bitrate(s->enc, bps) == 0) {
		g_mutex_lock(&s->lock);
		s->bitrate = bps;
		g_mutex_unlock(&s->lock);
	}
	return keep;
}

static struct he_au *au_from_packet(struct he_stream *s, struct he_packet *pkt,
				    const struct he_frame *f)
{
	const struct he_encoder_config *c = he_encoder_get_config(s->enc);
	struct he_au *au = g_new0(struct he_au, 1);

	au->ref = 1;
	au->data = g_steal_pointer(&pkt->data);
	au->format = g_steal_pointer(&pkt->format);
	au->keyframe = pkt->keyframe;
	au->pts_ns = f ? f->pts_ns : 0;
	au->capture_us = f ? f->capture_us : he_now_us();
	au->encoded_us = he_now_us();
	au->seq = s->seq++;
	au->width = c->width;
	au->height = c->height;
	return au;
}

/* The guest took the frame's memory away while it was read (sigbus.h):
 * what was encoded is zeros, or partly. Nobody gets that AU; the encoder's
 * reference and kept picture are that picture, so no keepalive encodes it
 * again and the next frame is an IDR. */
static void memory_lost(struct he_stream *s, struct stream_result *r)
{
	r->code = HXFR_ERR_SHM;
	r->why = HE_SIGBUS_LOST_WHY;
	g_mutex_lock(&s->lock);
	s->have_last = false;
	s->force_idr = true;
	g_mutex_unlock(&s->lock);
}

static void encode_frame(struct he_stream *s, struct he_frame *f, bool idr, struct stream_result *r)
{
	struct he_image img = { .fourcc = f->fourcc, .width = f->width, .height = f->height };
	struct he_packet pkt = { 0 };
	int64_t t0;
	bool keep;
	int rc;

	if (!he_encoder_accepts(s->enc, f->memory)) {
		r->code = HXFR_ERR_UNSUPPORTED;
		r->why = f->memory == HE_MEMORY_DMABUF
			 ? "DMA-BUF frames need an encoder that imports them (a VA-API render node); "
			   "none here"
			 : "this host's encoder cannot take frames in this kind of memory";
		return;
	}
	keep = apply_settings(s);
	memcpy(img.plane, f->plane, sizeof(img.plane));
	memcpy(img.stride, f->stride, sizeof(img.stride));
	t0 = g_get_monotonic_time();
	rc = he_encoder_encode(s->enc, &img, f->pts_ns / 1000, idr, &pkt);
	if (f->guest_memory && he_sigbus_lost(f->guest_memory)) {
		he_packet_clear(&pkt);
		memory_lost(s, r);
		return;
	}
	if (rc < 0) {
		r->code = HXFR_ERR_ENCODE_FAILED;
		r->why = "the encoder failed on this frame";
		he_stats_add(&s->stats, HE_COUNT_ENCODE_ERRORS, 1);
		return;
	}
	/* media converts inside the call: split the time as before */
	he_stats_record(&s->stats, HE_STAGE_CONVERT, pkt.convert_us);
	he_stats_record(&s->stats, HE_STAGE_ENCODE, g_get_monotonic_time() - t0 - pkt.convert_us);
	r->au = au_from_packet(s, &pkt, f);
	s->kept_pts_ns = f->pts_ns;
	g_mutex_lock(&s->lock);
	s->have_last = keep;
	g_mutex_unlock(&s->lock);
}

/* The same picture, encoded again as a new access unit. Its pts stays the
 * picture's (a guest's pts clock is its own); the capture time, which
 * browsers use, is now. */
static void encode_again(struct he_stream *s, bool idr, struct stream_result *r)
{
	struct he_packet pkt = { 0 };

	if (!s->enc)
		return;
	apply_settings(s);
	if (he_encoder_encode_again(s->enc, 0, idr, &pkt) < 0)
		return;
	r->au = au_from_packet(s, &pkt, NULL);
	r->au->pts_ns = s->kept_pts_ns;
	r->au->keepalive = true;
}

/* Idle: the encoder goes, with its pictures, staging buffers and kept
 * input; the next frame makes a new one, which starts with an IDR. */
static void release_encoder(struct he_stream *s, struct stream_result *r)
{
	if (!s->enc)
		return;
	he_encoder_destroy(s->enc);
	s->enc = NULL;
	g_mutex_lock(&s->lock);
	s->have_last = false;
	g_mutex_unlock(&s->lock);
	r->released = true;
}

static void process_job(struct he_stream *s, struct stream_job *j, bool idr,
			struct stream_result *r)
{
	if (j->release) {
		release_encoder(s, r);
		return;
	}
	if (!j->frame) {
		encode_again(s, idr, r);
		return;
	}
	if (ensure_encoder(s, j->frame, r) < 0)
		return;
	encode_frame(s, j->frame, idr, r);
}

static void post_result(struct he_stream *s, struct stream_result *r)
{
	g_async_queue_push(s->results, g_memdup2(r, sizeof(*r)));
	/* An idle source, not g_main_context_invoke(): that would run the
	 * handler on this thread whenever the main context is not owned
	 * (e.g. during shutdown), racing the main thread. */
	if (g_atomic_int_compare_and_exchange(&s->wakeup_pending, 0, 1)) {
		GSource *idle = g_idle_source_new();

		g_source_set_priority(idle, G_PRIORITY_DEFAULT);
		g_source_set_callback(idle, stream_drain_results, stream_ref(s),
				      (GDestroyNotify)stream_unref);
		g_source_attach(idle, s->ctx);
		g_source_unref(idle);
	}
}

/* Waits for the next job; NULL when asked to quit. */
static struct stream_job *next_job(struct he_stream *s, bool *idr)
{
	struct stream_job *j;

	g_mutex_lock(&s->lock);
	while (!s->quit && g_queue_is_empty(&s->jobs))
		g_cond_wait(&s->cond, &s->lock);
	if (s->quit) {
		g_mutex_unlock(&s->lock);
		return NULL;
	}
	j = g_queue_pop_head(&s->jobs);
	s->busy = true;
	*idr = false;
	if (!j->dropped && !j->release) {
		*idr = s->force_idr || j->force_idr;
		s->force_idr = false;
	}
	g_mutex_unlock(&s->lock);
	return j;
}

gpointer stream_worker_main(gpointer data)
{
	struct he_stream *s = data;
	struct stream_job *j;
	bool idr;

	/* Before the encoder exists: its threads inherit the priority. */
	he_thread_priority_raise(s->env.priority);
	while ((j = next_job(s, &idr))) {
		struct stream_result r = { .tag = j->tag, .has_tag = j->has_tag };

		if (!j->dropped)
			process_job(s, j, idr, &r);
		if (r.has_tag || r.au || r.released)
			post_result(s, &r);
		he_frame_unref(j->frame);
		g_free(j);
		g_mutex_lock(&s->lock);
		s->busy = false;
		g_mutex_unlock(&s->lock);
	}
	he_encoder_destroy(s->enc);
	s->enc = NULL;
	return NULL;
}
