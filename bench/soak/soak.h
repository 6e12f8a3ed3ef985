/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file soak.h
 * The soak run (bench/soak/soak.c): one real hostencd, guests streaming
 * to it, browser-like viewers and HXFR subscribers watching, random
 * disconnects and one attacker at a time, for many minutes. Every actor is
 * a thread; what they count is read by the sampler.
 *
 * A *healthy* consumer is one that is connected and whose producer is up:
 * it must get every access unit of its stream, each one decodable and
 * showing the right picture. A consumer stops being healthy only while it
 * was told to disconnect, or while the guest whose stream it watches was.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "clip.h"

#define SOAK_GUESTS 8
#define SOAK_VIEWERS 4
#define SOAK_SUBSCRIBERS 2
#define SOAK_ACTORS (SOAK_GUESTS + SOAK_VIEWERS + SOAK_SUBSCRIBERS)
/* and the browser (chromium), when there is one */
#define SOAK_MAX_ACTORS (SOAK_ACTORS + 1)

#define SOAK_W 640
#define SOAK_H 360
#define SOAK_FPS 30
#define SOAK_PATTERN_W 1280
#define SOAK_PATTERN_H 720
#define SOAK_BITRATE 2000000
/* guests keep two frames in flight: hostencd keeps two waiting besides
 * the one it encodes, so none is ever dropped for back-pressure */
#define SOAK_WINDOW 2
/* the shared-memory guests' rings, one after the other in one file */
#define SOAK_SHM_GUESTS 4
#define SOAK_SLOT_SIZE ((uint64_t)SOAK_W * SOAK_H * 4)
#define SOAK_RING_SIZE (4096 + SOAK_WINDOW * SOAK_SLOT_SIZE)
#define SOAK_RING_STRIDE ((SOAK_RING_SIZE + 4095) / 4096 * 4096)
/* the truncating attacker's ring, alone in its file */
#define SOAK_TRUNC_SLOTS 3u
#define SOAK_TRUNC_RING (4096 + SOAK_TRUNC_SLOTS * SOAK_SLOT_SIZE)

/** A consumer that gets no access unit for this long is stalled. */
#define SOAK_STALL_MS 15000
/** Longest wait for one reply, one handshake step. */
#define SOAK_REPLY_MS 20000

enum soak_kind { SOAK_GUEST, SOAK_VIEWER, SOAK_SUBSCRIBER, SOAK_BROWSER };

/** How an actor is told to go away (it then comes back after a gap). */
enum soak_disconnect {
	SOAK_DISC_NONE = 0,
	SOAK_DISC_CLEAN,   /**< GOODBYE / close frame, then FIN */
	SOAK_DISC_FIN,     /**< close() without a word */
	SOAK_DISC_RST,     /**< abortive close (SO_LINGER 0) */
	SOAK_DISC_MID,     /**< half a message, then RST */
	SOAK_DISC_MODES,
};

const char *soak_disconnect_name(enum soak_disconnect m);

/** What an actor counted (atomics: the sampler reads them). */
struct soak_counts {
	gint frames;         /**< access units checked while healthy */
	gint misses;         /**< access units a healthy consumer did not get */
	gint errors;         /**< anything else wrong (bad picture, unexpected close, stall) */
	gint drops;          /**< guests: replies flagged DROPPED */
	gint connects;       /**< connections made */
	gint planned;        /**< deliberate disconnects done */
	gint producer_gaps;  /**< connections ended because the producer was made to go */
	gint server_skipped; /**< viewers: access units hostencd's /stats says it skipped for them */
};

struct soak;
struct soak_attack_stats;

struct soak_actor {
	struct soak *soak;
	enum soak_kind kind;
	unsigned index;
	char name[24];
	GThread *thread;

	/* configuration */
	uint32_t fourcc;             /**< guests: pixel format */
	bool shm;                    /**< guests: through the ring */
	struct soak_actor *producer; /**< consumers: the guest they watch, NULL = the pattern */
	char source[48];             /**< consumers: stream name */
	const struct soak_clip *clip; /**< pictures of the stream watched (NULL: pattern) */

	/* control */
	gint request;   /**< enum soak_disconnect to perform, set by the scheduler */
	gint gap_ms;    /**< how long to stay away after it */
	gint up;        /**< connected and streaming/checking */
	gint epoch;     /**< guests: incremented when a session ends */
	gint viewer_no; /**< viewers: this connection's number in /stats, -1 */

	struct soak_counts n;
	GMutex lock;
	char last_error[200];
	unsigned logged;
};

struct soak_options {
	double minutes;
	uint32_t seed;
	const char *hostencd;
	const char *out_dir;     /**< CSV, log */
	const char *svg;         /**< the curve */
	double warmup_s;
	double attack_min_s, attack_max_s;
	double disconnect_min_s, disconnect_max_s;
	double sample_s;
	bool browser;            /**< a viewer in chromium too */
	uint32_t attacks;        /**< bit i: soak_attacks[i] takes part */
};

struct soak_region {
	char *path;
	int fd;
	uint8_t *map;
	uint64_t size;
};

struct soak {
	struct soak_options opt;
	pid_t pid;            /**< hostencd */
	uint16_t port, http_port;
	char *log_path;
	int64_t t0_us;        /**< start of the run (monotonic) */
	gint stop;            /**< actors end */
	gint daemon_dead;
	struct soak_clip clips[SOAK_CLIP_FORMATS];
	struct soak_region *ring_region;   /**< the healthy guests' rings */
	struct soak_region *attack_region; /**< the truncating guest's file */
	struct soak_actor actors[SOAK_MAX_ACTORS];
	unsigned n_actors;
	GRand *rand;          /**< the scheduler's (main thread) */
	GMutex rand_lock;

	/* the attacker now running; what attackers counted */
	gint attacker;        /**< index into the attack table, -1 none */
	gint attack_stop;     /**< the attacker ends its slot now */
	struct soak_attack_stats *attack_stats;
};

/* ---- time and logging ---------------------------------------------------- */

/** Seconds since the run started. */
double soak_now_s(const struct soak *s);
/** A line on stderr with the run's time in front. */
G_GNUC_PRINTF(2, 3) void soak_log(const struct soak *s, const char *fmt, ...);
/** Count an error of @p a and log it (the first ones, then every 100th). */
G_GNUC_PRINTF(2, 3) void soak_error(struct soak_actor *a, const char *fmt, ...);
/** Whether the run is ending. */
bool soak_stopping(const struct soak *s);
/** Sleep @p ms, waking early when the run ends. @return false if it did. */
bool soak_sleep_ms(const struct soak *s, int ms);
/** A random integer in [lo, hi] (thread-safe). */
int32_t soak_random(struct soak *s, int32_t lo, int32_t hi);
/** hostencd still runs (not exited, not a zombie). */
bool soak_daemon_alive(struct soak *s);

/**
 * The value of the series @p series (name and labels exactly as in
 * /metrics, e.g. "hostenc_sessions") now, or -1.
 */
int64_t soak_metric(struct soak *s, const char *series);
/** Whether /stats lists web viewer number @p no: 1, 0, or -1 when it does not answer. */
int soak_viewer_listed(struct soak *s, int no);

/* ---- actors ----------------------------------------------------------------- */

/** The disconnect asked of @p a, if any (taken: asked once). */
enum soak_disconnect soak_take_request(struct soak_actor *a, int *gap_ms);
/** Whether the producer of consumer @p a is streaming, and its epoch. */
bool soak_producer_up(const struct soak_actor *a, int *epoch);

gpointer soak_guest_main(gpointer data);
gpointer soak_viewer_main(gpointer data);
gpointer soak_subscriber_main(gpointer data);
gpointer soak_browser_main(gpointer data);
/** node, the page's script, playwright-core and chromium are all here. */
bool soak_browser_available(void);
