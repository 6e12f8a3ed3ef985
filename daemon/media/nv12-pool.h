/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file nv12-pool.h
 * A pool of NV12 frame buffers of one size, so that the capture path does no
 * per-frame allocation once warm. Rows are 64-byte aligned.
 *
 * Thread safety: acquire and release may be called from any thread; a frame
 * is used by one thread at a time. The pool is reference counted by its
 * frames, so he_nv12_pool_destroy() may run while frames are still out;
 * those are freed when released.
 */
#ifndef HOSTENC_MEDIA_NV12_POOL_H
#define HOSTENC_MEDIA_NV12_POOL_H

#include <stdint.h>

#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

struct he_nv12_pool;

/** One pooled NV12 frame. The buffers belong to the pool. */
struct he_nv12_frame {
	struct he_image image;  /**< fourcc HXFR_FMT_NV12, planes below */
	uint8_t *y;             /**< luma, stride_y * height bytes */
	uint8_t *uv;            /**< interleaved chroma, stride_uv * ceil(height/2) bytes */
	uint32_t stride_y;
	uint32_t stride_uv;
	struct he_nv12_pool *pool; /**< private: owning pool (holds a reference) */
};

/**
 * Create a pool of @p width x @p height frames that keeps at most
 * @p max_idle released frames for reuse (more are freed on release).
 *
 * @return the pool (caller owns it; he_nv12_pool_destroy()), or NULL for a
 *         size outside 1..HE_IMAGE_MAX_DIM.
 */
struct he_nv12_pool *he_nv12_pool_create(uint32_t width, uint32_t height, unsigned max_idle);

/** Drop the caller's reference. Accepts NULL. */
void he_nv12_pool_destroy(struct he_nv12_pool *pool);

/**
 * Take a frame: an idle one if any, else a new allocation. Contents are
 * undefined. Caller owns it until he_nv12_pool_release().
 */
struct he_nv12_frame *he_nv12_pool_acquire(struct he_nv12_pool *pool);

/** Give @p frame back to its pool. Accepts NULL. */
void he_nv12_pool_release(struct he_nv12_frame *frame);

/**
 * Acquire a frame and convert @p src into it (he_convert_to_nv12()).
 *
 * @param pool  pool whose size must equal @p src's
 * @param src   borrowed
 * @param out   on success the frame, owned by the caller
 * @return 0, or -EINVAL (size mismatch or invalid @p src).
 */
int he_nv12_pool_convert(struct he_nv12_pool *pool, const struct he_image *src,
			 struct he_nv12_frame **out);

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_NV12_POOL_H */
