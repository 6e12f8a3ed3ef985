/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostenc-vm command-line options and the directories they default to.
 */
#pragma once

#include <glib.h>

typedef enum {
	HVM_ACCEL_AUTO,
	HVM_ACCEL_KVM,
	HVM_ACCEL_TCG,
	HVM_ACCEL_HVF,
} HvmAccel;

typedef struct {
	char *name;
	char *disk;
	char *kernel;
	char *initrd;
	char *append;
	guint memory_mb;
	guint smp;
	HvmAccel accel;
	guint width;		/* 0: let QEMU pick */
	guint height;
	guint ivshmem_mb;
	char *vm_root;		/* VMDIR: one directory per VM inside */
	char *cache_dir;
	char *qemu;		/* NULL: the platform's default binary from PATH */
	char *serial;		/* NULL: $VMDIR/NAME/serial.sock */
	gboolean print_command;
} HvmOptions;

#define HVM_NAME_MAX 32

HvmOptions *hvm_options_parse(int argc, char **argv, GError **error);
void hvm_options_free(HvmOptions *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HvmOptions, hvm_options_free)

gboolean hvm_name_is_valid(const char *name);
const char *hvm_accel_to_string(HvmAccel accel);
char *hvm_default_vm_root(void);
char *hvm_default_cache_dir(void);
