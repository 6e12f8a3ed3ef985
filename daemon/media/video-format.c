/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "video-format.h"

#include <errno.h>
#include <string.h>

#include "h264.h"

/* The first SPS and PPS NAL units of @p au, borrowed. */
static void find_params(GBytes *au, struct he_h264_nal *sps, struct he_h264_nal *pps,
			bool *have_sps, bool *have_pps)
{
	struct he_h264_iter it;
	struct he_h264_nal nal;
	gsize size;
	const uint8_t *buf = g_bytes_get_data(au, &size);

	*have_sps = *have_pps = false;
	he_h264_iter_init(&it, buf, size);
	while (he_h264_iter_next(&it, &nal) > 0 && !(*have_sps && *have_pps)) {
		if (nal.type == HE_H264_NAL_SPS && !*have_sps) {
			*sps = nal;
			*have_sps = true;
		} else if (nal.type == HE_H264_NAL_PPS && !*have_pps) {
			*pps = nal;
			*have_pps = true;
		}
	}
}

static bool same(GBytes *b, const struct he_h264_nal *nal)
{
	gsize size;
	const uint8_t *p = g_bytes_get_data(b, &size);

	return size == nal->size && memcmp(p, nal->data, size) == 0;
}

bool he_video_format_matches_au(const struct he_video_format *f, GBytes *au)
{
	struct he_h264_nal sps, pps;
	bool have_sps, have_pps;

	if (!f)
		return false;
	find_params(au, &sps, &pps, &have_sps, &have_pps);
	return have_sps && have_pps && same(f->sps, &sps) && same(f->pps, &pps);
}

int he_video_format_from_au(GBytes *au, struct he_video_format **out)
{
	struct he_h264_nal sps_nal, pps_nal;
	struct he_h264_sps sps;
	struct he_video_format *f;
	bool have_sps, have_pps;
	int rc;

	find_params(au, &sps_nal, &pps_nal, &have_sps, &have_pps);
	if (!have_sps || !have_pps)
		return -ENOENT;
	rc = he_h264_sps_parse(sps_nal.data, sps_nal.size, &sps);
	if (rc < 0)
		return rc;
	f = g_new0(struct he_video_format, 1);
	f->ref = 1;
	f->profile_idc = sps.profile_idc;
	f->constraint_flags = sps.constraint_flags;
	f->level_idc = sps.level_idc;
	f->width = sps.width;
	f->height = sps.height;
	g_snprintf(f->codec, sizeof(f->codec), "avc1.%02x%02x%02x", sps.profile_idc,
		   sps.constraint_flags, sps.level_idc);
	f->sps = g_bytes_new(sps_nal.data, sps_nal.size);
	f->pps = g_bytes_new(pps_nal.data, pps_nal.size);
	*out = f;
	return 0;
}

struct he_video_format *he_video_format_ref(struct he_video_format *f)
{
	g_atomic_int_inc(&f->ref);
	return f;
}

void he_video_format_unref(struct he_video_format *f)
{
	if (!f || !g_atomic_int_dec_and_test(&f->ref))
		return;
	g_bytes_unref(f->sps);
	g_bytes_unref(f->pps);
	g_free(f);
}
