/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding the guest's devices for vsockenc through sysfs alone (no lspci,
 * no udev): QEMU's ivshmem BAR 2 (the shared-memory ring's region) and a
 * virtio-serial port by its name. Pure functions of the trees they are
 * given (a test passes fake ones); GLib only, no GStreamer.
 *
 * Errors are in the G_FILE_ERROR domain, never G_IO_ERROR: the element
 * takes a G_IO_ERROR for a lost link and reconnects, while a missing
 * device is a configuration error. */
#ifndef GST_VSOCK_ENC_DEVICES_H
#define GST_VSOCK_ENC_DEVICES_H

#include <glib.h>

G_BEGIN_DECLS

/** PCI ids of QEMU's ivshmem (ivshmem-plain and ivshmem-doorbell alike). */
#define GST_VSOCK_ENC_IVSHMEM_VENDOR 0x1af4
#define GST_VSOCK_ENC_IVSHMEM_DEVICE 0x1110

/**
 * Find QEMU's ivshmem device under @sysfs_root/bus/pci/devices (NULL:
 * "/sys"): a PCI function whose vendor is 0x1af4 and device 0x1110.
 * @return the path of its BAR 2 file (.../resource2, the shared memory;
 * g_free() it) and its size in @size (may be NULL): the file's size, or
 * from line 3 of .../resource when the file says 0. Several devices: the
 * lowest PCI address that has a BAR 2 wins, the others are logged
 * (g_info). NULL with @err (G_FILE_ERROR_NOENT) when there is none.
 */
gchar *gst_vsock_enc_find_ivshmem (const gchar * sysfs_root, guint64 * size,
    GError ** err);

/**
 * Find the virtio-serial port named @name: @dev_root/virtio-ports/@name
 * when it exists (udev's symlink), else the device of the port under
 * @sysfs_root/class/virtio-ports whose name file says @name, as
 * @dev_root/vportNpM. Roots NULL: "/sys" and "/dev". @return the path
 * (g_free() it), or NULL with @err: G_FILE_ERROR_INVAL for an empty name
 * or one with '/', G_FILE_ERROR_NOENT (naming the ports that exist) when
 * no port has that name.
 */
gchar *gst_vsock_enc_find_vport (const gchar * sysfs_root,
    const gchar * dev_root, const gchar * name, GError ** err);

G_END_DECLS

#endif
