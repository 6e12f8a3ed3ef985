/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file check.h
 * Checks of one received stream, access unit by access unit, as a healthy
 * consumer must see it: the first access unit of a connection is an IDR;
 * each is one access unit whose IDR flag says what it holds; none is
 * missing (frame_num grows by one from each IDR; for web viewers the
 * sequence number grows by one); each decodes with libavcodec to exactly
 * one picture at once, of the right size and showing the right picture
 * (clip.h). Nothing here asserts: a failure is counted and described.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clip.h"
#include "frame-num.h"

struct soak_checker {
	void *ctx, *pkt, *frame;    /* libavcodec */
	const struct soak_clip *clip;
	uint32_t w, h;
	/* this connection */
	bool started;               /* its first IDR came */
	bool fn_valid;
	uint32_t frame_num;
	struct soak_frame_num fn;
	bool seq_valid;
	uint32_t seq;
	bool fno_valid;
	uint32_t fno;               /* frame number of the last picture */
};

/** What one access unit brought. */
struct soak_au_result {
	unsigned missing;  /**< access units missed just before this one */
	bool bad;          /**< something else wrong: see why */
	char why[200];
	uint32_t frame_no; /**< picture's frame number (when decoded) */
};

void soak_checker_init(struct soak_checker *c, const struct soak_clip *clip, uint32_t w,
		       uint32_t h);
void soak_checker_clear(struct soak_checker *c);
/** A new connection: forget the stream's position (the decoder is flushed). */
void soak_checker_reset(struct soak_checker *c);

/**
 * Check access unit @p au. @p seq: its sequence number (web viewers), or
 * NULL. @p keyframe: what its message says.
 */
void soak_checker_au(struct soak_checker *c, const uint8_t *au, size_t len, bool keyframe,
		     const uint32_t *seq, struct soak_au_result *r);

/** Decode @p au without any check: the size of its picture. @return 0 or -1. */
int soak_decode_size(struct soak_checker *c, const uint8_t *au, size_t len, int *w, int *h);
