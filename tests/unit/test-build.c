/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builders: -ENOSPC for every too-small capacity without writing past it,
 * and -EINVAL for values a builder refuses (without writing anything). */
#include "wire-test.h"

#define GUARD 0xee

static const uint8_t au[] = {0, 0, 1, 0x65};

static ssize_t b_frame_request(uint8_t *b, size_t cap)
{
	struct hxfr_frame_request m = {.resource_id = 1, .width = 16, .height = 16,
				       .format = HXFR_FMT_BGRX, .stride = 64, .pts_ns = -1,
				       .duration_ns = 7, .force_keyframe = 1};
	return hxfr_build_frame_request(b, cap, 1, &m);
}

static ssize_t b_frame_request_inline(uint8_t *b, size_t cap)
{
	struct hxfr_frame_request m = {.width = 1, .height = 1, .format = HXFR_FMT_BGRX,
				       .stride = 4, .pixels_len = 4};
	return hxfr_build_frame_request(b, cap, 1, &m);
}

static ssize_t b_frame_response(uint8_t *b, size_t cap)
{
	struct hxfr_frame_response m = {.pts_ns = 1, .dts_ns = 2, .is_keyframe = 1, .au = au,
					.au_len = sizeof(au)};
	return hxfr_build_frame_response(b, cap, 1, HXFR_FLAG_REPLAYED, &m);
}

static ssize_t b_frame_response_dropped(uint8_t *b, size_t cap)
{
	struct hxfr_frame_response m = {.pts_ns = 1, .dts_ns = 2};
	return hxfr_build_frame_response(b, cap, 1, HXFR_FLAG_DROPPED, &m);
}

static ssize_t b_empty(uint8_t *b, size_t cap)
{
	return hxfr_build_empty(b, cap, HXFR_KEYFRAME_REQ, 1);
}

static ssize_t b_config_req(uint8_t *b, size_t cap)
{
	struct hxfr_config m = {.width = 640, .height = 480, .bitrate = 100000, .fps_num = 25,
				.fps_den = 1, .profile = 66, .level = 30, .realtime = 1};
	return hxfr_build_config_req(b, cap, 1, &m);
}

static ssize_t b_config_resp(uint8_t *b, size_t cap)
{
	struct hxfr_config_resp m = {.status = HXFR_ERR_BUSY, .applied = {.bitrate = 100000}};
	return hxfr_build_config_resp(b, cap, 1, &m);
}

static ssize_t b_ping(uint8_t *b, size_t cap)
{
	struct hxfr_ping m = {.has_time = true, .time_ns = 99};
	return hxfr_build_ping(b, cap, HXFR_PING, 1, &m);
}

static ssize_t b_pong(uint8_t *b, size_t cap)
{
	struct hxfr_ping m = {.has_time = true, .time_ns = 99, .host_time_ns = 100};
	return hxfr_build_ping(b, cap, HXFR_PONG, 1, &m);
}

static ssize_t b_ping_empty(uint8_t *b, size_t cap)
{
	struct hxfr_ping m = {.has_time = false};
	return hxfr_build_ping(b, cap, HXFR_PONG, 1, &m);
}

static ssize_t b_enable_scanout(uint8_t *b, size_t cap)
{
	struct hxfr_enable_scanout m = {.id = 1, .width = 1024, .height = 768, .refresh_hz = 75};
	return hxfr_build_enable_scanout(b, cap, 1, &m);
}

static ssize_t b_disable_scanout(uint8_t *b, size_t cap)
{
	return hxfr_build_u32(b, cap, HXFR_DISABLE_SCANOUT, 1, 1);
}

static ssize_t b_subscribe(uint8_t *b, size_t cap)
{
	return hxfr_build_u32(b, cap, HXFR_SUBSCRIBE, 1, 1);
}

static ssize_t b_scanout_resp(uint8_t *b, size_t cap)
{
	struct hxfr_scanout_resp m = {.id = 1, .success = 1, .name = "Virtual-2"};
	return hxfr_build_scanout_resp(b, cap, 1, &m);
}

static ssize_t b_subscribe_resp(uint8_t *b, size_t cap)
{
	struct hxfr_subscribe_resp m = {.id = 1, .success = 1};
	return hxfr_build_subscribe_resp(b, cap, 1, &m);
}

static ssize_t b_hello(uint8_t *b, size_t cap)
{
	struct hxfr_hello m = {.version = HXFR_VERSION, .frame_paths = 1, .max_inflight = 1,
			       .name = "guest"};
	return hxfr_build_hello(b, cap, 0, &m);
}

static ssize_t b_hello_resp(uint8_t *b, size_t cap)
{
	struct hxfr_hello_resp m = {.version = HXFR_VERSION, .max_width = 1, .max_height = 1,
				    .max_payload = 12, .max_inflight = 1, .formats = 1,
				    .profile = 66, .encoder = "x"};
	return hxfr_build_hello_resp(b, cap, 0, &m);
}

static ssize_t b_shm_attach(uint8_t *b, size_t cap)
{
	struct hxfr_shm_attach m = {.ring_offset = 0, .ring_size = 8192, .name = "r"};
	return hxfr_build_shm_attach(b, cap, 0, &m);
}

static ssize_t b_shm_attach_resp(uint8_t *b, size_t cap)
{
	struct hxfr_shm_attach_resp m = {.slot_count = 2, .slot_size = 4096};
	return hxfr_build_shm_attach_resp(b, cap, 0, &m);
}

static ssize_t b_frame_shm(uint8_t *b, size_t cap)
{
	struct hxfr_frame_shm m = {.slot = 1, .format = HXFR_FMT_I420, .width = 2, .height = 2,
				   .stride = {2, 1, 1}, .plane_offset = {0, 4, 5}};
	return hxfr_build_frame_shm(b, cap, 0, &m);
}

static ssize_t b_error(uint8_t *b, size_t cap)
{
	struct hxfr_error m = {.code = HXFR_ERR_INTERNAL, .offending_type = 0x44,
			       .message = "out of memory"};
	return hxfr_build_error(b, cap, 0, &m);
}

static ssize_t b_header(uint8_t *b, size_t cap)
{
	return hxfr_build_header(b, cap, 0x99, 0x01, 0x0203, 0x04050607);
}

struct builder {
	const char *name;
	ssize_t (*build)(uint8_t *b, size_t cap);
	size_t size; /* what it writes */
};

static const struct builder builders[] = {
	{"header", b_header, HXFR_HEADER_SIZE},
	{"frame-request", b_frame_request, HXFR_FRAME_REQUEST_PREFIX},
	{"frame-request-inline", b_frame_request_inline, HXFR_FRAME_REQUEST_PREFIX},
	{"frame-response", b_frame_response, HXFR_HEADER_SIZE + 24 + 4},
	{"frame-response-dropped", b_frame_response_dropped, HXFR_HEADER_SIZE + 24},
	{"empty", b_empty, HXFR_HEADER_SIZE},
	{"config-req", b_config_req, HXFR_HEADER_SIZE + HXFR_CONFIG_REQ_SIZE},
	{"config-resp", b_config_resp, HXFR_HEADER_SIZE + HXFR_CONFIG_RESP_SIZE},
	{"ping", b_ping, HXFR_HEADER_SIZE + HXFR_PING_TS_SIZE},
	{"pong", b_pong, HXFR_HEADER_SIZE + HXFR_PONG_TS_SIZE},
	{"pong-empty", b_ping_empty, HXFR_HEADER_SIZE},
	{"enable-scanout", b_enable_scanout, HXFR_HEADER_SIZE + HXFR_ENABLE_SCANOUT_SIZE},
	{"disable-scanout", b_disable_scanout, HXFR_HEADER_SIZE + HXFR_DISABLE_SCANOUT_SIZE},
	{"subscribe", b_subscribe, HXFR_HEADER_SIZE + HXFR_SUBSCRIBE_SIZE},
	{"scanout-resp", b_scanout_resp, HXFR_HEADER_SIZE + HXFR_SCANOUT_RESP_SIZE},
	{"subscribe-resp", b_subscribe_resp, HXFR_HEADER_SIZE + HXFR_SUBSCRIBE_RESP_SIZE},
	{"hello", b_hello, HXFR_HEADER_SIZE + HXFR_HELLO_SIZE},
	{"hello-resp", b_hello_resp, HXFR_HEADER_SIZE + HXFR_HELLO_RESP_SIZE},
	{"shm-attach", b_shm_attach, HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE},
	{"shm-attach-resp", b_shm_attach_resp, HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_RESP_SIZE},
	{"frame-shm", b_frame_shm, HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE},
	{"error", b_error, HXFR_HEADER_SIZE + HXFR_ERROR_SIZE},
};

/* -ENOSPC for every capacity below the size, with nothing written at or
 * past the capacity; exact output at the size and above. */
static void run_nospace(const void *data)
{
	const struct builder *bd = data;
	uint8_t want[TEST_BUF], b[TEST_BUF];

	g_assert_cmpuint(bd->size + 16, <=, sizeof(b));
	memset(want, GUARD, sizeof(want));
	g_assert_cmpint(bd->build(want, bd->size), ==, (ssize_t)bd->size);
	for (size_t i = bd->size; i < sizeof(want); i++)
		g_assert_cmphex(want[i], ==, GUARD);
	for (size_t cap = 0; cap < bd->size; cap++) {
		memset(b, GUARD, sizeof(b));
		if (bd->build(b, cap) != -ENOSPC)
			g_test_message("cap %zu", cap);
		g_assert_cmpint(bd->build(b, cap), ==, -ENOSPC);
		for (size_t i = cap; i < sizeof(b); i++)
			g_assert_cmphex(b[i], ==, GUARD);
	}
	memset(b, GUARD, sizeof(b));
	g_assert_cmpint(bd->build(b, sizeof(b)), ==, (ssize_t)bd->size);
	g_assert_cmpmem(b, sizeof(b), want, sizeof(want));
	/* A NULL buffer with no room is reported, not written. */
	g_assert_cmpint(bd->build(NULL, 0), ==, -ENOSPC);
}

/* Runs @p expr (a builder call on b), asserting -EINVAL and an untouched b. */
#define ASSERT_EINVAL(expr)                                                     \
	do {                                                                    \
		memset(b, GUARD, sizeof(b));                                    \
		g_assert_cmpint((expr), ==, -EINVAL);                           \
		for (size_t i_ = 0; i_ < sizeof(b); i_++)                       \
			g_assert_cmphex(b[i_], ==, GUARD);                      \
	} while (0)

static void einval_frame_request(void)
{
	uint8_t b[TEST_BUF];
	struct hxfr_frame_request m = {.resource_id = 1, .width = 1, .height = 1,
				       .format = HXFR_FMT_BGRX, .stride = 4};

	m.force_keyframe = 2;
	ASSERT_EINVAL(hxfr_build_frame_request(b, sizeof(b), 0, &m));
	m.force_keyframe = 255;
	ASSERT_EINVAL(hxfr_build_frame_request(b, sizeof(b), 0, &m));
	m.force_keyframe = 1;
	/* The pixels must fit under the hard payload cap... */
	m.pixels_len = HXFR_MAX_PAYLOAD_HARD - HXFR_FRAME_REQUEST_SIZE + 1;
	ASSERT_EINVAL(hxfr_build_frame_request(b, sizeof(b), 0, &m));
	m.pixels_len = HXFR_MAX_PAYLOAD_HARD - HXFR_FRAME_REQUEST_SIZE;
	g_assert_cmpint(hxfr_build_frame_request(b, sizeof(b), 0, &m), ==,
			HXFR_FRAME_REQUEST_PREFIX);
	g_assert_cmpuint(get_le32(b + 8), ==, HXFR_MAX_PAYLOAD_HARD);
	g_assert_cmphex(b[5], ==, HXFR_FLAG_PIXEL_DATA);
	/* ...and 44 + pixels_len must not wrap around in 64 bits. */
	m.pixels_len = SIZE_MAX;
	ASSERT_EINVAL(hxfr_build_frame_request(b, sizeof(b), 0, &m));
	m.pixels_len = SIZE_MAX - HXFR_FRAME_REQUEST_SIZE + 1; /* 44 + this == 2^64 */
	ASSERT_EINVAL(hxfr_build_frame_request(b, sizeof(b), 0, &m));
	m.pixels_len = SIZE_MAX - HXFR_FRAME_REQUEST_SIZE + 20;
	ASSERT_EINVAL(hxfr_build_frame_request(b, sizeof(b), 0, &m));
	/* -EINVAL wins over -ENOSPC: the request is wrong whatever the room. */
	m.pixels_len = 0;
	m.force_keyframe = 2;
	ASSERT_EINVAL(hxfr_build_frame_request(b, 0, 0, &m));
}

static void einval_frame_response(void)
{
	uint8_t b[TEST_BUF];
	struct hxfr_frame_response m = {.is_keyframe = 1, .au = au, .au_len = sizeof(au)};

	for (int bit = 2; bit < 8; bit++)
		ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0, (uint8_t)(1 << bit), &m));
	m.is_keyframe = 2;
	ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0, 0, &m));
	m.is_keyframe = 0;
	/* A dropped frame carries no data. */
	ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0, HXFR_FLAG_DROPPED, &m));
	ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0,
						HXFR_FLAG_DROPPED | HXFR_FLAG_REPLAYED, &m));
	/* A frame that is not dropped carries a non-empty access unit (the
	 * decoder rejects au_len 0). */
	m.au_len = 0;
	ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0, 0, &m));
	/* The access unit must fit under the hard payload cap. */
	m.au_len = HXFR_MAX_PAYLOAD_HARD - 24 - 4 + 1;
	ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0, 0, &m));
	m.au_len = HXFR_MAX_PAYLOAD_HARD - 24 - 4;
	g_assert_cmpint(hxfr_build_frame_response(b, sizeof(b), 0, 0, &m), ==,
			(ssize_t)HXFR_HEADER_SIZE + 24 + 4);
	g_assert_cmpuint(get_le32(b + 8), ==, HXFR_MAX_PAYLOAD_HARD);
	g_assert_cmpuint(get_le32(b + HXFR_HEADER_SIZE + 24), ==, HXFR_MAX_PAYLOAD_HARD - 28);
	/* 28 + au_len must not wrap around in 64 bits. */
	m.au_len = SIZE_MAX;
	ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0, 0, &m));
	m.au_len = SIZE_MAX - 3; /* 4 + this == 2^64 */
	ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0, 0, &m));
	m.au_len = SIZE_MAX - 27;
	ASSERT_EINVAL(hxfr_build_frame_response(b, sizeof(b), 0, 0, &m));
}

static void einval_types(void)
{
	uint8_t b[TEST_BUF];
	struct hxfr_ping p = {.has_time = true};

	for (int t = 0; t < 256; t++) {
		if (t != HXFR_PING && t != HXFR_PONG)
			ASSERT_EINVAL(hxfr_build_ping(b, sizeof(b), (uint8_t)t, 0, &p));
		if (t != HXFR_DISABLE_SCANOUT && t != HXFR_SUBSCRIBE)
			ASSERT_EINVAL(hxfr_build_u32(b, sizeof(b), (uint8_t)t, 0, 1));
	}
}

/* Name fields must fit with their NUL: a full field is refused as a bad
 * value (-EINVAL), not as a lack of room. */
static void einval_names(void)
{
	uint8_t b[TEST_BUF];
	struct hxfr_scanout_resp sr = {.id = 1};
	struct hxfr_hello h = {.version = HXFR_VERSION, .frame_paths = 1, .max_inflight = 1};
	struct hxfr_hello_resp hr = {.version = HXFR_VERSION};
	struct hxfr_shm_attach sa = {.ring_size = 8192};

	memset(sr.name, 'n', sizeof(sr.name));
	memset(h.name, 'n', sizeof(h.name));
	memset(hr.encoder, 'n', sizeof(hr.encoder));
	memset(sa.name, 'n', sizeof(sa.name));
	ASSERT_EINVAL(hxfr_build_scanout_resp(b, sizeof(b), 0, &sr));
	ASSERT_EINVAL(hxfr_build_hello(b, sizeof(b), 0, &h));
	ASSERT_EINVAL(hxfr_build_hello_resp(b, sizeof(b), 0, &hr));
	ASSERT_EINVAL(hxfr_build_shm_attach(b, sizeof(b), 0, &sa));
	/* One character less fits. */
	sr.name[HXFR_NAME_MAX - 1] = 0;
	h.name[HXFR_SHORT_NAME_MAX - 1] = 0;
	hr.encoder[HXFR_SHORT_NAME_MAX - 1] = 0;
	sa.name[HXFR_SHORT_NAME_MAX - 1] = 0;
	g_assert_cmpint(hxfr_build_scanout_resp(b, sizeof(b), 0, &sr), ==,
			HXFR_HEADER_SIZE + HXFR_SCANOUT_RESP_SIZE);
	g_assert_cmpuint(b[HXFR_HEADER_SIZE + 8 + 62], ==, 'n');
	g_assert_cmpuint(b[HXFR_HEADER_SIZE + 8 + 63], ==, 0);
	g_assert_cmpint(hxfr_build_hello(b, sizeof(b), 0, &h), ==,
			HXFR_HEADER_SIZE + HXFR_HELLO_SIZE);
	g_assert_cmpint(hxfr_build_hello_resp(b, sizeof(b), 0, &hr), ==,
			HXFR_HEADER_SIZE + HXFR_HELLO_RESP_SIZE);
	g_assert_cmpint(hxfr_build_shm_attach(b, sizeof(b), 0, &sa), ==,
			HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE);
}

/* Name fields are written NUL-padded whatever follows the string's NUL in
 * the caller's struct. */
static void names_padded(void)
{
	uint8_t b[TEST_BUF];
	struct hxfr_hello h = {.version = HXFR_VERSION, .frame_paths = 1, .max_inflight = 1};
	struct hxfr_msg m;
	struct hxfr_hello out;
	const char *why = NULL;
	ssize_t n;

	memset(h.name, 'z', sizeof(h.name));
	h.name[3] = 0;
	n = hxfr_build_hello(b, sizeof(b), 0, &h);
	g_assert_cmpint(n, ==, HXFR_HEADER_SIZE + HXFR_HELLO_SIZE);
	for (size_t i = 3; i < HXFR_SHORT_NAME_MAX; i++)
		g_assert_cmpuint(b[HXFR_HEADER_SIZE + 16 + i], ==, 0);
	m = frame_whole(b, (size_t)n);
	assert_result(hxfr_decode_hello(&m, &out, &why), why, 0, NULL);
	g_assert_cmpstr(out.name, ==, "zzz");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(builders); i++) {
		char *path = g_strdup_printf("/build/nospace/%s", builders[i].name);

		g_test_add_data_func(path, &builders[i], run_nospace);
		g_free(path);
	}
	g_test_add_func("/build/einval/frame-request", einval_frame_request);
	g_test_add_func("/build/einval/frame-response", einval_frame_response);
	g_test_add_func("/build/einval/types", einval_types);
	g_test_add_func("/build/einval/names", einval_names);
	g_test_add_func("/build/names-padded", names_padded);
	return g_test_run();
}
