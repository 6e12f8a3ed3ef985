/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd as a whole: reads its configuration, picks the encoder, and
 * wires the modules together (the stream registry, the HXFR listeners and
 * sessions, the test pattern, the web output). Main loop only. */
#ifndef HOSTENC_DAEMON_H
#define HOSTENC_DAEMON_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hxfr-server.h"
#include "stream.h"

/** Everything the command line and key file can set. */
struct he_config {
	char **listen;          /**< "tcp:HOST:PORT", "unix:PATH", "vsock:CID:PORT" */
	char **shm;             /**< "NAME=PATH" or "PATH" */
	char *encoder;          /**< NULL = auto (hardware first) */
	struct he_hxfr_config hxfr; /**< limits of guest sessions (shm: see above) */
	struct he_stream_env stream; /**< keepalive, bitrate, GOP (encoder: see above) */
	uint32_t output_queue;  /**< bytes an output may have queued before resync */
	/* test pattern */
	bool pattern;
	uint32_t pattern_width, pattern_height, pattern_fps;
	/* VMs started by hostenc-vm */
	bool vms;
	char *vm_dir;           /**< NULL = he_vm_default_dir() */
	char **vm_bus;          /**< "NAME=DBUS_ADDRESS": VMs on a D-Bus bus */
	char **scanout_owners;  /**< "ID=VM": --scanout-owner */
	/* web */
	char *http;             /**< "HOST:PORT" or NULL */
	char *token;            /**< --token; NULL: a random one unless no_token */
	char *view_token;       /**< --view-token: watch only (needs token) */
	bool no_token;          /**< --no-token: none at all (loopback only) */
	char *tls_cert;         /**< PEM certificate: HTTPS (with tls_key), or NULL */
	char *tls_key;          /**< PEM private key of tls_cert */
	char **allow_origins;   /**< --allow-origin */
	char **allow_hosts;     /**< --allow-host */
	uint32_t max_web_connections; /**< 0: the web output's default */
	uint32_t web_idle_timeout_s;  /**< 0: the web output's default */
	uint32_t max_viewers;         /**< 0: the web output's default */
	uint64_t max_viewer_bytes;    /**< 0: the web output's default */
};

void he_config_defaults(struct he_config *c);
void he_config_clear(struct he_config *c);

struct he_daemon;

/**
 * Start everything @p cfg asks for (its strings are taken; @p cfg is left
 * cleared). @return NULL with @p err saying what to fix.
 */
struct he_daemon *he_daemon_create(struct he_config *cfg, GError **err);
void he_daemon_destroy(struct he_daemon *d);
/** True for an --http address on loopback (127.x, [::1], localhost). */
gboolean he_address_is_loopback(const char *address);
/** The page to open, or NULL without --http. */
const char *he_daemon_url(const struct he_daemon *d);

#endif
