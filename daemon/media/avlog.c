/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libav* log callback -> GLib logging, with per-thread error capture. */
#define G_LOG_DOMAIN "hostenc.av"

#include "avlog.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <libavutil/log.h>

#define LINE_MAX_BYTES 512

static _Thread_local bool capturing;
static _Thread_local char captured[LINE_MAX_BYTES];
static _Thread_local int print_prefix = 1;

static GLogLevelFlags map_level(int level)
{
	if (level <= AV_LOG_ERROR)
		return capturing ? G_LOG_LEVEL_DEBUG : G_LOG_LEVEL_WARNING;
	if (level <= AV_LOG_WARNING)
		return G_LOG_LEVEL_MESSAGE;
	if (level <= AV_LOG_INFO)
		return G_LOG_LEVEL_INFO;
	return G_LOG_LEVEL_DEBUG;
}

static void strip_newline(char *line)
{
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
}

static void log_callback(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[LINE_MAX_BYTES];
	bool had_prefix = print_prefix != 0;

	level &= 0xff;  /* higher bits may carry a colour (AV_LOG_C) */
	if (level > av_log_get_level())
		return;
	av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &print_prefix);
	strip_newline(line);
	if (line[0] == '\0')
		return;
	if (capturing && level <= AV_LOG_ERROR) {
		/* Keep the message, not the "[h264_nvenc @ 0x...] " prefix. */
		const char *msg = had_prefix && line[0] == '[' ? strstr(line, "] ") : NULL;

		g_strlcpy(captured, msg ? msg + 2 : line, sizeof(captured));
	}
	g_log(G_LOG_DOMAIN, map_level(level), "%s", line);
}

void he_avlog_install(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		av_log_set_callback(log_callback);
		g_once_init_leave(&once, 1);
	}
}

void he_avlog_capture_begin(void)
{
	capturing = true;
	captured[0] = '\0';
}

const char *he_avlog_capture_end(char *buf, size_t n)
{
	capturing = false;
	if (captured[0] == '\0' || !buf || n == 0)
		return NULL;
	g_strlcpy(buf, captured, n);
	captured[0] = '\0';
	return buf;
}
