/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon object: configuration, sources, sessions, limits. Everything
 * here is touched only from the main loop thread, except where noted. */
#ifndef HOSTENC_DAEMON_H
#define HOSTENC_DAEMON_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "stats.h"

struct he_shm_regions;
struct he_source;
struct he_session;

#define HE_DEFAULT_PORT 15937
#define HE_PATTERN_SOURCE_ID 0
#define HE_GUEST_SOURCE_BASE 256

/** Everything the command line and key file can set. */
struct he_config {
	char **listen;          /**< "tcp:HOST:PORT", "unix:PATH", "vsock:CID:PORT" */
	char **shm;             /**< "NAME=PATH" or "PATH" */
	char *encoder;          /**< NULL = auto (hardware first) */
	uint32_t max_sessions;
	uint32_t max_width, max_height;
	uint32_t max_payload;   /**< bytes per message */
	uint64_t max_inflight_bytes; /**< all sessions together */
	uint64_t max_shm;       /**< bytes per attached ring */
	uint32_t max_inflight;  /**< frames per session */
	uint32_t idle_timeout_s; /**< mid-message stall before a session is closed */
	uint32_t keepalive_fps; /**< static-screen re-encode rate, 0 = off */
	uint32_t consumer_queue; /**< max queued bytes per consumer before resync */
	/* test pattern */
	bool pattern;
	uint32_t pattern_width, pattern_height, pattern_fps;
	uint32_t bitrate;       /**< default bitrate, bits/s; 0 = 4 bits/pixel/s */
	uint32_t gop;           /**< frames between IDRs, 0 = 10 s worth */
	/* web (see web/) */
	char *http;             /**< "HOST:PORT" or NULL */
	char *token;
};

void he_config_defaults(struct he_config *c);
void he_config_clear(struct he_config *c);

struct he_daemon {
	struct he_config cfg;
	GMainContext *ctx;
	struct he_shm_regions *regions;
	GHashTable *sources;    /**< id -> struct he_source* (borrowed; sources unregister) */
	GList *sessions;        /**< struct he_session* */
	uint32_t n_sessions;
	uint32_t next_guest_id;
	uint64_t inflight_bytes; /**< bytes held by queued frames of all sessions */
	const char *encoder_name; /**< chosen at start by probing */
	bool encoder_hardware;
	char *encoder_reason;
};

struct he_daemon *he_daemon_new(const struct he_config *cfg, GError **err);
void he_daemon_free(struct he_daemon *d);

void he_daemon_add_source(struct he_daemon *d, struct he_source *s);
void he_daemon_remove_source(struct he_daemon *d, struct he_source *s);
struct he_source *he_daemon_find_source(struct he_daemon *d, uint32_t id);
uint32_t he_daemon_alloc_source_id(struct he_daemon *d);

/* Session bookkeeping (session.c calls these). */
void he_daemon_session_added(struct he_daemon *d, struct he_session *s);
void he_daemon_session_removed(struct he_daemon *d, struct he_session *s);

/** Guest-misbehaviour logging: at most a few lines per second overall. */
void he_guest_log(const char *peer, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
