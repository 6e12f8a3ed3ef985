/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A stream's lifecycle, frame submission and settings (main loop side). */
#define G_LOG_DOMAIN "hostenc.stream"
#include "stream-private.h"

#include <errno.h>
#include <string.h>

#include "encoder.h"
#include "mem-trim.h"

void he_stream_env_defaults(struct he_stream_env *env)
{
	*env = (struct he_stream_env){ .keepalive_fps = 2, .output_stall_s = 10,
				       .encoder_idle_s = HE_STREAM_ENCODER_IDLE_S,
				       .gop_budget = HE_STREAM_GOP_BUDGET };
}

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
	he_video_format_unref(au->format);
	g_free(au);
}

struct he_cursor *he_cursor_ref(struct he_cursor *c)
{
	g_atomic_int_inc(&c->ref);
	return c;
}

void he_cursor_unref(struct he_cursor *c)
{
	if (!c || !g_atomic_int_dec_and_test(&c->ref))
		return;
	if (c->bgra)
		g_bytes_unref(c->bgra);
	g_free(c);
}

struct he_stream *stream_ref(struct he_stream *s)
{
	g_atomic_int_inc(&s->ref);
	return s;
}

void stream_unref(struct he_stream *s)
{
	if (!g_atomic_int_dec_and_test(&s->ref))
		return;
	he_stats_clear(&s->stats);
	g_mutex_clear(&s->lock);
	g_cond_clear(&s->cond);
	g_async_queue_unref(s->results);
	g_ptr_array_unref(s->gop_aus);
	g_main_context_unref(s->ctx);
	g_free(s->name);
	g_free(s->title);
	g_free(s);
}

struct he_stream *he_stream_create(const struct he_stream_env *env,
				   const struct he_stream_params *p)
{
	struct he_stream *s = g_new0(struct he_stream, 1);

	s->ref = 1;
	s->env = *env;
	s->id = p->id;
	s->name = g_strdup(p->name);
	s->title = g_strdup(p->title ? p->title : p->name);
	s->producer = p->producer;
	s->producer_data = p->producer_data;
	s->input = p->input;
	s->fps_num = p->fps_num;
	s->fps_den = p->fps_den;
	he_encoder_clamp_fps(&s->fps_num, &s->fps_den);
	s->asked_bitrate = env->bitrate ? he_encoder_clamp_bitrate(env->bitrate) : 0;
	s->ctx = g_main_context_ref_thread_default();
	g_mutex_init(&s->lock);
	g_cond_init(&s->cond);
	g_queue_init(&s->jobs);
	s->results = g_async_queue_new();
	s->gop_aus = g_ptr_array_new_with_free_func((GDestroyNotify)he_au_unref);
	g_strlcpy(s->enc_name, env->encoder ? env->encoder : "", sizeof(s->enc_name));
	he_stats_init(&s->stats);
	s->last_submit_us = g_get_monotonic_time();
	s->thread = g_thread_new("he-encode", stream_worker_main, s);
	stream_gop_init(s);
	stream_idle_start(s);
	return s;
}

void he_stream_destroy(struct he_stream *s)
{
	struct stream_job *j;

	if (!s)
		return;
	s->dead = true;
	stream_keepalive_stop(s);
	stream_idle_stop(s);
	g_mutex_lock(&s->lock);
	s->quit = true;
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->lock);
	g_thread_join(s->thread);
	while ((j = g_queue_pop_head(&s->jobs))) {
		he_frame_unref(j->frame);
		g_free(j);
	}
	stream_outputs_close_all(s);
	stream_gop_fini(s);
	g_clear_pointer(&s->cursor, he_cursor_unref);
	stream_unref(s);
	he_mem_trim_soon();
}

static uint32_t live_jobs(struct he_stream *s)
{
	uint32_t n = 0;

	for (GList *l = s->jobs.head; l; l = l->next) {
		struct stream_job *j = l->data;

		n += !j->dropped && !j->release;
	}
	return n;
}

/* With the lock held: make room by dropping the oldest waiting frame. Its
 * result (DROPPED) still comes back in order, from the worker. */
static void drop_oldest(struct he_stream *s)
{
	for (GList *l = s->jobs.head; l; l = l->next) {
		struct stream_job *j = l->data;

		if (j->dropped || j->release)
			continue;
		j->dropped = true;
		if (j->force_idr)
			s->force_idr = true;
		g_clear_pointer(&j->frame, he_frame_unref);
		return;
	}
}

static bool queue_job(struct he_stream *s, struct stream_job *j, bool owned)
{
	g_mutex_lock(&s->lock);
	if (live_jobs(s) >= STREAM_QUEUE_MAX) {
		if (!owned) {
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

int he_stream_submit(struct he_stream *s, struct he_frame *f, uint64_t tag)
{
	struct stream_job *j = g_new0(struct stream_job, 1);
	bool owned = s->producer && s->producer->result;

	j->frame = he_frame_ref(f);
	j->tag = tag;
	j->has_tag = owned;
	j->force_idr = f->force_idr || (owned && s->owner_needs_idr);
	if (!queue_job(s, j, owned)) {
		he_frame_unref(j->frame);
		g_free(j);
		he_stats_add(&s->stats, HE_COUNT_FRAMES_DROPPED, 1);
		return -EBUSY;
	}
	/* j belongs to the worker now, which may have freed it already */
	s->owner_needs_idr = false;
	s->last_submit_us = g_get_monotonic_time();
	stream_idle_used(s);
	he_stats_add(&s->stats, HE_COUNT_FRAMES_IN, 1);
	return 0;
}

uint32_t he_stream_pending(struct he_stream *s)
{
	uint32_t n;

	g_mutex_lock(&s->lock);
	n = g_queue_get_length(&s->jobs) + (s->busy ? 1 : 0);
	g_mutex_unlock(&s->lock);
	return n;
}

void he_stream_skipped(struct he_stream *s)
{
	he_stats_add(&s->stats, HE_COUNT_FRAMES_DROPPED, 1);
}

void he_stream_request_idr(struct he_stream *s)
{
	g_mutex_lock(&s->lock);
	s->force_idr = true;
	g_mutex_unlock(&s->lock);
}

bool he_stream_ask_idr(struct he_stream *s)
{
	int64_t now = g_get_monotonic_time();

	if (s->last_asked_idr_us &&
	    now - s->last_asked_idr_us < HE_STREAM_IDR_INTERVAL_MS * 1000)
		return false;
	s->last_asked_idr_us = now;
	he_stream_request_idr(s);
	return true;
}

uint32_t he_stream_set_bitrate(struct he_stream *s, uint32_t bps)
{
	uint32_t applied = bps ? he_encoder_clamp_bitrate(bps) : 0;

	g_mutex_lock(&s->lock);
	s->asked_bitrate = applied;
	s->bitrate_changed = true;
	g_mutex_unlock(&s->lock);
	return applied;
}

void he_stream_set_fps(struct he_stream *s, uint32_t *num, uint32_t *den)
{
	he_encoder_clamp_fps(num, den);
	g_mutex_lock(&s->lock);
	s->fps_num = *num;
	s->fps_den = *den;
	g_mutex_unlock(&s->lock);
}

bool he_stream_input(struct he_stream *s, const struct he_input_event *ev)
{
	int64_t now = g_get_monotonic_time();

	if (now - s->input_window_us >= G_USEC_PER_SEC) {
		s->input_window_us = now;
		s->input_in_window = 0;
	}
	if (++s->input_in_window > HE_STREAM_INPUT_PER_SECOND)
		return false;
	return he_input_sink_send(&s->input, ev);
}

bool he_stream_input_admit(struct he_stream *s)
{
	int64_t now = g_get_monotonic_time();

	if (now - s->input_msg_window_us >= G_USEC_PER_SEC) {
		s->input_msg_window_us = now;
		s->input_msgs_in_window = 0;
	}
	if (s->input_msgs_in_window >= HE_STREAM_INPUT_PER_SECOND)
		return false;
	s->input_msgs_in_window++;
	return true;
}

bool he_stream_has_input(const struct he_stream *s)
{
	return s->input.impl != NULL;
}

bool he_stream_resize(struct he_stream *s, uint32_t width, uint32_t height)
{
	return he_input_sink_resize(&s->input, width, height);
}

bool he_stream_pointer_absolute(const struct he_stream *s)
{
	return he_input_sink_pointer_absolute(&s->input);
}

bool he_stream_can_resize(const struct he_stream *s)
{
	return he_input_sink_can_resize(&s->input);
}

uint32_t he_stream_id(const struct he_stream *s)
{
	return s->id;
}

const char *he_stream_name(const struct he_stream *s)
{
	return s->name;
}

/* Frames and bits per second over the access units of the last 2 s. */
static void measure_output(struct he_stream *s, double *fps, double *bps)
{
	int64_t now = g_get_monotonic_time(), first = 0;
	uint64_t bytes = 0;
	uint32_t n = 0;

	*fps = *bps = 0.0;
	for (uint32_t i = 0; i < s->fps_count; i++) {
		int64_t t = s->fps_ring[i];

		if (now - t > 2 * G_USEC_PER_SEC)
			continue;
		if (!n || t < first)
			first = t;
		n++;
		bytes += s->fps_bytes[i];
	}
	if (n < 2 || now == first)
		return;
	*fps = (double)n * G_USEC_PER_SEC / (double)(now - first);
	*bps = (double)bytes * 8.0 * G_USEC_PER_SEC / (double)(now - first);
}

void he_stream_info(struct he_stream *s, struct he_stream_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->name = s->name;
	out->title = s->title;
	out->outputs = he_stream_outputs(s);
	measure_output(s, &out->fps, &out->bitrate_measured);
	g_mutex_lock(&s->lock);
	out->encoder = s->enc_name;
	out->hardware = s->enc_hw;
	out->width = s->width;
	out->height = s->height;
	out->bitrate = s->bitrate;
	g_mutex_unlock(&s->lock);
}

struct he_stats *he_stream_stats(struct he_stream *s)
{
	return &s->stats;
}
