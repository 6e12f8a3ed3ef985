/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file clip.h
 * A benchmark clip: the first frames of a scene (scenes.h), drawn once into
 * memory as BGRx and played in a loop, so every row of a comparison reads
 * the same pixels and no row pays for drawing them.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "scenes.h"

struct bench_clip {
	enum bench_scene scene;
	uint32_t w, h, stride; /* stride = w * 4 */
	uint32_t fps;          /* the frame rate the scene was drawn for */
	uint32_t n;            /* distinct frames, played in a loop */
	uint8_t **frames;
};

/** Draw frames 0 .. n-1 of @p scene. @return 0, -EINVAL, or -ENOMEM. */
int bench_clip_make(struct bench_clip *c, enum bench_scene scene, uint32_t w, uint32_t h,
		    uint32_t n, uint32_t fps);

/** Free the frames; @p c may be zeroed or already freed. */
void bench_clip_free(struct bench_clip *c);

/** Bytes of one frame. */
static inline size_t bench_clip_frame_size(const struct bench_clip *c)
{
	return (size_t)c->stride * c->h;
}

/** Frame @p i of the looped clip. */
static inline const uint8_t *bench_clip_frame(const struct bench_clip *c, uint64_t i)
{
	return c->frames[i % c->n];
}
