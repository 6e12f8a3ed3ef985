/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A stream: one encoder and its worker thread, the current GOP, fan-out to
 * outputs, static-screen keepalives and stats.
 *
 * A producer (producer.h) creates the stream and submits raw frames on the
 * main loop; they are encoded on the stream's worker; results come back to
 * the main loop, where they go to the owning producer (one result per
 * frame, in order) and to every output (output.h). Late outputs get the
 * current GOP replayed first. Viewer input goes to the machine's input sink
 * the stream was created with.
 *
 * Everything here runs on the main loop unless said otherwise. */
#ifndef HOSTENC_CORE_STREAM_H
#define HOSTENC_CORE_STREAM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "au.h"
#include "frame.h"
#include "input.h"
#include "output.h"
#include "producer.h"
#include "stats.h"
#include "thread-priority.h"

/** Settings every stream of a daemon shares; copied at creation. */
struct he_stream_env {
	const char *encoder;      /**< libavcodec encoder name; NULL = auto (interned or static) */
	uint32_t keepalive_fps;   /**< static-screen re-encodes per second, 0 = off */
	uint32_t output_stall_s;  /**< an output congested this long is closed */
	uint32_t bitrate;         /**< bits/s asked by default, 0 = media's default for the size */
	uint32_t gop;             /**< frames between IDRs, 0 = only on request
				   * (with intra_refresh: a wave every 10 s) */
	bool intra_refresh;       /**< periodic intra refresh, IDRs on request only */
	uint32_t vbv_frames;      /**< rate-control buffer in frames, 0 = half a second */
	enum he_thread_priority priority; /**< of the encode workers */
	uint32_t encoder_idle_s;  /**< release an encoder given no frame this long, 0 = never */
	uint64_t gop_budget;      /**< bytes of GOP buffers over all streams together */
};

#define HE_STREAM_ENCODER_IDLE_S 10
#define HE_STREAM_GOP_BUDGET (64ull << 20)

void he_stream_env_defaults(struct he_stream_env *env);

struct he_stream_params {
	uint32_t id;              /**< numeric id (HXFR SUBSCRIBE, Helix scanout ids) */
	const char *name;         /**< stable name, e.g. "pattern", "vm1/0" */
	const char *title;        /**< human description, may be NULL */
	const struct he_producer_impl *producer;
	void *producer_data;
	struct he_input_sink input; /**< the machine's input sink, may be empty */
	uint32_t fps_num, fps_den;  /**< nominal rate, 0 = 30 */
};

struct he_stream;

struct he_stream *he_stream_create(const struct he_stream_env *env,
				   const struct he_stream_params *params);
/** Stops the worker (waits for the frame being encoded), closes outputs. */
void he_stream_destroy(struct he_stream *s);

/**
 * Submit a frame (a reference is taken). @return 0 when queued (a result
 * for @p tag follows if the producer owns results), or -EBUSY when the
 * queue is full and the frame was not taken (non-owning producers only;
 * nothing follows).
 */
int he_stream_submit(struct he_stream *s, struct he_frame *f, uint64_t tag);
/** Frames waiting or being encoded. */
uint32_t he_stream_pending(struct he_stream *s);
/** A producer skipped a frame before submitting it (it was behind): counted as dropped. */
void he_stream_skipped(struct he_stream *s);
void he_stream_request_idr(struct he_stream *s);
/**
 * An IDR asked for by a viewer or a peer (a decoder error, a guest's
 * KEYFRAME_REQ): coalesced to at most one per HE_STREAM_IDR_INTERVAL_MS,
 * so that nobody can turn every frame into an IDR for everyone.
 * @return true when this request will be honoured (or one already is).
 */
bool he_stream_ask_idr(struct he_stream *s);
#define HE_STREAM_IDR_INTERVAL_MS 500
/**
 * Keepalives of a stream with an owner (a guest session) start this long
 * after the owner's last frame rather than after 1/keepalive_fps: each one
 * costs the owner's own stream an IDR, and a guest that sends only changes
 * pauses often. Below the 3 s after which the page says "no video".
 */
#define HE_STREAM_OWNER_QUIET_MS 2000
/**
 * Ask for a bitrate (0 = media's default for the size). @return the value
 * that will be applied (clamped to the encoder's limits; 0 for the default).
 */
uint32_t he_stream_set_bitrate(struct he_stream *s, uint32_t bps);
/** Nominal frame rate; clamped in place to what the encoder accepts. */
void he_stream_set_fps(struct he_stream *s, uint32_t *num, uint32_t *den);

/** Attach an output: the current GOP is replayed to it first. */
void he_stream_attach(struct he_stream *s, struct he_output *o);
/**
 * Whether the stream's picture is still: its GOP (replayed to an output
 * that joins) holds the current picture, no frame came for a second,
 * nothing is being encoded, and no keepalive can come (the picture was
 * encoded before anyone watched, or the idle encoder was let go). New AUs
 * come only when the producer sends a new frame; a viewer should not take
 * the silence for a stall.
 */
bool he_stream_is_still(struct he_stream *s);
void he_stream_detach(struct he_stream *s, struct he_output *o);
uint32_t he_stream_outputs(struct he_stream *s);

/** The producer's pointer shape/position changed: every output is told
 * (a reference is taken and kept for outputs that attach later). */
void he_stream_set_cursor(struct he_stream *s, struct he_cursor *cursor);

/** Input events a stream passes on per second, from all its viewers together. */
#define HE_STREAM_INPUT_PER_SECOND 2000

/** Pass viewer input to the machine; false when the stream takes none or
 * its viewers together are over HE_STREAM_INPUT_PER_SECOND. */
bool he_stream_input(struct he_stream *s, const struct he_input_event *ev);
/**
 * A viewer's message to @p s arrives, not read yet (input, ping, keyframe
 * request): false when the stream's viewers together already sent
 * HE_STREAM_INPUT_PER_SECOND messages this second, and the message is to
 * be dropped unread. An output calls it before any parsing, so that a
 * flood from many viewers costs a counter, not the parser.
 */
bool he_stream_input_admit(struct he_stream *s);
bool he_stream_has_input(const struct he_stream *s);
/** Ask the machine for a screen of this size; false when it cannot resize. */
bool he_stream_resize(struct he_stream *s, uint32_t width, uint32_t height);
bool he_stream_can_resize(const struct he_stream *s);
/** false when the machine's pointer moves by relative motion only (no tablet). */
bool he_stream_pointer_absolute(const struct he_stream *s);

struct he_stream_info {
	uint32_t id;
	const char *name, *title;
	const char *encoder;
	bool hardware;
	uint32_t width, height;
	uint32_t outputs;
	uint32_t bitrate;   /**< applied by the encoder */
	double fps;         /**< encoded frames/s over the last 2 s */
	double bitrate_measured; /**< bits/s of the access units of the last 2 s */
};

/** Bytes of the GOPs all streams keep for late outputs (at most env.gop_budget). */
uint64_t he_stream_gop_bytes_total(void);

uint32_t he_stream_id(const struct he_stream *s);
const char *he_stream_name(const struct he_stream *s);
void he_stream_info(struct he_stream *s, struct he_stream_info *out);
struct he_stats *he_stream_stats(struct he_stream *s);

#endif
