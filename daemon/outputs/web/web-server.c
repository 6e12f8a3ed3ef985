/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP routing: static files, stats endpoints, the WebSocket upgrade and
 * the optional token. */
#define G_LOG_DOMAIN "hostenc.web"
#include <gio/gio.h>
#include <string.h>

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

/* Serves a file under the root; refuses anything that would leave it. */
static void serve_static(struct he_web *w, SoupServerMessage *msg, const char *path)
{
	g_autoptr(GFile) root = g_file_new_for_path(w->root);
	g_autoptr(GFile) file = NULL;
	g_autofree char *contents = NULL;
	gsize len = 0;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (strstr(path, "..") || strchr(path, '\\')) {
		respond_text(msg, SOUP_STATUS_BAD_REQUEST, "bad path\n");
		return;
	}
	file = g_file_resolve_relative_path(root, path + 1);
	if (!g_file_has_prefix(file, root) ||
	    !g_file_load_contents(file, NULL, &contents, &len, NULL, NULL)) {
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
	    g_str_equal(path, "/sources")) {
		if (!web_authorized(w, msg, query)) {
			respond_text(msg, SOUP_STATUS_UNAUTHORIZED, "token required\n");
			return;
		}
		if (g_str_equal(path, "/stats"))
			web_stats_json(w, msg);
		else if (g_str_equal(path, "/metrics"))
			web_stats_metrics(w, msg);
		else
			web_sources_json(w, msg);
		return;
	}
	if (g_str_has_prefix(path, "/ws/")) {
		respond_text(msg, SOUP_STATUS_BAD_REQUEST, "WebSocket upgrade expected\n");
		return;
	}
	serve_static(w, msg, path);
}

/*
 * Before the WebSocket handshake: a page from another site must not drive
 * the machine (cross-site WebSocket hijacking), so the Origin, when the
 * browser sends one, must be this server's own or one --allow-origin
 * names; and without the token there is no upgrade at all (401), rather
 * than an upgrade closed afterwards.
 */
static void on_ws_early(SoupServer *server, SoupServerMessage *msg, const char *path,
			GHashTable *query, gpointer data)
{
	struct he_web *w = data;
	const char *why = NULL;
	guint status = 0;

	if (!web_origin_allowed(w, msg)) {
		status = SOUP_STATUS_FORBIDDEN;
		why = "cross-origin WebSocket refused: open the page from this server, or start "
		      "hostencd with --allow-origin ORIGIN\n";
	} else if (!web_authorized(w, msg, query)) {
		status = SOUP_STATUS_UNAUTHORIZED;
		why = "token required: open the page with ?token=TOKEN\n";
	}
	if (!status)
		return;
	g_info("refused a WebSocket upgrade from %s: %u", soup_server_message_get_remote_host(msg),
	       status);
	respond_text(msg, status, why);
}

static void on_websocket(SoupServer *server, SoupServerMessage *msg, const char *path,
			 SoupWebsocketConnection *conn, gpointer data)
{
	struct he_web *w = data;
	GUri *uri = soup_server_message_get_uri(msg);
	const char *q = g_uri_get_query(uri);
	g_autoptr(GHashTable) query = q ? soup_form_decode(q) : NULL;

	web_viewer_accept(w, msg, conn, query);
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
	if (!soup_server_listen(w->server, sa, 0, err)) {
		g_prefix_error(err, "--http %s: ", address);
		return FALSE;
	}
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
	w->root = g_strdup(cfg->root);
	w->encoder = g_strdup(cfg->encoder);
	w->allow_origins = g_strdupv((char **)cfg->allow_origins);
	w->output_queue = cfg->output_queue;
	w->viewers_by_client = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	w->server = soup_server_new("server-header", "hostencd", NULL);
	soup_server_add_handler(w->server, NULL, on_request, w, NULL);
	soup_server_add_early_handler(w->server, "/ws/stream", on_ws_early, w, NULL);
	soup_server_add_websocket_handler(w->server, "/ws/stream", NULL, NULL, on_websocket, w,
					  NULL);
	if (!start_listening(w, cfg->address, err)) {
		he_web_destroy(w);
		return NULL;
	}
	return w;
}

void he_web_destroy(struct he_web *w)
{
	if (!w)
		return;
	web_viewers_close_all(w);
	web_message_cache_clear(w);
	if (w->server) {
		soup_server_disconnect(w->server);
		g_object_unref(w->server);
	}
	g_hash_table_destroy(w->viewers_by_client);
	g_free(w->token);
	g_free(w->root);
	g_free(w->encoder);
	g_strfreev(w->allow_origins);
	g_free(w->url);
	g_free(w);
}

const char *he_web_url(const struct he_web *w)
{
	return w->url;
}
