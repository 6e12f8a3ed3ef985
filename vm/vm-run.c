/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vm-run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "vm-qmp.h"

#define READY_POLL_MS 100
#define READY_TIMEOUT_S 30
#define QMP_TIMEOUT_S 2
#define QUIT_GRACE_S 5		/* QMP quit, then SIGTERM */
#define TERM_GRACE_S 3		/* SIGTERM, then SIGKILL */

typedef struct {
	const HvmMachine *m;
	GMainLoop *loop;
	GSubprocess *qemu;
	GError *error;		/* start-up failure */
	gint64 ready_deadline;
	guint ready_timer;
	guint stop_timer;
	guint signals[3];
	int stop_stage;		/* 0 running, 1 quit sent, 2 SIGTERM, 3 SIGKILL */
	int exit_status;
	gboolean ready;
	gboolean exited;
} Run;

/* ---- the VM directory ---- */

static const char *const vm_files[] = {
	HVM_FILE_JSON, HVM_FILE_QMP, HVM_FILE_CONTROL, HVM_FILE_HXFR,
	HVM_FILE_IVSHMEM, HVM_FILE_SERIAL,
};

/* Only the files of the contract, so a mistaken --vm-dir cannot lose data;
 * anything else left inside keeps the directory and is reported. */
static void
remove_vm_dir(const HvmMachine *m)
{
	for (size_t i = 0; i < G_N_ELEMENTS(vm_files); i++) {
		g_autofree char *p = hvm_machine_path(m, vm_files[i]);

		g_unlink(p);
	}
	g_unlink(m->serial);
	if (g_rmdir(m->dir) != 0 && errno != ENOENT)
		g_warning("could not remove %s: %s", m->dir, g_strerror(errno));
}

static gboolean
control_socket_alive(const HvmMachine *m)
{
	g_autofree char *path = hvm_machine_path(m, HVM_FILE_CONTROL);
	g_autoptr(GSocketConnection) conn = hvm_qmp_connect(path, 1, NULL);

	return conn != NULL;
}

static gboolean
create_ivshmem(const HvmMachine *m, GError **error)
{
	g_autofree char *path = hvm_machine_path(m, HVM_FILE_IVSHMEM);
	/* 0600: guest frames pass through it, so only this user may look. */
	int fd = g_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int e;

	if (fd < 0) {
		e = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
			    "cannot create %s: %s", path, g_strerror(e));
		return FALSE;
	}
	if (ftruncate(fd, (off_t)m->ivshmem_mb * 1024 * 1024) != 0) {
		e = errno;
		close(fd);
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
			    "cannot size %s to %u MiB: %s", path,
			    m->ivshmem_mb, g_strerror(e));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

static gboolean
prepare_vm_dir(const HvmMachine *m, GError **error)
{
	g_autofree char *root = g_path_get_dirname(m->dir);
	int e;

	if (g_mkdir_with_parents(root, 0755) != 0) {
		e = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
			    "cannot create %s: %s (use --vm-dir or "
			    "HOSTENC_VM_DIR)", root, g_strerror(e));
		return FALSE;
	}
	if (g_file_test(m->dir, G_FILE_TEST_EXISTS)) {
		if (control_socket_alive(m)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
				    "a VM named \"%s\" is already running (%s): "
				    "stop it or choose another --name",
				    m->name, m->dir);
			return FALSE;
		}
		g_printerr("hostenc-vm: removing the stale VM directory %s\n", m->dir);
		remove_vm_dir(m);
	}
	if (g_mkdir(m->dir, 0755) != 0) {
		e = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
			    "cannot create %s: %s", m->dir, g_strerror(e));
		return FALSE;
	}
	if (!create_ivshmem(m, error)) {
		remove_vm_dir(m);
		return FALSE;
	}
	return TRUE;
}

/* ---- vm.json ---- */

static void
json_string(GString *s, const char *key, const char *value, gboolean comma)
{
	g_string_append_printf(s, "  \"%s\": \"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(s, "\\%c", *p);
		else if ((guchar)*p < 0x20)
			g_string_append_printf(s, "\\u%04x", (guchar)*p);
		else
			g_string_append_c(s, *p);
	}
	g_string_append(s, comma ? "\",\n" : "\"\n");
}

static gboolean
write_vm_json(Run *r, GError **error)
{
	const HvmMachine *m = r->m;
	g_autofree char *path = hvm_machine_path(m, HVM_FILE_JSON);
	g_autofree char *qmp = hvm_machine_path(m, HVM_FILE_QMP);
	g_autofree char *hxfr = hvm_machine_path(m, HVM_FILE_HXFR);
	g_autofree char *shm = hvm_machine_path(m, HVM_FILE_IVSHMEM);
	g_autoptr(GString) s = g_string_new("{\n");

	json_string(s, "name", m->name, TRUE);
	g_string_append_printf(s, "  \"pid\": %s,\n",
			       g_subprocess_get_identifier(r->qemu));
	json_string(s, "qmp", qmp, TRUE);
	json_string(s, "hxfr", hxfr, TRUE);
	json_string(s, "ivshmem", shm, TRUE);
	g_string_append_printf(s, "  \"ivshmem_size\": %" G_GUINT64_FORMAT ",\n",
			       (guint64)m->ivshmem_mb * 1024 * 1024);
	json_string(s, "serial", m->serial, TRUE);
	json_string(s, "accel", hvm_accel_to_string(m->accel), FALSE);
	g_string_append(s, "}\n");
	/* Written to a temporary name and renamed: hostencd never reads a
	 * partial file. */
	return g_file_set_contents(path, s->str, (gssize)s->len, error);
}

static void
print_watch_hint(const HvmMachine *m)
{
	g_autofree char *root = g_path_get_dirname(m->dir);
	g_autofree char *parent = g_path_get_dirname(root);
	g_autofree char *url_file = g_build_filename(parent, "hostencd.url",
						     NULL);
	g_autofree char *url = NULL;

	if (g_file_get_contents(url_file, &url, NULL, NULL) &&
	    *g_strstrip(url)) {
		g_print("watch: %s%ssource=%s/0\n", url, strchr(url, '?') ? "&" : "?",
			m->name);
		return;
	}
	g_print("hostencd is not running (no %s): start it with scripts/run "
		"(same VMDIR), then open the URL it prints with ?source=%s/0\n",
		url_file, m->name);
}

/* ---- stopping ---- */

static gboolean stop_step(gpointer data);

static void
send_qmp_quit(const HvmMachine *m)
{
	g_autofree char *path = hvm_machine_path(m, HVM_FILE_CONTROL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn = hvm_qmp_connect(path, QMP_TIMEOUT_S,
							    &error);

	/* QEMU may close the socket before answering: that is success too. */
	if (!conn || !hvm_qmp_execute(conn, "{\"execute\":\"quit\"}", NULL,
				      &error))
		g_debug("QMP quit: %s", error ? error->message : "no reply");
}

static void
begin_stop(Run *r)
{
	if (r->exited) {
		g_main_loop_quit(r->loop);
		return;
	}
	r->stop_stage = 1;
	send_qmp_quit(r->m);
	r->stop_timer = g_timeout_add_seconds(QUIT_GRACE_S, stop_step, r);
}

/* Escalates: QMP quit → SIGTERM → SIGKILL. */
static gboolean
stop_step(gpointer data)
{
	Run *r = data;

	r->stop_timer = 0;
	if (r->exited)
		return G_SOURCE_REMOVE;
	if (r->stop_stage == 1) {
		g_message("QEMU ignored quit: sending SIGTERM");
		g_subprocess_send_signal(r->qemu, SIGTERM);
		r->stop_stage = 2;
		r->stop_timer = g_timeout_add_seconds(TERM_GRACE_S, stop_step, r);
	} else {
		g_message("QEMU ignored SIGTERM: killing it");
		g_subprocess_force_exit(r->qemu);
		r->stop_stage = 3;
	}
	return G_SOURCE_REMOVE;
}

static gboolean
on_signal(gpointer data)
{
	Run *r = data;

	if (r->stop_stage == 0) {
		g_print("Stopping %s...\n", r->m->name);
		begin_stop(r);
	} else if (!r->exited && r->stop_stage < 3) {
		/* A second Ctrl-C means now. */
		g_subprocess_force_exit(r->qemu);
		r->stop_stage = 3;
	}
	return G_SOURCE_CONTINUE;
}

/* ---- start-up and exit ---- */

static gboolean
poll_ready(gpointer data)
{
	Run *r = data;
	g_autofree char *path = hvm_machine_path(r->m, HVM_FILE_CONTROL);
	g_autoptr(GSocketConnection) conn = NULL;

	if (r->exited || r->stop_stage)
		goto done;
	conn = hvm_qmp_connect(path, QMP_TIMEOUT_S, NULL);
	if (!conn) {
		if (g_get_monotonic_time() < r->ready_deadline)
			return G_SOURCE_CONTINUE;
		g_set_error(&r->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "QEMU did not answer QMP within %d s",
			    READY_TIMEOUT_S);
		begin_stop(r);
		goto done;
	}
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
	if (!write_vm_json(r, &r->error)) {
		begin_stop(r);
		goto done;
	}
	r->ready = TRUE;
	g_print("VM %s is running (QEMU pid %s, accel %s)\n  directory: %s\n"
		"  serial console: %s\n", r->m->name,
		g_subprocess_get_identifier(r->qemu),
		hvm_accel_to_string(r->m->accel), r->m->dir, r->m->serial);
	print_watch_hint(r->m);
	/* QEMU complains once that hxfr.sock is missing; that is expected. */
	g_print("  QEMU connects to hxfr.sock whenever hostencd listens there "
		"(its \"Unable to connect character device hxfr\" is harmless)\n"
		"Ctrl-C stops the VM.\n");
done:
	r->ready_timer = 0;
	return G_SOURCE_REMOVE;
}

static void
on_qemu_exit(GObject *src, GAsyncResult *res, gpointer data)
{
	Run *r = data;
	GSubprocess *p = G_SUBPROCESS(src);

	g_subprocess_wait_finish(p, res, NULL);
	r->exited = TRUE;
	if (g_subprocess_get_if_exited(p))
		r->exit_status = g_subprocess_get_exit_status(p);
	else if (g_subprocess_get_if_signaled(p))
		r->exit_status = 128 + g_subprocess_get_term_sig(p);
	if (r->stop_stage) {
		/* A stop we asked for is success, however QEMU ended. */
		r->exit_status = 0;
	} else if (!r->ready && !r->error) {
		g_set_error(&r->error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "QEMU exited during start-up (status %d): see its "
			    "messages above", r->exit_status);
	} else if (r->exit_status != 0) {
		g_print("QEMU exited with status %d\n", r->exit_status);
	}
	g_main_loop_quit(r->loop);
}

static void
child_setup(G_GNUC_UNUSED gpointer data)
{
	/* Own session: a terminal Ctrl-C reaches hostenc-vm only, which then
	 * stops QEMU in order instead of racing it. */
	setsid();
#ifdef __linux__
	/* If hostenc-vm is killed outright, QEMU should not linger. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
}

static gboolean
spawn_qemu(Run *r, GError **error)
{
	g_auto(GStrv) argv = hvm_qemu_argv(r->m);
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);

	g_subprocess_launcher_set_child_setup(launcher, child_setup, NULL,
					      NULL);
	r->qemu = g_subprocess_launcher_spawnv(launcher,
					       (const char *const *)argv,
					       error);
	return r->qemu != NULL;
}

static void
run_clear(Run *r)
{
	for (size_t i = 0; i < G_N_ELEMENTS(r->signals); i++) {
		if (r->signals[i])
			g_source_remove(r->signals[i]);
	}
	if (r->ready_timer)
		g_source_remove(r->ready_timer);
	if (r->stop_timer)
		g_source_remove(r->stop_timer);
	g_clear_object(&r->qemu);
	g_clear_pointer(&r->loop, g_main_loop_unref);
	g_clear_error(&r->error);
}

int
hvm_run(const HvmMachine *m, GError **error)
{
	Run r = { .m = m };
	int status;

	if (!prepare_vm_dir(m, error))
		return 1;
	if (!spawn_qemu(&r, error)) {
		remove_vm_dir(m);
		return 1;
	}
	r.loop = g_main_loop_new(NULL, FALSE);
	r.signals[0] = g_unix_signal_add(SIGINT, on_signal, &r);
	r.signals[1] = g_unix_signal_add(SIGTERM, on_signal, &r);
	r.signals[2] = g_unix_signal_add(SIGHUP, on_signal, &r);
	r.ready_deadline = g_get_monotonic_time() +
			   READY_TIMEOUT_S * G_USEC_PER_SEC;
	r.ready_timer = g_timeout_add(READY_POLL_MS, poll_ready, &r);
	g_subprocess_wait_async(r.qemu, NULL, on_qemu_exit, &r);

	g_main_loop_run(r.loop);

	remove_vm_dir(m);
	status = r.exit_status;
	if (r.error) {
		g_propagate_error(error, g_steal_pointer(&r.error));
		status = status ? status : 1;
	}
	run_clear(&r);
	return status;
}
