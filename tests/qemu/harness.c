/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "harness.h"

#include <gio/gio.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef QH_GUEST_BIN
#error "QH_GUEST_BIN: path of the assembled guest-fill boot sector"
#endif

bool qh_require_qemu(void)
{
	g_autofree char *p = g_find_program_in_path(QH_QEMU);

	if (!p) {
		g_test_skip(QH_QEMU " is not installed (Debian: qemu-system-x86)");
		return false;
	}
	return true;
}

/* Copy the boot sector into @p dir with its parameter block patched. */
static char *write_guest(const char *dir, uint16_t w, uint16_t h, uint8_t mode)
{
	g_autofree char *img = NULL;
	g_autoptr(GError) err = NULL;
	char *path = g_build_filename(dir, "guest.img", NULL);
	gsize len = 0;

	g_assert_true(g_file_get_contents(QH_GUEST_BIN, &img, &len, &err));
	g_assert_cmpuint(len, ==, 512);
	img = g_realloc(img, 65536);
	memset(img + 512, 0, 65536 - 512);
	img[0x1e0] = (char)(w & 0xff);
	img[0x1e1] = (char)(w >> 8);
	img[0x1e2] = (char)(h & 0xff);
	img[0x1e3] = (char)(h >> 8);
	img[0x1e4] = (char)mode;
	g_assert_true(g_file_set_contents(path, img, 65536, &err));
	return path;
}

/* Children die with the test, also when an assertion aborts it. */
static void die_with_parent(gpointer data G_GNUC_UNUSED)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static bool wait_path(const char *path, int timeout_ms)
{
	for (int i = 0; i < timeout_ms / 20; i++) {
		if (g_file_test(path, G_FILE_TEST_EXISTS))
			return true;
		g_usleep(20000);
	}
	return false;
}

struct qh_qemu *qh_qemu_start(enum qh_guest guest, uint16_t w, uint16_t h,
			      const char *bus_address, const char *const *extra)
{
	struct qh_qemu *q = g_new0(struct qh_qemu, 1);
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) err = NULL;

	q->dir = g_dir_make_tmp("hostenc-qemu-XXXXXX", &err);
	g_assert_no_error(err);
	q->qmp_path = g_build_filename(q->dir, "qmp.sock", NULL);
	q->mon_path = g_build_filename(q->dir, "mon.sock", NULL);
	g_ptr_array_add(argv, g_strdup(QH_QEMU));
	g_ptr_array_add(argv, g_strdup("-nodefaults"));
	g_ptr_array_add(argv, g_strdup("-accel"));
	g_ptr_array_add(argv, g_strdup("tcg"));
	g_ptr_array_add(argv, g_strdup("-m"));
	g_ptr_array_add(argv, g_strdup("64"));
	g_ptr_array_add(argv, g_strdup("-name"));
	g_ptr_array_add(argv, g_strdup("hostenc-test"));
	g_ptr_array_add(argv, g_strdup("-vga"));
	g_ptr_array_add(argv, g_strdup("std"));
	g_ptr_array_add(argv, g_strdup("-display"));
	g_ptr_array_add(argv, g_strdup(bus_address ? "dbus" : "dbus,p2p=yes"));
	g_ptr_array_add(argv, g_strdup("-qmp"));
	g_ptr_array_add(argv, g_strdup_printf("unix:%s,server=on,wait=off", q->qmp_path));
	g_ptr_array_add(argv, g_strdup("-qmp"));
	g_ptr_array_add(argv, g_strdup_printf("unix:%s,server=on,wait=off", q->mon_path));
	if (guest != QH_GUEST_SEABIOS) {
		g_autofree char *img = write_guest(q->dir, w, h, guest == QH_GUEST_FILL_BAND);

		g_ptr_array_add(argv, g_strdup("-drive"));
		g_ptr_array_add(argv, g_strdup_printf("file=%s,format=raw,if=ide", img));
	}
	for (; extra && *extra; extra++)
		g_ptr_array_add(argv, g_strdup(*extra));
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
	if (bus_address)
		g_subprocess_launcher_setenv(l, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
	q->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &err);
	g_assert_no_error(err);
	q->pid = atoi(g_subprocess_get_identifier(q->proc));
	g_assert_true(wait_path(q->qmp_path, 10000));
	g_assert_true(wait_path(q->mon_path, 10000));
	return q;
}

void qh_qemu_stop(struct qh_qemu *q)
{
	if (!q)
		return;
	g_subprocess_send_signal(q->proc, SIGTERM);
	g_subprocess_wait(q->proc, NULL, NULL);
	g_object_unref(q->proc);
	unlink(q->qmp_path);
	unlink(q->mon_path);
	{
		g_autofree char *img = g_build_filename(q->dir, "guest.img", NULL);

		unlink(img);
	}
	rmdir(q->dir);
	g_free(q->qmp_path);
	g_free(q->mon_path);
	g_free(q->dir);
	g_free(q);
}

struct qh_mon {
	int fd;
	GString *buf;
};

/* One line from the monitor, or NULL after @p timeout_ms. */
static char *mon_line(struct qh_mon *m, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		char *nl = memchr(m->buf->str, '\n', m->buf->len);
		struct pollfd p = { m->fd, POLLIN, 0 };
		gint64 left = (end - g_get_monotonic_time()) / 1000;
		char chunk[4096];
		ssize_t n;

		if (nl) {
			char *line = g_strndup(m->buf->str, (gsize)(nl - m->buf->str));

			g_string_erase(m->buf, 0, nl - m->buf->str + 1);
			return line;
		}
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return NULL;
		n = read(m->fd, chunk, sizeof(chunk));
		if (n <= 0)
			return NULL;
		g_string_append_len(m->buf, chunk, n);
	}
}

static bool mon_send(struct qh_mon *m, const char *json, int fd)
{
	struct iovec iov = { (void *)json, strlen(json) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(m->fd, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len;
}

struct qh_mon *qh_mon_open(const char *path, int timeout_ms)
{
	struct qh_mon *m = g_new0(struct qh_mon, 1);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autofree char *greeting = NULL;
	g_autofree char *caps = NULL;

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	m->buf = g_string_new(NULL);
	m->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || connect(m->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	greeting = mon_line(m, timeout_ms);
	if (!greeting || !strstr(greeting, "\"QMP\""))
		goto fail;
	caps = qh_mon_cmd(m, "{\"execute\":\"qmp_capabilities\"}", -1, timeout_ms, NULL);
	if (!caps || !strstr(caps, "\"return\""))
		goto fail;
	return m;
fail:
	qh_mon_close(m);
	return NULL;
}

char *qh_mon_cmd(struct qh_mon *m, const char *json, int fd, int timeout_ms, int64_t *elapsed_us)
{
	gint64 t0 = g_get_monotonic_time();
	g_autofree char *line = g_strconcat(json, "\n", NULL);

	if (!mon_send(m, line, fd))
		return NULL;
	for (;;) {
		gint64 left = timeout_ms - (g_get_monotonic_time() - t0) / 1000;
		char *reply = mon_line(m, (int)MAX(left, 0));

		if (!reply)
			return NULL;
		if (strstr(reply, "\"event\"") && !strstr(reply, "\"return\"")) {
			g_free(reply);
			continue;
		}
		if (elapsed_us)
			*elapsed_us = g_get_monotonic_time() - t0;
		return reply;
	}
}

void qh_mon_close(struct qh_mon *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	g_string_free(m->buf, TRUE);
	g_free(m);
}

char *qh_dbus_daemon_start(GSubprocess **proc)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GDataInputStream) in = NULL;
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
								     G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	char *line;

	g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
	*proc = g_subprocess_launcher_spawn(l, &err, "dbus-daemon", "--session", "--nofork",
					    "--print-address=1", NULL);
	if (!*proc)
		return NULL;
	in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(*proc));
	line = g_data_input_stream_read_line(in, NULL, NULL, &err);
	if (!line) {
		qh_dbus_daemon_stop(*proc);
		*proc = NULL;
	}
	return line;
}

void qh_dbus_daemon_stop(GSubprocess *proc)
{
	if (!proc)
		return;
	g_subprocess_send_signal(proc, SIGTERM);
	g_subprocess_wait(proc, NULL, NULL);
	g_object_unref(proc);
}

long qh_rss_kb(int pid)
{
	g_autofree char *path = pid ? g_strdup_printf("/proc/%d/status", pid)
				    : g_strdup("/proc/self/status");
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	p = strstr(text, "VmRSS:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

static gboolean set_flag(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Block in the default main context (no busy polling: the tests measure
 * CPU-bound throughput on small machines) until *flag or the timeout. */
static bool iterate_until(const bool *flag, int timeout_ms)
{
	bool expired = false;
	GSource *t = g_timeout_source_new((guint)timeout_ms);

	g_source_set_callback(t, set_flag, &expired, NULL);
	g_source_attach(t, NULL);
	while (!expired && !(flag && *flag))
		g_main_context_iteration(NULL, TRUE);
	g_source_destroy(t);
	g_source_unref(t);
	return flag && *flag;
}

bool qh_wait_flag(const bool *flag, int timeout_ms)
{
	return *flag || iterate_until(flag, timeout_ms);
}

void qh_spin(int ms)
{
	iterate_until(NULL, ms);
}
