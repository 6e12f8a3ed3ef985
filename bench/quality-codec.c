/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-quality: the source pictures, and one encode + decode + compare. */
#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <math.h>
#include <stdio.h>

#include <hxfr/hxfr.h>

#include "convert.h"
#include "quality.h"
#include "stats.h"
#include "x264-settings.h"

static AVFrame *new_picture(enum AVPixelFormat fmt, uint32_t w, uint32_t h)
{
	AVFrame *f = av_frame_alloc();

	if (!f)
		return NULL;
	f->format = fmt;
	f->width = (int)w;
	f->height = (int)h;
	if (av_frame_get_buffer(f, 0) < 0)
		av_frame_free(&f);
	return f;
}

int q_source_make(struct q_source *s, const struct bench_clip *c)
{
	*s = (struct q_source){ .w = c->w, .h = c->h };
	s->i420 = g_new0(AVFrame *, c->n);
	for (s->n = 0; s->n < c->n; s->n++) {
		struct he_image img = { .fourcc = HXFR_FMT_BGRX, .width = c->w, .height = c->h,
					.plane = { c->frames[s->n] }, .stride = { c->stride } };
		AVFrame *f = new_picture(AV_PIX_FMT_YUV420P, c->w, c->h);
		uint8_t *dst[3];
		uint32_t stride[3];

		if (!f) {
			fprintf(stderr, "out of memory for the source pictures\n");
			q_source_free(s);
			return -1;
		}
		for (int p = 0; p < 3; p++) {
			dst[p] = f->data[p];
			stride[p] = (uint32_t)f->linesize[p];
		}
		he_convert_to_i420(&img, dst, stride);
		f->pts = s->n;
		s->i420[s->n] = f;
	}
	return 0;
}

void q_source_free(struct q_source *s)
{
	for (uint32_t i = 0; s->i420 && i < s->n; i++)
		av_frame_free(&s->i420[i]);
	g_free(s->i420);
	s->i420 = NULL;
	s->n = 0;
}

/* hostencd's settings (daemon/media/enc-libav.c, enc-backends.c) with this
 * preset and bitrate, on one thread. */
static AVCodecContext *open_encoder(const struct q_setting *set, uint32_t w, uint32_t h,
				    uint32_t fps)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;
	AVDictionary *opts = NULL;

	if (!ctx) {
		fprintf(stderr, "libavcodec has no libx264 encoder\n");
		return NULL;
	}
	ctx->width = (int)w;
	ctx->height = (int)h;
	ctx->pix_fmt = AV_PIX_FMT_NV12;
	ctx->time_base = (AVRational){ 1, (int)fps };
	ctx->framerate = (AVRational){ (int)fps, 1 };
	ctx->gop_size = (int)set->gop;
	ctx->max_b_frames = 0;
	ctx->refs = 1;
	ctx->bit_rate = set->bitrate;
	ctx->rc_max_rate = set->bitrate;
	ctx->rc_buffer_size = (int)(set->bitrate / 2);
	ctx->thread_count = 1;
	ctx->thread_type = FF_THREAD_SLICE;
	ctx->color_range = AVCOL_RANGE_MPEG;
	ctx->colorspace = AVCOL_SPC_SMPTE170M;
	av_dict_set(&opts, "preset", set->preset, 0);
	av_dict_set(&opts, "tune", "zerolatency", 0);
	av_dict_set(&opts, "profile", "baseline", 0);
	av_dict_set(&opts, "forced-idr", "1", 0);
	av_dict_set(&opts, "x264-params", set->x264_params, 0);
	if (avcodec_open2(ctx, codec, &opts) < 0) {
		fprintf(stderr, "cannot open libx264 with preset %s\n", set->preset);
		avcodec_free_context(&ctx);
	}
	av_dict_free(&opts);
	return ctx;
}

static AVCodecContext *open_decoder(void)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;

	if (!ctx)
		return NULL;
	ctx->thread_count = 1;
	ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	if (avcodec_open2(ctx, codec, NULL) < 0)
		avcodec_free_context(&ctx);
	return ctx;
}

/* State of one q_encode() call. */
struct run {
	const struct q_source *src;
	uint32_t measure_from, decoded;
	AVCodecContext *enc, *dec;
	AVPacket *pkt;
	AVFrame *pic, *last;
	struct q_metrics *m;
	double bytes;
	char *settings;
};

/* Decode @pkt (NULL: flush); compare the pictures in the measured range. */
static int decode(struct run *r, const AVPacket *pkt)
{
	int rc = avcodec_send_packet(r->dec, pkt);

	if (rc < 0 && rc != AVERROR_EOF)
		return -1;
	while ((rc = avcodec_receive_frame(r->dec, r->pic)) == 0) {
		uint32_t k = r->decoded++;

		if (k >= r->measure_from && k < r->src->n &&
		    q_metrics_add(r->m, r->pic, r->src->i420[k]) < 0)
			return -1;
		if (k + 1 == r->src->n) {
			av_frame_free(&r->last);
			r->last = av_frame_clone(r->pic);
		}
		av_frame_unref(r->pic);
	}
	return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : -1;
}

/* Take the encoder's packets; decode them when measuring. */
static int drain(struct run *r)
{
	int rc;

	while ((rc = avcodec_receive_packet(r->enc, r->pkt)) == 0) {
		r->bytes += r->pkt->size;
		if (r->m && decode(r, r->pkt) < 0) {
			av_packet_unref(r->pkt);
			return -1;
		}
		av_packet_unref(r->pkt);
	}
	return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : -1;
}

static int encode_all(struct run *r, AVFrame *nv12, double *cpu_ms)
{
	for (uint32_t i = 0; i < r->src->n; i++) {
		const AVFrame *ref = r->src->i420[i];
		struct he_image img = { .fourcc = HXFR_FMT_I420, .width = r->src->w,
					.height = r->src->h,
					.plane = { ref->data[0], ref->data[1], ref->data[2] },
					.stride = { (uint32_t)ref->linesize[0],
						    (uint32_t)ref->linesize[1],
						    (uint32_t)ref->linesize[2] } };
		double t0, t1;
		int rc;

		if (av_frame_make_writable(nv12) < 0)
			return -1;
		he_convert_to_nv12(&img, nv12->data[0], (uint32_t)nv12->linesize[0], nv12->data[1],
				   (uint32_t)nv12->linesize[1]);
		nv12->pts = i;
		t0 = bench_thread_cpu();
		rc = avcodec_send_frame(r->enc, nv12);
		while (rc == 0 && (rc = avcodec_receive_packet(r->enc, r->pkt)) == 0) {
			t1 = bench_thread_cpu(); /* the decoder's time is not the encoder's */
			if (r->bytes == 0)
				r->settings = bench_x264_settings(r->pkt->data, (size_t)r->pkt->size);
			r->bytes += r->pkt->size;
			if (r->m && decode(r, r->pkt) < 0)
				return -1;
			av_packet_unref(r->pkt);
			t0 += bench_thread_cpu() - t1;
		}
		if (rc != AVERROR(EAGAIN))
			return -1;
		cpu_ms[i] = (bench_thread_cpu() - t0) * 1e3;
	}
	if (avcodec_send_frame(r->enc, NULL) < 0 || drain(r) < 0)
		return -1;
	return r->m ? decode(r, NULL) : 0;
}

int q_encode(const struct q_source *src, const struct q_setting *set, uint32_t fps,
	     uint32_t measure_from, struct q_result *out, AVFrame **last, char **settings)
{
	struct run r = { .src = src, .measure_from = measure_from };
	AVFrame *nv12 = new_picture(AV_PIX_FMT_NV12, src->w, src->h);
	double *cpu = g_new0(double, src->n), sum = 0;
	int rc = -1;

	*out = (struct q_result){ NAN, NAN, NAN, NAN, NAN, NAN };
	r.enc = open_encoder(set, src->w, src->h, fps);
	r.pkt = av_packet_alloc();
	r.pic = av_frame_alloc();
	if (measure_from < src->n) {
		r.dec = open_decoder();
		r.m = q_metrics_new(src->w, src->h);
		if (!r.dec || !r.m)
			goto done;
	}
	if (!nv12 || !r.enc || !r.pkt || !r.pic)
		goto done;
	if (encode_all(&r, nv12, cpu) < 0) {
		fprintf(stderr, "encode/decode failed (preset %s, %u bit/s)\n", set->preset,
			set->bitrate);
		goto done;
	}
	if (r.m && q_metrics_finish(r.m, out) < 0)
		goto done;
	for (uint32_t i = 0; i < src->n; i++)
		sum += cpu[i];
	out->cpu_ms = sum / src->n;
	out->cpu_p95_ms = bench_quantile(cpu, src->n, 0.95);
	out->bytes = r.bytes / src->n;
	if (last) {
		*last = r.last;
		r.last = NULL;
	}
	if (settings) {
		*settings = r.settings;
		r.settings = NULL;
	}
	rc = 0;
done:
	g_free(r.settings);
	q_metrics_free(r.m);
	av_frame_free(&r.last);
	av_frame_free(&r.pic);
	av_frame_free(&nv12);
	av_packet_free(&r.pkt);
	avcodec_free_context(&r.dec);
	avcodec_free_context(&r.enc);
	g_free(cpu);
	return rc;
}
