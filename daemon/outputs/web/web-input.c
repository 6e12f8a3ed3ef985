/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The page's keyboard, pointer and wheel, translated once into device
 * events (core/input.h) for the machine behind the stream: KeyboardEvent
 * .code to evdev KEY_*, the buttons mask to BTN_* presses and releases,
 * positions already normalised by the page, wheel pixels to notches. Keys
 * and buttons a viewer holds are remembered so that they can be released
 * when it leaves. */
#include <string.h>

#include "dom-keys.h"
#include "input-keys.h"
#include "web-private.h"

/* Chromium and Firefox report about 100 px per wheel notch (deltaMode 0). */
#define WHEEL_PIXELS_PER_NOTCH 100
#define WHEEL_MAX_NOTCHES 20

/* DOM MouseEvent.buttons bit i is MouseEvent.button: 1 left (0), 2 right
 * (2), 4 middle (1), 8 back (3), 16 forward (4). */
static const int dom_bit_to_button[5] = { 0, 2, 1, 3, 4 };

void web_input_init(struct web_input_state *st)
{
	memset(st, 0, sizeof(*st));
	st->keys_down = g_array_new(FALSE, FALSE, sizeof(uint16_t));
}

void web_input_clear(struct web_input_state *st)
{
	g_clear_pointer(&st->keys_down, g_array_unref);
}

static void send(struct he_stream *stream, enum he_input_kind kind, uint16_t code, bool down)
{
	struct he_input_event ev = { .kind = kind, .code = code, .down = down };

	he_stream_input(stream, &ev);
}

static void track_key(struct web_input_state *st, uint16_t code, bool down)
{
	for (guint i = 0; i < st->keys_down->len; i++) {
		if (g_array_index(st->keys_down, uint16_t, i) == code) {
			if (!down)
				g_array_remove_index_fast(st->keys_down, i);
			return;
		}
	}
	if (down && st->keys_down->len < 32)
		g_array_append_val(st->keys_down, code);
}

static bool handle_key(struct web_input_state *st, struct he_stream *stream, JsonObject *o)
{
	const char *code = web_json_string(o, "code", NULL);
	bool down = web_json_bool(o, "down", true);
	uint16_t key = he_dom_code_to_evdev(code);

	if (!key || !he_input_key_valid(key))
		return false;
	track_key(st, key, down);
	send(stream, HE_INPUT_KEY, key, down);
	return true;
}

static uint32_t clamp_abs(gint64 v)
{
	return v < 0 ? 0 : v > HE_INPUT_ABS_MAX ? HE_INPUT_ABS_MAX : (uint32_t)v;
}

/* Buttons that changed since the last message become BUTTON events. */
static void send_buttons(struct web_input_state *st, struct he_stream *stream, uint32_t buttons)
{
	uint32_t changed = (buttons ^ st->buttons) & 0x1f;

	for (unsigned bit = 0; bit < G_N_ELEMENTS(dom_bit_to_button); bit++) {
		if (changed & (1u << bit))
			send(stream, HE_INPUT_BUTTON, he_dom_button_to_evdev(dom_bit_to_button[bit]),
			     (buttons >> bit) & 1);
	}
	st->buttons = buttons & 0x1f;
}

static bool handle_pointer(struct web_input_state *st, struct he_stream *stream, JsonObject *o)
{
	struct he_input_event ev = { .kind = HE_INPUT_MOTION_ABS };
	gint64 buttons = web_json_int(o, "buttons", 0);

	if (json_object_has_member(o, "dx")) {
		ev.kind = HE_INPUT_MOTION_REL;
		ev.dx = (int32_t)CLAMP(web_json_int(o, "dx", 0), -4096, 4096);
		ev.dy = (int32_t)CLAMP(web_json_int(o, "dy", 0), -4096, 4096);
	} else {
		ev.x = clamp_abs(web_json_int(o, "x", 0));
		ev.y = clamp_abs(web_json_int(o, "y", 0));
	}
	he_stream_input(stream, &ev);
	send_buttons(st, stream, (uint32_t)CLAMP(buttons, 0, 0x1f));
	return true;
}

/* Whole notches out of accumulated pixels; the remainder waits. */
static int32_t notches(int32_t *acc, gint64 pixels)
{
	int32_t n;

	*acc = (int32_t)CLAMP(*acc + CLAMP(pixels, -100000, 100000),
			      -WHEEL_MAX_NOTCHES * WHEEL_PIXELS_PER_NOTCH,
			      WHEEL_MAX_NOTCHES * WHEEL_PIXELS_PER_NOTCH);
	n = *acc / WHEEL_PIXELS_PER_NOTCH;
	*acc -= n * WHEEL_PIXELS_PER_NOTCH;
	return n;
}

static bool handle_wheel(struct web_input_state *st, struct he_stream *stream, JsonObject *o)
{
	struct he_input_event ev = { .kind = HE_INPUT_WHEEL };

	ev.dx = notches(&st->wheel_x, web_json_int(o, "dx", 0));
	ev.dy = notches(&st->wheel_y, web_json_int(o, "dy", 0));
	if (ev.dx || ev.dy)
		he_stream_input(stream, &ev);
	return true;
}

bool web_input_handle(struct web_input_state *st, struct he_stream *stream, const char *type,
		      JsonObject *o)
{
	if (g_str_equal(type, "key"))
		return handle_key(st, stream, o);
	if (g_str_equal(type, "pointer"))
		return handle_pointer(st, stream, o);
	if (g_str_equal(type, "wheel"))
		return handle_wheel(st, stream, o);
	if (g_str_equal(type, "resize")) {
		gint64 w = web_json_int(o, "width", 0);
		gint64 h = web_json_int(o, "height", 0);

		return w >= 64 && h >= 64 && w <= 8192 && h <= 8192 &&
		       he_stream_resize(stream, (uint32_t)w, (uint32_t)h);
	}
	if (g_str_equal(type, "release")) {
		web_input_release_all(st, stream);
		return true;
	}
	return false;
}

void web_input_release_all(struct web_input_state *st, struct he_stream *stream)
{
	while (st->keys_down && st->keys_down->len) {
		uint16_t code = g_array_index(st->keys_down, uint16_t, st->keys_down->len - 1);

		g_array_remove_index(st->keys_down, st->keys_down->len - 1);
		if (stream)
			send(stream, HE_INPUT_KEY, code, false);
	}
	if (stream)
		send_buttons(st, stream, 0);
	st->buttons = 0;
}
