/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of daemon/media/h264.c: NAL iteration, AU scan, SPS parse and
 * rewrite, on hand-built bitstreams (built with tests' own bit writer). */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "h264.h"
#include "test-util.h"

/* ---- hand-built SPSs ---------------------------------------------------- */

enum vui_kind {
	VUI_NONE,
	VUI_NO_RESTRICTION,     /* aspect, video signal + colour, timing */
	VUI_REORDER,            /* as above plus restriction with reorder 2 */
	VUI_HRD,                /* as VUI_NO_RESTRICTION plus NAL HRD */
};

struct sps_params {
	uint8_t profile, constraints, level;
	uint32_t w_mbs_m1, h_mbs_m1;
	uint32_t num_ref;
	uint32_t poc_type;
	uint32_t crop_bottom;   /* in crop units, 0 = no cropping */
	bool scaling;           /* high profile only */
	enum vui_kind vui;
};

static void put_hrd(struct tu_bits *w)
{
	tu_bits_ue(w, 0);               /* cpb_cnt_minus1 */
	tu_bits_u(w, 4, 0);
	tu_bits_u(w, 4, 0);
	tu_bits_ue(w, 1000);
	tu_bits_ue(w, 2000);
	tu_bits_u(w, 1, 1);
	tu_bits_u(w, 20, 0x5ad6b);      /* four 5-bit lengths */
}

static void put_vui(struct tu_bits *w, enum vui_kind vui)
{
	tu_bits_u(w, 1, 1);             /* aspect_ratio_info_present */
	tu_bits_u(w, 8, 1);
	tu_bits_u(w, 1, 0);             /* overscan */
	tu_bits_u(w, 1, 1);             /* video_signal_type_present */
	tu_bits_u(w, 3, 5);
	tu_bits_u(w, 1, 0);             /* limited range */
	tu_bits_u(w, 1, 1);
	tu_bits_u(w, 8, 1);
	tu_bits_u(w, 8, 13);
	tu_bits_u(w, 8, 6);
	tu_bits_u(w, 1, 0);             /* chroma_loc */
	tu_bits_u(w, 1, 1);             /* timing */
	tu_bits_u(w, 32, 1);
	tu_bits_u(w, 32, 60);
	tu_bits_u(w, 1, 1);
	tu_bits_u(w, 1, vui == VUI_HRD);
	if (vui == VUI_HRD)
		put_hrd(w);
	tu_bits_u(w, 1, 0);             /* vcl_hrd */
	if (vui == VUI_HRD)
		tu_bits_u(w, 1, 0);     /* low_delay_hrd_flag */
	tu_bits_u(w, 1, 0);             /* pic_struct_present */
	tu_bits_u(w, 1, vui == VUI_REORDER);
	if (vui == VUI_REORDER) {
		tu_bits_u(w, 1, 1);
		tu_bits_ue(w, 2);
		tu_bits_ue(w, 1);
		tu_bits_ue(w, 13);
		tu_bits_ue(w, 11);
		tu_bits_ue(w, 2);       /* max_num_reorder_frames */
		tu_bits_ue(w, 4);       /* max_dec_frame_buffering */
	}
}

static void put_chroma_info(struct tu_bits *w, bool scaling)
{
	tu_bits_ue(w, 1);               /* 4:2:0 */
	tu_bits_ue(w, 0);
	tu_bits_ue(w, 0);
	tu_bits_u(w, 1, 0);
	tu_bits_u(w, 1, scaling);
	if (!scaling)
		return;
	for (unsigned i = 0; i < 8; i++) {
		tu_bits_u(w, 1, i == 0 || i == 6);
		if (i == 0 || i == 6) {
			unsigned size = i < 6 ? 16 : 64;

			tu_bits_se(w, 8);       /* 8 -> 16 */
			for (unsigned j = 1; j < size; j++)
				tu_bits_se(w, j % 2 ? 1 : -1);
		}
	}
}

static uint8_t *build_sps(const struct sps_params *p, size_t *size)
{
	struct tu_bits w = { 0 };

	tu_bits_u(&w, 8, p->profile);
	tu_bits_u(&w, 8, p->constraints);
	tu_bits_u(&w, 8, p->level);
	tu_bits_ue(&w, 0);              /* seq_parameter_set_id */
	if (p->profile == 100)
		put_chroma_info(&w, p->scaling);
	tu_bits_ue(&w, 0);              /* log2_max_frame_num_minus4 */
	tu_bits_ue(&w, p->poc_type);
	if (p->poc_type == 0) {
		tu_bits_ue(&w, 2);
	} else if (p->poc_type == 1) {
		tu_bits_u(&w, 1, 0);
		tu_bits_se(&w, -1);
		tu_bits_se(&w, 2);
		tu_bits_ue(&w, 2);
		tu_bits_se(&w, 1);
		tu_bits_se(&w, -1);
	}
	tu_bits_ue(&w, p->num_ref);
	tu_bits_u(&w, 1, 0);            /* gaps */
	tu_bits_ue(&w, p->w_mbs_m1);
	tu_bits_ue(&w, p->h_mbs_m1);
	tu_bits_u(&w, 1, 1);            /* frame_mbs_only */
	tu_bits_u(&w, 1, 1);            /* direct_8x8_inference */
	tu_bits_u(&w, 1, p->crop_bottom != 0);
	if (p->crop_bottom) {
		tu_bits_ue(&w, 0);
		tu_bits_ue(&w, 0);
		tu_bits_ue(&w, 0);
		tu_bits_ue(&w, p->crop_bottom);
	}
	tu_bits_u(&w, 1, p->vui != VUI_NONE);
	if (p->vui != VUI_NONE)
		put_vui(&w, p->vui);
	return tu_bits_to_nal(&w, 0x67, size);
}

/* 320x240 constrained baseline, one reference, no VUI. */
static const struct sps_params baseline_no_vui = {
	.profile = 66, .constraints = 0xc0, .level = 13,
	.w_mbs_m1 = 19, .h_mbs_m1 = 14, .num_ref = 1, .poc_type = 2,
};

static bool has_start_code_emulation(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] <= 2)
			return true;
	}
	return false;
}

static bool has_epb(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 3)
			return true;
	}
	return false;
}

/* Rewrite @sps_nal and check the result keeps everything but the restriction. */
static void check_rewrite(const uint8_t *nal, size_t size, uint32_t want_dpb)
{
	struct he_h264_sps before, after;
	uint8_t *out = NULL;
	size_t out_size = 0;

	g_assert_cmpint(he_h264_sps_parse(nal, size, &before), ==, 0);
	g_assert_cmpint(he_h264_sps_rewrite(nal, size, &out, &out_size), ==, 0);
	g_assert_false(has_start_code_emulation(out + 1, out_size - 1));
	if (has_epb(nal, size))
		g_assert_true(has_epb(out, out_size));
	g_assert_cmpuint(out[0], ==, nal[0]);
	g_assert_cmpint(he_h264_sps_parse(out, out_size, &after), ==, 0);

	g_assert_true(after.vui_present);
	g_assert_true(after.bitstream_restriction);
	g_assert_cmpuint(after.max_num_reorder_frames, ==, 0);
	g_assert_cmpuint(after.max_dec_frame_buffering, ==, want_dpb);
	g_assert_true(he_h264_sps_is_low_delay(&after));

	g_assert_cmpuint(after.profile_idc, ==, before.profile_idc);
	g_assert_cmpuint(after.constraint_flags, ==, before.constraint_flags);
	g_assert_cmpuint(after.level_idc, ==, before.level_idc);
	g_assert_cmpuint(after.width, ==, before.width);
	g_assert_cmpuint(after.height, ==, before.height);
	g_assert_cmpuint(after.max_num_ref_frames, ==, before.max_num_ref_frames);
	g_assert_cmpuint(after.timing_info_present, ==, before.timing_info_present);
	g_assert_cmpuint(after.time_scale, ==, before.time_scale);
	g_assert_cmpuint(after.matrix_coefficients, ==, before.matrix_coefficients);
	g_assert_cmpuint(after.log2_max_mv_length_horizontal, ==, before.log2_max_mv_length_horizontal);

	/* Idempotent: rewriting again gives the same bytes. */
	{
		uint8_t *again = NULL;
		size_t again_size = 0;

		g_assert_cmpint(he_h264_sps_rewrite(out, out_size, &again, &again_size), ==, 0);
		g_assert_cmpmem(again, again_size, out, out_size);
		g_free(again);
	}
	g_free(out);
}

/* ---- tests -------------------------------------------------------------- */

static void test_iter_start_codes(void)
{
	static const uint8_t buf[] = { 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x42, 0x00, 0, 0, 1, 0x68, 0xce, 0, 0 };
	struct he_h264_iter it;
	struct he_h264_nal nal;

	he_h264_iter_init(&it, buf, sizeof(buf));
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 1);
	g_assert_cmpuint(nal.type, ==, HE_H264_NAL_AUD);
	g_assert_cmpuint(nal.start_code, ==, 3);
	g_assert_cmpuint(nal.offset, ==, 0);
	g_assert_cmpuint(nal.size, ==, 2);

	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 1);
	g_assert_cmpuint(nal.type, ==, HE_H264_NAL_SPS);
	g_assert_cmpuint(nal.start_code, ==, 4);
	g_assert_cmpuint(nal.offset, ==, 5);
	g_assert_cmpuint(nal.ref_idc, ==, 3);
	/* "67 42 00": the trailing 00 belongs to the next start code. */
	g_assert_cmpuint(nal.size, ==, 2);

	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 1);
	g_assert_cmpuint(nal.type, ==, HE_H264_NAL_PPS);
	g_assert_cmpuint(nal.size, ==, 2);      /* trailing zeros trimmed */
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 0);
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 0);
}

static void test_iter_malformed(void)
{
	static const uint8_t lead_zeros[] = { 0, 0, 0, 0, 1, 0x09, 0xf0 };
	static const uint8_t garbage[] = { 0xff, 0, 0, 1, 0x09, 0xf0 };
	static const uint8_t only_zeros[] = { 0, 0, 0 };
	static const uint8_t empty_nal[] = { 0, 0, 1, 0, 0, 1, 0x09, 0xf0 };
	static const uint8_t lone_start[] = { 0, 0, 1 };
	static const uint8_t forbidden[] = { 0, 0, 1, 0x89, 0xf0 };
	static const uint8_t one_zero[] = { 0, 1, 0x09 };
	struct he_h264_iter it;
	struct he_h264_nal nal;

	he_h264_iter_init(&it, lead_zeros, sizeof(lead_zeros));
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 1);
	g_assert_cmpuint(nal.start_code, ==, 4);
	g_assert_cmpuint(nal.offset, ==, 1);

	he_h264_iter_init(&it, garbage, sizeof(garbage));
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, -EBADMSG);
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 0);
	he_h264_iter_init(&it, NULL, 0);
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 0);
	he_h264_iter_init(&it, only_zeros, sizeof(only_zeros));
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, 0);
	he_h264_iter_init(&it, empty_nal, sizeof(empty_nal));
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, -EBADMSG);
	he_h264_iter_init(&it, lone_start, sizeof(lone_start));
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, -EBADMSG);
	he_h264_iter_init(&it, forbidden, sizeof(forbidden));
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, -EBADMSG);
	he_h264_iter_init(&it, one_zero, sizeof(one_zero));
	g_assert_cmpint(he_h264_iter_next(&it, &nal), ==, -EBADMSG);
}

static void append_nal(GByteArray *a, uint8_t header, uint32_t first_mb)
{
	static const uint8_t sc[] = { 0, 0, 0, 1 };
	struct tu_bits w = { 0 };
	uint8_t *nal;
	size_t size;

	tu_bits_ue(&w, first_mb);
	tu_bits_ue(&w, 7);              /* slice_type: anything after */
	nal = tu_bits_to_nal(&w, header, &size);
	g_byte_array_append(a, sc, sizeof(sc));
	g_byte_array_append(a, nal, (guint)size);
	g_free(nal);
}

static void test_scan_access_units(void)
{
	GByteArray *a = g_byte_array_new();
	struct he_h264_au_info info;

	append_nal(a, 0x67, 0);         /* SPS (payload irrelevant here) */
	append_nal(a, 0x68, 0);         /* PPS */
	append_nal(a, 0x65, 0);         /* IDR, first_mb 0: AU 1 */
	append_nal(a, 0x65, 10);        /* second slice of AU 1 */
	append_nal(a, 0x41, 0);         /* P slice, first_mb 0: AU 2 */
	append_nal(a, 0x41, 5);
	append_nal(a, 0x06, 0);         /* SEI ends AU 2 */
	append_nal(a, 0x41, 0);         /* AU 3 */

	g_assert_cmpint(he_h264_scan(a->data, a->len, &info), ==, 0);
	g_assert_cmpuint(info.access_units, ==, 3);
	g_assert_cmpuint(info.nals, ==, 8);
	g_assert_cmpuint(info.slices, ==, 5);
	g_assert_true(info.has_idr && info.has_sps && info.has_pps);
	g_assert_cmpint(info.first_type, ==, HE_H264_NAL_SPS);
	g_byte_array_unref(a);

	a = g_byte_array_new();
	append_nal(a, 0x41, 0);
	g_assert_cmpint(he_h264_scan(a->data, a->len, &info), ==, 0);
	g_assert_cmpuint(info.access_units, ==, 1);
	g_assert_false(info.has_idr);
	/* A slice NAL with only a header byte has no first_mb_in_slice. */
	g_byte_array_set_size(a, 5);
	g_assert_cmpint(he_h264_scan(a->data, a->len, &info), ==, -EBADMSG);
	g_byte_array_unref(a);
}

static void test_sps_parse_baseline(void)
{
	struct he_h264_sps sps;
	size_t size;
	uint8_t *nal = build_sps(&baseline_no_vui, &size);

	g_assert_cmpint(he_h264_sps_parse(nal, size, &sps), ==, 0);
	g_assert_cmpuint(sps.profile_idc, ==, 66);
	g_assert_cmpuint(sps.constraint_flags, ==, 0xc0);
	g_assert_cmpuint(sps.level_idc, ==, 13);
	g_assert_cmpuint(sps.width, ==, 320);
	g_assert_cmpuint(sps.height, ==, 240);
	g_assert_cmpuint(sps.max_num_ref_frames, ==, 1);
	g_assert_false(sps.vui_present);
	g_assert_false(sps.bitstream_restriction);
	g_assert_false(he_h264_sps_is_low_delay(&sps));

	/* Not an SPS / bad arguments. */
	nal[0] = 0x68;
	g_assert_cmpint(he_h264_sps_parse(nal, size, &sps), ==, -EINVAL);
	nal[0] = 0x67;
	g_assert_cmpint(he_h264_sps_parse(NULL, size, &sps), ==, -EINVAL);
	g_assert_cmpint(he_h264_sps_parse(nal, 1, &sps), ==, -EINVAL);
	g_free(nal);
}

static void test_sps_parse_high(void)
{
	struct sps_params p = {
		.profile = 100, .level = 40, .w_mbs_m1 = 119, .h_mbs_m1 = 67, .num_ref = 3,
		.poc_type = 0, .crop_bottom = 4, .scaling = true, .vui = VUI_HRD,
	};
	struct he_h264_sps sps;
	size_t size;
	uint8_t *nal = build_sps(&p, &size);

	g_assert_cmpint(he_h264_sps_parse(nal, size, &sps), ==, 0);
	g_assert_cmpuint(sps.profile_idc, ==, 100);
	g_assert_cmpuint(sps.chroma_format_idc, ==, 1);
	g_assert_cmpuint(sps.width, ==, 1920);
	g_assert_cmpuint(sps.height, ==, 1080);
	g_assert_true(sps.vui_present);
	g_assert_true(sps.colour_description_present);
	g_assert_cmpuint(sps.matrix_coefficients, ==, 6);
	g_assert_cmpuint(sps.transfer_characteristics, ==, 13);
	g_assert_false(sps.video_full_range);
	g_assert_cmpuint(sps.time_scale, ==, 60);
	g_assert_false(sps.bitstream_restriction);
	check_rewrite(nal, size, 3);
	g_free(nal);

	p.poc_type = 1;
	p.vui = VUI_REORDER;
	nal = build_sps(&p, &size);
	g_assert_cmpint(he_h264_sps_parse(nal, size, &sps), ==, 0);
	g_assert_true(sps.bitstream_restriction);
	g_assert_cmpuint(sps.max_num_reorder_frames, ==, 2);
	g_assert_cmpuint(sps.max_dec_frame_buffering, ==, 4);
	g_assert_cmpuint(sps.log2_max_mv_length_horizontal, ==, 13);
	g_assert_false(he_h264_sps_is_low_delay(&sps));
	check_rewrite(nal, size, 3);
	g_free(nal);
}

static void test_sps_rewrite_adds_vui(void)
{
	struct he_h264_sps sps;
	uint8_t *nal, *out = NULL;
	size_t size, out_size;

	nal = build_sps(&baseline_no_vui, &size);
	check_rewrite(nal, size, 1);
	g_assert_cmpint(he_h264_sps_rewrite(nal, size, &out, &out_size), ==, 0);
	g_assert_cmpint(he_h264_sps_parse(out, out_size, &sps), ==, 0);
	/* An added VUI carries only the restriction, with inferred defaults. */
	g_assert_false(sps.timing_info_present);
	g_assert_false(sps.video_signal_type_present);
	g_assert_true(sps.motion_vectors_over_pic_boundaries);
	g_assert_cmpuint(sps.max_bytes_per_pic_denom, ==, 2);
	g_assert_cmpuint(sps.max_bits_per_mb_denom, ==, 1);
	g_assert_cmpuint(sps.log2_max_mv_length_horizontal, ==, 16);
	g_assert_cmpuint(sps.log2_max_mv_length_vertical, ==, 16);
	g_free(out);
	g_free(nal);

	/* With a VUI but no restriction: the VUI is kept, restriction appended. */
	{
		struct sps_params p = baseline_no_vui;

		p.vui = VUI_NO_RESTRICTION;
		nal = build_sps(&p, &size);
		check_rewrite(nal, size, 1);
		g_free(nal);
	}
}

static void test_sps_emulation_prevention(void)
{
	/* num_units_in_tick = 1 is 31 zero bits then a one: the escaped NAL
	 * unit must carry 00 00 03, which parse removes and rewrite restores. */
	struct sps_params p = baseline_no_vui;
	struct he_h264_sps sps;
	uint8_t *nal;
	size_t size;

	p.w_mbs_m1 = 255;
	p.h_mbs_m1 = 1023;
	p.vui = VUI_NO_RESTRICTION;
	nal = build_sps(&p, &size);
	g_assert_true(has_epb(nal, size));
	g_assert_cmpint(he_h264_sps_parse(nal, size, &sps), ==, 0);
	g_assert_cmpuint(sps.width, ==, 4096);
	g_assert_cmpuint(sps.height, ==, 16384);
	g_assert_cmpuint(sps.num_units_in_tick, ==, 1);
	g_assert_cmpuint(sps.time_scale, ==, 60);
	check_rewrite(nal, size, 1);
	g_free(nal);

	/* 1024 macroblocks is over the parser's plausibility cap. */
	p.h_mbs_m1 = 1024;
	nal = build_sps(&p, &size);
	g_assert_cmpint(he_h264_sps_parse(nal, size, &sps), ==, -EBADMSG);
	g_free(nal);
}

static void test_sps_truncated(void)
{
	struct sps_params p = {
		.profile = 100, .level = 40, .w_mbs_m1 = 119, .h_mbs_m1 = 67, .num_ref = 3,
		.crop_bottom = 4, .scaling = true, .vui = VUI_REORDER,
	};
	struct he_h264_sps sps;
	uint8_t *nal, *out, *longer;
	size_t size, out_size;

	nal = build_sps(&p, &size);
	for (size_t n = 0; n < size; n++) {
		out = NULL;
		g_assert_cmpint(he_h264_sps_parse(nal, n, &sps), <, 0);
		g_assert_cmpint(he_h264_sps_rewrite(nal, n, &out, &out_size), <, 0);
		g_assert_null(out);
	}
	/* Data after the stop bit is not an SPS we understand either. */
	longer = g_malloc(size + 1);
	memcpy(longer, nal, size);
	longer[size] = 0x80;
	g_assert_cmpint(he_h264_sps_parse(longer, size + 1, &sps), ==, -EBADMSG);
	g_free(longer);
	g_free(nal);
}

/* Parse and rewrite must never crash; whatever rewrites must parse back
 * as low delay. */
static void parse_anything(const uint8_t *nal, size_t size)
{
	struct he_h264_sps sps, again;
	uint8_t *out = NULL;
	size_t out_size;

	if (he_h264_sps_parse(nal, size, &sps) < 0)
		return;
	g_assert_cmpint(he_h264_sps_rewrite(nal, size, &out, &out_size), ==, 0);
	g_assert_cmpint(he_h264_sps_parse(out, out_size, &again), ==, 0);
	g_assert_true(he_h264_sps_is_low_delay(&again));
	g_free(out);
}

static void test_sps_garbage(void)
{
	struct sps_params p = {
		.profile = 100, .level = 40, .w_mbs_m1 = 119, .h_mbs_m1 = 67, .num_ref = 3,
		.crop_bottom = 4, .scaling = true, .vui = VUI_HRD,
	};
	GRand *rand = g_rand_new_with_seed(42);
	uint8_t buf[96], *valid;
	size_t valid_size;

	for (unsigned i = 0; i < 20000; i++) {
		size_t n = (size_t)g_rand_int_range(rand, 1, sizeof(buf));

		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)g_rand_int(rand);
		buf[0] = 0x67;
		parse_anything(buf, n);
	}
	/* Bit flips in a valid SPS reach the deeper syntax. */
	valid = build_sps(&p, &valid_size);
	g_assert_cmpuint(valid_size, <=, sizeof(buf));
	for (unsigned i = 0; i < 20000; i++) {
		memcpy(buf, valid, valid_size);
		for (unsigned k = 0; k < 3; k++) {
			size_t bit = (size_t)g_rand_int_range(rand, 8, (gint32)valid_size * 8);

			buf[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
		}
		parse_anything(buf, valid_size);
	}
	g_free(valid);
	g_rand_free(rand);
}

static GBytes *make_au(const uint8_t *sps, size_t sps_size)
{
	static const uint8_t sc4[] = { 0, 0, 0, 1 }, sc3[] = { 0, 0, 1 };
	static const uint8_t aud[] = { 0x09, 0xf0 };
	static const uint8_t pps[] = { 0x68, 0xce, 0x38, 0x80 };
	static const uint8_t idr[] = { 0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01, 0x7f };
	GByteArray *a = g_byte_array_new();

	g_byte_array_append(a, sc4, 4);
	g_byte_array_append(a, aud, sizeof(aud));
	g_byte_array_append(a, sc4, 4);
	g_byte_array_append(a, sps, (guint)sps_size);
	g_byte_array_append(a, sc3, 3);
	g_byte_array_append(a, pps, sizeof(pps));
	g_byte_array_append(a, sc3, 3);
	g_byte_array_append(a, idr, sizeof(idr));
	return g_byte_array_free_to_bytes(a);
}

static void test_au_fix_sps(void)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;
	struct he_h264_au_info info;
	GBytes *au, *fixed = NULL, *fixed2 = NULL;
	gsize size;
	const uint8_t *data;
	uint8_t *sps;
	size_t sps_size;
	unsigned n = 0;

	sps = build_sps(&baseline_no_vui, &sps_size);
	au = make_au(sps, sps_size);
	g_assert_cmpint(he_h264_au_fix_sps(au, &fixed), ==, 1);
	g_assert_nonnull(fixed);

	data = g_bytes_get_data(fixed, &size);
	g_assert_cmpint(he_h264_scan(data, size, &info), ==, 0);
	g_assert_cmpuint(info.access_units, ==, 1);
	he_h264_iter_init(&it, data, size);
	while (he_h264_iter_next(&it, &nal) > 0) {
		struct he_h264_sps parsed;
		static const uint8_t pps_tail[] = { 0xce, 0x38, 0x80 };
		static const uint8_t idr_tail[] = { 0x88, 0x84, 0x00, 0x00, 0x03, 0x01, 0x7f };

		n++;
		if (nal.type == HE_H264_NAL_SPS) {
			g_assert_cmpint(he_h264_sps_parse(nal.data, nal.size, &parsed), ==, 0);
			g_assert_true(he_h264_sps_is_low_delay(&parsed));
			g_assert_cmpuint(nal.start_code, ==, 4);
		} else if (nal.type == HE_H264_NAL_PPS) {
			g_assert_cmpmem(nal.data + 1, nal.size - 1, pps_tail, sizeof(pps_tail));
		} else if (nal.type == HE_H264_NAL_IDR) {
			g_assert_cmpmem(nal.data + 1, nal.size - 1, idr_tail, sizeof(idr_tail));
		}
	}
	g_assert_cmpuint(n, ==, 4);

	/* Already low delay: nothing to do. */
	g_assert_cmpint(he_h264_au_fix_sps(fixed, &fixed2), ==, 0);
	g_assert_null(fixed2);
	g_bytes_unref(fixed);
	g_bytes_unref(au);

	/* No SPS at all, and garbage. */
	au = g_bytes_new_static("\x00\x00\x01\x41\x9a", 5);
	g_assert_cmpint(he_h264_au_fix_sps(au, &fixed), ==, 0);
	g_bytes_unref(au);
	au = g_bytes_new_static("\x12\x34", 2);
	g_assert_cmpint(he_h264_au_fix_sps(au, &fixed), ==, -EBADMSG);
	g_assert_null(fixed);
	g_bytes_unref(au);
	g_free(sps);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/media/h264/iter-start-codes", test_iter_start_codes);
	g_test_add_func("/media/h264/iter-malformed", test_iter_malformed);
	g_test_add_func("/media/h264/scan-access-units", test_scan_access_units);
	g_test_add_func("/media/h264/sps-parse-baseline", test_sps_parse_baseline);
	g_test_add_func("/media/h264/sps-parse-high", test_sps_parse_high);
	g_test_add_func("/media/h264/sps-rewrite-adds-vui", test_sps_rewrite_adds_vui);
	g_test_add_func("/media/h264/sps-emulation-prevention", test_sps_emulation_prevention);
	g_test_add_func("/media/h264/sps-truncated", test_sps_truncated);
	g_test_add_func("/media/h264/sps-garbage", test_sps_garbage);
	g_test_add_func("/media/h264/au-fix-sps", test_au_fix_sps);
	return g_test_run();
}
