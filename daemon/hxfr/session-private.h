/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by session*.c. */
#ifndef HOSTENC_HXFR_SESSION_PRIVATE_H
#define HOSTENC_HXFR_SESSION_PRIVATE_H

#include <hxfr/hxfr.h>
#include <stdbool.h>

#include "block-cache.h"
#include "guest-log.h"
#include "hxfr-private.h"
#include "registry.h"
#include "session.h"
#include "stream.h"

#define MAX_ERRORS_IN_ROW 64
#define READ_BUDGET (8u << 20)     /* bytes read per wakeup, for fairness */
#define MESSAGE_BUDGET 64u          /* messages handled per wakeup, for fairness */
#define WRITE_STALL_S 30           /* no write progress for this long: close */
#define QUEUE_MAX (64u << 20)       /* bytes of output a peer leaves unread: close */
#define OUT_CHUNK_OVERHEAD 128u     /* bookkeeping per queued chunk, counted in QUEUE_MAX */
#define MAX_CONTROL_PAYLOAD 4096u   /* every message but FRAME_REQUEST is smaller */
#define LASTING_STALL_S 2           /* lasting channel: a partial message is dropped */
#define MIN_MESSAGE_RATE (64u << 10) /* bytes/s a message must arrive at, on average */
#define PONG_RATE 100u              /* PONGs per second (and burst); more PINGs are ignored */
#define PING_FLOOD_S 5              /* PINGs over the rate this many seconds running: close */
#define FRAME_BLOCKS_KEPT 3         /* inline payload blocks kept for the next frames */
#define FRAME_BLOCKS_IDLE_S 2       /* no inline frame this long: unmap the kept blocks */

/* One queued piece of output. */
struct out_chunk {
	GBytes *bytes;
	size_t off;
	int64_t au_encoded_us; /* > 0 on the last chunk of an AU: send-time stat */
};

/* A frame request waiting for its reply, in request order. */
struct pending {
	uint64_t tag;
	uint8_t type;       /* FRAME_REQUEST or FRAME_SHM: named in an ERROR reply */
	uint64_t bytes;     /* counted in the in-flight quotas */
	int64_t pts_ns;
	bool ready;
	bool last;          /* the session ends after this reply (its ring was lost) */
	GBytes *reply[2];   /* prefix (+ AU) or ERROR, once ready */
	int64_t au_encoded_us;
};

struct he_session {
	struct he_hxfr *hx;
	struct hxfr_machine *machine; /* the VM it arrived from, or NULL */
	uint32_t id;
	int fd;
	char *peer;
	char *peer_address; /* TCP, vsock: counted against max_peer_sessions */
	bool local_owner;   /* unix socket, peer runs as hostencd's user or root */
	GSource *io;
	gpointer io_tag;
	GSource *timer;
	bool want_out;
	bool closing;

	/* input */
	uint8_t hdr[HXFR_HEADER_SIZE];
	size_t hdr_got;
	struct hxfr_header h;
	uint8_t *payload;   /* NULL while discarding; control for control messages;
			     * else a block of @blocks */
	struct he_block_cache *blocks; /* inline frames' payloads */
	int64_t last_frame_us;         /* when the last inline frame began */
	uint8_t control[MAX_CONTROL_PAYLOAD]; /* no allocation per small message */
	size_t payload_got;
	bool in_payload, discard;
	int32_t discard_code;
	const char *discard_why;
	int64_t msg_start_us;
	int64_t last_progress_us;
	uint64_t resync_skipped; /* bytes skipped since the last good header */
	uint64_t reserved;  /* frame payload bytes received so far, counted in
			       hx->inflight_bytes */
	uint32_t message_budget; /* messages left in this wakeup */
	int64_t connected_us;
	int64_t last_active_us;  /* last message, or last time it had work in flight */
	int64_t last_message_us; /* last complete message */
	uint64_t messages;       /* complete messages received */
	uint32_t pong_tokens;
	int64_t pong_refill_us;
	uint32_t pings_ignored;  /* over PONG_RATE since the last timer tick */
	uint32_t flood_s;        /* ticks in a row with PINGs ignored */

	/* output */
	GQueue out;
	size_t out_bytes;   /* bytes not yet written */
	size_t out_cost;    /* memory they take: whole chunks plus OUT_CHUNK_OVERHEAD each */
	int64_t last_write_us;
	bool close_after_flush;

	/* protocol */
	bool hello;
	bool wants_input;   /* HELLO_INPUT: viewers' input goes to this guest */
	char name[HXFR_SHORT_NAME_MAX];
	uint32_t paths;
	uint32_t max_inflight;
	struct he_shm *shm;
	struct he_stream *stream;   /* this guest's own frames */
	uint32_t scanout_id;        /* UINT32_MAX: none */
	bool idr_wanted;            /* KEYFRAME_REQ before the stream existed */
	int64_t stream_pts_ns;      /* the last pts given to the stream (increasing) */
	bool stream_pts_set;
	uint32_t bitrate, fps_num, fps_den; /* CONFIG_REQ, for a stream made later */
	GQueue pending;
	uint64_t next_tag;
	uint64_t inflight_bytes;    /* payload bytes of its queued inline frames */
	uint32_t errors_in_row;
	uint64_t frames, errors;
	const char *path_used;

	/* as a subscriber */
	struct he_output output;
	bool subscribed;
	uint32_t sub_id;

	struct he_stats stats;
};

/* session.c */
void session_send(struct he_session *s, GBytes *chunk, int64_t au_encoded_us);
void session_send_buf(struct he_session *s, const uint8_t *buf, size_t len);
void session_close_later(struct he_session *s, const char *why);
void session_reset(struct he_session *s, const char *why);
void session_error(struct he_session *s, uint8_t type, int32_t code, const char *why);
GBytes *session_error_bytes(struct he_session *s, uint8_t type, int32_t code,
			    const char *why);
int32_t session_errno_to_code(int err);

/* session-dispatch.c */
void session_dispatch(struct he_session *s, const struct hxfr_msg *msg, uint8_t *payload);

/* session-frames.c */
void session_frame_request(struct he_session *s, const struct hxfr_msg *msg, uint8_t *payload);
void session_frame_shm(struct he_session *s, const struct hxfr_msg *msg);
void session_frames_reject(struct he_session *s, uint8_t type, int32_t code, const char *why);
void session_frames_abandon(struct he_session *s);
void session_frames_clear(struct he_session *s);
struct he_stream *session_ensure_stream(struct he_session *s);
void session_drop_stream(struct he_session *s);

/* session-input.c */
struct he_input_sink session_input_sink(struct he_session *s);

/* session-subscribe.c */
extern const struct he_output_impl session_output_impl;
void session_subscribe(struct he_session *s, uint32_t id);
void session_unsubscribe(struct he_session *s);

#endif
