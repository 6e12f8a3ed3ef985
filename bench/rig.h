/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file rig.h
 * A real hostencd for benchmarks: started on a private unix socket with a
 * shared-memory ring, one HXFR session, frames sent the way a guest sends
 * them (copied into a ring slot, or inline on the socket), access units
 * read back. Errors are printed on stderr.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clip.h"

struct bench_rig;

/** What hostencd is started with. */
struct bench_rig_config {
	const char *hostencd;  /* path of the binary */
	uint32_t bitrate;      /* --bitrate, bits/s */
	uint32_t gop;          /* --gop, frames */
	bool shm;              /* frames through the ring (else inline) */
};

/**
 * Start hostencd for frames of @p c's size and open a session (HELLO, and
 * SHM_ATTACH with a ring). @return the rig, or NULL (message printed).
 */
struct bench_rig *bench_rig_start(const struct bench_rig_config *cfg, const struct bench_clip *c);

/** Send frame @p i of the clip (slot i mod 4 for the ring). @return 0 or -1. */
int bench_rig_send(struct bench_rig *r, const struct bench_clip *c, uint64_t i);

/**
 * Read messages up to the next FRAME_RESPONSE.
 * @param au_len   the access unit's size (0 for a dropped frame); may be NULL
 * @param dropped  set when hostencd dropped the frame (a newer one replaced
 *                 it before the encoder took it); may be NULL
 * @return 0 or -1.
 */
int bench_rig_receive(struct bench_rig *r, size_t *au_len, bool *dropped);

/** hostencd's process id. */
int bench_rig_pid(const struct bench_rig *r);

/** The access unit bench_rig_receive() read last (valid until the next call). */
const uint8_t *bench_rig_last_au(const struct bench_rig *r, size_t *len);

/** End the session, stop hostencd, remove its files; NULL is ignored. */
void bench_rig_stop(struct bench_rig *r);
