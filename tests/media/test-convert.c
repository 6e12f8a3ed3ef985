/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of daemon/media/convert.c. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "convert.h"

/* Four 8x8 patches side by side, plus expected BT.601 limited-range YUV:
 * Y = 16 + 219 * (0.299 R + 0.587 G + 0.114 B), Cb/Cr = 128 + 224 * (...),
 * for R, G, B in 0..1. libyuv rounds slightly differently: allow +-2. */
#define PATCH 8
#define NPATCH 4
#define W (PATCH * NPATCH)
#define H PATCH
#define TOLERANCE 2

struct colour {
	const char *name;
	uint8_t r, g, b;
	uint8_t y, u, v;
};

static const struct colour colours[NPATCH] = {
	{ "red", 255, 0, 0, 81, 90, 240 },
	{ "green", 0, 255, 0, 145, 54, 34 },
	{ "blue", 0, 0, 255, 41, 240, 110 },
	{ "white", 255, 255, 255, 235, 128, 128 },
};

/* Byte order in memory of each packed format: indexes of R, G, B, X. */
static void rgb_offsets(uint32_t fourcc, unsigned *r, unsigned *g, unsigned *b, unsigned *x)
{
	if (fourcc == HXFR_FMT_BGRX || fourcc == HXFR_FMT_BGRA) {
		*b = 0, *g = 1, *r = 2, *x = 3;
	} else {
		*r = 0, *g = 1, *b = 2, *x = 3;
	}
}

/* A W x H packed picture with row padding and a given alpha. */
static uint8_t *make_rgb(uint32_t fourcc, uint32_t stride, uint8_t alpha)
{
	uint8_t *buf = g_malloc0((size_t)stride * H);
	unsigned r, g, b, x;

	rgb_offsets(fourcc, &r, &g, &b, &x);
	for (unsigned y = 0; y < H; y++) {
		for (unsigned px = 0; px < W; px++) {
			uint8_t *p = buf + y * stride + px * 4;
			const struct colour *c = &colours[px / PATCH];

			p[r] = c->r;
			p[g] = c->g;
			p[b] = c->b;
			p[x] = alpha;
		}
	}
	return buf;
}

static void assert_near(const char *what, const char *colour, unsigned got, unsigned want)
{
	if (got + TOLERANCE < want || got > want + TOLERANCE)
		g_error("%s of %s: got %u, want %u +- %d", what, colour, got, want, TOLERANCE);
}

/* Check every sample of every patch of an NV12 picture. */
static void check_nv12(const uint8_t *y, uint32_t ys, const uint8_t *uv, uint32_t uvs)
{
	for (unsigned row = 0; row < H; row++) {
		for (unsigned px = 0; px < W; px++)
			assert_near("Y", colours[px / PATCH].name, y[row * ys + px], colours[px / PATCH].y);
	}
	for (unsigned row = 0; row < H / 2; row++) {
		for (unsigned cx = 0; cx < W / 2; cx++) {
			const struct colour *c = &colours[cx * 2 / PATCH];

			assert_near("U", c->name, uv[row * uvs + cx * 2], c->u);
			assert_near("V", c->name, uv[row * uvs + cx * 2 + 1], c->v);
		}
	}
}

static void check_rgb_format(uint32_t fourcc)
{
	uint32_t stride = W * 4 + 12;
	uint8_t *rgb = make_rgb(fourcc, stride, fourcc == HXFR_FMT_BGRA || fourcc == HXFR_FMT_RGBA ? 0x40 : 0);
	struct he_image img = { .fourcc = fourcc, .width = W, .height = H, .plane = { rgb }, .stride = { stride } };
	uint8_t y[(W + 16) * H], uv[(W + 16) * H / 2];
	uint8_t i420_y[W * H], i420_u[W / 2 * H / 2], i420_v[W / 2 * H / 2];
	uint8_t *planes[3] = { i420_y, i420_u, i420_v };
	uint32_t strides[3] = { W, W / 2, W / 2 };

	g_test_message("format %s", he_image_format_name(fourcc));
	memset(y, 0, sizeof(y));
	memset(uv, 0, sizeof(uv));
	g_assert_cmpint(he_convert_to_nv12(&img, y, W + 16, uv, W + 16), ==, 0);
	check_nv12(y, W + 16, uv, W + 16);

	g_assert_cmpint(he_convert_to_i420(&img, planes, strides), ==, 0);
	for (unsigned i = 0; i < NPATCH; i++) {
		const struct colour *c = &colours[i];

		assert_near("I420 Y", c->name, i420_y[i * PATCH + 3], c->y);
		assert_near("I420 U", c->name, i420_u[i * PATCH / 2 + 1], c->u);
		assert_near("I420 V", c->name, i420_v[i * PATCH / 2 + 1], c->v);
	}
	g_free(rgb);
}

static void test_bgrx(void)
{
	check_rgb_format(HXFR_FMT_BGRX);
}

static void test_bgra(void)
{
	check_rgb_format(HXFR_FMT_BGRA);
}

static void test_rgbx(void)
{
	check_rgb_format(HXFR_FMT_RGBX);
}

static void test_rgba(void)
{
	check_rgb_format(HXFR_FMT_RGBA);
}

/* An I420 picture of the expected YUV values converts to the same NV12. */
static void test_i420_and_nv12(void)
{
	uint8_t iy[W * H], iu[W / 2 * H / 2], iv[W / 2 * H / 2];
	uint8_t y[W * H], uv[W * H / 2], y2[W * H], uv2[W * H / 2];
	struct he_image img = {
		.fourcc = HXFR_FMT_I420, .width = W, .height = H,
		.plane = { iy, iu, iv }, .stride = { W, W / 2, W / 2 },
	};
	struct he_image nv12 = {
		.fourcc = HXFR_FMT_NV12, .width = W, .height = H,
		.plane = { y, uv }, .stride = { W, W },
	};

	for (unsigned row = 0; row < H; row++) {
		for (unsigned px = 0; px < W; px++)
			iy[row * W + px] = colours[px / PATCH].y;
	}
	for (unsigned row = 0; row < H / 2; row++) {
		for (unsigned cx = 0; cx < W / 2; cx++) {
			iu[row * W / 2 + cx] = colours[cx * 2 / PATCH].u;
			iv[row * W / 2 + cx] = colours[cx * 2 / PATCH].v;
		}
	}
	g_assert_cmpint(he_convert_to_nv12(&img, y, W, uv, W), ==, 0);
	check_nv12(y, W, uv, W);
	/* Exact, not just near: no colour maths on this path. */
	for (unsigned i = 0; i < W / 2 * H / 2; i++) {
		g_assert_cmpuint(uv[(i / (W / 2)) * W + (i % (W / 2)) * 2], ==, iu[i]);
		g_assert_cmpuint(uv[(i / (W / 2)) * W + (i % (W / 2)) * 2 + 1], ==, iv[i]);
	}

	/* NV12 -> NV12 is a copy. */
	g_assert_cmpint(he_convert_to_nv12(&nv12, y2, W, uv2, W), ==, 0);
	g_assert_cmpmem(y2, sizeof(y2), y, sizeof(y));
	g_assert_cmpmem(uv2, sizeof(uv2), uv, sizeof(uv));
}

/* Odd sizes: chroma is ceil(w/2) x ceil(h/2) and covers the lone column/row. */
static void test_odd_size(void)
{
	enum { OW = 5, OH = 3, CW = 3, CH = 2 };
	uint8_t rgb[OW * 4 * OH], y[OW * OH], uv[CW * 2 * CH];
	struct he_image img = { .fourcc = HXFR_FMT_BGRX, .width = OW, .height = OH,
				.plane = { rgb }, .stride = { OW * 4 } };

	for (unsigned i = 0; i < OW * OH; i++) {
		rgb[i * 4 + 0] = 0;
		rgb[i * 4 + 1] = 0;
		rgb[i * 4 + 2] = 255;
		rgb[i * 4 + 3] = 0;
	}
	memset(y, 0, sizeof(y));
	memset(uv, 0, sizeof(uv));
	g_assert_cmpint(he_convert_to_nv12(&img, y, OW, uv, CW * 2), ==, 0);
	for (unsigned i = 0; i < OW * OH; i++)
		assert_near("Y", "red", y[i], colours[0].y);
	for (unsigned i = 0; i < CW * CH; i++) {
		assert_near("U", "red", uv[i * 2], colours[0].u);
		assert_near("V", "red", uv[i * 2 + 1], colours[0].v);
	}
	/* A UV stride of 2 * floor(w/2) is too small for an odd width. */
	g_assert_cmpint(he_convert_to_nv12(&img, y, OW, uv, 4), ==, -EINVAL);
}

static void test_invalid(void)
{
	uint8_t buf[64 * 16] = { 0 }, dy[16 * 16], du[16 * 8], dv[8 * 8];
	uint8_t *planes[3] = { dy, du, dv };
	uint32_t strides[3] = { 16, 8, 8 };
	struct he_image ok = { .fourcc = HXFR_FMT_BGRX, .width = 16, .height = 16,
			       .plane = { buf }, .stride = { 64 } };
	struct he_image bad;

	g_assert_cmpint(he_convert_to_nv12(&ok, dy, 16, du, 16), ==, 0);
	g_assert_cmpint(he_convert_to_nv12(NULL, dy, 16, du, 16), ==, -EINVAL);
	g_assert_cmpint(he_convert_to_nv12(&ok, NULL, 16, du, 16), ==, -EINVAL);
	g_assert_cmpint(he_convert_to_nv12(&ok, dy, 16, NULL, 16), ==, -EINVAL);
	g_assert_cmpint(he_convert_to_nv12(&ok, dy, 15, du, 16), ==, -EINVAL);
	g_assert_cmpint(he_convert_to_nv12(&ok, dy, 16, du, 15), ==, -EINVAL);
	g_assert_cmpint(he_convert_to_i420(&ok, NULL, strides), ==, -EINVAL);
	strides[1] = 7;
	g_assert_cmpint(he_convert_to_i420(&ok, planes, strides), ==, -EINVAL);

	bad = ok;
	bad.fourcc = HXFR_FOURCC('Y', 'U', 'Y', 'V');
	g_assert_cmpint(he_convert_to_nv12(&bad, dy, 16, du, 16), ==, -EINVAL);
	bad = ok;
	bad.width = 0;
	g_assert_cmpint(he_convert_to_nv12(&bad, dy, 16, du, 16), ==, -EINVAL);
	bad = ok;
	bad.height = HE_IMAGE_MAX_DIM + 1;
	g_assert_cmpint(he_convert_to_nv12(&bad, dy, 16, du, 16), ==, -EINVAL);
	bad = ok;
	bad.stride[0] = 63;             /* < 16 * 4 */
	g_assert_cmpint(he_convert_to_nv12(&bad, dy, 16, du, 16), ==, -EINVAL);
	bad = ok;
	bad.plane[0] = NULL;
	g_assert_cmpint(he_convert_to_nv12(&bad, dy, 16, du, 16), ==, -EINVAL);
	bad = ok;
	bad.fourcc = HXFR_FMT_I420;     /* needs three planes */
	bad.stride[0] = 16;
	g_assert_cmpint(he_convert_to_nv12(&bad, dy, 16, du, 16), ==, -EINVAL);
}


int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/media/convert/bgrx", test_bgrx);
	g_test_add_func("/media/convert/bgra", test_bgra);
	g_test_add_func("/media/convert/rgbx", test_rgbx);
	g_test_add_func("/media/convert/rgba", test_rgba);
	g_test_add_func("/media/convert/i420-and-nv12", test_i420_and_nv12);
	g_test_add_func("/media/convert/odd-size", test_odd_size);
	g_test_add_func("/media/convert/invalid", test_invalid);
	return g_test_run();
}
