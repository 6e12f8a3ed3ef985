/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark scenes: names, argument checks, and the desktop parts the
 * static and text scenes share (wallpaper, panel, windows, text). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenes-private.h"

static const char *const names[BENCH_SCENE_COUNT] = {
	[BENCH_SCENE_STATIC] = "static",
	[BENCH_SCENE_TEXT] = "text",
	[BENCH_SCENE_MOTION] = "motion",
};

const char *bench_scene_name(enum bench_scene s)
{
	return (unsigned)s < BENCH_SCENE_COUNT ? names[s] : NULL;
}

int bench_scene_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < BENCH_SCENE_COUNT; i++) {
		if (strcmp(name, names[i]) == 0)
			return i;
	}
	return -1;
}

int bench_scene_draw(enum bench_scene s, uint8_t *bgrx, uint32_t w, uint32_t h,
		     uint32_t stride, uint64_t frame, uint32_t fps)
{
	struct canvas c = { .data = bgrx, .stride = stride, .w = w, .h = h };

	if ((unsigned)s >= BENCH_SCENE_COUNT || !bgrx || fps == 0 || w < BENCH_SCENE_MIN_SIZE ||
	    h < BENCH_SCENE_MIN_SIZE || w > BENCH_SCENE_MAX_SIZE || h > BENCH_SCENE_MAX_SIZE ||
	    stride / 4 < w)
		return -EINVAL;
	switch (s) {
	case BENCH_SCENE_STATIC:
		scene_draw_static(&c, frame, fps);
		break;
	case BENCH_SCENE_TEXT:
		scene_draw_text(&c, frame, fps);
		break;
	default:
		scene_draw_motion(&c, frame, fps);
		break;
	}
	return 0;
}

/* ---- shared parts ---------------------------------------------------------- */

void scene_wallpaper(const struct canvas *c)
{
	/* Teal at the top left to dusk purple at the bottom right; 16.16 fixed
	 * point steps per pixel along each axis. */
	const int32_t r0 = 24 << 16, g0 = 110 << 16, b0 = 140 << 16;
	const int32_t rx = (40 << 16) / (int32_t)c->w, gx = -(50 << 16) / (int32_t)c->w;
	const int32_t bx = (30 << 16) / (int32_t)c->w;
	const int32_t ry = (60 << 16) / (int32_t)c->h, gy = -(40 << 16) / (int32_t)c->h;
	const int32_t by = (20 << 16) / (int32_t)c->h;

	for (uint32_t y = 0; y < c->h; y++) {
		uint8_t *p = c->data + (size_t)y * c->stride;
		int32_t r = r0 + ry * (int32_t)y, g = g0 + gy * (int32_t)y, b = b0 + by * (int32_t)y;

		for (uint32_t x = 0; x < c->w; x++, p += 4, r += rx, g += gx, b += bx) {
			p[0] = (uint8_t)(b >> 16);
			p[1] = (uint8_t)(g >> 16);
			p[2] = (uint8_t)(r >> 16);
			p[3] = 0xff;
		}
	}
}

void scene_text(const struct canvas *c, struct scene_box clip, int64_t x, int64_t y,
		const char *text, uint32_t rgb)
{
	struct he_pattern_rect r;

	if (clip.x < 0) {
		clip.w += clip.x;
		clip.x = 0;
	}
	if (clip.y < 0) {
		clip.h += clip.y;
		clip.y = 0;
	}
	if (clip.w <= 0 || clip.h <= 0 || clip.x >= c->w || clip.y >= c->h)
		return;
	r = (struct he_pattern_rect){ (uint32_t)clip.x, (uint32_t)clip.y,
				      (uint32_t)(clip.x + clip.w > c->w ? c->w - clip.x : clip.w),
				      (uint32_t)(clip.y + clip.h > c->h ? c->h - clip.y : clip.h) };
	draw_text(c, &r, x, y, 1, text, rgb);
}

void scene_panel(const struct canvas *c, uint64_t ms)
{
	struct scene_box all = { 0, 0, c->w, SCENE_PANEL_H };
	uint64_t s = 9 * 3600 + 41 * 60 + ms / 1000;
	char clock[32];

	draw_fill(c, 0, 0, c->w, SCENE_PANEL_H, 0x2b2b33);
	draw_fill(c, 0, SCENE_PANEL_H - 1, c->w, 1, 0x44444f);
	scene_text(c, all, 10, 7, "Activities   Files   Terminal   Editor", 0xe0e0e0);
	snprintf(clock, sizeof(clock), "Thu 3 Dec  %02u:%02u:%02u", (unsigned)(s / 3600 % 24),
		 (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	scene_text(c, all, (int64_t)c->w - 10 - (int64_t)strlen(clock) * SCENE_CHAR_W, 7, clock,
		   0xffffff);
}

struct scene_box scene_window(const struct canvas *c, struct scene_box o, const char *title,
			      uint32_t title_rgb, uint32_t body_rgb)
{
	struct scene_box body = { o.x + 1, o.y + 1 + SCENE_TITLE_H, o.w - 2,
				  o.h - 2 - SCENE_TITLE_H };
	struct scene_box bar = { o.x + 1, o.y + 1, o.w - 2, SCENE_TITLE_H };

	draw_fill(c, o.x + 4, o.y + 4, o.w, o.h, 0x101018); /* shadow */
	draw_fill(c, o.x, o.y, o.w, o.h, 0x505058);          /* border */
	draw_fill(c, bar.x, bar.y, bar.w, bar.h, title_rgb);
	scene_text(c, bar, bar.x + 8, bar.y + 6, title, 0xffffff);
	for (int i = 0; i < 3; i++) /* the three buttons */
		draw_fill(c, bar.x + bar.w - 16 - i * 14, bar.y + 5, 9, 9,
			  i == 0 ? 0xe05050 : 0xd0d0d0);
	draw_fill(c, body.x, body.y, body.w, body.h, body_rgb);
	return body;
}

void scene_words(uint64_t seed, char *buf, uint32_t max)
{
	uint64_t st = seed * 0x2545f4914f6cdd1dull + 1;
	uint32_t len = max / 5 + (uint32_t)(scene_rand(&st) % (max - max / 5 + 1)), n = 0;

	while (n < len) {
		uint32_t wl = 1 + (uint32_t)(scene_rand(&st) % 9);
		bool cap = scene_rand(&st) % 4 == 0;

		for (uint32_t i = 0; i < wl && n < len; i++) {
			char ch = (char)('a' + scene_rand(&st) % 26);

			buf[n++] = cap && i == 0 ? (char)(ch - 'a' + 'A') : ch;
		}
		if (n < len)
			buf[n++] = scene_rand(&st) % 7 == 0 ? ',' : ' ';
		if (n < len && buf[n - 1] == ',')
			buf[n++] = ' ';
	}
	buf[n] = '\0';
}
