/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bench-io.h"

#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int bench_write_all(int fd, const void *buf, size_t len, const char *who)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "%s: write: %s\n", who, g_strerror(errno));
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int bench_read_all(int fd, void *buf, size_t len, const char *who, const char *eof_why)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "%s: read: %s\n", who, r ? g_strerror(errno) : eof_why);
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}
