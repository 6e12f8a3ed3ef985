/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guest-log.h"

#include <stdarg.h>
#include <stdbool.h>

/* At most BURST lines per second; the rest are counted and summarised. */
#define GUEST_LOG_BURST 10

void he_guest_log(const char *peer, const char *fmt, ...)
{
	static GMutex lock;
	static int64_t window_start;
	static unsigned in_window, suppressed;
	int64_t now = g_get_monotonic_time();
	g_autofree char *text = NULL;
	unsigned report = 0;
	bool drop;
	va_list ap;

	g_mutex_lock(&lock);
	if (now - window_start >= G_USEC_PER_SEC) {
		report = suppressed;
		window_start = now;
		in_window = 0;
		suppressed = 0;
	}
	drop = ++in_window > GUEST_LOG_BURST;
	suppressed += drop;
	g_mutex_unlock(&lock);
	if (report)
		g_log("hostenc.guest", G_LOG_LEVEL_MESSAGE,
		      "%u guest messages suppressed in the last second", report);
	if (drop)
		return;
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_log("hostenc.guest", G_LOG_LEVEL_MESSAGE, "%s: %s", peer, text);
}
