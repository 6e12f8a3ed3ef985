/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to daemon/media: the backend interface behind encoder.h.
 *
 * A backend is a const struct he_encoder_impl (vtable). Its instances embed
 * struct he_encoder first and keep all state there (no globals). encoder.c
 * validates arguments and checks every backend's output (one access unit,
 * IDR when asked, low-delay SPS) so backends only drive their library.
 */
#ifndef HOSTENC_MEDIA_ENCODER_IMPL_H
#define HOSTENC_MEDIA_ENCODER_IMPL_H

#include <stddef.h>

#include "encoder.h"

struct he_encoder_impl;

/* Base of every instance; embedded first. */
struct he_encoder {
	const struct he_encoder_impl *impl;
	struct he_encoder_config cfg;   /* effective: defaults filled in */
	uint64_t frames;                /* access units produced */
	int stream_profile;             /* profile_idc from the last SPS, 0 before */
	bool failed;                    /* contract broken or reopen failed */
	bool sps_rewrite_logged;
	bool sps_parse_logged;
	bool keep_input;                /* stage and keep each input (encode_again) */
	bool have_kept;                 /* a kept input exists */
	struct he_video_format *format; /* from the last SPS/PPS seen */
	int64_t convert_us;             /* set by the backend on each encode */
};

struct he_encoder_impl {
	const char *name;       /* libavcodec encoder name */
	bool hardware;
	bool auto_select;       /* tried by he_encoder_create(NULL, ...) */
	uint32_t memory_kinds;  /* bit (1 << he_memory_kind) per kind taken */

	/*
	 * Cheap availability check (library present, device node exists):
	 * 0, or -errno with a reason in @why. Does not open an encoder.
	 */
	int (*available)(const struct he_encoder_impl *impl, char *why, size_t n);

	/*
	 * Open an instance for the (validated, defaulted) @cfg. On failure
	 * return -errno and a reason in @why.
	 */
	int (*create)(const struct he_encoder_impl *impl, const struct he_encoder_config *cfg,
		      struct he_encoder **out, char *why, size_t n);

	/*
	 * Encode @img (validated: configured size, known fourcc), or with @img
	 * NULL the kept input (enc->have_kept is true then). When
	 * enc->keep_input is set, stage @img and keep it. Produce what the
	 * library returned for this frame in *@au (caller owns the ref);
	 * encoder.c verifies it. -EIO marks the encoder failed.
	 */
	int (*encode)(struct he_encoder *enc, const struct he_image *img, bool force_idr, GBytes **au);

	/* Apply enc->cfg.bitrate (already updated). */
	int (*set_bitrate)(struct he_encoder *enc);

	void (*destroy)(struct he_encoder *enc);
};

/* NULL-terminated candidate list, in auto-selection order (backends.c). */
extern const struct he_encoder_impl *const he_encoder_impls[];

/*
 * Replace the candidate list (tests: a fake backend), NULL to restore the
 * real one. Not thread safe: call before any encoder is created.
 */
void he_encoder_impls_override(const struct he_encoder_impl *const *impls);

/* Write "fmt" into @why (a helper for backends). */
void he_encoder_why(char *why, size_t n, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

#endif /* HOSTENC_MEDIA_ENCODER_IMPL_H */
