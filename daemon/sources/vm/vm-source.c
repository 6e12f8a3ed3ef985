/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM directory: a VM is there while VMDIR/NAME/vm.json exists
 * (hostenc-vm writes it last, once QEMU is up, and removes the directory
 * when QEMU exits). A file monitor reacts to VMs appearing and leaving; a
 * one-second rescan catches what a monitor of the top directory cannot
 * see (vm.json appearing inside a VM's own directory). */
#define G_LOG_DOMAIN "hostenc.vm"
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "vm-dir.h"
#include "vm-private.h"

#define RESCAN_S 1

char *he_vm_default_dir(void)
{
	return hostenc_vm_default_dir();
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(name[i]) && name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

static bool vm_present(struct he_vm_source *vs, const char *name)
{
	g_autofree char *json = g_build_filename(vs->dir, name, "vm.json", NULL);

	return g_file_test(json, G_FILE_TEST_IS_REGULAR);
}

static void rescan(struct he_vm_source *vs)
{
	g_autoptr(GDir) dir = g_dir_open(vs->dir, 0, NULL);
	GHashTableIter it;
	gpointer key, value;
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		if (valid_name(name) && !g_hash_table_contains(vs->machines, name) &&
		    vm_present(vs, name))
			g_hash_table_insert(vs->machines, g_strdup(name),
					    vm_machine_create(vs, name, NULL));
	}
	g_hash_table_iter_init(&it, vs->machines);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		struct vm_machine *vm = value;

		if (!vm->bus_address && !vm_present(vs, key))
			g_hash_table_iter_remove(&it);
	}
}

static void on_changed(GFileMonitor *m, GFile *file, GFile *other, GFileMonitorEvent event,
		       gpointer data)
{
	rescan(data);
}

static gboolean rescan_tick(gpointer data)
{
	rescan(data);
	return G_SOURCE_CONTINUE;
}

struct he_vm_source *he_vm_source_create(const char *dir, struct he_registry *reg,
					 const struct he_stream_env *env,
					 const struct he_vm_source_callbacks *cb, void *cb_data,
					 GError **err)
{
	struct he_vm_source *vs;
	g_autoptr(GFile) f = NULL;

	if (g_mkdir_with_parents(dir, 0755) < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
			    "--vm-dir %s: cannot create it (%s); pick another with --vm-dir", dir,
			    g_strerror(errno));
		return NULL;
	}
	vs = g_new0(struct he_vm_source, 1);
	vs->dir = g_strdup(dir);
	vs->reg = reg;
	vs->env = *env;
	if (cb)
		vs->cb = *cb;
	vs->cb_data = cb_data;
	vs->machines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)vm_machine_destroy);
	f = g_file_new_for_path(dir);
	vs->monitor = g_file_monitor_directory(f, G_FILE_MONITOR_NONE, NULL, NULL);
	if (vs->monitor)
		g_signal_connect(vs->monitor, "changed", G_CALLBACK(on_changed), vs);
	g_timeout_add_seconds(RESCAN_S, rescan_tick, vs);
	rescan(vs);
	return vs;
}

gboolean he_vm_source_add_bus(struct he_vm_source *vs, const char *name,
			      const char *bus_address, GError **err)
{
	if (!valid_name(name)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--vm-bus %s=%s: a VM name is 1..32 letters, digits, - or _", name,
			    bus_address);
		return FALSE;
	}
	if (g_hash_table_contains(vs->machines, name)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "--vm-bus %s=%s: a VM of that name is already shown", name, bus_address);
		return FALSE;
	}
	g_hash_table_insert(vs->machines, g_strdup(name), vm_machine_create(vs, name, bus_address));
	return TRUE;
}

void he_vm_source_destroy(struct he_vm_source *vs)
{
	if (!vs)
		return;
	g_source_remove_by_user_data(vs);
	if (vs->monitor) {
		g_signal_handlers_disconnect_by_data(vs->monitor, vs);
		g_object_unref(vs->monitor);
	}
	g_hash_table_destroy(vs->machines);
	g_free(vs->dir);
	g_free(vs);
}
