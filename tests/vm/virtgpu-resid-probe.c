/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtgpu-resid-probe: run inside a guest with a virtio-gpu (QEMU's
 * -device virtio-gpu-pci) to check gst_vsock_enc_virtgpu_resource_id() on
 * the real driver. It creates two 64x64x32 dumb buffers on the virtio-gpu
 * primary node (dumb buffers need it), exports each as a DMA-BUF, and
 * resolves each DMA-BUF on a second open() of that node, so the GEM handle
 * really comes from the fd. It also checks that the allocator's handle
 * survived the lookup and that gst_vsock_enc_virtgpu_open()'s node gives
 * the same id.
 *
 * Prints "resid=<A> handle=<H> resid2=<B>" (H: buffer A's GEM handle on
 * the allocating fd) and exits 0 when A and B are non-zero and distinct,
 * 1 on any failure; prints "no virtio-gpu: <reason>" and exits 77 (skip)
 * when there is no virtio-gpu. Details go to stderr. */
#include "gstvsockencvirtgpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef VSOCKENC_DRM_UAPI
#include <drm/drm.h>
#else
#include <libdrm/drm.h>
#endif

#define DRI_DIR "/dev/dri"
#define EXIT_SKIP 77

static int
xioctl (int fd, unsigned long request, void *arg)
{
  int r;

  do {
    r = ioctl (fd, request, arg);
  } while (r < 0 && (errno == EINTR || errno == EAGAIN));
  return r;
}

/* The virtio-gpu primary node (card*): its path in @path, or FALSE with
 * the reason in @why. */
static gboolean
find_card (gchar ** path, GString * why)
{
  struct stat st;
  gboolean found = FALSE;

  if (stat (DRI_DIR, &st) < 0) {
    g_string_append_printf (why, DRI_DIR ": %s", g_strerror (errno));
    return FALSE;
  }
  /* card0, card1, ...: the lowest virtio-gpu */
  for (guint n = 0; n < 64 && !found; n++) {
    g_autofree gchar *p = g_strdup_printf (DRI_DIR "/card%u", n);
    struct drm_version v;
    char name[64] = "";
    int fd;

    fd = open (p, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT)
        g_string_append_printf (why, "%s%s: %s", why->len ? ", " : "", p,
            g_strerror (errno));
      continue;
    }
    memset (&v, 0, sizeof (v));
    v.name = name;
    v.name_len = sizeof (name) - 1;
    if (xioctl (fd, DRM_IOCTL_VERSION, &v) == 0) {
      name[MIN (v.name_len, sizeof (name) - 1)] = '\0';
      if (strcmp (name, "virtio_gpu") == 0) {
        *path = g_steal_pointer (&p);
        found = TRUE;
      } else {
        g_string_append_printf (why, "%s%s: driver %s", why->len ? ", " : "",
            p, name);
      }
    }
    close (fd);
  }
  if (!found && why->len == 0)
    g_string_append (why, "no card* node in " DRI_DIR);
  return found;
}

/* A 64x64x32 dumb buffer on @fd exported as a DMA-BUF: its handle and fd. */
static gboolean
make_dmabuf (int fd, guint32 * handle, int *dmabuf)
{
  struct drm_mode_create_dumb create;
  struct drm_prime_handle prime;

  memset (&create, 0, sizeof (create));
  create.width = 64;
  create.height = 64;
  create.bpp = 32;
  if (xioctl (fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
    fprintf (stderr, "DRM_IOCTL_MODE_CREATE_DUMB: %s\n", g_strerror (errno));
    return FALSE;
  }
  memset (&prime, 0, sizeof (prime));
  prime.handle = create.handle;
  prime.flags = DRM_CLOEXEC | DRM_RDWR;
  if (xioctl (fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime) < 0) {
    fprintf (stderr, "DRM_IOCTL_PRIME_HANDLE_TO_FD: %s\n", g_strerror (errno));
    return FALSE;
  }
  *handle = create.handle;
  *dmabuf = prime.fd;
  return TRUE;
}

static gboolean
resource_id (int drm_fd, int dmabuf, const char *what, guint32 * id)
{
  GError *err = NULL;

  if (!gst_vsock_enc_virtgpu_resource_id (drm_fd, dmabuf, id, &err)) {
    fprintf (stderr, "%s: %s\n", what, err->message);
    g_error_free (err);
    return FALSE;
  }
  return TRUE;
}

int
main (void)
{
  g_autoptr (GString) why = g_string_new (NULL);
  g_autofree gchar *card = NULL;
  struct drm_mode_map_dumb map;
  GError *err = NULL;
  guint32 handle_a = 0, handle_b = 0, id_a = 0, id_b = 0, id_node = 0;
  int fd, fd2, fd3, dmabuf_a = -1, dmabuf_b = -1;
  int status = EXIT_SUCCESS;

  if (!find_card (&card, why)) {
    printf ("no virtio-gpu: %s\n", why->str);
    return EXIT_SKIP;
  }
  fd = open (card, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    fprintf (stderr, "%s: %s\n", card, g_strerror (errno));
    return EXIT_FAILURE;
  }
  if (!make_dmabuf (fd, &handle_a, &dmabuf_a)
      || !make_dmabuf (fd, &handle_b, &dmabuf_b))
    return EXIT_FAILURE;

  /* a second open(): a DRM file of our own, with its own GEM handles */
  fd2 = open (card, O_RDWR | O_CLOEXEC);
  if (fd2 < 0) {
    fprintf (stderr, "%s (second open): %s\n", card, g_strerror (errno));
    return EXIT_FAILURE;
  }
  if (!resource_id (fd2, dmabuf_a, "buffer A", &id_a)
      || !resource_id (fd2, dmabuf_b, "buffer B", &id_b))
    return EXIT_FAILURE;
  printf ("resid=%u handle=%u resid2=%u\n", id_a, handle_a, id_b);
  fflush (stdout);

  if (id_a == 0 || id_b == 0 || id_a == id_b) {
    fprintf (stderr, "FAIL: resource ids must be non-zero and distinct\n");
    status = EXIT_FAILURE;
  }

  /* The lookup closed its own handle only: the allocator's still works. */
  memset (&map, 0, sizeof (map));
  map.handle = handle_a;
  if (xioctl (fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0) {
    fprintf (stderr, "FAIL: the allocator's handle %u is gone after the "
        "lookup (DRM_IOCTL_MODE_MAP_DUMB: %s)\n", handle_a,
        g_strerror (errno));
    status = EXIT_FAILURE;
  }

  /* The node the element would use (a render node where there is one). */
  fd3 = gst_vsock_enc_virtgpu_open (&err);
  if (fd3 < 0) {
    fprintf (stderr, "FAIL: gst_vsock_enc_virtgpu_open: %s\n", err->message);
    g_error_free (err);
    status = EXIT_FAILURE;
  } else {
    if (!resource_id (fd3, dmabuf_a, "buffer A on the element's node",
            &id_node)) {
      status = EXIT_FAILURE;
    } else if (id_node != id_a) {
      fprintf (stderr, "FAIL: the element's node gives resource id %u for "
          "buffer A, %s gives %u\n", id_node, card, id_a);
      status = EXIT_FAILURE;
    } else {
      fprintf (stderr, "gst_vsock_enc_virtgpu_open's node agrees: %u\n",
          id_node);
    }
    close (fd3);
  }

  close (dmabuf_a);
  close (dmabuf_b);
  close (fd2);
  close (fd);
  return status;
}
