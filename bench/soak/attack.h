/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file attack.h
 * The attackers: one at a time, each for a slot of a minute or two, each
 * repeating its attack in rounds. hostencd defends against each already
 * (docs/hostencd.md, docs/web.md "Limits"); a round counts as *defended*
 * when hostencd answered it as documented (closed the peer in time,
 * refused it, kept serving it within bounds), else *undefended*.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct soak;

struct soak_attack_stats {
	gint slots;       /**< times it ran */
	gint rounds;      /**< attacks made */
	gint defended;
	gint undefended;
	gint ms_sum;      /**< defended rounds: ms until hostencd closed the peer */
	gint ms_max;
	gint closes;      /**< rounds that ended with hostencd closing the peer */
};

struct soak_attack {
	const char *name;
	const char *what;  /**< one line for the report */
	double min_slot_s; /**< a round takes this long: its slot is never shorter */
	/** Attack in rounds until @p until_us (monotonic) or the run's end. */
	void (*run)(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
};

extern const struct soak_attack soak_attacks[];
extern const unsigned soak_attack_count;

/* ---- for the attacks' files ------------------------------------------------ */

void soak_attack_ping_flood(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
void soak_attack_silent(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
void soak_attack_trickle(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
void soak_attack_tiny(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
void soak_attack_truncate(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
void soak_attack_ws_ping_flood(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
void soak_attack_ws_fragments(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
void soak_attack_keyframes(struct soak *s, struct soak_attack_stats *st, int64_t until_us);
void soak_attack_no_read(struct soak *s, struct soak_attack_stats *st, int64_t until_us);

/** A round hostencd answered as documented, after @p ms (-1: no close). */
void soak_attack_defended(struct soak_attack_stats *st, int ms);
/** A round it did not; logged. */
G_GNUC_PRINTF(3, 4) void soak_attack_undefended(struct soak *s, struct soak_attack_stats *st,
						const char *fmt, ...);
/** Whether the slot or the run is over. */
bool soak_attack_over(struct soak *s, int64_t until_us);
/** Milliseconds since @p t0_us. */
int soak_ms_since(int64_t t0_us);
