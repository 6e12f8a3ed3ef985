/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for the built-in test pattern (daemon/pattern). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "pattern.h"

#define PAD        64u   /* extra bytes per row, to test stride != w * 4 */
#define PAD_BYTE   0xa5u
#define NOISE      20
#define SEED       0x5eedu
#define T0_US      INT64_C(1700000000123456) /* 2023-11-14 22:13:20.123456 */

struct size {
	uint32_t w, h;
};

static const struct size main_sizes[] = {
	{ 640, 360 }, { 1280, 720 }, { 1920, 1080 }, { 1000, 563 },
};

static const struct size extra_sizes[] = {
	{ 64, 64 }, { 3840, 2160 }, { 8192, 64 }, { 64, 8192 }, { 1024, 768 },
	{ 720, 1280 }, { 333, 777 }, { 1366, 768 },
};

/* A BGRx picture with padding after each row. */
struct picture {
	uint8_t *px;
	uint32_t w, h, stride;
};

static struct picture picture_new(uint32_t w, uint32_t h)
{
	struct picture pic = { NULL, w, h, w * 4 + PAD };

	pic.px = g_malloc((size_t)pic.stride * h);
	memset(pic.px, PAD_BYTE, (size_t)pic.stride * h);
	return pic;
}

static void picture_free(struct picture *pic)
{
	g_clear_pointer(&pic->px, g_free);
}

static uint32_t picture_rgb(const struct picture *pic, uint32_t x, uint32_t y)
{
	const uint8_t *p = pic->px + (size_t)y * pic->stride + (size_t)x * 4;

	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static bool padding_intact(const struct picture *pic)
{
	for (uint32_t y = 0; y < pic->h; y++) {
		const uint8_t *pad = pic->px + (size_t)y * pic->stride + pic->w * 4;

		for (uint32_t i = 0; i < PAD; i++) {
			if (pad[i] != PAD_BYTE)
				return false;
		}
	}
	return true;
}

static bool rect_equal(const struct picture *a, const struct picture *b,
		       uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	for (uint32_t j = y; j < y + h; j++) {
		if (memcmp(a->px + (size_t)j * a->stride + (size_t)x * 4,
			   b->px + (size_t)j * b->stride + (size_t)x * 4,
			   (size_t)w * 4))
			return false;
	}
	return true;
}

static bool picture_equal(const struct picture *a, const struct picture *b)
{
	return rect_equal(a, b, 0, 0, a->w, a->h);
}

static uint8_t clamp_u8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* BT.601 limited-range luma, as an H.264 decoder would hand it out. */
static uint8_t *picture_to_y(const struct picture *pic)
{
	uint8_t *y = g_malloc((size_t)pic->w * pic->h);

	for (uint32_t j = 0; j < pic->h; j++) {
		for (uint32_t i = 0; i < pic->w; i++) {
			const uint8_t *p = pic->px + (size_t)j * pic->stride + (size_t)i * 4;
			int v = 16 + ((66 * p[2] + 129 * p[1] + 25 * p[0] + 128) >> 8);

			y[(size_t)j * pic->w + i] = clamp_u8(v);
		}
	}
	return y;
}

static void add_noise(struct picture *pic, GRand *rand)
{
	for (uint32_t j = 0; j < pic->h; j++) {
		uint8_t *row = pic->px + (size_t)j * pic->stride;

		for (uint32_t i = 0; i < pic->w * 4; i++) {
			if (i % 4 != 3)
				row[i] = clamp_u8(row[i] + g_rand_int_range(rand, -NOISE, NOISE + 1));
		}
	}
}

static void blur_3x3(struct picture *pic)
{
	struct picture src = picture_new(pic->w, pic->h);

	memcpy(src.px, pic->px, (size_t)pic->stride * pic->h);
	for (uint32_t j = 0; j < pic->h; j++) {
		for (uint32_t i = 0; i < pic->w; i++) {
			for (uint32_t ch = 0; ch < 3; ch++) {
				int sum = 0;

				for (int dy = -1; dy <= 1; dy++) {
					for (int dx = -1; dx <= 1; dx++) {
						int64_t yy = CLAMP((int64_t)j + dy, 0, pic->h - 1);
						int64_t xx = CLAMP((int64_t)i + dx, 0, pic->w - 1);

						sum += src.px[yy * src.stride + xx * 4 + ch];
					}
				}
				pic->px[(size_t)j * pic->stride + i * 4 + ch] = (uint8_t)((sum + 4) / 9);
			}
		}
	}
	picture_free(&src);
}

static void render(struct he_pattern *p, struct picture *pic, uint64_t n,
		   int64_t t_us)
{
	he_pattern_render(p, n, t_us, pic->px, pic->stride);
}

static void assert_probes(struct he_pattern *p, const struct picture *pic)
{
	struct he_pattern_probe probes[HE_PATTERN_PROBE_COUNT];
	size_t n = he_pattern_probes(p, probes, G_N_ELEMENTS(probes));

	g_assert_cmpuint(n, ==, HE_PATTERN_PROBE_COUNT);
	for (size_t i = 0; i < n; i++) {
		const struct he_pattern_probe *pr = &probes[i];
		uint32_t want = (uint32_t)pr->r << 16 | (uint32_t)pr->g << 8 | pr->b;

		g_assert_nonnull(pr->name);
		g_assert_cmpuint(pr->w, >, 0);
		g_assert_cmpuint(pr->h, >, 0);
		g_assert_cmpuint(pr->x + pr->w, <=, pic->w);
		g_assert_cmpuint(pr->y + pr->h, <=, pic->h);
		for (uint32_t y = pr->y; y < pr->y + pr->h; y++) {
			for (uint32_t x = pr->x; x < pr->x + pr->w; x++) {
				uint32_t got = picture_rgb(pic, x, y);

				if (got != want)
					g_error("%ux%u probe %s at (%u,%u): 0x%06x != 0x%06x",
						pic->w, pic->h, pr->name, x, y, got, want);
			}
		}
	}
}

static void assert_code(const struct picture *pic,
			const struct he_pattern_code *want)
{
	struct he_pattern_code got;
	uint32_t frame_no = 0, time_ms = 0;
	uint8_t *y;

	g_assert_cmpint(he_pattern_read(pic->px, pic->stride, pic->w, pic->h, &got), ==, 0);
	g_assert_cmpmem(&got, sizeof(got), want, sizeof(*want));
	g_assert_cmpint(he_pattern_read_code(pic->px, pic->stride, pic->w, pic->h,
					     &frame_no, &time_ms), ==, 0);
	g_assert_cmpuint(frame_no, ==, want->frame_no);
	g_assert_cmpuint(time_ms, ==, want->time_ms);

	y = picture_to_y(pic);
	memset(&got, 0, sizeof(got));
	g_assert_cmpint(he_pattern_read_y(y, pic->w, pic->w, pic->h, &got), ==, 0);
	g_assert_cmpmem(&got, sizeof(got), want, sizeof(*want));
	g_assert_cmpint(he_pattern_read_code_y(y, pic->w, pic->w, pic->h,
					       &frame_no, NULL), ==, 0);
	g_assert_cmpuint(frame_no, ==, want->frame_no);
	g_free(y);
}

static void test_bad_sizes(void)
{
	static const struct size bad[] = {
		{ 0, 0 }, { 0, 360 }, { 640, 0 }, { 63, 64 }, { 64, 63 },
		{ 8193, 64 }, { 64, 8193 }, { UINT32_MAX, UINT32_MAX },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_null(he_pattern_create(bad[i].w, bad[i].h));
	he_pattern_destroy(NULL);
}

static void check_probes_at(struct size sz)
{
	static const uint64_t frames[] = { 0, 1, 2, 59, 60, 61, 1000, 123456789 };
	struct he_pattern *p = he_pattern_create(sz.w, sz.h);
	struct picture pic = picture_new(sz.w, sz.h);

	g_assert_nonnull(p);
	g_assert_cmpuint(he_pattern_width(p), ==, sz.w);
	g_assert_cmpuint(he_pattern_height(p), ==, sz.h);
	for (size_t i = 0; i < G_N_ELEMENTS(frames); i++) {
		render(p, &pic, frames[i], T0_US + (int64_t)i * 16667);
		assert_probes(p, &pic);
		g_assert_true(padding_intact(&pic));
	}
	picture_free(&pic);
	he_pattern_destroy(p);
}

static void test_probes(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(main_sizes); i++)
		check_probes_at(main_sizes[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(extra_sizes); i++)
		check_probes_at(extra_sizes[i]);
}

static void test_probe_colours_documented(void)
{
	static const uint32_t want[HE_PATTERN_PROBE_COUNT] = {
		0x2060b0, 0xd07020, 0xe8e8e0, 0x282830, 0x505050,
	};
	static const char *const names[HE_PATTERN_PROBE_COUNT] = {
		"background", "title", "body", "panel", "click",
	};
	struct he_pattern_probe probes[HE_PATTERN_PROBE_COUNT];
	struct he_pattern *p = he_pattern_create(640, 360);

	/* Fewer than all, then a size query. */
	g_assert_cmpuint(he_pattern_probes(p, probes, 2), ==, HE_PATTERN_PROBE_COUNT);
	g_assert_cmpuint(he_pattern_probes(p, NULL, 0), ==, HE_PATTERN_PROBE_COUNT);
	he_pattern_probes(p, probes, G_N_ELEMENTS(probes));
	for (size_t i = 0; i < HE_PATTERN_PROBE_COUNT; i++) {
		g_assert_cmpstr(probes[i].name, ==, names[i]);
		g_assert_cmpuint((uint32_t)probes[i].r << 16 | (uint32_t)probes[i].g << 8 |
				 probes[i].b, ==, want[i]);
		/* Big enough to sample after lossy coding. */
		g_assert_cmpuint(probes[i].w, >=, 32);
		g_assert_cmpuint(probes[i].h, >=, 32);
	}
	/* Grid arithmetic from the header: u = 10, origin (0, 0). */
	g_assert_cmpuint(probes[0].x, ==, 480);
	g_assert_cmpuint(probes[0].y, ==, 240);
	g_assert_cmpuint(probes[0].w, ==, 100);
	g_assert_cmpuint(probes[0].h, ==, 40);
	he_pattern_destroy(p);
}

static bool rects_overlap(const struct he_pattern_rect *a,
			  const struct he_pattern_probe *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w &&
	       a->y < b->y + b->h && b->y < a->y + a->h;
}

static void check_layout_at(uint32_t w, uint32_t h)
{
	struct he_pattern *p = he_pattern_create(w, h);
	struct he_pattern_probe probes[HE_PATTERN_PROBE_COUNT];
	struct he_pattern_rect r;

	g_assert_nonnull(p);
	he_pattern_probes(p, probes, G_N_ELEMENTS(probes));
	for (int i = 0; i < HE_PATTERN_REGION_COUNT; i++) {
		g_assert_cmpint(he_pattern_region(p, i, &r), ==, 0);
		g_assert_cmpuint(r.x + r.w, <=, w);
		g_assert_cmpuint(r.y + r.h, <=, h);
		for (size_t j = 0; j < HE_PATTERN_PROBE_COUNT; j++)
			g_assert_false(rects_overlap(&r, &probes[j]));
	}
	for (size_t j = 0; j < HE_PATTERN_PROBE_COUNT; j++) {
		g_assert_cmpuint(probes[j].x + probes[j].w, <=, w);
		g_assert_cmpuint(probes[j].y + probes[j].h, <=, h);
	}
	g_assert_cmpint(he_pattern_region(p, HE_PATTERN_REGION_COUNT, &r), ==, -EINVAL);
	g_assert_cmpint(he_pattern_region(p, (enum he_pattern_region)-1, &r), ==, -EINVAL);
	he_pattern_destroy(p);
}

static void test_layout(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(main_sizes); i++)
		check_layout_at(main_sizes[i].w, main_sizes[i].h);
	for (size_t i = 0; i < G_N_ELEMENTS(extra_sizes); i++)
		check_layout_at(extra_sizes[i].w, extra_sizes[i].h);
	/* Random sizes; the limits are covered by extra_sizes. */
	for (int i = 0; i < 100; i++)
		check_layout_at((uint32_t)g_test_rand_int_range(64, 2049),
				(uint32_t)g_test_rand_int_range(64, 2049));
}

static bool in_rect(const struct he_pattern_rect *r, uint32_t x, uint32_t y)
{
	return x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

/* Between two frames without input, pixels change only in the dynamic
 * regions (counter, clock, moving box, code strip). */
static void test_changes_confined(void)
{
	struct he_pattern *p = he_pattern_create(640, 360);
	struct picture a = picture_new(640, 360), b = picture_new(640, 360);
	static const enum he_pattern_region dyn[] = {
		HE_PATTERN_REGION_FRAME_TEXT, HE_PATTERN_REGION_TIME_TEXT,
		HE_PATTERN_REGION_MOVING, HE_PATTERN_REGION_CODE,
	};
	struct he_pattern_rect rects[G_N_ELEMENTS(dyn)];

	for (size_t i = 0; i < G_N_ELEMENTS(dyn); i++)
		he_pattern_region(p, dyn[i], &rects[i]);
	render(p, &a, 0, T0_US);
	for (uint64_t n = 1; n <= 360; n++) {
		struct picture *cur = n % 2 ? &b : &a, *prev = n % 2 ? &a : &b;

		render(p, cur, n, T0_US + (int64_t)n * 16667);
		for (uint32_t y = 0; y < 360; y++) {
			for (uint32_t x = 0; x < 640; x++) {
				bool in = false;

				if (picture_rgb(cur, x, y) == picture_rgb(prev, x, y))
					continue;
				for (size_t i = 0; i < G_N_ELEMENTS(rects); i++)
					in = in || in_rect(&rects[i], x, y);
				if (!in)
					g_error("frame %" PRIu64 ": (%u,%u) changed outside dynamic regions",
						n, x, y);
			}
		}
	}
	picture_free(&a);
	picture_free(&b);
	he_pattern_destroy(p);
}

static void test_frames_differ(void)
{
	for (size_t s = 0; s < G_N_ELEMENTS(main_sizes); s++) {
		struct size sz = main_sizes[s];
		struct he_pattern *p = he_pattern_create(sz.w, sz.h);
		struct picture a = picture_new(sz.w, sz.h), b = picture_new(sz.w, sz.h);
		struct he_pattern_probe probes[HE_PATTERN_PROBE_COUNT];
		struct he_pattern_rect mov;

		he_pattern_probes(p, probes, G_N_ELEMENTS(probes));
		he_pattern_region(p, HE_PATTERN_REGION_MOVING, &mov);
		for (uint64_t n = 0; n < 200; n += 7) {
			render(p, &a, n, T0_US);
			render(p, &b, n + 1, T0_US);
			g_assert_false(picture_equal(&a, &b));
			/* The box itself moves, not only the counter and code. */
			g_assert_false(rect_equal(&a, &b, mov.x, mov.y, mov.w, mov.h));
			for (size_t i = 0; i < HE_PATTERN_PROBE_COUNT; i++)
				g_assert_true(rect_equal(&a, &b, probes[i].x, probes[i].y,
							 probes[i].w, probes[i].h));
		}
		picture_free(&a);
		picture_free(&b);
		he_pattern_destroy(p);
	}
}

/* Every pixel is written: two renders into different garbage agree. */
static void test_full_coverage(void)
{
	struct he_pattern *p = he_pattern_create(1000, 563);
	struct picture a = picture_new(1000, 563), b = picture_new(1000, 563);

	for (uint32_t y = 0; y < 563; y++) {
		memset(a.px + (size_t)y * a.stride, 0x00, 4000);
		memset(b.px + (size_t)y * b.stride, 0xff, 4000);
	}
	render(p, &a, 42, T0_US);
	render(p, &b, 42, T0_US);
	g_assert_true(picture_equal(&a, &b));
	g_assert_true(padding_intact(&a));
	g_assert_true(padding_intact(&b));
	picture_free(&a);
	picture_free(&b);
	he_pattern_destroy(p);
}

static const struct {
	uint64_t frame_no;
	int64_t time_us;
} code_cases[] = {
	{ 0, 0 },
	{ 1, T0_US },
	{ 0xffffffffu, T0_US + 999 },
	{ UINT64_C(0x1234567890), INT64_C(0x7fffffffffffffff) },
	{ 0xaaaaaaaau, 0x5555555555 },
	{ 7, -1 },
};

static void test_code_exact(void)
{
	for (size_t s = 0; s < G_N_ELEMENTS(main_sizes) + G_N_ELEMENTS(extra_sizes); s++) {
		struct size sz = s < G_N_ELEMENTS(main_sizes) ? main_sizes[s] :
			extra_sizes[s - G_N_ELEMENTS(main_sizes)];
		struct he_pattern *p = he_pattern_create(sz.w, sz.h);
		struct picture pic = picture_new(sz.w, sz.h);

		for (size_t i = 0; i < G_N_ELEMENTS(code_cases); i++) {
			struct he_pattern_code want;

			render(p, &pic, code_cases[i].frame_no, code_cases[i].time_us);
			he_pattern_expected(p, code_cases[i].frame_no,
					    code_cases[i].time_us, &want);
			g_assert_cmpuint(want.frame_no, ==, (uint32_t)code_cases[i].frame_no);
			assert_code(&pic, &want);
		}
		picture_free(&pic);
		he_pattern_destroy(p);
	}
}

static void test_code_time_values(void)
{
	struct he_pattern *p = he_pattern_create(640, 360);
	struct he_pattern_code c;

	he_pattern_expected(p, 5, T0_US, &c);
	g_assert_cmpuint(c.time_ms, ==, (uint32_t)(T0_US / 1000));
	he_pattern_expected(p, 5, -1, &c);
	g_assert_cmpuint(c.time_ms, ==, UINT32_MAX); /* floor(-0.001 ms) */
	g_assert_cmpuint(c.pointer_x, ==, 0xffff);
	g_assert_cmpuint(c.pointer_y, ==, 0xffff);
	g_assert_cmpuint(c.key_code, ==, 0);
	g_assert_cmpuint(c.key_count, ==, 0);
	g_assert_cmpuint(c.click_count, ==, 0);
	he_pattern_destroy(p);
}

enum damage { DAMAGE_NOISE = 1, DAMAGE_BLUR = 2 };

static void check_damaged(unsigned damage)
{
	GRand *rand = g_rand_new_with_seed(SEED);

	for (size_t s = 0; s < G_N_ELEMENTS(main_sizes); s++) {
		struct size sz = main_sizes[s];
		struct he_pattern *p = he_pattern_create(sz.w, sz.h);
		struct picture pic = picture_new(sz.w, sz.h);

		he_pattern_set_key(p, (uint8_t)'q', "q");
		he_pattern_set_pointer(p, (int)sz.w / 3, (int)sz.h / 2, 1);
		for (size_t i = 0; i < G_N_ELEMENTS(code_cases); i++) {
			struct he_pattern_code want;

			render(p, &pic, code_cases[i].frame_no, code_cases[i].time_us);
			he_pattern_expected(p, code_cases[i].frame_no,
					    code_cases[i].time_us, &want);
			if (damage & DAMAGE_NOISE)
				add_noise(&pic, rand);
			if (damage & DAMAGE_BLUR)
				blur_3x3(&pic);
			assert_code(&pic, &want);
		}
		picture_free(&pic);
		he_pattern_destroy(p);
	}
	g_rand_free(rand);
}

static void test_code_noise(void)
{
	check_damaged(DAMAGE_NOISE);
}

static void test_code_blur(void)
{
	check_damaged(DAMAGE_BLUR);
}

static void test_code_noise_blur(void)
{
	check_damaged(DAMAGE_NOISE | DAMAGE_BLUR);
}

static void key_region(struct he_pattern *p, struct picture *pic,
		       struct he_pattern_rect *r, const char *key)
{
	if (key)
		he_pattern_set_key(p, (uint8_t)key[0], key);
	render(p, pic, 3, T0_US);
	he_pattern_region(p, HE_PATTERN_REGION_KEY_TEXT, r);
}

static void test_key(void)
{
	struct he_pattern *p = he_pattern_create(1280, 720);
	struct picture none = picture_new(1280, 720), a = picture_new(1280, 720);
	struct picture b = picture_new(1280, 720);
	struct he_pattern_code c;
	struct he_pattern_rect r;

	key_region(p, &none, &r, NULL);
	key_region(p, &a, &r, "a");
	g_assert_false(rect_equal(&none, &a, r.x, r.y, r.w, r.h));
	g_assert_cmpint(he_pattern_read(a.px, a.stride, 1280, 720, &c), ==, 0);
	g_assert_cmpuint(c.key_code, ==, 'a');
	g_assert_cmpuint(c.key_count, ==, 1);
	assert_probes(p, &a);

	/* Upper-cased on screen, but the code keeps the raw byte. */
	key_region(p, &b, &r, "A");
	g_assert_true(rect_equal(&a, &b, r.x, r.y, r.w, r.h));
	g_assert_cmpint(he_pattern_read(b.px, b.stride, 1280, 720, &c), ==, 0);
	g_assert_cmpuint(c.key_code, ==, 'A');
	g_assert_cmpuint(c.key_count, ==, 2);

	/* One '?' per unknown character, including multi-byte UTF-8. */
	key_region(p, &a, &r, "\xc3\xa9\\x");
	key_region(p, &b, &r, "??X");
	g_assert_true(rect_equal(&a, &b, r.x, r.y, r.w, r.h));

	/* Long names are cut, NULL is ignored. */
	key_region(p, &a, &r, "Escape");
	key_region(p, &b, &r, NULL);
	g_assert_true(rect_equal(&a, &b, r.x, r.y, r.w, r.h));
	key_region(p, &a, &r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	key_region(p, &b, &r, "abcdefghijklmnop");
	g_assert_true(rect_equal(&a, &b, r.x, r.y, r.w, r.h));
	g_assert_cmpint(he_pattern_read(b.px, b.stride, 1280, 720, &c), ==, 0);
	g_assert_cmpuint(c.key_code, ==, 'a');
	g_assert_cmpuint(c.key_count, ==, 7);

	/* key_count wraps at 256. */
	for (int i = 0; i < 250; i++)
		he_pattern_set_key(p, 0, "");
	render(p, &a, 3, T0_US);
	g_assert_cmpint(he_pattern_read(a.px, a.stride, 1280, 720, &c), ==, 0);
	g_assert_cmpuint(c.key_code, ==, 0);
	g_assert_cmpuint(c.key_count, ==, 1);

	picture_free(&none);
	picture_free(&a);
	picture_free(&b);
	he_pattern_destroy(p);
}

static uint32_t click_probe_rgb(struct he_pattern *p, const struct picture *pic)
{
	struct he_pattern_probe probes[HE_PATTERN_PROBE_COUNT];
	const struct he_pattern_probe *pr;

	he_pattern_probes(p, probes, G_N_ELEMENTS(probes));
	pr = &probes[HE_PATTERN_PROBE_CLICK];
	g_assert_cmpuint((uint32_t)pr->r << 16 | (uint32_t)pr->g << 8 | pr->b, ==,
			 picture_rgb(pic, pr->x + pr->w / 2, pr->y + pr->h / 2));
	return picture_rgb(pic, pr->x + pr->w / 2, pr->y + pr->h / 2);
}

static void pointer_frame(struct he_pattern *p, struct picture *pic, int x,
			  int y, uint32_t buttons, struct he_pattern_code *c)
{
	he_pattern_set_pointer(p, x, y, buttons);
	render(p, pic, 9, T0_US);
	assert_probes(p, pic);
	g_assert_cmpint(he_pattern_read(pic->px, pic->stride, pic->w, pic->h, c), ==, 0);
}

static void test_pointer(void)
{
	struct he_pattern *p = he_pattern_create(640, 360);
	struct picture pic = picture_new(640, 360);
	struct picture before = picture_new(640, 360);
	struct he_pattern_code c;
	struct he_pattern_rect r;

	render(p, &pic, 9, T0_US);
	g_assert_cmpuint(click_probe_rgb(p, &pic), ==, HE_PATTERN_RGB_CLICK_IDLE);
	memcpy(before.px, pic.px, (size_t)pic.stride * pic.h);

	pointer_frame(p, &pic, 100, 50, 0, &c);
	g_assert_cmpuint(c.pointer_x, ==, 100);
	g_assert_cmpuint(c.pointer_y, ==, 50);
	g_assert_cmpuint(c.click_count, ==, 0);
	g_assert_cmpuint(click_probe_rgb(p, &pic), ==, HE_PATTERN_RGB_CLICK_IDLE);
	g_assert_cmpuint(picture_rgb(&pic, 100, 50), ==, HE_PATTERN_RGB_POINTER);
	he_pattern_region(p, HE_PATTERN_REGION_POINTER_TEXT, &r);
	g_assert_false(rect_equal(&before, &pic, r.x, r.y, r.w, r.h));
	memcpy(before.px, pic.px, (size_t)pic.stride * pic.h);

	pointer_frame(p, &pic, 101, 51, 1, &c);
	g_assert_false(rect_equal(&before, &pic, r.x, r.y, r.w, r.h));
	g_assert_cmpuint(c.click_count, ==, 1);
	g_assert_cmpuint(click_probe_rgb(p, &pic), ==, HE_PATTERN_RGB_CLICK);
	pointer_frame(p, &pic, 120, 60, 1, &c); /* drag: no new click */
	g_assert_cmpuint(c.click_count, ==, 1);
	pointer_frame(p, &pic, 120, 60, 0, &c); /* release: stays latched */
	g_assert_cmpuint(c.click_count, ==, 1);
	g_assert_cmpuint(click_probe_rgb(p, &pic), ==, HE_PATTERN_RGB_CLICK);
	pointer_frame(p, &pic, 120, 60, 5, &c); /* two buttons at once */
	g_assert_cmpuint(c.click_count, ==, 3);

	/* Clamped to the frame. */
	pointer_frame(p, &pic, -5, 99999, 0, &c);
	g_assert_cmpuint(c.pointer_x, ==, 0);
	g_assert_cmpuint(c.pointer_y, ==, 359);
	pointer_frame(p, &pic, INT32_MAX, INT32_MIN, 0, &c);
	g_assert_cmpuint(c.pointer_x, ==, 639);
	g_assert_cmpuint(c.pointer_y, ==, 0);

	picture_free(&before);
	picture_free(&pic);
	he_pattern_destroy(p);
}

/* A crosshair over a probe or the code strip leaves them intact. */
static void test_pointer_over_probes(void)
{
	for (size_t s = 0; s < G_N_ELEMENTS(main_sizes); s++) {
		struct size sz = main_sizes[s];
		struct he_pattern *p = he_pattern_create(sz.w, sz.h);
		struct picture pic = picture_new(sz.w, sz.h);
		struct he_pattern_probe probes[HE_PATTERN_PROBE_COUNT];
		struct he_pattern_rect code;
		struct he_pattern_code c;

		he_pattern_probes(p, probes, G_N_ELEMENTS(probes));
		he_pattern_region(p, HE_PATTERN_REGION_CODE, &code);
		for (size_t i = 0; i < HE_PATTERN_PROBE_COUNT; i++) {
			const struct he_pattern_probe *pr = &probes[i];
			int corners[][2] = {
				{ (int)(pr->x + pr->w / 2), (int)(pr->y + pr->h / 2) },
				{ (int)pr->x - 1, (int)pr->y - 1 },
				{ (int)(pr->x + pr->w), (int)(pr->y + pr->h) },
			};

			for (size_t k = 0; k < G_N_ELEMENTS(corners); k++)
				pointer_frame(p, &pic, corners[k][0], corners[k][1], 0, &c);
		}
		for (uint32_t x = code.x; x < code.x + code.w; x += code.h / 5)
			pointer_frame(p, &pic, (int)x, (int)(code.y + code.h / 2), 0, &c);
		picture_free(&pic);
		he_pattern_destroy(p);
	}
}

static void fill_picture(struct picture *pic, uint8_t v)
{
	for (uint32_t y = 0; y < pic->h; y++)
		memset(pic->px + (size_t)y * pic->stride, v, (size_t)pic->w * 4);
}

static void assert_no_code(const struct picture *pic)
{
	struct he_pattern_code c;
	uint8_t *y = picture_to_y(pic);

	g_assert_cmpint(he_pattern_read(pic->px, pic->stride, pic->w, pic->h, &c), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read_code(pic->px, pic->stride, pic->w, pic->h,
					     NULL, NULL), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read_y(y, pic->w, pic->w, pic->h, &c), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read_code_y(y, pic->w, pic->w, pic->h, NULL, NULL), ==, -EINVAL);
	g_free(y);
}

static void test_read_invalid(void)
{
	static const uint8_t blanks[] = { 0, 128, 255 };
	struct picture pic = picture_new(640, 360);
	GRand *rand = g_rand_new_with_seed(SEED);
	struct he_pattern_code c;

	for (size_t i = 0; i < G_N_ELEMENTS(blanks); i++) {
		fill_picture(&pic, blanks[i]);
		assert_no_code(&pic);
	}
	for (int n = 0; n < 20; n++) {
		for (size_t i = 0; i < (size_t)pic.stride * pic.h; i++)
			pic.px[i] = (uint8_t)g_rand_int(rand);
		assert_no_code(&pic);
	}

	/* Bad arguments. */
	g_assert_cmpint(he_pattern_read(NULL, 2560, 640, 360, &c), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read(pic.px, pic.stride, 640, 360, NULL), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read(pic.px, 2559, 640, 360, &c), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read(pic.px, pic.stride, 63, 360, &c), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read(pic.px, pic.stride, 640, 8193, &c), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read_y(pic.px, 639, 640, 360, &c), ==, -EINVAL);
	g_assert_cmpint(he_pattern_read_code_y(NULL, 640, 640, 360, NULL, NULL), ==, -EINVAL);
	g_rand_free(rand);
	picture_free(&pic);
}

/* Guards intact but one data block flipped: the CRC catches it. */
static void test_read_corrupt(void)
{
	struct he_pattern *p = he_pattern_create(640, 360);
	struct picture pic = picture_new(640, 360);
	struct he_pattern_code c;
	struct he_pattern_rect code;
	uint32_t u, x, y;

	he_pattern_region(p, HE_PATTERN_REGION_CODE, &code);
	u = code.h / 5;
	for (uint32_t row = 1; row < 5; row++) {
		for (uint32_t col = 2; col < 34; col += 5) {
			render(p, &pic, 77, T0_US);
			x = code.x + col * u;
			y = code.y + row * u;
			for (uint32_t j = y; j < y + u; j++) {
				for (uint32_t i = x * 4; i < (x + u) * 4; i++)
					pic.px[(size_t)j * pic.stride + i] ^= 0xff;
			}
			g_assert_cmpint(he_pattern_read(pic.px, pic.stride, 640, 360, &c),
					==, -EBADMSG);
		}
	}
	picture_free(&pic);
	he_pattern_destroy(p);
}

static void time_region(struct he_pattern *p, struct picture *pic,
			int64_t t_us, struct he_pattern_rect *r)
{
	render(p, pic, 1, t_us);
	he_pattern_region(p, HE_PATTERN_REGION_TIME_TEXT, r);
}

static void test_clock_text(void)
{
	struct he_pattern *p = he_pattern_create(1280, 720);
	struct picture a = picture_new(1280, 720), b = picture_new(1280, 720);
	struct he_pattern_rect r;

	/* Only the millisecond matters, and the day wraps. */
	time_region(p, &a, T0_US, &r);
	time_region(p, &b, T0_US + 500, &r);
	g_assert_true(rect_equal(&a, &b, r.x, r.y, r.w, r.h));
	time_region(p, &b, T0_US + 1000, &r);
	g_assert_false(rect_equal(&a, &b, r.x, r.y, r.w, r.h));
	time_region(p, &b, T0_US + INT64_C(86400000000), &r);
	g_assert_true(rect_equal(&a, &b, r.x, r.y, r.w, r.h));
	time_region(p, &a, -1, &r); /* 23:59:59.999 */
	time_region(p, &b, INT64_C(86399999000), &r);
	g_assert_true(rect_equal(&a, &b, r.x, r.y, r.w, r.h));
	picture_free(&a);
	picture_free(&b);
	he_pattern_destroy(p);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void measure(uint32_t w, uint32_t h, uint32_t stride_pad, int frames)
{
	struct he_pattern *p = he_pattern_create(w, h);
	uint32_t stride = w * 4 + stride_pad;
	uint8_t *buf = g_malloc((size_t)stride * h);
	double *us = g_new(double, frames);

	he_pattern_set_pointer(p, (int)w / 2, (int)h / 2, 1);
	he_pattern_set_key(p, (uint8_t)'R', "Return");
	render(p, &(struct picture){ buf, w, h, stride }, 0, T0_US); /* warm up */
	for (int i = 0; i < frames; i++) {
		gint64 t = g_get_monotonic_time();

		he_pattern_render(p, (uint64_t)i, T0_US + i * 16667, buf, stride);
		us[i] = (double)(g_get_monotonic_time() - t);
	}
	qsort(us, (size_t)frames, sizeof(*us), compare_double);
	g_test_message("render %ux%u stride %u: median %.0f us, min %.0f us, "
		       "p95 %.0f us (%d frames)", w, h, stride, us[frames / 2],
		       us[0], us[frames * 95 / 100], frames);
	g_free(us);
	g_free(buf);
	he_pattern_destroy(p);
}

/* Reported, not asserted: timing depends on the machine. */
static void test_render_time(void)
{
	measure(1920, 1080, 0, 300);
	measure(1920, 1080, 256, 300);
	measure(3840, 2160, 0, 60);
}

/* HE_PATTERN_DUMP=dir writes sample frames as PPM for a human to look at. */
static void dump_ppm(const char *dir, uint32_t w, uint32_t h)
{
	struct he_pattern *p = he_pattern_create(w, h);
	struct picture pic = picture_new(w, h);
	char *name = g_strdup_printf("%s/pattern-%ux%u.ppm", dir, w, h);
	FILE *f = fopen(name, "wb");

	g_assert_nonnull(f);
	he_pattern_set_key(p, (uint8_t)'E', "Escape");
	he_pattern_set_pointer(p, (int)w * 5 / 8, (int)h / 3, 1);
	render(p, &pic, 1234, T0_US);
	fprintf(f, "P6\n%u %u\n255\n", w, h);
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint32_t rgb = picture_rgb(&pic, x, y);
			uint8_t px[3] = { (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb };

			fwrite(px, 1, 3, f);
		}
	}
	fclose(f);
	g_test_message("wrote %s", name);
	g_free(name);
	picture_free(&pic);
	he_pattern_destroy(p);
}

static void test_dump(void)
{
	const char *dir = g_getenv("HE_PATTERN_DUMP");

	if (!dir) {
		g_test_skip("set HE_PATTERN_DUMP=dir to write sample frames");
		return;
	}
	dump_ppm(dir, 640, 360);
	dump_ppm(dir, 1280, 720);
	dump_ppm(dir, 1000, 563);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pattern/create/bad-sizes", test_bad_sizes);
	g_test_add_func("/pattern/probes/solid", test_probes);
	g_test_add_func("/pattern/probes/documented", test_probe_colours_documented);
	g_test_add_func("/pattern/layout/disjoint", test_layout);
	g_test_add_func("/pattern/render/changes-confined", test_changes_confined);
	g_test_add_func("/pattern/render/frames-differ", test_frames_differ);
	g_test_add_func("/pattern/render/full-coverage", test_full_coverage);
	g_test_add_func("/pattern/render/clock-text", test_clock_text);
	g_test_add_func("/pattern/code/exact", test_code_exact);
	g_test_add_func("/pattern/code/time-values", test_code_time_values);
	g_test_add_func("/pattern/code/noise", test_code_noise);
	g_test_add_func("/pattern/code/blur", test_code_blur);
	g_test_add_func("/pattern/code/noise-blur", test_code_noise_blur);
	g_test_add_func("/pattern/code/invalid", test_read_invalid);
	g_test_add_func("/pattern/code/corrupt", test_read_corrupt);
	g_test_add_func("/pattern/input/key", test_key);
	g_test_add_func("/pattern/input/pointer", test_pointer);
	g_test_add_func("/pattern/input/pointer-over-probes", test_pointer_over_probes);
	g_test_add_func("/pattern/perf/render", test_render_time);
	g_test_add_func("/pattern/dump", test_dump);
	return g_test_run();
}
