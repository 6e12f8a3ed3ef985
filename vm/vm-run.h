/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running and supervising QEMU: the VM directory, the ivshmem file, vm.json
 * once QEMU answers QMP, clean shutdown on Ctrl-C/SIGTERM, and removal of
 * the VM directory when QEMU exits.
 */
#pragma once

#include <glib.h>

#include "vm-cmdline.h"

/* Returns the process exit status: 0 after a requested stop, QEMU's own
 * status when the guest ended the run.  Start-up failures set @error. */
int hvm_run(const HvmMachine *m, GError **error);
