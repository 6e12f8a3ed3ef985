/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Encoder front end: configuration checks, backend selection with fallback,
 * and verification of every access unit a backend produces.
 */
#define G_LOG_DOMAIN "hostenc.enc"

#include "encoder-impl.h"
#include "avlog.h"
#include "h264.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <glib.h>

#define WHY_MAX 256

G_DEFINE_QUARK(hostenc-encoder-error-quark, he_encoder_error)

static const struct he_encoder_impl *const *impls_override;

void he_encoder_impls_override(const struct he_encoder_impl *const *impls)
{
	impls_override = impls;
}

static const struct he_encoder_impl *const *impls(void)
{
	return impls_override ? impls_override : he_encoder_impls;
}

void he_encoder_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!why || n == 0)
		return;
	va_start(ap, fmt);
	g_vsnprintf(why, (gulong)n, fmt, ap);
	va_end(ap);
}

uint32_t he_encoder_default_bitrate(uint32_t width, uint32_t height)
{
	/* From the quality-per-bit measurements (docs/benchmarks.md): at
	 * 1280x720, 8 Mbit/s (8.7 bits per pixel per second) is the cheapest
	 * rate within 0.5 dB of the best on small text; at 1920x1080, 4 bits
	 * per pixel per second (8.3 Mbit/s) is as close as any rate measured.
	 * So: 9 bits per pixel per second up to 8 Mbit/s, at least 4 bits per
	 * pixel per second above. The QP floor stops the encoder spending once
	 * a picture is clean, so a quiet desktop uses far less. The floor of
	 * 0.5 Mbit/s keeps tiny pictures above every encoder's minimum. */
	uint64_t pixels = (uint64_t)width * height;
	uint64_t bitrate = MAX(pixels * 4, MIN(pixels * 9, 8000000u));

	return (uint32_t)CLAMP(bitrate, 500000u, 80000000u);
}

uint32_t he_encoder_clamp_bitrate(uint64_t bps)
{
	return (uint32_t)CLAMP(bps, HE_ENCODER_MIN_BITRATE, HE_ENCODER_MAX_BITRATE);
}

void he_encoder_clamp_fps(uint32_t *n, uint32_t *d)
{
	if (*n == 0 || *d == 0 || *n > INT32_MAX || *d > INT32_MAX) {
		*n = 30;
		*d = 1;
	}
	if (*n / *d > HE_ENCODER_MAX_FPS) {
		*n = HE_ENCODER_MAX_FPS;
		*d = 1;
	} else if (*n / *d == 0 && *n < *d) {
		*n = 1;
		*d = 1;
	}
}

void he_encoder_config_init(struct he_encoder_config *cfg, uint32_t width, uint32_t height)
{
	*cfg = (struct he_encoder_config){
		.width = width,
		.height = height,
		.bitrate = he_encoder_default_bitrate(width, height),
		.fps_num = 60,
		.fps_den = 1,
		.gop = 600,
		.profile = HE_PROFILE_CONSTRAINED_BASELINE,
	};
}

void he_packet_clear(struct he_packet *pkt)
{
	if (!pkt)
		return;
	g_clear_pointer(&pkt->data, g_bytes_unref);
	g_clear_pointer(&pkt->format, he_video_format_unref);
	pkt->keyframe = false;
	pkt->pts_us = 0;
}

/* Validate @in and copy it with defaults into @out. */
static bool config_fill(const struct he_encoder_config *in, struct he_encoder_config *out, GError **err)
{
	const char *bad = NULL;

	if (!in)
		bad = "no configuration";
	else if (in->width < HE_ENCODER_MIN_DIM || in->height < HE_ENCODER_MIN_DIM ||
		 in->width > HE_ENCODER_MAX_DIM || in->height > HE_ENCODER_MAX_DIM)
		bad = "size out of range";
	else if (in->bitrate < HE_ENCODER_MIN_BITRATE || in->bitrate > HE_ENCODER_MAX_BITRATE)
		bad = "bitrate out of range";
	else if (in->fps_num == 0 || in->fps_den == 0 || in->fps_num / in->fps_den > HE_ENCODER_MAX_FPS ||
		 in->fps_num > INT32_MAX || in->fps_den > INT32_MAX)
		bad = "frame rate out of range";
	else if (in->gop > INT32_MAX)
		bad = "gop out of range";
	else if (in->vbv_frames > HE_ENCODER_MAX_VBV_FRAMES)
		bad = "vbv_frames out of range";
	else if (in->profile != 0 && in->profile != HE_PROFILE_CONSTRAINED_BASELINE &&
		 in->profile != HE_PROFILE_MAIN && in->profile != HE_PROFILE_HIGH)
		bad = "profile must be 66, 77 or 100";
	if (bad) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_INVALID, "invalid encoder configuration: %s", bad);
		return false;
	}

	*out = *in;
	if (out->profile == 0)
		out->profile = HE_PROFILE_CONSTRAINED_BASELINE;
	if (out->gop == 0) {
		uint64_t ten_s = (uint64_t)out->fps_num * 10 / out->fps_den;

		out->gop = (uint32_t)MAX(ten_s, 1);
	}
	return true;
}

static const struct he_encoder_impl *find_impl(const char *name)
{
	for (size_t i = 0; impls()[i]; i++) {
		if (strcmp(impls()[i]->name, name) == 0)
			return impls()[i];
	}
	return NULL;
}

/* available() then create(); a reason in @why on failure. */
static struct he_encoder *open_impl(const struct he_encoder_impl *impl, const struct he_encoder_config *cfg,
				    char *why, size_t n)
{
	struct he_encoder *enc = NULL;

	why[0] = '\0';
	if (impl->available(impl, why, n) < 0)
		return NULL;
	if (impl->create(impl, cfg, &enc, why, n) < 0) {
		if (!why[0])
			he_encoder_why(why, n, "cannot open");
		return NULL;
	}
	enc->impl = impl;
	enc->cfg = *cfg;
	enc->stream_profile = 0;
	return enc;
}

static struct he_encoder *create_auto(const struct he_encoder_config *cfg, GError **err)
{
	g_autoptr(GString) skipped = g_string_new(NULL);
	char why[WHY_MAX];

	for (size_t i = 0; impls()[i]; i++) {
		const struct he_encoder_impl *impl = impls()[i];
		struct he_encoder *enc;

		if (!impl->auto_select)
			continue;
		enc = open_impl(impl, cfg, why, sizeof(why));
		if (enc) {
			g_message("%s%susing %s (%s) for %ux%u at %u bit/s", skipped->str,
				  skipped->len ? "; " : "", impl->name,
				  impl->hardware ? "hardware" : "software", cfg->width, cfg->height,
				  cfg->bitrate);
			return enc;
		}
		g_string_append_printf(skipped, "%s%s: %s", skipped->len ? "; " : "", impl->name, why);
	}
	g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE, "no H.264 encoder available: %s",
		    skipped->str);
	return NULL;
}

struct he_encoder *he_encoder_create(const char *name, const struct he_encoder_config *cfg, GError **err)
{
	const struct he_encoder_impl *impl;
	struct he_encoder_config full;
	struct he_encoder *enc;
	char why[WHY_MAX];

	he_avlog_install();
	if (!config_fill(cfg, &full, err))
		return NULL;
	if (!name)
		return create_auto(&full, err);

	impl = find_impl(name);
	if (!impl) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_INVALID, "unknown encoder %s", name);
		return NULL;
	}
	enc = open_impl(impl, &full, why, sizeof(why));
	if (!enc) {
		g_set_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE, "%s: %s", name, why);
		return NULL;
	}
	g_info("using %s (%s) for %ux%u at %u bit/s", name, impl->hardware ? "hardware" : "software",
	       full.width, full.height, full.bitrate);
	return enc;
}

void he_encoder_destroy(struct he_encoder *enc)
{
	if (!enc)
		return;
	g_clear_pointer(&enc->format, he_video_format_unref);
	enc->impl->destroy(enc);
}

bool he_encoder_accepts(const struct he_encoder *enc, enum he_memory_kind kind)
{
	return (enc->impl->memory_kinds & (1u << kind)) != 0;
}

void he_encoder_set_keep_input(struct he_encoder *enc, bool keep)
{
	enc->keep_input = keep;
}

const char *he_encoder_name(const struct he_encoder *enc)
{
	return enc->impl->name;
}

bool he_encoder_is_hardware(const struct he_encoder *enc)
{
	return enc->impl->hardware;
}

int he_encoder_profile(const struct he_encoder *enc)
{
	return enc->stream_profile ? enc->stream_profile : enc->cfg.profile;
}

const struct he_encoder_config *he_encoder_get_config(const struct he_encoder *enc)
{
	return &enc->cfg;
}

/* Record the stream's profile and make its SPS low delay if it is not. */
static void fix_sps(struct he_encoder *enc, GBytes **au)
{
	const char *name = enc->impl->name;
	GBytes *fixed = NULL;
	int rc = he_h264_au_fix_sps(*au, &fixed);

	if (rc < 0) {
		/* Our parser, not the stream, may be at fault: pass it on. */
		if (!enc->sps_parse_logged)
			g_warning("%s: cannot parse its SPS (%s); sending it unchanged", name, g_strerror(-rc));
		enc->sps_parse_logged = true;
		return;
	}
	if (rc > 0) {
		if (!enc->sps_rewrite_logged)
			g_info("%s: SPS lacks max_num_reorder_frames=0; rewriting it", name);
		enc->sps_rewrite_logged = true;
		g_bytes_unref(*au);
		*au = fixed;
	}
}

/* A new SPS/PPS: describe the stream once, for every output. */
static void update_format(struct he_encoder *enc, GBytes *au)
{
	struct he_video_format *f = NULL;

	if (he_video_format_matches_au(enc->format, au))
		return;
	if (he_video_format_from_au(au, &f) < 0)
		return; /* fix_sps() already said why */
	if (enc->stream_profile == 0 && f->profile_idc != enc->cfg.profile)
		g_message("%s: asked for profile %d, stream is %d", enc->impl->name,
			  enc->cfg.profile, f->profile_idc);
	enc->stream_profile = f->profile_idc;
	g_clear_pointer(&enc->format, he_video_format_unref);
	enc->format = f;
}

/* The backend's output must be one access unit, an IDR when asked, with
 * SPS and PPS in front of every IDR. */
static int check_au(struct he_encoder *enc, GBytes **au, bool want_idr, bool *keyframe)
{
	const char *name = enc->impl->name;
	struct he_h264_au_info info;
	gsize size;
	const uint8_t *buf = g_bytes_get_data(*au, &size);
	int rc = he_h264_scan(buf, size, &info);

	if (rc < 0) {
		g_warning("%s: output is not an Annex B H.264 stream", name);
		return -EIO;
	}
	if (info.access_units != 1) {
		g_warning("%s: %u access units for one frame", name, info.access_units);
		return -EIO;
	}
	if (want_idr && !info.has_idr) {
		g_warning("%s: IDR requested, none produced", name);
		return -EIO;
	}
	if (info.has_idr && !(info.has_sps && info.has_pps)) {
		g_warning("%s: IDR without SPS and PPS in front", name);
		return -EIO;
	}
	if (info.has_sps) {
		fix_sps(enc, au);
		update_format(enc, *au);
	}
	*keyframe = info.has_idr;
	return 0;
}

/* @img NULL: the kept input. */
static int encode_common(struct he_encoder *enc, const struct he_image *img, int64_t pts_us,
			 bool force_idr, struct he_packet *out)
{
	GBytes *au = NULL;
	bool keyframe = false, idr;
	int rc;

	idr = force_idr || enc->frames == 0;
	enc->convert_us = 0;
	rc = enc->impl->encode(enc, img, idr, &au);
	if (rc < 0)
		goto fail;
	if (img)
		enc->have_kept = enc->keep_input;
	rc = check_au(enc, &au, idr, &keyframe);
	if (rc < 0)
		goto fail;

	enc->frames++;
	*out = (struct he_packet){ .data = au, .keyframe = keyframe, .pts_us = pts_us,
				   .format = enc->format ? he_video_format_ref(enc->format) : NULL,
				   .convert_us = enc->convert_us };
	return 0;

	/* ERRORS */
fail:
	if (au)
		g_bytes_unref(au);
	if (rc == -EIO)
		enc->failed = true;
	return rc;
}

int he_encoder_encode(struct he_encoder *enc, const struct he_image *img, int64_t pts_us, bool force_idr,
		      struct he_packet *out)
{
	if (!enc || !out)
		return -EINVAL;
	*out = (struct he_packet){ 0 };
	if (enc->failed)
		return -EIO;
	if (he_image_check(img) < 0 || img->width != enc->cfg.width || img->height != enc->cfg.height)
		return -EINVAL;
	return encode_common(enc, img, pts_us, force_idr, out);
}

int he_encoder_encode_again(struct he_encoder *enc, int64_t pts_us, bool force_idr,
			    struct he_packet *out)
{
	if (!enc || !out)
		return -EINVAL;
	*out = (struct he_packet){ 0 };
	if (enc->failed)
		return -EIO;
	if (!enc->have_kept)
		return -ENOENT;
	return encode_common(enc, NULL, pts_us, force_idr, out);
}

int he_encoder_set_bitrate(struct he_encoder *enc, uint32_t bps)
{
	uint32_t old;
	int rc;

	if (!enc || bps < HE_ENCODER_MIN_BITRATE || bps > HE_ENCODER_MAX_BITRATE)
		return -EINVAL;
	if (enc->failed)
		return -EIO;
	if (bps == enc->cfg.bitrate)
		return 0;
	old = enc->cfg.bitrate;
	enc->cfg.bitrate = bps;
	rc = enc->impl->set_bitrate(enc);
	if (rc < 0) {
		enc->cfg.bitrate = old;
		enc->failed = true;
		return -EIO;
	}
	g_debug("%s: bitrate %u -> %u bit/s", enc->impl->name, old, bps);
	return 0;
}

/* Open a 256x144 encoder and encode one grey frame. */
static int probe(const struct he_encoder_impl *impl, char *why, size_t n)
{
	enum { W = 256, H = 144 };
	struct he_encoder_config cfg;
	struct he_encoder *enc;
	struct he_packet pkt;
	uint8_t *buf;
	int rc;

	he_encoder_config_init(&cfg, W, H);
	enc = open_impl(impl, &cfg, why, n);
	if (!enc)
		return -ENODEV;
	buf = g_malloc(W * H * 3 / 2);
	memset(buf, 128, W * H * 3 / 2);
	rc = he_encoder_encode(enc,
			       &(struct he_image){ .fourcc = HXFR_FMT_NV12, .width = W, .height = H,
						   .plane = { buf, buf + W * H }, .stride = { W, W } },
			       0, true, &pkt);
	if (rc < 0)
		he_encoder_why(why, n, "opened, but encoding a frame failed: %s", g_strerror(-rc));
	he_packet_clear(&pkt);
	g_free(buf);
	he_encoder_destroy(enc);
	return rc;
}

void he_encoder_list(GString *out)
{
	char why[WHY_MAX];

	he_avlog_install();
	for (size_t i = 0; impls()[i]; i++) {
		const struct he_encoder_impl *impl = impls()[i];
		int rc = probe(impl, why, sizeof(why));

		g_string_append_printf(out, "%s %s ", impl->name, impl->hardware ? "hardware" : "software");
		if (rc == 0)
			g_string_append(out, "works\n");
		else
			g_string_append_printf(out, "unavailable: %s\n", why[0] ? why : "unknown reason");
	}
}
