/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers of the wire library: little-endian cursor reader and
 * writer. Every read is bounds-checked against the cursor's end; a read
 * past it sets ->bad and yields 0, so decoders check once at the end. */
#ifndef HXFR_WIRE_PRIVATE_H
#define HXFR_WIRE_PRIVATE_H

#include <errno.h>
#include <string.h>

#include "hxfr/hxfr.h"

struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline void rd_init(struct rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->bad = false;
}

static inline const uint8_t *rd_take(struct rd *r, size_t n)
{
	const uint8_t *q;

	if (r->bad || r->left < n) {
		r->bad = true;
		return NULL;
	}
	q = r->p;
	r->p += n;
	r->left -= n;
	return q;
}

static inline uint8_t rd_u8(struct rd *r)
{
	const uint8_t *q = rd_take(r, 1);
	return q ? q[0] : 0;
}

static inline uint16_t rd_u16(struct rd *r)
{
	const uint8_t *q = rd_take(r, 2);
	return q ? (uint16_t)(q[0] | (q[1] << 8)) : 0;
}

static inline uint32_t rd_u32(struct rd *r)
{
	const uint8_t *q = rd_take(r, 4);
	if (!q)
		return 0;
	return (uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) |
	       ((uint32_t)q[3] << 24);
}

static inline uint64_t rd_u64(struct rd *r)
{
	uint64_t lo = rd_u32(r);
	uint64_t hi = rd_u32(r);
	return lo | (hi << 32);
}

static inline int64_t rd_i64(struct rd *r)
{
	uint64_t v = rd_u64(r);
	int64_t s;
	memcpy(&s, &v, sizeof(s));
	return s;
}

static inline int32_t rd_i32(struct rd *r)
{
	uint32_t v = rd_u32(r);
	int32_t s;
	memcpy(&s, &v, sizeof(s));
	return s;
}

/* Reserved bytes must be zero; returns false (and marks bad) otherwise. */
static inline bool rd_zero(struct rd *r, size_t n)
{
	const uint8_t *q = rd_take(r, n);
	if (!q)
		return false;
	for (size_t i = 0; i < n; i++)
		if (q[i])
			return false;
	return true;
}

struct wr {
	uint8_t *p;
	size_t left;
	bool bad;
};

static inline void wr_init(struct wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->left = cap;
	w->bad = false;
}

static inline uint8_t *wr_take(struct wr *w, size_t n)
{
	uint8_t *q;

	if (w->bad || w->left < n) {
		w->bad = true;
		return NULL;
	}
	q = w->p;
	w->p += n;
	w->left -= n;
	return q;
}

static inline void wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *q = wr_take(w, 1);
	if (q)
		q[0] = v;
}

static inline void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t *q = wr_take(w, 2);
	if (q) {
		q[0] = (uint8_t)v;
		q[1] = (uint8_t)(v >> 8);
	}
}

static inline void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t *q = wr_take(w, 4);
	if (q) {
		q[0] = (uint8_t)v;
		q[1] = (uint8_t)(v >> 8);
		q[2] = (uint8_t)(v >> 16);
		q[3] = (uint8_t)(v >> 24);
	}
}

static inline void wr_u64(struct wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)v);
	wr_u32(w, (uint32_t)(v >> 32));
}

static inline void wr_i64(struct wr *w, int64_t v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	wr_u64(w, u);
}

static inline void wr_i32(struct wr *w, int32_t v)
{
	uint32_t u;
	memcpy(&u, &v, sizeof(u));
	wr_u32(w, u);
}

static inline void wr_zero(struct wr *w, size_t n)
{
	uint8_t *q = wr_take(w, n);
	if (q)
		memset(q, 0, n);
}

/* Copies a string into a fixed NUL-padded field of n bytes. The string
 * must fit with its NUL (n-1 characters at most). */
static inline void wr_str(struct wr *w, const char *s, size_t n)
{
	uint8_t *q = wr_take(w, n);
	size_t len;

	if (!q)
		return;
	len = strnlen(s, n);
	if (len >= n) {
		w->bad = true;
		return;
	}
	memset(q, 0, n);
	memcpy(q, s, len);
}

/* Common start of every builder: header + fixed payload into buf. */
static inline void wr_header(struct wr *w, uint8_t type, uint8_t flags, uint16_t session,
			     uint32_t payload_size)
{
	wr_u32(w, HXFR_MAGIC);
	wr_u8(w, type);
	wr_u8(w, flags);
	wr_u16(w, session);
	wr_u32(w, payload_size);
}

static inline ssize_t wr_done(const struct wr *w, const uint8_t *start)
{
	if (w->bad)
		return -ENOSPC;
	return (ssize_t)(w->p - start);
}

/* Sets *why and returns err; keeps decoders' error paths one line. */
static inline int fail(const char **why, int err, const char *text)
{
	if (why)
		*why = text;
	return err;
}

/* Copies a fixed text field of n bytes into dst (n bytes). The field must
 * hold a NUL; the characters before it must be printable ASCII; with
 * strict_pad every byte after the NUL must be zero too (hostenc's own
 * messages), without it they are ignored (Helix's). Returns false on a
 * violation. */
bool hxfr_copy_text(char *dst, const uint8_t *src, size_t n, bool strict_pad);

/* Validates pixel-format geometry shared by FRAME_REQUEST and FRAME_SHM. */
int hxfr_check_geometry(uint32_t format, uint32_t width, uint32_t height, const char **why);

#endif
