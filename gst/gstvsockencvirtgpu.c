/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio-gpu resource id of a DMA-BUF (gstvsockencvirtgpu.h). */
#include "gstvsockencvirtgpu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The kernel's uapi: linux-libc-dev's <drm/...> where it ships them,
 * else libdrm-dev's copy (Debian), chosen by gst/meson.build. */
#ifdef VSOCKENC_DRM_UAPI
#include <drm/drm.h>
#include <drm/virtgpu_drm.h>
#else
#include <libdrm/drm.h>
#include <libdrm/virtgpu_drm.h>
#endif

#define VIRTGPU_DRIVER "virtio_gpu"
#define VIRTGPU_HINT "the guest needs a virtio-gpu device (QEMU's -device " \
  "virtio-gpu-pci) and the virtio_gpu driver"

/* ioctl() again after a signal, as libdrm's drmIoctl() does. */
static gint
xioctl (gint fd, unsigned long request, void *arg)
{
  gint r;

  do {
    r = ioctl (fd, request, arg);
  } while (r < 0 && (errno == EINTR || errno == EAGAIN));
  return r;
}

/* The name of @fd's DRM driver in @buf; FALSE with errno. */
static gboolean
drm_driver_name (gint fd, gchar * buf, gsize len)
{
  struct drm_version v;

  memset (&v, 0, sizeof (v));
  v.name = buf;
  v.name_len = len - 1;
  if (xioctl (fd, DRM_IOCTL_VERSION, &v) < 0)
    return FALSE;
  /* name_len comes back as the full length, which may not have fit */
  buf[MIN ((gsize) v.name_len, len - 1)] = '\0';
  return TRUE;
}

/* renderD128 before card0; by number within each kind; others: -1. */
static gint64
node_rank (const gchar * name)
{
  guint n;
  gint end = -1;

  if (sscanf (name, "renderD%u%n", &n, &end) == 1 && end > 0
      && name[end] == '\0')
    return n;
  end = -1;
  if (sscanf (name, "card%u%n", &n, &end) == 1 && end > 0
      && name[end] == '\0')
    return (gint64) G_MAXUINT + 1 + n;
  return -1;
}

static gint
compare_nodes (gconstpointer pa, gconstpointer pb)
{
  gint64 a = node_rank (*(const gchar * const *) pa);
  gint64 b = node_rank (*(const gchar * const *) pb);

  return a < b ? -1 : a > b;
}

gint
gst_vsock_enc_virtgpu_open_dir (const gchar * dri_dir, GError ** err)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) seen = g_string_new (NULL);
  DIR *dir;
  struct dirent *d;

  dir = opendir (dri_dir);
  if (!dir) {
    gint errsv = errno;

    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NODEV,
        "no virtio-gpu DRM device: cannot read %s (%s); " VIRTGPU_HINT,
        dri_dir, g_strerror (errsv));
    return -1;
  }
  while ((d = readdir (dir))) {
    if (node_rank (d->d_name) >= 0)
      g_ptr_array_add (nodes, g_strdup (d->d_name));
  }
  closedir (dir);
  g_ptr_array_sort (nodes, compare_nodes);

  for (guint i = 0; i < nodes->len; i++) {
    const gchar *node = g_ptr_array_index (nodes, i);
    g_autofree gchar *path = g_build_filename (dri_dir, node, NULL);
    gchar driver[64];
    gint fd, errsv;

    if (seen->len)
      g_string_append (seen, ", ");
    fd = open (path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      errsv = errno;
      g_string_append_printf (seen, "%s: open: %s (errno %d)", node,
          g_strerror (errsv), errsv);
      continue;
    }
    if (!drm_driver_name (fd, driver, sizeof (driver))) {
      errsv = errno;
      g_string_append_printf (seen, "%s: not a DRM device "
          "(DRM_IOCTL_VERSION: %s, errno %d)", node, g_strerror (errsv),
          errsv);
      close (fd);
      continue;
    }
    if (g_str_equal (driver, VIRTGPU_DRIVER))
      return fd;
    g_string_append_printf (seen, "%s: driver %s", node, driver);
    close (fd);
  }
  g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NODEV,
      "no virtio-gpu DRM node in %s (%s); " VIRTGPU_HINT, dri_dir,
      seen->len ? seen->str : "no renderD* or card* nodes");
  return -1;
}

gint
gst_vsock_enc_virtgpu_open (GError ** err)
{
  return gst_vsock_enc_virtgpu_open_dir ("/dev/dri", err);
}

gboolean
gst_vsock_enc_virtgpu_resource_id (gint drm_fd, gint dmabuf_fd,
    guint32 * res_id, GError ** err)
{
  struct drm_prime_handle prime;
  struct drm_virtgpu_resource_info info;
  struct drm_gem_close gem_close;
  gint r, errsv;

  if (drm_fd < 0 || dmabuf_fd < 0) {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_BADF,
        "virtio-gpu resource id: no %s (DRM fd %d, DMA-BUF fd %d)",
        drm_fd < 0 ? "DRM fd" : "DMA-BUF fd", drm_fd, dmabuf_fd);
    return FALSE;
  }

  memset (&prime, 0, sizeof (prime));
  prime.fd = dmabuf_fd;
  if (xioctl (drm_fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime) < 0) {
    errsv = errno;
    g_set_error (err, G_FILE_ERROR, g_file_error_from_errno (errsv),
        "virtio-gpu resource id: DMA-BUF fd %d to a GEM handle on DRM fd "
        "%d (DRM_IOCTL_PRIME_FD_TO_HANDLE): %s (errno %d)%s", dmabuf_fd,
        drm_fd, g_strerror (errsv), errsv,
        errsv == ENOTTY ? "; the DRM fd is not a DRM device" :
        errsv == EBADF ? "; the DMA-BUF fd is not open" :
        errsv == EINVAL || errsv == ENODEV ?
        "; not a DMA-BUF of this device?" : "");
    return FALSE;
  }

  memset (&info, 0, sizeof (info));
  info.bo_handle = prime.handle;
  r = xioctl (drm_fd, DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &info);
  errsv = errno;

  memset (&gem_close, 0, sizeof (gem_close));
  gem_close.handle = prime.handle;
  if (xioctl (drm_fd, DRM_IOCTL_GEM_CLOSE, &gem_close) < 0) {
    gint close_errsv = errno;

    g_set_error (err, G_FILE_ERROR, g_file_error_from_errno (close_errsv),
        "virtio-gpu resource id: closing GEM handle %u on DRM fd %d "
        "(DRM_IOCTL_GEM_CLOSE): %s (errno %d)", prime.handle, drm_fd,
        g_strerror (close_errsv), close_errsv);
    return FALSE;
  }

  if (r < 0) {
    g_set_error (err, G_FILE_ERROR, g_file_error_from_errno (errsv),
        "virtio-gpu resource id: GEM handle %u of DMA-BUF fd %d to a "
        "resource id (DRM_IOCTL_VIRTGPU_RESOURCE_INFO on DRM fd %d): %s "
        "(errno %d)%s", prime.handle, dmabuf_fd, drm_fd, g_strerror (errsv),
        errsv, errsv == EINVAL || errsv == ENOTTY ?
        "; is the DRM fd a virtio-gpu device?" : "");
    return FALSE;
  }
  if (info.res_handle == 0) {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "virtio-gpu resource id: DRM_IOCTL_VIRTGPU_RESOURCE_INFO gave "
        "resource id 0 for DMA-BUF fd %d", dmabuf_fd);
    return FALSE;
  }
  *res_id = info.res_handle;
  return TRUE;
}
