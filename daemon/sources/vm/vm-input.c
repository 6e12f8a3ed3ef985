/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM's keyboard and pointer: device events from viewers (evdev codes,
 * normalised positions) into QEMU's Keyboard and Mouse interfaces of the
 * console the viewer watches. */
#define G_LOG_DOMAIN "hostenc.vm"
#include "input-keys.h"
#include "qemu-keys.h"
#include "vm-private.h"

/* Normalised 0..HE_INPUT_ABS_MAX back to the pixel it names. */
static uint32_t to_pixels(uint32_t v, uint32_t size)
{
	return size ? (uint32_t)((uint64_t)v * size / (HE_INPUT_ABS_MAX + 1u)) : 0;
}

static void wheel(struct he_qemu_console *c, int32_t steps, uint32_t up, uint32_t down)
{
	uint32_t b = steps > 0 ? down : up;

	for (int32_t i = 0; i < ABS(steps) && i < 20; i++) {
		he_qemu_console_button(c, b, true);
		he_qemu_console_button(c, b, false);
	}
}

static void motion_abs(struct vm_screen *sc, const struct he_input_event *ev)
{
	struct he_stream_info info;
	uint32_t x, y;

	he_stream_info(sc->stream, &info);
	x = to_pixels(ev->x, info.width);
	y = to_pixels(ev->y, info.height);
	if (he_qemu_console_is_absolute(sc->console)) {
		he_qemu_console_move_abs(sc->console, x, y);
	} else {
		/* No tablet: move by the difference (the guest's acceleration
		 * may still make it drift; pointer lock sends relative motion). */
		he_qemu_console_move_rel(sc->console, (int32_t)x - (int32_t)sc->pointer_x,
					 (int32_t)y - (int32_t)sc->pointer_y);
	}
	sc->pointer_x = x;
	sc->pointer_y = y;
}

static void on_event(void *data, const struct he_input_event *ev)
{
	struct vm_screen *sc = data;
	uint32_t code;

	switch (ev->kind) {
	case HE_INPUT_KEY:
		code = he_evdev_to_qnum(ev->code);
		if (code)
			he_qemu_console_key(sc->console, code, ev->down);
		break;
	case HE_INPUT_BUTTON:
		code = he_evdev_button_to_qemu(ev->code);
		if (code != HE_QEMU_BTN_NONE)
			he_qemu_console_button(sc->console, code, ev->down);
		break;
	case HE_INPUT_MOTION_ABS:
		motion_abs(sc, ev);
		break;
	case HE_INPUT_MOTION_REL:
		he_qemu_console_move_rel(sc->console, ev->dx, ev->dy);
		break;
	case HE_INPUT_WHEEL:
		wheel(sc->console, ev->dy, HE_QEMU_BTN_WHEEL_UP, HE_QEMU_BTN_WHEEL_DOWN);
		wheel(sc->console, ev->dx, HE_QEMU_BTN_WHEEL_LEFT, HE_QEMU_BTN_WHEEL_RIGHT);
		break;
	}
}

static void on_resize(void *data, uint32_t width, uint32_t height)
{
	struct vm_screen *sc = data;

	if (width < 64 || height < 64 || width > 8192 || height > 8192)
		return;
	he_qemu_console_set_size(sc->console, width, height);
}

static bool pointer_absolute(void *data)
{
	struct vm_screen *sc = data;

	return he_qemu_console_is_absolute(sc->console);
}

const struct he_input_sink_impl vm_input_impl = {
	.version = HE_INPUT_SINK_VERSION,
	.event = on_event,
	.resize = on_resize,
	.pointer_absolute = pointer_absolute,
};
