/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding vsockenc's devices in the guest through sysfs: QEMU's ivshmem
 * (its BAR 2 file) and virtio-serial ports by name. See
 * gstvsockencdevices.h. */
#include "gstvsockencdevices.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define PCI_DEVICES "bus/pci/devices"
#define VPORT_CLASS "class/virtio-ports"
#define IVSHMEM_HINT "start the VM with -device ivshmem-plain,memdev=... " \
  "or set shm-path"

/* A sysfs attribute's text without its trailing newline, or NULL. */
static gchar *
read_attr (const gchar * dir, const gchar * attr)
{
  g_autofree gchar *path = g_build_filename (dir, attr, NULL);
  gchar *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return NULL;
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    text[--len] = '\0';
  return text;
}

/* "0x1af4" (sysfs) or "1af4". */
static gboolean
parse_hex (const gchar * s, guint64 max, guint64 * out)
{
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    s += 2;
  return g_ascii_string_to_unsigned (s, 16, 0, max, out, NULL);
}

static gboolean
attr_is (const gchar * dir, const gchar * attr, guint64 want)
{
  g_autofree gchar *text = read_attr (dir, attr);
  guint64 v;

  return text && parse_hex (text, G_MAXUINT32, &v) && v == want;
}

/* The entries of @path sorted with @cmp, NULL with errno when unreadable. */
static GPtrArray *
list_dir (const gchar * path, GCompareFunc cmp)
{
  DIR *dir = opendir (path);
  GPtrArray *names;
  struct dirent *d;

  if (!dir)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((d = readdir (dir))) {
    if (!g_str_equal (d->d_name, ".") && !g_str_equal (d->d_name, ".."))
      g_ptr_array_add (names, g_strdup (d->d_name));
  }
  closedir (dir);
  g_ptr_array_sort (names, cmp);
  return names;
}

/* Order by the numbers in the names (0000:00:10.0 after 0000:00:04.0,
 * vport0p10 after vport0p2); names that do not parse come last, by
 * strcmp(). */
static gint
compare_numbers (const gchar * a, const gchar * b, guint n, const guint * na,
    gboolean a_ok, const guint * nb, gboolean b_ok)
{
  if (a_ok != b_ok)
    return a_ok ? -1 : 1;
  if (a_ok) {
    for (guint i = 0; i < n; i++) {
      if (na[i] != nb[i])
        return na[i] < nb[i] ? -1 : 1;
    }
  }
  return strcmp (a, b);
}

/* DOMAIN:BUS:DEVICE.FUNCTION, hex */
static gboolean
parse_pci_address (const gchar * s, guint * v)
{
  gint end = -1;

  return sscanf (s, "%x:%x:%x.%x%n", &v[0], &v[1], &v[2], &v[3], &end) == 4
      && end > 0 && s[end] == '\0';
}

static gint
compare_pci (gconstpointer pa, gconstpointer pb)
{
  const gchar *a = *(const gchar * const *) pa;
  const gchar *b = *(const gchar * const *) pb;
  guint na[4], nb[4];
  gboolean a_ok = parse_pci_address (a, na);
  gboolean b_ok = parse_pci_address (b, nb);

  return compare_numbers (a, b, 4, na, a_ok, nb, b_ok);
}

static gboolean
parse_vport_name (const gchar * s, guint * v)
{
  gint end = -1;

  return sscanf (s, "vport%up%u%n", &v[0], &v[1], &end) == 2 && end > 0
      && s[end] == '\0';
}

static gint
compare_vport (gconstpointer pa, gconstpointer pb)
{
  const gchar *a = *(const gchar * const *) pa;
  const gchar *b = *(const gchar * const *) pb;
  guint na[2], nb[2];
  gboolean a_ok = parse_vport_name (a, na);
  gboolean b_ok = parse_vport_name (b, nb);

  return compare_numbers (a, b, 2, na, a_ok, nb, b_ok);
}

/* Size of BAR @bar from the PCI function's resource table (line @bar + 1:
 * "start end flags", hex). 0 when unknown or the BAR is unused. */
static guint64
resource_table_size (const gchar * dev_dir, guint bar)
{
  g_autofree gchar *table = read_attr (dev_dir, "resource");
  g_auto (GStrv) lines = NULL;
  uint64_t start, end;

  if (!table)
    return 0;
  lines = g_strsplit (table, "\n", -1);
  if (g_strv_length (lines) <= bar)
    return 0;
  if (sscanf (lines[bar], "%" SCNx64 " %" SCNx64, &start, &end) != 2)
    return 0;
  if (end <= start)
    return 0;
  return end - start + 1;
}

/* BAR 2 of the ivshmem function in @dev_dir: its resource2 file and size.
 * FALSE with *@why (g_free() it) when unusable. */
static gboolean
ivshmem_bar2 (const gchar * dev_dir, gchar ** path, guint64 * size,
    gchar ** why)
{
  g_autofree gchar *res2 = g_build_filename (dev_dir, "resource2", NULL);
  struct stat st;

  if (stat (res2, &st) < 0) {
    gint e = errno;

    *why = g_strdup_printf ("no BAR 2 (%s: %s)", res2, g_strerror (e));
    return FALSE;
  }
  if (!S_ISREG (st.st_mode)) {
    *why = g_strdup_printf ("%s is not a file", res2);
    return FALSE;
  }
  *size = (guint64) st.st_size;
  if (*size == 0)
    *size = resource_table_size (dev_dir, 2);
  if (*size == 0) {
    *why = g_strdup_printf ("size of BAR 2 unknown (%s is empty and line 3 "
        "of %s/resource gives none)", res2, dev_dir);
    return FALSE;
  }
  *path = g_steal_pointer (&res2);
  return TRUE;
}

gchar *
gst_vsock_enc_find_ivshmem (const gchar * sysfs_root, guint64 * size,
    GError ** err)
{
  g_autofree gchar *devices = g_build_filename (sysfs_root ? sysfs_root :
      "/sys", PCI_DEVICES, NULL);
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GString) others = g_string_new (NULL);
  g_autoptr (GString) unusable = g_string_new (NULL);
  const gchar *chosen = NULL;
  gchar *path = NULL;
  guint64 bar_size = 0;
  guint n_found = 0;

  names = list_dir (devices, compare_pci);
  if (!names) {
    gint e = errno;

    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "no ivshmem device (PCI 1af4:1110): cannot read %s (%s): "
        IVSHMEM_HINT, devices, g_strerror (e));
    return NULL;
  }

  for (guint i = 0; i < names->len; i++) {
    const gchar *addr = g_ptr_array_index (names, i);
    g_autofree gchar *dir = g_build_filename (devices, addr, NULL);
    gchar *why = NULL;

    if (!attr_is (dir, "vendor", GST_VSOCK_ENC_IVSHMEM_VENDOR)
        || !attr_is (dir, "device", GST_VSOCK_ENC_IVSHMEM_DEVICE))
      continue;
    n_found++;
    if (chosen) {
      g_string_append_printf (others, "%s%s", others->len ? ", " : "", addr);
      continue;
    }
    if (!ivshmem_bar2 (dir, &path, &bar_size, &why)) {
      g_info ("ivshmem device %s not usable: %s", addr, why);
      g_string_append_printf (unusable, "%s%s: %s", unusable->len ? "; " : "",
          addr, why);
      g_free (why);
      continue;
    }
    chosen = addr;
  }

  if (!chosen) {
    if (n_found == 0)
      g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
          "no ivshmem device (PCI 1af4:1110) under %s: " IVSHMEM_HINT,
          devices);
    else
      g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
          "no usable ivshmem device (PCI 1af4:1110) under %s (%s): "
          IVSHMEM_HINT, devices, unusable->str);
    return NULL;
  }
  if (others->len)
    g_info ("%u ivshmem devices: using %s (the lowest PCI address), not %s",
        n_found, chosen, others->str);
  if (size)
    *size = bar_size;
  return path;
}

gchar *
gst_vsock_enc_find_vport (const gchar * sysfs_root, const gchar * dev_root,
    const gchar * name, GError ** err)
{
  g_autofree gchar *link = NULL;
  g_autofree gchar *class_dir = NULL;
  g_autoptr (GPtrArray) ports = NULL;
  g_autoptr (GString) known = NULL;

  if (!name || !name[0] || strchr (name, '/') || g_str_equal (name, ".")
      || g_str_equal (name, "..")) {
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "'%s' is not a virtio-serial port name (empty, or has a '/')",
        name ? name : "(null)");
    return NULL;
  }
  if (!dev_root)
    dev_root = "/dev";

  /* udev's name for it */
  link = g_build_filename (dev_root, "virtio-ports", name, NULL);
  if (g_file_test (link, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&link);

  class_dir = g_build_filename (sysfs_root ? sysfs_root : "/sys",
      VPORT_CLASS, NULL);
  ports = list_dir (class_dir, compare_vport);
  if (!ports) {
    gint e = errno;

    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "no virtio-serial port named %s (no ports: cannot read %s: %s; the "
        "guest needs a virtio-serial device and the virtio_console driver)",
        name, class_dir, g_strerror (e));
    return NULL;
  }
  known = g_string_new (NULL);
  for (guint i = 0; i < ports->len; i++) {
    const gchar *port = g_ptr_array_index (ports, i);
    g_autofree gchar *dir = NULL;
    g_autofree gchar *port_name = NULL;

    if (!g_str_has_prefix (port, "vport"))
      continue;
    dir = g_build_filename (class_dir, port, NULL);
    port_name = read_attr (dir, "name");
    if (!port_name || !port_name[0])
      continue;                 /* a port without a name */
    if (g_str_equal (port_name, name))
      return g_build_filename (dev_root, port, NULL);
    g_string_append_printf (known, "%s%s", known->len ? ", " : "", port_name);
  }
  if (known->len)
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "no virtio-serial port named %s (ports: %s)", name, known->str);
  else
    g_set_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "no virtio-serial port named %s (no named ports under %s)", name,
        class_dir);
  return NULL;
}
