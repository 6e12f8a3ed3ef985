/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a stream feeds: a browser viewer, an HXFR subscriber, later RTP.
 *
 * An output embeds struct he_output and attaches to a stream. The stream
 * first replays the current GOP (replay = true), then delivers every live
 * access unit, in order, each carrying its stream description
 * (au->format: codec string, SPS/PPS, size), computed once by media; an
 * output that needs to announce a new description compares the pointer with
 * the one it sent last.
 *
 * Back-pressure is the stream's job, not the output's: deliver() returns
 * -EAGAIN when the output's queue is over its bound; the stream then skips
 * whole access units for it until the next IDR, and requests that IDR only
 * once ready() says the queue drained (a stuck output causes no IDR storm).
 * An output that stays congested longer than the stream's stall limit is
 * closed through close() ("too slow"); -EPIPE from deliver() detaches it at
 * once. */
#ifndef HOSTENC_CORE_OUTPUT_H
#define HOSTENC_CORE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "au.h"
#include "cursor.h"

#define HE_OUTPUT_VERSION 1

struct he_output;
struct he_stream;

enum he_output_close {
	HE_OUTPUT_CLOSE_STREAM_GONE, /**< the stream is going away */
	HE_OUTPUT_CLOSE_TOO_SLOW,    /**< congested past the stall limit */
};

struct he_output_impl {
	uint32_t version; /**< HE_OUTPUT_VERSION */
	/** Queue @p au: 0, -EAGAIN (over its bound) or -EPIPE (gone). */
	int (*deliver)(struct he_output *o, struct he_au *au, bool replay);
	/** Whether a congested output could take data again. */
	bool (*ready)(struct he_output *o);
	/** The stream detached it for @p why; it must forget the stream. */
	void (*close)(struct he_output *o, enum he_output_close why);
	/** The machine's pointer changed (also sent once on attach). May be NULL. */
	void (*cursor)(struct he_output *o, const struct he_cursor *cursor);
};

/** Embedded in each output; the stream keeps these fields. */
struct he_output {
	const struct he_output_impl *impl;
	struct he_stream *stream;   /**< set while attached */
	bool need_idr;              /**< skipping until the next keyframe */
	bool idr_requested;         /**< an IDR was asked for this resync */
	int64_t congested_since;    /**< monotonic µs, 0 when not congested */
	uint32_t resyncs;
	uint64_t delivered, skipped;
};

#endif
