/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The machine-readable code strip: packing, drawing and reading it back.
 * The geometry is documented in pattern.h; keep the two in step. */
#include <errno.h>
#include <stddef.h>

#include "pattern-private.h"

#define DATA_COL0   2u   /* first data column */
#define DARK_BELOW  128u /* mid-grey threshold */

static bool is_data_block(uint32_t row, uint32_t col)
{
	return row > 0 && col >= DATA_COL0 && col < DATA_COL0 + 32;
}

/* Blocks that never change: the clock row, and the guards of the data rows
 * (columns 0 and 35 dark, 1 and 34 light). */
static bool fixed_block_is_dark(uint32_t row, uint32_t col)
{
	if (row == 0)
		return col % 2 == 0;
	return col == 0 || col == CODE_COLS - 1;
}

uint8_t code_crc8(const uint32_t words[CODE_WORDS])
{
	uint8_t crc = 0;

	for (uint32_t i = 0; i < CODE_WORDS * 4 - 1; i++) {
		crc ^= (uint8_t)(words[i / 4] >> (24 - 8 * (i % 4)));
		for (int bit = 0; bit < 8; bit++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
	}
	return crc;
}

void code_pack(const struct he_pattern_code *code, uint32_t words[CODE_WORDS])
{
	words[0] = code->frame_no;
	words[1] = code->time_ms;
	words[2] = (code->pointer_x & 0xffffu) << 16 | (code->pointer_y & 0xffffu);
	words[3] = (code->key_code & 0xffu) << 24 |
		   (code->key_count & 0xffu) << 16 |
		   (code->click_count & 0xffu) << 8;
	words[3] |= code_crc8(words);
}

static void unpack(const uint32_t words[CODE_WORDS], struct he_pattern_code *out)
{
	out->frame_no = words[0];
	out->time_ms = words[1];
	out->pointer_x = words[2] >> 16;
	out->pointer_y = words[2] & 0xffffu;
	out->key_code = words[3] >> 24;
	out->key_count = (words[3] >> 16) & 0xffu;
	out->click_count = (words[3] >> 8) & 0xffu;
}

/* Whether block (row, col) is dark for the given data words. */
static bool block_is_dark(const uint32_t words[CODE_WORDS], uint32_t row,
			  uint32_t col)
{
	if (!is_data_block(row, col))
		return fixed_block_is_dark(row, col);
	return (words[row - 1] >> (31 - (col - DATA_COL0))) & 1u;
}

void code_draw(const struct canvas *c, const struct layout *l,
	       const uint32_t words[CODE_WORDS])
{
	struct he_pattern_rect strip = layout_cells(l, CODE_GX, CODE_GY, 0, 0);

	for (uint32_t row = 0; row < CODE_ROWS; row++) {
		for (uint32_t col = 0; col < CODE_COLS; col++) {
			uint32_t rgb = block_is_dark(words, row, col) ?
				HE_PATTERN_RGB_CODE_DARK : HE_PATTERN_RGB_CODE_LIGHT;
			draw_fill(c, strip.x + col * l->u, strip.y + row * l->u,
				  l->u, l->u, rgb);
		}
	}
}

/* A picture to read from: BGRx (bpp 4) or 8-bit luma (bpp 1). */
struct plane {
	const uint8_t *data;
	uint32_t stride;
	uint32_t bpp;
};

static uint32_t pixel_luma(const struct plane *pl, const uint8_t *px)
{
	if (pl->bpp == 1)
		return px[0];
	return (77u * px[2] + 150u * px[1] + 29u * px[0]) >> 8;
}

/* Mean luma of the centre square of the block at (x, y). */
static bool sample_dark(const struct plane *pl, const struct layout *l,
			uint32_t x, uint32_t y)
{
	uint32_t side = l->u / 2 ? l->u / 2 : 1;
	uint64_t sum = 0;

	x += l->u / 4;
	y += l->u / 4;
	for (uint32_t j = 0; j < side; j++) {
		const uint8_t *row = pl->data + (size_t)(y + j) * pl->stride;

		for (uint32_t i = 0; i < side; i++)
			sum += pixel_luma(pl, row + (size_t)(x + i) * pl->bpp);
	}
	return sum < (uint64_t)DARK_BELOW * side * side;
}

/* Reads one strip row; checks guards, collects data bits into *word. */
static bool read_row(const struct plane *pl, const struct layout *l,
		     uint32_t row, uint32_t *word)
{
	struct he_pattern_rect strip = layout_cells(l, CODE_GX, CODE_GY, 0, 0);
	uint32_t y = strip.y + row * l->u;
	uint32_t bits = 0;

	for (uint32_t col = 0; col < CODE_COLS; col++) {
		bool dark = sample_dark(pl, l, strip.x + col * l->u, y);

		if (is_data_block(row, col))
			bits = bits << 1 | dark;
		else if (dark != fixed_block_is_dark(row, col))
			return false;
	}
	*word = bits;
	return true;
}

static int read_plane(const struct plane *pl, uint32_t w, uint32_t h,
		      struct he_pattern_code *out)
{
	uint32_t words[CODE_WORDS];
	struct layout l;
	uint32_t unused;

	if (!pl->data || !out || w < HE_PATTERN_MIN_SIZE ||
	    h < HE_PATTERN_MIN_SIZE || w > HE_PATTERN_MAX_SIZE ||
	    h > HE_PATTERN_MAX_SIZE || pl->stride / pl->bpp < w)
		return -EINVAL;
	layout_init(&l, w, h);
	if (!read_row(pl, &l, 0, &unused))
		return -EINVAL;
	for (uint32_t row = 1; row < CODE_ROWS; row++) {
		if (!read_row(pl, &l, row, &words[row - 1]))
			return -EINVAL;
	}
	if ((words[3] & 0xffu) != code_crc8(words))
		return -EBADMSG;
	unpack(words, out);
	return 0;
}

int he_pattern_read(const uint8_t *bgrx, uint32_t stride, uint32_t w,
		    uint32_t h, struct he_pattern_code *out)
{
	struct plane pl = { .data = bgrx, .stride = stride, .bpp = 4 };

	return read_plane(&pl, w, h, out);
}

int he_pattern_read_y(const uint8_t *y, uint32_t stride, uint32_t w,
		      uint32_t h, struct he_pattern_code *out)
{
	struct plane pl = { .data = y, .stride = stride, .bpp = 1 };

	return read_plane(&pl, w, h, out);
}

static int short_result(int ret, const struct he_pattern_code *code,
			uint32_t *frame_no, uint32_t *time_ms)
{
	if (ret < 0)
		return ret;
	if (frame_no)
		*frame_no = code->frame_no;
	if (time_ms)
		*time_ms = code->time_ms;
	return 0;
}

int he_pattern_read_code(const uint8_t *bgrx, uint32_t stride, uint32_t w,
			 uint32_t h, uint32_t *frame_no, uint32_t *time_ms)
{
	struct he_pattern_code code;
	int ret = he_pattern_read(bgrx, stride, w, h, &code);

	return short_result(ret, &code, frame_no, time_ms);
}

int he_pattern_read_code_y(const uint8_t *y, uint32_t stride, uint32_t w,
			   uint32_t h, uint32_t *frame_no, uint32_t *time_ms)
{
	struct he_pattern_code code;
	int ret = he_pattern_read_y(y, stride, w, h, &code);

	return short_result(ret, &code, frame_no, time_ms);
}
