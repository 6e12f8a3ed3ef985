/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A gzip-compressed "newc" cpio archive writer: just enough to build an
 * initramfs without root (device nodes are only header fields) and without
 * a staging directory.
 */
#pragma once

#include <gio/gio.h>

typedef struct HvmCpio HvmCpio;

HvmCpio *hvm_cpio_new(const char *path, GError **error);
gboolean hvm_cpio_add_dir(HvmCpio *c, const char *name, GError **error);
gboolean hvm_cpio_add_file(HvmCpio *c, const char *name, guint perm,
			   GBytes *data, GError **error);
gboolean hvm_cpio_add_chardev(HvmCpio *c, const char *name, guint perm,
			      guint major, guint minor, GError **error);
/* Writes the trailer and closes the file; without it the file is removed. */
gboolean hvm_cpio_finish(HvmCpio *c, GError **error);
void hvm_cpio_free(HvmCpio *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HvmCpio, hvm_cpio_free)
