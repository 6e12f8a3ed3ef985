/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vm-cmdline.h"

#include <stdio.h>
#include <string.h>

char *
hvm_machine_path(const HvmMachine *m, const char *leaf)
{
	return g_build_filename(m->dir, leaf, NULL);
}

static void
add(GPtrArray *args, const char *arg)
{
	g_ptr_array_add(args, g_strdup(arg));
}

G_GNUC_PRINTF(2, 3)
static void
addf(GPtrArray *args, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(args, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/* QEMU splits -chardev/-object values on ',', and ",," is a literal comma. */
static char *
qemu_opt_escape(const char *value)
{
	g_auto(GStrv) parts = g_strsplit(value, ",", -1);

	return g_strjoinv(",,", parts);
}

static void
add_contract(GPtrArray *args, const HvmMachine *m)
{
	g_autofree char *qmp = hvm_machine_path(m, HVM_FILE_QMP);
	g_autofree char *ctl = hvm_machine_path(m, HVM_FILE_CONTROL);
	g_autofree char *hxfr = hvm_machine_path(m, HVM_FILE_HXFR);
	g_autofree char *shm = hvm_machine_path(m, HVM_FILE_IVSHMEM);
	g_autofree char *e_qmp = qemu_opt_escape(qmp);
	g_autofree char *e_ctl = qemu_opt_escape(ctl);
	g_autofree char *e_hxfr = qemu_opt_escape(hxfr);
	g_autofree char *e_shm = qemu_opt_escape(shm);

	add(args, "-qmp");
	addf(args, "unix:%s,server=on,wait=off", e_qmp);
	add(args, "-chardev");
	addf(args, "socket,id=hvm-ctl,path=%s,server=on,wait=off", e_ctl);
	add(args, "-mon");
	add(args, "chardev=hvm-ctl,mode=control");

	/* hostencd listens; QEMU dials and keeps redialling, so it neither
	 * needs hostencd at start nor dies when hostencd restarts. */
	add(args, "-chardev");
	addf(args, "socket,id=hxfr,path=%s,reconnect=1", e_hxfr);
	add(args, "-device");
	add(args, "virtio-serial-pci,id=vser0");
	add(args, "-device");
	add(args, "virtserialport,bus=vser0.0,chardev=hxfr,name="
		  HVM_HXFR_PORT_NAME);

	add(args, "-object");
	addf(args, "memory-backend-file,id=hostenc-shm,share=on,mem-path=%s,"
		   "size=%uM", e_shm, m->ivshmem_mb);
	add(args, "-device");
	add(args, "ivshmem-plain,memdev=hostenc-shm");

	add(args, "-display");
	add(args, "dbus,p2p=yes");
}

static void
add_display_device(GPtrArray *args, const HvmMachine *m)
{
	add(args, "-device");
	if (m->width && m->height)
		addf(args, "virtio-gpu-pci,xres=%u,yres=%u", m->width,
		     m->height);
	else
		add(args, "virtio-gpu-pci");
}

static void
add_serial(GPtrArray *args, const HvmMachine *m)
{
	g_autofree char *path = qemu_opt_escape(m->serial);

	add(args, "-chardev");
	addf(args, "socket,id=serial0,path=%s,server=on,wait=off", path);
	add(args, "-serial");
	add(args, "chardev:serial0");
}

/* qcow2 images start with "QFI\xfb"; anything else is taken as raw.  Naming
 * the format keeps QEMU from probing (and warning about) raw images. */
static const char *
disk_format(const char *path)
{
	char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f) {
		n = fread(magic, 1, sizeof(magic), f);
		fclose(f);
	}
	return n == 4 && memcmp(magic, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
}

static void
add_boot(GPtrArray *args, const HvmMachine *m)
{
	if (m->disk) {
		g_autofree char *path = qemu_opt_escape(m->disk);

		add(args, "-drive");
		addf(args, "file=%s,format=%s,if=%s", path,
		     disk_format(m->disk), hvm_platform_disk_interface());
	}
	if (m->kernel) {
		add(args, "-kernel");
		add(args, m->kernel);
		if (m->initrd) {
			add(args, "-initrd");
			add(args, m->initrd);
		}
		if (m->append) {
			add(args, "-append");
			add(args, m->append);
		}
	}
	if (m->share_host_root) {
		/* Read-only: the demo guest writes into a tmpfs overlay. */
		add(args, "-virtfs");
		add(args, "local,path=/,mount_tag=hostroot,security_model=none,"
			  "readonly=on,multidevs=remap");
		/* A guest that panics should end the run, not loop. */
		add(args, "-no-reboot");
	}
}

GStrv
hvm_qemu_argv(const HvmMachine *m)
{
	GPtrArray *args = g_ptr_array_new();

	add(args, m->qemu);
	/* Only the devices listed here: no default VGA, NIC or monitor. */
	add(args, "-nodefaults");
	add(args, "-name");
	addf(args, "%s,process=hostenc-vm-%s", m->name, m->name);
	hvm_platform_add_machine(args, m);
	add(args, "-m");
	addf(args, "%u", m->memory_mb);
	add(args, "-smp");
	addf(args, "%u", m->smp);
	add_boot(args, m);
	add_display_device(args, m);
	hvm_platform_add_input(args);
	add(args, "-netdev");
	add(args, "user,id=net0");
	add(args, "-device");
	add(args, "virtio-net-pci,netdev=net0");
	add_serial(args, m);
	add_contract(args, m);
	g_ptr_array_add(args, NULL);
	return (GStrv)g_ptr_array_free(args, FALSE);
}

/* Shell-quoted only where needed, so the line stays readable and can be
 * pasted into a shell. */
char *
hvm_qemu_command_string(const char *const *argv)
{
	GString *s = g_string_new(NULL);

	for (const char *const *a = argv; *a; a++) {
		gboolean plain = **a != '\0';

		for (const char *p = *a; *p && plain; p++)
			plain = g_ascii_isalnum(*p) || strchr("-_=,.:/+@%", *p);
		if (s->len)
			g_string_append_c(s, ' ');
		if (plain) {
			g_string_append(s, *a);
		} else {
			g_autofree char *q = g_shell_quote(*a);

			g_string_append(s, q);
		}
	}
	return g_string_free(s, FALSE);
}
