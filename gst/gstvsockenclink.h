/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockenc's byte stream to hostencd: address parsing, connecting with a
 * deadline, and whole-message reads and writes that a second file
 * descriptor (an eventfd, the "cancel fd") can interrupt at any time.
 * No GStreamer objects here; errors are GErrors in the G_IO_ERROR domain
 * (G_IO_ERROR_CANCELLED when the cancel fd fired, G_IO_ERROR_TIMED_OUT,
 * G_IO_ERROR_CONNECTION_CLOSED on end of stream). */
#ifndef GST_VSOCK_ENC_LINK_H
#define GST_VSOCK_ENC_LINK_H

#include <gio/gio.h>
#include <hxfr/hxfr.h>
#include <sys/uio.h>

G_BEGIN_DECLS

/** A connected stream (socket or character device), non-blocking. */
typedef struct
{
  gint fd;
  gboolean is_socket;           /* FALSE for a virtio-serial port device */
} GstVsockEncLink;

/**
 * Check the syntax of @spec (tcp:HOST:PORT, unix:PATH, vsock:CID:PORT)
 * without touching the network. @return FALSE with @err set when bad.
 */
gboolean gst_vsock_enc_link_check_address (const gchar * spec, GError ** err);

/**
 * Connect to @spec. unix:PATH connects to a stream socket, or opens PATH
 * as a character device (a virtio-serial port) when it is one. Gives up at
 * @deadline_us (g_get_monotonic_time() clock) or when @cancel_fd becomes
 * readable. @return TRUE and fills @link (caller closes link->fd).
 */
gboolean gst_vsock_enc_link_connect (const gchar * spec, gint cancel_fd,
    gint64 deadline_us, GstVsockEncLink * link, GError ** err);

/**
 * Write all of @iov (modified as it goes). @deadline_us < 0: no deadline.
 * A failure leaves the stream in an unknown state: close it.
 */
gboolean gst_vsock_enc_link_writev (const GstVsockEncLink * link,
    gint cancel_fd, struct iovec *iov, gint n_iov, gint64 deadline_us,
    GError ** err);

/**
 * Read one whole HXFR message (framed with hxfr_frame(), payload at most
 * @max_payload bytes). @return a g_malloc'd block holding the message
 * (header first), which @msg points into; the caller g_free()s it. NULL
 * with @err on failure, including a framing error (G_IO_ERROR_INVALID_DATA).
 */
/* Waits until the link has something to read (or hung up): FALSE with
 * G_IO_ERROR_TIMED_OUT at @deadline_us, or CANCELLED. */
gboolean gst_vsock_enc_link_wait_readable (const GstVsockEncLink * link,
    gint cancel_fd, gint64 deadline_us, GError ** err);

guint8 *gst_vsock_enc_link_read_msg (const GstVsockEncLink * link,
    gint cancel_fd, gint64 deadline_us, guint32 max_payload,
    struct hxfr_msg *msg, GError ** err);

/** Monotonic time in ns, for PING stamps and round-trip times. */
guint64 gst_vsock_enc_link_now_ns (void);

G_END_DECLS

#endif
