/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned log_counter;

const char *th_hostencd_path(void)
{
	const char *p = g_getenv("HOSTENCD");

	if (!p || !*p)
		g_error("HOSTENCD is not set: run these tests with 'meson test' (it points "
			"HOSTENCD at the hostencd it built)");
	return p;
}

/* The last @p lines lines of @p text, for failure messages. */
static const char *tail(const char *text, unsigned lines)
{
	const char *p = text + strlen(text);

	while (p > text && lines) {
		p--;
		if (*p == '\n' && p[1])
			lines--;
	}
	return p == text ? p : p + 1;
}

static G_NORETURN G_GNUC_PRINTF(2, 3) void fail_with_log(const char *log_path, const char *fmt, ...)
{
	g_autofree char *text = NULL, *log = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (g_file_get_contents(log_path, &log, NULL, NULL))
		g_printerr("---- hostencd log (%s), last lines ----\n%s\n---- end of log ----\n",
			   log_path, tail(log, 80));
	g_error("%s (hostencd log: %s)", text, log_path);
}

void th_assert_no_sanitizer_report(const char *text, const char *what)
{
	static const char *const markers[] = {
		"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
		"WARNING: ThreadSanitizer", "-CRITICAL **",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(markers); i++) {
		const char *hit = strstr(text, markers[i]);

		if (hit) {
			const char *start = hit;

			while (start > text && start[-1] != '\n')
				start--;
			g_printerr("---- %s ----\n%.4000s\n---- end ----\n", what, start);
			g_error("%s contains a '%s' report", what, markers[i]);
		}
	}
}

static void child_setup(gpointer data)
{
	/* Never outlive a test process that aborted on a failed assertion. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(127);
}

static char *log_file_path(const char *dir)
{
	const char *logdir = g_getenv("HOSTENC_TEST_LOGDIR");
	const char *test = g_test_get_path();
	g_autofree char *prg = g_path_get_basename(g_get_prgname() ? g_get_prgname() : "test");
	g_autofree char *name = NULL;

	if (!logdir || !*logdir)
		logdir = dir;
	g_mkdir_with_parents(logdir, 0755);
	name = g_strdup_printf("%s%s-%u.log", prg, test ? test : "", log_counter++);
	g_strcanon(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.", '_');
	return g_build_filename(logdir, name, NULL);
}

/* "listening for guests on tcp:127.0.0.1:PORT" -> PORT, 0 if absent. */
static uint16_t find_port(const char *log)
{
	const char *key = "listening for guests on tcp:127.0.0.1:";
	const char *p = strstr(log, key);
	guint64 port;
	char *end;

	if (!p)
		return 0;
	port = g_ascii_strtoull(p + strlen(key), &end, 10);
	return port > 0 && port < 65536 ? (uint16_t)port : 0;
}

/* "ready: open http://127.0.0.1:PORT/" (or https://, with --tls-cert)
 * -> PORT, 0 if absent. */
static uint16_t find_http_port(const char *log)
{
	static const char *const keys[] = {
		"ready: open http://127.0.0.1:", "ready: open https://127.0.0.1:",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		const char *p = strstr(log, keys[i]);
		guint64 port;

		if (!p)
			continue;
		port = g_ascii_strtoull(p + strlen(keys[i]), NULL, 10);
		return port > 0 && port < 65536 ? (uint16_t)port : 0;
	}
	return 0;
}

static bool log_says_ready(const char *log)
{
	return strstr(log, ": ready\n") != NULL || strstr(log, ": ready: open ") != NULL;
}

static bool args_have(const char *const *args, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *const *a = args; a && *a; a++)
		if (strncmp(*a, opt, n) == 0 && ((*a)[n] == '\0' || (*a)[n] == '='))
			return true;
	return false;
}

struct th_daemon *th_daemon_start(const struct th_options *o)
{
	struct th_daemon *d = g_new0(struct th_daemon, 1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) err = NULL;
	int64_t deadline = g_get_monotonic_time() + (int64_t)TH_TIMEOUT_MS * 1000;
	int logfd;

	d->dir = g_dir_make_tmp("hostenc-test-XXXXXX", &err);
	g_assert_no_error(err);
	d->log_path = log_file_path(d->dir);
	g_ptr_array_add(argv, g_strdup(th_hostencd_path()));
	g_ptr_array_add(argv, g_strdup("--verbose"));
	g_ptr_array_add(argv, g_strdup("--listen=tcp:127.0.0.1:0"));
	if (o->vm_dir)
		g_ptr_array_add(argv, g_strdup_printf("--vm-dir=%s", o->vm_dir));
	else
		g_ptr_array_add(argv, g_strdup("--no-vms")); /* never the machine's real VMs */
	if (o->unix_socket) {
		d->unix_path = g_build_filename(d->dir, "hostencd.sock", NULL);
		g_ptr_array_add(argv, g_strdup_printf("--listen=unix:%s", d->unix_path));
	}
	if (!o->pattern)
		g_ptr_array_add(argv, g_strdup("--no-pattern"));
	if (o->shm_spec)
		g_ptr_array_add(argv, g_strdup_printf("--shm=%s", o->shm_spec));
	for (const char *const *a = o->args; a && *a; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	/* hostencd makes a random web token unless told otherwise; tests that
	 * are not about tokens watch without one. */
	if (!o->default_token && !args_have(o->args, "--token") &&
	    !args_have(o->args, "--no-token"))
		g_ptr_array_add(argv, g_strdup("--no-token"));
	g_ptr_array_add(argv, NULL);

	logfd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	g_assert_cmpint(logfd, >=, 0);
	{
		g_autofree char *cmd = g_strjoinv(" ", (char **)argv->pdata);

		g_test_message("starting %s (log: %s)", cmd, d->log_path);
		dprintf(logfd, "# %s\n", cmd);
	}
	g_spawn_async_with_fds(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
			       child_setup, NULL, &d->pid, -1, logfd, logfd, &err);
	close(logfd);
	g_assert_no_error(err);

	for (;;) {
		g_autofree char *log = NULL;
		int status;

		if (g_file_get_contents(d->log_path, &log, NULL, NULL) && log_says_ready(log)) {
			d->port = find_port(log);
			d->http_port = find_http_port(log);
			if (!d->port)
				fail_with_log(d->log_path, "hostencd is ready but logged no TCP port");
			return d;
		}
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			fail_with_log(d->log_path, "hostencd exited during start-up (status 0x%x)",
				      status);
		}
		if (g_get_monotonic_time() > deadline) {
			kill(d->pid, SIGKILL);
			fail_with_log(d->log_path, "hostencd did not say 'ready' in %d ms",
				      TH_TIMEOUT_MS);
		}
		g_usleep(10000);
	}
}

struct th_daemon *th_web_daemon_start(const char *pattern_size, const char *const *more)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	struct th_options o = { .pattern = true };
	struct th_daemon *d;

	g_ptr_array_add(args, g_strdup("--http=127.0.0.1:0"));
	g_ptr_array_add(args, g_strdup_printf("--pattern-size=%s", pattern_size));
	g_ptr_array_add(args, g_strdup("--pattern-fps=10"));
	for (; more && *more; more++)
		g_ptr_array_add(args, g_strdup(*more));
	g_ptr_array_add(args, NULL);
	o.args = (const char *const *)args->pdata;
	d = th_daemon_start(&o);
	g_assert_cmpuint(d->http_port, >, 0);
	return d;
}

bool th_daemon_alive(struct th_daemon *d)
{
	int status;

	if (!d->pid)
		return false;
	if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
		g_test_message("hostencd exited unexpectedly, status 0x%x", status);
		d->pid = 0;
		return false;
	}
	return true;
}

static void remove_dir(const char *dir)
{
	g_autoptr(GDir) dh = g_dir_open(dir, 0, NULL);
	const char *name;

	while (dh && (name = g_dir_read_name(dh))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		g_unlink(p);
	}
	g_rmdir(dir);
}

void th_daemon_stop(struct th_daemon *d)
{
	int64_t deadline = g_get_monotonic_time() + (int64_t)TH_TIMEOUT_MS * 1000;
	g_autofree char *log = NULL;
	int status = 0;

	if (!d->pid)
		fail_with_log(d->log_path, "hostencd is not running at the end of the test");
	kill(d->pid, SIGTERM);
	for (;;) {
		pid_t r = waitpid(d->pid, &status, WNOHANG);

		if (r == d->pid)
			break;
		if (r < 0 && errno != EINTR)
			fail_with_log(d->log_path, "waitpid: %s", g_strerror(errno));
		if (g_get_monotonic_time() > deadline) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			fail_with_log(d->log_path, "hostencd did not exit within %d ms of SIGTERM",
				      TH_TIMEOUT_MS);
		}
		g_usleep(5000);
	}
	d->pid = 0;
	g_assert_true(g_file_get_contents(d->log_path, &log, NULL, NULL));
	th_assert_no_sanitizer_report(log, d->log_path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_with_log(d->log_path, "hostencd did not exit cleanly after SIGTERM (status 0x%x)",
			      status);
	remove_dir(d->dir);
	g_free(d->dir);
	g_free(d->log_path);
	g_free(d->unix_path);
	g_free(d);
}

int th_run(const char *const *args, char **out, char **err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	int status = 0;

	g_ptr_array_add(argv, (char *)th_hostencd_path());
	for (const char *const *a = args; a && *a; a++)
		g_ptr_array_add(argv, (char *)*a);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
		     &status, &error);
	g_assert_no_error(error);
	th_assert_no_sanitizer_report(*err, "hostencd's stderr");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
