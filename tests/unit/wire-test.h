/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the wire library's unit tests (GLib GTest). */
#ifndef HXFR_WIRE_TEST_H
#define HXFR_WIRE_TEST_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include <hxfr/hxfr.h>

/* Room for the largest fixed message (ERROR) plus a little trailing data. */
#define TEST_BUF 512

static inline void put_le(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* Frames @p len bytes that must hold exactly one whole message. */
static inline struct hxfr_msg frame_whole(const uint8_t *buf, size_t len)
{
	struct hxfr_msg m;
	size_t need = 0;
	int r = hxfr_frame(buf, len, HXFR_MAX_PAYLOAD_HARD, &m, &need);

	g_assert_cmpint(r, ==, 1);
	g_assert_cmpuint(m.total, ==, len);
	g_assert_true(m.payload == buf + HXFR_HEADER_SIZE);
	return m;
}

/* Asserts a decoder result: errno and, on failure, a set reason that
 * contains @p why_part (when non-NULL). */
static inline void assert_result(int got, const char *why, int want, const char *why_part)
{
	if (got != want)
		g_test_message("got %d (%s), want %d", got, why ? why : "(why unset)", want);
	g_assert_cmpint(got, ==, want);
	if (want == 0)
		return;
	g_assert_nonnull(why);
	g_assert_cmpuint(strlen(why), >, 0);
	if (why_part && !strstr(why, why_part))
		g_test_message("reason \"%s\" lacks \"%s\"", why, why_part);
	if (why_part)
		g_assert_nonnull(strstr(why, why_part));
}

#endif
