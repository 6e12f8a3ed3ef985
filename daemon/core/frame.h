/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Raw frames handed from producers (the test pattern, guest sessions, the
 * QEMU display) to a stream's encode worker. Refcounted; immutable once
 * submitted.
 *
 * A frame's pixels live in one of three kinds of memory:
 * - CPU memory: a heap block, a pooled buffer or a guest's shared-memory
 *   ring, described by plane pointers and strides;
 * - a DMA-BUF: file descriptors, offsets, strides and a format modifier
 *   (e.g. a QEMU ScanoutDMABUF), for an encoder that imports it;
 * - a platform-native surface (a macOS CVPixelBuffer/IOSurface), an opaque
 *   retained handle.
 * Whatever backs the pixels is released through one callback when the last
 * reference goes, so a frame never knows who owns its memory. */
#ifndef HOSTENC_CORE_FRAME_H
#define HOSTENC_CORE_FRAME_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "image.h"

#define HE_FRAME_DMABUF_MAX_PLANES 4

struct he_sigbus_range;

struct he_frame_dmabuf {
	uint32_t drm_fourcc;  /**< DRM_FORMAT_* */
	uint64_t modifier;    /**< DRM_FORMAT_MOD_* */
	unsigned n_planes;
	int fd[HE_FRAME_DMABUF_MAX_PLANES];       /**< owned by the backing */
	uint32_t offset[HE_FRAME_DMABUF_MAX_PLANES];
	uint32_t stride[HE_FRAME_DMABUF_MAX_PLANES];
};

typedef void (*he_frame_release_fn)(void *data);

struct he_frame {
	gint ref;
	enum he_memory_kind memory;
	uint32_t fourcc;      /**< HXFR_FMT_* (CPU memory) */
	uint32_t width, height;
	const uint8_t *plane[3]; /**< CPU memory */
	uint32_t stride[3];
	struct he_frame_dmabuf dmabuf; /**< DMA-BUF memory */
	void *native;         /**< native surface (CVPixelBufferRef, ...) */
	int64_t pts_ns;       /**< producer's timestamp, echoed to the guest */
	int64_t duration_ns;
	int64_t capture_us;   /**< CLOCK_REALTIME µs when the frame was captured/received */
	bool force_idr;
	/** CPU memory a guest can take away (its shared memory), or NULL:
	 * once lost, what was read from it is garbage (sigbus.h) */
	const struct he_sigbus_range *guest_memory;
	/* backing */
	he_frame_release_fn release;
	void *release_data;
};

/** A frame whose memory is released by @p release(@p data) (either may be NULL). */
struct he_frame *he_frame_new(he_frame_release_fn release, void *data);
/**
 * A CPU frame with its own storage for @p fourcc at width x height (rows
 * 64-byte aligned). NULL on a bad size or format.
 */
struct he_frame *he_frame_new_alloc(uint32_t fourcc, uint32_t width, uint32_t height);
/**
 * Fill the plane pointers of CPU frame @p f from a contiguous buffer @p base
 * laid out as HXFR inline pixel data (docs/protocol.md, FRAME_REQUEST).
 */
void he_frame_set_packed_planes(struct he_frame *f, const uint8_t *base, uint32_t stride);
struct he_frame *he_frame_ref(struct he_frame *f);
void he_frame_unref(struct he_frame *f);

/* g_autoptr(he_frame) */
typedef struct he_frame he_frame;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(he_frame, he_frame_unref)

static inline int64_t he_now_us(void)
{
	return g_get_real_time();
}

#endif
