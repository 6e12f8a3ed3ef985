/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may talk to hostencd: its unix sockets get --socket-mode (0660 by
 * default) whatever the umask, and with --token only a local process of
 * hostencd's own user (or root) on a unix socket may SUBSCRIBE; guests on
 * TCP are told to use the web page. The parts that need another user run
 * when the test runs as root. */
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"

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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/access/socket-mode", test_socket_mode);
	g_test_add_func("/access/subscribe-token", test_subscribe_token);
	return g_test_run();
}
