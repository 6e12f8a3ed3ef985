/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file h264.h
 * H.264 Annex B helpers: NAL unit iteration, access-unit counting, SPS
 * parsing and the SPS rewrite that makes browsers decode one frame in, one
 * frame out (VUI bitstream_restriction with max_num_reorder_frames = 0).
 *
 * Inputs are treated as untrusted: every read is bounds-checked, and
 * malformed data yields a negative errno, never a crash.
 *
 * Errors: -EINVAL (bad arguments or not Annex B), -EBADMSG (malformed or
 * truncated syntax), -ENOTSUP (valid but unsupported, e.g. an SPS id > 31),
 * -ENOMEM.
 *
 * Thread safety: all functions are reentrant.
 */
#ifndef HOSTENC_MEDIA_H264_H
#define HOSTENC_MEDIA_H264_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

/** nal_unit_type values this project cares about. */
enum he_h264_nal_type {
	HE_H264_NAL_SLICE = 1,  /**< non-IDR coded slice */
	HE_H264_NAL_IDR = 5,    /**< IDR coded slice */
	HE_H264_NAL_SEI = 6,
	HE_H264_NAL_SPS = 7,
	HE_H264_NAL_PPS = 8,
	HE_H264_NAL_AUD = 9,
};

/** One NAL unit inside a borrowed Annex B buffer. */
struct he_h264_nal {
	const uint8_t *data;  /**< NAL header byte onwards (escaped), borrowed */
	size_t size;          /**< bytes from data, trailing zero bytes excluded */
	size_t offset;        /**< offset of the start code in the buffer */
	unsigned start_code;  /**< 3 or 4 */
	unsigned type;        /**< nal_unit_type, 0..31 */
	unsigned ref_idc;     /**< nal_ref_idc, 0..3 */
};

/** Iterator state; initialise with he_h264_iter_init(). */
struct he_h264_iter {
	const uint8_t *buf;
	size_t size;
	size_t pos;
	bool started;
};

/** Start iterating over the Annex B buffer @p buf (borrowed) of @p size bytes. */
void he_h264_iter_init(struct he_h264_iter *it, const void *buf, size_t size);

/**
 * Next NAL unit.
 *
 * @return 1 with @p nal filled, 0 at the end, -EBADMSG if the buffer does not
 * start with (optional zero bytes and) a start code, if a NAL unit is empty,
 * or its forbidden_zero_bit is set.
 */
int he_h264_iter_next(struct he_h264_iter *it, struct he_h264_nal *nal);

/** Summary of an Annex B buffer. */
struct he_h264_au_info {
	unsigned access_units;  /**< number of access units with at least one slice */
	unsigned nals;          /**< total NAL units */
	unsigned slices;        /**< VCL NAL units (types 1 and 5) */
	bool has_idr;           /**< an IDR slice (type 5) is present */
	bool has_sps;
	bool has_pps;
	int first_type;         /**< type of the first NAL unit, -1 if none */
};

/**
 * Scan an Annex B buffer. A new access unit starts at an AUD, SPS, PPS or
 * SEI (or types 14..18) following a slice, or at a slice with
 * first_mb_in_slice = 0 following a slice (H.264 7.4.1.2.3, without the
 * arbitrary-slice-order and redundant-picture cases no encoder here uses).
 *
 * @return 0, or -EBADMSG as for he_h264_iter_next() or when a slice header
 * is truncated.
 */
int he_h264_scan(const void *buf, size_t size, struct he_h264_au_info *info);

/** Decoded sequence parameter set fields. */
struct he_h264_sps {
	uint8_t profile_idc;
	uint8_t constraint_flags;       /**< constraint_set0..5 in bits 7..2, as coded */
	uint8_t level_idc;
	uint8_t sps_id;
	uint8_t chroma_format_idc;
	uint8_t bit_depth_luma;
	uint8_t bit_depth_chroma;
	uint8_t pic_order_cnt_type;
	uint32_t max_num_ref_frames;
	bool frame_mbs_only;
	uint32_t width, height;         /**< luma pixels after cropping */
	bool vui_present;
	/* VUI (valid when vui_present) */
	bool video_signal_type_present;
	bool video_full_range;
	bool colour_description_present;
	uint8_t colour_primaries, transfer_characteristics, matrix_coefficients;
	bool timing_info_present;
	uint32_t num_units_in_tick, time_scale;
	bool bitstream_restriction;     /**< bitstream_restriction_flag */
	/* Bitstream restriction fields; the spec's inferred values when absent. */
	bool motion_vectors_over_pic_boundaries;
	uint32_t max_bytes_per_pic_denom;
	uint32_t max_bits_per_mb_denom;
	uint32_t log2_max_mv_length_horizontal;
	uint32_t log2_max_mv_length_vertical;
	uint32_t max_num_reorder_frames;  /**< 16 (unknown) when absent */
	uint32_t max_dec_frame_buffering; /**< 16 (unknown) when absent */
	/* Bit offsets into the RBSP payload (after the NAL header byte). */
	size_t vui_flag_bit;            /**< vui_parameters_present_flag */
	size_t restriction_flag_bit;    /**< bitstream_restriction_flag, valid if vui_present */
};

/**
 * Parse an SPS NAL unit.
 *
 * @param nal   NAL header byte onwards, with emulation-prevention bytes (as
 *              returned by he_h264_iter_next()); borrowed
 * @param size  bytes at @p nal
 * @param sps   filled on success
 * @return 0, -EINVAL if it is not an SPS NAL unit, -EBADMSG if malformed or
 *         truncated (including a missing rbsp_stop_one_bit), -ENOTSUP for
 *         values this parser does not handle.
 */
int he_h264_sps_parse(const uint8_t *nal, size_t size, struct he_h264_sps *sps);

/**
 * True if @p sps promises what a browser needs to output every frame as soon
 * as it is decoded: bitstream_restriction present, max_num_reorder_frames = 0
 * and max_dec_frame_buffering no larger than max(1, max_num_ref_frames).
 */
bool he_h264_sps_is_low_delay(const struct he_h264_sps *sps);

/**
 * Re-emit an SPS NAL unit with VUI bitstream_restriction_flag = 1,
 * max_num_reorder_frames = 0 and max_dec_frame_buffering =
 * max(1, max_num_ref_frames) (1 for the single-reference streams we
 * configure; it is never set below max_num_ref_frames because decoders may
 * reject that). A missing VUI is added with only the restriction present.
 * Other restriction fields keep their coded (or inferred) values; every
 * other bit is copied unchanged. Emulation prevention is re-applied.
 *
 * @param nal       SPS NAL unit (header byte onwards, escaped); borrowed
 * @param size      bytes at @p nal
 * @param out       on success, a new g_malloc()ed NAL unit (header byte
 *                  onwards, escaped); caller owns it, free with g_free()
 * @param out_size  bytes at *@p out
 * @return 0, or an error from he_h264_sps_parse(), or -ENOMEM.
 */
int he_h264_sps_rewrite(const uint8_t *nal, size_t size, uint8_t **out, size_t *out_size);

/**
 * Apply he_h264_sps_rewrite() to every SPS in an Annex B buffer whose SPS is
 * not already low delay (he_h264_sps_is_low_delay()).
 *
 * @param au     Annex B access unit(s); borrowed
 * @param fixed  set to NULL when nothing needed changing, else to a new
 *               buffer (caller owns the reference) where each rewritten SPS
 *               has a 4-byte start code and every other byte is unchanged
 * @return 0 if unchanged, 1 if *@p fixed was set, or a negative errno.
 */
int he_h264_au_fix_sps(GBytes *au, GBytes **fixed);

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_H264_H */
