/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file pattern.h
 * Built-in test pattern: a synthetic "desktop" that compresses like one and
 * can be checked by a machine after an H.264 encode/decode round trip.
 *
 * Pixels are BGRx: bytes B, G, R, X in memory (X is always written as 0xff).
 * Any size from 64x64 to 8192x8192 is accepted, any stride >= width * 4.
 *
 * @section layout Layout
 *
 * Everything except the background and the two panels sits on a grid of
 * 64 x 36 square cells, centred in the frame. All divisions are integer
 * divisions rounding down (W, H = frame width and height in pixels):
 *
 *     u  = min(W / 64, H / 36)        cell size in pixels, >= 1
 *     ox = (W - 64 * u) / 2           grid origin
 *     oy = (H - 36 * u) / 2
 *
 * A grid rectangle (gx, gy, gw, gh) covers the pixels
 * x = ox + gx*u ... ox + (gx+gw)*u - 1 and y = oy + gy*u ... oy + (gy+gh)*u - 1.
 *
 * | element            | where (pixels or grid cells)          | colour (R,G,B)  |
 * |--------------------|----------------------------------------|-----------------|
 * | background         | whole frame                            | 32, 96, 176     |
 * | top panel          | x 0..W-1, y 0 .. oy + 3u - 1           | 40, 40, 48      |
 * | bottom panel       | x 0..W-1, y oy + 29u .. H-1            | 40, 40, 48      |
 * | window title bar   | grid (2, 5, 40, 6)                     | 208, 112, 32    |
 * | window body        | grid (2, 11, 40, 16)                   | 232, 232, 224   |
 * | moving box          | 4u x 4u, top-left see below            | 240, 208, 0     |
 * | code strip         | grid (2, 30, 36, 5), see below         | black / white   |
 *
 * The moving box's top-left corner for frame n, with t(n, P) =
 * min(n mod P, P - n mod P), is x = ox + 44u + t(n, 120) * 14u / 60,
 * y = oy + 4u + t(n, 90) * 14u / 45; it stays inside grid (44, 4, 18, 18).
 *
 * Probes are rectangles that are one solid colour in every frame whatever
 * the input (the pointer crosshair is never drawn over them). They are at
 * least 1 cell away from any other colour, so a decoder's edge ringing does
 * not reach them. At 640x360 (u = 10) each is >= 40x40 pixels:
 *
 * | index | name         | grid rectangle (gx, gy, gw, gh) | colour (R,G,B)     |
 * |-------|--------------|---------------------------------|--------------------|
 * | 0     | "background" | (48, 24, 10, 4)                 | 32, 96, 176        |
 * | 1     | "title"      | (32, 6, 8, 4)                   | 208, 112, 32       |
 * | 2     | "body"       | (32, 15, 8, 8)                  | 232, 232, 224      |
 * | 3     | "panel"      | (42, 30, 6, 4)                  | 40, 40, 48         |
 * | 4     | "click"      | (52, 30, 6, 4)                  | 80, 80, 80 before the first click, 240, 32, 208 after |
 *
 * The click marker latches: after the first button press (see
 * he_pattern_set_pointer()) it stays in the click colour.
 *
 * Text (5x7 bitmap glyphs scaled by s = max(1, u / 5), advance 6s pixels,
 * clipped to its region): "FRAME <n>", "TIME HH:MM:SS.mmm" (UTC),
 * "KEY: <name>" and "PTR: <x>,<y> B:<buttons>" in the window body, see
 * enum he_pattern_region for where.
 *
 * @section code Code strip
 *
 * 5 rows of 36 square blocks, each block one cell (u x u pixels). Block
 * (row r = 0..4, column c = 0..35) covers
 *
 *     x = ox + (2 + c) * u ... + u - 1,   y = oy + (30 + r) * u ... + u - 1
 *
 * Blocks are pure black (0,0,0) or pure white (255,255,255). To read one,
 * average the luma of the centre square starting at (x + u/4, y + u/4) of
 * side max(1, u/2); the block is dark when that mean is < 128 (mid-grey,
 * for full-range RGB and for limited-range Y alike). With RGB input use
 * luma = (77 R + 150 G + 29 B) / 256.
 *
 * - Row 0 (guard/clock row): column c is dark when c is even, light when odd.
 * - Rows 1..4 (data rows): column 0 dark, 1 light, 34 light, 35 dark (guards);
 *   columns 2..33 carry a 32-bit word MSB first: column c holds bit (33 - c),
 *   dark = 1, light = 0.
 * - Row 1: frame number, low 32 bits.
 * - Row 2: wall clock in milliseconds since the epoch (floor(time_us / 1000)),
 *   low 32 bits. A browser compares it with Date.now() modulo 2^32.
 * - Row 3: (pointer_x << 16) | pointer_y; 0xffffffff until the first pointer
 *   event. Coordinates are clamped to the frame.
 * - Row 4: (key_code << 24) | (key_count mod 256) << 16 |
 *   (click_count mod 256) << 8 | crc8.
 * - crc8: CRC-8, polynomial 0x07, initial value 0, MSB first, no final xor,
 *   over the 15 bytes row1, row2, row3 (each big-endian) then the top three
 *   bytes of row 4.
 *
 * Thread safety: none; one thread renders and updates input for a pattern.
 * The read functions are pure and may run on any thread.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Smallest accepted width or height, in pixels. */
#define HE_PATTERN_MIN_SIZE 64u
/** Largest accepted width or height, in pixels. */
#define HE_PATTERN_MAX_SIZE 8192u

/** Documented colours as 0xRRGGBB. */
#define HE_PATTERN_RGB_BACKGROUND 0x2060b0u
#define HE_PATTERN_RGB_PANEL      0x282830u
#define HE_PATTERN_RGB_TITLE      0xd07020u
#define HE_PATTERN_RGB_BODY       0xe8e8e0u
#define HE_PATTERN_RGB_MOVING     0xf0d000u
#define HE_PATTERN_RGB_CLICK_IDLE 0x505050u
#define HE_PATTERN_RGB_CLICK      0xf020d0u
#define HE_PATTERN_RGB_POINTER    0xff2020u
#define HE_PATTERN_RGB_CODE_DARK  0x000000u
#define HE_PATTERN_RGB_CODE_LIGHT 0xffffffu

/** Longest key name shown after "KEY: "; longer names are cut. */
#define HE_PATTERN_KEY_MAX 16u

/** Indices into the array filled by he_pattern_probes(). */
enum he_pattern_probe_index {
	HE_PATTERN_PROBE_BACKGROUND = 0,
	HE_PATTERN_PROBE_TITLE,
	HE_PATTERN_PROBE_BODY,
	HE_PATTERN_PROBE_PANEL,
	HE_PATTERN_PROBE_CLICK,
	HE_PATTERN_PROBE_COUNT
};

/** Regions with changing content, for he_pattern_region(). */
enum he_pattern_region {
	HE_PATTERN_REGION_FRAME_TEXT = 0, /**< grid (4, 12, 26, 3) */
	HE_PATTERN_REGION_TIME_TEXT,      /**< grid (4, 15, 26, 3) */
	HE_PATTERN_REGION_KEY_TEXT,       /**< grid (4, 18, 26, 3) */
	HE_PATTERN_REGION_POINTER_TEXT,   /**< grid (4, 21, 26, 3) */
	HE_PATTERN_REGION_MOVING,         /**< grid (44, 4, 18, 18): box travel */
	HE_PATTERN_REGION_CODE,           /**< grid (2, 30, 36, 5): code strip */
	HE_PATTERN_REGION_COUNT
};

/** A pixel rectangle. */
struct he_pattern_rect {
	uint32_t x, y, w, h;
};

/** A rectangle that is one solid colour in a rendered frame. */
struct he_pattern_probe {
	uint32_t x, y, w, h;  /**< pixels */
	uint8_t r, g, b;      /**< expected colour in the current state */
	const char *name;     /**< static string, e.g. "background" */
};

/** Everything the code strip carries, see @ref code. */
struct he_pattern_code {
	uint32_t frame_no;    /**< frame number, low 32 bits */
	uint32_t time_ms;     /**< wall clock ms since the epoch, low 32 bits */
	uint32_t key_code;    /**< low byte of the last key's code, 0 if none */
	uint32_t key_count;   /**< key events so far, modulo 256 */
	uint32_t pointer_x;   /**< 0xffff before the first pointer event */
	uint32_t pointer_y;   /**< 0xffff before the first pointer event */
	uint32_t click_count; /**< button presses so far, modulo 256 */
};

struct he_pattern;

/**
 * Create a pattern renderer and draw its static background once.
 *
 * @param width   frame width, HE_PATTERN_MIN_SIZE..HE_PATTERN_MAX_SIZE
 * @param height  frame height, same range
 * @return a new pattern owned by the caller (free with he_pattern_destroy()),
 *         or NULL for a bad size or when out of memory.
 */
struct he_pattern *he_pattern_create(uint32_t width, uint32_t height);

/**
 * Free a pattern.
 *
 * @param p  pattern from he_pattern_create(), or NULL (then nothing happens)
 */
void he_pattern_destroy(struct he_pattern *p);

/** @return the width given to he_pattern_create(). */
uint32_t he_pattern_width(const struct he_pattern *p);

/** @return the height given to he_pattern_create(). */
uint32_t he_pattern_height(const struct he_pattern *p);

/**
 * Render one frame. Writes every pixel of the width x height picture and
 * nothing in the stride padding.
 *
 * @param p         the pattern
 * @param frame_no  frame number; drives the moving box and is shown and coded
 * @param time_us   wall clock, microseconds since the Unix epoch (UTC)
 * @param bgrx      destination, borrowed for the duration of the call
 * @param stride    bytes per destination row, >= width * 4
 */
void he_pattern_render(struct he_pattern *p, uint64_t frame_no,
		       int64_t time_us, uint8_t *bgrx, uint32_t stride);

/**
 * Record a key event: the following frames show "KEY: <name>" (ASCII
 * upper-cased, characters without a glyph as '?', one '?' per UTF-8
 * character, cut to HE_PATTERN_KEY_MAX), code the low byte of @p key_code
 * as key_code and count the event in key_count.
 *
 * @param key_code  the key's code (hostencd passes the Linux evdev code)
 * @param key_name  key name such as "A" or "Esc"; copied. NULL is ignored.
 */
void he_pattern_set_key(struct he_pattern *p, uint32_t key_code, const char *key_name);

/**
 * Record a pointer event: the following frames draw a crosshair at (x, y)
 * (clamped to the frame) and show "PTR: x,y B:buttons". Every button bit
 * that is set now and was clear in the previous event counts as a click;
 * the first click turns the "click" probe to HE_PATTERN_RGB_CLICK for good.
 *
 * @param x, y     position in frame pixels
 * @param buttons  bit mask of pressed buttons
 */
void he_pattern_set_pointer(struct he_pattern *p, int x, int y,
			    uint32_t buttons);

/**
 * List the probes (solid rectangles) with their colours in the current
 * input state.
 *
 * @param out  array of at least @p max entries, or NULL when @p max is 0
 * @param max  capacity of @p out
 * @return HE_PATTERN_PROBE_COUNT; min(max, HE_PATTERN_PROBE_COUNT) entries
 *         are filled, in enum he_pattern_probe_index order.
 */
size_t he_pattern_probes(const struct he_pattern *p,
			 struct he_pattern_probe *out, size_t max);

/**
 * Get the pixel rectangle of a region with changing content.
 *
 * @return 0, or -EINVAL when @p which is out of range.
 */
int he_pattern_region(const struct he_pattern *p,
		      enum he_pattern_region which, struct he_pattern_rect *out);

/**
 * What he_pattern_render() would code for this frame in the current input
 * state.
 */
void he_pattern_expected(const struct he_pattern *p, uint64_t frame_no,
			 int64_t time_us, struct he_pattern_code *out);

/**
 * Decode the code strip from a BGRx picture (possibly after lossy coding).
 * The picture must have the size the pattern was rendered at.
 *
 * @param bgrx    picture, borrowed
 * @param stride  bytes per row, >= w * 4
 * @param w, h    picture size, HE_PATTERN_MIN_SIZE..HE_PATTERN_MAX_SIZE
 * @param out     decoded values; written only on success
 * @return 0; -EINVAL for bad arguments or when a guard block is wrong (no
 *         strip found); -EBADMSG when the guards are right but the CRC is not.
 */
int he_pattern_read(const uint8_t *bgrx, uint32_t stride, uint32_t w,
		    uint32_t h, struct he_pattern_code *out);

/**
 * Same as he_pattern_read() for an 8-bit luma plane (the Y plane of a
 * decoded NV12 or I420 picture), thresholding at 128.
 *
 * @param stride  bytes per row, >= w
 */
int he_pattern_read_y(const uint8_t *y, uint32_t stride, uint32_t w,
		      uint32_t h, struct he_pattern_code *out);

/**
 * Decode only frame number and time from a BGRx picture, see
 * he_pattern_read(). @p frame_no and @p time_ms may be NULL.
 */
int he_pattern_read_code(const uint8_t *bgrx, uint32_t stride, uint32_t w,
			 uint32_t h, uint32_t *frame_no, uint32_t *time_ms);

/**
 * Decode only frame number and time from a luma plane, see
 * he_pattern_read_y(). @p frame_no and @p time_ms may be NULL.
 */
int he_pattern_read_code_y(const uint8_t *y, uint32_t stride, uint32_t w,
			   uint32_t h, uint32_t *frame_no, uint32_t *time_ms);

#ifdef __cplusplus
}
#endif
