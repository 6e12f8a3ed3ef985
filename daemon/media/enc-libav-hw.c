/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hardware device and frame contexts for the libavcodec backend. */
#define G_LOG_DOMAIN "hostenc.enc"

#include "enc-libav.h"
#include "avlog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <libavutil/error.h>
#include <libavutil/hwcontext.h>

#define RENDER_NODE_FIRST 128
#define RENDER_NODE_COUNT 64
/* Surfaces in the upload pool: the encoder holds at most async_depth (1)
 * plus the one being filled; the rest is slack for drivers that keep one. */
#define HW_POOL_SIZE 8

static void render_node_path(char *buf, size_t n, unsigned i)
{
	snprintf(buf, n, "/dev/dri/renderD%u", RENDER_NODE_FIRST + i);
}

int he_libav_check_render_node(char *why, size_t n)
{
	char path[64], denied[64] = "";
	int denied_errno = 0;

	for (unsigned i = 0; i < RENDER_NODE_COUNT; i++) {
		render_node_path(path, sizeof(path), i);
		if (access(path, R_OK | W_OK) == 0)
			return 0;
		if (errno != ENOENT && !denied[0]) {
			g_strlcpy(denied, path, sizeof(denied));
			denied_errno = errno;
		}
	}
	if (denied[0])
		he_encoder_why(why, n, "cannot use DRM render node %s: %s", denied, g_strerror(denied_errno));
	else
		he_encoder_why(why, n, "no DRM render node");
	return -ENODEV;
}

static int open_vaapi_device(AVBufferRef **dev, char *why, size_t n)
{
	char path[64], msg[256];
	int rc = AVERROR(ENODEV);

	for (unsigned i = 0; i < RENDER_NODE_COUNT; i++) {
		const char *detail;

		render_node_path(path, sizeof(path), i);
		if (access(path, R_OK | W_OK) != 0)
			continue;
		he_avlog_capture_begin();
		rc = av_hwdevice_ctx_create(dev, AV_HWDEVICE_TYPE_VAAPI, path, NULL, 0);
		detail = he_avlog_capture_end(msg, sizeof(msg));
		if (rc >= 0)
			return 0;
		he_encoder_why(why, n, "cannot initialise VAAPI on %s: %s", path, detail ? detail : av_err2str(rc));
	}
	if (rc == AVERROR(ENODEV))
		he_encoder_why(why, n, "no DRM render node");
	return -ENODEV;
}

static int open_device(const struct libav_backend *b, AVBufferRef **dev, char *why, size_t n)
{
	char msg[256];
	const char *detail;
	int rc;

	if (b->hw_type == AV_HWDEVICE_TYPE_VAAPI)
		return open_vaapi_device(dev, why, n);
	he_avlog_capture_begin();
	rc = av_hwdevice_ctx_create(dev, b->hw_type, NULL, NULL, 0);
	detail = he_avlog_capture_end(msg, sizeof(msg));
	if (rc < 0) {
		he_encoder_why(why, n, "cannot open %s device: %s", av_hwdevice_get_type_name(b->hw_type),
			       detail ? detail : av_err2str(rc));
		return -ENODEV;
	}
	return 0;
}

int he_libav_hw_setup(const struct libav_backend *b, AVCodecContext *ctx, uint32_t w, uint32_t h,
		      char *why, size_t n)
{
	AVBufferRef *dev = NULL, *frames = NULL;
	AVHWFramesContext *fc;
	int rc;

	rc = open_device(b, &dev, why, n);
	if (rc < 0)
		return rc;
	frames = av_hwframe_ctx_alloc(dev);
	if (!frames) {
		rc = -ENOMEM;
		goto fail;
	}
	fc = (AVHWFramesContext *)frames->data;
	fc->format = b->hw_format;
	fc->sw_format = b->sw_format;
	fc->width = (int)w;
	fc->height = (int)h;
	fc->initial_pool_size = HW_POOL_SIZE;
	rc = av_hwframe_ctx_init(frames);
	if (rc < 0) {
		he_encoder_why(why, n, "cannot create %ux%u %s surfaces: %s", w, h,
			       av_hwdevice_get_type_name(b->hw_type), av_err2str(rc));
		rc = -ENODEV;
		goto fail;
	}
	/* The context takes the frames reference; the device is kept by it. */
	ctx->hw_frames_ctx = frames;
	av_buffer_unref(&dev);
	return 0;

	/* ERRORS */
fail:
	av_buffer_unref(&frames);
	av_buffer_unref(&dev);
	return rc;
}
