/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Conversion of captured pictures to NV12 / I420 with libyuv. */
#define G_LOG_DOMAIN "hostenc.convert"

#include "convert.h"

#include <errno.h>
#include <limits.h>

#include <glib.h>
#include <libyuv.h>

/* he_image_check() bounds every stride and size below INT_MAX, so the casts
 * to libyuv's int parameters below are lossless. */

static int check_dst(const struct he_image *src, const uint8_t *y, uint32_t stride_y,
		     const uint8_t *c, uint32_t stride_c, uint32_t chroma_per_pixel)
{
	uint64_t cw = ((uint64_t)src->width + 1) / 2;

	if (!y || !c || stride_y < src->width || stride_c < cw * chroma_per_pixel)
		return -EINVAL;
	if (stride_y > INT_MAX || stride_c > INT_MAX)
		return -EINVAL;
	return 0;
}

int he_convert_to_nv12(const struct he_image *src, uint8_t *dst_y, uint32_t dst_stride_y,
		       uint8_t *dst_uv, uint32_t dst_stride_uv)
{
	int w, h, sy, suv, rc;

	if (he_image_check(src) < 0)
		return -EINVAL;
	if (check_dst(src, dst_y, dst_stride_y, dst_uv, dst_stride_uv, 2) < 0)
		return -EINVAL;
	w = (int)src->width;
	h = (int)src->height;
	sy = (int)dst_stride_y;
	suv = (int)dst_stride_uv;

	switch (src->fourcc) {
	case HXFR_FMT_BGRX:
	case HXFR_FMT_BGRA:
		/* B,G,R,X in memory is libyuv's "ARGB" (little-endian word). */
		rc = ARGBToNV12(src->plane[0], (int)src->stride[0], dst_y, sy, dst_uv, suv, w, h);
		break;
	case HXFR_FMT_RGBX:
	case HXFR_FMT_RGBA:
		/* R,G,B,X in memory is libyuv's "ABGR". */
		rc = ABGRToNV12(src->plane[0], (int)src->stride[0], dst_y, sy, dst_uv, suv, w, h);
		break;
	case HXFR_FMT_I420:
		rc = I420ToNV12(src->plane[0], (int)src->stride[0], src->plane[1], (int)src->stride[1],
				src->plane[2], (int)src->stride[2], dst_y, sy, dst_uv, suv, w, h);
		break;
	case HXFR_FMT_NV12:
		rc = NV12Copy(src->plane[0], (int)src->stride[0], src->plane[1], (int)src->stride[1],
			      dst_y, sy, dst_uv, suv, w, h);
		break;
	default:
		return -EINVAL;
	}
	return rc == 0 ? 0 : -EINVAL;
}

int he_convert_to_i420(const struct he_image *src, uint8_t *const dst[3], const uint32_t dst_stride[3])
{
	int w, h, s0, s1, s2, rc;

	if (he_image_check(src) < 0 || !dst || !dst_stride)
		return -EINVAL;
	if (check_dst(src, dst[0], dst_stride[0], dst[1], dst_stride[1], 1) < 0 ||
	    check_dst(src, dst[0], dst_stride[0], dst[2], dst_stride[2], 1) < 0)
		return -EINVAL;
	w = (int)src->width;
	h = (int)src->height;
	s0 = (int)dst_stride[0];
	s1 = (int)dst_stride[1];
	s2 = (int)dst_stride[2];

	switch (src->fourcc) {
	case HXFR_FMT_BGRX:
	case HXFR_FMT_BGRA:
		rc = ARGBToI420(src->plane[0], (int)src->stride[0], dst[0], s0, dst[1], s1, dst[2], s2, w, h);
		break;
	case HXFR_FMT_RGBX:
	case HXFR_FMT_RGBA:
		rc = ABGRToI420(src->plane[0], (int)src->stride[0], dst[0], s0, dst[1], s1, dst[2], s2, w, h);
		break;
	case HXFR_FMT_I420:
		rc = I420Copy(src->plane[0], (int)src->stride[0], src->plane[1], (int)src->stride[1],
			      src->plane[2], (int)src->stride[2], dst[0], s0, dst[1], s1, dst[2], s2, w, h);
		break;
	case HXFR_FMT_NV12:
		rc = NV12ToI420(src->plane[0], (int)src->stride[0], src->plane[1], (int)src->stride[1],
				dst[0], s0, dst[1], s1, dst[2], s2, w, h);
		break;
	default:
		return -EINVAL;
	}
	return rc == 0 ? 0 : -EINVAL;
}
