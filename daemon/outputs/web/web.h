/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The web output of hostencd (docs/web.md): the player page, the WebSocket
 * stream with input back to the machine, /stats, /metrics and /sources.
 * libsoup 3 on the daemon's main loop. */
#ifndef HOSTENC_OUTPUTS_WEB_H
#define HOSTENC_OUTPUTS_WEB_H

#include <glib.h>
#include <stdint.h>

struct he_registry;
struct he_hxfr;
struct he_web;

struct he_web_config {
	const char *address;      /**< "HOST:PORT"; port 0 picks one */
	const char *token;        /**< required from viewers, or NULL; gives control */
	const char *view_token;   /**< also accepted, for watching only; NULL: none */
	const char *tls_cert;     /**< PEM certificate file: HTTPS (with tls_key), or NULL */
	const char *tls_key;      /**< PEM private key file of tls_cert */
	const char *root;         /**< directory of the static files */
	const char *encoder;      /**< the daemon's encoder, for /stats */
	const char *const *allow_origins; /**< other origins whose pages may connect ("*": any) */
	const char *const *allow_hosts;   /**< Host names besides localhost ("*": any) */
	uint32_t output_queue;    /**< bytes a viewer may have undelivered before resync */
	uint32_t max_connections; /**< web connections at once (0: HE_WEB_MAX_CONNECTIONS) */
	uint32_t idle_timeout_s;  /**< close one idle this long (0: HE_WEB_IDLE_TIMEOUT_S) */
	uint32_t max_viewers;     /**< viewers at once, all streams (0: HE_WEB_MAX_VIEWERS) */
	uint64_t max_viewer_bytes; /**< queued to all viewers (0: HE_WEB_MAX_VIEWER_BYTES) */
};

#define HE_WEB_MAX_CONNECTIONS 256
#define HE_WEB_IDLE_TIMEOUT_S 30
#define HE_WEB_MAX_VIEWERS 64
#define HE_WEB_MAX_VIEWER_BYTES (128ull << 20)

/** @p hx may be NULL (no sessions in /stats). NULL with @p err on failure. */
struct he_web *he_web_create(const struct he_web_config *cfg, struct he_registry *reg,
			     struct he_hxfr *hx, GError **err);
void he_web_destroy(struct he_web *w);
/** The URL a person opens, e.g. "http://127.0.0.1:8080/". */
const char *he_web_url(const struct he_web *w);
/**
 * The page for a person to open: he_web_url() with ?token= (when one is
 * required) and &source=@p source (when not NULL). Free with g_free().
 */
char *he_web_page_url(const struct he_web *w, const char *source);

#endif
