/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decode and compare luma, see au-quality.h. */
#include <glib.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <hxfr/hxfr.h>

#include "au-quality.h"
#include "convert.h"

struct au_quality {
	uint32_t w, h;
	AVCodecContext *dec;
	AVPacket *pkt;
	AVFrame *frame;
	uint8_t *ref_y, *ref_uv; /* the source converted as hostencd does */
};

struct au_quality *au_quality_new(uint32_t w, uint32_t h)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	struct au_quality *q = g_new0(struct au_quality, 1);

	q->w = w;
	q->h = h;
	q->dec = codec ? avcodec_alloc_context3(codec) : NULL;
	q->pkt = av_packet_alloc();
	q->frame = av_frame_alloc();
	q->ref_y = g_malloc((size_t)w * h);
	q->ref_uv = g_malloc((size_t)w * ((h + 1) / 2) + 2);
	if (!q->dec || !q->pkt || !q->frame) {
		fprintf(stderr, "au-quality: no H.264 decoder\n");
		au_quality_free(q);
		return NULL;
	}
	q->dec->flags |= AV_CODEC_FLAG_LOW_DELAY;
	q->dec->thread_count = 1;
	if (avcodec_open2(q->dec, codec, NULL) < 0) {
		fprintf(stderr, "au-quality: cannot open the H.264 decoder\n");
		au_quality_free(q);
		return NULL;
	}
	return q;
}

void au_quality_free(struct au_quality *q)
{
	if (!q)
		return;
	avcodec_free_context(&q->dec);
	av_packet_free(&q->pkt);
	av_frame_free(&q->frame);
	g_free(q->ref_y);
	g_free(q->ref_uv);
	g_free(q);
}

static double luma_psnr(const struct au_quality *q, const AVFrame *f)
{
	double sse = 0;

	for (uint32_t y = 0; y < q->h; y++) {
		const uint8_t *a = f->data[0] + (size_t)y * f->linesize[0];
		const uint8_t *b = q->ref_y + (size_t)y * q->w;

		for (uint32_t x = 0; x < q->w; x++) {
			int d = a[x] - b[x];

			sse += d * d;
		}
	}
	if (sse == 0)
		return 99;
	return 10 * log10(255.0 * 255.0 * q->w * q->h / sse);
}

double au_quality_next(struct au_quality *q, const uint8_t *au, size_t len, const uint8_t *bgrx,
		       uint32_t stride)
{
	struct he_image img = { .fourcc = HXFR_FMT_BGRX, .width = q->w, .height = q->h,
				.plane = { bgrx }, .stride = { stride } };

	if (av_new_packet(q->pkt, (int)len) < 0)
		return NAN;
	memcpy(q->pkt->data, au, len);
	if (avcodec_send_packet(q->dec, q->pkt) < 0 || avcodec_receive_frame(q->dec, q->frame) < 0) {
		av_packet_unref(q->pkt);
		return NAN;
	}
	av_packet_unref(q->pkt);
	if ((uint32_t)q->frame->width != q->w || (uint32_t)q->frame->height != q->h ||
	    he_convert_to_nv12(&img, q->ref_y, q->w, q->ref_uv, q->w) < 0) {
		av_frame_unref(q->frame);
		return NAN;
	}
	{
		double psnr = luma_psnr(q, q->frame);

		av_frame_unref(q->frame);
		return psnr;
	}
}
