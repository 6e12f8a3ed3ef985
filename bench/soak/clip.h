/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file clip.h
 * The guests' pictures: the test pattern's frames 0..SOAK_CLIP-1 (each
 * codes its number in the picture), drawn once per pixel format at the
 * start and played in a loop, with the BT.601 planes a correct encode and
 * decode reproduces. Shared read-only by all threads.
 */
#pragma once

#include <libavutil/frame.h>
#include <stdint.h>

struct tc_picture;

#define SOAK_CLIP 30
#define SOAK_CLIP_FORMATS 3

struct soak_clip {
	uint32_t fourcc;
	struct tc_picture *pic[SOAK_CLIP];
};

/** Draw @p clip in @p fourcc at @p w x @p h. */
void soak_clip_init(struct soak_clip *clip, uint32_t fourcc, uint32_t w, uint32_t h);
void soak_clip_clear(struct soak_clip *clip);

/**
 * Check a decoded picture of a stream of @p clip (NULL: the test pattern
 * source of hostencd): its size is @p w x @p h, a frame number reads from
 * it (*@p frame_no), and with a clip that is the clip's picture (PSNR of Y,
 * U and V over the tests' threshold). @return 0, or -1 with @p why.
 */
int soak_clip_check(const struct soak_clip *clip, const AVFrame *f, uint32_t w, uint32_t h,
		    uint32_t *frame_no, char *why, size_t why_len);
