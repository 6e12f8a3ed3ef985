/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HXFR side of hostencd: listeners, guest sessions (HELLO, frames
 * inline or through a shared-memory ring, one reply per frame), Helix
 * scanout clients and SUBSCRIBE outputs. It owns its sessions; it creates
 * a stream per guest through the core and finds streams to subscribe to in
 * the registry. The protocol: docs/protocol.md. Main loop only. */
#ifndef HOSTENC_HXFR_SERVER_H
#define HOSTENC_HXFR_SERVER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct he_registry;
struct he_stream_env;
struct he_stats;
struct he_hxfr;

#define HE_HXFR_DEFAULT_PORT 15937

/** Limits and resources; see hostencd --help for each. */
struct he_hxfr_config {
	uint32_t max_sessions;
	uint32_t max_width, max_height;
	uint32_t max_payload;       /**< bytes per message */
	uint64_t max_inflight_bytes; /**< queued inline frame bytes, all sessions */
	uint64_t max_shm;           /**< bytes per attached ring */
	uint32_t max_inflight;      /**< frames per session */
	uint32_t idle_timeout_s;    /**< mid-message stall before a session is closed */
	uint32_t handshake_timeout_s; /**< no complete first message this long: close */
	uint32_t session_idle_timeout_s; /**< no message, nothing in flight: close; 0 never */
	uint32_t max_peer_sessions; /**< TCP sessions per peer address; 0 = no limit */
	uint64_t max_session_bytes; /**< a session's share of max_inflight_bytes; 0 = 1/4 */
	uint32_t socket_mode;       /**< permission bits of unix listening sockets */
	bool subscribe_needs_auth;  /**< --token: SUBSCRIBE only from trusted local peers */
	uint32_t output_queue;      /**< bytes a subscriber may have queued before resync */
	const char *const *shm;     /**< "NAME=PATH" or "PATH" regions (copied) */
	const char *const *scanout_owners; /**< "ID=VM": only VM's channel enables ID */
};

void he_hxfr_config_defaults(struct he_hxfr_config *c);
/** Is @p spec a valid --scanout-owner value ("ID=VM")? FALSE with @p err. */
gboolean he_hxfr_check_scanout_owner(const char *spec, GError **err);

/** The encoder guests are told about in HELLO_RESP. */
struct he_hxfr_encoder {
	const char *name;
	bool hardware;
};

struct he_hxfr *he_hxfr_create(const struct he_hxfr_config *cfg, struct he_registry *reg,
			       const struct he_stream_env *env,
			       const struct he_hxfr_encoder *encoder, GError **err);
/** Closes every listener and session. */
void he_hxfr_destroy(struct he_hxfr *hx);

/**
 * Listen on @p spec: "tcp:HOST:PORT" (HOST may be [v6]), "unix:PATH",
 * "vsock:CID:PORT". @return the bound address ("tcp:127.0.0.1:15937",
 * owned by @p hx) or NULL with @p err saying what to do.
 */
const char *he_hxfr_listen(struct he_hxfr *hx, const char *spec, GError **err);

struct he_input_sink;

/**
 * Take the guests of machine @p name (a VM): listen on unix socket
 * @p socket_path (its virtio-serial channel); sessions from it belong to
 * the machine: their streams are named "NAME/guest" (or
 * "NAME/guest-HELLONAME"), viewers' input goes to @p input, and their
 * shared-memory ring can only be in @p shm_path (the VM's ivshmem file; NULL:
 * none). @return FALSE with @p err.
 */
gboolean he_hxfr_machine_add(struct he_hxfr *hx, const char *name, const char *socket_path,
			     const char *shm_path, const struct he_input_sink *input,
			     GError **err);
/** The machine is gone: stop listening; its sessions lose its input. */
void he_hxfr_machine_remove(struct he_hxfr *hx, const char *name);

struct he_session_info {
	uint32_t id;
	const char *peer;
	const char *name;      /**< from HELLO, "" for Helix clients */
	const char *path;      /**< "inline", "shm", "subscriber", "idle" */
	uint32_t stream_id;    /**< its own stream, or the subscribed one; UINT32_MAX if none */
	uint32_t inflight;
	uint64_t frames, errors;
	size_t queued_bytes;
	struct he_stats *stats;
};

/** Call @p fn for every session, in no particular order. */
void he_hxfr_foreach_session(struct he_hxfr *hx,
			     void (*fn)(const struct he_session_info *info, void *data),
			     void *data);
uint32_t he_hxfr_session_count(struct he_hxfr *hx);

#endif
