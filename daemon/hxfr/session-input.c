/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Viewers' input for a guest that encodes its own stream and is not a known
 * VM (a guest on TCP, say): with HELLO_INPUT, each event goes to the guest
 * as an INPUT message, which vsockenc turns into navigation events. A VM's
 * guests get none: their input goes through the VM's devices. */
#define G_LOG_DOMAIN "hostenc.session"
#include "session-private.h"

static void send_event(void *data, const struct he_input_event *ev)
{
	struct he_session *s = data;
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_INPUT_SIZE];
	struct hxfr_input m = { .code = ev->code, .down = ev->down, .x = ev->x, .y = ev->y,
				.dx = ev->dx, .dy = ev->dy };

	switch (ev->kind) {
	case HE_INPUT_KEY: m.kind = HXFR_INPUT_KEY; break;
	case HE_INPUT_BUTTON: m.kind = HXFR_INPUT_BUTTON; break;
	case HE_INPUT_MOTION_ABS: m.kind = HXFR_INPUT_MOTION_ABS; break;
	case HE_INPUT_MOTION_REL: m.kind = HXFR_INPUT_MOTION_REL; break;
	case HE_INPUT_WHEEL: m.kind = HXFR_INPUT_WHEEL; break;
	default: return;
	}
	if (hxfr_build_input(buf, sizeof(buf), 0, &m) > 0)
		session_send_buf(s, buf, sizeof(buf));
}

static const struct he_input_sink_impl input_impl = {
	.version = HE_INPUT_SINK_VERSION,
	.event = send_event,
};

struct he_input_sink session_input_sink(struct he_session *s)
{
	return (struct he_input_sink){ &input_impl, s };
}
