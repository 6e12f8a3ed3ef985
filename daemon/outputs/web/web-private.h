/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HOSTENC_WEB_PRIVATE_H
#define HOSTENC_WEB_PRIVATE_H

#include <libsoup/soup.h>

#include "daemon.h"
#include "source.h"
#include "web.h"

/* WebSocket close codes (docs/web.md). */
#define WS_CLOSE_SUPERSEDED 4000
#define WS_CLOSE_UNAUTHORIZED 4001
#define WS_CLOSE_UNKNOWN_SOURCE 4002
#define WS_CLOSE_TOO_SLOW 4003

#define WS_HEADER_SIZE 24
#define VIEWER_MAX_INPUT 4096

struct he_viewer;

struct he_web {
	struct he_daemon *d;
	SoupServer *server;
	char *token;
	char *root;
	char *url;
	GHashTable *viewers_by_client; /* client id -> struct he_viewer* */
	GList *viewers;
	uint64_t viewers_total;
};

/* web-server.c */
bool web_authorized(struct he_web *w, SoupServerMessage *msg, GHashTable *query);

/* web-viewer.c */
void web_viewer_accept(struct he_web *w, SoupServerMessage *msg, SoupWebsocketConnection *conn,
		       GHashTable *query);
void web_viewers_close_all(struct he_web *w);

struct he_viewer_info {
	const char *client;
	const char *peer;
	uint32_t source_id;
	uint64_t sent_aus, skipped_aus, bytes, resyncs;
	uint64_t queued;
	uint64_t input_events;
};
void web_viewer_info(struct he_viewer *v, struct he_viewer_info *out);

/* web-stats.c */
void web_stats_json(struct he_web *w, SoupServerMessage *msg);
void web_stats_metrics(struct he_web *w, SoupServerMessage *msg);
void web_sources_json(struct he_web *w, SoupServerMessage *msg);

#endif
