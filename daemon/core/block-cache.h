/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Frame-sized byte blocks for one producer, kept for reuse.
 *
 * A guest sending inline frames needs a block the size of a frame for every
 * message, and the block lives until the encode worker drops the frame. Taken
 * from malloc, such blocks come from the heap once glibc's dynamic mmap
 * threshold has risen past a frame's size (the first freed mapping raises it),
 * and sessions coming and going then fragment the heap: hostencd's RSS crept
 * up by several percent over a soak with bytes in use flat. These blocks are
 * anonymous mappings instead, never malloc's: a freed one is either kept for
 * the next frame of the same size or unmapped, so memory goes back to the
 * system exactly when a session ends, and a busy session touches no new pages.
 *
 * Thread safety: get on any thread; a block may be released on another thread
 * (the encode worker) and after the cache's owner dropped it. */
#ifndef HOSTENC_CORE_BLOCK_CACHE_H
#define HOSTENC_CORE_BLOCK_CACHE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

struct he_block_cache;

/** A cache keeping at most @p keep free blocks (0 = none: every release unmaps). */
struct he_block_cache *he_block_cache_new(unsigned keep);
/** Drop the owner's reference: free blocks are unmapped now, blocks still out when released. */
void he_block_cache_unref(struct he_block_cache *cache);
/** A block of at least @p size bytes (contents undefined, 64-byte aligned), or NULL. */
uint8_t *he_block_cache_get(struct he_block_cache *cache, size_t size);
/** Unmap the free blocks now (the producer paused); blocks out come back as usual. */
void he_block_cache_trim(struct he_block_cache *cache);
/** Give a block back (NULL is ignored). An he_frame_release_fn. */
void he_block_release(void *block);
/** Blocks of this cache now mapped, out and free (for tests and stats). */
unsigned he_block_cache_mapped(struct he_block_cache *cache);

typedef struct he_block_cache he_block_cache;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(he_block_cache, he_block_cache_unref)

#endif
