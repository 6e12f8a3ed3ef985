/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shadow framebuffer: QEMU's pixels copied at once (QEMU has no
 * back-pressure), damage accumulated as a bounding box and handed out to
 * consumer frames by generation. */
#define G_LOG_DOMAIN "hostenc.qemu"
#include "qemu-fb.h"

#include <errno.h>
#include <string.h>

#define STRIDE_ALIGN 64u

static uint32_t shadow_stride(uint32_t w)
{
	return (uint32_t)(((uint64_t)w * 4 + STRIDE_ALIGN - 1) & ~(uint64_t)(STRIDE_ALIGN - 1));
}

static bool rect_empty(const struct he_qemu_rect *r)
{
	return r->w <= 0 || r->h <= 0;
}

static void rect_union(struct he_qemu_rect *acc, const struct he_qemu_rect *r)
{
	int32_t x1, y1;

	if (rect_empty(r))
		return;
	if (rect_empty(acc)) {
		*acc = *r;
		return;
	}
	x1 = MAX(acc->x + acc->w, r->x + r->w);
	y1 = MAX(acc->y + acc->h, r->y + r->h);
	acc->x = MIN(acc->x, r->x);
	acc->y = MIN(acc->y, r->y);
	acc->w = x1 - acc->x;
	acc->h = y1 - acc->y;
}

void he_qemu_fb_init(struct he_qemu_fb *fb)
{
	memset(fb, 0, sizeof(*fb));
	g_mutex_init(&fb->lock);
}

void he_qemu_fb_clear(struct he_qemu_fb *fb)
{
	g_free(fb->pixels);
	fb->pixels = NULL;
	g_mutex_clear(&fb->lock);
}

/* Reallocate to w x h keeping the overlapping pixels. Lock held. */
static int fb_set_size_locked(struct he_qemu_fb *fb, uint32_t w, uint32_t h)
{
	uint32_t stride = shadow_stride(w);
	size_t size = (size_t)stride * h;
	uint8_t *pix = NULL;

	if (w == fb->width && h == fb->height)
		return 0;
	if (size) {
		/* Up to 256 MiB at the 8192x8192 cap: fail softly, not abort. */
		pix = g_try_malloc0(size);
		if (!pix)
			return -ENOMEM;
	}
	if (pix && fb->pixels) {
		uint32_t rows = MIN(h, fb->height);
		size_t bytes = (size_t)MIN(w, fb->width) * 4;

		for (uint32_t y = 0; y < rows; y++)
			memcpy(pix + (size_t)y * stride, fb->pixels + (size_t)y * fb->stride, bytes);
	}
	g_free(fb->pixels);
	fb->pixels = pix;
	fb->alloc = size;
	fb->width = w;
	fb->height = h;
	fb->stride = stride;
	fb->layout_dirty = true;
	fb->damage = (struct he_qemu_rect){ 0, 0, 0, 0 };
	return 0;
}

/* Is @p len bytes enough for @p h rows of @p row_bytes at @p stride? */
static bool data_fits(uint64_t stride, uint64_t row_bytes, uint64_t h, size_t len)
{
	if (stride < row_bytes || h == 0)
		return false;
	/* The last row need not be padded to the stride. At most
	 * 2^32 * 2^31 + 2^33: no 64-bit overflow. */
	return stride * (h - 1) + row_bytes <= (uint64_t)len;
}

static void copy_rows(struct he_qemu_fb *fb, uint32_t dx, uint32_t dy, uint32_t w, uint32_t h,
		      uint32_t fmt, const uint8_t *src, size_t src_stride)
{
	uint8_t *dst = fb->pixels + (size_t)dy * fb->stride + (size_t)dx * 4;

	for (uint32_t y = 0; y < h; y++)
		he_qemu_pixfmt_row(fmt, dst + (size_t)y * fb->stride, src + (size_t)y * src_stride, w);
}

int he_qemu_fb_scanout(struct he_qemu_fb *fb, uint32_t w, uint32_t h, uint32_t stride,
		       uint32_t fmt, const uint8_t *data, size_t len, const char **why)
{
	guint bpp = he_qemu_pixfmt_bpp(fmt);
	int ret;

	if (!bpp) {
		*why = "unsupported pixel format";
		he_qemu_fb_disable(fb, "not shown: QEMU scans out a pixel format hostenc does not "
				   "convert (use a 32/24/16 bpp guest mode)");
		return -ENOTSUP;
	}
	if (w == 0 || h == 0 || w > HE_QEMU_MAX_DIM || h > HE_QEMU_MAX_DIM) {
		*why = "scanout size out of range";
		return -EINVAL;
	}
	if (!data_fits(stride, (uint64_t)w * bpp, h, len)) {
		*why = "scanout stride or data length lies";
		return -EINVAL;
	}
	g_mutex_lock(&fb->lock);
	ret = fb_set_size_locked(fb, w, h);
	if (ret == 0) {
		copy_rows(fb, 0, 0, w, h, fmt, data, stride);
		fb->damage = (struct he_qemu_rect){ 0, 0, (int32_t)w, (int32_t)h };
		fb->status = NULL;
	}
	g_mutex_unlock(&fb->lock);
	if (ret)
		*why = "out of memory for the scanout";
	return ret;
}

/* Grow so that [x, x+w) x [y, y+h) fits, capped. Lock held. */
static int fb_grow_locked(struct he_qemu_fb *fb, int64_t x1, int64_t y1)
{
	uint32_t nw = (uint32_t)CLAMP(MAX(x1, (int64_t)fb->width), 0, (int64_t)HE_QEMU_MAX_DIM);
	uint32_t nh = (uint32_t)CLAMP(MAX(y1, (int64_t)fb->height), 0, (int64_t)HE_QEMU_MAX_DIM);

	return fb_set_size_locked(fb, nw, nh);
}

int he_qemu_fb_update(struct he_qemu_fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
		      uint32_t stride, uint32_t fmt, const uint8_t *data, size_t len,
		      bool *outside, const char **why)
{
	guint bpp = he_qemu_pixfmt_bpp(fmt);
	int64_t x0, y0, x1, y1;
	int ret = 0;

	*outside = false;
	if (!bpp) {
		*why = "unsupported pixel format in update";
		return -ENOTSUP;
	}
	if (w <= 0 || h <= 0) {
		*why = "empty or negative update rectangle";
		return -EINVAL;
	}
	/* The data describes the whole (unclipped) rectangle. */
	if (!data_fits(stride, (uint64_t)w * bpp, (uint64_t)h, len)) {
		*why = "update stride or data length lies";
		return -EINVAL;
	}
	g_mutex_lock(&fb->lock);
	x1 = (int64_t)x + w;
	y1 = (int64_t)y + h;
	/* Grow only for updates that start inside the capped area: nothing
	 * past the cap is kept anyway. */
	if ((x1 > fb->width || y1 > fb->height) && x < (int64_t)HE_QEMU_MAX_DIM &&
	    y < (int64_t)HE_QEMU_MAX_DIM) {
		*outside = true;
		ret = fb_grow_locked(fb, x1, y1);
	}
	x0 = MAX((int64_t)x, 0);
	y0 = MAX((int64_t)y, 0);
	x1 = MIN(x1, (int64_t)fb->width);
	y1 = MIN(y1, (int64_t)fb->height);
	if (ret == 0 && x0 < x1 && y0 < y1) {
		const uint8_t *src = data + (size_t)(y0 - y) * stride + (size_t)(x0 - x) * bpp;
		struct he_qemu_rect r = { (int32_t)x0, (int32_t)y0, (int32_t)(x1 - x0),
					  (int32_t)(y1 - y0) };

		copy_rows(fb, (uint32_t)x0, (uint32_t)y0, (uint32_t)r.w, (uint32_t)r.h, fmt, src,
			  stride);
		rect_union(&fb->damage, &r);
	}
	g_mutex_unlock(&fb->lock);
	if (ret)
		*why = "out of memory growing the surface";
	return ret;
}

int he_qemu_fb_resize(struct he_qemu_fb *fb, uint32_t w, uint32_t h)
{
	int ret;

	g_mutex_lock(&fb->lock);
	ret = fb_set_size_locked(fb, MIN(w, HE_QEMU_MAX_DIM), MIN(h, HE_QEMU_MAX_DIM));
	g_mutex_unlock(&fb->lock);
	return ret;
}

void he_qemu_fb_disable(struct he_qemu_fb *fb, const char *status)
{
	g_mutex_lock(&fb->lock);
	fb_set_size_locked(fb, 0, 0); /* cannot fail: nothing to allocate */
	fb->status = status;
	g_mutex_unlock(&fb->lock);
}

const char *he_qemu_fb_get_status(struct he_qemu_fb *fb)
{
	const char *s;

	g_mutex_lock(&fb->lock);
	s = fb->status;
	g_mutex_unlock(&fb->lock);
	return s;
}

/* Close the current damage into a new generation. Lock held. */
static void fb_bump_locked(struct he_qemu_fb *fb)
{
	if (fb->layout_dirty) {
		fb->gen++;
		fb->layout_gen = fb->gen;
		fb->hist_len = 0;
		fb->layout_dirty = false;
		fb->damage = (struct he_qemu_rect){ 0, 0, 0, 0 };
		return;
	}
	if (rect_empty(&fb->damage))
		return;
	fb->gen++;
	fb->hist[fb->hist_next].gen = fb->gen;
	fb->hist[fb->hist_next].r = fb->damage;
	fb->hist_next = (fb->hist_next + 1) % HE_QEMU_FB_HISTORY;
	fb->hist_len = MIN(fb->hist_len + 1, HE_QEMU_FB_HISTORY);
	fb->damage = (struct he_qemu_rect){ 0, 0, 0, 0 };
}

/* Union of the damage of generations after @p since; false when the
 * history no longer covers all of them. Lock held. */
static bool fb_damage_since_locked(struct he_qemu_fb *fb, uint64_t since, struct he_qemu_rect *out)
{
	uint64_t found = 0;

	*out = (struct he_qemu_rect){ 0, 0, 0, 0 };
	for (guint i = 0; i < fb->hist_len; i++) {
		if (fb->hist[i].gen > since) {
			rect_union(out, &fb->hist[i].r);
			found++;
		}
	}
	return found == fb->gen - since;
}

static bool frame_reshape(struct he_qemu_frame *f, uint32_t w, uint32_t h, uint32_t stride)
{
	size_t size = (size_t)stride * h;

	if (size > f->alloc) {
		uint8_t *d = g_try_malloc(size);

		if (!d)
			return false;
		g_free(f->data);
		f->data = d;
		f->alloc = size;
	}
	if (size == 0) {
		g_free(f->data);
		f->data = NULL;
		f->alloc = 0;
	}
	f->width = w;
	f->height = h;
	f->stride = stride;
	return true;
}

static void frame_copy_locked(struct he_qemu_fb *fb, struct he_qemu_frame *f,
			      const struct he_qemu_rect *r)
{
	size_t off = (size_t)r->y * fb->stride + (size_t)r->x * 4;
	size_t bytes = (size_t)r->w * 4;

	if (r->x == 0 && (uint32_t)r->w == fb->width) {
		/* Same stride on both sides: one block. */
		memcpy(f->data + off, fb->pixels + off, (size_t)(r->h - 1) * fb->stride + bytes);
		return;
	}
	for (int32_t y = 0; y < r->h; y++, off += fb->stride)
		memcpy(f->data + off, fb->pixels + off, bytes);
}

bool he_qemu_fb_snapshot(struct he_qemu_fb *fb, struct he_qemu_frame *f)
{
	struct he_qemu_rect r;
	bool full;

	g_mutex_lock(&fb->lock);
	fb_bump_locked(fb);
	if (f->gen == fb->gen && f->layout_gen == fb->layout_gen) {
		g_mutex_unlock(&fb->lock);
		return false;
	}
	full = f->layout_gen != fb->layout_gen || f->width != fb->width ||
	       f->height != fb->height || f->stride != fb->stride || f->gen < fb->layout_gen ||
	       !fb_damage_since_locked(fb, f->gen, &r);
	if (full) {
		if (!frame_reshape(f, fb->width, fb->height, fb->stride)) {
			g_mutex_unlock(&fb->lock);
			g_warning("snapshot: out of memory for a %ux%u frame", fb->width, fb->height);
			return false;
		}
		r = (struct he_qemu_rect){ 0, 0, (int32_t)fb->width, (int32_t)fb->height };
	}
	if (!rect_empty(&r))
		frame_copy_locked(fb, f, &r);
	f->gen = fb->gen;
	f->layout_gen = fb->layout_gen;
	g_mutex_unlock(&fb->lock);
	f->damage_x = (uint32_t)r.x;
	f->damage_y = (uint32_t)r.y;
	f->damage_w = (uint32_t)MAX(r.w, 0);
	f->damage_h = (uint32_t)MAX(r.h, 0);
	return true;
}

void he_qemu_frame_clear(struct he_qemu_frame *f)
{
	g_free(f->data);
	memset(f, 0, sizeof(*f));
}
