/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The candidate H.264 encoders, in auto-selection order, and the options
 * that make each one low latency. Options a given libavcodec does not know
 * are ignored (logged at debug level), so this table can name options of
 * newer releases.
 */
#define G_LOG_DOMAIN "hostenc.enc"

#include "enc-libav.h"

#include <dlfcn.h>
#include <errno.h>
#include <glob.h>

#include <glib.h>

#define VTABLE(codec, hw, automatic)                                                    \
	{                                                                               \
		.name = (codec), .hardware = (hw), .auto_select = (automatic),          \
		.memory_kinds = 1u << HE_MEMORY_CPU,                                    \
		.available = he_libav_available, .create = he_libav_create,             \
		.encode = he_libav_encode, .set_bitrate = he_libav_set_bitrate,         \
		.destroy = he_libav_destroy,                                            \
	}

static const char *profile_name(int profile)
{
	switch (profile) {
	case HE_PROFILE_MAIN:
		return "main";
	case HE_PROFILE_HIGH:
		return "high";
	default:
		return "baseline";
	}
}

/* --- checks -------------------------------------------------------------- */

static int check_render_node(const struct libav_backend *b, char *why, size_t n)
{
	return he_libav_check_render_node(why, n);
}

static int check_library(const char *soname, char *why, size_t n)
{
	void *h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);

	if (!h) {
		he_encoder_why(why, n, "cannot load %s", soname);
		return -ENOENT;
	}
	dlclose(h);
	return 0;
}

static int check_nvidia(const struct libav_backend *b, char *why, size_t n)
{
	int rc = check_library("libcuda.so.1", why, n);

	return rc < 0 ? rc : check_library("libnvidia-encode.so.1", why, n);
}

static int check_v4l2(const struct libav_backend *b, char *why, size_t n)
{
	glob_t g;
	int rc = glob("/dev/video*", 0, NULL, &g);

	globfree(&g);
	if (rc != 0) {
		he_encoder_why(why, n, "no V4L2 device");
		return -ENODEV;
	}
	return 0;
}

/* --- tuning -------------------------------------------------------------- */

/* qpmin=16: a picture that stops changing converges to QP 16 (about 50 dB
 * on a desktop, no visible loss) and then costs some 60 bytes a frame at
 * 1080p. Without a floor, constant bitrate spends the whole budget on ever
 * finer requantisation of the same picture (QP 0, about 9 kB a frame):
 * 2 Mbit/s for a static desktop, to every viewer. */
#define X264_LOW_LATENCY "repeat-headers=1:annexb=1:scenecut=0:qpmin=16"

static void tune_x264(const struct libav_backend *b, const struct he_encoder_config *cfg,
		      AVCodecContext *ctx, AVDictionary **opts)
{
	/* zerolatency: no lookahead, no B-frames, sliced threads, so every
	 * frame in gives its access unit out at once. */
	av_dict_set(opts, "preset", "ultrafast", 0);
	av_dict_set(opts, "tune", "zerolatency", 0);
	/* x264's "baseline" is constrained baseline (constraint_set1). */
	av_dict_set(opts, "profile", profile_name(cfg->profile), 0);
	/* pict_type I becomes an IDR, not an open-GOP recovery point. */
	av_dict_set(opts, "forced-idr", "1", 0);
	/* SPS/PPS before every IDR; Annex B; IDRs only on schedule or
	 * request (a scene cut would otherwise insert an unrequested burst).
	 * x264 signals the lowest profile its tools need and ultrafast turns
	 * CABAC and 8x8 transforms off, so re-enable the tool that makes
	 * Main (CABAC) or High (8x8 transform) when one is asked for. */
	av_dict_set(opts, "x264-params",
		    cfg->profile == HE_PROFILE_HIGH   ? X264_LOW_LATENCY ":cabac=1:8x8dct=1"
		    : cfg->profile == HE_PROFILE_MAIN ? X264_LOW_LATENCY ":cabac=1"
						      : X264_LOW_LATENCY,
		    0);
	/* A column of intra macroblocks moves across the picture, one wave
	 * per keyint (gop) frames, instead of an IDR every keyint frames.
	 * A forced pict_type I is still a real IDR (forced-idr above). */
	if (cfg->intra_refresh)
		av_dict_set(opts, "intra-refresh", "1", 0);
}

static void tune_openh264(const struct libav_backend *b, const struct he_encoder_config *cfg,
			  AVCodecContext *ctx, AVDictionary **opts)
{
	av_dict_set(opts, "rc_mode", "bitrate", 0);
	/* A skipped frame would give no access unit for a frame in. */
	av_dict_set(opts, "allow_skip_frames", "0", 0);
	av_dict_set(opts, "profile",
		    cfg->profile == HE_PROFILE_CONSTRAINED_BASELINE ? "constrained_baseline"
								    : profile_name(cfg->profile),
		    0);
}

static void tune_nvenc(const struct libav_backend *b, const struct he_encoder_config *cfg,
		       AVCodecContext *ctx, AVDictionary **opts)
{
	av_dict_set(opts, "preset", "p1", 0);
	av_dict_set(opts, "tune", "ull", 0);
	av_dict_set(opts, "zerolatency", "1", 0);
	/* delay=0: output each frame as soon as it is encoded. */
	av_dict_set(opts, "delay", "0", 0);
	av_dict_set(opts, "rc-lookahead", "0", 0);
	av_dict_set(opts, "rc", "cbr", 0);
	av_dict_set(opts, "forced-idr", "1", 0);
	av_dict_set(opts, "profile", profile_name(cfg->profile), 0);
}

static void tune_vaapi(const struct libav_backend *b, const struct he_encoder_config *cfg,
		       AVCodecContext *ctx, AVDictionary **opts)
{
	/* async_depth=1: one frame in flight, so receive_packet has it. */
	av_dict_set(opts, "async_depth", "1", 0);
	av_dict_set(opts, "rc_mode", "CBR", 0);
	/* The profile comes from ctx->profile (constrained baseline = 578). */
}

static void tune_qsv(const struct libav_backend *b, const struct he_encoder_config *cfg,
		     AVCodecContext *ctx, AVDictionary **opts)
{
	av_dict_set(opts, "async_depth", "1", 0);
	av_dict_set(opts, "look_ahead", "0", 0);
	av_dict_set(opts, "forced_idr", "1", 0);
	av_dict_set(opts, "preset", "veryfast", 0);
	av_dict_set(opts, "low_delay_brc", "1", 0);
	av_dict_set(opts, "profile", profile_name(cfg->profile), 0);
}

static void tune_videotoolbox(const struct libav_backend *b, const struct he_encoder_config *cfg,
			      AVCodecContext *ctx, AVDictionary **opts)
{
	av_dict_set(opts, "realtime", "1", 0);
	av_dict_set(opts, "prio_speed", "1", 0);
	av_dict_set(opts, "allow_sw", "0", 0);
	av_dict_set(opts, "profile", profile_name(cfg->profile), 0);
}

/* --- table --------------------------------------------------------------- */

static const struct libav_backend videotoolbox = {
	.base = VTABLE("h264_videotoolbox", true, true),
	.hw_type = AV_HWDEVICE_TYPE_NONE,
	.sw_format = AV_PIX_FMT_NV12,
	/* Reopen: no runtime reconfiguration in libavcodec 5.x. */
	.live_bitrate = false,
	.lend_input = false,
	.tune = tune_videotoolbox,
};

static const struct libav_backend vaapi = {
	.base = VTABLE("h264_vaapi", true, true),
	.hw_type = AV_HWDEVICE_TYPE_VAAPI,
	.hw_format = AV_PIX_FMT_VAAPI,
	.sw_format = AV_PIX_FMT_NV12,
	.live_bitrate = false,
	.lend_input = true,     /* we upload synchronously */
	.check = check_render_node,
	.tune = tune_vaapi,
};

static const struct libav_backend nvenc = {
	.base = VTABLE("h264_nvenc", true, true),
	.hw_type = AV_HWDEVICE_TYPE_NONE,
	.sw_format = AV_PIX_FMT_NV12,
	/* nvenc reconfigures the bitrate in place when the GPU reports
	 * dynamic bitrate support (and ignores the change otherwise). */
	.live_bitrate = true,
	.lend_input = true,     /* copied into an input surface on send */
	.check = check_nvidia,
	.tune = tune_nvenc,
};

static const struct libav_backend qsv = {
	.base = VTABLE("h264_qsv", true, true),
	.hw_type = AV_HWDEVICE_TYPE_NONE,
	.sw_format = AV_PIX_FMT_NV12,
	.live_bitrate = false,
	.lend_input = false,    /* qsv keeps system-memory frames referenced */
	.check = check_render_node,
	.tune = tune_qsv,
};

static const struct libav_backend v4l2m2m = {
	/* Not auto-selected: m2m drivers queue buffers, which breaks one
	 * access unit per frame; usable by name where a driver does not. */
	.base = VTABLE("h264_v4l2m2m", true, false),
	.hw_type = AV_HWDEVICE_TYPE_NONE,
	.sw_format = AV_PIX_FMT_NV12,
	.live_bitrate = false,
	.lend_input = false,
	.check = check_v4l2,
};

static const struct libav_backend x264 = {
	.base = VTABLE("libx264", false, true),
	.hw_type = AV_HWDEVICE_TYPE_NONE,
	.sw_format = AV_PIX_FMT_NV12,
	/* libavcodec's libx264 wrapper calls x264_encoder_reconfig() when
	 * bit_rate / rc_max_rate / rc_buffer_size change between frames. */
	.live_bitrate = true,
	.lend_input = true,     /* x264 copies the picture in x264_encoder_encode() */
	.intra_refresh = true,
	.tune = tune_x264,
};

static const struct libav_backend openh264 = {
	.base = VTABLE("libopenh264", false, true),
	.hw_type = AV_HWDEVICE_TYPE_NONE,
	.sw_format = AV_PIX_FMT_YUV420P,
	.live_bitrate = false,
	.lend_input = true,     /* EncodeFrame() reads it synchronously */
	.tune = tune_openh264,
};

const struct he_encoder_impl *const he_encoder_impls[] = {
	&videotoolbox.base,
	&vaapi.base,
	&nvenc.base,
	&qsv.base,
	&v4l2m2m.base,
	&x264.base,
	&openh264.base,
	NULL,
};
