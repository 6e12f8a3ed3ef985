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
/* A viewer's message, assembled from all its fragments (they are small JSON). */
#define VIEWER_MAX_INPUT 4096
/* Frames a viewer may send: every kind, and control frames (ping, pong,
 * close) alone; a browser sends a pong every 5 s and input at most at its
 * display's rate. Over the rate past the burst the connection is closed. */
#define VIEWER_FRAMES_PER_S 500
#define VIEWER_FRAMES_BURST 1000
#define VIEWER_CONTROL_PER_S 10
#define VIEWER_CONTROL_BURST 20
/* Bytes of one viewer read in one main-loop turn. */
#define VIEWER_TURN_BYTES 65536

struct he_viewer;

struct he_web {
	struct he_registry *reg;
	struct he_hxfr *hx;
	SoupServer *server;
	char *token;
	char *root;
	char *root_real;        /* the root with every link resolved, or NULL */
	char *url;
	char *encoder;
	char **allow_origins;
	char **allow_hosts;
	uint32_t output_queue;
	GHashTable *viewers_by_client; /* client id -> struct he_viewer* */
	GList *viewers;
	uint64_t viewers_total;
	/* web-conns.c */
	uint32_t max_connections, idle_timeout_s;
	GHashTable *conns;      /* GSocket* (weak) -> struct web_conn* */
	guint sweep_timer;
	uint64_t conns_refused, conns_timed_out;
	int64_t refused_logged_us;
	/* The last video message built, shared by every viewer it goes to:
	 * one buffer per access unit, not one per viewer. */
	struct he_au *msg_au;
	bool msg_replay;
	GBytes *msg;
};

/* web-auth.c */
bool web_authorized(struct he_web *w, SoupServerMessage *msg, GHashTable *query);
bool web_origin_allowed(struct he_web *w, SoupServerMessage *msg);
/** The request's Host is one of this server's names (DNS rebinding). */
bool web_host_allowed(struct he_web *w, SoupServerMessage *msg);
/** @p given is @p secret, in a time that depends on the secret's length only. */
bool web_secret_equal(const char *given, const char *secret);

/* web-conns.c: the web port's connections, counted and timed out */
void web_conns_start(struct he_web *w);
void web_conns_stop(struct he_web *w);
uint32_t web_conns_count(struct he_web *w);

/* web-guard.c: a viewer's incoming WebSocket frames, checked under libsoup */
struct web_guard_limits {
	uint64_t max_message;                  /* one data message, all fragments */
	uint32_t frames_per_s, frames_burst;   /* frames of every kind */
	uint32_t control_per_s, control_burst; /* ping, pong, close */
	uint32_t turn_bytes;                   /* read per main-loop turn */
};
/** A stream that reads @p base and fails the read once the peer breaks a limit. */
GIOStream *web_guard_stream_new(GIOStream *base, const struct web_guard_limits *lim);

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
	uint64_t index;         /* the viewer's number, never reused (not its client id) */
	const char *peer;
	uint32_t stream_id;
	uint64_t sent_aus, skipped_aus, bytes, resyncs;
	uint64_t queued;
	uint64_t input_events, input_dropped;
};
void web_viewer_info(struct he_viewer *v, struct he_viewer_info *out);

/* web-stats.c */
void web_stats_json(struct he_web *w, SoupServerMessage *msg);
void web_stats_metrics(struct he_web *w, SoupServerMessage *msg);
void web_sources_json(struct he_web *w, SoupServerMessage *msg);

#endif
