/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the desktop-capture tests (test-capture-pipewire.c,
 * test-capture-x11.c): what a guest's desktop capture needs around
 * vsockenc — helper daemons (PipeWire, WirePlumber, a D-Bus session bus,
 * Xvfb) as child processes, the system plugins that capture, and a
 * consumer pipeline run in this process whose decoded pictures come back
 * through an appsink. Builds on vsockenc-test.h (hostencd, registry). */
#ifndef CAPTURE_TEST_H
#define CAPTURE_TEST_H

#include "vsockenc-test.h"

G_BEGIN_DECLS

/* Exit status that makes meson count a test as skipped. */
#define CT_EXIT_SKIP 77

/* vt_init(), then the system plugins @extra (file names such as
 * "libgstpipewire.so") on top of the ones vsockenc-test.c registers.
 * A missing one is a skip: prints why and exits CT_EXIT_SKIP. */
void ct_init (int *argc, char ***argv, const gchar * const *extra,
    const gchar * why_missing);
/* Print "SKIP: <reason>" and exit CT_EXIT_SKIP (only from main(), before
 * the suite runs: check's forked children cannot skip). */
void ct_skip (const gchar * format, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;
/* The full path of @prog in PATH, or NULL. */
gchar *ct_find_program (const gchar * prog);

/* ---- child processes ---------------------------------------------------- */

typedef struct
{
  GPid pid;
  gchar *name;
  gchar *log;                   /* its stdout and stderr */
  gint status;                  /* wait status once it exited */
  gboolean exited;
} CtProc;

/* An environment for helper programs (not the plugin's processes): ours
 * minus GStreamer's plugin and registry settings that vt_init() points at
 * private places, minus G_DEBUG; then @vars ("NAME=value", NULL-ended). */
gchar **ct_child_env (const gchar * const *vars);
/* Start @argv (searched in @envp's PATH) with @envp, output to
 * <@dir>/<@name>.log; @keep_fd, when >= 0, is given to the child as fd 3.
 * Dies with us. NULL (and why printed) when it cannot be started.
 * Nothing in this part uses check's assertions: main() may call it before
 * the suite runs (check cannot report outside a test). */
CtProc *ct_proc_start (const gchar * name, const gchar * const *argv,
    gchar ** envp, const gchar * dir, gint keep_fd);
gboolean ct_proc_alive (CtProc * p);
/* Run @argv to its end (killed after @timeout_s) and return its exit
 * status (-1: could not start or timed out); *@out gets its stdout. */
gint ct_run (const gchar * const *argv, gchar ** envp, guint timeout_s,
    gchar ** out);
void ct_proc_print_log (CtProc * p);
/* SIGTERM, up to 10 s, then SIGKILL; frees. NULL is ignored. */
void ct_proc_stop (CtProc * p);

typedef gboolean (*CtCondition) (gpointer data);
/* Poll @cond every 20 ms for up to @timeout_s while every process in the
 * NULL-ended @watch stays alive. FALSE (after printing the logs of
 * @watch) if it did not come true. */
gboolean ct_wait_for (CtCondition cond, gpointer data, guint timeout_s,
    CtProc ** watch);


/* ---- the consumer pipeline ---------------------------------------------- */

typedef struct
{
  GstElement *pipeline;
  GstElement *enc;              /* named "enc" in the description */
  GstElement *sink;             /* appsink named "out" */
  /* what reaches vsockenc's sink pad (pad probe) */
  guint n_in;
  guint n_fd_mem;               /* GstFdMemory (memfd, shm file) */
  guint n_dmabuf_mem;           /* GstDmaBufMemory */
  guint n_other_mem;             /* e.g. wrapped pointers (PipeWire MemPtr) */
  guint n_in_memfd;             /* pixels in a memfd: its fd or mapped */
  gchar *first_mem;             /* description of the first buffer's memory */
  GstCaps *in_caps;             /* caps vsockenc accepted */
  GstStructure *stats;          /* vsockenc's stats at EOS */
  CtProc *logs[8];              /* helpers whose logs a failure prints */
} CtCapture;

/* gst_parse_launch(@desc), which must name a vsockenc "enc" and an
 * appsink "out" that gets BGRx. */
CtCapture *ct_capture_new (const gchar * desc);

/* Called for every decoded picture (BGRx, @info); @index from 0. */
typedef void (*CtFrameFunc) (CtCapture * c, guint index, GstBuffer * buf,
    const GstVideoInfo * info, gpointer data);

/* PLAYING, hand every decoded picture to @func until EOS. Fails on an
 * error message, on a warning from vsockenc, on a pipeline that does not
 * reach PLAYING, and when EOS takes longer than @timeout_s. Returns the
 * number of decoded pictures. Prints what vsockenc received. */
guint ct_capture_run (CtCapture * c, guint timeout_s, CtFrameFunc func,
    gpointer data);
void ct_capture_free (CtCapture * c);

/* What /proc/self/maps says holds @addr: a file's path (a memfd shows as
 * "/memfd:NAME (deleted)"), "[heap]", or "an anonymous mapping". */
gchar *ct_mapping_of (gconstpointer addr);

/* ---- pictures ------------------------------------------------------------ */

/* Mean B, G, R of the @size x @size square centred on (@x, @y). */
void ct_mean_bgr (const GstVideoFrame * f, guint x, guint y, guint size,
    gdouble bgr[3]);
/* Largest difference of one channel between @bgr and 0xRRGGBB @rgb. */
gdouble ct_bgr_distance (const gdouble bgr[3], guint32 rgb);

G_END_DECLS

#endif
