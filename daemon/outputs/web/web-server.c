/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP routing: the Host check, static files, stats endpoints, the
 * WebSocket upgrade and the optional token. */
#define G_LOG_DOMAIN "hostenc.web"
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web-private.h"

static const char *content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", "application/json" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (g_str_has_suffix(path, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static void respond_text(SoupServerMessage *msg, guint status, const char *text)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text,
					 strlen(text));
}

/* A static file is small: the page, its script and style. */
#define STATIC_MAX_BYTES (16u << 20)

/* @p path is @p root or below it (both resolved). */
static bool inside(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (strncmp(path, root, n) != 0)
		return false;
	return path[n] == '/' || (n && root[n - 1] == '/');
}

/* The contents of a regular file, read through one descriptor: what was
 * checked is what is read (no FIFO or device is even opened blocking). */
static char *load_regular(const char *path, gsize *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	g_autofree char *buf = NULL;
	struct stat st;
	gsize got = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_BYTES)
		goto fail;
	buf = g_malloc((gsize)st.st_size + 1);
	while (got < (gsize)st.st_size) {
		ssize_t n = read(fd, buf + got, (gsize)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (gsize)n;
	}
	close(fd);
	*len = got;
	return g_steal_pointer(&buf);

	/* ERRORS */
fail:
	close(fd);
	return NULL;
}

/*
 * Serves a regular file under the root. The path is resolved, links and
 * all, and must still be under the resolved root: a link that points out
 * of the root is not followed there, and nothing but a regular file is
 * served.
 */
static void serve_static(struct he_web *w, SoupServerMessage *msg, const char *path)
{
	g_autofree char *joined = NULL, *real = NULL, *contents = NULL;
	gsize len = 0;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (strstr(path, "..") || strchr(path, '\\')) {
		respond_text(msg, SOUP_STATUS_BAD_REQUEST, "bad path\n");
		return;
	}
	if (w->root_real) {
		joined = g_build_filename(w->root_real, path + 1, NULL);
		real = realpath(joined, NULL);
	}
	if (!real || !inside(w->root_real, real) || !(contents = load_regular(real, &len))) {
		respond_text(msg, SOUP_STATUS_NOT_FOUND, "not found\n");
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Cache-Control", "no-cache");
	soup_server_message_set_response(msg, content_type(path), SOUP_MEMORY_TAKE,
					 g_steal_pointer(&contents), len);
}

static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
		       GHashTable *query, gpointer data)
{
	struct he_web *w = data;
	const char *method = soup_server_message_get_method(msg);

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		respond_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "GET only\n");
		return;
	}
	if (g_str_equal(path, "/stats") || g_str_equal(path, "/metrics") ||
	    g_str_equal(path, "/sources") || g_str_equal(path, "/thumb")) {
		if (!web_authorized(w, msg, query)) {
			respond_text(msg, SOUP_STATUS_UNAUTHORIZED, "token required\n");
			return;
		}
		if (g_str_equal(path, "/stats"))
			web_stats_json(w, msg);
		else if (g_str_equal(path, "/metrics"))
			web_stats_metrics(w, msg);
		else if (g_str_equal(path, "/thumb"))
			web_thumb_request(w, msg, query);
		else
			web_sources_json(w, msg);
		return;
	}
	if (g_str_has_prefix(path, "/ws/")) {
		respond_text(msg, SOUP_STATUS_BAD_REQUEST, "WebSocket upgrade expected\n");
		return;
	}
	/* "/" is the list of screens; with source= the player of that one */
	if (g_str_equal(path, "/"))
		path = query && g_hash_table_contains(query, "source") ? "/index.html" : "/list.html";
	serve_static(w, msg, path);
}

/* Every request, first: a name this server does not go by is another
 * site's page that had its name resolve here (DNS rebinding). */
static bool refuse_host(SoupServerMessage *msg, struct he_web *w)
{
	const char *host = soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Host");

	if (web_host_allowed(w, msg))
		return false;
	g_info("refused a request for Host '%s' from %s", host,
	       soup_server_message_get_remote_host(msg));
	respond_text(msg, SOUP_STATUS_MISDIRECTED_REQUEST,
		     "this server does not go by the name in Host: open it by its IP address or "
		     "localhost, or start hostencd with --allow-host NAME\n");
	return true;
}

static void on_early(SoupServer *server, SoupServerMessage *msg, const char *path,
		     GHashTable *query, gpointer data)
{
	refuse_host(msg, data);
}

/*
 * Before the WebSocket handshake: a page from another site must not drive
 * the machine (cross-site WebSocket hijacking), so the Origin, when the
 * browser sends one, must be this server's own or one --allow-origin
 * names; and without the token there is no upgrade at all (401), rather
 * than an upgrade closed afterwards.
 */
/* --max-viewers: 503 before the handshake, so that the page can say why
 * (it asks with a plain GET of the same URL, which gets the same answer). */
static bool refuse_viewer(struct he_web *w, SoupServerMessage *msg)
{
	if (!web_viewers_full(w))
		return false;
	w->viewers_refused++;
	g_info("refused a WebSocket upgrade from %s: %u viewers, the most --max-viewers allows",
	       soup_server_message_get_remote_host(msg), w->max_viewers);
	respond_text(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
		     "too many viewers: try again later, or start hostencd with a larger "
		     "--max-viewers\n");
	return true;
}

static void on_ws_early(SoupServer *server, SoupServerMessage *msg, const char *path,
			GHashTable *query, gpointer data)
{
	struct he_web *w = data;
	const char *why = NULL;
	guint status = 0;

	if (refuse_host(msg, w))
		return;
	if (!web_origin_allowed(w, msg)) {
		status = SOUP_STATUS_FORBIDDEN;
		why = "cross-origin WebSocket refused: open the page from this server, or start "
		      "hostencd with --allow-origin ORIGIN\n";
	} else if (!web_authorized(w, msg, query)) {
		status = SOUP_STATUS_UNAUTHORIZED;
		why = "token required: open the page with ?token=TOKEN\n";
	} else if (refuse_viewer(w, msg)) {
		return;
	}
	if (!status)
		return;
	g_info("refused a WebSocket upgrade from %s: %u", soup_server_message_get_remote_host(msg),
	       status);
	respond_text(msg, status, why);
}

static const struct web_guard_limits viewer_limits = {
	.max_message = VIEWER_MAX_INPUT,
	.frames_per_s = VIEWER_FRAMES_PER_S,
	.frames_burst = VIEWER_FRAMES_BURST,
	.control_per_s = VIEWER_CONTROL_PER_S,
	.control_burst = VIEWER_CONTROL_BURST,
	.turn_bytes = VIEWER_TURN_BYTES,
};

/*
 * The 101 went out: the connection becomes a viewer's WebSocket, read
 * through the guard (web-guard.c). Done here rather than by libsoup's
 * WebSocket handler, which would give the socket to libsoup unguarded and
 * agree to permessage-deflate (a small frame inflating to any size; and
 * video does not compress).
 */
static void on_upgraded(SoupServerMessage *msg, gpointer data)
{
	struct he_web *w = data;
	GUri *uri = g_uri_ref(soup_server_message_get_uri(msg));
	const char *q = g_uri_get_query(uri);
	g_autoptr(GHashTable) query = q ? soup_form_decode(q) : NULL;
	const char *origin = soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Origin");
	g_autoptr(GIOStream) base = NULL, guarded = NULL;
	g_autoptr(SoupWebsocketConnection) conn = NULL;

	g_object_ref(msg);
	web_upgrade_done(w, msg);
	base = soup_server_message_steal_connection(msg);
	if (base) {
		guarded = web_guard_stream_new(base, &viewer_limits);
		conn = soup_websocket_connection_new(guarded, uri, SOUP_WEBSOCKET_CONNECTION_SERVER,
						     origin, NULL, NULL);
		web_viewer_accept(w, msg, conn, query);
	}
	g_uri_unref(uri);
	g_object_unref(msg);
}

static void on_ws_request(SoupServer *server, SoupServerMessage *msg, const char *path,
			  GHashTable *query, gpointer data)
{
	if (strcmp(soup_server_message_get_method(msg), "GET") != 0 ||
	    !soup_websocket_server_check_handshake(msg, NULL, NULL, NULL, NULL)) {
		respond_text(msg, SOUP_STATUS_BAD_REQUEST, "WebSocket upgrade expected\n");
		return;
	}
	/* the cap again: upgrades of the same turn passed the early check */
	if (refuse_viewer(data, msg))
		return;
	/* "Connection: Upgrade", not the "close" every answer starts with
	 * (web-conns.c); no extension offered: the answer names none */
	soup_message_headers_remove(soup_server_message_get_response_headers(msg), "Connection");
	if (soup_websocket_server_process_handshake(msg, NULL, NULL, NULL, NULL)) {
		web_upgrade_begin(data, msg);
		g_signal_connect(msg, "wrote-informational", G_CALLBACK(on_upgraded), data);
	}
}

static gboolean split_address(const char *address, char **host, guint16 *port, GError **err)
{
	const char *colon = strrchr(address, ':');
	guint64 p;

	if (!colon || colon == address ||
	    !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &p, NULL)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--http %s: expected HOST:PORT, e.g. 127.0.0.1:8080", address);
		return FALSE;
	}
	*host = g_strndup(address, (gsize)(colon - address));
	if ((*host)[0] == '[') {
		size_t n = strlen(*host);

		memmove(*host, *host + 1, n);
		if (n >= 2 && (*host)[n - 2] == ']')
			(*host)[n - 2] = 0;
	}
	*port = (guint16)p;
	return TRUE;
}

/* HTTPS: browsers give WebCodecs only to secure contexts (https, or
 * http on localhost), so a viewer on another machine needs this. */
static gboolean load_tls(struct he_web *w, const struct he_web_config *cfg, GError **err)
{
	g_autoptr(GTlsCertificate) cert = NULL;

	if (!cfg->tls_cert)
		return TRUE;
	cert = g_tls_certificate_new_from_files(cfg->tls_cert, cfg->tls_key, err);
	if (!cert) {
		g_prefix_error(err, "--tls-cert %s / --tls-key %s: cannot load the certificate "
			       "or its key: ", cfg->tls_cert, cfg->tls_key);
		return FALSE;
	}
	soup_server_set_tls_certificate(w->server, cert);
	return TRUE;
}

static gboolean start_listening(struct he_web *w, const char *address, GError **err)
{
	g_autofree char *host = NULL;
	g_autoptr(GSocketAddress) sa = NULL;
	GSList *uris;
	guint16 port;

	if (!split_address(address, &host, &port, err))
		return FALSE;
	sa = g_inet_socket_address_new_from_string(host, port);
	if (!sa) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--http %s: '%s' is not a numeric IP address", address, host);
		return FALSE;
	}
	if (!soup_server_listen(w->server, sa,
				soup_server_get_tls_certificate(w->server) ?
				SOUP_SERVER_LISTEN_HTTPS : 0, err)) {
		g_prefix_error(err, "--http %s: ", address);
		return FALSE;
	}
	if (!g_inet_address_get_is_loopback(
		    g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa))) &&
	    !w->allow_hosts)
		g_message("web: open the page by IP address; by a DNS name only with "
			  "--allow-host NAME (other names get 421)");
	uris = soup_server_get_uris(w->server);
	if (uris) {
		w->url = g_uri_to_string(uris->data);
		g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	}
	return TRUE;
}

struct he_web *he_web_create(const struct he_web_config *cfg, struct he_registry *reg,
			     struct he_hxfr *hx, GError **err)
{
	struct he_web *w = g_new0(struct he_web, 1);

	w->reg = reg;
	w->hx = hx;
	w->token = g_strdup(cfg->token);
	w->view_token = g_strdup(cfg->view_token);
	w->root = g_strdup(cfg->root);
	w->encoder = g_strdup(cfg->encoder);
	w->allow_origins = g_strdupv((char **)cfg->allow_origins);
	w->allow_hosts = g_strdupv((char **)cfg->allow_hosts);
	w->output_queue = cfg->output_queue;
	w->max_connections = cfg->max_connections ? cfg->max_connections : HE_WEB_MAX_CONNECTIONS;
	w->idle_timeout_s = cfg->idle_timeout_s ? cfg->idle_timeout_s : HE_WEB_IDLE_TIMEOUT_S;
	w->max_viewers = cfg->max_viewers ? cfg->max_viewers : HE_WEB_MAX_VIEWERS;
	w->max_viewer_bytes = cfg->max_viewer_bytes ? cfg->max_viewer_bytes
						    : HE_WEB_MAX_VIEWER_BYTES;
	w->root_real = realpath(cfg->root, NULL);
	if (!w->root_real)
		g_warning("web: static files %s: %s; the page will not be found", cfg->root,
			  g_strerror(errno));
	w->viewers_by_client = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	web_control_init(w);
	w->server = soup_server_new("server-header", "hostencd", NULL);
	soup_server_add_handler(w->server, NULL, on_request, w, NULL);
	soup_server_add_early_handler(w->server, NULL, on_early, w, NULL);
	soup_server_add_handler(w->server, "/ws/stream", on_ws_request, w, NULL);
	soup_server_add_early_handler(w->server, "/ws/stream", on_ws_early, w, NULL);
	web_conns_start(w);
	w->thumbs = web_thumbs_new(w);
	if (!load_tls(w, cfg, err) || !start_listening(w, cfg->address, err)) {
		he_web_destroy(w);
		return NULL;
	}
	if (w->view_token) {
		GString *view = g_string_new(w->url);

		g_string_append(view, "?token=");
		g_string_append_uri_escaped(view, w->view_token, NULL, FALSE);
		g_message("web: watch only (no input): open %s", view->str);
		g_string_free(view, TRUE);
	}
	return w;
}

void he_web_destroy(struct he_web *w)
{
	if (!w)
		return;
	web_viewers_close_all(w);
	g_clear_pointer(&w->thumbs, web_thumbs_free);
	web_message_cache_clear(w);
	if (w->server) {
		soup_server_disconnect(w->server);
		g_object_unref(w->server);
	}
	web_conns_stop(w);
	web_upgrades_forget(w);
	g_hash_table_destroy(w->viewers_by_client);
	web_control_clear(w);
	g_free(w->token);
	g_free(w->view_token);
	g_free(w->root);
	free(w->root_real);
	g_free(w->encoder);
	g_strfreev(w->allow_origins);
	g_strfreev(w->allow_hosts);
	g_free(w->url);
	g_free(w);
}

const char *he_web_url(const struct he_web *w)
{
	return w->url;
}

char *he_web_page_url(const struct he_web *w, const char *source)
{
	GString *url = g_string_new(w->url);
	char sep = '?';

	if (w->token) {
		g_string_append_printf(url, "%ctoken=", sep);
		g_string_append_uri_escaped(url, w->token, NULL, FALSE);
		sep = '&';
	}
	if (source) {
		g_string_append_printf(url, "%csource=", sep);
		g_string_append_uri_escaped(url, source, "/", FALSE);
	}
	return g_string_free(url, FALSE);
}
