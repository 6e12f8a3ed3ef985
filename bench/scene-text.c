/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "text" scene: a terminal over most of the desktop, printing a log
 * that scrolls by whole lines at 30 lines a second. */
#include <stdio.h>

#include "scenes-private.h"

#define LINES_PER_S 30u
#define MAX_LINE    400u

static const char *const level[] = { "INFO", "INFO", "INFO", "DEBUG", "WARN", "INFO" };
static const uint32_t level_rgb[] = { 0x8ae234, 0x8ae234, 0x8ae234, 0x729fcf, 0xfce94f,
				      0x8ae234 };

/* Log line @n: a timestamp, a level, a subsystem and words. */
static void log_line(const struct canvas *c, struct scene_box b, int64_t y, uint64_t n,
		     uint32_t cols)
{
	uint64_t st = n ^ 0x5eedull, us = n * 33331u + scene_rand(&st) % 30000u;
	unsigned k = (unsigned)(scene_rand(&st) % 6);
	char stamp[48], words[MAX_LINE + 1];
	int64_t x = b.x + 6;

	snprintf(stamp, sizeof(stamp), "[%6u.%06u]", (unsigned)(us / 1000000u),
		 (unsigned)(us % 1000000u));
	scene_text(c, b, x, y, stamp, 0x9a9a9a);
	x += 16 * SCENE_CHAR_W;
	scene_text(c, b, x, y, level[k], level_rgb[k]);
	x += 7 * SCENE_CHAR_W;
	if (cols > 40) {
		scene_words(n * 7919u + 3, words, cols - 30);
		scene_text(c, b, x, y, words, 0xd3d7cf);
	}
}

void scene_draw_text(const struct canvas *c, uint64_t frame, uint32_t fps)
{
	struct scene_box o = { c->w * 4 / 100, SCENE_PANEL_H + c->h * 3 / 100, c->w * 92 / 100,
			       c->h * 92 / 100 - SCENE_PANEL_H };
	uint64_t ms = scene_ms(frame, fps), top = frame * LINES_PER_S / fps;
	struct scene_box b;
	int64_t rows;
	uint32_t cols;

	scene_wallpaper(c);
	b = scene_window(c, o, "user@desk: ~/server - tail -f app.log", 0x333333, 0x1d1f21);
	rows = (b.h - 6) / SCENE_LINE_H;
	cols = b.w > 12 ? (uint32_t)(b.w - 12) / SCENE_CHAR_W : 0;
	cols = cols < MAX_LINE ? cols : MAX_LINE;
	for (int64_t i = 0; i < rows; i++)
		log_line(c, b, b.y + 4 + i * SCENE_LINE_H, top + (uint64_t)i, cols);
	scene_panel(c, ms);
}
