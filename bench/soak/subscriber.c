/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An HXFR subscriber: SUBSCRIBE to a stream (the pattern, or a guest's,
 * whose id it looks up in /sources by name after each of the guest's
 * sessions), then every FRAME_RESPONSE decoded and checked (check.h), its
 * pts never going back. The connection ending is fine only when the
 * guest was made to go. */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "check.h"
#include "conn.h"
#include "soak.h"
#include "web-client.h"

struct subscriber {
	struct soak_actor *a;
	struct soak *s;
	struct soak_conn *c;
	struct soak_checker chk;
	int epoch;
	int64_t last_au_us;
	bool pts_valid;
	int64_t pts;
};

/* The id of the stream named @p name in /sources, or -1. */
static int64_t source_id(struct soak *s, const char *name)
{
	g_autofree char *body = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;
	JsonArray *list;

	if (wc_get(s->http_port, NULL, "/sources", NULL, &body) != 200 ||
	    !json_parser_load_from_data(parser, body, -1, NULL) ||
	    !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_ARRAY(root))
		return -1;
	list = json_node_get_array(root);
	for (guint i = 0; i < json_array_get_length(list); i++) {
		JsonObject *o = json_array_get_object_element(list, i);

		if (o && g_strcmp0(json_object_get_string_member_with_default(o, "name", ""),
				   name) == 0)
			return json_object_get_int_member_with_default(o, "id", -1);
	}
	return -1;
}

static void leave(struct subscriber *b, enum soak_disconnect how)
{
	g_atomic_int_set(&b->a->up, 0);
	if (how == SOAK_DISC_CLEAN)
		(void)soak_send_empty(b->c, HXFR_GOODBYE);
	if (how == SOAK_DISC_MID) {
		struct hxfr_ping p = { .has_time = true, .time_ns = 1 };
		uint8_t buf[HXFR_HEADER_SIZE + HXFR_PING_TS_SIZE];

		if (hxfr_build_ping(buf, sizeof(buf), HXFR_PING, 0, &p) > 0)
			(void)soak_conn_send(b->c, buf, sizeof(buf) - 3);
	}
	soak_conn_close(b->c, how == SOAK_DISC_RST || how == SOAK_DISC_MID);
	b->c = NULL;
}

static void ended(struct subscriber *b, const char *what)
{
	int epoch;

	if (!soak_producer_up(b->a, &epoch) || epoch != b->epoch)
		g_atomic_int_inc(&b->a->n.producer_gaps);
	else
		soak_error(b->a, "%s", what);
}

static void pong(struct subscriber *b, const struct soak_msg *msg)
{
	struct hxfr_ping p;
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_PONG_TS_SIZE];
	ssize_t n;

	if (hxfr_decode_ping(&msg->m, &p, NULL) < 0)
		return;
	p.host_time_ns = (uint64_t)g_get_real_time() * 1000;
	n = hxfr_build_ping(buf, sizeof(buf), HXFR_PONG, 0, &p);
	if (n > 0)
		(void)soak_conn_send(b->c, buf, (size_t)n);
}

/* @return false when the connection must be made again. */
static bool take(struct subscriber *b, const struct soak_msg *msg)
{
	struct hxfr_frame_response r;
	struct soak_au_result res;
	char what[400];

	if (msg->m.hdr.type == HXFR_PING) {
		pong(b, msg);
		return true;
	}
	if (msg->m.hdr.type == HXFR_PONG)
		return true;
	if (msg->m.hdr.type != HXFR_FRAME_RESPONSE ||
	    hxfr_decode_frame_response(&msg->m, &r, NULL) < 0) {
		soak_describe(1, msg, what, sizeof(what));
		soak_error(b->a, "expected FRAME_RESPONSE, got %s", what);
		return false;
	}
	if (msg->m.hdr.flags & HXFR_FLAG_DROPPED) {
		soak_error(b->a, "a DROPPED reply sent to a subscriber");
		return true;
	}
	if (b->pts_valid && r.pts_ns < b->pts)
		soak_error(b->a, "pts went back from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
			   b->pts, r.pts_ns);
	b->pts = r.pts_ns;
	b->pts_valid = true;
	soak_checker_au(&b->chk, r.au, r.au_len, r.is_keyframe, NULL, &res);
	b->last_au_us = g_get_monotonic_time();
	if (res.missing) {
		g_atomic_int_add(&b->a->n.misses, (gint)res.missing);
		soak_error(b->a, "frame_num says %u access units are missing", res.missing);
	}
	if (res.bad) {
		soak_error(b->a, "%s", res.why);
		return false;
	}
	g_atomic_int_inc(&b->a->n.frames);
	return true;
}

static void watch(struct subscriber *b)
{
	b->last_au_us = g_get_monotonic_time();
	for (;;) {
		enum soak_disconnect how;
		struct soak_msg msg;
		int gap = 0, res, epoch;
		char what[400];

		if (soak_stopping(b->s)) {
			leave(b, SOAK_DISC_CLEAN);
			return;
		}
		if ((how = soak_take_request(b->a, &gap))) {
			leave(b, how);
			g_atomic_int_inc(&b->a->n.planned);
			soak_sleep_ms(b->s, gap);
			return;
		}
		res = soak_conn_recv(b->c, 100, &msg);
		if (res == -ETIMEDOUT) {
			if (g_get_monotonic_time() - b->last_au_us > (int64_t)SOAK_STALL_MS * 1000) {
				if (soak_producer_up(b->a, &epoch) && epoch == b->epoch)
					soak_error(b->a, "no frame for %d s", SOAK_STALL_MS / 1000);
				break;
			}
			continue;
		}
		if (res < 0) {
			soak_describe(res, &msg, what, sizeof(what));
			ended(b, what);
			break;
		}
		res = take(b, &msg);
		soak_msg_clear(&msg);
		if (!res)
			break;
	}
	leave(b, SOAK_DISC_RST);
}

static bool join(struct subscriber *b)
{
	int64_t id = 0;
	char why[300];

	if (!soak_producer_up(b->a, &b->epoch) || !soak_daemon_alive(b->s))
		return false;
	if (b->a->producer && (id = source_id(b->s, b->a->source)) < 0)
		return false; /* not there yet: the guest is between sessions */
	b->c = soak_conn_tcp(b->s->port);
	if (!b->c) {
		soak_error(b->a, "connect: %s", g_strerror(errno));
		return false;
	}
	if (soak_subscribe(b->c, (uint32_t)id, why, sizeof(why)) < 0) {
		int epoch;

		if (soak_producer_up(b->a, &epoch) && epoch == b->epoch)
			soak_error(b->a, "%s", why);
		soak_conn_close(b->c, false);
		b->c = NULL;
		return false;
	}
	soak_checker_reset(&b->chk);
	b->pts_valid = false;
	g_atomic_int_inc(&b->a->n.connects);
	g_atomic_int_set(&b->a->up, 1);
	return true;
}

gpointer soak_subscriber_main(gpointer data)
{
	struct soak_actor *a = data;
	struct subscriber b = { .a = a, .s = a->soak };
	bool pattern = a->producer == NULL;

	soak_checker_init(&b.chk, a->clip, pattern ? SOAK_PATTERN_W : SOAK_W,
			  pattern ? SOAK_PATTERN_H : SOAK_H);
	while (!soak_stopping(b.s)) {
		if (!join(&b)) {
			soak_sleep_ms(b.s, 200);
			continue;
		}
		watch(&b);
	}
	soak_checker_clear(&b.chk);
	return NULL;
}
