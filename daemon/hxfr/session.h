/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One connection speaking HXFR: a guest that sends frames (inline or shared
 * memory) and gets one reply per frame, a Helix scanout client, or a
 * subscriber to a source. Runs entirely on the main loop; the socket is
 * non-blocking and nothing waits on the peer. */
#ifndef HOSTENC_HXFR_SESSION_H
#define HOSTENC_HXFR_SESSION_H

#include <glib.h>
#include <stdint.h>

#include "hxfr-server.h"

struct he_session;
struct hxfr_machine;

enum he_transport {
	HE_TRANSPORT_TCP,
	HE_TRANSPORT_UNIX,
	HE_TRANSPORT_VSOCK,
};

/** Who is at the other end of an accepted connection. */
struct he_peer {
	enum he_transport transport;
	const char *name;    /**< for logs: "tcp:127.0.0.1:4242" */
	const char *address; /**< what sessions per peer are counted by: an IP (an
				  IPv6 /64), a vsock CID; NULL for unix sockets */
};

/**
 * Take over connected socket @p fd (made non-blocking here; the session
 * closes it). @p machine: the machine the connection belongs to, or NULL
 * (a ref is taken). Returns NULL (and closes @p fd) when the session limit
 * or the limit per peer address is reached.
 */
struct he_session *he_session_create(struct he_hxfr *hx, int fd, const struct he_peer *peer,
				     struct hxfr_machine *machine);
/** Close at once, dropping queued output. */
void he_session_destroy(struct he_session *s);

void he_session_info(struct he_session *s, struct he_session_info *out);

#endif
