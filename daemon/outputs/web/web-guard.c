/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A viewer's WebSocket bytes, checked on their way from the socket to
 * libsoup (docs/web.md, "Limits").
 *
 * libsoup 3.2 bounds each frame (max-incoming-payload-size) but joins the
 * fragments of a message without any total limit, answers every PING with
 * a PONG queued without limit (a peer that pings and never reads grows the
 * queue until memory runs out), and reads for as long as the socket has
 * bytes. This stream sits under the SoupWebsocketConnection and follows
 * the frame headers of what the peer sends: a data message that grows past
 * its bound, or frames (any, or control frames alone) that keep coming
 * faster than their rate, make the next read fail, which libsoup answers by
 * closing the connection at once. No byte of the offending frame reaches
 * libsoup. It also hands libsoup at most a budget of bytes per main-loop
 * turn, so that one busy peer cannot keep the loop to itself. */
#define G_LOG_DOMAIN "hostenc.web"
#include <gio/gio.h>
#include <string.h>

#include "web-private.h"

/* A token bucket: @rate tokens a second, at most @burst saved up. */
struct bucket {
	double tokens, rate, burst;
	int64_t last_us;
};

static void bucket_init(struct bucket *b, uint32_t rate, uint32_t burst, int64_t now)
{
	b->rate = rate;
	b->burst = burst;
	b->tokens = burst;
	b->last_us = now;
}

static bool bucket_take(struct bucket *b, int64_t now)
{
	b->tokens = MIN(b->burst, b->tokens + (double)(now - b->last_us) * b->rate / 1e6);
	b->last_us = now;
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

/* ---- the input stream --------------------------------------------------- */

#define WEB_TYPE_GUARD_INPUT (web_guard_input_get_type())
G_DECLARE_FINAL_TYPE(WebGuardInput, web_guard_input, WEB, GUARD_INPUT, GInputStream)

struct _WebGuardInput {
	GInputStream parent;
	GInputStream *base;
	struct web_guard_limits lim;
	/* the frame being read */
	uint8_t hdr[14];
	unsigned hdr_len;
	uint64_t skip;          /* its payload bytes still to pass */
	uint64_t message;       /* bytes of the data message being assembled */
	struct bucket frames, control;
	uint64_t turn_bytes;    /* handed to libsoup since it last waited */
	GError *refused;        /* set once: every later read fails with it */
};

static void web_guard_input_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(WebGuardInput, web_guard_input, G_TYPE_INPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
					      web_guard_input_pollable_init))

static bool refuse(WebGuardInput *g, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static bool refuse(WebGuardInput *g, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g->refused = g_error_new_valist(SOUP_WEBSOCKET_ERROR, code, fmt, ap);
	va_end(ap);
	return false;
}

/* Header bytes the frame needs, from what is known of it so far. */
static unsigned header_size(const uint8_t *hdr, unsigned have)
{
	unsigned len7, n = 2;

	if (have < 2)
		return 2;
	len7 = hdr[1] & 0x7f;
	n += len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
	return n + (hdr[1] & 0x80 ? 4 : 0);
}

static uint64_t payload_size(const uint8_t *hdr)
{
	unsigned len7 = hdr[1] & 0x7f;
	uint64_t n = 0;

	if (len7 < 126)
		return len7;
	for (unsigned i = 0; i < (len7 == 126 ? 2u : 8u); i++)
		n = n << 8 | hdr[2 + i];
	return n;
}

/* One whole frame header: count it, bound the message it belongs to. */
static bool on_frame(WebGuardInput *g, int64_t now)
{
	uint8_t opcode = g->hdr[0] & 0x0f;
	uint64_t len = payload_size(g->hdr);
	const struct web_guard_limits *lim = &g->lim;

	if (!bucket_take(&g->frames, now))
		return refuse(g, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
			      "more than %u WebSocket frames a second (bursts of %u)",
			      lim->frames_per_s, lim->frames_burst);
	if (opcode & 0x08) {
		if (!bucket_take(&g->control, now))
			return refuse(g, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
				      "more than %u WebSocket control frames (ping, pong) a second",
				      lim->control_per_s);
	} else {
		/* opcode 0 continues the message; any other starts one */
		if (len > lim->max_message || (!opcode && g->message + len > lim->max_message))
			return refuse(g, SOUP_WEBSOCKET_CLOSE_TOO_BIG,
				      "WebSocket message over %" G_GUINT64_FORMAT " bytes",
				      lim->max_message);
		g->message = opcode ? len : g->message + len;
	}
	g->skip = len;
	return true;
}

/* Follow the frames in @n bytes the peer sent. */
static bool inspect(WebGuardInput *g, const uint8_t *p, gsize n)
{
	int64_t now = g_get_monotonic_time();

	while (n) {
		if (g->skip) {
			uint64_t k = MIN(g->skip, (uint64_t)n);

			g->skip -= k;
			p += k;
			n -= k;
			continue;
		}
		g->hdr[g->hdr_len++] = *p++;
		n--;
		if (g->hdr_len < header_size(g->hdr, g->hdr_len))
			continue;
		g->hdr_len = 0;
		if (!on_frame(g, now))
			return false;
	}
	return true;
}

static gssize checked(WebGuardInput *g, void *buffer, gssize n, GError **err)
{
	if (n > 0 && !inspect(g, buffer, (gsize)n)) {
		g_propagate_error(err, g_error_copy(g->refused));
		return -1;
	}
	return n;
}

static gssize guard_read_nonblocking(GPollableInputStream *stream, void *buffer, gsize count,
				     GError **err)
{
	WebGuardInput *g = WEB_GUARD_INPUT(stream);
	gssize n;

	if (g->refused) {
		g_propagate_error(err, g_error_copy(g->refused));
		return -1;
	}
	if (g->turn_bytes >= g->lim.turn_bytes) {
		/* Let the loop run: libsoup waits on the source, whose
		 * creation starts a new turn. */
		g_set_error_literal(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "turn over");
		return -1;
	}
	count = MIN(count, g->lim.turn_bytes - g->turn_bytes);
	n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(g->base), buffer,
						     count, NULL, err);
	if (n > 0)
		g->turn_bytes += (uint64_t)n;
	return checked(g, buffer, n, err);
}

static gboolean guard_can_poll(GPollableInputStream *stream)
{
	WebGuardInput *g = WEB_GUARD_INPUT(stream);

	return g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(g->base));
}

static gboolean guard_is_readable(GPollableInputStream *stream)
{
	WebGuardInput *g = WEB_GUARD_INPUT(stream);

	return g->refused ||
	       g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(g->base));
}

static GSource *guard_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	WebGuardInput *g = WEB_GUARD_INPUT(stream);
	g_autoptr(GSource) base = g_pollable_input_stream_create_source(
		G_POLLABLE_INPUT_STREAM(g->base), NULL);

	g->turn_bytes = 0;
	return g_pollable_source_new_full(stream, base, cancellable);
}

static void web_guard_input_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = guard_can_poll;
	iface->is_readable = guard_is_readable;
	iface->create_source = guard_create_source;
	iface->read_nonblocking = guard_read_nonblocking;
}

static gssize guard_read(GInputStream *stream, void *buffer, gsize count,
			 GCancellable *cancellable, GError **err)
{
	WebGuardInput *g = WEB_GUARD_INPUT(stream);

	if (g->refused) {
		g_propagate_error(err, g_error_copy(g->refused));
		return -1;
	}
	return checked(g, buffer, g_input_stream_read(g->base, buffer, count, cancellable, err),
		       err);
}

/* The connection's streams are closed with it (WebGuardStream). */
static gboolean guard_close(GInputStream *stream, GCancellable *cancellable, GError **err)
{
	return TRUE;
}

static void web_guard_input_finalize(GObject *object)
{
	WebGuardInput *g = WEB_GUARD_INPUT(object);

	g_clear_object(&g->base);
	g_clear_error(&g->refused);
	G_OBJECT_CLASS(web_guard_input_parent_class)->finalize(object);
}

static void web_guard_input_class_init(WebGuardInputClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = web_guard_input_finalize;
	G_INPUT_STREAM_CLASS(klass)->read_fn = guard_read;
	G_INPUT_STREAM_CLASS(klass)->close_fn = guard_close;
}

static void web_guard_input_init(WebGuardInput *g)
{
}

/* ---- the connection ----------------------------------------------------- */

#define WEB_TYPE_GUARD_STREAM (web_guard_stream_get_type())
G_DECLARE_FINAL_TYPE(WebGuardStream, web_guard_stream, WEB, GUARD_STREAM, GIOStream)

struct _WebGuardStream {
	GIOStream parent;
	GIOStream *base;
	GInputStream *input;
};

G_DEFINE_TYPE(WebGuardStream, web_guard_stream, G_TYPE_IO_STREAM)

static GInputStream *stream_get_input(GIOStream *stream)
{
	return WEB_GUARD_STREAM(stream)->input;
}

static GOutputStream *stream_get_output(GIOStream *stream)
{
	return g_io_stream_get_output_stream(WEB_GUARD_STREAM(stream)->base);
}

static gboolean stream_close(GIOStream *stream, GCancellable *cancellable, GError **err)
{
	WebGuardStream *s = WEB_GUARD_STREAM(stream);

	g_input_stream_close(s->input, NULL, NULL);
	return g_io_stream_close(s->base, cancellable, err);
}

static void base_closed(GObject *source, GAsyncResult *res, gpointer data)
{
	g_autoptr(GTask) task = data;
	GError *err = NULL;

	if (g_io_stream_close_finish(G_IO_STREAM(source), res, &err))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, err);
}

/* Without a thread (GIOStream's default would run stream_close in one). */
static void stream_close_async(GIOStream *stream, int priority, GCancellable *cancellable,
			       GAsyncReadyCallback callback, gpointer data)
{
	WebGuardStream *s = WEB_GUARD_STREAM(stream);
	GTask *task = g_task_new(stream, cancellable, callback, data);

	g_input_stream_close(s->input, NULL, NULL);
	g_io_stream_close_async(s->base, priority, cancellable, base_closed, task);
}

static gboolean stream_close_finish(GIOStream *stream, GAsyncResult *res, GError **err)
{
	return g_task_propagate_boolean(G_TASK(res), err);
}

static void web_guard_stream_dispose(GObject *object)
{
	WebGuardStream *s = WEB_GUARD_STREAM(object);

	/* GIOStream's dispose closes the stream (the base) if nobody did. */
	G_OBJECT_CLASS(web_guard_stream_parent_class)->dispose(object);
	g_clear_object(&s->input);
	g_clear_object(&s->base);
}

static void web_guard_stream_class_init(WebGuardStreamClass *klass)
{
	GIOStreamClass *io = G_IO_STREAM_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = web_guard_stream_dispose;
	io->get_input_stream = stream_get_input;
	io->get_output_stream = stream_get_output;
	io->close_fn = stream_close;
	io->close_async = stream_close_async;
	io->close_finish = stream_close_finish;
}

static void web_guard_stream_init(WebGuardStream *s)
{
}

GIOStream *web_guard_stream_new(GIOStream *base, const struct web_guard_limits *lim)
{
	WebGuardStream *s = g_object_new(WEB_TYPE_GUARD_STREAM, NULL);
	WebGuardInput *g = g_object_new(WEB_TYPE_GUARD_INPUT, NULL);
	int64_t now = g_get_monotonic_time();

	g->base = g_object_ref(g_io_stream_get_input_stream(base));
	g->lim = *lim;
	bucket_init(&g->frames, lim->frames_per_s, lim->frames_burst, now);
	bucket_init(&g->control, lim->control_per_s, lim->control_burst, now);
	s->base = g_object_ref(base);
	s->input = G_INPUT_STREAM(g);
	return G_IO_STREAM(s);
}
