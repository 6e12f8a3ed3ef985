/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the files of daemon/outputs/web. */
#ifndef HOSTENC_OUTPUTS_WEB_PRIVATE_H
#define HOSTENC_OUTPUTS_WEB_PRIVATE_H

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdbool.h>

#include "registry.h"
#include "stream.h"
#include "web.h"

/* WebSocket close codes (docs/web.md). */
#define WS_CLOSE_SUPERSEDED 4000
#define WS_CLOSE_UNAUTHORIZED 4001
#define WS_CLOSE_UNKNOWN_SOURCE 4002
#define WS_CLOSE_TOO_SLOW 4003
#define WS_CLOSE_MACHINE_STOPPED 4004

#define WS_HEADER_SIZE 24
#define VIEWER_MAX_INPUT 4096

struct he_viewer;

struct he_web {
	struct he_registry *reg;
	struct he_hxfr *hx;
	SoupServer *server;
	char *token;
	char *root;
	char *url;
	char *encoder;
	char **allow_origins;
	uint32_t output_queue;
	GHashTable *viewers_by_client; /* client id -> struct he_viewer* */
	GList *viewers;
	uint64_t viewers_total;
	/* The last video message built, shared by every viewer it goes to:
	 * one buffer per access unit, not one per viewer. */
	struct he_au *msg_au;
	bool msg_replay;
	GBytes *msg;
};

/* web-auth.c */
bool web_authorized(struct he_web *w, SoupServerMessage *msg, GHashTable *query);
bool web_origin_allowed(struct he_web *w, SoupServerMessage *msg);

/* web-message.c */
GBytes *web_video_message(struct he_web *w, struct he_au *au, bool replay);
void web_message_cache_clear(struct he_web *w);

/* web-input.c: the page's input as device events */
struct web_input_state {
	uint32_t buttons;           /* DOM buttons mask last seen */
	int32_t wheel_x, wheel_y;   /* pixels not yet a whole notch */
	GArray *keys_down;          /* uint16_t evdev codes held */
};
void web_input_init(struct web_input_state *st);
void web_input_clear(struct web_input_state *st);
/** Translate one input message of the page and send it to @p stream's machine. */
bool web_input_handle(struct web_input_state *st, struct he_stream *stream, const char *type,
		      JsonObject *o);
/** Release every key and button @p st holds (the viewer left or lost focus). */
void web_input_release_all(struct web_input_state *st, struct he_stream *stream);

/* web-viewer.c */
void web_viewer_accept(struct he_web *w, SoupServerMessage *msg, SoupWebsocketConnection *conn,
		       GHashTable *query);
void web_viewers_close_all(struct he_web *w);

struct he_viewer_info {
	const char *client;
	const char *peer;
	uint32_t stream_id;
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
