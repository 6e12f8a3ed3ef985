/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Back-pressure and throughput against a real QEMU whose guest redraws
 * continuously at 1920x1080 (tests/qemu/guest-fill.s):
 *  - a consumer taking one snapshot a second for 10 s must not make QEMU
 *    (or us) grow: the listener thread drains everything at once;
 *  - a consumer taking a snapshot at every frame_ready: frames delivered
 *    versus messages QEMU sent, handler and snapshot-copy times. */
#include "harness.h"
#include "qemu-display.h"

#include <time.h>

#define W 1920
#define H 1080
#define MB 1024L /* KiB per MiB */

struct state {
	bool ready;
	GError *error;
	guint frames;
	/* fast consumer */
	bool snap_on_frame;
	struct he_qemu_frame frame;
	guint snaps;
	double snap_ms_total, snap_ms_max;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void timed_snapshot(struct state *s, struct he_qemu_console *c)
{
	double t0 = now_ms(), dt;

	if (!he_qemu_console_snapshot(c, &s->frame))
		return;
	dt = now_ms() - t0;
	s->snaps++;
	s->snap_ms_total += dt;
	s->snap_ms_max = MAX(s->snap_ms_max, dt);
}

static void on_ready(struct he_qemu_vm *vm G_GNUC_UNUSED, const GError *error, void *data)
{
	struct state *s = data;

	s->ready = true;
	if (error)
		s->error = g_error_copy(error);
}

static void on_frame(struct he_qemu_console *c, void *data)
{
	struct state *s = data;

	s->frames++;
	if (s->snap_on_frame)
		timed_snapshot(s, c);
}

static const struct he_qemu_callbacks callbacks = {
	.ready = on_ready,
	.frame_ready = on_frame,
};

/* A sanitized build reads QEMU's 250 MB/s several times slower; since
 * QEMU has no back-pressure it then grows by hundreds of MB, which measures
 * the sanitizer, not the client. */
static bool require_full_speed(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	g_test_skip("sanitized build: too slow to drain 1080p at QEMU's rate (QEMU would grow)");
	return false;
#else
	return true;
#endif
}

struct mem {
	long q0, s0, qmax, smax;
};

/* Run the main loop for @p ms, sampling both processes' RSS every 100 ms. */
static void spin_sampling(int ms, int qpid, struct mem *m)
{
	for (int t = 0; t < ms; t += 100) {
		qh_spin(100);
		m->qmax = MAX(m->qmax, qh_rss_kb(qpid));
		m->smax = MAX(m->smax, qh_rss_kb(0));
	}
}

static struct he_qemu_console *attach_1080p(struct qh_qemu *q, struct he_qemu_vm **vm,
					    struct state *s)
{
	struct he_qemu_console *c;
	gint64 end;

	*vm = he_qemu_vm_attach_qmp(q->qmp_path, 0, &callbacks, s);
	g_assert_true(qh_wait_flag(&s->ready, 20000));
	g_assert_no_error(s->error);
	c = he_qemu_vm_get_console(*vm, 0);
	g_assert_nonnull(c);
	/* SeaBIOS first, then the boot sector switches to 1920x1080. */
	end = g_get_monotonic_time() + 90 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		qh_spin(100);
		he_qemu_console_snapshot(c, &s->frame);
		if (s->frame.width == W && s->frame.height == H)
			break;
	}
	g_assert_cmpuint(s->frame.width, ==, W);
	g_assert_cmpuint(s->frame.height, ==, H);
	qh_spin(1000);
	return c;
}

static void report_stats(const char *what, const struct he_qemu_stats *a,
			 const struct he_qemu_stats *b, double secs)
{
	uint64_t ns = b->scanouts - a->scanouts, nu = b->updates - a->updates;

	g_test_message("%s: %.1f Scanout/s + %.1f Update/s from QEMU, %.0f MB/s; handler "
		       "Scanout avg %.2f ms max %.2f ms, Update avg %.3f ms max %.2f ms; "
		       "%.1f frame_ready/s", what, ns / secs, nu / secs,
		       (b->bytes_in - a->bytes_in) / secs / 1e6,
		       ns ? (b->scanout_ns - a->scanout_ns) / 1e6 / ns : 0.0,
		       b->scanout_max_ns / 1e6,
		       nu ? (b->update_ns - a->update_ns) / 1e6 / nu : 0.0,
		       b->update_max_ns / 1e6, (b->notifies - a->notifies) / secs);
}

static void test_slow_consumer(void)
{
	struct state s = { 0 };
	struct he_qemu_stats a, b;
	struct mem m = { 0 };
	struct he_qemu_vm *vm;
	struct he_qemu_console *c;
	struct qh_qemu *q;
	double t0;

	if (!qh_require_qemu() || !require_full_speed())
		return;
	q = qh_qemu_start(QH_GUEST_FILL_FULL, W, H, NULL, NULL);
	c = attach_1080p(q, &vm, &s);

	/* 1: one snapshot a second for 10 s while the screen keeps changing. */
	m.q0 = m.qmax = qh_rss_kb(q->pid);
	m.s0 = m.smax = qh_rss_kb(0);
	he_qemu_console_get_stats(c, &a);
	t0 = now_ms();
	for (int i = 0; i < 10; i++) {
		spin_sampling(1000, q->pid, &m);
		timed_snapshot(&s, c);
	}
	he_qemu_console_get_stats(c, &b);
	report_stats("slow consumer (1 snapshot/s)", &a, &b, (now_ms() - t0) / 1e3);
	g_test_message("RSS QEMU %ld -> max %ld MiB, test process %ld -> max %ld MiB", m.q0 / MB,
		       m.qmax / MB, m.s0 / MB, m.smax / MB);
	g_test_message("1080p snapshot copy (full frame): avg %.2f ms, max %.2f ms over %u",
		       s.snap_ms_total / MAX(s.snaps, 1), s.snap_ms_max, s.snaps);
	g_assert_cmpuint(b.scanouts + b.updates - a.scanouts - a.updates, >, 50);
	g_assert_cmpint(m.qmax - m.q0, <, 100 * MB);
	g_assert_cmpint(m.smax - m.s0, <, 100 * MB);

	/* 2: a consumer keeping up: snapshot on every frame_ready. */
	s.snaps = 0;
	s.snap_ms_total = s.snap_ms_max = 0;
	s.snap_on_frame = true;
	he_qemu_console_get_stats(c, &a);
	t0 = now_ms();
	spin_sampling(5000, q->pid, &m);
	he_qemu_console_get_stats(c, &b);
	report_stats("fast consumer", &a, &b, (now_ms() - t0) / 1e3);
	g_test_message("delivered %.1f frames/s; snapshot copy avg %.2f ms, max %.2f ms",
		       s.snaps / ((now_ms() - t0) / 1e3), s.snap_ms_total / MAX(s.snaps, 1),
		       s.snap_ms_max);
	g_assert_cmpuint(s.snaps, >, 10);

	he_qemu_vm_free(vm);
	he_qemu_frame_clear(&s.frame);
	qh_qemu_stop(q);
	g_clear_error(&s.error);
}

static void test_band(void)
{
	struct state s = { 0 };
	struct he_qemu_stats a, b;
	struct mem m = { 0 };
	struct he_qemu_vm *vm;
	struct he_qemu_console *c;
	struct qh_qemu *q;
	double t0;

	if (!qh_require_qemu() || !require_full_speed())
		return;
	q = qh_qemu_start(QH_GUEST_FILL_BAND, W, H, NULL, NULL);
	c = attach_1080p(q, &vm, &s);
	m.q0 = m.qmax = qh_rss_kb(q->pid);
	m.s0 = m.smax = qh_rss_kb(0);
	s.snap_on_frame = true;
	he_qemu_console_get_stats(c, &a);
	t0 = now_ms();
	spin_sampling(5000, q->pid, &m);
	he_qemu_console_get_stats(c, &b);
	report_stats("moving band", &a, &b, (now_ms() - t0) / 1e3);
	g_test_message("delivered %.1f frames/s; partial snapshot copy avg %.3f ms, max %.2f ms; "
		       "RSS QEMU %ld -> %ld MiB", s.snaps / ((now_ms() - t0) / 1e3),
		       s.snap_ms_total / MAX(s.snaps, 1), s.snap_ms_max, m.q0 / MB, m.qmax / MB);
	g_assert_cmpuint(b.updates - a.updates, >, 10);
	g_assert_cmpint(m.qmax - m.q0, <, 100 * MB);
	he_qemu_vm_free(vm);
	he_qemu_frame_clear(&s.frame);
	qh_qemu_stop(q);
	g_clear_error(&s.error);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
	g_test_add_func("/qemu/pressure/slow-consumer", test_slow_consumer);
	g_test_add_func("/qemu/pressure/band", test_band);
	return g_test_run();
}
