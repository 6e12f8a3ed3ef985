/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd's web port over HTTPS (--tls-cert, --tls-key; docs/web.md,
 * "HTTPS"): a self-signed certificate made with openssl, a libsoup client
 * that trusts exactly that certificate, plain HTTP refused on the same port,
 * the WebSocket over wss://, the "ready" URL (https, with the token), and
 * the option errors. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "harness.h"

#define TOKEN "s3cret"

static char *cert_dir;  /* holds cert.pem and key.pem, or NULL: no openssl */
static char *cert_path;
static char *key_path;

/* A certificate for 127.0.0.1 and localhost, valid for a day. */
static void make_certificate(void)
{
	g_autofree char *openssl = g_find_program_in_path("openssl");
	g_autoptr(GError) err = NULL;
	g_autofree char *out = NULL, *errout = NULL;
	int status = 0;

	if (!openssl)
		return;
	cert_dir = g_dir_make_tmp("hostenc-tls-XXXXXX", &err);
	g_assert_no_error(err);
	cert_path = g_build_filename(cert_dir, "cert.pem", NULL);
	key_path = g_build_filename(cert_dir, "key.pem", NULL);
	{
		const char *argv[] = {
			openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
			"-keyout", key_path, "-out", cert_path, "-days", "1",
			"-subj", "/CN=localhost",
			"-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", NULL,
		};

		g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
			     &errout, &status, &err);
	}
	g_assert_no_error(err);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("openssl req failed: %s", errout);
}

static void remove_certificate(void)
{
	if (!cert_dir)
		return;
	g_unlink(cert_path);
	g_unlink(key_path);
	g_rmdir(cert_dir);
}

static bool need_openssl(void)
{
	if (cert_dir)
		return true;
	g_test_skip("openssl is not installed (scripts/setup installs it): cannot make a "
		    "test certificate");
	return false;
}

static struct th_daemon *start_tls(void)
{
	g_autofree char *cert = g_strdup_printf("--tls-cert=%s", cert_path);
	g_autofree char *key = g_strdup_printf("--tls-key=%s", key_path);
	const char *args[] = {
		"--http=127.0.0.1:0", cert, key, "--token=" TOKEN,
		"--pattern-size=320x240", "--pattern-fps=10", NULL,
	};
	struct th_options o = { .pattern = true, .args = args };
	struct th_daemon *d = th_daemon_start(&o);

	g_assert_cmpuint(d->http_port, >, 0);
	return d;
}

/* A client that trusts the test certificate and nothing else. */
static SoupSession *trusting_session(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GTlsDatabase) db = g_tls_file_database_new(cert_path, &err);

	g_assert_no_error(err);
	return soup_session_new_with_options("tls-database", db, "timeout", 10, NULL);
}

/* GET @p url: the status (0 when no answer came) and the body in *body. */
static guint get(SoupSession *s, const char *url, char **body)
{
	g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) bytes = soup_session_send_and_read(s, msg, NULL, &err);

	if (body)
		*body = bytes ? g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes))
			      : NULL;
	if (!bytes) {
		g_test_message("GET %s: %s", url, err->message);
		return 0;
	}
	return soup_message_get_status(msg);
}

static void test_ready_line(void)
{
	struct th_daemon *d;
	g_autofree char *log = NULL, *want = NULL;

	if (!need_openssl())
		return;
	d = start_tls();
	g_assert_true(g_file_get_contents(d->log_path, &log, NULL, NULL));
	want = g_strdup_printf("ready: open https://127.0.0.1:%u/?token=" TOKEN "\n",
			       d->http_port);
	g_assert_nonnull(strstr(log, want));
	g_assert_nonnull(strstr(log, "web: player and stats on https://"));
	th_daemon_stop(d);
}

static void test_https_get(void)
{
	struct th_daemon *d;
	g_autoptr(SoupSession) trusting = NULL, plain = NULL;
	g_autofree char *url = NULL, *body = NULL, *http_url = NULL;

	if (!need_openssl())
		return;
	d = start_tls();
	trusting = trusting_session();
	url = g_strdup_printf("https://127.0.0.1:%u/sources?token=" TOKEN, d->http_port);
	g_assert_cmpuint(get(trusting, url, &body), ==, SOUP_STATUS_OK);
	g_assert_nonnull(strstr(body, "\"pattern\""));
	g_clear_pointer(&body, g_free);

	/* The token still counts over TLS. */
	g_clear_pointer(&url, g_free);
	url = g_strdup_printf("https://127.0.0.1:%u/sources", d->http_port);
	g_assert_cmpuint(get(trusting, url, NULL), ==, SOUP_STATUS_UNAUTHORIZED);

	/* The certificate served is the one given: a client trusting only the
	 * system's authorities refuses it. */
	plain = soup_session_new_with_options("timeout", 10, NULL);
	g_assert_cmpuint(get(plain, url, NULL), ==, 0);

	/* Plain HTTP on the TLS port gets no answer. */
	http_url = g_strdup_printf("http://127.0.0.1:%u/sources?token=" TOKEN, d->http_port);
	g_assert_cmpuint(get(plain, http_url, NULL), !=, SOUP_STATUS_OK);

	g_assert_true(th_daemon_alive(d));
	th_daemon_stop(d);
}

struct ws_wait {
	SoupWebsocketConnection *conn;
	GError *err;
	char *init;
	bool done;
};

static void on_ws_message(SoupWebsocketConnection *c, gint type, GBytes *data, gpointer p)
{
	struct ws_wait *w = p;
	gsize n;
	const char *text = g_bytes_get_data(data, &n);

	if (type == SOUP_WEBSOCKET_DATA_TEXT && !w->init &&
	    g_strstr_len(text, (gssize)n, "\"type\":\"init\",\"source\""))
		w->init = g_strndup(text, n);
}

static void on_ws_connected(GObject *src, GAsyncResult *res, gpointer p)
{
	struct ws_wait *w = p;

	w->conn = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &w->err);
	if (w->conn)
		g_signal_connect(w->conn, "message", G_CALLBACK(on_ws_message), w);
	w->done = true;
}

static void iterate_until(const bool *flag, char *const *str)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)TH_TIMEOUT_MS * 1000;

	while (!(flag && *flag) && !(str && *str) && g_get_monotonic_time() < deadline)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
}

static void test_wss(void)
{
	struct th_daemon *d;
	g_autoptr(SoupSession) s = NULL;
	g_autoptr(SoupMessage) msg = NULL;
	g_autofree char *url = NULL, *origin = NULL;
	struct ws_wait w = { 0 };

	if (!need_openssl())
		return;
	d = start_tls();
	s = trusting_session();
	url = g_strdup_printf("wss://127.0.0.1:%u/ws/stream?source=0&token=" TOKEN,
			      d->http_port);
	origin = g_strdup_printf("https://127.0.0.1:%u", d->http_port);
	msg = soup_message_new("GET", url);
	/* As the page sends it: its own https origin is this server's. */
	soup_session_websocket_connect_async(s, msg, origin, NULL, G_PRIORITY_DEFAULT, NULL,
					     on_ws_connected, &w);
	iterate_until(&w.done, NULL);
	g_assert_true(w.done);
	g_assert_no_error(w.err);
	/* The page speaks first (docs/web.md); the server's init answers. */
	soup_websocket_connection_send_text(w.conn, "{\"type\":\"init\",\"codecs\":"
					    "[\"avc1.42c01f\"],\"width\":320,\"height\":240}");
	iterate_until(NULL, &w.init);
	g_assert_nonnull(w.init);
	g_assert_nonnull(strstr(w.init, "\"name\":\"pattern\""));
	soup_websocket_connection_close(w.conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	g_object_unref(w.conn);
	g_free(w.init);
	th_daemon_stop(d);
}

static void test_half_given(void)
{
	g_autofree char *cert = NULL, *key = NULL;
	g_autofree char *out = NULL, *err = NULL;

	if (!need_openssl())
		return;
	cert = g_strdup_printf("--tls-cert=%s", cert_path);
	key = g_strdup_printf("--tls-key=%s", key_path);
	{
		const char *args[] = { "--no-vms", "--http=127.0.0.1:0", cert, NULL };

		g_assert_cmpint(th_run(args, &out, &err), ==, 2);
		g_assert_nonnull(strstr(err, "without --tls-key"));
	}
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	{
		const char *args[] = { "--no-vms", "--http=127.0.0.1:0", key, NULL };

		g_assert_cmpint(th_run(args, &out, &err), ==, 2);
		g_assert_nonnull(strstr(err, "without --tls-cert"));
	}
}

/* The key file's tls-cert and tls-key: known keys, the same rule. */
static void test_config_keys(void)
{
	g_autofree char *conf = NULL, *text = NULL, *opt = NULL;
	g_autofree char *out = NULL, *err = NULL;
	g_autoptr(GError) e = NULL;

	if (!need_openssl())
		return;
	conf = g_build_filename(cert_dir, "hostencd.conf", NULL);
	opt = g_strdup_printf("--config=%s", conf);
	text = g_strdup_printf("[hostencd]\ntls-cert=%s\ntls-key=%s\n", cert_path, key_path);
	g_assert_true(g_file_set_contents(conf, text, -1, &e));
	{
		const char *args[] = { opt, "--check-config", NULL };

		g_assert_cmpint(th_run(args, &out, &err), ==, 0);
	}
	g_clear_pointer(&text, g_free);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	text = g_strdup_printf("[hostencd]\ntls-cert=%s\n", cert_path);
	g_assert_true(g_file_set_contents(conf, text, -1, &e));
	{
		const char *args[] = { opt, "--check-config", NULL };

		g_assert_cmpint(th_run(args, &out, &err), ==, 2);
		g_assert_nonnull(strstr(err, "--tls-key"));
	}
	g_unlink(conf);
}

/* A file that is not a certificate: a clear error at start, naming it. */
static void test_bad_certificate(void)
{
	g_autofree char *cert = NULL, *key = NULL;
	g_autofree char *out = NULL, *err = NULL;

	if (!need_openssl())
		return;
	cert = g_strdup_printf("--tls-cert=%s", key_path); /* a key, not a certificate */
	key = g_strdup_printf("--tls-key=%s", key_path);
	{
		const char *args[] = {
			"--no-vms", "--no-pattern", "--listen=tcp:127.0.0.1:0",
			"--http=127.0.0.1:0", cert, key, NULL,
		};

		g_assert_cmpint(th_run(args, &out, &err), !=, 0);
	}
	g_assert_nonnull(strstr(err, key_path));
	g_assert_nonnull(strstr(err, "--tls-cert"));
	g_assert_null(strstr(err, "ready: open"));
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	make_certificate();
	g_test_add_func("/web-tls/ready-line", test_ready_line);
	g_test_add_func("/web-tls/https-get", test_https_get);
	g_test_add_func("/web-tls/wss", test_wss);
	g_test_add_func("/web-tls/half-given", test_half_given);
	g_test_add_func("/web-tls/config-keys", test_config_keys);
	g_test_add_func("/web-tls/bad-certificate", test_bad_certificate);
	rc = g_test_run();
	remove_certificate();
	return rc;
}
