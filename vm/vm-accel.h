/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Choosing the accelerator.  "auto" on Linux does not trust /dev/kvm alone:
 * nested hosts can expose a KVM that runs firmware but hangs a real kernel,
 * so the demo kernel is booted once under KVM and the verdict cached.
 */
#pragma once

#include <glib.h>

#include "vm-guest.h"
#include "vm-options.h"

/* Runs "QEMU --version": proves the binary works, and keys the cache. */
char *hvm_qemu_version(const char *qemu, GError **error);

/* @probe_guest may be NULL (no demo kernel): then KVM is trusted as is. */
HvmAccel hvm_accel_resolve(HvmAccel requested, const char *qemu,
			   const char *qemu_version, const char *cache_dir,
			   const HvmGuest *probe_guest, GError **error);
