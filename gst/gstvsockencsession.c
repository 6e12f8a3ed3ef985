/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockenc's HXFR session with hostencd: handshake, ring and configuration,
 * sending frames, the reader thread that matches replies to frames in
 * order, and reconnecting when the host goes away.
 *
 * Every frame request gets exactly one reply (FRAME_RESPONSE, DROPPED or
 * ERROR) in request order, so the reader answers the oldest unanswered
 * entry of the pending queue. The streaming thread alone pushes and pops
 * that queue and calls gst_video_encoder_finish_frame(); the reader only
 * fills in replies, under the lock. */
#include "gstvsockenc.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define GST_CAT_DEFAULT gst_vsock_enc_debug

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 1000
#define MIN_ATTEMPT_US (200 * G_TIME_SPAN_MILLISECOND)
#define PING_INTERVAL_US G_USEC_PER_SEC
#define MAX_ERROR_RUN 30        /* transient frame errors in a row: give up */
#define LATENCY_UPDATE_US G_USEC_PER_SEC
#define RTT_SAMPLES_FOR_LATENCY 8
#define HELLO_RETRY_MS 3000       /* > the host's 2 s partial-message stall */
#define GOODBYE_WAIT_MS 500

void
gst_vsock_enc_pending_free (GstVsockEncPending * p)
{
  if (p->frame)
    gst_video_codec_frame_unref (p->frame);
  gst_clear_buffer (&p->au);
  gst_clear_buffer (&p->slot_buf);
  g_free (p->message);
  g_free (p);
}

static guint
unanswered_locked (GstVsockEnc * self)
{
  return self->pending.length - self->n_answered;
}

void
gst_vsock_enc_session_mark_lost (GstVsockEnc * self, const gchar * why)
{
  g_mutex_lock (&self->lock);
  if (!self->lost) {
    self->lost = TRUE;
    g_free (self->lost_reason);
    self->lost_reason = g_strdup (why);
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean
send_bytes (GstVsockEnc * self, struct iovec *iov, gint n_iov, GError ** err)
{
  gint64 deadline = g_get_monotonic_time () +
      (gint64) self->io_timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean ok;

  g_mutex_lock (&self->wlock);
  ok = gst_vsock_enc_link_writev (&self->link, self->cancel_fd, iov, n_iov,
      deadline, err);
  g_mutex_unlock (&self->wlock);
  return ok;
}

static gboolean
send_buf (GstVsockEnc * self, const guint8 * buf, gssize len, GError ** err)
{
  struct iovec iov = {.iov_base = (void *) buf,.iov_len = (gsize) len };

  if (len <= 0) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "cannot build an HXFR message (%s)", g_strerror ((gint) - len));
    return FALSE;
  }
  return send_bytes (self, &iov, 1, err);
}

static void
send_ping (GstVsockEnc * self)
{
  struct hxfr_ping p = {.has_time = TRUE,
    .time_ns = gst_vsock_enc_link_now_ns ()
  };
  guint8 buf[HXFR_HEADER_SIZE + HXFR_PING_TS_SIZE];
  GError *err = NULL;

  self->last_ping_us = g_get_monotonic_time ();
  if (!send_buf (self, buf, hxfr_build_ping (buf, sizeof (buf), HXFR_PING, 0,
              &p), &err)) {
    GST_DEBUG_OBJECT (self, "PING not sent: %s", err->message);
    g_error_free (err);         /* the frame path notices a dead link */
  }
}

/* ---- reader thread --------------------------------------------------- */

/* The reply for @p is in: the host has let go of its slot. */
static void
answered_locked (GstVsockEnc * self, GstVsockEncPending * p)
{
  guint64 rtt;

  /* a pool buffer's slot is free when the buffer goes back to the pool */
  if (p->slot >= 0 && self->shm && !p->pool_slot)
    gst_vsock_enc_shm_release (self->shm, (guint) p->slot);
  gst_clear_buffer (&p->slot_buf);
  p->slot = -1;
  rtt = (guint64) (g_get_monotonic_time () - p->sent_us) * 1000;
  self->rtt_ns = self->rtt_count ? (self->rtt_ns * 7 + rtt) / 8 : rtt;
  self->rtt_sum_ns += rtt;
  self->rtt_count++;
  if (!self->rtt_min_ns || rtt < self->rtt_min_ns)
    self->rtt_min_ns = rtt;
  self->rtt_max_ns = MAX (self->rtt_max_ns, rtt);
  self->n_answered++;
  g_cond_broadcast (&self->cond);
}

/* The oldest frame without a reply, or NULL (a reply nobody asked for). */
static GstVsockEncPending *
next_unanswered_locked (GstVsockEnc * self)
{
  GstVsockEncPending *p = g_queue_peek_nth (&self->pending, self->n_answered);

  return p && p->sent_us ? p : NULL;
}

static gboolean
on_frame_response (GstVsockEnc * self, const struct hxfr_msg *msg,
    guint8 * block, const gchar ** why)
{
  struct hxfr_frame_response r;
  GstVsockEncPending *p;

  if (hxfr_decode_frame_response (msg, &r, why) < 0)
    goto err_free;
  g_mutex_lock (&self->lock);
  p = next_unanswered_locked (self);
  if (!p) {
    g_mutex_unlock (&self->lock);
    *why = "a FRAME_RESPONSE with no frame in flight";
    goto err_free;
  }
  if (r.pts_ns != p->wire_pts)
    GST_WARNING_OBJECT (self, "reply pts %" G_GINT64_FORMAT " for frame %u "
        "sent with pts %" G_GINT64_FORMAT, r.pts_ns, p->seq, p->wire_pts);
  if (msg->hdr.flags & HXFR_FLAG_DROPPED) {
    p->kind = GST_VSOCK_ENC_REPLY_DROPPED;
    self->n_dropped++;
    g_free (block);
  } else {
    p->kind = GST_VSOCK_ENC_REPLY_FRAME;
    p->keyframe = r.is_keyframe;
    self->n_encoded++;
    self->n_keyframes += r.is_keyframe;
    if (r.au_len > 0)           /* the AU stays in the message block: no copy */
      p->au = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY, block,
          msg->total, (gsize) (r.au - block), r.au_len, block, g_free);
    else
      g_free (block);
  }
  answered_locked (self, p);
  g_mutex_unlock (&self->lock);
  return TRUE;

  /* ERRORS */
err_free:
  {
    g_free (block);
    return FALSE;
  }
}

static gboolean
ctrl_matches (guint8 want, guint8 offending)
{
  return (want == HXFR_SHM_ATTACH_RESP && offending == HXFR_SHM_ATTACH) ||
      (want == HXFR_CONFIG_RESP && offending == HXFR_CONFIG_REQ);
}

static gboolean
on_error (GstVsockEnc * self, const struct hxfr_msg *msg, const gchar ** why)
{
  struct hxfr_error e;
  GstVsockEncPending *p;

  if (hxfr_decode_error (msg, &e, why) < 0)
    return FALSE;
  g_mutex_lock (&self->lock);
  if (e.offending_type == HXFR_FRAME_REQUEST
      || e.offending_type == HXFR_FRAME_SHM) {
    /* ERROR replaces the frame's FRAME_RESPONSE, in order */
    p = next_unanswered_locked (self);
    if (!p) {
      g_mutex_unlock (&self->lock);
      *why = "a frame ERROR with no frame in flight";
      return FALSE;
    }
    p->kind = GST_VSOCK_ENC_REPLY_ERROR;
    p->code = e.code;
    p->message = g_strdup (e.message);
    self->n_errors++;
    answered_locked (self, p);
  } else if (self->ctrl_want && ctrl_matches (self->ctrl_want,
          e.offending_type)) {
    self->ctrl_done = TRUE;
    self->ctrl_status = e.code;
    g_free (self->ctrl_message);
    self->ctrl_message = g_strdup (e.message);
    g_cond_broadcast (&self->cond);
  } else {
    GST_WARNING_OBJECT (self, "hostencd: ERROR %d (%s): %s", e.code,
        hxfr_error_name (e.code), e.message);
  }
  g_mutex_unlock (&self->lock);
  if (e.code == HXFR_ERR_VERSION) {
    *why = "hostencd does not speak this protocol version";
    return FALSE;
  }
  return TRUE;
}

static gboolean
on_ctrl_reply (GstVsockEnc * self, const struct hxfr_msg *msg,
    const gchar ** why)
{
  struct hxfr_shm_attach_resp a = { 0 };
  struct hxfr_config_resp c = { 0 };
  gint32 status;

  if (msg->hdr.type == HXFR_SHM_ATTACH_RESP) {
    if (hxfr_decode_shm_attach_resp (msg, &a, why) < 0)
      return FALSE;
    status = a.status;
  } else {
    if (hxfr_decode_config_resp (msg, &c, why) < 0)
      return FALSE;
    status = c.status;
    GST_DEBUG_OBJECT (self, "CONFIG_RESP %d: %ux%u %u b/s %u/%u fps",
        c.status, c.applied.width, c.applied.height, c.applied.bitrate,
        c.applied.fps_num, c.applied.fps_den);
  }
  g_mutex_lock (&self->lock);
  if (self->ctrl_want == msg->hdr.type) {
    self->ctrl_done = TRUE;
    self->ctrl_status = status;
    self->attach_resp = a;
    g_cond_broadcast (&self->cond);
  } else if (status != 0) {
    GST_WARNING_OBJECT (self, "hostencd answered %s with %d (%s)",
        hxfr_type_name (msg->hdr.type), status, hxfr_error_name (status));
  }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
on_ping (GstVsockEnc * self, const struct hxfr_msg *msg, const gchar ** why)
{
  struct hxfr_ping p;
  guint8 buf[HXFR_HEADER_SIZE + HXFR_PONG_TS_SIZE];
  GError *err = NULL;

  if (hxfr_decode_ping (msg, &p, why) < 0)
    return FALSE;
  if (msg->hdr.type == HXFR_PONG) {
    if (p.has_time) {
      g_mutex_lock (&self->lock);
      self->ping_rtt_ns = gst_vsock_enc_link_now_ns () - p.time_ns;
      g_mutex_unlock (&self->lock);
    }
    return TRUE;
  }
  p.host_time_ns = (guint64) g_get_real_time () * 1000;
  if (!send_buf (self, buf, hxfr_build_ping (buf, sizeof (buf), HXFR_PONG, 0,
              &p), &err)) {
    GST_DEBUG_OBJECT (self, "PONG not sent: %s", err->message);
    g_error_free (err);
  }
  return TRUE;
}

static gboolean
on_input (GstVsockEnc * self, const struct hxfr_msg *msg, const gchar ** why)
{
  struct hxfr_input in;

  if (hxfr_decode_input (msg, &in, why) < 0)
    return FALSE;
  gst_vsock_enc_input_handle (GST_ELEMENT (self),
      GST_VIDEO_ENCODER_SINK_PAD (self), &self->nav, &in,
      (guint) g_atomic_int_get (&self->nav_width),
      (guint) g_atomic_int_get (&self->nav_height));
  return TRUE;
}

/* Takes @block. FALSE: the stream cannot be trusted any more. */
static gboolean
dispatch (GstVsockEnc * self, const struct hxfr_msg *msg, guint8 * block,
    const gchar ** why)
{
  gboolean ok = TRUE;

  switch (msg->hdr.type) {
    case HXFR_FRAME_RESPONSE:
      return on_frame_response (self, msg, block, why);
    case HXFR_ERROR:
      ok = on_error (self, msg, why);
      break;
    case HXFR_SHM_ATTACH_RESP:
    case HXFR_CONFIG_RESP:
      ok = on_ctrl_reply (self, msg, why);
      break;
    case HXFR_PING:
    case HXFR_PONG:
      ok = on_ping (self, msg, why);
      break;
    case HXFR_INPUT:
      ok = on_input (self, msg, why);
      break;
    case HXFR_GOODBYE:
      g_mutex_lock (&self->lock);
      self->goodbye_done = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    default:
      GST_DEBUG_OBJECT (self, "skipping %s from hostencd",
          hxfr_type_name (msg->hdr.type));
      break;
  }
  g_free (block);
  return ok;
}

/* Nothing came from the host for a while: say PING, so that a stream
 * that sends no frames (a static desktop captured on damage) keeps its
 * session; hostencd closes sessions that are silent for minutes. Skipped
 * when a frame is being written (that is activity enough). */
static void
idle_ping (GstVsockEnc * self)
{
  struct hxfr_ping p = {.has_time = TRUE,
    .time_ns = gst_vsock_enc_link_now_ns ()
  };
  guint8 buf[HXFR_HEADER_SIZE + HXFR_PING_TS_SIZE];
  struct iovec iov = {.iov_base = buf,.iov_len = sizeof (buf) };

  if (hxfr_build_ping (buf, sizeof (buf), HXFR_PING, 0, &p) != sizeof (buf)
      || !g_mutex_trylock (&self->wlock))
    return;
  (void) gst_vsock_enc_link_writev (&self->link, self->cancel_fd, &iov, 1,
      g_get_monotonic_time () + G_USEC_PER_SEC, NULL);
  g_mutex_unlock (&self->wlock);
}

static gpointer
reader_main (gpointer data)
{
  GstVsockEnc *self = data;

  for (;;) {
    GError *err = NULL;
    const gchar *why = "malformed message";
    struct hxfr_msg msg;
    guint8 *block = NULL;

    if (gst_vsock_enc_link_wait_readable (&self->link, self->cancel_fd,
            g_get_monotonic_time () + (gint64) self->keepalive_ms *
            G_TIME_SPAN_MILLISECOND, &err))
      block = gst_vsock_enc_link_read_msg (&self->link, self->cancel_fd, -1,
          HXFR_MAX_PAYLOAD_HARD, &msg, &err);
    else if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
      g_clear_error (&err);
      idle_ping (self);
      continue;
    }
    if (!block) {
      if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        GST_INFO_OBJECT (self, "connection to hostencd lost: %s",
            err->message);
        gst_vsock_enc_session_mark_lost (self, err->message);
      }
      g_error_free (err);
      break;
    }
    if (!dispatch (self, &msg, block, &why)) {
      GST_WARNING_OBJECT (self, "protocol error from hostencd: %s", why);
      gst_vsock_enc_session_mark_lost (self, why);
      break;
    }
  }
  return NULL;
}

/* ---- handshake --------------------------------------------------------- */

static gboolean
read_hello_resp (GstVsockEnc * self, gint64 deadline_us,
    struct hxfr_hello_resp *resp, GError ** err)
{
  for (;;) {
    struct hxfr_msg msg;
    struct hxfr_error e;
    const gchar *why = "malformed message";
    g_autofree guint8 *block = gst_vsock_enc_link_read_msg (&self->link,
        self->cancel_fd, deadline_us, HXFR_MAX_PAYLOAD_DEFAULT, &msg, err);

    if (!block)
      return FALSE;
    if (msg.hdr.type == HXFR_HELLO_RESP) {
      if (hxfr_decode_hello_resp (&msg, resp, &why) < 0)
        goto err_invalid;
      return TRUE;
    }
    if (msg.hdr.type == HXFR_ERROR) {
      if (hxfr_decode_error (&msg, &e, &why) < 0)
        goto err_invalid;
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
          "hostencd refused the session: %s (%s)", e.message,
          hxfr_error_name (e.code));
      return FALSE;
    }
    GST_DEBUG_OBJECT (self, "skipping %s before HELLO_RESP",
        hxfr_type_name (msg.hdr.type));
    continue;

    /* ERRORS */
  err_invalid:
    {
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "invalid %s from hostencd: %s", hxfr_type_name (msg.hdr.type), why);
      return FALSE;
    }
  }
}

/* HELLO, then its reply. On a virtio-serial port the HELLO may be lost in
 * the remains of a message an earlier pipeline left half-written (the host
 * drops those after a stall of 2 s): say it again every HELLO_RETRY_MS. */
static gboolean
say_hello (GstVsockEnc * self, guint8 * buf, gint64 deadline_us,
    struct hxfr_hello_resp *resp, GError ** err)
{
  for (;;) {
    struct iovec iov = {.iov_base = buf,.iov_len = HXFR_HEADER_SIZE +
          HXFR_HELLO_SIZE
    };
    gint64 until = deadline_us;
    g_autoptr (GError) e = NULL;

    if (!self->link.is_socket)
      until = MIN (deadline_us, g_get_monotonic_time () +
          HELLO_RETRY_MS * G_TIME_SPAN_MILLISECOND);
    if (!gst_vsock_enc_link_writev (&self->link, self->cancel_fd, &iov, 1,
            deadline_us, err))
      return FALSE;
    if (read_hello_resp (self, until, resp, &e))
      return TRUE;
    if (until >= deadline_us
        || !g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
      g_propagate_error (err, g_steal_pointer (&e));
      return FALSE;
    }
    GST_INFO_OBJECT (self, "no HELLO_RESP yet: saying HELLO again");
  }
}

static gboolean
check_hello_resp (GstVsockEnc * self, struct hxfr_hello_resp *r,
    guint32 offered, GError ** err)
{
  if ((r->version >> 16) != HXFR_VERSION_MAJOR) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "hostencd speaks protocol %u.%u, this element %u.%u",
        r->version >> 16, r->version & 0xffff, HXFR_VERSION_MAJOR,
        HXFR_VERSION_MINOR);
    return FALSE;
  }
  r->frame_paths &= offered;
  if (!(r->frame_paths & (HXFR_PATH_INLINE | HXFR_PATH_SHM))) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "hostencd accepts neither inline nor shared-memory frames from us");
    return FALSE;
  }
  if (r->max_inflight == 0)
    r->max_inflight = 1;
  return TRUE;
}

gboolean
gst_vsock_enc_session_open (GstVsockEnc * self, gint64 deadline_us,
    GError ** err)
{
  struct hxfr_hello hello = {.version = HXFR_VERSION,
    .frame_paths = HXFR_PATH_INLINE,.max_inflight = self->max_inflight_prop
  };
  struct hxfr_hello_resp resp;
  guint8 buf[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];
  gint cancel = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);

  if (cancel < 0) {
    g_set_error (err, G_IO_ERROR, g_io_error_from_errno (errno),
        "eventfd: %s", g_strerror (errno));
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  if (self->closing) {
    g_mutex_unlock (&self->lock);
    close (cancel);
    g_set_error_literal (err, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopping");
    return FALSE;
  }
  self->cancel_fd = cancel;
  g_mutex_unlock (&self->lock);

  if (!gst_vsock_enc_link_connect (self->address, cancel, deadline_us,
          &self->link, err))
    goto err_cancel;
  if (self->shm)
    hello.frame_paths |= HXFR_PATH_SHM;
  GST_OBJECT_LOCK (self);
  g_strlcpy (hello.name, self->stream_name && *self->stream_name ?
      self->stream_name : "vsockenc", sizeof (hello.name));
  GST_OBJECT_UNLOCK (self);
  hello.flags = HXFR_HELLO_INPUT;
  if (hxfr_build_hello (buf, sizeof (buf), 0, &hello) != sizeof (buf)) {
    g_set_error_literal (err, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot build HELLO");
    goto err_close;
  }
  if (!say_hello (self, buf, deadline_us, &resp, err)
      || !check_hello_resp (self, &resp, hello.frame_paths, err))
    goto err_close;

  g_mutex_lock (&self->lock);
  self->hello = resp;
  self->have_hello = TRUE;
  self->lost = FALSE;
  g_clear_pointer (&self->lost_reason, g_free);
  g_mutex_unlock (&self->lock);
  self->depth = MIN (self->max_inflight_prop, resp.max_inflight);
  GST_INFO_OBJECT (self, "connected to hostencd at %s: encoder %s%s, paths "
      "0x%x, %u in flight, max %ux%u", self->address, resp.encoder,
      (resp.encoder_flags & HXFR_ENC_HARDWARE) ? " (hardware)" : "",
      resp.frame_paths, resp.max_inflight, resp.max_width, resp.max_height);
  send_ping (self);
  self->reader = g_thread_try_new ("vsockenc-reader", reader_main, self, err);
  if (!self->reader)
    goto err_close;
  return TRUE;

  /* ERRORS */
err_close:
  {
    close (self->link.fd);
    self->link.fd = -1;
  }
err_cancel:
  {
    g_mutex_lock (&self->lock);
    self->cancel_fd = -1;
    close (cancel);
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
}

/* End the session so that the host can take the next one on the same
 * channel (a virtio-serial port stays open between pipelines): GOODBYE,
 * and wait a little for the host's, the last byte of this session. Called
 * while the reader still runs; skipped when a write is stuck (the host
 * then resets the session on the next HELLO). */
void
gst_vsock_enc_session_goodbye (GstVsockEnc * self)
{
  guint8 buf[HXFR_HEADER_SIZE];
  struct iovec iov = {.iov_base = buf,.iov_len = sizeof (buf) };
  gint64 until = g_get_monotonic_time () +
      GOODBYE_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  gboolean live, sent;

  g_mutex_lock (&self->lock);
  live = self->have_hello && !self->lost && !self->closing && self->reader
      && self->link.fd >= 0;
  self->goodbye_done = FALSE;
  g_mutex_unlock (&self->lock);
  if (!live || hxfr_build_empty (buf, sizeof (buf), HXFR_GOODBYE, 0) < 0
      || !g_mutex_trylock (&self->wlock))
    return;
  sent = gst_vsock_enc_link_writev (&self->link, self->cancel_fd, &iov, 1,
      until, NULL);
  g_mutex_unlock (&self->wlock);
  if (!sent)
    return;
  g_mutex_lock (&self->lock);
  while (!self->goodbye_done && !self->lost)
    if (!g_cond_wait_until (&self->cond, &self->lock, until))
      break;
  GST_DEBUG_OBJECT (self, "GOODBYE %s", self->goodbye_done ? "answered" :
      "not answered in time");
  g_mutex_unlock (&self->lock);
}

void
gst_vsock_enc_session_close (GstVsockEnc * self)
{
  g_mutex_lock (&self->lock);
  if (self->cancel_fd >= 0)
    (void) eventfd_write (self->cancel_fd, 1);
  g_mutex_unlock (&self->lock);
  if (self->reader) {
    g_thread_join (self->reader);
    self->reader = NULL;
  }
  if (self->link.fd >= 0) {
    close (self->link.fd);
    self->link.fd = -1;
  }
  g_mutex_lock (&self->lock);
  if (self->cancel_fd >= 0) {
    close (self->cancel_fd);
    self->cancel_fd = -1;
  }
  g_mutex_unlock (&self->lock);
}

/* ---- configuration --------------------------------------------------- */

/* Send @buf and wait for the reply of type @want (or an ERROR about it). */
static gboolean
ctrl_request (GstVsockEnc * self, guint8 want, const guint8 * buf,
    gssize len, gint32 * status, gchar ** message, GError ** err)
{
  gint64 deadline = g_get_monotonic_time () +
      (gint64) self->io_timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  self->ctrl_want = want;
  self->ctrl_done = FALSE;
  g_clear_pointer (&self->ctrl_message, g_free);
  g_mutex_unlock (&self->lock);
  if (!send_buf (self, buf, len, err)) {
    g_mutex_lock (&self->lock);
    self->ctrl_want = 0;
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  while (!self->ctrl_done && !self->lost && !self->closing)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline)
        && g_get_monotonic_time () >= deadline)
      break;
  if (self->ctrl_done) {
    *status = self->ctrl_status;
    *message = g_steal_pointer (&self->ctrl_message);
    ok = TRUE;
  } else if (self->closing) {
    g_set_error_literal (err, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopping");
  } else if (self->lost) {
    g_set_error_literal (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
        self->lost_reason ? self->lost_reason : "connection lost");
  } else {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "no answer to %s within %u ms",
        hxfr_type_name (want == HXFR_CONFIG_RESP ? HXFR_CONFIG_REQ :
            HXFR_SHM_ATTACH),
        self->io_timeout_ms);
  }
  self->ctrl_want = 0;
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
shm_fallback (GstVsockEnc * self, const gchar * why)
{
  GST_INFO_OBJECT (self, "not using shared memory: %s", why);
  if (self->shm_warned)
    return;
  self->shm_warned = TRUE;
  GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
      ("Not using shared memory, sending frames inline: %s", why),
      ("shm-path %s", self->shm_path));
}

/* @deactivate: when stopping. Otherwise upstream may still hold the pool
 * and deactivates it itself when it takes the next one. */
void
gst_vsock_enc_session_drop_pool (GstVsockEnc * self, gboolean deactivate)
{
  GstBufferPool *pool;

  g_mutex_lock (&self->lock);
  pool = g_steal_pointer (&self->pool);
  self->ring_wire_size = 0;
  g_mutex_unlock (&self->lock);
  if (pool) {
    if (deactivate)
      gst_buffer_pool_set_active (pool, FALSE);
    gst_object_unref (pool);
  }
}

/* 1: the ring is in use; 0: inline instead (warned); -1: I/O error. */
static gint
setup_ring (GstVsockEnc * self, GError ** err)
{
  struct hxfr_shm_attach a = { 0 };
  guint8 buf[HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE];
  g_autofree gchar *message = NULL, *why = NULL;
  struct hxfr_shm_attach_resp r;
  gint32 status = 0;
  guint n;

  if (self->pool && self->ring_wire_size == self->wire_size) {
    /* the same ring again (a reconnect): upstream goes on drawing into the
     * slots it has, and the host attaches the ring as it is */
    n = gst_vsock_enc_shm_slot_count (self->shm);
  } else {
    /* a new layout; upstream asks for buffers again with the new caps */
    gst_vsock_enc_session_drop_pool (self, FALSE);
    /* two slots more than frames in flight: one upstream draws into while
     * the others are with the host */
    g_mutex_lock (&self->lock);
    n = gst_vsock_enc_shm_layout (self->shm, self->wire_size,
        self->depth + 2);
    g_mutex_unlock (&self->lock);
  }
  if (n == 0) {
    why = g_strdup_printf ("the shared region cannot hold one %"
        G_GSIZE_FORMAT "-byte frame", self->wire_size);
    shm_fallback (self, why);
    return 0;
  }
  a.ring_offset = gst_vsock_enc_shm_offset (self->shm);
  a.ring_size = gst_vsock_enc_shm_ring_size (self->shm);
  a.ring_id = gst_vsock_enc_shm_ring_id (self->shm);
  GST_OBJECT_LOCK (self);
  g_strlcpy (a.name, self->shm_name ? self->shm_name : "", sizeof (a.name));
  GST_OBJECT_UNLOCK (self);
  if (!ctrl_request (self, HXFR_SHM_ATTACH_RESP, buf,
          hxfr_build_shm_attach (buf, sizeof (buf), 0, &a), &status, &message,
          err))
    return -1;
  g_mutex_lock (&self->lock);
  r = self->attach_resp;
  g_mutex_unlock (&self->lock);
  if (status != 0) {
    why = g_strdup_printf ("hostencd refused the ring: %s",
        message ? message : hxfr_error_name (status));
    shm_fallback (self, why);
    return 0;
  }
  if (r.slot_count != n || r.slot_size != gst_vsock_enc_shm_slot_size (self->shm)) {
    why = g_strdup_printf ("hostencd sees %u slots of %u bytes, not %u of %"
        G_GUINT64_FORMAT, r.slot_count, r.slot_size, n,
        gst_vsock_enc_shm_slot_size (self->shm));
    shm_fallback (self, why);
    return 0;
  }
  self->use_ring = TRUE;
  self->depth = MIN (self->depth, n);
  g_mutex_lock (&self->lock);
  if (!self->pool)
    self->pool = gst_vsock_enc_pool_new (self->shm, &self->wire_info);
  g_mutex_unlock (&self->lock);
  self->ring_wire_size = self->wire_size;
  return 1;
}

static guint32
clamp_bitrate (guint bps)
{
  return bps == 0 ? 0 : CLAMP (bps, 10000u, 1000000000u);
}

static gboolean
send_config (GstVsockEnc * self, gboolean wait, GError ** err)
{
  const GstVideoInfo *info = &self->input_state->info;
  struct hxfr_config c = {.realtime = 1 };
  guint8 buf[HXFR_HEADER_SIZE + HXFR_CONFIG_REQ_SIZE];
  g_autofree gchar *message = NULL;
  gint32 status = 0;
  gssize len;

  GST_OBJECT_LOCK (self);
  c.bitrate = clamp_bitrate (self->bitrate);
  self->bitrate_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  if (!wait) {                  /* a bitrate change while playing */
    len = hxfr_build_config_req (buf, sizeof (buf), 0, &c);
    return send_buf (self, buf, len, err);
  }
  c.width = (guint32) GST_VIDEO_INFO_WIDTH (info);
  c.height = (guint32) GST_VIDEO_INFO_HEIGHT (info);
  if (info->fps_n > 0 && info->fps_d > 0 &&
      (gdouble) info->fps_n / info->fps_d >= 0.1 &&
      (gdouble) info->fps_n / info->fps_d <= 240.0) {
    c.fps_num = (guint32) info->fps_n;
    c.fps_den = (guint32) info->fps_d;
  }
  len = hxfr_build_config_req (buf, sizeof (buf), 0, &c);
  if (!ctrl_request (self, HXFR_CONFIG_RESP, buf, len, &status, &message, err))
    return FALSE;
  if (status != 0) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE,
        "hostencd refused the configuration: %s",
        message ? message : hxfr_error_name (status));
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_vsock_enc_session_configure (GstVsockEnc * self, GError ** err)
{
  gint ring = 0;

  if (!self->input_state)
    return TRUE;                /* nothing negotiated yet */
  self->use_ring = FALSE;
  self->depth = MAX (1u, MIN (self->max_inflight_prop,
          self->hello.max_inflight));
  if (self->shm && (self->hello.frame_paths & HXFR_PATH_SHM)) {
    ring = setup_ring (self, err);
    if (ring < 0)
      return FALSE;
  } else if (self->shm) {
    shm_fallback (self, "hostencd does not offer the shared-memory path "
        "(start it with --shm PATH)");
  }
  if (!self->use_ring &&
      HXFR_FRAME_REQUEST_SIZE + (guint64) self->wire_size >
      self->hello.max_payload) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "a %" G_GSIZE_FORMAT "-byte frame is more than hostencd takes inline "
        "(max_payload %u); use the shared-memory path (shm-path)",
        self->wire_size, self->hello.max_payload);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->frame_path = self->use_ring ? "shm" : "inline";
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "frame path: %s (%u in flight%s)",
      self->use_ring ? "shared memory" : "inline", self->depth,
      self->use_ring ? ", one ring slot each" : "");
  return send_config (self, TRUE, err);
}

/* ---- sending frames -------------------------------------------------- */

static gint64
next_wire_pts (GstVsockEnc * self, GstVideoCodecFrame * frame)
{
  gint64 pts;

  /* hostencd hands pts to its encoder: keep them strictly increasing */
  if (GST_CLOCK_TIME_IS_VALID (frame->pts) && frame->pts <= G_MAXINT64)
    pts = (gint64) frame->pts;
  else
    pts = self->last_wire_pts + 33 * GST_MSECOND;
  if (self->seq > 1 && pts <= self->last_wire_pts)
    pts = self->last_wire_pts + GST_USECOND;
  self->last_wire_pts = pts;
  return pts;
}

static gint64
wire_duration (GstVideoCodecFrame * frame)
{
  return GST_CLOCK_TIME_IS_VALID (frame->duration)
      && frame->duration <= G_MAXINT64 ? (gint64) frame->duration : 0;
}

static gboolean
want_keyframe (GstVsockEnc * self, GstVsockEncPending * p)
{
  guint kim;

  if (GST_VIDEO_CODEC_FRAME_IS_FORCE_KEYFRAME (p->frame)
      || self->force_next_key)
    return TRUE;
  GST_OBJECT_LOCK (self);
  kim = self->key_int_max;
  GST_OBJECT_UNLOCK (self);
  return kim > 0 && self->have_key_seq && p->seq - self->last_key_seq >= kim;
}

static void
stamp_sent (GstVsockEnc * self, GstVsockEncPending * p, gint slot)
{
  g_mutex_lock (&self->lock);
  p->sent_us = g_get_monotonic_time ();
  p->slot = slot;
  self->n_sent++;
  g_mutex_unlock (&self->lock);
}

static gboolean
strides_match (const GstVideoFrame * f, const GstVideoInfo * wire)
{
  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES (wire); i++)
    if (GST_VIDEO_FRAME_PLANE_STRIDE (f, i) !=
        GST_VIDEO_INFO_PLANE_STRIDE (wire, i))
      return FALSE;
  return TRUE;
}

static gboolean
send_inline (GstVsockEnc * self, GstVsockEncPending * p, GstVideoFrame * in,
    GError ** err)
{
  struct hxfr_frame_request r = {.format = self->fourcc };
  guint8 prefix[HXFR_FRAME_REQUEST_PREFIX];
  struct iovec iov[1 + GST_VIDEO_MAX_PLANES];
  guint planes = GST_VIDEO_INFO_N_PLANES (&self->wire_info);
  GstVideoFrame tmp, *src = in;
  gboolean ok;
  gssize n;

  if (!strides_match (in, &self->wire_info)) {
    /* repack to the layout HXFR describes with one stride */
    if (!gst_video_frame_map (&tmp, &self->wire_info, self->scratch,
            GST_MAP_WRITE)) {
      g_set_error_literal (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          "cannot map the repacking buffer");
      return FALSE;
    }
    gst_video_frame_copy (&tmp, in);
    src = &tmp;
  }
  r.width = (guint32) GST_VIDEO_INFO_WIDTH (&self->wire_info);
  r.height = (guint32) GST_VIDEO_INFO_HEIGHT (&self->wire_info);
  r.stride = (guint32) GST_VIDEO_INFO_PLANE_STRIDE (&self->wire_info, 0);
  r.pts_ns = p->wire_pts;
  r.duration_ns = wire_duration (p->frame);
  r.force_keyframe = p->forced ? 1 : 0;
  r.pixels_len = self->wire_size;
  n = hxfr_build_frame_request (prefix, sizeof (prefix), 0, &r);
  iov[0].iov_base = prefix;
  iov[0].iov_len = n > 0 ? (gsize) n : 0;
  for (guint i = 0; i < planes; i++) {
    iov[1 + i].iov_base = GST_VIDEO_FRAME_PLANE_DATA (src, i);
    iov[1 + i].iov_len = self->plane_len[i];
  }
  stamp_sent (self, p, -1);
  ok = n > 0 && send_bytes (self, iov, (gint) (1 + planes), err);
  if (n <= 0)
    g_set_error_literal (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "cannot build FRAME_REQUEST");
  if (src == &tmp)
    gst_video_frame_unmap (&tmp);
  return ok;
}

/* A free slot for a frame that lives elsewhere: one of the pool's buffers
 * when upstream took the pool (all slots are the pool's then), else any
 * free slot of the ring. */
static gint
claim_slot (GstVsockEnc * self, GstVsockEncPending * p)
{
  GstBufferPoolAcquireParams params = {.flags =
        GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT };
  gint slot;

  if (!self->pool || !gst_buffer_pool_is_active (self->pool))
    return gst_vsock_enc_shm_acquire (self->shm, p->seq, p->wire_pts);
  if (gst_buffer_pool_acquire_buffer (self->pool, &p->slot_buf,
          &params) != GST_FLOW_OK)
    return -1;
  slot = gst_vsock_enc_pool_slot (self->pool, p->slot_buf);
  if (slot < 0)
    gst_clear_buffer (&p->slot_buf);
  else
    p->pool_slot = TRUE;
  return slot;
}

/* One copy, honouring both sides' strides, into a slot; the slot or -1. */
static gint
copy_to_slot (GstVsockEnc * self, GstVsockEncPending * p, GstVideoFrame * in,
    GError ** err)
{
  GstVideoFrame out;
  GstBuffer *wrap;
  gboolean mapped;
  gint slot = claim_slot (self, p);

  if (slot < 0) {
    g_set_error_literal (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "no free slot in the shared-memory ring");
    return -1;
  }
  wrap = gst_buffer_new_wrapped_full (0,
      gst_vsock_enc_shm_slot_data (self->shm, (guint) slot),
      gst_vsock_enc_shm_slot_size (self->shm), 0, self->wire_size, NULL, NULL);
  mapped = gst_video_frame_map (&out, &self->wire_info, wrap, GST_MAP_WRITE);
  if (mapped) {
    gst_video_frame_copy (&out, in);
    gst_video_frame_unmap (&out);
  }
  gst_buffer_unref (wrap);
  if (mapped)
    return slot;
  if (p->slot_buf)
    gst_clear_buffer (&p->slot_buf);
  else
    gst_vsock_enc_shm_release (self->shm, (guint) slot);
  p->pool_slot = FALSE;
  g_set_error_literal (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      "cannot map a ring slot");
  return -1;
}

static gboolean
send_shm (GstVsockEnc * self, GstVsockEncPending * p, GstVideoFrame * in,
    GError ** err)
{
  struct hxfr_frame_shm m = {.format = self->fourcc };
  guint8 buf[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];
  gint slot;

  gst_clear_buffer (&p->slot_buf);     /* a resend copies again */
  p->pool_slot = FALSE;
  slot = gst_vsock_enc_pool_slot (self->pool, p->frame->input_buffer);
  if (slot >= 0) {
    /* upstream drew into the slot: nothing to copy */
    p->pool_slot = TRUE;
    self->n_zero_copy++;
  } else {
    slot = copy_to_slot (self, p, in, err);
    if (slot < 0)
      return FALSE;
    self->n_copied++;
  }
  gst_vsock_enc_shm_queued (self->shm, (guint) slot);
  m.slot = (guint32) slot;
  m.width = (guint32) GST_VIDEO_INFO_WIDTH (&self->wire_info);
  m.height = (guint32) GST_VIDEO_INFO_HEIGHT (&self->wire_info);
  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES (&self->wire_info); i++) {
    m.stride[i] = (guint32) GST_VIDEO_INFO_PLANE_STRIDE (&self->wire_info, i);
    m.plane_offset[i] =
        (guint32) GST_VIDEO_INFO_PLANE_OFFSET (&self->wire_info, i);
  }
  m.pts_ns = p->wire_pts;
  m.duration_ns = wire_duration (p->frame);
  m.flags = p->forced ? HXFR_FRAME_SHM_KEYFRAME : 0;
  stamp_sent (self, p, slot);
  return send_buf (self, buf, hxfr_build_frame_shm (buf, sizeof (buf), 0, &m),
      err);
}

/* Send (or re-send after a reconnect) one queued frame. */
static gboolean
send_entry (GstVsockEnc * self, GstVsockEncPending * p, GError ** err)
{
  GstVideoFrame in;
  gboolean ok;

  if (!gst_video_frame_map (&in, &self->input_state->info,
          p->frame->input_buffer, GST_MAP_READ)) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "input frame %u does not match the negotiated format", p->seq);
    return FALSE;
  }
  p->forced = want_keyframe (self, p);
  ok = self->use_ring ? send_shm (self, p, &in, err) :
      send_inline (self, p, &in, err);
  gst_video_frame_unmap (&in);
  if (!ok)
    return FALSE;
  if (p->forced || !self->have_key_seq) {
    /* the host starts every stream with an IDR too */
    self->force_next_key = FALSE;
    self->last_key_seq = p->seq;
    self->have_key_seq = TRUE;
  }
  return TRUE;
}

/* A send failed: a broken link is recovered by the wait that follows. */
static GstFlowReturn
send_failed (GstVsockEnc * self, GError * err)
{
  GstFlowReturn ret = GST_FLOW_OK;

  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    ret = GST_FLOW_FLUSHING;
  } else if (err->domain == G_IO_ERROR) {
    GST_WARNING_OBJECT (self, "sending to hostencd failed: %s", err->message);
    gst_vsock_enc_session_mark_lost (self, err->message);
  } else {
    GST_ELEMENT_ERROR (self, STREAM, ENCODE, ("Could not send a frame to "
            "hostencd: %s", err->message), ("frame path %s",
            self->use_ring ? "shm" : "inline"));
    ret = GST_FLOW_ERROR;
  }
  g_error_free (err);
  return ret;
}

static void
maybe_send_extras (GstVsockEnc * self)
{
  gboolean dirty;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  dirty = self->bitrate_dirty;
  GST_OBJECT_UNLOCK (self);
  if (dirty && !send_config (self, FALSE, &err)) {
    GST_DEBUG_OBJECT (self, "bitrate update not sent: %s", err->message);
    g_clear_error (&err);
  }
  if (g_get_monotonic_time () - self->last_ping_us >= PING_INTERVAL_US)
    send_ping (self);
}

GstFlowReturn
gst_vsock_enc_session_submit (GstVsockEnc * self, GstVideoCodecFrame * frame)
{
  GstVsockEncPending *p = g_new0 (GstVsockEncPending, 1);
  GError *err = NULL;
  GstFlowReturn ret;
  gboolean lost;

  if (GST_CLOCK_TIME_IS_VALID (frame->pts)) {
    if (GST_CLOCK_TIME_IS_VALID (self->last_pts) && frame->pts > self->last_pts)
      self->pts_gap = frame->pts - self->last_pts;
    self->last_pts = frame->pts;
  }

  p->frame = frame;             /* the queue owns the caller's reference */
  p->seq = self->seq++;
  p->slot = -1;
  p->wire_pts = next_wire_pts (self, frame);
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->pending, p);
  lost = self->lost;
  g_mutex_unlock (&self->lock);
  if (!lost) {
    maybe_send_extras (self);
    if (!send_entry (self, p, &err)) {
      ret = send_failed (self, err);
      if (ret != GST_FLOW_OK)
        return ret;
    }
  }
  /* block only while depth frames are in flight ... */
  ret = gst_vsock_enc_session_wait (self, self->depth - 1, -1);
  if (ret != GST_FLOW_OK || !self->live)
    return ret;
  /* ... but a live source has time until its next frame: the reply that
   * comes within it leaves now, not with the next frame (which, from a
   * screen that does not change, may be seconds away) */
  return gst_vsock_enc_session_wait (self, 0, g_get_monotonic_time () +
      (gint64) (gst_vsock_enc_live_budget (self) / GST_USECOND));
}

/* How long handle_frame may wait for replies when upstream is live: three
 * quarters of a frame interval (the negotiated rate, or the last gap
 * between timestamps), within 2..200 ms. */
GstClockTime
gst_vsock_enc_live_budget (GstVsockEnc * self)
{
  const GstVideoInfo *info = &self->input_state->info;
  GstClockTime dur = 200 * GST_MSECOND;

  if (info->fps_n > 0 && info->fps_d > 0)
    dur = gst_util_uint64_scale_int (GST_SECOND, info->fps_d, info->fps_n);
  else if (GST_CLOCK_TIME_IS_VALID (self->pts_gap) && self->pts_gap > 0)
    dur = self->pts_gap;
  return CLAMP (dur / 4 * 3, 2 * GST_MSECOND, 200 * GST_MSECOND);
}

/* ---- finishing frames ---------------------------------------------------- */

static gboolean
error_is_transient (gint32 code)
{
  return code == HXFR_ERR_ENCODE_FAILED || code == HXFR_ERR_BUSY ||
      code == HXFR_ERR_LIMIT || code == HXFR_ERR_NOT_CONFIGURED;
}

static GstFlowReturn
finish_error (GstVsockEnc * self, GstVsockEncPending * p,
    GstVideoCodecFrame * frame)
{
  const gchar *msg = p->message ? p->message : "";

  if (!error_is_transient (p->code)) {
    GST_ELEMENT_ERROR (self, STREAM, ENCODE,
        ("hostencd could not encode a frame: %s", msg),
        ("ERROR %d (%s) for frame %u", p->code, hxfr_error_name (p->code),
            p->seq));
    gst_video_encoder_finish_frame (GST_VIDEO_ENCODER (self), frame);
    return GST_FLOW_ERROR;
  }
  /* dropped, and the host's encoder state is unknown: restart from an IDR */
  self->force_next_key = TRUE;
  if (++self->error_run == 1)
    GST_ELEMENT_WARNING (self, STREAM, ENCODE,
        ("hostencd dropped a frame: %s", msg),
        ("ERROR %d (%s) for frame %u; later ones are logged only", p->code,
            hxfr_error_name (p->code), p->seq));
  else
    GST_WARNING_OBJECT (self, "frame %u: ERROR %d (%s): %s", p->seq, p->code,
        hxfr_error_name (p->code), msg);
  if (self->error_run >= MAX_ERROR_RUN) {
    GST_ELEMENT_ERROR (self, STREAM, ENCODE,
        ("hostencd failed %u frames in a row: %s", self->error_run, msg),
        ("last ERROR %d (%s)", p->code, hxfr_error_name (p->code)));
    gst_video_encoder_finish_frame (GST_VIDEO_ENCODER (self), frame);
    return GST_FLOW_ERROR;
  }
  return gst_video_encoder_finish_frame (GST_VIDEO_ENCODER (self), frame);
}

static GstFlowReturn
finish_entry (GstVsockEnc * self, GstVsockEncPending * p)
{
  GstVideoCodecFrame *frame = g_steal_pointer (&p->frame);

  if (!frame)                   /* discarded by a flush */
    return GST_FLOW_OK;
  if (p->forced && !(p->kind == GST_VSOCK_ENC_REPLY_FRAME && p->keyframe))
    self->force_next_key = TRUE;        /* the IDR asked for is still owed */
  switch (p->kind) {
    case GST_VSOCK_ENC_REPLY_FRAME:
      self->error_run = 0;
      if (p->keyframe) {
        GST_VIDEO_CODEC_FRAME_SET_SYNC_POINT (frame);
        if (p->seq - self->last_key_seq < G_MAXUINT32 / 2)
          self->last_key_seq = p->seq;
      }
      frame->output_buffer = g_steal_pointer (&p->au);
      return gst_video_encoder_finish_frame (GST_VIDEO_ENCODER (self), frame);
    case GST_VSOCK_ENC_REPLY_DROPPED:
      /* dropped before encoding (host busy): no output, the stream goes on */
      GST_DEBUG_OBJECT (self, "hostencd dropped frame %u", p->seq);
      return gst_video_encoder_finish_frame (GST_VIDEO_ENCODER (self), frame);
    case GST_VSOCK_ENC_REPLY_ERROR:
      return finish_error (self, p, frame);
    case GST_VSOCK_ENC_REPLY_NONE:
    default:
      break;
  }
  gst_video_codec_frame_unref (frame);
  return GST_FLOW_OK;
}

/* Finish, in order, every frame whose reply is in. */
static GstFlowReturn
finish_ready (GstVsockEnc * self)
{
  for (;;) {
    GstVsockEncPending *p = NULL;
    GstFlowReturn ret;

    g_mutex_lock (&self->lock);
    if (self->n_answered > 0) {
      p = g_queue_pop_head (&self->pending);
      self->n_answered--;
    }
    g_mutex_unlock (&self->lock);
    if (!p)
      return GST_FLOW_OK;
    ret = finish_entry (self, p);
    gst_vsock_enc_pending_free (p);
    if (ret != GST_FLOW_OK)
      return ret;
  }
}

static gint64
reply_deadline_locked (GstVsockEnc * self)
{
  GstVsockEncPending *p = g_queue_peek_nth (&self->pending, self->n_answered);
  gint64 from = p && p->sent_us ? p->sent_us : g_get_monotonic_time ();

  return from + (gint64) self->io_timeout_ms * G_TIME_SPAN_MILLISECOND;
}

/* Finish frames as their replies come in until at most @limit are in
 * flight, or until @until_us (monotonic, -1 = no limit) passes. A missing
 * reply (io-timeout) or a lost connection is recovered here. */
GstFlowReturn
gst_vsock_enc_session_wait (GstVsockEnc * self, guint limit, gint64 until_us)
{
  for (;;) {
    GstFlowReturn ret = finish_ready (self);
    gboolean timed_out = FALSE, soft = FALSE;

    if (ret != GST_FLOW_OK)
      return ret;
    g_mutex_lock (&self->lock);
    while (self->n_answered == 0 && unanswered_locked (self) > limit
        && !self->lost && !self->flushing && !self->closing) {
      gint64 deadline = reply_deadline_locked (self);

      if (until_us >= 0 && until_us < deadline) {
        deadline = until_us;
        soft = TRUE;
      }
      if (!g_cond_wait_until (&self->cond, &self->lock, deadline)
          && g_get_monotonic_time () >= deadline) {
        timed_out = TRUE;
        break;
      }
      soft = FALSE;
    }
    if (self->closing || self->flushing) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_FLUSHING;
    }
    if (self->n_answered > 0) {
      g_mutex_unlock (&self->lock);
      continue;
    }
    if (timed_out && soft && !self->lost) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_OK;       /* waited long enough; the rest stays in flight */
    }
    if (timed_out && !self->lost) {
      self->lost = TRUE;
      g_free (self->lost_reason);
      self->lost_reason = g_strdup_printf ("no reply from hostencd within "
          "%u ms", self->io_timeout_ms);
    }
    if (!self->lost) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_OK;       /* few enough in flight */
    }
    g_mutex_unlock (&self->lock);
    ret = gst_vsock_enc_session_recover (self);
    if (ret != GST_FLOW_OK)
      return ret;
  }
}

/* ---- flushing ---------------------------------------------------------- */

void
gst_vsock_enc_session_discard (GstVsockEnc * self, gboolean all)
{
  GstVsockEncPending *p;

  g_mutex_lock (&self->lock);
  /* answered: gone; unanswered: forget the frame, keep the entry so that
   * its reply still finds it (the connection stays in step) */
  while (self->n_answered > 0 || (all && self->pending.length > 0)) {
    p = g_queue_pop_head (&self->pending);
    if (self->n_answered > 0)
      self->n_answered--;
    gst_vsock_enc_pending_free (p);
  }
  for (GList * l = self->pending.head; l; l = l->next) {
    p = l->data;
    if (p->frame)
      gst_video_codec_frame_unref (p->frame);
    p->frame = NULL;
  }
  g_mutex_unlock (&self->lock);
}

/* ---- reconnecting ------------------------------------------------------ */

/* After a connection is gone: frames without a reply are sent again on the
 * next one (a flushed frame is just dropped), and nothing is in the ring. */
static void
reset_for_resend (GstVsockEnc * self)
{
  GList *l, *next;

  g_mutex_lock (&self->lock);
  for (l = g_queue_peek_nth_link (&self->pending, self->n_answered); l;
      l = next) {
    GstVsockEncPending *p = l->data;

    next = l->next;
    if (!p->frame) {
      g_queue_delete_link (&self->pending, l);
      gst_vsock_enc_pending_free (p);
      continue;
    }
    p->sent_us = 0;
    p->slot = -1;
  }
  if (self->shm)
    gst_vsock_enc_shm_release_all (self->shm);
  self->force_next_key = TRUE;  /* a new session starts a new stream */
  g_mutex_unlock (&self->lock);
}

static gboolean
resend_all (GstVsockEnc * self, GError ** err)
{
  GPtrArray *todo = g_ptr_array_new ();
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  for (GList * l = g_queue_peek_nth_link (&self->pending, self->n_answered);
      l; l = l->next)
    g_ptr_array_add (todo, l->data);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < todo->len && ok; i++)
    ok = send_entry (self, g_ptr_array_index (todo, i), err);
  if (todo->len)
    GST_INFO_OBJECT (self, "re-sent %u frames", todo->len);
  g_ptr_array_unref (todo);
  return ok;
}

/* Sleep @ms unless stopping or flushing. FALSE when interrupted. */
static gboolean
backoff_sleep (GstVsockEnc * self, guint ms)
{
  gint64 until = g_get_monotonic_time () +
      (gint64) ms * G_TIME_SPAN_MILLISECOND;
  gboolean go_on;

  g_mutex_lock (&self->lock);
  while (!self->closing && !self->flushing) {
    if (!g_cond_wait_until (&self->cond, &self->lock, until))
      break;                    /* slept the whole time */
  }
  go_on = !self->closing && !self->flushing;
  g_mutex_unlock (&self->lock);
  return go_on;
}

static void
post_reconnected (GstVsockEnc * self, guint attempts)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("vsockenc-reconnected",
              "address", G_TYPE_STRING, self->address,
              "attempts", G_TYPE_UINT, attempts,
              "frame-path", G_TYPE_STRING, self->use_ring ? "shm" : "inline",
              NULL)));
}

GstFlowReturn
gst_vsock_enc_session_recover (GstVsockEnc * self)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *reason = NULL;
  guint backoff = BACKOFF_FIRST_MS, attempts = 0;
  gint64 deadline, left_ms;

  g_mutex_lock (&self->lock);
  reason = g_strdup (self->lost_reason ? self->lost_reason : "connection lost");
  g_mutex_unlock (&self->lock);
  if (!self->lost_since_us) {
    self->lost_since_us = g_get_monotonic_time ();
    GST_WARNING_OBJECT (self, "lost hostencd at %s (%s): reconnecting for up "
        "to %u ms", self->address, reason, self->connect_timeout_ms);
  }
  deadline = self->lost_since_us +
      (gint64) self->connect_timeout_ms * G_TIME_SPAN_MILLISECOND;
  for (;;) {
    gint64 attempt_deadline = MAX (deadline,
        g_get_monotonic_time () + MIN_ATTEMPT_US);

    g_clear_error (&err);
    gst_vsock_enc_session_close (self);
    reset_for_resend (self);
    attempts++;
    if (gst_vsock_enc_session_open (self, attempt_deadline, &err)
        && gst_vsock_enc_session_configure (self, &err)
        && resend_all (self, &err))
      break;
    gst_vsock_enc_session_mark_lost (self, err->message);
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return GST_FLOW_FLUSHING;
    if (err->domain != G_IO_ERROR)
      goto err_refused;
    GST_DEBUG_OBJECT (self, "reconnect attempt %u: %s", attempts,
        err->message);
    left_ms = (deadline - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND;
    if (left_ms <= 0)
      goto err_gave_up;
    /* the last attempt comes at the deadline */
    if (!backoff_sleep (self, (guint) MIN ((gint64) backoff, left_ms)))
      return GST_FLOW_FLUSHING;
    backoff = MIN (backoff * 2, BACKOFF_MAX_MS);
  }
  GST_INFO_OBJECT (self, "reconnected to hostencd at %s after %u attempts",
      self->address, attempts);
  self->lost_since_us = 0;
  g_mutex_lock (&self->lock);
  self->n_reconnects++;
  g_mutex_unlock (&self->lock);
  post_reconnected (self, attempts);
  return GST_FLOW_OK;

  /* ERRORS */
err_refused:
  {
    GST_ELEMENT_ERROR (self, STREAM, ENCODE, ("Reconnected to hostencd at %s, "
            "but %s", self->address, err->message), ("lost it first: %s",
            reason));
    return GST_FLOW_ERROR;
  }
err_gave_up:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Lost the connection to "
            "hostencd at %s and could not reconnect within %u ms: %s",
            self->address, self->connect_timeout_ms, err->message),
        ("connection lost: %s; %u attempts", reason, attempts));
    return GST_FLOW_ERROR;
  }
}

/* ---- latency ----------------------------------------------------------- */

void
gst_vsock_enc_session_update_latency (GstVsockEnc * self, gboolean force)
{
  const GstVideoInfo *info;
  GstClockTime dur = 0, min, max, rtt, ping;
  gint64 now = g_get_monotonic_time ();
  gboolean measured;

  if (!self->input_state)
    return;
  g_mutex_lock (&self->lock);
  measured = self->rtt_count >= RTT_SAMPLES_FOR_LATENCY;
  rtt = measured ? self->rtt_ns : 0;
  ping = self->ping_rtt_ns;
  g_mutex_unlock (&self->lock);
  /* the first measurement replaces the estimate at once; then at most
   * one update a second, and only for a change of 10 % and 1 ms */
  if (!force && (!measured || self->latency_measured)) {
    GstClockTime old = self->latency_rtt_ns;
    GstClockTime diff = rtt > old ? rtt - old : old - rtt;

    if (!measured || now - self->latency_set_us < LATENCY_UPDATE_US)
      return;
    self->latency_set_us = now;
    if (diff * 10 < old || diff < GST_MSECOND)
      return;
  }
  info = &self->input_state->info;
  if (info->fps_n > 0 && info->fps_d > 0)
    dur = gst_util_uint64_scale_int (GST_SECOND, info->fps_d, info->fps_n);
  if (!rtt)                     /* not measured yet: the PING round trip
                                 * and about one frame's encode */
    rtt = ping + (dur ? dur : 33 * GST_MSECOND);
  self->latency_measured = measured;
  /* Frame N's output leaves during handle_frame(N + depth - 1), or once
   * its reply is in, whichever is later; from a live source, as soon as
   * its reply is in when that takes less than the wait budget. */
  if (self->live && rtt < gst_vsock_enc_live_budget (self))
    min = max = rtt;
  else {
    min = MAX ((self->depth - 1) * dur, rtt);
    max = (self->depth - 1) * dur + rtt;
  }
  self->latency_rtt_ns = rtt;
  self->latency_set_us = now;
  GST_DEBUG_OBJECT (self, "latency %" GST_TIME_FORMAT " .. %" GST_TIME_FORMAT
      " (round trip %" GST_TIME_FORMAT ", %u in flight)", GST_TIME_ARGS (min),
      GST_TIME_ARGS (max), GST_TIME_ARGS (rtt), self->depth);
  gst_video_encoder_set_latency (GST_VIDEO_ENCODER (self), min, max);
}
