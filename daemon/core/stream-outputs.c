/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The main-loop half of a stream: results from the worker go to the owning
 * producer and to every output; the current GOP is kept for late outputs;
 * congested outputs skip to the next IDR (requested once they drain) and
 * are closed when they stay congested; static screens get keepalive
 * re-encodes while anyone watches. */
#define G_LOG_DOMAIN "hostenc.stream"
#include <errno.h>

#include "mem-trim.h"
#include "stream-private.h"

/* An output that fell behind skips to the next IDR. */
static void output_resync(struct he_output *o)
{
	if (!o->need_idr)
		o->resyncs++;
	o->need_idr = true;
	o->idr_requested = false;
	if (!o->congested_since)
		o->congested_since = g_get_monotonic_time();
}

static bool output_ready(struct he_output *o)
{
	return !o->impl->ready || o->impl->ready(o);
}

static bool stalled_too_long(struct he_stream *s, struct he_output *o)
{
	return o->congested_since &&
	       g_get_monotonic_time() - o->congested_since >
		       (int64_t)s->env.output_stall_s * G_USEC_PER_SEC;
}

/* Skipping until an IDR: ask for it once the output drained. An output
 * that joined and waits for its first IDR misses nothing it ever had, so
 * only skips after a delivery count (what /stats calls skipped). */
static int skip_one(struct he_stream *s, struct he_output *o)
{
	if (o->delivered)
		o->skipped++;
	if (output_ready(o)) {
		o->congested_since = 0;
		if (!o->idr_requested) {
			o->idr_requested = true;
			he_stream_request_idr(s);
		}
		return 0;
	}
	return stalled_too_long(s, o) ? -ETIMEDOUT : 0;
}

/* 0, or -EPIPE / -ETIMEDOUT when the output must go. */
static int deliver_one(struct he_stream *s, struct he_output *o, struct he_au *au, bool replay)
{
	int res;

	if (o->need_idr && !au->keyframe)
		return skip_one(s, o);
	res = o->impl->deliver(o, au, replay);
	if (res == -EPIPE)
		return res;
	if (res == -EAGAIN) {
		output_resync(o);
		return stalled_too_long(s, o) ? -ETIMEDOUT : 0;
	}
	o->need_idr = false;
	o->congested_since = 0;
	o->delivered++;
	return 0;
}

static void close_output(struct he_stream *s, struct he_output *o, enum he_output_close why)
{
	he_stream_detach(s, o);
	o->impl->close(o, why);
}

static void fps_tick(struct he_stream *s, int64_t now, size_t bytes)
{
	s->fps_ring[s->fps_next] = now;
	s->fps_bytes[s->fps_next] = (uint32_t)MIN(bytes, UINT32_MAX);
	s->fps_next = (s->fps_next + 1) % STREAM_FPS_WINDOW;
	if (s->fps_count < STREAM_FPS_WINDOW)
		s->fps_count++;
}

static void deliver_au(struct he_stream *s, struct he_au *au)
{
	GList *l = s->outputs;

	he_stats_add(&s->stats, HE_COUNT_FRAMES_ENCODED, 1);
	he_stats_add(&s->stats, HE_COUNT_BYTES_OUT, g_bytes_get_size(au->data));
	if (au->keyframe)
		he_stats_add(&s->stats, HE_COUNT_KEYFRAMES, 1);
	fps_tick(s, g_get_monotonic_time(), g_bytes_get_size(au->data));
	stream_gop_add(s, au);
	while (l) {
		struct he_output *o = l->data;
		int res;

		l = l->next;
		res = deliver_one(s, o, au, false);
		if (res == -EPIPE)
			he_stream_detach(s, o);
		else if (res == -ETIMEDOUT)
			close_output(s, o, HE_OUTPUT_CLOSE_TOO_SLOW);
	}
}

static void handle_result(struct he_stream *s, struct stream_result *r)
{
	if (r->released)
		he_mem_trim_soon();
	if (r->au)
		deliver_au(s, r->au);
	else if (r->has_tag && r->code == 0)
		he_stats_add(&s->stats, HE_COUNT_FRAMES_DROPPED, 1);
	if (r->has_tag && s->producer && s->producer->result)
		s->producer->result(s->producer_data, r->tag, r->au, r->code, r->why);
}

gboolean stream_drain_results(gpointer data)
{
	struct he_stream *s = data;
	struct stream_result *r;

	g_atomic_int_set(&s->wakeup_pending, 0);
	while ((r = g_async_queue_try_pop(s->results))) {
		if (!s->dead)
			handle_result(s, r);
		he_au_unref(r->au);
		g_free(r);
	}
	return G_SOURCE_REMOVE;
}

/* ---- keepalive ---------------------------------------------------------- */

static gboolean keepalive_tick(gpointer data)
{
	struct he_stream *s = data;
	int64_t interval = G_USEC_PER_SEC / MAX(s->env.keepalive_fps, 1u);
	bool owned = s->producer && s->producer->result;
	struct stream_job *j;

	/* A guest that sends only what changed (damage-driven capture) pauses
	 * between changes, and a keepalive in such a pause costs its stream
	 * an IDR (below): a blinking cursor made one every 500 ms. So the
	 * first keepalive after an owner's own frame waits longer. */
	if (owned && !s->owner_needs_idr)
		interval = MAX(interval, HE_STREAM_OWNER_QUIET_MS * 1000);
	if (!s->outputs || g_get_monotonic_time() - s->last_submit_us < interval)
		return G_SOURCE_CONTINUE;
	g_mutex_lock(&s->lock);
	if (!s->have_last || s->busy || !g_queue_is_empty(&s->jobs)) {
		g_mutex_unlock(&s->lock);
		return G_SOURCE_CONTINUE;
	}
	j = g_new0(struct stream_job, 1);
	g_queue_push_tail(&s->jobs, j);
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->lock);
	s->last_submit_us = g_get_monotonic_time();
	stream_idle_used(s);
	/* An owner never sees keepalive frames, so its own stream must
	 * restart from an IDR: its next frame cannot reference them. */
	if (owned)
		s->owner_needs_idr = true;
	return G_SOURCE_CONTINUE;
}

static void set_keep_input(struct he_stream *s, bool keep)
{
	g_mutex_lock(&s->lock);
	s->keep_input = keep;
	g_mutex_unlock(&s->lock);
}

void stream_keepalive_start(struct he_stream *s)
{
	if (!s->env.keepalive_fps || s->keepalive_timer)
		return;
	/* The encoder keeps its (staged) input only while someone watches:
	 * a guest encoding for itself alone pays no copy for keepalives. */
	set_keep_input(s, true);
	s->keepalive_timer = g_timeout_source_new(1000 / MIN(s->env.keepalive_fps * 2, 1000u));
	g_source_set_callback(s->keepalive_timer, keepalive_tick, s, NULL);
	g_source_attach(s->keepalive_timer, s->ctx);
}

void stream_keepalive_stop(struct he_stream *s)
{
	if (!s->keepalive_timer)
		return;
	set_keep_input(s, false);
	g_source_destroy(s->keepalive_timer);
	g_clear_pointer(&s->keepalive_timer, g_source_unref);
}

/* ---- attach / detach ---------------------------------------------------- */

static void demand(struct he_stream *s, bool wanted)
{
	if (wanted)
		stream_keepalive_start(s);
	else
		stream_keepalive_stop(s);
	if (s->producer && s->producer->demand && !s->dead)
		s->producer->demand(s->producer_data, wanted);
}

void he_stream_set_cursor(struct he_stream *s, struct he_cursor *cursor)
{
	he_cursor_ref(cursor);
	g_clear_pointer(&s->cursor, he_cursor_unref);
	s->cursor = cursor;
	for (GList *l = s->outputs; l; l = l->next) {
		struct he_output *o = l->data;

		if (o->impl->cursor)
			o->impl->cursor(o, cursor);
	}
}

/* A joining output gets the GOP replayed when it is short, or when it is
 * the only way to the picture (a still stream makes no IDR until its
 * producer draws). A long GOP (no periodic IDRs: it grows to
 * STREAM_GOP_MAX_AUS) would make the joiner's decoder go through up to 30 s
 * of frames, and an IDR comes within a frame or a keepalive. */
static bool replay_on_join(struct he_stream *s)
{
	if (!s->gop_valid)
		return false;
	return s->gop_aus->len <= STREAM_JOIN_REPLAY_AUS || he_stream_is_still(s);
}

void he_stream_attach(struct he_stream *s, struct he_output *o)
{
	bool first = s->outputs == NULL;

	o->stream = s;
	o->need_idr = false;
	o->congested_since = 0;
	s->outputs = g_list_append(s->outputs, o);
	if (replay_on_join(s)) {
		for (guint i = 0; i < s->gop_aus->len; i++)
			if (deliver_one(s, o, g_ptr_array_index(s->gop_aus, i), true) < 0)
				break;
	} else {
		o->need_idr = true;
		o->idr_requested = true;
		he_stream_request_idr(s);
	}
	if (s->cursor && o->impl->cursor)
		o->impl->cursor(o, s->cursor);
	if (first)
		demand(s, true);
}

bool he_stream_is_still(struct he_stream *s)
{
	bool still;

	if (!s->gop_valid || g_get_monotonic_time() - s->last_submit_us < STREAM_STILL_AFTER_US)
		return false;
	g_mutex_lock(&s->lock);
	still = !s->have_last && !s->busy && g_queue_is_empty(&s->jobs);
	g_mutex_unlock(&s->lock);
	return still;
}

void he_stream_detach(struct he_stream *s, struct he_output *o)
{
	GList *l = g_list_find(s->outputs, o);

	if (!l)
		return;
	s->outputs = g_list_delete_link(s->outputs, l);
	o->stream = NULL;
	if (!s->outputs)
		demand(s, false);
}

uint32_t he_stream_outputs(struct he_stream *s)
{
	return g_list_length(s->outputs);
}

void stream_outputs_close_all(struct he_stream *s)
{
	while (s->outputs)
		close_output(s, s->outputs->data, HE_OUTPUT_CLOSE_STREAM_GONE);
}
