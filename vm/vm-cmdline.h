/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU command line for one VM.  vm-cmdline.c adds what every platform
 * shares (the hostencd contract: QMP, hxfr port, ivshmem, D-Bus display);
 * vm-platform-linux.c or vm-platform-macos.c add the machine itself.
 */
#pragma once

#include <glib.h>

#include "vm-options.h"

typedef struct {
	const char *name;
	const char *dir;	/* the VM directory */
	const char *qemu;	/* resolved binary */
	HvmAccel accel;		/* resolved: never HVM_ACCEL_AUTO */
	guint memory_mb;
	guint smp;
	guint width;		/* 0: QEMU's default */
	guint height;
	guint ivshmem_mb;
	const char *disk;
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *serial;	/* unix socket path for the serial console */
	gboolean share_host_root;	/* demo guest: 9p export of / */
} HvmMachine;

/* File names inside the VM directory (the hostencd contract). */
#define HVM_FILE_QMP "qmp.sock"
#define HVM_FILE_HXFR "hxfr.sock"
#define HVM_FILE_IVSHMEM "ivshmem"
#define HVM_FILE_JSON "vm.json"
#define HVM_FILE_SERIAL "serial.sock"
/* hostenc-vm's own QMP monitor: a QMP socket serves one client at a time,
 * and qmp.sock belongs to hostencd. */
#define HVM_FILE_CONTROL "control.sock"

#define HVM_HXFR_PORT_NAME "org.hostenc.hxfr.0"

char *hvm_machine_path(const HvmMachine *m, const char *leaf);
GStrv hvm_qemu_argv(const HvmMachine *m);
char *hvm_qemu_command_string(const char *const *argv);

/* Per platform (exactly one of the platform files is compiled in). */
const char *hvm_platform_qemu_binary(void);
const char *hvm_platform_qemu_package_hint(void);
void hvm_platform_add_machine(GPtrArray *args, const HvmMachine *m);
void hvm_platform_add_input(GPtrArray *args);
const char *hvm_platform_disk_interface(void);
