/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gstvsockencdevices.c on fake sysfs and /dev trees: the ivshmem BAR 2
 * (choice among several devices, sizes from the file or the resource
 * table, devices without a BAR 2) and virtio-serial ports by name (udev's
 * symlink, the sysfs scan, bad names, the errors). GLib only. */
#include "test-fs.h"
#include "gstvsockencdevices.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define LOG_DOMAIN "vsockenc"

typedef struct
{
  gchar *root;                  /* the temporary directory */
  gchar *sys;                   /* root/sys */
  gchar *dev;                   /* root/dev */
} Fixture;


static void
fixture_setup (Fixture * f, gconstpointer data)
{
  GError *err = NULL;

  f->root = g_dir_make_tmp ("vsockenc-devices-XXXXXX", &err);
  g_assert_no_error (err);
  f->sys = g_build_filename (f->root, "sys", NULL);
  f->dev = g_build_filename (f->root, "dev", NULL);
  g_assert_cmpint (g_mkdir (f->sys, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (f->dev, 0755), ==, 0);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  tf_rm_rf (f->root);
  g_free (f->root);
  g_free (f->sys);
  g_free (f->dev);
}

/* Write @text to @dir/@rel, making the directories on the way. */
static void
put_file (const gchar * dir, const gchar * rel, const gchar * text)
{
  g_autofree gchar *path = g_build_filename (dir, rel, NULL);
  g_autofree gchar *parent = g_path_get_dirname (path);
  GError *err = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, text, -1, &err);
  g_assert_no_error (err);
}

static void
put_symlink (const gchar * dir, const gchar * rel, const gchar * target)
{
  g_autofree gchar *path = g_build_filename (dir, rel, NULL);
  g_autofree gchar *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

/* Size a (sparse) file as sysfs sizes resourceN: the BAR's size. */
static void
put_sized (const gchar * dir, const gchar * rel, guint64 size)
{
  g_autofree gchar *path = g_build_filename (dir, rel, NULL);

  put_file (dir, rel, "");
  g_assert_cmpint (truncate (path, (off_t) size), ==, 0);
}

/* A PCI function under sys/bus/pci/devices: its ids, resource2 of
 * @res2_size bytes (< 0: none) and, when given, its resource table. */
static void
put_pci (Fixture * f, const gchar * addr, const gchar * vendor,
    const gchar * device, gint64 res2_size, const gchar * table)
{
  g_autofree gchar *dir = g_build_filename (f->sys, "bus", "pci", "devices",
      addr, NULL);

  put_file (dir, "vendor", vendor);
  put_file (dir, "device", device);
  put_file (dir, "class", "0x050000\n");
  if (res2_size >= 0)
    put_sized (dir, "resource2", (guint64) res2_size);
  if (table)
    put_file (dir, "resource", table);
}

static gchar *
res2_path (Fixture * f, const gchar * addr)
{
  return g_build_filename (f->sys, "bus", "pci", "devices", addr,
      "resource2", NULL);
}

/* Devices every test PCI bus has: the host bridge and a virtio-net (same
 * vendor as ivshmem, other device id). */
static void
put_common_pci (Fixture * f)
{
  put_pci (f, "0000:00:00.0", "0x8086\n", "0x1237\n", -1, NULL);
  put_pci (f, "0000:00:03.0", "0x1af4\n", "0x1000\n", 16384, NULL);
}

static void
test_ivshmem_one (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = res2_path (f, "0000:00:04.0");
  g_autofree gchar *path = NULL;
  GError *err = NULL;
  guint64 size = 0;

  put_common_pci (f);
  put_pci (f, "0000:00:04.0", "0x1af4\n", "0x1110\n", 64 * MiB, NULL);
  path = gst_vsock_enc_find_ivshmem (f->sys, &size, &err);
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
  g_assert_cmpuint (size, ==, 64 * MiB);
}

/* Several: the lowest address wins, by number (0000:00:0a.0 < 0000:00:10.0,
 * and a five-digit domain after a four-digit one), and the others are
 * logged. */
static void
test_ivshmem_order (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = res2_path (f, "0000:00:0a.0");
  g_autofree gchar *path = NULL;
  GError *err = NULL;
  guint64 size = 0;

  put_common_pci (f);
  put_pci (f, "0000:00:10.0", "0x1af4\n", "0x1110\n", 4 * MiB, NULL);
  put_pci (f, "0000:00:0a.0", "0x1af4\n", "0x1110\n", 8 * MiB, NULL);
  put_pci (f, "0000:01:00.0", "0x1af4\n", "0x1110\n", 2 * MiB, NULL);
  g_test_expect_message (LOG_DOMAIN, G_LOG_LEVEL_INFO,
      "3 ivshmem devices: using 0000:00:0a.0 (the lowest PCI address), "
      "not 0000:00:10.0, 0000:01:00.0");
  path = gst_vsock_enc_find_ivshmem (f->sys, &size, &err);
  g_test_assert_expected_messages ();
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
  g_assert_cmpuint (size, ==, 8 * MiB);
}

static void
test_ivshmem_order_domain (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = res2_path (f, "ffff:00:02.0");
  g_autofree gchar *path = NULL;
  GError *err = NULL;

  put_pci (f, "10000:00:01.0", "0x1af4\n", "0x1110\n", 4 * MiB, NULL);
  put_pci (f, "ffff:00:02.0", "0x1af4\n", "0x1110\n", 4 * MiB, NULL);
  g_test_expect_message (LOG_DOMAIN, G_LOG_LEVEL_INFO,
      "2 ivshmem devices: using ffff:00:02.0 *not 10000:00:01.0");
  path = gst_vsock_enc_find_ivshmem (f->sys, NULL, &err);
  g_test_assert_expected_messages ();
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
}

/* The lowest one has no BAR 2: the next one is used, the skip is logged. */
static void
test_ivshmem_skip_no_bar2 (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = res2_path (f, "0000:00:06.0");
  g_autofree gchar *path = NULL;
  GError *err = NULL;
  guint64 size = 0;

  put_common_pci (f);
  put_pci (f, "0000:00:05.0", "0x1af4\n", "0x1110\n", -1, NULL);
  put_pci (f, "0000:00:06.0", "0x1af4\n", "0x1110\n", 16 * MiB, NULL);
  g_test_expect_message (LOG_DOMAIN, G_LOG_LEVEL_INFO,
      "ivshmem device 0000:00:05.0 not usable: no BAR 2 (*resource2: *)");
  path = gst_vsock_enc_find_ivshmem (f->sys, &size, &err);
  g_test_assert_expected_messages ();
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
  g_assert_cmpuint (size, ==, 16 * MiB);
}

/* resource2 says 0 bytes: the size comes from line 3 of resource. */
static void
test_ivshmem_size_from_table (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = res2_path (f, "0000:00:04.0");
  g_autofree gchar *path = NULL;
  GError *err = NULL;
  guint64 size = 0;

  put_pci (f, "0000:00:04.0", "0x1af4", "0x1110", 0,
      "0x00000000febf1000 0x00000000febf10ff 0x0000000000040200\n"
      "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
      "0x0000000800000000 0x00000008001fffff 0x000000000014220c\n"
      "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
  path = gst_vsock_enc_find_ivshmem (f->sys, &size, &err);
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
  g_assert_cmpuint (size, ==, 2 * MiB);
}

static void
test_ivshmem_none (Fixture * f, gconstpointer data)
{
  GError *err = NULL;
  guint64 size = 123;
  gchar *path;

  put_common_pci (f);
  path = gst_vsock_enc_find_ivshmem (f->sys, &size, &err);
  g_assert_null (path);
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_test_message ("%s", err->message);
  g_assert_nonnull (strstr (err->message,
          "no ivshmem device (PCI 1af4:1110) under "));
  g_assert_nonnull (strstr (err->message, "/sys/bus/pci/devices: start the "
          "VM with -device ivshmem-plain,memdev=... or set shm-path"));
  g_assert_cmpuint (size, ==, 123);
  g_error_free (err);
}

/* No PCI bus at all (no bus/pci/devices) */
static void
test_ivshmem_no_bus (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = NULL;
  GError *err = NULL;

  g_assert_null (gst_vsock_enc_find_ivshmem (f->sys, NULL, &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  want = g_strdup_printf ("no ivshmem device (PCI 1af4:1110): cannot read "
      "%s/bus/pci/devices (%s): start the VM with -device "
      "ivshmem-plain,memdev=... or set shm-path", f->sys,
      g_strerror (ENOENT));
  g_assert_cmpstr (err->message, ==, want);
  g_error_free (err);
}

/* ivshmem devices, none usable: no resource2; resource2 of 0 bytes and no
 * size in the resource table; resource2 a directory. */
static void
test_ivshmem_unusable (Fixture * f, gconstpointer data)
{
  g_autofree gchar *odd = NULL;
  GError *err = NULL;

  put_common_pci (f);
  put_pci (f, "0000:00:04.0", "0x1af4\n", "0x1110\n", -1, NULL);
  put_pci (f, "0000:00:05.0", "0x1af4\n", "0x1110\n", 0,
      "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n");
  put_pci (f, "0000:00:06.0", "0x1af4\n", "0x1110\n", 0, NULL);
  put_pci (f, "0000:00:07.0", "0x1af4\n", "0x1110\n", -1, NULL);
  odd = res2_path (f, "0000:00:07.0");
  g_assert_cmpint (g_mkdir (odd, 0755), ==, 0);

  g_test_expect_message (LOG_DOMAIN, G_LOG_LEVEL_INFO,
      "ivshmem device 0000:00:04.0 not usable: no BAR 2*");
  g_test_expect_message (LOG_DOMAIN, G_LOG_LEVEL_INFO,
      "ivshmem device 0000:00:05.0 not usable: size of BAR 2 unknown*");
  g_test_expect_message (LOG_DOMAIN, G_LOG_LEVEL_INFO,
      "ivshmem device 0000:00:06.0 not usable: size of BAR 2 unknown*");
  g_test_expect_message (LOG_DOMAIN, G_LOG_LEVEL_INFO,
      "ivshmem device 0000:00:07.0 not usable: *resource2 is not a file");
  g_assert_null (gst_vsock_enc_find_ivshmem (f->sys, NULL, &err));
  g_test_assert_expected_messages ();
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_test_message ("%s", err->message);
  g_assert_true (g_str_has_prefix (err->message,
          "no usable ivshmem device (PCI 1af4:1110) under "));
  g_assert_nonnull (strstr (err->message, "(0000:00:04.0: no BAR 2 ("));
  g_assert_nonnull (strstr (err->message, "; 0000:00:05.0: size of BAR 2"));
  g_assert_nonnull (strstr (err->message, "; 0000:00:06.0: size of BAR 2"));
  g_assert_nonnull (strstr (err->message, "; 0000:00:07.0: "));
  g_assert_nonnull (strstr (err->message, "or set shm-path"));
  g_error_free (err);
}

/* Ids that only look alike, or do not parse, are not ivshmem. */
static void
test_ivshmem_ids (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = res2_path (f, "0000:00:09.0");
  g_autofree gchar *gone = res2_path (f, "0000:00:08.0");
  g_autofree gchar *path = NULL;
  GError *err = NULL;

  put_pci (f, "0000:00:04.0", "0x1af4\n", "0x11100\n", MiB, NULL);
  put_pci (f, "0000:00:05.0", "0x1af5\n", "0x1110\n", MiB, NULL);
  put_pci (f, "0000:00:06.0", "1af4 \n", "0x1110\n", MiB, NULL);
  put_pci (f, "0000:00:07.0", "0x1af4\n", "", MiB, NULL);
  put_pci (f, "0000:00:08.0", "0x1af4\n", "0x1110\n", MiB, NULL);
  g_assert_cmpint (g_unlink (gone), ==, 0);
  put_pci (f, "0000:00:09.0", "0X1AF4", "1110\n", MiB, NULL);
  g_test_expect_message (LOG_DOMAIN, G_LOG_LEVEL_INFO,
      "ivshmem device 0000:00:08.0 not usable*");
  path = gst_vsock_enc_find_ivshmem (f->sys, NULL, &err);
  g_test_assert_expected_messages ();
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
}

/* NULL root is /sys: whatever this machine has, the answer names it. */
static void
test_ivshmem_default_root (void)
{
  g_autofree gchar *path = NULL;
  GError *err = NULL;
  guint64 size = 0;

  path = gst_vsock_enc_find_ivshmem (NULL, &size, &err);
  if (path) {
    g_assert_no_error (err);
    g_assert_true (g_str_has_prefix (path, "/sys/bus/pci/devices/"));
    g_assert_true (g_str_has_suffix (path, "/resource2"));
    g_assert_cmpuint (size, >, 0);
  } else {
    g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_test_message ("%s", err->message);
    g_assert_nonnull (strstr (err->message, "/sys/bus/pci/devices"));
    g_error_free (err);
  }
}

/* Three named ports and an unnamed one; in real sysfs the class entries
 * are symlinks to the devices, as vport0p2 here. */
static void
put_ports (Fixture * f)
{
  g_autofree gchar *cls = g_build_filename (f->sys, "class", "virtio-ports",
      NULL);

  put_file (cls, "vport0p1/name", "org.qemu.guest_agent.0\n");
  put_file (f->sys, "devices/pci0000:00/0000:00:05.0/virtio2/virtio-ports/"
      "vport0p2/name", "hostenc\n");
  put_symlink (cls, "vport0p2", "../../devices/pci0000:00/0000:00:05.0/"
      "virtio2/virtio-ports/vport0p2");
  put_file (cls, "vport0p10/name", "other");
  put_file (cls, "vport1p1/name", "");
  put_file (cls, "vport1p2/dev", "243:2\n");        /* no name file */
}

static void
test_vport_scan (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = g_build_filename (f->dev, "vport0p2", NULL);
  g_autofree gchar *want10 = g_build_filename (f->dev, "vport0p10", NULL);
  g_autofree gchar *path = NULL;
  g_autofree gchar *path10 = NULL;
  GError *err = NULL;

  put_ports (f);
  path = gst_vsock_enc_find_vport (f->sys, f->dev, "hostenc", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
  /* a name file without a newline */
  path10 = gst_vsock_enc_find_vport (f->sys, f->dev, "other", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (path10, ==, want10);
}

/* udev's /dev/virtio-ports/NAME comes first, even where sysfs disagrees;
 * a dangling one is ignored. */
static void
test_vport_udev_link (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = g_build_filename (f->dev, "virtio-ports",
      "hostenc", NULL);
  g_autofree gchar *want10 = g_build_filename (f->dev, "vport0p10", NULL);
  g_autofree gchar *path = NULL;
  g_autofree gchar *path10 = NULL;
  GError *err = NULL;

  put_ports (f);
  put_file (f->dev, "vport0p2", "");
  put_symlink (f->dev, "virtio-ports/hostenc", "../vport0p2");
  put_symlink (f->dev, "virtio-ports/other", "../vport7p7");
  path = gst_vsock_enc_find_vport (f->sys, f->dev, "hostenc", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
  path10 = gst_vsock_enc_find_vport (f->sys, f->dev, "other", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (path10, ==, want10);

  /* a symlink is enough: no sysfs at all */
  g_free (path);
  path = gst_vsock_enc_find_vport (f->root, f->dev, "hostenc", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
}

/* The same name twice (two virtio-serial devices): the lowest port. */
static void
test_vport_duplicate (Fixture * f, gconstpointer data)
{
  g_autofree gchar *cls = g_build_filename (f->sys, "class", "virtio-ports",
      NULL);
  g_autofree gchar *want = g_build_filename (f->dev, "vport0p3", NULL);
  g_autofree gchar *path = NULL;
  GError *err = NULL;

  put_file (cls, "vport1p1/name", "dup\n");
  put_file (cls, "vport0p3/name", "dup\n");
  path = gst_vsock_enc_find_vport (f->sys, f->dev, "dup", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (path, ==, want);
}

static void
test_vport_not_found (Fixture * f, gconstpointer data)
{
  GError *err = NULL;

  put_ports (f);
  g_assert_null (gst_vsock_enc_find_vport (f->sys, f->dev, "nope", &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  /* in port order: vport0p10 after vport0p2 */
  g_assert_cmpstr (err->message, ==, "no virtio-serial port named nope "
      "(ports: org.qemu.guest_agent.0, hostenc, other)");
  g_clear_error (&err);

  /* a prefix or a name with the newline is not the name */
  g_assert_null (gst_vsock_enc_find_vport (f->sys, f->dev, "hostenc\n",
          &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&err);
  g_assert_null (gst_vsock_enc_find_vport (f->sys, f->dev, "host", &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&err);
}

static void
test_vport_no_named_ports (Fixture * f, gconstpointer data)
{
  g_autofree gchar *cls = g_build_filename (f->sys, "class", "virtio-ports",
      NULL);
  g_autofree gchar *want = NULL;
  GError *err = NULL;

  put_file (cls, "vport0p0/dev", "243:0\n");
  put_file (cls, "vport0p1/name", "\n");
  put_file (cls, "notaport/name", "hostenc\n");
  g_assert_null (gst_vsock_enc_find_vport (f->sys, f->dev, "hostenc", &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  want = g_strdup_printf ("no virtio-serial port named hostenc (no named "
      "ports under %s)", cls);
  g_assert_cmpstr (err->message, ==, want);
  g_error_free (err);
}

static void
test_vport_no_class (Fixture * f, gconstpointer data)
{
  g_autofree gchar *want = NULL;
  GError *err = NULL;

  g_assert_null (gst_vsock_enc_find_vport (f->sys, f->dev, "hostenc", &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  want = g_strdup_printf ("no virtio-serial port named hostenc (no ports: "
      "cannot read %s/class/virtio-ports: %s; the guest needs a "
      "virtio-serial device and the virtio_console driver)", f->sys,
      g_strerror (ENOENT));
  g_assert_cmpstr (err->message, ==, want);
  g_error_free (err);
}

static void
test_vport_bad_names (Fixture * f, gconstpointer data)
{
  const gchar *bad[] = { "", "a/b", "/hostenc", "hostenc/", ".", ".." };
  GError *err = NULL;

  put_ports (f);
  /* even where a directory by that name would be found */
  put_file (f->dev, "virtio-ports/a/b", "");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_null (gst_vsock_enc_find_vport (f->sys, f->dev, bad[i], &err));
    g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    g_assert_nonnull (strstr (err->message, "is not a virtio-serial port "
            "name"));
    g_clear_error (&err);
  }
  g_assert_null (gst_vsock_enc_find_vport (f->sys, f->dev, NULL, &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&err);
}

/* NULL roots are /sys and /dev: a name no machine has. */
static void
test_vport_default_roots (void)
{
  GError *err = NULL;

  g_assert_null (gst_vsock_enc_find_vport (NULL, NULL,
          "hostenc.test.no-such-port", &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_test_message ("%s", err->message);
  g_assert_true (g_str_has_prefix (err->message,
          "no virtio-serial port named hostenc.test.no-such-port ("));
  g_error_free (err);
}

#define ADD(name, fn) \
  g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/ivshmem/one", test_ivshmem_one);
  ADD ("/ivshmem/order", test_ivshmem_order);
  ADD ("/ivshmem/order-domain", test_ivshmem_order_domain);
  ADD ("/ivshmem/skip-no-bar2", test_ivshmem_skip_no_bar2);
  ADD ("/ivshmem/size-from-table", test_ivshmem_size_from_table);
  ADD ("/ivshmem/none", test_ivshmem_none);
  ADD ("/ivshmem/no-bus", test_ivshmem_no_bus);
  ADD ("/ivshmem/unusable", test_ivshmem_unusable);
  ADD ("/ivshmem/ids", test_ivshmem_ids);
  g_test_add_func ("/ivshmem/default-root", test_ivshmem_default_root);
  ADD ("/vport/scan", test_vport_scan);
  ADD ("/vport/udev-link", test_vport_udev_link);
  ADD ("/vport/duplicate", test_vport_duplicate);
  ADD ("/vport/not-found", test_vport_not_found);
  ADD ("/vport/no-named-ports", test_vport_no_named_ports);
  ADD ("/vport/no-class", test_vport_no_class);
  ADD ("/vport/bad-names", test_vport_bad_names);
  g_test_add_func ("/vport/default-roots", test_vport_default_roots);
  return g_test_run ();
}
