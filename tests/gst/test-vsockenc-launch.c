/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockenc in gst-launch-1.0 processes, as a user would run it: decoded
 * to fakesink, and written to a file that ffprobe reads back frame by
 * frame. In a sanitized build gst-launch gets the sanitizer runtime
 * preloaded (vt_launch_env()). */
#include "vsockenc-test.h"

#include <string.h>

#define N_FRAMES 300

static void
run_launch (const gchar * pipeline)
{
  g_auto (GStrv) argv = NULL;
  g_auto (GStrv) env = vt_launch_env ();
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *cmd = g_strdup_printf ("gst-launch-1.0 -q %s", pipeline);
  gint status;

  ck_assert (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  status = vt_run ((const gchar * const *) argv, env, 120, &out, &err);
  if (status != 0 || strstr (err, "ERROR") || strstr (err, "WARNING"))
    g_printerr ("$ %s\n%s%s", cmd, out, err);
  fail_unless_equals_int (status, 0);
  fail_unless (strstr (err, "ERROR") == NULL, "%s", err);
  fail_unless (strstr (err, "WARNING") == NULL, "%s", err);
}

static guint
ffprobe_frames (const gchar * path)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-count_frames",
    "-select_streams", "v:0", "-show_entries",
    "stream=nb_read_frames,codec_name,profile,width,height",
    "-of", "default=noprint_wrappers=1", path, NULL
  };
  g_autofree gchar *out = NULL, *err = NULL;
  const gchar *n;
  gint status;

  /* ffprobe is not instrumented and needs nothing preloaded */
  status = vt_run (argv, NULL, 60, &out, &err);
  fail_unless_equals_int (status, 0);
  GST_INFO ("ffprobe %s:\n%s", path, out);
  fail_unless (strstr (out, "codec_name=h264") != NULL, "%s", out);
  fail_unless (strstr (out, "width=320") && strstr (out, "height=240"), "%s",
      out);
  n = strstr (out, "nb_read_frames=");
  fail_unless (n != NULL, "%s%s", out, err);
  return (guint) g_ascii_strtoull (n + strlen ("nb_read_frames="), NULL, 10);
}

/* TCP, as a guest reaches the host through QEMU user networking. */
GST_START_TEST (test_launch_decode)
{
  VtHostOptions ho = {.tcp = TRUE };
  VtHost *host = vt_host_start (&ho);
  g_autofree gchar *p = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240 ! vsockenc host=%s ! h264parse ! "
      "avdec_h264 ! fakesink", N_FRAMES, host->address);

  run_launch (p);
  vt_host_stop (host);
}

GST_END_TEST

static void
launch_to_file (gboolean shm)
{
  VtHostOptions ho = {.shm = shm };
  VtHost *host = vt_host_start (&ho);
  g_autofree gchar *file = g_build_filename (host->dir, "out.h264", NULL);
  g_autofree gchar *p = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240 ! vsockenc host=%s%s%s ! "
      "filesink location=%s", N_FRAMES, host->address,
      shm ? " shm-path=" : "", shm ? host->shm : "", file);

  run_launch (p);
  /* hostencd queues 2 frames besides the one it encodes and vsockenc keeps
   * 2 in flight: nothing is dropped, every frame is in the file */
  fail_unless_equals_int (ffprobe_frames (file), N_FRAMES);
  vt_host_stop (host);
}

GST_START_TEST (test_launch_file_inline)
{
  launch_to_file (FALSE);
}

GST_END_TEST

GST_START_TEST (test_launch_file_shm)
{
  launch_to_file (TRUE);
}

GST_END_TEST

static Suite *
vsockenc_launch_suite (void)
{
  Suite *s = suite_create ("vsockenc-launch");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_launch_decode);
  tcase_add_test (tc, test_launch_file_inline);
  tcase_add_test (tc, test_launch_file_shm);
  return s;
}

int
main (int argc, char **argv)
{
  vt_init (&argc, &argv);
  return gst_check_run_suite (vsockenc_launch_suite (), "vsockenc-launch",
      __FILE__);
}
