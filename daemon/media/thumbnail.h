/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file thumbnail.h
 * A small PNG of a picture: scaled down with libyuv (box filter), converted
 * to RGB with the BT.601 limited-range matrix the encoder signals, encoded
 * with libavcodec's PNG encoder.
 *
 * Thread safety: reentrant; no state.
 */
#ifndef HOSTENC_MEDIA_THUMBNAIL_H
#define HOSTENC_MEDIA_THUMBNAIL_H

#include <stdint.h>

#include <glib.h>

#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest width and height of a thumbnail, in pixels. */
#define HE_THUMBNAIL_MAX_DIM 640u

/**
 * The size of the thumbnail of a @p width x @p height picture at most
 * @p max_width wide: its aspect ratio kept, never larger than the picture,
 * at most HE_THUMBNAIL_MAX_DIM either way, at least 1x1.
 */
void he_thumbnail_size(uint32_t width, uint32_t height, uint32_t max_width, uint32_t *out_w,
		       uint32_t *out_h);

/**
 * @p pic, an I420 picture, scaled to he_thumbnail_size(@p max_width), as a
 * PNG (8-bit RGB). NULL with @p err for a picture that is not I420 or is
 * invalid, or when the encoder fails.
 */
GBytes *he_thumbnail_png(const struct he_image *pic, uint32_t max_width, GError **err);

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_THUMBNAIL_H */
