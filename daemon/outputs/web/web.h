/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The web side of hostencd (docs/web.md): the player page, the WebSocket
 * stream with input back to the source, /stats and /metrics. libsoup 3 on
 * the daemon's main loop. */
#ifndef HOSTENC_WEB_H
#define HOSTENC_WEB_H

#include <glib.h>

struct he_daemon;
struct he_web;

/**
 * Start serving on @p address ("HOST:PORT"; port 0 picks one). @p root is
 * the directory of the static files. @return NULL with @p err.
 */
struct he_web *he_web_new(struct he_daemon *d, const char *address, const char *token,
			  const char *root, GError **err);
void he_web_free(struct he_web *w);
/** The URL a person opens, e.g. "http://127.0.0.1:8080/". */
const char *he_web_url(const struct he_web *w);

#endif
