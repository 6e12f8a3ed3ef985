/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared-memory ring: init/read round trip, every header check, and frame
 * bounds in a slot (exact fit accepted, one byte over rejected).
 *
 * Not reachable, so not covered: hxfr_ring_check_frame()'s -EOVERFLOW
 * (geometry is checked first: a stride < 2^32 times rows <= 8192 plus an
 * offset < 2^32 cannot overflow 64 bits) and hxfr_ring_init()'s final -EINVAL
 * (the 64-byte header always fits). */
#include "wire-test.h"

#define GUARD 0xee

static uint64_t align_4k(uint64_t v)
{
	return (v + 4095) / 4096 * 4096;
}

static void init_read_one(uint32_t count, uint64_t slot_size, uint64_t slack)
{
	uint64_t data_offset = align_4k(HXFR_RING_HEADER_SIZE + count * 16ull);
	uint64_t size = data_offset + count * slot_size + slack;
	uint8_t *mem = g_malloc(size);
	struct hxfr_ring_header h;
	const char *why = NULL;

	g_test_message("%u slots of %" G_GUINT64_FORMAT " bytes", count, slot_size);
	memset(mem, GUARD, size);
	g_assert_cmpint(hxfr_ring_init(mem, size, count, slot_size, 0x1234), ==, 0);
	/* Header and slot headers are written, zero-padded; slot data is not. */
	g_assert_cmphex(get_le32(mem), ==, HXFR_RING_MAGIC);
	g_assert_cmpmem(mem, 4, "HXRG", 4);
	g_assert_cmphex(get_le32(mem + 32), ==, 0x1234); /* ring_id, low half */
	for (uint64_t i = 36; i < data_offset; i++)
		g_assert_cmphex(mem[i], ==, 0);
	for (uint64_t i = data_offset; i < size; i++)
		g_assert_cmphex(mem[i], ==, GUARD);
	memset(&h, 0xa5, sizeof(h));
	assert_result(hxfr_ring_header_read(mem, size, &h, &why), why, 0, NULL);
	g_assert_cmphex(h.magic, ==, HXFR_RING_MAGIC);
	g_assert_cmpuint(h.version, ==, HXFR_RING_VERSION);
	g_assert_cmpuint(h.slot_count, ==, count);
	g_assert_cmpuint(h.slot_header_offset, ==, HXFR_RING_HEADER_SIZE);
	g_assert_cmpuint(h.slot_size, ==, slot_size);
	g_assert_cmpuint(h.data_offset, ==, data_offset);
	for (uint32_t i = 0; i < count; i++)
		g_assert_cmpuint(hxfr_ring_slot_data_offset(&h, i), ==, data_offset + i * slot_size);
	g_assert_cmpuint(hxfr_ring_slot_data_offset(&h, count - 1) + slot_size, <=, size);
	/* The region one byte short is refused by both sides. */
	if (slack == 0) {
		g_assert_cmpint(hxfr_ring_header_read(mem, size - 1, &h, &why), ==, -E2BIG);
		g_assert_cmpint(hxfr_ring_init(mem, size - 1, count, slot_size, 0x1234), ==, -E2BIG);
	}
	g_free(mem);
}

static void init_read(void)
{
	init_read_one(1, 64, 0);
	init_read_one(2, 4096, 0);
	init_read_one(4, 1 << 16, 100);
	init_read_one(63, 64, 0);
	init_read_one(64, 64, 0);
	init_read_one(64, 4096, 0);
	init_read_one(3, 640 * 480 * 4, 0);
}

static void init_errors(void)
{
	uint8_t mem[8192];
	static const struct {
		uint32_t count;
		uint64_t slot_size, size;
		int err;
	} bad[] = {
		{0, 64, 8192, -EINVAL},
		{65, 64, 8192, -EINVAL},
		{UINT32_MAX, 64, 8192, -EINVAL},
		{1, 0, 8192, -EINVAL},
		{1, 63, 8192, -EINVAL},
		{1, 65, 8192, -EINVAL},
		{1, 4097, 8192, -EINVAL},
		{1, 4160, 8192, -E2BIG},       /* 4096 + 4160 > 8192 */
		{1, 64, 4096 + 63, -E2BIG},    /* one byte short */
		{1, 64, 0, -E2BIG},
		{1, 64, 100, -E2BIG},          /* not even the slot headers fit */
		{64, 1ull << 58, UINT64_MAX, -E2BIG}, /* 64 * 2^58 overflows */
		{1, UINT64_MAX - 63, UINT64_MAX, -E2BIG}, /* + data_offset overflows */
		{2, 1ull << 63, UINT64_MAX, -E2BIG},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("case %zu", i);
		memset(mem, GUARD, sizeof(mem));
		g_assert_cmpint(hxfr_ring_init(mem, bad[i].size, bad[i].count, bad[i].slot_size, 0x1234), ==,
				bad[i].err);
		for (size_t j = 0; j < sizeof(mem); j++)
			g_assert_cmphex(mem[j], ==, GUARD);
	}
	/* Exactly fitting. */
	g_assert_cmpint(hxfr_ring_init(mem, 8192, 1, 4096, 0x1234), ==, 0);
}

/* ---- header validation ----------------------------------------------------- */

#define RING_SIZE (4096 + 4 * 4096)

struct rcase {
	const char *name;
	uint16_t off; /* into the header */
	uint8_t width; /* 0: no patch */
	uint64_t val;
	uint16_t off2;
	uint8_t width2;
	uint64_t val2;
	uint64_t size; /* 0: RING_SIZE */
	int err;
	const char *why;
};

static const struct rcase rcases[] = {
	{"valid", 0, 0, 0, .err = 0},
	{"reserved-first", 40, 1, 1, .err = -ENOTSUP, .why = "reserved"},
	{"ring-id-zero-is-read", 32, 8, 0, .err = 0},
	{"reserved-last", 63, 1, 0x80, .err = -ENOTSUP, .why = "reserved"},
	{"magic", 0, 4, HXFR_FOURCC('H', 'X', 'F', 'R'), .err = -EINVAL, .why = "magic"},
	{"magic-byte-swapped", 0, 4, HXFR_FOURCC('G', 'R', 'X', 'H'), .err = -EINVAL,
	 .why = "magic"},
	{"version-0", 4, 4, 0, .err = -ENOTSUP, .why = "version"},
	{"version-2", 4, 4, 2, .err = -ENOTSUP, .why = "version"},
	{"slot-count-0", 8, 4, 0, .err = -EINVAL, .why = "slot_count"},
	{"slot-count-65", 8, 4, 65, .err = -EINVAL, .why = "slot_count"},
	{"slot-count-u32max", 8, 4, UINT32_MAX, .err = -EINVAL, .why = "slot_count"},
	{"slot-count-1", 8, 4, 1},
	{"slot-headers-at-0", 12, 4, 0, .err = -EINVAL, .why = "slot headers"},
	{"slot-headers-at-56", 12, 4, 56, .err = -EINVAL, .why = "slot headers"},
	{"slot-headers-misaligned", 12, 4, 68, .err = -EINVAL, .why = "slot headers"},
	{"slot-headers-at-72", 12, 4, 72},
	{"slot-headers-end-past-data", 12, 4, 4096 - 4 * 16 + 8, .err = -EINVAL,
	 .why = "data_offset"},
	{"slot-headers-end-at-data", 12, 4, 4096 - 4 * 16},
	{"slot-headers-at-u32max-aligned", 12, 4, UINT32_MAX - 7, .err = -EINVAL,
	 .why = "data_offset"},
	{"data-offset-unaligned", 24, 8, 4097, .err = -EINVAL, .why = "data_offset"},
	{"data-offset-0", 24, 8, 0, .err = -EINVAL, .why = "data_offset"},
	{"data-offset-8192", 24, 8, 8192, 16, 8, 2048},
	{"slot-size-0", 16, 8, 0, .err = -EINVAL, .why = "slot_size"},
	{"slot-size-100", 16, 8, 100, .err = -EINVAL, .why = "slot_size"},
	{"slot-size-64", 16, 8, 64},
	{"slots-overflow-u64", 16, 8, 1ull << 62, .err = -EOVERFLOW, .why = "overflows"},
	{"slots-overflow-u64-max", 16, 8, UINT64_MAX - 63, .err = -EOVERFLOW, .why = "overflows"},
	{"data-offset-overflow", 24, 8, UINT64_MAX - 4095, .err = -EOVERFLOW, .why = "overflows"},
	{"slots-past-region", 16, 8, 4096 + 64, .err = -E2BIG, .why = "past the shared region"},
	{"data-offset-past-region", 24, 8, 8192, .err = -E2BIG, .why = "past the shared region"},
	{"region-one-byte-short", 0, 0, 0, .size = RING_SIZE - 1, .err = -E2BIG,
	 .why = "past the shared region"},
	{"region-63", 0, 0, 0, .size = 63, .err = -EINVAL, .why = "smaller than the ring header"},
	{"region-1", 0, 0, 0, .size = 1, .err = -EINVAL, .why = "smaller than the ring header"},
	{"region-64", 0, 0, 0, .size = 64, .err = -E2BIG, .why = "past the shared region"},
	{"huge-slots-huge-region", 16, 8, 1ull << 61, .size = UINT64_MAX},
};

static void run_rcase(const void *data)
{
	const struct rcase *c = data;
	uint64_t size = c->size ? c->size : RING_SIZE;
	/* Only the 64-byte header may be read whatever the region size: give
	 * the reader exactly that much so that ASan sees any further read. */
	uint8_t *mem = g_malloc(HXFR_RING_HEADER_SIZE);
	struct hxfr_ring_header h;
	const char *why = NULL;
	int r;

	/* What hxfr_ring_init writes for 4 slots of 4096 bytes. */
	memset(mem, 0, HXFR_RING_HEADER_SIZE);
	memcpy(mem, "HXRG", 4);
	put_le(mem + 4, HXFR_RING_VERSION, 4);
	put_le(mem + 8, 4, 4);
	put_le(mem + 12, HXFR_RING_HEADER_SIZE, 4);
	put_le(mem + 16, 4096, 8);
	put_le(mem + 24, 4096, 8);
	put_le(mem + 32, 0x1234, 8);
	if (c->width)
		put_le(mem + c->off, c->val, c->width);
	if (c->width2)
		put_le(mem + c->off2, c->val2, c->width2);
	r = hxfr_ring_header_read(mem, size, &h, &why);
	assert_result(r, why, c->err, c->why);
	g_assert_cmpint(hxfr_ring_header_read(mem, size, &h, NULL), ==, r);
	if (r == 0) {
		/* Everything the reader promises holds. */
		g_assert_cmpuint(h.data_offset % 4096, ==, 0);
		g_assert_cmpuint(h.slot_header_offset + 16ull * h.slot_count, <=, h.data_offset);
		g_assert_cmpuint(h.slot_size % 64, ==, 0);
		g_assert_cmpuint(hxfr_ring_slot_data_offset(&h, h.slot_count - 1) + h.slot_size, <=,
				 size);
	}
	g_free(mem);
}

/* The header is copied once: later changes to the mapping are not seen. */
static void header_is_copied(void)
{
	uint8_t mem[4096 + 64];
	struct hxfr_ring_header h;
	const char *why = NULL;

	g_assert_cmpint(hxfr_ring_init(mem, sizeof(mem), 1, 64, 0x1234), ==, 0);
	g_assert_cmpint(hxfr_ring_header_read(mem, sizeof(mem), &h, &why), ==, 0);
	put_le(mem + 16, 1ull << 40, 8);
	g_assert_cmpuint(h.slot_size, ==, 64);
	g_assert_cmpuint(h.ring_id, ==, 0x1234);
}

/* ---- frames in slots ----------------------------------------------------- */

static struct hxfr_ring_header ring_hdr(uint32_t count, uint64_t slot_size)
{
	struct hxfr_ring_header h = {.magic = HXFR_RING_MAGIC, .version = HXFR_RING_VERSION,
				     .slot_count = count, .slot_header_offset = 64,
				     .slot_size = slot_size, .data_offset = 4096};
	return h;
}

static void check(const struct hxfr_ring_header *h, const struct hxfr_frame_shm *f, int want,
		  const char *why_part)
{
	uint64_t off = 0;
	const char *why = NULL;
	int r = hxfr_ring_check_frame(h, f, &off, &why);

	assert_result(r, why, want, why_part);
	if (r == 0)
		g_assert_cmpuint(off, ==, h->data_offset + f->slot * h->slot_size);
}

static void frame_exact_fit(void)
{
	/* BGRx 16x4, stride 64: 256 bytes. */
	struct hxfr_ring_header h = ring_hdr(4, 256);
	struct hxfr_frame_shm f = {.slot = 3, .format = HXFR_FMT_BGRX, .width = 16, .height = 4,
				   .stride = {64}};

	check(&h, &f, 0, NULL);
	f.plane_offset[0] = 1;
	check(&h, &f, -E2BIG, "past the slot");
	f.plane_offset[0] = 0;
	f.stride[0] = 65; /* 260 bytes */
	check(&h, &f, -E2BIG, "past the slot");
	f.stride[0] = 63;
	check(&h, &f, -EINVAL, "stride smaller");
	f.stride[0] = 64;
	f.format = HXFR_FMT_RGBA;
	check(&h, &f, 0, NULL);
	f.height = 5;
	check(&h, &f, -E2BIG, "past the slot");
}

static void frame_nv12_odd(void)
{
	/* 7x5: luma 7 wide x 5 rows, chroma 8 wide (4 UV pairs) x 3 rows. */
	struct hxfr_ring_header h = ring_hdr(2, 64);
	struct hxfr_frame_shm f = {.slot = 1, .format = HXFR_FMT_NV12, .width = 7, .height = 5,
				   .stride = {8, 8}, .plane_offset = {0, 40}};

	check(&h, &f, 0, NULL); /* 40 + 24 = 64 */
	f.plane_offset[1] = 41;
	check(&h, &f, -E2BIG, "past the slot");
	f.plane_offset[1] = 40;
	f.plane_offset[0] = 25; /* luma 25 + 40 = 65 */
	check(&h, &f, -E2BIG, "past the slot");
	f.plane_offset[0] = 0;
	f.stride[1] = 7; /* chroma row is 8 bytes for an odd width */
	check(&h, &f, -EINVAL, "stride smaller");
	f.stride[1] = 8;
	f.stride[0] = 6;
	check(&h, &f, -EINVAL, "stride smaller");
}

static void frame_i420_odd(void)
{
	/* 7x5: luma 7x5 = 35, chroma 4x3 = 12 each. */
	struct hxfr_ring_header h = ring_hdr(1, 64);
	struct hxfr_frame_shm f = {.slot = 0, .format = HXFR_FMT_I420, .width = 7, .height = 5,
				   .stride = {7, 4, 4}, .plane_offset = {0, 35, 52}};

	check(&h, &f, 0, NULL); /* plane 2 ends at 64 */
	f.plane_offset[2] = 53;
	check(&h, &f, -E2BIG, "past the slot");
	f.plane_offset[2] = 52;
	f.plane_offset[1] = 53;
	check(&h, &f, -E2BIG, "past the slot");
	f.plane_offset[1] = 35;
	f.stride[2] = 3;
	check(&h, &f, -EINVAL, "stride smaller");
	f.stride[2] = 4;
	f.stride[1] = 3;
	check(&h, &f, -EINVAL, "stride smaller");
	/* Even sizes: 8x6 -> 48 + 12 + 12 = 72 in a 128-byte slot. */
	h = ring_hdr(1, 128);
	f = (struct hxfr_frame_shm){.format = HXFR_FMT_I420, .width = 8, .height = 6,
				    .stride = {8, 4, 4}, .plane_offset = {0, 48, 116}};
	check(&h, &f, 0, NULL);
	f.plane_offset[2] = 117;
	check(&h, &f, -E2BIG, "past the slot");
}

static void frame_slot_and_geometry(void)
{
	struct hxfr_ring_header h = ring_hdr(4, 1 << 20);
	struct hxfr_frame_shm f = {.slot = 4, .format = HXFR_FMT_BGRX, .width = 16, .height = 4,
				   .stride = {64}};

	check(&h, &f, -EINVAL, "slot index");
	f.slot = UINT32_MAX;
	check(&h, &f, -EINVAL, "slot index");
	f.slot = 0;
	f.format = 0;
	check(&h, &f, -ENOTSUP, "pixel format");
	f.format = HXFR_FMT_BGRX;
	f.width = 0;
	check(&h, &f, -EINVAL, "zero width");
	f.width = 16;
	f.height = 0;
	check(&h, &f, -EINVAL, "zero width");
	f.height = 8193;
	check(&h, &f, -E2BIG, "over 8192");
	f.height = 4;
	f.width = UINT32_MAX;
	check(&h, &f, -E2BIG, "over 8192");
}

/* Offsets near 2^32 plus stride * rows: computed in 64 bits, never wrapped. */
static void frame_offset_overflow(void)
{
	struct hxfr_ring_header h = ring_hdr(1, 1ull << 32);
	struct hxfr_frame_shm f = {.format = HXFR_FMT_BGRX, .width = 8192, .height = 8192,
				   .stride = {65536}, .plane_offset = {UINT32_MAX}};

	check(&h, &f, -E2BIG, "past the slot");
	f.plane_offset[0] = UINT32_MAX - (1u << 29) + 1; /* ends at 2^32 exactly */
	check(&h, &f, 0, NULL);
	f.plane_offset[0]++;
	check(&h, &f, -E2BIG, "past the slot");
	/* In a 2^33 slot the same plane fits. */
	h = ring_hdr(1, 1ull << 33);
	f.plane_offset[0] = UINT32_MAX;
	check(&h, &f, 0, NULL);
	/* Stride UINT32_MAX: over the stride cap, before any size arithmetic. */
	f.stride[0] = UINT32_MAX;
	f.plane_offset[0] = 0;
	check(&h, &f, -E2BIG, "stride over 65536");
	/* Chroma offsets too. */
	h = ring_hdr(1, 4096);
	f = (struct hxfr_frame_shm){.format = HXFR_FMT_NV12, .width = 64, .height = 32,
				    .stride = {64, 64}, .plane_offset = {0, UINT32_MAX}};
	check(&h, &f, -E2BIG, "past the slot");
	/* 8192x8192 BGRA exactly filling a 256 MiB slot. */
	h = ring_hdr(1, 8192ull * 8192 * 4);
	f = (struct hxfr_frame_shm){.format = HXFR_FMT_BGRA, .width = 8192, .height = 8192,
				    .stride = {32768}};
	check(&h, &f, 0, NULL);
	f.stride[0] = 32769;
	check(&h, &f, -E2BIG, "past the slot");
}

/* A decoded FRAME_SHM and a ring from hxfr_ring_init agree end to end. */
static void frame_end_to_end(void)
{
	uint64_t size = 4096 + 2 * 8192;
	uint8_t *mem = g_malloc0(size);
	struct hxfr_ring_header h;
	struct hxfr_frame_shm in = {.slot = 1, .format = HXFR_FMT_NV12, .width = 64, .height = 64,
				    .stride = {64, 64}, .plane_offset = {0, 6144}},
			      out;
	uint8_t b[TEST_BUF];
	struct hxfr_msg m;
	const char *why = NULL;
	uint64_t off = 0;

	g_assert_cmpint(hxfr_ring_init(mem, size, 2, 8192, 0x1234), ==, 0);
	g_assert_cmpint(hxfr_ring_header_read(mem, size, &h, &why), ==, 0);
	m = frame_whole(b, (size_t)hxfr_build_frame_shm(b, sizeof(b), 0, &in));
	g_assert_cmpint(hxfr_decode_frame_shm(&m, &out, &why), ==, 0);
	assert_result(hxfr_ring_check_frame(&h, &out, &off, &why), why, 0, NULL);
	g_assert_cmpuint(off, ==, 4096 + 8192);
	/* The last byte of chroma is the slot's last byte, inside the region. */
	g_assert_cmpuint(off + out.plane_offset[1] + 64ull * 32, ==, size);
	mem[off + out.plane_offset[1] + 64 * 32 - 1] = 1;
	g_free(mem);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ring/init-read", init_read);
	g_test_add_func("/ring/init-errors", init_errors);
	for (size_t i = 0; i < G_N_ELEMENTS(rcases); i++) {
		char *path = g_strdup_printf("/ring/header/%s", rcases[i].name);

		g_test_add_data_func(path, &rcases[i], run_rcase);
		g_free(path);
	}
	g_test_add_func("/ring/header-is-copied", header_is_copied);
	g_test_add_func("/ring/frame/exact-fit-bgrx", frame_exact_fit);
	g_test_add_func("/ring/frame/nv12-odd", frame_nv12_odd);
	g_test_add_func("/ring/frame/i420-odd", frame_i420_odd);
	g_test_add_func("/ring/frame/slot-and-geometry", frame_slot_and_geometry);
	g_test_add_func("/ring/frame/offset-overflow", frame_offset_overflow);
	g_test_add_func("/ring/frame/end-to-end", frame_end_to_end);
	return g_test_run();
}
