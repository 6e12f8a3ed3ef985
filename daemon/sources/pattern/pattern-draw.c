/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layout arithmetic and the few drawing primitives the pattern needs. */
#include <string.h>

#include "pattern-private.h"

void layout_init(struct layout *l, uint32_t w, uint32_t h)
{
	uint32_t u = w / GRID_W < h / GRID_H ? w / GRID_W : h / GRID_H;

	l->u = u ? u : 1;
	l->ox = (w - GRID_W * l->u) / 2;
	l->oy = (h - GRID_H * l->u) / 2;
	l->scale = l->u / 5 ? l->u / 5 : 1;
}

struct he_pattern_rect layout_cells(const struct layout *l, uint32_t gx,
				    uint32_t gy, uint32_t gw, uint32_t gh)
{
	struct he_pattern_rect r = {
		.x = l->ox + gx * l->u,
		.y = l->oy + gy * l->u,
		.w = gw * l->u,
		.h = gh * l->u,
	};
	return r;
}

static void pixel_from_rgb(uint8_t px[4], uint32_t rgb)
{
	px[0] = (uint8_t)rgb;         /* B */
	px[1] = (uint8_t)(rgb >> 8);  /* G */
	px[2] = (uint8_t)(rgb >> 16); /* R */
	px[3] = 0xff;                 /* X */
}

/* Intersects [*a, *a + *len) with [lo, hi); false when empty. */
static bool clip_span(int64_t *a, int64_t *len, int64_t lo, int64_t hi)
{
	int64_t end = *a + *len;

	if (*a < lo)
		*a = lo;
	if (end > hi)
		end = hi;
	if (end <= *a)
		return false;
	*len = end - *a;
	return true;
}

void draw_fill(const struct canvas *c, int64_t x, int64_t y, int64_t w,
	       int64_t h, uint32_t rgb)
{
	uint8_t px[4];
	uint8_t *first;

	if (!clip_span(&x, &w, 0, c->w) || !clip_span(&y, &h, 0, c->h))
		return;
	pixel_from_rgb(px, rgb);
	first = c->data + (size_t)y * c->stride + (size_t)x * 4;
	for (int64_t i = 0; i < w; i++)
		memcpy(first + i * 4, px, 4);
	for (int64_t j = 1; j < h; j++)
		memcpy(first + (size_t)j * c->stride, first, (size_t)w * 4);
}

/* Fill clipped to `clip` as well as to the canvas. */
static void fill_in(const struct canvas *c, const struct he_pattern_rect *clip,
		    int64_t x, int64_t y, int64_t w, int64_t h, uint32_t rgb)
{
	if (!clip_span(&x, &w, clip->x, (int64_t)clip->x + clip->w) ||
	    !clip_span(&y, &h, clip->y, (int64_t)clip->y + clip->h))
		return;
	draw_fill(c, x, y, w, h, rgb);
}

static char ascii_upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

static void draw_glyph(const struct canvas *c,
		       const struct he_pattern_rect *clip, int64_t x, int64_t y,
		       uint32_t s, char ch, uint32_t rgb)
{
	const uint8_t *rows = font_glyph(ascii_upper(ch));

	for (uint32_t j = 0; j < GLYPH_H; j++) {
		for (uint32_t i = 0; i < GLYPH_W; i++) {
			if (rows[j] & (0x10u >> i))
				fill_in(c, clip, x + (int64_t)i * s,
					y + (int64_t)j * s, s, s, rgb);
		}
	}
}

void draw_text(const struct canvas *c, const struct he_pattern_rect *clip,
	       int64_t x, int64_t y, uint32_t scale, const char *text,
	       uint32_t rgb)
{
	int64_t advance = (int64_t)GLYPH_ADVANCE * scale;

	for (; *text && x < (int64_t)clip->x + clip->w; text++, x += advance)
		draw_glyph(c, clip, x, y, scale, *text, rgb);
}

void draw_text_centred_v(const struct canvas *c,
			 const struct he_pattern_rect *region, uint32_t scale,
			 const char *text, uint32_t rgb)
{
	int64_t y = region->y + ((int64_t)region->h - GLYPH_H * scale) / 2;

	draw_text(c, region, region->x, y, scale, text, rgb);
}
