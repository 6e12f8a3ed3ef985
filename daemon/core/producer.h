/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What feeds a stream: the test pattern, a guest session, the QEMU display.
 *
 * A producer creates its stream with he_stream_create(), handing over this
 * interface, and submits frames with he_stream_submit(). The stream calls
 * back on the main loop:
 * - demand(): someone started or stopped watching (outputs attached); a
 *   producer that renders on its own (pattern, display) runs only while
 *   wanted. Guests keep sending regardless: their owner gets every result.
 * - result(): for an *owning* producer (a guest, which wants its own
 *   H.264 back), exactly one call per submitted frame, in submission order:
 *   the access unit, or none with code 0 (dropped before encoding, to keep
 *   up) or an HXFR_ERR_* code and a reason.
 * Input does not go through the producer: it goes to the machine's input
 * sink (input.h), which the stream was created with. */
#ifndef HOSTENC_CORE_PRODUCER_H
#define HOSTENC_CORE_PRODUCER_H

#include <stdbool.h>
#include <stdint.h>

#include "au.h"

#define HE_PRODUCER_VERSION 1

struct he_producer_impl {
	uint32_t version; /**< HE_PRODUCER_VERSION */
	/** May be NULL. */
	void (*demand)(void *data, bool wanted);
	/** NULL for producers that do not own their frames' results. */
	void (*result)(void *data, uint64_t tag, struct he_au *au, int32_t code, const char *why);
};

#endif
