/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A desktop captured from an X server, as an X11 guest's screen reaches
 * vsockenc: ximagesrc use-damage=false (the display from $DISPLAY) !
 * videoconvert ! vsockenc ! (hostencd) ! decoded here.
 *
 * Xvfb (1280x720, depth 24) on a display number it picks itself
 * (-displayfd), -noreset so that the root window keeps what xsetroot
 * painted after xsetroot disconnects. The root is tiled with a 128-pixel
 * checkerboard of two known colours (xsetroot -bitmap); after the 20th
 * decoded picture the test paints it one solid colour (xsetroot -solid),
 * as a desktop changes under a running capture.
 *
 * Checked: negotiation succeeds and EOS comes after the 60 captured
 * frames; at least 30 come back decoded, 1280x720; every picture decoded
 * before the change shows the checkerboard (8x8 means at the centres of
 * its 60 squares within a tolerance of the colours); afterwards the
 * pictures switch to the solid colour once and stay there (at most two
 * pictures in between match neither), and the last ten all show it.
 * Whether ximagesrc captured with XShm is read from its debug log and
 * printed; where xdpyinfo shows that the server offers MIT-SHM (Xvfb
 * does), XShm must have been used. The memory vsockenc got is printed too
 * (XShm images are SysV shared memory, "/SYSV...": videoconvert passes
 * BGRx through, so vsockenc reads the XShm image itself). */
#include "capture-test.h"
#include "test-fs.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define W 1280
#define H 720
#define N_BUFFERS 60
#define MIN_PICTURES 30
#define SWITCH_AFTER 20         /* pictures decoded before the change */
#define BLOCK 128
#define FG 0x2080c0
#define BG 0xe0c040
#define SOLID 0xc03050
/* Measured here: within 3 of the colours away from the squares' edges
 * (BT.601 there and back, libx264). A wrong channel order or a stale
 * picture is off by far more than this (140 with red and blue swapped). */
#define TOLERANCE 12.0
#define MAX_MIXED 2

typedef struct
{
  gchar *dir;
  gchar *display;               /* ":N" */
  gchar **env;
  CtProc *xvfb;
} XStack;

/* ---- Xvfb ------------------------------------------------------------------ */

static XStack *
x_stack_start (void)
{
  XStack *x = g_new0 (XStack, 1);
  const gchar *argv[] = { "Xvfb", "-displayfd", "3", "-nolisten", "tcp",
    "-noreset", "-screen", "0", G_STRINGIFY (W) "x" G_STRINGIFY (H) "x24",
    NULL
  };
  gint fds[2];
  gchar num[32] = { 0 };
  gsize got = 0;
  gint64 deadline = g_get_monotonic_time () + VT_TIMEOUT_S * G_USEC_PER_SEC;

  x->dir = g_dir_make_tmp ("capture-x11-XXXXXX", NULL);
  g_assert (x->dir);
  x->env = ct_child_env (NULL);
  ck_assert (pipe (fds) == 0);
  x->xvfb = ct_proc_start ("Xvfb", argv, x->env, x->dir, fds[1]);
  close (fds[1]);
  fail_unless (x->xvfb != NULL, "cannot start Xvfb");
  /* Xvfb writes the display number it took, then a newline, when ready */
  while (!strchr (num, '\n')) {
    struct pollfd p = {.fd = fds[0],.events = POLLIN };
    gssize n;

    if (poll (&p, 1, 100) > 0) {
      n = read (fds[0], num + got, sizeof (num) - 1 - got);
      if (n > 0)
        got += n;
      else if (n == 0 || errno != EINTR)
        break;
    }
    if (!ct_proc_alive (x->xvfb) || g_get_monotonic_time () > deadline
        || got >= sizeof (num) - 1)
      break;
  }
  close (fds[0]);
  if (!strchr (num, '\n')) {
    ct_proc_print_log (x->xvfb);
    fail ("Xvfb did not report a display");
  }
  x->display = g_strdup_printf (":%d", atoi (num));
  g_print ("Xvfb on display %s\n", x->display);
  x->env = g_environ_setenv (x->env, "DISPLAY", x->display, TRUE);
  return x;
}

static void
x_stack_stop (XStack * x)
{
  ct_proc_stop (x->xvfb);
  tf_rm_rf (x->dir);
  g_free (x->dir);
  g_free (x->display);
  g_strfreev (x->env);
  g_free (x);
}

static void
x_run (XStack * x, const gchar * const *argv)
{
  g_autofree gchar *out = NULL, *err = NULL;
  gint status = vt_run (argv, x->env, 30, &out, &err);

  if (status != 0)
    g_printerr ("%s: %s%s", argv[0], out, err);
  fail_unless_equals_int (status, 0);
}

/* An XBM of two squares on the diagonal of a 2x2 grid: tiled over the
 * root it makes a checkerboard whose (0,0) square is the foreground. */
static gchar *
write_checker_xbm (XStack * x)
{
  gchar *path = g_build_filename (x->dir, "checker.xbm", NULL);
  GString *s = g_string_new (NULL);
  const guint size = 2 * BLOCK;

  g_string_append_printf (s, "#define checker_width %u\n"
      "#define checker_height %u\nstatic unsigned char checker_bits[] = {",
      size, size);
  for (guint y = 0; y < size; y++)
    for (guint xb = 0; xb < size / 8; xb++) {
      guint8 byte = 0;

      for (guint bit = 0; bit < 8; bit++) {
        guint px = xb * 8 + bit;

        if ((px < BLOCK) == (y < BLOCK))
          byte |= 1 << bit;     /* XBM: least significant bit leftmost */
      }
      /* short lines: XReadBitmapFile() reads the declaration with a
       * 255-byte fgets() and the values after it */
      g_string_append_printf (s, "%s%s0x%02x", y || xb ? "," : "",
          (y * (size / 8) + xb) % 12 ? "" : "\n  ", byte);
    }
  g_string_append (s, "};\n");
  ck_assert (g_file_set_contents (path, s->str, -1, NULL));
  g_string_free (s, TRUE);
  return path;
}

/* ---- XShm: what ximagesrc logs --------------------------------------------- */

static gint xshm_grabs, xshm_failures;
static GstDebugLevel ximagesrc_level = GST_LEVEL_NONE;

static void
log_watch (GstDebugCategory * cat, GstDebugLevel level, const gchar * file,
    const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  if (strcmp (gst_debug_category_get_name (cat), "ximagesrc") == 0) {
    const gchar *m = gst_debug_message_get (message);

    if (m && strstr (m, "Retrieving screen using XShm"))
      g_atomic_int_inc (&xshm_grabs);
    if (m && strstr (m, "failed to use XShm"))
      g_atomic_int_inc (&xshm_failures);
    /* what was only raised for this watch stays quiet */
    if (level > ximagesrc_level)
      return;
  }
  gst_debug_log_default (cat, level, file, function, line, object, message,
      NULL);
}

static void
watch_xshm (void)
{
  GSList *all = gst_debug_get_all_categories ();

  for (GSList * l = all; l; l = l->next)
    if (strcmp (gst_debug_category_get_name (l->data), "ximagesrc") == 0)
      ximagesrc_level = gst_debug_category_get_threshold (l->data);
  g_slist_free (all);
  /* the functions, not their macros (which -Wpedantic dislikes) */
  (gst_debug_remove_log_function) (gst_debug_log_default);
  (gst_debug_add_log_function) (log_watch, NULL, NULL);
  gst_debug_set_threshold_for_name ("ximagesrc", GST_LEVEL_DEBUG);
}

/* ---- pictures ------------------------------------------------------------ */

enum
{ SHOWS_NEITHER = '?', SHOWS_CHECKER = 'C', SHOWS_SOLID = 'S' };

typedef struct
{
  XStack *x;
  gchar shows[N_BUFFERS * 2 + 1];
  gdouble worst[N_BUFFERS * 2]; /* largest colour error for what it shows */
  guint n;
  guint switched_at;            /* pictures decoded when xsetroot -solid ran */
} Check;

static gchar
classify (const GstVideoFrame * f, gdouble * worst)
{
  gdouble err_checker = 0, err_solid = 0;

  for (guint by = 0; by * BLOCK + BLOCK / 2 < H; by++)
    for (guint bx = 0; bx * BLOCK + BLOCK / 2 < W; bx++) {
      gdouble bgr[3];
      guint32 want = (bx + by) % 2 == 0 ? FG : BG;

      ct_mean_bgr (f, bx * BLOCK + BLOCK / 2, by * BLOCK + BLOCK / 2, 8, bgr);
      err_checker = MAX (err_checker, ct_bgr_distance (bgr, want));
      err_solid = MAX (err_solid, ct_bgr_distance (bgr, SOLID));
    }
  if (err_checker <= TOLERANCE) {
    *worst = err_checker;
    return SHOWS_CHECKER;
  }
  if (err_solid <= TOLERANCE) {
    *worst = err_solid;
    return SHOWS_SOLID;
  }
  *worst = MIN (err_checker, err_solid);
  return SHOWS_NEITHER;
}

static void
check_picture (CtCapture * c, guint index, GstBuffer * buf,
    const GstVideoInfo * info, gpointer data)
{
  Check *chk = data;
  GstVideoFrame f;

  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (info), W);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (info), H);
  ck_assert (index < N_BUFFERS * 2);
  ck_assert (gst_video_frame_map (&f, info, buf, GST_MAP_READ));
  chk->shows[index] = classify (&f, &chk->worst[index]);
  gst_video_frame_unmap (&f);
  chk->n = index + 1;
  if (index + 1 == SWITCH_AFTER) {
    g_autofree gchar *solid = g_strdup_printf ("#%06x", SOLID);
    const gchar *argv[] = { "xsetroot", "-solid", solid, NULL };

    x_run (chk->x, argv);
    chk->switched_at = index + 1;
  }
}

static void
assert_pictures (Check * chk)
{
  guint first_solid = 0, mixed = 0;
  gdouble worst = 0;

  g_print ("pictures (C checkerboard, S solid, ? neither; the change was "
      "made after %u):\n  %s\n", chk->switched_at, chk->shows);
  for (guint i = 0; i < chk->n; i++)
    if (chk->shows[i] != SHOWS_NEITHER)
      worst = MAX (worst, chk->worst[i]);
  g_print ("largest colour error of a recognised picture: %.1f\n", worst);
  fail_unless_equals_int (chk->switched_at, SWITCH_AFTER);
  for (guint i = 0; i < SWITCH_AFTER; i++)
    fail_unless (chk->shows[i] == SHOWS_CHECKER,
        "picture %u, captured before the change, is not the checkerboard "
        "(error %.1f)", i, chk->worst[i]);
  for (first_solid = SWITCH_AFTER; first_solid < chk->n; first_solid++)
    if (chk->shows[first_solid] == SHOWS_SOLID)
      break;
  fail_unless (first_solid < chk->n, "the change never showed");
  for (guint i = SWITCH_AFTER; i < first_solid; i++) {
    if (chk->shows[i] == SHOWS_NEITHER)
      mixed++;
  }
  fail_unless (mixed <= MAX_MIXED, "%u pictures between the two screens "
      "match neither", mixed);
  for (guint i = first_solid; i < chk->n; i++)
    fail_unless (chk->shows[i] == SHOWS_SOLID,
        "picture %u shows '%c' after the solid screen had shown", i,
        chk->shows[i]);
  fail_unless (chk->n - first_solid >= 10, "only %u pictures show the "
      "solid screen", chk->n - first_solid);
}

GST_START_TEST (test_x11_ximagesrc)
{
  XStack *x = x_stack_start ();
  VtHost *host = vt_host_start (NULL);
  g_autofree gchar *xbm = write_checker_xbm (x);
  g_autofree gchar *desc = NULL;
  g_autofree gchar *xdpy = ct_find_program ("xdpyinfo");
  Check chk = {.x = x };
  gboolean mit_shm = FALSE;
  CtCapture *c;
  guint n;

  {
    g_autofree gchar *fg = g_strdup_printf ("#%06x", FG);
    g_autofree gchar *bg = g_strdup_printf ("#%06x", BG);
    const gchar *argv[] = { "xsetroot", "-bitmap", xbm, "-fg", fg, "-bg", bg,
      NULL
    };

    x_run (x, argv);
  }
  if (xdpy) {
    const gchar *argv[] = { "xdpyinfo", "-queryExtensions", NULL };
    g_autofree gchar *out = NULL;

    if (vt_run (argv, x->env, 30, &out, NULL) == 0) {
      mit_shm = strstr (out, "MIT-SHM") != NULL;
      g_print ("X server offers MIT-SHM: %s\n", mit_shm ? "yes" : "no");
    }
  }

  watch_xshm ();
  /* the display through $DISPLAY, as in a guest's session: ximagesrc
   * (1.22) never frees its display-name property, which LeakSanitizer
   * reports in a sanitized build */
  g_setenv ("DISPLAY", x->display, TRUE);
  desc = g_strdup_printf ("ximagesrc use-damage=false num-buffers=%d ! "
      "video/x-raw,framerate=30/1 ! videoconvert ! vsockenc name=enc "
      "host=%s ! h264parse ! avdec_h264 ! videoconvert ! "
      "video/x-raw,format=BGRx ! appsink name=out", N_BUFFERS,
      host->address);
  c = ct_capture_new (desc);
  c->logs[0] = x->xvfb;
  n = ct_capture_run (c, VT_TIMEOUT_S, check_picture, &chk);
  g_print ("ximagesrc grabbed with XShm: %s (%d XShm grabs logged%s)\n",
      g_atomic_int_get (&xshm_grabs) > 0 ? "yes" : "no",
      g_atomic_int_get (&xshm_grabs), g_atomic_int_get (&xshm_failures) ?
      ", XShm calls failed" : "");

  /* the test is of the XShm path, the one guests take */
  if (mit_shm)
    fail_unless (g_atomic_int_get (&xshm_grabs) > 0, "the X server offers "
        "MIT-SHM but ximagesrc did not grab with XShm");
  fail_unless_equals_int (c->n_in, N_BUFFERS);
  fail_unless (n >= MIN_PICTURES, "only %u of %d frames came back", n,
      N_BUFFERS);
  fail_unless_equals_int (chk.n, n);
  assert_pictures (&chk);

  ct_capture_free (c);
  vt_host_stop (host);
  x_stack_stop (x);
}

GST_END_TEST

static Suite *
capture_x11_suite (void)
{
  Suite *s = suite_create ("capture-x11");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_x11_ximagesrc);
  return s;
}

int
main (int argc, char **argv)
{
  static const gchar *const plugins[] = { "libgstximagesrc.so",
    "libgstapp.so", NULL
  };
  const gchar *progs[] = { "Xvfb", "xsetroot", NULL };

  for (guint i = 0; progs[i]; i++) {
    g_autofree gchar *p = ct_find_program (progs[i]);

    if (!p)
      ct_skip ("%s is not installed (scripts/setup installs xvfb and "
          "x11-xserver-utils)", progs[i]);
  }
  ct_init (&argc, &argv, plugins, "scripts/setup installs "
      "gstreamer1.0-plugins-good and gstreamer1.0-plugins-base");
  return gst_check_run_suite (capture_x11_suite (), "capture-x11",
      __FILE__);
}
