/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pixel-format geometry, computed in 64 bits. */
#include "wire-private.h"

uint32_t hxfr_format_bit(uint32_t fourcc)
{
	switch (fourcc) {
	case HXFR_FMT_BGRX: return HXFR_FMTBIT_BGRX;
	case HXFR_FMT_BGRA: return HXFR_FMTBIT_BGRA;
	case HXFR_FMT_RGBX: return HXFR_FMTBIT_RGBX;
	case HXFR_FMT_RGBA: return HXFR_FMTBIT_RGBA;
	case HXFR_FMT_NV12: return HXFR_FMTBIT_NV12;
	case HXFR_FMT_I420: return HXFR_FMTBIT_I420;
	default: return 0;
	}
}

unsigned hxfr_format_planes(uint32_t fourcc)
{
	switch (hxfr_format_bit(fourcc)) {
	case 0: return 0;
	case HXFR_FMTBIT_NV12: return 2;
	case HXFR_FMTBIT_I420: return 3;
	default: return 1;
	}
}

int hxfr_format_plane_geometry(uint32_t fourcc, unsigned plane, uint32_t width, uint32_t height,
			       uint64_t *min_stride, uint64_t *rows)
{
	uint64_t w = width, h = height;
	unsigned planes = hxfr_format_planes(fourcc);

	if (planes == 0 || plane >= planes)
		return -EINVAL;
	if (planes == 1) {
		*min_stride = w * 4;
		*rows = h;
	} else if (plane == 0) {
		*min_stride = w;
		*rows = h;
	} else if (planes == 2) {
		*min_stride = (w + 1) / 2 * 2;
		*rows = (h + 1) / 2;
	} else {
		*min_stride = (w + 1) / 2;
		*rows = (h + 1) / 2;
	}
	return 0;
}

int hxfr_format_frame_size(uint32_t fourcc, uint32_t width, uint32_t height, uint32_t stride,
			   uint64_t *size)
{
	uint64_t min_stride, rows, total = 0;
	unsigned planes = hxfr_format_planes(fourcc);

	if (planes == 0)
		return -EINVAL;
	for (unsigned i = 0; i < planes; i++) {
		uint64_t s;

		if (hxfr_format_plane_geometry(fourcc, i, width, height, &min_stride, &rows) < 0)
			return -EINVAL;
		/* Chroma planes follow plane 0's stride: NV12 keeps it, I420 halves it. */
		s = i == 0 ? stride : (planes == 2 ? stride : ((uint64_t)stride + 1) / 2);
		if (s < min_stride)
			return -EINVAL;
		if (__builtin_mul_overflow(s, rows, &s) || __builtin_add_overflow(total, s, &total))
			return -EOVERFLOW; /* width/height are not capped here */
	}
	*size = total;
	return 0;
}

int hxfr_check_geometry(uint32_t format, uint32_t width, uint32_t height, const char **why)
{
	if (hxfr_format_planes(format) == 0)
		return fail(why, -ENOTSUP, "unknown pixel format");
	if (width == 0 || height == 0)
		return fail(why, -EINVAL, "zero width or height");
	if (width > HXFR_MAX_WIDTH || height > HXFR_MAX_HEIGHT)
		return fail(why, -E2BIG, "width or height over 8192");
	return 0;
}
