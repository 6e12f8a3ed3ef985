/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stream's latest picture for /thumb: the thumbnailer is an output of the
 * stream, as a viewer is (so the pattern renders and a VM's screen is
 * captured while anyone looks at the list), and decodes its access units
 * on one thumbnail thread shared by all streams; PNGs of the latest picture
 * are made on that thread too. The main loop only queues jobs and takes
 * results; the encode workers do nothing more than for any viewer.
 *
 * Jobs run in order on the one thread: a stream's access units are decoded
 * in order, and a PNG shows every access unit queued before it was asked
 * for. Results come back through a queue drained by an idle source.
 */
#define G_LOG_DOMAIN "hostenc.web"
#include <errno.h>
#include <stddef.h>

#include "stream.h"
#include "thumbnail.h"
#include "web-thumb-private.h"

struct thumb_job {
	struct thumb_src *src;
	struct he_au *au;       /* decode it; NULL: make a PNG */
	uint32_t png_w;
};

enum thumb_result_kind { RESULT_PICTURE, RESULT_PNG };

struct thumb_result {
	enum thumb_result_kind kind;
	struct thumb_src *src;
	uint32_t png_w;
	GBytes *png;
	char *why;
};

static struct thumb_src *src_ref(struct thumb_src *src)
{
	g_atomic_int_inc(&src->ref);
	return src;
}

/* The last reference may go on either thread: only what both may touch. */
static void src_unref(struct thumb_src *src)
{
	if (!g_atomic_int_dec_and_test(&src->ref))
		return;
	he_au_decoder_free(src->dec);
	g_free(src->name);
	if (src->png)
		g_bytes_unref(src->png);
	g_ptr_array_unref(src->waiters);
	g_free(src);
}

static struct thumb_src *from_output(struct he_output *o)
{
	return (struct thumb_src *)((char *)o - offsetof(struct thumb_src, output));
}

/* ---- the thumbnail thread ------------------------------------------------ */

static gboolean drain_results(gpointer data);

static void post(struct thumb_src *src, struct thumb_result *r)
{
	struct web_thumbs *t = src->t;

	r->src = src_ref(src);
	g_mutex_lock(&t->lock);
	g_queue_push_tail(&t->results, r);
	if (!t->idle) {
		t->idle = g_idle_source_new();
		g_source_set_callback(t->idle, drain_results, t, NULL);
		g_source_attach(t->idle, t->ctx);
	}
	g_mutex_unlock(&t->lock);
}

static void decode(struct thumb_src *src, struct he_au *au)
{
	g_autoptr(GError) err = NULL;
	gsize len;
	const uint8_t *data = g_bytes_get_data(au->data, &len);

	if (src->failed)
		return;
	if (!src->dec && !(src->dec = he_au_decoder_new(&err))) {
		g_warning("web: no thumbnails of stream %s: %s", src->name, err->message);
		src->failed = true;
		return;
	}
	if (he_au_decoder_decode(src->dec, data, len, au->keyframe, au->width, au->height) > 0 &&
	    !src->announced) {
		src->announced = true;
		post(src, g_new0(struct thumb_result, 1));
	}
}

static void make_png(struct thumb_src *src, uint32_t width)
{
	struct thumb_result *r = g_new0(struct thumb_result, 1);
	g_autoptr(GError) err = NULL;
	struct he_image pic;

	r->kind = RESULT_PNG;
	r->png_w = width;
	if (!src->dec || !he_au_decoder_picture(src->dec, &pic))
		r->why = g_strdup("no picture decoded");
	else if (!(r->png = he_thumbnail_png(&pic, width, &err)))
		r->why = g_strdup(err->message);
	post(src, r);
}

static void run_job(gpointer data, gpointer user_data)
{
	struct thumb_job *j = data;
	struct thumb_src *src = j->src;

	if (!g_atomic_int_get(&src->dropped)) {
		if (j->au)
			decode(src, j->au);
		else
			make_png(src, j->png_w);
	}
	if (j->au) {
		g_atomic_int_add(&src->queued_aus, -1);
		g_atomic_int_add(&src->queued_bytes, -(gint)g_bytes_get_size(j->au->data));
		he_au_unref(j->au);
	}
	src_unref(src);
	g_free(j);
}

static void push(struct thumb_src *src, struct he_au *au, uint32_t png_w)
{
	struct thumb_job *j = g_new0(struct thumb_job, 1);

	j->src = src_ref(src);
	j->au = au ? he_au_ref(au) : NULL;
	j->png_w = png_w;
	g_thread_pool_push(src->t->pool, j, NULL);
}

/* ---- results on the main loop ------------------------------------------- */

static void result_free(struct thumb_result *r)
{
	if (r->png)
		g_bytes_unref(r->png);
	g_free(r->why);
	src_unref(r->src);
	g_free(r);
}

static gboolean drain_results(gpointer data)
{
	struct web_thumbs *t = data;
	GQueue q = G_QUEUE_INIT;
	struct thumb_result *r;

	g_mutex_lock(&t->lock);
	q = t->results;
	g_queue_init(&t->results);
	g_clear_pointer(&t->idle, g_source_unref);
	g_mutex_unlock(&t->lock);
	while ((r = g_queue_pop_head(&q))) {
		if (r->src->stream && r->kind == RESULT_PICTURE)
			thumb_on_picture(r->src);
		else if (r->src->stream)
			thumb_on_png(r->src, r->png_w, r->png, r->why);
		result_free(r);
	}
	return G_SOURCE_REMOVE;
}

/* ---- the output --------------------------------------------------------- */

static int deliver(struct he_output *o, struct he_au *au, bool replay)
{
	struct thumb_src *src = from_output(o);
	gsize size = g_bytes_get_size(au->data);
	gint queued = g_atomic_int_get(&src->queued_aus);

	/* one access unit is always taken, however large */
	if (queued >= THUMB_QUEUE_AUS ||
	    (queued && (gsize)g_atomic_int_get(&src->queued_bytes) + size > THUMB_QUEUE_BYTES))
		return -EAGAIN;
	g_atomic_int_inc(&src->queued_aus);
	g_atomic_int_add(&src->queued_bytes, (gint)size);
	push(src, au, 0);
	return 0;
}

static bool ready(struct he_output *o)
{
	struct thumb_src *src = from_output(o);

	return g_atomic_int_get(&src->queued_aus) <= THUMB_QUEUE_AUS / 2;
}

static void closed(struct he_output *o, enum he_output_close why)
{
	thumb_on_gone(from_output(o), why);
}

static const struct he_output_impl thumb_output = {
	.version = HE_OUTPUT_VERSION,
	.deliver = deliver,
	.ready = ready,
	.close = closed,
};

struct thumb_src *thumb_src_attach(struct web_thumbs *t, struct he_stream *s)
{
	struct thumb_src *src = g_new0(struct thumb_src, 1);

	src->ref = 1;
	src->t = t;
	src->stream = s;
	src->name = g_strdup(he_stream_name(s));
	src->waiters = g_ptr_array_new();
	src->output.impl = &thumb_output;
	/* one exclusive thread, made when first needed: jobs in order, never
	 * in GLib's shared pool */
	if (!t->pool)
		t->pool = g_thread_pool_new(run_job, t, 1, TRUE, NULL);
	g_hash_table_insert(t->srcs, s, src);
	he_stream_attach(s, &src->output);
	return src;
}

void thumb_src_drop(struct thumb_src *src)
{
	if (!src->stream)
		return;
	g_atomic_int_set(&src->dropped, 1);
	he_stream_detach(src->stream, &src->output);
	g_hash_table_remove(src->t->srcs, src->stream);
	src->stream = NULL;
	if (src->linger)
		g_source_remove(src->linger);
	src->linger = 0;
	src_unref(src);
}

void thumb_src_make_png(struct thumb_src *src, uint32_t width)
{
	src->making_w = width;
	push(src, NULL, width);
}

void thumb_srcs_start(struct web_thumbs *t)
{
	t->ctx = g_main_context_ref_thread_default();
	t->srcs = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_mutex_init(&t->lock);
	g_queue_init(&t->results);
}

void thumb_srcs_stop(struct web_thumbs *t)
{
	struct thumb_result *r;

	/* the pending jobs of dropped streams are skipped */
	if (t->pool)
		g_thread_pool_free(t->pool, FALSE, TRUE);
	g_mutex_lock(&t->lock);
	if (t->idle)
		g_source_destroy(t->idle);
	g_clear_pointer(&t->idle, g_source_unref);
	g_mutex_unlock(&t->lock);
	while ((r = g_queue_pop_head(&t->results)))
		result_free(r);
	g_hash_table_destroy(t->srcs);
	g_mutex_clear(&t->lock);
	g_main_context_unref(t->ctx);
}
