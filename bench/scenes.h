/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file scenes.h
 * Benchmark scenes: the same desktop-like content for every benchmark row.
 *
 * Each scene is a pure function of (scene, width, height, frame number,
 * frame rate): frame N is always the same picture, whichever program,
 * thread or order draws it (the pseudo-random parts use fixed seeds).
 * Pixels are BGRx (bytes B, G, R, X; X written as 0xff); text uses the
 * test pattern's 5x7 bitmap font at one pixel per font pixel.
 *
 * | scene    | what changes                                                   |
 * |----------|----------------------------------------------------------------|
 * | static   | a desktop: wallpaper gradient, windows with small text, a text |
 * |          | cursor blinking every 500 ms, a clock changing once a second   |
 * | text     | a terminal window of small text scrolling at 30 lines/s         |
 * | motion   | full motion: moving shapes and noise over the whole picture    |
 *
 * Time comes from the frame number: t = frame / fps seconds.
 *
 * Thread safety: every function may be called from any thread at once.
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Smallest accepted width or height, in pixels. */
#define BENCH_SCENE_MIN_SIZE 64u
/** Largest accepted width or height, in pixels. */
#define BENCH_SCENE_MAX_SIZE 8192u

/** The scenes, in the order benchmarks print them. */
enum bench_scene {
	BENCH_SCENE_STATIC = 0, /**< "static": a desktop that hardly changes */
	BENCH_SCENE_TEXT,       /**< "text": a scrolling terminal */
	BENCH_SCENE_MOTION,     /**< "motion": full-motion video */
	BENCH_SCENE_COUNT
};

/** The accepted names, for usage messages: "static, text, motion". */
#define BENCH_SCENE_NAMES "static, text, motion"

/**
 * @return the scene's name ("static", "text", "motion"), or NULL when
 *         @p s is out of range.
 */
const char *bench_scene_name(enum bench_scene s);

/**
 * Look a scene up by name (exact, lower case).
 *
 * @return the scene, or -1 for an unknown name or NULL (print
 *         BENCH_SCENE_NAMES in the error message).
 */
int bench_scene_from_name(const char *name);

/**
 * Draw frame @p frame of scene @p s: writes every pixel of the
 * @p w x @p h picture, nothing in the stride padding.
 *
 * @param s       the scene
 * @param bgrx    destination, borrowed for the call
 * @param w, h    picture size, BENCH_SCENE_MIN_SIZE..BENCH_SCENE_MAX_SIZE
 * @param stride  bytes per destination row, >= w * 4
 * @param frame   frame number (0 = the first frame)
 * @param fps     frames per second the frame numbers count (> 0): sets the
 *                speed of the cursor, the clock, scrolling and motion
 * @return 0, or -EINVAL for a bad argument (nothing written then).
 */
int bench_scene_draw(enum bench_scene s, uint8_t *bgrx, uint32_t w, uint32_t h,
		     uint32_t stride, uint64_t frame, uint32_t fps);

#ifdef __cplusplus
}
#endif
