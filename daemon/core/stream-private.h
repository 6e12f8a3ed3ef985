/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by stream*.c: the stream object, its jobs and results. */
#ifndef HOSTENC_CORE_STREAM_PRIVATE_H
#define HOSTENC_CORE_STREAM_PRIVATE_H

#include "stream.h"

#define STREAM_QUEUE_MAX 2          /* frames waiting besides the one encoding */
#define STREAM_GOP_MAX_AUS 900
#define STREAM_JOIN_REPLAY_AUS 60    /* longer GOPs: a joining output gets an IDR instead */
#define STREAM_STILL_AFTER_US G_USEC_PER_SEC /* no frame this long: the picture may be still */
#define STREAM_GOP_MAX_BYTES (64u << 20)
#define STREAM_FPS_WINDOW 64

struct he_encoder;

struct stream_job {
	struct he_frame *frame; /* NULL for a keepalive re-encode */
	uint64_t tag;
	bool has_tag;
	bool dropped;           /* dropped before encoding: result without data */
	bool force_idr;
	bool release;           /* give the encoder back (idle), no frame */
};

struct stream_result {
	uint64_t tag;
	bool has_tag;
	struct he_au *au;       /* NULL when dropped or failed */
	int32_t code;
	const char *why;
	bool released;          /* the encoder was given back */
};

struct he_stream {
	gint ref;
	struct he_stream_env env;
	uint32_t id;
	char *name, *title;
	GMainContext *ctx;
	const struct he_producer_impl *producer;
	void *producer_data;
	struct he_input_sink input;

	/* shared with the worker, under lock */
	GMutex lock;
	GCond cond;
	GQueue jobs;
	bool busy, quit, force_idr, keep_input;
	uint32_t asked_bitrate;   /* 0 = media's default for the size */
	bool bitrate_changed;
	uint32_t fps_num, fps_den;
	/* what the worker reports */
	char enc_name[32];
	bool enc_hw, have_last;
	uint32_t bitrate, width, height;
	GThread *thread;
	GAsyncQueue *results;
	gint wakeup_pending;

	/* worker only */
	struct he_encoder *enc;
	uint64_t seq;
	int64_t kept_pts_ns;      /* pts of the picture the encoder keeps */

	/* main loop only */
	GList *outputs;
	struct he_cursor *cursor;
	GPtrArray *gop_aus;
	size_t gop_bytes;
	bool gop_valid;
	GList *gop_link;          /* in the list of every stream's GOP (stream-gop.c) */
	GSource *keepalive_timer;
	GSource *idle_timer;
	bool enc_live;            /* an encoder exists or a job will make one */
	int64_t last_submit_us;
	bool owner_needs_idr;
	int64_t last_asked_idr_us;
	int64_t input_window_us;
	uint32_t input_in_window;
	int64_t input_msg_window_us;
	uint32_t input_msgs_in_window;
	int64_t fps_ring[STREAM_FPS_WINDOW];
	uint32_t fps_bytes[STREAM_FPS_WINDOW]; /* each AU's size, for the bitrate */
	uint32_t fps_next, fps_count;
	bool dead;

	struct he_stats stats;
};

/* stream.c */
struct he_stream *stream_ref(struct he_stream *s);
void stream_unref(struct he_stream *s);

/* stream-worker.c */
gpointer stream_worker_main(gpointer data);

/* stream-outputs.c: results on the main loop, fan-out, GOP, keepalive */
gboolean stream_drain_results(gpointer data);
void stream_outputs_close_all(struct he_stream *s);
void stream_keepalive_start(struct he_stream *s);
void stream_keepalive_stop(struct he_stream *s);

/* stream-gop.c: the GOP kept for late outputs, within one budget for all
 * streams' GOPs together */
void stream_gop_init(struct he_stream *s);
void stream_gop_fini(struct he_stream *s);
void stream_gop_reset(struct he_stream *s);
void stream_gop_add(struct he_stream *s, struct he_au *au);

/* stream-idle.c: an encoder given no frame for a while is given back */
void stream_idle_start(struct he_stream *s);
void stream_idle_stop(struct he_stream *s);
/** A job that needs the encoder was queued (main loop). */
void stream_idle_used(struct he_stream *s);

#endif
