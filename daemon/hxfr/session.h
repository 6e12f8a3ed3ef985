/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One connection speaking HXFR: a guest that sends frames (inline or shared
 * memory) and gets one reply per frame, a Helix scanout client, or a
 * subscriber to a source. Runs entirely on the main loop; the socket is
 * non-blocking and nothing waits on the peer. */
#ifndef HOSTENC_SESSION_H
#define HOSTENC_SESSION_H

#include <glib.h>
#include <stdint.h>

#include "stats.h"

struct he_daemon;
struct he_session;

/**
 * Take over connected socket @p fd (made non-blocking here; the session
 * closes it). @p peer describes the peer for logs ("tcp:127.0.0.1:4242").
 * Returns NULL (and closes @p fd) when the session limit is reached.
 */
struct he_session *he_session_new(struct he_daemon *d, int fd, const char *peer);
/** Close at once, dropping queued output. */
void he_session_destroy(struct he_session *s);

struct he_session_info {
	uint32_t id;
	const char *peer;
	const char *name;      /**< from HELLO, "" for Helix clients */
	const char *path;      /**< "inline", "shm", "subscriber", "idle" */
	uint32_t source_id;    /**< its own source, or the subscribed one; UINT32_MAX if none */
	uint32_t inflight;
	uint64_t frames, errors;
	size_t queued_bytes;
};
void he_session_info(struct he_session *s, struct he_session_info *out);
struct he_stats *he_session_stats(struct he_session *s);

#endif
