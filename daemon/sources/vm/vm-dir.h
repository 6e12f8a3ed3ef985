/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where VMs meet hostencd (docs/vms.md): shared by hostencd and
 * hostenc-vm, so that both look in the same place. GLib only. */
#ifndef HOSTENC_VM_DIR_H
#define HOSTENC_VM_DIR_H

/** $HOSTENC_VM_DIR, else $XDG_RUNTIME_DIR/hostenc/vms, else /run/hostenc/vms
 * (root) or /tmp/hostenc-UID/vms. (g_free) */
char *hostenc_vm_default_dir(void);

#endif
