/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The demo guest: the host's Debian kernel, a tiny initramfs (busybox-static
 * plus the virtio/9p/overlay modules) and guest/demo.sh, which runs on an
 * overlay of the host's root filesystem.  Built once into the cache dir.
 */
#pragma once

#include <glib.h>

typedef struct {
	char *kernel;
	char *kver;		/* the kernel's release, e.g. 6.1.0-57-amd64 */
	char *dir;		/* the cache entry holding the files below */
	char *initrd;
	char *script;		/* demo.sh, reached by the guest over 9p */
} HvmGuest;

HvmGuest *hvm_guest_ensure(const char *cache_dir, GError **error);
void hvm_guest_free(HvmGuest *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HvmGuest, hvm_guest_free)

/* Kernel command line that boots the demo script. */
char *hvm_guest_append(const HvmGuest *g);
/* Kernel command line that only proves the kernel reached userspace by
 * printing @marker on the serial console, then powers off. */
char *hvm_guest_probe_append(const char *marker);

/* The newest /boot/vmlinuz-* (or $HOSTENC_VM_KERNEL). */
gboolean hvm_guest_find_kernel(char **kernel, char **kver, GError **error);
