/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd's web port against hostile pages and greedy clients
 * (docs/web.md, "Limits"): Host names (DNS rebinding), links out of the
 * static root, connections beyond the cap, idle and slow connections, and
 * the open files limit. Raw sockets (web-client.h). */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "web-client.h"

static struct th_daemon *start(const char *const *more)
{
	return th_web_daemon_start("320x240", more);
}

/* ---- item 3: the Host header -------------------------------------------- */

static int get_host(struct th_daemon *d, const char *host, const char *path)
{
	return wc_get(d->http_port, host, path, NULL, NULL);
}

static void test_host(void)
{
	static const char *const more[] = { "--allow-host=good.example", NULL };
	static const char *const paths[] = { "/", "/player.js", "/stats", "/metrics", "/sources" };
	static const char *const good[] = {
		"localhost", "LocalHost", "localhost.", "127.0.0.1", "[::1]", "10.20.30.40",
		"192.168.1.7", "[fe80::1]", "good.example", "Good.Example.",
	};
	static const char *const bad[] = {
		"evil.example", "localhost.evil.example", "127.0.0.1.evil.example",
		"good.example.evil", "example",
	};
	static const char *const malformed[] = { "[evil", "", "a b" };
	struct th_daemon *d = start(more);
	g_autofree char *cfg_path = NULL, *cfg_arg = NULL;
	struct wc_ws *ws;

	for (size_t p = 0; p < G_N_ELEMENTS(paths); p++) {
		for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
			g_autofree char *with_port = g_strdup_printf("%s:%u", good[i],
								     d->http_port);

			g_test_message("Host %s %s", good[i], paths[p]);
			g_assert_cmpint(get_host(d, good[i], paths[p]), ==, 200);
			g_assert_cmpint(get_host(d, with_port, paths[p]), ==, 200);
		}
		for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
			g_autofree char *with_port = g_strdup_printf("%s:%u", bad[i], d->http_port);

			g_test_message("Host '%s' %s", bad[i], paths[p]);
			g_assert_cmpint(get_host(d, bad[i], paths[p]), ==, 421);
			g_assert_cmpint(get_host(d, with_port, paths[p]), ==, 421);
		}
	}
	for (size_t i = 0; i < G_N_ELEMENTS(malformed); i++) {
		int status = get_host(d, malformed[i], "/");

		g_test_message("Host '%s': %d", malformed[i], status);
		g_assert_true(status == 400 || status == 421);
	}
	/* WebSocket upgrades too: refused before the handshake */
	ws = wc_ws_open(d->http_port, "evil.example", "/ws/stream?source=0", NULL);
	g_assert_cmpint(ws->status, ==, 421);
	wc_ws_free(ws);
	ws = wc_ws_open(d->http_port, "good.example", "/ws/stream?source=0", NULL);
	g_assert_cmpint(ws->status, ==, 101);
	wc_ws_free(ws);
	th_daemon_stop(d);

	/* the key file's allow-host, a list */
	cfg_path = g_build_filename(g_get_tmp_dir(), "hostenc-test-allow-host.conf", NULL);
	g_assert_true(g_file_set_contents(
		cfg_path, "[hostencd]\nallow-host=cfg.example;two.example\n", -1, NULL));
	cfg_arg = g_strdup_printf("--config=%s", cfg_path);
	{
		const char *const from_file[] = { cfg_arg, NULL };

		d = start(from_file);
	}
	g_assert_cmpint(get_host(d, "cfg.example", "/"), ==, 200);
	g_assert_cmpint(get_host(d, "two.example:80", "/stats"), ==, 200);
	g_assert_cmpint(get_host(d, "good.example", "/"), ==, 421);
	th_daemon_stop(d);
	g_unlink(cfg_path);
}

/* ---- item 4: the static root -------------------------------------------- */

static void test_symlinks(void)
{
	g_autofree char *top = g_dir_make_tmp("hostenc-webroot-XXXXXX", NULL);
	g_autofree char *root = g_build_filename(top, "root", NULL);
	g_autofree char *outside = g_build_filename(top, "outside", NULL);
	g_autofree char *secret = g_build_filename(outside, "secret.txt", NULL);
	g_autofree char *link_root = g_build_filename(top, "root-link", NULL);
	g_autofree char *body = NULL, *p = NULL, *abs_index = NULL;
	struct th_daemon *d;
	int64_t t0;

	g_assert_nonnull(top);
	g_assert_cmpint(g_mkdir(root, 0755), ==, 0);
	g_assert_cmpint(g_mkdir(outside, 0755), ==, 0);
	p = g_build_filename(root, "sub", NULL);
	g_assert_cmpint(g_mkdir(p, 0755), ==, 0);
	g_clear_pointer(&p, g_free);
	p = g_build_filename(root, "index.html", NULL);
	g_assert_true(g_file_set_contents(p, "<html>the page</html>", -1, NULL));
	abs_index = g_steal_pointer(&p);
	g_assert_true(g_file_set_contents(secret, "TOP-SECRET", -1, NULL));
#define LINK(target, name)                                                          \
	do {                                                                        \
		g_autofree char *at = g_build_filename(root, name, NULL);         \
		g_assert_cmpint(symlink(target, at), ==, 0);                        \
	} while (0)
	LINK(secret, "escape.txt");             /* absolute, out of the root */
	LINK("../outside/secret.txt", "rel-escape.txt");
	LINK(outside, "escdir");                /* a directory out of the root */
	LINK("/etc/passwd", "passwd.txt");
	LINK("index.html", "alias.html");       /* inside: served */
	LINK(abs_index, "abs-alias.html");
	LINK("sub", "subdir");
#undef LINK
	p = g_build_filename(root, "fifo.html", NULL);
	g_assert_cmpint(mkfifo(p, 0644), ==, 0);
	g_clear_pointer(&p, g_free);
	/* the root itself may be reached through a link */
	g_assert_cmpint(symlink(root, link_root), ==, 0);

	g_setenv("HOSTENC_WEB_ROOT", link_root, TRUE);
	d = start(NULL);
	g_unsetenv("HOSTENC_WEB_ROOT");

	/* "/?source=" is the player, index.html ("/" alone is the list) */
	g_assert_cmpint(wc_get(d->http_port, NULL, "/?source=0", NULL, &body), ==, 200);
	g_assert_cmpstr(body, ==, "<html>the page</html>");
	g_clear_pointer(&body, g_free);
	g_assert_cmpint(wc_get(d->http_port, NULL, "/alias.html", NULL, &body), ==, 200);
	g_assert_cmpstr(body, ==, "<html>the page</html>");
	g_clear_pointer(&body, g_free);
	g_assert_cmpint(wc_get(d->http_port, NULL, "/abs-alias.html", NULL, NULL), ==, 200);
	static const char *const refused[] = {
		"/escape.txt", "/rel-escape.txt", "/escdir/secret.txt", "/passwd.txt", "/sub",
		"/subdir", "/escdir", "/fifo.html", "/missing.html",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
		t0 = g_get_monotonic_time();
		g_test_message("GET %s", refused[i]);
		g_assert_cmpint(wc_get(d->http_port, NULL, refused[i], NULL, &body), ==, 404);
		g_assert_null(strstr(body, "TOP-SECRET"));
		g_assert_null(strstr(body, "root:"));
		g_clear_pointer(&body, g_free);
		g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
	}
	/* dot segments: libsoup removes them, or hostencd refuses the path */
	for (int i = 0; i < 2; i++) {
		int status = wc_get(d->http_port, NULL, i ? "/sub/../../outside/secret.txt"
							  : "/../outside/secret.txt", NULL, &body);

		g_assert_true(status == 400 || status == 404);
		g_assert_null(strstr(body, "TOP-SECRET"));
		g_clear_pointer(&body, g_free);
	}
	g_assert_cmpint(wc_get(d->http_port, NULL, "/stats", NULL, NULL), ==, 200);
	th_daemon_stop(d);

	p = g_build_filename(root, "fifo.html", NULL);
	g_unlink(p);
	g_clear_pointer(&p, g_free);
	{
		static const char *const names[] = { "escape.txt", "rel-escape.txt", "escdir",
						     "passwd.txt", "alias.html", "abs-alias.html",
						     "subdir", "index.html" };

		for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
			g_autofree char *at = g_build_filename(root, names[i], NULL);

			g_unlink(at);
		}
	}
	p = g_build_filename(root, "sub", NULL);
	g_rmdir(p);
	g_unlink(secret);
	g_unlink(link_root);
	g_rmdir(outside);
	g_rmdir(root);
	g_rmdir(top);
}

/* ---- item 7: the connection cap, idle connections, RLIMIT_NOFILE -------- */

static uint64_t metric(struct th_daemon *d, const char *name)
{
	return wc_metric(d->http_port, name);
}

static void test_cap_and_idle(void)
{
	static const char *const more[] = { "--max-web-connections=8", "--web-idle-timeout=2",
					    NULL };
	struct th_daemon *d = start(more);
	int fds[8], extra, slow, ms;
	int64_t opened;
	struct wc_ws *ws;
	g_autoptr(GByteArray) payload = g_byte_array_new();

	opened = g_get_monotonic_time();
	for (int i = 0; i < 8; i++)
		fds[i] = wc_connect(d->http_port);
	g_usleep(300000);
	/* the ninth is closed on arrival */
	extra = wc_connect(d->http_port);
	ms = wc_wait_closed(extra, 2000);
	g_test_message("the connection over the cap was closed after %d ms", ms);
	g_assert_cmpint(ms, >=, 0);
	g_assert_cmpint(ms, <, 1000);
	close(extra);
	for (int i = 0; i < 8; i++)
		g_assert_cmpint(wc_wait_closed(fds[i], 0), ==, -1);

	/* the idle ones go after the timeout, not before */
	for (int i = 0; i < 8; i++) {
		ms = wc_wait_closed(fds[i], 5000);
		g_assert_cmpint(ms, >=, 0);
		g_assert_cmpint(g_get_monotonic_time() - opened, >=, 1900 * 1000);
		close(fds[i]);
	}
	g_test_message("8 idle connections closed %d ms after they opened",
		       (int)((g_get_monotonic_time() - opened) / 1000));

	/* a request that trickles in (slowloris) goes the same way */
	slow = wc_connect(d->http_port);
	opened = g_get_monotonic_time();
	ms = -1;
	for (int i = 0; i < 40 && ms < 0; i++) {
		const char *part = i ? "X" : "GET / HTTP/1.1\r\nX-Slow: ";

		if (send(slow, part, strlen(part), MSG_NOSIGNAL) < 0)
			break;
		ms = wc_wait_closed(slow, 300);
	}
	g_test_message("a trickling request was closed after %d ms",
		       (int)((g_get_monotonic_time() - opened) / 1000));
	g_assert_cmpint(g_get_monotonic_time() - opened, <, 5 * G_USEC_PER_SEC);
	g_assert_cmpint(wc_wait_closed(slow, 1000), >=, 0);
	close(slow);

	/* a viewer that streams is never idle */
	ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=0", NULL);
	g_assert_cmpint(ws->status, ==, 101);
	g_assert_true(wc_ws_send_text(ws, "{\"type\":\"init\",\"codecs\":[]}"));
	for (int64_t end = g_get_monotonic_time() + 4 * G_USEC_PER_SEC;
	     g_get_monotonic_time() < end;) {
		int op = wc_ws_recv(ws, 500, payload);

		g_assert_cmpint(op, !=, -2);
		g_assert_cmpint(op, !=, 8);
	}
	wc_ws_free(ws);

	g_assert_cmpuint(metric(d, "hostenc_web_connections_refused_total"), >=, 1);
	g_assert_cmpuint(metric(d, "hostenc_web_connections_timed_out_total"), >=, 9);
	th_daemon_stop(d);
}

/* One request per connection: the answer says so and the daemon closes
 * its end, so a client that leaves after its answer leaves nothing behind
 * (libsoup 3.2 kept such kept-alive connections in CLOSE-WAIT for good). */
static void test_closed_after_answer(void)
{
	struct th_daemon *d = start(NULL);
	unsigned before = wc_fd_count(d->pid), after = 0, said_close = 0;

	for (int i = 0; i < 50; i++) {
		int fd = wc_connect(d->http_port);
		g_autofree char *headers = NULL;

		g_assert_cmpint(wc_get_on(fd, d->http_port, NULL, i % 2 ? "/stats" : "/", NULL,
					  &headers, NULL), ==, 200);
		said_close += strstr(headers, "\r\nConnection: close") != NULL;
		close(fd);
	}
	for (int i = 0; i < 40 && (after = wc_fd_count(d->pid)) > before + 2; i++)
		g_usleep(50000);
	g_test_message("hostencd's descriptors: %u before 50 requests, %u after", before, after);
	g_assert_cmpuint(after, <=, before + 2);
	g_assert_cmpuint(said_close, ==, 50);
	th_daemon_stop(d);
}

static void limits_of(int pid, unsigned long *soft, unsigned long *hard)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/limits", pid);
	g_autofree char *text = NULL;
	const char *p;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	p = strstr(text, "Max open files");
	g_assert_nonnull(p);
	g_assert_cmpint(sscanf(p + strlen("Max open files"), "%lu %lu", soft, hard), ==, 2);
}

/* ~300 connections at once: the cap closes what is over it, the daemon
 * has the descriptors for the rest (its soft limit raised to the hard
 * one, here from a soft limit lower than the cap), and serves again once
 * they are gone. */
static void test_many(void)
{
	enum { N = 300 };
	struct rlimit mine, low;
	struct th_daemon *d;
	unsigned long soft, hard;
	int fds[N], closed = 0, retries;
	guint64 refused;

	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &mine), ==, 0);
	if (mine.rlim_max < 2 * N) {
		g_test_skip("the hard limit of open files is too low here");
		return;
	}
	low = mine;
	low.rlim_cur = 200;
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
	d = start(NULL);
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &mine), ==, 0);
	limits_of(d->pid, &soft, &hard);
	g_test_message("hostencd's open files limit: soft %lu, hard %lu (started with soft 200)",
		       soft, hard);
	g_assert_cmpuint(soft, ==, hard);

	for (int i = 0; i < N; i++)
		fds[i] = wc_connect(d->http_port);
	g_usleep(500000);
	for (int i = 0; i < N; i++)
		closed += wc_wait_closed(fds[i], i < 256 ? 0 : 1000) >= 0;
	g_test_message("%d connections at once: %d closed on arrival", N, closed);
	/* the cap counts every open connection: one the daemon has not yet
	 * seen go (a busy machine) can turn one more away */
	g_assert_cmpint(closed, >=, N - 256);
	g_assert_cmpint(closed, <=, N - 256 + 4);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	/* served again once the daemon has seen them go */
	for (retries = 0; retries < 50 && wc_get(d->http_port, NULL, "/stats", NULL, NULL) != 200;
	     retries++)
		g_usleep(100000);
	g_assert_cmpint(wc_get(d->http_port, NULL, "/stats", NULL, NULL), ==, 200);
	/* each retry above may itself have been turned away (and counted) */
	refused = metric(d, "hostenc_web_connections_refused_total");
	g_assert_cmpuint(refused, >=, (guint64)closed);
	g_assert_cmpuint(refused, <=, (guint64)(closed + retries));
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/web/http/host", test_host);
	g_test_add_func("/web/http/symlinks", test_symlinks);
	g_test_add_func("/web/http/closed-after-answer", test_closed_after_answer);
	g_test_add_func("/web/http/cap-and-idle", test_cap_and_idle);
	g_test_add_func("/web/http/many", test_many);
	return g_test_run();
}
