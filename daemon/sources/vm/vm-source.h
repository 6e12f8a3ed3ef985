/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Virtual machines as producers: every VM that hostenc-vm starts gets a
 * directory under the VM directory (VMDIR/NAME/ with qmp.sock, hxfr.sock,
 * ivshmem and, last, vm.json). hostencd watches VMDIR; when a VM appears it
 * attaches to its display through QMP (QEMU's D-Bus display, bus-less) and
 * offers each graphic console as a stream named "NAME/INDEX" (stable across
 * restarts of the VM), with the VM's keyboard and pointer as the streams'
 * input sink. When the VM goes, its streams go; when it comes back, they
 * come back under the same names. */
#ifndef HOSTENC_SOURCES_VM_SOURCE_H
#define HOSTENC_SOURCES_VM_SOURCE_H

#include <glib.h>

#include "input.h"

struct he_registry;
struct he_stream_env;
struct he_vm_source;

struct he_vm_source_callbacks {
	/** VM @p name is up (its directory is @p dir); @p input is its input sink. */
	void (*machine_added)(const char *name, const char *dir, const struct he_input_sink *input,
			      void *data);
	void (*machine_removed)(const char *name, void *data);
};

/** Where VMs are found unless told otherwise: $HOSTENC_VM_DIR, else
 * $XDG_RUNTIME_DIR/hostenc/vms, else /run/hostenc/vms (root) or
 * /tmp/hostenc-UID/vms. (g_free) */
char *he_vm_default_dir(void);

/** Watch @p dir (created if missing). NULL with @p err when it cannot. */
struct he_vm_source *he_vm_source_create(const char *dir, struct he_registry *reg,
					 const struct he_stream_env *env,
					 const struct he_vm_source_callbacks *cb, void *cb_data,
					 GError **err);
void he_vm_source_destroy(struct he_vm_source *vs);

/**
 * Also show VM @p name, whose QEMU runs with `-display dbus` on the D-Bus
 * bus at @p bus_address (a private bus of the user's, for instance); it is
 * kept (and re-attached) for as long as hostencd runs. FALSE with @p err
 * for a bad name or a name already in use.
 */
gboolean he_vm_source_add_bus(struct he_vm_source *vs, const char *name,
			      const char *bus_address, GError **err);

#endif
