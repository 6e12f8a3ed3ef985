/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostenc-vm: run a QEMU VM that hostencd can encode for a browser.
 * This file only wires the steps together: options → QEMU binary → demo
 * guest (when no --disk/--kernel) → accelerator → command line → run.
 */
#include <locale.h>
#include <stdlib.h>

#include <gio/gio.h>

#include "vm-accel.h"
#include "vm-cmdline.h"
#include "vm-guest.h"
#include "vm-options.h"
#include "vm-run.h"

static char *
resolve_qemu(const HvmOptions *o, GError **error)
{
	const char *name = o->qemu ? o->qemu : hvm_platform_qemu_binary();
	char *path = g_find_program_in_path(name);

	if (!path)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "%s not found: %s", name,
			    hvm_platform_qemu_package_hint());
	return path;
}

static int
fail(GError *error)
{
	g_printerr("hostenc-vm: %s\n", error->message);
	return 1;
}

static void
fill_machine(HvmMachine *m, const HvmOptions *o, const HvmGuest *g)
{
	m->name = o->name;
	m->memory_mb = o->memory_mb;
	m->smp = o->smp;
	m->width = o->width;
	m->height = o->height;
	m->ivshmem_mb = o->ivshmem_mb;
	m->disk = o->disk;
	m->kernel = o->kernel;
	m->initrd = o->initrd;
	m->append = o->append;
	if (g) {
		m->kernel = g->kernel;
		m->initrd = g->initrd;
		m->share_host_root = TRUE;
	}
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HvmOptions) o = NULL;
	g_autoptr(HvmGuest) guest = NULL;
	g_autoptr(HvmGuest) probe_guest = NULL;
	g_autofree char *qemu = NULL;
	g_autofree char *version = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *serial = NULL;
	g_autofree char *append = NULL;
	HvmMachine m = { 0 };

	setlocale(LC_ALL, "");
	o = hvm_options_parse(argc, argv, &error);
	if (!o)
		return fail(error);
	qemu = resolve_qemu(o, &error);
	if (!qemu)
		return fail(error);
	version = hvm_qemu_version(qemu, &error);
	if (!version)
		return fail(error);

	if (!o->disk && !o->kernel) {
		guest = hvm_guest_ensure(o->cache_dir, &error);
		if (!guest)
			return fail(error);
		append = hvm_guest_append(guest);
	} else if (o->accel == HVM_ACCEL_AUTO) {
		/* The KVM probe boots the demo kernel; without one, auto
		 * trusts /dev/kvm. */
		probe_guest = hvm_guest_ensure(o->cache_dir, NULL);
	}
	m.accel = hvm_accel_resolve(o->accel, qemu, version, o->cache_dir,
				    guest ? guest : probe_guest, &error);
	if (m.accel == HVM_ACCEL_AUTO)
		return fail(error);

	dir = g_build_filename(o->vm_root, o->name, NULL);
	serial = o->serial ? g_strdup(o->serial)
			   : g_build_filename(dir, "serial.sock", NULL);
	fill_machine(&m, o, guest);
	m.qemu = qemu;
	m.dir = dir;
	m.serial = serial;
	if (append)
		m.append = append;

	if (o->print_command) {
		g_auto(GStrv) args = hvm_qemu_argv(&m);
		g_autofree char *line = hvm_qemu_command_string(
			(const char *const *)args);

		g_print("%s\n", line);
		return 0;
	}
	{
		int status = hvm_run(&m, &error);

		if (error)
			return fail(error);
		return status;
	}
}
