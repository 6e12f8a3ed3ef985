/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the wire library's fuzz targets: run the decoder for a framed
 * message and check cheap invariants, trapping when one does not hold.
 *
 * The invariants: a decoder either succeeds or returns one of the documented
 * errnos with a reason; borrowed pointers lie inside the message; and a
 * decoded message built again with its builder gives the same bytes (strict
 * decoders) or decodes to the same struct (SCANOUT_RESP and ERROR, whose
 * text padding and characters are normalised). */
#ifndef HXFR_FUZZ_COMMON_H
#define HXFR_FUZZ_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hxfr/hxfr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(x)                                                          \
	do {                                                                    \
		if (!(x))                                                       \
			__builtin_trap();                                       \
	} while (0)

enum fuzz_decoder {
	FD_FRAME_REQUEST,
	FD_FRAME_RESPONSE,
	FD_EMPTY,
	FD_CONFIG_REQ,
	FD_CONFIG_RESP,
	FD_PING,
	FD_ENABLE_SCANOUT,
	FD_U32,
	FD_SCANOUT_RESP,
	FD_SUBSCRIBE_RESP,
	FD_HELLO,
	FD_HELLO_RESP,
	FD_SHM_ATTACH,
	FD_SHM_ATTACH_RESP,
	FD_FRAME_SHM,
	FD_ERROR,
	FD_INPUT,
	FD_COUNT
};

/* Room for every rebuilt fixed part (ERROR is the largest). */
#define FUZZ_BUF (HXFR_HEADER_SIZE + HXFR_ERROR_SIZE)

static inline void fuzz_check_errno(int r, const char *why)
{
	if (r == 0)
		return;
	FUZZ_ASSERT(r == -EBADMSG || r == -EINVAL || r == -ENOTSUP || r == -E2BIG ||
		    r == -EOVERFLOW);
	FUZZ_ASSERT(why != NULL && why[0] != '\0');
}

/* The whole message: its header sits right before its payload. */
static inline const uint8_t *fuzz_msg_bytes(const struct hxfr_msg *m)
{
	return m->payload - HXFR_HEADER_SIZE;
}

/* @p n rebuilt bytes equal the message's first @p n bytes. */
static inline void fuzz_same_bytes(const struct hxfr_msg *m, const uint8_t *b, ssize_t n)
{
	FUZZ_ASSERT(n >= (ssize_t)HXFR_HEADER_SIZE && (size_t)n <= m->total);
	FUZZ_ASSERT(memcmp(b, fuzz_msg_bytes(m), (size_t)n) == 0);
}

/* Frames a rebuilt message of exactly @p n bytes. */
static inline struct hxfr_msg fuzz_reframe(const uint8_t *b, ssize_t n)
{
	struct hxfr_msg m;
	size_t need = 0;

	FUZZ_ASSERT(n >= (ssize_t)HXFR_HEADER_SIZE);
	FUZZ_ASSERT(hxfr_frame(b, (size_t)n, HXFR_MAX_PAYLOAD_HARD, &m, &need) == 1);
	FUZZ_ASSERT(m.total == (size_t)n);
	return m;
}

static inline bool fuzz_text_ok(const char *s, size_t n)
{
	size_t len = strnlen(s, n);

	if (len == n)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	for (size_t i = len; i < n; i++)
		if (s[i])
			return false;
	return true;
}

static inline void fuzz_frame_request(const struct hxfr_msg *m)
{
	struct hxfr_frame_request out;
	const char *why = NULL;
	int r = hxfr_decode_frame_request(m, &out, &why);
	uint8_t b[FUZZ_BUF];
	ssize_t n;

	fuzz_check_errno(r, why);
	if (r)
		return;
	if (out.pixels_len) {
		FUZZ_ASSERT(out.pixels == m->payload + HXFR_FRAME_REQUEST_SIZE);
		FUZZ_ASSERT(HXFR_FRAME_REQUEST_SIZE + out.pixels_len == m->hdr.payload_size);
	} else {
		FUZZ_ASSERT(out.pixels == NULL && m->hdr.payload_size == HXFR_FRAME_REQUEST_SIZE);
		FUZZ_ASSERT(out.resource_id != 0);
	}
	FUZZ_ASSERT(out.width >= 1 && out.width <= HXFR_MAX_WIDTH);
	FUZZ_ASSERT(out.height >= 1 && out.height <= HXFR_MAX_HEIGHT);
	FUZZ_ASSERT(out.force_keyframe <= 1 && out.duration_ns >= 0);
	n = hxfr_build_frame_request(b, sizeof(b), m->hdr.session, &out);
	FUZZ_ASSERT(n == (ssize_t)HXFR_FRAME_REQUEST_PREFIX);
	fuzz_same_bytes(m, b, n);
}

static inline void fuzz_frame_response(const struct hxfr_msg *m)
{
	struct hxfr_frame_response out;
	const char *why = NULL;
	int r = hxfr_decode_frame_response(m, &out, &why);
	uint8_t b[FUZZ_BUF];
	ssize_t n;

	fuzz_check_errno(r, why);
	if (r)
		return;
	if (m->hdr.flags & HXFR_FLAG_DROPPED) {
		FUZZ_ASSERT(out.nal_count == 0 && out.au == NULL && out.au_len == 0);
	} else {
		FUZZ_ASSERT(out.nal_count == 1 && out.au_len > 0);
		FUZZ_ASSERT(out.au > m->payload && out.au + out.au_len == m->payload +
									   m->hdr.payload_size);
	}
	n = hxfr_build_frame_response(b, sizeof(b), m->hdr.session, m->hdr.flags, &out);
	FUZZ_ASSERT(n > 0 && (size_t)n + out.au_len == m->total);
	fuzz_same_bytes(m, b, n);
}

static inline void fuzz_empty(const struct hxfr_msg *m)
{
	const char *why = NULL;
	int r = hxfr_decode_empty(m, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	fuzz_same_bytes(m, b, hxfr_build_empty(b, sizeof(b), m->hdr.type, m->hdr.session));
	FUZZ_ASSERT(m->total == HXFR_HEADER_SIZE);
}

static inline void fuzz_config_req(const struct hxfr_msg *m)
{
	struct hxfr_config out;
	const char *why = NULL;
	int r = hxfr_decode_config_req(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(out.width <= HXFR_MAX_WIDTH && out.height <= HXFR_MAX_HEIGHT);
	fuzz_same_bytes(m, b, hxfr_build_config_req(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_config_resp(const struct hxfr_msg *m)
{
	struct hxfr_config_resp out;
	const char *why = NULL;
	int r = hxfr_decode_config_resp(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	fuzz_same_bytes(m, b, hxfr_build_config_resp(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_ping(const struct hxfr_msg *m)
{
	struct hxfr_ping out;
	const char *why = NULL;
	int r = hxfr_decode_ping(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(out.has_time == (m->hdr.payload_size != 0));
	fuzz_same_bytes(m, b, hxfr_build_ping(b, sizeof(b), m->hdr.type, m->hdr.session, &out));
}

static inline void fuzz_enable_scanout(const struct hxfr_msg *m)
{
	struct hxfr_enable_scanout out;
	const char *why = NULL;
	int r = hxfr_decode_enable_scanout(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(out.id < 16 && out.width && out.height);
	fuzz_same_bytes(m, b, hxfr_build_enable_scanout(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_u32(const struct hxfr_msg *m)
{
	uint32_t out;
	const char *why = NULL;
	int r = hxfr_decode_u32(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	fuzz_same_bytes(m, b, hxfr_build_u32(b, sizeof(b), m->hdr.type, m->hdr.session, out));
}

static inline void fuzz_scanout_resp(const struct hxfr_msg *m)
{
	struct hxfr_scanout_resp out, again;
	const char *why = NULL;
	int r = hxfr_decode_scanout_resp(m, &out, &why);
	uint8_t b[FUZZ_BUF];
	ssize_t n;
	struct hxfr_msg m2;

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(out.success <= 1 && fuzz_text_ok(out.name, sizeof(out.name)));
	n = hxfr_build_scanout_resp(b, sizeof(b), m->hdr.session, &out);
	/* Only the padding after the name's NUL may differ. */
	FUZZ_ASSERT(n == (ssize_t)m->total);
	FUZZ_ASSERT(memcmp(b, fuzz_msg_bytes(m), HXFR_HEADER_SIZE + 8 + strlen(out.name)) == 0);
	m2 = fuzz_reframe(b, n);
	FUZZ_ASSERT(hxfr_decode_scanout_resp(&m2, &again, &why) == 0);
	FUZZ_ASSERT(again.id == out.id && again.success == out.success);
	FUZZ_ASSERT(memcmp(again.name, out.name, sizeof(out.name)) == 0);
}

static inline void fuzz_subscribe_resp(const struct hxfr_msg *m)
{
	struct hxfr_subscribe_resp out;
	const char *why = NULL;
	int r = hxfr_decode_subscribe_resp(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	fuzz_same_bytes(m, b, hxfr_build_subscribe_resp(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_hello(const struct hxfr_msg *m)
{
	struct hxfr_hello out;
	const char *why = NULL;
	int r = hxfr_decode_hello(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(fuzz_text_ok(out.name, sizeof(out.name)));
	FUZZ_ASSERT(out.max_inflight >= 1 && out.max_inflight <= 64);
	fuzz_same_bytes(m, b, hxfr_build_hello(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_hello_resp(const struct hxfr_msg *m)
{
	struct hxfr_hello_resp out;
	const char *why = NULL;
	int r = hxfr_decode_hello_resp(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(fuzz_text_ok(out.encoder, sizeof(out.encoder)));
	FUZZ_ASSERT(out.max_payload <= HXFR_MAX_PAYLOAD_HARD);
	fuzz_same_bytes(m, b, hxfr_build_hello_resp(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_shm_attach(const struct hxfr_msg *m)
{
	struct hxfr_shm_attach out;
	const char *why = NULL;
	int r = hxfr_decode_shm_attach(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(fuzz_text_ok(out.name, sizeof(out.name)));
	FUZZ_ASSERT(out.ring_offset % HXFR_RING_ALIGN == 0);
	FUZZ_ASSERT(out.ring_offset <= UINT64_MAX - out.ring_size);
	FUZZ_ASSERT(out.ring_id != 0);
	fuzz_same_bytes(m, b, hxfr_build_shm_attach(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_input(const struct hxfr_msg *m)
{
	struct hxfr_input out;
	const char *why = NULL;
	int r = hxfr_decode_input(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(out.kind <= HXFR_INPUT_WHEEL && out.down <= 1);
	FUZZ_ASSERT(out.kind != HXFR_INPUT_MOTION_ABS ||
		    (out.x <= HXFR_INPUT_ABS_MAX && out.y <= HXFR_INPUT_ABS_MAX));
	fuzz_same_bytes(m, b, hxfr_build_input(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_shm_attach_resp(const struct hxfr_msg *m)
{
	struct hxfr_shm_attach_resp out;
	const char *why = NULL;
	int r = hxfr_decode_shm_attach_resp(m, &out, &why);
	uint8_t b[FUZZ_BUF];

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(out.slot_count <= HXFR_RING_MAX_SLOTS);
	fuzz_same_bytes(m, b, hxfr_build_shm_attach_resp(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_frame_shm(const struct hxfr_msg *m)
{
	struct hxfr_frame_shm out;
	const char *why = NULL;
	int r = hxfr_decode_frame_shm(m, &out, &why);
	uint8_t b[FUZZ_BUF];
	unsigned planes;

	fuzz_check_errno(r, why);
	if (r)
		return;
	planes = hxfr_format_planes(out.format);
	FUZZ_ASSERT(planes >= 1 && planes <= 3 && out.slot < HXFR_RING_MAX_SLOTS);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t min_stride, rows;

		if (i >= planes) {
			FUZZ_ASSERT(out.stride[i] == 0 && out.plane_offset[i] == 0);
			continue;
		}
		FUZZ_ASSERT(hxfr_format_plane_geometry(out.format, i, out.width, out.height,
						       &min_stride, &rows) == 0);
		FUZZ_ASSERT(out.stride[i] >= min_stride && out.stride[i] <= 65536);
	}
	fuzz_same_bytes(m, b, hxfr_build_frame_shm(b, sizeof(b), m->hdr.session, &out));
}

static inline void fuzz_error(const struct hxfr_msg *m)
{
	struct hxfr_error out, again;
	const char *why = NULL;
	int r = hxfr_decode_error(m, &out, &why);
	uint8_t b[FUZZ_BUF];
	ssize_t n;
	struct hxfr_msg m2;

	fuzz_check_errno(r, why);
	if (r)
		return;
	FUZZ_ASSERT(out.offending_type == m->hdr.flags);
	FUZZ_ASSERT(fuzz_text_ok(out.message, sizeof(out.message)));
	n = hxfr_build_error(b, sizeof(b), m->hdr.session, &out);
	FUZZ_ASSERT(n == (ssize_t)m->total);
	m2 = fuzz_reframe(b, n);
	FUZZ_ASSERT(hxfr_decode_error(&m2, &again, &why) == 0);
	FUZZ_ASSERT(again.code == out.code && again.offending_type == out.offending_type);
	FUZZ_ASSERT(memcmp(again.message, out.message, sizeof(out.message)) == 0);
}

static inline void fuzz_decode(enum fuzz_decoder d, const struct hxfr_msg *m)
{
	switch (d) {
	case FD_FRAME_REQUEST: fuzz_frame_request(m); break;
	case FD_FRAME_RESPONSE: fuzz_frame_response(m); break;
	case FD_EMPTY: fuzz_empty(m); break;
	case FD_CONFIG_REQ: fuzz_config_req(m); break;
	case FD_CONFIG_RESP: fuzz_config_resp(m); break;
	case FD_PING: fuzz_ping(m); break;
	case FD_ENABLE_SCANOUT: fuzz_enable_scanout(m); break;
	case FD_U32: fuzz_u32(m); break;
	case FD_SCANOUT_RESP: fuzz_scanout_resp(m); break;
	case FD_SUBSCRIBE_RESP: fuzz_subscribe_resp(m); break;
	case FD_HELLO: fuzz_hello(m); break;
	case FD_HELLO_RESP: fuzz_hello_resp(m); break;
	case FD_SHM_ATTACH: fuzz_shm_attach(m); break;
	case FD_SHM_ATTACH_RESP: fuzz_shm_attach_resp(m); break;
	case FD_FRAME_SHM: fuzz_frame_shm(m); break;
	case FD_ERROR: fuzz_error(m); break;
	case FD_INPUT: fuzz_input(m); break;
	case FD_COUNT: break;
	}
}

/* Runs what a host runs for a framed message of this type. */
static inline void fuzz_decode_by_type(const struct hxfr_msg *m)
{
	switch (m->hdr.type) {
	case HXFR_FRAME_REQUEST: fuzz_decode(FD_FRAME_REQUEST, m); break;
	case HXFR_FRAME_RESPONSE: fuzz_decode(FD_FRAME_RESPONSE, m); break;
	case HXFR_KEYFRAME_REQ:
	case HXFR_GOODBYE:
		fuzz_decode(FD_EMPTY, m);
		break;
	case HXFR_INPUT: fuzz_decode(FD_INPUT, m); break;
	case HXFR_CONFIG_REQ: fuzz_decode(FD_CONFIG_REQ, m); break;
	case HXFR_CONFIG_RESP: fuzz_decode(FD_CONFIG_RESP, m); break;
	case HXFR_PING:
	case HXFR_PONG:
		fuzz_decode(FD_PING, m);
		fuzz_decode(FD_EMPTY, m);
		break;
	case HXFR_ENABLE_SCANOUT: fuzz_decode(FD_ENABLE_SCANOUT, m); break;
	case HXFR_DISABLE_SCANOUT:
	case HXFR_SUBSCRIBE:
		fuzz_decode(FD_U32, m);
		break;
	case HXFR_SCANOUT_RESP: fuzz_decode(FD_SCANOUT_RESP, m); break;
	case HXFR_SUBSCRIBE_RESP: fuzz_decode(FD_SUBSCRIBE_RESP, m); break;
	case HXFR_HELLO: fuzz_decode(FD_HELLO, m); break;
	case HXFR_HELLO_RESP: fuzz_decode(FD_HELLO_RESP, m); break;
	case HXFR_SHM_ATTACH: fuzz_decode(FD_SHM_ATTACH, m); break;
	case HXFR_SHM_ATTACH_RESP: fuzz_decode(FD_SHM_ATTACH_RESP, m); break;
	case HXFR_FRAME_SHM: fuzz_decode(FD_FRAME_SHM, m); break;
	case HXFR_ERROR: fuzz_decode(FD_ERROR, m); break;
	default:
		FUZZ_ASSERT(!hxfr_type_known(m->hdr.type));
		FUZZ_ASSERT(strcmp(hxfr_type_name(m->hdr.type), "UNKNOWN") == 0);
		break;
	}
}

#endif
