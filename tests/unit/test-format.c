/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pixel formats: fourcc bits, plane geometry (odd sizes round up), inline
 * frame sizes computed in 64 bits. */
#include "wire-test.h"

_Static_assert(HXFR_FMT_BGRX == 0x34325258u, "XR24 on the wire: 'X','R','2','4'");
_Static_assert(HXFR_FMT_NV12 == 0x3231564eu, "NV12");
_Static_assert(HXFR_FMT_I420 == 0x32315559u, "YU12");
_Static_assert((HXFR_FMTBIT_BGRX | HXFR_FMTBIT_BGRA | HXFR_FMTBIT_RGBX | HXFR_FMTBIT_RGBA |
		HXFR_FMTBIT_NV12 | HXFR_FMTBIT_I420) == HXFR_FMTBIT_ALL,
	       "format bits");

static const struct {
	uint32_t fourcc, bit;
	unsigned planes;
} formats[] = {
	{HXFR_FMT_BGRX, HXFR_FMTBIT_BGRX, 1}, {HXFR_FMT_BGRA, HXFR_FMTBIT_BGRA, 1},
	{HXFR_FMT_RGBX, HXFR_FMTBIT_RGBX, 1}, {HXFR_FMT_RGBA, HXFR_FMTBIT_RGBA, 1},
	{HXFR_FMT_NV12, HXFR_FMTBIT_NV12, 2}, {HXFR_FMT_I420, HXFR_FMTBIT_I420, 3},
};

static const uint32_t unknown[] = {
	0, UINT32_MAX, HXFR_FOURCC('Y', 'U', 'Y', 'V'), HXFR_FOURCC('N', 'V', '2', '1'),
	HXFR_FOURCC('Y', 'V', '1', '2'), HXFR_FOURCC('4', '2', 'R', 'X'), /* byte-swapped XR24 */
	HXFR_FOURCC('x', 'r', '2', '4'),
};

static void bits_and_planes(void)
{
	uint32_t seen = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		g_assert_cmphex(hxfr_format_bit(formats[i].fourcc), ==, formats[i].bit);
		g_assert_cmpuint(hxfr_format_planes(formats[i].fourcc), ==, formats[i].planes);
		g_assert_cmphex(seen & formats[i].bit, ==, 0);
		seen |= formats[i].bit;
	}
	g_assert_cmphex(seen, ==, HXFR_FMTBIT_ALL);
	for (size_t i = 0; i < G_N_ELEMENTS(unknown); i++) {
		uint64_t s = 1, r = 1;

		g_assert_cmphex(hxfr_format_bit(unknown[i]), ==, 0);
		g_assert_cmpuint(hxfr_format_planes(unknown[i]), ==, 0);
		g_assert_cmpint(hxfr_format_plane_geometry(unknown[i], 0, 16, 16, &s, &r), ==,
				-EINVAL);
		g_assert_cmpint(hxfr_format_frame_size(unknown[i], 16, 16, 64, &s), ==, -EINVAL);
	}
}

static void plane_geometry(void)
{
	static const struct {
		uint32_t fourcc;
		unsigned plane;
		uint32_t w, h;
		int err;
		uint64_t min_stride, rows;
	} t[] = {
		{HXFR_FMT_BGRX, 0, 3, 5, 0, 12, 5},
		{HXFR_FMT_RGBA, 0, 1, 1, 0, 4, 1},
		{HXFR_FMT_BGRA, 0, UINT32_MAX, 7, 0, 4ull * UINT32_MAX, 7}, /* no 32-bit wrap */
		{HXFR_FMT_BGRX, 1, 3, 5, -EINVAL},
		{HXFR_FMT_BGRX, 3, 3, 5, -EINVAL},
		{HXFR_FMT_NV12, 0, 7, 5, 0, 7, 5},
		{HXFR_FMT_NV12, 1, 7, 5, 0, 8, 3}, /* 4 UV pairs, 3 rows */
		{HXFR_FMT_NV12, 1, 8, 6, 0, 8, 3},
		{HXFR_FMT_NV12, 1, 1, 1, 0, 2, 1},
		{HXFR_FMT_NV12, 1, UINT32_MAX, UINT32_MAX, 0, 1ull << 32, 1ull << 31},
		{HXFR_FMT_NV12, 2, 8, 6, -EINVAL},
		{HXFR_FMT_I420, 0, 7, 5, 0, 7, 5},
		{HXFR_FMT_I420, 1, 7, 5, 0, 4, 3},
		{HXFR_FMT_I420, 2, 7, 5, 0, 4, 3},
		{HXFR_FMT_I420, 2, 8, 6, 0, 4, 3},
		{HXFR_FMT_I420, 1, 1, 1, 0, 1, 1},
		{HXFR_FMT_I420, 2, UINT32_MAX, UINT32_MAX, 0, 1ull << 31, 1ull << 31},
		{HXFR_FMT_I420, 3, 8, 6, -EINVAL},
		{HXFR_FMT_I420, UINT32_MAX, 8, 6, -EINVAL},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		uint64_t s = 0, r = 0;

		g_test_message("case %zu", i);
		g_assert_cmpint(hxfr_format_plane_geometry(t[i].fourcc, t[i].plane, t[i].w, t[i].h,
							   &s, &r), ==, t[i].err);
		if (t[i].err)
			continue;
		g_assert_cmpuint(s, ==, t[i].min_stride);
		g_assert_cmpuint(r, ==, t[i].rows);
	}
}

static void frame_size(void)
{
	static const struct {
		uint32_t fourcc, w, h, stride;
		int err;
		uint64_t size;
	} t[] = {
		{HXFR_FMT_BGRX, 3, 5, 12, 0, 60},
		{HXFR_FMT_BGRX, 3, 5, 16, 0, 80},
		{HXFR_FMT_BGRX, 3, 5, 11, -EINVAL},
		{HXFR_FMT_RGBX, 3, 5, 0, -EINVAL},
		{HXFR_FMT_NV12, 8, 6, 8, 0, 48 + 24},
		{HXFR_FMT_NV12, 7, 5, 8, 0, 40 + 24},
		/* Odd width: a chroma row (4 UV pairs = 8 bytes) does not fit a
		 * 7-byte stride. */
		{HXFR_FMT_NV12, 7, 5, 7, -EINVAL},
		{HXFR_FMT_NV12, 7, 5, 6, -EINVAL},
		{HXFR_FMT_I420, 8, 6, 8, 0, 48 + 2 * 12},
		{HXFR_FMT_I420, 7, 5, 7, 0, 35 + 2 * 12},
		{HXFR_FMT_I420, 7, 5, 8, 0, 40 + 2 * 12},
		{HXFR_FMT_I420, 7, 5, 9, 0, 45 + 2 * 15}, /* chroma stride 5 */
		{HXFR_FMT_I420, 7, 5, 6, -EINVAL},
		{HXFR_FMT_I420, 1, 1, 1, 0, 1 + 2},
		/* 8192x8192 BGRA: exactly 256 MiB, computed without overflow. */
		{HXFR_FMT_BGRA, 8192, 8192, 32768, 0, 1ull << 28},
		{HXFR_FMT_BGRA, 8192, 8192, 65536, 0, 1ull << 29},
		{HXFR_FMT_BGRA, 8192, 8192, UINT32_MAX, 0, 8192ull * UINT32_MAX},
		{HXFR_FMT_NV12, 8192, 8192, 8192, 0, 8192ull * 8192 * 3 / 2},
		{HXFR_FMT_I420, 8192, 8192, 65536, 0, (1ull << 29) + 2 * (32768ull * 4096)},
		/* Not limited to 8192 here, so 64 bits must hold... */
		{HXFR_FMT_BGRX, (1u << 30) - 1, UINT32_MAX, UINT32_MAX, 0,
		 (uint64_t)UINT32_MAX * UINT32_MAX},
		/* ...or the size is refused: (2^32-1)^2 + 2 * 2^62 does not fit. */
		{HXFR_FMT_I420, UINT32_MAX, UINT32_MAX, UINT32_MAX, -EOVERFLOW},
		{HXFR_FMT_NV12, UINT32_MAX, UINT32_MAX, UINT32_MAX, -EINVAL},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		uint64_t size = 0xdeadbeef;
		int r = hxfr_format_frame_size(t[i].fourcc, t[i].w, t[i].h, t[i].stride, &size);

		g_test_message("case %zu: %d, %" G_GUINT64_FORMAT, i, r, size);
		g_assert_cmpint(r, ==, t[i].err);
		if (!t[i].err)
			g_assert_cmpuint(size, ==, t[i].size);
	}
}

/* The decoder sizes an 8192x8192 BGRA inline frame without overflow. The
 * pixels are not read, so the message holds only the fixed part here while
 * its header claims the whole frame. */
static void inline_max_frame(void)
{
	static const uint32_t strides[] = {32768, 65536};

	for (size_t i = 0; i < G_N_ELEMENTS(strides); i++) {
		struct hxfr_frame_request in = {.width = 8192, .height = 8192,
						.format = HXFR_FMT_BGRA, .stride = strides[i],
						.pixels_len = 8192ull * strides[i]};
		uint8_t *b = g_malloc(HXFR_FRAME_REQUEST_PREFIX);
		struct hxfr_frame_request out;
		struct hxfr_msg m;
		const char *why = NULL;

		size_t need = 0;

		/* 44 + 256 MiB is over the hard cap: the builder refuses it... */
		g_assert_cmpint(hxfr_build_frame_request(b, HXFR_FRAME_REQUEST_PREFIX, 0, &in), ==,
				-EINVAL);
		in.pixels_len = 0;
		in.resource_id = 1;
		g_assert_cmpint(hxfr_build_frame_request(b, HXFR_FRAME_REQUEST_PREFIX, 0, &in), ==,
				HXFR_FRAME_REQUEST_PREFIX);
		b[5] = HXFR_FLAG_PIXEL_DATA;
		put_le(b + 8, HXFR_FRAME_REQUEST_SIZE + 8192ull * strides[i], 4);
		/* ...and so does the framer, whatever the caller's cap. */
		g_assert_cmpint(hxfr_frame(b, HXFR_FRAME_REQUEST_PREFIX, UINT32_MAX, &m, &need), ==,
				-EMSGSIZE);
		/* The decoder alone (it trusts the framer for the cap). */
		m.hdr = (struct hxfr_header){.magic = HXFR_MAGIC, .type = HXFR_FRAME_REQUEST,
					     .flags = HXFR_FLAG_PIXEL_DATA,
					     .payload_size = (uint32_t)(HXFR_FRAME_REQUEST_SIZE +
									8192ull * strides[i])};
		m.payload = b + HXFR_HEADER_SIZE;
		m.total = HXFR_HEADER_SIZE + m.hdr.payload_size;
		assert_result(hxfr_decode_frame_request(&m, &out, &why), why, 0, NULL);
		g_assert_cmpuint(out.pixels_len, ==, 8192ull * strides[i]);
		g_assert_true(out.pixels == b + HXFR_FRAME_REQUEST_PREFIX);
		g_free(b);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/format/bits-and-planes", bits_and_planes);
	g_test_add_func("/format/plane-geometry", plane_geometry);
	g_test_add_func("/format/frame-size", frame_size);
	g_test_add_func("/format/inline-max-frame", inline_max_frame);
	return g_test_run();
}
