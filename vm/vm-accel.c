/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vm-accel.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vm-cmdline.h"

#define PROBE_TIMEOUT_S 15
#define PROBE_MARKER "hostenc-probe-ok"

char *
hvm_qemu_version(const char *qemu, GError **error)
{
	g_autoptr(GSubprocess) proc = NULL;
	g_autofree char *out = NULL;
	g_autoptr(GError) local = NULL;

	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				G_SUBPROCESS_FLAGS_STDERR_MERGE, &local,
				qemu, "--version", NULL);
	if (!proc || !g_subprocess_communicate_utf8(proc, NULL, NULL, &out,
						    NULL, &local) ||
	    !g_subprocess_get_successful(proc)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "cannot run %s (%s): %s", qemu,
			    local ? local->message : "it failed",
			    hvm_platform_qemu_package_hint());
		return NULL;
	}
	/* First line only: "QEMU emulator version 7.2.x (...)". */
	out[strcspn(out, "\n")] = '\0';
	return g_steal_pointer(&out);
}

#ifndef __APPLE__

typedef struct {
	GSubprocess *proc;
	char *output;
	gboolean done;
	gboolean timed_out;
} Probe;

static void
probe_communicated(GObject *src, GAsyncResult *res, gpointer data)
{
	Probe *p = data;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res,
					     &p->output, NULL, NULL);
	p->done = TRUE;
}

static gboolean
probe_timeout(gpointer data)
{
	Probe *p = data;

	p->timed_out = TRUE;
	g_subprocess_force_exit(p->proc);
	return G_SOURCE_REMOVE;
}

/* Runs QEMU until it powers off or the timeout kills it, in a private main
 * context so this stays a plain blocking call for the caller. */
static gboolean
run_probe(const char *qemu, const HvmGuest *g, GError **error)
{
	g_autofree char *append = hvm_guest_probe_append(PROBE_MARKER);
	g_autoptr(GMainContext) ctx = g_main_context_new();
	g_autoptr(GSource) timer = g_timeout_source_new_seconds(PROBE_TIMEOUT_S);
	Probe p = { 0 };
	gboolean booted;

	p.proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				  G_SUBPROCESS_FLAGS_STDERR_MERGE, error,
				  qemu, "-nodefaults", "-machine", "pc",
				  "-accel", "kvm", "-m", "256",
				  "-display", "none", "-no-reboot",
				  "-kernel", g->kernel, "-initrd", g->initrd,
				  "-append", append, "-serial", "stdio", NULL);
	if (!p.proc)
		return FALSE;
	g_main_context_push_thread_default(ctx);
	g_subprocess_communicate_utf8_async(p.proc, NULL, NULL,
					    probe_communicated, &p);
	g_source_set_callback(timer, probe_timeout, &p, NULL);
	g_source_attach(timer, ctx);
	while (!p.done)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(timer);
	g_main_context_pop_thread_default(ctx);
	/* Reap the killed QEMU before returning. */
	g_subprocess_wait(p.proc, NULL, NULL);

	booted = p.output && strstr(p.output, PROBE_MARKER) != NULL;
	g_debug("KVM probe %s%s; QEMU said:\n%s", booted ? "booted" : "failed",
		p.timed_out ? " (timed out)" : "",
		p.output ? p.output : "");
	g_free(p.output);
	g_object_unref(p.proc);
	return booted;
}

static char *
verdict_path(const char *cache_dir, const char *qemu, const char *version,
	     const HvmGuest *g)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *leaf = NULL;
	GStatBuf st = { 0 };

	g_checksum_update(sum, (const guchar *)qemu, strlen(qemu) + 1);
	g_checksum_update(sum, (const guchar *)version, strlen(version) + 1);
	g_checksum_update(sum, (const guchar *)g->kernel, strlen(g->kernel) + 1);
	if (g_stat(g->kernel, &st) == 0) {
		gint64 v[2] = { (gint64)st.st_size, (gint64)st.st_mtime };

		g_checksum_update(sum, (const guchar *)v, sizeof(v));
	}
	leaf = g_strdup_printf("kvm-verdict-%.16s", g_checksum_get_string(sum));
	return g_build_filename(cache_dir, leaf, NULL);
}

static gboolean
kvm_boots(const char *qemu, const char *version, const char *cache_dir,
	  const HvmGuest *g)
{
	g_autofree char *path = verdict_path(cache_dir, qemu, version, g);
	g_autofree char *cached = NULL;
	gboolean ok;

	if (g_file_get_contents(path, &cached, NULL, NULL))
		return g_str_has_prefix(cached, "kvm");
	g_printerr("hostenc-vm: checking whether KVM boots a kernel here "
		   "(once, up to %d s)...\n",
		PROBE_TIMEOUT_S);
	ok = run_probe(qemu, g, NULL);
	/* A failed write only costs another probe next time. */
	g_mkdir_with_parents(cache_dir, 0755);
	g_file_set_contents(path, ok ? "kvm\n" : "tcg\n", -1, NULL);
	return ok;
}

static gboolean
kvm_device_usable(char **why)
{
	if (g_access("/dev/kvm", R_OK | W_OK) == 0)
		return TRUE;
	*why = g_strdup_printf("/dev/kvm: %s", g_strerror(errno));
	return FALSE;
}

HvmAccel
hvm_accel_resolve(HvmAccel requested, const char *qemu,
		  const char *qemu_version, const char *cache_dir,
		  const HvmGuest *probe_guest, GError **error)
{
	g_autofree char *why = NULL;

	switch (requested) {
	case HVM_ACCEL_TCG:
		return HVM_ACCEL_TCG;
	case HVM_ACCEL_HVF:
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
				    "--accel hvf is for macOS: use kvm or tcg");
		return HVM_ACCEL_AUTO;
	case HVM_ACCEL_KVM:
		if (kvm_device_usable(&why))
			return HVM_ACCEL_KVM;
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "--accel kvm: %s (load kvm_intel or kvm_amd, or "
			    "join the kvm group), or use --accel tcg", why);
		return HVM_ACCEL_AUTO;
	case HVM_ACCEL_AUTO:
	default:
		break;
	}
	if (!kvm_device_usable(&why)) {
		g_printerr("hostenc-vm: KVM is not available (%s): using TCG "
			   "(slower)\n", why);
		return HVM_ACCEL_TCG;
	}
	if (!probe_guest)
		return HVM_ACCEL_KVM;
	if (kvm_boots(qemu, qemu_version, cache_dir, probe_guest))
		return HVM_ACCEL_KVM;
	g_printerr("hostenc-vm: KVM does not boot a kernel here: using TCG "
		   "(slower)\n");
	return HVM_ACCEL_TCG;
}

#else /* __APPLE__ */

HvmAccel
hvm_accel_resolve(HvmAccel requested, G_GNUC_UNUSED const char *qemu,
		  G_GNUC_UNUSED const char *qemu_version,
		  G_GNUC_UNUSED const char *cache_dir,
		  G_GNUC_UNUSED const HvmGuest *probe_guest, GError **error)
{
	if (requested == HVM_ACCEL_KVM) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
				    "--accel kvm is for Linux: use hvf or tcg");
		return HVM_ACCEL_AUTO;
	}
	/* Hypervisor.framework is present on every Apple Silicon Mac. */
	return requested == HVM_ACCEL_TCG ? HVM_ACCEL_TCG : HVM_ACCEL_HVF;
}

#endif /* __APPLE__ */
