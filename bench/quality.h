/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to bench-quality: encode with one libx264 setting, decode, and
 * compare with the source (libavfilter's psnr and ssim filters). Functions
 * return 0, or -1 with a message on stderr. */
#pragma once

#include <stdint.h>

#include "clip.h"

struct AVFrame;

/* One setting: hostencd's libx264 settings with this preset and bitrate,
 * on one thread. */
struct q_setting {
	const char *preset;
	uint32_t bitrate;         /* bits/s */
	uint32_t gop;
	const char *x264_params;  /* as hostencd passes them (enc-backends.c) */
};

/* hostencd's x264-params (daemon/media/enc-backends.c, X264_LOW_LATENCY). */
#define Q_X264_PARAMS "repeat-headers=1:annexb=1:scenecut=0:qpmin=16"

/* What one encode of the clip gave. */
struct q_result {
	double cpu_ms;      /* encode CPU time per frame, mean over the clip */
	double cpu_p95_ms;  /* the same, 95th percentile of frames */
	double bytes;       /* access unit bytes per frame, mean */
	double psnr_y;      /* dB, from the mean luma MSE over measured frames */
	double psnr_avg;    /* dB, Y U V weighted 4:1:1 as the psnr filter does */
	double ssim;        /* SSIM "All", mean over measured frames */
};

/* The source as the encoder sees it: I420 pictures converted with libyuv
 * (hostencd's BT.601 limited-range conversion). */
struct q_source {
	uint32_t w, h, n;
	struct AVFrame **i420; /* reference pictures */
	struct AVFrame **nv12; /* the same, as NV12 for the encoder */
};

int q_source_make(struct q_source *s, const struct bench_clip *c);
void q_source_free(struct q_source *s);

/*
 * Encode every frame of @p src with @p set. With @p measure_from < n, also
 * decode and compare frames measure_from .. n-1 with the source, and keep
 * the last decoded picture in *last (the caller frees it; may be NULL).
 * *settings (may be NULL) gets libx264's settings read from the stream.
 */
int q_encode(const struct q_source *src, const struct q_setting *set, uint32_t fps,
	     uint32_t measure_from, struct q_result *out, struct AVFrame **last,
	     char **settings);

/* Comparison of decoded pictures with references, one pair at a time. */
struct q_metrics;
struct q_metrics *q_metrics_new(uint32_t w, uint32_t h);
int q_metrics_add(struct q_metrics *m, const struct AVFrame *decoded, const struct AVFrame *ref);
/* Ends the stream and fills psnr_y, psnr_avg and ssim of @p out. */
int q_metrics_finish(struct q_metrics *m, struct q_result *out);
void q_metrics_free(struct q_metrics *m);

/* The picture grid: crops of the decoded pictures, labelled. */
struct q_grid;
struct q_grid *q_grid_new(uint32_t cols, uint32_t rows, uint32_t crop_w, uint32_t crop_h,
			  uint32_t zoom, uint32_t row_label_chars);
/* A column's and a row's label (copied). */
void q_grid_label_col(struct q_grid *g, uint32_t col, const char *text);
void q_grid_label_row(struct q_grid *g, uint32_t row, const char *text);
/* Put the crop at (x, y) of an I420 picture, or of a BGRx one. */
void q_grid_put_i420(struct q_grid *g, uint32_t col, uint32_t row, const struct AVFrame *f,
		     uint32_t x, uint32_t y);
void q_grid_put_bgrx(struct q_grid *g, uint32_t col, uint32_t row, const uint8_t *bgrx,
		     uint32_t stride, uint32_t x, uint32_t y);
int q_grid_write_png(struct q_grid *g, const char *path);
void q_grid_free(struct q_grid *g);
