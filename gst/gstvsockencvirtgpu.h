/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio-gpu resource id of a DMA-BUF: the id by which the host (QEMU,
 * hostencd) knows a guest buffer. It is not the GEM handle: the DMA-BUF fd
 * is turned into a GEM handle on a DRM fd of the virtio-gpu device
 * (DRM_IOCTL_PRIME_FD_TO_HANDLE), the handle into the resource id
 * (DRM_IOCTL_VIRTGPU_RESOURCE_INFO), and the handle is closed again.
 * Plain ioctl()s on the kernel's uapi, no libdrm; GLib only.
 *
 * Errors are in the G_FILE_ERROR domain (never G_IO_ERROR, which the
 * element takes for a lost link), with the step that failed and errno. */
#ifndef GST_VSOCK_ENC_VIRTGPU_H
#define GST_VSOCK_ENC_VIRTGPU_H

#include <glib.h>

G_BEGIN_DECLS

/**
 * Open the DRM node of the virtio-gpu device: the first /dev/dri/renderD*,
 * then card*, whose driver (DRM_IOCTL_VERSION) is "virtio_gpu".
 * @return the fd (O_RDWR | O_CLOEXEC; close() it), or -1 with @err
 * (G_FILE_ERROR_NODEV) listing what was found instead.
 */
gint gst_vsock_enc_virtgpu_open (GError ** err);

/** gst_vsock_enc_virtgpu_open() in the directory @dri_dir. */
gint gst_vsock_enc_virtgpu_open_dir (const gchar * dri_dir, GError ** err);

/**
 * The virtio-gpu resource id of the buffer behind @dmabuf_fd, in
 * @res_id (never 0 on success).
 *
 * @drm_fd must be a virtio-gpu DRM fd of the caller's own open(), such as
 * one from gst_vsock_enc_virtgpu_open(), and not the fd (nor a dup() of
 * it) of whoever allocated the buffer: a DRM file has one GEM handle per
 * buffer, so on the allocator's file the lookup would find the
 * allocator's handle and the final DRM_IOCTL_GEM_CLOSE would close it.
 * Nor the fd of another DRM driver, whose driver ioctl numbers mean other
 * things.
 * @return FALSE with @err saying which step failed.
 */
gboolean gst_vsock_enc_virtgpu_resource_id (gint drm_fd, gint dmabuf_fd,
    guint32 * res_id, GError ** err);

G_END_DECLS

#endif
