/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * newc format (see the kernel's Documentation/driver-api/early-userspace/
 * buffer-format.rst): "070701", thirteen 8-digit hex fields, the name with
 * its NUL, padding to 4 bytes, the data, padding to 4 bytes.
 */
#include "vm-initramfs.h"

#include <glib/gstdio.h>
#include <string.h>

/* Mode bits as the kernel's cpio unpacker reads them; spelled out here
 * because <sys/stat.h> constants are not guaranteed to be these values on
 * every host that builds hostenc-vm. */
#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFCHR 0020000u

struct HvmCpio {
	char *path;
	GOutputStream *out;	/* gzip converter over the file */
	guint64 offset;		/* bytes written, for 4-byte alignment */
	guint32 ino;
	gboolean finished;
};

typedef struct {
	guint32 mode;
	guint32 rdev_major;
	guint32 rdev_minor;
	gsize size;
} EntryHead;

HvmCpio *
hvm_cpio_new(const char *path, GError **error)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileOutputStream) fout = NULL;
	g_autoptr(GZlibCompressor) gz = NULL;
	HvmCpio *c;

	fout = g_file_replace(file, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
			      error);
	if (!fout)
		return NULL;
	gz = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
	c = g_new0(HvmCpio, 1);
	c->path = g_strdup(path);
	c->out = g_converter_output_stream_new(G_OUTPUT_STREAM(fout),
					       G_CONVERTER(gz));
	c->ino = 1;
	return c;
}

void
hvm_cpio_free(HvmCpio *c)
{
	if (!c)
		return;
	if (!c->finished) {
		/* A half-written initramfs must never be mistaken for one. */
		g_output_stream_close(c->out, NULL, NULL);
		g_unlink(c->path);
	}
	g_object_unref(c->out);
	g_free(c->path);
	g_free(c);
}

static gboolean
put(HvmCpio *c, const void *buf, gsize len, GError **error)
{
	if (!g_output_stream_write_all(c->out, buf, len, NULL, NULL, error))
		return FALSE;
	c->offset += len;
	return TRUE;
}

static gboolean
pad4(HvmCpio *c, GError **error)
{
	static const char zeros[4] = { 0 };
	gsize n = (4 - (c->offset & 3)) & 3;

	return n == 0 || put(c, zeros, n, error);
}

static gboolean
put_entry(HvmCpio *c, const char *name, const EntryHead *h,
	  const void *data, GError **error)
{
	char head[6 + 13 * 8 + 1];
	gsize namesize = strlen(name) + 1;

	g_snprintf(head, sizeof(head),
		   "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		   c->ino++, h->mode, 0u, 0u, 1u, 0u, (guint32)h->size, 0u, 0u,
		   h->rdev_major, h->rdev_minor, (guint32)namesize, 0u);
	return put(c, head, sizeof(head) - 1, error) &&
	       put(c, name, namesize, error) && pad4(c, error) &&
	       (h->size == 0 || put(c, data, h->size, error)) &&
	       pad4(c, error);
}

gboolean
hvm_cpio_add_dir(HvmCpio *c, const char *name, GError **error)
{
	EntryHead h = { .mode = CPIO_S_IFDIR | 0755 };

	return put_entry(c, name, &h, NULL, error);
}

gboolean
hvm_cpio_add_file(HvmCpio *c, const char *name, guint perm, GBytes *data,
		  GError **error)
{
	gsize size = 0;
	const void *buf = g_bytes_get_data(data, &size);
	EntryHead h = { .mode = CPIO_S_IFREG | (perm & 07777), .size = size };

	if (size > G_MAXUINT32) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s is too large for an initramfs", name);
		return FALSE;
	}
	return put_entry(c, name, &h, buf, error);
}

gboolean
hvm_cpio_add_chardev(HvmCpio *c, const char *name, guint perm, guint major,
		     guint minor, GError **error)
{
	EntryHead h = {
		.mode = CPIO_S_IFCHR | (perm & 07777),
		.rdev_major = major,
		.rdev_minor = minor,
	};

	return put_entry(c, name, &h, NULL, error);
}

gboolean
hvm_cpio_finish(HvmCpio *c, GError **error)
{
	EntryHead h = { 0 };

	if (!put_entry(c, "TRAILER!!!", &h, NULL, error) ||
	    !g_output_stream_close(c->out, NULL, error))
		return FALSE;
	c->finished = TRUE;
	return TRUE;
}
