/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input from viewers as device events, and the input sink that takes them.
 *
 * Viewers' keyboard and pointer reach a *machine* (a VM, or the test
 * pattern), not one stream: a VM's screens and its guest-encoded streams
 * share its keyboard and pointer. Each edge (the web page, later others)
 * translates once into these events: keys as Linux evdev codes (KEY_*),
 * buttons as BTN_*, absolute positions normalised to 0..HE_INPUT_ABS_MAX
 * over the picture the viewer sees. */
#ifndef HOSTENC_CORE_INPUT_H
#define HOSTENC_CORE_INPUT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/** Full scale of absolute pointer coordinates (as USB tablets use). */
#define HE_INPUT_ABS_MAX 32767

enum he_input_kind {
	HE_INPUT_KEY,        /**< code = KEY_*, down */
	HE_INPUT_BUTTON,     /**< code = BTN_LEFT..BTN_EXTRA, down */
	HE_INPUT_MOTION_ABS, /**< x, y in 0..HE_INPUT_ABS_MAX */
	HE_INPUT_MOTION_REL, /**< dx, dy in pixels (pointer lock) */
	HE_INPUT_WHEEL,      /**< dx, dy in notches; dy > 0 scrolls down */
};

struct he_input_event {
	enum he_input_kind kind;
	uint16_t code;
	bool down;
	uint32_t x, y;
	int32_t dx, dy;
};

#define HE_INPUT_SINK_VERSION 1

/** What a machine implements to take input. */
struct he_input_sink_impl {
	uint32_t version; /**< HE_INPUT_SINK_VERSION */
	/** One event; never blocks. */
	void (*event)(void *data, const struct he_input_event *ev);
	/** A viewer's drawing area is @p width x @p height: a machine that
	 * can change its screen's mode follows it. May be NULL. */
	void (*resize)(void *data, uint32_t width, uint32_t height);
	/** Whether the machine's pointer takes absolute positions (a tablet)
	 * rather than relative motion only. NULL: absolute. */
	bool (*pointer_absolute)(void *data);
};

struct he_input_sink {
	const struct he_input_sink_impl *impl;
	void *data;
};

/** Deliver @p ev to @p sink; false when there is no sink to take it. */
bool he_input_sink_send(const struct he_input_sink *sink, const struct he_input_event *ev);
/** Ask for a screen size; false when the sink cannot resize. */
bool he_input_sink_resize(const struct he_input_sink *sink, uint32_t width, uint32_t height);
bool he_input_sink_can_resize(const struct he_input_sink *sink);
bool he_input_sink_pointer_absolute(const struct he_input_sink *sink);

#endif
