/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-stage timing samples (receive, convert, encode, send) and counters,
 * kept for the stats endpoints. A sample window is a ring of the last
 * HE_STAT_WINDOW values; percentiles are computed on demand. Thread-safe:
 * the encode worker records convert/encode, the main loop the rest. */
#ifndef HOSTENC_CORE_STATS_H
#define HOSTENC_CORE_STATS_H

#include <glib.h>
#include <stdint.h>

#define HE_STAT_WINDOW 512

enum he_stage {
	HE_STAGE_RECEIVE,
	HE_STAGE_CONVERT,
	HE_STAGE_ENCODE,
	HE_STAGE_SEND,
	HE_STAGE_COUNT,
};

struct he_stat_window {
	uint32_t samples[HE_STAT_WINDOW]; /* µs */
	uint32_t count, next;
};

enum he_counter {
	HE_COUNT_FRAMES_IN,
	HE_COUNT_FRAMES_ENCODED,
	HE_COUNT_FRAMES_DROPPED,
	HE_COUNT_KEYFRAMES,
	HE_COUNT_BYTES_IN,
	HE_COUNT_BYTES_OUT,
	HE_COUNT_ENCODE_ERRORS,
	HE_COUNT_N,
};

/* Fields are private: use the functions below (they lock). */
struct he_stats {
	GMutex lock;
	struct he_stat_window stage[HE_STAGE_COUNT];
	uint64_t stage_count[HE_STAGE_COUNT];  /* every sample since start */
	uint64_t stage_sum_us[HE_STAGE_COUNT];
	uint64_t counter[HE_COUNT_N];
};

void he_stats_init(struct he_stats *s);
void he_stats_clear(struct he_stats *s);
void he_stats_record(struct he_stats *s, enum he_stage stage, int64_t us);
/** Percentile @p pct (0..100) of a stage in µs, 0 without samples. */
uint32_t he_stats_percentile(struct he_stats *s, enum he_stage stage, unsigned pct);
void he_stats_add(struct he_stats *s, enum he_counter c, uint64_t n);
/** Samples of a stage since start, and their sum in µs (a summary's
 * _count and _sum). */
void he_stats_stage_totals(struct he_stats *s, enum he_stage stage, uint64_t *count,
			   uint64_t *sum_us);
/** A consistent copy of every counter. */
void he_stats_counters(struct he_stats *s, uint64_t out[HE_COUNT_N]);
const char *he_stage_name(enum he_stage stage);

#endif
