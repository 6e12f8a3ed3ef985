/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test pattern: lifecycle, input echo and per-frame rendering. The static
 * part is drawn once into `cache`; a frame is a copy of it plus the few
 * dynamic elements. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern-private.h"

#define RGB_TEXT_DARK  0x000000u
#define RGB_TEXT_LIGHT 0xffffffu
#define NO_POINTER     0xffffu
#define PROTECTED_MAX  (HE_PATTERN_PROBE_COUNT + 1)
#define TEXT_MAX       64

/* Grid rectangle, in cells. */
struct cells {
	uint32_t gx, gy, gw, gh;
};

static const struct cells window_title = { 2, 5, 40, 6 };
static const struct cells window_body = { 2, 11, 40, 16 };
static const struct cells top_text = { 1, 0, 40, 3 };
static const struct cells size_text = { 44, 0, 19, 3 };
static const struct cells title_text = { 4, 5, 26, 6 };

static const struct {
	struct cells at;
	uint32_t rgb;
	const char *name;
} probe_defs[HE_PATTERN_PROBE_COUNT] = {
	[HE_PATTERN_PROBE_BACKGROUND] = { { 48, 24, 10, 4 }, HE_PATTERN_RGB_BACKGROUND, "background" },
	[HE_PATTERN_PROBE_TITLE] = { { 32, 6, 8, 4 }, HE_PATTERN_RGB_TITLE, "title" },
	[HE_PATTERN_PROBE_BODY] = { { 32, 15, 8, 8 }, HE_PATTERN_RGB_BODY, "body" },
	[HE_PATTERN_PROBE_PANEL] = { { 42, 30, 6, 4 }, HE_PATTERN_RGB_PANEL, "panel" },
	[HE_PATTERN_PROBE_CLICK] = { { 52, 30, 6, 4 }, HE_PATTERN_RGB_CLICK_IDLE, "click" },
};

static const struct cells region_defs[HE_PATTERN_REGION_COUNT] = {
	[HE_PATTERN_REGION_FRAME_TEXT] = { 4, 12, 26, 3 },
	[HE_PATTERN_REGION_TIME_TEXT] = { 4, 15, 26, 3 },
	[HE_PATTERN_REGION_KEY_TEXT] = { 4, 18, 26, 3 },
	[HE_PATTERN_REGION_POINTER_TEXT] = { 4, 21, 26, 3 },
	[HE_PATTERN_REGION_MOVING] = { 44, 4, 18, 18 },
	[HE_PATTERN_REGION_CODE] = { CODE_GX, CODE_GY, CODE_COLS, CODE_ROWS },
};

struct he_pattern {
	uint32_t w, h;
	struct layout l;
	uint8_t *cache; /* static picture, stride w * 4 */
	/* Areas the crosshair must not touch: probes and code strip, each
	 * grown by one cell. */
	struct he_pattern_rect protected[PROTECTED_MAX];

	char key_text[HE_PATTERN_KEY_MAX + 1];
	uint8_t key_code;
	uint32_t key_count;

	bool have_pointer;
	uint32_t ptr_x, ptr_y, buttons;
	uint32_t click_count;
};

static struct he_pattern_rect to_rect(const struct he_pattern *p,
				      const struct cells *c)
{
	return layout_cells(&p->l, c->gx, c->gy, c->gw, c->gh);
}

static void fill_cells(const struct canvas *c, const struct he_pattern *p,
		       const struct cells *at, uint32_t rgb)
{
	struct he_pattern_rect r = to_rect(p, at);

	draw_fill(c, r.x, r.y, r.w, r.h, rgb);
}

static void text_in_cells(const struct canvas *c, const struct he_pattern *p,
			  const struct cells *at, const char *text,
			  uint32_t rgb)
{
	struct he_pattern_rect r = to_rect(p, at);

	draw_text_centred_v(c, &r, p->l.scale, text, rgb);
}

static void draw_size_text(const struct canvas *c, const struct he_pattern *p)
{
	struct he_pattern_rect r = to_rect(p, &size_text);
	char text[TEXT_MAX];
	int64_t width;

	snprintf(text, sizeof(text), "%" PRIu32 "X%" PRIu32, p->w, p->h);
	width = (int64_t)strlen(text) * GLYPH_ADVANCE * p->l.scale;
	if (width > r.w)
		width = r.w;
	draw_text(c, &r, r.x + r.w - width,
		  r.y + ((int64_t)r.h - GLYPH_H * p->l.scale) / 2, p->l.scale,
		  text, RGB_TEXT_LIGHT);
}

static void draw_static(struct he_pattern *p)
{
	struct canvas c = { p->cache, p->w * 4, p->w, p->h };
	uint32_t u = p->l.u;

	draw_fill(&c, 0, 0, p->w, p->h, HE_PATTERN_RGB_BACKGROUND);
	draw_fill(&c, 0, 0, p->w, p->l.oy + 3 * u, HE_PATTERN_RGB_PANEL);
	draw_fill(&c, 0, p->l.oy + 29 * u, p->w, p->h, HE_PATTERN_RGB_PANEL);
	fill_cells(&c, p, &window_title, HE_PATTERN_RGB_TITLE);
	fill_cells(&c, p, &window_body, HE_PATTERN_RGB_BODY);
	text_in_cells(&c, p, &top_text, "HOSTENC TEST PATTERN", RGB_TEXT_LIGHT);
	text_in_cells(&c, p, &title_text, "TEST WINDOW", RGB_TEXT_LIGHT);
	draw_size_text(&c, p);
}

static void init_protected(struct he_pattern *p)
{
	for (uint32_t i = 0; i < PROTECTED_MAX; i++) {
		struct cells at = i < HE_PATTERN_PROBE_COUNT ?
			probe_defs[i].at : region_defs[HE_PATTERN_REGION_CODE];

		at.gx -= 1;
		at.gy -= 1;
		at.gw += 2;
		at.gh += 2;
		p->protected[i] = to_rect(p, &at);
	}
}

static bool valid_size(uint32_t width, uint32_t height)
{
	return width >= HE_PATTERN_MIN_SIZE && width <= HE_PATTERN_MAX_SIZE &&
	       height >= HE_PATTERN_MIN_SIZE && height <= HE_PATTERN_MAX_SIZE;
}

struct he_pattern *he_pattern_create(uint32_t width, uint32_t height)
{
	struct he_pattern *p;

	if (!valid_size(width, height))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cache = malloc((size_t)width * height * 4);
	if (!p->cache)
		goto err_free;
	p->w = width;
	p->h = height;
	layout_init(&p->l, width, height);
	init_protected(p);
	draw_static(p);
	return p;

	/* ERRORS */
err_free:
	free(p);
	return NULL;
}

void he_pattern_destroy(struct he_pattern *p)
{
	if (!p)
		return;
	free(p->cache);
	free(p);
}

uint32_t he_pattern_width(const struct he_pattern *p)
{
	return p->w;
}

uint32_t he_pattern_height(const struct he_pattern *p)
{
	return p->h;
}

/* Triangle wave 0 .. period/2 .. 0 over `period` frames. */
static uint32_t triangle(uint64_t n, uint32_t period)
{
	uint32_t t = (uint32_t)(n % period);

	return t <= period / 2 ? t : period - t;
}

static void draw_moving(const struct canvas *c, const struct he_pattern *p,
			uint64_t frame_no)
{
	uint32_t u = p->l.u;
	int64_t x = p->l.ox + 44 * u + (int64_t)triangle(frame_no, 120) * 14 * u / 60;
	int64_t y = p->l.oy + 4 * u + (int64_t)triangle(frame_no, 90) * 14 * u / 45;

	draw_fill(c, x, y, 4 * u, 4 * u, HE_PATTERN_RGB_MOVING);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void format_time(char *buf, size_t size, int64_t time_us)
{
	int64_t ms = floor_div(time_us, 1000);
	int64_t day_ms = ms - floor_div(ms, 86400000) * 86400000;
	unsigned s = (unsigned)(day_ms / 1000);

	snprintf(buf, size, "TIME %02u:%02u:%02u.%03u", s / 3600,
		 s / 60 % 60, s % 60, (unsigned)(day_ms % 1000));
}

static void draw_region_text(const struct canvas *c,
			     const struct he_pattern *p,
			     enum he_pattern_region which, const char *text)
{
	text_in_cells(c, p, &region_defs[which], text, RGB_TEXT_DARK);
}

static void draw_texts(const struct canvas *c, const struct he_pattern *p,
		       uint64_t frame_no, int64_t time_us)
{
	char text[TEXT_MAX];

	snprintf(text, sizeof(text), "FRAME %" PRIu64, frame_no);
	draw_region_text(c, p, HE_PATTERN_REGION_FRAME_TEXT, text);
	format_time(text, sizeof(text), time_us);
	draw_region_text(c, p, HE_PATTERN_REGION_TIME_TEXT, text);
	snprintf(text, sizeof(text), "KEY: %s", p->key_text);
	draw_region_text(c, p, HE_PATTERN_REGION_KEY_TEXT, text);
	if (p->have_pointer)
		snprintf(text, sizeof(text), "PTR: %" PRIu32 ",%" PRIu32 " B:%" PRIu32,
			 p->ptr_x, p->ptr_y, p->buttons);
	else
		snprintf(text, sizeof(text), "PTR:");
	draw_region_text(c, p, HE_PATTERN_REGION_POINTER_TEXT, text);
}

static bool is_protected(const struct he_pattern *p, int64_t x, int64_t y)
{
	for (uint32_t i = 0; i < PROTECTED_MAX; i++) {
		const struct he_pattern_rect *r = &p->protected[i];

		if (x >= r->x && x < (int64_t)r->x + r->w &&
		    y >= r->y && y < (int64_t)r->y + r->h)
			return true;
	}
	return false;
}

/* Per pixel, so that it can skip the protected areas; it is small. */
static void fill_unprotected(const struct canvas *c, const struct he_pattern *p,
			     int64_t x, int64_t y, int64_t w, int64_t h)
{
	for (int64_t j = y; j < y + h; j++) {
		for (int64_t i = x; i < x + w; i++) {
			if (!is_protected(p, i, j))
				draw_fill(c, i, j, 1, 1, HE_PATTERN_RGB_POINTER);
		}
	}
}

static void draw_crosshair(const struct canvas *c, const struct he_pattern *p)
{
	int64_t arm = 2 * (int64_t)p->l.u;
	int64_t t = p->l.scale;
	int64_t x = p->ptr_x, y = p->ptr_y;

	fill_unprotected(c, p, x - arm, y - t / 2, 2 * arm + 1, t);
	fill_unprotected(c, p, x - t / 2, y - arm, t, 2 * arm + 1);
}

static uint32_t click_rgb(const struct he_pattern *p)
{
	return p->click_count ? HE_PATTERN_RGB_CLICK : HE_PATTERN_RGB_CLICK_IDLE;
}

static void copy_static(const struct he_pattern *p, uint8_t *bgrx,
			uint32_t stride)
{
	size_t row = (size_t)p->w * 4;

	if (stride == row) {
		memcpy(bgrx, p->cache, row * p->h);
		return;
	}
	for (uint32_t y = 0; y < p->h; y++)
		memcpy(bgrx + (size_t)y * stride, p->cache + y * row, row);
}

void he_pattern_render(struct he_pattern *p, uint64_t frame_no,
		       int64_t time_us, uint8_t *bgrx, uint32_t stride)
{
	struct canvas c = { bgrx, stride, p->w, p->h };
	struct he_pattern_code code;
	uint32_t words[CODE_WORDS];

	copy_static(p, bgrx, stride);
	draw_moving(&c, p, frame_no);
	draw_texts(&c, p, frame_no, time_us);
	fill_cells(&c, p, &probe_defs[HE_PATTERN_PROBE_CLICK].at, click_rgb(p));
	if (p->have_pointer)
		draw_crosshair(&c, p);
	he_pattern_expected(p, frame_no, time_us, &code);
	code_pack(&code, words);
	code_draw(&c, &p->l, words);
}

/* Upper-cases ASCII, turns each character without a glyph (and each
 * multi-byte UTF-8 character) into one '?'. */
static void sanitize_key(char *out, size_t size, const char *in)
{
	size_t n = 0;

	for (const unsigned char *s = (const unsigned char *)in;
	     *s && n + 1 < size; s++) {
		char ch = (char)*s;

		if (*s >= 0x80 && *s < 0xc0)
			continue; /* UTF-8 continuation byte */
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		out[n++] = *s < 0x80 && font_has_glyph(ch) ? ch : '?';
	}
	out[n] = '\0';
}

void he_pattern_set_key(struct he_pattern *p, uint32_t key_code, const char *key_name)
{
	if (!key_name)
		return;
	sanitize_key(p->key_text, sizeof(p->key_text), key_name);
	p->key_code = (uint8_t)key_code;
	p->key_count++;
}

static uint32_t clamp_coord(int v, uint32_t size)
{
	if (v < 0)
		return 0;
	return (uint32_t)v >= size ? size - 1 : (uint32_t)v;
}

static uint32_t count_bits(uint32_t v)
{
	uint32_t n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

void he_pattern_set_pointer(struct he_pattern *p, int x, int y,
			    uint32_t buttons)
{
	p->click_count += count_bits(buttons & ~p->buttons);
	p->buttons = buttons;
	p->ptr_x = clamp_coord(x, p->w);
	p->ptr_y = clamp_coord(y, p->h);
	p->have_pointer = true;
}

size_t he_pattern_probes(const struct he_pattern *p,
			 struct he_pattern_probe *out, size_t max)
{
	for (size_t i = 0; i < max && i < HE_PATTERN_PROBE_COUNT; i++) {
		struct he_pattern_rect r = to_rect(p, &probe_defs[i].at);
		uint32_t rgb = i == HE_PATTERN_PROBE_CLICK ?
			click_rgb(p) : probe_defs[i].rgb;

		out[i] = (struct he_pattern_probe){
			.x = r.x, .y = r.y, .w = r.w, .h = r.h,
			.r = (uint8_t)(rgb >> 16),
			.g = (uint8_t)(rgb >> 8),
			.b = (uint8_t)rgb,
			.name = probe_defs[i].name,
		};
	}
	return HE_PATTERN_PROBE_COUNT;
}

int he_pattern_region(const struct he_pattern *p,
		      enum he_pattern_region which, struct he_pattern_rect *out)
{
	if ((unsigned)which >= HE_PATTERN_REGION_COUNT)
		return -EINVAL;
	*out = to_rect(p, &region_defs[which]);
	return 0;
}

void he_pattern_expected(const struct he_pattern *p, uint64_t frame_no,
			 int64_t time_us, struct he_pattern_code *out)
{
	*out = (struct he_pattern_code){
		.frame_no = (uint32_t)frame_no,
		.time_ms = (uint32_t)(uint64_t)floor_div(time_us, 1000),
		.key_code = p->key_code,
		.key_count = p->key_count & 0xffu,
		.pointer_x = p->have_pointer ? p->ptr_x : NO_POINTER,
		.pointer_y = p->have_pointer ? p->ptr_y : NO_POINTER,
		.click_count = p->click_count & 0xffu,
	};
}
