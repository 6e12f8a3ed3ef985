/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SPS rewrite: make the VUI promise max_num_reorder_frames = 0 so that
 * browser decoders (WebCodecs, MSE) output each picture as soon as it is
 * decoded instead of holding a reorder window.
 */
#include "h264.h"
#include "h264-bits.h"

#include <errno.h>
#include <string.h>

/* vui_parameters() flags before bitstream_restriction_flag, all 0:
 * aspect_ratio_info, overscan_info, video_signal_type, chroma_loc_info,
 * timing_info, nal_hrd, vcl_hrd (so no low_delay_hrd_flag), pic_struct. */
#define EMPTY_VUI_FLAGS 8

static void write_restriction(struct he_bitwriter *bw, const struct he_h264_sps *sps)
{
	uint32_t dpb = sps->max_num_ref_frames > 1 ? sps->max_num_ref_frames : 1;

	he_bw_u(bw, 1, 1);              /* bitstream_restriction_flag */
	he_bw_u(bw, 1, sps->motion_vectors_over_pic_boundaries);
	he_bw_ue(bw, sps->max_bytes_per_pic_denom);
	he_bw_ue(bw, sps->max_bits_per_mb_denom);
	he_bw_ue(bw, sps->log2_max_mv_length_horizontal);
	he_bw_ue(bw, sps->log2_max_mv_length_vertical);
	he_bw_ue(bw, 0);                /* max_num_reorder_frames */
	he_bw_ue(bw, dpb);              /* max_dec_frame_buffering */
}

/* Build the new RBSP into @bw from the parsed @sps and its RBSP @br. */
static void build_rbsp(struct he_bitwriter *bw, const struct he_bitreader *br,
		       const struct he_h264_sps *sps)
{
	if (sps->vui_present) {
		/* Everything up to the restriction flag is kept bit for bit;
		 * the restriction is the last thing in an SPS. */
		he_bw_copy(bw, br, 0, sps->restriction_flag_bit);
	} else {
		he_bw_copy(bw, br, 0, sps->vui_flag_bit);
		he_bw_u(bw, 1, 1);      /* vui_parameters_present_flag */
		he_bw_u(bw, EMPTY_VUI_FLAGS, 0);
	}
	write_restriction(bw, sps);
}

int he_h264_sps_rewrite(const uint8_t *nal, size_t size, uint8_t **out, size_t *out_size)
{
	struct he_h264_sps sps;
	struct he_bitreader br;
	struct he_bitwriter bw;
	uint8_t *rbsp, *tmp, *res;
	size_t n, len, cap;
	int rc;

	if (!out || !out_size)
		return -EINVAL;
	rc = he_h264_sps_parse(nal, size, &sps);
	if (rc < 0)
		return rc;

	rbsp = g_malloc(size);
	n = he_rbsp_unescape(nal + 1, size - 1, rbsp, size);
	he_br_init(&br, rbsp, n);
	/* The new tail is at most ~1 + 8 + 7 * 11 bits longer than the old. */
	cap = n + 16;
	tmp = g_malloc(cap);
	he_bw_init(&bw, tmp, cap);
	build_rbsp(&bw, &br, &sps);
	len = he_bw_finish(&bw);
	if (bw.error)
		goto overflow;

	res = g_malloc(1 + he_rbsp_escaped_max(len));
	res[0] = nal[0];
	*out_size = 1 + he_rbsp_escape(tmp, len, res + 1);
	*out = res;
	g_free(tmp);
	g_free(rbsp);
	return 0;

	/* ERRORS */
overflow:
	g_free(tmp);
	g_free(rbsp);
	return -EOVERFLOW;
}

/* 1 if @au has an SPS that is not low delay, 0 if none, or -errno. */
static int au_needs_fix(const uint8_t *buf, size_t size)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;
	int rc, need = 0;

	he_h264_iter_init(&it, buf, size);
	while ((rc = he_h264_iter_next(&it, &nal)) > 0) {
		struct he_h264_sps sps;

		if (nal.type != HE_H264_NAL_SPS)
			continue;
		rc = he_h264_sps_parse(nal.data, nal.size, &sps);
		if (rc < 0)
			return rc;
		if (!he_h264_sps_is_low_delay(&sps))
			need = 1;
	}
	return rc < 0 ? rc : need;
}

static int append_fixed(GByteArray *dst, const struct he_h264_nal *nal)
{
	static const uint8_t start_code[] = { 0, 0, 0, 1 };
	uint8_t *sps;
	size_t len;
	int rc;

	rc = he_h264_sps_rewrite(nal->data, nal->size, &sps, &len);
	if (rc < 0)
		return rc;
	g_byte_array_append(dst, start_code, sizeof(start_code));
	g_byte_array_append(dst, sps, (guint)len);
	g_free(sps);
	return 0;
}

int he_h264_au_fix_sps(GBytes *au, GBytes **fixed)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;
	const uint8_t *buf;
	GByteArray *dst;
	size_t size, copied = 0;
	int rc;

	if (!au || !fixed)
		return -EINVAL;
	*fixed = NULL;
	buf = g_bytes_get_data(au, &size);
	if (size > G_MAXUINT - 64)
		return -EOVERFLOW;
	rc = au_needs_fix(buf, size);
	if (rc <= 0)
		return rc;

	dst = g_byte_array_sized_new((guint)size + 64);
	he_h264_iter_init(&it, buf, size);
	while ((rc = he_h264_iter_next(&it, &nal)) > 0) {
		struct he_h264_sps sps;

		if (nal.type != HE_H264_NAL_SPS)
			continue;
		rc = he_h264_sps_parse(nal.data, nal.size, &sps);
		if (rc < 0)
			goto fail;
		if (he_h264_sps_is_low_delay(&sps))
			continue;
		g_byte_array_append(dst, buf + copied, (guint)(nal.offset - copied));
		rc = append_fixed(dst, &nal);
		if (rc < 0)
			goto fail;
		copied = (size_t)(nal.data - buf) + nal.size;
	}
	if (rc < 0)
		goto fail;
	g_byte_array_append(dst, buf + copied, (guint)(size - copied));
	*fixed = g_byte_array_free_to_bytes(dst);
	return 1;

	/* ERRORS */
fail:
	g_byte_array_unref(dst);
	return rc;
}
