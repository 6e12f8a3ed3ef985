/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An encoder that was given no frame (nor a keepalive) for
 * env.encoder_idle_s seconds is given back: the worker destroys it, and
 * with it the encoder library's pictures, the staging buffers and the kept
 * last picture; the next frame makes a new one, starting with an IDR. A
 * stream that outputs watch gets keepalives and so keeps its encoder; one
 * nobody watches keeps only its GOP, which a late output gets replayed.
 * Main loop only. */
#define G_LOG_DOMAIN "hostenc.stream"
#include "stream-private.h"

static gboolean idle_tick(gpointer data)
{
	struct he_stream *s = data;
	int64_t limit = (int64_t)s->env.encoder_idle_s * G_USEC_PER_SEC;
	struct stream_job *j;

	if (!s->enc_live || g_get_monotonic_time() - s->last_submit_us < limit)
		return G_SOURCE_CONTINUE;
	g_mutex_lock(&s->lock);
	if (s->busy || !g_queue_is_empty(&s->jobs)) {
		g_mutex_unlock(&s->lock);
		return G_SOURCE_CONTINUE;
	}
	j = g_new0(struct stream_job, 1);
	j->release = true;
	g_queue_push_tail(&s->jobs, j);
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->lock);
	s->enc_live = false;
	g_info("stream %s: no frame for %u s: encoder released", s->name, s->env.encoder_idle_s);
	return G_SOURCE_CONTINUE;
}

void stream_idle_start(struct he_stream *s)
{
	if (!s->env.encoder_idle_s || s->idle_timer)
		return;
	s->idle_timer = g_timeout_source_new_seconds(1);
	g_source_set_callback(s->idle_timer, idle_tick, s, NULL);
	g_source_attach(s->idle_timer, s->ctx);
}

void stream_idle_stop(struct he_stream *s)
{
	if (!s->idle_timer)
		return;
	g_source_destroy(s->idle_timer);
	g_clear_pointer(&s->idle_timer, g_source_unref);
}

void stream_idle_used(struct he_stream *s)
{
	s->enc_live = true;
}
