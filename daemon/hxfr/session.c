/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Session I/O: non-blocking reads with incremental framing, a write queue
 * drained with writev, timers, and the session's lifecycle. */
#define G_LOG_DOMAIN "hostenc.session"
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <limits.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "session-private.h"
#include "shm.h"

static gboolean on_io(gint fd, GIOCondition cond, gpointer data);

/* A GSource on the socket whose conditions can change (POLLOUT only while
 * output is queued). */
static gboolean fd_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	struct he_session *s = data;
	GIOCondition cond = g_source_query_unix_fd(src, s->io_tag);

	return ((GUnixFDSourceFunc)(void (*)(void))cb)(s->fd, cond, data);
}

static GSourceFuncs fd_funcs = { .dispatch = fd_dispatch };

static void update_io(struct he_session *s)
{
	bool want = !g_queue_is_empty(&s->out);

	if (want == s->want_out || !s->io)
		return;
	s->want_out = want;
	g_source_modify_unix_fd(s->io, s->io_tag,
				G_IO_IN | G_IO_HUP | G_IO_ERR | (want ? G_IO_OUT : 0));
}

/* ---- output ------------------------------------------------------------- */

/* What a queued chunk costs in memory: all of its bytes (a partly written
 * one too) and the bookkeeping around them. A peer's queue is bounded by
 * this, so that many tiny replies cannot take more than their size says. */
static size_t chunk_cost(GBytes *bytes)
{
	return g_bytes_get_size(bytes) + OUT_CHUNK_OVERHEAD;
}

static void chunk_free(struct he_session *s, struct out_chunk *c)
{
	s->out_cost -= chunk_cost(c->bytes);
	g_bytes_unref(c->bytes);
	g_free(c);
}

/* Write as much as the socket takes; never blocks. */
static int flush_out(struct he_session *s)
{
	while (!g_queue_is_empty(&s->out)) {
		struct iovec iov[64];
		int n = 0;
		ssize_t w;

		for (GList *l = s->out.head; l && n < 64; l = l->next, n++) {
			struct out_chunk *c = l->data;
			gsize len;
			const uint8_t *p = g_bytes_get_data(c->bytes, &len);

			iov[n].iov_base = (void *)(p + c->off);
			iov[n].iov_len = len - c->off;
		}
		w = writev(s->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s->last_write_us = g_get_monotonic_time();
		s->out_bytes -= (size_t)w;
		while (w > 0) {
			struct out_chunk *c = g_queue_peek_head(&s->out);
			size_t left = g_bytes_get_size(c->bytes) - c->off;

			if ((size_t)w < left) {
				c->off += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			if (c->au_encoded_us > 0)
				he_stats_record(&s->stats, HE_STAGE_SEND,
						he_now_us() - c->au_encoded_us);
			g_queue_pop_head(&s->out);
			chunk_free(s, c);
		}
	}
	update_io(s);
	if (g_queue_is_empty(&s->out) && s->close_after_flush)
		session_close_later(s, "closed after its final reply");
	return 0;
}

void session_send(struct he_session *s, GBytes *chunk, int64_t au_encoded_us)
{
	struct out_chunk *c;

	if (s->closing) {
		g_bytes_unref(chunk);
		return;
	}
	c = g_new0(struct out_chunk, 1);
	c->bytes = chunk;
	c->au_encoded_us = au_encoded_us;
	if (g_queue_is_empty(&s->out))
		s->last_write_us = g_get_monotonic_time();
	s->out_bytes += g_bytes_get_size(chunk);
	s->out_cost += chunk_cost(chunk);
	g_queue_push_tail(&s->out, c);
	/* Every session, subscribers too: their access units stop at the
	 * output queue bound, this catches replies to its own messages. */
	if (s->out_cost > QUEUE_MAX) {
		he_guest_log(s->peer, "does not read what it is sent (%zu bytes queued): closing",
			     s->out_cost);
		session_close_later(s, "output queue over its bound");
		return;
	}
	if (flush_out(s) < 0)
		session_close_later(s, "write failed");
}

void session_send_buf(struct he_session *s, const uint8_t *buf, size_t len)
{
	session_send(s, g_bytes_new(buf, len), 0);
}

int32_t session_errno_to_code(int err)
{
	switch (err) {
	case -E2BIG: return HXFR_ERR_LIMIT;
	case -ENOTSUP: return HXFR_ERR_INVALID_MSG;
	default: return HXFR_ERR_INVALID_MSG;
	}
}

GBytes *session_error_bytes(struct he_session *s, uint8_t type, int32_t code, const char *why)
{
	struct hxfr_error e = { .code = code, .offending_type = type };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_ERROR_SIZE];
	ssize_t n;

	g_snprintf(e.message, sizeof(e.message), "%s: %s", hxfr_type_name(type),
		   why ? why : hxfr_error_name(code));
	n = hxfr_build_error(buf, sizeof(buf), 0, &e);
	g_assert(n == (ssize_t)sizeof(buf));
	s->errors++;
	return g_bytes_new(buf, sizeof(buf));
}

void session_error(struct he_session *s, uint8_t type, int32_t code, const char *why)
{
	he_guest_log(s->peer, "%s rejected (%s): %s", hxfr_type_name(type),
		     hxfr_error_name(code), why ? why : "");
	session_send(s, session_error_bytes(s, type, code, why), 0);
}

/* Drops queued output that has not started to go out: a chunk half
 * written must finish, or the byte stream would break. */
static void trim_output(struct he_session *s)
{
	GList *l = s->out.head;

	if (l && ((struct out_chunk *)l->data)->off > 0)
		l = l->next;
	while (l) {
		GList *next = l->next;
		struct out_chunk *c = l->data;

		s->out_bytes -= g_bytes_get_size(c->bytes) - c->off;
		chunk_free(s, c);
		g_queue_delete_link(&s->out, l);
		l = next;
	}
	update_io(s);
}

/* The session ends but its channel stays (GOODBYE, or a HELLO on a live
 * session: a guest pipeline that restarted on a virtio-serial port). The
 * state is what a new connection has; frames in flight are forgotten, so
 * their results (matched by tag) are never sent to the next session. */
void session_reset(struct he_session *s, const char *why)
{
	g_info("session %u (%s): session reset: %s", s->id, s->peer, why);
	session_unsubscribe(s);
	session_drop_stream(s);
	session_frames_clear(s);
	g_clear_pointer(&s->shm, he_shm_unref);
	trim_output(s);
	s->hello = false;
	s->wants_input = false;
	s->name[0] = '\0';
	s->paths = HXFR_PATH_INLINE | HXFR_PATH_GPU_HANDLE;
	s->max_inflight = s->hx->cfg.max_inflight;
	s->scanout_id = UINT32_MAX;
	s->idr_wanted = false;
	s->stream_pts_set = false;
	s->bitrate = s->fps_num = s->fps_den = 0;
	s->errors_in_row = 0;
	s->path_used = "idle";
}

/* ---- lifecycle ---------------------------------------------------------- */

/* A frame's payload is a block of its own; a control message's is in
 * s->control. */
static void payload_free(struct he_session *s)
{
	if (s->payload != s->control)
		he_block_release(s->payload);
	s->payload = NULL;
}

/* The bytes of a frame payload being received count against the
 * in-flight limit as they arrive (announcing a size pins nothing). */
static void release_reservation(struct he_session *s)
{
	s->hx->inflight_bytes -= s->reserved;
	s->reserved = 0;
}

static gboolean destroy_idle(gpointer data)
{
	he_session_destroy(data);
	return G_SOURCE_REMOVE;
}

void session_close_later(struct he_session *s, const char *why)
{
	if (s->closing)
		return;
	g_info("session %u (%s): closing: %s", s->id, s->peer, why);
	s->closing = true;
	if (s->io) {
		g_source_destroy(s->io);
		g_source_unref(s->io);
		s->io = NULL;
	}
	g_idle_add_full(G_PRIORITY_HIGH, destroy_idle, s, NULL);
}

void he_session_destroy(struct he_session *s)
{
	struct out_chunk *c;

	if (!s)
		return;
	session_unsubscribe(s);
	session_drop_stream(s);
	session_frames_clear(s);
	he_shm_unref(s->shm);
	while ((c = g_queue_pop_head(&s->out)))
		chunk_free(s, c);
	if (s->io) {
		g_source_destroy(s->io);
		g_source_unref(s->io);
	}
	if (s->timer) {
		g_source_destroy(s->timer);
		g_source_unref(s->timer);
	}
	payload_free(s);
	he_block_cache_unref(s->blocks);
	release_reservation(s);
	close(s->fd);
	hxfr_session_removed(s->hx, s);
	he_stats_clear(&s->stats);
	if (s->machine)
		hxfr_machine_unref(s->machine);
	g_free(s->peer);
	g_free(s->peer_address);
	g_free(s);
}

/* ---- input -------------------------------------------------------------- */


static void discard(struct he_session *s, int32_t code, const char *why)
{
	s->discard = true;
	s->discard_code = code;
	s->discard_why = why;
}

static void message_done(struct he_session *s)
{
	struct hxfr_msg msg = { .hdr = s->h, .payload = s->payload,
				.total = HXFR_HEADER_SIZE + (size_t)s->h.payload_size };
	/* a frame's payload passes to the dispatcher; s->control stays */
	uint8_t *payload = s->payload == s->control ? NULL : s->payload;

	release_reservation(s);
	s->messages++;
	s->last_active_us = s->last_message_us = g_get_monotonic_time();
	if (s->message_budget)
		s->message_budget--;
	he_stats_record(&s->stats, HE_STAGE_RECEIVE, s->last_active_us - s->msg_start_us);
	he_stats_add(&s->stats, HE_COUNT_BYTES_IN, msg.total);
	s->payload = NULL;
	s->in_payload = false;
	s->hdr_got = 0;
	s->payload_got = 0;
	if (s->discard && s->discard_code == 0) {
		/* an unknown type, skipped by its size */
		s->discard = false;
		msg.payload = NULL;
		session_dispatch(s, &msg, NULL);
		return;
	}
	if (s->discard) {
		s->discard = false;
		he_block_release(payload);
		if (s->h.type == HXFR_FRAME_REQUEST)
			session_frames_reject(s, s->h.type, s->discard_code, s->discard_why);
		else
			session_error(s, s->h.type, s->discard_code, s->discard_why);
		return;
	}
	session_dispatch(s, &msg, payload);
}

/* A frame's pixels: within the session's share and, as far as is known
 * now, the host's limit; its bytes are counted as they arrive. */
static void frame_payload_start(struct he_session *s)
{
	struct he_hxfr *hx = s->hx;
	uint64_t size = s->h.payload_size;

	if (s->inflight_bytes + size > hx->cfg.max_session_bytes) {
		discard(s, HXFR_ERR_LIMIT, "over this session's share of the host's bytes in "
			"flight (--max-session-bytes); frame not accepted");
		return;
	}
	if (hx->inflight_bytes + size > hx->cfg.max_inflight_bytes) {
		discard(s, HXFR_ERR_LIMIT, "host's bytes-in-flight limit reached; frame not accepted");
		return;
	}
	s->payload = he_block_cache_get(s->blocks, size);
	s->last_frame_us = g_get_monotonic_time();
	if (!s->payload)
		discard(s, HXFR_ERR_LIMIT, "host out of memory for this message");
}

/* Frame bytes arrived: they count now. Past the host's limit the rest of
 * the frame is read and dropped and the frame refused. */
static void hold_bytes(struct he_session *s, size_t n)
{
	if (s->hx->inflight_bytes + n > s->hx->cfg.max_inflight_bytes) {
		g_clear_pointer(&s->payload, he_block_release);
		release_reservation(s);
		discard(s, HXFR_ERR_LIMIT, "host's bytes-in-flight limit reached; frame not accepted");
		return;
	}
	s->reserved += n;
	s->hx->inflight_bytes += n;
}

/* A header is complete: check the frame and get a buffer for the payload.
 * Control messages (at most MAX_CONTROL_PAYLOAD) are never counted against
 * the bytes in flight, so that HELLO or SUBSCRIBE always get through. */
static int header_done(struct he_session *s)
{
	struct hxfr_msg msg;
	size_t need = 0;
	int res = hxfr_frame(s->hdr, HXFR_HEADER_SIZE, s->hx->cfg.max_payload, &msg, &need);

	if (res < 0)
		return res;
	hxfr_header_decode(s->hdr, &s->h);
	s->in_payload = true;
	s->discard = false;
	if (s->h.payload_size == 0)
		return 0;
	if (!hxfr_type_known(s->h.type)) {
		discard(s, 0, NULL); /* skipped without storing it */
		return 0;
	}
	if (s->h.type == HXFR_FRAME_REQUEST) {
		frame_payload_start(s);
		return 0;
	}
	if (s->h.payload_size > MAX_CONTROL_PAYLOAD)
		discard(s, HXFR_ERR_INVALID_MSG, "payload size does not match the message layout");
	else
		s->payload = s->control;
	return 0;
}

/* Reads from the socket into the header or payload. Returns bytes read,
 * 0 on EOF, -EAGAIN when the socket is dry, other -errno on error. */
static ssize_t read_some(struct he_session *s)
{
	uint8_t scratch[16384];
	void *dst;
	size_t want;
	ssize_t r;

	if (!s->in_payload) {
		dst = s->hdr + s->hdr_got;
		want = HXFR_HEADER_SIZE - s->hdr_got;
	} else {
		want = s->h.payload_size - s->payload_got;
		dst = s->discard ? scratch : s->payload + s->payload_got;
		if (s->discard && want > sizeof(scratch))
			want = sizeof(scratch);
	}
	do
		r = read(s->fd, dst, want);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return r;
}

/* A lasting channel (a VM's virtio-serial port) outlives the guest
 * pipelines that use it: bytes left by one that died mid-message are
 * skipped up to where the next message may start (docs/protocol.md). */
static int resync(struct he_session *s)
{
	struct hxfr_msg msg;
	size_t need;
	int res;

	while ((res = hxfr_frame(s->hdr, s->hdr_got, s->hx->cfg.max_payload, &msg, &need)) < 0) {
		size_t skip;

		if (!s->machine)
			return res;
		skip = hxfr_resync(s->hdr, s->hdr_got, s->hx->cfg.max_payload);
		if (s->resync_skipped == 0)
			he_guest_log(s->peer, "framing error (%s): skipping to the next message",
				     res == -EPROTO ? "bad magic" : "payload over the size limit");
		s->resync_skipped += skip;
		memmove(s->hdr, s->hdr + skip, s->hdr_got - skip);
		s->hdr_got -= skip;
	}
	return 0;
}

static int consume(struct he_session *s, size_t n)
{
	int res;

	s->last_progress_us = g_get_monotonic_time();
	if (!s->in_payload) {
		if (s->hdr_got == 0)
			s->msg_start_us = s->last_progress_us;
		s->hdr_got += n;
		if ((res = resync(s)) < 0)
			return res;
		if (s->hdr_got < HXFR_HEADER_SIZE)
			return 0;
		if (s->resync_skipped) {
			g_info("session %u (%s): %" G_GUINT64_FORMAT " stale bytes skipped",
			       s->id, s->peer, s->resync_skipped);
			s->resync_skipped = 0;
		}
		if ((res = header_done(s)) < 0)
			return res;
	} else {
		s->payload_got += n;
		if (s->payload && s->h.type == HXFR_FRAME_REQUEST)
			hold_bytes(s, n);
	}
	if (s->in_payload && s->payload_got == s->h.payload_size)
		message_done(s);
	return 0;
}

static void read_input(struct he_session *s)
{
	size_t budget = READ_BUDGET;

	s->message_budget = MESSAGE_BUDGET;
	while (budget > 0 && s->message_budget > 0 && !s->closing) {
		ssize_t r = read_some(s);
		int res;

		if (r == -EAGAIN)
			return;
		if (r == 0) {
			session_close_later(s, s->hdr_got || s->in_payload ?
					    "peer closed mid-message" : "peer closed");
			return;
		}
		if (r < 0) {
			session_close_later(s, g_strerror((int)-r));
			return;
		}
		budget -= MIN((size_t)r, budget);
		res = consume(s, (size_t)r);
		if (res < 0) {
			he_guest_log(s->peer, "framing error (%s): closing the connection",
				     res == -EPROTO ? "bad magic" : "payload over the size limit");
			session_close_later(s, "framing error");
			return;
		}
	}
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer data)
{
	struct he_session *s = data;

	if (cond & G_IO_OUT) {
		if (flush_out(s) < 0) {
			session_close_later(s, "write failed");
			return G_SOURCE_CONTINUE;
		}
	}
	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		read_input(s);
	return G_SOURCE_CONTINUE;
}

static void drop_partial(struct he_session *s)
{
	payload_free(s);
	release_reservation(s);
	s->hdr_got = 0;
	s->payload_got = 0;
	s->in_payload = false;
	s->discard = false;
}

/* ---- timers ------------------------------------------------------------- */

static int64_t usec(uint32_t seconds)
{
	return (int64_t)seconds * G_USEC_PER_SEC;
}

/* A message must arrive within the idle timeout or at MIN_MESSAGE_RATE on
 * average, whichever is longer: a trickle cannot keep one open forever. */
static int64_t message_deadline_us(const struct he_session *s)
{
	int64_t size = s->in_payload ? (int64_t)s->h.payload_size : 0;

	return MAX(usec(s->hx->cfg.idle_timeout_s), size * G_USEC_PER_SEC / MIN_MESSAGE_RATE);
}

static void check_partial(struct he_session *s, int64_t now)
{
	int64_t stalled = now - s->last_progress_us;
	bool late = now - s->msg_start_us > message_deadline_us(s);

	/* A lasting channel stays; only the partial message goes. */
	if (s->machine) {
		if (!late && stalled <= usec(LASTING_STALL_S))
			return;
		he_guest_log(s->peer, "%s: dropping the partial message (the channel stays)",
			     late ? "message arriving too slowly" : "stalled mid-message");
		drop_partial(s);
	} else if (stalled > usec(s->hx->cfg.idle_timeout_s)) {
		he_guest_log(s->peer, "stalled mid-message for %us: closing",
			     s->hx->cfg.idle_timeout_s);
		session_close_later(s, "stalled mid-message");
	} else if (late) {
		he_guest_log(s->peer, "message arriving too slowly (under %u KiB/s): closing",
			     MIN_MESSAGE_RATE >> 10);
		session_close_later(s, "message arriving too slowly");
	}
}

/* A VM's channel is QEMU's for the VM's life, and a local process of
 * hostencd's own user could stop hostencd anyway: neither is timed out for
 * saying nothing. */
static bool exempt_from_idle(const struct he_session *s)
{
	return s->machine || s->local_owner;
}

static bool has_work(struct he_session *s)
{
	return !g_queue_is_empty(&s->pending) || !g_queue_is_empty(&s->out) || s->subscribed ||
	       (s->stream && he_stream_outputs(s->stream) > 0);
}

/* A VM's channel outlives its guests. A guest that rebooted, crashed or
 * was killed says no GOODBYE, and nothing more: without this its stream
 * would stay, re-encoded for its viewers, and its ring held, for as long as
 * the VM runs. A guest says something (a frame, a PING: vsockenc's
 * keepalive) at least once per session idle timeout, so after that long
 * without a message its session is reset; the channel waits for the next
 * guest. */
static void check_silent_guest(struct he_session *s, int64_t now)
{
	const struct he_hxfr_config *cfg = &s->hx->cfg;

	if (!s->machine || !cfg->session_idle_timeout_s || s->hdr_got || s->in_payload)
		return;
	if (!s->hello && !s->stream && !s->shm && !s->subscribed)
		return; /* nothing of a guest here */
	if (now - s->last_message_us <= usec(cfg->session_idle_timeout_s))
		return;
	he_guest_log(s->peer, "guest silent for %us (rebooted, crashed or killed): its session "
		     "ends, the channel stays", cfg->session_idle_timeout_s);
	session_reset(s, "guest silent");
	s->last_message_us = now;
}

/* Slots are not held by connections that do nothing: no first message in
 * time, or no message and nothing in flight for the session idle timeout. */
static void check_idle(struct he_session *s, int64_t now)
{
	const struct he_hxfr_config *cfg = &s->hx->cfg;
	bool mid = s->hdr_got || s->in_payload;

	check_silent_guest(s, now);
	if (exempt_from_idle(s))
		return;
	if (s->messages == 0 && now - s->connected_us > usec(cfg->handshake_timeout_s)) {
		he_guest_log(s->peer, "no complete message within %us of connecting: closing",
			     cfg->handshake_timeout_s);
		session_close_later(s, "handshake timeout");
		return;
	}
	if (mid || has_work(s)) {
		s->last_active_us = now;
		return;
	}
	if (cfg->session_idle_timeout_s &&
	    now - s->last_active_us > usec(cfg->session_idle_timeout_s)) {
		he_guest_log(s->peer, "idle for %us: closing", cfg->session_idle_timeout_s);
		session_close_later(s, "idle");
	}
}

/* PINGs past PONG_RATE were ignored (see on_ping); a peer that keeps that
 * up is flooding. */
static void check_ping_flood(struct he_session *s)
{
	if (!s->pings_ignored) {
		s->flood_s = 0;
		return;
	}
	if (s->flood_s++ == 0)
		he_guest_log(s->peer, "sends more than %u PINGs a second: ignoring the excess",
			     PONG_RATE);
	s->pings_ignored = 0;
	if (s->flood_s >= PING_FLOOD_S) {
		he_guest_log(s->peer, "PING flood for %ds: closing", PING_FLOOD_S);
		session_close_later(s, "PING flood");
	}
}

static gboolean on_timer(gpointer data)
{
	struct he_session *s = data;
	int64_t now = g_get_monotonic_time();

	check_ping_flood(s);
	if (!s->closing && (s->hdr_got || s->in_payload))
		check_partial(s, now);
	if (!s->closing)
		check_idle(s, now);
	if (now - s->last_frame_us > usec(FRAME_BLOCKS_IDLE_S))
		he_block_cache_trim(s->blocks); /* no inline frames lately */
	if (!s->closing && !g_queue_is_empty(&s->out) && now - s->last_write_us > usec(WRITE_STALL_S))
		session_close_later(s, "peer stopped reading");
	return G_SOURCE_CONTINUE;
}

/* ---- creation ----------------------------------------------------------- */

static void set_socket_options(int fd)
{
	int one = 1;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* Only meaningful on TCP; harmless errors elsewhere. Replies are
	 * latency-critical: no Nagle delay. */
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* The peer of unix socket @p fd runs as hostencd's user or as root. */
static bool peer_is_owner(int fd)
{
	uid_t uid;
#ifdef SO_PEERCRED
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	uid = cred.uid;
#else
	gid_t gid;

	if (getpeereid(fd, &uid, &gid) < 0)
		return false;
#endif
	return uid == 0 || uid == geteuid();
}

/* Tell a peer it cannot have a session, and close. */
static void refuse(int fd, const struct he_peer *peer, const char *message, const char *log)
{
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_ERROR_SIZE];
	struct hxfr_error e = { .code = HXFR_ERR_LIMIT };

	g_strlcpy(e.message, message, sizeof(e.message));
	if (hxfr_build_error(buf, sizeof(buf), 0, &e) > 0)
		(void)!send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
	he_guest_log(peer->name, "refused: %s", log);
	close(fd);
}

static uint32_t sessions_from(struct he_hxfr *hx, const char *address)
{
	uint32_t n = 0;

	for (GList *l = hx->sessions; l; l = l->next) {
		struct he_session *o = l->data;

		n += o->peer_address && strcmp(o->peer_address, address) == 0;
	}
	return n;
}

/* The session limit, and for TCP and vsock the limit per peer address:
 * one peer cannot take every slot. */
static bool admit(struct he_hxfr *hx, int fd, const struct he_peer *peer)
{
	g_autofree char *log = NULL;
	uint32_t n;

	if (hx->n_sessions >= hx->cfg.max_sessions) {
		log = g_strdup_printf("%u sessions already", hx->n_sessions);
		refuse(fd, peer, "host session limit reached", log);
		return false;
	}
	if (!peer->address || !hx->cfg.max_peer_sessions)
		return true;
	n = sessions_from(hx, peer->address);
	if (n < hx->cfg.max_peer_sessions)
		return true;
	log = g_strdup_printf("%u sessions from %s already", n, peer->address);
	refuse(fd, peer, "host limit of sessions from one address reached", log);
	return false;
}

struct he_session *he_session_create(struct he_hxfr *hx, int fd, const struct he_peer *peer,
				     struct hxfr_machine *machine)
{
	struct he_session *s;

	if (!admit(hx, fd, peer))
		return NULL;
	set_socket_options(fd);
	s = g_new0(struct he_session, 1);
	s->hx = hx;
	s->machine = machine ? hxfr_machine_ref(machine) : NULL;
	s->id = hx->next_session_id++;
	s->fd = fd;
	s->peer = g_strdup(peer->name);
	s->peer_address = g_strdup(peer->address);
	s->local_owner = !machine && peer->transport == HE_TRANSPORT_UNIX && peer_is_owner(fd);
	s->scanout_id = UINT32_MAX;
	s->max_inflight = hx->cfg.max_inflight;
	s->paths = HXFR_PATH_INLINE | HXFR_PATH_GPU_HANDLE; /* Helix until HELLO */
	s->output.impl = &session_output_impl;
	s->path_used = "idle";
	s->connected_us = s->last_active_us = s->last_write_us = g_get_monotonic_time();
	s->last_message_us = s->connected_us;
	s->pong_tokens = PONG_RATE;
	s->pong_refill_us = s->connected_us;
	s->blocks = he_block_cache_new(FRAME_BLOCKS_KEPT);
	g_queue_init(&s->out);
	g_queue_init(&s->pending);
	he_stats_init(&s->stats);
	s->io = g_source_new(&fd_funcs, sizeof(GSource));
	s->io_tag = g_source_add_unix_fd(s->io, fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(s->io, G_SOURCE_FUNC(on_io), s, NULL);
	g_source_attach(s->io, NULL);
	s->timer = g_timeout_source_new_seconds(1);
	g_source_set_callback(s->timer, on_timer, s, NULL);
	g_source_attach(s->timer, NULL);
	hxfr_session_added(hx, s);
	g_info("session %u: %s connected%s", s->id, peer->name,
	       s->local_owner ? " (hostencd's own user)" : "");
	return s;
}

void he_session_info(struct he_session *s, struct he_session_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->peer = s->peer;
	out->name = s->name;
	out->path = s->subscribed ? "subscriber" : s->path_used;
	out->stream_id = s->stream ? he_stream_id(s->stream) :
			 s->subscribed ? s->sub_id : UINT32_MAX;
	out->inflight = g_queue_get_length(&s->pending);
	out->frames = s->frames;
	out->errors = s->errors;
	out->queued_bytes = s->out_bytes;
	out->stats = &s->stats;
}
