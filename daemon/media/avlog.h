/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file avlog.h
 * Route libav* logging into GLib logging (domain "hostenc.av"), and capture
 * the last error libav logged on this thread so a failed open can say why
 * ("Cannot load libcuda.so.1") instead of only "Operation not permitted".
 *
 * Level mapping: AV_LOG_ERROR and worse -> G_LOG_LEVEL_WARNING (DEBUG while
 * a capture is active on the thread: the caller reports the failure),
 * AV_LOG_WARNING -> MESSAGE, AV_LOG_INFO -> INFO, more verbose -> DEBUG.
 * av_log_get_level() still filters first.
 */
#ifndef HOSTENC_MEDIA_AVLOG_H
#define HOSTENC_MEDIA_AVLOG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Install the bridge with av_log_set_callback(). Process-wide and
 * idempotent; thread-safe. The encoder calls it on first use.
 */
void he_avlog_install(void);

/** Start capturing libav errors logged on the calling thread. */
void he_avlog_capture_begin(void);

/**
 * Stop capturing and copy the last captured error line (without trailing
 * newline) to @p buf. Returns @p buf, or NULL if nothing was captured.
 */
const char *he_avlog_capture_end(char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* HOSTENC_MEDIA_AVLOG_H */
