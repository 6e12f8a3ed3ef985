/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to daemon/media: bounds-checked RBSP bit reader and writer, and
 * emulation-prevention removal/insertion. Encoder output is only trusted so
 * far: every read is checked, and a read past the end latches an error flag
 * instead of touching memory.
 */
#ifndef HOSTENC_MEDIA_H264_BITS_H
#define HOSTENC_MEDIA_H264_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct he_bitreader {
	const uint8_t *data;
	size_t size_bits;
	size_t pos;     /* bits consumed */
	bool error;     /* latched: over-read or malformed Exp-Golomb code */
};

void he_br_init(struct he_bitreader *br, const uint8_t *data, size_t size);
/* n in 0..32; returns 0 and latches error when past the end. */
uint32_t he_br_u(struct he_bitreader *br, unsigned n);
bool he_br_flag(struct he_bitreader *br);
/* ue(v) up to 2^32-2; longer codes latch error. */
uint32_t he_br_ue(struct he_bitreader *br);
/* se(v) in -2^31+1..2^31-1 */
int32_t he_br_se(struct he_bitreader *br);
size_t he_br_left(const struct he_bitreader *br);

struct he_bitwriter {
	uint8_t *data;
	size_t cap;       /* bytes */
	size_t pos;       /* bits written */
	bool error;       /* latched: would have overflowed cap */
};

/* Writes into @data (zeroed here) of @cap bytes. */
void he_bw_init(struct he_bitwriter *bw, uint8_t *data, size_t cap);
void he_bw_u(struct he_bitwriter *bw, unsigned n, uint32_t value);
void he_bw_ue(struct he_bitwriter *bw, uint32_t value);
/* Copy bits [from, from+n) of a reader's buffer (the reader's position is unused). */
void he_bw_copy(struct he_bitwriter *bw, const struct he_bitreader *src, size_t from, size_t n);
/* rbsp_trailing_bits(): a 1 then zeros to the byte boundary. Returns bytes. */
size_t he_bw_finish(struct he_bitwriter *bw);

/*
 * Remove emulation-prevention bytes (00 00 03 -> 00 00) from @src, writing
 * at most @cap bytes to @dst. Returns the RBSP size (output is truncated at
 * @cap; the result is then @cap).
 */
size_t he_rbsp_unescape(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);

/* Worst-case escaped size of an RBSP of @n bytes. */
size_t he_rbsp_escaped_max(size_t n);

/*
 * Insert emulation-prevention bytes so that no 00 00 0x (x <= 3) appears.
 * @dst must hold he_rbsp_escaped_max(n) bytes. Returns bytes written.
 */
size_t he_rbsp_escape(const uint8_t *src, size_t n, uint8_t *dst);

#endif /* HOSTENC_MEDIA_H264_BITS_H */
