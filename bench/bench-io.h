/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole reads and writes on a blocking socket to hostencd, for the
 * benchmark clients; errors are printed prefixed with @who. */
#ifndef HOSTENC_BENCH_IO_H
#define HOSTENC_BENCH_IO_H

#include <stddef.h>

/** Write all @p len bytes (EINTR retried). @return 0, or -1 after printing why. */
int bench_write_all(int fd, const void *buf, size_t len, const char *who);
/** Read exactly @p len bytes; @p eof_why is printed if the peer closed first. */
int bench_read_all(int fd, void *buf, size_t len, const char *who, const char *eof_why);

#endif
