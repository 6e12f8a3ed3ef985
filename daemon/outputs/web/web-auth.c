/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may ask: the Host a request names (DNS rebinding), the Origin of a
 * page that opens a WebSocket, the optional access tokens from the query or
 * an Authorization header and the role each gives (docs/web.md). */
#include <gio/gio.h>
#include <string.h>

#include "web-private.h"

bool web_secret_equal(const char *given, const char *secret)
{
	size_t n = strlen(secret), m = strlen(given);
	unsigned diff = m != n;

	for (size_t i = 0; i < n; i++) {
		unsigned char g = i < m ? (unsigned char)given[i] : 0;

		diff |= g ^ (unsigned char)secret[i];
	}
	return diff == 0;
}

/* The name in a Host header, lower case, without port, brackets or a
 * final dot; NULL when there is none. */
static char *host_name(const char *header)
{
	const char *end;
	char *name;

	if (header[0] == '[') {
		end = strchr(header, ']');
		if (!end)
			return NULL;
		header++;
	} else if (g_hostname_is_ip_address(header)) {
		end = header + strlen(header); /* an IPv6 address without brackets */
	} else {
		end = strrchr(header, ':');
		if (!end)
			end = header + strlen(header);
	}
	if (end > header && end[-1] == '.')
		end--;
	if (end == header)
		return NULL;
	name = g_ascii_strdown(header, end - header);
	return name;
}

/*
 * A page of another site can make the browser resolve its own name to this
 * machine (DNS rebinding) and then read this server's answers as its own:
 * its requests name that site in Host. An IP address there means the page
 * was opened by address (its origin is that address, not another site);
 * a name must be localhost or one --allow-host gives.
 */
bool web_host_allowed(struct he_web *w, SoupServerMessage *msg)
{
	const char *host = soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Host");
	g_autofree char *name = NULL;

	if (!host) /* HTTP/1.0, not a browser: browsers always send one */
		return true;
	name = host_name(host);
	if (!name)
		return false;
	if (g_hostname_is_ip_address(name) || g_str_equal(name, "localhost"))
		return true;
	for (char **a = w->allow_hosts; a && *a; a++)
		if (g_str_equal(*a, "*") || g_ascii_strcasecmp(*a, name) == 0)
			return true;
	return false;
}

/* The origin a page of this server has: the scheme and the Host it was asked for. */
static bool same_origin(SoupServerMessage *msg, const char *origin)
{
	const char *host = soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Host");
	const char *scheme = g_uri_get_scheme(soup_server_message_get_uri(msg));
	g_autofree char *own = NULL;

	if (!host)
		return false;
	own = g_strdup_printf("%s://%s", g_strcmp0(scheme, "https") == 0 ||
				  g_strcmp0(scheme, "wss") == 0 ? "https" : "http", host);
	return g_ascii_strcasecmp(origin, own) == 0;
}

bool web_origin_allowed(struct he_web *w, SoupServerMessage *msg)
{
	const char *origin = soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Origin");

	if (!origin) /* not a browser page: no cross-site request to fear */
		return true;
	if (same_origin(msg, origin))
		return true;
	for (char **a = w->allow_origins; a && *a; a++)
		if (g_ascii_strcasecmp(*a, origin) == 0 || g_str_equal(*a, "*"))
			return true;
	return false;
}

/* The token a request presents: ?token= or "Authorization: Bearer". */
static const char *presented_token(SoupServerMessage *msg, GHashTable *query)
{
	const char *auth, *given = NULL;

	if (query)
		given = g_hash_table_lookup(query, "token");
	auth = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					    "Authorization");
	if (!given && auth && g_str_has_prefix(auth, "Bearer "))
		given = auth + 7;
	return given;
}

/*
 * What the presented token lets a viewer do: --token controls (watch and
 * input), --view-token only watches. Both are compared every time, so the
 * time taken does not say which one (or whether) a guess matched. Without
 * a token every viewer controls (hostencd then listens on loopback only).
 */
enum web_role web_role(struct he_web *w, SoupServerMessage *msg, GHashTable *query)
{
	const char *given;
	bool control, view;

	if (!w->token)
		return WEB_ROLE_CONTROL;
	given = presented_token(msg, query);
	if (!given)
		return WEB_ROLE_NONE;
	control = web_secret_equal(given, w->token);
	view = w->view_token && web_secret_equal(given, w->view_token);
	return control ? WEB_ROLE_CONTROL : view ? WEB_ROLE_VIEW : WEB_ROLE_NONE;
}

bool web_authorized(struct he_web *w, SoupServerMessage *msg, GHashTable *query)
{
	return web_role(w, msg, query) != WEB_ROLE_NONE;
}
