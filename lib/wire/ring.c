/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared-memory ring: layout, one-shot header copy, frame bounds checks.
 * The mapping is shared with a guest that may rewrite it at any moment, so
 * the header is copied out once through volatile reads and only the copy
 * is validated and used. */
#include "wire-private.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

int hxfr_ring_init(void *mem, uint64_t size, uint32_t slot_count, uint64_t slot_size,
		   uint64_t ring_id)
{
	struct wr w;
	uint64_t data_offset, total;

	if (slot_count == 0 || slot_count > HXFR_RING_MAX_SLOTS)
		return -EINVAL;
	if (slot_size == 0 || slot_size % 64 || ring_id == 0)
		return -EINVAL;
	data_offset = align_up(HXFR_RING_HEADER_SIZE +
			       (uint64_t)slot_count * HXFR_RING_SLOT_HEADER_SIZE, HXFR_RING_ALIGN);
	if (__builtin_mul_overflow(slot_size, (uint64_t)slot_count, &total) ||
	    __builtin_add_overflow(total, data_offset, &total))
		return -E2BIG;
	if (total > size)
		return -E2BIG;
	memset(mem, 0, (size_t)data_offset);
	wr_init(&w, mem, HXFR_RING_HEADER_SIZE);
	wr_u32(&w, HXFR_RING_MAGIC);
	wr_u32(&w, HXFR_RING_VERSION);
	wr_u32(&w, slot_count);
	wr_u32(&w, HXFR_RING_HEADER_SIZE);
	wr_u64(&w, slot_size);
	wr_u64(&w, data_offset);
	wr_u64(&w, ring_id);
	return w.bad ? -EINVAL : 0;
}

static int check_ring(const struct hxfr_ring_header *h, uint64_t size, const char **why)
{
	uint64_t headers_end, data_len, end;

	if (h->magic != HXFR_RING_MAGIC)
		return fail(why, -EINVAL, "ring magic is not HXRG");
	if (h->version != HXFR_RING_VERSION)
		return fail(why, -ENOTSUP, "unsupported ring version");
	if (h->slot_count == 0 || h->slot_count > HXFR_RING_MAX_SLOTS)
		return fail(why, -EINVAL, "slot_count must be 1..64");
	if (h->slot_header_offset < HXFR_RING_HEADER_SIZE || h->slot_header_offset % 8)
		return fail(why, -EINVAL, "slot headers overlap the ring header or are misaligned");
	headers_end = h->slot_header_offset +
		      (uint64_t)h->slot_count * HXFR_RING_SLOT_HEADER_SIZE;
	if (h->data_offset % HXFR_RING_ALIGN || h->data_offset < headers_end)
		return fail(why, -EINVAL, "data_offset not 4096-aligned or overlaps slot headers");
	if (h->slot_size == 0 || h->slot_size % 64)
		return fail(why, -EINVAL, "slot_size zero or not a multiple of 64");
	if (__builtin_mul_overflow(h->slot_size, (uint64_t)h->slot_count, &data_len) ||
	    __builtin_add_overflow(data_len, h->data_offset, &end))
		return fail(why, -EOVERFLOW, "ring size overflows");
	if (end > size)
		return fail(why, -E2BIG, "ring slots extend past the shared region");
	return 0;
}

int hxfr_ring_header_read(const volatile void *mem, uint64_t size, struct hxfr_ring_header *out,
			  const char **why)
{
	uint8_t copy[HXFR_RING_HEADER_SIZE];
	const volatile uint8_t *src = mem;
	struct rd r;

	if (size < HXFR_RING_HEADER_SIZE)
		return fail(why, -EINVAL, "shared region smaller than the ring header");
	for (size_t i = 0; i < sizeof(copy); i++)
		copy[i] = src[i];
	rd_init(&r, copy, sizeof(copy));
	out->magic = rd_u32(&r);
	out->version = rd_u32(&r);
	out->slot_count = rd_u32(&r);
	out->slot_header_offset = rd_u32(&r);
	out->slot_size = rd_u64(&r);
	out->data_offset = rd_u64(&r);
	out->ring_id = rd_u64(&r);
	if (!rd_zero(&r, HXFR_RING_HEADER_SIZE - 40))
		return fail(why, -ENOTSUP, "ring header reserved bytes not zero");
	return check_ring(out, size, why);
}

uint64_t hxfr_ring_slot_data_offset(const struct hxfr_ring_header *ring, uint32_t i)
{
	return ring->data_offset + (uint64_t)i * ring->slot_size;
}

int hxfr_ring_check_frame(const struct hxfr_ring_header *ring, const struct hxfr_frame_shm *f,
			  uint64_t *data_offset, const char **why)
{
	unsigned planes = hxfr_format_planes(f->format);
	int res;

	if ((res = hxfr_check_geometry(f->format, f->width, f->height, why)) < 0)
		return res;
	if (f->slot >= ring->slot_count)
		return fail(why, -EINVAL, "slot index past the ring's slot_count");
	for (unsigned i = planes; i < 3; i++)
		if (f->stride[i] || f->plane_offset[i])
			return fail(why, -EINVAL, "stride/offset set for a plane the format lacks");
	for (unsigned i = 0; i < planes; i++) {
		uint64_t min_stride, rows, len, end;

		hxfr_format_plane_geometry(f->format, i, f->width, f->height, &min_stride, &rows);
		if (f->stride[i] < min_stride)
			return fail(why, -EINVAL, "stride smaller than a row");
		if (f->stride[i] > (1u << 16))
			return fail(why, -E2BIG, "stride over 65536");
		if (__builtin_mul_overflow((uint64_t)f->stride[i], rows, &len) ||
		    __builtin_add_overflow(len, (uint64_t)f->plane_offset[i], &end))
			return fail(why, -EOVERFLOW, "plane size overflows");
		if (end > ring->slot_size)
			return fail(why, -E2BIG, "plane offset + stride * height past the slot");
	}
	*data_offset = hxfr_ring_slot_data_offset(ring, f->slot);
	return 0;
}
