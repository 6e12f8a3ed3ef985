/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file sampler.h
 * One sample of hostencd and of the actors every few seconds: resident
 * memory and open descriptors from /proc, CPU since the last sample,
 * sessions and viewers from /metrics, the healthy consumers' frames and
 * misses so far. The viewers' own view is checked against /stats (what
 * hostencd says it skipped for them).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct soak;

struct soak_sample {
	double t;            /**< s since the start */
	long rss_kib;
	long anon_kib;       /**< RssAnon: the heap, stacks, anonymous maps */
	unsigned threads;
	unsigned fds;
	double cpu_pct;      /**< of one core, since the previous sample */
	double cpu_s;        /**< hostencd's user + system CPU so far */
	int64_t sessions, viewers, web_connections;
	int64_t frames, misses, errors; /**< all actors, so far */
	int attacker;        /**< running now, -1 none */
	unsigned up;         /**< actors connected (all: s->n_actors) */
	double load1;
};

/** Take a sample (@p prev: the one before, for CPU; may be NULL). @return
 * false when hostencd is gone. */
bool soak_sample_take(struct soak *s, const struct soak_sample *prev, struct soak_sample *out);

void soak_sample_csv_header(FILE *f);
void soak_sample_csv_row(struct soak *s, FILE *f, const struct soak_sample *x);

/** What /stats says each viewer actor's connection skipped (added to its counts). */
void soak_sample_viewer_skips(struct soak *s);

/** The 1, 5 and 15 minute load averages as text. */
char *soak_loadavg_text(void);
