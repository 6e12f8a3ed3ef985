/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "gstvsockencpool.h"

struct _GstVsockEncPool
{
  GstBufferPool parent;

  GstVsockEncShm *shm;
  guint generation;             /* the ring layout the slots belong to */
  GstVideoInfo wire;
  guint next_slot;              /* alloc_buffer hands out slots in order */
};

G_DEFINE_TYPE (GstVsockEncPool, gst_vsock_enc_pool, GST_TYPE_BUFFER_POOL)

static GQuark slot_quark;

static const gchar **
get_options (GstBufferPool * pool)
{
  static const gchar *options[] = { GST_BUFFER_POOL_OPTION_VIDEO_META, NULL };

  return options;
}

/* Never more buffers than slots: upstream may ask for more and get less. */
static gboolean
set_config (GstBufferPool * pool, GstStructure * config)
{
  GstVsockEncPool *self = GST_VSOCK_ENC_POOL (pool);
  guint n = gst_vsock_enc_shm_slot_count (self->shm);
  GstCaps *caps = NULL;
  guint size, min, max;

  if (!gst_buffer_pool_config_get_params (config, &caps, &size, &min, &max)
      || size > gst_vsock_enc_shm_slot_size (self->shm))
    return FALSE;
  gst_buffer_pool_config_set_params (config, caps, size, MIN (min, n), n);
  return GST_BUFFER_POOL_CLASS (gst_vsock_enc_pool_parent_class)->set_config
      (pool, config);
}

/* Buffer i wraps slot i, with the wire layout as its video meta. */
static GstFlowReturn
alloc_buffer (GstBufferPool * pool, GstBuffer ** buffer,
    GstBufferPoolAcquireParams * params)
{
  GstVsockEncPool *self = GST_VSOCK_ENC_POOL (pool);
  GstBuffer *buf;
  guint slot;

  if (self->next_slot >= gst_vsock_enc_shm_slot_count (self->shm))
    return GST_FLOW_ERROR;
  slot = self->next_slot++;
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, gst_memory_new_wrapped (0,
          gst_vsock_enc_shm_slot_data (self->shm, slot),
          gst_vsock_enc_shm_slot_size (self->shm), 0,
          GST_VIDEO_INFO_SIZE (&self->wire), NULL, NULL));
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (&self->wire), GST_VIDEO_INFO_WIDTH (&self->wire),
      GST_VIDEO_INFO_HEIGHT (&self->wire), GST_VIDEO_INFO_N_PLANES (&self->wire),
      self->wire.offset, self->wire.stride);
  gst_mini_object_set_qdata (GST_MINI_OBJECT (buf), slot_quark,
      GUINT_TO_POINTER (slot + 1), NULL);
  *buffer = buf;
  return GST_FLOW_OK;
}

static guint
slot_of (GstBuffer * buf)
{
  return GPOINTER_TO_UINT (gst_mini_object_get_qdata (GST_MINI_OBJECT (buf),
          slot_quark)) - 1;
}

/* Upstream takes the slot: mark it in use until the buffer comes back
 * (after the host's reply, when the encoder lets go of the frame). */
static GstFlowReturn
acquire_buffer (GstBufferPool * pool, GstBuffer ** buffer,
    GstBufferPoolAcquireParams * params)
{
  GstVsockEncPool *self = GST_VSOCK_ENC_POOL (pool);
  GstFlowReturn ret =
      GST_BUFFER_POOL_CLASS (gst_vsock_enc_pool_parent_class)->acquire_buffer
      (pool, buffer, params);

  if (ret == GST_FLOW_OK)
    gst_vsock_enc_shm_claim (self->shm, slot_of (*buffer), self->generation);
  return ret;
}

static void
release_buffer (GstBufferPool * pool, GstBuffer * buffer)
{
  GstVsockEncPool *self = GST_VSOCK_ENC_POOL (pool);

  gst_vsock_enc_shm_release_gen (self->shm, slot_of (buffer),
      self->generation);
  GST_BUFFER_POOL_CLASS (gst_vsock_enc_pool_parent_class)->release_buffer
      (pool, buffer);
}

static void
finalize (GObject * object)
{
  GstVsockEncPool *self = GST_VSOCK_ENC_POOL (object);

  gst_vsock_enc_shm_unref (self->shm);
  G_OBJECT_CLASS (gst_vsock_enc_pool_parent_class)->finalize (object);
}

static void
gst_vsock_enc_pool_class_init (GstVsockEncPoolClass * klass)
{
  GstBufferPoolClass *pc = GST_BUFFER_POOL_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = finalize;
  pc->get_options = get_options;
  pc->set_config = set_config;
  pc->alloc_buffer = alloc_buffer;
  pc->acquire_buffer = acquire_buffer;
  pc->release_buffer = release_buffer;
  slot_quark = g_quark_from_static_string ("vsockenc-ring-slot");
}

static void
gst_vsock_enc_pool_init (GstVsockEncPool * self)
{
}

GstBufferPool *
gst_vsock_enc_pool_new (GstVsockEncShm * shm, const GstVideoInfo * wire)
{
  GstVsockEncPool *self = g_object_new (GST_TYPE_VSOCK_ENC_POOL, NULL);
  guint n = gst_vsock_enc_shm_slot_count (shm);
  GstStructure *config;
  GstCaps *caps = gst_video_info_to_caps (wire);

  gst_object_ref_sink (self);
  self->shm = gst_vsock_enc_shm_ref (shm);
  self->generation = gst_vsock_enc_shm_generation (shm);
  self->wire = *wire;
  config = gst_buffer_pool_get_config (GST_BUFFER_POOL (self));
  gst_buffer_pool_config_set_params (config, caps, GST_VIDEO_INFO_SIZE (wire),
      n, n);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_set_config (GST_BUFFER_POOL (self), config);
  gst_caps_unref (caps);
  return GST_BUFFER_POOL (self);
}

gint
gst_vsock_enc_pool_slot (GstBufferPool * pool, GstBuffer * buf)
{
  GstVsockEncPool *self;

  if (!pool || !buf || buf->pool != pool)
    return -1;
  self = GST_VSOCK_ENC_POOL (pool);
  if (self->generation != gst_vsock_enc_shm_generation (self->shm))
    return -1;
  return (gint) slot_of (buf);
}
