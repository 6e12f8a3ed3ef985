/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "motion" scene: full motion over the whole picture, as a video would
 * be. A drifting colour field, shapes bouncing at different speeds, and
 * fresh grain (luma noise) on every pixel of every frame. */
#include <math.h>

#include "scenes-private.h"

#define SHAPES 14
#define GRAIN  4 /* grain amplitude: -GRAIN .. GRAIN-1 (film-like, not white noise) */

/* A triangle wave: 0..255..0 over a period of 512. */
static inline int32_t tri(int32_t v)
{
	v &= 511;
	return v < 256 ? v : 511 - v;
}

/* Position on [0, span] bouncing between the ends. */
static int64_t bounce(int64_t pos, int64_t span)
{
	if (span <= 0)
		return 0;
	pos %= 2 * span;
	if (pos < 0)
		pos += 2 * span;
	return pos <= span ? pos : 2 * span - pos;
}

static void field(const struct canvas *c, int32_t t)
{
	int32_t sx = (int32_t)(512 * 2 / c->w) + 1, sy = (int32_t)(512 * 3 / c->h) + 1;

	for (uint32_t y = 0; y < c->h; y++) {
		uint8_t *p = c->data + (size_t)y * c->stride;
		int32_t ry = tri((int32_t)y * sy + t / 9), gy = tri((int32_t)y * sy / 2 - t / 13);
		int32_t by = tri((int32_t)y * sy / 3 + t / 17);

		for (uint32_t x = 0; x < c->w; x++, p += 4) {
			int32_t xv = (int32_t)x * sx;

			p[0] = (uint8_t)((tri(xv / 2 + t / 7) + by) / 2);
			p[1] = (uint8_t)((tri(xv / 3 - t / 11) + gy) / 2);
			p[2] = (uint8_t)((tri(xv + t / 10) + ry) / 2);
			p[3] = 0xff;
		}
	}
}

static void disc(const struct canvas *c, int64_t cx, int64_t cy, int64_t r, uint32_t rgb)
{
	for (int64_t dy = -r; dy <= r; dy++) {
		int64_t hw = (int64_t)sqrt((double)(r * r - dy * dy));

		draw_fill(c, cx - hw, cy + dy, 2 * hw + 1, 1, rgb);
	}
}

static void shapes(const struct canvas *c, uint64_t ms)
{
	uint64_t st = 4242;
	int64_t w = c->w, h = c->h;

	for (int i = 0; i < SHAPES; i++) {
		int64_t size = (int64_t)(w * (4 + scene_rand(&st) % 12) / 100);
		int64_t vx = (int64_t)(w * (10 + scene_rand(&st) % 40) / 100); /* px per s */
		int64_t vy = (int64_t)(h * (10 + scene_rand(&st) % 40) / 100);
		int64_t x0 = (int64_t)(scene_rand(&st) % (uint64_t)w);
		int64_t y0 = (int64_t)(scene_rand(&st) % (uint64_t)h);
		uint32_t rgb = (uint32_t)scene_rand(&st) & 0xffffff;
		int64_t x = bounce(x0 + vx * (int64_t)ms / 1000, w - size);
		int64_t y = bounce(y0 + vy * (int64_t)ms / 1000, h - size);

		if (i % 2)
			disc(c, x + size / 2, y + size / 2, size / 2, rgb);
		else
			draw_fill(c, x, y, size, size * 2 / 3, rgb);
	}
}

static inline uint8_t add_clamp(uint8_t v, int32_t d)
{
	int32_t s = v + d;

	return (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
}

/* Grain: the same offset on B, G and R, from a generator seeded per row
 * and frame. */
static void grain(const struct canvas *c, uint64_t frame)
{
	for (uint32_t y = 0; y < c->h; y++) {
		uint64_t st = (frame << 20) ^ y;
		uint32_t s = (uint32_t)scene_rand(&st) | 1;
		uint8_t *p = c->data + (size_t)y * c->stride;

		for (uint32_t x = 0; x < c->w; x++, p += 4) {
			int32_t d;

			s ^= s << 13; /* xorshift32 */
			s ^= s >> 17;
			s ^= s << 5;
			d = (int32_t)((s >> 8) % (2 * GRAIN)) - GRAIN;
			p[0] = add_clamp(p[0], d);
			p[1] = add_clamp(p[1], d);
			p[2] = add_clamp(p[2], d);
		}
	}
}

void scene_draw_motion(const struct canvas *c, uint64_t frame, uint32_t fps)
{
	uint64_t ms = scene_ms(frame, fps);

	field(c, (int32_t)(ms % (512u * 9 * 7 * 11 * 13 * 17)));
	shapes(c, ms);
	grain(c, frame);
}
