/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "frame-num.h"

#include <string.h>

#include "h264.h"

/* Enough of an RBSP for an SPS up to log2_max_frame_num, or a slice
 * header up to frame_num. */
#define RBSP_MAX 256

struct bits {
	uint8_t buf[RBSP_MAX];
	size_t len, pos; /* bytes, bits */
	bool error;
};

/* The RBSP of a NAL unit (emulation prevention removed), header byte skipped. */
static void bits_init(struct bits *b, const uint8_t *nal, size_t size)
{
	unsigned zeros = 0;

	memset(b, 0, sizeof(*b));
	for (size_t i = 1; i < size && b->len < RBSP_MAX; i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = nal[i] ? 0 : zeros + 1;
		b->buf[b->len++] = nal[i];
	}
}

static uint32_t bits_u(struct bits *b, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (b->pos >= b->len * 8) {
			b->error = true;
			return 0;
		}
		v = v << 1 | ((b->buf[b->pos / 8] >> (7 - b->pos % 8)) & 1);
		b->pos++;
	}
	return v;
}

static uint32_t bits_ue(struct bits *b)
{
	unsigned zeros = 0;

	while (!b->error && bits_u(b, 1) == 0)
		if (++zeros > 31) {
			b->error = true;
			return 0;
		}
	return zeros ? (1u << zeros) - 1 + bits_u(b, zeros) : 0;
}

static int32_t bits_se(struct bits *b)
{
	uint32_t k = bits_ue(b);

	return k & 1 ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

static void skip_scaling_list(struct bits *b, unsigned size)
{
	int last = 8, next = 8;

	for (unsigned j = 0; j < size && !b->error; j++) {
		if (next)
			next = (last + bits_se(b) + 256) % 256;
		last = next ? next : last;
	}
}

static bool high_profile(uint32_t p)
{
	return p == 100 || p == 110 || p == 122 || p == 244 || p == 44 || p == 83 ||
	       p == 86 || p == 118 || p == 128 || p == 138 || p == 139 || p == 134 || p == 135;
}

/* log2_max_frame_num of an SPS, 0 if it does not read. */
static unsigned sps_log2_max_frame_num(const uint8_t *nal, size_t size)
{
	struct bits b;
	uint32_t profile, v;

	bits_init(&b, nal, size);
	profile = bits_u(&b, 8);
	bits_u(&b, 16); /* constraint flags, level */
	bits_ue(&b);    /* seq_parameter_set_id */
	if (high_profile(profile)) {
		uint32_t chroma = bits_ue(&b);

		if (chroma == 3)
			bits_u(&b, 1);
		bits_ue(&b);
		bits_ue(&b);
		bits_u(&b, 1);
		if (bits_u(&b, 1)) /* seq_scaling_matrix_present_flag */
			for (unsigned i = 0; i < (chroma != 3 ? 8u : 12u); i++)
				if (bits_u(&b, 1))
					skip_scaling_list(&b, i < 6 ? 16 : 64);
	}
	v = bits_ue(&b);
	return b.error || v > 12 ? 0 : v + 4;
}

int soak_frame_num_read(struct soak_frame_num *fn, const uint8_t *au, size_t len,
			uint32_t *frame_num, bool *ref)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;

	he_h264_iter_init(&it, au, len);
	while (he_h264_iter_next(&it, &nal) == 1) {
		if (nal.type == HE_H264_NAL_SPS) {
			fn->log2_max = sps_log2_max_frame_num(nal.data, nal.size);
		} else if (nal.type == HE_H264_NAL_SLICE || nal.type == HE_H264_NAL_IDR) {
			struct bits b;

			if (!fn->log2_max)
				return -1;
			bits_init(&b, nal.data, nal.size);
			bits_ue(&b); /* first_mb_in_slice */
			bits_ue(&b); /* slice_type */
			bits_ue(&b); /* pic_parameter_set_id */
			*frame_num = bits_u(&b, fn->log2_max);
			*ref = nal.ref_idc != 0;
			return b.error ? -1 : 0;
		}
	}
	return -1;
}
