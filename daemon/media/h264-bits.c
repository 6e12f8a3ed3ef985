/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounds-checked bit reader/writer for H.264 RBSPs, and emulation prevention. */
#include "h264-bits.h"

#include <string.h>

void he_br_init(struct he_bitreader *br, const uint8_t *data, size_t size)
{
	br->data = data;
	/* Cap so size*8 cannot overflow; an SPS is tiny anyway. */
	br->size_bits = (size > SIZE_MAX / 8 ? SIZE_MAX / 8 : size) * 8;
	br->pos = 0;
	br->error = false;
}

size_t he_br_left(const struct he_bitreader *br)
{
	return br->error ? 0 : br->size_bits - br->pos;
}

static unsigned bit_at(const uint8_t *data, size_t pos)
{
	return (data[pos >> 3] >> (7 - (pos & 7))) & 1;
}

uint32_t he_br_u(struct he_bitreader *br, unsigned n)
{
	uint32_t v = 0;

	if (br->error || n > 32 || n > br->size_bits - br->pos) {
		br->error = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v = (v << 1) | bit_at(br->data, br->pos++);
	return v;
}

bool he_br_flag(struct he_bitreader *br)
{
	return he_br_u(br, 1) != 0;
}

uint32_t he_br_ue(struct he_bitreader *br)
{
	unsigned zeros = 0;

	while (!br->error && he_br_u(br, 1) == 0) {
		if (++zeros > 31) {
			br->error = true;
			return 0;
		}
	}
	if (br->error)
		return 0;
	if (zeros == 0)
		return 0;
	/* 2^zeros - 1 + suffix; zeros <= 31 keeps this within uint32_t. */
	return (uint32_t)((1u << zeros) - 1u) + he_br_u(br, zeros);
}

int32_t he_br_se(struct he_bitreader *br)
{
	uint32_t k = he_br_ue(br);

	if (k & 1)
		return (int32_t)((k >> 1) + 1);
	return -(int32_t)(k >> 1);
}

void he_bw_init(struct he_bitwriter *bw, uint8_t *data, size_t cap)
{
	memset(data, 0, cap);
	bw->data = data;
	bw->cap = cap;
	bw->pos = 0;
	bw->error = false;
}

static void put_bit(struct he_bitwriter *bw, unsigned bit)
{
	if (bw->error || bw->pos / 8 >= bw->cap) {
		bw->error = true;
		return;
	}
	if (bit)
		bw->data[bw->pos >> 3] |= (uint8_t)(0x80u >> (bw->pos & 7));
	bw->pos++;
}

void he_bw_u(struct he_bitwriter *bw, unsigned n, uint32_t value)
{
	if (n > 32) {
		bw->error = true;
		return;
	}
	for (unsigned i = n; i-- > 0;)
		put_bit(bw, (value >> i) & 1);
}

void he_bw_ue(struct he_bitwriter *bw, uint32_t value)
{
	uint64_t v = (uint64_t)value + 1;
	unsigned bits = 0;

	while ((v >> bits) > 1)
		bits++;
	he_bw_u(bw, bits, 0);
	for (unsigned i = bits + 1; i-- > 0;)
		put_bit(bw, (unsigned)(v >> i) & 1);
}

void he_bw_copy(struct he_bitwriter *bw, const struct he_bitreader *src, size_t from, size_t n)
{
	if (from > src->size_bits || n > src->size_bits - from) {
		bw->error = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		put_bit(bw, bit_at(src->data, from + i));
}

size_t he_bw_finish(struct he_bitwriter *bw)
{
	put_bit(bw, 1);
	while (bw->pos & 7)
		put_bit(bw, 0);
	return bw->pos / 8;
}

size_t he_rbsp_unescape(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
	size_t out = 0;
	unsigned zeros = 0;

	for (size_t i = 0; i < n && out < cap; i++) {
		if (zeros >= 2 && src[i] == 0x03) {
			zeros = 0;
			continue;
		}
		dst[out++] = src[i];
		zeros = src[i] == 0 ? zeros + 1 : 0;
	}
	return out;
}

size_t he_rbsp_escaped_max(size_t n)
{
	/* At most one 0x03 per two input bytes. */
	return n + n / 2 + 1;
}

size_t he_rbsp_escape(const uint8_t *src, size_t n, uint8_t *dst)
{
	size_t out = 0;
	unsigned zeros = 0;

	for (size_t i = 0; i < n; i++) {
		if (zeros >= 2 && src[i] <= 0x03) {
			dst[out++] = 0x03;
			zeros = 0;
		}
		dst[out++] = src[i];
		zeros = src[i] == 0 ? zeros + 1 : 0;
	}
	return out;
}
