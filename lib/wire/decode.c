/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict decoders: one per message. Each checks type, header flags and the
 * exact payload size, then copies every field out through a bounded reader
 * and validates the copy. */
#include "wire-private.h"

#define MAX_STRIDE (1u << 16)
#define MAX_FPS 240u
#define MAX_INFLIGHT 64u
#define MIN_BITRATE 10000u
#define MAX_BITRATE 1000000000u

bool hxfr_copy_text(char *dst, const uint8_t *src, size_t n, bool strict_pad)
{
	size_t len = 0;

	while (len < n && src[len])
		len++;
	if (len == n)
		return false;
	for (size_t i = 0; i < len; i++)
		if (src[i] < 0x20 || src[i] > 0x7e)
			return false;
	if (strict_pad)
		for (size_t i = len; i < n; i++)
			if (src[i])
				return false;
	memset(dst, 0, n);
	memcpy(dst, src, len);
	return true;
}

/* Type, flags and exact size: the checks every decoder starts with. */
static int expect(const struct hxfr_msg *msg, uint8_t type, uint8_t allowed_flags,
		  uint32_t size, const char **why)
{
	if (msg->hdr.type != type)
		return fail(why, -EINVAL, "wrong message type for this decoder");
	if (msg->hdr.flags & ~allowed_flags)
		return fail(why, -ENOTSUP, "unknown header flags");
	if (msg->hdr.payload_size != size)
		return fail(why, -EBADMSG, "payload size does not match the message layout");
	return 0;
}

static int expect_min(const struct hxfr_msg *msg, uint8_t type, uint8_t allowed_flags,
		      uint32_t size, const char **why)
{
	if (msg->hdr.type != type)
		return fail(why, -EINVAL, "wrong message type for this decoder");
	if (msg->hdr.flags & ~allowed_flags)
		return fail(why, -ENOTSUP, "unknown header flags");
	if (msg->hdr.payload_size < size)
		return fail(why, -EBADMSG, "payload shorter than the message layout");
	return 0;
}

static int check_stride(uint32_t format, unsigned plane, uint32_t w, uint32_t h,
			uint32_t stride, const char **why)
{
	uint64_t min_stride, rows;

	if (hxfr_format_plane_geometry(format, plane, w, h, &min_stride, &rows) < 0)
		return fail(why, -EINVAL, "bad plane");
	if (stride < min_stride)
		return fail(why, -EINVAL, "stride smaller than a row");
	if (stride > MAX_STRIDE)
		return fail(why, -E2BIG, "stride over 65536");
	return 0;
}

int hxfr_decode_frame_request(const struct hxfr_msg *msg, struct hxfr_frame_request *out,
			      const char **why)
{
	struct rd r;
	uint64_t need;
	bool inline_px = msg->hdr.flags & HXFR_FLAG_PIXEL_DATA;
	int res = expect_min(msg, HXFR_FRAME_REQUEST, HXFR_FLAG_PIXEL_DATA,
			     HXFR_FRAME_REQUEST_SIZE, why);

	if (res < 0)
		return res;
	if (!inline_px && msg->hdr.payload_size != HXFR_FRAME_REQUEST_SIZE)
		return fail(why, -EBADMSG, "trailing bytes without the PIXEL_DATA flag");
	rd_init(&r, msg->payload, HXFR_FRAME_REQUEST_SIZE);
	out->resource_id = rd_u32(&r);
	out->width = rd_u32(&r);
	out->height = rd_u32(&r);
	out->format = rd_u32(&r);
	out->stride = rd_u32(&r);
	out->pts_ns = rd_i64(&r);
	out->duration_ns = rd_i64(&r);
	out->force_keyframe = rd_u8(&r);
	if (!rd_zero(&r, 7))
		return fail(why, -ENOTSUP, "reserved bytes not zero");
	if (out->force_keyframe > 1)
		return fail(why, -EINVAL, "force_keyframe not 0 or 1");
	if (out->duration_ns < 0)
		return fail(why, -EINVAL, "negative duration");
	if ((res = hxfr_check_geometry(out->format, out->width, out->height, why)) < 0)
		return res;
	if ((res = check_stride(out->format, 0, out->width, out->height, out->stride, why)) < 0)
		return res;
	out->pixels = NULL;
	out->pixels_len = 0;
	if (!inline_px) {
		if (out->resource_id == 0)
			return fail(why, -EINVAL, "resource_id 0 without pixel data");
		return 0;
	}
	if (hxfr_format_frame_size(out->format, out->width, out->height, out->stride, &need) < 0)
		return fail(why, -EINVAL, "bad frame geometry");
	if (need != (uint64_t)msg->hdr.payload_size - HXFR_FRAME_REQUEST_SIZE)
		return fail(why, -EBADMSG, "pixel data size does not match width, height and stride");
	out->pixels = msg->payload + HXFR_FRAME_REQUEST_SIZE;
	out->pixels_len = (size_t)need;
	return 0;
}

int hxfr_decode_frame_response(const struct hxfr_msg *msg, struct hxfr_frame_response *out,
			       const char **why)
{
	struct rd r;
	uint32_t au_len;
	bool dropped = msg->hdr.flags & HXFR_FLAG_DROPPED;
	int res = expect_min(msg, HXFR_FRAME_RESPONSE, HXFR_FLAG_REPLAYED | HXFR_FLAG_DROPPED,
			     HXFR_FRAME_RESPONSE_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, msg->hdr.payload_size);
	out->pts_ns = rd_i64(&r);
	out->dts_ns = rd_i64(&r);
	out->is_keyframe = rd_u8(&r);
	if (!rd_zero(&r, 3))
		return fail(why, -ENOTSUP, "reserved bytes not zero");
	out->nal_count = rd_u32(&r);
	out->au = NULL;
	out->au_len = 0;
	if (out->is_keyframe > 1)
		return fail(why, -EINVAL, "is_keyframe not 0 or 1");
	if (dropped) {
		if (out->nal_count != 0 || r.left != 0)
			return fail(why, -EBADMSG, "a dropped frame carries no data");
		return 0;
	}
	if (out->nal_count != 1)
		return fail(why, -EINVAL, "nal_count must be 1 (one access unit)");
	au_len = rd_u32(&r);
	if (r.bad || au_len == 0 || au_len != r.left)
		return fail(why, -EBADMSG, "access unit size does not match the payload");
	out->au = r.p;
	out->au_len = au_len;
	return 0;
}

int hxfr_decode_empty(const struct hxfr_msg *msg, const char **why)
{
	if (msg->hdr.type != HXFR_KEYFRAME_REQ && msg->hdr.type != HXFR_PING &&
	    msg->hdr.type != HXFR_PONG && msg->hdr.type != HXFR_GOODBYE)
		return fail(why, -EINVAL, "wrong message type for this decoder");
	if (msg->hdr.flags)
		return fail(why, -ENOTSUP, "unknown header flags");
	if (msg->hdr.payload_size != 0)
		return fail(why, -EBADMSG, "payload must be empty");
	return 0;
}

static int read_config(struct rd *r, struct hxfr_config *c, const char **why)
{
	c->width = rd_u32(r);
	c->height = rd_u32(r);
	c->bitrate = rd_u32(r);
	c->fps_num = rd_u32(r);
	c->fps_den = rd_u32(r);
	c->profile = rd_u8(r);
	c->level = rd_u8(r);
	c->realtime = rd_u8(r);
	if (!rd_zero(r, 5))
		return fail(why, -ENOTSUP, "reserved bytes not zero");
	if ((c->width == 0) != (c->height == 0))
		return fail(why, -EINVAL, "width and height must both be set or both be 0");
	if (c->width > HXFR_MAX_WIDTH || c->height > HXFR_MAX_HEIGHT)
		return fail(why, -E2BIG, "width or height over 8192");
	if (c->bitrate && (c->bitrate < MIN_BITRATE || c->bitrate > MAX_BITRATE))
		return fail(why, -EINVAL, "bitrate outside 10 kb/s .. 1 Gb/s");
	if ((c->fps_num == 0) != (c->fps_den == 0))
		return fail(why, -EINVAL, "fps_num and fps_den must both be set or both be 0");
	if (c->fps_num && ((uint64_t)c->fps_num > (uint64_t)MAX_FPS * c->fps_den ||
			   (uint64_t)c->fps_num * 10 < c->fps_den))
		return fail(why, -EINVAL, "frame rate outside 0.1 .. 240 fps");
	if (c->profile != 0 && c->profile != 66 && c->profile != 77 && c->profile != 100)
		return fail(why, -ENOTSUP, "profile must be 0, 66, 77 or 100");
	if (c->level != 0 && (c->level < 10 || c->level > 62))
		return fail(why, -EINVAL, "level must be 0 or 10..62");
	if (c->realtime > 1)
		return fail(why, -EINVAL, "realtime not 0 or 1");
	return 0;
}

int hxfr_decode_config_req(const struct hxfr_msg *msg, struct hxfr_config *out,
			   const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_CONFIG_REQ, 0, HXFR_CONFIG_REQ_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_CONFIG_REQ_SIZE);
	return read_config(&r, out, why);
}

int hxfr_decode_config_resp(const struct hxfr_msg *msg, struct hxfr_config_resp *out,
			    const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_CONFIG_RESP, 0, HXFR_CONFIG_RESP_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_CONFIG_RESP_SIZE);
	out->status = rd_i32(&r);
	return read_config(&r, &out->applied, why);
}

int hxfr_decode_ping(const struct hxfr_msg *msg, struct hxfr_ping *out, const char **why)
{
	struct rd r;
	uint32_t with_time;
	uint8_t type = msg->hdr.type;

	if (type != HXFR_PING && type != HXFR_PONG)
		return fail(why, -EINVAL, "wrong message type for this decoder");
	if (msg->hdr.flags)
		return fail(why, -ENOTSUP, "unknown header flags");
	with_time = type == HXFR_PING ? HXFR_PING_TS_SIZE : HXFR_PONG_TS_SIZE;
	if (msg->hdr.payload_size != 0 && msg->hdr.payload_size != with_time)
		return fail(why, -EBADMSG, "PING carries 0 or 8 bytes, PONG 0 or 16");
	memset(out, 0, sizeof(*out));
	out->has_time = msg->hdr.payload_size != 0;
	if (!out->has_time)
		return 0;
	rd_init(&r, msg->payload, msg->hdr.payload_size);
	out->time_ns = rd_u64(&r);
	if (type == HXFR_PONG)
		out->host_time_ns = rd_u64(&r);
	return 0;
}

int hxfr_decode_enable_scanout(const struct hxfr_msg *msg, struct hxfr_enable_scanout *out,
			       const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_ENABLE_SCANOUT, 0, HXFR_ENABLE_SCANOUT_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_ENABLE_SCANOUT_SIZE);
	out->id = rd_u32(&r);
	out->width = rd_u32(&r);
	out->height = rd_u32(&r);
	out->refresh_hz = rd_u32(&r);
	if (out->id >= 16)
		return fail(why, -EINVAL, "scanout id must be 0..15");
	if (out->width == 0 || out->height == 0)
		return fail(why, -EINVAL, "zero width or height");
	if (out->width > HXFR_MAX_WIDTH || out->height > HXFR_MAX_HEIGHT)
		return fail(why, -E2BIG, "width or height over 8192");
	if (out->refresh_hz > MAX_FPS)
		return fail(why, -EINVAL, "refresh over 240 Hz");
	return 0;
}

int hxfr_decode_u32(const struct hxfr_msg *msg, uint32_t *out, const char **why)
{
	struct rd r;
	int res;

	if (msg->hdr.type != HXFR_DISABLE_SCANOUT && msg->hdr.type != HXFR_SUBSCRIBE)
		return fail(why, -EINVAL, "wrong message type for this decoder");
	res = expect(msg, msg->hdr.type, 0, 4, why);
	if (res < 0)
		return res;
	rd_init(&r, msg->payload, 4);
	*out = rd_u32(&r);
	return 0;
}

int hxfr_decode_scanout_resp(const struct hxfr_msg *msg, struct hxfr_scanout_resp *out,
			     const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_SCANOUT_RESP, 0, HXFR_SCANOUT_RESP_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_SCANOUT_RESP_SIZE);
	out->id = rd_u32(&r);
	out->success = rd_u32(&r);
	if (out->success > 1)
		return fail(why, -EINVAL, "success not 0 or 1");
	if (!hxfr_copy_text(out->name, rd_take(&r, HXFR_NAME_MAX), HXFR_NAME_MAX, false))
		return fail(why, -EINVAL, "name not NUL-terminated printable ASCII");
	return 0;
}

int hxfr_decode_subscribe_resp(const struct hxfr_msg *msg, struct hxfr_subscribe_resp *out,
			       const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_SUBSCRIBE_RESP, 0, HXFR_SUBSCRIBE_RESP_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_SUBSCRIBE_RESP_SIZE);
	out->id = rd_u32(&r);
	out->success = rd_u32(&r);
	if (out->success > 1)
		return fail(why, -EINVAL, "success not 0 or 1");
	return 0;
}

int hxfr_decode_hello(const struct hxfr_msg *msg, struct hxfr_hello *out, const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_HELLO, 0, HXFR_HELLO_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_HELLO_SIZE);
	out->version = rd_u32(&r);
	out->frame_paths = rd_u32(&r);
	out->max_inflight = rd_u32(&r);
	out->flags = rd_u32(&r);
	if (!hxfr_copy_text(out->name, rd_take(&r, HXFR_SHORT_NAME_MAX), HXFR_SHORT_NAME_MAX,
			    true))
		return fail(why, -EINVAL, "name not NUL-padded printable ASCII");
	if (out->flags & ~HXFR_HELLO_FLAGS_ALL)
		return fail(why, -ENOTSUP, "unknown HELLO flags");
	if ((out->version >> 16) == 0)
		return fail(why, -EINVAL, "protocol major version 0");
	if (out->frame_paths == 0 || (out->frame_paths & ~HXFR_PATH_ALL))
		return fail(why, -ENOTSUP, "frame_paths empty or with unknown bits");
	if (out->max_inflight == 0 || out->max_inflight > MAX_INFLIGHT)
		return fail(why, -EINVAL, "max_inflight must be 1..64");
	return 0;
}

int hxfr_decode_hello_resp(const struct hxfr_msg *msg, struct hxfr_hello_resp *out,
			   const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_HELLO_RESP, 0, HXFR_HELLO_RESP_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_HELLO_RESP_SIZE);
	out->version = rd_u32(&r);
	out->frame_paths = rd_u32(&r);
	out->max_width = rd_u32(&r);
	out->max_height = rd_u32(&r);
	out->max_payload = rd_u32(&r);
	out->max_inflight = rd_u32(&r);
	out->encoder_flags = rd_u32(&r);
	out->formats = rd_u32(&r);
	out->profile = rd_u8(&r);
	out->level = rd_u8(&r);
	if (!rd_zero(&r, 2))
		return fail(why, -ENOTSUP, "reserved bytes not zero");
	if (!hxfr_copy_text(out->encoder, rd_take(&r, HXFR_SHORT_NAME_MAX), HXFR_SHORT_NAME_MAX,
			    true))
		return fail(why, -EINVAL, "encoder name not NUL-padded printable ASCII");
	if ((out->version >> 16) == 0)
		return fail(why, -EINVAL, "protocol major version 0");
	if (out->frame_paths & ~HXFR_PATH_ALL)
		return fail(why, -ENOTSUP, "frame_paths with unknown bits");
	if (out->max_width == 0 || out->max_height == 0 || out->max_width > HXFR_MAX_WIDTH ||
	    out->max_height > HXFR_MAX_HEIGHT)
		return fail(why, -EINVAL, "max width/height outside 1..8192");
	if (out->max_payload < HXFR_HEADER_SIZE || out->max_payload > HXFR_MAX_PAYLOAD_HARD)
		return fail(why, -EINVAL, "max_payload out of range");
	if (out->max_inflight == 0 || out->max_inflight > MAX_INFLIGHT)
		return fail(why, -EINVAL, "max_inflight must be 1..64");
	if (out->encoder_flags & ~HXFR_ENC_HARDWARE)
		return fail(why, -ENOTSUP, "unknown encoder flags");
	if (out->formats == 0 || (out->formats & ~HXFR_FMTBIT_ALL))
		return fail(why, -ENOTSUP, "formats empty or with unknown bits");
	if (out->profile != 66 && out->profile != 77 && out->profile != 100)
		return fail(why, -EINVAL, "profile must be 66, 77 or 100");
	if (out->level != 0 && (out->level < 10 || out->level > 62))
		return fail(why, -EINVAL, "level must be 0 or 10..62");
	return 0;
}

int hxfr_decode_shm_attach(const struct hxfr_msg *msg, struct hxfr_shm_attach *out,
			   const char **why)
{
	struct rd r;
	uint64_t end;
	int res;

	if (msg->hdr.type == HXFR_SHM_ATTACH && msg->hdr.payload_size == 48)
		return fail(why, -EBADMSG, "SHM_ATTACH without a ring_id (protocol 1.0): "
			    "the host needs proof that the ring is the sender's (1.1)");
	res = expect(msg, HXFR_SHM_ATTACH, 0, HXFR_SHM_ATTACH_SIZE, why);
	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_SHM_ATTACH_SIZE);
	out->ring_offset = rd_u64(&r);
	out->ring_size = rd_u64(&r);
	if (!hxfr_copy_text(out->name, rd_take(&r, HXFR_SHORT_NAME_MAX), HXFR_SHORT_NAME_MAX,
			    true))
		return fail(why, -EINVAL, "name not NUL-padded printable ASCII");
	out->ring_id = rd_u64(&r);
	if (out->ring_id == 0)
		return fail(why, -EINVAL, "ring_id 0 (a ring's id is random and non-zero)");
	if (out->ring_offset % HXFR_RING_ALIGN)
		return fail(why, -EINVAL, "ring_offset not 4096-aligned");
	if (out->ring_size < 2 * HXFR_RING_ALIGN)
		return fail(why, -EINVAL, "ring_size under 8192 bytes");
	if (__builtin_add_overflow(out->ring_offset, out->ring_size, &end))
		return fail(why, -EOVERFLOW, "ring_offset + ring_size overflows");
	return 0;
}

int hxfr_decode_shm_attach_resp(const struct hxfr_msg *msg, struct hxfr_shm_attach_resp *out,
				const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_SHM_ATTACH_RESP, 0, HXFR_SHM_ATTACH_RESP_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_SHM_ATTACH_RESP_SIZE);
	out->status = rd_i32(&r);
	out->slot_count = rd_u32(&r);
	out->slot_size = rd_u32(&r);
	if (!rd_zero(&r, 4))
		return fail(why, -ENOTSUP, "reserved bytes not zero");
	if (out->slot_count > HXFR_RING_MAX_SLOTS)
		return fail(why, -EINVAL, "slot_count over 64");
	if (out->status == HXFR_ERR_OK && (out->slot_count == 0 || out->slot_size == 0))
		return fail(why, -EINVAL, "success without slots");
	return 0;
}

int hxfr_decode_frame_shm(const struct hxfr_msg *msg, struct hxfr_frame_shm *out,
			  const char **why)
{
	struct rd r;
	unsigned planes;
	int res = expect(msg, HXFR_FRAME_SHM, 0, HXFR_FRAME_SHM_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_FRAME_SHM_SIZE);
	out->slot = rd_u32(&r);
	out->format = rd_u32(&r);
	out->width = rd_u32(&r);
	out->height = rd_u32(&r);
	for (int i = 0; i < 3; i++)
		out->stride[i] = rd_u32(&r);
	for (int i = 0; i < 3; i++)
		out->plane_offset[i] = rd_u32(&r);
	out->pts_ns = rd_i64(&r);
	out->duration_ns = rd_i64(&r);
	out->flags = rd_u32(&r);
	if (!rd_zero(&r, 4))
		return fail(why, -ENOTSUP, "reserved bytes not zero");
	if (out->slot >= HXFR_RING_MAX_SLOTS)
		return fail(why, -EINVAL, "slot index over 63");
	if (out->flags & ~HXFR_FRAME_SHM_KEYFRAME)
		return fail(why, -ENOTSUP, "unknown frame flags");
	if (out->duration_ns < 0)
		return fail(why, -EINVAL, "negative duration");
	if ((res = hxfr_check_geometry(out->format, out->width, out->height, why)) < 0)
		return res;
	planes = hxfr_format_planes(out->format);
	for (unsigned i = 0; i < 3; i++) {
		if (i >= planes) {
			if (out->stride[i] || out->plane_offset[i])
				return fail(why, -EINVAL, "stride/offset set for a plane the format lacks");
			continue;
		}
		res = check_stride(out->format, i, out->width, out->height, out->stride[i], why);
		if (res < 0)
			return res;
	}
	return 0;
}

int hxfr_decode_error(const struct hxfr_msg *msg, struct hxfr_error *out, const char **why)
{
	struct rd r;
	const uint8_t *text;
	size_t len = 0;

	if (msg->hdr.type != HXFR_ERROR)
		return fail(why, -EINVAL, "wrong message type for this decoder");
	/* The flags byte names the offending message type: any value. */
	if (msg->hdr.payload_size != HXFR_ERROR_SIZE)
		return fail(why, -EBADMSG, "payload size does not match the message layout");
	rd_init(&r, msg->payload, HXFR_ERROR_SIZE);
	out->code = rd_i32(&r);
	out->offending_type = msg->hdr.flags;
	text = rd_take(&r, HXFR_ERROR_TEXT_MAX);
	while (len < HXFR_ERROR_TEXT_MAX && text[len])
		len++;
	if (len == HXFR_ERROR_TEXT_MAX)
		return fail(why, -EINVAL, "message not NUL-terminated");
	/* An error text is shown, not parsed: replace what is not printable. */
	memset(out->message, 0, sizeof(out->message));
	for (size_t i = 0; i < len; i++)
		out->message[i] = (text[i] >= 0x20 && text[i] <= 0x7e) ? (char)text[i] : '?';
	return 0;
}

int hxfr_decode_input(const struct hxfr_msg *msg, struct hxfr_input *out, const char **why)
{
	struct rd r;
	int res = expect(msg, HXFR_INPUT, 0, HXFR_INPUT_SIZE, why);

	if (res < 0)
		return res;
	rd_init(&r, msg->payload, HXFR_INPUT_SIZE);
	out->kind = rd_u8(&r);
	out->down = rd_u8(&r);
	out->code = rd_u16(&r);
	out->x = rd_u32(&r);
	out->y = rd_u32(&r);
	out->dx = rd_i32(&r);
	out->dy = rd_i32(&r);
	if (!rd_zero(&r, 4))
		return fail(why, -ENOTSUP, "reserved bytes not zero");
	if (out->kind > HXFR_INPUT_WHEEL)
		return fail(why, -ENOTSUP, "unknown input kind");
	if (out->down > 1)
		return fail(why, -EINVAL, "down must be 0 or 1");
	if (out->kind == HXFR_INPUT_MOTION_ABS &&
	    (out->x > HXFR_INPUT_ABS_MAX || out->y > HXFR_INPUT_ABS_MAX))
		return fail(why, -EINVAL, "absolute position past 32767");
	return 0;
}
