/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Geometry of the raw picture formats the media layer accepts. */
#include "image.h"

#include <errno.h>
#include <limits.h>

unsigned he_image_plane_count(uint32_t fourcc)
{
	switch (fourcc) {
	case HXFR_FMT_BGRX:
	case HXFR_FMT_BGRA:
	case HXFR_FMT_RGBX:
	case HXFR_FMT_RGBA:
		return 1;
	case HXFR_FMT_NV12:
		return 2;
	case HXFR_FMT_I420:
		return 3;
	default:
		return 0;
	}
}

bool he_image_is_rgb(uint32_t fourcc)
{
	return he_image_plane_count(fourcc) == 1;
}

int he_image_plane_geometry(uint32_t fourcc, uint32_t width, uint32_t height, unsigned i,
			    size_t *row_bytes, size_t *rows)
{
	unsigned planes = he_image_plane_count(fourcc);
	size_t cw = ((size_t)width + 1) / 2;
	size_t ch = ((size_t)height + 1) / 2;

	if (i >= planes)
		return -EINVAL;
	if (planes == 1) {
		*row_bytes = (size_t)width * 4;
		*rows = height;
	} else if (i == 0) {
		*row_bytes = width;
		*rows = height;
	} else {
		/* NV12 interleaves U and V, so its one chroma row is twice as wide. */
		*row_bytes = planes == 2 ? cw * 2 : cw;
		*rows = ch;
	}
	return 0;
}

int he_image_check(const struct he_image *img)
{
	unsigned planes;

	if (!img)
		return -EINVAL;
	planes = he_image_plane_count(img->fourcc);
	if (planes == 0)
		return -EINVAL;
	if (img->width == 0 || img->height == 0 || img->width > HE_IMAGE_MAX_DIM ||
	    img->height > HE_IMAGE_MAX_DIM)
		return -EINVAL;

	for (unsigned i = 0; i < planes; i++) {
		size_t row = 0, rows = 0;

		he_image_plane_geometry(img->fourcc, img->width, img->height, i, &row, &rows);
		if (!img->plane[i] || img->stride[i] < row || img->stride[i] > INT_MAX)
			return -EINVAL;
	}
	return 0;
}

const char *he_image_format_name(uint32_t fourcc)
{
	switch (fourcc) {
	case HXFR_FMT_BGRX:
		return "BGRx";
	case HXFR_FMT_BGRA:
		return "BGRA";
	case HXFR_FMT_RGBX:
		return "RGBx";
	case HXFR_FMT_RGBA:
		return "RGBA";
	case HXFR_FMT_NV12:
		return "NV12";
	case HXFR_FMT_I420:
		return "I420";
	default:
		return "?";
	}
}

