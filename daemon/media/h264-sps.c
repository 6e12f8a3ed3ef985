/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sequence parameter set parser (H.264 7.3.2.1.1 and Annex E.1.1). */
#include "h264.h"
#include "h264-bits.h"

#include <errno.h>
#include <string.h>

/* Larger pictures than this are rejected as implausible (and keep the
 * size arithmetic far from overflow). */
#define MAX_MBS_PER_DIM 1024u

static bool has_chroma_info(uint8_t profile_idc)
{
	static const uint8_t high[] = { 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135 };

	for (size_t i = 0; i < sizeof(high); i++) {
		if (high[i] == profile_idc)
			return true;
	}
	return false;
}

static int skip_scaling_list(struct he_bitreader *br, unsigned size)
{
	int32_t last = 8, next = 8;

	for (unsigned j = 0; j < size && !br->error; j++) {
		if (next != 0) {
			int32_t delta = he_br_se(br);

			if (delta < -128 || delta > 127)
				return -EBADMSG;
			next = (last + delta + 256) % 256;
		}
		last = next == 0 ? last : next;
	}
	return br->error ? -EBADMSG : 0;
}

/* chroma_format_idc .. seq_scaling_matrix, present for the high profiles. */
static int parse_chroma_info(struct he_bitreader *br, struct he_h264_sps *sps)
{
	uint32_t chroma = he_br_ue(br), depth_l, depth_c;

	if (chroma > 3)
		return -EBADMSG;
	sps->chroma_format_idc = (uint8_t)chroma;
	if (chroma == 3)
		he_br_flag(br);         /* separate_colour_plane_flag */
	depth_l = he_br_ue(br);
	depth_c = he_br_ue(br);
	if (depth_l > 6 || depth_c > 6)
		return -EBADMSG;
	sps->bit_depth_luma = (uint8_t)(depth_l + 8);
	sps->bit_depth_chroma = (uint8_t)(depth_c + 8);
	he_br_flag(br);                 /* qpprime_y_zero_transform_bypass_flag */
	if (he_br_flag(br)) {           /* seq_scaling_matrix_present_flag */
		unsigned lists = chroma != 3 ? 8 : 12;

		for (unsigned i = 0; i < lists; i++) {
			if (he_br_flag(br) && skip_scaling_list(br, i < 6 ? 16 : 64) < 0)
				return -EBADMSG;
		}
	}
	return br->error ? -EBADMSG : 0;
}

static int parse_poc(struct he_bitreader *br, struct he_h264_sps *sps)
{
	uint32_t type = he_br_ue(br);

	if (type > 2)
		return -EBADMSG;
	sps->pic_order_cnt_type = (uint8_t)type;
	if (type == 0) {
		if (he_br_ue(br) > 12)  /* log2_max_pic_order_cnt_lsb_minus4 */
			return -EBADMSG;
	} else if (type == 1) {
		uint32_t cycle;

		he_br_flag(br);         /* delta_pic_order_always_zero_flag */
		he_br_se(br);           /* offset_for_non_ref_pic */
		he_br_se(br);           /* offset_for_top_to_bottom_field */
		cycle = he_br_ue(br);
		if (cycle > 255)
			return -EBADMSG;
		for (uint32_t i = 0; i < cycle && !br->error; i++)
			he_br_se(br);   /* offset_for_ref_frame[i] */
	}
	return br->error ? -EBADMSG : 0;
}

/* pic_width_in_mbs_minus1 .. frame_cropping; sets width and height. */
static int parse_frame_size(struct he_bitreader *br, struct he_h264_sps *sps)
{
	uint32_t w_mbs = he_br_ue(br), h_units = he_br_ue(br), h_mbs;
	uint64_t crop_x = 0, crop_y = 0;
	unsigned unit_x = 1, unit_y;

	if (w_mbs >= MAX_MBS_PER_DIM || h_units >= MAX_MBS_PER_DIM)
		return -EBADMSG;
	sps->frame_mbs_only = he_br_flag(br);
	if (!sps->frame_mbs_only)
		he_br_flag(br);         /* mb_adaptive_frame_field_flag */
	he_br_flag(br);                 /* direct_8x8_inference_flag */
	h_mbs = (h_units + 1) * (sps->frame_mbs_only ? 1u : 2u);

	/* CropUnitX/Y (7-19..7-22); ChromaArrayType 0 when monochrome. */
	unit_y = sps->frame_mbs_only ? 1 : 2;
	if (sps->chroma_format_idc == 1 || sps->chroma_format_idc == 2)
		unit_x = 2;
	if (sps->chroma_format_idc == 1)
		unit_y *= 2;
	if (he_br_flag(br)) {           /* frame_cropping_flag */
		crop_x = (uint64_t)he_br_ue(br) + he_br_ue(br);
		crop_y = (uint64_t)he_br_ue(br) + he_br_ue(br);
	}
	if (br->error)
		return -EBADMSG;
	if (crop_x * unit_x >= (w_mbs + 1) * 16ull || crop_y * unit_y >= h_mbs * 16ull)
		return -EBADMSG;
	sps->width = (uint32_t)((w_mbs + 1) * 16ull - crop_x * unit_x);
	sps->height = (uint32_t)(h_mbs * 16ull - crop_y * unit_y);
	return 0;
}

static int parse_hrd(struct he_bitreader *br)
{
	uint32_t cpb_cnt = he_br_ue(br) + 1;

	if (cpb_cnt > 32)
		return -EBADMSG;
	he_br_u(br, 8);                 /* bit_rate_scale, cpb_size_scale */
	for (uint32_t i = 0; i < cpb_cnt && !br->error; i++) {
		he_br_ue(br);           /* bit_rate_value_minus1 */
		he_br_ue(br);           /* cpb_size_value_minus1 */
		he_br_flag(br);         /* cbr_flag */
	}
	he_br_u(br, 20);                /* four 5-bit delay/length fields */
	return br->error ? -EBADMSG : 0;
}

static void set_restriction_defaults(struct he_h264_sps *sps)
{
	/* Inferred values of E.2.1 when bitstream_restriction_flag is 0; the
	 * two DPB fields are really "MaxDpbFrames", 16 is the safe bound. */
	sps->motion_vectors_over_pic_boundaries = true;
	sps->max_bytes_per_pic_denom = 2;
	sps->max_bits_per_mb_denom = 1;
	sps->log2_max_mv_length_horizontal = 16;
	sps->log2_max_mv_length_vertical = 16;
	sps->max_num_reorder_frames = 16;
	sps->max_dec_frame_buffering = 16;
}

static int parse_restriction(struct he_bitreader *br, struct he_h264_sps *sps)
{
	uint32_t v[6];

	sps->motion_vectors_over_pic_boundaries = he_br_flag(br);
	for (unsigned i = 0; i < 6; i++) {
		v[i] = he_br_ue(br);
		if (v[i] > 16)
			return -EBADMSG;
	}
	sps->max_bytes_per_pic_denom = v[0];
	sps->max_bits_per_mb_denom = v[1];
	sps->log2_max_mv_length_horizontal = v[2];
	sps->log2_max_mv_length_vertical = v[3];
	sps->max_num_reorder_frames = v[4];
	sps->max_dec_frame_buffering = v[5];
	return br->error ? -EBADMSG : 0;
}

static void parse_video_signal(struct he_bitreader *br, struct he_h264_sps *sps)
{
	sps->video_signal_type_present = true;
	he_br_u(br, 3);                 /* video_format */
	sps->video_full_range = he_br_flag(br);
	sps->colour_description_present = he_br_flag(br);
	if (sps->colour_description_present) {
		sps->colour_primaries = (uint8_t)he_br_u(br, 8);
		sps->transfer_characteristics = (uint8_t)he_br_u(br, 8);
		sps->matrix_coefficients = (uint8_t)he_br_u(br, 8);
	}
}

static int parse_vui(struct he_bitreader *br, struct he_h264_sps *sps)
{
	bool nal_hrd, vcl_hrd;

	if (he_br_flag(br) && he_br_u(br, 8) == 255)    /* aspect_ratio_idc */
		he_br_u(br, 32);        /* sar_width, sar_height */
	if (he_br_flag(br))             /* overscan_info_present_flag */
		he_br_flag(br);
	if (he_br_flag(br))
		parse_video_signal(br, sps);
	if (he_br_flag(br)) {           /* chroma_loc_info_present_flag */
		if (he_br_ue(br) > 5 || he_br_ue(br) > 5)
			return -EBADMSG;
	}
	sps->timing_info_present = he_br_flag(br);
	if (sps->timing_info_present) {
		sps->num_units_in_tick = he_br_u(br, 32);
		sps->time_scale = he_br_u(br, 32);
		he_br_flag(br);         /* fixed_frame_rate_flag */
	}
	nal_hrd = he_br_flag(br);
	if (nal_hrd && parse_hrd(br) < 0)
		return -EBADMSG;
	vcl_hrd = he_br_flag(br);
	if (vcl_hrd && parse_hrd(br) < 0)
		return -EBADMSG;
	if (nal_hrd || vcl_hrd)
		he_br_flag(br);         /* low_delay_hrd_flag */
	he_br_flag(br);                 /* pic_struct_present_flag */

	sps->restriction_flag_bit = br->pos;
	sps->bitstream_restriction = he_br_flag(br);
	if (sps->bitstream_restriction)
		return parse_restriction(br, sps);
	return br->error ? -EBADMSG : 0;
}

/* rbsp_trailing_bits(): a one bit, then only zero bits. */
static int check_trailing(struct he_bitreader *br)
{
	if (!he_br_flag(br))
		return -EBADMSG;
	while (he_br_left(br) > 0) {
		if (he_br_flag(br))
			return -EBADMSG;
	}
	return br->error ? -EBADMSG : 0;
}

static int parse_rbsp(struct he_bitreader *br, struct he_h264_sps *sps)
{
	uint32_t id;
	int rc;

	sps->profile_idc = (uint8_t)he_br_u(br, 8);
	sps->constraint_flags = (uint8_t)he_br_u(br, 8);
	sps->level_idc = (uint8_t)he_br_u(br, 8);
	id = he_br_ue(br);
	if (br->error || id > 31)
		return -EBADMSG;
	sps->sps_id = (uint8_t)id;
	sps->chroma_format_idc = 1;
	sps->bit_depth_luma = sps->bit_depth_chroma = 8;
	if (has_chroma_info(sps->profile_idc) && (rc = parse_chroma_info(br, sps)) < 0)
		return rc;
	if (he_br_ue(br) > 12)          /* log2_max_frame_num_minus4 */
		return -EBADMSG;
	if ((rc = parse_poc(br, sps)) < 0)
		return rc;
	sps->max_num_ref_frames = he_br_ue(br);
	if (sps->max_num_ref_frames > 16)
		return -EBADMSG;
	he_br_flag(br);                 /* gaps_in_frame_num_value_allowed_flag */
	if ((rc = parse_frame_size(br, sps)) < 0)
		return rc;

	sps->vui_flag_bit = br->pos;
	sps->vui_present = he_br_flag(br);
	set_restriction_defaults(sps);
	if (sps->vui_present && (rc = parse_vui(br, sps)) < 0)
		return rc;
	return check_trailing(br);
}

int he_h264_sps_parse(const uint8_t *nal, size_t size, struct he_h264_sps *sps)
{
	struct he_bitreader br;
	uint8_t *rbsp;
	size_t n;
	int rc;

	if (!nal || !sps)
		return -EINVAL;
	if (size < 2 || (nal[0] & 0x80) || (nal[0] & 0x1f) != HE_H264_NAL_SPS)
		return -EINVAL;

	memset(sps, 0, sizeof(*sps));
	rbsp = g_malloc(size);
	n = he_rbsp_unescape(nal + 1, size - 1, rbsp, size);
	he_br_init(&br, rbsp, n);
	rc = parse_rbsp(&br, sps);
	g_free(rbsp);
	return rc;
}

bool he_h264_sps_is_low_delay(const struct he_h264_sps *sps)
{
	uint32_t dpb_max = sps->max_num_ref_frames > 1 ? sps->max_num_ref_frames : 1;

	return sps->bitstream_restriction && sps->max_num_reorder_frames == 0 &&
	       sps->max_dec_frame_buffering <= dpb_max;
}
