/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's half of the shared-memory ring (docs/protocol.md,
 * "Shared-memory ring"): the guest lays the ring out, writes pixels into
 * free slots and keeps the slot headers as its own bookkeeping; the host
 * maps the region read-only. */
#include "gstvsockencshm.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct _GstVsockEncShm
{
  guint8 *map;
  gsize map_len;
  guint64 offset;               /* of the mapping (= ring) in the file */
  guint slot_count;
  guint64 slot_size, data_offset, ring_size;
  guint64 busy;                 /* bit per slot in use (lock) */
  guint64 ring_id;              /* random per layout: proves the ring is ours */
  guint generation;             /* layouts so far: a pool's slots are of one */
  gint ref;
  GMutex lock;                  /* busy: the buffer pool releases from any thread */
};

GstVsockEncShm *
gst_vsock_enc_shm_open (const gchar * path, guint64 offset, guint64 size,
    GError ** err)
{
  GstVsockEncShm *shm;
  struct stat st;
  void *map;
  gint fd, e;

  if (offset % HXFR_RING_ALIGN) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "shm-offset %" G_GUINT64_FORMAT " is not a multiple of %u", offset,
        HXFR_RING_ALIGN);
    return NULL;
  }
  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    goto err_errno;
  if (fstat (fd, &st) < 0)
    goto err_errno_close;
  if (size == 0) {
    if ((guint64) st.st_size <= offset) {
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "%s is %" G_GUINT64_FORMAT " bytes: nothing left after shm-offset %"
          G_GUINT64_FORMAT, path, (guint64) st.st_size, offset);
      close (fd);
      return NULL;
    }
    size = (guint64) st.st_size - offset;
  } else if (S_ISREG (st.st_mode) && offset + size > (guint64) st.st_size) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s is %" G_GUINT64_FORMAT " bytes, less than shm-offset + shm-size",
        path, (guint64) st.st_size);
    close (fd);
    return NULL;
  }
  if (size < 2 * HXFR_RING_ALIGN || size > G_MAXSIZE) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "shared region of %" G_GUINT64_FORMAT " bytes is too small", size);
    close (fd);
    return NULL;
  }
  map = mmap (NULL, (gsize) size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
      (off_t) offset);
  if (map == MAP_FAILED)
    goto err_errno_close;
  close (fd);
  shm = g_new0 (GstVsockEncShm, 1);
  shm->ref = 1;
  g_mutex_init (&shm->lock);
  shm->map = map;
  shm->map_len = (gsize) size;
  shm->offset = offset;
  return shm;

  /* ERRORS */
err_errno_close:
  {
    e = errno;
    close (fd);
    errno = e;
  }
err_errno:
  {
    e = errno;
    g_set_error (err, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", path,
        g_strerror (e));
    return NULL;
  }
}

GstVsockEncShm *
gst_vsock_enc_shm_ref (GstVsockEncShm * shm)
{
  g_atomic_int_inc (&shm->ref);
  return shm;
}

void
gst_vsock_enc_shm_unref (GstVsockEncShm * shm)
{
  if (!shm || !g_atomic_int_dec_and_test (&shm->ref))
    return;
  munmap (shm->map, shm->map_len);
  g_mutex_clear (&shm->lock);
  g_free (shm);
}

static guint64
data_offset_for (guint slots)
{
  guint64 end = HXFR_RING_HEADER_SIZE + (guint64) slots *
      HXFR_RING_SLOT_HEADER_SIZE;

  return (end + HXFR_RING_ALIGN - 1) / HXFR_RING_ALIGN * HXFR_RING_ALIGN;
}

guint
gst_vsock_enc_shm_layout (GstVsockEncShm * shm, guint64 slot_size,
    guint max_slots)
{
  guint n;

  slot_size = (slot_size + 63) / 64 * 64;
  g_mutex_lock (&shm->lock);
  shm->generation++;
  shm->slot_count = 0;
  shm->busy = 0;
  g_mutex_unlock (&shm->lock);
  n = MIN (max_slots, HXFR_RING_MAX_SLOTS);
  /* A fresh id each time: a host that finds an older ring (ours from an
   * earlier run, or another file altogether) refuses it. */
  shm->ring_id = ((guint64) g_random_int () << 32 | g_random_int ()) | 1;
  for (; n > 0; n--) {
    guint64 need = data_offset_for (n) + slot_size * n;

    if (need <= shm->map_len
        && hxfr_ring_init (shm->map, shm->map_len, n, slot_size,
            shm->ring_id) == 0)
      break;
  }
  if (n == 0)
    return 0;
  shm->slot_count = n;
  shm->slot_size = slot_size;
  shm->data_offset = data_offset_for (n);
  shm->ring_size = shm->data_offset + slot_size * n;
  /* the header must be in place before SHM_ATTACH goes out */
  __atomic_thread_fence (__ATOMIC_RELEASE);
  return n;
}

guint64
gst_vsock_enc_shm_ring_size (const GstVsockEncShm * shm)
{
  return shm->ring_size;
}

guint64
gst_vsock_enc_shm_offset (const GstVsockEncShm * shm)
{
  return shm->offset;
}

guint
gst_vsock_enc_shm_slot_count (const GstVsockEncShm * shm)
{
  return shm->slot_count;
}

guint64
gst_vsock_enc_shm_slot_size (const GstVsockEncShm * shm)
{
  return shm->slot_size;
}

/* Slot headers are u32 state, u32 seq, u64 pts, little-endian. */
static void
write_slot_header (GstVsockEncShm * shm, guint slot, guint32 state,
    guint32 seq, gint64 pts_ns)
{
  guint8 *h = shm->map + HXFR_RING_HEADER_SIZE +
      (gsize) slot * HXFR_RING_SLOT_HEADER_SIZE;
  guint32 s = GUINT32_TO_LE (state), q = GUINT32_TO_LE (seq);
  guint64 p = GUINT64_TO_LE ((guint64) pts_ns);

  memcpy (h + 4, &q, 4);
  memcpy (h + 8, &p, 8);
  __atomic_thread_fence (__ATOMIC_RELEASE);
  memcpy (h, &s, 4);
}

gint
gst_vsock_enc_shm_acquire (GstVsockEncShm * shm, guint32 seq, gint64 pts_ns)
{
  gint slot = -1;

  g_mutex_lock (&shm->lock);
  for (guint i = 0; i < shm->slot_count; i++) {
    if (shm->busy & (G_GUINT64_CONSTANT (1) << i))
      continue;
    shm->busy |= G_GUINT64_CONSTANT (1) << i;
    write_slot_header (shm, i, HXFR_SLOT_WRITING, seq, pts_ns);
    slot = (gint) i;
    break;
  }
  g_mutex_unlock (&shm->lock);
  return slot;
}

guint
gst_vsock_enc_shm_generation (GstVsockEncShm * shm)
{
  guint gen;

  g_mutex_lock (&shm->lock);
  gen = shm->generation;
  g_mutex_unlock (&shm->lock);
  return gen;
}

gboolean
gst_vsock_enc_shm_claim (GstVsockEncShm * shm, guint slot, guint generation)
{
  gboolean ok;

  g_mutex_lock (&shm->lock);
  ok = generation == shm->generation && slot < shm->slot_count;
  if (ok) {
    shm->busy |= G_GUINT64_CONSTANT (1) << slot;
    write_slot_header (shm, slot, HXFR_SLOT_WRITING, 0, 0);
  }
  g_mutex_unlock (&shm->lock);
  return ok;
}

guint8 *
gst_vsock_enc_shm_slot_data (GstVsockEncShm * shm, guint slot)
{
  return shm->map + shm->data_offset + (gsize) slot * shm->slot_size;
}

void
gst_vsock_enc_shm_queued (GstVsockEncShm * shm, guint slot)
{
  guint8 *h = shm->map + HXFR_RING_HEADER_SIZE +
      (gsize) slot * HXFR_RING_SLOT_HEADER_SIZE;
  guint32 s = GUINT32_TO_LE (HXFR_SLOT_QUEUED);

  /* pixels before the state, and both before FRAME_SHM is sent */
  __atomic_thread_fence (__ATOMIC_RELEASE);
  memcpy (h, &s, 4);
}

static void
release_locked (GstVsockEncShm * shm, guint slot)
{
  guint8 *h;
  guint32 s = GUINT32_TO_LE (HXFR_SLOT_FREE);

  if (slot >= shm->slot_count)
    return;
  h = shm->map + HXFR_RING_HEADER_SIZE +
      (gsize) slot * HXFR_RING_SLOT_HEADER_SIZE;
  memcpy (h, &s, 4);
  shm->busy &= ~(G_GUINT64_CONSTANT (1) << slot);
}

void
gst_vsock_enc_shm_release (GstVsockEncShm * shm, guint slot)
{
  g_mutex_lock (&shm->lock);
  release_locked (shm, slot);
  g_mutex_unlock (&shm->lock);
}

void
gst_vsock_enc_shm_release_gen (GstVsockEncShm * shm, guint slot,
    guint generation)
{
  g_mutex_lock (&shm->lock);
  if (generation == shm->generation)
    release_locked (shm, slot);
  g_mutex_unlock (&shm->lock);
}

void
gst_vsock_enc_shm_release_all (GstVsockEncShm * shm)
{
  g_mutex_lock (&shm->lock);
  for (guint i = 0; i < shm->slot_count; i++)
    release_locked (shm, i);
  g_mutex_unlock (&shm->lock);
}

guint64
gst_vsock_enc_shm_ring_id (const GstVsockEncShm * shm)
{
  return shm->ring_id;
}
