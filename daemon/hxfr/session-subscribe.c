/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A session as a consumer of a source (SUBSCRIBE): it gets the current GOP
 * (flagged REPLAYED), then every live access unit. When its send queue
 * passes the bound, whole access units are skipped until the next IDR
 * (never a single P-frame out of a GOP); a peer that stops reading is
 * closed by the write-stall timer. */
#define G_LOG_DOMAIN "hostenc.session"
#include <errno.h>
#include <stddef.h>

#include "session-private.h"

static struct he_session *from_consumer(struct he_consumer *c)
{
	return (struct he_session *)((char *)c - offsetof(struct he_session, consumer));
}

static int deliver(struct he_consumer *c, struct he_au *au, bool replay)
{
	struct he_session *s = from_consumer(c);
	struct hxfr_frame_response r = { .pts_ns = au->pts_ns, .dts_ns = au->pts_ns,
					 .is_keyframe = au->keyframe,
					 .au_len = g_bytes_get_size(au->data) };
	uint8_t buf[HXFR_FRAME_RESPONSE_PREFIX];
	ssize_t n;

	if (s->closing)
		return -EPIPE;
	if (s->out_bytes > s->d->cfg.consumer_queue)
		return -EAGAIN;
	n = hxfr_build_frame_response(buf, sizeof(buf), (uint16_t)s->sub_id,
				      replay ? HXFR_FLAG_REPLAYED : 0, &r);
	if (n < 0)
		return -EPIPE;
	session_send(s, g_bytes_new(buf, (size_t)n), 0);
	session_send(s, g_bytes_ref(au->data), au->encoded_us);
	return s->closing ? -EPIPE : 0;
}

static void source_gone(struct he_consumer *c)
{
	struct he_session *s = from_consumer(c);

	s->subscribed = false;
	session_close_later(s, "subscribed source went away");
}

static bool ready(struct he_consumer *c)
{
	struct he_session *s = from_consumer(c);

	return !s->closing && s->out_bytes <= s->d->cfg.consumer_queue / 2;
}

const struct he_consumer_impl session_consumer_impl = {
	.deliver = deliver,
	.source_gone = source_gone,
	.ready = ready,
};

void session_unsubscribe(struct he_session *s)
{
	if (s->subscribed && s->consumer.source)
		he_source_detach(s->consumer.source, &s->consumer);
	s->subscribed = false;
}

void session_subscribe(struct he_session *s, uint32_t id)
{
	struct he_source *src = he_daemon_find_source(s->d, id);
	struct hxfr_subscribe_resp r = { .id = id, .success = src != NULL };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SUBSCRIBE_RESP_SIZE];

	session_unsubscribe(s);
	if (hxfr_build_subscribe_resp(buf, sizeof(buf), (uint16_t)id, &r) > 0)
		session_send_buf(s, buf, sizeof(buf));
	if (!src) {
		he_guest_log(s->peer, "SUBSCRIBE to unknown source %u", id);
		return;
	}
	s->subscribed = true;
	s->sub_id = id;
	g_info("session %u (%s): subscribed to source %u (%s)", s->id, s->peer, id,
	       he_source_name(src));
	he_source_attach(src, &s->consumer);
}
