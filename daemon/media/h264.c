/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Annex B NAL unit iteration and access-unit scanning. */
#include "h264.h"
#include "h264-bits.h"

#include <errno.h>

void he_h264_iter_init(struct he_h264_iter *it, const void *buf, size_t size)
{
	it->buf = buf;
	it->size = buf ? size : 0;
	it->pos = 0;
	it->started = false;
}

/* Offset of the next 00 00 01 at or after @from, or @size. */
static size_t find_start_code(const uint8_t *b, size_t size, size_t from)
{
	for (size_t i = from; i + 2 < size; i++) {
		if (b[i + 2] <= 1 && b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1)
			return i;
	}
	return size;
}

/* Position the iterator on the first start code (leading zero bytes allowed). */
static int iter_start(struct he_h264_iter *it)
{
	size_t i = 0;

	it->started = true;
	while (i < it->size && it->buf[i] == 0)
		i++;
	if (i == it->size) {
		it->pos = it->size;     /* empty or only zeros: no NAL units */
		return 0;
	}
	if (i < 2 || it->buf[i] != 1)
		return -EBADMSG;
	it->pos = i - 2;
	return 0;
}

int he_h264_iter_next(struct he_h264_iter *it, struct he_h264_nal *nal)
{
	size_t sc, payload, next, end;

	if (!it->started && iter_start(it) < 0)
		goto bad;
	if (it->pos >= it->size)
		return 0;

	sc = it->pos;
	payload = sc + 3;
	next = find_start_code(it->buf, it->size, payload);
	end = next;
	/* Zero bytes before a start code are trailing_zero_8bits or the
	 * zero_byte of a 4-byte start code, not NAL unit payload. */
	while (end > payload && it->buf[end - 1] == 0)
		end--;
	if (end == payload || (it->buf[payload] & 0x80))
		goto bad;

	nal->data = it->buf + payload;
	nal->size = end - payload;
	nal->start_code = sc > 0 && it->buf[sc - 1] == 0 ? 4 : 3;
	nal->offset = payload - nal->start_code;
	nal->type = it->buf[payload] & 0x1f;
	nal->ref_idc = (it->buf[payload] >> 5) & 3;
	it->pos = next;
	return 1;

	/* ERRORS */
bad:
	it->pos = it->size;
	return -EBADMSG;
}

/* first_mb_in_slice of a type 1 or 5 slice NAL unit, or -EBADMSG. */
static int64_t first_mb_in_slice(const struct he_h264_nal *nal)
{
	uint8_t rbsp[8];
	struct he_bitreader br;
	uint32_t mb;
	size_t n;

	n = he_rbsp_unescape(nal->data + 1, nal->size - 1, rbsp, sizeof(rbsp));
	he_br_init(&br, rbsp, n);
	mb = he_br_ue(&br);
	if (br.error)
		return -EBADMSG;
	return mb;
}

static bool starts_new_au(unsigned type)
{
	return type == HE_H264_NAL_SEI || type == HE_H264_NAL_SPS || type == HE_H264_NAL_PPS ||
	       type == HE_H264_NAL_AUD || (type >= 14 && type <= 18);
}

int he_h264_scan(const void *buf, size_t size, struct he_h264_au_info *info)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;
	bool slice_in_au = false;
	int rc;

	*info = (struct he_h264_au_info){ .first_type = -1 };
	he_h264_iter_init(&it, buf, size);
	while ((rc = he_h264_iter_next(&it, &nal)) > 0) {
		if (info->nals++ == 0)
			info->first_type = (int)nal.type;
		if (nal.type == HE_H264_NAL_SLICE || nal.type == HE_H264_NAL_IDR) {
			int64_t mb = first_mb_in_slice(&nal);

			if (mb < 0)
				return (int)mb;
			if (mb == 0)
				slice_in_au = false;
			if (!slice_in_au)
				info->access_units++;
			slice_in_au = true;
			info->slices++;
			info->has_idr |= nal.type == HE_H264_NAL_IDR;
		} else if (starts_new_au(nal.type)) {
			slice_in_au = false;
		}
		info->has_sps |= nal.type == HE_H264_NAL_SPS;
		info->has_pps |= nal.type == HE_H264_NAL_PPS;
	}
	return rc;
}
