/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libx264's settings read back from a stream, see x264-settings.h. */
#include <glib.h>
#include <string.h>

#include "x264-settings.h"

char *bench_x264_settings(const uint8_t *data, size_t len)
{
	static const char key[] = "options: ";
	const uint8_t *p = data ? memmem(data, len, key, sizeof(key) - 1) : NULL;
	const uint8_t *end;

	if (!p)
		return NULL;
	p += sizeof(key) - 1;
	end = memchr(p, '\0', len - (size_t)(p - data));
	return g_strndup((const char *)p, end ? (size_t)(end - p) : len - (size_t)(p - data));
}
