/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "hostenc.pattern"
#include "pattern-source.h"

#include <gio/gio.h>
#include <hxfr/hxfr.h>

#include "frame-pool.h"
#include "input-keys.h"
#include "pattern.h"
#include "registry.h"
#include "stream.h"

#define POOL 3

struct he_pattern_source {
	struct he_registry *reg;
	struct he_stream *stream;
	struct he_pattern *pattern;
	struct he_frame_pool *pool;
	uint32_t fps;
	GSource *timer;
	uint64_t frame_no;
	uint32_t buttons;     /* mask the pattern draws: 1 left, 2 right, 4 middle */
	int x, y;             /* last pointer position */
	uint32_t width, height;
};

static gboolean tick(gpointer data)
{
	struct he_pattern_source *ps = data;
	g_autoptr(he_frame) f = NULL;
	int64_t now = he_now_us();

	/* Skip rendering when the encoder is behind (or every pooled frame
	 * is still in use). */
	if (he_stream_pending(ps->stream) > 1 || !(f = he_frame_pool_acquire(ps->pool))) {
		he_stream_skipped(ps->stream);
		ps->frame_no++;
		return G_SOURCE_CONTINUE;
	}
	he_pattern_render(ps->pattern, ps->frame_no, now, (uint8_t *)f->plane[0], f->stride[0]);
	f->pts_ns = (int64_t)(ps->frame_no * 1000000000ull / ps->fps);
	f->duration_ns = 1000000000ll / ps->fps;
	f->capture_us = now;
	ps->frame_no++;
	he_stream_submit(ps->stream, f, 0);
	return G_SOURCE_CONTINUE;
}

static void on_demand(void *data, bool wanted)
{
	struct he_pattern_source *ps = data;

	if (wanted && !ps->timer) {
		ps->timer = g_timeout_source_new(1000 / ps->fps);
		g_source_set_priority(ps->timer, G_PRIORITY_HIGH);
		g_source_set_callback(ps->timer, tick, ps, NULL);
		g_source_attach(ps->timer, NULL);
		g_info("pattern: viewer attached, rendering %ux%u at %u fps", ps->width,
		       ps->height, ps->fps);
	} else if (!wanted && ps->timer) {
		g_source_destroy(ps->timer);
		g_clear_pointer(&ps->timer, g_source_unref);
		he_frame_pool_trim(ps->pool);
		g_info("pattern: no viewers, paused");
	}
}

static const struct he_producer_impl producer_impl = {
	.version = HE_PRODUCER_VERSION,
	.demand = on_demand,
};

/* The pattern draws what it gets: the key's name and the pointer. */
static void on_input(void *data, const struct he_input_event *ev)
{
	struct he_pattern_source *ps = data;
	uint32_t bit;

	switch (ev->kind) {
	case HE_INPUT_KEY:
		if (ev->down && he_input_key_name(ev->code))
			he_pattern_set_key(ps->pattern, ev->code, he_input_key_name(ev->code));
		break;
	case HE_INPUT_BUTTON:
		bit = ev->code == BTN_LEFT ? 1 : ev->code == BTN_RIGHT ? 2 : ev->code == BTN_MIDDLE ? 4 : 0;
		ps->buttons = ev->down ? ps->buttons | bit : ps->buttons & ~bit;
		he_pattern_set_pointer(ps->pattern, ps->x, ps->y, ps->buttons);
		break;
	case HE_INPUT_MOTION_ABS:
		/* Normalised over the picture: pixel centres round to the
		 * nearest pixel, as the page computes them. */
		ps->x = (int)(((uint64_t)ev->x * ps->width) / (HE_INPUT_ABS_MAX + 1u));
		ps->y = (int)(((uint64_t)ev->y * ps->height) / (HE_INPUT_ABS_MAX + 1u));
		he_pattern_set_pointer(ps->pattern, ps->x, ps->y, ps->buttons);
		break;
	default:
		break;
	}
}

static const struct he_input_sink_impl input_impl = {
	.version = HE_INPUT_SINK_VERSION,
	.event = on_input,
};

struct he_pattern_source *he_pattern_source_create(struct he_registry *reg,
						   const struct he_stream_env *env,
						   uint32_t width, uint32_t height, uint32_t fps,
						   GError **err)
{
	struct he_pattern_source *ps = g_new0(struct he_pattern_source, 1);
	struct he_stream_params p = {
		.id = HE_PATTERN_STREAM_ID, .name = HE_PATTERN_STREAM_NAME,
		.title = "test pattern", .producer = &producer_impl, .producer_data = ps,
		.input = { &input_impl, ps }, .fps_num = fps, .fps_den = 1,
	};

	ps->reg = reg;
	ps->fps = fps;
	ps->width = width;
	ps->height = height;
	ps->pattern = fps && fps <= 240 ? he_pattern_create(width, height) : NULL;
	ps->pool = he_frame_pool_new(HXFR_FMT_BGRX, width, height, POOL);
	if (!ps->pattern || !ps->pool) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "cannot create a %ux%u test pattern at %u fps", width, height, fps);
		he_pattern_source_destroy(ps);
		return NULL;
	}
	ps->stream = he_stream_create(env, &p);
	if (!he_registry_add(reg, ps->stream)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS, "stream id %u or name '%s' in use",
			    p.id, p.name);
		he_stream_destroy(g_steal_pointer(&ps->stream));
		he_pattern_source_destroy(ps);
		return NULL;
	}
	return ps;
}

void he_pattern_source_destroy(struct he_pattern_source *ps)
{
	if (!ps)
		return;
	if (ps->timer) {
		g_source_destroy(ps->timer);
		g_source_unref(ps->timer);
	}
	if (ps->stream) {
		he_registry_remove(ps->reg, ps->stream);
		he_stream_destroy(ps->stream);
	}
	he_frame_pool_unref(ps->pool);
	he_pattern_destroy(ps->pattern);
	g_free(ps);
}
