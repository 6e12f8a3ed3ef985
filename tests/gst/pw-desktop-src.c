/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pw-desktop-src: a PipeWire screen-cast stream as a compositor offers
 * one (a Video/Source node that drives its own graph), for
 * test-capture-pipewire.c. Unlike gst's pipewiresink, which accepts MemFd
 * and MemPtr buffers (and so gets MemPtr ones from PipeWire), it chooses
 * the buffer memory the way compositors do:
 *
 *   --memory=memfd   buffers of type MemFd only, one memfd each that it
 *                    allocates itself (as mutter does without a GPU):
 *                    pipewiresrc hands them on as GstFdMemory
 *   --memory=dmabuf  DMA-BUF buffers it allocates itself with GBM on
 *                    --render-node (linear XRGB8888, as a compositor's
 *                    linear screen copy): pipewiresrc hands them on as
 *                    GstDmaBufMemory. Built only with gbm.h.
 *
 * The pictures come from videotestsrc (pattern=smpte, scrolling
 * --speed pixels per frame, BGRx), copied into each buffer, so the test
 * checks them exactly as it checks the pipewiresink producer's. It drives
 * its graph (one cycle per picture), as compositors do.
 *
 * Runs until SIGTERM or SIGINT. Prints the stream's states and the
 * buffers it got. --check only tries the allocation (one GBM buffer,
 * exported and mapped, for --memory=dmabuf) and exits: 0 when it works. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <gst/gst.h>
#include <gst/app/gstappsink.h>

#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/param/buffers.h>

#ifdef HAVE_GBM
#include <gbm.h>
#endif

typedef struct
{
  struct pw_thread_loop *loop;
  struct pw_context *context;
  struct pw_core *core;
  struct pw_stream *stream;
  struct spa_hook listener;
  gboolean dmabuf;
  gint width, height, stride;
  guint64 seq;
  guint n_sent, n_no_buffer;
#ifdef HAVE_GBM
  gint drm_fd;
  struct gbm_device *gbm;
#endif
} Src;

static volatile sig_atomic_t stop;

static void
on_signal (int sig)
{
  stop = 1;
}

static void
on_state_changed (void *data, enum pw_stream_state old,
    enum pw_stream_state state, const char *error)
{
  Src *s = data;

  g_print ("stream state: %s%s%s (node %u)\n",
      pw_stream_state_as_string (state), error ? ": " : "",
      error ? error : "", pw_stream_get_node_id (s->stream));
  pw_thread_loop_signal (s->loop, FALSE);
}

static void
on_param_changed (void *data, uint32_t id, const struct spa_pod *param)
{
  Src *s = data;
  struct spa_video_info_raw info = { 0 };
  uint8_t buf[1024];
  struct spa_pod_builder b = SPA_POD_BUILDER_INIT (buf, sizeof (buf));
  const struct spa_pod *params[2];
  guint32 types = s->dmabuf ? 1u << SPA_DATA_DmaBuf : 1u << SPA_DATA_MemFd;

  if (!param || id != SPA_PARAM_Format)
    return;
  if (spa_format_video_raw_parse (param, &info) < 0)
    return;
  g_print ("format: %s %ux%u\n", info.format == SPA_VIDEO_FORMAT_BGRx ?
      "BGRx" : "other", info.size.width, info.size.height);
  params[0] = spa_pod_builder_add_object (&b,
      SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
      SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int (8, 2, 16),
      SPA_PARAM_BUFFERS_blocks, SPA_POD_Int (1),
      SPA_PARAM_BUFFERS_size, SPA_POD_Int (s->stride * s->height),
      SPA_PARAM_BUFFERS_stride, SPA_POD_Int (s->stride),
      SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int (types));
  params[1] = spa_pod_builder_add_object (&b,
      SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
      SPA_PARAM_META_type, SPA_POD_Id (SPA_META_Header),
      SPA_PARAM_META_size, SPA_POD_Int (sizeof (struct spa_meta_header)));
  pw_stream_update_params (s->stream, params, 2);
}

static void
on_add_buffer (void *data, struct pw_buffer *pb)
{
  Src *s = data;
  struct spa_data *d = &pb->buffer->datas[0];

  if (!s->dmabuf) {
    /* one memfd per buffer, as mutter makes them (PipeWire itself would
     * lay all buffers out in one memfd as MemPtr data) */
    if (!(d->type & (1u << SPA_DATA_MemFd))) {
      g_printerr ("MemFd not allowed for this buffer (types 0x%x)\n",
          d->type);
      return;
    }
    d->type = SPA_DATA_MemFd;
    d->flags = SPA_DATA_FLAG_READWRITE;
    d->fd = memfd_create ("pw-desktop-src", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    d->mapoffset = 0;
    d->maxsize = s->stride * s->height;
    if (d->fd < 0 || ftruncate (d->fd, d->maxsize) < 0) {
      g_printerr ("memfd: %s\n", g_strerror (errno));
      return;
    }
    fcntl (d->fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    d->data = mmap (NULL, d->maxsize, PROT_READ | PROT_WRITE, MAP_SHARED,
        d->fd, 0);
    if (d->data == MAP_FAILED) {
      g_printerr ("mmap of the memfd: %s\n", g_strerror (errno));
      d->data = NULL;
    }
    pb->user_data = GINT_TO_POINTER (1);
    g_print ("buffer %p: type MemFd, fd %" G_GINT64_FORMAT ", %u bytes\n",
        pb, (gint64) d->fd, d->maxsize);
    return;
  }
#ifdef HAVE_GBM
  {
    struct gbm_bo *bo;
    guint stride;

    if (!(d->type & (1u << SPA_DATA_DmaBuf))) {
      g_printerr ("DMA-BUF not allowed for this buffer (types 0x%x)\n",
          d->type);
      return;
    }
    bo = gbm_bo_create (s->gbm, s->width, s->height, GBM_FORMAT_XRGB8888,
        GBM_BO_USE_LINEAR | GBM_BO_USE_RENDERING);
    if (!bo) {
      g_printerr ("gbm_bo_create: %s\n", g_strerror (errno));
      return;
    }
    stride = gbm_bo_get_stride (bo);
    if (stride != (guint) s->stride) {
      /* pipewiresrc (0.3.65) adds no video meta: it needs tight rows */
      g_printerr ("GBM gave stride %u, not %d\n", stride, s->stride);
      gbm_bo_destroy (bo);
      return;
    }
    d->type = SPA_DATA_DmaBuf;
    d->flags = SPA_DATA_FLAG_READWRITE;
    d->fd = gbm_bo_get_fd (bo);
    d->mapoffset = 0;
    d->maxsize = stride * s->height;
    d->data = mmap (NULL, d->maxsize, PROT_READ | PROT_WRITE, MAP_SHARED,
        d->fd, 0);
    if (d->data == MAP_FAILED) {
      g_printerr ("mmap of the DMA-BUF: %s\n", g_strerror (errno));
      d->data = NULL;
    }
    pb->user_data = bo;
    g_print ("buffer %p: type DmaBuf, fd %" G_GINT64_FORMAT ", %u bytes\n",
        pb, (gint64) d->fd, d->maxsize);
  }
#endif
}

static void
on_remove_buffer (void *data, struct pw_buffer *pb)
{
  struct spa_data *d = &pb->buffer->datas[0];

  if (!pb->user_data)
    return;
  if (d->data)
    munmap (d->data, d->maxsize);
  if (d->fd >= 0)
    close (d->fd);
#ifdef HAVE_GBM
  if (((Src *) data)->dmabuf)
    gbm_bo_destroy (pb->user_data);
#endif
  pb->user_data = NULL;
}

static const struct pw_stream_events stream_events = {
  PW_VERSION_STREAM_EVENTS,
  .state_changed = on_state_changed,
  .param_changed = on_param_changed,
  .add_buffer = on_add_buffer,
  .remove_buffer = on_remove_buffer,
};

static void
dmabuf_sync (gint fd, guint64 flags)
{
  struct dma_buf_sync sync = {.flags = flags };

  while (ioctl (fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 && errno == EINTR);
}

/* One picture into the next free buffer, then a graph cycle. */
static void
send_picture (Src * s, GstBuffer * pic)
{
  struct pw_buffer *pb;
  struct spa_data *d;
  struct spa_meta_header *h;
  struct timespec now;
  GstMapInfo map;

  pw_thread_loop_lock (s->loop);
  if (pw_stream_get_state (s->stream, NULL) != PW_STREAM_STATE_STREAMING)
    goto out;
  if (!(pb = pw_stream_dequeue_buffer (s->stream))) {
    /* The consumer still holds them all: drop this picture, as a
     * compositor does. Buffers come back one per graph cycle, and as the
     * driver we start the cycles: start one anyway, or none would come
     * back again. */
    s->n_no_buffer++;
    pw_stream_trigger_process (s->stream);
    goto out;
  }
  d = &pb->buffer->datas[0];
  if (d->data && gst_buffer_map (pic, &map, GST_MAP_READ)) {
    if (s->dmabuf)
      dmabuf_sync (d->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
    for (gint y = 0; y < s->height; y++)
      memcpy ((guint8 *) d->data + (gsize) y * s->stride,
          map.data + (gsize) y * s->width * 4, s->width * 4);
    if (s->dmabuf)
      dmabuf_sync (d->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
    gst_buffer_unmap (pic, &map);
    d->chunk->offset = 0;
    d->chunk->size = s->stride * s->height;
    d->chunk->stride = s->stride;
    d->chunk->flags = 0;
  } else {
    d->chunk->size = 0;
  }
  if ((h = spa_buffer_find_meta_data (pb->buffer, SPA_META_Header,
              sizeof (*h)))) {
    clock_gettime (CLOCK_MONOTONIC, &now);
    h->pts = SPA_TIMESPEC_TO_NSEC (&now);
    h->flags = 0;
    h->seq = s->seq++;
    h->dts_offset = 0;
  }
  pw_stream_queue_buffer (s->stream, pb);
  pw_stream_trigger_process (s->stream);
  s->n_sent++;
out:
  pw_thread_loop_unlock (s->loop);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *name = NULL, *memory = NULL, *render_node = NULL;
  gint width = 640, height = 360, speed = 4;
  gboolean check = FALSE;
  GOptionEntry entries[] = {
    {"name", 0, 0, G_OPTION_ARG_STRING, &name, "node.name", "NAME"},
    {"width", 0, 0, G_OPTION_ARG_INT, &width, "width", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &height, "height", "H"},
    {"speed", 0, 0, G_OPTION_ARG_INT, &speed, "scroll pixels per frame",
        "N"},
    {"memory", 0, 0, G_OPTION_ARG_STRING, &memory, "memfd or dmabuf", "M"},
    {"render-node", 0, 0, G_OPTION_ARG_FILENAME, &render_node,
        "DRM render node for --memory=dmabuf", "PATH"},
    {"check", 0, 0, G_OPTION_ARG_NONE, &check,
        "only check that the memory can be allocated", NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- a PipeWire "
      "screen-cast source for the capture tests");
  g_autoptr (GError) err = NULL;
  g_autofree gchar *desc = NULL;
  Src s = { 0 };
  GstElement *pipeline, *sink;
  uint8_t buf[1024];
  struct spa_pod_builder b = SPA_POD_BUILDER_INIT (buf, sizeof (buf));
  const struct spa_pod *params[1];
  struct spa_video_info_raw info = { 0 };
  enum pw_stream_flags flags = PW_STREAM_FLAG_DRIVER;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  if (!name || !memory || (strcmp (memory, "memfd") != 0
          && strcmp (memory, "dmabuf") != 0)) {
    g_printerr ("--name and --memory=memfd|dmabuf are needed\n");
    return 2;
  }
  s.width = width;
  s.height = height;
  s.stride = width * 4;
  s.dmabuf = strcmp (memory, "dmabuf") == 0;
  if (s.dmabuf) {
#ifdef HAVE_GBM
    if (!render_node) {
      g_printerr ("--memory=dmabuf needs --render-node\n");
      return 2;
    }
    s.drm_fd = open (render_node, O_RDWR | O_CLOEXEC);
    if (s.drm_fd < 0 || !(s.gbm = gbm_create_device (s.drm_fd))) {
      g_printerr ("no GBM device on %s: %s\n", render_node,
          g_strerror (errno));
      return 3;
    }
    g_print ("GBM on %s (%s)\n", render_node,
        gbm_device_get_backend_name (s.gbm));
    if (check) {
      struct gbm_bo *bo = gbm_bo_create (s.gbm, width, height,
          GBM_FORMAT_XRGB8888, GBM_BO_USE_LINEAR | GBM_BO_USE_RENDERING);
      gint fd = bo ? gbm_bo_get_fd (bo) : -1;
      guint stride = bo ? gbm_bo_get_stride (bo) : 0;
      void *map = fd >= 0 ? mmap (NULL, (gsize) stride * height,
          PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
      gboolean ok = map != MAP_FAILED && stride == (guint) s.stride;

      g_print ("linear %dx%d XRGB8888 buffer: %s (fd %d, stride %u%s)\n",
          width, height, ok ? "ok" : "unusable", fd, stride,
          map == MAP_FAILED ? ", cannot map" : "");
      if (map != MAP_FAILED)
        munmap (map, (gsize) stride * height);
      if (fd >= 0)
        close (fd);
      if (bo)
        gbm_bo_destroy (bo);
      gbm_device_destroy (s.gbm);
      close (s.drm_fd);
      return ok ? 0 : 3;
    }
#else
    g_printerr ("built without GBM: no DMA-BUF\n");
    return 3;
#endif
  } else if (check) {
    return 0;
  }
  /* the buffers' memory is ours (on_add_buffer), as a compositor's is */
  flags |= PW_STREAM_FLAG_ALLOC_BUFFERS;

  gst_init (NULL, NULL);
  pw_init (NULL, NULL);
  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);

  desc = g_strdup_printf ("videotestsrc pattern=smpte horizontal-speed=%d "
      "is-live=true ! video/x-raw,format=BGRx,width=%d,height=%d,"
      "framerate=30/1 ! appsink name=out max-buffers=2 drop=true", speed,
      width, height);
  pipeline = gst_parse_launch (desc, &err);
  if (!pipeline) {
    g_printerr ("%s\n", err->message);
    return 1;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");

  s.loop = pw_thread_loop_new ("pw-desktop-src", NULL);
  s.context = pw_context_new (pw_thread_loop_get_loop (s.loop), NULL, 0);
  pw_thread_loop_lock (s.loop);
  if (pw_thread_loop_start (s.loop) < 0
      || !(s.core = pw_context_connect (s.context, NULL, 0))) {
    pw_thread_loop_unlock (s.loop);
    g_printerr ("cannot connect to PipeWire: %s\n", g_strerror (errno));
    return 1;
  }
  s.stream = pw_stream_new (s.core, name,
      pw_properties_new (PW_KEY_MEDIA_CLASS, "Video/Source",
          PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
          PW_KEY_MEDIA_ROLE, "Screen", PW_KEY_NODE_NAME, name,
          PW_KEY_NODE_DESCRIPTION, "desktop (pw-desktop-src)", NULL));
  pw_stream_add_listener (s.stream, &s.listener, &stream_events, &s);
  info.format = SPA_VIDEO_FORMAT_BGRx;
  info.size = SPA_RECTANGLE (width, height);
  info.framerate = SPA_FRACTION (30, 1);
  params[0] = spa_format_video_raw_build (&b, SPA_PARAM_EnumFormat, &info);
  if (pw_stream_connect (s.stream, PW_DIRECTION_OUTPUT, PW_ID_ANY, flags,
          params, 1) < 0) {
    pw_thread_loop_unlock (s.loop);
    g_printerr ("cannot connect the stream\n");
    return 1;
  }
  pw_thread_loop_unlock (s.loop);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!stop) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        100 * GST_MSECOND);

    if (!sample) {
      if (gst_app_sink_is_eos (GST_APP_SINK (sink)))
        break;
      continue;
    }
    send_picture (&s, gst_sample_get_buffer (sample));
    gst_sample_unref (sample);
  }
  g_print ("stopping: %u pictures sent, %u without a free buffer\n",
      s.n_sent, s.n_no_buffer);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);

  pw_thread_loop_lock (s.loop);
  pw_stream_destroy (s.stream);
  pw_core_disconnect (s.core);
  pw_thread_loop_unlock (s.loop);
  pw_thread_loop_stop (s.loop);
  pw_context_destroy (s.context);
  pw_thread_loop_destroy (s.loop);
#ifdef HAVE_GBM
  if (s.gbm)
    gbm_device_destroy (s.gbm);
  if (s.drm_fd > 0)
    close (s.drm_fd);
#endif
  pw_deinit ();
  return 0;
}
