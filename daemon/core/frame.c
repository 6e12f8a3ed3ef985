/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "frame.h"

#include <hxfr/hxfr.h>

struct he_frame *he_frame_new(he_frame_release_fn release, void *data)
{
	struct he_frame *f = g_new0(struct he_frame, 1);

	f->ref = 1;
	f->memory = HE_MEMORY_CPU;
	f->release = release;
	f->release_data = data;
	for (unsigned i = 0; i < HE_FRAME_DMABUF_MAX_PLANES; i++)
		f->dmabuf.fd[i] = -1;
	return f;
}

struct he_frame *he_frame_new_alloc(uint32_t fourcc, uint32_t width, uint32_t height)
{
	uint64_t min_stride, rows, size = 0, stride[3] = { 0 }, offset[3] = { 0 };
	unsigned planes = hxfr_format_planes(fourcc);
	struct he_frame *f;
	uint8_t *block;

	if (!planes || !width || !height || width > HXFR_MAX_WIDTH || height > HXFR_MAX_HEIGHT)
		return NULL;
	for (unsigned i = 0; i < planes; i++) {
		hxfr_format_plane_geometry(fourcc, i, width, height, &min_stride, &rows);
		stride[i] = (min_stride + 63) / 64 * 64;
		offset[i] = size;
		size += stride[i] * rows;
	}
	block = g_malloc(size);
	f = he_frame_new(g_free, block);
	f->fourcc = fourcc;
	f->width = width;
	f->height = height;
	for (unsigned i = 0; i < planes; i++) {
		f->plane[i] = block + offset[i];
		f->stride[i] = (uint32_t)stride[i];
	}
	return f;
}

void he_frame_set_packed_planes(struct he_frame *f, const uint8_t *base, uint32_t stride)
{
	uint64_t h = f->height, ch = (h + 1) / 2;

	f->plane[0] = base;
	f->stride[0] = stride;
	f->plane[1] = f->plane[2] = NULL;
	f->stride[1] = f->stride[2] = 0;
	if (f->fourcc == HXFR_FMT_NV12) {
		f->plane[1] = base + (uint64_t)stride * h;
		f->stride[1] = stride;
	} else if (f->fourcc == HXFR_FMT_I420) {
		uint32_t cs = (stride + 1) / 2;

		f->plane[1] = base + (uint64_t)stride * h;
		f->stride[1] = cs;
		f->plane[2] = f->plane[1] + (uint64_t)cs * ch;
		f->stride[2] = cs;
	}
}

struct he_frame *he_frame_ref(struct he_frame *f)
{
	g_atomic_int_inc(&f->ref);
	return f;
}

void he_frame_unref(struct he_frame *f)
{
	if (!f || !g_atomic_int_dec_and_test(&f->ref))
		return;
	if (f->release)
		f->release(f->release_data);
	g_free(f);
}
