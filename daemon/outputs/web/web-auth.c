/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The optional access token, from the query or an Authorization header. */
#include <string.h>

#include "web-private.h"

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
