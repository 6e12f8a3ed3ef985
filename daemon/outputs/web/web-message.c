/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The binary video message of the WebSocket stream (docs/web.md): a 24-byte
 * header and the access unit. Built once per access unit and shared by
 * every viewer (a GBytes reference each), since the stream hands the same
 * AU to its outputs one after the other. */
#include <string.h>

#include "web-private.h"

static GBytes *build(struct he_au *au, bool replay)
{
	gsize len;
	const uint8_t *p = g_bytes_get_data(au->data, &len);
	uint8_t *buf = g_malloc(WS_HEADER_SIZE + len);
	uint64_t cap = (uint64_t)au->capture_us;
	uint32_t seq = (uint32_t)au->seq;

	buf[0] = 1;
	buf[1] = (au->keyframe ? 1 : 0) | (replay ? 2 : 0);
	buf[2] = (uint8_t)au->width;
	buf[3] = (uint8_t)(au->width >> 8);
	buf[4] = (uint8_t)au->height;
	buf[5] = (uint8_t)(au->height >> 8);
	buf[6] = buf[7] = 0;
	for (int i = 0; i < 8; i++)
		buf[8 + i] = (uint8_t)(cap >> (8 * i));
	for (int i = 0; i < 4; i++)
		buf[16 + i] = (uint8_t)(seq >> (8 * i));
	memset(buf + 20, 0, 4);
	memcpy(buf + WS_HEADER_SIZE, p, len);
	return g_bytes_new_take(buf, WS_HEADER_SIZE + len);
}

GBytes *web_video_message(struct he_web *w, struct he_au *au, bool replay)
{
	if (w->msg_au != au || w->msg_replay != replay) {
		web_message_cache_clear(w);
		w->msg = build(au, replay);
		w->msg_au = he_au_ref(au);
		w->msg_replay = replay;
	}
	return g_bytes_ref(w->msg);
}

void web_message_cache_clear(struct he_web *w)
{
	g_clear_pointer(&w->msg, g_bytes_unref);
	g_clear_pointer(&w->msg_au, he_au_unref);
}
