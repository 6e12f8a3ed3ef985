/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-peers: what a C programmer writes first: libswscale with its
 * default flags for BGRx -> I420, then libavcodec's libx264, one thread
 * calling both, frame after frame. */
#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>

#include "peers.h"
#include "stats.h"

static AVCodecContext *open_x264(const struct peer_config *cfg, const struct bench_clip *c)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;
	AVDictionary *opts = NULL;

	if (!ctx) {
		fprintf(stderr, "libavcodec has no libx264 encoder\n");
		return NULL;
	}
	ctx->width = (int)c->w;
	ctx->height = (int)c->h;
	ctx->pix_fmt = AV_PIX_FMT_YUV420P;
	ctx->time_base = (AVRational){ 1, (int)c->fps };
	ctx->framerate = (AVRational){ (int)c->fps, 1 };
	ctx->gop_size = (int)cfg->gop;
	ctx->max_b_frames = 0;
	ctx->refs = 1;
	ctx->bit_rate = cfg->bitrate;
	ctx->rc_max_rate = cfg->bitrate;
	ctx->rc_buffer_size = (int)(cfg->bitrate / 2);
	ctx->thread_type = FF_THREAD_SLICE;
	av_dict_set(&opts, "preset", cfg->preset, 0);
	av_dict_set(&opts, "tune", "zerolatency", 0);
	av_dict_set(&opts, "profile", "baseline", 0);
	av_dict_set(&opts, "forced-idr", "1", 0);
	av_dict_set(&opts, "x264-params", cfg->x264_params, 0);
	if (avcodec_open2(ctx, codec, &opts) < 0) {
		fprintf(stderr, "cannot open libx264\n");
		avcodec_free_context(&ctx);
	}
	av_dict_free(&opts);
	return ctx;
}

/* Convert and encode frame @i; adds the packets' bytes to @bytes. */
static int encode_one(struct SwsContext *sws, AVCodecContext *ctx, AVFrame *f, AVPacket *pkt,
		      const struct bench_clip *c, uint64_t i, double *bytes, char **x264)
{
	const uint8_t *src[4] = { bench_clip_frame(c, i) };
	int src_stride[4] = { (int)c->stride };
	int rc;

	if (av_frame_make_writable(f) < 0)
		return -1;
	sws_scale(sws, src, src_stride, 0, (int)c->h, f->data, f->linesize);
	f->pts = (int64_t)i;
	if (avcodec_send_frame(ctx, f) < 0)
		return -1;
	while ((rc = avcodec_receive_packet(ctx, pkt)) == 0) {
		if (*bytes == 0)
			*x264 = bench_x264_settings(pkt->data, (size_t)pkt->size);
		*bytes += pkt->size;
		av_packet_unref(pkt);
	}
	return rc == AVERROR(EAGAIN) ? 0 : -1;
}

int peer_libav(const struct peer_config *cfg, const struct bench_clip *c, struct peer_run *out)
{
	struct SwsContext *sws = sws_getContext((int)c->w, (int)c->h, AV_PIX_FMT_BGR0, (int)c->w,
						(int)c->h, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL,
						NULL, NULL);
	AVCodecContext *ctx = open_x264(cfg, c);
	AVFrame *f = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	double *ms = g_new(double, cfg->frames), bytes = 0, t0, cpu0;
	int rc = -1;

	*out = PEER_RUN_NONE;
	if (!sws || !ctx || !f || !pkt)
		goto done;
	f->format = AV_PIX_FMT_YUV420P;
	f->width = (int)c->w;
	f->height = (int)c->h;
	if (av_frame_get_buffer(f, 0) < 0)
		goto done;
	t0 = bench_now();
	cpu0 = bench_process_cpu();
	for (uint64_t i = 0; i < cfg->frames; i++) {
		double t = bench_now();

		if (encode_one(sws, ctx, f, pkt, c, i, &bytes, &out->x264) < 0) {
			fprintf(stderr, "libavcodec: encoding frame %" G_GUINT64_FORMAT " failed\n", i);
			goto done;
		}
		ms[i] = (bench_now() - t) * 1e3;
	}
	out->fps = (double)cfg->frames / (bench_now() - t0);
	out->cpu_ms = (bench_process_cpu() - cpu0) * 1e3 / (double)cfg->frames;
	out->bytes = bytes / (double)cfg->frames;
	out->p50_ms = bench_quantile(ms, cfg->frames, 0.50);
	out->p99_ms = bench_quantile(ms, cfg->frames, 0.99);
	rc = 0;
done:
	g_free(ms);
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&ctx);
	sws_freeContext(sws);
	return rc;
}
