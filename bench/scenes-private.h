/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to bench/scenes*.c: the shared desktop parts and a seeded
 * generator. Drawing goes through the test pattern's primitives and font
 * (pattern-private.h: draw_fill, draw_text, 5x7 glyphs). */
#pragma once

#include <stdint.h>

#include "pattern-private.h"
#include "scenes.h"

/* Text metrics at one pixel per font pixel. */
#define SCENE_CHAR_W  GLYPH_ADVANCE
#define SCENE_LINE_H  10u
#define SCENE_PANEL_H 20u
#define SCENE_TITLE_H 18u

/* Frame time, in milliseconds since frame 0. */
static inline uint64_t scene_ms(uint64_t frame, uint32_t fps)
{
	return frame * 1000u / fps;
}

/* SplitMix64: the next value of a seeded sequence. */
static inline uint64_t scene_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A rectangle on the canvas, in pixels (may reach past its edges). */
struct scene_box {
	int64_t x, y, w, h;
};

/* The wallpaper: a diagonal gradient over the whole picture. */
void scene_wallpaper(const struct canvas *c);

/* The top panel with menu names and a clock (HH:MM:SS, starting at 09:41:00
 * and advancing once a second of frame time). */
void scene_panel(const struct canvas *c, uint64_t ms);

/* A window frame: border, title bar with @title, body in @body_rgb.
 * Returns the body's rectangle. */
struct scene_box scene_window(const struct canvas *c, struct scene_box outer, const char *title,
			      uint32_t title_rgb, uint32_t body_rgb);

/* Words of pseudo-random text from @seed, at most @max characters (and at
 * least a fifth of them), NUL-terminated in @buf (size >= max + 1). */
void scene_words(uint64_t seed, char *buf, uint32_t max);

/* Text clipped to @clip, top-left corner of the first glyph at (x, y). */
void scene_text(const struct canvas *c, struct scene_box clip, int64_t x, int64_t y,
		const char *text, uint32_t rgb);

void scene_draw_static(const struct canvas *c, uint64_t frame, uint32_t fps);
void scene_draw_text(const struct canvas *c, uint64_t frame, uint32_t fps);
void scene_draw_motion(const struct canvas *c, uint64_t frame, uint32_t fps);
