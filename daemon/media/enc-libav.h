/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to daemon/media: the libavcodec backend shared by every encoder
 * (enc-libav.c) and the per-encoder descriptions that tune it
 * (enc-backends.c).
 */
#ifndef HOSTENC_MEDIA_ENC_LIBAV_H
#define HOSTENC_MEDIA_ENC_LIBAV_H

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/hwcontext.h>

#include "encoder-impl.h"

struct libav_backend {
	struct he_encoder_impl base;    /* first: &backend->base is the vtable */

	/* Hardware frames through this device type, or AV_HWDEVICE_TYPE_NONE
	 * for encoders that take system-memory frames. */
	enum AVHWDeviceType hw_type;
	enum AVPixelFormat hw_format;   /* e.g. AV_PIX_FMT_VAAPI */
	/* Pixel format of system-memory frames (the hw upload source). */
	enum AVPixelFormat sw_format;

	/* libavcodec reconfigures the bitrate between frames (else reopen). */
	bool live_bitrate;
	/* The library copies the input before avcodec_send_frame() returns
	 * (or we upload it), so caller planes can be lent without a copy. */
	bool lend_input;
	/* tune() turns he_encoder_config.intra_refresh into the encoder's own
	 * periodic intra refresh. */
	bool intra_refresh;

	/* Extra availability check (device nodes, driver libraries), may be NULL. */
	int (*check)(const struct libav_backend *b, char *why, size_t n);
	/* Encoder-specific options on top of the common ones; may be NULL. */
	void (*tune)(const struct libav_backend *b, const struct he_encoder_config *cfg,
		     AVCodecContext *ctx, AVDictionary **opts);
};

/* The shared vtable functions, for the backend table. */
int he_libav_available(const struct he_encoder_impl *impl, char *why, size_t n);
int he_libav_create(const struct he_encoder_impl *impl, const struct he_encoder_config *cfg,
		    struct he_encoder **out, char *why, size_t n);
int he_libav_encode(struct he_encoder *enc, const struct he_image *img, bool force_idr, GBytes **au);
int he_libav_set_bitrate(struct he_encoder *enc);
void he_libav_destroy(struct he_encoder *enc);

/* Hardware devices (enc-libav-hw.c). */

/* 0 if a DRM render node exists and is accessible, else -ENODEV + reason. */
int he_libav_check_render_node(char *why, size_t n);

/*
 * Open a device of @b->hw_type (trying each DRM render node for VAAPI) and
 * a frames context of @w x @h @b->sw_format surfaces; attach both to @ctx.
 */
int he_libav_hw_setup(const struct libav_backend *b, AVCodecContext *ctx, uint32_t w, uint32_t h,
		      char *why, size_t n);

#endif /* HOSTENC_MEDIA_ENC_LIBAV_H */
