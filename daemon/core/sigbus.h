/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Memory a guest can take away under hostencd: the mapping of a shared
 * file (a guest's ring) that the guest truncates. Reading a page past the
 * file's new end raises SIGBUS. A process-wide handler recognises an
 * address inside a watched mapping, puts anonymous zero pages over the
 * whole mapping so that the read goes on, and marks the mapping lost; the
 * reader checks the mark after reading and throws away what it read. A
 * SIGBUS anywhere else is a bug and still crashes (the handler that was
 * there before, normally the default action, gets it).
 *
 * The handler uses no lock and no allocation: the watched mappings are a
 * fixed table of atomics. Any thread may watch and unwatch. */
#ifndef HOSTENC_CORE_SIGBUS_H
#define HOSTENC_CORE_SIGBUS_H

#include <stdbool.h>
#include <stddef.h>

/** Mappings watched at once (two per possible guest session). */
#define HE_SIGBUS_MAX 2048

/** What a reader of a lost mapping tells its peer. */
#define HE_SIGBUS_LOST_WHY "shared memory truncated under hostencd (the file behind the " \
			   "ring shrank): frame lost, session closed"

struct he_sigbus_range;

/**
 * Watch the mapping [@p addr, @p addr + @p len) (page aligned, the whole
 * of one read-only mmap: the zero pages put over it are read-only too).
 * The first call installs the handler. @return NULL when
 * HE_SIGBUS_MAX mappings are watched already: then do not map.
 */
struct he_sigbus_range *he_sigbus_watch(void *addr, size_t len);
/**
 * Stop watching @p r (NULL is ignored); call it before munmap. Waits for
 * a handler that is working on @p r on another thread to finish.
 */
void he_sigbus_unwatch(struct he_sigbus_range *r);
/**
 * Whether a read of @p r faulted: its pages are zeros now, for good, and
 * whatever was read from it since the fault is garbage. One atomic load.
 */
bool he_sigbus_lost(const struct he_sigbus_range *r);

#endif
