/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Members of the page's JSON messages, by type. A member that is missing,
 * null or of another type (a number where a string belongs, an object
 * anywhere) reads as the default: json-glib's own getters return NULL for
 * a number read as a string and log a critical for an object read as a
 * value, and a page's message must cause neither. */
#include "web-private.h"

/* Doubles beyond this do not fit a gint64 (and no message needs them). */
#define INT_LIMIT 9.0e18

static JsonNode *value(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && JSON_NODE_HOLDS_VALUE(n) ? n : NULL;
}

const char *web_json_string(JsonObject *o, const char *name, const char *dflt)
{
	JsonNode *n = value(o, name);

	return n && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n) : dflt;
}

gint64 web_json_int(JsonObject *o, const char *name, gint64 dflt)
{
	JsonNode *n = value(o, name);
	double d;

	if (!n)
		return dflt;
	if (json_node_get_value_type(n) == G_TYPE_INT64)
		return json_node_get_int(n);
	if (json_node_get_value_type(n) != G_TYPE_DOUBLE)
		return dflt;
	d = json_node_get_double(n); /* the page's pixels may have fractions */
	return d > -INT_LIMIT && d < INT_LIMIT ? (gint64)d : dflt;
}

double web_json_double(JsonObject *o, const char *name, double dflt)
{
	JsonNode *n = value(o, name);
	GType t = n ? json_node_get_value_type(n) : G_TYPE_INVALID;

	return t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double(n) : dflt;
}

bool web_json_bool(JsonObject *o, const char *name, bool dflt)
{
	JsonNode *n = value(o, name);
	GType t = n ? json_node_get_value_type(n) : G_TYPE_INVALID;

	if (t == G_TYPE_BOOLEAN)
		return json_node_get_boolean(n);
	return t == G_TYPE_INT64 ? json_node_get_int(n) != 0 : dflt;
}
