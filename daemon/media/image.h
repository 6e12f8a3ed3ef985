/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file image.h
 * Borrowed description of a raw picture in memory (one of the HXFR_FMT_*
 * fourccs), shared by the colour converter and the encoder.
 */
#ifndef HOSTENC_MEDIA_IMAGE_H
#define HOSTENC_MEDIA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hxfr/hxfr.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Where a picture's pixels live. Encoder backends say which kinds they take
 * (he_encoder_accepts()); CPU memory is taken by all of them.
 */
enum he_memory_kind {
	HE_MEMORY_CPU,     /**< planes in host memory (heap, pool, shared-memory ring) */
	HE_MEMORY_DMABUF,  /**< a DMA-BUF: fds, offsets, strides, modifier */
	HE_MEMORY_NATIVE,  /**< a platform surface (CVPixelBuffer/IOSurface on macOS) */
};

/** Largest width or height the media layer accepts, in pixels. */
#define HE_IMAGE_MAX_DIM 16384u

/**
 * A picture the caller owns. Nothing here is copied or freed by the media
 * layer; the planes must stay valid for the duration of the call they are
 * passed to.
 *
 * Plane use per fourcc:
 * - HXFR_FMT_BGRX/BGRA/RGBX/RGBA: plane[0], 4 bytes per pixel (alpha ignored).
 * - HXFR_FMT_NV12: plane[0] = Y, plane[1] = interleaved UV (U first).
 * - HXFR_FMT_I420: plane[0] = Y, plane[1] = U, plane[2] = V.
 *
 * Chroma planes are ceil(width/2) x ceil(height/2) samples, so odd sizes are
 * representable.
 */
struct he_image {
	uint32_t fourcc;          /**< HXFR_FMT_* */
	uint32_t width, height;   /**< pixels, 1..HE_IMAGE_MAX_DIM */
	const uint8_t *plane[3];  /**< borrowed */
	uint32_t stride[3];       /**< bytes per row of each plane */
};

/** Number of planes used by @p fourcc, or 0 if it is not an HXFR_FMT_*. */
unsigned he_image_plane_count(uint32_t fourcc);

/** True for the four packed 32-bit RGB formats. */
bool he_image_is_rgb(uint32_t fourcc);

/**
 * Minimum bytes per row and number of rows of plane @p i of a
 * @p fourcc picture of @p width x @p height.
 *
 * @return 0, or -EINVAL for an unknown fourcc or plane index.
 */
int he_image_plane_geometry(uint32_t fourcc, uint32_t width, uint32_t height, unsigned i,
			    size_t *row_bytes, size_t *rows);

/**
 * Check that @p img is self-consistent: known fourcc, size within
 * 1..HE_IMAGE_MAX_DIM, every used plane non-NULL with a stride of at least
 * the row size and below INT_MAX. Does not (cannot) check that the memory
 * behind the planes is large enough.
 *
 * @return 0, or -EINVAL.
 */
int he_image_check(const struct he_image *img);

/** Short printable name of @p fourcc ("NV12", "BGRx", ...), "?" if unknown. */
const char *he_image_format_name(uint32_t fourcc);

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_IMAGE_H */
