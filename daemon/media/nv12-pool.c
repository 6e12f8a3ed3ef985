/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reusable NV12 frame buffers. */
#define G_LOG_DOMAIN "hostenc.convert"

#include "nv12-pool.h"
#include "convert.h"

#include <errno.h>

#include <glib.h>

#define ROW_ALIGN 64u

struct he_nv12_pool {
	gatomicrefcount ref;
	GMutex lock;
	GQueue idle;            /* struct he_nv12_frame *, under lock */
	unsigned max_idle;
	uint32_t width, height;
	uint32_t stride_y, stride_uv;
};

static struct he_nv12_pool *pool_ref(struct he_nv12_pool *pool)
{
	g_atomic_ref_count_inc(&pool->ref);
	return pool;
}

static void frame_free(struct he_nv12_frame *frame)
{
	g_aligned_free(frame->y);
	g_free(frame);
}

static void pool_unref(struct he_nv12_pool *pool)
{
	struct he_nv12_frame *frame;

	if (!g_atomic_ref_count_dec(&pool->ref))
		return;
	while ((frame = g_queue_pop_head(&pool->idle)))
		frame_free(frame);
	g_mutex_clear(&pool->lock);
	g_free(pool);
}

struct he_nv12_pool *he_nv12_pool_create(uint32_t width, uint32_t height, unsigned max_idle)
{
	struct he_nv12_pool *pool;
	uint32_t cw = (width + 1) / 2;

	if (width == 0 || height == 0 || width > HE_IMAGE_MAX_DIM || height > HE_IMAGE_MAX_DIM)
		return NULL;
	pool = g_new0(struct he_nv12_pool, 1);
	g_atomic_ref_count_init(&pool->ref);
	g_mutex_init(&pool->lock);
	g_queue_init(&pool->idle);
	pool->max_idle = max_idle;
	pool->width = width;
	pool->height = height;
	pool->stride_y = (width + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
	pool->stride_uv = (cw * 2 + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
	return pool;
}

void he_nv12_pool_destroy(struct he_nv12_pool *pool)
{
	if (pool)
		pool_unref(pool);
}

static struct he_nv12_frame *frame_new(struct he_nv12_pool *pool)
{
	struct he_nv12_frame *frame = g_new0(struct he_nv12_frame, 1);
	size_t y_size = (size_t)pool->stride_y * pool->height;
	size_t uv_size = (size_t)pool->stride_uv * ((pool->height + 1) / 2);

	/* One allocation; the UV plane starts on an aligned row. */
	frame->y = g_aligned_alloc(y_size + uv_size, 1, ROW_ALIGN);
	frame->uv = frame->y + y_size;
	frame->stride_y = pool->stride_y;
	frame->stride_uv = pool->stride_uv;
	frame->image = (struct he_image){
		.fourcc = HXFR_FMT_NV12,
		.width = pool->width,
		.height = pool->height,
		.plane = { frame->y, frame->uv, NULL },
		.stride = { pool->stride_y, pool->stride_uv, 0 },
	};
	return frame;
}

struct he_nv12_frame *he_nv12_pool_acquire(struct he_nv12_pool *pool)
{
	struct he_nv12_frame *frame;

	g_return_val_if_fail(pool != NULL, NULL);
	g_mutex_lock(&pool->lock);
	frame = g_queue_pop_head(&pool->idle);
	g_mutex_unlock(&pool->lock);
	if (!frame)
		frame = frame_new(pool);
	frame->pool = pool_ref(pool);
	return frame;
}

void he_nv12_pool_release(struct he_nv12_frame *frame)
{
	struct he_nv12_pool *pool;
	bool keep;

	if (!frame)
		return;
	pool = frame->pool;
	frame->pool = NULL;
	g_mutex_lock(&pool->lock);
	keep = g_queue_get_length(&pool->idle) < pool->max_idle;
	if (keep)
		g_queue_push_head(&pool->idle, frame);
	g_mutex_unlock(&pool->lock);
	if (!keep)
		frame_free(frame);
	pool_unref(pool);
}

int he_nv12_pool_convert(struct he_nv12_pool *pool, const struct he_image *src,
			 struct he_nv12_frame **out)
{
	struct he_nv12_frame *frame;
	int rc;

	if (!pool || !src || !out || src->width != pool->width || src->height != pool->height)
		return -EINVAL;
	frame = he_nv12_pool_acquire(pool);
	rc = he_convert_to_nv12(src, frame->y, frame->stride_y, frame->uv, frame->stride_uv);
	if (rc < 0)
		goto fail;
	*out = frame;
	return 0;

	/* ERRORS */
fail:
	he_nv12_pool_release(frame);
	return rc;
}
