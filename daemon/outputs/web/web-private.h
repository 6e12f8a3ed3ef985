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
struct web_thumbs;

/* What a viewer may do, from the token it presented (web-auth.c). */
enum web_role {
	WEB_ROLE_NONE,    /* no valid token: refused */
	WEB_ROLE_VIEW,    /* --view-token: watch only */
	WEB_ROLE_CONTROL, /* --token, or no token configured: watch and send input */
};

/* Why a viewer's connection ended: the label of
 * hostenc_viewer_closes_total (a fixed set, never a free value). */
enum web_end {
	WEB_END_NORMAL,         /* the page closed it (a close frame) */
	WEB_END_BROKEN,         /* no close frame: the connection broke */
	WEB_END_LIMIT,          /* hostencd dropped it for breaking a limit */
	WEB_END_SLOW,           /* 4003 */
	WEB_END_SUPERSEDED,     /* 4000 */
	WEB_END_AUTH,           /* 4001 */
	WEB_END_UNKNOWN_SOURCE, /* 4002 */
	WEB_END_STOPPED,        /* 4004 */
	WEB_END_NO_INIT,        /* 1008: no init in time */
	WEB_END_SHUTDOWN,       /* 1001: hostencd stopping */
	WEB_END_OTHER,          /* any other code hostencd closed with */
	WEB_END_N
};

/* Why input was not taken: the label of hostenc_input_refused_total. */
enum web_refused {
	WEB_REFUSED_VIEW_ONLY,      /* the viewer has the view token */
	WEB_REFUSED_NOT_IN_CONTROL, /* another viewer took control */
	WEB_REFUSED_RATE,           /* over a text message rate ("Limits") */
	WEB_REFUSED_N
};

struct he_web {
	struct he_registry *reg;
	struct he_hxfr *hx;
	SoupServer *server;
	char *token;
	char *view_token;       /* watch-only viewers' token, or NULL */
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
	struct web_thumbs *thumbs;     /* web-thumb.c */
	/* web-control.c: stream id -> the viewer that took control of it */
	GHashTable *controllers;
	uint64_t ends[WEB_END_N];           /* viewers' connections ended, by why */
	uint64_t refused[WEB_REFUSED_N];    /* input messages not taken, by why */
	/* web-budget.c: viewers at once, and the bytes queued to them all */
	uint32_t max_viewers;
	GList *upgrades;        /* SoupServerMessage* (weak) answered 101, not handed over */
	uint64_t max_viewer_bytes, viewers_refused;
	uint64_t queued;        /* to all viewers, as last summed plus queued since */
	int64_t queued_at_us;
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
/** The role the request's token gives; WEB_ROLE_NONE: refuse it. */
enum web_role web_role(struct he_web *w, SoupServerMessage *msg, GHashTable *query);
/** Either token (or none needed): /stats, /metrics, /sources, the upgrade. */
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

/* web-budget.c: how many viewers, and the bytes queued to all of them */
/** One more viewer would be over max_viewers (upgrades under way count). */
bool web_viewers_full(struct he_web *w);
/** An upgrade that was answered 101 counts until web_upgrade_done(), or
 * until its message is gone should it never be handed over. */
void web_upgrade_begin(struct he_web *w, SoupServerMessage *msg);
void web_upgrade_done(struct he_web *w, SoupServerMessage *msg);
/** The server goes: messages that outlive it are not followed. */
void web_upgrades_forget(struct he_web *w);
/** A viewer with @p mine bytes queued gets nothing more for now: all
 * viewers' queues are over max_viewer_bytes and its is among the longest. */
bool web_budget_holds_back(struct he_web *w, uint64_t mine);
/** @p bytes were just queued to a viewer. */
void web_budget_queued(struct he_web *w, uint64_t bytes);
/** Bytes queued to all viewers. */
uint64_t web_budget_total(struct he_web *w);

/* web-message.c */
GBytes *web_video_message(struct he_web *w, struct he_au *au, bool replay);
void web_message_cache_clear(struct he_web *w);

/* web-json.c: members of the page's messages; another type reads as @p dflt */
const char *web_json_string(JsonObject *o, const char *name, const char *dflt);
gint64 web_json_int(JsonObject *o, const char *name, gint64 dflt);
double web_json_double(JsonObject *o, const char *name, double dflt);
bool web_json_bool(JsonObject *o, const char *name, bool dflt);

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

/* A viewer's role and what web-control.c keeps for it. */
struct web_viewer_control {
	enum web_role role;
	int64_t told_us;        /* when it was last told its input was refused */
	uint64_t refused;       /* its input messages refused */
};

/* What web-control.c needs of a viewer. */
uint64_t web_viewer_index(struct he_viewer *v);
uint32_t web_viewer_stream_id(struct he_viewer *v);
struct web_viewer_control *web_viewer_control(struct he_viewer *v);
/** The stream it is attached to, or NULL (no init yet, or left). */
struct he_stream *web_viewer_stream(struct he_viewer *v);
void web_viewer_send_text(struct he_viewer *v, const char *text);
/** Release every key and button it holds on its stream's machine. */
void web_viewer_release_input(struct he_viewer *v);

/* web-control.c: who may send input to a stream's machine (docs/web.md,
 * "Roles and control") */
void web_control_init(struct he_web *w);
void web_control_clear(struct he_web *w);
/** @p type is an input message of @p v that may go to the machine; when
 * not, it is counted and @p v told (at most once a second). */
bool web_control_admits(struct he_web *w, struct he_viewer *v, const char *type);
/** A {"type":"control"} message of @p v: take or release. */
void web_control_request(struct he_web *w, struct he_viewer *v, JsonObject *o);
/** @p v attached to its stream: tell it who holds control. */
void web_control_joined(struct he_web *w, struct he_viewer *v);
/** @p v leaves its stream: the control it held goes back to everyone. */
void web_control_left(struct he_web *w, struct he_viewer *v);

struct he_viewer_info {
	uint64_t index;         /* the viewer's number, never reused (not its client id) */
	const char *peer;
	uint32_t stream_id;
	uint64_t sent_aus, skipped_aus, bytes, resyncs;
	uint64_t queued;
	uint64_t input_events, input_dropped, input_refused;
	enum web_role role;
};
void web_viewer_info(struct he_viewer *v, struct he_viewer_info *out);
/** Bytes handed to libsoup for @p v and not yet acknowledged by its peer. */
uint64_t web_viewer_queued(struct he_viewer *v);

/* web-source.c */
/** The stream @p source names: all digits an id, else a name; NULL (no
 * source= at all) the test pattern. NULL when there is no such stream. */
struct he_stream *web_source_find(struct he_web *w, const char *source);

/* web-thumb.c: GET /thumb */
struct web_thumbs *web_thumbs_new(struct he_web *w);
/** Answers the requests still waiting; before the server goes. */
void web_thumbs_free(struct web_thumbs *t);
void web_thumb_request(struct he_web *w, SoupServerMessage *msg, GHashTable *query);

/* web-stats.c */
void web_stats_json(struct he_web *w, SoupServerMessage *msg);
void web_stats_metrics(struct he_web *w, SoupServerMessage *msg);
void web_sources_json(struct he_web *w, SoupServerMessage *msg);
/** The end a close code hostencd sends stands for. */
enum web_end web_end_of_code(gushort code);
/** Label values of hostenc_viewer_closes_total and hostenc_input_refused_total. */
const char *web_end_name(enum web_end end);
const char *web_refused_name(enum web_refused why);

#endif
