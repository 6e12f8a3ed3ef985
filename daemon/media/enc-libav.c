/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libavcodec encoder backend: one implementation for every H.264
 * encoder libavcodec offers, tuned per encoder by struct libav_backend.
 */
#define G_LOG_DOMAIN "hostenc.enc"

#include "enc-libav.h"
#include "avlog.h"
#include "convert.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <glib.h>
#include <libavutil/buffer.h>
#include <libavutil/error.h>
#include <libavutil/hwcontext.h>
#include <libavutil/macros.h>

#define STAGING_ALIGN 64

struct libav_encoder {
	struct he_encoder base;         /* first */
	const struct libav_backend *backend;
	AVCodecContext *ctx;
	AVFrame *frame;                 /* the input, lent or staged */
	AVFrame *hw_frame;              /* upload target (hardware frames) */
	AVFrame *kept;                  /* the input kept for he_encoder_encode_again() */
	AVPacket *pkt;
	AVBufferPool *staging;          /* system-memory copies of the input */
	bool lend;                      /* lend caller planes (see lend_frame()) */
	unsigned lent, returned;        /* lent buffers given out / given back */
	int64_t next_pts;               /* frame counter in 1/fps units */
	bool idr_next;                  /* reopened: restart the stream with an IDR */
	bool vbv_pending;               /* lowered bitrate: VBV follows next frame */
	bool map_failed;                /* surfaces cannot be mapped for writing */
};

static atomic_uint_fast64_t bytes_staged;

uint64_t he_encoder_bytes_staged(void)
{
	return atomic_load(&bytes_staged);
}

static const struct libav_backend *to_backend(const struct he_encoder_impl *impl)
{
	g_assert(impl->create == he_libav_create);
	return (const struct libav_backend *)impl;
}

static struct libav_encoder *to_libav(struct he_encoder *enc)
{
	g_assert(enc->impl->create == he_libav_create);
	return (struct libav_encoder *)enc;
}

int he_libav_available(const struct he_encoder_impl *impl, char *why, size_t n)
{
	const struct libav_backend *b = to_backend(impl);

	if (!avcodec_find_encoder_by_name(impl->name)) {
		he_encoder_why(why, n, "not in this libavcodec build");
		return -ENOENT;
	}
	return b->check ? b->check(b, why, n) : 0;
}

static int map_profile(int profile)
{
	switch (profile) {
	case HE_PROFILE_MAIN:
		return FF_PROFILE_H264_MAIN;
	case HE_PROFILE_HIGH:
		return FF_PROFILE_H264_HIGH;
	default:
		return FF_PROFILE_H264_CONSTRAINED_BASELINE;
	}
}

/* 4:2:0 H.264 codes even sizes only. */
static uint32_t coded(uint32_t v)
{
	return (v + 1) & ~1u;
}

/* The VBV in bits: cfg->vbv_frames frames at the nominal rate, by default
 * half a second. Half a second lets the (rare, long-GOP) IDRs through at
 * good quality; one frame caps every frame's size, and so the time it takes
 * on a link as fast as the bitrate, at the cost of blurry IDRs. */
static int vbv_bits(const struct he_encoder_config *cfg)
{
	uint64_t bits = cfg->vbv_frames ? (uint64_t)cfg->bitrate * cfg->vbv_frames * cfg->fps_den /
						  cfg->fps_num
					: cfg->bitrate / 2;

	return (int)CLAMP(bits, 1000u, (uint64_t)INT32_MAX);
}

/* Rate control: constant bitrate, the VBV of vbv_bits(). */
static void set_rate(AVCodecContext *ctx, const struct he_encoder_config *cfg)
{
	ctx->bit_rate = cfg->bitrate;
	ctx->rc_max_rate = cfg->bitrate;
	ctx->rc_buffer_size = vbv_bits(cfg);
}

/* Settings every backend shares; see encoder.h for why each matters. */
static void set_common(const struct libav_backend *b, const struct he_encoder_config *cfg,
		       AVCodecContext *ctx)
{
	ctx->width = (int)coded(cfg->width);
	ctx->height = (int)coded(cfg->height);
	ctx->pix_fmt = b->hw_type != AV_HWDEVICE_TYPE_NONE ? b->hw_format : b->sw_format;
	/* Frame-counter timestamps at the nominal rate: rate control sees the
	 * real frame rate whatever the caller's clock is. */
	ctx->time_base = (AVRational){ (int)cfg->fps_den, (int)cfg->fps_num };
	ctx->framerate = (AVRational){ (int)cfg->fps_num, (int)cfg->fps_den };
	ctx->gop_size = (int)cfg->gop;
	ctx->max_b_frames = 0;
	ctx->refs = 1;
	ctx->profile = map_profile(cfg->profile);
	set_rate(ctx, cfg);
	/* Slice threads only: frame threads delay output by a frame each. */
	ctx->thread_type = FF_THREAD_SLICE;
	/* In-band SPS/PPS before every IDR, so any IDR is a join point. */
	ctx->flags &= ~AV_CODEC_FLAG_GLOBAL_HEADER;
	/* What he_convert_to_nv12() produces from sRGB desktop pixels. */
	ctx->color_range = AVCOL_RANGE_MPEG;
	ctx->colorspace = AVCOL_SPC_SMPTE170M;
	ctx->color_primaries = AVCOL_PRI_BT709;
	ctx->color_trc = AVCOL_TRC_IEC61966_2_1;
}

/* AVERROR(E*) codes are -errno; the FFERRTAG ones are not. */
static int av_to_errno(int rc)
{
	return rc < 0 && rc > -4096 ? rc : -EIO;
}

static void log_unused(const char *name, AVDictionary *opts)
{
	const AVDictionaryEntry *e = NULL;

	while ((e = av_dict_get(opts, "", e, AV_DICT_IGNORE_SUFFIX)))
		g_debug("%s: option %s=%s not used by this libavcodec", name, e->key, e->value);
}

/* Allocate and open a codec context for @cfg. */
static int open_context(const struct libav_backend *b, const struct he_encoder_config *cfg,
			AVCodecContext **out, char *why, size_t n)
{
	const AVCodec *codec = avcodec_find_encoder_by_name(b->base.name);
	AVCodecContext *ctx;
	AVDictionary *opts = NULL;
	char msg[256];
	int rc;

	if (!codec) {
		he_encoder_why(why, n, "not in this libavcodec build");
		return -ENOENT;
	}
	ctx = avcodec_alloc_context3(codec);
	if (!ctx)
		return -ENOMEM;
	set_common(b, cfg, ctx);
	if (b->hw_type != AV_HWDEVICE_TYPE_NONE) {
		rc = he_libav_hw_setup(b, ctx, coded(cfg->width), coded(cfg->height), why, n);
		if (rc < 0)
			goto fail;
	}
	if (b->tune)
		b->tune(b, cfg, ctx, &opts);
	if (cfg->intra_refresh && !b->intra_refresh)
		g_info("%s: no intra refresh with this encoder: periodic IDRs instead", b->base.name);

	he_avlog_capture_begin();
	rc = avcodec_open2(ctx, codec, &opts);
	if (rc < 0) {
		const char *detail = he_avlog_capture_end(msg, sizeof(msg));

		he_encoder_why(why, n, "open failed: %s%s%s%s", av_err2str(rc), detail ? " (" : "",
			       detail ? detail : "", detail ? ")" : "");
		rc = av_to_errno(rc);
		goto fail;
	}
	he_avlog_capture_end(NULL, 0);
	log_unused(b->base.name, opts);
	av_dict_free(&opts);
	*out = ctx;
	return 0;

	/* ERRORS */
fail:
	av_dict_free(&opts);
	avcodec_free_context(&ctx);
	return rc;
}

int he_libav_create(const struct he_encoder_impl *impl, const struct he_encoder_config *cfg,
		    struct he_encoder **out, char *why, size_t n)
{
	const struct libav_backend *b = to_backend(impl);
	struct libav_encoder *e;
	int rc;

	e = g_new0(struct libav_encoder, 1);
	e->base.impl = impl;
	e->backend = b;
	e->lend = b->lend_input;
	e->frame = av_frame_alloc();
	e->hw_frame = av_frame_alloc();
	e->kept = av_frame_alloc();
	e->pkt = av_packet_alloc();
	if (!e->frame || !e->hw_frame || !e->kept || !e->pkt) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = open_context(b, cfg, &e->ctx, why, n);
	if (rc < 0)
		goto fail;
	*out = &e->base;
	return 0;

	/* ERRORS */
fail:
	he_libav_destroy(&e->base);
	return rc;
}

void he_libav_destroy(struct he_encoder *enc)
{
	struct libav_encoder *e;

	if (!enc)
		return;
	e = to_libav(enc);
	/* The context first: it may still hold lent or pooled buffers. */
	avcodec_free_context(&e->ctx);
	av_frame_free(&e->frame);
	av_frame_free(&e->hw_frame);
	av_frame_free(&e->kept);
	av_packet_free(&e->pkt);
	av_buffer_pool_uninit(&e->staging);
	g_free(e);
}

static uint32_t format_fourcc(enum AVPixelFormat fmt)
{
	return fmt == AV_PIX_FMT_YUV420P ? HXFR_FMT_I420 : HXFR_FMT_NV12;
}

static void lent_returned(void *opaque, uint8_t *data)
{
	struct libav_encoder *e = opaque;

	e->returned++;
}

/*
 * Point the frame at the caller's planes. libavcodec copies frames without
 * a buffer reference, so plane 0 is wrapped in a read-only AVBufferRef that
 * frees nothing (the other planes ride on it). This is only correct while
 * the encoder drops its reference before he_encoder_encode() returns;
 * encode_frame() counts that and stops lending if it ever does not.
 */
static int lend_frame(struct libav_encoder *e, const struct he_image *img, AVFrame *f)
{
	for (unsigned i = 0; i < he_image_plane_count(img->fourcc); i++) {
		f->data[i] = (uint8_t *)img->plane[i];
		f->linesize[i] = (int)img->stride[i];
	}
	f->buf[0] = av_buffer_create((uint8_t *)img->plane[0], (size_t)img->stride[0] * img->height,
				     lent_returned, e, AV_BUFFER_FLAG_READONLY);
	if (!f->buf[0])
		return -ENOMEM;
	e->lent++;
	return 0;
}

static size_t staging_layout(enum AVPixelFormat fmt, uint32_t w, uint32_t h, int linesize[3])
{
	size_t y = FFALIGN(w, STAGING_ALIGN), c = FFALIGN((w + 1) / 2, STAGING_ALIGN);
	size_t ch = (h + 1) / 2;

	if (fmt == AV_PIX_FMT_YUV420P) {
		linesize[0] = (int)y;
		linesize[1] = linesize[2] = (int)c;
		return y * h + 2 * c * ch;
	}
	linesize[0] = (int)y;
	linesize[1] = (int)FFALIGN(2 * ((w + 1) / 2), STAGING_ALIGN);
	linesize[2] = 0;
	return y * h + (size_t)linesize[1] * ch;
}

/* Copy or convert the caller's picture into a pooled buffer. */
static void count_staged(const struct he_image *img)
{
	/* Y plus two quarter-size chroma planes, whichever the layout. */
	atomic_fetch_add(&bytes_staged, (uint64_t)img->width * img->height +
			 2ull * ((img->width + 1) / 2) * ((img->height + 1) / 2));
}

/* An odd picture's extra coded column and row repeat its last ones (the
 * chroma planes, ceil(size / 2), already cover them). */
static void pad_luma(uint8_t *y, uint32_t stride, uint32_t w, uint32_t h)
{
	if (w & 1)
		for (uint32_t r = 0; r < h; r++)
			y[(size_t)r * stride + w] = y[(size_t)r * stride + w - 1];
	if (h & 1)
		memcpy(y + (size_t)h * stride, y + (size_t)(h - 1) * stride, coded(w));
}

/* Convert or copy @img into @f, whose planes are set up already. */
static int convert_into(struct libav_encoder *e, const struct he_image *img, AVFrame *f)
{
	uint32_t stride[3] = { (uint32_t)f->linesize[0], (uint32_t)f->linesize[1],
			       (uint32_t)f->linesize[2] };
	int64_t t0 = g_get_monotonic_time();
	int rc;

	count_staged(img);
	if (e->backend->sw_format == AV_PIX_FMT_YUV420P)
		rc = he_convert_to_i420(img, f->data, stride);
	else
		rc = he_convert_to_nv12(img, f->data[0], stride[0], f->data[1], stride[1]);
	if (rc == 0)
		pad_luma(f->data[0], stride[0], img->width, img->height);
	e->base.convert_us += g_get_monotonic_time() - t0;
	return rc;
}

/* Copy or convert the caller's picture into a pooled buffer. */
static int stage_frame(struct libav_encoder *e, const struct he_image *img, AVFrame *f)
{
	enum AVPixelFormat fmt = e->backend->sw_format;
	uint32_t w = coded(img->width), h = coded(img->height);
	size_t size = staging_layout(fmt, w, h, f->linesize);

	if (!e->staging)
		e->staging = av_buffer_pool_init(size, NULL);
	f->buf[0] = e->staging ? av_buffer_pool_get(e->staging) : NULL;
	if (!f->buf[0])
		return -ENOMEM;
	f->data[0] = f->buf[0]->data;
	f->data[1] = f->data[0] + (size_t)f->linesize[0] * h;
	if (fmt == AV_PIX_FMT_YUV420P)
		f->data[2] = f->data[1] + (size_t)f->linesize[1] * (h / 2);
	return convert_into(e, img, f);
}

static bool hardware_frames(const struct libav_encoder *e)
{
	return e->backend->hw_type != AV_HWDEVICE_TYPE_NONE;
}

/* Lend the caller's planes when the backend reads them during the call and
 * nothing has to outlive it: a kept software input must be our own copy (a
 * hardware one is kept as the uploaded surface). */
static bool can_lend(const struct libav_encoder *e, const struct he_image *img)
{
	if (!e->lend || img->fourcc != format_fourcc(e->backend->sw_format) ||
	    (img->width | img->height) & 1)
		return false;
	return !e->base.keep_input || hardware_frames(e);
}

static int fill_frame(struct libav_encoder *e, const struct he_image *img)
{
	AVFrame *f = e->frame;

	f->format = e->backend->sw_format;
	f->width = (int)coded(img->width);
	f->height = (int)coded(img->height);
	if (can_lend(e, img))
		return lend_frame(e, img, f);
	return stage_frame(e, img, f);
}

static int upload_frame(struct libav_encoder *e)
{
	int rc = av_hwframe_transfer_data(e->hw_frame, e->frame, 0);

	if (rc < 0) {
		g_warning("%s: frame upload failed: %s", e->backend->base.name, av_err2str(rc));
		return -EIO;
	}
	return 0;
}

/*
 * A hardware surface written directly: map it for writing and convert into
 * the mapping, so the conversion is the only pass over the pixels (no
 * staging buffer, no second copy to upload it). -ENOTSUP when the driver
 * cannot map surfaces; the caller then stages and uploads.
 */
static int convert_into_surface(struct libav_encoder *e, const struct he_image *img)
{
	AVFrame *map = av_frame_alloc();
	int rc;

	if (!map)
		return -ENOMEM;
	map->format = e->backend->sw_format;
	rc = av_hwframe_map(map, e->hw_frame, AV_HWFRAME_MAP_WRITE | AV_HWFRAME_MAP_OVERWRITE);
	if (rc < 0) {
		av_frame_free(&map);
		return -ENOTSUP;
	}
	rc = convert_into(e, img, map);
	av_frame_free(&map); /* unmaps */
	return rc;
}

/* @img into e->hw_frame: lent and uploaded (NV12), or converted in place. */
static int fill_surface(struct libav_encoder *e, const struct he_image *img)
{
	int rc = av_hwframe_get_buffer(e->ctx->hw_frames_ctx, e->hw_frame, 0);

	if (rc < 0) {
		g_warning("%s: no hardware surface: %s", e->backend->base.name, av_err2str(rc));
		return -EIO;
	}
	if (!can_lend(e, img) && !e->map_failed) {
		rc = convert_into_surface(e, img);
		if (rc != -ENOTSUP)
			return rc;
		e->map_failed = true;
		g_info("%s: surfaces cannot be mapped; converting into a staging buffer",
		       e->backend->base.name);
	}
	rc = fill_frame(e, img);
	if (rc == 0)
		rc = upload_frame(e);
	return rc;
}

/* The frame to send for @img: lent, staged or uploaded; kept on request. */
static int prepare_input(struct libav_encoder *e, const struct he_image *img, AVFrame **send)
{
	AVFrame *out = hardware_frames(e) ? e->hw_frame : e->frame;
	int rc;

	if (!img) /* again: the kept picture, already staged or uploaded */
		return av_frame_ref(out, e->kept) < 0 ? -ENOMEM : (*send = out, 0);
	rc = hardware_frames(e) ? fill_surface(e, img) : fill_frame(e, img);
	if (rc < 0)
		return rc;
	av_frame_unref(e->kept);
	if (e->base.keep_input && av_frame_ref(e->kept, out) < 0)
		return -ENOMEM;
	*send = out;
	return 0;
}

static void packet_free(gpointer data)
{
	AVPacket *pkt = data;

	av_packet_free(&pkt);
}

static int take_packet(struct libav_encoder *e, GBytes **au)
{
	AVPacket *own;

	if (e->pkt->size <= 0 || !e->pkt->data) {
		g_warning("%s: empty packet", e->backend->base.name);
		return -EIO;
	}
	own = av_packet_alloc();
	if (!own)
		return -ENOMEM;
	/* No copy: the GBytes keeps the packet's buffer reference. */
	av_packet_move_ref(own, e->pkt);
	*au = g_bytes_new_with_free_func(own->data, (gsize)own->size, packet_free, own);
	return 0;
}

/* Exactly one packet must come out for the frame just sent. */
static int receive_one(struct libav_encoder *e, GBytes **au)
{
	const char *name = e->backend->base.name;
	int rc = avcodec_receive_packet(e->ctx, e->pkt);

	if (rc == AVERROR(EAGAIN)) {
		g_warning("%s: no packet for the frame just sent: the encoder buffers frames", name);
		return -EIO;
	}
	if (rc < 0) {
		g_warning("%s: receive_packet failed: %s", name, av_err2str(rc));
		return -EIO;
	}
	/* Past this point a failure loses an access unit the decoder needs:
	 * always -EIO, which retires the encoder. */
	if (take_packet(e, au) < 0)
		return -EIO;
	rc = avcodec_receive_packet(e->ctx, e->pkt);
	if (rc != AVERROR(EAGAIN)) {
		g_warning("%s: more than one packet for one frame (%s)", name,
			  rc < 0 ? av_err2str(rc) : "extra packet");
		av_packet_unref(e->pkt);
		g_clear_pointer(au, g_bytes_unref);
		return -EIO;
	}
	return 0;
}

static void check_lent(struct libav_encoder *e)
{
	if (e->lent == e->returned)
		return;
	/* The encoder kept a reference to the caller's planes past the
	 * call. Copy from now on; say so loudly, as the last frame may be read
	 * after the caller reused it. */
	g_warning("%s: encoder keeps input frames; copying input from now on",
		  e->backend->base.name);
	e->lend = false;
	e->returned = e->lent;
}

int he_libav_encode(struct he_encoder *enc, const struct he_image *img, bool force_idr, GBytes **au)
{
	struct libav_encoder *e = to_libav(enc);
	AVFrame *send;
	int rc;

	rc = prepare_input(e, img, &send);
	if (rc < 0)
		goto out;
	send->pts = e->next_pts++;
	send->pict_type = force_idr || e->idr_next ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	e->idr_next = false;

	rc = avcodec_send_frame(e->ctx, send);
	av_frame_unref(e->frame);
	av_frame_unref(e->hw_frame);
	if (rc < 0) {
		g_warning("%s: send_frame failed: %s", e->backend->base.name, av_err2str(rc));
		rc = -EIO;
		goto out;
	}
	rc = receive_one(e, au);
	if (rc == 0 && e->vbv_pending) {
		set_rate(e->ctx, &enc->cfg);
		e->vbv_pending = false;
	}

out:
	av_frame_unref(e->frame);
	av_frame_unref(e->hw_frame);
	check_lent(e);
	return rc;
}

int he_libav_set_bitrate(struct he_encoder *enc)
{
	struct libav_encoder *e = to_libav(enc);
	AVCodecContext *ctx;
	char why[256] = "";
	int rc;

	if (e->backend->live_bitrate) {
		/* libx264 and nvenc compare these with their current settings
		 * before each frame and reconfigure in place (no new IDR).
		 * libx264 applies the VBV before the average, so lower the
		 * average first and the VBV one frame later; otherwise x264
		 * briefly sees max < average and warns on every decrease. */
		if (enc->cfg.bitrate < e->ctx->bit_rate) {
			e->ctx->bit_rate = enc->cfg.bitrate;
			e->vbv_pending = true;
		} else {
			set_rate(e->ctx, &enc->cfg);
		}
		return 0;
	}
	/* No runtime reconfiguration in this libavcodec for this encoder:
	 * reopen, which restarts the stream, so the next frame is an IDR. */
	rc = open_context(e->backend, &enc->cfg, &ctx, why, sizeof(why));
	if (rc < 0) {
		g_warning("%s: reopen for %u bit/s failed: %s", e->backend->base.name,
			  enc->cfg.bitrate, why);
		return -EIO;
	}
	avcodec_free_context(&e->ctx);
	e->ctx = ctx;
	e->idr_next = true;
	g_info("%s: reopened for %u bit/s; next frame is an IDR", e->backend->base.name,
	       enc->cfg.bitrate);
	return 0;
}
