/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostenc-vm end to end, against real QEMU under TCG: command line and
 * option errors, then one demo guest booted once and probed over its serial
 * shell (framebuffer, ivshmem, virtio-serial port, networking, the hxfr
 * socket appearing late), and finally Ctrl-C.
 *
 * The guest tests share one VM (booting takes most of the time on 2 cores),
 * so they run in registration order and skip if the boot failed.
 *
 * Under TCG on nested hosts the guest sometimes sleeps until its next
 * interrupt (seen with the 16550 and virtio-console alike); while waiting for
 * output the tests send an empty line every 250 ms, which the guest shell
 * ignores, so a command never waits on that.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#define BOOT_TIMEOUT_S 60
#define CMD_TIMEOUT_S 20
#define NUDGE_MS 250

#include "guest-vm.h"

static GuestVm vm;
static const char *hostenc_vm;

/* ---- environment ---- */

/* Skips the current test when the machine cannot run the VM at all. */
static gboolean
skip_without_qemu(void)
{
	const char *why = guest_vm_unavailable();

	if (why)
		g_test_skip(why);
	return why != NULL;
}

static gboolean
skip_without_vm(void)
{
	if (skip_without_qemu())
		return TRUE;
	if (!vm.booted) {
		g_test_skip("the demo guest did not boot (see /vm/guest/boot)");
		return TRUE;
	}
	return FALSE;
}

/* ---- running hostenc-vm to completion ---- */

static int
run_tool(const char *const *args, char **out, char **err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) p = NULL;
	g_autoptr(GError) error = NULL;

	g_ptr_array_add(argv, (gpointer)hostenc_vm);
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, (gpointer)*a);
	g_ptr_array_add(argv, NULL);
	p = g_subprocess_newv((const char *const *)argv->pdata,
			      G_SUBPROCESS_FLAGS_STDOUT_PIPE |
			      G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(p, NULL, NULL, out, err, &error);
	g_assert_no_error(error);
	return g_subprocess_get_exit_status(p);
}

static void
expect_bad_option(const char *const *args, const char *message)
{
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	int status = run_tool(args, &out, &err);

	g_test_message("%s → %s", args[0], err);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, message));
}

static void
test_bad_options(void)
{
	expect_bad_option((const char *[]){ "--name", "no spaces", NULL },
			  "is not valid");
	expect_bad_option((const char *[]){ "--name",
			  "a-name-that-is-far-too-long-to-be-accepted", NULL },
			  "1 to 32 letters");
	expect_bad_option((const char *[]){ "--size", "12x", NULL },
			  "WIDTHxHEIGHT");
	expect_bad_option((const char *[]){ "--accel", "fast", NULL },
			  "auto, kvm, tcg or hvf");
	expect_bad_option((const char *[]){ "--memory", "lots", NULL },
			  "--memory must be a whole number");
	expect_bad_option((const char *[]){ "--ivshmem-size", "48", NULL },
			  "power of two");
	expect_bad_option((const char *[]){ "--initrd", "/x", NULL },
			  "need --kernel");
	expect_bad_option((const char *[]){ "--disk", "/nonexistent.img", NULL },
			  "no such file");
	expect_bad_option((const char *[]){ "--qemu", "no-such-qemu", NULL },
			  "install qemu-system-x86");
}

static void
test_print_command(void)
{
	static const char *const wanted[] = {
		"-accel tcg,thread=multi",
		"-m 512",
		"-smp 2",
		"-device virtio-gpu-pci,xres=1024,yres=768",
		"-device usb-ehci",
		"-device usb-tablet",
		"-netdev user,id=net0",
		"-device virtio-net-pci,netdev=net0",
		"-device virtio-serial-pci",
		"name=org.hostenc.hxfr.0",
		"hxfr.sock,reconnect=1",
		"memory-backend-file,id=hostenc-shm,share=on,mem-path=",
		"size=64M",
		"-device ivshmem-plain,memdev=hostenc-shm",
		"-display dbus,p2p=yes",
		"qmp.sock,server=on,wait=off",
		"mount_tag=hostroot",
		"-kernel /boot/vmlinuz-",
		"hostenc.run=",
	};
	g_autofree char *root = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autofree char *qmp = NULL;

	if (skip_without_qemu())
		return;
	root = g_build_filename(vm.tmp, "print", NULL);
	dir = g_build_filename(root, "pc1", NULL);
	g_assert_cmpint(run_tool((const char *[]){
		"--print-command", "--accel", "tcg", "--name", "pc1",
		"--vm-dir", root, "--size", "1024x768", "--memory", "512",
		NULL }, &out, &err), ==, 0);
	g_test_message("%s", out);
	for (size_t i = 0; i < G_N_ELEMENTS(wanted); i++) {
		if (!strstr(out, wanted[i]))
			g_error("missing \"%s\" in: %s", wanted[i], out);
	}
	qmp = g_strdup_printf("-qmp unix:%s/qmp.sock", dir);
	g_assert_nonnull(strstr(out, qmp));
	/* Printing must not create anything. */
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

/* ---- the serial shell ---- */

static void
nudge(void)
{
	g_socket_send(vm.serial, "\n", 1, NULL, NULL);
}

static char *
guest_run(const char *cmd, int *status)
{
	return guest_vm_run(&vm, cmd, CMD_TIMEOUT_S, status);
}

static void
test_boot(void)
{
	gint64 deadline = g_get_monotonic_time() + BOOT_TIMEOUT_S * G_USEC_PER_SEC;
	g_autoptr(GError) error = NULL;

	if (skip_without_qemu())
		return;
	guest_vm_spawn(&vm, hostenc_vm, "boot", NULL);
	if (!guest_vm_wait_booted(&vm, deadline, &error))
		g_error("the demo guest did not boot within %d s: %s", BOOT_TIMEOUT_S,
			error->message);
	g_test_message("demo guest booted to its serial shell in %.1f s",
		       vm.boot_s);
}

/* ---- in the guest ---- */

static void
test_vm_json(void)
{
	g_autofree char *json = NULL;
	g_autofree char *path = NULL;
	g_autofree char *shm = NULL;
	GStatBuf st;

	if (skip_without_vm())
		return;
	path = g_build_filename(vm.dir, "vm.json", NULL);
	g_assert_true(g_file_get_contents(path, &json, NULL, NULL));
	for (const char *const *k = (const char *const[]){ "\"name\": \"boot\"",
	     "\"pid\":", "\"qmp\":", "\"hxfr\":", "\"ivshmem\":",
	     "\"ivshmem_size\": 67108864", "\"accel\": \"tcg\"", NULL }; *k; k++)
		g_assert_nonnull(strstr(json, *k));
	shm = g_build_filename(vm.dir, "ivshmem", NULL);
	g_assert_cmpint(g_stat(shm, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(st.st_size, ==, 64 * 1024 * 1024);
}

static void
test_fbdemo(void)
{
	g_autofree char *info = NULL;
	g_autofree char *pixel = NULL;
	g_autofree char *modes = NULL;
	int status = -1;

	if (skip_without_vm())
		return;
	info = guest_run("hostenc-fbdemo info", &status);
	g_test_message("fbdemo info: %s", info);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(info, "fb0 1280x800 32bpp stride 5120"));
	modes = guest_run("head -n 1 /sys/class/drm/card0-Virtual-1/modes",
			  &status);
	g_assert_cmpstr(g_strstrip(modes), ==, "1280x800");
	g_free(guest_run("hostenc-fbdemo fill 1100 700 120 80 00C0FF",
			 &status));
	g_assert_cmpint(status, ==, 0);
	pixel = guest_run("hostenc-fbdemo get 1150 740", &status);
	g_assert_cmpstr(g_strstrip(pixel), ==, "00C0FF");
}

/* ---- the screen, as QEMU sees it (host side) ---- */

/* Reads pixel (x, y) of a binary PPM (P6, maxval 255). */
static guint32
ppm_pixel(const char *path, guint x, guint y)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	guint w = 0, h = 0, maxval = 0;
	int header = 0;
	const guchar *p;

	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	g_assert_cmpint(sscanf(data, "P6 %u %u %u%n", &w, &h, &maxval,
			       &header), ==, 3);
	g_assert_cmpuint(maxval, ==, 255);
	g_assert_cmpuint(x, <, w);
	g_assert_cmpuint(y, <, h);
	p = (const guchar *)data + header + 1 + ((gsize)y * w + x) * 3;
	g_assert_cmpuint((gsize)(p + 3 - (const guchar *)data), <=, len);
	return (guint32)p[0] << 16 | (guint32)p[1] << 8 | p[2];
}

/* hostencd is not running in these tests, so qmp.sock is free for us. */
static void
qmp_open(GuestQmp *q)
{
	guest_vm_qmp_open(&vm, "qmp.sock", q);
}

static void
test_screendump(void)
{
	g_autofree char *ppm = NULL;
	g_autofree char *cmd = NULL;
	GuestQmp q = { 0 };
	guint32 px = 0;

	if (skip_without_vm())
		return;
	g_free(guest_run("hostenc-fbdemo fill 1000 600 100 100 FF8000", NULL));
	ppm = g_build_filename(vm.tmp, "screen.ppm", NULL);
	qmp_open(&q);
	cmd = g_strdup_printf("{\"execute\":\"screendump\",\"arguments\":"
			      "{\"filename\":\"%s\"}}\n", ppm);
	/* The fbdev emulation flushes damage to the scanout shortly after
	 * the write; give it a few frames. */
	for (int i = 0; i < 20 && px != 0xFF8000; i++) {
		if (i)
			g_usleep(250 * 1000);
		guest_vm_qmp(&q, cmd);
		px = ppm_pixel(ppm, 1050, 650);
	}
	guest_vm_qmp_close(&q);
	g_assert_cmphex(px, ==, 0xFF8000);
}

/* A checksum of the clock's spot on tty1: row 1, columns 50-70 of the 8x16
 * console font (see vm/guest/demo.sh). */
static char *
clock_region_sum(const char *ppm)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

	for (guint y = 0; y < 16; y++) {
		for (guint x = 392; x < 568; x++) {
			guint32 px = ppm_pixel(ppm, x, y);

			g_checksum_update(sum, (const guchar *)&px, sizeof(px));
		}
	}
	return g_strdup(g_checksum_get_string(sum));
}

/* Something alive on the screen: the clock redraws once a second. */
static void
test_clock_alive(void)
{
	g_autofree char *ppm = NULL;
	g_autofree char *cmd = NULL;
	g_autofree char *first = NULL;
	GuestQmp q = { 0 };
	gboolean changed = FALSE;

	if (skip_without_vm())
		return;
	ppm = g_build_filename(vm.tmp, "screen.ppm", NULL);
	cmd = g_strdup_printf("{\"execute\":\"screendump\",\"arguments\":"
			      "{\"filename\":\"%s\"}}\n", ppm);
	qmp_open(&q);
	guest_vm_qmp(&q, cmd);
	first = clock_region_sum(ppm);
	for (int i = 0; i < 20 && !changed; i++) {
		g_autofree char *now = NULL;

		g_free(guest_run("sleep 0.5", NULL));
		guest_vm_qmp(&q, cmd);
		now = clock_region_sum(ppm);
		changed = strcmp(now, first) != 0;
	}
	guest_vm_qmp_close(&q);
	g_assert_true(changed);
}

static void
send_key(GuestQmp *q, const char *qcode)
{
	g_autofree char *cmd = g_strdup_printf(
		"{\"execute\":\"send-key\",\"arguments\":{\"keys\":"
		"[{\"type\":\"qcode\",\"data\":\"%s\"}]}}\n", qcode);

	guest_vm_qmp(q, cmd);
}

/* Keys reach tty1 through the PS/2 keyboard; the guest's line reader
 * appends each line to /tmp/typed. */
static void
test_typed_text(void)
{
	static const char *const keys[] = { "h", "o", "s", "t", "ret" };
	GuestQmp q = { 0 };
	gboolean seen = FALSE;

	if (skip_without_vm())
		return;
	qmp_open(&q);
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		send_key(&q, keys[i]);
	guest_vm_qmp_close(&q);
	for (int i = 0; i < 40 && !seen; i++) {
		g_autofree char *typed = guest_run("cat /tmp/typed 2>/dev/null",
						   NULL);

		seen = strstr(typed, "host\n") != NULL;
		if (!seen)
			g_usleep(250 * 1000);
	}
	g_assert_true(seen);
}

/* An absolute move sent as the display would send it arrives at the guest
 * as EV_ABS events from the USB tablet. */
static void
test_tablet_events(void)
{
	GuestQmp q = { 0 };
	g_autofree char *out = NULL;
	int status = -1;

	if (skip_without_vm())
		return;
	g_free(guest_run("hostenc-fbdemo events 2 15 >/tmp/events 2>&1 &",
			 NULL));
	/* Wait until the reader has its devices open. */
	for (int i = 0; i < 40; i++) {
		g_autofree char *head = guest_run("cat /tmp/events", NULL);

		if (strstr(head, "listening"))
			break;
		g_usleep(100 * 1000);
	}
	qmp_open(&q);
	guest_vm_qmp(&q,
		     "{\"execute\":\"input-send-event\",\"arguments\":"
		     "{\"events\":[{\"type\":\"abs\",\"data\":{\"axis\":"
		     "\"x\",\"value\":12000}},{\"type\":\"abs\",\"data\":"
		     "{\"axis\":\"y\",\"value\":9000}}]}}\n");
	guest_vm_qmp_close(&q);
	out = guest_run("wait; cat /tmp/events", &status);
	g_test_message("tablet events:\n%s", out);
	/* type 3 = EV_ABS, code 0 = ABS_X, code 1 = ABS_Y */
	g_assert_nonnull(strstr(out, "\n3 0 "));
	g_assert_nonnull(strstr(out, "\n3 1 "));
}

static void
test_ivshmem(void)
{
	g_autofree char *out = NULL;
	int status = -1;

	if (skip_without_vm())
		return;
	out = guest_run("for d in /sys/bus/pci/devices/*; do "
			"[ \"$(cat $d/vendor)\" = 0x1af4 ] && "
			"[ \"$(cat $d/device)\" = 0x1110 ] && "
			"busybox stat -c 'ivshmem %s' $d/resource2; done",
			&status);
	g_test_message("%s", out);
	g_assert_nonnull(strstr(out, "ivshmem 67108864"));
}

static void
test_virtio_port(void)
{
	g_autofree char *out = NULL;

	if (skip_without_vm())
		return;
	out = guest_run("cat /sys/class/virtio-ports/*/name", NULL);
	g_assert_nonnull(strstr(out, "org.hostenc.hxfr.0"));
}

/* Accepts one connection within @timeout_s, nudging the guest meanwhile. */
static GSocket *
accept_nudging(GSocket *listener, guint timeout_s)
{
	gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

	while (g_get_monotonic_time() < deadline) {
		if (g_socket_condition_timed_wait(listener, G_IO_IN,
						  NUDGE_MS * 1000, NULL, NULL))
			return g_socket_accept(listener, NULL, NULL);
		nudge();
	}
	return NULL;
}

/* Reads until @want appears or @timeout_s passes. */
static gboolean
receive_text(GSocket *s, const char *want, guint timeout_s)
{
	g_autoptr(GString) got = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

	while (!strstr(got->str, want) && g_get_monotonic_time() < deadline) {
		char buf[512];
		gssize n;

		if (!g_socket_condition_timed_wait(s, G_IO_IN, NUDGE_MS * 1000,
						   NULL, NULL)) {
			nudge();
			continue;
		}
		n = g_socket_receive(s, buf, sizeof(buf), NULL, NULL);
		if (n <= 0)
			break;
		g_string_append_len(got, buf, n);
	}
	return strstr(got->str, want) != NULL;
}

static void
test_network(void)
{
	g_autoptr(GSocket) listener = NULL;
	g_autoptr(GSocket) conn = NULL;
	g_autoptr(GInetAddress) lo = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *cmd = NULL;
	guint port;

	if (skip_without_vm())
		return;
	listener = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0,
				&error);
	g_assert_no_error(error);
	lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	addr = g_inet_socket_address_new(lo, 0);
	g_assert_true(g_socket_bind(listener, addr, TRUE, &error));
	g_assert_true(g_socket_listen(listener, &error));
	bound = g_socket_get_local_address(listener, &error);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	/* In the background: the shell must stay free while we accept. */
	cmd = g_strdup_printf("(echo hello-from-guest | busybox nc -w 5 "
			      "10.0.2.2 %u) >/dev/null 2>&1 &", port);
	g_free(guest_run(cmd, NULL));
	conn = accept_nudging(listener, CMD_TIMEOUT_S);
	g_assert_nonnull(conn);
	g_assert_true(receive_text(conn, "hello-from-guest", CMD_TIMEOUT_S));
}

/* QEMU started with nobody on hxfr.sock; a listener that appears now must
 * get QEMU's connection (reconnect=1), and bytes from the guest's port. */
static void
test_hxfr_late_listener(void)
{
	g_autofree char *path = NULL;
	g_autoptr(GSocket) listener = NULL;
	g_autoptr(GSocket) conn = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GError) error = NULL;

	if (skip_without_vm())
		return;
	path = g_build_filename(vm.dir, "hxfr.sock", NULL);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0,
				&error);
	addr = g_unix_socket_address_new(path);
	g_assert_true(g_socket_bind(listener, addr, TRUE, &error));
	g_assert_true(g_socket_listen(listener, &error));
	conn = accept_nudging(listener, 10);
	g_assert_nonnull(conn);
	g_free(guest_run("for p in /sys/class/virtio-ports/*; do "
			 "[ \"$(cat $p/name)\" = org.hostenc.hxfr.0 ] && "
			 "echo hxfr-ping >/dev/${p##*/}; done", NULL));
	g_assert_true(receive_text(conn, "hxfr-ping", CMD_TIMEOUT_S));
}

static gboolean
pid_alive(const char *json)
{
	const char *p = strstr(json, "\"pid\": ");
	pid_t pid = p ? (pid_t)atoi(p + 7) : 0;

	g_assert_cmpint(pid, >, 0);
	return kill(pid, 0) == 0 || errno != ESRCH;
}

static void
test_sigint(void)
{
	g_autofree char *json_path = NULL;
	g_autofree char *json = NULL;
	g_autoptr(GError) error = NULL;
	gint64 t0;

	if (skip_without_vm())
		return;
	json_path = g_build_filename(vm.dir, "vm.json", NULL);
	g_assert_true(g_file_get_contents(json_path, &json, NULL, NULL));
	g_clear_object(&vm.serial);
	t0 = g_get_monotonic_time();
	g_subprocess_send_signal(vm.proc, SIGINT);
	/* GSubprocess reaps on GLib's worker thread: no loop needed here. */
	while (g_subprocess_get_identifier(vm.proc) &&
	       g_get_monotonic_time() - t0 < 10 * G_USEC_PER_SEC)
		g_usleep(50 * 1000);
	g_assert_true(g_subprocess_wait(vm.proc, NULL, &error));
	g_test_message("hostenc-vm stopped %.1f s after SIGINT",
		       (g_get_monotonic_time() - t0) / 1e6);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
	g_assert_true(g_subprocess_get_if_exited(vm.proc));
	g_assert_cmpint(g_subprocess_get_exit_status(vm.proc), ==, 0);
	g_assert_false(g_file_test(vm.dir, G_FILE_TEST_EXISTS));
	g_assert_false(pid_alive(json));
	vm.booted = FALSE;
}

/* ---- setup ---- */

static void
cleanup(void)
{
	g_autofree char *ppm = g_build_filename(vm.tmp, "screen.ppm", NULL);
	g_autofree char *print = g_build_filename(vm.tmp, "print", NULL);
	g_autofree char *root = g_build_filename(vm.tmp, "vms", NULL);

	guest_vm_stop(&vm);
	g_unlink(ppm);
	g_rmdir(root);
	g_rmdir(print);
	g_rmdir(vm.tmp);
	g_free(vm.tmp);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	hostenc_vm = g_getenv("HOSTENC_VM_BIN");
	if (!hostenc_vm) {
		g_printerr("set HOSTENC_VM_BIN to the hostenc-vm to test\n");
		return 1;
	}
	vm.tmp = g_dir_make_tmp("hostenc-vm-test-XXXXXX", &error);
	g_assert_no_error(error);

	/* GTest runs a suite's own cases in this order, before any child
	 * suite: keep every case of the shared VM in /vm/guest/ itself. */
	g_test_add_func("/vm/cli/bad-options", test_bad_options);
	g_test_add_func("/vm/cli/print-command", test_print_command);
	g_test_add_func("/vm/guest/boot", test_boot);
	g_test_add_func("/vm/guest/vm-json", test_vm_json);
	g_test_add_func("/vm/guest/fbdemo", test_fbdemo);
	g_test_add_func("/vm/guest/screendump", test_screendump);
	g_test_add_func("/vm/guest/clock-alive", test_clock_alive);
	g_test_add_func("/vm/guest/typed-text", test_typed_text);
	g_test_add_func("/vm/guest/tablet-events", test_tablet_events);
	g_test_add_func("/vm/guest/ivshmem", test_ivshmem);
	g_test_add_func("/vm/guest/virtio-port", test_virtio_port);
	g_test_add_func("/vm/guest/network", test_network);
	g_test_add_func("/vm/guest/hxfr-late-listener", test_hxfr_late_listener);
	g_test_add_func("/vm/guest/sigint", test_sigint);
	rc = g_test_run();
	cleanup();
	return rc;
}
