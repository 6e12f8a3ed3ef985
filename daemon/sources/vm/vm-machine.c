/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One VM: attach to its display through its QMP socket, a screen per
 * graphic console, and re-attach when the VM comes back. */
#define G_LOG_DOMAIN "hostenc.vm"
#include "vm-private.h"

#define REATTACH_MIN_MS 500
#define REATTACH_MAX_MS 5000

static void attach(struct vm_machine *vm);

static void drop_screens(struct vm_machine *vm)
{
	bool was_up = vm->up;

	/* First: nobody may send input to the screens any more. */
	vm->up = false;
	if (was_up && vm->vs->cb.machine_removed)
		vm->vs->cb.machine_removed(vm->name, vm->vs->cb_data);
	g_ptr_array_set_size(vm->screens, 0);
}

static gboolean reattach_cb(gpointer data)
{
	struct vm_machine *vm = data;

	g_clear_pointer(&vm->reattach, g_source_unref);
	g_clear_pointer(&vm->qvm, he_qemu_vm_free);
	attach(vm);
	return G_SOURCE_REMOVE;
}

/* Also frees the old connection, outside its own callbacks. */
static void schedule_reattach(struct vm_machine *vm)
{
	guint ms = MIN(REATTACH_MIN_MS << MIN(vm->attempts, 4u), REATTACH_MAX_MS);

	if (vm->reattach)
		return;
	vm->reattach = g_timeout_source_new(ms);
	g_source_set_callback(vm->reattach, reattach_cb, vm, NULL);
	g_source_attach(vm->reattach, NULL);
}

static struct vm_screen *screen_of(struct vm_machine *vm, struct he_qemu_console *console)
{
	for (guint i = 0; i < vm->screens->len; i++) {
		struct vm_screen *sc = g_ptr_array_index(vm->screens, i);

		if (sc->console == console)
			return sc;
	}
	return NULL;
}

static void on_ready(struct he_qemu_vm *qvm, const GError *error, void *data)
{
	struct vm_machine *vm = data;

	if (error) {
		if (vm->attempts++ == 0)
			g_message("VM %s: cannot attach to its display yet (%s); retrying", vm->name,
				  error->message);
		schedule_reattach(vm);
		return;
	}
	vm->attempts = 0;
	for (guint i = 0; i < he_qemu_vm_get_n_consoles(qvm); i++) {
		struct vm_screen *sc = vm_screen_create(vm, he_qemu_vm_get_console(qvm, i), i);

		if (sc)
			g_ptr_array_add(vm->screens, sc);
	}
	vm->up = true;
	g_message("VM %s: attached ('%s', %u screen%s)", vm->name, he_qemu_vm_get_name(qvm),
		  vm->screens->len, vm->screens->len == 1 ? "" : "s");
	if (vm->vs->cb.machine_added && vm->screens->len) {
		struct vm_screen *first = g_ptr_array_index(vm->screens, 0);
		struct he_input_sink sink = { &vm_input_impl, first };

		vm->vs->cb.machine_added(vm->name, vm->dir, &sink, vm->vs->cb_data);
	}
}

static void on_gone(struct he_qemu_vm *qvm, const char *reason, void *data)
{
	struct vm_machine *vm = data;

	g_message("VM %s: display gone (%s)", vm->name, reason);
	drop_screens(vm);
	schedule_reattach(vm);
}

static void on_frame_ready(struct he_qemu_console *console, void *data)
{
	struct vm_screen *sc = screen_of(data, console);

	if (sc)
		vm_screen_frame_ready(sc);
}

static void on_cursor(struct he_qemu_console *console, const struct he_qemu_cursor *qc,
		      void *data)
{
	struct vm_screen *sc = screen_of(data, console);

	if (sc)
		vm_screen_cursor(sc, qc);
}

static const struct he_qemu_callbacks qemu_callbacks = {
	.ready = on_ready,
	.gone = on_gone,
	.frame_ready = on_frame_ready,
	.cursor = on_cursor,
};

static void attach(struct vm_machine *vm)
{
	g_autofree char *qmp = g_build_filename(vm->dir, "qmp.sock", NULL);

	if (vm->bus_address)
		vm->qvm = he_qemu_vm_attach_bus(vm->bus_address, NULL, VM_REFRESH_MS,
						&qemu_callbacks, vm);
	else
		vm->qvm = he_qemu_vm_attach_qmp(qmp, VM_REFRESH_MS, &qemu_callbacks, vm);
	if (!vm->qvm)
		schedule_reattach(vm);
}

struct vm_machine *vm_machine_create(struct he_vm_source *vs, const char *name,
				     const char *bus_address)
{
	struct vm_machine *vm = g_new0(struct vm_machine, 1);

	vm->vs = vs;
	vm->name = g_strdup(name);
	vm->dir = g_build_filename(vs->dir, name, NULL);
	vm->bus_address = g_strdup(bus_address);
	vm->screens = g_ptr_array_new_with_free_func((GDestroyNotify)vm_screen_destroy);
	if (bus_address)
		g_message("VM %s: on the D-Bus bus %s", name, bus_address);
	else
		g_message("VM %s: found in %s", name, vm->dir);
	attach(vm);
	return vm;
}

void vm_machine_destroy(struct vm_machine *vm)
{
	if (!vm)
		return;
	if (vm->reattach) {
		g_source_destroy(vm->reattach);
		g_source_unref(vm->reattach);
	}
	drop_screens(vm);
	g_ptr_array_unref(vm->screens);
	he_qemu_vm_free(vm->qvm);
	g_message("VM %s: gone", vm->name);
	g_free(vm->name);
	g_free(vm->dir);
	g_free(vm->bus_address);
	g_free(vm);
}
