/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-quality: a grid of crops of decoded pictures, labelled with the
 * test pattern's bitmap font, written as a PNG (libavcodec's png encoder). */
#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <stdio.h>
#include <string.h>

#include "pattern-private.h"
#include "quality.h"

#define GAP        6u
#define LABEL_S    2u  /* font scale of the labels */
#define BACKGROUND 0x202024u
#define INK        0xf0f0f0u

struct q_grid {
	uint32_t cols, rows, cw, ch, zoom, left, top;
	struct canvas c;
};

static uint32_t cell_x(const struct q_grid *g, uint32_t col)
{
	return g->left + col * (g->cw * g->zoom + GAP);
}

static uint32_t cell_y(const struct q_grid *g, uint32_t row)
{
	return g->top + row * (g->ch * g->zoom + GAP);
}

struct q_grid *q_grid_new(uint32_t cols, uint32_t rows, uint32_t crop_w, uint32_t crop_h,
			  uint32_t zoom, uint32_t row_label_chars)
{
	struct q_grid *g = g_new0(struct q_grid, 1);

	*g = (struct q_grid){ .cols = cols, .rows = rows, .cw = crop_w, .ch = crop_h,
			      .zoom = zoom, .left = 2 * GAP + row_label_chars * GLYPH_ADVANCE * LABEL_S,
			      .top = GAP * 2 + GLYPH_H * LABEL_S };
	g->c.w = cell_x(g, cols);
	g->c.h = cell_y(g, rows);
	g->c.stride = g->c.w * 4;
	g->c.data = g_malloc((size_t)g->c.stride * g->c.h);
	draw_fill(&g->c, 0, 0, g->c.w, g->c.h, BACKGROUND);
	return g;
}

static void label(struct q_grid *g, int64_t x, int64_t y, uint32_t max_w, const char *text)
{
	struct he_pattern_rect clip = { (uint32_t)x, (uint32_t)y, max_w, GLYPH_H * LABEL_S };

	draw_text(&g->c, &clip, x, y, LABEL_S, text, INK);
}

void q_grid_label_col(struct q_grid *g, uint32_t col, const char *text)
{
	label(g, cell_x(g, col), GAP, g->cw * g->zoom, text);
}

void q_grid_label_row(struct q_grid *g, uint32_t row, const char *text)
{
	uint32_t y = cell_y(g, row) + (g->ch * g->zoom - GLYPH_H * LABEL_S) / 2;

	label(g, GAP, y, g->left - GAP, text);
}

static void put_pixel(struct q_grid *g, uint32_t col, uint32_t row, uint32_t x, uint32_t y,
		      const uint8_t bgr[3])
{
	uint32_t x0 = cell_x(g, col) + x * g->zoom, y0 = cell_y(g, row) + y * g->zoom;

	for (uint32_t j = 0; j < g->zoom; j++) {
		uint8_t *p = g->c.data + (size_t)(y0 + j) * g->c.stride + (size_t)x0 * 4;

		for (uint32_t i = 0; i < g->zoom; i++, p += 4) {
			memcpy(p, bgr, 3);
			p[3] = 0xff;
		}
	}
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* BT.601 limited range back to RGB, as the decoder's VUI says. */
void q_grid_put_i420(struct q_grid *g, uint32_t col, uint32_t row, const AVFrame *f, uint32_t x,
		     uint32_t y)
{
	for (uint32_t j = 0; j < g->ch; j++) {
		for (uint32_t i = 0; i < g->cw; i++) {
			uint32_t sx = x + i, sy = y + j;
			int yy = f->data[0][(size_t)sy * f->linesize[0] + sx] - 16;
			int u = f->data[1][(size_t)(sy / 2) * f->linesize[1] + sx / 2] - 128;
			int v = f->data[2][(size_t)(sy / 2) * f->linesize[2] + sx / 2] - 128;
			uint8_t bgr[3] = { clamp8((298 * yy + 516 * u + 128) >> 8),
					   clamp8((298 * yy - 100 * u - 208 * v + 128) >> 8),
					   clamp8((298 * yy + 409 * v + 128) >> 8) };

			put_pixel(g, col, row, i, j, bgr);
		}
	}
}

void q_grid_put_bgrx(struct q_grid *g, uint32_t col, uint32_t row, const uint8_t *bgrx,
		     uint32_t stride, uint32_t x, uint32_t y)
{
	for (uint32_t j = 0; j < g->ch; j++) {
		for (uint32_t i = 0; i < g->cw; i++)
			put_pixel(g, col, row, i, j, bgrx + (size_t)(y + j) * stride + (x + i) * 4);
	}
}

static AVFrame *to_rgb24(const struct q_grid *g)
{
	AVFrame *f = av_frame_alloc();

	if (!f)
		return NULL;
	f->format = AV_PIX_FMT_RGB24;
	f->width = (int)g->c.w;
	f->height = (int)g->c.h;
	if (av_frame_get_buffer(f, 0) < 0) {
		av_frame_free(&f);
		return NULL;
	}
	for (uint32_t y = 0; y < g->c.h; y++) {
		const uint8_t *s = g->c.data + (size_t)y * g->c.stride;
		uint8_t *d = f->data[0] + (size_t)y * f->linesize[0];

		for (uint32_t x = 0; x < g->c.w; x++, s += 4, d += 3) {
			d[0] = s[2];
			d[1] = s[1];
			d[2] = s[0];
		}
	}
	return f;
}

int q_grid_write_png(struct q_grid *g, const char *path)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
	AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;
	AVFrame *f = to_rgb24(g);
	AVPacket *pkt = av_packet_alloc();
	int rc = -1;

	if (!ctx || !f || !pkt)
		goto done;
	ctx->width = (int)g->c.w;
	ctx->height = (int)g->c.h;
	ctx->pix_fmt = AV_PIX_FMT_RGB24;
	ctx->time_base = (AVRational){ 1, 1 };
	ctx->compression_level = 9;
	if (avcodec_open2(ctx, codec, NULL) < 0 || avcodec_send_frame(ctx, f) < 0 ||
	    avcodec_receive_packet(ctx, pkt) < 0)
		goto done;
	if (!g_file_set_contents(path, (const char *)pkt->data, pkt->size, NULL))
		goto done;
	rc = 0;
done:
	if (rc < 0)
		fprintf(stderr, "cannot write the PNG %s\n", path);
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&ctx);
	return rc;
}

void q_grid_free(struct q_grid *g)
{
	if (!g)
		return;
	g_free(g->c.data);
	g_free(g);
}
