/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "input.h"

bool he_input_sink_send(const struct he_input_sink *sink, const struct he_input_event *ev)
{
	if (!sink || !sink->impl || !sink->impl->event)
		return false;
	sink->impl->event(sink->data, ev);
	return true;
}

bool he_input_sink_pointer_absolute(const struct he_input_sink *sink)
{
	if (!sink || !sink->impl || !sink->impl->pointer_absolute)
		return true;
	return sink->impl->pointer_absolute(sink->data);
}

bool he_input_sink_can_resize(const struct he_input_sink *sink)
{
	return sink && sink->impl && sink->impl->resize;
}

bool he_input_sink_resize(const struct he_input_sink *sink, uint32_t width, uint32_t height)
{
	if (!he_input_sink_can_resize(sink))
		return false;
	sink->impl->resize(sink->data, width, height);
	return true;
}
