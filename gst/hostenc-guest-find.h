/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostenc-guest's search for the host and the shared memory (see
 * hostenc-guest-find.c). Each says on stderr what it found and why. */
#ifndef HOSTENC_GUEST_FIND_H
#define HOSTENC_GUEST_FIND_H

#include <glib.h>

G_BEGIN_DECLS

#define HG_PROG "hostenc-guest"
/** hostenc-vm's virtio-serial port */
#define HG_VPORT_NAME "org.hostenc.hxfr.0"
/** hostencd's default listener port (tcp:127.0.0.1:15937 on the host; a
 * QEMU guest with user networking reaches it as 10.0.2.2:15937) */
#define HG_DEFAULT_PORT 15937

/** "hostenc-guest: <message>\n" on stderr. */
void hg_say (const gchar * format, ...) G_GNUC_PRINTF (1, 2);

/**
 * vsockenc's host: @given when set, else hostenc-vm's virtio-serial port
 * (serial:org.hostenc.hxfr.0) when there and usable, else vsock:2:@port
 * when /dev/vsock exists and hostencd answers there, else
 * tcp:GATEWAY:@port with the default route's gateway. NULL with @err
 * when none is found. Hidden, for tests: HOSTENC_GUEST_SYSFS_ROOT,
 * HOSTENC_GUEST_DEV_ROOT and HOSTENC_GUEST_ROUTE_FILE replace /sys, /dev
 * and /proc/net/route.
 */
gchar *hg_find_host (const gchar * given, gint port, GError ** err);

/**
 * vsockenc's shm-path for @option ("none", "auto" or a file): NULL
 * (frames go inline) for none, or when auto finds no usable ivshmem
 * device; "auto" when it does (vsockenc finds the same); else the file.
 */
gchar *hg_find_shm (const gchar * option);

G_END_DECLS

#endif
