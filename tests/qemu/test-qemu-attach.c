/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Attach to a real QEMU showing SeaBIOS: bus-less through QMP, over a
 * private bus, and QEMU's QMP keeps answering while we (and a hostile
 * client) attach. */
#include "harness.h"
#include "qemu-display.h"

#include <gio/gio.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct state {
	bool ready, gone;
	GError *error;
	guint frames, cursors;
};

static void on_ready(struct he_qemu_vm *vm G_GNUC_UNUSED, const GError *error, void *data)
{
	struct state *s = data;

	s->ready = true;
	if (error)
		s->error = g_error_copy(error);
}

static void on_gone(struct he_qemu_vm *vm G_GNUC_UNUSED, const char *reason, void *data)
{
	struct state *s = data;

	g_test_message("VM gone: %s", reason);
	s->gone = true;
}

static void on_frame(struct he_qemu_console *c G_GNUC_UNUSED, void *data)
{
	((struct state *)data)->frames++;
}

static void on_cursor(struct he_qemu_console *c G_GNUC_UNUSED,
		      const struct he_qemu_cursor *cur G_GNUC_UNUSED, void *data)
{
	((struct state *)data)->cursors++;
}

static const struct he_qemu_callbacks callbacks = {
	.ready = on_ready,
	.gone = on_gone,
	.frame_ready = on_frame,
	.cursor = on_cursor,
};

static bool frame_non_black(const struct he_qemu_frame *f)
{
	for (uint32_t y = 0; y < f->height; y++) {
		const uint8_t *row = f->data + (size_t)y * f->stride;

		for (uint32_t x = 0; x < f->width; x++)
			if (row[4 * x] | row[4 * x + 1] | row[4 * x + 2])
				return true;
	}
	return false;
}

/* Wait for a non-black snapshot of the expected size. */
static bool wait_picture(struct he_qemu_console *c, struct he_qemu_frame *f, uint32_t w, uint32_t h,
			 int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (g_get_monotonic_time() < end) {
		qh_spin(50);
		he_qemu_console_snapshot(c, f);
		if (f->width == w && f->height == h && frame_non_black(f))
			return true;
	}
	return false;
}

/* The console size QEMU itself reports, from a screendump's PPM header. */
static void screendump_size(struct qh_qemu *q, uint32_t *w, uint32_t *h)
{
	g_autofree char *ppm = g_build_filename(q->dir, "shot.ppm", NULL);
	g_autofree char *cmd = g_strdup_printf("{\"execute\":\"screendump\",\"arguments\":"
					       "{\"filename\":\"%s\"}}", ppm);
	struct qh_mon *m = qh_mon_open(q->mon_path, 5000);
	g_autofree char *reply = NULL;
	g_autofree char *text = NULL;

	g_assert_nonnull(m);
	reply = qh_mon_cmd(m, cmd, -1, 10000, NULL);
	g_assert_nonnull(reply);
	g_assert_nonnull(strstr(reply, "\"return\""));
	qh_mon_close(m);
	g_assert_true(g_file_get_contents(ppm, &text, NULL, NULL));
	g_assert_cmpint(sscanf(text, "P6 %u %u", w, h), ==, 2);
	unlink(ppm);
}

static void check_attached(struct qh_qemu *q, struct he_qemu_vm *vm, struct state *s)
{
	struct he_qemu_frame f = HE_QEMU_FRAME_INIT;
	struct he_qemu_console *c;
	uint32_t w = 0, h = 0;

	g_assert_true(qh_wait_flag(&s->ready, 20000));
	g_assert_no_error(s->error);
	g_assert_cmpstr(he_qemu_vm_get_name(vm), ==, "hostenc-test");
	g_assert_cmpuint(he_qemu_vm_get_n_consoles(vm), ==, 1);
	c = he_qemu_vm_get_console(vm, 0);
	g_assert_nonnull(c);
	g_assert_null(he_qemu_console_get_status(c));
	/* SeaBIOS' screen is static once drawn: wait for it, then compare. */
	qh_spin(3000);
	screendump_size(q, &w, &h);
	g_test_message("console '%s': QEMU says %ux%u", he_qemu_console_get_label(c), w, h);
	g_assert_true(wait_picture(c, &f, w, h, 20000));
	g_assert_cmpuint(f.stride % 64, ==, 0);
	g_assert_cmpuint(s->frames, >, 0);
	/* Input goes out without errors (logged, not fatal) or crashes. */
	he_qemu_console_key(c, 0x1c, true);
	he_qemu_console_key(c, 0x1c, false);
	he_qemu_console_button(c, 0 /* left */, true);
	he_qemu_console_button(c, 0 /* left */, false);
	he_qemu_console_move_rel(c, 5, -3);
	he_qemu_console_move_abs(c, 10, 10);
	he_qemu_console_set_size(c, 1024, 768);
	qh_spin(300);
	g_test_message("absolute pointer: %s", he_qemu_console_is_absolute(c) ? "yes" : "no");
	he_qemu_frame_clear(&f);
}

static void test_p2p(void)
{
	struct state s = { 0 };
	struct qh_qemu *q;
	struct he_qemu_vm *vm;

	if (!qh_require_qemu())
		return;
	q = qh_qemu_start(QH_GUEST_SEABIOS, 0, 0, NULL, NULL);
	vm = he_qemu_vm_attach_qmp(q->qmp_path, 0, &callbacks, &s);
	check_attached(q, vm, &s);
	g_assert_false(he_qemu_console_is_absolute(he_qemu_vm_get_console(vm, 0)));
	/* QEMU going away is reported. */
	qh_qemu_stop(q);
	g_assert_true(qh_wait_flag(&s.gone, 5000));
	he_qemu_vm_free(vm);
	g_clear_error(&s.error);
}

static void test_bus(void)
{
	const char *const tablet[] = { "-device", "usb-ehci", "-device", "usb-tablet", NULL };
	struct state s = { 0 };
	GSubprocess *bus = NULL;
	g_autofree char *addr = NULL;
	struct qh_qemu *q;
	struct he_qemu_vm *vm;

	if (!qh_require_qemu())
		return;
	addr = qh_dbus_daemon_start(&bus);
	g_assert_nonnull(addr);
	q = qh_qemu_start(QH_GUEST_SEABIOS, 0, 0, addr, tablet);
	/* QEMU takes the name org.qemu some time after its sockets exist. */
	for (int i = 0; i < 50; i++) {
		vm = he_qemu_vm_attach_bus(addr, NULL, 0, &callbacks, &s);
		g_assert_true(qh_wait_flag(&s.ready, 20000));
		if (!s.error)
			break;
		he_qemu_vm_free(vm);
		g_clear_error(&s.error);
		s.ready = false;
		g_usleep(200000);
	}
	check_attached(q, vm, &s);
	/* usb-tablet only becomes the active pointer once a guest driver
	 * uses it; SeaBIOS does not, so IsAbsolute stays false here. */
	qh_qemu_stop(q);
	g_assert_true(qh_wait_flag(&s.gone, 5000));
	he_qemu_vm_free(vm);
	qh_dbus_daemon_stop(bus);
	g_clear_error(&s.error);
}

/* A thread sending query-status every 20 ms on the test's own monitor. */
struct pinger {
	const char *path;
	gint stop;
	gint phase;
	int64_t max_us[2];
	guint count[2], fails[2];
};

static gpointer ping_thread(gpointer data)
{
	struct pinger *p = data;
	struct qh_mon *m = qh_mon_open(p->path, 5000);

	g_assert_nonnull(m);
	while (!g_atomic_int_get(&p->stop)) {
		int ph = g_atomic_int_get(&p->phase);
		int64_t us = 0;
		g_autofree char *r = qh_mon_cmd(m, "{\"execute\":\"query-status\"}", -1, 1000, &us);

		if (!r || !strstr(r, "\"return\""))
			p->fails[ph]++;
		p->max_us[ph] = MAX(p->max_us[ph], r ? us : 1000000);
		p->count[ph]++;
		g_usleep(20000);
	}
	qh_mon_close(m);
	return NULL;
}

/* Hand QEMU a display socket through add_client and never handshake. */
static int hostile_add_client(const char *qmp_path, struct qh_mon **mon_out)
{
	struct qh_mon *m = qh_mon_open(qmp_path, 5000);
	g_autofree char *r1 = NULL;
	g_autofree char *r2 = NULL;
	int sv[2];

	g_assert_nonnull(m);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	r1 = qh_mon_cmd(m, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"hostile\"}}", sv[1],
			5000, NULL);
	close(sv[1]);
	g_assert_nonnull(r1);
	g_assert_nonnull(strstr(r1, "\"return\""));
	r2 = qh_mon_cmd(m, "{\"execute\":\"add_client\",\"arguments\":{\"protocol\":"
			"\"@dbus-display\",\"fdname\":\"hostile\"}}", -1, 5000, NULL);
	g_test_message("hostile add_client: %s", r2 ? r2 : "(no reply within 5 s)");
	*mon_out = m;
	return sv[0];
}

static void test_qmp_responsive(void)
{
	struct pinger p = { 0 };
	struct state s = { 0 };
	struct he_qemu_frame f = HE_QEMU_FRAME_INIT;
	struct qh_mon *hostile = NULL;
	struct qh_qemu *q;
	struct he_qemu_vm *vm;
	GThread *t;
	guint frames;
	int hfd;

	if (!qh_require_qemu())
		return;
	q = qh_qemu_start(QH_GUEST_SEABIOS, 0, 0, NULL, NULL);
	p.path = q->mon_path;
	t = g_thread_new("pinger", ping_thread, &p);
	g_usleep(200000);
	/* Phase 0: during and right after our attach. */
	vm = he_qemu_vm_attach_qmp(q->qmp_path, 0, &callbacks, &s);
	g_assert_true(qh_wait_flag(&s.ready, 20000));
	g_assert_no_error(s.error);
	qh_spin(1000);
	he_qemu_console_snapshot(he_qemu_vm_get_console(vm, 0), &f);
	g_assert_cmpuint(f.width, >, 0);
	/* Phase 1: a hostile client that never completes its handshake. */
	g_atomic_int_set(&p.phase, 1);
	frames = s.frames;
	hfd = hostile_add_client(q->qmp_path, &hostile);
	qh_spin(3000);
	g_atomic_int_set(&p.stop, 1);
	g_thread_join(t);
	g_test_message("query-status during/after attach: %u calls, max %.1f ms, %u failed",
		       p.count[0], p.max_us[0] / 1000.0, p.fails[0]);
	g_test_message("query-status with a stalled add_client: %u calls, max %.1f ms, %u failed; "
		       "our client %s, %u frame notifications meanwhile",
		       p.count[1], p.max_us[1] / 1000.0, p.fails[1], s.gone ? "lost" : "still attached",
		       s.frames - frames);
	g_assert_cmpuint(p.count[0], >, 5);
	g_assert_cmpuint(p.fails[0], ==, 0);
	g_assert_cmpint(p.max_us[0], <, 1000000);
	g_assert_cmpuint(p.count[1], >, 5);
	g_assert_cmpuint(p.fails[1], ==, 0);
	g_assert_cmpint(p.max_us[1], <, 1000000);
	close(hfd);
	qh_mon_close(hostile);
	he_qemu_vm_free(vm);
	he_qemu_frame_clear(&f);
	qh_qemu_stop(q);
	g_clear_error(&s.error);
}

/* No QEMU behind the path: a clear, asynchronous failure. */
static void test_no_vm(void)
{
	struct state s = { 0 };
	struct he_qemu_vm *vm = he_qemu_vm_attach_qmp("/nonexistent/qmp.sock", 0, &callbacks, &s);

	g_assert_false(s.ready); /* never reported from inside attach */
	g_assert_true(qh_wait_flag(&s.ready, 6000));
	g_assert_nonnull(s.error);
	g_test_message("attach to nothing: %s", s.error->message);
	g_assert_false(s.gone);
	he_qemu_vm_free(vm);
	g_clear_error(&s.error);
}

/* Attach and detach repeatedly while the guest streams 1024x768 frames,
 * including detaching before the attach finished: no crash, no leak (run
 * under ASan), and QEMU keeps answering. */
static void test_churn(void)
{
	struct qh_qemu *q;
	struct qh_mon *m;
	GRand *r = g_rand_new_with_seed(7);

	if (!qh_require_qemu())
		return;
	q = qh_qemu_start(QH_GUEST_FILL_FULL, 1024, 768, NULL, NULL);
	for (int i = 0; i < 12; i++) {
		struct state s = { 0 };
		struct he_qemu_vm *vm = he_qemu_vm_attach_qmp(q->qmp_path, 0, &callbacks, &s);

		if (i % 3 == 0) {
			qh_spin(g_rand_int_range(r, 0, 30)); /* mid-attach */
		} else {
			g_assert_true(qh_wait_flag(&s.ready, 20000));
			g_assert_no_error(s.error);
			qh_spin(g_rand_int_range(r, 0, 400));
		}
		he_qemu_vm_free(vm);
		g_clear_error(&s.error);
	}
	m = qh_mon_open(q->mon_path, 5000);
	g_assert_nonnull(m);
	{
		g_autofree char *r1 = qh_mon_cmd(m, "{\"execute\":\"query-status\"}", -1, 1000, NULL);

		g_assert_nonnull(r1);
		g_assert_nonnull(strstr(r1, "running"));
	}
	qh_mon_close(m);
	g_rand_free(r);
	qh_qemu_stop(q);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* The client logs refusals and lost peers as warnings by design. */
	g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
	g_test_add_func("/qemu/attach/no-vm", test_no_vm);
	g_test_add_func("/qemu/attach/p2p", test_p2p);
	g_test_add_func("/qemu/attach/bus", test_bus);
	g_test_add_func("/qemu/attach/qmp-responsive", test_qmp_responsive);
	g_test_add_func("/qemu/attach/churn", test_churn);
	return g_test_run();
}
