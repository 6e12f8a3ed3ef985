/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The optional access token, from the query or an Authorization header. */
#include <string.h>

#include "web-private.h"

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

bool web_authorized(struct he_web *w, SoupServerMessage *msg, GHashTable *query)
{
	const char *auth, *given = NULL;

	if (!w->token)
		return true;
	if (query)
		given = g_hash_table_lookup(query, "token");
	auth = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					    "Authorization");
	if (!given && auth && g_str_has_prefix(auth, "Bearer "))
		given = auth + 7;
	return given && strcmp(given, w->token) == 0;
}
