/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockenc: a GstVideoEncoder that has hostencd, on the VM's host, encode
 * H.264 over the HXFR protocol (docs/protocol.md).
 *
 * Threads: the streaming thread sends frames (inline, or through the
 * shared-memory ring) and finishes them; one reader thread per connection
 * reads replies and matches them, in order, to the frames in flight. Only
 * the streaming thread calls gst_video_encoder_finish_frame(). */
#ifndef GST_VSOCK_ENC_H
#define GST_VSOCK_ENC_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <hxfr/hxfr.h>

#include "gstvsockencinput.h"
#include "gstvsockenclink.h"
#include "gstvsockencpool.h"
#include "gstvsockencshm.h"

G_BEGIN_DECLS

#define GST_TYPE_VSOCK_ENC (gst_vsock_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstVsockEnc, gst_vsock_enc, GST, VSOCK_ENC,
    GstVideoEncoder)

GST_DEBUG_CATEGORY_EXTERN (gst_vsock_enc_debug);

typedef enum
{
  GST_VSOCK_ENC_REPLY_NONE,
  GST_VSOCK_ENC_REPLY_FRAME,
  GST_VSOCK_ENC_REPLY_DROPPED,
  GST_VSOCK_ENC_REPLY_ERROR,
} GstVsockEncReplyKind;

/* One frame sent to (or waiting to be re-sent to) the host. */
typedef struct
{
  GstVideoCodecFrame *frame;    /* our reference; NULL once a flush discarded it */
  guint32 seq;                  /* element-wide frame counter */
  gint64 wire_pts;              /* pts sent (strictly increasing) */
  gint64 sent_us;               /* monotonic; 0 = not sent on this connection */
  gint slot;                    /* ring slot, -1 inline */
  gboolean pool_slot;           /* the slot is a pool buffer's: freed with it */
  GstBuffer *slot_buf;          /* the pool buffer copied into, or NULL */
  gboolean forced;              /* asked for an IDR */
  /* the reply, filled in by the reader thread */
  GstVsockEncReplyKind kind;
  gboolean keyframe;
  GstBuffer *au;
  gint32 code;
  gchar *message;
} GstVsockEncPending;

struct _GstVsockEnc
{
  GstVideoEncoder parent;

  /* properties (object lock) */
  gchar *host;
  gchar *shm_path;
  gchar *shm_name;
  gchar *stream_name;
  guint64 shm_offset;
  guint64 shm_size;
  gboolean use_shm;
  gboolean offer_pool;          /* propose the ring's slots upstream */
  guint bitrate;
  gboolean bitrate_dirty;
  guint key_int_max;
  guint connect_timeout;
  guint io_timeout;
  guint keepalive;
  guint max_inflight;

  /* streaming thread (and start/stop, when nothing streams) */
  gchar *address;               /* host as of start() */
  guint connect_timeout_ms, io_timeout_ms, max_inflight_prop;
  guint keepalive_ms;           /* idle PING interval, as of start() */
  GstVideoCodecState *input_state;
  GstVideoInfo wire_info;       /* the frame layout HXFR carries */
  guint32 fourcc;
  gsize wire_size;
  gsize plane_len[GST_VIDEO_MAX_PLANES];        /* stride x rows, wire layout */
  GstBuffer *scratch;           /* repacking buffer, wire layout */
  GstVsockEncShm *shm;          /* the mapped region, NULL when unused */
  GstBufferPool *pool;          /* ring slots as buffers, offered upstream (lock) */
  gsize ring_wire_size;         /* the frame size the ring was laid out for */
  gboolean use_ring;            /* the current format goes through the ring */
  gboolean shm_warned;
  guint depth;                  /* frames in flight at most */
  guint32 seq;
  gint64 last_wire_pts;
  guint32 last_key_seq;
  gboolean have_key_seq;
  gboolean force_next_key;
  gint64 last_ping_us;
  gint64 lost_since_us;
  guint error_run;
  gboolean live;                /* upstream is live: wait for replies a while */
  GstClockTime last_pts;        /* of the previous input frame */
  GstClockTime pts_gap;         /* between the last two input frames */
  guint64 latency_rtt_ns;       /* the round trip the latency was set from */
  gboolean latency_measured;    /* ... measured, not estimated */
  gint64 latency_set_us;
  struct hxfr_hello_resp hello;
  gint nav_width, nav_height;   /* atomic: the stream's size, for INPUT */
  GstVsockEncInputState nav;    /* reader thread only */

  /* the connection; replaced by the streaming thread under lock */
  GstVsockEncLink link;         /* fd -1 when there is none */
  gint cancel_fd;               /* eventfd: fires to stop every wait */
  GThread *reader;
  GMutex wlock;                 /* one writer at a time */

  /* shared with the reader thread: lock, cond */
  GMutex lock;
  GCond cond;
  gboolean have_hello;
  GQueue pending;               /* GstVsockEncPending, in request order */
  guint n_answered;             /* replies received for the head entries */
  gboolean lost;
  gchar *lost_reason;
  gboolean flushing;
  gboolean closing;
  guint8 ctrl_want;             /* reply type a control request waits for */
  gboolean ctrl_done;
  gboolean goodbye_done;        /* the host answered our GOODBYE */
  gint32 ctrl_status;
  gchar *ctrl_message;
  struct hxfr_shm_attach_resp attach_resp;
  const gchar *frame_path;      /* "none", "inline", "shm" */
  guint64 n_sent, n_encoded, n_dropped, n_errors, n_keyframes, n_reconnects;
  guint64 n_copied, n_zero_copy;        /* ring frames copied / written in place */
  guint64 rtt_ns;               /* frame round trip, moving average */
  guint64 rtt_min_ns, rtt_max_ns, rtt_sum_ns, rtt_count;
  guint64 ping_rtt_ns;
};

GST_ELEMENT_REGISTER_DECLARE (vsockenc)

/* gstvsockencsession.c: the HXFR session, for gstvsockenc.c */
gboolean gst_vsock_enc_session_open (GstVsockEnc * self, gint64 deadline_us,
    GError ** err);
void gst_vsock_enc_session_close (GstVsockEnc * self);
void gst_vsock_enc_session_goodbye (GstVsockEnc * self);
void gst_vsock_enc_session_drop_pool (GstVsockEnc * self, gboolean deactivate);
gboolean gst_vsock_enc_session_configure (GstVsockEnc * self, GError ** err);
GstFlowReturn gst_vsock_enc_session_submit (GstVsockEnc * self,
    GstVideoCodecFrame * frame);
GstFlowReturn gst_vsock_enc_session_wait (GstVsockEnc * self, guint limit,
    gint64 until_us);
GstClockTime gst_vsock_enc_live_budget (GstVsockEnc * self);
GstFlowReturn gst_vsock_enc_session_recover (GstVsockEnc * self);
void gst_vsock_enc_session_mark_lost (GstVsockEnc * self, const gchar * why);
void gst_vsock_enc_session_discard (GstVsockEnc * self, gboolean all);
void gst_vsock_enc_session_update_latency (GstVsockEnc * self, gboolean force);
void gst_vsock_enc_pending_free (GstVsockEncPending * p);

G_END_DECLS

#endif
