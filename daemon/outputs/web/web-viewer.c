/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One browser viewer: a WebSocket that is an output of a stream (docs/web.md).
 *
 * Flow control: libsoup does not say how much a WebSocket has queued, so
 * the viewer counts the bytes it hands to libsoup and subtracts what the
 * peer has acknowledged (TCP_INFO tcpi_bytes_acked): the difference is
 * everything not yet delivered, in libsoup's queue and the kernel's. Over
 * the bound deliver() says -EAGAIN and the stream skips whole access units
 * until the next IDR; a viewer that stays over it past the stream's stall
 * limit is closed (4003). It never slows the others. */
#define G_LOG_DOMAIN "hostenc.web"
#include <errno.h>
#include <json-glib/json-glib.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "mem-trim.h"
#include "web-private.h"

#define INPUT_PER_SECOND 1000
#define INIT_TIMEOUT_S 10
#define CLIENT_ID_MAX 64
#define SECRET_BYTES 16

struct he_viewer {
	struct he_output output;
	struct he_web *w;
	SoupWebsocketConnection *conn;
	GSocket *sock;
	char *client;
	char secret[2 * SECRET_BYTES + 1]; /* proves a page's later connection is its own */
	uint64_t index;
	char *peer;
	uint32_t stream_id;
	bool attached, closing;
	struct he_video_format *format_sent; /* the description the page has */
	uint32_t cur_w, cur_h;
	struct web_input_state input;
	uint64_t cursor_serial_sent;
	uint64_t handed, acked_base, sent_aus, bytes;
	int64_t input_window;
	uint32_t input_in_window;
	uint64_t texts, input_events, input_dropped;
	struct web_viewer_control control; /* its role (web-control.c) */
	int end;                /* enum web_end once known, else -1 */
	bool end_counted;
	guint init_timer;
	guint free_idle;
};

static struct he_viewer *from_output(struct he_output *o)
{
	return (struct he_viewer *)((char *)o - offsetof(struct he_viewer, output));
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

/* Once per viewer: why its connection ended, for /metrics. */
static void count_end(struct he_viewer *v, enum web_end otherwise)
{
	if (v->end_counted)
		return;
	v->end_counted = true;
	v->w->ends[v->end >= 0 ? v->end : (int)otherwise]++;
}

static void close_viewer(struct he_viewer *v, gushort code, const char *why)
{
	if (v->closing)
		return;
	g_info("viewer %s (%s): closing %u: %s", v->client, v->peer, code, why);
	count_end(v, web_end_of_code(code));
	if (soup_websocket_connection_get_state(v->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
		g_autofree char *msg = g_strdup_printf("{\"type\":\"error\",\"message\":\"%s\"}", why);

		send_text(v, msg);
		soup_websocket_connection_close(v->conn, code, why);
	}
	v->closing = true;
}

static void send_init(struct he_viewer *v, struct he_au *au)
{
	struct he_stream_info info;
	g_autofree char *text = NULL;

	he_stream_info(v->output.stream, &info);
	text = g_strdup_printf("{\"type\":\"init\",\"source\":%u,\"name\":\"%s\",\"codec\":\"%s\","
			       "\"width\":%u,\"height\":%u,\"fps\":%.3g,\"encoder\":\"%s\","
			       "\"hardware\":%s,\"input\":%s,\"resizable\":%s,\"pointer\":\"%s\","
			       "\"client\":\"%s\",\"secret\":\"%s\","
			       "\"viewer\":%" G_GUINT64_FORMAT ",\"role\":\"%s\","
			       "\"server_time_us\":%" G_GINT64_FORMAT "}",
			       info.id, info.name, au->format->codec, au->width, au->height,
			       info.fps > 0 ? info.fps : 30.0, info.encoder,
			       info.hardware ? "true" : "false",
			       he_stream_has_input(v->output.stream) ? "true" : "false",
			       he_stream_can_resize(v->output.stream) ? "true" : "false",
			       he_stream_pointer_absolute(v->output.stream) ? "absolute" : "relative",
			       v->client, v->secret, v->index,
			       v->control.role == WEB_ROLE_CONTROL ? "control" : "view", he_now_us());
	send_text(v, text);
	g_clear_pointer(&v->format_sent, he_video_format_unref);
	v->format_sent = he_video_format_ref(au->format);
	v->cur_w = au->width;
	v->cur_h = au->height;
}

static bool congested(struct he_viewer *v)
{
	uint64_t mine = undelivered(v);

	/* its own bound, or all viewers' together (web-budget.c) */
	return mine > v->w->output_queue || web_budget_holds_back(v->w, mine);
}

static int deliver(struct he_output *o, struct he_au *au, bool replay)
{
	struct he_viewer *v = from_output(o);
	GBytes *msg;

	if (v->closing ||
	    soup_websocket_connection_get_state(v->conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return -EPIPE;
	if (congested(v))
		return -EAGAIN;
	/* A new stream description (media made it once, at the encoder):
	 * the page reconfigures its decoder. */
	if (au->keyframe && au->format &&
	    (au->format != v->format_sent || au->width != v->cur_w || au->height != v->cur_h))
		send_init(v, au);
	msg = web_video_message(v->w, au, replay);
	count_sent(v, g_bytes_get_size(msg));
	v->bytes += g_bytes_get_size(msg);
	v->sent_aus++;
	soup_websocket_connection_send_message(v->conn, SOUP_WEBSOCKET_DATA_BINARY, msg);
	web_budget_queued(v->w, g_bytes_get_size(msg));
	g_bytes_unref(msg);
	return 0;
}

static void closed(struct he_output *o, enum he_output_close why)
{
	struct he_viewer *v = from_output(o);

	if (why == HE_OUTPUT_CLOSE_TOO_SLOW)
		close_viewer(v, WS_CLOSE_TOO_SLOW, "viewer too slow: its queue did not drain");
	else
		close_viewer(v, WS_CLOSE_MACHINE_STOPPED, "the machine stopped");
}

static bool ready(struct he_output *o)
{
	struct he_viewer *v = from_output(o);
	uint64_t mine = undelivered(v);

	return !v->closing && mine <= v->w->output_queue / 2 &&
	       !web_budget_holds_back(v->w, mine);
}

/* The machine's pointer, for the page to draw locally: the shape (RGBA,
 * base64) only when it changed since this viewer got it. */
static void cursor(struct he_output *o, const struct he_cursor *c)
{
	struct he_viewer *v = from_output(o);
	g_autoptr(GString) text = g_string_new(NULL);

	g_string_printf(text, "{\"type\":\"cursor\",\"visible\":%s,\"x\":%d,\"y\":%d,"
			"\"hot_x\":%d,\"hot_y\":%d,\"width\":%u,\"height\":%u",
			c->visible ? "true" : "false", c->x, c->y, c->hot_x, c->hot_y, c->width,
			c->height);
	if (c->shape_serial != v->cursor_serial_sent && c->bgra) {
		gsize len;
		const uint8_t *bgra = g_bytes_get_data(c->bgra, &len);
		g_autofree uint8_t *rgba = g_malloc(len);
		g_autofree char *b64 = NULL;

		for (gsize i = 0; i + 3 < len; i += 4) {
			rgba[i] = bgra[i + 2];
			rgba[i + 1] = bgra[i + 1];
			rgba[i + 2] = bgra[i];
			rgba[i + 3] = bgra[i + 3];
		}
		b64 = g_base64_encode(rgba, len);
		g_string_append_printf(text, ",\"rgba\":\"%s\"", b64);
	}
	v->cursor_serial_sent = c->shape_serial;
	g_string_append_c(text, '}');
	send_text(v, text->str);
}

static const struct he_output_impl viewer_impl = {
	.version = HE_OUTPUT_VERSION,
	.deliver = deliver,
	.ready = ready,
	.close = closed,
	.cursor = cursor,
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

static void handle_input(struct he_viewer *v, JsonObject *o, const char *type)
{
	struct he_stream *stream = v->output.stream;

	if (!stream || !web_control_admits(v->w, v, type))
		return;
	if (web_input_handle(&v->input, stream, type, o))
		v->input_events++;
}

static void attach(struct he_viewer *v)
{
	struct he_stream *src = he_registry_find(v->w->reg, v->stream_id);

	if (v->attached)
		return;
	if (!src) {
		close_viewer(v, WS_CLOSE_UNKNOWN_SOURCE, "unknown source");
		return;
	}
	v->attached = true;
	v->output.impl = &viewer_impl;
	he_stream_attach(src, &v->output);
	web_control_joined(v->w, v);
	/* The replay was the current picture and nothing follows until the
	 * machine draws: the page keeps it without calling it a stall. */
	if (he_stream_is_still(src))
		send_text(v, "{\"type\":\"still\"}");
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
	type = web_json_string(o, "type", "");
	if (g_str_equal(type, "init")) {
		attach(v);
	} else if (g_str_equal(type, "ping")) {
		g_autofree char *pong = g_strdup_printf(
			"{\"type\":\"pong\",\"t\":%.17g,\"server_time_us\":%" G_GINT64_FORMAT "}",
			web_json_double(o, "t", 0), he_now_us());

		send_text(v, pong);
	} else if (g_str_equal(type, "keyframe")) {
		if (v->output.stream)
			he_stream_ask_idr(v->output.stream);
	} else if (g_str_equal(type, "control")) {
		web_control_request(v->w, v, o);
	} else {
		handle_input(v, o, type);
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

static void leave_stream(struct he_viewer *v)
{
	/* also when the stream went first (it detaches before it closes us) */
	web_control_left(v->w, v);
	if (!v->output.stream)
		return;
	/* Keys and buttons held when a viewer leaves are released. */
	web_input_release_all(&v->input, v->output.stream);
	he_stream_detach(v->output.stream, &v->output);
}

static void viewer_destroy(struct he_viewer *v)
{
	count_end(v, WEB_END_SHUTDOWN);
	leave_stream(v);
	web_input_clear(&v->input);
	g_clear_pointer(&v->format_sent, he_video_format_unref);
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
	/* what libsoup had queued for it is freed: give it back to the system */
	he_mem_trim_soon();
}

/* The stream's share: its viewers together send at most so many a second.
 * A viewer's first message (its init) is not held to it, so that others'
 * flood cannot keep a new viewer from joining. */
static bool stream_admits(struct he_viewer *v)
{
	struct he_stream *s = v->output.stream ? v->output.stream
					       : he_registry_find(v->w->reg, v->stream_id);

	return v->texts++ == 0 || !s || he_stream_input_admit(s);
}

static void on_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
	struct he_viewer *v = data;
	gsize len;
	const char *text = g_bytes_get_data(message, &len);

	if (type != SOUP_WEBSOCKET_DATA_TEXT || v->closing)
		return;
	/* The rates are checked before any parsing: a flood costs counters. */
	if (!input_allowed(v) || !stream_admits(v)) {
		v->input_dropped++;
		v->w->refused[WEB_REFUSED_RATE]++;
		return;
	}
	handle_text(v, text, len);
}

/* The guard (web-guard.c) or libsoup refused what the peer sent; libsoup
 * closes the connection next. */
static void on_error(SoupWebsocketConnection *conn, GError *error, gpointer data)
{
	struct he_viewer *v = data;

	if (error->domain == SOUP_WEBSOCKET_ERROR && v->end < 0)
		v->end = WEB_END_LIMIT;
	if (error->domain == SOUP_WEBSOCKET_ERROR)
		g_message("viewer %s (%s): %s: closing", v->client, v->peer, error->message);
	else
		g_info("viewer %s (%s): %s", v->client, v->peer, error->message);
}

static gboolean free_idle(gpointer data)
{
	struct he_viewer *v = data;

	v->free_idle = 0;
	viewer_destroy(v);
	return G_SOURCE_REMOVE;
}

static void on_closed(SoupWebsocketConnection *conn, gpointer data)
{
	struct he_viewer *v = data;

	g_info("viewer %s (%s): closed (code %u)", v->client, v->peer,
	       soup_websocket_connection_get_close_code(conn));
	/* not closed by hostencd: by the page (a close frame), or broken */
	count_end(v, soup_websocket_connection_get_close_code(conn) ? WEB_END_NORMAL
								    : WEB_END_BROKEN);
	v->closing = true;
	leave_stream(v);
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

/* Random bytes as hex, from the kernel's generator. */
static void random_hex(char *out, size_t bytes)
{
	uint8_t buf[SECRET_BYTES];
	size_t got = 0;

	g_assert(bytes <= sizeof(buf));
	while (got < bytes) {
		ssize_t n = getrandom(buf + got, bytes - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		g_assert(n > 0); /* Linux 3.17 or later */
		got += (size_t)n;
	}
	for (size_t i = 0; i < bytes; i++)
		g_snprintf(out + 2 * i, 3, "%02x", buf[i]);
}

static bool valid_client_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (!n || n > CLIENT_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(id[i]) && id[i] != '-' && id[i] != '_')
			return false;
	return true;
}

/*
 * The client id the page asked for, and whether this connection replaces
 * an older one of the same page (4000 for the old one). Only the secret
 * the server gave that page proves it: an id alone, seen anywhere, does
 * not let another connection close a viewer; it gets an id of its own.
 */
static void assign_client(struct he_viewer *v, const char *client, const char *secret)
{
	struct he_web *w = v->w;
	bool valid = valid_client_id(client);
	struct he_viewer *old = valid ? g_hash_table_lookup(w->viewers_by_client, client) : NULL;

	if (old && secret && web_secret_equal(secret, old->secret)) {
		g_free(v->client);
		v->client = g_strdup(client);
		memcpy(v->secret, old->secret, sizeof(v->secret));
		g_hash_table_remove(w->viewers_by_client, client);
		close_viewer(old, WS_CLOSE_SUPERSEDED,
			     "superseded by a newer connection of this client");
	} else if (valid && !old) {
		g_free(v->client);
		v->client = g_strdup(client);
	} else if (old) {
		g_info("viewer %s (%s): client id %s is another viewer's and no secret proves it "
		       "this one's: a viewer of its own", v->client, v->peer, client);
	}
	g_hash_table_insert(w->viewers_by_client, g_strdup(v->client), v);
}

static char *random_client_id(void)
{
	char *id = g_malloc(2 * SECRET_BYTES + 1);

	random_hex(id, SECRET_BYTES);
	return id;
}

void web_viewer_accept(struct he_web *w, SoupServerMessage *msg, SoupWebsocketConnection *conn,
		       GHashTable *query)
{
	struct he_viewer *v = g_new0(struct he_viewer, 1);
	const char *src = query ? g_hash_table_lookup(query, "source") : NULL;
	const char *client = query ? g_hash_table_lookup(query, "client") : NULL;
	const char *secret = query ? g_hash_table_lookup(query, "secret") : NULL;
	struct he_stream *stream;
	bool ok;

	v->w = w;
	v->conn = g_object_ref(conn);
	v->sock = soup_server_message_get_socket(msg);
	if (v->sock)
		g_object_ref(v->sock);
	if (v->sock)
		g_socket_set_option(v->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	v->peer = g_strdup(soup_server_message_get_remote_host(msg));
	v->client = random_client_id();
	random_hex(v->secret, SECRET_BYTES);
	v->acked_base = acked_bytes(v, &ok);
	v->end = -1;
	v->control.role = web_role(w, msg, query);
	web_input_init(&v->input);
	w->viewers = g_list_prepend(w->viewers, v);
	v->index = ++w->viewers_total;
	soup_websocket_connection_set_max_incoming_payload_size(conn, VIEWER_MAX_INPUT);
	soup_websocket_connection_set_keepalive_interval(conn, 5);
	g_signal_connect(conn, "message", G_CALLBACK(on_message), v);
	g_signal_connect(conn, "error", G_CALLBACK(on_error), v);
	g_signal_connect(conn, "closed", G_CALLBACK(on_closed), v);
	if (v->control.role == WEB_ROLE_NONE) {
		close_viewer(v, WS_CLOSE_UNAUTHORIZED, "bad or missing token");
		return;
	}
	/* an unknown name is unknown, never the pattern: the page retries */
	if (!(stream = web_source_find(w, src))) {
		close_viewer(v, WS_CLOSE_UNKNOWN_SOURCE, "unknown source");
		return;
	}
	v->stream_id = he_stream_id(stream);
	assign_client(v, client, secret);
	v->init_timer = g_timeout_add_seconds(INIT_TIMEOUT_S, init_timeout, v);
	g_info("viewer %s (%s): connected to stream %u", v->client, v->peer, v->stream_id);
}

void web_viewers_close_all(struct he_web *w)
{
	while (w->viewers) {
		struct he_viewer *v = w->viewers->data;

		close_viewer(v, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
		viewer_destroy(v);
	}
}

uint64_t web_viewer_queued(struct he_viewer *v)
{
	return undelivered(v);
}

void web_viewer_info(struct he_viewer *v, struct he_viewer_info *out)
{
	memset(out, 0, sizeof(*out));
	out->index = v->index;
	out->peer = v->peer;
	out->stream_id = v->stream_id;
	out->sent_aus = v->sent_aus;
	out->skipped_aus = v->output.skipped;
	out->resyncs = v->output.resyncs;
	out->bytes = v->bytes;
	out->queued = undelivered(v);
	out->input_events = v->input_events;
	out->input_dropped = v->input_dropped;
	out->input_refused = v->control.refused;
	out->role = v->control.role;
}

uint64_t web_viewer_index(struct he_viewer *v)
{
	return v->index;
}

uint32_t web_viewer_stream_id(struct he_viewer *v)
{
	return v->stream_id;
}

struct web_viewer_control *web_viewer_control(struct he_viewer *v)
{
	return &v->control;
}

struct he_stream *web_viewer_stream(struct he_viewer *v)
{
	return v->output.stream;
}

void web_viewer_send_text(struct he_viewer *v, const char *text)
{
	send_text(v, text);
}

void web_viewer_release_input(struct he_viewer *v)
{
	if (v->output.stream)
		web_input_release_all(&v->input, v->output.stream);
}
