/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decoder validation, table-driven: every check in decode.c is hit by a
 * malformed variant of a valid message, asserting the errno and the reason.
 * Each case starts from a template built by the builders, patches fields at
 * payload offsets, and decodes a copy in a buffer of the exact size (so that
 * AddressSanitizer catches any read past the message).
 *
 * Not reachable from the wire, so not covered: check_stride()'s "bad plane"
 * (the plane index always fits a format hxfr_check_geometry() accepted). */
#include <limits.h>

#include "wire-test.h"

enum tmpl {
	T_FRAME_REQUEST, /* GPU handle path: 64x32 BGRX, stride 256 */
	T_FRAME_REQUEST_INLINE, /* 2x2 BGRX, stride 8, 16 bytes of pixels */
	T_FRAME_RESPONSE, /* 4-byte access unit */
	T_FRAME_RESPONSE_DROPPED,
	T_KEYFRAME_REQ,
	T_CONFIG_REQ,
	T_CONFIG_RESP,
	T_PING,
	T_PING_TS,
	T_PONG_TS,
	T_ENABLE_SCANOUT,
	T_DISABLE_SCANOUT,
	T_SUBSCRIBE,
	T_SCANOUT_RESP,
	T_SUBSCRIBE_RESP,
	T_HELLO,
	T_HELLO_RESP,
	T_SHM_ATTACH,
	T_SHM_ATTACH_RESP,
	T_FRAME_SHM, /* NV12 64x32, strides 64/64, offsets 0/2048 */
	T_FRAME_SHM_I420, /* I420 64x32, strides 64/32/32 */
	T_ERROR,
	T_COUNT
};

static const char *const tmpl_names[T_COUNT] = {
	"frame-request", "frame-request-inline", "frame-response", "frame-response-dropped",
	"keyframe-req", "config-req", "config-resp", "ping", "ping-ts", "pong-ts",
	"enable-scanout", "disable-scanout", "subscribe", "scanout-resp", "subscribe-resp",
	"hello", "hello-resp", "shm-attach", "shm-attach-resp", "frame-shm", "frame-shm-i420",
	"error",
};

static const uint8_t au4[4] = {0, 0, 1, 0x65};
static const uint8_t px16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* Builds a valid message of template @p t into @p b; returns its length. */
static size_t build_tmpl(enum tmpl t, uint8_t *b)
{
	ssize_t n = -1;
	size_t extra = 0;
	const uint8_t *data = NULL;

	switch (t) {
	case T_FRAME_REQUEST: {
		struct hxfr_frame_request m = {.resource_id = 9, .width = 64, .height = 32,
					       .format = HXFR_FMT_BGRX, .stride = 256,
					       .pts_ns = 1, .duration_ns = 2};
		n = hxfr_build_frame_request(b, TEST_BUF, 1, &m);
		break;
	}
	case T_FRAME_REQUEST_INLINE: {
		struct hxfr_frame_request m = {.width = 2, .height = 2, .format = HXFR_FMT_BGRX,
					       .stride = 8, .pixels = px16, .pixels_len = 16};
		n = hxfr_build_frame_request(b, TEST_BUF, 1, &m);
		data = px16;
		extra = 16;
		break;
	}
	case T_FRAME_RESPONSE: {
		struct hxfr_frame_response m = {.pts_ns = 5, .dts_ns = 4, .is_keyframe = 1,
						.au = au4, .au_len = 4};
		n = hxfr_build_frame_response(b, TEST_BUF, 1, 0, &m);
		data = au4;
		extra = 4;
		break;
	}
	case T_FRAME_RESPONSE_DROPPED: {
		struct hxfr_frame_response m = {.pts_ns = 5, .dts_ns = 4};
		n = hxfr_build_frame_response(b, TEST_BUF, 1, HXFR_FLAG_DROPPED, &m);
		break;
	}
	case T_KEYFRAME_REQ:
		n = hxfr_build_empty(b, TEST_BUF, HXFR_KEYFRAME_REQ, 1);
		break;
	case T_CONFIG_REQ:
	case T_CONFIG_RESP: {
		struct hxfr_config_resp m = {
			.status = HXFR_ERR_OK,
			.applied = {.width = 1280, .height = 720, .bitrate = 4000000,
				    .fps_num = 30, .fps_den = 1, .profile = 100, .level = 31,
				    .realtime = 1}};
		n = t == T_CONFIG_REQ ? hxfr_build_config_req(b, TEST_BUF, 1, &m.applied) :
					hxfr_build_config_resp(b, TEST_BUF, 1, &m);
		break;
	}
	case T_PING:
	case T_PING_TS:
	case T_PONG_TS: {
		struct hxfr_ping m = {.has_time = t != T_PING, .time_ns = 77, .host_time_ns = 88};
		n = hxfr_build_ping(b, TEST_BUF, t == T_PONG_TS ? HXFR_PONG : HXFR_PING, 1, &m);
		break;
	}
	case T_ENABLE_SCANOUT: {
		struct hxfr_enable_scanout m = {.id = 2, .width = 1920, .height = 1080,
						.refresh_hz = 60};
		n = hxfr_build_enable_scanout(b, TEST_BUF, 2, &m);
		break;
	}
	case T_DISABLE_SCANOUT:
		n = hxfr_build_u32(b, TEST_BUF, HXFR_DISABLE_SCANOUT, 2, 2);
		break;
	case T_SUBSCRIBE:
		n = hxfr_build_u32(b, TEST_BUF, HXFR_SUBSCRIBE, 2, 2);
		break;
	case T_SCANOUT_RESP: {
		struct hxfr_scanout_resp m = {.id = 2, .success = 1, .name = "Virtual-3"};
		n = hxfr_build_scanout_resp(b, TEST_BUF, 2, &m);
		break;
	}
	case T_SUBSCRIBE_RESP: {
		struct hxfr_subscribe_resp m = {.id = 2, .success = 1};
		n = hxfr_build_subscribe_resp(b, TEST_BUF, 2, &m);
		break;
	}
	case T_HELLO: {
		struct hxfr_hello m = {.version = HXFR_VERSION, .frame_paths = 3,
				       .max_inflight = 4, .name = "guest-1"};
		n = hxfr_build_hello(b, TEST_BUF, 0, &m);
		break;
	}
	case T_HELLO_RESP: {
		struct hxfr_hello_resp m = {
			.version = HXFR_VERSION, .frame_paths = 7, .max_width = 3840,
			.max_height = 2160, .max_payload = HXFR_MAX_PAYLOAD_DEFAULT,
			.max_inflight = 16, .encoder_flags = 1, .formats = 0x3f, .profile = 100,
			.level = 51, .encoder = "libx264"};
		n = hxfr_build_hello_resp(b, TEST_BUF, 0, &m);
		break;
	}
	case T_SHM_ATTACH: {
		struct hxfr_shm_attach m = {.ring_offset = 4096, .ring_size = 1 << 20,
					    .name = "r0", .ring_id = 0x1122334455667788ull};
		n = hxfr_build_shm_attach(b, TEST_BUF, 0, &m);
		break;
	}
	case T_SHM_ATTACH_RESP: {
		struct hxfr_shm_attach_resp m = {.status = 0, .slot_count = 4, .slot_size = 1 << 20};
		n = hxfr_build_shm_attach_resp(b, TEST_BUF, 0, &m);
		break;
	}
	case T_FRAME_SHM: {
		struct hxfr_frame_shm m = {.slot = 1, .format = HXFR_FMT_NV12, .width = 64,
					   .height = 32, .stride = {64, 64},
					   .plane_offset = {0, 2048}, .pts_ns = 3,
					   .duration_ns = 4};
		n = hxfr_build_frame_shm(b, TEST_BUF, 0, &m);
		break;
	}
	case T_FRAME_SHM_I420: {
		struct hxfr_frame_shm m = {.slot = 1, .format = HXFR_FMT_I420, .width = 64,
					   .height = 32, .stride = {64, 32, 32},
					   .plane_offset = {0, 2048, 2560}};
		n = hxfr_build_frame_shm(b, TEST_BUF, 0, &m);
		break;
	}
	case T_ERROR: {
		struct hxfr_error m = {.code = HXFR_ERR_LIMIT, .offending_type = 1,
				       .message = "too big"};
		n = hxfr_build_error(b, TEST_BUF, 0, &m);
		break;
	}
	case T_COUNT:
		break;
	}
	g_assert_cmpint(n, >=, (ssize_t)HXFR_HEADER_SIZE);
	if (extra)
		memcpy(b + n, data, extra);
	return (size_t)n + extra;
}

/* Runs the decoder that belongs to template @p t. */
static int decode_tmpl(enum tmpl t, const struct hxfr_msg *m, const char **why)
{
	union {
		struct hxfr_frame_request fr;
		struct hxfr_frame_response rs;
		struct hxfr_config c;
		struct hxfr_config_resp cr;
		struct hxfr_ping p;
		struct hxfr_enable_scanout es;
		uint32_t u;
		struct hxfr_scanout_resp sr;
		struct hxfr_subscribe_resp su;
		struct hxfr_hello h;
		struct hxfr_hello_resp hr;
		struct hxfr_shm_attach sa;
		struct hxfr_shm_attach_resp sar;
		struct hxfr_frame_shm fs;
		struct hxfr_error e;
	} out;

	switch (t) {
	case T_FRAME_REQUEST:
	case T_FRAME_REQUEST_INLINE:
		return hxfr_decode_frame_request(m, &out.fr, why);
	case T_FRAME_RESPONSE:
	case T_FRAME_RESPONSE_DROPPED:
		return hxfr_decode_frame_response(m, &out.rs, why);
	case T_KEYFRAME_REQ:
		return hxfr_decode_empty(m, why);
	case T_CONFIG_REQ:
		return hxfr_decode_config_req(m, &out.c, why);
	case T_CONFIG_RESP:
		return hxfr_decode_config_resp(m, &out.cr, why);
	case T_PING:
	case T_PING_TS:
	case T_PONG_TS:
		return hxfr_decode_ping(m, &out.p, why);
	case T_ENABLE_SCANOUT:
		return hxfr_decode_enable_scanout(m, &out.es, why);
	case T_DISABLE_SCANOUT:
	case T_SUBSCRIBE:
		return hxfr_decode_u32(m, &out.u, why);
	case T_SCANOUT_RESP:
		return hxfr_decode_scanout_resp(m, &out.sr, why);
	case T_SUBSCRIBE_RESP:
		return hxfr_decode_subscribe_resp(m, &out.su, why);
	case T_HELLO:
		return hxfr_decode_hello(m, &out.h, why);
	case T_HELLO_RESP:
		return hxfr_decode_hello_resp(m, &out.hr, why);
	case T_SHM_ATTACH:
		return hxfr_decode_shm_attach(m, &out.sa, why);
	case T_SHM_ATTACH_RESP:
		return hxfr_decode_shm_attach_resp(m, &out.sar, why);
	case T_FRAME_SHM:
	case T_FRAME_SHM_I420:
		return hxfr_decode_frame_shm(m, &out.fs, why);
	case T_ERROR:
		return hxfr_decode_error(m, &out.e, why);
	case T_COUNT:
		break;
	}
	g_assert_not_reached();
}

struct patch {
	uint16_t off; /* from the payload start */
	uint8_t width; /* 1, 2, 4 or 8 (little-endian); 0 = unused */
	uint64_t val;
};

struct fill {
	uint16_t off, len;
	uint8_t val;
};

#define SET(x) (0x100 | (x)) /* .type / .flags: 0 keeps the template's */

struct vcase {
	const char *name;
	enum tmpl t;
	int type, flags;
	int resize; /* bytes appended (zeros) or removed at the end */
	struct patch p[3];
	struct fill fill;
	int err;
	const char *why; /* distinctive part of the reason */
};

#define U64(x) ((uint64_t)(x))

static const struct vcase cases[] = {
	/* ---- FRAME_REQUEST ---- */
	{"frame-request/short-with-pixel-flag", T_FRAME_REQUEST_INLINE, .resize = -17,
	 .err = -EBADMSG, .why = "shorter"},
	{"frame-request/trailing-without-pixel-flag", T_FRAME_REQUEST_INLINE, .flags = SET(0),
	 .err = -EBADMSG, .why = "trailing bytes"},
	{"frame-request/reserved-first", T_FRAME_REQUEST, .p = {{37, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"frame-request/reserved-last", T_FRAME_REQUEST, .p = {{43, 1, 0x80}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"frame-request/force-keyframe-2", T_FRAME_REQUEST, .p = {{36, 1, 2}}, .err = -EINVAL,
	 .why = "force_keyframe"},
	{"frame-request/force-keyframe-255", T_FRAME_REQUEST, .p = {{36, 1, 255}}, .err = -EINVAL,
	 .why = "force_keyframe"},
	{"frame-request/force-keyframe-1", T_FRAME_REQUEST, .p = {{36, 1, 1}}},
	{"frame-request/duration-negative", T_FRAME_REQUEST, .p = {{28, 8, U64(-1)}},
	 .err = -EINVAL, .why = "negative duration"},
	{"frame-request/duration-min", T_FRAME_REQUEST, .p = {{28, 8, U64(INT64_MIN)}},
	 .err = -EINVAL, .why = "negative duration"},
	{"frame-request/duration-max", T_FRAME_REQUEST, .p = {{28, 8, U64(INT64_MAX)}}},
	{"frame-request/pts-min", T_FRAME_REQUEST, .p = {{20, 8, U64(INT64_MIN)}}},
	{"frame-request/format-unknown", T_FRAME_REQUEST,
	 .p = {{12, 4, HXFR_FOURCC('Y', 'U', 'Y', 'V')}}, .err = -ENOTSUP, .why = "pixel format"},
	{"frame-request/format-zero", T_FRAME_REQUEST, .p = {{12, 4, 0}}, .err = -ENOTSUP,
	 .why = "pixel format"},
	{"frame-request/width-0", T_FRAME_REQUEST, .p = {{4, 4, 0}}, .err = -EINVAL,
	 .why = "zero width"},
	{"frame-request/height-0", T_FRAME_REQUEST, .p = {{8, 4, 0}}, .err = -EINVAL,
	 .why = "zero width or height"},
	{"frame-request/width-8193", T_FRAME_REQUEST, .p = {{4, 4, 8193}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"frame-request/height-8193", T_FRAME_REQUEST, .p = {{8, 4, 8193}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"frame-request/width-u32max", T_FRAME_REQUEST, .p = {{4, 4, UINT32_MAX}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"frame-request/max-size", T_FRAME_REQUEST, .p = {{4, 4, 8192}, {8, 4, 8192}, {16, 4, 32768}}},
	{"frame-request/stride-under-row", T_FRAME_REQUEST, .p = {{16, 4, 255}}, .err = -EINVAL,
	 .why = "stride smaller"},
	{"frame-request/stride-0", T_FRAME_REQUEST, .p = {{16, 4, 0}}, .err = -EINVAL,
	 .why = "stride smaller"},
	{"frame-request/stride-65536", T_FRAME_REQUEST, .p = {{16, 4, 65536}}},
	{"frame-request/stride-65537", T_FRAME_REQUEST, .p = {{16, 4, 65537}}, .err = -E2BIG,
	 .why = "stride over"},
	{"frame-request/stride-u32max", T_FRAME_REQUEST, .p = {{16, 4, UINT32_MAX}},
	 .err = -E2BIG, .why = "stride over"},
	{"frame-request/resource-0-without-pixels", T_FRAME_REQUEST, .p = {{0, 4, 0}},
	 .err = -EINVAL, .why = "resource_id 0"},
	{"frame-request/inline-nv12-odd-width-tight-stride", T_FRAME_REQUEST_INLINE,
	 .p = {{12, 4, HXFR_FMT_NV12}, {4, 4, 3}, {16, 4, 3}}, .err = -EINVAL,
	 .why = "bad frame geometry"},
	{"frame-request/inline-pixels-one-long", T_FRAME_REQUEST_INLINE, .resize = 1,
	 .err = -EBADMSG, .why = "pixel data size"},
	{"frame-request/inline-pixels-one-short", T_FRAME_REQUEST_INLINE, .resize = -1,
	 .err = -EBADMSG, .why = "pixel data size"},
	{"frame-request/inline-no-pixels", T_FRAME_REQUEST_INLINE, .resize = -16,
	 .err = -EBADMSG, .why = "pixel data size"},
	{"frame-request/inline-stride-mismatch", T_FRAME_REQUEST_INLINE, .p = {{16, 4, 12}},
	 .err = -EBADMSG, .why = "pixel data size"},
	/* I420 2x1, stride 8: 8 luma + 4 + 4 chroma bytes = the template's 16. */
	{"frame-request/inline-i420-exact", T_FRAME_REQUEST_INLINE,
	 .p = {{12, 4, HXFR_FMT_I420}, {8, 4, 1}}},
	{"frame-request/inline-i420-size", T_FRAME_REQUEST_INLINE,
	 .p = {{12, 4, HXFR_FMT_I420}, {8, 4, 1}}, .resize = 8, .err = -EBADMSG,
	 .why = "pixel data size"},

	/* ---- FRAME_RESPONSE ---- */
	{"frame-response/flag-0x04", T_FRAME_RESPONSE, .flags = SET(0x04), .err = -ENOTSUP,
	 .why = "unknown header flags"},
	{"frame-response/replayed", T_FRAME_RESPONSE, .flags = SET(HXFR_FLAG_REPLAYED)},
	{"frame-response/reserved-first", T_FRAME_RESPONSE, .p = {{17, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"frame-response/reserved-last", T_FRAME_RESPONSE, .p = {{19, 1, 0xff}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"frame-response/keyframe-2", T_FRAME_RESPONSE, .p = {{16, 1, 2}}, .err = -EINVAL,
	 .why = "is_keyframe"},
	{"frame-response/nal-count-0", T_FRAME_RESPONSE, .p = {{20, 4, 0}}, .err = -EINVAL,
	 .why = "nal_count"},
	{"frame-response/nal-count-2", T_FRAME_RESPONSE, .p = {{20, 4, 2}}, .err = -EINVAL,
	 .why = "nal_count"},
	{"frame-response/au-len-0", T_FRAME_RESPONSE, .p = {{24, 4, 0}}, .err = -EBADMSG,
	 .why = "access unit size"},
	{"frame-response/au-len-over", T_FRAME_RESPONSE, .p = {{24, 4, 5}}, .err = -EBADMSG,
	 .why = "access unit size"},
	{"frame-response/au-len-under", T_FRAME_RESPONSE, .p = {{24, 4, 3}}, .err = -EBADMSG,
	 .why = "access unit size"},
	{"frame-response/au-len-u32max", T_FRAME_RESPONSE, .p = {{24, 4, UINT32_MAX}},
	 .err = -EBADMSG, .why = "access unit size"},
	{"frame-response/no-au-len", T_FRAME_RESPONSE, .resize = -8, .err = -EBADMSG,
	 .why = "access unit size"},
	{"frame-response/under-fixed-size", T_FRAME_RESPONSE, .resize = -9, .err = -EBADMSG,
	 .why = "shorter"},
	{"frame-response/dropped-flag-with-data", T_FRAME_RESPONSE,
	 .flags = SET(HXFR_FLAG_DROPPED), .err = -EBADMSG, .why = "dropped"},
	{"frame-response/dropped-nal-count-1", T_FRAME_RESPONSE_DROPPED, .p = {{20, 4, 1}},
	 .err = -EBADMSG, .why = "dropped"},
	{"frame-response/dropped-trailing", T_FRAME_RESPONSE_DROPPED, .resize = 4,
	 .err = -EBADMSG, .why = "dropped"},
	{"frame-response/dropped-replayed", T_FRAME_RESPONSE_DROPPED,
	 .flags = SET(HXFR_FLAG_DROPPED | HXFR_FLAG_REPLAYED)},
	{"frame-response/dropped-keyframe-2", T_FRAME_RESPONSE_DROPPED, .p = {{16, 1, 2}},
	 .err = -EINVAL, .why = "is_keyframe"},
	{"frame-response/no-data-without-dropped", T_FRAME_RESPONSE_DROPPED, .flags = SET(0),
	 .err = -EINVAL, .why = "nal_count"},

	/* ---- empty messages ---- */
	{"empty/ping", T_KEYFRAME_REQ, .type = SET(HXFR_PING)},
	{"empty/pong", T_KEYFRAME_REQ, .type = SET(HXFR_PONG)},
	{"empty/goodbye", T_KEYFRAME_REQ, .type = SET(HXFR_GOODBYE)},
	{"empty/wrong-type-config", T_KEYFRAME_REQ, .type = SET(HXFR_CONFIG_REQ),
	 .err = -EINVAL, .why = "wrong message type"},
	{"empty/wrong-type-unknown", T_KEYFRAME_REQ, .type = SET(0x7e), .err = -EINVAL,
	 .why = "wrong message type"},

	/* ---- CONFIG_REQ / CONFIG_RESP ---- */
	{"config-req/reserved-first", T_CONFIG_REQ, .p = {{23, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"config-req/reserved-last", T_CONFIG_REQ, .p = {{27, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"config-req/width-only", T_CONFIG_REQ, .p = {{4, 4, 0}}, .err = -EINVAL,
	 .why = "both be set"},
	{"config-req/height-only", T_CONFIG_REQ, .p = {{0, 4, 0}}, .err = -EINVAL,
	 .why = "both be set"},
	{"config-req/size-unchanged", T_CONFIG_REQ, .p = {{0, 4, 0}, {4, 4, 0}}},
	{"config-req/width-8193", T_CONFIG_REQ, .p = {{0, 4, 8193}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"config-req/height-8193", T_CONFIG_REQ, .p = {{4, 4, 8193}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"config-req/size-8192", T_CONFIG_REQ, .p = {{0, 4, 8192}, {4, 4, 8192}}},
	{"config-req/bitrate-9999", T_CONFIG_REQ, .p = {{8, 4, 9999}}, .err = -EINVAL,
	 .why = "bitrate"},
	{"config-req/bitrate-1", T_CONFIG_REQ, .p = {{8, 4, 1}}, .err = -EINVAL,
	 .why = "bitrate"},
	{"config-req/bitrate-over-1g", T_CONFIG_REQ, .p = {{8, 4, 1000000001}}, .err = -EINVAL,
	 .why = "bitrate"},
	{"config-req/bitrate-u32max", T_CONFIG_REQ, .p = {{8, 4, UINT32_MAX}}, .err = -EINVAL,
	 .why = "bitrate"},
	{"config-req/bitrate-10000", T_CONFIG_REQ, .p = {{8, 4, 10000}}},
	{"config-req/bitrate-1g", T_CONFIG_REQ, .p = {{8, 4, 1000000000}}},
	{"config-req/bitrate-unchanged", T_CONFIG_REQ, .p = {{8, 4, 0}}},
	{"config-req/fps-num-only", T_CONFIG_REQ, .p = {{16, 4, 0}}, .err = -EINVAL,
	 .why = "fps_num and fps_den"},
	{"config-req/fps-den-only", T_CONFIG_REQ, .p = {{12, 4, 0}}, .err = -EINVAL,
	 .why = "fps_num and fps_den"},
	{"config-req/fps-unchanged", T_CONFIG_REQ, .p = {{12, 4, 0}, {16, 4, 0}}},
	{"config-req/fps-241", T_CONFIG_REQ, .p = {{12, 4, 241}}, .err = -EINVAL,
	 .why = "frame rate"},
	{"config-req/fps-240", T_CONFIG_REQ, .p = {{12, 4, 240}}},
	{"config-req/fps-240.004", T_CONFIG_REQ, .p = {{12, 4, 240001}, {16, 4, 1000}},
	 .err = -EINVAL, .why = "frame rate"},
	{"config-req/fps-1-11", T_CONFIG_REQ, .p = {{12, 4, 1}, {16, 4, 11}}, .err = -EINVAL,
	 .why = "frame rate"},
	{"config-req/fps-1-10", T_CONFIG_REQ, .p = {{12, 4, 1}, {16, 4, 10}}},
	{"config-req/fps-num-u32max", T_CONFIG_REQ, .p = {{12, 4, UINT32_MAX}}, .err = -EINVAL,
	 .why = "frame rate"},
	{"config-req/fps-den-u32max", T_CONFIG_REQ, .p = {{16, 4, UINT32_MAX}}, .err = -EINVAL,
	 .why = "frame rate"},
	{"config-req/fps-both-u32max", T_CONFIG_REQ, .p = {{12, 4, UINT32_MAX}, {16, 4, UINT32_MAX}}},
	{"config-req/profile-0", T_CONFIG_REQ, .p = {{20, 1, 0}}},
	{"config-req/profile-66", T_CONFIG_REQ, .p = {{20, 1, 66}}},
	{"config-req/profile-77", T_CONFIG_REQ, .p = {{20, 1, 77}}},
	{"config-req/profile-65", T_CONFIG_REQ, .p = {{20, 1, 65}}, .err = -ENOTSUP,
	 .why = "profile"},
	{"config-req/profile-101", T_CONFIG_REQ, .p = {{20, 1, 101}}, .err = -ENOTSUP,
	 .why = "profile"},
	{"config-req/level-0", T_CONFIG_REQ, .p = {{21, 1, 0}}},
	{"config-req/level-10", T_CONFIG_REQ, .p = {{21, 1, 10}}},
	{"config-req/level-62", T_CONFIG_REQ, .p = {{21, 1, 62}}},
	{"config-req/level-9", T_CONFIG_REQ, .p = {{21, 1, 9}}, .err = -EINVAL, .why = "level"},
	{"config-req/level-63", T_CONFIG_REQ, .p = {{21, 1, 63}}, .err = -EINVAL, .why = "level"},
	{"config-req/realtime-0", T_CONFIG_REQ, .p = {{22, 1, 0}}},
	{"config-req/realtime-2", T_CONFIG_REQ, .p = {{22, 1, 2}}, .err = -EINVAL,
	 .why = "realtime"},
	{"config-resp/status-any", T_CONFIG_RESP, .p = {{0, 4, 0x80000000u}}},
	{"config-resp/reserved", T_CONFIG_RESP, .p = {{31, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"config-resp/width-only", T_CONFIG_RESP, .p = {{8, 4, 0}}, .err = -EINVAL,
	 .why = "both be set"},
	{"config-resp/profile-1", T_CONFIG_RESP, .p = {{24, 1, 1}}, .err = -ENOTSUP,
	 .why = "profile"},
	{"config-resp/realtime-3", T_CONFIG_RESP, .p = {{26, 1, 3}}, .err = -EINVAL,
	 .why = "realtime"},

	/* ---- PING / PONG ---- */
	{"ping/4-bytes", T_PING, .resize = 4, .err = -EBADMSG, .why = "PING carries"},
	{"ping/16-bytes", T_PING_TS, .resize = 8, .err = -EBADMSG, .why = "PING carries"},
	{"pong/8-bytes", T_PONG_TS, .resize = -8, .err = -EBADMSG, .why = "PING carries"},
	{"pong/ping-sized", T_PING_TS, .type = SET(HXFR_PONG), .err = -EBADMSG,
	 .why = "PING carries"},
	{"ping/pong-sized", T_PONG_TS, .type = SET(HXFR_PING), .err = -EBADMSG,
	 .why = "PING carries"},
	{"ping/pong-empty", T_PING, .type = SET(HXFR_PONG)},

	/* ---- ENABLE_SCANOUT ---- */
	{"enable-scanout/id-16", T_ENABLE_SCANOUT, .p = {{0, 4, 16}}, .err = -EINVAL,
	 .why = "scanout id"},
	{"enable-scanout/id-u32max", T_ENABLE_SCANOUT, .p = {{0, 4, UINT32_MAX}}, .err = -EINVAL,
	 .why = "scanout id"},
	{"enable-scanout/id-15", T_ENABLE_SCANOUT, .p = {{0, 4, 15}}},
	{"enable-scanout/width-0", T_ENABLE_SCANOUT, .p = {{4, 4, 0}}, .err = -EINVAL,
	 .why = "zero width"},
	{"enable-scanout/height-0", T_ENABLE_SCANOUT, .p = {{8, 4, 0}}, .err = -EINVAL,
	 .why = "zero width"},
	{"enable-scanout/width-8193", T_ENABLE_SCANOUT, .p = {{4, 4, 8193}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"enable-scanout/height-8193", T_ENABLE_SCANOUT, .p = {{8, 4, 8193}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"enable-scanout/refresh-241", T_ENABLE_SCANOUT, .p = {{12, 4, 241}}, .err = -EINVAL,
	 .why = "refresh"},
	{"enable-scanout/refresh-240", T_ENABLE_SCANOUT, .p = {{12, 4, 240}}},
	{"enable-scanout/refresh-0", T_ENABLE_SCANOUT, .p = {{12, 4, 0}}},

	/* ---- DISABLE_SCANOUT / SUBSCRIBE ---- */
	{"u32/subscribe-as-disable", T_SUBSCRIBE, .type = SET(HXFR_DISABLE_SCANOUT)},
	{"u32/any-value", T_SUBSCRIBE, .p = {{0, 4, UINT32_MAX}}},

	/* ---- SCANOUT_RESP ---- */
	{"scanout-resp/success-2", T_SCANOUT_RESP, .p = {{4, 4, 2}}, .err = -EINVAL,
	 .why = "success"},
	{"scanout-resp/name-unterminated", T_SCANOUT_RESP, .fill = {8, 64, 'A'}, .err = -EINVAL,
	 .why = "NUL-terminated"},
	{"scanout-resp/name-63", T_SCANOUT_RESP, .fill = {8, 63, 'A'}},
	{"scanout-resp/name-control", T_SCANOUT_RESP, .p = {{8, 1, 0x01}}, .err = -EINVAL,
	 .why = "printable"},
	{"scanout-resp/name-newline", T_SCANOUT_RESP, .p = {{12, 1, '\n'}}, .err = -EINVAL,
	 .why = "printable"},
	{"scanout-resp/name-del", T_SCANOUT_RESP, .p = {{16, 1, 0x7f}}, .err = -EINVAL,
	 .why = "printable"},
	{"scanout-resp/name-high", T_SCANOUT_RESP, .p = {{8, 1, 0xc3}}, .err = -EINVAL,
	 .why = "printable"},
	{"scanout-resp/padding-garbage", T_SCANOUT_RESP, .fill = {18, 54, 0xee}},
	{"scanout-resp/empty-name-garbage", T_SCANOUT_RESP, .p = {{8, 1, 0}},
	 .fill = {9, 63, 0x01}},

	/* ---- SUBSCRIBE_RESP ---- */
	{"subscribe-resp/success-2", T_SUBSCRIBE_RESP, .p = {{4, 4, 2}}, .err = -EINVAL,
	 .why = "success"},
	{"subscribe-resp/success-0", T_SUBSCRIBE_RESP, .p = {{4, 4, 0}}},

	/* ---- HELLO ---- */
	{"hello/flag-input", T_HELLO, .p = {{12, 1, 1}}},
	{"hello/flag-unknown-first", T_HELLO, .p = {{12, 1, 2}}, .err = -ENOTSUP,
	 .why = "HELLO flags"},
	{"hello/flag-unknown-last", T_HELLO, .p = {{15, 1, 0x80}}, .err = -ENOTSUP,
	 .why = "HELLO flags"},
	{"hello/name-unterminated", T_HELLO, .fill = {16, 32, 'a'}, .err = -EINVAL,
	 .why = "name"},
	{"hello/name-31", T_HELLO, .fill = {16, 31, 'a'}},
	{"hello/name-control", T_HELLO, .p = {{17, 1, '\t'}}, .err = -EINVAL, .why = "printable"},
	{"hello/name-del", T_HELLO, .p = {{16, 1, 0x7f}}, .err = -EINVAL, .why = "printable"},
	{"hello/name-padding", T_HELLO, .p = {{47, 1, 'x'}}, .err = -EINVAL,
	 .why = "NUL-padded"},
	{"hello/name-padding-after-nul", T_HELLO, .p = {{24, 1, 1}}, .err = -EINVAL,
	 .why = "NUL-padded"},
	{"hello/version-major-0", T_HELLO, .p = {{0, 4, 0x0000ffff}}, .err = -EINVAL,
	 .why = "major version 0"},
	{"hello/version-major-2", T_HELLO, .p = {{0, 4, 0x00020000}}},
	{"hello/paths-0", T_HELLO, .p = {{4, 4, 0}}, .err = -ENOTSUP, .why = "frame_paths"},
	{"hello/paths-8", T_HELLO, .p = {{4, 4, 8}}, .err = -ENOTSUP, .why = "frame_paths"},
	{"hello/paths-high", T_HELLO, .p = {{4, 4, 0x80000001u}}, .err = -ENOTSUP,
	 .why = "frame_paths"},
	{"hello/paths-all", T_HELLO, .p = {{4, 4, HXFR_PATH_ALL}}},
	{"hello/inflight-0", T_HELLO, .p = {{8, 4, 0}}, .err = -EINVAL, .why = "max_inflight"},
	{"hello/inflight-65", T_HELLO, .p = {{8, 4, 65}}, .err = -EINVAL, .why = "max_inflight"},
	{"hello/inflight-64", T_HELLO, .p = {{8, 4, 64}}},

	/* ---- HELLO_RESP ---- */
	{"hello-resp/reserved-first", T_HELLO_RESP, .p = {{34, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"hello-resp/reserved-last", T_HELLO_RESP, .p = {{35, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"hello-resp/encoder-unterminated", T_HELLO_RESP, .fill = {36, 32, 'x'}, .err = -EINVAL,
	 .why = "encoder name"},
	{"hello-resp/encoder-control", T_HELLO_RESP, .p = {{36, 1, 0x1b}}, .err = -EINVAL,
	 .why = "encoder name"},
	{"hello-resp/encoder-padding", T_HELLO_RESP, .p = {{67, 1, 'x'}}, .err = -EINVAL,
	 .why = "NUL-padded"},
	{"hello-resp/version-major-0", T_HELLO_RESP, .p = {{0, 4, 1}}, .err = -EINVAL,
	 .why = "major version 0"},
	{"hello-resp/paths-8", T_HELLO_RESP, .p = {{4, 4, 8}}, .err = -ENOTSUP,
	 .why = "frame_paths"},
	{"hello-resp/paths-0", T_HELLO_RESP, .p = {{4, 4, 0}}},
	{"hello-resp/max-width-0", T_HELLO_RESP, .p = {{8, 4, 0}}, .err = -EINVAL,
	 .why = "max width/height"},
	{"hello-resp/max-height-0", T_HELLO_RESP, .p = {{12, 4, 0}}, .err = -EINVAL,
	 .why = "max width/height"},
	{"hello-resp/max-width-8193", T_HELLO_RESP, .p = {{8, 4, 8193}}, .err = -EINVAL,
	 .why = "max width/height"},
	{"hello-resp/max-height-8193", T_HELLO_RESP, .p = {{12, 4, 8193}}, .err = -EINVAL,
	 .why = "max width/height"},
	{"hello-resp/max-size-8192", T_HELLO_RESP, .p = {{8, 4, 8192}, {12, 4, 8192}}},
	{"hello-resp/max-payload-11", T_HELLO_RESP, .p = {{16, 4, 11}}, .err = -EINVAL,
	 .why = "max_payload"},
	{"hello-resp/max-payload-12", T_HELLO_RESP, .p = {{16, 4, 12}}},
	{"hello-resp/max-payload-hard", T_HELLO_RESP, .p = {{16, 4, HXFR_MAX_PAYLOAD_HARD}}},
	{"hello-resp/max-payload-over-hard", T_HELLO_RESP,
	 .p = {{16, 4, HXFR_MAX_PAYLOAD_HARD + 1}}, .err = -EINVAL, .why = "max_payload"},
	{"hello-resp/inflight-0", T_HELLO_RESP, .p = {{20, 4, 0}}, .err = -EINVAL,
	 .why = "max_inflight"},
	{"hello-resp/inflight-65", T_HELLO_RESP, .p = {{20, 4, 65}}, .err = -EINVAL,
	 .why = "max_inflight"},
	{"hello-resp/encoder-flags-2", T_HELLO_RESP, .p = {{24, 4, 2}}, .err = -ENOTSUP,
	 .why = "encoder flags"},
	{"hello-resp/formats-0", T_HELLO_RESP, .p = {{28, 4, 0}}, .err = -ENOTSUP,
	 .why = "formats"},
	{"hello-resp/formats-unknown-bit", T_HELLO_RESP, .p = {{28, 4, 0x7f}}, .err = -ENOTSUP,
	 .why = "formats"},
	{"hello-resp/formats-1", T_HELLO_RESP, .p = {{28, 4, 1}}},
	{"hello-resp/profile-0", T_HELLO_RESP, .p = {{32, 1, 0}}, .err = -EINVAL,
	 .why = "profile"},
	{"hello-resp/profile-67", T_HELLO_RESP, .p = {{32, 1, 67}}, .err = -EINVAL,
	 .why = "profile"},
	{"hello-resp/profile-66", T_HELLO_RESP, .p = {{32, 1, 66}}},
	{"hello-resp/profile-77", T_HELLO_RESP, .p = {{32, 1, 77}}},
	{"hello-resp/level-9", T_HELLO_RESP, .p = {{33, 1, 9}}, .err = -EINVAL, .why = "level"},
	{"hello-resp/level-63", T_HELLO_RESP, .p = {{33, 1, 63}}, .err = -EINVAL, .why = "level"},
	{"hello-resp/level-0", T_HELLO_RESP, .p = {{33, 1, 0}}},

	/* ---- SHM_ATTACH ---- */
	{"shm-attach/name-unterminated", T_SHM_ATTACH, .fill = {16, 32, 'r'}, .err = -EINVAL,
	 .why = "name"},
	{"shm-attach/name-control", T_SHM_ATTACH, .p = {{17, 1, 0x7}}, .err = -EINVAL,
	 .why = "printable"},
	{"shm-attach/name-padding", T_SHM_ATTACH, .p = {{40, 1, 0xff}}, .err = -EINVAL,
	 .why = "NUL-padded"},
	{"shm-attach/name-empty", T_SHM_ATTACH, .p = {{16, 2, 0}}},
	{"shm-attach/ring-id-0", T_SHM_ATTACH, .p = {{48, 8, 0}}, .err = -EINVAL,
	 .why = "ring_id 0"},
	{"shm-attach/ring-id-1", T_SHM_ATTACH, .p = {{48, 8, 1}}},
	{"shm-attach/offset-1", T_SHM_ATTACH, .p = {{0, 8, 1}}, .err = -EINVAL,
	 .why = "4096-aligned"},
	{"shm-attach/offset-4095", T_SHM_ATTACH, .p = {{0, 8, 4095}}, .err = -EINVAL,
	 .why = "4096-aligned"},
	{"shm-attach/offset-high-bit", T_SHM_ATTACH, .p = {{0, 8, (1ull << 63) | 2048}},
	 .err = -EINVAL, .why = "4096-aligned"},
	{"shm-attach/offset-0", T_SHM_ATTACH, .p = {{0, 8, 0}}},
	{"shm-attach/size-8191", T_SHM_ATTACH, .p = {{8, 8, 8191}}, .err = -EINVAL,
	 .why = "ring_size"},
	{"shm-attach/size-0", T_SHM_ATTACH, .p = {{8, 8, 0}}, .err = -EINVAL, .why = "ring_size"},
	{"shm-attach/size-8192", T_SHM_ATTACH, .p = {{8, 8, 8192}}},
	{"shm-attach/end-overflows", T_SHM_ATTACH, .p = {{0, 8, UINT64_MAX - 4095}, {8, 8, 8192}},
	 .err = -EOVERFLOW, .why = "overflows"},
	{"shm-attach/end-exactly-2^64", T_SHM_ATTACH,
	 .p = {{0, 8, UINT64_MAX - 8191}, {8, 8, 8192}}, .err = -EOVERFLOW, .why = "overflows"},
	{"shm-attach/small-size-high-offset", T_SHM_ATTACH,
	 .p = {{0, 8, UINT64_MAX - 8191}, {8, 8, 8191}}, .err = -EINVAL, .why = "ring_size"},
	{"shm-attach/size-u64max", T_SHM_ATTACH, .p = {{0, 8, 4096}, {8, 8, UINT64_MAX}},
	 .err = -EOVERFLOW, .why = "overflows"},
	{"shm-attach/end-just-fits", T_SHM_ATTACH, .p = {{0, 8, 4096}, {8, 8, UINT64_MAX - 4096}}},

	/* ---- SHM_ATTACH_RESP ---- */
	{"shm-attach-resp/reserved-first", T_SHM_ATTACH_RESP, .p = {{12, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"shm-attach-resp/reserved-last", T_SHM_ATTACH_RESP, .p = {{15, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"shm-attach-resp/slots-65", T_SHM_ATTACH_RESP, .p = {{4, 4, 65}}, .err = -EINVAL,
	 .why = "slot_count"},
	{"shm-attach-resp/slots-u32max", T_SHM_ATTACH_RESP, .p = {{4, 4, UINT32_MAX}},
	 .err = -EINVAL, .why = "slot_count"},
	{"shm-attach-resp/slots-64", T_SHM_ATTACH_RESP, .p = {{4, 4, 64}}},
	{"shm-attach-resp/ok-no-slots", T_SHM_ATTACH_RESP, .p = {{4, 4, 0}}, .err = -EINVAL,
	 .why = "success without slots"},
	{"shm-attach-resp/ok-no-slot-size", T_SHM_ATTACH_RESP, .p = {{8, 4, 0}}, .err = -EINVAL,
	 .why = "success without slots"},
	{"shm-attach-resp/error-no-slots", T_SHM_ATTACH_RESP,
	 .p = {{0, 4, (uint32_t)HXFR_ERR_SHM}, {4, 4, 0}, {8, 4, 0}}},
	{"shm-attach-resp/error-slots-65", T_SHM_ATTACH_RESP,
	 .p = {{0, 4, (uint32_t)HXFR_ERR_SHM}, {4, 4, 65}}, .err = -EINVAL, .why = "slot_count"},

	/* ---- FRAME_SHM ---- */
	{"frame-shm/reserved-first", T_FRAME_SHM, .p = {{60, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"frame-shm/reserved-last", T_FRAME_SHM, .p = {{63, 1, 1}}, .err = -ENOTSUP,
	 .why = "reserved"},
	{"frame-shm/slot-64", T_FRAME_SHM, .p = {{0, 4, 64}}, .err = -EINVAL, .why = "slot index"},
	{"frame-shm/slot-u32max", T_FRAME_SHM, .p = {{0, 4, UINT32_MAX}}, .err = -EINVAL,
	 .why = "slot index"},
	{"frame-shm/slot-63", T_FRAME_SHM, .p = {{0, 4, 63}}},
	{"frame-shm/flags-2", T_FRAME_SHM, .p = {{56, 4, 2}}, .err = -ENOTSUP,
	 .why = "unknown frame flags"},
	{"frame-shm/flags-high", T_FRAME_SHM, .p = {{56, 4, 0x80000001u}}, .err = -ENOTSUP,
	 .why = "unknown frame flags"},
	{"frame-shm/flags-keyframe", T_FRAME_SHM, .p = {{56, 4, HXFR_FRAME_SHM_KEYFRAME}}},
	{"frame-shm/duration-negative", T_FRAME_SHM, .p = {{48, 8, U64(INT64_MIN)}},
	 .err = -EINVAL, .why = "negative duration"},
	{"frame-shm/format-unknown", T_FRAME_SHM, .p = {{4, 4, 0x12345678}}, .err = -ENOTSUP,
	 .why = "pixel format"},
	{"frame-shm/width-0", T_FRAME_SHM, .p = {{8, 4, 0}}, .err = -EINVAL, .why = "zero width"},
	{"frame-shm/height-0", T_FRAME_SHM, .p = {{12, 4, 0}}, .err = -EINVAL,
	 .why = "zero width"},
	{"frame-shm/width-8193", T_FRAME_SHM, .p = {{8, 4, 8193}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"frame-shm/height-8193", T_FRAME_SHM, .p = {{12, 4, 8193}}, .err = -E2BIG,
	 .why = "over 8192"},
	{"frame-shm/unused-stride", T_FRAME_SHM, .p = {{24, 4, 64}}, .err = -EINVAL,
	 .why = "format lacks"},
	{"frame-shm/unused-offset", T_FRAME_SHM, .p = {{36, 4, 1}}, .err = -EINVAL,
	 .why = "format lacks"},
	{"frame-shm/bgrx-with-chroma-plane", T_FRAME_SHM,
	 .p = {{4, 4, HXFR_FMT_BGRX}, {16, 4, 256}}, .err = -EINVAL, .why = "format lacks"},
	{"frame-shm/bgrx-chroma-offset-only", T_FRAME_SHM,
	 .p = {{4, 4, HXFR_FMT_BGRX}, {16, 4, 256}, {20, 4, 0}}, .err = -EINVAL,
	 .why = "format lacks"},
	{"frame-shm/plane0-stride-under-row", T_FRAME_SHM, .p = {{16, 4, 63}}, .err = -EINVAL,
	 .why = "stride smaller"},
	{"frame-shm/plane1-stride-under-row", T_FRAME_SHM, .p = {{20, 4, 62}}, .err = -EINVAL,
	 .why = "stride smaller"},
	{"frame-shm/nv12-odd-width-chroma", T_FRAME_SHM, .p = {{8, 4, 63}, {20, 4, 63}},
	 .err = -EINVAL, .why = "stride smaller"},
	{"frame-shm/nv12-odd-width-chroma-ok", T_FRAME_SHM, .p = {{8, 4, 63}, {16, 4, 63}}},
	{"frame-shm/plane0-stride-65537", T_FRAME_SHM, .p = {{16, 4, 65537}}, .err = -E2BIG,
	 .why = "stride over"},
	{"frame-shm/plane1-stride-65537", T_FRAME_SHM, .p = {{20, 4, 65537}}, .err = -E2BIG,
	 .why = "stride over"},
	{"frame-shm/i420-plane2-stride-under-row", T_FRAME_SHM_I420, .p = {{24, 4, 31}},
	 .err = -EINVAL, .why = "stride smaller"},
	{"frame-shm/i420-plane2-stride-0", T_FRAME_SHM_I420, .p = {{24, 4, 0}}, .err = -EINVAL,
	 .why = "stride smaller"},
	{"frame-shm/i420-plane2-stride-65537", T_FRAME_SHM_I420, .p = {{24, 4, 65537}},
	 .err = -E2BIG, .why = "stride over"},
	{"frame-shm/i420-odd", T_FRAME_SHM_I420, .p = {{8, 4, 63}, {12, 4, 31}}},

	/* ---- ERROR ---- */
	{"error/text-unterminated", T_ERROR, .fill = {4, 256, 'A'}, .err = -EINVAL,
	 .why = "NUL-terminated"},
	{"error/text-255", T_ERROR, .fill = {4, 255, 'A'}},
	{"error/text-control-chars", T_ERROR, .fill = {4, 255, 0x01}},
	{"error/any-offending-type", T_ERROR, .flags = SET(0xff)},
	{"error/offending-type-0", T_ERROR, .flags = SET(0)},
	{"error/any-code", T_ERROR, .p = {{0, 4, 0x7fffffff}}},
};

/* Builds the variant described by @p c into a buffer of its exact size. */
static uint8_t *build_case(const struct vcase *c, size_t *len_out)
{
	uint8_t b[TEST_BUF];
	size_t len = build_tmpl(c->t, b);
	uint8_t *exact;

	if (c->resize > 0) {
		g_assert_cmpuint(len + (size_t)c->resize, <=, sizeof(b));
		memset(b + len, 0, (size_t)c->resize);
	} else {
		g_assert_cmpuint(len - HXFR_HEADER_SIZE, >=, (size_t)-c->resize);
	}
	len = (size_t)((ssize_t)len + c->resize);
	put_le(b + 8, len - HXFR_HEADER_SIZE, 4);
	if (c->type)
		b[4] = (uint8_t)c->type;
	if (c->flags)
		b[5] = (uint8_t)c->flags;
	for (size_t i = 0; i < G_N_ELEMENTS(c->p); i++) {
		if (!c->p[i].width)
			continue;
		g_assert_cmpuint(HXFR_HEADER_SIZE + c->p[i].off + c->p[i].width, <=, len);
		put_le(b + HXFR_HEADER_SIZE + c->p[i].off, c->p[i].val, c->p[i].width);
	}
	if (c->fill.len) {
		g_assert_cmpuint(HXFR_HEADER_SIZE + c->fill.off + c->fill.len, <=, len);
		memset(b + HXFR_HEADER_SIZE + c->fill.off, c->fill.val, c->fill.len);
	}
	exact = g_memdup2(b, len);
	*len_out = len;
	return exact;
}

static void run_case(const void *data)
{
	const struct vcase *c = data;
	size_t len;
	uint8_t *b = build_case(c, &len);
	struct hxfr_msg m = frame_whole(b, len);
	const char *why = NULL;
	int r = decode_tmpl(c->t, &m, &why);

	assert_result(r, why, c->err, c->why);
	/* A NULL why is allowed and changes nothing. */
	g_assert_cmpint(decode_tmpl(c->t, &m, NULL), ==, r);
	g_free(b);
}

/* ---- checks generated for every template ---------------------------------- */

static void each_valid(void)
{
	for (int t = 0; t < T_COUNT; t++) {
		struct vcase c = {.t = (enum tmpl)t};

		g_test_message("template %s", tmpl_names[t]);
		run_case(&c);
	}
}

static void each_wrong_type(void)
{
	for (int t = 0; t < T_COUNT; t++) {
		uint8_t tb[TEST_BUF];
		uint8_t own_type;

		build_tmpl((enum tmpl)t, tb);
		own_type = tb[4];
		/* Every type byte but those the decoder accepts. */
		for (int type = 0; type < 256; type++) {
			struct vcase c = {.t = (enum tmpl)t, .type = SET(type),
					  .err = -EINVAL, .why = "wrong message type"};
			size_t len;
			uint8_t *b;
			bool accepted;

			switch (t) {
			case T_KEYFRAME_REQ:
				accepted = type == HXFR_KEYFRAME_REQ || type == HXFR_PING ||
					   type == HXFR_PONG || type == HXFR_GOODBYE;
				break;
			case T_PING:
			case T_PING_TS:
			case T_PONG_TS:
				accepted = type == HXFR_PING || type == HXFR_PONG;
				break;
			case T_DISABLE_SCANOUT:
			case T_SUBSCRIBE:
				accepted = type == HXFR_DISABLE_SCANOUT || type == HXFR_SUBSCRIBE;
				break;
			default:
				accepted = type == own_type;
				break;
			}
			if (accepted)
				continue;
			b = build_case(&c, &len);
			{
				struct hxfr_msg m = frame_whole(b, len);
				const char *why = NULL;

				if (decode_tmpl(c.t, &m, &why) != -EINVAL)
					g_test_message("template %s, type 0x%02x", tmpl_names[t],
						       type);
				assert_result(decode_tmpl(c.t, &m, &why), why, -EINVAL,
					      "wrong message type");
			}
			g_free(b);
		}
	}
}

static void each_unknown_flags(void)
{
	for (int t = 0; t < T_COUNT; t++) {
		if (t == T_ERROR)
			continue; /* its flags byte is the offending type */
		for (int bit = 0; bit < 8; bit++) {
			struct vcase c = {.t = (enum tmpl)t, .flags = SET(1 << bit),
					  .err = -ENOTSUP, .why = "unknown header flags"};

			/* The bits a type defines are covered by the table. */
			if ((t == T_FRAME_REQUEST || t == T_FRAME_REQUEST_INLINE) && bit == 0)
				continue;
			if ((t == T_FRAME_RESPONSE || t == T_FRAME_RESPONSE_DROPPED) && bit < 2)
				continue;
			g_test_message("template %s, flag bit %d", tmpl_names[t], bit);
			run_case(&c);
		}
	}
}

/* One byte short and one byte long: a layout mismatch for every message. */
static void each_size_off_by_one(void)
{
	for (int t = 0; t < T_COUNT; t++) {
		struct vcase longer = {.t = (enum tmpl)t, .resize = 1, .err = -EBADMSG};
		struct vcase shorter = {.t = (enum tmpl)t, .resize = -1, .err = -EBADMSG};
		uint8_t b[TEST_BUF];

		g_test_message("template %s", tmpl_names[t]);
		run_case(&longer);
		if (build_tmpl((enum tmpl)t, b) > HXFR_HEADER_SIZE)
			run_case(&shorter);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/decode/all/valid", each_valid);
	g_test_add_func("/decode/all/wrong-type", each_wrong_type);
	g_test_add_func("/decode/all/unknown-flags", each_unknown_flags);
	g_test_add_func("/decode/all/size-off-by-one", each_size_off_by_one);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = g_strdup_printf("/decode/%s", cases[i].name);

		g_test_add_data_func(path, &cases[i], run_case);
		g_free(path);
	}
	return g_test_run();
}
