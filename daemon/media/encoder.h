/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file encoder.h
 * Low-latency H.264 encoding through libavcodec, with a registry of
 * backends (hardware first, then software) and automatic fallback.
 *
 * Every backend is configured for one access unit out per frame in, no
 * B-frames, SPS+PPS in front of every IDR, Annex B, a long GOP with IDRs on
 * request, and an SPS whose VUI carries bitstream_restriction with
 * max_num_reorder_frames = 0 (rewritten here if the encoder omits it), so a
 * browser decoder outputs each frame immediately. Colour is signalled as
 * BT.601 limited range (what he_convert_to_nv12() produces) with sRGB
 * (BT.709) primaries and transfer.
 *
 * Thread safety: an encoder instance is used by one thread at a time.
 * Different instances are independent. he_encoder_list() may run on any
 * thread.
 *
 * All functions route libav logging to GLib (see avlog.h) on first use.
 */
#ifndef HOSTENC_MEDIA_ENCODER_H
#define HOSTENC_MEDIA_ENCODER_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "image.h"
#include "video-format.h"

#ifdef __cplusplus
extern "C" {
#endif

/** GError domain of he_encoder_create(). */
#define HE_ENCODER_ERROR (he_encoder_error_quark())
GQuark he_encoder_error_quark(void);

enum he_encoder_error {
	HE_ENCODER_ERROR_INVALID,      /**< bad configuration or unknown encoder name */
	HE_ENCODER_ERROR_UNAVAILABLE,  /**< no (requested) encoder could be opened */
};

/** H.264 profile_idc values accepted in he_encoder_config.profile. */
#define HE_PROFILE_CONSTRAINED_BASELINE 66
#define HE_PROFILE_MAIN 77
#define HE_PROFILE_HIGH 100

/** Limits checked by he_encoder_create(). */
#define HE_ENCODER_MIN_DIM 16u
#define HE_ENCODER_MAX_DIM 8192u
#define HE_ENCODER_MIN_BITRATE 10000u      /**< 10 kbit/s */
#define HE_ENCODER_MAX_BITRATE 1000000000u /**< 1 Gbit/s */
#define HE_ENCODER_MAX_FPS 240u

/** A GOP with no end: IDRs only when asked for (libx264's "infinite" keyint). */
#define HE_ENCODER_GOP_ON_REQUEST (1u << 30)

/** Encoder settings. Zero fields listed as "0 = default" take the default. */
struct he_encoder_config {
	/** Pixels, HE_ENCODER_MIN_DIM..HE_ENCODER_MAX_DIM, odd sizes too: 4:2:0
	 * H.264 codes even sizes only and crops in 2-pixel steps, so an odd
	 * picture is coded one column/row larger, the last one repeated, and
	 * its real size travels beside the stream (the page shows exactly it). */
	uint32_t width, height;
	uint32_t bitrate;          /**< bits per second, HE_ENCODER_MIN_BITRATE..HE_ENCODER_MAX_BITRATE */
	uint32_t fps_num, fps_den; /**< nominal frame rate, 1..HE_ENCODER_MAX_FPS */
	uint32_t gop;              /**< frames between IDRs; 0 = default, 10 s of frames;
				    * HE_ENCODER_GOP_ON_REQUEST: none but those asked for */
	int profile;               /**< HE_PROFILE_*; 0 = default, constrained baseline */
	/** Periodic intra refresh instead of periodic IDRs (libx264; other
	 * backends ignore it and say so): a column of intra macroblocks sweeps
	 * across the picture, one wave every @c gop frames, so no frame after
	 * the first is a large intra picture. IDRs still come on request
	 * (force_idr): a decoder joining needs one. */
	bool intra_refresh;
	/** Rate-control buffer (VBV) in frames at the nominal rate, up to
	 * HE_ENCODER_MAX_VBV_FRAMES; 0 = default, half a second. 1 caps every
	 * frame, IDRs too, near bitrate / fps (an IDR then starts blurry and
	 * sharpens over the next frames). */
	uint32_t vbv_frames;
};

/** Largest he_encoder_config.vbv_frames accepted. */
#define HE_ENCODER_MAX_VBV_FRAMES 600u

/**
 * Fill @p cfg with defaults for a @p width x @p height desktop: 60 fps,
 * he_encoder_default_bitrate(), 10 s GOP, constrained baseline.
 */
void he_encoder_config_init(struct he_encoder_config *cfg, uint32_t width, uint32_t height);

/**
 * The bitrate used when none is asked for: 9 bits per pixel per second up
 * to 8 Mbit/s (reached just below 1280x720), at least 4 bits per pixel per
 * second (8.3 Mbit/s at 1080p), clamped to 0.5..80 Mbit/s. The only place
 * the default is computed.
 */
uint32_t he_encoder_default_bitrate(uint32_t width, uint32_t height);

/** @p bps clamped to HE_ENCODER_MIN_BITRATE..HE_ENCODER_MAX_BITRATE. */
uint32_t he_encoder_clamp_bitrate(uint64_t bps);

/** @p n / @p d clamped to a frame rate he_encoder_create() accepts (0/0 gives 30/1). */
void he_encoder_clamp_fps(uint32_t *n, uint32_t *d);

/** One encoded access unit. */
struct he_packet {
	GBytes *data;    /**< Annex B access unit; the caller owns this reference */
	bool keyframe;   /**< contains an IDR slice (and SPS/PPS in front of it) */
	int64_t pts_us;  /**< the pts_us given to he_encoder_encode() */
	/** Description of the stream this AU belongs to (SPS/PPS, codec
	 * string, size): the same pointer until the encoder emits different
	 * parameter sets. The caller owns this reference. */
	struct he_video_format *format;
	/** Of the call's time, µs spent converting or copying the input into
	 * the encoder's buffer (0 when the planes were lent). */
	int64_t convert_us;
};

/** Release the references of @p pkt (if any) and clear it. Accepts NULL. */
void he_packet_clear(struct he_packet *pkt);

struct he_encoder;

/**
 * Open an encoder.
 *
 * @param name  libavcodec encoder name ("libx264", "h264_vaapi", ...; see
 *              he_encoder_list()), or NULL to try, in order, h264_videotoolbox
 *              (macOS), h264_vaapi, h264_nvenc, h264_qsv, libx264,
 *              libopenh264 and use the first that opens. The choice and the
 *              reasons the others were skipped are logged.
 * @param cfg   settings, copied; defaults filled in
 * @param err   set on failure (HE_ENCODER_ERROR_INVALID for a bad @p cfg or
 *              unknown @p name; HE_ENCODER_ERROR_UNAVAILABLE with every
 *              reason otherwise)
 * @return the encoder (caller owns it; he_encoder_destroy()), or NULL.
 */
struct he_encoder *he_encoder_create(const char *name, const struct he_encoder_config *cfg,
				     GError **err);

/** Close @p enc and free it. Accepts NULL. */
void he_encoder_destroy(struct he_encoder *enc);

/** libavcodec name of the backend, static string. */
const char *he_encoder_name(const struct he_encoder *enc);

/** True if the backend encodes on a GPU / fixed-function unit. */
bool he_encoder_is_hardware(const struct he_encoder *enc);

/**
 * profile_idc the stream uses: the configured one until the first SPS has
 * been seen, then the one in that SPS.
 */
int he_encoder_profile(const struct he_encoder *enc);

/** Effective configuration (defaults filled, current bitrate); borrowed. */
const struct he_encoder_config *he_encoder_get_config(const struct he_encoder *enc);

/**
 * Encode one picture into exactly one access unit.
 *
 * The planes of @p img are only read during the call (for some backends
 * directly, without a copy) and may be reused as soon as it returns.
 * The first frame, and any frame after he_encoder_set_bitrate() had to
 * reopen the encoder, is an IDR regardless of @p force_idr.
 *
 * @param enc        encoder
 * @param img        picture of exactly the configured size, any HXFR_FMT_*
 *                   (NV12, or I420 where the backend takes it, avoids a copy;
 *                   other formats are converted); borrowed
 * @param pts_us     presentation time, copied into @p out
 * @param force_idr  make this frame an IDR (with SPS and PPS in front)
 * @param out        filled on success; release with he_packet_clear()
 * @return 0; -EINVAL for a bad @p img; -EIO if the backend failed or broke
 *         the one-in-one-out contract (the encoder then stays failed: destroy
 *         it and create a new one); -ENOMEM.
 */
int he_encoder_encode(struct he_encoder *enc, const struct he_image *img, int64_t pts_us,
		      bool force_idr, struct he_packet *out);

/**
 * Keep each input picture inside the encoder (staged: converted or copied
 * into the encoder's own buffer, which a conversion does anyway) so that
 * he_encoder_encode_again() can encode it again later. Off by default: NV12
 * or I420 input is then read in place, without a copy.
 */
void he_encoder_set_keep_input(struct he_encoder *enc, bool keep);

/**
 * Encode the last picture given to he_encoder_encode() again, as a new
 * access unit (for a static screen: never a resent one). Needs
 * he_encoder_set_keep_input() to have been on for that picture.
 *
 * @return 0, -ENOENT when no picture is kept, or as he_encoder_encode().
 */
int he_encoder_encode_again(struct he_encoder *enc, int64_t pts_us, bool force_idr,
			    struct he_packet *out);

/**
 * Bytes of pixels written into encoders' own buffers since the process
 * started, over all encoders: colour conversions and copies of input
 * pictures (not the encoder library's internal work). For benchmarks that
 * count copies per frame; thread safe.
 */
uint64_t he_encoder_bytes_staged(void);

/** True when the backend takes pictures in @p kind of memory. */
bool he_encoder_accepts(const struct he_encoder *enc, enum he_memory_kind kind);

/**
 * Change the target bitrate. libx264 and h264_nvenc apply it from the next
 * frame without interrupting the stream. Other backends have no runtime
 * reconfiguration in libavcodec 5.x and are reopened: the next frame is
 * then an IDR.
 *
 * @return 0, -EINVAL for a value outside the configured limits, -EIO if the
 *         reopen failed (the encoder is then failed, as for encode).
 */
int he_encoder_set_bitrate(struct he_encoder *enc, uint32_t bps);

/**
 * Append to @p out one line per candidate backend (h264_videotoolbox,
 * h264_vaapi, h264_nvenc, h264_qsv, h264_v4l2m2m, libx264, libopenh264):
 * "<name> <hardware|software> works" or
 * "<name> <hardware|software> unavailable: <reason>", where "works" means a
 * 256x144 encoder really opened and encoded a frame.
 */
void he_encoder_list(GString *out);

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_ENCODER_H */
