/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shared-memory ring: hxfr_ring_header_read on a guest-controlled
 * mapping, then hxfr_ring_check_frame with a guest-controlled FRAME_SHM.
 *
 * Input: byte 0 = mode; bytes 1-8 = a region size (u64 LE); bytes 9-72 = a
 * FRAME_SHM payload; the rest = the mapping, in a buffer of its exact size.
 * Mode bit 0 set: the region is said to be the u64 size (only the 64-byte
 * header is ever read, which the mapping must then hold); clear: it is the
 * mapping itself, and every accepted slot and plane is touched so that
 * AddressSanitizer checks the bounds the library computed.
 * Mode bit 1: also check hxfr_ring_init against the reader. */
#include "fuzz-common.h"

#define PREFIX (1 + 8 + HXFR_FRAME_SHM_SIZE)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static volatile uint8_t sink;

static void touch(const uint8_t *mem, uint64_t off)
{
	sink = mem[off];
}

static void check_header(const struct hxfr_ring_header *h, uint64_t size)
{
	uint64_t end;

	FUZZ_ASSERT(h->magic == HXFR_RING_MAGIC && h->version == HXFR_RING_VERSION);
	FUZZ_ASSERT(h->slot_count >= 1 && h->slot_count <= HXFR_RING_MAX_SLOTS);
	FUZZ_ASSERT(h->slot_header_offset >= HXFR_RING_HEADER_SIZE &&
		    h->slot_header_offset % 8 == 0);
	FUZZ_ASSERT(h->slot_header_offset + (uint64_t)h->slot_count * HXFR_RING_SLOT_HEADER_SIZE <=
		    h->data_offset);
	FUZZ_ASSERT(h->data_offset % HXFR_RING_ALIGN == 0);
	FUZZ_ASSERT(h->slot_size > 0 && h->slot_size % 64 == 0);
	FUZZ_ASSERT(!__builtin_mul_overflow(h->slot_size, (uint64_t)h->slot_count, &end));
	FUZZ_ASSERT(!__builtin_add_overflow(end, h->data_offset, &end));
	FUZZ_ASSERT(end <= size);
}

static void check_frame(const struct hxfr_ring_header *h, const struct hxfr_frame_shm *f,
			const uint8_t *mem, bool real)
{
	uint64_t off = 0;
	const char *why = NULL;
	int r = hxfr_ring_check_frame(h, f, &off, &why);
	unsigned planes;

	fuzz_check_errno(r, why);
	if (r)
		return;
	planes = hxfr_format_planes(f->format);
	FUZZ_ASSERT(planes >= 1 && f->slot < h->slot_count);
	FUZZ_ASSERT(off == h->data_offset + (uint64_t)f->slot * h->slot_size);
	for (unsigned i = 0; i < planes; i++) {
		uint64_t min_stride, rows, end;

		FUZZ_ASSERT(hxfr_format_plane_geometry(f->format, i, f->width, f->height,
						       &min_stride, &rows) == 0);
		FUZZ_ASSERT(f->stride[i] >= min_stride);
		end = f->plane_offset[i] + (uint64_t)f->stride[i] * rows;
		FUZZ_ASSERT(end <= h->slot_size);
		if (real) {
			touch(mem, off + f->plane_offset[i]);
			touch(mem, off + end - 1);
		}
	}
}

static void check_init(const uint8_t *p)
{
	static uint8_t region[1 << 16];
	uint32_t count = p[0] % 70;
	uint64_t slot_size = (uint64_t)(p[1] | p[2] << 8) * (p[3] & 1 ? 64 : 1);
	uint64_t size = le32(p + 4) % (sizeof(region) + 1);
	struct hxfr_ring_header h;
	const char *why = NULL;
	int r = hxfr_ring_init(region, size, count, slot_size, le32(p + 8) | 1ull << 40);

	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -E2BIG);
	if (r)
		return;
	FUZZ_ASSERT(hxfr_ring_header_read(region, size, &h, &why) == 0);
	FUZZ_ASSERT(h.slot_count == count && h.slot_size == slot_size);
	check_header(&h, size);
	for (uint64_t i = HXFR_RING_HEADER_SIZE; i < h.data_offset; i++)
		FUZZ_ASSERT(region[i] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t prefix[PREFIX] = {0};
	const uint8_t *map_src = data + (size < PREFIX ? size : PREFIX);
	size_t map_len = size < PREFIX ? 0 : size - PREFIX;
	uint8_t *mem, msgbuf[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];
	uint64_t region;
	bool real;
	struct hxfr_ring_header h;
	struct hxfr_frame_shm raw, dec;
	struct hxfr_msg m;
	const char *why = NULL;
	size_t need;
	int r, rd;

	memcpy(prefix, data, size < PREFIX ? size : PREFIX);
	real = !(prefix[0] & 1) || map_len < HXFR_RING_HEADER_SIZE;
	region = real ? map_len : le64(prefix + 1);
	mem = malloc(map_len ? map_len : 1);
	FUZZ_ASSERT(mem != NULL);
	memcpy(mem, map_src, map_len);

	rd = hxfr_ring_header_read(mem, region, &h, &why);
	fuzz_check_errno(rd, why);
	if (rd == 0) {
		check_header(&h, region);
		if (real)
			for (uint32_t i = 0; i < h.slot_count; i++) {
				uint64_t s = hxfr_ring_slot_data_offset(&h, i);

				touch(mem, h.slot_header_offset + (uint64_t)i * 16 + 15);
				touch(mem, s);
				touch(mem, s + h.slot_size - 1);
			}
	}

	/* The FRAME_SHM as the decoder sees it... */
	FUZZ_ASSERT(hxfr_build_header(msgbuf, sizeof(msgbuf), HXFR_FRAME_SHM, 0, 0,
				      HXFR_FRAME_SHM_SIZE) == (ssize_t)HXFR_HEADER_SIZE);
	memcpy(msgbuf + HXFR_HEADER_SIZE, prefix + 9, HXFR_FRAME_SHM_SIZE);
	FUZZ_ASSERT(hxfr_frame(msgbuf, sizeof(msgbuf), HXFR_MAX_PAYLOAD_HARD, &m, &need) == 1);
	fuzz_decode(FD_FRAME_SHM, &m);
	r = hxfr_decode_frame_shm(&m, &dec, &why);
	/* ...and raw, as a caller that skipped the decoder would pass it. */
	raw.slot = le32(prefix + 9);
	raw.format = le32(prefix + 13);
	raw.width = le32(prefix + 17);
	raw.height = le32(prefix + 21);
	for (int i = 0; i < 3; i++) {
		raw.stride[i] = le32(prefix + 25 + 4 * i);
		raw.plane_offset[i] = le32(prefix + 37 + 4 * i);
	}
	raw.pts_ns = 0;
	raw.duration_ns = 0;
	raw.flags = le32(prefix + 65);
	if (rd == 0) {
		if (r == 0)
			check_frame(&h, &dec, mem, real);
		check_frame(&h, &raw, mem, real);
	}
	if (prefix[0] & 2)
		check_init(prefix + 9);
	free(mem);
	return 0;
}
