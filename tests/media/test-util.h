/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the media tests: synthetic pictures, a low-delay
 * libavcodec H.264 decoder, PSNR, and a bit writer for hand-built SPSs. */
#ifndef HOSTENC_TESTS_MEDIA_UTIL_H
#define HOSTENC_TESTS_MEDIA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <libavcodec/avcodec.h>

#include "image.h"

/* A BGRx picture and its NV12 conversion (the encoder's reference input). */
struct tu_picture {
	uint32_t width, height;
	uint8_t *bgrx;
	uint32_t bgrx_stride;
	uint8_t *y, *uv;
	uint32_t y_stride, uv_stride;
};

struct tu_picture *tu_picture_new(uint32_t width, uint32_t height);
void tu_picture_free(struct tu_picture *pic);

/* Eight colour bars with a diagonal ramp, a block of text-like detail and a
 * 32x32 checkered square moving 4 px per frame. */
void tu_picture_draw_bars(struct tu_picture *pic, unsigned frame);
/* Pseudo-random noise (hard to compress), different every frame. */
void tu_picture_draw_noise(struct tu_picture *pic, unsigned frame);
/* Convert bgrx -> y/uv with he_convert_to_nv12(); asserts success. */
void tu_picture_to_nv12(struct tu_picture *pic);

struct he_image tu_picture_bgrx_image(const struct tu_picture *pic);
struct he_image tu_picture_nv12_image(const struct tu_picture *pic);

/* H.264 decoder with one thread (frame threads delay output by design),
 * with AV_CODEC_FLAG_LOW_DELAY or else relying on the stream's VUI. */
struct tu_decoder;
struct tu_decoder *tu_decoder_new(bool low_delay);
void tu_decoder_free(struct tu_decoder *dec);
/* Send one access unit; return the picture it produced at once, or NULL if
 * the decoder produced none (i.e. it delayed output). Borrowed until the
 * next call. Asserts on decoder errors. */
const AVFrame *tu_decoder_decode(struct tu_decoder *dec, GBytes *au);

/* PSNR in dB of a plane of 8-bit samples; @step_* is the distance between
 * samples (2 to read U or V out of interleaved NV12). */
double tu_psnr(const uint8_t *a, size_t a_stride, unsigned a_step, const uint8_t *b, size_t b_stride,
	       unsigned b_step, uint32_t width, uint32_t height);

/* Minimal MSB-first bit writer for hand-built test bitstreams. */
struct tu_bits {
	uint8_t buf[256];
	size_t bits;
};
void tu_bits_u(struct tu_bits *w, unsigned n, uint32_t v);
void tu_bits_ue(struct tu_bits *w, uint32_t v);
void tu_bits_se(struct tu_bits *w, int32_t v);
/* rbsp_trailing_bits and escape into a NAL unit with header @nal_header.
 * Returns the NAL unit (g_malloc, caller frees) and its size. */
uint8_t *tu_bits_to_nal(struct tu_bits *w, uint8_t nal_header, size_t *size);

#endif /* HOSTENC_TESTS_MEDIA_UTIL_H */
