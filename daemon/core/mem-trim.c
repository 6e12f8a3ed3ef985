/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The trim runs on a thread of its own: malloc_trim(0) walks every arena
 * and can take a tenth of a second after a large burst of frees, which
 * the main loop (every socket) must not wait for. */
#define G_LOG_DOMAIN "hostenc.mem"
#include "mem-trim.h"

#include <glib.h>
#include <stdbool.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* main loop only */
static guint timer;
static bool running, again;
static int64_t last_us;
static uint64_t trims;
/* the thread that trims */
static GThreadPool *pool;

void he_mem_init(void)
{
#ifdef __GLIBC__
	if (!g_getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 1);
#endif
}

static gboolean trim_done(gpointer data)
{
	running = false;
	last_us = g_get_monotonic_time();
	trims++;
	g_debug("memory trimmed in %" G_GINT64_FORMAT " us", (int64_t)GPOINTER_TO_SIZE(data));
	if (again) {
		again = false;
		he_mem_trim_soon();
	}
	return G_SOURCE_REMOVE;
}

static void trim_thread(gpointer data, gpointer unused)
{
	int64_t t0 = g_get_monotonic_time();

#ifdef __GLIBC__
	malloc_trim(0);
#endif
	g_idle_add(trim_done, GSIZE_TO_POINTER((gsize)(g_get_monotonic_time() - t0)));
}

static gboolean start_trim(gpointer data)
{
	timer = 0;
	if (!pool)
		pool = g_thread_pool_new(trim_thread, NULL, 1, FALSE, NULL);
	running = true;
	g_thread_pool_push(pool, GINT_TO_POINTER(1), NULL);
	return G_SOURCE_REMOVE;
}

void he_mem_trim_soon(void)
{
	int64_t now = g_get_monotonic_time(), delay_ms = HE_MEM_TRIM_DELAY_MS;

	if (running) {
		again = true; /* what is freed meanwhile may be missed */
		return;
	}
	if (timer)
		return;
	if (last_us && now - last_us < HE_MEM_TRIM_INTERVAL_MS * 1000)
		delay_ms = MAX(delay_ms, (last_us + HE_MEM_TRIM_INTERVAL_MS * 1000 - now) / 1000);
	timer = g_timeout_add((guint)delay_ms, start_trim, NULL);
}

uint64_t he_mem_trims(void)
{
	return trims;
}
