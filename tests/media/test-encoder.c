/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of daemon/media/encoder.c with the real libavcodec: libx264 output
 * decoded by libavcodec's h264 decoder and compared with the source.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "avlog.h"
#include "convert.h"
#include "encoder.h"
#include "h264-bits.h"
#include "h264.h"
#include "test-util.h"

#define TW 320
#define TH 240
#define FPS 30
#define FRAME_US (1000000 / FPS)

/*
 * PSNR floor for TEST_BITRATE. 300 kbit/s for 320x240 at 30 fps is ~0.13
 * bit per pixel: tight enough that rate control, not a QP floor, decides
 * the quality of this content (ramped bars, text-like detail, a moving
 * checkered square). libx264 ultrafast measures ~41 dB worst-frame Y and
 * ~42 dB U/V here; 36 dB leaves 5 dB for x264 versions, CPU paths and
 * slice counts, while the faults this guards against (swapped chroma,
 * wrong matrix or range, frames out of order, frames starved by a broken
 * VBV) land far below 30 dB.
 */
#define MIN_PSNR_DB 36.0
#define TEST_BITRATE 300000

static struct he_encoder *open_x264(uint32_t w, uint32_t h, uint32_t bitrate, uint32_t gop, int profile)
{
	struct he_encoder_config cfg = {
		.width = w, .height = h, .bitrate = bitrate,
		.fps_num = FPS, .fps_den = 1, .gop = gop, .profile = profile,
	};
	GError *err = NULL;
	struct he_encoder *enc = he_encoder_create("libx264", &cfg, &err);

	g_assert_no_error(err);
	g_assert_nonnull(enc);
	return enc;
}

static struct he_h264_au_info scan(GBytes *au)
{
	struct he_h264_au_info info;
	gsize size;
	const uint8_t *data = g_bytes_get_data(au, &size);

	g_assert_cmpint(he_h264_scan(data, size, &info), ==, 0);
	return info;
}

static bool first_sps(GBytes *au, struct he_h264_sps *sps)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;
	gsize size;
	const uint8_t *data = g_bytes_get_data(au, &size);

	he_h264_iter_init(&it, data, size);
	while (he_h264_iter_next(&it, &nal) > 0) {
		if (nal.type == HE_H264_NAL_SPS) {
			g_assert_cmpint(he_h264_sps_parse(nal.data, nal.size, sps), ==, 0);
			return true;
		}
	}
	return false;
}

struct psnr3 {
	double y, u, v;
};

static struct psnr3 compare(const AVFrame *f, const struct tu_picture *pic)
{
	g_assert_cmpint(f->format, ==, AV_PIX_FMT_YUV420P);
	g_assert_cmpint(f->width, ==, (int)pic->width);
	g_assert_cmpint(f->height, ==, (int)pic->height);
	return (struct psnr3){
		.y = tu_psnr(f->data[0], (size_t)f->linesize[0], 1, pic->y, pic->y_stride, 1, pic->width, pic->height),
		.u = tu_psnr(f->data[1], (size_t)f->linesize[1], 1, pic->uv, pic->uv_stride, 2, pic->width / 2,
			     pic->height / 2),
		.v = tu_psnr(f->data[2], (size_t)f->linesize[2], 1, pic->uv + 1, pic->uv_stride, 2, pic->width / 2,
			     pic->height / 2),
	};
}

/* ---- tests -------------------------------------------------------------- */

/* Encode bars + moving square, decode each AU immediately, compare. */
static void test_encode_decode(void)
{
	struct he_encoder *enc = open_x264(TW, TH, TEST_BITRATE, 0, 0);
	struct tu_picture *pic = tu_picture_new(TW, TH);
	struct tu_decoder *low_delay = tu_decoder_new(true), *plain = tu_decoder_new(false);
	struct psnr3 worst = { 99, 99, 99 };
	size_t bytes = 0;

	g_assert_cmpstr(he_encoder_name(enc), ==, "libx264");
	g_assert_false(he_encoder_is_hardware(enc));
	g_assert_cmpuint(he_encoder_get_config(enc)->gop, ==, FPS * 10);

	for (unsigned i = 0; i < 60; i++) {
		struct he_image img;
		struct he_packet pkt;
		struct he_h264_au_info info;
		const AVFrame *f;
		struct psnr3 p;

		tu_picture_draw_bars(pic, i);
		tu_picture_to_nv12(pic);
		img = tu_picture_nv12_image(pic);
		g_assert_cmpint(he_encoder_encode(enc, &img, (int64_t)i * FRAME_US, false, &pkt), ==, 0);
		g_assert_nonnull(pkt.data);
		g_assert_cmpint(pkt.pts_us, ==, (int64_t)i * FRAME_US);
		bytes += g_bytes_get_size(pkt.data);

		info = scan(pkt.data);
		g_assert_cmpuint(info.access_units, ==, 1);
		g_assert_true(pkt.keyframe == (i == 0));
		g_assert_true(info.has_idr == (i == 0));
		if (i == 0)
			g_assert_true(info.has_sps && info.has_pps);

		/* One picture out for each AU in, with no delay, both with the
		 * low-delay flag and trusting the stream's VUI alone. */
		g_assert_nonnull(tu_decoder_decode(plain, pkt.data));
		f = tu_decoder_decode(low_delay, pkt.data);
		g_assert_nonnull(f);
		p = compare(f, pic);
		worst.y = MIN(worst.y, p.y);
		worst.u = MIN(worst.u, p.u);
		worst.v = MIN(worst.v, p.v);
		he_packet_clear(&pkt);
		g_assert_null(pkt.data);
	}
	g_test_message("worst PSNR Y %.2f U %.2f V %.2f dB; %.0f kbit/s", worst.y, worst.u, worst.v,
		       bytes * 8.0 * FPS / 60 / 1000);
	g_assert_cmpfloat(worst.y, >=, MIN_PSNR_DB);
	g_assert_cmpfloat(worst.u, >=, MIN_PSNR_DB);
	g_assert_cmpfloat(worst.v, >=, MIN_PSNR_DB);

	tu_decoder_free(low_delay);
	tu_decoder_free(plain);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

/* The SPS is low delay (parsed by h264.c) and signals what convert.c makes. */
static void test_sps(void)
{
	struct he_encoder *enc = open_x264(TW, TH, TEST_BITRATE, 0, 0);
	struct tu_picture *pic = tu_picture_new(TW, TH);
	struct he_image img = tu_picture_nv12_image(pic);
	struct he_packet pkt;
	struct he_h264_sps sps;

	g_assert_cmpint(he_encoder_profile(enc), ==, HE_PROFILE_CONSTRAINED_BASELINE);
	g_assert_cmpint(he_encoder_encode(enc, &img, 0, false, &pkt), ==, 0);
	g_assert_true(first_sps(pkt.data, &sps));
	g_assert_cmpuint(sps.profile_idc, ==, 66);
	g_assert_true(sps.constraint_flags & 0x40);    /* constraint_set1: constrained baseline */
	g_assert_cmpuint(sps.width, ==, TW);
	g_assert_cmpuint(sps.height, ==, TH);
	g_assert_true(sps.vui_present);
	g_assert_true(sps.bitstream_restriction);
	g_assert_cmpuint(sps.max_num_reorder_frames, ==, 0);
	g_assert_cmpuint(sps.max_dec_frame_buffering, <=, 1);
	g_assert_true(he_h264_sps_is_low_delay(&sps));
	/* BT.601 matrix, limited range: what libyuv produced. */
	g_assert_true(sps.video_signal_type_present);
	g_assert_false(sps.video_full_range);
	g_assert_true(sps.colour_description_present);
	g_assert_cmpuint(sps.matrix_coefficients, ==, 6);
	g_assert_cmpuint(sps.colour_primaries, ==, 1);
	g_assert_cmpuint(sps.transfer_characteristics, ==, 13);
	g_assert_cmpint(he_encoder_profile(enc), ==, 66);
	he_packet_clear(&pkt);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

/* What libx264 writes by itself (through plain libavcodec, no hostenc
 * wrapper), to know whether the wrapper's SPS rewrite is needed. */
static void test_x264_native_sps(void)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	AVFrame *frame = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	AVDictionary *opts = NULL;
	struct he_h264_iter it;
	struct he_h264_nal nal;
	struct he_h264_sps sps = { 0 };
	bool found = false;

	ctx->width = TW;
	ctx->height = TH;
	ctx->pix_fmt = AV_PIX_FMT_NV12;
	ctx->time_base = (AVRational){ 1, FPS };
	ctx->bit_rate = TEST_BITRATE;
	av_dict_set(&opts, "preset", "ultrafast", 0);
	av_dict_set(&opts, "tune", "zerolatency", 0);
	av_dict_set(&opts, "profile", "baseline", 0);
	g_assert_cmpint(avcodec_open2(ctx, codec, &opts), ==, 0);
	av_dict_free(&opts);
	frame->format = AV_PIX_FMT_NV12;
	frame->width = TW;
	frame->height = TH;
	g_assert_cmpint(av_frame_get_buffer(frame, 0), ==, 0);
	memset(frame->data[0], 128, (size_t)frame->linesize[0] * TH);
	memset(frame->data[1], 128, (size_t)frame->linesize[1] * TH / 2);
	frame->pts = 0;
	g_assert_cmpint(avcodec_send_frame(ctx, frame), ==, 0);
	g_assert_cmpint(avcodec_receive_packet(ctx, pkt), ==, 0);

	he_h264_iter_init(&it, pkt->data, (size_t)pkt->size);
	while (!found && he_h264_iter_next(&it, &nal) > 0)
		found = nal.type == HE_H264_NAL_SPS && he_h264_sps_parse(nal.data, nal.size, &sps) == 0;
	g_assert_true(found);
	g_test_message("libx264 SPS: profile %u constraints 0x%02x level %u refs %u, VUI %s, "
		       "bitstream_restriction %s, max_num_reorder_frames %u, max_dec_frame_buffering %u",
		       sps.profile_idc, sps.constraint_flags, sps.level_idc, sps.max_num_ref_frames,
		       sps.vui_present ? "yes" : "no", sps.bitstream_restriction ? "yes" : "no",
		       sps.max_num_reorder_frames, sps.max_dec_frame_buffering);
	av_packet_free(&pkt);
	av_frame_free(&frame);
	avcodec_free_context(&ctx);
}

/* Copy of SPS @nal with bitstream_restriction_flag cleared (an encoder
 * that does not promise anything about reordering). */
static uint8_t *strip_restriction(const struct he_h264_nal *nal, size_t *size)
{
	struct he_h264_sps sps;
	struct he_bitreader br;
	struct he_bitwriter bw;
	uint8_t rbsp[256], tmp[256], *out;
	size_t n, len;

	g_assert_cmpint(he_h264_sps_parse(nal->data, nal->size, &sps), ==, 0);
	g_assert_true(sps.vui_present);
	n = he_rbsp_unescape(nal->data + 1, nal->size - 1, rbsp, sizeof(rbsp));
	he_br_init(&br, rbsp, n);
	he_bw_init(&bw, tmp, sizeof(tmp));
	he_bw_copy(&bw, &br, 0, sps.restriction_flag_bit);
	he_bw_u(&bw, 1, 0);
	len = he_bw_finish(&bw);
	g_assert_false(bw.error);
	out = g_malloc(1 + he_rbsp_escaped_max(len));
	out[0] = nal->data[0];
	*size = 1 + he_rbsp_escape(tmp, len, out + 1);
	return out;
}

/* Replace the SPS of @au by one without bitstream restriction. */
static GBytes *break_sps(GBytes *au)
{
	static const uint8_t sc[] = { 0, 0, 0, 1 };
	struct he_h264_iter it;
	struct he_h264_nal nal;
	gsize size;
	const uint8_t *data = g_bytes_get_data(au, &size);
	GByteArray *out = g_byte_array_new();

	he_h264_iter_init(&it, data, size);
	while (he_h264_iter_next(&it, &nal) > 0) {
		g_byte_array_append(out, sc, sizeof(sc));
		if (nal.type == HE_H264_NAL_SPS) {
			size_t sps_size;
			uint8_t *sps = strip_restriction(&nal, &sps_size);
			struct he_h264_sps parsed;

			g_assert_cmpint(he_h264_sps_parse(sps, sps_size, &parsed), ==, 0);
			g_assert_false(parsed.bitstream_restriction);
			g_assert_false(he_h264_sps_is_low_delay(&parsed));
			g_byte_array_append(out, sps, (guint)sps_size);
			g_free(sps);
		} else {
			g_byte_array_append(out, nal.data, (guint)nal.size);
		}
	}
	return g_byte_array_free_to_bytes(out);
}

/* A real stream whose SPS lacked the restriction, after he_h264_au_fix_sps(),
 * decodes correctly and without delay in libavcodec. */
static void test_sps_rewrite_decodes(void)
{
	struct he_encoder *enc = open_x264(TW, TH, TEST_BITRATE, 0, 0);
	struct tu_picture *pic = tu_picture_new(TW, TH);
	struct tu_decoder *dec = tu_decoder_new(false);
	double worst = 99;

	for (unsigned i = 0; i < 20; i++) {
		struct he_image img;
		struct he_packet pkt;
		GBytes *au, *fixed = NULL;
		const AVFrame *f;

		tu_picture_draw_bars(pic, i);
		tu_picture_to_nv12(pic);
		img = tu_picture_nv12_image(pic);
		g_assert_cmpint(he_encoder_encode(enc, &img, i, i == 10, &pkt), ==, 0);
		au = pkt.keyframe ? break_sps(pkt.data) : g_bytes_ref(pkt.data);
		g_assert_cmpint(he_h264_au_fix_sps(au, &fixed), ==, pkt.keyframe ? 1 : 0);
		if (fixed) {
			struct he_h264_sps sps;

			g_assert_true(first_sps(fixed, &sps));
			g_assert_true(he_h264_sps_is_low_delay(&sps));
			g_assert_cmpuint(scan(fixed).access_units, ==, 1);
		}
		f = tu_decoder_decode(dec, fixed ? fixed : au);
		g_assert_nonnull(f);
		worst = MIN(worst, compare(f, pic).y);
		if (fixed)
			g_bytes_unref(fixed);
		g_bytes_unref(au);
		he_packet_clear(&pkt);
	}
	g_test_message("rewritten-SPS stream: worst Y PSNR %.2f dB", worst);
	g_assert_cmpfloat(worst, >=, MIN_PSNR_DB);
	tu_decoder_free(dec);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

static void assert_idr_layout(GBytes *au)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;
	gsize size;
	const uint8_t *data = g_bytes_get_data(au, &size);
	int sps = -1, pps = -1, idr = -1, i = 0;

	he_h264_iter_init(&it, data, size);
	while (he_h264_iter_next(&it, &nal) > 0) {
		if (nal.type == HE_H264_NAL_SPS && sps < 0)
			sps = i;
		if (nal.type == HE_H264_NAL_PPS && pps < 0)
			pps = i;
		if (nal.type == HE_H264_NAL_IDR && idr < 0)
			idr = i;
		g_assert_cmpuint(nal.type, !=, HE_H264_NAL_SLICE);
		i++;
	}
	g_assert_cmpint(sps, >=, 0);
	g_assert_cmpint(sps, <, pps);
	g_assert_cmpint(pps, <, idr);
}

static void test_forced_idr(void)
{
	struct he_encoder *enc = open_x264(TW, TH, TEST_BITRATE, 0, 0);
	struct tu_picture *pic = tu_picture_new(TW, TH);
	struct tu_decoder *dec = tu_decoder_new(true);

	for (unsigned i = 0; i < 20; i++) {
		bool force = i == 7 || i == 13;
		struct he_image img;
		struct he_packet pkt;
		struct he_h264_au_info info;
		const AVFrame *f;

		tu_picture_draw_bars(pic, i);
		tu_picture_to_nv12(pic);
		img = tu_picture_nv12_image(pic);
		g_assert_cmpint(he_encoder_encode(enc, &img, (int64_t)i * FRAME_US, force, &pkt), ==, 0);
		info = scan(pkt.data);
		g_assert_cmpuint(info.access_units, ==, 1);
		g_assert_true(pkt.keyframe == (force || i == 0));
		g_assert_true(info.has_idr == pkt.keyframe);
		g_assert_true(info.has_sps == pkt.keyframe);
		if (pkt.keyframe) {
			g_assert_cmpint(info.first_type, ==, HE_H264_NAL_SPS);
			assert_idr_layout(pkt.data);
		}
		f = tu_decoder_decode(dec, pkt.data);
		g_assert_nonnull(f);
		g_assert_true(f->key_frame == pkt.keyframe);
		he_packet_clear(&pkt);
	}
	tu_decoder_free(dec);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

static void test_gop(void)
{
	struct he_encoder *enc = open_x264(64, 64, 200000, 10, 0);
	struct tu_picture *pic = tu_picture_new(64, 64);

	for (unsigned i = 0; i < 25; i++) {
		struct he_image img;
		struct he_packet pkt;

		tu_picture_draw_bars(pic, i);
		tu_picture_to_nv12(pic);
		img = tu_picture_nv12_image(pic);
		g_assert_cmpint(he_encoder_encode(enc, &img, i, false, &pkt), ==, 0);
		g_assert_true(pkt.keyframe == (i % 10 == 0));
		he_packet_clear(&pkt);
	}
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

static size_t encode_noise(struct he_encoder *enc, struct tu_picture *pic, struct tu_decoder *dec,
			   unsigned from, unsigned to, size_t *max_frame)
{
	size_t total = 0;

	for (unsigned i = from; i < to; i++) {
		struct he_image img;
		struct he_packet pkt;
		size_t size;

		tu_picture_draw_noise(pic, i);
		img = tu_picture_bgrx_image(pic);
		g_assert_cmpint(he_encoder_encode(enc, &img, (int64_t)i * FRAME_US, false, &pkt), ==, 0);
		/* A live reconfiguration keeps the stream going: no new IDR. */
		g_assert_true(pkt.keyframe == (i == 0));
		g_assert_nonnull(tu_decoder_decode(dec, pkt.data));
		size = g_bytes_get_size(pkt.data);
		if (i > 0) {
			total += size;
			*max_frame = MAX(*max_frame, size);
		}
		he_packet_clear(&pkt);
	}
	return total;
}

/* Noise uses every bit it is given, so the output size follows the target. */
static void test_set_bitrate(void)
{
	struct he_encoder *enc = open_x264(TW, TH, 2000000, 0, 0);
	struct tu_picture *pic = tu_picture_new(TW, TH);
	struct tu_decoder *dec = tu_decoder_new(true);
	size_t max_before = 0, max_after = 0, before, after;
	double kbps_before, kbps_after;

	before = encode_noise(enc, pic, dec, 0, 30, &max_before);
	g_assert_cmpint(he_encoder_set_bitrate(enc, 250000), ==, 0);
	g_assert_cmpuint(he_encoder_get_config(enc)->bitrate, ==, 250000);
	encode_noise(enc, pic, dec, 30, 60, &max_after);    /* VBV drains */
	max_after = 0;
	after = encode_noise(enc, pic, dec, 60, 90, &max_after);

	kbps_before = before * 8.0 / 29 * FPS / 1000;
	kbps_after = after * 8.0 / 30 * FPS / 1000;
	g_test_message("2000 kbit/s target: %.0f kbit/s (max frame %zu B); 250 kbit/s target: %.0f kbit/s "
		       "(max frame %zu B)", kbps_before, max_before, kbps_after, max_after);
	g_assert_cmpfloat(kbps_after, <, kbps_before / 3);
	g_assert_cmpfloat(kbps_after, <, 250 * 1.5);

	/* And back up. */
	g_assert_cmpint(he_encoder_set_bitrate(enc, 1000000), ==, 0);
	encode_noise(enc, pic, dec, 90, 120, &max_after);
	kbps_after = encode_noise(enc, pic, dec, 120, 150, &max_after) * 8.0 / 30 * FPS / 1000;
	g_test_message("1000 kbit/s target: %.0f kbit/s", kbps_after);
	g_assert_cmpfloat(kbps_after, >, 1000 * 0.6);
	g_assert_cmpfloat(kbps_after, <, 1000 * 1.5);

	g_assert_cmpint(he_encoder_set_bitrate(enc, 0), ==, -EINVAL);
	g_assert_cmpint(he_encoder_set_bitrate(enc, HE_ENCODER_MAX_BITRATE + 1), ==, -EINVAL);
	g_assert_cmpint(he_encoder_set_bitrate(NULL, 250000), ==, -EINVAL);
	tu_decoder_free(dec);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

/* Non-NV12 input goes through the staging copy/conversion. */
static void test_input_formats(void)
{
	static const uint32_t formats[] = { HXFR_FMT_I420, HXFR_FMT_BGRX, HXFR_FMT_RGBA };
	struct tu_picture *pic = tu_picture_new(TW, TH);
	uint8_t *i420 = g_malloc((size_t)TW * TH * 3 / 2);
	uint8_t *planes[3] = { i420, i420 + TW * TH, i420 + TW * TH + TW * TH / 4 };
	uint32_t strides[3] = { TW, TW / 2, TW / 2 };
	uint8_t *rgba = g_malloc((size_t)TW * TH * 4);

	for (size_t f = 0; f < G_N_ELEMENTS(formats); f++) {
		struct he_encoder *enc = open_x264(TW, TH, TEST_BITRATE, 0, 0);
		struct tu_decoder *dec = tu_decoder_new(true);
		double worst = 99;

		for (unsigned i = 0; i < 10; i++) {
			struct he_image src, img;
			struct he_packet pkt;
			const AVFrame *frame;

			tu_picture_draw_bars(pic, i);
			tu_picture_to_nv12(pic);
			src = tu_picture_nv12_image(pic);
			if (formats[f] == HXFR_FMT_I420) {
				g_assert_cmpint(he_convert_to_i420(&src, planes, strides), ==, 0);
				img = (struct he_image){ .fourcc = HXFR_FMT_I420, .width = TW, .height = TH,
							 .plane = { planes[0], planes[1], planes[2] },
							 .stride = { strides[0], strides[1], strides[2] } };
			} else if (formats[f] == HXFR_FMT_BGRX) {
				img = tu_picture_bgrx_image(pic);
			} else {
				/* BGRx -> RGBA byte order: swap R and B. */
				for (size_t p = 0; p < (size_t)TW * TH; p++) {
					rgba[p * 4 + 0] = pic->bgrx[p * 4 + 2];
					rgba[p * 4 + 1] = pic->bgrx[p * 4 + 1];
					rgba[p * 4 + 2] = pic->bgrx[p * 4 + 0];
					rgba[p * 4 + 3] = 0xff;
				}
				img = (struct he_image){ .fourcc = HXFR_FMT_RGBA, .width = TW, .height = TH,
							 .plane = { rgba }, .stride = { TW * 4 } };
			}
			g_assert_cmpint(he_encoder_encode(enc, &img, i, false, &pkt), ==, 0);
			frame = tu_decoder_decode(dec, pkt.data);
			g_assert_nonnull(frame);
			worst = MIN(worst, compare(frame, pic).y);
			he_packet_clear(&pkt);
		}
		g_test_message("%s input: worst Y PSNR %.2f dB", he_image_format_name(formats[f]), worst);
		g_assert_cmpfloat(worst, >=, MIN_PSNR_DB);
		tu_decoder_free(dec);
		he_encoder_destroy(enc);
	}
	g_free(rgba);
	g_free(i420);
	tu_picture_free(pic);
}

static void test_profiles(void)
{
	static const int profiles[] = { HE_PROFILE_MAIN, HE_PROFILE_HIGH };

	for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
		struct he_encoder *enc = open_x264(TW, TH, TEST_BITRATE, 0, profiles[p]);
		struct tu_picture *pic = tu_picture_new(TW, TH);
		struct tu_decoder *dec = tu_decoder_new(false);
		struct he_h264_sps sps;

		for (unsigned i = 0; i < 5; i++) {
			struct he_image img;
			struct he_packet pkt;

			tu_picture_draw_bars(pic, i);
			tu_picture_to_nv12(pic);
			img = tu_picture_nv12_image(pic);
			g_assert_cmpint(he_encoder_encode(enc, &img, i, false, &pkt), ==, 0);
			if (i == 0) {
				g_assert_true(first_sps(pkt.data, &sps));
				g_assert_cmpuint(sps.profile_idc, ==, (unsigned)profiles[p]);
				g_assert_true(he_h264_sps_is_low_delay(&sps));
			}
			g_assert_nonnull(tu_decoder_decode(dec, pkt.data));
			he_packet_clear(&pkt);
		}
		g_assert_cmpint(he_encoder_profile(enc), ==, profiles[p]);
		tu_decoder_free(dec);
		tu_picture_free(pic);
		he_encoder_destroy(enc);
	}
}

static void expect_invalid(const struct he_encoder_config *cfg, const char *name)
{
	GError *err = NULL;

	g_assert_null(he_encoder_create(name, cfg, &err));
	g_assert_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_INVALID);
	g_test_message("%s", err->message);
	g_clear_error(&err);
}

/* Odd sizes (a guest window 1023x767): coded one column and row larger,
 * the last ones repeated; the decoded picture matches the source where it
 * has pixels, and nothing reads or writes past the caller's planes. */
static void test_odd_size(void)
{
	enum { OW = 1023, OH = 767 };
	struct he_encoder_config cfg;
	struct he_encoder *enc;
	struct tu_decoder *dec = tu_decoder_new(true);
	g_autofree uint8_t *bgrx = g_malloc((size_t)OW * 4 * OH);
	g_autofree uint8_t *y = g_malloc((size_t)OW * OH), *uv = g_malloc((size_t)(OW + 1) * (OH + 1) / 2);
	struct he_image img = { .fourcc = HXFR_FMT_BGRX, .width = OW, .height = OH,
				.plane = { bgrx }, .stride = { OW * 4 } };
	const AVFrame *f = NULL;
	double psnr;

	for (size_t r = 0; r < OH; r++)
		for (size_t c = 0; c < OW; c++) {
			uint8_t *p = bgrx + r * OW * 4 + c * 4;

			p[0] = (uint8_t)(c * 3), p[1] = (uint8_t)(r * 5), p[2] = (uint8_t)((c + r) / 4), p[3] = 255;
		}
	g_assert_cmpint(he_convert_to_nv12(&img, y, OW, uv, OW + 1), ==, 0);
	he_encoder_config_init(&cfg, OW, OH);
	cfg.bitrate = 20000000;
	enc = he_encoder_create("libx264", &cfg, NULL);
	g_assert_nonnull(enc);
	for (int i = 0; i < 3; i++) {
		struct he_packet pkt;

		g_assert_cmpint(he_encoder_encode(enc, &img, i, i == 0, &pkt), ==, 0);
		g_assert_nonnull(pkt.format);
		/* the stream is coded even; the real size is the caller's */
		g_assert_cmpuint(pkt.format->width, ==, OW + 1);
		g_assert_cmpuint(pkt.format->height, ==, OH + 1);
		f = tu_decoder_decode(dec, pkt.data);
		g_assert_nonnull(f);
		he_packet_clear(&pkt);
	}
	g_assert_cmpint(f->width, ==, OW + 1);
	g_assert_cmpint(f->height, ==, OH + 1);
	psnr = tu_psnr(f->data[0], (size_t)f->linesize[0], 1, y, OW, 1, OW, OH);
	g_test_message("odd size %dx%d: luma PSNR %.1f dB over the real pixels", OW, OH, psnr);
	g_assert_cmpfloat(psnr, >=, MIN_PSNR_DB);
	/* the padding column repeats the last real one (within coding error) */
	for (int r = 0; r < OH; r += 97)
		g_assert_cmpint(abs(f->data[0][r * f->linesize[0] + OW] -
				    f->data[0][r * f->linesize[0] + OW - 1]), <=, 12);
	tu_decoder_free(dec);
	he_encoder_destroy(enc);
}

/* ---- encoding modes ------------------------------------------------------- */

static struct he_encoder *open_mode(uint32_t bitrate, uint32_t gop, bool intra_refresh,
				    uint32_t vbv_frames)
{
	struct he_encoder_config cfg = {
		.width = TW, .height = TH, .bitrate = bitrate, .fps_num = FPS, .fps_den = 1,
		.gop = gop, .intra_refresh = intra_refresh, .vbv_frames = vbv_frames,
	};
	GError *err = NULL;
	struct he_encoder *enc = he_encoder_create("libx264", &cfg, &err);

	g_assert_no_error(err);
	g_assert_nonnull(enc);
	return enc;
}

/* A decoder that joins a running stream at any access unit: libavcodec
 * directly (tu_decoder asserts on the errors a join without an IDR gives). */
struct joiner {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
};

static void joiner_init(struct joiner *j)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);

	j->ctx = avcodec_alloc_context3(codec);
	j->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	j->ctx->thread_count = 1;
	g_assert_cmpint(avcodec_open2(j->ctx, codec, NULL), ==, 0);
	j->pkt = av_packet_alloc();
	j->frame = av_frame_alloc();
}

/* The picture the decoder shows for @p au, or NULL (errors tolerated). */
static const AVFrame *joiner_decode(struct joiner *j, GBytes *au)
{
	gsize size;
	const uint8_t *data = g_bytes_get_data(au, &size);

	g_assert_cmpint(av_new_packet(j->pkt, (int)size), ==, 0);
	memcpy(j->pkt->data, data, size);
	avcodec_send_packet(j->ctx, j->pkt);
	av_packet_unref(j->pkt);
	av_frame_unref(j->frame);
	return avcodec_receive_frame(j->ctx, j->frame) == 0 ? j->frame : NULL;
}

static void joiner_clear(struct joiner *j)
{
	avcodec_free_context(&j->ctx);
	av_packet_free(&j->pkt);
	av_frame_free(&j->frame);
}

/* Intra refresh: no IDR but the first and the forced one, however long the
 * GOP is; every picture decodes; and a decoder that joins the stream
 * without an IDR (at the start of a refresh wave, where the parameter sets
 * come again) has the right picture one wave later. */
static void test_intra_refresh(void)
{
	enum { GOP = 10, FORCED = 45, FRAMES = 60 };
	struct he_encoder *enc = open_mode(TEST_BITRATE, GOP, true, 0);
	struct tu_picture *pic = tu_picture_new(TW, TH);
	struct tu_decoder *dec = tu_decoder_new(true);
	struct joiner late;
	int joined_at = -1;
	double joined_psnr = 0;

	joiner_init(&late);
	for (unsigned i = 0; i < FRAMES; i++) {
		struct he_packet pkt;
		struct he_image img;
		struct he_h264_au_info info;
		const AVFrame *f;

		tu_picture_draw_bars(pic, i);
		tu_picture_to_nv12(pic);
		img = tu_picture_nv12_image(pic);
		g_assert_cmpint(he_encoder_encode(enc, &img, (int64_t)i * FRAME_US, i == FORCED, &pkt),
				==, 0);
		info = scan(pkt.data);
		g_assert_true(pkt.keyframe == (i == 0 || i == FORCED));
		g_assert_true(info.has_idr == pkt.keyframe);
		f = tu_decoder_decode(dec, pkt.data);
		g_assert_nonnull(f);
		g_assert_cmpfloat(compare(f, pic).y, >=, MIN_PSNR_DB);
		/* a wave starts where x264 repeats the parameter sets */
		if (joined_at < 0 && i > 0 && i < FORCED - 2 * GOP && info.has_sps)
			joined_at = (int)i;
		if (joined_at >= 0 && i < FORCED) {
			f = joiner_decode(&late, pkt.data);
			if (f && i >= (unsigned)joined_at + GOP)
				joined_psnr = compare(f, pic).y;
		}
		he_packet_clear(&pkt);
	}
	g_test_message("joined without an IDR at frame %d: %.1f dB a wave later", joined_at,
		       joined_psnr);
	g_assert_cmpint(joined_at, >, 0);
	g_assert_cmpfloat(joined_psnr, >=, MIN_PSNR_DB);
	joiner_clear(&late);
	tu_decoder_free(dec);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

/* Largest access unit over frames 1..59 of noise with a forced IDR at 30. */
static size_t largest_au(uint32_t vbv_frames, size_t *idr_size)
{
	struct he_encoder *enc = open_mode(1000000, 0, false, vbv_frames);
	struct tu_picture *pic = tu_picture_new(TW, TH);
	struct tu_decoder *dec = tu_decoder_new(true);
	size_t largest = 0;

	for (unsigned i = 0; i < 60; i++) {
		struct he_packet pkt;
		struct he_image img;

		tu_picture_draw_noise(pic, i);
		img = tu_picture_bgrx_image(pic);
		g_assert_cmpint(he_encoder_encode(enc, &img, (int64_t)i * FRAME_US, i == 30, &pkt), ==, 0);
		g_assert_true(pkt.keyframe == (i == 0 || i == 30));
		g_assert_nonnull(tu_decoder_decode(dec, pkt.data));
		if (i > 0)
			largest = MAX(largest, g_bytes_get_size(pkt.data));
		if (i == 30)
			*idr_size = g_bytes_get_size(pkt.data);
		he_packet_clear(&pkt);
	}
	tu_decoder_free(dec);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
	return largest;
}

/* A one-frame VBV caps every frame, a forced IDR too, near bitrate / fps;
 * the default half-second buffer lets the IDR grow well past it. */
static void test_vbv_frames(void)
{
	const size_t frame_budget = 1000000 / 8 / FPS; /* 4166 bytes */
	size_t idr_capped = 0, idr_default = 0;
	size_t capped = largest_au(1, &idr_capped), uncapped = largest_au(0, &idr_default);

	g_test_message("largest AU: %zu bytes with a one-frame VBV (IDR %zu), %zu with the default "
		       "(IDR %zu); one frame's budget %zu", capped, idr_capped, uncapped, idr_default,
		       frame_budget);
	g_assert_cmpuint(capped, <=, frame_budget * 3 / 2);
	g_assert_cmpuint(idr_default, >, frame_budget * 3);
}

/* A picture that stops changing stops costing bits: after it has been
 * refined, each frame is a few dozen bytes even with bits to spare (the
 * constant bitrate would otherwise requantise it at QP 0 forever). */
static void test_static_picture(void)
{
	struct he_encoder *enc = open_x264(TW, TH, 2000000, 0, 0);
	struct tu_picture *pic = tu_picture_new(TW, TH);
	struct tu_decoder *dec = tu_decoder_new(true);
	size_t late = 0;

	tu_picture_draw_bars(pic, 3);
	tu_picture_to_nv12(pic);
	for (unsigned i = 0; i < 90; i++) {
		struct he_image img = tu_picture_nv12_image(pic);
		struct he_packet pkt;
		const AVFrame *f;

		g_assert_cmpint(he_encoder_encode(enc, &img, (int64_t)i * FRAME_US, false, &pkt), ==, 0);
		f = tu_decoder_decode(dec, pkt.data);
		g_assert_nonnull(f);
		if (i >= 60) {
			late = MAX(late, g_bytes_get_size(pkt.data));
			g_assert_cmpfloat(compare(f, pic).y, >=, MIN_PSNR_DB);
		}
		he_packet_clear(&pkt);
	}
	g_test_message("largest of frames 60..89 of a still picture: %zu bytes", late);
	g_assert_cmpuint(late, <=, 200);
	tu_decoder_free(dec);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

static void test_invalid_config(void)
{
	const struct he_encoder_config good = {
		.width = TW, .height = TH, .bitrate = TEST_BITRATE, .fps_num = FPS, .fps_den = 1,
	};
	struct he_encoder_config c;
	GError *err = NULL;

	c = good, c.width = HE_ENCODER_MIN_DIM - 1;
	expect_invalid(&c, "libx264");
	c = good, c.height = 15;
	expect_invalid(&c, NULL);
	c = good, c.width = 0;
	expect_invalid(&c, "libx264");
	c = good, c.height = HE_ENCODER_MAX_DIM + 2;
	expect_invalid(&c, "libx264");
	c = good, c.bitrate = 0;
	expect_invalid(&c, "libx264");
	c = good, c.fps_den = 0;
	expect_invalid(&c, "libx264");
	c = good, c.fps_num = 0;
	expect_invalid(&c, "libx264");
	c = good, c.fps_num = 1000;
	expect_invalid(&c, "libx264");
	c = good, c.profile = 88;
	expect_invalid(&c, "libx264");
	c = good, c.vbv_frames = HE_ENCODER_MAX_VBV_FRAMES + 1;
	expect_invalid(&c, "libx264");
	expect_invalid(NULL, "libx264");
	expect_invalid(&good, "h264_bogus");

	g_assert_null(he_encoder_create("libopenh264", &good, &err));
	g_assert_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE);
	g_assert_nonnull(strstr(err->message, "not in this libavcodec build"));
	g_clear_error(&err);

	if (!g_file_test("/dev/dri", G_FILE_TEST_EXISTS)) {
		g_assert_null(he_encoder_create("h264_vaapi", &good, &err));
		g_assert_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE);
		g_assert_nonnull(strstr(err->message, "render node"));
		g_clear_error(&err);
	}
	he_encoder_destroy(NULL);
}

static void test_invalid_image(void)
{
	struct he_encoder *enc = open_x264(64, 64, 200000, 0, 0);
	struct tu_picture *pic = tu_picture_new(64, 64);
	struct tu_picture *small = tu_picture_new(62, 64);
	struct he_image img = tu_picture_nv12_image(pic), bad;
	struct he_packet pkt;

	bad = tu_picture_nv12_image(small);
	g_assert_cmpint(he_encoder_encode(enc, &bad, 0, false, &pkt), ==, -EINVAL);
	g_assert_null(pkt.data);
	bad = img, bad.fourcc = HXFR_FOURCC('Y', 'U', 'Y', 'V');
	g_assert_cmpint(he_encoder_encode(enc, &bad, 0, false, &pkt), ==, -EINVAL);
	bad = img, bad.plane[1] = NULL;
	g_assert_cmpint(he_encoder_encode(enc, &bad, 0, false, &pkt), ==, -EINVAL);
	bad = img, bad.stride[0] = 63;
	g_assert_cmpint(he_encoder_encode(enc, &bad, 0, false, &pkt), ==, -EINVAL);
	g_assert_cmpint(he_encoder_encode(enc, NULL, 0, false, &pkt), ==, -EINVAL);
	g_assert_cmpint(he_encoder_encode(NULL, &img, 0, false, &pkt), ==, -EINVAL);
	g_assert_cmpint(he_encoder_encode(enc, &img, 0, false, NULL), ==, -EINVAL);

	/* Rejected input does not break the encoder; the first real frame is
	 * still the IDR that starts the stream. */
	g_assert_cmpint(he_encoder_encode(enc, &img, 0, false, &pkt), ==, 0);
	g_assert_true(pkt.keyframe);
	he_packet_clear(&pkt);
	he_packet_clear(NULL);
	tu_picture_free(small);
	tu_picture_free(pic);
	he_encoder_destroy(enc);
}

static void test_auto_select(void)
{
	struct he_encoder_config cfg;
	GError *err = NULL;
	struct he_encoder *enc;

	he_encoder_config_init(&cfg, 1920, 1080);
	g_assert_cmpuint(cfg.bitrate, ==, 1920 * 1080 * 4);
	cfg.width = TW;
	cfg.height = TH;
	enc = he_encoder_create(NULL, &cfg, &err);
	g_assert_no_error(err);
	g_assert_nonnull(enc);
	g_test_message("auto-selected %s", he_encoder_name(enc));
	if (!g_file_test("/dev/dri", G_FILE_TEST_EXISTS) && !g_file_test("/dev/nvidiactl", G_FILE_TEST_EXISTS)) {
		g_assert_cmpstr(he_encoder_name(enc), ==, "libx264");
		g_assert_false(he_encoder_is_hardware(enc));
	}
	he_encoder_destroy(enc);
}

static const char *find_line(char **lines, const char *name)
{
	for (char **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, name) && (*l)[strlen(name)] == ' ')
			return *l;
	}
	return NULL;
}

static void test_list(void)
{
	static const char *const names[] = { "h264_videotoolbox", "h264_vaapi", "h264_nvenc", "h264_qsv",
					     "h264_v4l2m2m", "libx264", "libopenh264" };
	GString *out = g_string_new(NULL);
	gint64 t0 = g_get_monotonic_time();
	double ms;
	char **lines;
	unsigned unavailable_hw = 0;

	he_encoder_list(out);
	ms = (g_get_monotonic_time() - t0) / 1000.0;
	g_test_message("he_encoder_list took %.1f ms:\n%s", ms, out->str);
	lines = g_strsplit(out->str, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, G_N_ELEMENTS(names) + 1);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		const char *line = find_line(lines, names[i]);
		const char *rest;

		g_assert_nonnull(line);
		rest = line + strlen(names[i]) + 1;
		g_assert_true(g_str_has_prefix(rest, g_str_has_prefix(names[i], "lib") ? "software " : "hardware "));
		rest += strlen("software ");
		if (!g_str_equal(rest, "works")) {
			g_assert_true(g_str_has_prefix(rest, "unavailable: "));
			g_assert_cmpuint(strlen(rest), >, strlen("unavailable: "));
			if (!g_str_has_prefix(names[i], "lib") && strcmp(names[i], "h264_videotoolbox") != 0)
				unavailable_hw++;
		}
	}
	g_assert_cmpstr(find_line(lines, "libx264"), ==, "libx264 software works");
	g_assert_cmpstr(find_line(lines, "libopenh264"), ==,
			"libopenh264 software unavailable: not in this libavcodec build");
	if (!g_file_test("/dev/dri", G_FILE_TEST_EXISTS)) {
		g_assert_cmpstr(find_line(lines, "h264_vaapi"), ==, "h264_vaapi hardware unavailable: no DRM render node");
		g_assert_cmpuint(unavailable_hw, >, 0);
	}
	/* Budget for a daemon's --list-encoders; sanitizer builds are slower. */
	g_assert_cmpfloat(ms, <, 3000);
	g_strfreev(lines);
	g_string_free(out, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	he_avlog_install();
	g_test_add_func("/media/encoder/encode-decode-psnr", test_encode_decode);
	g_test_add_func("/media/encoder/sps-low-delay", test_sps);
	g_test_add_func("/media/encoder/x264-native-sps", test_x264_native_sps);
	g_test_add_func("/media/encoder/sps-rewrite-decodes", test_sps_rewrite_decodes);
	g_test_add_func("/media/encoder/forced-idr", test_forced_idr);
	g_test_add_func("/media/encoder/gop", test_gop);
	g_test_add_func("/media/encoder/set-bitrate", test_set_bitrate);
	g_test_add_func("/media/encoder/input-formats", test_input_formats);
	g_test_add_func("/media/encoder/profiles", test_profiles);
	g_test_add_func("/media/encoder/odd-size", test_odd_size);
	g_test_add_func("/media/encoder/intra-refresh", test_intra_refresh);
	g_test_add_func("/media/encoder/vbv-frames", test_vbv_frames);
	g_test_add_func("/media/encoder/static-picture", test_static_picture);
	g_test_add_func("/media/encoder/invalid-config", test_invalid_config);
	g_test_add_func("/media/encoder/invalid-image", test_invalid_image);
	g_test_add_func("/media/encoder/auto-select", test_auto_select);
	g_test_add_func("/media/encoder/list", test_list);
	return g_test_run();
}
