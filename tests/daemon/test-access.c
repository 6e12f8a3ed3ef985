/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may talk to hostencd: its unix sockets get --socket-mode (0660 by
 * default) whatever the umask, and with --token only a local process of
 * hostencd's own user (or root) on a unix socket may SUBSCRIBE; guests on
 * TCP are told to use the web page. The parts that need another user run
 * when the test runs as root. The web port is never open by default: without
 * --token hostencd makes a random one; --no-token is for loopback only. */
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "web-client.h"
#include <glib/gstdio.h>

#define NOBODY 65534

static struct th_daemon *start_unix(const char *const *args, bool pattern)
{
	struct th_options o = { .unix_socket = true, .pattern = pattern, .args = args };
	mode_t old = umask(0); /* the daemon inherits it: the mode must not depend on it */
	struct th_daemon *d = th_daemon_start(&o);

	umask(old);
	/* let other users reach the socket file; its own mode decides */
	g_assert_cmpint(chmod(d->dir, 0755), ==, 0);
	return d;
}

static mode_t socket_mode(const char *path)
{
	struct stat st;

	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	return st.st_mode & 07777;
}

/* connect() to @p path as user NOBODY, in a child: 0 or -errno. */
static int connect_as_nobody(const char *path, bool (*then)(int fd))
{
	pid_t pid = fork();
	int status;

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(100);
		memcpy(sun.sun_path, path, strlen(path));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			_exit(errno < 100 ? errno : 99);
		_exit(then && !then(fd) ? 101 : 0);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), !=, 100);
	g_assert_cmpint(WEXITSTATUS(status), !=, 101);
	return -WEXITSTATUS(status);
}

static void test_socket_mode(void)
{
	static const char *const mode_args[] = { "--socket-mode=0600", NULL };
	struct th_daemon *d = start_unix(NULL, false);
	struct tc_conn *c;

	g_test_message("default mode: %04o", socket_mode(d->unix_path));
	g_assert_cmpuint(socket_mode(d->unix_path), ==, 0660);
	c = tc_connect_unix(d->unix_path);
	tc_ping(c, false);
	tc_close(c);
	if (getuid() == 0)
		g_assert_cmpint(connect_as_nobody(d->unix_path, NULL), ==, -EACCES);
	else
		g_test_message("not root: connecting as another user not tried");
	th_daemon_stop(d);

	d = start_unix(mode_args, false);
	g_assert_cmpuint(socket_mode(d->unix_path), ==, 0600);
	th_daemon_stop(d);
}

/* The reply to a SUBSCRIBE: 1 subscribed, 0 refused with SUBSCRIBE_RESP,
 * -1 refused with an ERROR (whose message goes to @p why). */
static int subscribe(struct tc_conn *c, uint32_t id, char *why, size_t n)
{
	struct tc_msg msg;
	int res;

	tc_send_u32(c, HXFR_SUBSCRIBE, 0, id);
	g_assert_cmpint(tc_recv(c, TH_TIMEOUT_MS, &msg), ==, 1);
	if (msg.m.hdr.type == HXFR_ERROR) {
		struct hxfr_error e;

		g_assert_cmpint(hxfr_decode_error(&msg.m, &e, NULL), ==, 0);
		g_assert_cmpuint(e.offending_type, ==, HXFR_SUBSCRIBE);
		g_assert_cmpint(e.code, ==, HXFR_ERR_UNSUPPORTED);
		g_strlcpy(why, e.message, n);
		res = -1;
	} else {
		struct hxfr_subscribe_resp r;

		g_assert_cmpuint(msg.m.hdr.type, ==, HXFR_SUBSCRIBE_RESP);
		g_assert_cmpint(hxfr_decode_subscribe_resp(&msg.m, &r, NULL), ==, 0);
		res = (int)r.success;
	}
	tc_msg_clear(&msg);
	return res;
}

/* In the child, as NOBODY: SUBSCRIBE is refused with an ERROR. */
static bool nobody_refused(int fd)
{
	uint8_t buf[HXFR_HEADER_SIZE + 4];
	uint8_t in[HXFR_HEADER_SIZE + HXFR_ERROR_SIZE];
	size_t got = 0;

	if (hxfr_build_u32(buf, sizeof(buf), HXFR_SUBSCRIBE, 0, 0) != sizeof(buf) ||
	    write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return false;
	while (got < HXFR_HEADER_SIZE) {
		ssize_t r = read(fd, in + got, sizeof(in) - got);

		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return in[4] == HXFR_ERROR;
}

static void test_subscribe_token(void)
{
	static const char *const args[] = { "--token=secret", "--socket-mode=0666",
					     "--pattern-size=320x240", NULL };
	struct th_daemon *d = start_unix(args, true);
	struct tc_conn *tcp = tc_connect_tcp(d->port);
	struct tc_conn *local = tc_connect_unix(d->unix_path);
	struct tc_msg msg;
	char why[256] = "";

	g_assert_cmpint(subscribe(tcp, 0, why, sizeof(why)), ==, -1);
	g_test_message("SUBSCRIBE over TCP: %s", why);
	g_assert_nonnull(strstr(why, "web page"));
	tc_ping(tcp, false); /* the connection stays */
	g_assert_cmpint(subscribe(local, 0, why, sizeof(why)), ==, 1);
	tc_expect(local, HXFR_FRAME_RESPONSE, &msg);
	tc_msg_clear(&msg);
	if (getuid() == 0)
		g_assert_cmpint(connect_as_nobody(d->unix_path, nobody_refused), ==, 0);
	else
		g_test_message("not root: a local process of another user not tried");
	tc_close(tcp);
	tc_close(local);
	th_daemon_stop(d);
}

/* The token of the "ready: open URL?token=T" line in the daemon's log. */
static char *ready_token(struct th_daemon *d)
{
	g_autofree char *log = NULL;
	const char *at;

	g_assert_true(g_file_get_contents(d->log_path, &log, NULL, NULL));
	at = strstr(log, "ready: open http://");
	g_assert_nonnull(at);
	at = strstr(at, "?token=");
	g_assert_nonnull(at);
	at += strlen("?token=");
	return g_strndup(at, strspn(at, "0123456789abcdef"));
}

static void test_no_token_refused(void)
{
	static const char *const open_port[] = { "--no-vms", "--http=0.0.0.0:0", "--no-token",
						  NULL };
	static const char *const both[] = { "--no-vms", "--http=127.0.0.1:0", "--no-token",
					    "--token=x", NULL };
	g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

	/* an open web port on a public address is refused, saying what to do */
	g_assert_cmpint(th_run(open_port, &out, &err), ==, 2);
	g_test_message("%s", err);
	g_assert_nonnull(strstr(err, "--http 0.0.0.0:0 with --no-token"));
	g_assert_nonnull(strstr(err, "--token TOKEN"));
	g_assert_cmpint(th_run(both, &out2, &err2), ==, 2);
	g_assert_nonnull(strstr(err2, "give one of them"));
}

/* Neither --token nor --no-token: a random token, in the ready URL and in
 * hostencd.url (mode 0600) for hostenc-vm; the web port refuses requests
 * without it. */
static void test_random_token(void)
{
	static const char *const args[] = { "--http=127.0.0.1:0", NULL };
	g_autofree char *vms = g_dir_make_tmp("hostenc-vms-XXXXXX", NULL);
	g_autofree char *vm_dir = g_build_filename(vms, "vms", NULL);
	g_autofree char *url_file = g_build_filename(vms, "hostencd.url", NULL);
	struct th_options o = { .pattern = true, .args = args, .vm_dir = vm_dir,
				.default_token = true };
	g_autofree char *t1 = NULL, *t2 = NULL, *path = NULL, *url = NULL;
	struct th_daemon *d;
	struct stat st;

	g_assert_cmpint(g_mkdir(vm_dir, 0700), ==, 0);
	d = th_daemon_start(&o);
	t1 = ready_token(d);
	g_test_message("token %s", t1);
	g_assert_cmpuint(strlen(t1), ==, 32);
	g_assert_cmpint(wc_get(d->http_port, NULL, "/sources", NULL, NULL), ==, 401);
	path = g_strdup_printf("/sources?token=%s", t1);
	g_assert_cmpint(wc_get(d->http_port, NULL, path, NULL, NULL), ==, 200);
	/* the URL hostenc-vm prints comes with the token, readable by us only */
	g_assert_true(g_file_get_contents(url_file, &url, NULL, NULL));
	g_assert_nonnull(strstr(url, t1));
	g_assert_cmpint(stat(url_file, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	/* HXFR SUBSCRIBE is not bound to the random web token: a local tool
	 * still subscribes over loopback TCP */
	{
		struct tc_conn *c = tc_connect_tcp(d->port);
		char why[256] = "";

		g_assert_cmpint(subscribe(c, 0, why, sizeof(why)), ==, 1);
		tc_close(c);
	}
	th_daemon_stop(d);
	/* a new one each start */
	d = th_daemon_start(&o);
	t2 = ready_token(d);
	g_assert_cmpstr(t1, !=, t2);
	th_daemon_stop(d);
	g_remove(url_file);
	g_rmdir(vm_dir);
	g_rmdir(vms);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/access/socket-mode", test_socket_mode);
	g_test_add_func("/access/subscribe-token", test_subscribe_token);
	g_test_add_func("/access/no-token-refused", test_no_token_refused);
	g_test_add_func("/access/random-token", test_random_token);
	return g_test_run();
}
