/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GET /thumb?source=NAME&w=320 (docs/web.md): a small PNG of a stream's
 * latest picture, for the list of screens.
 *
 * The first request for a stream attaches a thumbnailer to it
 * (web-thumb-src.c), which stays for THUMB_LINGER_S after the last
 * request. A PNG once made answers every request for the same width for
 * THUMB_FRESH_US, so that many list pages cost one conversion. A request
 * that finds no fresh PNG waits for one (paused, never blocking the main
 * loop): up to THUMB_WAIT_MS when the stream has no picture yet, then 503.
 */
#define G_LOG_DOMAIN "hostenc.web"
#include <string.h>

#include "stream.h"
#include "thumbnail.h"
#include "web-thumb-private.h"

#define THUMB_DEFAULT_W 320u
#define THUMB_MIN_W 16u
#define THUMB_FRESH_US (1 * G_USEC_PER_SEC)
#define THUMB_WAIT_MS 2000
#define THUMB_LINGER_S 10

/* A request waiting for a PNG. */
struct thumb_wait {
	struct thumb_src *src;
	SoupServerMessage *msg;
	uint32_t width;
	guint timer;
	gulong finished;
};

static void respond_text(SoupServerMessage *msg, guint status, const char *text)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text,
					 strlen(text));
}

static void respond_png(SoupServerMessage *msg, GBytes *png)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);

	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_set_content_type(h, "image/png", NULL);
	/* the picture changes: the page asks again rather than keep it */
	soup_message_headers_replace(h, "Cache-Control", "no-store");
	soup_message_body_append_bytes(soup_server_message_get_response_body(msg), png);
}

/* ---- waiting requests ---------------------------------------------------- */

static void wait_free(struct thumb_wait *wt, bool answered)
{
	g_ptr_array_remove(wt->src->waiters, wt);
	if (wt->timer)
		g_source_remove(wt->timer);
	g_signal_handler_disconnect(wt->msg, wt->finished);
	if (answered)
		soup_server_message_unpause(wt->msg);
	g_object_unref(wt->msg);
	g_free(wt);
}

static void wait_answer_text(struct thumb_wait *wt, guint status, const char *text)
{
	respond_text(wt->msg, status, text);
	if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
		soup_message_headers_replace(soup_server_message_get_response_headers(wt->msg),
					     "Retry-After", "1");
	wait_free(wt, true);
}

static gboolean wait_timeout(gpointer data)
{
	struct thumb_wait *wt = data;

	wt->timer = 0;
	wait_answer_text(wt, SOUP_STATUS_SERVICE_UNAVAILABLE,
			 "no picture from this source yet: ask again in a moment\n");
	return G_SOURCE_REMOVE;
}

/* The client went away while its request waited. */
static void on_finished(SoupServerMessage *msg, gpointer data)
{
	wait_free(data, false);
}

static void wait_add(struct thumb_src *src, SoupServerMessage *msg, uint32_t width)
{
	struct thumb_wait *wt = g_new0(struct thumb_wait, 1);

	wt->src = src;
	wt->msg = g_object_ref(msg);
	wt->width = width;
	wt->timer = g_timeout_add(THUMB_WAIT_MS, wait_timeout, wt);
	wt->finished = g_signal_connect(msg, "finished", G_CALLBACK(on_finished), wt);
	g_ptr_array_add(src->waiters, wt);
	soup_server_message_pause(msg);
}

/* The next PNG the waiting requests need, if none is being made. */
static void make_next(struct thumb_src *src)
{
	if (src->has_picture && !src->making_w && src->waiters->len)
		thumb_src_make_png(src, ((struct thumb_wait *)src->waiters->pdata[0])->width);
}

/* ---- results ------------------------------------------------------------- */

void thumb_on_picture(struct thumb_src *src)
{
	src->has_picture = true;
	make_next(src);
}

void thumb_on_png(struct thumb_src *src, uint32_t width, GBytes *png, const char *why)
{
	src->making_w = 0;
	if (png) {
		if (src->png)
			g_bytes_unref(src->png);
		src->png = g_bytes_ref(png);
		src->png_w = width;
		src->png_us = g_get_monotonic_time();
	} else {
		g_message("web: thumbnail of stream %s: %s", src->name, why);
	}
	for (guint i = src->waiters->len; i-- > 0;) {
		struct thumb_wait *wt = src->waiters->pdata[i];

		if (wt->width != width)
			continue;
		if (png) {
			respond_png(wt->msg, png);
			wait_free(wt, true);
		} else {
			wait_answer_text(wt, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					 "cannot make a thumbnail of this source\n");
		}
	}
	make_next(src);
}

static void answer_all(struct thumb_src *src, guint status, const char *text)
{
	while (src->waiters->len)
		wait_answer_text(src->waiters->pdata[src->waiters->len - 1], status, text);
}

void thumb_on_gone(struct thumb_src *src, enum he_output_close why)
{
	if (why == HE_OUTPUT_CLOSE_STREAM_GONE)
		answer_all(src, SOUP_STATUS_NOT_FOUND, "the source went away\n");
	else
		answer_all(src, SOUP_STATUS_SERVICE_UNAVAILABLE,
			   "the thumbnailer fell behind this source: ask again in a moment\n");
	thumb_src_drop(src);
}

/* ---- lingering ----------------------------------------------------------- */

static gboolean linger_end(gpointer data)
{
	struct thumb_src *src = data;
	int64_t left = src->wanted_us + THUMB_LINGER_S * G_USEC_PER_SEC - g_get_monotonic_time();

	src->linger = 0;
	if (left > 0 || src->waiters->len) {
		src->linger = g_timeout_add((guint)MAX(left / 1000, 100), linger_end, src);
		return G_SOURCE_REMOVE;
	}
	g_info("web: thumbnails of stream %s: not asked for %d s, stopped", src->name,
	       THUMB_LINGER_S);
	thumb_src_drop(src);
	return G_SOURCE_REMOVE;
}

static void keep_wanted(struct thumb_src *src)
{
	src->wanted_us = g_get_monotonic_time();
	if (!src->linger)
		src->linger = g_timeout_add_seconds(THUMB_LINGER_S, linger_end, src);
}

/* ---- requests ------------------------------------------------------------ */

static bool parse_width(GHashTable *query, uint32_t *width)
{
	const char *w = query ? g_hash_table_lookup(query, "w") : NULL;
	guint64 v = THUMB_DEFAULT_W;

	if (w && !g_ascii_string_to_unsigned(w, 10, THUMB_MIN_W, HE_THUMBNAIL_MAX_DIM, &v, NULL))
		return false;
	*width = (uint32_t)v;
	return true;
}

void web_thumb_request(struct he_web *w, SoupServerMessage *msg, GHashTable *query)
{
	const char *source = query ? g_hash_table_lookup(query, "source") : NULL;
	struct web_thumbs *t = w->thumbs;
	struct thumb_src *src;
	struct he_stream *s;
	uint32_t width;

	if (!parse_width(query, &width)) {
		respond_text(msg, SOUP_STATUS_BAD_REQUEST,
			     "w= must be a width in pixels from 16 to 640\n");
		return;
	}
	if (!source || !source[0]) {
		respond_text(msg, SOUP_STATUS_BAD_REQUEST,
			     "source= is needed: a stream's name or id, as /sources lists them\n");
		return;
	}
	s = web_source_find(w, source);
	if (!s) {
		respond_text(msg, SOUP_STATUS_NOT_FOUND, "unknown source\n");
		return;
	}
	src = g_hash_table_lookup(t->srcs, s);
	if (!src)
		src = thumb_src_attach(t, s);
	keep_wanted(src);
	if (src->png && src->png_w == width &&
	    g_get_monotonic_time() - src->png_us < THUMB_FRESH_US) {
		respond_png(msg, src->png);
		return;
	}
	wait_add(src, msg, width);
	make_next(src);
}

struct web_thumbs *web_thumbs_new(struct he_web *w)
{
	struct web_thumbs *t = g_new0(struct web_thumbs, 1);

	t->w = w;
	thumb_srcs_start(t);
	return t;
}

void web_thumbs_free(struct web_thumbs *t)
{
	GList *srcs;

	if (!t)
		return;
	srcs = g_hash_table_get_values(t->srcs);
	for (GList *l = srcs; l; l = l->next) {
		answer_all(l->data, SOUP_STATUS_SERVICE_UNAVAILABLE, "server shutting down\n");
		thumb_src_drop(l->data);
	}
	g_list_free(srcs);
	thumb_srcs_stop(t);
	g_free(t);
}
