/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of /thumb (web-thumb.c: requests, cache, waiting pages;
 * web-thumb-src.c: a stream's video decoded on the thumbnail thread). */
#ifndef HOSTENC_OUTPUTS_WEB_THUMB_PRIVATE_H
#define HOSTENC_OUTPUTS_WEB_THUMB_PRIVATE_H

#include "au-decoder.h"
#include "output.h"
#include "web-private.h"

/* Access units waiting for the thumbnail thread, per stream; over either
 * bound the stream skips to its next keyframe for the thumbnailer, as for
 * a slow viewer. */
#define THUMB_QUEUE_AUS 60
#define THUMB_QUEUE_BYTES (16 << 20)

struct web_thumbs {
	struct he_web *w;
	GMainContext *ctx;
	GHashTable *srcs;       /* struct he_stream* -> struct thumb_src*, while attached */
	GThreadPool *pool;      /* one thread: decoding and PNGs, in order; NULL until needed */
	/* results of the thread for the main loop */
	GMutex lock;
	GQueue results;
	GSource *idle;
};

/* A stream being thumbnailed: an output of it, like a viewer, whose access
 * units are decoded on the thumbnail thread. */
struct thumb_src {
	gint ref;
	struct he_output output;
	struct web_thumbs *t;
	char *name;                    /* the stream's, for the log */
	gint queued_aus, queued_bytes; /* atomic: jobs not done yet */
	gint dropped;                  /* atomic: the thread skips its jobs */
	/* main loop */
	struct he_stream *stream;      /* NULL once dropped */
	bool has_picture;
	uint32_t making_w;             /* width of the PNG being made, 0: none */
	GBytes *png;                   /* the last PNG made, of width png_w */
	uint32_t png_w;
	int64_t png_us;
	GPtrArray *waiters;            /* struct thumb_wait* */
	int64_t wanted_us;
	guint linger;
	/* the thumbnail thread */
	struct he_au_decoder *dec;
	bool announced, failed;
};

/* web-thumb-src.c */
/** Attach a thumbnailer to @p s (its GOP is replayed into the queue). */
struct thumb_src *thumb_src_attach(struct web_thumbs *t, struct he_stream *s);
/** Detach it and forget it; the thread drops its pending work. */
void thumb_src_drop(struct thumb_src *src);
/** Make a PNG of the latest picture, @p width wide at most. */
void thumb_src_make_png(struct thumb_src *src, uint32_t width);
/** Stop the thread (its pending results are dropped). */
void thumb_srcs_stop(struct web_thumbs *t);
void thumb_srcs_start(struct web_thumbs *t);

/* web-thumb.c: what the thread's results mean for waiting pages (main loop) */
void thumb_on_picture(struct thumb_src *src);
/** @p png NULL: it could not be made (@p why). */
void thumb_on_png(struct thumb_src *src, uint32_t width, GBytes *png, const char *why);
/** The stream went away (or left its thumbnailer behind as too slow). */
void thumb_on_gone(struct thumb_src *src, enum he_output_close why);

#endif
