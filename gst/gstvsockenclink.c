/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockenc's byte stream to hostencd. Every blocking step polls the stream
 * together with a cancel fd, so that stopping the element never waits on
 * the network. */
#include "gstvsockenclink.h"
#include "gstvsockencdevices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

typedef enum
{
  ADDR_TCP,
  ADDR_UNIX,
  ADDR_VSOCK,
} AddrKind;

typedef struct
{
  AddrKind kind;
  gchar *host;                  /* tcp: host (brackets removed); unix: path */
  gchar *port;                  /* tcp: service */
  guint32 cid, vport;           /* vsock */
} Addr;

static void
addr_clear (Addr * a)
{
  g_free (a->host);
  g_free (a->port);
}

static gboolean
parse_u32 (const gchar * s, guint32 * out)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT32, &v, NULL))
    return FALSE;
  *out = (guint32) v;
  return TRUE;
}

static gboolean
parse_tcp (const gchar * rest, Addr * a)
{
  const gchar *colon = strrchr (rest, ':');
  guint32 port;

  if (!colon || colon == rest || !parse_u32 (colon + 1, &port) || port == 0
      || port > 65535)
    return FALSE;
  if (rest[0] == '[') {
    if (colon[-1] != ']' || colon - rest < 3)
      return FALSE;
    a->host = g_strndup (rest + 1, (gsize) (colon - rest - 2));
  } else {
    a->host = g_strndup (rest, (gsize) (colon - rest));
  }
  a->port = g_strdup (colon + 1);
  return TRUE;
}

static gboolean
parse_vsock (const gchar * rest, Addr * a)
{
  g_auto (GStrv) parts = g_strsplit (rest, ":", 3);

  if (g_strv_length (parts) != 2)
    return FALSE;
  return parse_u32 (parts[0], &a->cid) && parse_u32 (parts[1], &a->vport);
}

static gboolean
parse_address (const gchar * spec, Addr * a, GError ** err)
{
  gboolean ok = FALSE;

  memset (a, 0, sizeof (*a));
  if (!spec) {
    ok = FALSE;
  } else if (g_str_has_prefix (spec, "tcp:")) {
    a->kind = ADDR_TCP;
    ok = parse_tcp (spec + 4, a);
  } else if (g_str_has_prefix (spec, "unix:")) {
    a->kind = ADDR_UNIX;
    a->host = g_strdup (spec + 5);
    ok = a->host[0] != '\0'
        && strlen (a->host) < sizeof (((struct sockaddr_un *) NULL)->sun_path);
  } else if (g_str_has_prefix (spec, "vsock:")) {
    a->kind = ADDR_VSOCK;
    ok = parse_vsock (spec + 6, a);
  } else if (g_str_has_prefix (spec, "serial:")) {
    /* a virtio-serial port by the name QEMU gave it */
    a->kind = ADDR_UNIX;
    a->host = gst_vsock_enc_find_vport (NULL, NULL, spec + 7, err);
    return a->host != NULL;
  }
  if (!ok) {
    addr_clear (a);
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "'%s' is not an address: use tcp:HOST:PORT, unix:PATH, "
        "vsock:CID:PORT or serial:PORT-NAME", spec ? spec : "(null)");
  }
  return ok;
}

gboolean
gst_vsock_enc_link_check_address (const gchar * spec, GError ** err)
{
  Addr a;

  if (!parse_address (spec, &a, err))
    return FALSE;
  addr_clear (&a);
  return TRUE;
}

guint64
gst_vsock_enc_link_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) +
      (guint64) ts.tv_nsec;
}

static gint
ms_until (gint64 deadline_us)
{
  gint64 left;

  if (deadline_us < 0)
    return -1;
  left = deadline_us - g_get_monotonic_time ();
  if (left <= 0)
    return 0;
  return (gint) MIN ((left + 999) / 1000, G_MAXINT);
}

/* Wait until @fd has @events, the cancel fd fires, or the deadline passes. */
static gboolean
wait_fd (gint fd, gshort events, gint cancel_fd, gint64 deadline_us,
    GError ** err)
{
  for (;;) {
    struct pollfd p[2] = {
      {.fd = fd,.events = events},
      {.fd = cancel_fd,.events = POLLIN},
    };
    gint timeout = ms_until (deadline_us);
    gint r;

    r = poll (p, cancel_fd >= 0 ? 2 : 1, timeout);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      gint e = errno;

      g_set_error (err, G_IO_ERROR, g_io_error_from_errno (e), "poll: %s",
          g_strerror (e));
      return FALSE;
    }
    if (cancel_fd >= 0 && (p[1].revents & POLLIN)) {
      g_set_error_literal (err, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return FALSE;
    }
    if (p[0].revents)
      return TRUE;              /* including POLLERR/POLLHUP: the I/O call says why */
    if (r == 0 && timeout == 0) {
      g_set_error_literal (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "timed out");
      return FALSE;
    }
  }
}

static void
set_errno_error (GError ** err, gint e, const gchar * what)
{
  g_set_error (err, G_IO_ERROR, g_io_error_from_errno (e), "%s%s%s",
      what ? what : "", what ? ": " : "", g_strerror (e));
}

/* Non-blocking connect, finished by poll. */
static gint
connect_sockaddr (gint family, const struct sockaddr *sa, socklen_t len,
    gint cancel_fd, gint64 deadline_us, GError ** err)
{
  gint fd = socket (family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  gint e = 0;
  socklen_t elen = sizeof (e);

  if (fd < 0) {
    set_errno_error (err, errno, NULL);
    return -1;
  }
  if (connect (fd, sa, len) == 0)
    return fd;
  if (errno != EINPROGRESS && errno != EINTR) {
    set_errno_error (err, errno, NULL);
    goto err_close;
  }
  if (!wait_fd (fd, POLLOUT, cancel_fd, deadline_us, err))
    goto err_close;
  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
    e = errno;
  if (e != 0) {
    set_errno_error (err, e, NULL);
    goto err_close;
  }
  return fd;

  /* ERRORS */
err_close:
  {
    close (fd);
    return -1;
  }
}

static gint
connect_tcp (const Addr * a, gint cancel_fd, gint64 deadline_us,
    GError ** err)
{
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
    .ai_flags = AI_NUMERICSERV
  };
  struct addrinfo *res = NULL;
  gint fd = -1, r, one = 1;

  r = getaddrinfo (a->host, a->port, &hints, &res);
  if (r != 0) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND, "%s",
        gai_strerror (r));
    return -1;
  }
  for (struct addrinfo * ai = res; ai && fd < 0; ai = ai->ai_next) {
    g_clear_error (err);
    fd = connect_sockaddr (ai->ai_family, ai->ai_addr, ai->ai_addrlen,
        cancel_fd, deadline_us, err);
  }
  freeaddrinfo (res);
  if (fd < 0)
    return -1;
  /* Small messages (FRAME_SHM is 76 bytes) must not wait for Nagle; a
   * peer that vanished without a FIN (a VM's user networking) is found by
   * keepalive or by the element's reply timeout. */
  (void) setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  (void) setsockopt (fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof (one));
  return fd;
}

static gint
connect_unix (const Addr * a, gint cancel_fd, gint64 deadline_us,
    gboolean * is_socket, GError ** err)
{
  struct sockaddr_un sun = {.sun_family = AF_UNIX };
  struct stat st;
  gint fd;

  if (stat (a->host, &st) < 0) {
    set_errno_error (err, errno, NULL);
    return -1;
  }
  if (S_ISCHR (st.st_mode)) {
    /* A virtio-serial port (/dev/vportNpM, /dev/virtio-ports/NAME). */
    fd = open (a->host, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
      set_errno_error (err, errno, NULL);
    *is_socket = FALSE;
    return fd;
  }
  *is_socket = TRUE;
  g_strlcpy (sun.sun_path, a->host, sizeof (sun.sun_path));
  return connect_sockaddr (AF_UNIX, (const struct sockaddr *) &sun,
      sizeof (sun), cancel_fd, deadline_us, err);
}

static gint
connect_vsock (const Addr * a, gint cancel_fd, gint64 deadline_us,
    GError ** err)
{
  struct sockaddr_vm svm = {.svm_family = AF_VSOCK,.svm_cid = a->cid,
    .svm_port = a->vport
  };

  return connect_sockaddr (AF_VSOCK, (const struct sockaddr *) &svm,
      sizeof (svm), cancel_fd, deadline_us, err);
}

gboolean
gst_vsock_enc_link_connect (const gchar * spec, gint cancel_fd,
    gint64 deadline_us, GstVsockEncLink * link, GError ** err)
{
  Addr a;
  gboolean is_socket = TRUE;
  gint fd = -1;

  if (!parse_address (spec, &a, err))
    return FALSE;
  switch (a.kind) {
    case ADDR_TCP:
      fd = connect_tcp (&a, cancel_fd, deadline_us, err);
      break;
    case ADDR_UNIX:
      fd = connect_unix (&a, cancel_fd, deadline_us, &is_socket, err);
      break;
    case ADDR_VSOCK:
      fd = connect_vsock (&a, cancel_fd, deadline_us, err);
      break;
  }
  addr_clear (&a);
  if (fd < 0)
    return FALSE;
  link->fd = fd;
  link->is_socket = is_socket;
  return TRUE;
}

static gssize
write_once (const GstVsockEncLink * link, struct iovec *iov, gint n_iov)
{
  if (link->is_socket) {
    struct msghdr m = {.msg_iov = iov,.msg_iovlen = (size_t) n_iov };

    /* MSG_NOSIGNAL: a host that went away must not SIGPIPE the guest */
    return sendmsg (link->fd, &m, MSG_NOSIGNAL);
  }
  return writev (link->fd, iov, n_iov);
}

gboolean
gst_vsock_enc_link_writev (const GstVsockEncLink * link, gint cancel_fd,
    struct iovec *iov, gint n_iov, gint64 deadline_us, GError ** err)
{
  while (n_iov > 0) {
    gssize w;

    if (iov->iov_len == 0) {
      iov++;
      n_iov--;
      continue;
    }
    w = write_once (link, iov, MIN (n_iov, 64));
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        set_errno_error (err, errno, NULL);
        return FALSE;
      }
      if (!wait_fd (link->fd, POLLOUT, cancel_fd, deadline_us, err))
        return FALSE;
      continue;
    }
    while (w > 0) {
      gsize take = MIN ((gsize) w, iov->iov_len);

      iov->iov_base = (guint8 *) iov->iov_base + take;
      iov->iov_len -= take;
      w -= (gssize) take;
      if (iov->iov_len == 0) {
        iov++;
        n_iov--;
      }
    }
  }
  return TRUE;
}

static gboolean
read_exact (const GstVsockEncLink * link, gint cancel_fd, guint8 * buf,
    gsize len, gint64 deadline_us, GError ** err)
{
  while (len > 0) {
    gssize r = read (link->fd, buf, len);

    if (r > 0) {
      buf += r;
      len -= (gsize) r;
      continue;
    }
    if (r == 0) {
      g_set_error_literal (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
          "hostencd closed the connection");
      return FALSE;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      set_errno_error (err, errno, NULL);
      return FALSE;
    }
    if (!wait_fd (link->fd, POLLIN, cancel_fd, deadline_us, err))
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_vsock_enc_link_wait_readable (const GstVsockEncLink * link,
    gint cancel_fd, gint64 deadline_us, GError ** err)
{
  return wait_fd (link->fd, POLLIN, cancel_fd, deadline_us, err);
}

guint8 *
gst_vsock_enc_link_read_msg (const GstVsockEncLink * link, gint cancel_fd,
    gint64 deadline_us, guint32 max_payload, struct hxfr_msg *msg,
    GError ** err)
{
  guint8 hdr[HXFR_HEADER_SIZE];
  guint8 *block;
  gsize need = 0, have = 0;
  guint64 skipped = 0;
  gint r;

  /* A virtio-serial port outlives the pipelines that open it: what an
   * earlier one left unread may start mid-message. Skip to the next
   * message there; on a socket, a framing error ends the connection. */
  for (;;) {
    gsize skip;

    if (!read_exact (link, cancel_fd, hdr + have, sizeof (hdr) - have,
            deadline_us, err))
      return NULL;
    have = sizeof (hdr);
    r = hxfr_frame (hdr, sizeof (hdr), max_payload, msg, &need);
    if (r >= 0)
      break;
    if (link->is_socket)
      goto err_framing;
    skip = hxfr_resync (hdr, have, max_payload);
    memmove (hdr, hdr + skip, have - skip);
    have -= skip;
    skipped += skip;
  }
  if (skipped)
    g_info ("skipped %" G_GUINT64_FORMAT " stale bytes on the port before a "
        "%s", skipped, hxfr_type_name (hdr[4]));
  if (r == 1)                   /* no payload */
    need = HXFR_HEADER_SIZE;
  block = g_try_malloc (need);
  if (!block) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
        "no memory for a %" G_GSIZE_FORMAT "-byte message", need);
    return NULL;
  }
  memcpy (block, hdr, sizeof (hdr));
  if (!read_exact (link, cancel_fd, block + sizeof (hdr), need - sizeof (hdr),
          deadline_us, err)) {
    g_free (block);
    return NULL;
  }
  r = hxfr_frame (block, need, max_payload, msg, &need);
  if (r != 1) {
    g_free (block);
    goto err_framing;
  }
  return block;

  /* ERRORS */
err_framing:
  {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "framing error from hostencd (%s)", r == -EPROTO ? "bad magic" :
        r == -EMSGSIZE ? "message over the size limit" : "malformed header");
    return NULL;
  }
}
