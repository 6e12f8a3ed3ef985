/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private: the shadow framebuffer of one console and pixel conversion.
 *
 * Written by the listener thread (Scanout/Update), read by consumers
 * (snapshots) on any thread, under one short mutex. Everything that comes
 * from QEMU is treated as untrusted: sizes, strides, rectangles and byte
 * counts are checked with 64-bit arithmetic and rectangles are clipped. */
#ifndef HOSTENC_QEMU_FB_H
#define HOSTENC_QEMU_FB_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "qemu-display.h"

/* Pixman format codes QEMU sends (PIXMAN_FORMAT(bpp, type, a, r, g, b)). */
#define HE_PIXMAN_X8R8G8B8 0x20020888u
#define HE_PIXMAN_A8R8G8B8 0x20028888u
#define HE_PIXMAN_X8B8G8R8 0x20030888u
#define HE_PIXMAN_A8B8G8R8 0x20038888u
#define HE_PIXMAN_R8G8B8   0x18020888u
#define HE_PIXMAN_R5G6B5   0x10020565u
#define HE_PIXMAN_X1R5G5B5 0x10020555u

/** Bytes a pixel of @p fmt, 0 when the format is not supported. */
guint he_qemu_pixfmt_bpp(uint32_t fmt);
/** Convert @p n pixels of supported @p fmt at @p src into BGRx at @p dst. */
void he_qemu_pixfmt_row(uint32_t fmt, uint8_t *dst, const uint8_t *src, uint32_t n);

struct he_qemu_rect {
	int32_t x, y, w, h; /* w == 0 or h == 0: empty */
};

#define HE_QEMU_FB_HISTORY 16

struct he_qemu_fb {
	GMutex lock;
	uint8_t *pixels;       /* BGRx */
	uint32_t width, height, stride;
	size_t alloc;
	const char *status;    /* static reason when nothing is shown */
	struct he_qemu_rect damage; /* since the last generation bump */
	bool layout_dirty;     /* size changed since the last generation bump */
	uint64_t gen, layout_gen;
	/* Damage of the most recent generations, so frames that are a few
	 * generations behind copy only the union of what they missed. */
	struct {
		uint64_t gen;
		struct he_qemu_rect r;
	} hist[HE_QEMU_FB_HISTORY];
	guint hist_len, hist_next;
};

void he_qemu_fb_init(struct he_qemu_fb *fb);
void he_qemu_fb_clear(struct he_qemu_fb *fb);

/**
 * Replace the surface with @p w x @p h pixels at @p data.
 * @return 0; -EINVAL (lying size/stride/length), -ENOTSUP (pixel format: the
 * surface becomes empty with a status) or -ENOMEM, with *why set.
 */
int he_qemu_fb_scanout(struct he_qemu_fb *fb, uint32_t w, uint32_t h, uint32_t stride,
		       uint32_t fmt, const uint8_t *data, size_t len, const char **why);
/**
 * Copy rectangle (@p x, @p y, @p w, @p h) of @p data, clipped to the surface.
 * An update reaching past the surface (a guest mode switch without a new
 * Scanout) grows the surface, up to HE_QEMU_MAX_DIM, and sets *outside so
 * the caller can re-read the real size.
 * @return 0 (also when clipped to nothing), -EINVAL, -ENOTSUP, -ENOMEM.
 */
int he_qemu_fb_update(struct he_qemu_fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
		      uint32_t stride, uint32_t fmt, const uint8_t *data, size_t len,
		      bool *outside, const char **why);
/** Set the size to exactly @p w x @p h (clipped), keeping what overlaps. */
int he_qemu_fb_resize(struct he_qemu_fb *fb, uint32_t w, uint32_t h);
/** Make the surface 0x0, showing nothing, with @p status (static) or NULL. */
void he_qemu_fb_disable(struct he_qemu_fb *fb, const char *status);
const char *he_qemu_fb_get_status(struct he_qemu_fb *fb);
bool he_qemu_fb_snapshot(struct he_qemu_fb *fb, struct he_qemu_frame *f);

#endif
