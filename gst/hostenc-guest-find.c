/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where hostenc-guest sends the desktop: the host (hostenc-vm's
 * virtio-serial port, else vsock, else TCP to the default gateway) and the
 * shared memory (QEMU's ivshmem), found through sysfs with
 * gstvsockencdevices.c. See hostenc-guest-find.h. */
#include "hostenc-guest-find.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <net/route.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gstvsockencdevices.h"

#define VSOCK_PROBE_MS 1000
#define UDEV_HINT "see docs/guest.md for a udev rule"

void
hg_say (const gchar * format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr (HG_PROG ": %s\n", text);
}

static gboolean
is_set (const gchar * var)
{
  const gchar *v = g_getenv (var);

  return v && v[0];
}

/* $VAR when set, else @fallback */
static const gchar *
env_or (const gchar * var, const gchar * fallback)
{
  return is_set (var) ? g_getenv (var) : fallback;
}

#define dev_root() env_or ("HOSTENC_GUEST_DEV_ROOT", "/dev")
#define sysfs_root() env_or ("HOSTENC_GUEST_SYSFS_ROOT", "/sys")

/* Whether hostencd answers on vsock CID 2 (the host), or why not. */
static gboolean
vsock_usable (guint port, gchar ** why)
{
  g_autofree gchar *dev = g_build_filename (dev_root (), "vsock", NULL);
  struct sockaddr_vm sa = {.svm_family = AF_VSOCK,.svm_cid = VMADDR_CID_HOST,
    .svm_port = port
  };
  struct pollfd pfd = {.events = POLLOUT };
  unsigned int cid = 0;
  gint fd, e = 0;
  socklen_t len = sizeof (e);

  if (!g_file_test (dev, G_FILE_TEST_EXISTS)) {
    *why = g_strdup_printf ("no %s (no virtio-vsock device)", dev);
    return FALSE;
  }
  fd = open (dev, O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && ioctl (fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) == 0
      && (cid <= VMADDR_CID_HOST || cid == VMADDR_CID_ANY)) {
    close (fd);
    *why = g_strdup_printf ("this machine is no vsock guest (its CID is %d)",
        (gint) cid);
    return FALSE;
  }
  if (fd >= 0)
    close (fd);
  fd = socket (AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    e = errno;
    *why = g_strdup_printf ("no AF_VSOCK sockets (%s)", g_strerror (e));
    return FALSE;
  }
  if (connect (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0) {
    e = errno;
    if (e == EINPROGRESS) {
      pfd.fd = fd;
      e = poll (&pfd, 1, VSOCK_PROBE_MS) == 1
          && getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 ?
          e : ETIMEDOUT;
    }
  }
  close (fd);
  if (e != 0) {
    *why = g_strdup_printf ("nothing answers on vsock:%u:%u (%s)",
        VMADDR_CID_HOST, port, g_strerror (e));
    return FALSE;
  }
  return TRUE;
}

/* The gateway of the default IPv4 route with the lowest metric. */
static gchar *
default_gateway (GError ** err)
{
  const gchar *file = env_or ("HOSTENC_GUEST_ROUTE_FILE", "/proc/net/route");
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean found = FALSE;
  guint best_metric = G_MAXUINT;
  struct in_addr best = { 0 };
  gchar buf[INET_ADDRSTRLEN];

  if (!g_file_get_contents (file, &text, NULL, err)) {
    g_prefix_error (err, "cannot find the host's address: ");
    return NULL;
  }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i]; i++) {     /* line 0 is the header */
    gchar iface[64];
    guint dest, gw, flags, metric, mask;

    if (sscanf (lines[i], "%63s %x %x %x %*d %*d %u %x", iface, &dest, &gw,
            &flags, &metric, &mask) != 6)
      continue;
    if (dest != 0 || mask != 0 || gw == 0
        || (flags & (RTF_UP | RTF_GATEWAY)) != (RTF_UP | RTF_GATEWAY))
      continue;
    if (!found || metric < best_metric) {
      best.s_addr = gw;         /* the kernel prints the __be32 as is */
      best_metric = metric;
      found = TRUE;
    }
  }
  if (!found) {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "no virtio-serial port, no vsock and no default route in %s: give "
        "--host tcp:HOST:PORT (QEMU's user networking: tcp:10.0.2.2:%d)",
        file, HG_DEFAULT_PORT);
    return NULL;
  }
  return g_strdup (inet_ntop (AF_INET, &best, buf, sizeof (buf)));
}

gchar *
hg_find_host (const gchar * given, gint port, GError ** err)
{
  g_autoptr (GError) e = NULL;
  g_autofree gchar *vport = NULL, *why = NULL, *gw = NULL;
  gint denied = 0;

  if (given) {
    hg_say ("host: %s (--host)", given);
    return g_strdup (given);
  }
  vport = gst_vsock_enc_find_vport (sysfs_root (), dev_root (), HG_VPORT_NAME,
      &e);
  if (vport && access (vport, R_OK | W_OK) < 0)
    denied = errno;
  if (vport && !denied) {
    hg_say ("host: serial:" HG_VPORT_NAME " (hostenc-vm's virtio-serial "
        "port, %s)", vport);
    return g_strdup ("serial:" HG_VPORT_NAME);
  }
  if (vport)
    hg_say ("the virtio-serial port %s is there but you cannot read and write "
        "it (%s; " UDEV_HINT "): trying vsock", vport, g_strerror (denied));
  else
    hg_say ("%s: trying vsock", e->message);

  if (vsock_usable ((guint) port, &why)) {
    hg_say ("host: vsock:%u:%d (hostencd answers on vsock)", VMADDR_CID_HOST,
        port);
    return g_strdup_printf ("vsock:%u:%d", VMADDR_CID_HOST, port);
  }
  hg_say ("vsock: %s: trying TCP to the default gateway", why);

  gw = default_gateway (err);
  if (!gw)
    return NULL;
  hg_say ("host: tcp:%s:%d (the default gateway; QEMU's user networking puts "
      "the host there, 10.0.2.2)", gw, port);
  return g_strdup_printf ("tcp:%s:%d", gw, port);
}

gchar *
hg_find_shm (const gchar * option)
{
  g_autoptr (GError) e = NULL;
  g_autofree gchar *path = NULL;
  guint64 size = 0;

  if (g_str_equal (option, "none")) {
    hg_say ("shared memory: none (--shm none): frames go inline");
    return NULL;
  }
  if (!g_str_equal (option, "auto")) {
    if (access (option, R_OK | W_OK) < 0)
      hg_say ("warning: cannot read and write %s (%s): vsockenc will send "
          "frames inline", option, g_strerror (errno));
    else
      hg_say ("shared memory: %s (--shm)", option);
    return g_strdup (option);
  }
  path = gst_vsock_enc_find_ivshmem (sysfs_root (), &size, &e);
  if (!path) {
    hg_say ("no ivshmem device: frames go inline (%s)", e->message);
    return NULL;
  }
  if (access (path, R_OK | W_OK) < 0) {
    hg_say ("ivshmem %s is there but you cannot read and write it (%s; "
        UDEV_HINT "): frames go inline", path, g_strerror (errno));
    return NULL;
  }
  hg_say ("shared memory: ivshmem %s (%" G_GUINT64_FORMAT " MiB)", path,
      size >> 20);
  return g_strdup ("auto");     /* vsockenc finds the same */
}
