/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guest-vm.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define NUDGE_MS 250

static gboolean
have_kernel(void)
{
	g_autoptr(GDir) d = g_dir_open("/boot", 0, NULL);
	const char *leaf;

	while (d && (leaf = g_dir_read_name(d))) {
		if (g_str_has_prefix(leaf, "vmlinuz-"))
			return TRUE;
	}
	return FALSE;
}

const char *
guest_vm_unavailable(void)
{
	g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");

	if (!qemu)
		return "qemu-system-x86_64 is not installed "
		       "(apt-get install qemu-system-x86)";
	if (!have_kernel())
		return "no /boot/vmlinuz-* for the demo guest "
		       "(apt-get install linux-image-amd64)";
	return NULL;
}

static void
nudge(GuestVm *vm)
{
	g_socket_send(vm->serial, "\n", 1, NULL, NULL);
}

/* Reads what is there, or waits up to NUDGE_MS; FALSE on EOF. */
static gboolean
serial_read_some(GuestVm *vm)
{
	char buf[4096];
	gssize n;

	if (!g_socket_condition_timed_wait(vm->serial, G_IO_IN,
					   NUDGE_MS * 1000, NULL, NULL)) {
		nudge(vm);
		return TRUE;
	}
	n = g_socket_receive(vm->serial, buf, sizeof(buf), NULL, NULL);
	if (n <= 0)
		return FALSE;
	for (gssize i = 0; i < n; i++) {
		if (buf[i] != '\r')
			g_string_append_c(vm->pending, buf[i]);
	}
	return TRUE;
}

void
guest_vm_send(GuestVm *vm, const char *text)
{
	g_autoptr(GError) error = NULL;
	gsize len = strlen(text);
	gssize n = g_socket_send(vm->serial, text, len, NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpint(n, ==, (gssize)len);
}

/* Late answers to wait_for_shell()'s READY requests are not output. */
static char *
drop_ready_lines(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);

	for (char **l = lines; *l; l++) {
		if (strcmp(*l, "@@READY") == 0 || (!l[1] && !**l))
			continue;
		g_string_append_printf(out, "%s\n", *l);
	}
	return g_string_free(out, FALSE);
}

/* The end marker is split by quotes in what we send, so the guest's echo
 * (if any) of the command can never look like the marker itself. */
char *
guest_vm_run(GuestVm *vm, const char *cmd, guint timeout_s, int *status)
{
	guint id = ++vm->marker;
	g_autofree char *marker = g_strdup_printf("@@END%u ", id);
	g_autofree char *line = g_strdup_printf(
		"%s\necho \"@@\"\"END%u $?\"\n", cmd, id);
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)timeout_s * G_USEC_PER_SEC;

	g_string_truncate(vm->pending, 0);
	guest_vm_send(vm, line);
	while (g_get_monotonic_time() < deadline) {
		char *at = strstr(vm->pending->str, marker);

		if (at && strchr(at, '\n')) {
			g_autofree char *raw = g_strndup(vm->pending->str,
							 at - vm->pending->str);

			if (status)
				*status = atoi(at + strlen(marker));
			return drop_ready_lines(raw);
		}
		if (!serial_read_some(vm))
			break;
	}
	g_error("guest command timed out: %s\n--- got:\n%s", cmd,
		vm->pending->str);
	return NULL;
}

GSocket *
guest_vm_connect_unix(const char *path, GError **error)
{
	g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_UNIX,
					    G_SOCKET_TYPE_STREAM, 0, error);
	g_autoptr(GSocketAddress) a = g_unix_socket_address_new(path);

	if (!s || !g_socket_connect(s, a, NULL, error))
		return NULL;
	return g_steal_pointer(&s);
}

gboolean
guest_vm_wait_for_file(GuestVm *vm, const char *path, gint64 deadline)
{
	while (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		if (g_get_monotonic_time() > deadline ||
		    g_subprocess_get_identifier(vm->proc) == NULL)
			return FALSE;
		g_usleep(100 * 1000);
	}
	return TRUE;
}

/* The guest announces nothing we could have missed before connecting, so
 * ask it to say READY once a second until it does. */
static gboolean
wait_for_shell(GuestVm *vm, gint64 deadline)
{
	gint64 next_ask = 0;

	while (g_get_monotonic_time() < deadline) {
		if (g_get_monotonic_time() >= next_ask) {
			guest_vm_send(vm, "echo \"@@\"\"READY\"\n");
			next_ask = g_get_monotonic_time() + G_USEC_PER_SEC;
		}
		if (!serial_read_some(vm))
			return FALSE;
		if (strstr(vm->pending->str, "@@READY\n"))
			break;
	}
	if (!strstr(vm->pending->str, "@@READY\n"))
		return FALSE;
	/* Let the queued READY requests drain. */
	g_usleep(500 * 1000);
	while (g_socket_condition_timed_wait(vm->serial, G_IO_IN, 300 * 1000,
					     NULL, NULL) && serial_read_some(vm))
		;
	g_string_truncate(vm->pending, 0);
	return TRUE;
}

void
guest_vm_spawn(GuestVm *vm, const char *hostenc_vm, const char *name,
	       const char *const *extra)
{
	g_autoptr(GSubprocessLauncher) l =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;

	vm->name = g_strdup(name);
	vm->vm_root = g_build_filename(vm->tmp, "vms", NULL);
	vm->dir = g_build_filename(vm->vm_root, name, NULL);
	vm->log = g_build_filename(vm->tmp, "hostenc-vm.log", NULL);
	for (const char *const *a = (const char *const[]){ hostenc_vm, "--name", name,
	     "--accel", "tcg", "--vm-dir", vm->vm_root, "--size", "1280x800", NULL }; *a; a++)
		g_ptr_array_add(argv, (gpointer)*a);
	for (const char *const *a = extra; a && *a; a++)
		g_ptr_array_add(argv, (gpointer)*a);
	g_ptr_array_add(argv, NULL);
	/* TAP owns our stdout: hostenc-vm talks to a log file. */
	g_subprocess_launcher_set_stdout_file_path(l, vm->log);
	vm->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
}

gboolean
guest_vm_wait_booted(GuestVm *vm, gint64 deadline, GError **error)
{
	gint64 t0 = g_get_monotonic_time();
	g_autofree char *json = g_build_filename(vm->dir, "vm.json", NULL);
	g_autofree char *serial = g_build_filename(vm->dir, "serial.sock", NULL);

	if (!guest_vm_wait_for_file(vm, json, deadline)) {
		g_autofree char *log = NULL;

		g_file_get_contents(vm->log, &log, NULL, NULL);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "no vm.json in time; hostenc-vm said:\n%s", log ? log : "");
		return FALSE;
	}
	vm->serial = guest_vm_connect_unix(serial, error);
	if (!vm->serial)
		return FALSE;
	vm->pending = g_string_new(NULL);
	if (!wait_for_shell(vm, deadline)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "the guest shell did not answer in time");
		return FALSE;
	}
	vm->boot_s = (g_get_monotonic_time() - t0) / 1e6;
	vm->booted = TRUE;
	return TRUE;
}

void
guest_vm_stop(GuestVm *vm)
{
	if (vm->proc && g_subprocess_get_identifier(vm->proc)) {
		g_subprocess_send_signal(vm->proc, SIGTERM);
		g_subprocess_wait(vm->proc, NULL, NULL);
	}
	g_clear_object(&vm->serial);
	g_clear_object(&vm->proc);
	if (vm->pending)
		g_string_free(vm->pending, TRUE);
	vm->pending = NULL;
	if (vm->log)
		g_unlink(vm->log);
	g_clear_pointer(&vm->vm_root, g_free);
	g_clear_pointer(&vm->dir, g_free);
	g_clear_pointer(&vm->log, g_free);
	g_clear_pointer(&vm->name, g_free);
}

/* ---- QMP ---- */

static char *
qmp_line(GDataInputStream *in)
{
	g_autoptr(GError) error = NULL;
	char *l = g_data_input_stream_read_line(in, NULL, NULL, &error);

	g_assert_no_error(error);
	g_assert_nonnull(l);
	return l;
}

void
guest_vm_qmp(GuestQmp *q, const char *json)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(q->conn));
	g_autoptr(GError) error = NULL;

	g_output_stream_write_all(out, json, strlen(json), NULL, NULL, &error);
	g_assert_no_error(error);
	for (;;) {
		g_autofree char *l = qmp_line(q->in);

		if (strstr(l, "\"error\""))
			g_error("QMP %s: %s", json, l);
		if (strstr(l, "\"return\""))
			return;
	}
}

void
guest_vm_qmp_open(GuestVm *vm, const char *socket_name, GuestQmp *q)
{
	g_autofree char *path = g_build_filename(vm->dir, socket_name, NULL);
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GError) error = NULL;
	g_autofree char *greeting = NULL;

	q->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &error);
	g_assert_no_error(error);
	q->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(q->conn)));
	greeting = qmp_line(q->in);
	g_assert_nonnull(strstr(greeting, "QMP"));
	guest_vm_qmp(q, "{\"execute\":\"qmp_capabilities\"}\n");
}

void
guest_vm_qmp_close(GuestQmp *q)
{
	g_clear_object(&q->in);
	g_clear_object(&q->conn);
}
