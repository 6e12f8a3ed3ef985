/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * SECTION:element-vsockenc
 * @title: vsockenc
 *
 * Encodes raw video to H.264 with the encoder of the VM's host: frames go
 * to hostencd over HXFR (docs/protocol.md) through a shared-memory ring
 * (an ivshmem device) when one is configured and offered, inline on the
 * stream otherwise, and the host's access units come back in order.
 * The path in use is the read-only #GstVsockEnc:frame-path property and
 * a "vsockenc-frame-path" element message.
 *
 * Pipelining: up to #GstVsockEnc:max-inflight frames are with the host at
 * once; a reader thread matches replies to them in order and the
 * streaming thread finishes them (gst_video_encoder_finish_frame() is only
 * ever called from handle_frame, finish and set_format). handle_frame
 * blocks only while max-inflight frames are outstanding. From a live
 * source it also waits, up to three quarters of a frame interval, for the
 * reply of the frame it just sent, so that output does not wait for the
 * next input (a still screen may send none for seconds). The latency
 * reported is the measured round trip (live) or
 * max((max-inflight - 1) frames, round trip).
 *
 * Replies: a keyframe gets the sync-point flag (no DELTA_UNIT). DROPPED
 * (the host's queue was full) drops the frame, as does an ERROR whose code
 * is transient (ENCODE_FAILED, BUSY, LIMIT, NOT_CONFIGURED): the first of a
 * run is posted as a warning, the next frame is forced to an IDR, and 30
 * in a row become an element error. Any other ERROR code (INVALID_MSG,
 * UNSUPPORTED, SHM, INTERNAL, ...) means the two sides disagree and is an
 * element error at once.
 *
 * Connection: a host that cannot be reached at start fails the change to
 * PAUSED with a RESOURCE/OPEN_READ_WRITE error naming the address. A host
 * that goes away (or does not answer within #GstVsockEnc:io-timeout) is
 * reconnected with backoff for up to #GstVsockEnc:connect-timeout: HELLO,
 * ring and CONFIG again, the frames that had no reply are sent again and
 * the first of them is an IDR; then a RESOURCE/WRITE error.
 *
 * ## Example launch line (in a QEMU guest with user networking and ivshmem)
 * |[
 * gst-launch-1.0 pipewiresrc ! videoconvert ! vsockenc host=tcp:10.0.2.2:15937 \
 *     shm-path=/sys/bus/pci/devices/0000:00:04.0/resource2 ! h264parse ! ...
 * ]|
 */
#include "gstvsockenc.h"
#include "gstvsockencdevices.h"

#include <string.h>
#include <sys/eventfd.h>

GST_DEBUG_CATEGORY (gst_vsock_enc_debug);
#define GST_CAT_DEFAULT gst_vsock_enc_debug

#define DEFAULT_HOST "tcp:10.0.2.2:15937"
#define DEFAULT_SHM_OFFSET 0
#define DEFAULT_SHM_SIZE 0
#define DEFAULT_USE_SHM TRUE
#define DEFAULT_BITRATE 0
#define DEFAULT_KEY_INT_MAX 0
#define DEFAULT_CONNECT_TIMEOUT 5000
#define DEFAULT_IO_TIMEOUT 10000
#define DEFAULT_KEEPALIVE 30000 /* ms; hostencd closes silent sessions after 120 s */
/* hostencd queues two frames besides the one it encodes; two in flight
 * overlap the transfer of frame N+1 with the encoding of frame N and never
 * make the host drop one. */
#define DEFAULT_MAX_INFLIGHT 2

enum
{
  PROP_0,
  PROP_HOST,
  PROP_SHM_PATH,
  PROP_SHM_OFFSET,
  PROP_SHM_SIZE,
  PROP_SHM_NAME,
  PROP_STREAM_NAME,
  PROP_POOL,
  PROP_KEEPALIVE,
  PROP_USE_SHM,
  PROP_BITRATE,
  PROP_KEY_INT_MAX,
  PROP_CONNECT_TIMEOUT,
  PROP_IO_TIMEOUT,
  PROP_MAX_INFLIGHT,
  PROP_FRAME_PATH,
  PROP_STATS,
};

#define FORMATS "{ BGRx, BGRA, RGBx, RGBA, NV12, I420 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format = (string) " FORMATS ", "
        "width = (int) [ 16, 8192 ], height = (int) [ 16, 8192 ], "
        "framerate = (fraction) [ 0/1, MAX ]"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) byte-stream, "
        "alignment = (string) au, "
        "profile = (string) { constrained-baseline, main, high }"));

static const struct
{
  GstVideoFormat gst;
  guint32 fourcc;
} formats[] = {
  {GST_VIDEO_FORMAT_BGRx, HXFR_FMT_BGRX},
  {GST_VIDEO_FORMAT_BGRA, HXFR_FMT_BGRA},
  {GST_VIDEO_FORMAT_RGBx, HXFR_FMT_RGBX},
  {GST_VIDEO_FORMAT_RGBA, HXFR_FMT_RGBA},
  {GST_VIDEO_FORMAT_NV12, HXFR_FMT_NV12},
  {GST_VIDEO_FORMAT_I420, HXFR_FMT_I420},
};

#define gst_vsock_enc_parent_class parent_class
G_DEFINE_TYPE (GstVsockEnc, gst_vsock_enc, GST_TYPE_VIDEO_ENCODER)
GST_ELEMENT_REGISTER_DEFINE (vsockenc, "vsockenc", GST_RANK_NONE,
    GST_TYPE_VSOCK_ENC)

static guint32
fourcc_for (GstVideoFormat f)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (formats[i].gst == f)
      return formats[i].fourcc;
  return 0;
}

static const gchar *
profile_name (guint8 profile_idc)
{
  switch (profile_idc) {
    case 66:
      return "constrained-baseline";    /* what hostencd produces */
    case 77:
      return "main";
    case 100:
      return "high";
    default:
      return NULL;
  }
}

/* ---- GObject ------------------------------------------------------------- */

static void
gst_vsock_enc_init (GstVsockEnc * self)
{
  self->host = g_strdup (DEFAULT_HOST);
  self->shm_name = g_strdup ("");
  self->shm_offset = DEFAULT_SHM_OFFSET;
  self->shm_size = DEFAULT_SHM_SIZE;
  self->use_shm = DEFAULT_USE_SHM;
  self->offer_pool = TRUE;
  self->keepalive = DEFAULT_KEEPALIVE;
  self->bitrate = DEFAULT_BITRATE;
  self->key_int_max = DEFAULT_KEY_INT_MAX;
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  self->io_timeout = DEFAULT_IO_TIMEOUT;
  self->max_inflight = DEFAULT_MAX_INFLIGHT;
  self->link.fd = -1;
  self->cancel_fd = -1;
  self->frame_path = "none";
  g_mutex_init (&self->lock);
  g_mutex_init (&self->wlock);
  g_cond_init (&self->cond);
  g_queue_init (&self->pending);
}

static void
gst_vsock_enc_finalize (GObject * object)
{
  GstVsockEnc *self = GST_VSOCK_ENC (object);

  /* stop() ran if the element ever started; this is belt and braces */
  gst_vsock_enc_session_close (self);
  gst_vsock_enc_session_discard (self, TRUE);
  gst_vsock_enc_shm_unref (self->shm);
  g_free (self->host);
  g_free (self->shm_path);
  g_free (self->shm_name);
  g_free (self->stream_name);
  g_free (self->address);
  g_free (self->lost_reason);
  g_free (self->ctrl_message);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->wlock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_vsock_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVsockEnc *self = GST_VSOCK_ENC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HOST:
      g_free (self->host);
      self->host = g_value_dup_string (value);
      break;
    case PROP_SHM_PATH:
      g_free (self->shm_path);
      self->shm_path = g_value_dup_string (value);
      if (self->shm_path && !self->shm_path[0])
        g_clear_pointer (&self->shm_path, g_free);
      break;
    case PROP_SHM_OFFSET:
      self->shm_offset = g_value_get_uint64 (value);
      break;
    case PROP_SHM_SIZE:
      self->shm_size = g_value_get_uint64 (value);
      break;
    case PROP_SHM_NAME:
      g_free (self->shm_name);
      self->shm_name = g_value_dup_string (value);
      if (!self->shm_name)
        self->shm_name = g_strdup ("");
      break;
    case PROP_POOL:
      self->offer_pool = g_value_get_boolean (value);
      break;
    case PROP_KEEPALIVE:
      self->keepalive = g_value_get_uint (value);
      break;
    case PROP_STREAM_NAME:
      g_free (self->stream_name);
      self->stream_name = g_value_dup_string (value);
      break;
    case PROP_USE_SHM:
      self->use_shm = g_value_get_boolean (value);
      break;
    case PROP_BITRATE:
      self->bitrate = g_value_get_uint (value);
      self->bitrate_dirty = TRUE;
      break;
    case PROP_KEY_INT_MAX:
      self->key_int_max = g_value_get_uint (value);
      break;
    case PROP_CONNECT_TIMEOUT:
      self->connect_timeout = g_value_get_uint (value);
      break;
    case PROP_IO_TIMEOUT:
      self->io_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_INFLIGHT:
      self->max_inflight = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStructure *
make_stats (GstVsockEnc * self)
{
  GstStructure *s;

  g_mutex_lock (&self->lock);
  s = gst_structure_new ("vsockenc-stats",
      "frame-path", G_TYPE_STRING, self->frame_path,
      "encoder", G_TYPE_STRING, self->have_hello ? self->hello.encoder : "",
      "hardware", G_TYPE_BOOLEAN, self->have_hello
      && (self->hello.encoder_flags & HXFR_ENC_HARDWARE),
      "frames-sent", G_TYPE_UINT64, self->n_sent,
      "frames-copied", G_TYPE_UINT64, self->n_copied,
      "frames-in-place", G_TYPE_UINT64, self->n_zero_copy,
      "frames-encoded", G_TYPE_UINT64, self->n_encoded,
      "frames-dropped", G_TYPE_UINT64, self->n_dropped,
      "frame-errors", G_TYPE_UINT64, self->n_errors,
      "keyframes", G_TYPE_UINT64, self->n_keyframes,
      "reconnects", G_TYPE_UINT64, self->n_reconnects,
      "rtt", G_TYPE_UINT64, self->rtt_ns,
      "rtt-mean", G_TYPE_UINT64,
      self->rtt_count ? self->rtt_sum_ns / self->rtt_count : 0,
      "rtt-min", G_TYPE_UINT64, self->rtt_min_ns,
      "rtt-max", G_TYPE_UINT64, self->rtt_max_ns,
      "ping-rtt", G_TYPE_UINT64, self->ping_rtt_ns, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}

static void
gst_vsock_enc_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstVsockEnc *self = GST_VSOCK_ENC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, make_stats (self));
    return;
  }
  if (prop_id == PROP_FRAME_PATH) {
    g_mutex_lock (&self->lock);
    g_value_set_string (value, self->frame_path);
    g_mutex_unlock (&self->lock);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_SHM_PATH:
      g_value_set_string (value, self->shm_path);
      break;
    case PROP_SHM_OFFSET:
      g_value_set_uint64 (value, self->shm_offset);
      break;
    case PROP_SHM_SIZE:
      g_value_set_uint64 (value, self->shm_size);
      break;
    case PROP_SHM_NAME:
      g_value_set_string (value, self->shm_name);
      break;
    case PROP_POOL:
      g_value_set_boolean (value, self->offer_pool);
      break;
    case PROP_KEEPALIVE:
      g_value_set_uint (value, self->keepalive);
      break;
    case PROP_STREAM_NAME:
      g_value_set_string (value, self->stream_name);
      break;
    case PROP_USE_SHM:
      g_value_set_boolean (value, self->use_shm);
      break;
    case PROP_BITRATE:
      g_value_set_uint (value, self->bitrate);
      break;
    case PROP_KEY_INT_MAX:
      g_value_set_uint (value, self->key_int_max);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout);
      break;
    case PROP_IO_TIMEOUT:
      g_value_set_uint (value, self->io_timeout);
      break;
    case PROP_MAX_INFLIGHT:
      g_value_set_uint (value, self->max_inflight);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- start / stop -------------------------------------------------------- */

static void
reset_state (GstVsockEnc * self)
{
  g_mutex_lock (&self->lock);
  self->closing = FALSE;
  self->flushing = FALSE;
  self->lost = FALSE;
  g_clear_pointer (&self->lost_reason, g_free);
  self->have_hello = FALSE;
  self->frame_path = "none";
  self->n_sent = self->n_encoded = self->n_dropped = self->n_errors = 0;
  self->n_copied = self->n_zero_copy = 0;
  self->n_keyframes = self->n_reconnects = 0;
  self->rtt_ns = self->rtt_min_ns = self->rtt_max_ns = 0;
  self->rtt_sum_ns = self->rtt_count = self->ping_rtt_ns = 0;
  g_mutex_unlock (&self->lock);
  self->seq = 0;
  self->last_wire_pts = 0;
  self->have_key_seq = FALSE;
  self->force_next_key = FALSE;
  self->lost_since_us = 0;
  self->error_run = 0;
  self->use_ring = FALSE;
  self->shm_warned = FALSE;
  self->latency_rtt_ns = 0;
  self->latency_set_us = 0;
  self->latency_measured = FALSE;
  self->live = FALSE;
  self->last_pts = self->pts_gap = GST_CLOCK_TIME_NONE;
}

static gboolean
stream_name_ok (const gchar * name)
{
  gsize n = strlen (name);

  if (n >= HXFR_SHORT_NAME_MAX)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (name[i] < 0x20 || name[i] > 0x7e)
      return FALSE;
  return TRUE;
}

static gboolean
copy_settings (GstVsockEnc * self, GError ** err)
{
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (self);
  g_free (self->address);
  self->address = g_strdup (self->host);
  self->connect_timeout_ms = self->connect_timeout;
  self->io_timeout_ms = self->io_timeout;
  self->keepalive_ms = self->keepalive;
  self->max_inflight_prop = self->max_inflight;
  if (strlen (self->shm_name) >= HXFR_SHORT_NAME_MAX) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "shm-name '%s' is longer than %u characters", self->shm_name,
        HXFR_SHORT_NAME_MAX - 1);
    ok = FALSE;
  }
  if (ok && self->stream_name && !stream_name_ok (self->stream_name)) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "stream-name '%s' must be 1 to %u printable ASCII characters",
        self->stream_name, HXFR_SHORT_NAME_MAX - 1);
    ok = FALSE;
  }
  GST_OBJECT_UNLOCK (self);
  return ok && gst_vsock_enc_link_check_address (self->address, err);
}

/* Map the shared region when it is configured; a region that cannot be
 * used is a warning, and frames go inline. */
static void
open_shm (GstVsockEnc * self)
{
  g_autoptr (GError) err = NULL;
  gchar *path;
  guint64 offset, size;
  gboolean use;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->shm_path);
  offset = self->shm_offset;
  size = self->shm_size;
  use = self->use_shm;
  GST_OBJECT_UNLOCK (self);
  if (path && use && g_str_equal (path, "auto")) {
    g_free (path);
    path = gst_vsock_enc_find_ivshmem (NULL, NULL, &err);
    if (!path) {
      self->shm_warned = TRUE;
      GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
          ("Not using shared memory, sending frames inline: %s",
              err->message), ("shm-path auto"));
      return;
    }
    GST_INFO_OBJECT (self, "shm-path auto: the ivshmem region is %s", path);
  }
  if (path && use) {
    self->shm = gst_vsock_enc_shm_open (path, offset, size, &err);
    if (!self->shm) {
      self->shm_warned = TRUE;
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ_WRITE,
          ("Not using shared memory, sending frames inline: %s",
              err->message), ("shm-path %s", path));
    }
  } else if (path) {
    GST_INFO_OBJECT (self, "use-shm=false: ignoring shm-path %s", path);
  }
  g_free (path);
}

static gboolean
gst_vsock_enc_start (GstVideoEncoder * enc)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);
  g_autoptr (GError) err = NULL;
  gint64 deadline;

  reset_state (self);
  if (!copy_settings (self, &err))
    goto err_settings;
  open_shm (self);
  deadline = g_get_monotonic_time () +
      (gint64) self->connect_timeout_ms * G_TIME_SPAN_MILLISECOND;
  if (!gst_vsock_enc_session_open (self, deadline, &err))
    goto err_connect;
  return TRUE;

  /* ERRORS */
err_settings:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message),
        ("host=%s", self->address ? self->address : "(null)"));
    return FALSE;
  }
err_connect:
  {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
          ("Could not connect to hostencd at %s: no answer within %u ms",
              self->address, self->connect_timeout_ms),
          ("is hostencd running and listening there (hostencd --listen)?"));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
          ("Could not connect to hostencd at %s: %s", self->address,
              err->message),
          ("is hostencd running and listening there (hostencd --listen)?"));
    gst_vsock_enc_shm_unref (g_steal_pointer (&self->shm));
    return FALSE;
  }
}

static gboolean
gst_vsock_enc_stop (GstVideoEncoder * enc)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);

  g_mutex_lock (&self->lock);
  self->closing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  gst_vsock_enc_session_close (self);
  gst_vsock_enc_session_discard (self, TRUE);
  gst_vsock_enc_session_drop_pool (self, TRUE);
  gst_vsock_enc_shm_unref (g_steal_pointer (&self->shm));
  gst_clear_buffer (&self->scratch);
  g_clear_pointer (&self->input_state, gst_video_codec_state_unref);
  g_mutex_lock (&self->lock);
  self->have_hello = FALSE;
  self->frame_path = "none";
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Before the base class deactivates the pads (which waits for the
 * streaming thread): wake every wait of ours. */
static GstStateChangeReturn
gst_vsock_enc_change_state (GstElement * element, GstStateChange transition)
{
  GstVsockEnc *self = GST_VSOCK_ENC (element);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    gst_vsock_enc_session_goodbye (self);
    g_mutex_lock (&self->lock);
    self->closing = TRUE;
    if (self->cancel_fd >= 0)
      (void) eventfd_write (self->cancel_fd, 1);
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* ---- negotiation --------------------------------------------------------- */

static GstCaps *
gst_vsock_enc_getcaps (GstVideoEncoder * enc, GstCaps * filter)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);
  GValue list = G_VALUE_INIT;
  GstCaps *caps, *ret;
  guint32 accepted = HXFR_FMTBIT_ALL;

  g_mutex_lock (&self->lock);
  if (self->have_hello)
    accepted = self->hello.formats;
  g_mutex_unlock (&self->lock);
  if ((accepted & HXFR_FMTBIT_ALL) == HXFR_FMTBIT_ALL)
    return gst_video_encoder_proxy_getcaps (enc, NULL, filter);

  /* offer only what this host takes */
  caps = gst_pad_get_pad_template_caps (GST_VIDEO_ENCODER_SINK_PAD (enc));
  caps = gst_caps_make_writable (caps);
  g_value_init (&list, GST_TYPE_LIST);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    GValue v = G_VALUE_INIT;

    if (!(accepted & hxfr_format_bit (formats[i].fourcc)))
      continue;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, gst_video_format_to_string (formats[i].gst));
    gst_value_list_append_and_take_value (&list, &v);
  }
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    gst_structure_set_value (gst_caps_get_structure (caps, i), "format",
        &list);
  g_value_unset (&list);
  ret = gst_video_encoder_proxy_getcaps (enc, caps, filter);
  gst_caps_unref (caps);
  return ret;
}

/* The layout HXFR describes: plane 0 with GStreamer's default stride, the
 * chroma planes right after it with the stride the protocol implies. */
static gboolean
make_wire_info (GstVsockEnc * self, const GstVideoInfo * in, guint32 fourcc)
{
  GstVideoInfo *wi = &self->wire_info;
  guint w = GST_VIDEO_INFO_WIDTH (in), h = GST_VIDEO_INFO_HEIGHT (in);
  guint64 size, stride0, cstride, rows, min_stride;
  guint planes = hxfr_format_planes (fourcc);

  if (!gst_video_info_set_format (wi, GST_VIDEO_INFO_FORMAT (in), w, h))
    return FALSE;
  stride0 = (guint64) GST_VIDEO_INFO_PLANE_STRIDE (wi, 0);
  cstride = planes == 2 ? stride0 : (stride0 + 1) / 2;
  for (guint i = 1; i < planes; i++) {
    wi->stride[i] = (gint) cstride;
    wi->offset[i] = i == 1 ? stride0 * h : stride0 * h + cstride * ((h + 1) / 2);
  }
  if (hxfr_format_frame_size (fourcc, w, h, (guint32) stride0, &size) < 0)
    return FALSE;
  wi->size = size;
  for (guint i = 0; i < planes; i++) {
    hxfr_format_plane_geometry (fourcc, i, w, h, &min_stride, &rows);
    self->plane_len[i] = (gsize) ((guint64) wi->stride[i] * rows);
  }
  self->fourcc = fourcc;
  self->wire_size = (gsize) size;
  gst_clear_buffer (&self->scratch);
  self->scratch = gst_buffer_new_allocate (NULL, self->wire_size, NULL);
  return self->scratch != NULL;
}

static void
post_frame_path (GstVsockEnc * self)
{
  GST_INFO_OBJECT (self, "sending %ux%u %s frames to %s (%s) %s",
      GST_VIDEO_INFO_WIDTH (&self->wire_info),
      GST_VIDEO_INFO_HEIGHT (&self->wire_info),
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&self->wire_info)),
      self->address, self->hello.encoder,
      self->use_ring ? "through shared memory" : "inline");
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("vsockenc-frame-path",
              "path", G_TYPE_STRING, self->use_ring ? "shm" : "inline",
              "encoder", G_TYPE_STRING, self->hello.encoder,
              "hardware", G_TYPE_BOOLEAN,
              (self->hello.encoder_flags & HXFR_ENC_HARDWARE) != 0,
              "max-inflight", G_TYPE_UINT, self->depth, NULL)));
}

static gboolean
upstream_is_live (GstVsockEnc * self)
{
  GstQuery *q = gst_query_new_latency ();
  gboolean live = FALSE;

  if (gst_pad_peer_query (GST_VIDEO_ENCODER_SINK_PAD (self), q))
    gst_query_parse_latency (q, &live, NULL, NULL);
  gst_query_unref (q);
  GST_DEBUG_OBJECT (self, "upstream is %slive", live ? "" : "not ");
  return live;
}

static gboolean
gst_vsock_enc_set_format (GstVideoEncoder * enc, GstVideoCodecState * state)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);
  const GstVideoInfo *info = &state->info;
  guint32 fourcc = fourcc_for (GST_VIDEO_INFO_FORMAT (info));
  guint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  g_autoptr (GError) err = NULL;
  GstVideoCodecState *out;
  GstCaps *caps;
  const gchar *profile;

  /* frames of the old format first: a new ring layout needs an idle session */
  if (gst_vsock_enc_session_wait (self, 0, -1) != GST_FLOW_OK)
    return FALSE;
  if (!fourcc || !(self->hello.formats & hxfr_format_bit (fourcc)))
    goto err_format;
  if (w > self->hello.max_width || h > self->hello.max_height)
    goto err_size;
  if ((w | h) & 1)
    goto err_odd;
  if (!make_wire_info (self, info, fourcc))
    goto err_layout;
  g_clear_pointer (&self->input_state, gst_video_codec_state_unref);
  self->input_state = gst_video_codec_state_ref (state);
  g_atomic_int_set (&self->nav_width, GST_VIDEO_INFO_WIDTH (&state->info));
  g_atomic_int_set (&self->nav_height, GST_VIDEO_INFO_HEIGHT (&state->info));

  if (!gst_vsock_enc_session_configure (self, &err)) {
    if (err->domain != G_IO_ERROR)
      goto err_configure;
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return FALSE;
    gst_vsock_enc_session_mark_lost (self, err->message);
    if (gst_vsock_enc_session_recover (self) != GST_FLOW_OK)
      return FALSE;
  }

  caps = gst_caps_new_simple ("video/x-h264",
      "stream-format", G_TYPE_STRING, "byte-stream",
      "alignment", G_TYPE_STRING, "au", NULL);
  profile = profile_name (self->hello.profile);
  if (profile)
    gst_caps_set_simple (caps, "profile", G_TYPE_STRING, profile, NULL);
  out = gst_video_encoder_set_output_state (enc, caps, state);
  if (GST_VIDEO_INFO_IS_RGB (info)) {
    /* hostencd converts RGB with BT.601 limited range (and says so in the
     * VUI); the input's RGB colorimetry means nothing for YUV output */
    gst_video_colorimetry_from_string (&out->info.colorimetry,
        GST_VIDEO_COLORIMETRY_BT601);
    out->info.chroma_site = GST_VIDEO_CHROMA_SITE_MPEG2;
  }
  gst_video_codec_state_unref (out);
  self->live = upstream_is_live (self);
  gst_vsock_enc_session_update_latency (self, TRUE);
  post_frame_path (self);
  return TRUE;

  /* ERRORS */
err_format:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("hostencd at %s does not accept %s frames", self->address,
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info))),
        ("HELLO_RESP formats 0x%x", self->hello.formats));
    return FALSE;
  }
err_size:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("%ux%u frames are larger than hostencd at %s accepts (at most "
            "%ux%u)", w, h, self->address, self->hello.max_width,
            self->hello.max_height),
        ("raise hostencd --max-size, or scale the video down first"));
    return FALSE;
  }
err_odd:
  {
    /* libx264 and the hardware encoders take 4:2:0 with even sizes only */
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("%ux%u frames cannot be encoded: hostencd's H.264 (4:2:0) needs an "
            "even width and height", w, h),
        ("scale or crop to an even size first (videoscale, videocrop)"));
    return FALSE;
  }
err_layout:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Cannot describe %ux%u %s frames to hostencd", w, h,
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info))),
        ("no HXFR layout for these caps"));
    return FALSE;
  }
err_configure:
  {
    GST_ELEMENT_ERROR (self, STREAM, ENCODE,
        ("Could not set up encoding with hostencd at %s: %s", self->address,
            err->message), ("%ux%u %s", w, h,
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info))));
    return FALSE;
  }
}

static gboolean
gst_vsock_enc_propose_allocation (GstVideoEncoder * enc, GstQuery * query)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);
  GstBufferPool *pool = NULL;
  GstCaps *caps = NULL;
  GstVideoInfo info;
  gboolean offer;

  /* ring slots as buffers, for upstream to draw into: no copy here */
  GST_OBJECT_LOCK (self);
  offer = self->offer_pool;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->lock);
  if (self->pool && offer)
    pool = gst_object_ref (self->pool);
  g_mutex_unlock (&self->lock);
  gst_query_parse_allocation (query, &caps, NULL);
  if (pool && caps && gst_video_info_from_caps (&info, caps)
      && GST_VIDEO_INFO_FORMAT (&info) ==
      GST_VIDEO_INFO_FORMAT (&self->wire_info)
      && GST_VIDEO_INFO_WIDTH (&info) == GST_VIDEO_INFO_WIDTH (&self->wire_info)
      && GST_VIDEO_INFO_HEIGHT (&info) ==
      GST_VIDEO_INFO_HEIGHT (&self->wire_info)) {
    guint n = gst_vsock_enc_shm_slot_count (self->shm);

    gst_query_add_allocation_pool (query, pool,
        GST_VIDEO_INFO_SIZE (&self->wire_info), n, n);
    GST_DEBUG_OBJECT (self, "proposing the ring's %u slots as buffers", n);
  }
  if (pool)
    gst_object_unref (pool);
  /* any strides and plane offsets otherwise: the copy to the wire honours
   * them */
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  return GST_VIDEO_ENCODER_CLASS (parent_class)->propose_allocation (enc,
      query);
}

/* ---- data flow ----------------------------------------------------------- */

static GstFlowReturn
gst_vsock_enc_handle_frame (GstVideoEncoder * enc, GstVideoCodecFrame * frame)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);
  GstFlowReturn ret;

  if (G_UNLIKELY (!self->input_state)) {
    gst_video_codec_frame_unref (frame);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("No input format"),
        ("handle_frame before set_format"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  ret = gst_vsock_enc_session_submit (self, frame);
  gst_vsock_enc_session_update_latency (self, FALSE);
  return ret;
}

/* EOS: every frame in flight comes back and goes out. */
static GstFlowReturn
gst_vsock_enc_finish (GstVideoEncoder * enc)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);

  GST_DEBUG_OBJECT (self, "draining");
  return gst_vsock_enc_session_wait (self, 0, -1);
}

static gboolean
gst_vsock_enc_flush (GstVideoEncoder * enc)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);

  gst_vsock_enc_session_discard (self, FALSE);
  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  self->force_next_key = TRUE;  /* decoding restarts after a seek */
  return TRUE;
}

static gboolean
gst_vsock_enc_sink_event (GstVideoEncoder * enc, GstEvent * event)
{
  GstVsockEnc *self = GST_VSOCK_ENC (enc);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START) {
    /* a streaming thread waiting for replies gives up */
    g_mutex_lock (&self->lock);
    self->flushing = TRUE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  return GST_VIDEO_ENCODER_CLASS (parent_class)->sink_event (enc, event);
}

/* ---- class --------------------------------------------------------------- */

static void
install_properties (GObjectClass * oc)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  const GParamFlags playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  g_object_class_install_property (oc, PROP_HOST,
      g_param_spec_string ("host", "Host",
          "Where hostencd listens: tcp:HOST:PORT (a QEMU guest with user "
          "networking reaches the host as 10.0.2.2), unix:PATH (a unix "
          "socket, or a virtio-serial port device such as "
          "/dev/virtio-ports/NAME), serial:NAME (the virtio-serial port of "
          "that name, found through sysfs; hostenc-vm's is "
          "org.hostenc.hxfr.0), or vsock:CID:PORT (the host is CID 2)",
          DEFAULT_HOST, rw));
  g_object_class_install_property (oc, PROP_SHM_PATH,
      g_param_spec_string ("shm-path", "Shared-memory file",
          "File shared with hostencd for the zero-copy frame path: in a VM the "
          "ivshmem device's BAR 2, /sys/bus/pci/devices/ADDRESS/resource2; "
          "\"auto\" finds it by its PCI ids (1af4:1110) through sysfs; any "
          "file given to hostencd --shm otherwise. Empty: frames go inline",
          NULL, rw));
  g_object_class_install_property (oc, PROP_SHM_OFFSET,
      g_param_spec_uint64 ("shm-offset", "Ring offset",
          "Byte offset of this encoder's ring in the shared file (a multiple "
          "of 4096; give each encoder sharing one file its own range)",
          0, G_MAXUINT64 - HXFR_RING_ALIGN, DEFAULT_SHM_OFFSET, rw));
  g_object_class_install_property (oc, PROP_SHM_SIZE,
      g_param_spec_uint64 ("shm-size", "Ring size",
          "Bytes of the shared file the ring may use from shm-offset; 0 = up "
          "to the end of the file", 0, G_MAXUINT64, DEFAULT_SHM_SIZE, rw));
  g_object_class_install_property (oc, PROP_SHM_NAME,
      g_param_spec_string ("shm-name", "Region name",
          "Name of the shared region on the host (hostencd --shm NAME=PATH); "
          "empty = its default region", "", rw));
  g_object_class_install_property (oc, PROP_KEEPALIVE,
      g_param_spec_uint ("keepalive", "Keepalive interval",
          "Milliseconds without a message from hostencd after which the "
          "element says PING, so that a stream that sends no frames (a "
          "static desktop captured on damage) keeps its session (hostencd "
          "closes sessions silent for --session-idle-timeout, 120 s)",
          100, 600000, DEFAULT_KEEPALIVE, rw));
  g_object_class_install_property (oc, PROP_POOL,
      g_param_spec_boolean ("pool", "Offer ring slots upstream",
          "With the shared-memory ring: propose its slots to upstream as "
          "buffers, so that elements which draw into downstream buffers "
          "write straight into shared memory (no copy); FALSE copies every "
          "frame into a slot", TRUE, rw));
  g_object_class_install_property (oc, PROP_STREAM_NAME,
      g_param_spec_string ("stream-name", "Stream name",
          "The name hostencd lists this stream under (guest/NAME, or "
          "VM/guest-NAME on a VM's own channel): keep it stable so that "
          "viewers' links survive restarts. Printable ASCII, up to 31 "
          "characters; empty = \"vsockenc\"", "", rw));
  g_object_class_install_property (oc, PROP_USE_SHM,
      g_param_spec_boolean ("use-shm", "Use shared memory",
          "Use the shared-memory ring when shm-path is set and hostencd "
          "offers it; otherwise (or when false) send pixels inline",
          DEFAULT_USE_SHM, rw));
  g_object_class_install_property (oc, PROP_BITRATE,
      g_param_spec_uint ("bitrate", "Bitrate",
          "Target bitrate in bits/s, sent with CONFIG_REQ (0 = hostencd's "
          "default, --bitrate or 9 bits per pixel per second up to 8 Mbit/s, at least 4; others are "
          "clamped to 10000..1000000000); can change while playing",
          0, 1000000000, DEFAULT_BITRATE, playing));
  g_object_class_install_property (oc, PROP_KEY_INT_MAX,
      g_param_spec_uint ("key-int-max", "Maximum keyframe interval",
          "Force an IDR at least every N frames (0 = leave it to hostencd's "
          "--gop: by default IDRs only when needed). HXFR has no GOP field: the "
          "element sets force_keyframe on those frames, and the host may "
          "still add IDRs of its own", 0, G_MAXINT, DEFAULT_KEY_INT_MAX,
          playing));
  g_object_class_install_property (oc, PROP_CONNECT_TIMEOUT,
      g_param_spec_uint ("connect-timeout", "Connect timeout",
          "Milliseconds to connect and shake hands at start, and to keep "
          "reconnecting (with backoff) after the host went away before "
          "failing with an error", 100, 600000, DEFAULT_CONNECT_TIMEOUT, rw));
  g_object_class_install_property (oc, PROP_IO_TIMEOUT,
      g_param_spec_uint ("io-timeout", "I/O timeout",
          "Milliseconds the host may take to accept a frame or to answer "
          "one before the connection counts as lost (and is re-established)",
          100, 600000, DEFAULT_IO_TIMEOUT, rw));
  g_object_class_install_property (oc, PROP_MAX_INFLIGHT,
      g_param_spec_uint ("max-inflight", "Frames in flight",
          "Pipelining depth: frames sent to the host and not yet answered "
          "(also capped by the host's HELLO_RESP and by the ring's slots). "
          "hostencd queues 2 frames besides the one it encodes, so more "
          "than 3 can make it drop frames when it falls behind",
          1, 16, DEFAULT_MAX_INFLIGHT, rw));
  g_object_class_install_property (oc, PROP_FRAME_PATH,
      g_param_spec_string ("frame-path", "Frame path",
          "How frames reach the host: none (not negotiated), inline or shm",
          "none", G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (oc, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters and round-trip times (ns) of the current session",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_vsock_enc_class_init (GstVsockEncClass * klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GstElementClass *ec = GST_ELEMENT_CLASS (klass);
  GstVideoEncoderClass *vc = GST_VIDEO_ENCODER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_vsock_enc_debug, "vsockenc", 0,
      "H.264 encoding by hostencd over HXFR");

  oc->set_property = gst_vsock_enc_set_property;
  oc->get_property = gst_vsock_enc_get_property;
  oc->finalize = gst_vsock_enc_finalize;
  install_properties (oc);

  ec->change_state = GST_DEBUG_FUNCPTR (gst_vsock_enc_change_state);
  gst_element_class_add_static_pad_template (ec, &sink_template);
  gst_element_class_add_static_pad_template (ec, &src_template);
  gst_element_class_set_static_metadata (ec,
      "H.264 encoder on the VM host", "Codec/Encoder/Video",
      "Encodes H.264 with the host's encoder: hands raw frames to hostencd "
      "over HXFR (TCP, unix socket, virtio-serial or vsock; pixels inline or "
      "through an ivshmem shared-memory ring)",
      "hostenc project");

  vc->start = GST_DEBUG_FUNCPTR (gst_vsock_enc_start);
  vc->stop = GST_DEBUG_FUNCPTR (gst_vsock_enc_stop);
  vc->set_format = GST_DEBUG_FUNCPTR (gst_vsock_enc_set_format);
  vc->handle_frame = GST_DEBUG_FUNCPTR (gst_vsock_enc_handle_frame);
  vc->finish = GST_DEBUG_FUNCPTR (gst_vsock_enc_finish);
  vc->flush = GST_DEBUG_FUNCPTR (gst_vsock_enc_flush);
  vc->sink_event = GST_DEBUG_FUNCPTR (gst_vsock_enc_sink_event);
  vc->getcaps = GST_DEBUG_FUNCPTR (gst_vsock_enc_getcaps);
  vc->propose_allocation = GST_DEBUG_FUNCPTR (gst_vsock_enc_propose_allocation);
}
