/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frame decoder: a byte stream through hxfr_frame, every framed message
 * through the decoder for its type.
 *
 * Input: bytes 0-3 seed the chunk sizes, byte 4 picks the payload cap, the
 * rest is the stream. The stream is framed twice: whole (every message is
 * decoded from a copy of its exact size), then as a receiver sees it, in
 * chunks of pseudo-random sizes, each look at a copy of exactly the bytes
 * received so far. Both must frame the same messages and stop the same way. */
#include "fuzz-common.h"

struct framed {
	uint8_t type, flags;
	size_t total;
};

struct outcome {
	struct framed *msgs;
	size_t count;
	int last;    /* 0 (needs more) or a negative errno */
	size_t need; /* with last == 0 */
};

static uint32_t next_rand(uint32_t *s)
{
	/* xorshift32: no multiplications, so no unsigned-overflow reports. */
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static uint32_t pick_cap(uint8_t sel)
{
	switch (sel & 3) {
	case 0: return HXFR_MAX_PAYLOAD_DEFAULT;
	case 1: return (uint32_t)(sel >> 2) * 16; /* 0 .. 1008: small caps */
	case 2: return UINT32_MAX;                /* only the hard cap applies */
	default: return HXFR_MAX_PAYLOAD_HARD;
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Checks a "need more" answer for @p avail bytes at @p p. */
static void check_need(const uint8_t *p, size_t avail, uint32_t cap, size_t need)
{
	FUZZ_ASSERT(need >= HXFR_HEADER_SIZE && need > avail);
	FUZZ_ASSERT(need <= HXFR_HEADER_SIZE + min_u64(cap, HXFR_MAX_PAYLOAD_HARD));
	if (avail >= HXFR_HEADER_SIZE) {
		struct hxfr_header h;

		FUZZ_ASSERT(hxfr_header_decode(p, &h) == 0);
		FUZZ_ASSERT(need == HXFR_HEADER_SIZE + (size_t)h.payload_size);
	} else {
		FUZZ_ASSERT(need == HXFR_HEADER_SIZE);
	}
}

static void frame_whole(const uint8_t *s, size_t len, uint32_t cap, struct outcome *o)
{
	size_t off = 0;

	o->msgs = malloc((len / HXFR_HEADER_SIZE + 1) * sizeof(*o->msgs));
	FUZZ_ASSERT(o->msgs != NULL);
	o->count = 0;
	o->last = 0;
	o->need = 0;
	for (;;) {
		struct hxfr_msg m;
		size_t need = 0;
		int r = hxfr_frame(s + off, len - off, cap, &m, &need);

		if (r == 0) {
			check_need(s + off, len - off, cap, need);
			o->last = 0;
			o->need = need;
			return;
		}
		if (r < 0) {
			FUZZ_ASSERT(r == -EPROTO || r == -EMSGSIZE);
			FUZZ_ASSERT(len - off >= 1);
			if (r == -EMSGSIZE)
				FUZZ_ASSERT(len - off >= HXFR_HEADER_SIZE);
			o->last = r;
			return;
		}
		FUZZ_ASSERT(r == 1);
		FUZZ_ASSERT(m.total >= HXFR_HEADER_SIZE && m.total <= len - off);
		FUZZ_ASSERT(m.total == HXFR_HEADER_SIZE + (size_t)m.hdr.payload_size);
		FUZZ_ASSERT(m.hdr.payload_size <= cap && m.hdr.payload_size <= HXFR_MAX_PAYLOAD_HARD);
		FUZZ_ASSERT(m.payload == s + off + HXFR_HEADER_SIZE && m.hdr.magic == HXFR_MAGIC);
		{
			/* Decode from a copy of exactly this message. */
			uint8_t *copy = malloc(m.total);
			struct hxfr_msg mc;

			FUZZ_ASSERT(copy != NULL);
			memcpy(copy, s + off, m.total);
			FUZZ_ASSERT(hxfr_frame(copy, m.total, cap, &mc, &need) == 1);
			FUZZ_ASSERT(mc.total == m.total && mc.hdr.type == m.hdr.type);
			fuzz_decode_by_type(&mc);
			free(copy);
		}
		o->msgs[o->count].type = m.hdr.type;
		o->msgs[o->count].flags = m.hdr.flags;
		o->msgs[o->count].total = m.total;
		o->count++;
		off += m.total;
	}
}

/* A lasting channel resynchronises after a framing error: every skip drops
 * at least the bad byte, stays inside the input, and lands where hxfr_frame
 * no longer sees a bad magic or a payload over the cap. */
static void resync_all(const uint8_t *s, size_t len, uint32_t cap)
{
	size_t off = 0;

	while (off < len) {
		struct hxfr_msg m;
		size_t need = 0;
		int r = hxfr_frame(s + off, len - off, cap, &m, &need);

		if (r == 0)
			return;
		if (r == 1) {
			off += m.total;
			continue;
		}
		{
			size_t skip = hxfr_resync(s + off, len - off, cap);

			FUZZ_ASSERT(skip >= 1 && skip <= len - off);
			off += skip;
			if (off < len) {
				r = hxfr_frame(s + off, len - off, cap, &m, &need);
				FUZZ_ASSERT(r >= 0);
				if (r == 1)
					FUZZ_ASSERT(hxfr_type_known(m.hdr.type));
			}
		}
	}
}

static void frame_chunked(const uint8_t *s, size_t len, uint32_t cap, uint32_t seed,
			  const struct outcome *whole)
{
	size_t have = 0, off = 0, i = 0;

	for (;;) {
		uint32_t r32 = next_rand(&seed);
		/* Mostly small reads, now and then a big one. */
		size_t chunk = (r32 & 0xf00) == 0 ? r32 % 4096 + 1 : r32 % 37 + 1;

		have = have + chunk < len ? have + chunk : len;
		for (;;) {
			size_t avail = have - off, need = 0;
			uint8_t *win = malloc(avail ? avail : 1);
			struct hxfr_msg m;
			int r;

			FUZZ_ASSERT(win != NULL);
			memcpy(win, s + off, avail);
			r = hxfr_frame(win, avail, cap, &m, &need);
			free(win);
			if (r == 1) {
				FUZZ_ASSERT(i < whole->count);
				FUZZ_ASSERT(m.total == whole->msgs[i].total);
				FUZZ_ASSERT(m.hdr.type == whole->msgs[i].type);
				FUZZ_ASSERT(m.hdr.flags == whole->msgs[i].flags);
				off += m.total;
				i++;
				continue;
			}
			if (r < 0) {
				/* The stream breaks where it broke as a whole. */
				FUZZ_ASSERT(i == whole->count && r == whole->last);
				return;
			}
			FUZZ_ASSERT(r == 0);
			check_need(s + off, avail, cap, need);
			if (have == len) {
				FUZZ_ASSERT(i == whole->count && whole->last == 0);
				FUZZ_ASSERT(need == whole->need);
				return;
			}
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole;
	uint32_t seed, cap;

	if (size < 5)
		return 0;
	seed = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
	       (uint32_t)data[3] << 24;
	cap = pick_cap(data[4]);
	data += 5;
	size -= 5;
	frame_whole(data, size, cap, &whole);
	frame_chunked(data, size, cap, seed, &whole);
	if (whole.last < 0)
		resync_all(data, size, cap);
	free(whole.msgs);
	return 0;
}
