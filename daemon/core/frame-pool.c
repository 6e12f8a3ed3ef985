/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "frame-pool.h"

#include <hxfr/hxfr.h>

#include "block-cache.h"

/* The frames' memory is a block cache's (mappings, not malloc's heap:
 * block-cache.h says why); the pool adds the frame layout and the cap on
 * frames out. */
struct he_frame_pool {
	gint ref;
	GMutex lock;
	uint32_t fourcc, width, height;
	unsigned max_buffers, out;
	uint32_t stride[3];
	size_t offset[3], size;
	struct he_block_cache *blocks; /* keeps up to max_buffers idle */
};

/* What a pooled frame's release callback gets. */
struct pooled {
	struct he_frame_pool *pool;
	uint8_t *block;
};

static struct he_frame_pool *pool_ref(struct he_frame_pool *pool)
{
	g_atomic_int_inc(&pool->ref);
	return pool;
}

void he_frame_pool_unref(struct he_frame_pool *pool)
{
	if (!pool || !g_atomic_int_dec_and_test(&pool->ref))
		return;
	he_block_cache_unref(pool->blocks);
	g_mutex_clear(&pool->lock);
	g_free(pool);
}

struct he_frame_pool *he_frame_pool_new(uint32_t fourcc, uint32_t width, uint32_t height,
					unsigned max_buffers)
{
	unsigned planes = hxfr_format_planes(fourcc);
	struct he_frame_pool *pool;

	if (!planes || !width || !height || width > HXFR_MAX_WIDTH || height > HXFR_MAX_HEIGHT ||
	    max_buffers == 0)
		return NULL;
	pool = g_new0(struct he_frame_pool, 1);
	pool->ref = 1;
	g_mutex_init(&pool->lock);
	pool->fourcc = fourcc;
	pool->width = width;
	pool->height = height;
	pool->max_buffers = max_buffers;
	pool->blocks = he_block_cache_new(max_buffers);
	for (unsigned i = 0; i < planes; i++) {
		uint64_t min_stride, rows;

		hxfr_format_plane_geometry(fourcc, i, width, height, &min_stride, &rows);
		pool->stride[i] = (uint32_t)((min_stride + 63) / 64 * 64);
		pool->offset[i] = pool->size;
		pool->size += (size_t)pool->stride[i] * rows;
	}
	return pool;
}

static void give_back(void *data)
{
	struct pooled *p = data;
	struct he_frame_pool *pool = p->pool;

	he_block_release(p->block);
	g_mutex_lock(&pool->lock);
	pool->out--;
	g_mutex_unlock(&pool->lock);
	g_free(p);
	he_frame_pool_unref(pool);
}

struct he_frame *he_frame_pool_acquire(struct he_frame_pool *pool)
{
	struct pooled *p;
	struct he_frame *f;
	uint8_t *block;

	g_mutex_lock(&pool->lock);
	if (pool->out >= pool->max_buffers) {
		g_mutex_unlock(&pool->lock);
		return NULL;
	}
	pool->out++;
	g_mutex_unlock(&pool->lock);
	block = he_block_cache_get(pool->blocks, pool->size);
	if (!block) {
		g_mutex_lock(&pool->lock);
		pool->out--;
		g_mutex_unlock(&pool->lock);
		return NULL;
	}
	p = g_new(struct pooled, 1);
	p->pool = pool_ref(pool);
	p->block = block;
	f = he_frame_new(give_back, p);
	f->fourcc = pool->fourcc;
	f->width = pool->width;
	f->height = pool->height;
	for (unsigned i = 0; i < hxfr_format_planes(pool->fourcc); i++) {
		f->plane[i] = block + pool->offset[i];
		f->stride[i] = pool->stride[i];
	}
	return f;
}

void he_frame_pool_trim(struct he_frame_pool *pool)
{
	he_block_cache_trim(pool->blocks);
}
