/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A pool of CPU frames of one format and size, for producers that render
 * or copy into frames of their own (the test pattern, the QEMU display):
 * once warm, no allocation per frame. A frame goes back to the pool when its
 * last reference is dropped, on whatever thread that happens. At most
 * @max_buffers frames are out at once: a producer that finds the pool empty
 * is ahead of its encoder and should skip a frame.
 *
 * Thread safety: acquire on any thread; frames are released on any thread. */
#ifndef HOSTENC_CORE_FRAME_POOL_H
#define HOSTENC_CORE_FRAME_POOL_H

#include <stdint.h>

#include "frame.h"

struct he_frame_pool;

/** NULL for a bad format or size. */
struct he_frame_pool *he_frame_pool_new(uint32_t fourcc, uint32_t width, uint32_t height,
					unsigned max_buffers);
/** Drop the creator's reference; frames still out keep the pool alive. */
void he_frame_pool_unref(struct he_frame_pool *pool);
/** A frame of the pool's format and size (contents undefined), or NULL when all
 * are out (or, rarely, no memory could be mapped for a new one). */
struct he_frame *he_frame_pool_acquire(struct he_frame_pool *pool);
/** Free the frames nobody uses (a paused producer); frames out come back as usual. */
void he_frame_pool_trim(struct he_frame_pool *pool);

typedef struct he_frame_pool he_frame_pool;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(he_frame_pool, he_frame_pool_unref)

#endif
