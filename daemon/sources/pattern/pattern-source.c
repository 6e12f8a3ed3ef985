/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "hostenc.pattern"
#include "pattern-source.h"

#include <hxfr/hxfr.h>

#include "daemon.h"
#include "frame.h"
#include "pattern.h"
#include "source.h"

#define POOL 3

struct he_pattern_source {
	struct he_daemon *d;
	struct he_source *source;
	struct he_pattern *pattern;
	struct he_frame *pool[POOL];
	uint32_t width, height, fps;
	guint timer;
	uint64_t frame_no;
	int64_t start_us;
};

/* A frame from the pool that no one else holds, so no per-frame malloc. */
static struct he_frame *get_frame(struct he_pattern_source *ps)
{
	for (int i = 0; i < POOL; i++) {
		if (!ps->pool[i])
			ps->pool[i] = he_frame_alloc(HXFR_FMT_BGRX, ps->width, ps->height);
		if (g_atomic_int_get(&ps->pool[i]->ref) == 1)
			return he_frame_ref(ps->pool[i]);
	}
	return NULL;
}

static gboolean tick(gpointer data)
{
	struct he_pattern_source *ps = data;
	struct he_frame *f;
	int64_t now = he_now_us();

	/* Drop before rendering when the encoder is behind. */
	if (he_source_pending(ps->source) > 1 || !(f = get_frame(ps))) {
		he_stats_count(he_source_stats(ps->source),
			       &he_source_stats(ps->source)->frames_dropped, 1);
		ps->frame_no++;
		return G_SOURCE_CONTINUE;
	}
	he_pattern_render(ps->pattern, ps->frame_no, now, (uint8_t *)f->plane[0], f->stride[0]);
	f->pts_ns = (int64_t)ps->frame_no * 1000000000ll * 1 / ps->fps;
	f->duration_ns = 1000000000ll / ps->fps;
	f->capture_us = now;
	ps->frame_no++;
	he_source_submit(ps->source, f, 0);
	he_frame_unref(f);
	return G_SOURCE_CONTINUE;
}

static void on_demand(void *data, bool wanted)
{
	struct he_pattern_source *ps = data;

	if (wanted && !ps->timer) {
		ps->timer = g_timeout_add_full(G_PRIORITY_HIGH, 1000 / ps->fps, tick, ps, NULL);
		g_info("pattern source: viewer attached, rendering %ux%u at %u fps", ps->width,
		       ps->height, ps->fps);
	} else if (!wanted && ps->timer) {
		g_source_remove(ps->timer);
		ps->timer = 0;
		g_info("pattern source: no viewers, paused");
	}
}

static void on_input(void *data, const struct he_input_event *ev)
{
	struct he_pattern_source *ps = data;

	if (ev->kind == HE_INPUT_KEY && ev->down && ev->key)
		he_pattern_set_key(ps->pattern, ev->key);
	else if (ev->kind == HE_INPUT_POINTER)
		he_pattern_set_pointer(ps->pattern, ev->x, ev->y, ev->buttons);
}

struct he_pattern_source *he_pattern_source_new(struct he_daemon *d, uint32_t id, uint32_t width,
						uint32_t height, uint32_t fps)
{
	struct he_pattern_source *ps;
	struct he_pattern *p = he_pattern_create(width, height);

	if (!p || fps == 0 || fps > 240) {
		he_pattern_destroy(p);
		return NULL;
	}
	ps = g_new0(struct he_pattern_source, 1);
	ps->d = d;
	ps->pattern = p;
	ps->width = width;
	ps->height = height;
	ps->fps = fps;
	ps->source = he_source_new(d, id, "test pattern");
	he_source_set_fps(ps->source, fps, 1);
	he_source_set_demand_cb(ps->source, on_demand, ps);
	he_source_set_input_cb(ps->source, on_input, ps);
	he_daemon_add_source(d, ps->source);
	return ps;
}

void he_pattern_source_free(struct he_pattern_source *ps)
{
	if (!ps)
		return;
	if (ps->timer)
		g_source_remove(ps->timer);
	he_daemon_remove_source(ps->d, ps->source);
	he_source_set_demand_cb(ps->source, NULL, NULL);
	he_source_destroy(ps->source);
	for (int i = 0; i < POOL; i++)
		he_frame_unref(ps->pool[i]);
	he_pattern_destroy(ps->pattern);
	g_free(ps);
}
