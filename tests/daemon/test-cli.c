/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd's command line: --list-encoders, --help, --version, bad
 * options (exit status 2 and a message that says what to do), and the
 * listener failure modes (port in use, stale unix socket file). */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"

static bool have_render_node(void)
{
	g_autoptr(GDir) dir = g_dir_open("/dev/dri", 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir)))
		if (g_str_has_prefix(name, "renderD"))
			return true;
	return false;
}

/* One line per candidate: "<name> <hardware|software> works" or
 * "<name> <hardware|software> unavailable: <reason>". */
static const char *find_line(char **lines, const char *name)
{
	for (char **l = lines; *l; l++) {
		size_t n = strlen(name);

		if (strncmp(*l, name, n) == 0 && (*l)[n] == ' ')
			return *l;
	}
	g_error("--list-encoders has no line for %s", name);
}

static void assert_unavailable(const char *line)
{
	const char *why = strstr(line, " unavailable: ");

	g_test_message("%s", line);
	g_assert_nonnull(why);
	g_assert_cmpuint(strlen(why + strlen(" unavailable: ")), >, 3);
}

static void test_list_encoders(void)
{
	static const char *const args[] = { "--list-encoders", NULL };
	g_autofree char *out = NULL, *err = NULL;
	g_auto(GStrv) lines = NULL;
	const char *x264;

	g_assert_cmpint(th_run(args, &out, &err), ==, 0);
	lines = g_strsplit(g_strstrip(out), "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), >=, 3);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) w = g_strsplit(*l, " ", 3);

		g_assert_cmpuint(g_strv_length(w), ==, 3);
		g_assert_true(g_str_equal(w[1], "hardware") || g_str_equal(w[1], "software"));
		g_assert_true(g_str_equal(w[2], "works") ||
			      (g_str_has_prefix(w[2], "unavailable: ") && strlen(w[2]) > 16));
	}
	x264 = find_line(lines, "libx264");
	g_assert_cmpstr(x264, ==, "libx264 software works");
	/* this machine has no GPU: the hardware encoders say why not */
	if (!have_render_node())
		assert_unavailable(find_line(lines, "h264_vaapi"));
	if (!g_file_test("/dev/nvidiactl", G_FILE_TEST_EXISTS))
		assert_unavailable(find_line(lines, "h264_nvenc"));
}

/* Bad command lines: exit status 2, a message naming the problem and
 * pointing at --help. */
static void expect_usage_error(const char *const *args, const char *const *needles)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(th_run(args, &out, &err), ==, 2);
	g_test_message("%s", err);
	g_assert_nonnull(strstr(err, "--help"));
	for (const char *const *n = needles; *n; n++)
		if (!strstr(err, *n))
			g_error("message '%s' does not mention '%s'", err, *n);
	g_assert_cmpstr(out, ==, "");
}

static void test_bad_options(void)
{
	static const char *const bogus[] = { "--bogus", NULL };
	static const char *const bogus_n[] = { "--bogus", NULL };
	static const char *const size[] = { "--max-size", "10x10", NULL };
	static const char *const size_n[] = { "--max-size", "10x10", "16..8192", NULL };
	static const char *const size2[] = { "--max-size=1280", NULL };
	static const char *const size2_n[] = { "WIDTHxHEIGHT", NULL };
	static const char *const inflight[] = { "--max-inflight=0", NULL };
	static const char *const inflight_n[] = { "--max-inflight", "1 and 64", NULL };
	static const char *const idle[] = { "--idle-timeout=0", NULL };
	static const char *const idle_n[] = { "--idle-timeout", NULL };
	static const char *const payload[] = { "--max-payload=100", NULL };
	static const char *const payload_n[] = { "--max-payload", NULL };
	/* Below the encoder's minimum: refused at start (it used to say
	 * "ready", then warn on every frame and serve nothing). */
	static const char *const bitrate[] = { "--bitrate", "5000", NULL };
	static const char *const bitrate_n[] = { "--bitrate 5000", "10000", NULL };
	static const char *const owner[] = { "--scanout-owner=vm1", NULL };
	static const char *const owner_n[] = { "--scanout-owner vm1", "ID=VM", NULL };
	static const char *const vbv[] = { "--vbv-frames=601", NULL };
	static const char *const vbv_n[] = { "--vbv-frames", "0 and 600", NULL };
	static const char *const prio[] = { "--encode-priority=fast", NULL };
	static const char *const prio_n[] = { "'fast'", "high, normal or realtime", NULL };
	static const char *const stray[] = { "--no-pattern", "stray", NULL };
	static const char *const stray_n[] = { "stray", NULL };
	/* -1 once meant "not given" inside hostencd and was silently ignored */
	static const char *const gop[] = { "--gop=-1", NULL };
	static const char *const gop_n[] = { "--gop -1", "0 and 100000", NULL };
	static const char *const gop_bytes[] = { "--max-gop-bytes=-1", NULL };
	static const char *const gop_bytes_n[] = { "--max-gop-bytes -1", NULL };

	expect_usage_error(bogus, bogus_n);
	expect_usage_error(size, size_n);
	expect_usage_error(size2, size2_n);
	expect_usage_error(inflight, inflight_n);
	expect_usage_error(idle, idle_n);
	expect_usage_error(payload, payload_n);
	expect_usage_error(bitrate, bitrate_n);
	expect_usage_error(stray, stray_n);
	expect_usage_error(owner, owner_n);
	expect_usage_error(vbv, vbv_n);
	expect_usage_error(prio, prio_n);
	expect_usage_error(gop, gop_n);
	expect_usage_error(gop_bytes, gop_bytes_n);
}

/* The key file: an unknown key or group, or a value that is not a number,
 * is an error that names it; --check-config says so without starting, and
 * accepts the example configuration that `meson install` ships. */
static void test_config_file(void)
{
	g_autofree char *dir = g_dir_make_tmp("hostenc-cli-XXXXXX", NULL);
	g_autofree char *conf = g_build_filename(dir, "hostencd.conf", NULL);
	g_autofree char *opt = g_strdup_printf("--config=%s", conf);
	g_autofree char *example = g_build_filename(g_getenv("HOSTENC_SOURCE_ROOT"), "data",
						    "hostencd.conf.example", NULL);
	g_autofree char *example_opt = g_strdup_printf("--config=%s", example);
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "[hostencd]\nbitrat=1000000\n", "unknown key 'bitrat'" },
		{ "[hostencd]\nbitrate=abc\n", "bitrate: 'abc' is not a whole number" },
		{ "[hostencd]\nmax-sessions=-3\n", "max-sessions" },
		{ "[hostenc]\nbitrate=1000000\n", "unknown group [hostenc]" },
		{ "[hostencd]\nintra-refresh=maybe\n", "intra-refresh" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *args[] = { opt, "--check-config", NULL };
		const char *needles[] = { bad[i].needle, conf, NULL };

		g_assert_true(g_file_set_contents(conf, bad[i].text, -1, NULL));
		expect_usage_error(args, needles);
	}
	{
		const char *args[] = { example_opt, "--check-config", NULL };
		g_autofree char *out = NULL, *err = NULL;

		g_assert_cmpint(th_run(args, &out, &err), ==, 0);
		g_assert_nonnull(strstr(out, "valid"));
	}
	g_unlink(conf);
	g_rmdir(dir);
}

static void test_help_version(void)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const version[] = { "--version", NULL };
	static const char *const opts[] = { "--listen", "--shm", "--idle-timeout", "--max-inflight",
					    "--max-sessions", "--no-pattern", "--pattern-size",
					    "--keepalive-fps", "--list-encoders", NULL };
	g_autofree char *out = NULL, *err = NULL, *vout = NULL, *verr = NULL;

	g_assert_cmpint(th_run(help, &out, &err), ==, 0);
	for (const char *const *o = opts; *o; o++)
		if (!strstr(out, *o))
			g_error("--help does not list %s", *o);
	g_assert_cmpint(th_run(version, &vout, &verr), ==, 0);
	g_assert_true(g_str_has_prefix(vout, "hostencd "));
}

/* Start-up failures a user can fix: exit status 1 and a message saying how. */
static void expect_start_error(const char *const *args, const char *needle)
{
	g_autofree char *out = NULL, *err = NULL;

	g_assert_cmpint(th_run(args, &out, &err), ==, 1);
	g_test_message("%s", err);
	if (!strstr(err, needle))
		g_error("message '%s' does not mention '%s'", err, needle);
}

static void test_start_errors(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	g_autofree char *listen = g_strdup_printf("--listen=tcp:127.0.0.1:%u", d->port);
	const char *const in_use[] = { "--no-pattern", listen, NULL };
	static const char *const transport[] = { "--no-pattern", "--listen=udp:1.2.3.4:5", NULL };
	static const char *const shm[] = { "--no-pattern", "--shm=/nonexistent/hostenc-shm",
					   NULL };

	expect_start_error(in_use, "another hostencd");
	expect_start_error(transport, "unknown transport");
	expect_start_error(shm, "/nonexistent/hostenc-shm");
	/* the first daemon is untouched */
	{
		struct tc_conn *c = tc_connect_tcp(d->port);

		tc_ping(c, false);
		tc_close(c);
	}
	th_daemon_stop(d);
}

/* A unix socket file left behind by a dead process does not block bind
 * (Helix lesson); one with a live listener is not stolen. */
static void test_unix_socket_file(void)
{
	g_autofree char *dir = g_dir_make_tmp("hostenc-cli-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "s.sock", NULL);
	g_autofree char *listen = g_strdup_printf("--listen=unix:%s", path);
	const char *const args[] = { listen, NULL };
	const char *const again[] = { "--no-pattern", listen, NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct th_options o = { .args = args };
	struct th_daemon *d;
	struct tc_conn *c;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* a stale socket file: bound, never unlinked, nobody listening */
	memcpy(sun.sun_path, path, strlen(path));
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	close(fd);
	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

	d = th_daemon_start(&o);
	c = tc_connect_unix(path);
	tc_ping(c, false);
	expect_start_error(again, "another process is listening there");
	tc_ping(c, false);
	tc_close(c);
	c = tc_connect_unix(path);
	tc_ping(c, true);
	tc_close(c);
	th_daemon_stop(d);
	/* hostencd removes its socket file when it exits */
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/list-encoders", test_list_encoders);
	g_test_add_func("/cli/bad-options", test_bad_options);
	g_test_add_func("/cli/help-version", test_help_version);
	g_test_add_func("/cli/config-file", test_config_file);
	g_test_add_func("/cli/start-errors", test_start_errors);
	g_test_add_func("/cli/unix-socket-file", test_unix_socket_file);
	return g_test_run();
}
