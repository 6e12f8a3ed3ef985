/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Raw frames handed from producers (guest sessions, the test pattern, the
 * QEMU display) to a source's encode worker. Refcounted; immutable once
 * submitted. The pixels live in an owned heap block or in a shared-memory
 * mapping kept alive by a reference. */
#ifndef HOSTENC_FRAME_H
#define HOSTENC_FRAME_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct he_shm;

struct he_frame {
	gint ref;
	uint32_t fourcc; /**< HXFR_FMT_* */
	uint32_t width, height;
	const uint8_t *plane[3];
	uint32_t stride[3];
	int64_t pts_ns;       /**< producer's timestamp, echoed to the guest */
	int64_t duration_ns;
	int64_t capture_us;   /**< CLOCK_REALTIME µs when the frame was captured/received */
	int64_t recv_us;      /**< time spent receiving it (first byte to last), µs */
	bool force_idr;
	/* backing */
	void *block;          /**< owned heap block (g_free) or NULL */
	struct he_shm *shm;   /**< shm reference (he_shm_unref) or NULL */
};

/** A frame owning @p block (taken; freed with g_free). Planes are set by the caller. */
struct he_frame *he_frame_new_owned(void *block);
/** A frame whose pixels lie in @p shm (a reference is taken). */
struct he_frame *he_frame_new_shm(struct he_shm *shm);
/**
 * Allocate a frame with its own tightly packed storage for @p fourcc at
 * width x height (stride = row size rounded up to 64). NULL on bad size.
 */
struct he_frame *he_frame_alloc(uint32_t fourcc, uint32_t width, uint32_t height);
/**
 * Fill the plane pointers of @p f from a contiguous buffer @p base laid out
 * as HXFR inline pixel data (docs/protocol.md, FRAME_REQUEST).
 */
void he_frame_set_packed_planes(struct he_frame *f, const uint8_t *base, uint32_t stride);
struct he_frame *he_frame_ref(struct he_frame *f);
void he_frame_unref(struct he_frame *f);

static inline int64_t he_now_us(void)
{
	return g_get_real_time();
}

#endif
