/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Giving freed memory back to the system. glibc's malloc keeps what was
 * freed in its arenas (one per thread that allocated) and gives back only
 * the top of each heap: after many viewers or encoders went away, the
 * process would stay as large as it was at its peak. A burst of frees asks
 * for one malloc_trim(0) (every arena, every free page), run on a thread of
 * its own shortly after and at most every HE_MEM_TRIM_INTERVAL_MS.
 * Elsewhere than glibc this does nothing. */
#ifndef HOSTENC_CORE_MEM_TRIM_H
#define HOSTENC_CORE_MEM_TRIM_H

#include <stdint.h>

#define HE_MEM_TRIM_DELAY_MS 500
#define HE_MEM_TRIM_INTERVAL_MS 2000

/**
 * At the start of main(), before any thread: one malloc arena for every
 * thread (unless MALLOC_ARENA_MAX says otherwise). malloc_trim() gives
 * back the free pages inside an arena but not the free top of a thread's
 * own arena, where an encoder's large buffers end (24 MiB each at
 * 4096x4096, measured), so with an arena per encode worker they stayed.
 */
void he_mem_init(void);
/** Memory was freed in quantity: trim soon (coalesced). Main loop (the
 * default main context) only. */
void he_mem_trim_soon(void);
/** Trims done since the process started (for tests and /metrics). */
uint64_t he_mem_trims(void);

#endif
