/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may send input to a stream's machine (docs/web.md, "Roles and
 * control"). Viewers with the view token never may. Viewers with the
 * control token share the keyboard and pointer until one of them takes
 * control; then only that one may, until it releases control or leaves,
 * or another control viewer takes it in turn. Input from a viewer that may
 * not send it is dropped, counted, and answered with an input-refused
 * message at most once a second. */
#define G_LOG_DOMAIN "hostenc.web"
#include "web-private.h"

#define REFUSED_TELL_INTERVAL_US G_USEC_PER_SEC

/* The page's messages that act on the machine (web-input.c). "release" is
 * not one: it only lets go of what this viewer holds, and a viewer without
 * control holds nothing (what it held was released when it lost control). */
static const char *const input_types[] = { "key", "pointer", "wheel", "resize", NULL };

void web_control_init(struct he_web *w)
{
	w->controllers = g_hash_table_new(g_direct_hash, g_direct_equal);
}

void web_control_clear(struct he_web *w)
{
	g_clear_pointer(&w->controllers, g_hash_table_destroy);
}

static struct he_viewer *holder_of(struct he_web *w, uint32_t stream_id)
{
	return g_hash_table_lookup(w->controllers, GUINT_TO_POINTER(stream_id));
}

static const char *role_name(enum web_role role)
{
	return role == WEB_ROLE_CONTROL ? "control" : "view";
}

static void tell_state(struct he_viewer *v, struct he_viewer *holder)
{
	g_autofree char *text = NULL;
	char who[24] = "null";

	if (holder)
		g_snprintf(who, sizeof(who), "%" G_GUINT64_FORMAT, web_viewer_index(holder));
	text = g_strdup_printf("{\"type\":\"control\",\"holder\":%s,\"you\":%s,\"role\":\"%s\"}",
			       who, holder == v ? "true" : "false",
			       role_name(web_viewer_control(v)->role));
	web_viewer_send_text(v, text);
}

/* Every viewer attached to the stream learns who holds control now. */
static void broadcast(struct he_web *w, uint32_t stream_id)
{
	struct he_viewer *holder = holder_of(w, stream_id);

	for (GList *l = w->viewers; l; l = l->next)
		if (web_viewer_stream_id(l->data) == stream_id && web_viewer_stream(l->data))
			tell_state(l->data, holder);
}

static void refuse(struct he_web *w, struct he_viewer *v, enum web_refused why)
{
	struct web_viewer_control *c = web_viewer_control(v);
	int64_t now = g_get_monotonic_time();
	g_autofree char *text = NULL;

	w->refused[why]++;
	c->refused++;
	if (c->told_us && now - c->told_us < REFUSED_TELL_INTERVAL_US)
		return;
	c->told_us = now;
	text = g_strdup_printf("{\"type\":\"input-refused\",\"reason\":\"%s\"}",
			       web_refused_name(why));
	web_viewer_send_text(v, text);
}

bool web_control_admits(struct he_web *w, struct he_viewer *v, const char *type)
{
	struct he_viewer *holder;

	if (!g_strv_contains(input_types, type))
		return true;
	if (web_viewer_control(v)->role != WEB_ROLE_CONTROL) {
		refuse(w, v, WEB_REFUSED_VIEW_ONLY);
		return false;
	}
	holder = holder_of(w, web_viewer_stream_id(v));
	if (holder && holder != v) {
		refuse(w, v, WEB_REFUSED_NOT_IN_CONTROL);
		return false;
	}
	return true;
}

static void take(struct he_web *w, struct he_viewer *v)
{
	uint32_t id = web_viewer_stream_id(v);

	if (web_viewer_control(v)->role != WEB_ROLE_CONTROL) {
		refuse(w, v, WEB_REFUSED_VIEW_ONLY);
		return;
	}
	if (holder_of(w, id) == v) {
		tell_state(v, v);
		return;
	}
	/* What the others hold down would otherwise stay pressed. */
	for (GList *l = w->viewers; l; l = l->next)
		if (l->data != v && web_viewer_stream_id(l->data) == id)
			web_viewer_release_input(l->data);
	g_hash_table_insert(w->controllers, GUINT_TO_POINTER(id), v);
	g_info("viewer %" G_GUINT64_FORMAT ": took control of stream %u", web_viewer_index(v), id);
	broadcast(w, id);
}

static void release(struct he_web *w, struct he_viewer *v)
{
	uint32_t id = web_viewer_stream_id(v);
	struct he_viewer *holder = holder_of(w, id);

	if (holder != v) {
		tell_state(v, holder);
		return;
	}
	g_hash_table_remove(w->controllers, GUINT_TO_POINTER(id));
	g_info("viewer %" G_GUINT64_FORMAT ": released control of stream %u",
	       web_viewer_index(v), id);
	broadcast(w, id);
}

void web_control_request(struct he_web *w, struct he_viewer *v, JsonObject *o)
{
	const char *action = web_json_string(o, "action", "");

	if (!web_viewer_stream(v))
		return;
	if (g_str_equal(action, "take"))
		take(w, v);
	else if (g_str_equal(action, "release"))
		release(w, v);
}

void web_control_joined(struct he_web *w, struct he_viewer *v)
{
	tell_state(v, holder_of(w, web_viewer_stream_id(v)));
}

void web_control_left(struct he_web *w, struct he_viewer *v)
{
	uint32_t id = web_viewer_stream_id(v);

	if (!w->controllers || holder_of(w, id) != v)
		return;
	g_hash_table_remove(w->controllers, GUINT_TO_POINTER(id));
	g_info("viewer %" G_GUINT64_FORMAT ": left; control of stream %u is shared again",
	       web_viewer_index(v), id);
	broadcast(w, id);
}
