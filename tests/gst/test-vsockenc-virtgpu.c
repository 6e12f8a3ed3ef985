/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gstvsockencvirtgpu.c where no virtio-gpu is needed: the errors for bad
 * fds and for fds that are not DRM devices, and the search for the
 * virtio-gpu node in fake and missing /dev/dri directories. The working
 * path needs a virtio-gpu guest: tests/vm/virtgpu-resid-probe.c. */
#include "gstvsockencvirtgpu.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static void
test_resource_id_bad_fds (void)
{
  GError *err = NULL;
  guint32 id = 42;
  gint null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);

  g_assert_cmpint (null_fd, >=, 0);

  g_assert_false (gst_vsock_enc_virtgpu_resource_id (-1, null_fd, &id, &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_BADF);
  g_assert_nonnull (strstr (err->message, "no DRM fd"));
  g_clear_error (&err);

  g_assert_false (gst_vsock_enc_virtgpu_resource_id (null_fd, -1, &id, &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_BADF);
  g_assert_nonnull (strstr (err->message, "no DMA-BUF fd"));
  g_clear_error (&err);

  g_assert_cmpuint (id, ==, 42);
  close (null_fd);
}

/* A DRM fd that is no DRM device: the first step fails, with errno. */
static void
test_resource_id_not_drm (void)
{
  g_autofree gchar *want = NULL;
  GError *err = NULL;
  guint32 id = 42;
  gint null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  gint pipe_fds[2];

  g_assert_cmpint (null_fd, >=, 0);
  g_assert_cmpint (pipe (pipe_fds), ==, 0);

  g_assert_false (gst_vsock_enc_virtgpu_resource_id (null_fd, pipe_fds[0],
          &id, &err));
  g_assert_nonnull (err);
  g_assert_true (err->domain == G_FILE_ERROR);
  g_test_message ("%s", err->message);
  want = g_strdup_printf ("virtio-gpu resource id: DMA-BUF fd %d to a GEM "
      "handle on DRM fd %d (DRM_IOCTL_PRIME_FD_TO_HANDLE): %s (errno %d); "
      "the DRM fd is not a DRM device", pipe_fds[0], null_fd,
      g_strerror (ENOTTY), ENOTTY);
  g_assert_cmpstr (err->message, ==, want);
  g_clear_error (&err);

  /* a closed DRM fd */
  close (null_fd);
  g_assert_false (gst_vsock_enc_virtgpu_resource_id (null_fd, pipe_fds[0],
          &id, &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_BADF);
  g_assert_nonnull (strstr (err->message, "DRM_IOCTL_PRIME_FD_TO_HANDLE"));
  g_assert_nonnull (strstr (err->message, "(errno 9)"));
  g_clear_error (&err);

  g_assert_cmpuint (id, ==, 42);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
}

static void
test_open_missing_dir (void)
{
  g_autofree gchar *want = NULL;
  GError *err = NULL;

  g_assert_cmpint (gst_vsock_enc_virtgpu_open_dir
      ("/nonexistent/hostenc-test/dri", &err), ==, -1);
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NODEV);
  want = g_strdup_printf ("no virtio-gpu DRM device: cannot read "
      "/nonexistent/hostenc-test/dri (%s); the guest needs a virtio-gpu "
      "device (QEMU's -device virtio-gpu-pci) and the virtio_gpu driver",
      g_strerror (ENOENT));
  g_assert_cmpstr (err->message, ==, want);
  g_error_free (err);
}

static void
put_file (const gchar * dir, const gchar * name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  GError *err = NULL;

  g_file_set_contents (path, "", 0, &err);
  g_assert_no_error (err);
}

static void
remove_dir (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir))) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      g_assert_cmpint (g_rmdir (child), ==, 0);
    else
      g_assert_cmpint (g_unlink (child), ==, 0);
  }
  g_dir_close (dir);
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

/* Fake nodes (plain files): each is tried, render nodes first, by number,
 * and the error says what each one was; other names are not looked at. */
static void
test_open_fake_nodes (void)
{
  g_autofree gchar *dir = NULL;
  g_autofree gchar *want = NULL;
  g_autofree gchar *sub = NULL;
  GError *err = NULL;
  gchar *bad = NULL;

  dir = g_dir_make_tmp ("vsockenc-dri-XXXXXX", &err);
  g_assert_no_error (err);

  /* empty */
  g_assert_cmpint (gst_vsock_enc_virtgpu_open_dir (dir, &err), ==, -1);
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NODEV);
  want = g_strdup_printf ("no virtio-gpu DRM node in %s (no renderD* or "
      "card* nodes); the guest needs a virtio-gpu device (QEMU's -device "
      "virtio-gpu-pci) and the virtio_gpu driver", dir);
  g_assert_cmpstr (err->message, ==, want);
  g_clear_error (&err);
  g_clear_pointer (&want, g_free);

  put_file (dir, "card10");
  put_file (dir, "card2");
  put_file (dir, "renderD129");
  put_file (dir, "renderD128");
  put_file (dir, "controlD64");
  put_file (dir, "card1-Virtual-1");
  sub = g_build_filename (dir, "by-path", NULL);
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);

  g_assert_cmpint (gst_vsock_enc_virtgpu_open_dir (dir, &err), ==, -1);
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NODEV);
  g_test_message ("%s", err->message);
  bad = g_strdup_printf ("not a DRM device (DRM_IOCTL_VERSION: %s, errno %d)",
      g_strerror (ENOTTY), ENOTTY);
  want = g_strdup_printf ("no virtio-gpu DRM node in %s (renderD128: %s, "
      "renderD129: %s, card2: %s, card10: %s); the guest needs a virtio-gpu "
      "device (QEMU's -device virtio-gpu-pci) and the virtio_gpu driver",
      dir, bad, bad, bad, bad);
  g_assert_cmpstr (err->message, ==, want);
  g_clear_error (&err);
  g_free (bad);

  remove_dir (dir);
}

/* /dev/dri of this machine: a fd when it has a virtio-gpu, else the
 * error. */
static void
test_open_default (void)
{
  GError *err = NULL;
  gint fd = gst_vsock_enc_virtgpu_open (&err);

  if (fd >= 0) {
    g_assert_no_error (err);
    g_test_message ("this machine has a virtio-gpu");
    close (fd);
    return;
  }
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NODEV);
  g_test_message ("%s", err->message);
  g_assert_nonnull (strstr (err->message, "/dev/dri"));
  g_error_free (err);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/virtgpu/resource-id/bad-fds", test_resource_id_bad_fds);
  g_test_add_func ("/virtgpu/resource-id/not-drm", test_resource_id_not_drm);
  g_test_add_func ("/virtgpu/open/missing-dir", test_open_missing_dir);
  g_test_add_func ("/virtgpu/open/fake-nodes", test_open_fake_nodes);
  g_test_add_func ("/virtgpu/open/default", test_open_default);
  return g_test_run ();
}
