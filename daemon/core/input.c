/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "input.h"

bool he_input_sink_send(const struct he_input_sink *sink, const struct he_input_event *ev)
{
	if (!sink || !sink->impl || !sink->impl->event)
		return false;
	sink->impl->event(sink->data, ev);
	return true;
}
