/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file sim-guest.h
 * A simulated guest for the tail-latency, scale and idle benchmarks: one
 * HXFR session over a unix socket that sends a scene's BGRx pictures
 * through its own shared-memory ring at a fixed rate, as vsockenc does
 * (CONFIG_REQ with the host's default bitrate, at most @c window frames in
 * flight; a frame due while the window is full is skipped, as a capture
 * source would drop it), and records every frame's round trip and access
 * unit. A picture is copied into its slot only when the slot holds another
 * picture (a static desktop costs the guest no copies, as with damage
 * tracking).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "clip.h"
#include "hostencd-run.h"

/** Where pictures come from: a clip (shared between guests, read only). */
struct sim_source {
	const struct bench_clip *clip;
	uint32_t *id; /* per clip frame: the first frame with the same pixels */
};

/** Find the identical frames of @p clip. @return 0 or -ENOMEM. */
int sim_source_init(struct sim_source *s, const struct bench_clip *clip);

/**
 * The clip frame shown as picture @p k: the clip forwards, then backwards,
 * and so on, so that the pictures never jump (text scrolls back, motion
 * reverses) as a loop would at its end.
 */
uint32_t sim_source_frame(const struct sim_source *s, uint64_t k);
void sim_source_clear(struct sim_source *s);

/** Bytes of region one guest's ring needs for @p w x @p h BGRx frames. */
uint64_t sim_ring_size(uint32_t w, uint32_t h);

struct sim_guest_config {
	const struct bench_hostencd *host; /* its socket and region */
	uint64_t ring_offset;     /* this guest's ring in the region (sim_ring_size() bytes) */
	const struct sim_source *src;
	const char *name;         /* HELLO name: the stream's name */
	uint32_t fps;             /* frames per second sent */
	uint32_t window;          /* frames in flight, 1..3 */
	double seconds;           /* how long to send */
	double start_at;          /* bench_now() time of the first frame (0: at once) */
	uint64_t first_frame;     /* clip frame of the first picture */
	double keyframe_req_at;   /* seconds after the start: send KEYFRAME_REQ; < 0: never */
	bool changes_only;        /* send a picture only when it differs from the last sent */
	bool keep_aus;            /* keep every access unit (sim_frame.au) */
	uint32_t max_sends;       /* stop sending after this many pictures, 0 = never */
};

/** One frame the guest meant to send. */
struct sim_frame {
	double due_s;     /* seconds after the start */
	float rt_ms;      /* FRAME_SHM sent -> FRAME_RESPONSE read; < 0 if none */
	uint32_t bytes;   /* access unit size */
	uint32_t clip_frame; /* the picture sent */
	bool sent, key, dropped, skipped;
	uint8_t *au;      /* with keep_aus: the access unit (bytes long) */
};

struct sim_guest_result {
	struct sim_frame *frames; /* one per due frame */
	uint32_t n;
	uint32_t sent, replies, dropped, skipped, keyframes;
	int key_after_req;        /* index of the first IDR after KEYFRAME_REQ, -1 */
	double seconds;           /* first frame due .. last reply */
	double cpu_s;             /* this guest thread's CPU time */
	bool failed;
};

/** Run one guest to the end (blocking). @return 0, or -1 (message printed). */
int sim_guest_run(const struct sim_guest_config *cfg, struct sim_guest_result *out);

void sim_guest_result_clear(struct sim_guest_result *r);
