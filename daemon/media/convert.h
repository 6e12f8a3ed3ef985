/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file convert.h
 * Colour conversion to the encoder's 4:2:0 input formats, with libyuv.
 *
 * RGB input is converted with BT.601 coefficients to limited ("studio",
 * 16..235 / 16..240) range, as libyuv does; the encoder signals exactly that
 * in the SPS VUI (matrix_coefficients = 6, video_full_range_flag = 0) so a
 * decoder converts back with the same matrix. Alpha is ignored (not
 * premultiplied, not blended).
 *
 * Odd widths and heights are supported: chroma planes are
 * ceil(width/2) x ceil(height/2), the last chroma sample covering the lone
 * column/row. (The encoder itself requires even sizes.)
 *
 * Thread safety: reentrant; no state.
 */
#ifndef HOSTENC_MEDIA_CONVERT_H
#define HOSTENC_MEDIA_CONVERT_H

#include <stdint.h>

#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Convert (or copy) @p src into an NV12 picture of the same size.
 *
 * @param src            any HXFR_FMT_* picture (BGRx/BGRA/RGBx/RGBA/NV12/I420); borrowed
 * @param dst_y          luma plane, @p dst_stride_y * height bytes
 * @param dst_stride_y   at least width
 * @param dst_uv         interleaved chroma, @p dst_stride_uv * ceil(height/2) bytes
 * @param dst_stride_uv  at least 2 * ceil(width/2)
 * @return 0, or -EINVAL for an invalid @p src (see he_image_check()), a NULL
 *         destination or too small a stride.
 */
int he_convert_to_nv12(const struct he_image *src, uint8_t *dst_y, uint32_t dst_stride_y,
		       uint8_t *dst_uv, uint32_t dst_stride_uv);

/**
 * Convert (or copy) @p src into an I420 picture of the same size.
 *
 * @param src    any HXFR_FMT_* picture; borrowed
 * @param dst    destination planes (Y, U, V) and strides; Y stride at least
 *               width, U and V strides at least ceil(width/2)
 * @return 0 or -EINVAL as for he_convert_to_nv12().
 */
int he_convert_to_i420(const struct he_image *src, uint8_t *const dst[3], const uint32_t dst_stride[3]);

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_CONVERT_H */
