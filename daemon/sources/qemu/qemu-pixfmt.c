/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pixel formats QEMU may scan out, converted to the shadow's BGRx.
 * Pixman formats are native-endian words; this file assumes a little-endian
 * host (x86_64, aarch64), where x8r8g8b8 is B,G,R,X in memory. */
#define G_LOG_DOMAIN "hostenc.qemu"
#include "qemu-fb.h"

#include <string.h>

G_STATIC_ASSERT(G_BYTE_ORDER == G_LITTLE_ENDIAN);

guint he_qemu_pixfmt_bpp(uint32_t fmt)
{
	switch (fmt) {
	case HE_PIXMAN_X8R8G8B8:
	case HE_PIXMAN_A8R8G8B8:
	case HE_PIXMAN_X8B8G8R8:
	case HE_PIXMAN_A8B8G8R8:
		return 4;
	case HE_PIXMAN_R8G8B8:
		return 3;
	case HE_PIXMAN_R5G6B5:
	case HE_PIXMAN_X1R5G5B5:
		return 2;
	default:
		return 0;
	}
}

/* Expand an n-bit channel to 8 bits by replicating its high bits. */
static inline uint8_t expand5(unsigned v)
{
	return (uint8_t)((v << 3) | (v >> 2));
}

static inline uint8_t expand6(unsigned v)
{
	return (uint8_t)((v << 2) | (v >> 4));
}

static void row_swap_rb(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++, dst += 4, src += 4) {
		dst[0] = src[2];
		dst[1] = src[1];
		dst[2] = src[0];
		dst[3] = 0xff;
	}
}

static void row_rgb24(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	/* r8g8b8 as a 24-bit little-endian word: B, G, R in memory. */
	for (uint32_t i = 0; i < n; i++, dst += 4, src += 3) {
		dst[0] = src[0];
		dst[1] = src[1];
		dst[2] = src[2];
		dst[3] = 0xff;
	}
}

static void row_565(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++, dst += 4, src += 2) {
		unsigned v = (unsigned)src[0] | ((unsigned)src[1] << 8);

		dst[0] = expand5(v & 0x1f);
		dst[1] = expand6((v >> 5) & 0x3f);
		dst[2] = expand5((v >> 11) & 0x1f);
		dst[3] = 0xff;
	}
}

static void row_555(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++, dst += 4, src += 2) {
		unsigned v = (unsigned)src[0] | ((unsigned)src[1] << 8);

		dst[0] = expand5(v & 0x1f);
		dst[1] = expand5((v >> 5) & 0x1f);
		dst[2] = expand5((v >> 10) & 0x1f);
		dst[3] = 0xff;
	}
}

void he_qemu_pixfmt_row(uint32_t fmt, uint8_t *dst, const uint8_t *src, uint32_t n)
{
	switch (fmt) {
	case HE_PIXMAN_X8R8G8B8:
	case HE_PIXMAN_A8R8G8B8:
		/* Already BGRx/BGRA; consumers ignore the 4th byte. */
		memcpy(dst, src, (size_t)n * 4);
		break;
	case HE_PIXMAN_X8B8G8R8:
	case HE_PIXMAN_A8B8G8R8:
		row_swap_rb(dst, src, n);
		break;
	case HE_PIXMAN_R8G8B8:
		row_rgb24(dst, src, n);
		break;
	case HE_PIXMAN_R5G6B5:
		row_565(dst, src, n);
		break;
	case HE_PIXMAN_X1R5G5B5:
		row_555(dst, src, n);
		break;
	default:
		g_assert_not_reached();
	}
}
