/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The payload block cache (daemon/core/block-cache.h): a released block is
 * handed out again for the next frame of the same size instead of a new
 * mapping; no more than `keep` stay mapped once released; a new size lets
 * the old blocks go; trim and the owner's unref unmap what is free, and a
 * block released on another thread after the owner left is unmapped then.
 * Whether a block's pages are still mapped is asked of the kernel (mincore)
 * too, so a block that is "released" but still mapped fails here. */
#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "block-cache.h"

#define SIZE (3u << 20) /* a 1024x768 BGRx frame */

/* Whether the page holding @p is mapped (mincore fails with ENOMEM if not). */
static bool mapped(const void *p)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char vec;
	void *start = (void *)((uintptr_t)p / page * page);

	if (mincore(start, page, &vec) == 0)
		return true;
	g_assert_cmpint(errno, ==, ENOMEM);
	return false;
}

static void test_reuse(void)
{
	g_autoptr(he_block_cache) c = he_block_cache_new(2);
	uint8_t *a = he_block_cache_get(c, SIZE), *b;

	g_assert_nonnull(a);
	g_assert_cmpuint((uintptr_t)a % 64, ==, 0);
	memset(a, 0xab, SIZE); /* every byte asked for is there */
	he_block_release(a);
	b = he_block_cache_get(c, SIZE);
	g_assert_true(b == a);
	g_assert_cmpuint(he_block_cache_mapped(c), ==, 1);
	he_block_release(b);
}

static void test_keep_limit(void)
{
	g_autoptr(he_block_cache) c = he_block_cache_new(2);
	uint8_t *b[5];

	for (unsigned i = 0; i < G_N_ELEMENTS(b); i++)
		b[i] = he_block_cache_get(c, SIZE);
	g_assert_cmpuint(he_block_cache_mapped(c), ==, 5);
	for (unsigned i = 0; i < G_N_ELEMENTS(b); i++)
		he_block_release(b[i]);
	g_assert_cmpuint(he_block_cache_mapped(c), ==, 2);
	he_block_cache_trim(c);
	g_assert_cmpuint(he_block_cache_mapped(c), ==, 0);
}

static void test_new_size(void)
{
	g_autoptr(he_block_cache) c = he_block_cache_new(3);
	uint8_t *a = he_block_cache_get(c, SIZE), *b = he_block_cache_get(c, SIZE), *d;

	he_block_release(a);
	he_block_release(b);
	g_assert_cmpuint(he_block_cache_mapped(c), ==, 2);
	d = he_block_cache_get(c, 2 * SIZE); /* the guest changed resolution */
	g_assert_cmpuint(he_block_cache_mapped(c), ==, 1);
	memset(d, 1, 2 * SIZE);
	he_block_release(d);
	d = he_block_cache_get(c, 2 * SIZE);
	g_assert_cmpuint(he_block_cache_mapped(c), ==, 1);
	he_block_release(d);
}

static gpointer release_later(gpointer block)
{
	g_usleep(20000);
	he_block_release(block);
	return NULL;
}

static void test_release_after_owner(void)
{
	struct he_block_cache *c = he_block_cache_new(4);
	uint8_t *out = he_block_cache_get(c, SIZE), *kept = he_block_cache_get(c, SIZE);
	GThread *t;

	he_block_release(kept);
	g_assert_true(mapped(kept) && mapped(out));
	t = g_thread_new("release", release_later, out);
	he_block_cache_unref(c); /* the session ends with a frame still in the encoder */
	g_assert_false(mapped(kept));
	g_thread_join(t);
	g_assert_false(mapped(out));
}

static void test_release_null(void)
{
	he_block_release(NULL);
	he_block_cache_unref(NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/block-cache/reuse", test_reuse);
	g_test_add_func("/block-cache/keep-limit", test_keep_limit);
	g_test_add_func("/block-cache/new-size", test_new_size);
	g_test_add_func("/block-cache/release-after-owner", test_release_after_owner);
	g_test_add_func("/block-cache/release-null", test_release_null);
	return g_test_run();
}
