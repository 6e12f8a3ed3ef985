/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Framing: header decode, incremental hxfr_frame on every prefix of every
 * message, bad magic, payload caps, unknown types, back-to-back messages,
 * and the type/error name tables. Inputs are copied into buffers of their
 * exact size so that AddressSanitizer catches any read past @p len. */
#include "wire-test.h"

struct sample {
	const char *name;
	uint8_t bytes[TEST_BUF];
	size_t len;
};

static const uint8_t au[] = {0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88, 0x84};

/* One complete message of every type (with its trailing data). */
static struct sample *make_samples(size_t *count)
{
	struct sample *s = g_new0(struct sample, 32);
	size_t n = 0;
	ssize_t r;

#define ADD(label, expr)                                                        \
	do {                                                                    \
		s[n].name = label;                                              \
		r = (expr);                                                     \
		g_assert_cmpint(r, >=, (ssize_t)HXFR_HEADER_SIZE);              \
		s[n].len = (size_t)r;                                           \
		n++;                                                            \
	} while (0)

	{
		struct hxfr_frame_request m = {.resource_id = 3, .width = 32, .height = 16,
					       .format = HXFR_FMT_BGRA, .stride = 128};
		ADD("frame-request", hxfr_build_frame_request(s[n].bytes, TEST_BUF, 1, &m));
		m = (struct hxfr_frame_request){.width = 3, .height = 3, .format = HXFR_FMT_I420,
						.stride = 4, .pixels_len = 12 + 2 * 4};
		ADD("frame-request-inline", hxfr_build_frame_request(s[n].bytes, TEST_BUF, 1, &m));
		memset(s[n - 1].bytes + s[n - 1].len, 0x5a, m.pixels_len);
		s[n - 1].len += m.pixels_len;
	}
	{
		struct hxfr_frame_response m = {.pts_ns = 1, .dts_ns = 1, .is_keyframe = 1,
						.au = au, .au_len = sizeof(au)};
		ADD("frame-response", hxfr_build_frame_response(s[n].bytes, TEST_BUF, 1, 0, &m));
		memcpy(s[n - 1].bytes + s[n - 1].len, au, sizeof(au));
		s[n - 1].len += sizeof(au);
		m.au_len = 0;
		ADD("frame-response-dropped",
		    hxfr_build_frame_response(s[n].bytes, TEST_BUF, 1, HXFR_FLAG_DROPPED, &m));
	}
	ADD("keyframe-req", hxfr_build_empty(s[n].bytes, TEST_BUF, HXFR_KEYFRAME_REQ, 1));
	{
		struct hxfr_config_resp m = {.applied = {.bitrate = 1000000}};
		ADD("config-req", hxfr_build_config_req(s[n].bytes, TEST_BUF, 1, &m.applied));
		ADD("config-resp", hxfr_build_config_resp(s[n].bytes, TEST_BUF, 1, &m));
	}
	{
		struct hxfr_ping m = {.has_time = true, .time_ns = 5, .host_time_ns = 6};
		ADD("ping", hxfr_build_ping(s[n].bytes, TEST_BUF, HXFR_PING, 0, &m));
		ADD("pong", hxfr_build_ping(s[n].bytes, TEST_BUF, HXFR_PONG, 0, &m));
	}
	{
		struct hxfr_enable_scanout m = {.id = 1, .width = 800, .height = 600};
		ADD("enable-scanout", hxfr_build_enable_scanout(s[n].bytes, TEST_BUF, 1, &m));
	}
	ADD("disable-scanout", hxfr_build_u32(s[n].bytes, TEST_BUF, HXFR_DISABLE_SCANOUT, 1, 1));
	{
		struct hxfr_scanout_resp m = {.id = 1, .success = 1, .name = "Virtual-2"};
		ADD("scanout-resp", hxfr_build_scanout_resp(s[n].bytes, TEST_BUF, 1, &m));
	}
	ADD("subscribe", hxfr_build_u32(s[n].bytes, TEST_BUF, HXFR_SUBSCRIBE, 1, 1));
	{
		struct hxfr_subscribe_resp m = {.id = 1, .success = 1};
		ADD("subscribe-resp", hxfr_build_subscribe_resp(s[n].bytes, TEST_BUF, 1, &m));
	}
	{
		struct hxfr_hello m = {.version = HXFR_VERSION, .frame_paths = 1,
				       .max_inflight = 2, .name = "g"};
		ADD("hello", hxfr_build_hello(s[n].bytes, TEST_BUF, 0, &m));
	}
	{
		struct hxfr_hello_resp m = {.version = HXFR_VERSION, .max_width = 64,
					    .max_height = 64, .max_payload = 4096,
					    .max_inflight = 1, .formats = 1, .profile = 66};
		ADD("hello-resp", hxfr_build_hello_resp(s[n].bytes, TEST_BUF, 0, &m));
	}
	{
		struct hxfr_shm_attach m = {.ring_size = 8192};
		ADD("shm-attach", hxfr_build_shm_attach(s[n].bytes, TEST_BUF, 0, &m));
	}
	{
		struct hxfr_shm_attach_resp m = {.slot_count = 1, .slot_size = 64};
		ADD("shm-attach-resp", hxfr_build_shm_attach_resp(s[n].bytes, TEST_BUF, 0, &m));
	}
	{
		struct hxfr_frame_shm m = {.format = HXFR_FMT_BGRX, .width = 1, .height = 1,
					   .stride = {4}};
		ADD("frame-shm", hxfr_build_frame_shm(s[n].bytes, TEST_BUF, 0, &m));
	}
	{
		struct hxfr_error m = {.code = -1, .message = "bad"};
		ADD("error", hxfr_build_error(s[n].bytes, TEST_BUF, 0, &m));
	}
	ADD("unknown-type", hxfr_build_header(s[n].bytes, TEST_BUF, 0x7e, 0x33, 9, 5));
	memcpy(s[n - 1].bytes + HXFR_HEADER_SIZE, "\x01\x02\x03\x04\x05", 5);
	s[n - 1].len += 5;
#undef ADD
	*count = n;
	return s;
}

/* hxfr_frame on a private copy of exactly @p len bytes. */
static int frame_copy(const uint8_t *src, size_t len, uint32_t cap, struct hxfr_msg *m,
		      size_t *need)
{
	uint8_t *copy = g_malloc(len ? len : 1);
	int r;

	memcpy(copy, src, len);
	r = hxfr_frame(copy, len, cap, m, need);
	if (r == 1)
		m->payload = src + (m->payload - copy); /* keep it valid for the caller */
	g_free(copy);
	return r;
}

static void header_decode(void)
{
	static const uint8_t good[12] = {'H', 'X', 'F', 'R', 0x44, 0x80, 0x34, 0x12,
					 0x78, 0x56, 0x34, 0x12};
	uint8_t bad[12];
	struct hxfr_header h;

	memset(&h, 0xa5, sizeof(h));
	g_assert_cmpint(hxfr_header_decode(good, &h), ==, 0);
	g_assert_cmphex(h.magic, ==, HXFR_MAGIC);
	g_assert_cmphex(h.type, ==, 0x44);
	g_assert_cmphex(h.flags, ==, 0x80);
	g_assert_cmphex(h.session, ==, 0x1234);
	g_assert_cmphex(h.payload_size, ==, 0x12345678);
	for (int i = 0; i < 4; i++) {
		memcpy(bad, good, sizeof(bad));
		bad[i] = (uint8_t)(bad[i] + 1);
		g_assert_cmpint(hxfr_header_decode(bad, &h), ==, -EPROTO);
	}
	/* Big-endian "HXFR" is not the magic. */
	memcpy(bad, good, sizeof(bad));
	memcpy(bad, "RFXH", 4);
	g_assert_cmpint(hxfr_header_decode(bad, &h), ==, -EPROTO);
}

static void truncation(void)
{
	size_t count;
	struct sample *s = make_samples(&count);

	for (size_t i = 0; i < count; i++) {
		g_test_message("message %s (%zu bytes)", s[i].name, s[i].len);
		for (size_t len = 0; len < s[i].len; len++) {
			struct hxfr_msg m;
			size_t need = 0;

			g_assert_cmpint(frame_copy(s[i].bytes, len, HXFR_MAX_PAYLOAD_DEFAULT, &m,
						   &need), ==, 0);
			g_assert_cmpuint(need, ==, len < HXFR_HEADER_SIZE ? HXFR_HEADER_SIZE :
									   s[i].len);
		}
		/* Whole, and whole with the start of the next message after it. */
		for (size_t extra = 0; extra < 16; extra += 5) {
			struct hxfr_msg m;
			size_t need = 12345;

			g_assert_cmpint(frame_copy(s[i].bytes, s[i].len + extra,
						   HXFR_MAX_PAYLOAD_DEFAULT, &m, &need), ==, 1);
			g_assert_cmpuint(m.total, ==, s[i].len);
			g_assert_true(m.payload == s[i].bytes + HXFR_HEADER_SIZE);
			g_assert_cmpuint(m.hdr.payload_size, ==, s[i].len - HXFR_HEADER_SIZE);
			g_assert_cmpuint(m.hdr.type, ==, s[i].bytes[4]);
		}
	}
	g_free(s);
}

static void bad_magic(void)
{
	size_t count;
	struct sample *s = make_samples(&count);

	for (size_t i = 0; i < count; i++)
		for (size_t pos = 0; pos < 4; pos++) {
			uint8_t b[TEST_BUF];

			memcpy(b, s[i].bytes, s[i].len);
			b[pos] ^= 0x20; /* 'H' -> 'h' and so on */
			for (size_t len = 0; len <= s[i].len; len++) {
				struct hxfr_msg m;
				size_t need = 0;
				int r = frame_copy(b, len, HXFR_MAX_PAYLOAD_DEFAULT, &m, &need);

				if (len <= pos) {
					g_assert_cmpint(r, ==, 0);
					g_assert_cmpuint(need, ==, HXFR_HEADER_SIZE);
				} else {
					g_assert_cmpint(r, ==, -EPROTO);
				}
			}
		}
	g_free(s);
}

/* Every wrong value of every magic byte fails as soon as it is present. */
static void bad_magic_every_byte(void)
{
	static const uint8_t magic[4] = {'H', 'X', 'F', 'R'};

	for (size_t pos = 0; pos < 4; pos++)
		for (int v = 0; v < 256; v++) {
			uint8_t b[4];
			struct hxfr_msg m;
			size_t need = 0;

			if (v == magic[pos])
				continue;
			memcpy(b, magic, 4);
			b[pos] = (uint8_t)v;
			g_assert_cmpint(frame_copy(b, pos + 1, UINT32_MAX, &m, &need), ==, -EPROTO);
		}
}

static int frame_header_only(uint32_t payload_size, uint32_t cap, size_t *need)
{
	uint8_t b[HXFR_HEADER_SIZE];
	struct hxfr_msg m;

	g_assert_cmpint(hxfr_build_header(b, sizeof(b), HXFR_FRAME_REQUEST, 1, 0, payload_size),
			==, HXFR_HEADER_SIZE);
	*need = 0;
	return frame_copy(b, sizeof(b), cap, &m, need);
}

static void payload_caps(void)
{
	size_t need;

	/* Over the caller's cap: refused before any payload arrives. */
	g_assert_cmpint(frame_header_only(1001, 1000, &need), ==, -EMSGSIZE);
	g_assert_cmpint(frame_header_only(1000, 1000, &need), ==, 0);
	g_assert_cmpuint(need, ==, HXFR_HEADER_SIZE + 1000);
	g_assert_cmpint(frame_header_only(1, 0, &need), ==, -EMSGSIZE);
	g_assert_cmpint(frame_header_only(HXFR_MAX_PAYLOAD_DEFAULT + 1, HXFR_MAX_PAYLOAD_DEFAULT,
					  &need), ==, -EMSGSIZE);
	g_assert_cmpint(frame_header_only(HXFR_MAX_PAYLOAD_DEFAULT, HXFR_MAX_PAYLOAD_DEFAULT,
					  &need), ==, 0);
	g_assert_cmpuint(need, ==, HXFR_HEADER_SIZE + HXFR_MAX_PAYLOAD_DEFAULT);
	/* The hard cap holds whatever the caller allows. */
	g_assert_cmpint(frame_header_only(HXFR_MAX_PAYLOAD_HARD + 1, UINT32_MAX, &need), ==,
			-EMSGSIZE);
	g_assert_cmpint(frame_header_only(UINT32_MAX, UINT32_MAX, &need), ==, -EMSGSIZE);
	g_assert_cmpint(frame_header_only(HXFR_MAX_PAYLOAD_HARD, UINT32_MAX, &need), ==, 0);
	g_assert_cmpuint(need, ==, HXFR_HEADER_SIZE + (size_t)HXFR_MAX_PAYLOAD_HARD);
	/* An empty payload under a zero cap is fine. */
	{
		uint8_t b[HXFR_HEADER_SIZE];
		struct hxfr_msg m;

		hxfr_build_empty(b, sizeof(b), HXFR_PING, 0);
		g_assert_cmpint(frame_copy(b, sizeof(b), 0, &m, &need), ==, 1);
		g_assert_cmpuint(m.total, ==, HXFR_HEADER_SIZE);
	}
}

/* An unknown type is framed so that it can be skipped by its size. */
static void unknown_type(void)
{
	uint8_t b[64];
	struct hxfr_msg m;
	size_t need = 0;
	ssize_t n = hxfr_build_header(b, sizeof(b), 0x7e, 0xff, 0xbeef, 5);

	g_assert_cmpint(n, ==, HXFR_HEADER_SIZE);
	memcpy(b + n, "abcde", 5);
	memcpy(b + n + 5, "HX", 2);
	g_assert_cmpint(frame_copy(b, 12 + 5 + 2, HXFR_MAX_PAYLOAD_DEFAULT, &m, &need), ==, 1);
	g_assert_cmpuint(m.total, ==, 17);
	g_assert_cmphex(m.hdr.type, ==, 0x7e);
	g_assert_cmphex(m.hdr.flags, ==, 0xff);
	g_assert_cmphex(m.hdr.session, ==, 0xbeef);
	g_assert_cmpmem(m.payload, 5, "abcde", 5);
	g_assert_false(hxfr_type_known(m.hdr.type));
	g_assert_cmpstr(hxfr_type_name(m.hdr.type), ==, "UNKNOWN");
	/* What follows is the next message's start. */
	g_assert_cmpint(frame_copy(b + m.total, 2, HXFR_MAX_PAYLOAD_DEFAULT, &m, &need), ==, 0);
	g_assert_cmpuint(need, ==, HXFR_HEADER_SIZE);
}

static void back_to_back(void)
{
	size_t count, off = 0, all = 0;
	struct sample *s = make_samples(&count);
	uint8_t *stream;

	for (size_t i = 0; i < count; i++)
		all += s[i].len;
	stream = g_malloc(all + 7);
	for (size_t i = 0; i < count; i++) {
		memcpy(stream + off, s[i].bytes, s[i].len);
		off += s[i].len;
	}
	memcpy(stream + off, s[0].bytes, 7); /* a partial header at the end */
	off = 0;
	for (size_t i = 0; i < count; i++) {
		struct hxfr_msg m;
		size_t need = 0;

		g_assert_cmpint(hxfr_frame(stream + off, all + 7 - off, HXFR_MAX_PAYLOAD_DEFAULT, &m,
					   &need), ==, 1);
		g_assert_cmpuint(m.total, ==, s[i].len);
		g_assert_true(m.payload == stream + off + HXFR_HEADER_SIZE);
		g_assert_cmpmem(stream + off, m.total, s[i].bytes, s[i].len);
		off += m.total;
	}
	g_assert_cmpuint(off, ==, all);
	{
		struct hxfr_msg m;
		size_t need = 0;

		g_assert_cmpint(hxfr_frame(stream + off, 7, HXFR_MAX_PAYLOAD_DEFAULT, &m, &need), ==,
				0);
		g_assert_cmpuint(need, ==, HXFR_HEADER_SIZE);
	}
	g_free(stream);
	g_free(s);
}

static void build_header(void)
{
	static const uint8_t want[12] = {'H', 'X', 'F', 'R', 0xab, 0xcd, 0x01, 0xef,
					 0x04, 0x03, 0x02, 0x01};
	uint8_t b[13];

	for (size_t cap = 0; cap < HXFR_HEADER_SIZE; cap++) {
		memset(b, 0xee, sizeof(b));
		g_assert_cmpint(hxfr_build_header(b, cap, 0xab, 0xcd, 0xef01, 0x01020304), ==,
				-ENOSPC);
		for (size_t i = cap; i < sizeof(b); i++)
			g_assert_cmphex(b[i], ==, 0xee);
	}
	memset(b, 0xee, sizeof(b));
	g_assert_cmpint(hxfr_build_header(b, 12, 0xab, 0xcd, 0xef01, 0x01020304), ==, 12);
	g_assert_cmpmem(b, 12, want, 12);
	g_assert_cmphex(b[12], ==, 0xee);
}

/* After a framing error on a lasting channel: skip to where a message may
 * start, never keeping the bad first byte; a header must be plausible. */
static void resync(void)
{
	uint8_t b[256];
	uint8_t hello[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];
	struct hxfr_hello h = {.version = HXFR_VERSION, .frame_paths = 1, .max_inflight = 1};
	struct hxfr_msg m;
	size_t need, skip;

	g_assert_cmpint(hxfr_build_hello(hello, sizeof(hello), 0, &h), ==, sizeof(hello));
	/* garbage, a magic with an unknown type, a magic with a huge size, then HELLO */
	memset(b, 0xee, sizeof(b));
	memcpy(b + 5, "HXFR\x7e\0\0\0\0\0\0\0", 12);
	memcpy(b + 20, "HXFR\x40\0\0\0\xff\xff\xff\x7f", 12);
	memcpy(b + 40, hello, sizeof(hello));
	skip = hxfr_resync(b, 40 + sizeof(hello), 1u << 20);
	g_assert_cmpuint(skip, ==, 40);
	g_assert_cmpint(hxfr_frame(b + skip, sizeof(hello), 1u << 20, &m, &need), ==, 1);
	g_assert_cmpuint(m.hdr.type, ==, HXFR_HELLO);
	/* the first byte is dropped even when it starts a valid header */
	g_assert_cmpuint(hxfr_resync(hello, sizeof(hello), 1u << 20), ==, sizeof(hello));
	/* a magic prefix at the end is kept: more bytes may complete it */
	memcpy(b, "\xee\xeeHX", 4);
	g_assert_cmpuint(hxfr_resync(b, 4, 1u << 20), ==, 2);
	memcpy(b, "\xeeHXF", 4);
	g_assert_cmpuint(hxfr_resync(b, 4, 1u << 20), ==, 1);
	memcpy(b, "\xeeHXQ", 4);
	g_assert_cmpuint(hxfr_resync(b, 4, 1u << 20), ==, 4);
	g_assert_cmpuint(hxfr_resync(b, 1, 1u << 20), ==, 1);
	/* the caller's cap counts: a payload over it is no start */
	memcpy(b, "\xeeHXFR\x44\0\0\0\x41\0\0\0", 13);
	g_assert_cmpuint(hxfr_resync(b, 13, 64), ==, 13);
	g_assert_cmpuint(hxfr_resync(b, 13, 65), ==, 1);
}

static void names(void)
{
	static const struct {
		uint8_t type;
		const char *name;
	} types[] = {
		{HXFR_FRAME_REQUEST, "FRAME_REQUEST"}, {HXFR_FRAME_RESPONSE, "FRAME_RESPONSE"},
		{HXFR_KEYFRAME_REQ, "KEYFRAME_REQ"}, {HXFR_CONFIG_REQ, "CONFIG_REQ"},
		{HXFR_CONFIG_RESP, "CONFIG_RESP"}, {HXFR_PING, "PING"}, {HXFR_PONG, "PONG"},
		{HXFR_ENABLE_SCANOUT, "ENABLE_SCANOUT"}, {HXFR_DISABLE_SCANOUT, "DISABLE_SCANOUT"},
		{HXFR_SCANOUT_RESP, "SCANOUT_RESP"}, {HXFR_SUBSCRIBE, "SUBSCRIBE"},
		{HXFR_SUBSCRIBE_RESP, "SUBSCRIBE_RESP"}, {HXFR_HELLO, "HELLO"},
		{HXFR_HELLO_RESP, "HELLO_RESP"}, {HXFR_SHM_ATTACH, "SHM_ATTACH"},
		{HXFR_SHM_ATTACH_RESP, "SHM_ATTACH_RESP"}, {HXFR_FRAME_SHM, "FRAME_SHM"},
		{HXFR_GOODBYE, "GOODBYE"}, {HXFR_INPUT, "INPUT"}, {HXFR_ERROR, "ERROR"},
	};
	static const int32_t codes[] = {
		HXFR_ERR_OK, HXFR_ERR_INVALID_MSG, HXFR_ERR_RESOURCE_NOT_FOUND,
		HXFR_ERR_NOT_METAL_TEXTURE, HXFR_ERR_NO_IOSURFACE, HXFR_ERR_ENCODE_FAILED,
		HXFR_ERR_NOT_CONFIGURED, HXFR_ERR_UNSUPPORTED, HXFR_ERR_LIMIT, HXFR_ERR_BUSY,
		HXFR_ERR_SHM, HXFR_ERR_VERSION, HXFR_ERR_NOT_FOUND, HXFR_ERR_INTERNAL,
	};
	int known = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		g_assert_cmpstr(hxfr_type_name(types[i].type), ==, types[i].name);
		g_assert_true(hxfr_type_known(types[i].type));
	}
	for (int t = 0; t < 256; t++) {
		const char *n = hxfr_type_name((uint8_t)t);

		g_assert_nonnull(n);
		if (hxfr_type_known((uint8_t)t))
			known++;
		else
			g_assert_cmpstr(n, ==, "UNKNOWN");
	}
	g_assert_cmpint(known, ==, (int)G_N_ELEMENTS(types));
	/* Helix's codes are unchanged. */
	g_assert_cmpint(HXFR_FRAME_REQUEST, ==, 0x01);
	g_assert_cmpint(HXFR_SUBSCRIBE_RESP, ==, 0x31);
	g_assert_cmpint(HXFR_ERROR, ==, 0xff);
	for (size_t i = 0; i < G_N_ELEMENTS(codes); i++) {
		const char *n = hxfr_error_name(codes[i]);

		g_assert_nonnull(n);
		g_assert_cmpstr(n, !=, "unknown error");
		for (size_t j = 0; j < i; j++)
			g_assert_cmpstr(n, !=, hxfr_error_name(codes[j]));
	}
	g_assert_cmpstr(hxfr_error_name(1), ==, "unknown error");
	g_assert_cmpstr(hxfr_error_name(-13), ==, "unknown error");
	g_assert_cmpstr(hxfr_error_name(INT32_MIN), ==, "unknown error");
	g_assert_cmpstr(hxfr_error_name(INT32_MAX), ==, "unknown error");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/framing/header-decode", header_decode);
	g_test_add_func("/framing/truncation", truncation);
	g_test_add_func("/framing/bad-magic", bad_magic);
	g_test_add_func("/framing/bad-magic-every-byte", bad_magic_every_byte);
	g_test_add_func("/framing/payload-caps", payload_caps);
	g_test_add_func("/framing/unknown-type", unknown_type);
	g_test_add_func("/framing/back-to-back", back_to_back);
	g_test_add_func("/framing/build-header", build_header);
	g_test_add_func("/framing/names", names);
	g_test_add_func("/framing/resync", resync);
	return g_test_run();
}
