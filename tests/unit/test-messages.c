/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Message layouts: encoded sizes, build -> frame -> decode round trips for
 * every message type, and golden little-endian bytes that pin the wire
 * format (and its compatibility with Helix). */
#include <stdint.h>

#include "wire-test.h"

/* ---- sizes: each payload is the sum of its fields ------------------------ */

_Static_assert(HXFR_HEADER_SIZE == 4 + 1 + 1 + 2 + 4, "header: magic type flags session size");
_Static_assert(HXFR_MAGIC == ((uint32_t)'H' | (uint32_t)'X' << 8 | (uint32_t)'F' << 16 |
			      (uint32_t)'R' << 24),
	       "magic is the bytes H X F R");
/* Helix's vsockenc struct is 56 bytes including its 12-byte header. */
_Static_assert(HXFR_FRAME_REQUEST_SIZE == 56 - 12, "FRAME_REQUEST = Helix 56 - header");
_Static_assert(HXFR_FRAME_REQUEST_SIZE == 5 * 4 + 2 * 8 + 1 + 7, "FRAME_REQUEST fields");
_Static_assert(HXFR_FRAME_REQUEST_PREFIX == 56, "FRAME_REQUEST prefix");
/* Helix: pts i64, dts i64, is_keyframe u8, reserved[3], nal_count u32; then
 * (unless DROPPED) nal_size u32 + the access unit. */
_Static_assert(HXFR_FRAME_RESPONSE_SIZE == 8 + 8 + 1 + 3 + 4, "FRAME_RESPONSE fields");
_Static_assert(HXFR_FRAME_RESPONSE_PREFIX == HXFR_HEADER_SIZE + 24 + 4, "+ nal_size");
_Static_assert(HXFR_CONFIG_REQ_SIZE == 5 * 4 + 3 + 5, "CONFIG_REQ fields");
_Static_assert(HXFR_CONFIG_RESP_SIZE == 4 + HXFR_CONFIG_REQ_SIZE, "CONFIG_RESP = status + config");
_Static_assert(HXFR_PING_TS_SIZE == 8 && HXFR_PONG_TS_SIZE == 16, "PING/PONG times");
_Static_assert(HXFR_ENABLE_SCANOUT_SIZE == 4 * 4, "ENABLE_SCANOUT fields");
_Static_assert(HXFR_DISABLE_SCANOUT_SIZE == 4, "DISABLE_SCANOUT id");
_Static_assert(HXFR_SCANOUT_RESP_SIZE == 4 + 4 + HXFR_NAME_MAX && HXFR_NAME_MAX == 64,
	       "SCANOUT_RESP = id success name[64] = 72");
_Static_assert(HXFR_SCANOUT_RESP_SIZE == 72, "SCANOUT_RESP is Helix's 72 bytes");
_Static_assert(HXFR_SUBSCRIBE_SIZE == 4 && HXFR_SUBSCRIBE_RESP_SIZE == 8, "SUBSCRIBE(_RESP)");
_Static_assert(HXFR_HELLO_SIZE == 3 * 4 + 4 + HXFR_SHORT_NAME_MAX && HXFR_SHORT_NAME_MAX == 32,
	       "HELLO fields");
_Static_assert(HXFR_HELLO_RESP_SIZE == 8 * 4 + 1 + 1 + 2 + HXFR_SHORT_NAME_MAX, "HELLO_RESP");
_Static_assert(HXFR_SHM_ATTACH_SIZE == 8 + 8 + HXFR_SHORT_NAME_MAX + 8, "SHM_ATTACH fields");
_Static_assert(HXFR_SHM_ATTACH_RESP_SIZE == 3 * 4 + 4, "SHM_ATTACH_RESP fields");
_Static_assert(HXFR_FRAME_SHM_SIZE == 4 * 4 + 3 * 4 + 3 * 4 + 8 + 8 + 4 + 4, "FRAME_SHM");
_Static_assert(HXFR_ERROR_SIZE == 4 + HXFR_ERROR_TEXT_MAX && HXFR_ERROR_SIZE == 260,
	       "ERROR = code + message[256] (Helix)");
_Static_assert(HXFR_RING_HEADER_SIZE == 4 * 4 + 8 + 8 + 8 + 24, "ring header + reserved");
_Static_assert(HXFR_INPUT_SIZE == 1 + 1 + 2 + 4 * 4 + 4, "INPUT fields");
_Static_assert(HXFR_RING_SLOT_HEADER_SIZE == 4 + 4 + 8, "slot header");
_Static_assert(HXFR_ERROR_SIZE + HXFR_HEADER_SIZE < TEST_BUF, "test buffer fits ERROR");
_Static_assert(sizeof(((struct hxfr_scanout_resp *)0)->name) == HXFR_NAME_MAX, "name field");
_Static_assert(sizeof(((struct hxfr_hello *)0)->name) == HXFR_SHORT_NAME_MAX, "name field");
_Static_assert(sizeof(((struct hxfr_error *)0)->message) == HXFR_ERROR_TEXT_MAX, "text field");

/* Every builder returns header + its fixed size. */
static void builder_sizes(void)
{
	uint8_t b[TEST_BUF];
	struct hxfr_frame_request fr = {.resource_id = 1, .width = 2, .height = 2,
					.format = HXFR_FMT_BGRX, .stride = 8};
	struct hxfr_frame_response rs = {.nal_count = 1, .au_len = 100};
	struct hxfr_config c = {0};
	struct hxfr_config_resp cr = {0};
	struct hxfr_ping p = {.has_time = true};
	struct hxfr_enable_scanout es = {0};
	struct hxfr_scanout_resp sr = {0};
	struct hxfr_subscribe_resp su = {0};
	struct hxfr_hello h = {0};
	struct hxfr_hello_resp hr = {0};
	struct hxfr_shm_attach sa = {.ring_id = 1};
	struct hxfr_shm_attach_resp sar = {0};
	struct hxfr_frame_shm fs = {0};
	struct hxfr_error e = {0};
	const ssize_t H = HXFR_HEADER_SIZE;

	g_assert_cmpint(hxfr_build_header(b, sizeof(b), 0x7e, 0, 0, 9), ==, H);
	g_assert_cmpint(hxfr_build_frame_request(b, sizeof(b), 0, &fr), ==,
			HXFR_FRAME_REQUEST_PREFIX);
	fr.pixels_len = 32;
	g_assert_cmpint(hxfr_build_frame_request(b, sizeof(b), 0, &fr), ==,
			HXFR_FRAME_REQUEST_PREFIX);
	g_assert_cmpint(hxfr_build_frame_response(b, sizeof(b), 0, 0, &rs), ==,
			HXFR_FRAME_RESPONSE_PREFIX);
	rs.au_len = 0;
	g_assert_cmpint(hxfr_build_frame_response(b, sizeof(b), 0, HXFR_FLAG_DROPPED, &rs), ==,
			HXFR_FRAME_RESPONSE_PREFIX - 4);
	g_assert_cmpint(hxfr_build_empty(b, sizeof(b), HXFR_KEYFRAME_REQ, 0), ==, H);
	g_assert_cmpint(hxfr_build_config_req(b, sizeof(b), 0, &c), ==, H + HXFR_CONFIG_REQ_SIZE);
	g_assert_cmpint(hxfr_build_config_resp(b, sizeof(b), 0, &cr), ==,
			H + HXFR_CONFIG_RESP_SIZE);
	g_assert_cmpint(hxfr_build_ping(b, sizeof(b), HXFR_PING, 0, &p), ==, H + HXFR_PING_TS_SIZE);
	g_assert_cmpint(hxfr_build_ping(b, sizeof(b), HXFR_PONG, 0, &p), ==, H + HXFR_PONG_TS_SIZE);
	p.has_time = false;
	g_assert_cmpint(hxfr_build_ping(b, sizeof(b), HXFR_PING, 0, &p), ==, H);
	g_assert_cmpint(hxfr_build_ping(b, sizeof(b), HXFR_PONG, 0, &p), ==, H);
	g_assert_cmpint(hxfr_build_enable_scanout(b, sizeof(b), 0, &es), ==,
			H + HXFR_ENABLE_SCANOUT_SIZE);
	g_assert_cmpint(hxfr_build_u32(b, sizeof(b), HXFR_DISABLE_SCANOUT, 0, 1), ==,
			H + HXFR_DISABLE_SCANOUT_SIZE);
	g_assert_cmpint(hxfr_build_u32(b, sizeof(b), HXFR_SUBSCRIBE, 0, 1), ==,
			H + HXFR_SUBSCRIBE_SIZE);
	g_assert_cmpint(hxfr_build_scanout_resp(b, sizeof(b), 0, &sr), ==,
			H + HXFR_SCANOUT_RESP_SIZE);
	g_assert_cmpint(hxfr_build_subscribe_resp(b, sizeof(b), 0, &su), ==,
			H + HXFR_SUBSCRIBE_RESP_SIZE);
	g_assert_cmpint(hxfr_build_hello(b, sizeof(b), 0, &h), ==, H + HXFR_HELLO_SIZE);
	g_assert_cmpint(hxfr_build_hello_resp(b, sizeof(b), 0, &hr), ==, H + HXFR_HELLO_RESP_SIZE);
	g_assert_cmpint(hxfr_build_shm_attach(b, sizeof(b), 0, &sa), ==, H + HXFR_SHM_ATTACH_SIZE);
	g_assert_cmpint(hxfr_build_shm_attach_resp(b, sizeof(b), 0, &sar), ==,
			H + HXFR_SHM_ATTACH_RESP_SIZE);
	g_assert_cmpint(hxfr_build_frame_shm(b, sizeof(b), 0, &fs), ==, H + HXFR_FRAME_SHM_SIZE);
	g_assert_cmpint(hxfr_build_error(b, sizeof(b), 0, &e), ==, H + HXFR_ERROR_SIZE);
}

/* ---- round trips ---------------------------------------------------------- */

/* Frames b[0..len) and checks the header the builder wrote. */
static struct hxfr_msg framed(const uint8_t *b, ssize_t len, uint8_t type, uint8_t flags,
			      uint16_t session)
{
	struct hxfr_msg m;

	g_assert_cmpint(len, >=, (ssize_t)HXFR_HEADER_SIZE);
	m = frame_whole(b, (size_t)len);
	g_assert_cmphex(m.hdr.magic, ==, HXFR_MAGIC);
	g_assert_cmphex(m.hdr.type, ==, type);
	g_assert_cmphex(m.hdr.flags, ==, flags);
	g_assert_cmpuint(m.hdr.session, ==, session);
	g_assert_cmpuint(m.hdr.payload_size, ==, (size_t)len - HXFR_HEADER_SIZE);
	return m;
}

static void rt_frame_request_one(const struct hxfr_frame_request *in, uint16_t session)
{
	size_t total = HXFR_FRAME_REQUEST_PREFIX + in->pixels_len;
	uint8_t *b = g_malloc(total);
	struct hxfr_frame_request out;
	struct hxfr_msg m;
	const char *why = NULL;
	ssize_t n = hxfr_build_frame_request(b, total, session, in);

	g_assert_cmpint(n, ==, HXFR_FRAME_REQUEST_PREFIX);
	if (in->pixels_len)
		memcpy(b + n, in->pixels, in->pixels_len);
	m = framed(b, (ssize_t)total, HXFR_FRAME_REQUEST,
		   in->pixels_len ? HXFR_FLAG_PIXEL_DATA : 0, session);
	memset(&out, 0xa5, sizeof(out));
	g_assert_cmpint(hxfr_decode_frame_request(&m, &out, &why), ==, 0);
	g_assert_cmpuint(out.resource_id, ==, in->resource_id);
	g_assert_cmpuint(out.width, ==, in->width);
	g_assert_cmpuint(out.height, ==, in->height);
	g_assert_cmphex(out.format, ==, in->format);
	g_assert_cmpuint(out.stride, ==, in->stride);
	g_assert_cmpint(out.pts_ns, ==, in->pts_ns);
	g_assert_cmpint(out.duration_ns, ==, in->duration_ns);
	g_assert_cmpuint(out.force_keyframe, ==, in->force_keyframe);
	g_assert_cmpuint(out.pixels_len, ==, in->pixels_len);
	if (in->pixels_len) {
		g_assert_true(out.pixels == b + HXFR_FRAME_REQUEST_PREFIX);
		g_assert_cmpmem(out.pixels, out.pixels_len, in->pixels, in->pixels_len);
	} else {
		g_assert_null(out.pixels);
	}
	g_free(b);
}

static uint8_t *pattern(size_t n)
{
	uint8_t *p = g_malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	return p;
}

static void rt_frame_request(void)
{
	/* GPU-handle path at every maximum. */
	struct hxfr_frame_request a = {
		.resource_id = UINT32_MAX, .width = HXFR_MAX_WIDTH, .height = HXFR_MAX_HEIGHT,
		.format = HXFR_FMT_BGRX, .stride = 65536, .pts_ns = INT64_MIN,
		.duration_ns = INT64_MAX, .force_keyframe = 1,
	};
	/* Inline I420 with odd sizes: 5x3, stride 6 -> 18 + 2 * 3*2 = 30 bytes. */
	struct hxfr_frame_request b = {
		.width = 5, .height = 3, .format = HXFR_FMT_I420, .stride = 6,
		.pts_ns = INT64_MAX, .duration_ns = 0, .pixels_len = 30,
	};
	/* Inline NV12 1x1: 2 + 2 bytes. */
	struct hxfr_frame_request c = {
		.width = 1, .height = 1, .format = HXFR_FMT_NV12, .stride = 2, .pts_ns = -1,
		.duration_ns = 16666667, .pixels_len = 4, .force_keyframe = 1,
	};
	/* Inline RGBA 3x2, padded stride. */
	struct hxfr_frame_request d = {
		.width = 3, .height = 2, .format = HXFR_FMT_RGBA, .stride = 16,
		.pts_ns = 123456789, .duration_ns = 1, .pixels_len = 32,
	};
	uint32_t gpu_formats[] = {HXFR_FMT_BGRA, HXFR_FMT_RGBX, HXFR_FMT_NV12, HXFR_FMT_I420};

	rt_frame_request_one(&a, 0xffff);
	b.pixels = pattern(b.pixels_len);
	rt_frame_request_one(&b, 0);
	c.pixels = pattern(c.pixels_len);
	rt_frame_request_one(&c, 7);
	d.pixels = pattern(d.pixels_len);
	rt_frame_request_one(&d, 0x1234);
	for (size_t i = 0; i < G_N_ELEMENTS(gpu_formats); i++) {
		struct hxfr_frame_request e = {.resource_id = 42, .width = 1920, .height = 1080,
					       .format = gpu_formats[i], .stride = 7680};
		rt_frame_request_one(&e, (uint16_t)i);
	}
	g_free((void *)b.pixels);
	g_free((void *)c.pixels);
	g_free((void *)d.pixels);
}

static void rt_frame_response_one(const struct hxfr_frame_response *in, uint8_t flags,
				  uint16_t session)
{
	bool dropped = flags & HXFR_FLAG_DROPPED;
	size_t prefix = HXFR_HEADER_SIZE + 24 + (dropped ? 0 : 4);
	size_t total = prefix + in->au_len;
	uint8_t *b = g_malloc(total);
	struct hxfr_frame_response out;
	struct hxfr_msg m;
	const char *why = NULL;
	ssize_t n = hxfr_build_frame_response(b, total, session, flags, in);
	int r;

	g_assert_cmpint(n, ==, (ssize_t)prefix);
	if (in->au_len)
		memcpy(b + n, in->au, in->au_len);
	m = framed(b, (ssize_t)total, HXFR_FRAME_RESPONSE, flags, session);
	memset(&out, 0xa5, sizeof(out));
	r = hxfr_decode_frame_response(&m, &out, &why);
	assert_result(r, why, 0, NULL);
	g_assert_cmpint(out.pts_ns, ==, in->pts_ns);
	g_assert_cmpint(out.dts_ns, ==, in->dts_ns);
	g_assert_cmpuint(out.is_keyframe, ==, in->is_keyframe);
	g_assert_cmpuint(out.nal_count, ==, dropped ? 0 : 1);
	g_assert_cmpuint(out.au_len, ==, in->au_len);
	if (in->au_len) {
		g_assert_true(out.au == b + prefix);
		g_assert_cmpmem(out.au, out.au_len, in->au, in->au_len);
	} else {
		g_assert_null(out.au);
	}
	g_free(b);
}

static void rt_frame_response(void)
{
	static const uint8_t au[] = {0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1f, 0, 0, 1, 0x65, 0x88};
	struct hxfr_frame_response a = {.pts_ns = INT64_MIN, .dts_ns = INT64_MAX,
					.is_keyframe = 1, .au = au, .au_len = sizeof(au)};
	struct hxfr_frame_response b = {.pts_ns = 33333333, .dts_ns = 16666667,
					.is_keyframe = 0, .au = au, .au_len = 1};
	struct hxfr_frame_response d = {.pts_ns = -5, .dts_ns = -6};

	rt_frame_response_one(&a, 0, 0);
	rt_frame_response_one(&a, HXFR_FLAG_REPLAYED, 0xffff);
	rt_frame_response_one(&b, 0, 3);
	rt_frame_response_one(&d, HXFR_FLAG_DROPPED, 1);
	rt_frame_response_one(&d, HXFR_FLAG_DROPPED | HXFR_FLAG_REPLAYED, 2);
}

static void rt_empty(void)
{
	static const uint8_t types[] = {HXFR_KEYFRAME_REQ, HXFR_PING, HXFR_PONG};

	for (size_t i = 0; i < sizeof(types); i++) {
		uint8_t b[TEST_BUF];
		ssize_t n = hxfr_build_empty(b, sizeof(b), types[i], (uint16_t)(0x8000 + i));
		struct hxfr_msg m = framed(b, n, types[i], 0, (uint16_t)(0x8000 + i));
		const char *why = NULL;

		g_assert_cmpint(n, ==, HXFR_HEADER_SIZE);
		g_assert_cmpint(hxfr_decode_empty(&m, &why), ==, 0);
	}
}

static void cmp_config(const struct hxfr_config *a, const struct hxfr_config *b)
{
	g_assert_cmpuint(a->width, ==, b->width);
	g_assert_cmpuint(a->height, ==, b->height);
	g_assert_cmpuint(a->bitrate, ==, b->bitrate);
	g_assert_cmpuint(a->fps_num, ==, b->fps_num);
	g_assert_cmpuint(a->fps_den, ==, b->fps_den);
	g_assert_cmpuint(a->profile, ==, b->profile);
	g_assert_cmpuint(a->level, ==, b->level);
	g_assert_cmpuint(a->realtime, ==, b->realtime);
}

static const struct hxfr_config configs[] = {
	{.width = 8192, .height = 8192, .bitrate = 1000000000, .fps_num = 240, .fps_den = 1,
	 .profile = 100, .level = 62, .realtime = 1},
	{0}, /* everything "unchanged" */
	{.width = 1, .height = 1, .bitrate = 10000, .fps_num = 1, .fps_den = 10, .profile = 66,
	 .level = 10, .realtime = 0},
	{.width = 1920, .height = 1080, .bitrate = 8000000, .fps_num = 30000, .fps_den = 1001,
	 .profile = 77, .level = 0, .realtime = 1},
	{.fps_num = UINT32_MAX, .fps_den = UINT32_MAX, .profile = 0, .level = 41},
};

static void rt_config_req(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(configs); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_config out;
		const char *why = NULL;
		ssize_t n = hxfr_build_config_req(b, sizeof(b), (uint16_t)i, &configs[i]);
		struct hxfr_msg m = framed(b, n, HXFR_CONFIG_REQ, 0, (uint16_t)i);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_config_req(&m, &out, &why), why, 0, NULL);
		cmp_config(&out, &configs[i]);
	}
}

static void rt_config_resp(void)
{
	static const int32_t status[] = {INT32_MIN, HXFR_ERR_OK, HXFR_ERR_UNSUPPORTED, INT32_MAX,
					 HXFR_ERR_INTERNAL};

	for (size_t i = 0; i < G_N_ELEMENTS(configs); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_config_resp in = {.status = status[i], .applied = configs[i]}, out;
		const char *why = NULL;
		ssize_t n = hxfr_build_config_resp(b, sizeof(b), 9, &in);
		struct hxfr_msg m = framed(b, n, HXFR_CONFIG_RESP, 0, 9);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_config_resp(&m, &out, &why), why, 0, NULL);
		g_assert_cmpint(out.status, ==, in.status);
		cmp_config(&out.applied, &in.applied);
	}
}

static void rt_ping(void)
{
	static const struct hxfr_ping pings[] = {
		{.has_time = false},
		{.has_time = true, .time_ns = UINT64_MAX, .host_time_ns = 1},
		{.has_time = true, .time_ns = 0, .host_time_ns = UINT64_MAX},
		{.has_time = true, .time_ns = 0x0102030405060708ull,
		 .host_time_ns = 0x1112131415161718ull},
	};
	static const uint8_t types[] = {HXFR_PING, HXFR_PONG};

	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < G_N_ELEMENTS(pings); i++) {
			uint8_t b[TEST_BUF];
			struct hxfr_ping out;
			const char *why = NULL;
			ssize_t n = hxfr_build_ping(b, sizeof(b), types[t], 5, &pings[i]);
			struct hxfr_msg m = framed(b, n, types[t], 0, 5);

			memset(&out, 0xa5, sizeof(out));
			assert_result(hxfr_decode_ping(&m, &out, &why), why, 0, NULL);
			g_assert_cmpint(out.has_time, ==, pings[i].has_time);
			g_assert_cmpuint(out.time_ns, ==, pings[i].has_time ? pings[i].time_ns : 0);
			g_assert_cmpuint(out.host_time_ns, ==,
					 pings[i].has_time && types[t] == HXFR_PONG ?
						 pings[i].host_time_ns : 0);
			if (!pings[i].has_time)
				g_assert_cmpint(hxfr_decode_empty(&m, &why), ==, 0);
		}
}

static void rt_enable_scanout(void)
{
	static const struct hxfr_enable_scanout v[] = {
		{.id = 15, .width = 8192, .height = 8192, .refresh_hz = 240},
		{.id = 0, .width = 1, .height = 1, .refresh_hz = 0},
		{.id = 3, .width = 2560, .height = 1600, .refresh_hz = 60},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_enable_scanout out;
		const char *why = NULL;
		ssize_t n = hxfr_build_enable_scanout(b, sizeof(b), 1, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_ENABLE_SCANOUT, 0, 1);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_enable_scanout(&m, &out, &why), why, 0, NULL);
		g_assert_cmpuint(out.id, ==, v[i].id);
		g_assert_cmpuint(out.width, ==, v[i].width);
		g_assert_cmpuint(out.height, ==, v[i].height);
		g_assert_cmpuint(out.refresh_hz, ==, v[i].refresh_hz);
	}
}

static void rt_u32(void)
{
	static const uint32_t values[] = {0, 1, 15, 0x12345678, UINT32_MAX};
	static const uint8_t types[] = {HXFR_DISABLE_SCANOUT, HXFR_SUBSCRIBE};

	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
			uint8_t b[TEST_BUF];
			uint32_t out = 0xdeadbeef ^ values[i];
			const char *why = NULL;
			ssize_t n = hxfr_build_u32(b, sizeof(b), types[t], 2, values[i]);
			struct hxfr_msg m = framed(b, n, types[t], 0, 2);

			assert_result(hxfr_decode_u32(&m, &out, &why), why, 0, NULL);
			g_assert_cmpuint(out, ==, values[i]);
		}
}

static void rt_scanout_resp(void)
{
	struct hxfr_scanout_resp v[3] = {
		{.id = UINT32_MAX, .success = 1},
		{.id = 0, .success = 0, .name = ""},
		{.id = 4, .success = 1, .name = "Virtual-5"},
	};

	/* 63 printable characters: the longest name that fits with its NUL. */
	for (int i = 0; i < 63; i++)
		v[0].name[i] = (char)(' ' + i);
	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_scanout_resp out;
		const char *why = NULL;
		ssize_t n = hxfr_build_scanout_resp(b, sizeof(b), 0x0f00, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_SCANOUT_RESP, 0, 0x0f00);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_scanout_resp(&m, &out, &why), why, 0, NULL);
		g_assert_cmpuint(out.id, ==, v[i].id);
		g_assert_cmpuint(out.success, ==, v[i].success);
		g_assert_cmpstr(out.name, ==, v[i].name);
	}
}

static void rt_subscribe_resp(void)
{
	static const struct hxfr_subscribe_resp v[] = {
		{.id = 15, .success = 1}, {.id = UINT32_MAX, .success = 0}, {0}};

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_subscribe_resp out;
		const char *why = NULL;
		ssize_t n = hxfr_build_subscribe_resp(b, sizeof(b), 15, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_SUBSCRIBE_RESP, 0, 15);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_subscribe_resp(&m, &out, &why), why, 0, NULL);
		g_assert_cmpuint(out.id, ==, v[i].id);
		g_assert_cmpuint(out.success, ==, v[i].success);
	}
}

static void rt_hello(void)
{
	struct hxfr_hello v[3] = {
		{.version = HXFR_VERSION, .frame_paths = HXFR_PATH_ALL, .max_inflight = 64},
		{.version = 0x00010000, .frame_paths = HXFR_PATH_INLINE, .max_inflight = 1,
		 .name = ""},
		{.version = UINT32_MAX, .frame_paths = HXFR_PATH_SHM, .max_inflight = 3,
		 .name = "vsockenc 1.0 (guest~7)"},
	};

	memset(v[0].name, '~', HXFR_SHORT_NAME_MAX - 1);
	v[0].name[0] = ' ';
	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_hello out;
		const char *why = NULL;
		ssize_t n = hxfr_build_hello(b, sizeof(b), 0, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_HELLO, 0, 0);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_hello(&m, &out, &why), why, 0, NULL);
		g_assert_cmphex(out.version, ==, v[i].version);
		g_assert_cmphex(out.frame_paths, ==, v[i].frame_paths);
		g_assert_cmpuint(out.max_inflight, ==, v[i].max_inflight);
		g_assert_cmpstr(out.name, ==, v[i].name);
	}
}

static void rt_hello_resp(void)
{
	struct hxfr_hello_resp v[2] = {
		{.version = HXFR_VERSION, .frame_paths = HXFR_PATH_ALL, .max_width = 8192,
		 .max_height = 8192, .max_payload = HXFR_MAX_PAYLOAD_HARD, .max_inflight = 64,
		 .encoder_flags = HXFR_ENC_HARDWARE, .formats = HXFR_FMTBIT_ALL, .profile = 100,
		 .level = 62, .encoder = "h264_vaapi"},
		{.version = 0x00010007, .frame_paths = 0, .max_width = 1, .max_height = 1,
		 .max_payload = HXFR_HEADER_SIZE, .max_inflight = 1, .encoder_flags = 0,
		 .formats = HXFR_FMTBIT_BGRX, .profile = 66, .level = 0, .encoder = ""},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_hello_resp out;
		const char *why = NULL;
		ssize_t n = hxfr_build_hello_resp(b, sizeof(b), 0x77, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_HELLO_RESP, 0, 0x77);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_hello_resp(&m, &out, &why), why, 0, NULL);
		g_assert_cmphex(out.version, ==, v[i].version);
		g_assert_cmphex(out.frame_paths, ==, v[i].frame_paths);
		g_assert_cmpuint(out.max_width, ==, v[i].max_width);
		g_assert_cmpuint(out.max_height, ==, v[i].max_height);
		g_assert_cmpuint(out.max_payload, ==, v[i].max_payload);
		g_assert_cmpuint(out.max_inflight, ==, v[i].max_inflight);
		g_assert_cmphex(out.encoder_flags, ==, v[i].encoder_flags);
		g_assert_cmphex(out.formats, ==, v[i].formats);
		g_assert_cmpuint(out.profile, ==, v[i].profile);
		g_assert_cmpuint(out.level, ==, v[i].level);
		g_assert_cmpstr(out.encoder, ==, v[i].encoder);
	}
}

static void rt_shm_attach(void)
{
	static const struct hxfr_shm_attach v[] = {
		{.ring_offset = 0, .ring_size = UINT64_MAX, .name = "", .ring_id = 1},
		{.ring_offset = UINT64_MAX - 16383, .ring_size = 8192, .name = "gpu-ring.0",
		 .ring_id = UINT64_MAX},
		{.ring_offset = 1ull << 32, .ring_size = 1ull << 33,
		 .name = "0123456789abcdefghijklmnopqrstu", .ring_id = 0x0123456789abcdefull},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_shm_attach out;
		const char *why = NULL;
		ssize_t n = hxfr_build_shm_attach(b, sizeof(b), 1, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_SHM_ATTACH, 0, 1);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_shm_attach(&m, &out, &why), why, 0, NULL);
		g_assert_cmpuint(out.ring_offset, ==, v[i].ring_offset);
		g_assert_cmpuint(out.ring_size, ==, v[i].ring_size);
		g_assert_cmpstr(out.name, ==, v[i].name);
		g_assert_cmphex(out.ring_id, ==, v[i].ring_id);
	}
}

static void rt_input(void)
{
	static const struct hxfr_input v[] = {
		{.kind = HXFR_INPUT_KEY, .down = 1, .code = 30},
		{.kind = HXFR_INPUT_BUTTON, .down = 0, .code = 0x110},
		{.kind = HXFR_INPUT_MOTION_ABS, .x = 32767, .y = 0},
		{.kind = HXFR_INPUT_MOTION_REL, .dx = -5, .dy = INT32_MAX},
		{.kind = HXFR_INPUT_WHEEL, .dx = INT32_MIN, .dy = 3},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_input out;
		const char *why = NULL;
		ssize_t n = hxfr_build_input(b, sizeof(b), 0, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_INPUT, 0, 0);

		g_assert_cmpint(n, ==, HXFR_HEADER_SIZE + HXFR_INPUT_SIZE);
		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_input(&m, &out, &why), why, 0, NULL);
		g_assert_cmpmem(&out, sizeof(out), &v[i], sizeof(v[i]));
	}
	/* out-of-range fields are refused */
	{
		uint8_t b[TEST_BUF];
		struct hxfr_input bad = {.kind = HXFR_INPUT_MOTION_ABS, .x = 32768};
		struct hxfr_msg m;
		const char *why = NULL;
		int res;

		m = framed(b, hxfr_build_input(b, sizeof(b), 0, &bad), HXFR_INPUT, 0, 0);
		res = hxfr_decode_input(&m, &bad, &why);
		assert_result(res, why, -EINVAL, "32767");
		bad = (struct hxfr_input){.kind = 5};
		m = framed(b, hxfr_build_input(b, sizeof(b), 0, &bad), HXFR_INPUT, 0, 0);
		res = hxfr_decode_input(&m, &bad, &why);
		assert_result(res, why, -ENOTSUP, "kind");
		bad = (struct hxfr_input){.down = 2};
		m = framed(b, hxfr_build_input(b, sizeof(b), 0, &bad), HXFR_INPUT, 0, 0);
		res = hxfr_decode_input(&m, &bad, &why);
		assert_result(res, why, -EINVAL, "down");
	}
}

static void rt_shm_attach_resp(void)
{
	static const struct hxfr_shm_attach_resp v[] = {
		{.status = HXFR_ERR_OK, .slot_count = 64, .slot_size = UINT32_MAX},
		{.status = HXFR_ERR_OK, .slot_count = 1, .slot_size = 64},
		{.status = HXFR_ERR_SHM, .slot_count = 0, .slot_size = 0},
		{.status = INT32_MIN, .slot_count = 3, .slot_size = 0},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_shm_attach_resp out;
		const char *why = NULL;
		ssize_t n = hxfr_build_shm_attach_resp(b, sizeof(b), 1, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_SHM_ATTACH_RESP, 0, 1);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_shm_attach_resp(&m, &out, &why), why, 0, NULL);
		g_assert_cmpint(out.status, ==, v[i].status);
		g_assert_cmpuint(out.slot_count, ==, v[i].slot_count);
		g_assert_cmpuint(out.slot_size, ==, v[i].slot_size);
	}
}

static void rt_frame_shm(void)
{
	static const struct hxfr_frame_shm v[] = {
		{.slot = 63, .format = HXFR_FMT_I420, .width = 1919, .height = 1081,
		 .stride = {1920, 960, 960}, .plane_offset = {0, 1920 * 1081, 1920 * 1081 + 960 * 541},
		 .pts_ns = INT64_MIN, .duration_ns = INT64_MAX, .flags = HXFR_FRAME_SHM_KEYFRAME},
		{.slot = 0, .format = HXFR_FMT_BGRX, .width = 8192, .height = 8192,
		 .stride = {65536}, .plane_offset = {UINT32_MAX}, .pts_ns = INT64_MAX},
		{.slot = 5, .format = HXFR_FMT_NV12, .width = 3, .height = 3, .stride = {64, 64},
		 .plane_offset = {0, 4096}, .pts_ns = -1, .duration_ns = 0},
		{.slot = 1, .format = HXFR_FMT_RGBX, .width = 1, .height = 1, .stride = {4}},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_frame_shm out;
		const char *why = NULL;
		ssize_t n = hxfr_build_frame_shm(b, sizeof(b), 0xabcd, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_FRAME_SHM, 0, 0xabcd);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_frame_shm(&m, &out, &why), why, 0, NULL);
		g_assert_cmpuint(out.slot, ==, v[i].slot);
		g_assert_cmphex(out.format, ==, v[i].format);
		g_assert_cmpuint(out.width, ==, v[i].width);
		g_assert_cmpuint(out.height, ==, v[i].height);
		for (int p = 0; p < 3; p++) {
			g_assert_cmpuint(out.stride[p], ==, v[i].stride[p]);
			g_assert_cmpuint(out.plane_offset[p], ==, v[i].plane_offset[p]);
		}
		g_assert_cmpint(out.pts_ns, ==, v[i].pts_ns);
		g_assert_cmpint(out.duration_ns, ==, v[i].duration_ns);
		g_assert_cmphex(out.flags, ==, v[i].flags);
	}
}

static void rt_error(void)
{
	struct hxfr_error v[3] = {
		{.code = INT32_MIN, .offending_type = 0xff},
		{.code = HXFR_ERR_OK, .offending_type = 0, .message = ""},
		{.code = HXFR_ERR_UNSUPPORTED, .offending_type = 0x99,
		 .message = "unknown message type 0x99"},
	};

	/* 255 characters: the longest text that fits with its NUL. */
	memset(v[0].message, 'e', HXFR_ERROR_TEXT_MAX - 1);
	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t b[TEST_BUF];
		struct hxfr_error out;
		const char *why = NULL;
		ssize_t n = hxfr_build_error(b, sizeof(b), 2, &v[i]);
		struct hxfr_msg m = framed(b, n, HXFR_ERROR, v[i].offending_type, 2);

		memset(&out, 0xa5, sizeof(out));
		assert_result(hxfr_decode_error(&m, &out, &why), why, 0, NULL);
		g_assert_cmpint(out.code, ==, v[i].code);
		g_assert_cmpuint(out.offending_type, ==, v[i].offending_type);
		g_assert_cmpstr(out.message, ==, v[i].message);
	}
}

/* An ERROR text is for display: the builder truncates an over-long text
 * (an error must always be sendable) and the decoder replaces what is not
 * printable ASCII with '?'. */
static void error_text_handling(void)
{
	uint8_t b[TEST_BUF];
	struct hxfr_error in = {.code = -1}, out;
	struct hxfr_msg m;
	const char *why = NULL;
	ssize_t n;

	memset(in.message, 'x', sizeof(in.message)); /* no NUL at all */
	n = hxfr_build_error(b, sizeof(b), 0, &in);
	g_assert_cmpint(n, ==, HXFR_HEADER_SIZE + HXFR_ERROR_SIZE);
	g_assert_cmpuint(b[HXFR_HEADER_SIZE + 4 + 254], ==, 'x');
	g_assert_cmpuint(b[HXFR_HEADER_SIZE + 4 + 255], ==, 0);
	m = frame_whole(b, (size_t)n);
	g_assert_cmpint(hxfr_decode_error(&m, &out, &why), ==, 0);
	g_assert_cmpuint(strlen(out.message), ==, 255);

	memset(&in, 0, sizeof(in));
	memcpy(in.message, "a\x01\tb\x7f\x80\xff~ ", 9);
	n = hxfr_build_error(b, sizeof(b), 0, &in);
	m = frame_whole(b, (size_t)n);
	g_assert_cmpint(hxfr_decode_error(&m, &out, &why), ==, 0);
	g_assert_cmpstr(out.message, ==, "a??b???~ ");
	/* Garbage after the NUL is not shown. */
	b[HXFR_HEADER_SIZE + 4 + 20] = 0x01;
	b[HXFR_HEADER_SIZE + 4 + 255] = 'z';
	g_assert_cmpint(hxfr_decode_error(&m, &out, &why), ==, 0);
	g_assert_cmpstr(out.message, ==, "a??b???~ ");
	for (size_t i = 9; i < sizeof(out.message); i++)
		g_assert_cmpuint((uint8_t)out.message[i], ==, 0);
}

/* SCANOUT_RESP comes from Helix's QEMU, which leaves garbage after the NUL:
 * the padding is ignored and not copied out. */
static void scanout_resp_lenient_padding(void)
{
	uint8_t b[TEST_BUF];
	struct hxfr_scanout_resp in = {.id = 1, .success = 1, .name = "Virtual-2"}, out;
	const char *why = NULL;
	ssize_t n = hxfr_build_scanout_resp(b, sizeof(b), 0, &in);
	struct hxfr_msg m = frame_whole(b, (size_t)n);

	memset(b + HXFR_HEADER_SIZE + 8 + 10, 0xee, 64 - 10);
	memset(&out, 0xa5, sizeof(out));
	assert_result(hxfr_decode_scanout_resp(&m, &out, &why), why, 0, NULL);
	g_assert_cmpstr(out.name, ==, "Virtual-2");
	for (size_t i = strlen("Virtual-2"); i < sizeof(out.name); i++)
		g_assert_cmpuint((uint8_t)out.name[i], ==, 0);
	/* Any nonzero success is sent as 1. */
	in.success = 7;
	n = hxfr_build_scanout_resp(b, sizeof(b), 0, &in);
	m = frame_whole(b, (size_t)n);
	g_assert_cmpint(hxfr_decode_scanout_resp(&m, &out, &why), ==, 0);
	g_assert_cmpuint(out.success, ==, 1);
}

/* Decoders must copy fields out, never depend on the input's alignment. */
static void unaligned_input(void)
{
	uint8_t raw[TEST_BUF + 8];
	struct hxfr_frame_shm in = {.slot = 2, .format = HXFR_FMT_NV12, .width = 640,
				    .height = 480, .stride = {640, 640},
				    .plane_offset = {0, 640 * 480}, .pts_ns = -77,
				    .duration_ns = 5},
			      out;
	const char *why = NULL;

	for (size_t shift = 1; shift < 8; shift++) {
		ssize_t n = hxfr_build_frame_shm(raw + shift, TEST_BUF, 0, &in);
		struct hxfr_msg m = frame_whole(raw + shift, (size_t)n);

		g_assert_cmpint(hxfr_decode_frame_shm(&m, &out, &why), ==, 0);
		g_assert_cmpint(out.pts_ns, ==, -77);
		g_assert_cmpuint(out.plane_offset[1], ==, 640 * 480);
	}
}

/* ---- golden bytes ---------------------------------------------------------- */

static void expect_bytes(const uint8_t *got, ssize_t n, const uint8_t *want, size_t want_len)
{
	g_assert_cmpint(n, ==, (ssize_t)want_len);
	g_assert_cmpmem(got, (size_t)n, want, want_len);
}

#define HDR(type, flags, s0, s1, p0, p1) 'H', 'X', 'F', 'R', type, flags, s0, s1, p0, p1, 0, 0

static void golden_frame_request(void)
{
	static const uint8_t want[] = {
		HDR(0x01, 0x00, 0x02, 0x01, 44, 0),
		0x44, 0x33, 0x22, 0x11,                         /* resource_id */
		0x80, 0x07, 0x00, 0x00,                         /* width 1920 */
		0x38, 0x04, 0x00, 0x00,                         /* height 1080 */
		'X', 'R', '2', '4',                             /* DRM XRGB8888 */
		0x00, 0x1e, 0x00, 0x00,                         /* stride 7680 */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* pts */
		0x2b, 0x50, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, /* duration 16666667 */
		0x01, 0, 0, 0, 0, 0, 0, 0,                      /* force_keyframe, reserved */
	};
	static const uint8_t want_inline[] = {
		HDR(0x01, 0x01, 0x00, 0x00, 44 + 16, 0),
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
		'N', 'V', '1', '2', 0x08, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* pts -1 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0, 0, 0, 0, 0, 0, 0,
	};
	struct hxfr_frame_request m = {.resource_id = 0x11223344, .width = 1920, .height = 1080,
				       .format = HXFR_FMT_BGRX, .stride = 7680,
				       .pts_ns = 0x0102030405060708, .duration_ns = 16666667,
				       .force_keyframe = 1};
	struct hxfr_frame_request mi = {.width = 2, .height = 2, .format = HXFR_FMT_NV12,
					.stride = 8, .pts_ns = -1, .pixels_len = 16};
	uint8_t b[TEST_BUF];

	expect_bytes(b, hxfr_build_frame_request(b, sizeof(b), 0x0102, &m), want, sizeof(want));
	expect_bytes(b, hxfr_build_frame_request(b, sizeof(b), 0, &mi), want_inline,
		     sizeof(want_inline));
}

static void golden_frame_response(void)
{
	static const uint8_t want[] = {
		HDR(0x02, 0x01, 0x03, 0x00, 24 + 4 + 5, 0),
		0x55, 0xa0, 0xfc, 0x01, 0x00, 0x00, 0x00, 0x00, /* pts 33333333 */
		0x2b, 0x50, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, /* dts 16666667 */
		0x01, 0x00, 0x00, 0x00,                         /* is_keyframe, reserved */
		0x01, 0x00, 0x00, 0x00,                         /* nal_count */
		0x05, 0x00, 0x00, 0x00,                         /* nal_size */
	};
	static const uint8_t want_dropped[] = {
		HDR(0x02, 0x02, 0x03, 0x00, 24, 0),
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, /* pts INT64_MIN */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, /* dts INT64_MAX */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* nal_count 0 */
	};
	static const uint8_t au[5] = {0, 0, 1, 0x65, 0x88};
	struct hxfr_frame_response m = {.pts_ns = 33333333, .dts_ns = 16666667, .is_keyframe = 1,
					.au = au, .au_len = 5};
	struct hxfr_frame_response d = {.pts_ns = INT64_MIN, .dts_ns = INT64_MAX};
	uint8_t b[TEST_BUF];

	expect_bytes(b, hxfr_build_frame_response(b, sizeof(b), 3, HXFR_FLAG_REPLAYED, &m), want,
		     sizeof(want));
	expect_bytes(b, hxfr_build_frame_response(b, sizeof(b), 3, HXFR_FLAG_DROPPED, &d),
		     want_dropped, sizeof(want_dropped));
}

static void golden_config_req(void)
{
	static const uint8_t want[] = {
		HDR(0x04, 0x00, 0x01, 0x00, 28, 0),
		0x00, 0x05, 0x00, 0x00, /* 1280 */
		0xd0, 0x02, 0x00, 0x00, /* 720 */
		0x00, 0x09, 0x3d, 0x00, /* 4000000 */
		0x1e, 0x00, 0x00, 0x00, /* 30 */
		0x01, 0x00, 0x00, 0x00, /* 1 */
		100, 31, 1, 0, 0, 0, 0, 0,
	};
	static const uint8_t want_resp[] = {
		HDR(0x05, 0x00, 0x01, 0x00, 32, 0),
		0xf9, 0xff, 0xff, 0xff, /* status -7 */
		0x00, 0x05, 0x00, 0x00, 0xd0, 0x02, 0x00, 0x00, 0x00, 0x09, 0x3d, 0x00,
		0x1e, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 100, 31, 1, 0, 0, 0, 0, 0,
	};
	struct hxfr_config c = {.width = 1280, .height = 720, .bitrate = 4000000, .fps_num = 30,
				.fps_den = 1, .profile = 100, .level = 31, .realtime = 1};
	struct hxfr_config_resp cr = {.status = HXFR_ERR_UNSUPPORTED, .applied = c};
	uint8_t b[TEST_BUF];

	expect_bytes(b, hxfr_build_config_req(b, sizeof(b), 1, &c), want, sizeof(want));
	expect_bytes(b, hxfr_build_config_resp(b, sizeof(b), 1, &cr), want_resp,
		     sizeof(want_resp));
}

static void golden_small(void)
{
	static const uint8_t subscribe[] = {HDR(0x30, 0, 0x07, 0, 4, 0), 0x07, 0, 0, 0};
	static const uint8_t disable[] = {HDR(0x21, 0, 0x02, 0, 4, 0), 0x02, 0, 0, 0};
	static const uint8_t subscribe_resp[] = {HDR(0x31, 0, 0x07, 0, 8, 0), 0x07, 0, 0, 0,
						 0x01, 0, 0, 0};
	static const uint8_t keyframe[] = {HDR(0x03, 0, 0x01, 0, 0, 0)};
	static const uint8_t ping[] = {HDR(0x10, 0, 0, 0, 0, 0)};
	static const uint8_t ping_ts[] = {HDR(0x10, 0, 0, 0, 8, 0), 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t pong_ts[] = {HDR(0x11, 0, 0, 0, 16, 0), 1, 2, 3, 4, 5, 6, 7, 8,
					  0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80};
	static const uint8_t enable[] = {HDR(0x20, 0, 0x02, 0, 16, 0), 0x02, 0, 0, 0,
					 0x80, 0x07, 0, 0, 0x38, 0x04, 0, 0, 60, 0, 0, 0};
	struct hxfr_subscribe_resp sr = {.id = 7, .success = 1};
	struct hxfr_ping p = {.has_time = true, .time_ns = 0x0807060504030201ull,
			      .host_time_ns = 0x8070605040302010ull};
	struct hxfr_ping p0 = {0};
	struct hxfr_enable_scanout es = {.id = 2, .width = 1920, .height = 1080, .refresh_hz = 60};
	uint8_t b[TEST_BUF];

	expect_bytes(b, hxfr_build_u32(b, sizeof(b), HXFR_SUBSCRIBE, 7, 7), subscribe,
		     sizeof(subscribe));
	expect_bytes(b, hxfr_build_u32(b, sizeof(b), HXFR_DISABLE_SCANOUT, 2, 2), disable,
		     sizeof(disable));
	expect_bytes(b, hxfr_build_subscribe_resp(b, sizeof(b), 7, &sr), subscribe_resp,
		     sizeof(subscribe_resp));
	expect_bytes(b, hxfr_build_empty(b, sizeof(b), HXFR_KEYFRAME_REQ, 1), keyframe,
		     sizeof(keyframe));
	expect_bytes(b, hxfr_build_ping(b, sizeof(b), HXFR_PING, 0, &p0), ping, sizeof(ping));
	expect_bytes(b, hxfr_build_ping(b, sizeof(b), HXFR_PING, 0, &p), ping_ts,
		     sizeof(ping_ts));
	expect_bytes(b, hxfr_build_ping(b, sizeof(b), HXFR_PONG, 0, &p), pong_ts,
		     sizeof(pong_ts));
	expect_bytes(b, hxfr_build_enable_scanout(b, sizeof(b), 2, &es), enable, sizeof(enable));
}

static void golden_scanout_resp(void)
{
	uint8_t want[HXFR_HEADER_SIZE + 72] = {
		HDR(0x22, 0, 0x02, 0, 72, 0),
		0x02, 0, 0, 0, 0x01, 0, 0, 0,
		'V', 'i', 'r', 't', 'u', 'a', 'l', '-', '3', /* rest zero */
	};
	struct hxfr_scanout_resp m = {.id = 2, .success = 1, .name = "Virtual-3"};
	uint8_t b[TEST_BUF];

	expect_bytes(b, hxfr_build_scanout_resp(b, sizeof(b), 2, &m), want, sizeof(want));
}

static void golden_hostenc_messages(void)
{
	uint8_t hello[HXFR_HEADER_SIZE + 48] = {
		HDR(0x40, 0, 0, 0, 48, 0),
		0x01, 0x00, 0x01, 0x00, /* version 1.1 */
		0x03, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 'g', 'u', 'e', 's', 't',
	};
	uint8_t hello_resp[HXFR_HEADER_SIZE + 68] = {
		HDR(0x41, 0, 0x09, 0, 68, 0),
		0x01, 0x00, 0x01, 0x00, 0x07, 0, 0, 0, 0x00, 0x0f, 0, 0, 0x70, 0x08, 0, 0,
		0x00, 0x00, 0x00, 0x04, 0x10, 0, 0, 0, 0x01, 0, 0, 0, 0x3f, 0, 0, 0,
		100, 51, 0, 0, 'l', 'i', 'b', 'x', '2', '6', '4',
	};
	uint8_t attach[HXFR_HEADER_SIZE + 56] = {
		HDR(0x42, 0, 0, 0, 56, 0),
		0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x10, 0, 0, 0, 0, 0, 'r', '0',
		[HXFR_HEADER_SIZE + 48] = 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	};
	static const uint8_t attach_resp[] = {
		HDR(0x43, 0, 0, 0, 16, 0),
		0, 0, 0, 0, 4, 0, 0, 0, 0x00, 0x00, 0x80, 0x00, 0, 0, 0, 0,
	};
	static const uint8_t frame_shm[] = {
		HDR(0x44, 0, 0x01, 0, 64, 0),
		3, 0, 0, 0, 'N', 'V', '1', '2', 0x80, 0x07, 0, 0, 0x38, 0x04, 0, 0,
		0x80, 0x07, 0, 0, 0x80, 0x07, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0x00, 0xa4, 0x1f, 0x00, 0, 0, 0, 0,
		0x15, 0xcd, 0x5b, 0x07, 0, 0, 0, 0, /* pts 123456789 */
		0x2b, 0x50, 0xfe, 0x00, 0, 0, 0, 0, /* duration 16666667 */
		0x01, 0, 0, 0, 0, 0, 0, 0,
	};
	struct hxfr_hello h = {.version = HXFR_VERSION, .frame_paths = 3, .max_inflight = 8,
			       .name = "guest"};
	struct hxfr_hello_resp hr = {.version = HXFR_VERSION, .frame_paths = 7, .max_width = 3840,
				     .max_height = 2160, .max_payload = 64u << 20,
				     .max_inflight = 16, .encoder_flags = 1, .formats = 0x3f,
				     .profile = 100, .level = 51, .encoder = "libx264"};
	struct hxfr_shm_attach sa = {.ring_offset = 4096, .ring_size = 1 << 20, .name = "r0",
				     .ring_id = 0x1122334455667788ull};
	struct hxfr_shm_attach_resp sar = {.status = 0, .slot_count = 4, .slot_size = 8u << 20};
	struct hxfr_frame_shm fs = {.slot = 3, .format = HXFR_FMT_NV12, .width = 1920,
				    .height = 1080, .stride = {1920, 1920},
				    .plane_offset = {0, 1920 * 1080}, .pts_ns = 123456789,
				    .duration_ns = 16666667, .flags = HXFR_FRAME_SHM_KEYFRAME};
	uint8_t b[TEST_BUF];

	expect_bytes(b, hxfr_build_hello(b, sizeof(b), 0, &h), hello, sizeof(hello));
	expect_bytes(b, hxfr_build_hello_resp(b, sizeof(b), 9, &hr), hello_resp,
		     sizeof(hello_resp));
	expect_bytes(b, hxfr_build_shm_attach(b, sizeof(b), 0, &sa), attach, sizeof(attach));
	expect_bytes(b, hxfr_build_shm_attach_resp(b, sizeof(b), 0, &sar), attach_resp,
		     sizeof(attach_resp));
	expect_bytes(b, hxfr_build_frame_shm(b, sizeof(b), 1, &fs), frame_shm, sizeof(frame_shm));
}

static void golden_error(void)
{
	uint8_t want[HXFR_HEADER_SIZE + 260] = {
		HDR(0xff, 0x44, 0x05, 0x00, 0x04, 0x01), /* payload 260 = 0x104 */
		0xf6, 0xff, 0xff, 0xff,                  /* -10 */
		'n', 'o', ' ', 'r', 'i', 'n', 'g',
	};
	struct hxfr_error e = {.code = HXFR_ERR_SHM, .offending_type = HXFR_FRAME_SHM,
			       .message = "no ring"};
	uint8_t b[TEST_BUF];

	expect_bytes(b, hxfr_build_error(b, sizeof(b), 5, &e), want, sizeof(want));
}

/* A hand-written Helix byte stream decodes as Helix meant it. */
static void helix_bytes_decode(void)
{
	static const uint8_t scanout_resp[HXFR_HEADER_SIZE + 72] = {
		HDR(0x22, 0, 0x01, 0, 72, 0), 0x01, 0, 0, 0, 0x01, 0, 0, 0,
		'V', 'i', 'r', 't', 'u', 'a', 'l', '-', '2', 0, 'j', 'u', 'n', 'k'};
	static const uint8_t frame_request[56] = {
		HDR(0x01, 0, 0, 0, 44, 0), 0x07, 0, 0, 0, 0x00, 0x04, 0, 0, 0x00, 0x03, 0, 0,
		'A', 'R', '2', '4', 0x00, 0x10, 0, 0, 0x10, 0x27, 0, 0, 0, 0, 0, 0,
		0xe8, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	struct hxfr_scanout_resp sr;
	struct hxfr_frame_request fr;
	struct hxfr_msg m;
	const char *why = NULL;

	m = frame_whole(scanout_resp, sizeof(scanout_resp));
	assert_result(hxfr_decode_scanout_resp(&m, &sr, &why), why, 0, NULL);
	g_assert_cmpuint(sr.id, ==, 1);
	g_assert_cmpstr(sr.name, ==, "Virtual-2");
	m = frame_whole(frame_request, sizeof(frame_request));
	assert_result(hxfr_decode_frame_request(&m, &fr, &why), why, 0, NULL);
	g_assert_cmpuint(fr.resource_id, ==, 7);
	g_assert_cmpuint(fr.width, ==, 1024);
	g_assert_cmpuint(fr.height, ==, 768);
	g_assert_cmphex(fr.format, ==, HXFR_FMT_BGRA);
	g_assert_cmpuint(fr.stride, ==, 4096);
	g_assert_cmpint(fr.pts_ns, ==, 10000);
	g_assert_cmpint(fr.duration_ns, ==, 1000);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/messages/size/builders", builder_sizes);
	g_test_add_func("/messages/roundtrip/frame-request", rt_frame_request);
	g_test_add_func("/messages/roundtrip/frame-response", rt_frame_response);
	g_test_add_func("/messages/roundtrip/empty", rt_empty);
	g_test_add_func("/messages/roundtrip/config-req", rt_config_req);
	g_test_add_func("/messages/roundtrip/config-resp", rt_config_resp);
	g_test_add_func("/messages/roundtrip/ping-pong", rt_ping);
	g_test_add_func("/messages/roundtrip/enable-scanout", rt_enable_scanout);
	g_test_add_func("/messages/roundtrip/u32", rt_u32);
	g_test_add_func("/messages/roundtrip/scanout-resp", rt_scanout_resp);
	g_test_add_func("/messages/roundtrip/subscribe-resp", rt_subscribe_resp);
	g_test_add_func("/messages/roundtrip/hello", rt_hello);
	g_test_add_func("/messages/roundtrip/hello-resp", rt_hello_resp);
	g_test_add_func("/messages/roundtrip/shm-attach", rt_shm_attach);
	g_test_add_func("/messages/roundtrip/shm-attach-resp", rt_shm_attach_resp);
	g_test_add_func("/messages/roundtrip/frame-shm", rt_frame_shm);
	g_test_add_func("/messages/roundtrip/error", rt_error);
	g_test_add_func("/messages/error-text", error_text_handling);
	g_test_add_func("/messages/scanout-resp-padding", scanout_resp_lenient_padding);
	g_test_add_func("/messages/unaligned", unaligned_input);
	g_test_add_func("/messages/golden/frame-request", golden_frame_request);
	g_test_add_func("/messages/golden/frame-response", golden_frame_response);
	g_test_add_func("/messages/golden/config", golden_config_req);
	g_test_add_func("/messages/golden/small", golden_small);
	g_test_add_func("/messages/golden/scanout-resp", golden_scanout_resp);
	g_test_add_func("/messages/golden/hostenc", golden_hostenc_messages);
	g_test_add_func("/messages/golden/error", golden_error);
	g_test_add_func("/messages/roundtrip/input", rt_input);
	g_test_add_func("/messages/helix-bytes", helix_bytes_decode);
	return g_test_run();
}
