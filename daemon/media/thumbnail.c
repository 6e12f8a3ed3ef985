/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small PNGs of pictures: libyuv scales and converts, libavcodec encodes. */
#define G_LOG_DOMAIN "hostenc.thumbnail"
#include "thumbnail.h"

#include <errno.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libyuv.h>

#include "avlog.h"
#include "encoder.h"

/* zlib's level: the thumbnail is small and made often; speed over size */
#define PNG_COMPRESSION 3

void he_thumbnail_size(uint32_t width, uint32_t height, uint32_t max_width, uint32_t *out_w,
		       uint32_t *out_h)
{
	uint64_t w = MIN(MIN(max_width, width), HE_THUMBNAIL_MAX_DIM), h;

	w = MAX(w, 1u);
	h = width ? ((uint64_t)height * w + width / 2) / width : 1;
	if (h > HE_THUMBNAIL_MAX_DIM) {
		h = HE_THUMBNAIL_MAX_DIM;
		w = ((uint64_t)width * h + height / 2) / height;
	}
	*out_w = (uint32_t)MAX(w, 1u);
	*out_h = (uint32_t)MAX(h, 1u);
}

/* An I420 picture of @p w x @p h, scaled from @p pic, in one block. */
static uint8_t *scale(const struct he_image *pic, uint32_t w, uint32_t h, uint8_t *plane[3],
		      int stride[3])
{
	uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
	uint8_t *buf = g_malloc((size_t)w * h + 2 * (size_t)cw * ch);

	plane[0] = buf;
	plane[1] = buf + (size_t)w * h;
	plane[2] = plane[1] + (size_t)cw * ch;
	stride[0] = (int)w;
	stride[1] = stride[2] = (int)cw;
	if (I420Scale(pic->plane[0], (int)pic->stride[0], pic->plane[1], (int)pic->stride[1],
		      pic->plane[2], (int)pic->stride[2], (int)pic->width, (int)pic->height,
		      plane[0], stride[0], plane[1], stride[1], plane[2], stride[2], (int)w,
		      (int)h, kFilterBox) != 0) {
		g_free(buf);
		return NULL;
	}
	return buf;
}

static AVCodecContext *open_png(uint32_t w, uint32_t h, GError **err)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
	AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;
	char why[256];

	if (!ctx) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE,
			    "libavcodec has no PNG encoder");
		return NULL;
	}
	ctx->width = (int)w;
	ctx->height = (int)h;
	ctx->pix_fmt = AV_PIX_FMT_RGB24;
	ctx->time_base = (AVRational){ 1, 1 };
	ctx->compression_level = PNG_COMPRESSION;
	ctx->thread_count = 1;
	he_avlog_capture_begin();
	if (avcodec_open2(ctx, codec, NULL) < 0) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE,
			    "cannot open the PNG encoder: %s",
			    he_avlog_capture_end(why, sizeof(why)) ? why : "?");
		avcodec_free_context(&ctx);
		return NULL;
	}
	he_avlog_capture_end(why, sizeof(why));
	return ctx;
}

/* RGB24 rows (@p rgb, @p stride) of @p w x @p h as a PNG. */
static GBytes *encode_png(uint8_t *rgb, int stride, uint32_t w, uint32_t h, GError **err)
{
	AVCodecContext *ctx = open_png(w, h, err);
	AVFrame *f = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	GBytes *out = NULL;

	if (!ctx || !f || !pkt)
		goto done;
	f->format = AV_PIX_FMT_RGB24;
	f->width = (int)w;
	f->height = (int)h;
	f->data[0] = rgb;
	f->linesize[0] = stride;
	if (avcodec_send_frame(ctx, f) < 0 || avcodec_receive_packet(ctx, pkt) < 0) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_INVALID,
			    "the PNG encoder failed on a %ux%u picture", w, h);
		goto done;
	}
	out = g_bytes_new(pkt->data, (gsize)pkt->size);
done:
	if (!out && err && !*err)
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE, "out of memory");
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&ctx);
	return out;
}

GBytes *he_thumbnail_png(const struct he_image *pic, uint32_t max_width, GError **err)
{
	g_autofree uint8_t *yuv = NULL, *rgb = NULL;
	uint8_t *plane[3];
	int stride[3];
	uint32_t w, h;

	if (pic->fourcc != HXFR_FMT_I420 || he_image_check(pic) < 0) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_INVALID,
			    "a thumbnail needs a valid I420 picture");
		return NULL;
	}
	he_thumbnail_size(pic->width, pic->height, max_width, &w, &h);
	yuv = scale(pic, w, h, plane, stride);
	rgb = g_malloc((size_t)w * 3 * h);
	if (!yuv || I420ToRAW(plane[0], stride[0], plane[1], stride[1], plane[2], stride[2], rgb,
			      (int)w * 3, (int)w, (int)h) != 0) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_INVALID,
			    "cannot scale a %ux%u picture to %ux%u", pic->width, pic->height, w, h);
		return NULL;
	}
	return encode_png(rgb, (int)w * 3, w, h, err);
}
