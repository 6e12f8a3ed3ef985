/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to daemon/pattern: drawing primitives, font, code strip. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pattern.h"

/* Grid of the layout, in cells (see pattern.h). */
#define GRID_W 64u
#define GRID_H 36u

/* Code strip geometry, in cells. */
#define CODE_GX    2u
#define CODE_GY    30u
#define CODE_COLS  36u
#define CODE_ROWS  5u
#define CODE_WORDS 4u

/* Font: 5x7 glyphs, one byte per row, bit 4 = leftmost pixel. */
#define GLYPH_W       5u
#define GLYPH_H       7u
#define GLYPH_ADVANCE 6u

/* A destination picture: BGRx rows of `stride` bytes. */
struct canvas {
	uint8_t *data;
	uint32_t stride;
	uint32_t w, h;
};

/* Pixel geometry derived from the frame size. */
struct layout {
	uint32_t u;      /* cell size */
	uint32_t ox, oy; /* grid origin */
	uint32_t scale;  /* glyph pixel size */
};

void layout_init(struct layout *l, uint32_t w, uint32_t h);
struct he_pattern_rect layout_cells(const struct layout *l, uint32_t gx,
				    uint32_t gy, uint32_t gw, uint32_t gh);

/* Drawing; everything is clipped to the canvas. */
void draw_fill(const struct canvas *c, int64_t x, int64_t y, int64_t w,
	       int64_t h, uint32_t rgb);
void draw_text(const struct canvas *c, const struct he_pattern_rect *clip,
	       int64_t x, int64_t y, uint32_t scale, const char *text,
	       uint32_t rgb);
void draw_text_centred_v(const struct canvas *c,
			 const struct he_pattern_rect *region, uint32_t scale,
			 const char *text, uint32_t rgb);

/* Font. */
const uint8_t *font_glyph(char ch);
bool font_has_glyph(char ch);

/* Code strip. */
void code_pack(const struct he_pattern_code *code, uint32_t words[CODE_WORDS]);
uint8_t code_crc8(const uint32_t words[CODE_WORDS]);
void code_draw(const struct canvas *c, const struct layout *l,
	       const uint32_t words[CODE_WORDS]);
