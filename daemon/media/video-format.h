/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file video-format.h
 * The description of an encoded stream that outputs need to start decoding:
 * codec string, profile/level, SPS and PPS, picture size. Computed once, in
 * media, when the encoder emits a new SPS/PPS; every access unit carries a
 * reference to the description it belongs to, so outputs compare pointers
 * and nothing downstream parses the SPS again.
 *
 * Immutable once made; refcounted, shareable across threads.
 */
#ifndef HOSTENC_MEDIA_VIDEO_FORMAT_H
#define HOSTENC_MEDIA_VIDEO_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

struct he_video_format {
	gint ref;
	char codec[16];            /**< RFC 6381 string, e.g. "avc1.42c01f" */
	uint8_t profile_idc, constraint_flags, level_idc;
	uint32_t width, height;    /**< displayed picture (after SPS cropping) */
	GBytes *sps, *pps;         /**< NAL units without start code (escaped) */
};

/**
 * Build the description from the SPS and PPS found in Annex B access unit
 * @p au. @return 0 with *@p out set (caller owns the reference), -ENOENT
 * when @p au has no SPS or no PPS, or a parse error from he_h264_sps_parse().
 */
int he_video_format_from_au(GBytes *au, struct he_video_format **out);

/** True when @p f describes exactly the SPS/PPS found in @p au (no reparse needed). */
bool he_video_format_matches_au(const struct he_video_format *f, GBytes *au);

struct he_video_format *he_video_format_ref(struct he_video_format *f);
void he_video_format_unref(struct he_video_format *f);

typedef struct he_video_format he_video_format;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(he_video_format, he_video_format_unref)

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_VIDEO_FORMAT_H */
