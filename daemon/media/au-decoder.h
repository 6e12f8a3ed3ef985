/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file au-decoder.h
 * The newest picture of an H.264 stream: its access units in (Annex B, as
 * the encoder makes them), the last picture decoded out, as I420. For
 * thumbnails of a stream, which are taken from its video as any viewer
 * gets it, whatever produced the pictures (CPU memory, DMA-BUF, a hardware
 * encoder's own surfaces).
 *
 * Until a keyframe, and after an access unit that failed to decode until
 * the next keyframe, access units are skipped: a picture decoded from them
 * would show the missing references. The last good picture stays.
 *
 * Thread safety: a decoder is used by one thread at a time; different
 * decoders are independent.
 */
#ifndef HOSTENC_MEDIA_AU_DECODER_H
#define HOSTENC_MEDIA_AU_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

struct he_au_decoder;

/** A decoder (libavcodec's h264, one thread), or NULL with @p err. */
struct he_au_decoder *he_au_decoder_new(GError **err);
/** Accepts NULL. */
void he_au_decoder_free(struct he_au_decoder *d);

/**
 * Decode one access unit.
 *
 * @param au, len   one H.264 access unit, Annex B
 * @param keyframe  it holds an IDR (with SPS and PPS in front)
 * @param width, height  the picture's real size: an odd size is coded one
 *                  column or row larger (see encoder.h); 0 = as coded
 * @return 1 when it gave a new picture, 0 when it was skipped (waiting for
 *         a keyframe), -EIO when it failed to decode (then skipping until
 *         the next keyframe), -EINVAL for an empty @p au, -ENOMEM.
 */
int he_au_decoder_decode(struct he_au_decoder *d, const uint8_t *au, size_t len, bool keyframe,
			 uint32_t width, uint32_t height);

/**
 * The last picture decoded, as I420 (borrowed: valid until the next call on
 * @p d). @return false when there is none yet.
 */
bool he_au_decoder_picture(const struct he_au_decoder *d, struct he_image *out);

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_AU_DECODER_H */
