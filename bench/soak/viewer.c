/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A browser viewer, in C: the page's WebSocket (docs/web.md, "The stream")
 * on one stream, its init, a ping every 2 s and a pong to each of the
 * server's; every video message decoded (check.h) with its sequence
 * number. When the stream's guest is made to go (its stream closes with
 * 4004, or is unknown for a while) it waits and comes back, as the page
 * does; any other close is an error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "soak.h"
#include "web-client.h"

#define INIT_MSG                                                                  \
	"{\"type\":\"init\",\"codecs\":[\"avc1.42e01f\",\"avc1.42c01f\",\"avc1.4d401f\"]," \
	"\"width\":1280,\"height\":720}"
#define VIDEO_HEADER 24

struct viewer {
	struct soak_actor *a;
	struct soak *s;
	struct wc_ws *ws;
	struct soak_checker chk;
	int epoch;
	int64_t last_au_us, last_ping_us;
	GByteArray *payload;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void leave(struct viewer *v, enum soak_disconnect how)
{
	g_atomic_int_set(&v->a->up, 0);
	g_atomic_int_set(&v->a->viewer_no, -1);
	if (how == SOAK_DISC_CLEAN) {
		uint8_t code[2] = { 1000 >> 8, 1000 & 0xff };

		wc_ws_send(v->ws, 8, true, code, sizeof(code));
	} else if (how == SOAK_DISC_MID) {
		/* a masked text frame announcing 100 bytes, 10 of them sent */
		uint8_t part[16] = { 0x81, 0x80 | 100, 1, 2, 3, 4 };

		send(v->ws->fd, part, sizeof(part), MSG_NOSIGNAL);
	}
	if (how == SOAK_DISC_RST || how == SOAK_DISC_MID) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(v->ws->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	g_clear_pointer(&v->ws, wc_ws_free);
}

/* The connection ended without being asked to: fine when the guest
 * behind the stream was made to go meanwhile. */
static void ended(struct viewer *v, const char *what)
{
	int epoch;

	if (!soak_producer_up(v->a, &epoch) || epoch != v->epoch)
		g_atomic_int_inc(&v->a->n.producer_gaps);
	else
		soak_error(v->a, "%s (close code %u)", what, v->ws->close_code);
}

static bool take_video(struct viewer *v)
{
	const uint8_t *p = v->payload->data;
	struct soak_au_result r;
	uint32_t seq;

	if (v->payload->len <= VIDEO_HEADER || p[0] != 1) {
		soak_error(v->a, "a binary message that is not video (%u bytes)", v->payload->len);
		return false;
	}
	if (le16(p + 2) != v->chk.w || le16(p + 4) != v->chk.h) {
		soak_error(v->a, "video message says %ux%u", le16(p + 2), le16(p + 4));
		return false;
	}
	seq = le32(p + 16);
	soak_checker_au(&v->chk, p + VIDEO_HEADER, v->payload->len - VIDEO_HEADER, p[1] & 1, &seq,
			&r);
	v->last_au_us = g_get_monotonic_time();
	if (r.missing) {
		g_atomic_int_add(&v->a->n.misses, (gint)r.missing);
		soak_error(v->a, "%u access units missing before sequence number %u", r.missing,
			   seq);
	}
	if (r.bad) {
		soak_error(v->a, "sequence number %u: %s", seq, r.why);
		return false;
	}
	g_atomic_int_inc(&v->a->n.frames);
	return true;
}

static void take_text(struct viewer *v)
{
	g_autofree char *text = g_strndup((const char *)v->payload->data, v->payload->len);
	const char *n;

	if (strstr(text, "\"type\":\"init\"") && (n = strstr(text, "\"viewer\":")))
		g_atomic_int_set(&v->a->viewer_no, atoi(n + strlen("\"viewer\":")));
	else if (strstr(text, "\"type\":\"error\""))
		soak_log(v->s, "%s: server says %s", v->a->name, text);
}

/* Watch until told to go, or the connection ends. */
static void watch(struct viewer *v)
{
	v->last_au_us = v->last_ping_us = g_get_monotonic_time();
	for (;;) {
		int64_t now = g_get_monotonic_time();
		enum soak_disconnect how;
		int gap = 0, op;

		if (soak_stopping(v->s)) {
			leave(v, SOAK_DISC_CLEAN);
			return;
		}
		if ((how = soak_take_request(v->a, &gap))) {
			leave(v, how);
			g_atomic_int_inc(&v->a->n.planned);
			soak_sleep_ms(v->s, gap);
			return;
		}
		if (now - v->last_ping_us > 2 * G_USEC_PER_SEC) {
			g_autofree char *ping = g_strdup_printf("{\"type\":\"ping\",\"t\":%.3f}",
								now / 1000.0);

			wc_ws_send_text(v->ws, ping);
			v->last_ping_us = now;
		}
		op = wc_ws_recv(v->ws, 100, v->payload);
		if (op == -1) {
			int epoch;

			if (now - v->last_au_us > (int64_t)SOAK_STALL_MS * 1000) {
				if (soak_producer_up(v->a, &epoch) && epoch == v->epoch)
					soak_error(v->a, "no video for %d s", SOAK_STALL_MS / 1000);
				break;
			}
			continue;
		}
		if (op == -2 || op == 8) {
			ended(v, op == 8 ? "hostencd closed the stream" : "the connection broke");
			break;
		}
		if (op == 9)
			wc_ws_send(v->ws, 10, true, v->payload->data, v->payload->len);
		else if (op == 1)
			take_text(v);
		else if (op == 2 && !take_video(v))
			break;
	}
	leave(v, SOAK_DISC_RST);
}

/* Open the stream once its guest is up. @return false to try again later. */
static bool join(struct viewer *v)
{
	g_autofree char *path = g_strdup_printf("/ws/stream?source=%s", v->a->source);

	if (!soak_producer_up(v->a, &v->epoch) || !soak_daemon_alive(v->s))
		return false;
	v->ws = wc_ws_open(v->s->http_port, NULL, path, NULL);
	if (v->ws->status != 101) {
		soak_error(v->a, "upgrade answered %d", v->ws->status);
		g_clear_pointer(&v->ws, wc_ws_free);
		return false;
	}
	if (!wc_ws_send_text(v->ws, INIT_MSG)) {
		g_clear_pointer(&v->ws, wc_ws_free);
		return false;
	}
	soak_checker_reset(&v->chk);
	g_atomic_int_inc(&v->a->n.connects);
	g_atomic_int_set(&v->a->up, 1);
	return true;
}

gpointer soak_viewer_main(gpointer data)
{
	struct soak_actor *a = data;
	struct viewer v = { .a = a, .s = a->soak, .payload = g_byte_array_new() };
	bool pattern = a->producer == NULL;

	soak_checker_init(&v.chk, a->clip, pattern ? SOAK_PATTERN_W : SOAK_W,
			  pattern ? SOAK_PATTERN_H : SOAK_H);
	while (!soak_stopping(v.s)) {
		if (!join(&v)) {
			soak_sleep_ms(v.s, 200);
			continue;
		}
		watch(&v);
	}
	soak_checker_clear(&v.chk);
	g_byte_array_unref(v.payload);
	return NULL;
}
