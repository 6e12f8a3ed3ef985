/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Option parsing for hostenc-vm.  Everything is validated here so the rest
 * of the program can trust HvmOptions, and every message says what to do.
 */
#include "vm-options.h"
#include "vm-dir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_NAME "vm1"
#define DEFAULT_MEMORY_MB 1024
#define DEFAULT_SMP 2
#define DEFAULT_IVSHMEM_MB 64

gboolean
hvm_name_is_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > HVM_NAME_MAX)
		return FALSE;
	for (const char *p = name; *p; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
			return FALSE;
	}
	return TRUE;
}

const char *
hvm_accel_to_string(HvmAccel accel)
{
	switch (accel) {
	case HVM_ACCEL_KVM:
		return "kvm";
	case HVM_ACCEL_TCG:
		return "tcg";
	case HVM_ACCEL_HVF:
		return "hvf";
	case HVM_ACCEL_AUTO:
	default:
		return "auto";
	}
}

/* The same place hostencd looks (daemon/sources/vm/vm-dir.c). */
char *
hvm_default_vm_root(void)
{
	return hostenc_vm_default_dir();
}

char *
hvm_default_cache_dir(void)
{
	const char *env = g_getenv("HOSTENC_CACHE_DIR");

	if (env && *env)
		return g_strdup(env);
	return g_build_filename(g_get_user_cache_dir(), "hostenc", NULL);
}

void
hvm_options_free(HvmOptions *opts)
{
	if (!opts)
		return;
	g_free(opts->name);
	g_free(opts->disk);
	g_free(opts->kernel);
	g_free(opts->initrd);
	g_free(opts->append);
	g_free(opts->vm_root);
	g_free(opts->cache_dir);
	g_free(opts->qemu);
	g_free(opts->serial);
	g_free(opts);
}

static gboolean
parse_uint(const char *what, const char *text, guint min, guint max,
	   guint *out, GError **error)
{
	guint64 v = 0;
	g_autoptr(GError) local = NULL;

	if (!g_ascii_string_to_unsigned(text, 10, min, max, &v, &local)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "%s must be a whole number from %u to %u, not \"%s\"",
			    what, min, max, text);
		return FALSE;
	}
	*out = (guint)v;
	return TRUE;
}

static gboolean
parse_accel(const char *text, HvmAccel *out, GError **error)
{
	static const HvmAccel all[] = {
		HVM_ACCEL_AUTO, HVM_ACCEL_KVM, HVM_ACCEL_TCG, HVM_ACCEL_HVF,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		if (g_strcmp0(text, hvm_accel_to_string(all[i])) == 0) {
			*out = all[i];
			return TRUE;
		}
	}
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--accel must be auto, kvm, tcg or hvf, not \"%s\"", text);
	return FALSE;
}

static gboolean
parse_size(const char *text, guint *w, guint *h, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(text, "x", 3);

	if (g_strv_length(parts) != 2 ||
	    !parse_uint("--size width", parts[0], 320, 8192, w, NULL) ||
	    !parse_uint("--size height", parts[1], 200, 8192, h, NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--size must be WIDTHxHEIGHT between 320x200 and "
			    "8192x8192 (e.g. 1280x800), not \"%s\"", text);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_file(const char *option, const char *path, GError **error)
{
	if (path && !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "%s %s: no such file", option, path);
		return FALSE;
	}
	return TRUE;
}

/* Cross-option rules that GOption cannot express. */
static gboolean
check_combinations(const HvmOptions *o, GError **error)
{
	if (!hvm_name_is_valid(o->name)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--name \"%s\" is not valid: use 1 to %d letters, "
			    "digits, '_' or '-'", o->name, HVM_NAME_MAX);
		return FALSE;
	}
	if ((o->initrd || o->append) && !o->kernel) {
		g_set_error_literal(error, G_OPTION_ERROR,
				    G_OPTION_ERROR_BAD_VALUE,
				    "--initrd and --append need --kernel");
		return FALSE;
	}
	if (o->ivshmem_mb & (o->ivshmem_mb - 1)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--ivshmem-size must be a power of two (a PCI BAR), "
			    "not %u", o->ivshmem_mb);
		return FALSE;
	}
	return check_file("--disk", o->disk, error) &&
	       check_file("--kernel", o->kernel, error) &&
	       check_file("--initrd", o->initrd, error);
}

typedef struct {
	char *memory;
	char *smp;
	char *accel;
	char *size;
	char *ivshmem;
} RawNumbers;

static void
raw_numbers_clear(RawNumbers *r)
{
	g_free(r->memory);
	g_free(r->smp);
	g_free(r->accel);
	g_free(r->size);
	g_free(r->ivshmem);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RawNumbers, raw_numbers_clear)

/* Numbers arrive as strings so that bad input gets our wording, not
 * GOption's generic "Cannot parse integer value". */
static gboolean
apply_raw(HvmOptions *o, const RawNumbers *r, GError **error)
{
	if (r->memory && !parse_uint("--memory", r->memory, 64, 1048576,
				     &o->memory_mb, error))
		return FALSE;
	if (r->smp && !parse_uint("--smp", r->smp, 1, 64, &o->smp, error))
		return FALSE;
	if (r->ivshmem && !parse_uint("--ivshmem-size", r->ivshmem, 1, 4096,
				      &o->ivshmem_mb, error))
		return FALSE;
	if (r->accel && !parse_accel(r->accel, &o->accel, error))
		return FALSE;
	if (r->size && !parse_size(r->size, &o->width, &o->height, error))
		return FALSE;
	return TRUE;
}

static const char summary[] =
	"Runs a QEMU virtual machine that hostencd can show in a browser.\n"
	"\n"
	"Without --disk or --kernel it boots a demo guest built from the host's\n"
	"Debian kernel and busybox-static (cached after the first run).\n"
	"The VM directory ($VMDIR/NAME) holds qmp.sock, hxfr.sock, ivshmem and\n"
	"vm.json; VMDIR is $HOSTENC_VM_DIR, else $XDG_RUNTIME_DIR/hostenc/vms,\n"
	"else /run/hostenc/vms (root) or /tmp/hostenc-$UID/vms.";

HvmOptions *
hvm_options_parse(int argc, char **argv, GError **error)
{
	g_autoptr(HvmOptions) o = g_new0(HvmOptions, 1);
	g_auto(RawNumbers) raw = { 0 };
	g_auto(GStrv) rest = NULL;
	const GOptionEntry entries[] = {
		{ "name", 'n', 0, G_OPTION_ARG_STRING, &o->name,
		  "VM name, [A-Za-z0-9_-]{1,32} (default vm1)", "NAME" },
		{ "disk", 0, 0, G_OPTION_ARG_FILENAME, &o->disk,
		  "Boot this disk image (raw or qcow2)", "IMG" },
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &o->kernel,
		  "Boot this Linux kernel", "K" },
		{ "initrd", 0, 0, G_OPTION_ARG_FILENAME, &o->initrd,
		  "Initramfs for --kernel", "I" },
		{ "append", 0, 0, G_OPTION_ARG_STRING, &o->append,
		  "Kernel command line for --kernel", "ARGS" },
		{ "memory", 'm', 0, G_OPTION_ARG_STRING, &raw.memory,
		  "Guest memory in MiB (default 1024)", "MB" },
		{ "smp", 0, 0, G_OPTION_ARG_STRING, &raw.smp,
		  "Virtual CPUs (default 2)", "N" },
		{ "accel", 0, 0, G_OPTION_ARG_STRING, &raw.accel,
		  "auto, kvm, tcg or hvf (default auto: probe KVM)", "A" },
		{ "size", 0, 0, G_OPTION_ARG_STRING, &raw.size,
		  "Initial display size hint", "WxH" },
		{ "ivshmem-size", 0, 0, G_OPTION_ARG_STRING, &raw.ivshmem,
		  "Shared memory for hostencd in MiB (default 64)", "MB" },
		{ "vm-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->vm_root,
		  "Directory holding the VM directories (VMDIR)", "DIR" },
		{ "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->cache_dir,
		  "Demo guest cache (default $HOSTENC_CACHE_DIR or "
		  "$XDG_CACHE_HOME/hostenc)", "DIR" },
		{ "qemu", 0, 0, G_OPTION_ARG_FILENAME, &o->qemu,
		  "QEMU system emulator to run", "PATH" },
		{ "serial", 0, 0, G_OPTION_ARG_FILENAME, &o->serial,
		  "Unix socket for the guest serial console "
		  "(default $VMDIR/NAME/serial.sock)", "PATH" },
		{ "print-command", 0, 0, G_OPTION_ARG_NONE, &o->print_command,
		  "Print the QEMU command line and exit", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest,
		  NULL, NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- run a VM for hostencd");
	g_auto(GStrv) args = g_new0(char *, argc + 1);

	for (int i = 0; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, entries, NULL);
	/* g_option_context_parse_strv keeps our argv intact. */
	if (!g_option_context_parse_strv(ctx, &args, error))
		return NULL;
	if (rest && rest[0]) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "unexpected argument \"%s\" (see --help)", rest[0]);
		return NULL;
	}

	o->memory_mb = DEFAULT_MEMORY_MB;
	o->smp = DEFAULT_SMP;
	o->ivshmem_mb = DEFAULT_IVSHMEM_MB;
	o->accel = HVM_ACCEL_AUTO;
	if (!o->name)
		o->name = g_strdup(DEFAULT_NAME);
	if (!o->vm_root)
		o->vm_root = hvm_default_vm_root();
	if (!o->cache_dir)
		o->cache_dir = hvm_default_cache_dir();
	if (!apply_raw(o, &raw, error) || !check_combinations(o, error))
		return NULL;
	return g_steal_pointer(&o);
}
