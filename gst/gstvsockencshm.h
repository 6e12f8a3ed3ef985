/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockenc's side of the HXFR shared-memory ring: the region (an ivshmem
 * BAR's resource2 file in a VM, any file shared with hostencd --shm in
 * tests) mapped read-write, the ring laid out in it with hxfr_ring_init(),
 * and slot bookkeeping. Not thread-safe: the element serialises calls. */
#ifndef GST_VSOCK_ENC_SHM_H
#define GST_VSOCK_ENC_SHM_H

#include <glib.h>
#include <hxfr/hxfr.h>

G_BEGIN_DECLS

typedef struct _GstVsockEncShm GstVsockEncShm;

/**
 * Map @size bytes of @path from @offset (4096-aligned; @size 0 = up to the
 * end of the file). @return NULL with @err when the file cannot be used.
 */
GstVsockEncShm *gst_vsock_enc_shm_open (const gchar * path, guint64 offset,
    guint64 size, GError ** err);
GstVsockEncShm *gst_vsock_enc_shm_ref (GstVsockEncShm * shm);
void gst_vsock_enc_shm_unref (GstVsockEncShm * shm);

/**
 * (Re)write the ring header for slots of @slot_size bytes (rounded up to a
 * multiple of 64): as many slots as fit, at most @max_slots. All slots
 * become free. @return the slot count, 0 when not even one slot fits.
 */
guint gst_vsock_enc_shm_layout (GstVsockEncShm * shm, guint64 slot_size,
    guint max_slots);

/** Bytes of the region the current ring uses (ring_size for SHM_ATTACH). */
guint64 gst_vsock_enc_shm_ring_size (const GstVsockEncShm * shm);
guint64 gst_vsock_enc_shm_offset (const GstVsockEncShm * shm);
guint gst_vsock_enc_shm_slot_count (const GstVsockEncShm * shm);
guint64 gst_vsock_enc_shm_slot_size (const GstVsockEncShm * shm);
guint64 gst_vsock_enc_shm_ring_id (const GstVsockEncShm * shm);

/** A free slot, marked WRITING, or -1 when all are in flight. */
gint gst_vsock_enc_shm_acquire (GstVsockEncShm * shm, guint32 seq,
    gint64 pts_ns);
/** Start of slot @slot's data (slot_size bytes). */
guint8 *gst_vsock_enc_shm_slot_data (GstVsockEncShm * shm, guint slot);
/** The pixels are written: mark QUEUED (the host owns it from FRAME_SHM). */
void gst_vsock_enc_shm_queued (GstVsockEncShm * shm, guint slot);
/** The host answered: the slot is free again. */
void gst_vsock_enc_shm_release (GstVsockEncShm * shm, guint slot);
/** Every slot free (after a reconnect: the new session owns none). */
void gst_vsock_enc_shm_release_all (GstVsockEncShm * shm);

/* For the buffer pool (gstvsockencpool.c): each layout is a generation;
 * a pool's slots belong to the generation it was made for, and claiming or
 * releasing a slot of an older one does nothing. */
guint gst_vsock_enc_shm_generation (GstVsockEncShm * shm);
gboolean gst_vsock_enc_shm_claim (GstVsockEncShm * shm, guint slot,
    guint generation);
void gst_vsock_enc_shm_release_gen (GstVsockEncShm * shm, guint slot,
    guint generation);

G_END_DECLS

#endif
