/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A buffer pool whose buffers are the shared-memory ring's slots, proposed
 * to upstream in the allocation query: an upstream element that writes
 * into downstream buffers (videotestsrc, videoconvert, ximagesrc with
 * XShm...) draws straight into shared memory, and vsockenc sends the slot
 * without copying a pixel. Buffer i is slot i of one ring layout. */
#ifndef GST_VSOCK_ENC_POOL_H
#define GST_VSOCK_ENC_POOL_H

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstvsockencshm.h"

G_BEGIN_DECLS

#define GST_TYPE_VSOCK_ENC_POOL (gst_vsock_enc_pool_get_type ())
G_DECLARE_FINAL_TYPE (GstVsockEncPool, gst_vsock_enc_pool, GST,
    VSOCK_ENC_POOL, GstBufferPool)

/* A pool over the current layout of @shm (which it keeps a reference to),
 * its buffers laid out as @wire (strides and plane offsets in the slot). */
GstBufferPool *gst_vsock_enc_pool_new (GstVsockEncShm * shm,
    const GstVideoInfo * wire);

/* The slot behind @buf when it is one of @pool's buffers of the current
 * layout, else -1. */
gint gst_vsock_enc_pool_slot (GstBufferPool * pool, GstBuffer * buf);

G_END_DECLS

#endif
