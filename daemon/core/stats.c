/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

void he_stats_init(struct he_stats *s)
{
	memset(s, 0, sizeof(*s));
	g_mutex_init(&s->lock);
}

void he_stats_clear(struct he_stats *s)
{
	g_mutex_clear(&s->lock);
}

void he_stats_record(struct he_stats *s, enum he_stage stage, int64_t us)
{
	struct he_stat_window *w = &s->stage[stage];

	if (us < 0)
		us = 0;
	g_mutex_lock(&s->lock);
	w->samples[w->next] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	w->next = (w->next + 1) % HE_STAT_WINDOW;
	if (w->count < HE_STAT_WINDOW)
		w->count++;
	s->stage_count[stage]++;
	s->stage_sum_us[stage] += (uint64_t)us;
	g_mutex_unlock(&s->lock);
}

void he_stats_stage_totals(struct he_stats *s, enum he_stage stage, uint64_t *count,
			   uint64_t *sum_us)
{
	g_mutex_lock(&s->lock);
	*count = s->stage_count[stage];
	*sum_us = s->stage_sum_us[stage];
	g_mutex_unlock(&s->lock);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

uint32_t he_stats_percentile(struct he_stats *s, enum he_stage stage, unsigned pct)
{
	uint32_t tmp[HE_STAT_WINDOW], n, idx;

	g_mutex_lock(&s->lock);
	n = s->stage[stage].count;
	memcpy(tmp, s->stage[stage].samples, n * sizeof(tmp[0]));
	g_mutex_unlock(&s->lock);
	if (n == 0)
		return 0;
	qsort(tmp, n, sizeof(tmp[0]), cmp_u32);
	idx = (uint32_t)(((uint64_t)n * pct + 99) / 100);
	idx = idx ? idx - 1 : 0;
	return tmp[idx < n ? idx : n - 1];
}

void he_stats_add(struct he_stats *s, enum he_counter c, uint64_t n)
{
	g_mutex_lock(&s->lock);
	s->counter[c] += n;
	g_mutex_unlock(&s->lock);
}

void he_stats_counters(struct he_stats *s, uint64_t out[HE_COUNT_N])
{
	g_mutex_lock(&s->lock);
	memcpy(out, s->counter, sizeof(s->counter));
	g_mutex_unlock(&s->lock);
}

const char *he_stage_name(enum he_stage stage)
{
	static const char *const names[] = { "receive", "convert", "encode", "send" };

	return stage < HE_STAGE_COUNT ? names[stage] : "?";
}
