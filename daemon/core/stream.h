/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A source: one stream of raw frames, one encoder, many consumers.
 *
 * Frames are submitted on the main loop and encoded on the source's worker
 * thread; results come back to the main loop, where they go to the owner
 * (the guest session whose frames these are, one result per submitted tag,
 * in order) and to every consumer (HXFR subscribers, web viewers). The
 * current GOP is kept so that late consumers start with an IDR. */
#ifndef HOSTENC_SOURCE_H
#define HOSTENC_SOURCE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "frame.h"
#include "stats.h"

struct he_daemon;
struct he_source;

/** One encoded access unit, shared (refcounted) by every consumer. */
struct he_au {
	gint ref;
	GBytes *data;       /**< Annex B */
	bool keyframe;
	bool keepalive;     /**< a static-screen re-encode */
	int64_t pts_ns;
	int64_t capture_us; /**< CLOCK_REALTIME µs of capture */
	int64_t encoded_us; /**< CLOCK_REALTIME µs when encoding finished */
	uint64_t seq;
	uint32_t width, height;
};
struct he_au *he_au_ref(struct he_au *au);
void he_au_unref(struct he_au *au);

struct he_consumer;
struct he_consumer_impl {
	/**
	 * Queue @p au for sending. @return 0, -EAGAIN when the consumer is over
	 * its queue bound (the source then resynchronises it: it gets nothing
	 * more until the next IDR, which the source requests), or -EPIPE when
	 * it is gone (the source detaches it).
	 */
	int (*deliver)(struct he_consumer *c, struct he_au *au, bool replay);
	/** The source is going away; the consumer must forget it. */
	void (*source_gone)(struct he_consumer *c);
	/** Whether a resynchronising consumer could take data again (its
	 * queue drained); only then is an IDR requested for it. */
	bool (*ready)(struct he_consumer *c);
};

struct he_consumer {
	const struct he_consumer_impl *impl;
	struct he_source *source;
	bool need_idr;       /**< skip until the next keyframe */
	bool idr_requested;  /**< an IDR was asked for this resync */
	uint32_t resyncs;
	uint64_t delivered, skipped;
};

/** The producer that wants one result per submitted frame (a guest). */
struct he_owner_impl {
	/** @p au NULL: dropped before encoding (code 0) or failed (code < 0). */
	void (*result)(void *owner, uint64_t tag, struct he_au *au, int32_t code,
		       const char *why);
};

struct he_source_info {
	uint32_t id;
	const char *name;
	const char *encoder;
	bool hardware;
	uint32_t width, height;
	uint32_t consumers;
	uint32_t bitrate;
	double fps;         /**< encoded frames/s over the last few seconds */
};

struct he_source *he_source_new(struct he_daemon *d, uint32_t id, const char *name);
/** Stops the worker (waits for the frame being encoded), detaches consumers. */
void he_source_destroy(struct he_source *s);

void he_source_set_owner(struct he_source *s, const struct he_owner_impl *impl, void *owner);
/**
 * Submit a frame (a reference is taken). @return 0 when queued (a result
 * for @p tag follows if there is an owner), or -EBUSY when the queue is
 * full and the frame was not taken (nothing follows; count it dropped).
 */
int he_source_submit(struct he_source *s, struct he_frame *f, uint64_t tag);
/** Frames waiting or being encoded. */
uint32_t he_source_pending(struct he_source *s);
void he_source_request_idr(struct he_source *s);
void he_source_set_bitrate(struct he_source *s, uint32_t bps);
void he_source_set_gop(struct he_source *s, uint32_t frames);
void he_source_set_fps(struct he_source *s, uint32_t num, uint32_t den);
/** Attach a consumer: the current GOP is replayed to it first. */
void he_source_attach(struct he_source *s, struct he_consumer *c);
void he_source_detach(struct he_source *s, struct he_consumer *c);
uint32_t he_source_consumers(struct he_source *s);
/** Called when the first consumer attaches / the last one leaves. */
void he_source_set_demand_cb(struct he_source *s, void (*cb)(void *data, bool wanted),
			     void *data);

/** Input from a viewer, for the source to act on (test pattern, VM). */
enum he_input_kind { HE_INPUT_KEY, HE_INPUT_POINTER, HE_INPUT_WHEEL };
struct he_input_event {
	enum he_input_kind kind;
	const char *key;   /**< DOM KeyboardEvent.key (borrowed) */
	const char *code;  /**< DOM KeyboardEvent.code (borrowed) */
	bool down;
	int x, y;          /**< pointer, in source pixels */
	uint32_t buttons;  /**< DOM buttons mask */
	int dx, dy;        /**< wheel */
};
void he_source_set_input_cb(struct he_source *s,
			    void (*cb)(void *data, const struct he_input_event *ev), void *data);
/** Pass input to the source; @return false when the source takes none. */
bool he_source_input(struct he_source *s, const struct he_input_event *ev);

uint32_t he_source_id(const struct he_source *s);
const char *he_source_name(const struct he_source *s);
void he_source_info(struct he_source *s, struct he_source_info *out);
struct he_stats *he_source_stats(struct he_source *s);

#endif
