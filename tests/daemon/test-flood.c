/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd against floods: peers that send PINGs as fast as they can and
 * never read (one of them subscribed to a source) cost bounded memory, are
 * closed after a sustained flood, and do not starve a bystander's stream;
 * a host out of file descriptors does not spin on its listening socket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

#define PATTERN_FPS 30

/* ---- the hostencd process ------------------------------------------------ */

/* VmRSS of @p pid in KiB. */
static uint64_t rss_kib(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	const char *line;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	line = strstr(text, "VmRSS:");
	g_assert_nonnull(line);
	return g_ascii_strtoull(line + strlen("VmRSS:"), NULL, 10);
}

/* CPU time (user + system) of @p pid, in seconds. */
static double cpu_s(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	unsigned long long utime = 0, stime = 0;
	const char *p;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	p = strrchr(text, ')'); /* the command name may hold spaces */
	g_assert_nonnull(p);
	/* fields 3..13 skipped, then 14 utime and 15 stime */
	g_assert_cmpint(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			       &utime, &stime), ==, 2);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static unsigned count_fds(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	unsigned n = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir))
		n++;
	return n;
}

static unsigned count_in_log(const struct th_daemon *d, const char *what)
{
	g_autofree char *log = NULL;
	unsigned n = 0;

	g_assert_true(g_file_get_contents(d->log_path, &log, NULL, NULL));
	for (const char *p = log; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* ---- peers ------------------------------------------------------------------ */


/* Sends PINGs as fast as the socket takes them and never reads. */
struct flooder {
	GThread *thread;
	struct tc_conn *c;
	gint stop;
	gint done;        /* the host closed the connection */
	uint64_t pings;
	int64_t ended_us;
};

static gpointer flooder_main(gpointer data)
{
	struct flooder *f = data;
	struct hxfr_ping p = { .has_time = true, .time_ns = 1 };
	uint8_t one[HXFR_HEADER_SIZE + HXFR_PING_TS_SIZE];
	size_t n = (size_t)hxfr_build_ping(one, sizeof(one), HXFR_PING, 0, &p);
	g_autofree uint8_t *buf = g_malloc(n * 4096);

	for (size_t i = 0; i < 4096; i++)
		memcpy(buf + i * n, one, n);
	while (!g_atomic_int_get(&f->stop)) {
		ssize_t w = send(tc_fd(f->c), buf, n * 4096, MSG_NOSIGNAL);

		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0) {
			f->ended_us = g_get_monotonic_time();
			g_atomic_int_set(&f->done, 1);
			break;
		}
		f->pings += (size_t)w / n;
	}
	return NULL;
}

/* ---- cases ------------------------------------------------------------------ */

/* Two peers flood PINGs and never read, one of them subscribed to the
 * pattern, while a bystander watches it: hostencd's memory stays bounded,
 * the flooders are closed, and the bystander keeps its frame rate. */
static void test_ping_flood(void)
{
	static const char *const args[] = { "--pattern-size=320x240",
					     "--pattern-fps=" G_STRINGIFY(PATTERN_FPS),
					     "--keepalive-fps=0", NULL };
	struct th_options o = { .pattern = true, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_frame_counter v = { .c = tc_connect_tcp(d->port) };
	struct flooder f[2] = { { .c = tc_connect_tcp(d->port) }, { .c = tc_connect_tcp(d->port) } };
	struct hxfr_hello_resp hr;
	uint64_t rss0, rss_max;
	int64_t t0, t1, t_end;
	int frames0, frames1, frames_end;
	double base_fps, flood_fps;

	tc_subscribe_ok(v.c, 0);
	v.thread = g_thread_new("viewer", tc_frame_counter_main, &v);
	tc_hello(f[0].c, HXFR_PATH_INLINE, 2, "flooder", &hr);
	tc_subscribe_ok(f[1].c, 0);
	g_usleep(1000000); /* the stream is up */
	t0 = g_get_monotonic_time();
	frames0 = g_atomic_int_get(&v.frames);
	g_usleep(2000000);
	t1 = g_get_monotonic_time();
	frames1 = g_atomic_int_get(&v.frames);
	base_fps = (frames1 - frames0) * 1e6 / (double)(t1 - t0);
	rss0 = rss_max = rss_kib(d->pid);

	for (unsigned i = 0; i < G_N_ELEMENTS(f); i++)
		f[i].thread = g_thread_new("flooder", flooder_main, &f[i]);
	/* 20 s at most: an unbounded host would grow by gigabytes meanwhile */
	while (g_get_monotonic_time() - t1 < 20 * G_USEC_PER_SEC &&
	       !(g_atomic_int_get(&f[0].done) && g_atomic_int_get(&f[1].done))) {
		g_usleep(250000);
		rss_max = MAX(rss_max, rss_kib(d->pid));
	}
	t_end = g_get_monotonic_time();
	frames_end = g_atomic_int_get(&v.frames);
	flood_fps = (frames_end - frames1) * 1e6 / (double)(t_end - t1);
	for (unsigned i = 0; i < G_N_ELEMENTS(f); i++) {
		g_atomic_int_set(&f[i].stop, 1);
		g_thread_join(f[i].thread);
		g_test_message("flooder %u: %" G_GUINT64_FORMAT " PINGs, %s after %.1f s", i,
			       f[i].pings, f[i].done ? "closed by the host" : "still open",
			       ((f[i].done ? f[i].ended_us : t_end) - t1) / 1e6);
	}
	g_test_message("hostencd RSS %" G_GUINT64_FORMAT " KiB before the flood, at most %"
		       G_GUINT64_FORMAT " KiB during it (+%" G_GUINT64_FORMAT " KiB)", rss0,
		       rss_max, rss_max - rss0);
	g_test_message("bystander: %.1f fps before, %.1f fps during the flood (%.1f s)",
		       base_fps, flood_fps, (t_end - t1) / 1e6);
	g_assert_true(f[0].done && f[1].done);
	g_assert_cmpint(t_end - t1, <, 15 * G_USEC_PER_SEC);
	g_assert_cmpuint(rss_max - rss0, <, 32 * 1024);
	g_assert_cmpfloat(flood_fps, >=, base_fps * 0.6);

	/* the bystander still gets frames, the host still takes sessions */
	frames0 = g_atomic_int_get(&v.frames);
	g_usleep(500000);
	g_assert_cmpint(g_atomic_int_get(&v.frames), >, frames0);
	g_atomic_int_set(&v.stop, 1);
	g_thread_join(v.thread);
	tc_ping(v.c, false);
	for (unsigned i = 0; i < G_N_ELEMENTS(f); i++)
		tc_close(f[i].c);
	tc_close(v.c);
	th_daemon_stop(d);
}

/* PINGs at the allowed rate are all answered, PINGs in a burst over it
 * are dropped (not queued), and a short burst does not close the session. */
static void test_ping_rate(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = tc_connect_tcp(d->port);
	uint8_t ping[HXFR_HEADER_SIZE];
	GByteArray *burst = g_byte_array_new();
	unsigned pongs = 0;

	g_assert_cmpint(hxfr_build_empty(ping, sizeof(ping), HXFR_PING, 0), ==, sizeof(ping));
	for (unsigned i = 0; i < 1000; i++)
		g_byte_array_append(burst, ping, sizeof(ping));
	tc_send_ok(c, burst->data, burst->len);
	for (;;) {
		struct tc_msg msg;
		int res = tc_recv(c, 1000, &msg);

		if (res == -ETIMEDOUT)
			break;
		g_assert_cmpint(res, ==, 1);
		g_assert_cmpuint(msg.m.hdr.type, ==, HXFR_PONG);
		pongs++;
		tc_msg_clear(&msg);
	}
	g_test_message("1000 PINGs at once: %u PONGs", pongs);
	g_assert_cmpuint(pongs, >=, 100);
	g_assert_cmpuint(pongs, <, 200);
	for (unsigned i = 0; i < 20; i++) {
		tc_ping(c, true);
		g_usleep(20000);
	}
	g_byte_array_unref(burst);
	tc_close(c);
	th_daemon_stop(d);
}

/* Out of file descriptors, accept() fails while the connection waits in
 * the backlog: hostencd must not spin on it nor log a line per attempt,
 * and takes the connection once it can. */
static void test_emfile(void)
{
	struct th_options o = { 0 };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *in[2], *waiting[3];
	struct rlimit old, low;
	unsigned lines0, lines;
	double cpu0, cpu;

	for (unsigned i = 0; i < G_N_ELEMENTS(in); i++) {
		in[i] = tc_connect_tcp(d->port);
		tc_ping(in[i], false);
	}
	g_assert_cmpint(prlimit(d->pid, RLIMIT_NOFILE, NULL, &old), ==, 0);
	low = old;
	low.rlim_cur = count_fds(d->pid);
	g_assert_cmpint(prlimit(d->pid, RLIMIT_NOFILE, &low, NULL), ==, 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(waiting); i++)
		waiting[i] = tc_connect_tcp(d->port); /* the kernel's backlog takes them */
	g_usleep(200000);
	lines0 = count_in_log(d, "accept:");
	cpu0 = cpu_s(d->pid);
	g_usleep(3000000);
	cpu = cpu_s(d->pid) - cpu0;
	lines = count_in_log(d, "accept:") - lines0;
	g_test_message("out of descriptors for 3 s: %.2f s of CPU, %u log lines", cpu, lines);
	g_assert_cmpuint(count_in_log(d, "accept:"), >=, 1);
	g_assert_cmpfloat(cpu, <, 0.6);
	g_assert_cmpuint(lines, <=, 4);
	/* sessions already open are served meanwhile */
	tc_ping(in[0], false);

	g_assert_cmpint(prlimit(d->pid, RLIMIT_NOFILE, &old, NULL), ==, 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(waiting); i++) {
		tc_ping(waiting[i], false);
		tc_close(waiting[i]);
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(in); i++)
		tc_close(in[i]);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/flood/ping", test_ping_flood);
	g_test_add_func("/flood/ping-rate", test_ping_rate);
	g_test_add_func("/flood/emfile", test_emfile);
	return g_test_run();
}
