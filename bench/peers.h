/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to bench-peers: one measurement per peer, the same settings for
 * all. Each returns 0, or -1 with a message on stderr. */
#pragma once

#include <math.h>
#include <stdint.h>

#include "clip.h"
#include "x264-settings.h"

/* libx264's settings, as hostencd sets them (daemon/media/enc-libav.c and
 * enc-backends.c): constrained baseline, zerolatency, slice threads, no
 * B-frames, one reference, CBR with a VBV of half a second, IDR every
 * `gop` frames and on no scene cut, SPS/PPS before every IDR. */
struct peer_config {
	const char *hostencd; /* binary */
	const char *preset;   /* x264 preset, "ultrafast" */
	uint32_t bitrate;     /* bits/s */
	uint32_t gop;         /* frames */
	uint64_t frames;      /* frames per run (the clip is looped) */
	const char *tmpdir;   /* for peers' output files */
	char *x264_params;    /* the peers' x264-params, see peer_x264_params() */
};

/* What hostencd passes as x264-params (enc-backends.c) before anything is
 * known about the hostencd under test. */
#define PEER_X264_PARAMS "repeat-headers=1:annexb=1:scenecut=0"

/* One run of one peer. NAN where a figure is not measurable. */
struct peer_run {
	double fps;        /* frames per second over the run */
	double p50_ms, p99_ms; /* per-frame latency, frame in to access unit out */
	double bytes;      /* mean access unit size */
	double startup_s;  /* process start-up subtracted (CLI peers), else NAN */
	double dropped;    /* frames hostencd dropped (not in fps), else NAN */
	double cpu_ms;     /* the encoding process's CPU time (user + system) per frame */
	char *x264;        /* libx264's settings as written in the stream (its SEI), or NULL */
};

#define PEER_RUN_NONE ((struct peer_run){ NAN, NAN, NAN, NAN, NAN, NAN, NAN, NULL })

/* x264-params for the peers that give what hostencd's stream says it used
 * (@p hostencd_settings from bench_x264_settings(), or NULL): the fixed
 * PEER_X264_PARAMS, plus the values of the settings hostencd may set
 * through x264-params (qpmin, qpmax, intra refresh, CABAC, 8x8 transform,
 * scene cut), so the peers follow the hostencd being measured. */
char *peer_x264_params(const char *hostencd_settings);

/* hostencd over HXFR with the ring: 1 in flight (latency), then 2 in flight
 * (throughput), each with a hostencd of its own. */
int peer_hostencd(const struct peer_config *cfg, const struct bench_clip *c,
		  struct peer_run *lat, struct peer_run *thr);

/* The ffmpeg CLI, raw BGRx frames on its stdin. */
int peer_ffmpeg(const struct peer_config *cfg, const struct bench_clip *c, struct peer_run *out);

/* gst-launch-1.0 … videoconvert ! x264enc, raw BGRx frames on its stdin. */
int peer_gst(const struct peer_config *cfg, const struct bench_clip *c, struct peer_run *out);

/* In-process libswscale (BGRx -> I420, default flags) and libavcodec. */
int peer_libav(const struct peer_config *cfg, const struct bench_clip *c, struct peer_run *out);
