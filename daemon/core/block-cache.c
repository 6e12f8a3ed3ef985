/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "block-cache.h"

#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

/* In front of every block's bytes, on the mapping's first page. */
struct block_head {
	struct he_block_cache *cache;
	size_t size;   /* the bytes asked for when it was mapped */
	size_t map_len;
};

#define HEAD_SPACE 64 /* keeps the bytes 64-byte aligned */
G_STATIC_ASSERT(sizeof(struct block_head) <= HEAD_SPACE);

struct he_block_cache {
	gint ref;        /* the owner's and one per block out */
	GMutex lock;
	unsigned keep;
	unsigned mapped;
	GPtrArray *free; /* struct block_head *, all of size free_size */
	size_t free_size;
};

static struct block_head *head_of(void *block)
{
	return (struct block_head *)((uint8_t *)block - HEAD_SPACE);
}

static void *bytes_of(struct block_head *h)
{
	return (uint8_t *)h + HEAD_SPACE;
}

static struct block_head *map_block(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len;
	struct block_head *h;

	if (size > SIZE_MAX - HEAD_SPACE - page)
		return NULL;
	len = (size + HEAD_SPACE + page - 1) / page * page;
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return NULL;
	h->size = size;
	h->map_len = len;
	return h;
}

static void unmap_block(struct block_head *h)
{
	munmap(h, h->map_len);
}

/* Under the lock: unmap every free block. */
static void drop_free_locked(struct he_block_cache *cache)
{
	for (guint i = 0; i < cache->free->len; i++)
		unmap_block(g_ptr_array_index(cache->free, i));
	cache->mapped -= cache->free->len;
	g_ptr_array_set_size(cache->free, 0);
}

static void cache_unref(struct he_block_cache *cache)
{
	if (!g_atomic_int_dec_and_test(&cache->ref))
		return;
	g_ptr_array_unref(cache->free);
	g_mutex_clear(&cache->lock);
	g_free(cache);
}

struct he_block_cache *he_block_cache_new(unsigned keep)
{
	struct he_block_cache *cache = g_new0(struct he_block_cache, 1);

	cache->ref = 1;
	g_mutex_init(&cache->lock);
	cache->keep = keep;
	cache->free = g_ptr_array_new();
	return cache;
}

void he_block_cache_unref(struct he_block_cache *cache)
{
	if (!cache)
		return;
	g_mutex_lock(&cache->lock);
	cache->keep = 0; /* blocks still out are unmapped when they come back */
	drop_free_locked(cache);
	g_mutex_unlock(&cache->lock);
	cache_unref(cache);
}

void he_block_cache_trim(struct he_block_cache *cache)
{
	g_mutex_lock(&cache->lock);
	drop_free_locked(cache);
	g_mutex_unlock(&cache->lock);
}

uint8_t *he_block_cache_get(struct he_block_cache *cache, size_t size)
{
	struct block_head *h = NULL;

	g_mutex_lock(&cache->lock);
	if (cache->free->len && cache->free_size == size)
		h = g_ptr_array_steal_index_fast(cache->free, cache->free->len - 1);
	else
		drop_free_locked(cache); /* another size: the frames changed */
	g_mutex_unlock(&cache->lock);
	if (!h) {
		h = map_block(size);
		if (!h)
			return NULL;
		g_mutex_lock(&cache->lock);
		cache->mapped++;
		g_mutex_unlock(&cache->lock);
	}
	h->cache = cache;
	g_atomic_int_inc(&cache->ref);
	return bytes_of(h);
}

void he_block_release(void *block)
{
	struct block_head *h;
	struct he_block_cache *cache;
	bool kept = false;

	if (!block)
		return;
	h = head_of(block);
	cache = h->cache;
	g_mutex_lock(&cache->lock);
	if (cache->free->len < cache->keep &&
	    (cache->free->len == 0 || cache->free_size == h->size)) {
		cache->free_size = h->size;
		g_ptr_array_add(cache->free, h);
		kept = true;
	} else {
		cache->mapped--;
	}
	g_mutex_unlock(&cache->lock);
	if (!kept)
		unmap_block(h);
	cache_unref(cache);
}

unsigned he_block_cache_mapped(struct he_block_cache *cache)
{
	unsigned n;

	g_mutex_lock(&cache->lock);
	n = cache->mapped;
	g_mutex_unlock(&cache->lock);
	return n;
}
