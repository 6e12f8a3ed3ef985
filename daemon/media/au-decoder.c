/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The newest picture of an H.264 stream, decoded with libavcodec. */
#define G_LOG_DOMAIN "hostenc.decode"
#include "au-decoder.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

#include "avlog.h"
#include "encoder.h"

struct he_au_decoder {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *out;       /* what the decoder gives */
	AVFrame *last;      /* the last good picture (a reference) */
	uint32_t last_w, last_h;
	bool need_key;
};

struct he_au_decoder *he_au_decoder_new(GError **err)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	struct he_au_decoder *d = g_new0(struct he_au_decoder, 1);
	char why[256] = "";

	he_avlog_install();
	d->need_key = true;
	if (!codec) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE,
			    "libavcodec has no H.264 decoder");
		goto fail;
	}
	d->ctx = avcodec_alloc_context3(codec);
	d->pkt = av_packet_alloc();
	d->out = av_frame_alloc();
	d->last = av_frame_alloc();
	if (!d->ctx || !d->pkt || !d->out || !d->last) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE, "out of memory");
		goto fail;
	}
	/* One picture out per access unit, at once: no frame threads. */
	d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	d->ctx->thread_count = 1;
	he_avlog_capture_begin();
	if (avcodec_open2(d->ctx, codec, NULL) < 0) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE,
			    "cannot open the H.264 decoder: %s",
			    he_avlog_capture_end(why, sizeof(why)) ? why : "?");
		goto fail;
	}
	he_avlog_capture_end(why, sizeof(why));
	return d;

	/* ERRORS */
fail:
	he_au_decoder_free(d);
	return NULL;
}

void he_au_decoder_free(struct he_au_decoder *d)
{
	if (!d)
		return;
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->out);
	av_frame_free(&d->last);
	g_free(d);
}

static bool usable(const AVFrame *f)
{
	return (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) &&
	       f->width > 0 && f->height > 0 && !(f->flags & AV_FRAME_FLAG_CORRUPT) &&
	       !f->decode_error_flags;
}

/* Every picture the access unit gave; the last usable one is kept. */
static int collect(struct he_au_decoder *d, uint32_t width, uint32_t height)
{
	int got = 0, res;

	while ((res = avcodec_receive_frame(d->ctx, d->out)) == 0) {
		if (usable(d->out)) {
			av_frame_unref(d->last);
			av_frame_move_ref(d->last, d->out);
			d->last_w = width && width <= (uint32_t)d->last->width ? width
									: (uint32_t)d->last->width;
			d->last_h = height && height <= (uint32_t)d->last->height
					    ? height : (uint32_t)d->last->height;
			got = 1;
		} else {
			av_frame_unref(d->out);
			return -EIO;
		}
	}
	return res == AVERROR(EAGAIN) || res == AVERROR_EOF ? got : -EIO;
}

int he_au_decoder_decode(struct he_au_decoder *d, const uint8_t *au, size_t len, bool keyframe,
			 uint32_t width, uint32_t height)
{
	char why[256];
	int res;

	if (!keyframe && d->need_key)
		return 0;
	if (!au || !len || len > INT_MAX)
		return -EINVAL;
	if (keyframe)
		d->need_key = false;
	/* the decoder reads past the end: a copy with the padding it wants */
	if (av_new_packet(d->pkt, (int)len) < 0) {
		d->need_key = true;
		return -ENOMEM;
	}
	memcpy(d->pkt->data, au, len);
	/* errors are reported here, as the result: not in hostencd's log */
	he_avlog_capture_begin();
	res = avcodec_send_packet(d->ctx, d->pkt);
	av_packet_unref(d->pkt);
	if (res >= 0)
		res = collect(d, width, height);
	else
		res = -EIO;
	he_avlog_capture_end(why, sizeof(why));
	if (res < 0)
		d->need_key = true;
	return res;
}

bool he_au_decoder_picture(const struct he_au_decoder *d, struct he_image *out)
{
	if (!d->last->data[0])
		return false;
	*out = (struct he_image){ .fourcc = HXFR_FMT_I420, .width = d->last_w,
				  .height = d->last_h };
	for (int i = 0; i < 3; i++) {
		out->plane[i] = d->last->data[i];
		out->stride[i] = (uint32_t)d->last->linesize[i];
	}
	return true;
}
