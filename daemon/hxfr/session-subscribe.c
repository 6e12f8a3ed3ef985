/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A session as an output of a stream (SUBSCRIBE): it gets the current GOP
 * (flagged REPLAYED), then every live access unit. When its send queue
 * passes the bound, the stream skips whole access units for it until the
 * next IDR (never a single P-frame out of a GOP); a peer that stops
 * reading is closed by the stream's stall limit or the write-stall timer. */
#define G_LOG_DOMAIN "hostenc.session"
#include <errno.h>
#include <stddef.h>

#include "session-private.h"

static struct he_session *from_output(struct he_output *o)
{
	return (struct he_session *)((char *)o - offsetof(struct he_session, output));
}

static int deliver(struct he_output *o, struct he_au *au, bool replay)
{
	struct he_session *s = from_output(o);
	struct hxfr_frame_response r = { .pts_ns = au->pts_ns, .dts_ns = au->pts_ns,
					 .is_keyframe = au->keyframe,
					 .au_len = g_bytes_get_size(au->data) };
	uint8_t buf[HXFR_FRAME_RESPONSE_PREFIX];
	ssize_t n;

	if (s->closing)
		return -EPIPE;
	if (s->out_cost > s->hx->cfg.output_queue)
		return -EAGAIN;
	n = hxfr_build_frame_response(buf, sizeof(buf), (uint16_t)s->sub_id,
				      replay ? HXFR_FLAG_REPLAYED : 0, &r);
	if (n < 0)
		return -EPIPE;
	session_send(s, g_bytes_new(buf, (size_t)n), 0);
	session_send(s, g_bytes_ref(au->data), au->encoded_us);
	return s->closing ? -EPIPE : 0;
}

static void closed(struct he_output *o, enum he_output_close why)
{
	struct he_session *s = from_output(o);

	s->subscribed = false;
	session_close_later(s, why == HE_OUTPUT_CLOSE_TOO_SLOW
			       ? "subscriber too slow: its queue did not drain"
			       : "subscribed stream went away");
}

static bool ready(struct he_output *o)
{
	struct he_session *s = from_output(o);

	return !s->closing && s->out_cost <= s->hx->cfg.output_queue / 2;
}

const struct he_output_impl session_output_impl = {
	.version = HE_OUTPUT_VERSION,
	.deliver = deliver,
	.ready = ready,
	.close = closed,
};

void session_unsubscribe(struct he_session *s)
{
	if (s->subscribed && s->output.stream)
		he_stream_detach(s->output.stream, &s->output);
	s->subscribed = false;
}

void session_subscribe(struct he_session *s, uint32_t id)
{
	struct he_stream *src = he_registry_find(s->hx->reg, id);
	struct hxfr_subscribe_resp r = { .id = id, .success = src != NULL };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SUBSCRIBE_RESP_SIZE];

	session_unsubscribe(s);
	if (hxfr_build_subscribe_resp(buf, sizeof(buf), (uint16_t)id, &r) > 0)
		session_send_buf(s, buf, sizeof(buf));
	if (!src) {
		he_guest_log(s->peer, "SUBSCRIBE to unknown stream %u", id);
		return;
	}
	s->subscribed = true;
	s->sub_id = id;
	g_info("session %u (%s): subscribed to stream %u (%s)", s->id, s->peer, id,
	       he_stream_name(src));
	he_stream_attach(src, &s->output);
}
