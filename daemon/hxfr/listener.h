/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Listening sockets: TCP, unix and AF_VSOCK. Each accepted connection
 * becomes a session. */
#ifndef HOSTENC_HXFR_LISTENER_H
#define HOSTENC_HXFR_LISTENER_H

#include <glib.h>

struct he_hxfr;
struct he_listener;

/**
 * Listen on @p spec: "tcp:HOST:PORT" (HOST may be [v6]), "unix:PATH",
 * "vsock:CID:PORT" (CID a number or "any"). A stale unix socket file
 * (nobody listening) is removed first. @return NULL with @p err, whose
 * message says what to do.
 */
struct hxfr_machine;

/** @p machine (may be NULL): the machine every session from here belongs to (a ref is taken). */
struct he_listener *he_listener_create(struct he_hxfr *hx, const char *spec,
				       struct hxfr_machine *machine, GError **err);
void he_listener_destroy(struct he_listener *l);
/** Human-readable bound address ("tcp:127.0.0.1:15937"). */
const char *he_listener_address(const struct he_listener *l);
/** True when the host can create AF_VSOCK sockets at all. */
gboolean he_listener_vsock_available(char *why, size_t n);

#endif
