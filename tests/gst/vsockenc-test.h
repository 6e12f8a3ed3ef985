/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the vsockenc tests: a real hostencd child process,
 * test pictures, H.264 checks, and the GStreamer environment (a private
 * registry over only the plugins the tests use). */
#ifndef VSOCKENC_TEST_H
#define VSOCKENC_TEST_H

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/** Longest any single wait may take (sanitized builds on two busy cores). */
#define VT_TIMEOUT_S 60

typedef struct
{
  GPid pid;
  gchar *dir;                   /* private temporary directory */
  gchar *sock;                  /* unix socket path */
  gchar *address;               /* "unix:<sock>" or "tcp:127.0.0.1:<port>" */
  gchar *shm;                   /* shared file (64 MiB) when started with shm */
  gchar *log;                   /* hostencd's stdout+stderr */
  guint port;                   /* TCP port, 0 for unix */
  gchar **argv;
} VtHost;

typedef struct
{
  gboolean shm;                 /* --shm <dir>/shm.bin */
  gboolean tcp;                 /* listen on a free TCP port, not a socket */
  const gchar *const *args;     /* more hostencd arguments, NULL-terminated */
} VtHostOptions;

/* Call first in main(): points GStreamer at the build's plugin and a
 * private registry over the system plugins the tests need, then
 * gst_check_init(). */
void vt_init (int *argc, char ***argv);

VtHost *vt_host_start (const VtHostOptions * o);
/* SIGKILL, as a crash would (socket closed without goodbye). */
void vt_host_kill (VtHost * h);
/* Start it again with the same arguments (same socket / port). */
void vt_host_restart (VtHost * h);
/* SIGTERM, wait; asserts a clean exit and no sanitizer report. Frees. */
void vt_host_stop (VtHost * h);

/* A BGRx test picture: smooth gradients and a box that moves with @n. */
GstBuffer *vt_make_bgrx (guint width, guint height, guint n);
/* PSNR (dB) of two BGRx pictures over B, G, R. */
gdouble vt_psnr_bgrx (GstBuffer * a, GstBuffer * b, guint width,
    guint height);

/* Decode Annex B access units (caps @caps) to BGRx pictures of the same
 * size, in order. Returns a GPtrArray of GstBuffer (caller unrefs). */
GPtrArray *vt_decode (GPtrArray * aus, GstCaps * caps);
/* TRUE when the access unit holds an IDR slice (NAL type 5). */
gboolean vt_au_has_idr (GstBuffer * au);

/* A vsockenc with host=@h's address (and shm-path when @shm). */
GstElement *vt_make_enc (VtHost * h, gboolean shm);
/* Pull everything the harness has to give within @timeout_s after EOS. */
GPtrArray *vt_pull_all (GstHarness * h, guint expected);

/* Open file descriptors of this process. */
guint vt_count_fds (void);

/* Run @argv with @envp (NULL: ours) and a watchdog of @timeout_s.
 * Returns the exit status (-1 killed by the watchdog); *out and *err
 * get the output when non-NULL. */
gint vt_run (const gchar * const *argv, gchar ** envp, guint timeout_s,
    gchar ** out, gchar ** err);
/* The environment for a gst-launch child: ours, plus the sanitizer
 * runtime preloaded when this build is sanitized. */
gchar **vt_launch_env (void);
/* Whether this build is sanitized (and so needs the runtime preloaded in
 * uninstrumented programs that load the plugin). */
gboolean vt_sanitized (void);

/* A pseudo-terminal in raw mode whose other end is bridged to hostencd's
 * unix socket: a character device like a virtio-serial port in a guest
 * (/dev/vportNpM), without a VM. */
typedef struct _VtPty VtPty;
VtPty *vt_pty_start (const gchar * unix_path);
const gchar *vt_pty_path (VtPty * p);
void vt_pty_stop (VtPty * p);

/* Wait for a bus message of @types for up to @timeout_s. */
GstMessage *vt_wait_message (GstBus * bus, GstMessageType types,
    guint timeout_s);

G_END_DECLS

#endif
