/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builders: one per message, header + fixed payload, little-endian. */
#include "wire-private.h"

ssize_t hxfr_build_frame_request(uint8_t *buf, size_t cap, uint16_t session,
				 const struct hxfr_frame_request *m)
{
	struct wr w;
	uint64_t payload = HXFR_FRAME_REQUEST_SIZE + (uint64_t)m->pixels_len;
	uint8_t flags = m->pixels_len ? HXFR_FLAG_PIXEL_DATA : 0;

	if (m->pixels_len > HXFR_MAX_PAYLOAD_HARD - HXFR_FRAME_REQUEST_SIZE || m->force_keyframe > 1)
		return -EINVAL;
	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_FRAME_REQUEST, flags, session, (uint32_t)payload);
	wr_u32(&w, m->resource_id);
	wr_u32(&w, m->width);
	wr_u32(&w, m->height);
	wr_u32(&w, m->format);
	wr_u32(&w, m->stride);
	wr_i64(&w, m->pts_ns);
	wr_i64(&w, m->duration_ns);
	wr_u8(&w, m->force_keyframe);
	wr_zero(&w, 7);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_frame_response(uint8_t *buf, size_t cap, uint16_t session, uint8_t flags,
				  const struct hxfr_frame_response *m)
{
	struct wr w;
	bool dropped = flags & HXFR_FLAG_DROPPED;
	uint64_t payload = HXFR_FRAME_RESPONSE_SIZE + (dropped ? 0 : 4 + (uint64_t)m->au_len);

	if (m->au_len > HXFR_MAX_PAYLOAD_HARD - HXFR_FRAME_RESPONSE_SIZE - 4 || m->is_keyframe > 1 ||
	    (flags & ~(HXFR_FLAG_REPLAYED | HXFR_FLAG_DROPPED)) ||
	    (dropped ? m->au_len != 0 : m->au_len == 0))
		return -EINVAL;
	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_FRAME_RESPONSE, flags, session, (uint32_t)payload);
	wr_i64(&w, m->pts_ns);
	wr_i64(&w, m->dts_ns);
	wr_u8(&w, m->is_keyframe);
	wr_zero(&w, 3);
	wr_u32(&w, dropped ? 0 : 1);
	if (!dropped)
		wr_u32(&w, (uint32_t)m->au_len);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_empty(uint8_t *buf, size_t cap, uint8_t type, uint16_t session)
{
	return hxfr_build_header(buf, cap, type, 0, session, 0);
}

static void put_config(struct wr *w, const struct hxfr_config *m)
{
	wr_u32(w, m->width);
	wr_u32(w, m->height);
	wr_u32(w, m->bitrate);
	wr_u32(w, m->fps_num);
	wr_u32(w, m->fps_den);
	wr_u8(w, m->profile);
	wr_u8(w, m->level);
	wr_u8(w, m->realtime);
	wr_zero(w, 5);
}

ssize_t hxfr_build_config_req(uint8_t *buf, size_t cap, uint16_t session,
			      const struct hxfr_config *m)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_CONFIG_REQ, 0, session, HXFR_CONFIG_REQ_SIZE);
	put_config(&w, m);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_config_resp(uint8_t *buf, size_t cap, uint16_t session,
			       const struct hxfr_config_resp *m)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_CONFIG_RESP, 0, session, HXFR_CONFIG_RESP_SIZE);
	wr_i32(&w, m->status);
	put_config(&w, &m->applied);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_ping(uint8_t *buf, size_t cap, uint8_t type, uint16_t session,
			const struct hxfr_ping *m)
{
	struct wr w;
	uint32_t size;

	if (type != HXFR_PING && type != HXFR_PONG)
		return -EINVAL;
	size = !m->has_time ? 0 : type == HXFR_PING ? HXFR_PING_TS_SIZE : HXFR_PONG_TS_SIZE;
	wr_init(&w, buf, cap);
	wr_header(&w, type, 0, session, size);
	if (m->has_time) {
		wr_u64(&w, m->time_ns);
		if (type == HXFR_PONG)
			wr_u64(&w, m->host_time_ns);
	}
	return wr_done(&w, buf);
}

ssize_t hxfr_build_enable_scanout(uint8_t *buf, size_t cap, uint16_t session,
				  const struct hxfr_enable_scanout *m)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_ENABLE_SCANOUT, 0, session, HXFR_ENABLE_SCANOUT_SIZE);
	wr_u32(&w, m->id);
	wr_u32(&w, m->width);
	wr_u32(&w, m->height);
	wr_u32(&w, m->refresh_hz);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_u32(uint8_t *buf, size_t cap, uint8_t type, uint16_t session, uint32_t value)
{
	struct wr w;

	if (type != HXFR_DISABLE_SCANOUT && type != HXFR_SUBSCRIBE)
		return -EINVAL;
	wr_init(&w, buf, cap);
	wr_header(&w, type, 0, session, 4);
	wr_u32(&w, value);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_scanout_resp(uint8_t *buf, size_t cap, uint16_t session,
				const struct hxfr_scanout_resp *m)
{
	struct wr w;

	if (strnlen(m->name, HXFR_NAME_MAX) == HXFR_NAME_MAX)
		return -EINVAL; /* no room for the NUL */
	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_SCANOUT_RESP, 0, session, HXFR_SCANOUT_RESP_SIZE);
	wr_u32(&w, m->id);
	wr_u32(&w, m->success ? 1 : 0);
	wr_str(&w, m->name, HXFR_NAME_MAX);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_subscribe_resp(uint8_t *buf, size_t cap, uint16_t session,
				  const struct hxfr_subscribe_resp *m)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_SUBSCRIBE_RESP, 0, session, HXFR_SUBSCRIBE_RESP_SIZE);
	wr_u32(&w, m->id);
	wr_u32(&w, m->success ? 1 : 0);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_hello(uint8_t *buf, size_t cap, uint16_t session, const struct hxfr_hello *m)
{
	struct wr w;

	if (strnlen(m->name, HXFR_SHORT_NAME_MAX) == HXFR_SHORT_NAME_MAX)
		return -EINVAL; /* no room for the NUL */
	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_HELLO, 0, session, HXFR_HELLO_SIZE);
	wr_u32(&w, m->version);
	wr_u32(&w, m->frame_paths);
	wr_u32(&w, m->max_inflight);
	wr_u32(&w, m->flags);
	wr_str(&w, m->name, HXFR_SHORT_NAME_MAX);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_hello_resp(uint8_t *buf, size_t cap, uint16_t session,
			      const struct hxfr_hello_resp *m)
{
	struct wr w;

	if (strnlen(m->encoder, HXFR_SHORT_NAME_MAX) == HXFR_SHORT_NAME_MAX)
		return -EINVAL; /* no room for the NUL */
	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_HELLO_RESP, 0, session, HXFR_HELLO_RESP_SIZE);
	wr_u32(&w, m->version);
	wr_u32(&w, m->frame_paths);
	wr_u32(&w, m->max_width);
	wr_u32(&w, m->max_height);
	wr_u32(&w, m->max_payload);
	wr_u32(&w, m->max_inflight);
	wr_u32(&w, m->encoder_flags);
	wr_u32(&w, m->formats);
	wr_u8(&w, m->profile);
	wr_u8(&w, m->level);
	wr_zero(&w, 2);
	wr_str(&w, m->encoder, HXFR_SHORT_NAME_MAX);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_shm_attach(uint8_t *buf, size_t cap, uint16_t session,
			      const struct hxfr_shm_attach *m)
{
	struct wr w;

	if (strnlen(m->name, HXFR_SHORT_NAME_MAX) == HXFR_SHORT_NAME_MAX)
		return -EINVAL; /* no room for the NUL */
	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_SHM_ATTACH, 0, session, HXFR_SHM_ATTACH_SIZE);
	wr_u64(&w, m->ring_offset);
	wr_u64(&w, m->ring_size);
	wr_str(&w, m->name, HXFR_SHORT_NAME_MAX);
	wr_u64(&w, m->ring_id);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_shm_attach_resp(uint8_t *buf, size_t cap, uint16_t session,
				   const struct hxfr_shm_attach_resp *m)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_SHM_ATTACH_RESP, 0, session, HXFR_SHM_ATTACH_RESP_SIZE);
	wr_i32(&w, m->status);
	wr_u32(&w, m->slot_count);
	wr_u32(&w, m->slot_size);
	wr_zero(&w, 4);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_frame_shm(uint8_t *buf, size_t cap, uint16_t session,
			     const struct hxfr_frame_shm *m)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_FRAME_SHM, 0, session, HXFR_FRAME_SHM_SIZE);
	wr_u32(&w, m->slot);
	wr_u32(&w, m->format);
	wr_u32(&w, m->width);
	wr_u32(&w, m->height);
	for (int i = 0; i < 3; i++)
		wr_u32(&w, m->stride[i]);
	for (int i = 0; i < 3; i++)
		wr_u32(&w, m->plane_offset[i]);
	wr_i64(&w, m->pts_ns);
	wr_i64(&w, m->duration_ns);
	wr_u32(&w, m->flags);
	wr_zero(&w, 4);
	return wr_done(&w, buf);
}

ssize_t hxfr_build_error(uint8_t *buf, size_t cap, uint16_t session, const struct hxfr_error *m)
{
	struct wr w;
	uint8_t *text;
	size_t len = strnlen(m->message, HXFR_ERROR_TEXT_MAX - 1);

	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_ERROR, m->offending_type, session, HXFR_ERROR_SIZE);
	wr_i32(&w, m->code);
	text = wr_take(&w, HXFR_ERROR_TEXT_MAX);
	if (text) {
		/* Truncate rather than fail: an error must always be sendable. */
		memset(text, 0, HXFR_ERROR_TEXT_MAX);
		memcpy(text, m->message, len);
	}
	return wr_done(&w, buf);
}

ssize_t hxfr_build_input(uint8_t *buf, size_t cap, uint16_t session, const struct hxfr_input *m)
{
	struct wr w;

	wr_init(&w, buf, cap);
	wr_header(&w, HXFR_INPUT, 0, session, HXFR_INPUT_SIZE);
	wr_u8(&w, m->kind);
	wr_u8(&w, m->down);
	wr_u16(&w, m->code);
	wr_u32(&w, m->x);
	wr_u32(&w, m->y);
	wr_i32(&w, m->dx);
	wr_i32(&w, m->dy);
	wr_zero(&w, 4);
	return wr_done(&w, buf);
}
