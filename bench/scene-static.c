/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "static" scene: a desktop where only a text cursor blinks (500 ms on,
 * 500 ms off) and the panel clock changes once a second. */
#include <stdio.h>
#include <string.h>

#include "scenes-private.h"

#define MAX_LINE 400u

/* An editor: lines of prose and the blinking cursor after the last one. */
static void editor(const struct canvas *c, struct scene_box o, uint64_t ms)
{
	struct scene_box b = scene_window(c, o, "notes.txt - Editor", 0x3b6ea5, 0xfbfbf8);
	uint32_t cols = b.w > 16 ? (uint32_t)(b.w - 16) / SCENE_CHAR_W : 0;
	int64_t rows = (b.h - 8) / SCENE_LINE_H, y = b.y + 6;
	char line[MAX_LINE + 1];
	size_t last = 0;

	cols = cols < MAX_LINE ? cols : MAX_LINE;
	for (int64_t i = 0; i < rows - 1 && cols > 4; i++, y += SCENE_LINE_H) {
		scene_words(1000 + (uint64_t)i, line, cols);
		if (i % 7 == 6)
			line[0] = '\0'; /* paragraphs */
		scene_text(c, b, b.x + 8, y, line, 0x202020);
		last = strlen(line);
	}
	if (ms / 500 % 2 == 0) /* the cursor, on for 500 ms, off for 500 ms */
		draw_fill(c, b.x + 8 + (int64_t)last * SCENE_CHAR_W + 1, y - SCENE_LINE_H - 1, 2,
			  SCENE_LINE_H, 0x000000);
}

/* A file list: icon, name, size, date per row; every other row shaded. */
static void files(const struct canvas *c, struct scene_box o)
{
	static const uint32_t icon[] = { 0x4a90d9, 0xe8a33d, 0x6bbf59, 0xc0504d, 0x8e6fc1 };
	static const char *const ext[] = { "txt", "png", "pdf", "tar.gz", "c", "md" };
	struct scene_box b = scene_window(c, o, "Home - Files", 0x5a5a66, 0xeeeeef);
	int64_t rows = (b.h - 6) / 14;
	uint64_t st = 77;
	char name[48], row[128];

	for (int64_t i = 0; i < rows; i++) {
		int64_t y = b.y + 4 + i * 14;

		if (i % 2)
			draw_fill(c, b.x, y - 2, b.w, 14, 0xe2e2e6);
		draw_fill(c, b.x + 8, y, 9, 9, icon[scene_rand(&st) % 5]);
		scene_words(5000 + (uint64_t)i, name, 18);
		for (char *p = name; *p; p++)
			*p = *p == ' ' || *p == ',' ? '_' : *p;
		snprintf(row, sizeof(row), "%-22.18s.%-7s %6u KB   2026-%02u-%02u %02u:%02u", name,
			 ext[scene_rand(&st) % 6], (unsigned)(scene_rand(&st) % 90000),
			 (unsigned)(1 + scene_rand(&st) % 12), (unsigned)(1 + scene_rand(&st) % 28),
			 (unsigned)(scene_rand(&st) % 24), (unsigned)(scene_rand(&st) % 60));
		scene_text(c, b, b.x + 24, y + 1, row, 0x303030);
	}
}

/* A small terminal with a shell session that does not change. */
static void terminal(const struct canvas *c, struct scene_box o)
{
	struct scene_box b = scene_window(c, o, "user@desk: ~/src", 0x333333, 0x1d1f21);
	int64_t rows = (b.h - 8) / SCENE_LINE_H;
	uint32_t cols = b.w > 16 ? (uint32_t)(b.w - 16) / SCENE_CHAR_W : 0;
	char line[MAX_LINE + 1];

	cols = cols < MAX_LINE ? cols : MAX_LINE;
	for (int64_t i = 0; i < rows && cols > 12; i++) {
		int64_t y = b.y + 5 + i * SCENE_LINE_H;

		if (i % 4 == 0) {
			scene_text(c, b, b.x + 8, y, "$ make -j2 all", 0x8ae234);
			continue;
		}
		scene_words(9000 + (uint64_t)i, line, cols - 4);
		scene_text(c, b, b.x + 8, y, line, 0xc5c8c6);
	}
}

/* Desktop icons down the left edge. */
static void icons(const struct canvas *c)
{
	static const char *const label[] = { "Home", "Trash", "Projects", "Notes" };
	struct scene_box all = { 0, 0, c->w, c->h };

	for (int i = 0; i < 4; i++) {
		int64_t y = SCENE_PANEL_H + 20 + i * 70;

		draw_fill(c, 20, y, 36, 36, 0xd9d0b0 - (uint32_t)i * 0x101008);
		draw_fill(c, 24, y + 4, 28, 6, 0x6a5a3a);
		scene_text(c, all, 38 - (int64_t)strlen(label[i]) * 3, y + 42, label[i], 0xffffff);
	}
}

void scene_draw_static(const struct canvas *c, uint64_t frame, uint32_t fps)
{
	uint64_t ms = scene_ms(frame, fps);
	int64_t w = c->w, h = c->h;

	scene_wallpaper(c);
	icons(c);
	files(c, (struct scene_box){ w * 56 / 100, h * 12 / 100, w * 40 / 100, h * 44 / 100 });
	editor(c, (struct scene_box){ w * 8 / 100, h * 8 / 100, w * 50 / 100, h * 58 / 100 }, ms);
	terminal(c, (struct scene_box){ w * 34 / 100, h * 68 / 100, w * 44 / 100, h * 28 / 100 });
	scene_panel(c, ms);
}
