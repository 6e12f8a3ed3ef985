/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One browser viewer: a WebSocket that consumes a source (docs/web.md).
 *
 * Flow control: libsoup does not say how much a WebSocket has queued, so
 * the viewer counts the bytes it hands to libsoup and subtracts what the
 * peer has acknowledged (TCP_INFO tcpi_bytes_acked): the difference is
 * everything not yet delivered, in libsoup's queue and the kernel's. Over
 * the bound, whole access units are skipped until the next IDR; a viewer
 * that stays over it for 10 s is closed (4003). It never slows the others. */
#define G_LOG_DOMAIN "hostenc.web"
#include <errno.h>
#include <json-glib/json-glib.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "h264.h"
#include "web-private.h"

#define TOO_SLOW_US (10 * G_USEC_PER_SEC)
#define INPUT_PER_SECOND 1000
#define INIT_TIMEOUT_S 10

struct he_viewer {
	struct he_consumer consumer;
	struct he_web *w;
	SoupWebsocketConnection *conn;
	GSocket *sock;
	char *client;
	char *peer;
	uint32_t source_id;
	bool attached, closing;
	uint32_t cur_w, cur_h;
	char codec[32];
	uint64_t handed, acked_base, sent_aus, bytes;
	int64_t congested_since, input_window;
	uint32_t input_in_window;
	uint64_t input_events;
	guint init_timer;
	guint free_idle;
};

static struct he_viewer *from_consumer(struct he_consumer *c)
{
	return (struct he_viewer *)((char *)c - offsetof(struct he_viewer, consumer));
}

/* ---- flow control ------------------------------------------------------- */

static uint64_t acked_bytes(struct he_viewer *v, bool *ok)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int fd = v->sock ? g_socket_get_fd(v->sock) : -1;

	*ok = fd >= 0 && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	      len >= offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked);
	return *ok ? ti.tcpi_bytes_acked : 0;
}

static uint64_t undelivered(struct he_viewer *v)
{
	bool ok;
	uint64_t acked = acked_bytes(v, &ok);
	int outq = 0;

	if (ok) {
		acked = acked > v->acked_base ? acked - v->acked_base : 0;
		return v->handed > acked ? v->handed - acked : 0;
	}
	/* No TCP_INFO: the kernel queue is all we can see. */
	if (v->sock && ioctl(g_socket_get_fd(v->sock), SIOCOUTQ, &outq) == 0 && outq > 0)
		return (uint64_t)outq;
	return 0;
}

static void count_sent(struct he_viewer *v, size_t payload)
{
	/* server frames are unmasked: 2, 4 or 10 header bytes */
	v->handed += payload + (payload < 126 ? 2 : payload < 65536 ? 4 : 10);
}

/* ---- sending ------------------------------------------------------------ */

static void send_text(struct he_viewer *v, const char *text)
{
	if (v->closing ||
	    soup_websocket_connection_get_state(v->conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	soup_websocket_connection_send_text(v->conn, text);
	count_sent(v, strlen(text));
}

static void close_viewer(struct he_viewer *v, gushort code, const char *why)
{
	if (v->closing)
		return;
	g_info("viewer %s (%s): closing %u: %s", v->client, v->peer, code, why);
	if (soup_websocket_connection_get_state(v->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
		g_autofree char *msg = g_strdup_printf("{\"type\":\"error\",\"message\":\"%s\"}", why);

		send_text(v, msg);
		soup_websocket_connection_close(v->conn, code, why);
	}
	v->closing = true;
}

static void update_codec(struct he_viewer *v, struct he_au *au)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;
	gsize len;
	const uint8_t *p = g_bytes_get_data(au->data, &len);

	he_h264_iter_init(&it, p, len);
	while (he_h264_iter_next(&it, &nal) > 0) {
		struct he_h264_sps sps;

		if (nal.type != HE_H264_NAL_SPS || he_h264_sps_parse(nal.data, nal.size, &sps) < 0)
			continue;
		g_snprintf(v->codec, sizeof(v->codec), "avc1.%02x%02x%02x", sps.profile_idc,
			   sps.constraint_flags, sps.level_idc);
		return;
	}
}

static void send_init(struct he_viewer *v, struct he_au *au)
{
	struct he_source_info info;
	g_autofree char *text = NULL;

	he_source_info(v->consumer.source, &info);
	text = g_strdup_printf("{\"type\":\"init\",\"source\":%u,\"codec\":\"%s\",\"width\":%u,"
			       "\"height\":%u,\"fps\":%.3g,\"encoder\":\"%s\",\"hardware\":%s,"
			       "\"server_time_us\":%" G_GINT64_FORMAT "}",
			       info.id, v->codec, au->width, au->height,
			       info.fps > 0 ? info.fps : 30.0, info.encoder,
			       info.hardware ? "true" : "false", he_now_us());
	send_text(v, text);
	v->cur_w = au->width;
	v->cur_h = au->height;
}

static GBytes *video_message(struct he_au *au, bool replay)
{
	gsize len;
	const uint8_t *p = g_bytes_get_data(au->data, &len);
	uint8_t *buf = g_malloc(WS_HEADER_SIZE + len);
	uint64_t cap = (uint64_t)au->capture_us;
	uint32_t seq = (uint32_t)au->seq;

	buf[0] = 1;
	buf[1] = (au->keyframe ? 1 : 0) | (replay ? 2 : 0);
	buf[2] = (uint8_t)au->width;
	buf[3] = (uint8_t)(au->width >> 8);
	buf[4] = (uint8_t)au->height;
	buf[5] = (uint8_t)(au->height >> 8);
	buf[6] = buf[7] = 0;
	for (int i = 0; i < 8; i++)
		buf[8 + i] = (uint8_t)(cap >> (8 * i));
	for (int i = 0; i < 4; i++)
		buf[16 + i] = (uint8_t)(seq >> (8 * i));
	memset(buf + 20, 0, 4);
	memcpy(buf + WS_HEADER_SIZE, p, len);
	return g_bytes_new_take(buf, WS_HEADER_SIZE + len);
}

static int congestion(struct he_viewer *v)
{
	int64_t now = g_get_monotonic_time();

	if (undelivered(v) <= v->w->d->cfg.consumer_queue) {
		v->congested_since = 0;
		return 0;
	}
	if (!v->congested_since)
		v->congested_since = now;
	if (now - v->congested_since > TOO_SLOW_US) {
		close_viewer(v, WS_CLOSE_TOO_SLOW, "viewer too slow: its queue did not drain");
		return -EPIPE;
	}
	return -EAGAIN;
}

static int deliver(struct he_consumer *c, struct he_au *au, bool replay)
{
	struct he_viewer *v = from_consumer(c);
	GBytes *msg;
	int res;

	if (v->closing ||
	    soup_websocket_connection_get_state(v->conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return -EPIPE;
	if ((res = congestion(v)) < 0)
		return res;
	if (au->keyframe) {
		char old[sizeof(v->codec)];

		memcpy(old, v->codec, sizeof(old));
		update_codec(v, au);
		if (au->width != v->cur_w || au->height != v->cur_h || strcmp(old, v->codec))
			send_init(v, au);
	}
	msg = video_message(au, replay);
	count_sent(v, g_bytes_get_size(msg));
	v->bytes += g_bytes_get_size(msg);
	v->sent_aus++;
	soup_websocket_connection_send_message(v->conn, SOUP_WEBSOCKET_DATA_BINARY, msg);
	g_bytes_unref(msg);
	return 0;
}

static void source_gone(struct he_consumer *c)
{
	close_viewer(from_consumer(c), SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "source went away");
}

static bool ready(struct he_consumer *c)
{
	struct he_viewer *v = from_consumer(c);

	return !v->closing && undelivered(v) <= v->w->d->cfg.consumer_queue / 2;
}

static const struct he_consumer_impl viewer_impl = {
	.deliver = deliver,
	.source_gone = source_gone,
	.ready = ready,
};

/* ---- input from the page ----------------------------------------------- */

static bool input_allowed(struct he_viewer *v)
{
	int64_t now = g_get_monotonic_time();

	if (now - v->input_window >= G_USEC_PER_SEC) {
		v->input_window = now;
		v->input_in_window = 0;
	}
	return ++v->input_in_window <= INPUT_PER_SECOND;
}

static int clamp_int(gint64 v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : (int)v;
}

static void handle_input(struct he_viewer *v, JsonObject *o, const char *type)
{
	struct he_input_event ev = { 0 };
	struct he_source *src = v->consumer.source;

	if (!src || !input_allowed(v))
		return;
	if (g_str_equal(type, "key")) {
		ev.kind = HE_INPUT_KEY;
		ev.key = json_object_get_string_member_with_default(o, "key", NULL);
		ev.code = json_object_get_string_member_with_default(o, "code", NULL);
		ev.down = json_object_get_boolean_member_with_default(o, "down", TRUE);
		if (!ev.key || strlen(ev.key) > 64 || (ev.code && strlen(ev.code) > 64))
			return;
	} else if (g_str_equal(type, "pointer")) {
		ev.kind = HE_INPUT_POINTER;
		ev.x = clamp_int(json_object_get_int_member_with_default(o, "x", 0), 0, 16383);
		ev.y = clamp_int(json_object_get_int_member_with_default(o, "y", 0), 0, 16383);
		ev.buttons = (uint32_t)clamp_int(json_object_get_int_member_with_default(o, "buttons", 0),
						 0, 0xffff);
	} else {
		ev.kind = HE_INPUT_WHEEL;
		ev.dx = clamp_int(json_object_get_int_member_with_default(o, "dx", 0), -10000, 10000);
		ev.dy = clamp_int(json_object_get_int_member_with_default(o, "dy", 0), -10000, 10000);
	}
	v->input_events++;
	he_source_input(src, &ev);
}

static void attach(struct he_viewer *v)
{
	struct he_source *src = he_daemon_find_source(v->w->d, v->source_id);

	if (v->attached)
		return;
	if (!src) {
		close_viewer(v, WS_CLOSE_UNKNOWN_SOURCE, "unknown source");
		return;
	}
	v->attached = true;
	v->consumer.impl = &viewer_impl;
	he_source_attach(src, &v->consumer);
}

static void handle_text(struct he_viewer *v, const char *text, gsize len)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;
	JsonObject *o;
	const char *type;

	if (!json_parser_load_from_data(parser, text, (gssize)len, NULL) ||
	    !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root))
		return;
	o = json_node_get_object(root);
	type = json_object_get_string_member_with_default(o, "type", "");
	if (g_str_equal(type, "init")) {
		attach(v);
	} else if (g_str_equal(type, "ping")) {
		g_autofree char *pong = g_strdup_printf(
			"{\"type\":\"pong\",\"t\":%.17g,\"server_time_us\":%" G_GINT64_FORMAT "}",
			json_object_get_double_member_with_default(o, "t", 0), he_now_us());

		send_text(v, pong);
	} else if (g_str_equal(type, "keyframe")) {
		if (v->consumer.source)
			he_source_request_idr(v->consumer.source);
	} else if (g_str_equal(type, "key") || g_str_equal(type, "pointer") ||
		   g_str_equal(type, "wheel")) {
		handle_input(v, o, type);
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

static void viewer_free(struct he_viewer *v)
{
	if (v->consumer.source)
		he_source_detach(v->consumer.source, &v->consumer);
	if (v->init_timer)
		g_source_remove(v->init_timer);
	if (v->free_idle)
		g_source_remove(v->free_idle);
	if (g_hash_table_lookup(v->w->viewers_by_client, v->client) == v)
		g_hash_table_remove(v->w->viewers_by_client, v->client);
	v->w->viewers = g_list_remove(v->w->viewers, v);
	g_signal_handlers_disconnect_by_data(v->conn, v);
	g_object_unref(v->conn);
	g_clear_object(&v->sock);
	g_free(v->client);
	g_free(v->peer);
	g_free(v);
}

static void on_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
	struct he_viewer *v = data;
	gsize len;
	const char *text = g_bytes_get_data(message, &len);

	if (type == SOUP_WEBSOCKET_DATA_TEXT && !v->closing)
		handle_text(v, text, len);
}

static gboolean free_idle(gpointer data)
{
	struct he_viewer *v = data;

	v->free_idle = 0;
	viewer_free(v);
	return G_SOURCE_REMOVE;
}

static void on_closed(SoupWebsocketConnection *conn, gpointer data)
{
	struct he_viewer *v = data;

	g_info("viewer %s (%s): closed (code %u)", v->client, v->peer,
	       soup_websocket_connection_get_close_code(conn));
	v->closing = true;
	if (v->consumer.source)
		he_source_detach(v->consumer.source, &v->consumer);
	if (!v->free_idle)
		v->free_idle = g_idle_add(free_idle, v);
}

static gboolean init_timeout(gpointer data)
{
	struct he_viewer *v = data;

	v->init_timer = 0;
	if (!v->attached)
		close_viewer(v, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "no init message");
	return G_SOURCE_REMOVE;
}

static void supersede(struct he_web *w, const char *client)
{
	struct he_viewer *old = g_hash_table_lookup(w->viewers_by_client, client);

	if (!old)
		return;
	g_hash_table_remove(w->viewers_by_client, client);
	close_viewer(old, WS_CLOSE_SUPERSEDED, "superseded by a newer connection of this client");
}

void web_viewer_accept(struct he_web *w, SoupServerMessage *msg, SoupWebsocketConnection *conn,
		       GHashTable *query)
{
	struct he_viewer *v = g_new0(struct he_viewer, 1);
	const char *src = query ? g_hash_table_lookup(query, "source") : NULL;
	const char *client = query ? g_hash_table_lookup(query, "client") : NULL;
	guint64 id = 0;
	bool ok;

	v->w = w;
	v->conn = g_object_ref(conn);
	v->sock = soup_server_message_get_socket(msg);
	if (v->sock)
		g_object_ref(v->sock);
	if (v->sock)
		g_socket_set_option(v->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	v->peer = g_strdup(soup_server_message_get_remote_host(msg));
	v->client = client && *client && strlen(client) <= 128 ? g_strdup(client)
							       : g_uuid_string_random();
	v->acked_base = acked_bytes(v, &ok);
	w->viewers = g_list_prepend(w->viewers, v);
	w->viewers_total++;
	soup_websocket_connection_set_max_incoming_payload_size(conn, VIEWER_MAX_INPUT);
	soup_websocket_connection_set_keepalive_interval(conn, 5);
	g_signal_connect(conn, "message", G_CALLBACK(on_message), v);
	g_signal_connect(conn, "closed", G_CALLBACK(on_closed), v);
	if (!web_authorized(w, msg, query)) {
		close_viewer(v, WS_CLOSE_UNAUTHORIZED, "bad or missing token");
		return;
	}
	if (src && !g_ascii_string_to_unsigned(src, 10, 0, UINT32_MAX, &id, NULL)) {
		close_viewer(v, WS_CLOSE_UNKNOWN_SOURCE, "source must be a number");
		return;
	}
	v->source_id = (uint32_t)id;
	if (!he_daemon_find_source(w->d, v->source_id)) {
		close_viewer(v, WS_CLOSE_UNKNOWN_SOURCE, "unknown source");
		return;
	}
	supersede(w, v->client);
	g_hash_table_insert(w->viewers_by_client, g_strdup(v->client), v);
	v->init_timer = g_timeout_add_seconds(INIT_TIMEOUT_S, init_timeout, v);
	g_info("viewer %s (%s): connected to source %u", v->client, v->peer, v->source_id);
}

void web_viewers_close_all(struct he_web *w)
{
	while (w->viewers) {
		struct he_viewer *v = w->viewers->data;

		close_viewer(v, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
		viewer_free(v);
	}
}

void web_viewer_info(struct he_viewer *v, struct he_viewer_info *out)
{
	memset(out, 0, sizeof(*out));
	out->client = v->client;
	out->peer = v->peer;
	out->source_id = v->source_id;
	out->sent_aus = v->sent_aus;
	out->skipped_aus = v->consumer.skipped;
	out->resyncs = v->consumer.resyncs;
	out->bytes = v->bytes;
	out->queued = undelivered(v);
	out->input_events = v->input_events;
}
