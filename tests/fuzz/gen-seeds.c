/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes the generated part of the fuzz seed corpus:
 *   gen-seeds <seeds dir>   (tests/data/seeds)
 * One directory per fuzz target, files named gen-*: every message type,
 * valid with boundary values, plus a few malformed variants. The input
 * layouts are those of fuzz-decode.c, fuzz-framer.c and fuzz-ring.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hxfr/hxfr.h>

#define MAXMSG 1024

struct msg {
	const char *name;
	uint8_t b[MAXMSG];
	size_t len;
};

static const char *root;
static int failed;

static void put_le(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "gen-seeds: mkdir %s: %s\n", path, strerror(errno));
		failed = 1;
	}
}

static void write_seed(const char *target, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/%s/gen-%s", root, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "gen-seeds: %s: %s\n", path, strerror(errno));
		failed = 1;
	}
}

static void check(ssize_t n, const char *what)
{
	if (n < (ssize_t)HXFR_HEADER_SIZE) {
		fprintf(stderr, "gen-seeds: building %s failed: %zd\n", what, n);
		exit(1);
	}
}

static const uint8_t au[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0, 0, 0, 1, 0x68, 0xce,
			     0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33};

/* Builds every message; the table's order is the seeds' order. */
static size_t build_all(struct msg *m)
{
	size_t n = 0;
	ssize_t r;

#define ADD(label, expr)                                                        \
	do {                                                                    \
		m[n].name = label;                                              \
		r = (expr);                                                     \
		check(r, label);                                                \
		m[n].len = (size_t)r;                                           \
		n++;                                                            \
	} while (0)
#define B m[n].b, MAXMSG

	{
		struct hxfr_frame_request fr = {
			.resource_id = 7, .width = 1920, .height = 1080, .format = HXFR_FMT_BGRX,
			.stride = 7680, .pts_ns = 16666667, .duration_ns = 16666667,
			.force_keyframe = 1};
		ADD("frame-request-gpu", hxfr_build_frame_request(B, 1, &fr));
		fr = (struct hxfr_frame_request){.resource_id = UINT32_MAX, .width = 8192,
						 .height = 8192, .format = HXFR_FMT_NV12,
						 .stride = 65536, .pts_ns = INT64_MIN,
						 .duration_ns = INT64_MAX};
		ADD("frame-request-gpu-max", hxfr_build_frame_request(B, 0xffff, &fr));
		/* Inline 4x2 BGRA (32 bytes), 5x3 I420 (30), 3x3 NV12 (4*3 + 4*2 = 20). */
		fr = (struct hxfr_frame_request){.width = 4, .height = 2, .format = HXFR_FMT_BGRA,
						 .stride = 16, .pixels_len = 32};
		ADD("frame-request-inline-bgra", hxfr_build_frame_request(B, 1, &fr));
		memset(m[n - 1].b + m[n - 1].len, 0x80, 32);
		m[n - 1].len += 32;
		fr = (struct hxfr_frame_request){.width = 5, .height = 3, .format = HXFR_FMT_I420,
						 .stride = 6, .pixels_len = 30, .pts_ns = -1};
		ADD("frame-request-inline-i420", hxfr_build_frame_request(B, 1, &fr));
		memset(m[n - 1].b + m[n - 1].len, 0x10, 30);
		m[n - 1].len += 30;
		fr = (struct hxfr_frame_request){.width = 3, .height = 3, .format = HXFR_FMT_NV12,
						 .stride = 4, .pixels_len = 20};
		ADD("frame-request-inline-nv12", hxfr_build_frame_request(B, 1, &fr));
		memset(m[n - 1].b + m[n - 1].len, 0x7f, 20);
		m[n - 1].len += 20;
	}
	{
		struct hxfr_frame_response rs = {.pts_ns = 33333333, .dts_ns = 16666667,
						 .is_keyframe = 1, .au = au, .au_len = sizeof(au)};
		ADD("frame-response", hxfr_build_frame_response(B, 1, 0, &rs));
		memcpy(m[n - 1].b + m[n - 1].len, au, sizeof(au));
		m[n - 1].len += sizeof(au);
		ADD("frame-response-replayed",
		    hxfr_build_frame_response(B, 1, HXFR_FLAG_REPLAYED, &rs));
		memcpy(m[n - 1].b + m[n - 1].len, au, sizeof(au));
		m[n - 1].len += sizeof(au);
		rs = (struct hxfr_frame_response){.pts_ns = INT64_MIN, .dts_ns = INT64_MAX};
		ADD("frame-response-dropped",
		    hxfr_build_frame_response(B, 2, HXFR_FLAG_DROPPED | HXFR_FLAG_REPLAYED, &rs));
	}
	ADD("keyframe-req", hxfr_build_empty(B, HXFR_KEYFRAME_REQ, 1));
	{
		struct hxfr_config_resp c = {
			.status = HXFR_ERR_OK,
			.applied = {.width = 1280, .height = 720, .bitrate = 4000000, .fps_num = 30,
				    .fps_den = 1, .profile = 100, .level = 31, .realtime = 1}};
		ADD("config-req", hxfr_build_config_req(B, 1, &c.applied));
		c.applied = (struct hxfr_config){.width = 8192, .height = 8192,
						 .bitrate = 1000000000, .fps_num = 240,
						 .fps_den = 1, .profile = 66, .level = 62};
		ADD("config-req-max", hxfr_build_config_req(B, 1, &c.applied));
		c.applied = (struct hxfr_config){0};
		ADD("config-req-unchanged", hxfr_build_config_req(B, 1, &c.applied));
		c.status = HXFR_ERR_UNSUPPORTED;
		c.applied = (struct hxfr_config){.width = 1, .height = 1, .bitrate = 10000,
						 .fps_num = 1, .fps_den = 10, .profile = 77,
						 .level = 10};
		ADD("config-resp", hxfr_build_config_resp(B, 1, &c));
	}
	{
		struct hxfr_ping p = {.has_time = false};
		ADD("ping", hxfr_build_ping(B, HXFR_PING, 0, &p));
		ADD("pong", hxfr_build_ping(B, HXFR_PONG, 0, &p));
		p = (struct hxfr_ping){.has_time = true, .time_ns = UINT64_MAX, .host_time_ns = 1};
		ADD("ping-time", hxfr_build_ping(B, HXFR_PING, 0, &p));
		ADD("pong-time", hxfr_build_ping(B, HXFR_PONG, 0, &p));
	}
	{
		struct hxfr_enable_scanout es = {.id = 15, .width = 8192, .height = 8192,
						 .refresh_hz = 240};
		ADD("enable-scanout", hxfr_build_enable_scanout(B, 15, &es));
	}
	ADD("disable-scanout", hxfr_build_u32(B, HXFR_DISABLE_SCANOUT, 3, 3));
	ADD("subscribe", hxfr_build_u32(B, HXFR_SUBSCRIBE, 3, 3));
	{
		struct hxfr_scanout_resp sr = {.id = 3, .success = 1, .name = "Virtual-4"};
		ADD("scanout-resp", hxfr_build_scanout_resp(B, 3, &sr));
		/* Helix's QEMU leaves garbage after the NUL. */
		memset(m[n - 1].b + HXFR_HEADER_SIZE + 8 + 10, 0xcc, 54);
		sr = (struct hxfr_scanout_resp){.id = 0, .success = 0};
		ADD("scanout-resp-failed", hxfr_build_scanout_resp(B, 0, &sr));
	}
	{
		struct hxfr_subscribe_resp su = {.id = 3, .success = 1};
		ADD("subscribe-resp", hxfr_build_subscribe_resp(B, 3, &su));
	}
	{
		struct hxfr_hello h = {.version = HXFR_VERSION, .frame_paths = HXFR_PATH_ALL,
				       .max_inflight = 8, .name = "vsockenc/1.0"};
		ADD("hello", hxfr_build_hello(B, 0, &h));
	}
	{
		struct hxfr_hello_resp hr = {
			.version = HXFR_VERSION, .frame_paths = 3, .max_width = 3840,
			.max_height = 2160, .max_payload = HXFR_MAX_PAYLOAD_DEFAULT,
			.max_inflight = 16, .encoder_flags = HXFR_ENC_HARDWARE,
			.formats = HXFR_FMTBIT_ALL, .profile = 100, .level = 51,
			.encoder = "h264_vaapi"};
		ADD("hello-resp", hxfr_build_hello_resp(B, 1, &hr));
	}
	{
		struct hxfr_shm_attach sa = {.ring_offset = 4096, .ring_size = 64 << 20,
					     .name = "ring0", .ring_id = 0x1122334455667788ull};
		ADD("shm-attach", hxfr_build_shm_attach(B, 1, &sa));
		sa = (struct hxfr_shm_attach){.ring_offset = UINT64_MAX - 16383, .ring_size = 8192,
					      .ring_id = 1};
		ADD("shm-attach-high", hxfr_build_shm_attach(B, 1, &sa));
	}
	{
		struct hxfr_input in = {.kind = HXFR_INPUT_KEY, .down = 1, .code = 30};

		ADD("input-key", hxfr_build_input(B, 0, &in));
		in = (struct hxfr_input){.kind = HXFR_INPUT_MOTION_ABS, .x = 32767, .y = 16000};
		ADD("input-abs", hxfr_build_input(B, 0, &in));
		in = (struct hxfr_input){.kind = HXFR_INPUT_WHEEL, .dy = -3};
		ADD("input-wheel", hxfr_build_input(B, 0, &in));
		ADD("goodbye", hxfr_build_empty(B, HXFR_GOODBYE, 0));
	}
	{
		struct hxfr_shm_attach_resp sar = {.status = 0, .slot_count = 4,
						   .slot_size = 8 << 20};
		ADD("shm-attach-resp", hxfr_build_shm_attach_resp(B, 1, &sar));
		sar = (struct hxfr_shm_attach_resp){.status = HXFR_ERR_SHM};
		ADD("shm-attach-resp-error", hxfr_build_shm_attach_resp(B, 1, &sar));
	}
	{
		struct hxfr_frame_shm fs = {.slot = 3, .format = HXFR_FMT_NV12, .width = 1920,
					    .height = 1080, .stride = {1920, 1920},
					    .plane_offset = {0, 1920 * 1080}, .pts_ns = 1,
					    .duration_ns = 2, .flags = HXFR_FRAME_SHM_KEYFRAME};
		ADD("frame-shm-nv12", hxfr_build_frame_shm(B, 1, &fs));
		fs = (struct hxfr_frame_shm){.slot = 63, .format = HXFR_FMT_I420, .width = 7,
					     .height = 5, .stride = {7, 4, 4},
					     .plane_offset = {0, 35, 52}};
		ADD("frame-shm-i420", hxfr_build_frame_shm(B, 1, &fs));
		fs = (struct hxfr_frame_shm){.format = HXFR_FMT_BGRX, .width = 8192, .height = 8192,
					     .stride = {65536}, .plane_offset = {UINT32_MAX}};
		ADD("frame-shm-bgrx-max", hxfr_build_frame_shm(B, 1, &fs));
	}
	{
		struct hxfr_error e = {.code = HXFR_ERR_LIMIT, .offending_type = HXFR_FRAME_REQUEST,
				       .message = "payload over the limit"};
		ADD("error", hxfr_build_error(B, 1, &e));
		e = (struct hxfr_error){.code = INT32_MIN, .offending_type = 0x99};
		memcpy(e.message, "tab\there \x01\x7f", 11);
		ADD("error-unprintable", hxfr_build_error(B, 1, &e));
	}
	ADD("unknown-type", hxfr_build_header(B, 0x7e, 0x80, 9, 5));
	memcpy(m[n - 1].b + HXFR_HEADER_SIZE, "HXFR!", 5);
	m[n - 1].len += 5;
#undef ADD
#undef B
	return n;
}

/* fuzz-decode.c layout: flags, type selector, payload. */
static void decoder_seed(const char *target, const char *name, const struct msg *m,
			 uint8_t selector, int resize, int patch_off, uint8_t patch_val)
{
	uint8_t buf[2 + MAXMSG + 8];
	size_t plen = m->len - HXFR_HEADER_SIZE;

	buf[0] = m->b[5];
	buf[1] = selector;
	memcpy(buf + 2, m->b + HXFR_HEADER_SIZE, plen);
	if (resize > 0)
		memset(buf + 2 + plen, 0, (size_t)resize);
	if (resize < 0 && (size_t)-resize > plen)
		return;
	plen = (size_t)((ssize_t)plen + resize);
	if (patch_off >= 0 && (size_t)patch_off < plen)
		buf[2 + patch_off] = patch_val;
	write_seed(target, name, buf, 2 + plen);
}

static const struct {
	uint8_t type;
	const char *target;
	uint8_t selector; /* index of the type in fuzz-decode.c's table */
} decoders[] = {
	{HXFR_FRAME_REQUEST, "decode-frame-request", 0},
	{HXFR_FRAME_RESPONSE, "decode-frame-response", 0},
	{HXFR_KEYFRAME_REQ, "decode-empty", 0},
	{HXFR_PING, "decode-empty", 1},
	{HXFR_PONG, "decode-empty", 2},
	{HXFR_CONFIG_REQ, "decode-config-req", 0},
	{HXFR_CONFIG_RESP, "decode-config-resp", 0},
	{HXFR_PING, "decode-ping", 0},
	{HXFR_PONG, "decode-ping", 1},
	{HXFR_ENABLE_SCANOUT, "decode-enable-scanout", 0},
	{HXFR_DISABLE_SCANOUT, "decode-u32", 0},
	{HXFR_SUBSCRIBE, "decode-u32", 1},
	{HXFR_SCANOUT_RESP, "decode-scanout-resp", 0},
	{HXFR_SUBSCRIBE_RESP, "decode-subscribe-resp", 0},
	{HXFR_HELLO, "decode-hello", 0},
	{HXFR_HELLO_RESP, "decode-hello-resp", 0},
	{HXFR_SHM_ATTACH, "decode-shm-attach", 0},
	{HXFR_SHM_ATTACH_RESP, "decode-shm-attach-resp", 0},
	{HXFR_FRAME_SHM, "decode-frame-shm", 0},
	{HXFR_ERROR, "decode-error", 0},
	{HXFR_INPUT, "decode-input", 0},
	{HXFR_GOODBYE, "decode-empty", 3},
};

static void decoder_seeds(const struct msg *m, size_t count)
{
	for (size_t d = 0; d < sizeof(decoders) / sizeof(decoders[0]); d++) {
		const char *t = decoders[d].target;
		int k = 0;

		for (size_t i = 0; i < count; i++) {
			char name[128];
			size_t plen = m[i].len - HXFR_HEADER_SIZE;

			if (m[i].b[4] != decoders[d].type)
				continue;
			snprintf(name, sizeof(name), "%s", m[i].name);
			decoder_seed(t, name, &m[i], decoders[d].selector, 0, -1, 0);
			if (k++)
				continue; /* malformed variants of the first one only */
			snprintf(name, sizeof(name), "%s-long", m[i].name);
			decoder_seed(t, name, &m[i], decoders[d].selector, 1, -1, 0);
			snprintf(name, sizeof(name), "%s-short", m[i].name);
			decoder_seed(t, name, &m[i], decoders[d].selector, -1, -1, 0);
			if (plen) {
				snprintf(name, sizeof(name), "%s-last-byte", m[i].name);
				decoder_seed(t, name, &m[i], decoders[d].selector, 0,
					     (int)plen - 1, 0xff);
			}
		}
	}
	/* A wrong type through the 0xff selector. */
	{
		uint8_t wrong[3 + HXFR_CONFIG_REQ_SIZE] = {0, 0xff, HXFR_CONFIG_RESP};
		write_seed("decode-config-req", "wrong-type", wrong, sizeof(wrong));
	}
}

/* fuzz-framer.c layout: 4-byte chunk seed, cap selector, stream. */
static void framer_seeds(const struct msg *m, size_t count)
{
	static uint8_t buf[5 + 64 * MAXMSG];
	size_t len = 5;

	memcpy(buf, "\x01\x02\x03\x04\x00", 5);
	for (size_t i = 0; i < count; i++) {
		char name[128];
		uint8_t one[5 + MAXMSG];

		memcpy(one, "\x11\x22\x33\x44\x00", 5);
		memcpy(one + 5, m[i].b, m[i].len);
		snprintf(name, sizeof(name), "%s", m[i].name);
		write_seed("framer", name, one, 5 + m[i].len);
		memcpy(buf + len, m[i].b, m[i].len);
		len += m[i].len;
	}
	write_seed("framer", "all-messages", buf, len);
	/* The same stream read with a 64-byte cap (selector 1, 4 * 16). */
	buf[4] = 1 | 4 << 2;
	write_seed("framer", "all-messages-cap64", buf, len);
	buf[4] = 2;
	/* Ends in a truncated message, then in a bad magic. */
	write_seed("framer", "truncated-tail", buf, len - 3);
	memcpy(buf + len, "HXFX", 4);
	write_seed("framer", "bad-magic-tail", buf, len + 4);
	/* A header claiming more than the hard cap. */
	{
		uint8_t big[5 + HXFR_HEADER_SIZE] = {9, 9, 9, 9, 2};

		hxfr_build_header(big + 5, HXFR_HEADER_SIZE, HXFR_FRAME_REQUEST, 1, 0,
				  HXFR_MAX_PAYLOAD_HARD + 1);
		write_seed("framer", "over-hard-cap", big, sizeof(big));
	}
}

/* fuzz-ring.c layout: mode, u64 region size, FRAME_SHM payload, mapping. */
static void ring_seed(const char *name, uint8_t mode, uint64_t region,
		      const struct hxfr_frame_shm *f, const uint8_t *map, size_t map_len)
{
	static uint8_t buf[1 + 8 + HXFR_FRAME_SHM_SIZE + 8192];
	uint8_t msg[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];

	check(hxfr_build_frame_shm(msg, sizeof(msg), 0, f), name);
	buf[0] = mode;
	put_le(buf + 1, region, 8);
	memcpy(buf + 9, msg + HXFR_HEADER_SIZE, HXFR_FRAME_SHM_SIZE);
	memcpy(buf + 9 + HXFR_FRAME_SHM_SIZE, map, map_len);
	write_seed("ring", name, buf, 9 + HXFR_FRAME_SHM_SIZE + map_len);
}

static void ring_seeds(void)
{
	static uint8_t map[4096 + 2 * 64];
	/* 7x5 I420 exactly filling a 64-byte slot; NV12 7x5 too. */
	struct hxfr_frame_shm i420 = {.slot = 1, .format = HXFR_FMT_I420, .width = 7, .height = 5,
				      .stride = {7, 4, 4}, .plane_offset = {0, 35, 52}};
	struct hxfr_frame_shm nv12 = {.slot = 0, .format = HXFR_FMT_NV12, .width = 7, .height = 5,
				      .stride = {8, 8}, .plane_offset = {0, 40}};
	struct hxfr_frame_shm bgrx = {.slot = 0, .format = HXFR_FMT_BGRX, .width = 8192,
				      .height = 8192, .stride = {32768}};
	struct hxfr_frame_shm over = i420;

	if (hxfr_ring_init(map, sizeof(map), 2, 64, 0x1234) < 0) {
		fprintf(stderr, "gen-seeds: ring init failed\n");
		exit(1);
	}
	ring_seed("real-i420", 0, 0, &i420, map, sizeof(map));
	ring_seed("real-nv12", 0, 0, &nv12, map, sizeof(map));
	over.plane_offset[2] = 53;
	ring_seed("real-one-byte-over", 0, 0, &over, map, sizeof(map));
	ring_seed("real-short-region", 0, 0, &i420, map, sizeof(map) - 1);
	ring_seed("real-with-init", 2, 0, &i420, map, sizeof(map));
	/* Header only, in a large region: 4 slots of 256 MiB. */
	{
		uint8_t hdr[4096 + 64];

		if (hxfr_ring_init(hdr, 4096 + 4ull * (256 << 20), 4, 256 << 20, 0x1234) < 0)
			exit(1);
		ring_seed("virtual-bgrx-8192", 1, 4096 + 4ull * (256 << 20), &bgrx, hdr, 64);
		ring_seed("virtual-too-small", 1, 4096 + 3ull * (256 << 20), &bgrx, hdr, 64);
		put_le(hdr + 16, 1ull << 62, 8);
		ring_seed("virtual-overflow", 1, UINT64_MAX, &bgrx, hdr, 64);
	}
}

int main(int argc, char **argv)
{
	static struct msg msgs[64];
	size_t count;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-seeds <seeds dir>\n");
		return 2;
	}
	root = argv[1];
	mkdir_p(root);
	count = build_all(msgs);
	decoder_seeds(msgs, count);
	framer_seeds(msgs, count);
	ring_seeds();
	return failed;
}
