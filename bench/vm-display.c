/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM screen through hostencd, end to end, against a real QEMU (not a
 * test): the fill guest (tests/qemu/guest-fill.s) redraws a WxH 32 bpp
 * screen under TCG, either all of it in a new colour each pass (mode 0) or
 * a moving 64-row band (mode 1); QEMU's D-Bus display feeds the display
 * client; each batch of damage becomes a frame the way
 * daemon/sources/vm/vm-screen.c makes one (three snapshot buffers lent to
 * the encoder, a short retry while the encoder is busy) and goes through a
 * real stream (libx264) to an output that counts what reaches it.
 *
 * Two QEMUs, one per mode, are booted once; the one not being measured is
 * paused (QMP stop) so that it takes no CPU, which lets the runs
 * interleave: mode 0, mode 1 with a consumer that encodes every
 * frame_ready, then both again with a consumer that encodes one frame a
 * second (QEMU has no back-pressure: its memory must stay flat anyway);
 * three rounds. A cell is the median of the three runs [min, max].
 *
 * usage: bench-vm-display [SECONDS] [WxH]   (default 10 s, 1920x1080)
 */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <hxfr/hxfr.h>

#include "qemu-display.h"
#include "stream.h"

#ifndef GUEST_BIN
#error "GUEST_BIN: path of the assembled guest-fill boot sector"
#endif

#define QEMU "qemu-system-x86_64"
/* What hostencd uses (daemon/sources/vm/vm-private.h), so that the
 * numbers are the daemon's. */
#define SLOTS 3
#define REFRESH_MS 16
#define RETRY_MS 10
#define ROUNDS 3
#define MAX_SECONDS 20      /* 12 runs + boot must stay within 5 minutes */
#define WARMUP_MS 1000      /* x264's creation and first IDR stay out of the numbers */
#define SAMPLE_MS 100       /* RSS sampling period */
#define SLOW_MS 1000        /* the slow consumer encodes once a second */
#define BOOT_TIMEOUT_S 120  /* SeaBIOS then the mode switch, under TCG on busy cores */
#define QMP_TIMEOUT_S 10
#define IMG_SIZE 65536      /* the boot sector padded as tests/qemu/harness.c does */
#define PARAM_BLOCK 0x1e0   /* guest-fill.s: u16 width, u16 height, u8 mode, pad, u32 delay */
/* Mode 1's pause between passes (guest `loop` iterations). Without it the
 * band sweeps the whole screen several times per QEMU refresh (thousands
 * of passes/s under TCG here) and mode 1 is full-screen damage again; this
 * makes about 100 passes/s here (TCG runs ~1.5 G iterations/s on this
 * host), i.e. ~90 rows damaged per 30 ms refresh. The passes/s row shows
 * what it really was. */
#define BAND_DELAY 15000000u

enum { FAST, SLOW, N_KINDS };
enum { N_MODES = 2 };

/* ---- measurements -------------------------------------------------------- */

/* What a measured interval collects; off during the warm-up. */
struct tally {
	bool on;
	uint64_t aus;
	GArray *lat_ms;   /* frame_ready to access unit at the output */
	GArray *snap_ms;  /* he_qemu_console_snapshot() that copied something */
	double copied_px; /* pixels those snapshots copied */
};

/* One run's numbers; every field a double so the tables can walk them. */
struct result {
	double secs, msgs, scanouts, notifies, fps, per_msg, per_notify, mbytes;
	double passes;
	double lat50, lat99, snap50, snap99, snap_mpx, handler_ms;
	double cpu_self, cpu_qemu, cpu_host, cpu_other;
	double rss_start, rss_max, rss_growth, self_rss_max;
};

static double now_ms(void)
{
	return (double)g_get_monotonic_time() / 1000.0;
}

static void tally_add(GArray *a, double v)
{
	g_array_append_val(a, v);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile; sorts @p a. */
static double percentile(GArray *a, double p)
{
	guint i;

	if (!a->len)
		return 0.0;
	qsort(a->data, a->len, sizeof(double), cmp_double);
	i = (guint)(p * a->len + 0.999999);
	return g_array_index(a, double, CLAMP(i, 1u, a->len) - 1);
}

/* ---- /proc and getrusage --------------------------------------------------- */

static long rss_kb(int pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	p = strstr(text, "VmRSS:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

/* utime + stime of @p pid in seconds: fields 14 and 15 of /proc/PID/stat,
 * counted after the command name, which may itself hold spaces. */
static double proc_cpu_s(int pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *text = NULL;
	g_auto(GStrv) f = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
		return 0.0;
	f = g_strsplit(p + 2, " ", 16);
	if (g_strv_length(f) < 14)
		return 0.0;
	return (double)(g_ascii_strtoull(f[11], NULL, 10) + g_ascii_strtoull(f[12], NULL, 10)) /
	       (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds all processes of the host were busy (every core summed), to
 * show how much of the machine someone else was using meanwhile. */
static double host_busy_s(void)
{
	g_autofree char *text = NULL;
	unsigned long long v[8] = { 0 };

	if (!g_file_get_contents("/proc/stat", &text, NULL, NULL) ||
	    sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return 0.0;
	/* user nice system idle iowait irq softirq steal: all but idle, iowait */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ---- the main loop ------------------------------------------------------- */

static gboolean set_true(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Run the default main context for @p ms, blocking in poll (no busy
 * waiting: the CPU numbers are the point). */
static void spin(guint ms)
{
	bool done = false;
	GSource *t = g_timeout_source_new(ms);

	g_source_set_callback(t, set_true, &done, NULL);
	g_source_attach(t, NULL);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
	g_source_destroy(t);
	g_source_unref(t);
}

/* ---- the consumer: vm-screen.c's way of making frames ------------------- */

struct slot {
	struct he_qemu_frame frame;
	gint busy;  /* lent to the stream; released on its worker thread */
};

struct sink {
	struct he_output base;
	struct tally *tally;
};

struct consumer {
	struct he_qemu_console *console;
	struct he_stream *stream;
	struct sink sink;
	struct slot slots[SLOTS];
	bool wanted, dirty, slow;
	int64_t damage_us;  /* CLOCK_REALTIME µs of the oldest damage not yet in a frame */
	uint64_t frame_no;
	GSource *retry, *tick;
	struct tally tally;
};

/* The output: counts access units and how long after the damage they came. */
static int sink_deliver(struct he_output *o, struct he_au *au, bool replay)
{
	struct tally *t = ((struct sink *)o)->tally;

	/* Keepalives re-encode an old picture: not a frame of new damage. */
	if (replay || au->keepalive || !t->on)
		return 0;
	t->aus++;
	tally_add(t->lat_ms, (double)(he_now_us() - au->capture_us) / 1000.0);
	return 0;
}

static void sink_close(struct he_output *o G_GNUC_UNUSED, enum he_output_close why G_GNUC_UNUSED)
{
}

static const struct he_output_impl sink_impl = {
	.version = HE_OUTPUT_VERSION, .deliver = sink_deliver, .close = sink_close,
};

static void slot_release(void *data)
{
	g_atomic_int_set(&((struct slot *)data)->busy, 0);
}

static struct slot *free_slot(struct consumer *c)
{
	for (unsigned i = 0; i < SLOTS; i++)
		if (!g_atomic_int_get(&c->slots[i].busy))
			return &c->slots[i];
	return NULL;
}

static void timed_snapshot(struct consumer *c, struct he_qemu_frame *f)
{
	double t0 = now_ms();

	if (!he_qemu_console_snapshot(c->console, f) || !c->tally.on)
		return;
	tally_add(c->tally.snap_ms, now_ms() - t0);
	c->tally.copied_px += (double)f->damage_w * f->damage_h;
}

/* As vm-screen.c's send_frame(), except that the frame's capture time is
 * when the damage was announced, which the output then subtracts. */
static bool send_frame(struct consumer *c)
{
	struct slot *slot;
	struct he_frame *f;

	if (he_stream_pending(c->stream) > 1 || !(slot = free_slot(c)))
		return false;
	timed_snapshot(c, &slot->frame);
	if (!slot->frame.data || slot->frame.width < 16 || slot->frame.height < 16)
		return true;
	g_atomic_int_set(&slot->busy, 1);
	f = he_frame_new(slot_release, slot);
	f->fourcc = HXFR_FMT_BGRX;
	f->width = slot->frame.width;
	f->height = slot->frame.height;
	f->plane[0] = slot->frame.data;
	f->stride[0] = slot->frame.stride;
	f->capture_us = c->damage_us;
	f->pts_ns = (int64_t)(c->frame_no++ * 1000000000ull / 60);
	he_stream_submit(c->stream, f, 0);
	he_frame_unref(f);
	return true;
}

static gboolean retry_cb(gpointer data);

static void try_send(struct consumer *c)
{
	if (!c->wanted || !c->dirty)
		return;
	if (send_frame(c)) {
		c->dirty = false;
	} else if (!c->retry) {
		c->retry = g_timeout_source_new(RETRY_MS);
		g_source_set_callback(c->retry, retry_cb, c, NULL);
		g_source_attach(c->retry, NULL);
	}
}

static gboolean retry_cb(gpointer data)
{
	struct consumer *c = data;

	g_clear_pointer(&c->retry, g_source_unref);
	try_send(c);
	return G_SOURCE_REMOVE;
}

/* Damage that arrives while older damage waits joins it: the frame's
 * latency counts from the oldest. */
static void mark_dirty(struct consumer *c)
{
	if (!c->dirty)
		c->damage_us = he_now_us();
	c->dirty = true;
}

static void consumer_damage(struct consumer *c)
{
	mark_dirty(c);
	if (!c->slow)
		try_send(c);
}

static gboolean slow_tick(gpointer data)
{
	try_send(data);
	return G_SOURCE_CONTINUE;
}

static void on_demand(void *data, bool wanted)
{
	struct consumer *c = data;

	c->wanted = wanted;
	if (wanted)
		mark_dirty(c);
	try_send(c);
}

static const struct he_producer_impl producer_impl = {
	.version = HE_PRODUCER_VERSION,
	.demand = on_demand,
};

static struct consumer *consumer_new(struct he_qemu_console *console, bool slow, unsigned mode)
{
	struct consumer *c = g_new0(struct consumer, 1);
	g_autofree char *name = g_strdup_printf("bench/mode%u", mode);
	struct he_stream_params p = {
		.id = 1 + mode, .name = name, .producer = &producer_impl, .producer_data = c,
		.fps_num = 60, .fps_den = 1,
	};
	struct he_stream_env env;

	he_stream_env_defaults(&env);
	env.encoder = "libx264";
	c->console = console;
	c->slow = slow;
	c->tally.lat_ms = g_array_new(FALSE, FALSE, sizeof(double));
	c->tally.snap_ms = g_array_new(FALSE, FALSE, sizeof(double));
	c->sink.base.impl = &sink_impl;
	c->sink.tally = &c->tally;
	c->stream = he_stream_create(&env, &p);
	if (slow) {
		c->tick = g_timeout_source_new(SLOW_MS);
		g_source_set_callback(c->tick, slow_tick, c, NULL);
		g_source_attach(c->tick, NULL);
	}
	he_stream_attach(c->stream, &c->sink.base);
	return c;
}

static void drop_source(GSource **s)
{
	if (!*s)
		return;
	g_source_destroy(*s);
	g_clear_pointer(s, g_source_unref);
}

static void consumer_free(struct consumer *c)
{
	drop_source(&c->retry);
	drop_source(&c->tick);
	/* Joins the worker: no buffer is lent after this. */
	he_stream_destroy(c->stream);
	for (unsigned i = 0; i < SLOTS; i++)
		he_qemu_frame_clear(&c->slots[i].frame);
	g_array_unref(c->tally.lat_ms);
	g_array_unref(c->tally.snap_ms);
	g_free(c);
}

/* ---- QEMU ---------------------------------------------------------------- */

struct machine {
	unsigned mode;
	GSubprocess *proc;
	int pid;
	char *dir, *qmp_path, *mon_path, *img_path, *log_path;
	GSocketConnection *mon;
	GDataInputStream *mon_in;
	struct he_qemu_vm *vm;
	struct he_qemu_console *console;
	bool ready;
	char *error;
	struct consumer *cons;  /* while measured */
	long rss_boot_kb;
};

static void put_le(uint8_t *p, uint32_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The boot sector with its parameter block set: mode 0 redraws as fast as
 * TCG lets it, mode 1 pauses BAND_DELAY between passes. */
static bool write_guest(struct machine *m, uint16_t w, uint16_t h, GError **err)
{
	g_autofree char *bin = NULL;
	g_autofree uint8_t *img = NULL;
	gsize len = 0;

	if (!g_file_get_contents(GUEST_BIN, &bin, &len, err))
		return false;
	if (len != 512) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %zu bytes, not a boot sector",
			    GUEST_BIN, (size_t)len);
		return false;
	}
	img = g_malloc0(IMG_SIZE);
	memcpy(img, bin, len);
	put_le(img + PARAM_BLOCK, w, 2);
	put_le(img + PARAM_BLOCK + 2, h, 2);
	put_le(img + PARAM_BLOCK + 4, m->mode, 1);
	put_le(img + PARAM_BLOCK + 6, m->mode ? BAND_DELAY : 0, 4);
	return g_file_set_contents(m->img_path, (const char *)img, IMG_SIZE, err);
}

/* QEMU must not outlive an interrupted benchmark: its vCPU spins forever. */
static void die_with_parent(gpointer data G_GNUC_UNUSED)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GPtrArray *qemu_argv(const struct machine *m)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	const char *fixed[] = { QEMU, "-nodefaults", "-accel", "tcg", "-m", "64", "-name",
				"hostenc-bench", "-vga", "std", "-display", "dbus,p2p=yes" };

	for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
		g_ptr_array_add(a, g_strdup(fixed[i]));
	/* Two monitors: the display client's (it closes it once attached)
	 * and ours, to pause the guest that is not being measured. */
	g_ptr_array_add(a, g_strdup("-qmp"));
	g_ptr_array_add(a, g_strdup_printf("unix:%s,server=on,wait=off", m->qmp_path));
	g_ptr_array_add(a, g_strdup("-qmp"));
	g_ptr_array_add(a, g_strdup_printf("unix:%s,server=on,wait=off", m->mon_path));
	g_ptr_array_add(a, g_strdup("-drive"));
	g_ptr_array_add(a, g_strdup_printf("file=%s,format=raw,if=ide", m->img_path));
	g_ptr_array_add(a, NULL);
	return a;
}

static bool wait_socket(const char *path)
{
	for (int i = 0; i < QMP_TIMEOUT_S * 50; i++) {
		if (g_file_test(path, G_FILE_TEST_EXISTS))
			return true;
		g_usleep(20000);
	}
	return false;
}

static bool machine_spawn(struct machine *m, uint16_t w, uint16_t h, GError **err)
{
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_autoptr(GPtrArray) argv = NULL;

	if (!(m->dir = g_dir_make_tmp("hostenc-bench-XXXXXX", err)))
		return false;
	m->qmp_path = g_build_filename(m->dir, "qmp.sock", NULL);
	m->mon_path = g_build_filename(m->dir, "mon.sock", NULL);
	m->img_path = g_build_filename(m->dir, "guest.img", NULL);
	m->log_path = g_build_filename(m->dir, "qemu.log", NULL);
	if (!write_guest(m, w, h, err))
		return false;
	argv = qemu_argv(m);
	g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
	/* QEMU's warnings would land in the middle of the tables. */
	g_subprocess_launcher_set_stderr_file_path(l, m->log_path);
	g_subprocess_launcher_set_stdout_file_path(l, m->log_path);
	m->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, err);
	if (!m->proc)
		return false;
	m->pid = atoi(g_subprocess_get_identifier(m->proc));
	if (!wait_socket(m->qmp_path) || !wait_socket(m->mon_path)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "QEMU made no QMP socket (see %s)",
			    m->log_path);
		return false;
	}
	return true;
}

/* One QMP exchange on our monitor: the {"return"...} line, or NULL;
 * events are skipped. */
static char *qmp_exec(struct machine *m, const char *json)
{
	g_autofree char *line = g_strconcat(json, "\n", NULL);
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(m->mon));

	if (!g_output_stream_write_all(out, line, strlen(line), NULL, NULL, NULL))
		return NULL;
	for (;;) {
		char *reply = g_data_input_stream_read_line(m->mon_in, NULL, NULL, NULL);

		if (!reply || g_str_has_prefix(reply, "{\"return\""))
			return reply;
		if (g_str_has_prefix(reply, "{\"error\"")) {
			g_printerr("QMP %s: %s\n", json, reply);
			g_free(reply);
			return NULL;
		}
		g_free(reply);
	}
}

static bool qmp(struct machine *m, const char *cmd)
{
	g_autofree char *json = g_strdup_printf("{\"execute\":\"%s\"}", cmd);
	g_autofree char *reply = qmp_exec(m, json);

	return reply != NULL;
}

/* The guest's pass counter: guest-fill.s keeps it in %esi. Read through
 * the monitor because QEMU's display refresh (30 ms) hides how often the
 * guest really redraws, and under TCG the guest may be the limit. */
static bool guest_passes(struct machine *m, uint32_t *out)
{
	g_autofree char *reply = qmp_exec(m, "{\"execute\":\"human-monitor-command\","
					     "\"arguments\":{\"command-line\":\"info registers\"}}");
	const char *p = reply ? strstr(reply, "ESI=") : NULL;

	if (!p)
		return false;
	*out = (uint32_t)g_ascii_strtoull(p + 4, NULL, 16);
	return true;
}

static bool monitor_open(struct machine *m, GError **err)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(m->mon_path);
	g_autofree char *greeting = NULL;

	m->mon = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, err);
	if (!m->mon)
		return false;
	/* Blocking reads, bounded: a wedged QEMU ends the benchmark, not hangs it. */
	g_socket_set_timeout(g_socket_connection_get_socket(m->mon), QMP_TIMEOUT_S);
	m->mon_in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(m->mon)));
	greeting = g_data_input_stream_read_line(m->mon_in, NULL, NULL, err);
	if (!greeting || !strstr(greeting, "\"QMP\"") || !qmp(m, "qmp_capabilities")) {
		if (err && !*err)
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "QMP handshake failed");
		return false;
	}
	return true;
}

static void on_ready(struct he_qemu_vm *vm G_GNUC_UNUSED, const GError *error, void *data)
{
	struct machine *m = data;

	m->ready = true;
	if (error)
		m->error = g_strdup(error->message);
}

static void on_gone(struct he_qemu_vm *vm G_GNUC_UNUSED, const char *reason, void *data)
{
	struct machine *m = data;

	g_printerr("QEMU (mode %u) went away: %s\n", m->mode, reason);
	if (!m->error)
		m->error = g_strdup(reason);
}

static void on_frame_ready(struct he_qemu_console *console G_GNUC_UNUSED, void *data)
{
	struct machine *m = data;

	if (m->cons)
		consumer_damage(m->cons);
}

static const struct he_qemu_callbacks callbacks = {
	.ready = on_ready,
	.gone = on_gone,
	.frame_ready = on_frame_ready,
};

static bool machine_start(struct machine *m, uint16_t w, uint16_t h, GError **err)
{
	if (!machine_spawn(m, w, h, err) || !monitor_open(m, err))
		return false;
	m->vm = he_qemu_vm_attach_qmp(m->qmp_path, REFRESH_MS, &callbacks, m);
	return true;
}

/* Attached, and the guest has switched to its WxH mode. */
static bool machine_booted(struct machine *m, uint16_t w, uint16_t h,
			   struct he_qemu_frame *scratch)
{
	if (!m->ready || m->error)
		return m->error != NULL;
	if (!m->console && !(m->console = he_qemu_vm_get_console(m->vm, 0)))
		return false;
	he_qemu_console_snapshot(m->console, scratch);
	return scratch->width == w && scratch->height == h;
}

/* Boot both side by side; then pause them until their runs. */
static bool machines_boot(struct machine *ms, uint16_t w, uint16_t h)
{
	struct he_qemu_frame scratch[N_MODES] = { HE_QEMU_FRAME_INIT, HE_QEMU_FRAME_INIT };
	int64_t end = g_get_monotonic_time() + BOOT_TIMEOUT_S * G_USEC_PER_SEC;
	bool all = false;

	while (!all && g_get_monotonic_time() < end) {
		spin(200);
		all = true;
		for (unsigned i = 0; i < N_MODES; i++)
			all &= machine_booted(&ms[i], w, h, &scratch[i]);
	}
	for (unsigned i = 0; i < N_MODES; i++) {
		he_qemu_frame_clear(&scratch[i]);
		if (ms[i].error || !machine_booted(&ms[i], w, h, &scratch[i])) {
			g_printerr("QEMU (mode %u) did not show %ux%u within %d s: %s (log: %s)\n",
				   i, w, h, BOOT_TIMEOUT_S, ms[i].error ? ms[i].error : "timeout",
				   ms[i].log_path);
			return false;
		}
		he_qemu_frame_clear(&scratch[i]);
		if (!qmp(&ms[i], "stop"))
			return false;
		ms[i].rss_boot_kb = rss_kb(ms[i].pid);
	}
	return true;
}

static void unlink_free(char *path)
{
	if (path)
		unlink(path);
	g_free(path);
}

static void machine_stop(struct machine *m)
{
	g_clear_pointer(&m->vm, he_qemu_vm_free);
	g_clear_object(&m->mon_in);
	g_clear_object(&m->mon);
	if (m->proc) {
		g_subprocess_send_signal(m->proc, SIGTERM);
		g_subprocess_wait(m->proc, NULL, NULL);
		g_clear_object(&m->proc);
	}
	unlink_free(m->qmp_path);
	unlink_free(m->mon_path);
	unlink_free(m->img_path);
	unlink_free(m->log_path);
	if (m->dir)
		rmdir(m->dir);
	g_free(m->dir);
	g_free(m->error);
}

/* ---- one run --------------------------------------------------------------- */

struct usage {
	int64_t t_us;
	uint32_t passes;
	bool have_passes;
	double self_s, qemu_s, host_s;
	struct he_qemu_stats st;
};

static void usage_take(struct machine *m, struct usage *u)
{
	u->have_passes = guest_passes(m, &u->passes);
	he_qemu_console_get_stats(m->console, &u->st);
	u->t_us = g_get_monotonic_time();
	u->self_s = self_cpu_s();
	u->qemu_s = proc_cpu_s(m->pid);
	u->host_s = host_busy_s();
}

struct sampler {
	int pid;
	long qemu_max, self_max;
};

static gboolean sample_rss(gpointer data)
{
	struct sampler *s = data;

	s->qemu_max = MAX(s->qemu_max, rss_kb(s->pid));
	s->self_max = MAX(s->self_max, rss_kb(getpid()));
	return G_SOURCE_CONTINUE;
}

static void fill_rates(struct result *r, const struct usage *a, const struct usage *b,
		       const struct tally *t)
{
	double secs = (double)(b->t_us - a->t_us) / 1e6;
	uint64_t sc = b->st.scanouts - a->st.scanouts, up = b->st.updates - a->st.updates;

	r->secs = secs;
	r->msgs = (double)(sc + up) / secs;
	r->scanouts = (double)sc / secs;
	r->notifies = (double)(b->st.notifies - a->st.notifies) / secs;
	r->fps = (double)t->aus / secs;
	/* uint32_t arithmetic: the counter may wrap */
	r->passes = a->have_passes && b->have_passes
			    ? (double)(uint32_t)(b->passes - a->passes) / secs
			    : -1.0;
	r->per_msg = r->msgs > 0 ? r->fps / r->msgs : 0.0;
	r->per_notify = r->notifies > 0 ? r->fps / r->notifies : 0.0;
	r->mbytes = (double)(b->st.bytes_in - a->st.bytes_in) / secs / 1e6;
	r->handler_ms = sc + up ? (double)(b->st.scanout_ns - a->st.scanout_ns + b->st.update_ns -
					   a->st.update_ns) / 1e6 / (double)(sc + up)
				: 0.0;
	/* % of one core */
	r->cpu_self = (b->self_s - a->self_s) / secs * 100.0;
	r->cpu_qemu = (b->qemu_s - a->qemu_s) / secs * 100.0;
	r->cpu_host = (b->host_s - a->host_s) / secs * 100.0;
	r->cpu_other = r->cpu_host - r->cpu_self - r->cpu_qemu;
}

static void fill_times(struct result *r, struct tally *t)
{
	r->lat50 = percentile(t->lat_ms, 0.50);
	r->lat99 = percentile(t->lat_ms, 0.99);
	r->snap50 = percentile(t->snap_ms, 0.50);
	r->snap99 = percentile(t->snap_ms, 0.99);
	r->snap_mpx = t->snap_ms->len ? t->copied_px / t->snap_ms->len / 1e6 : 0.0;
}

static void measure(struct machine *m, struct consumer *c, guint seconds, struct result *r)
{
	struct sampler smp = { .pid = m->pid };
	struct usage a, b;
	GSource *timer = g_timeout_source_new(SAMPLE_MS);

	r->rss_start = (double)rss_kb(m->pid) / 1024.0;
	smp.qemu_max = rss_kb(m->pid);
	smp.self_max = rss_kb(getpid());
	g_source_set_callback(timer, sample_rss, &smp, NULL);
	g_source_attach(timer, NULL);
	usage_take(m, &a);
	c->tally.on = true;
	spin(seconds * 1000);
	c->tally.on = false;
	usage_take(m, &b);
	g_source_destroy(timer);
	g_source_unref(timer);
	fill_rates(r, &a, &b, &c->tally);
	fill_times(r, &c->tally);
	r->rss_max = (double)smp.qemu_max / 1024.0;
	r->rss_growth = r->rss_max - r->rss_start;
	r->self_rss_max = (double)smp.self_max / 1024.0;
}

static bool run_one(struct machine *m, bool slow, guint seconds, struct result *r,
		    char *encoder, size_t encoder_size)
{
	struct he_stream_info info;
	struct consumer *c;

	if (!qmp(m, "cont"))
		return false;
	c = consumer_new(m->console, slow, m->mode);
	m->cons = c;
	spin(WARMUP_MS);
	measure(m, c, seconds, r);
	m->cons = NULL;
	qmp(m, "stop");
	he_stream_info(c->stream, &info);
	g_strlcpy(encoder, info.encoder ? info.encoder : "?", encoder_size);
	consumer_free(c);
	return m->error == NULL;
}

/* ---- tables ------------------------------------------------------------ */

struct row {
	const char *label;
	size_t off;
	int prec;
};

struct col {
	unsigned kind, mode;
	const char *title;
};

typedef struct result runs_t[N_KINDS][N_MODES][ROUNDS];

static double field(const struct result *r, size_t off)
{
	return *(const double *)(const void *)((const char *)r + off);
}

static double median_of(const struct result *runs, size_t off, double *lo, double *hi)
{
	double v[ROUNDS];

	for (unsigned i = 0; i < ROUNDS; i++)
		v[i] = field(&runs[i], off);
	qsort(v, ROUNDS, sizeof(double), cmp_double);
	*lo = v[0];
	*hi = v[ROUNDS - 1];
	return v[ROUNDS / 2];
}

static void print_table(const char *title, runs_t *res, const struct row *rows, size_t n_rows,
			const struct col *cols, size_t n_cols)
{
	printf("\n%s\n\n| |", title);
	for (size_t c = 0; c < n_cols; c++)
		printf(" %s |", cols[c].title);
	printf("\n|---|");
	for (size_t c = 0; c < n_cols; c++)
		printf("---|");
	printf("\n");
	for (size_t r = 0; r < n_rows; r++) {
		printf("| %s |", rows[r].label);
		for (size_t c = 0; c < n_cols; c++) {
			double lo, hi;
			double med = median_of((*res)[cols[c].kind][cols[c].mode], rows[r].off, &lo,
					       &hi);
			int p = rows[r].prec;

			printf(" %.*f [%.*f, %.*f] |", p, med, p, lo, p, hi);
		}
		printf("\n");
	}
}

#define ROW(label, member, prec) { label, offsetof(struct result, member), prec }

static const struct col fast_cols[] = {
	{ FAST, 0, "mode 0: whole screen" },
	{ FAST, 1, "mode 1: 64-row band" },
};

static const struct col all_cols[] = {
	{ FAST, 0, "mode 0, every frame" },
	{ FAST, 1, "mode 1, every frame" },
	{ SLOW, 0, "mode 0, slow (1 frame/s)" },
	{ SLOW, 1, "mode 1, slow (1 frame/s)" },
};

static void print_tables(runs_t *res, unsigned w, unsigned h)
{
	static const struct row rate[] = {
		ROW("guest redraw passes/s (its %esi, via QMP)", passes, 1),
		ROW("QEMU Scanout+Update messages/s", msgs, 1),
		ROW("of which Scanout/s", scanouts, 1),
		ROW("frame_ready/s (client; ≤ 1 per 16 ms)", notifies, 1),
		ROW("frames encoded/s (libx264, at the output)", fps, 1),
		ROW("encoded / messages", per_msg, 2),
		ROW("encoded / frame_ready", per_notify, 2),
		ROW("pixel payload from QEMU, MB/s", mbytes, 0),
	};
	static const struct row lat[] = {
		ROW("frame_ready → access unit at the output, p50", lat50, 1),
		ROW("frame_ready → access unit at the output, p99", lat99, 1),
		ROW("snapshot copy (he_qemu_console_snapshot), p50", snap50, 2),
		ROW("snapshot copy (he_qemu_console_snapshot), p99", snap99, 2),
		ROW("pixels a snapshot copied, mean, Mpixel", snap_mpx, 2),
		ROW("listener handler per message, mean (before frame_ready; not above)",
		    handler_ms, 2),
	};
	static const struct row cpu[] = {
		ROW("this process (client + encoder), user+sys", cpu_self, 0),
		ROW("QEMU (utime+stime)", cpu_qemu, 0),
		ROW("whole host, all processes (2 cores = 200)", cpu_host, 0),
		ROW("others (host − this − QEMU)", cpu_other, 0),
	};
	static const struct row mem[] = {
		ROW("QEMU VmRSS at the start of the run, MiB", rss_start, 1),
		ROW("QEMU VmRSS max during the run, MiB", rss_max, 1),
		ROW("QEMU VmRSS growth (max − start), MiB", rss_growth, 1),
		ROW("this process VmRSS max, MiB", self_rss_max, 1),
		ROW("QEMU messages/s meanwhile", msgs, 1),
		ROW("frames encoded/s", fps, 1),
	};
	g_autofree char *t1 = g_strdup_printf("### Throughput, %ux%u, consumer encoding every "
					      "frame_ready", w, h);

	print_table(t1, res, rate, G_N_ELEMENTS(rate), fast_cols, G_N_ELEMENTS(fast_cols));
	print_table("### Added latency, ms (from frame_ready, when the shadow already holds the "
		    "damage; QEMU's own send→handler time is not in it: only QEMU can measure it)",
		    res, lat, G_N_ELEMENTS(lat), fast_cols, G_N_ELEMENTS(fast_cols));
	print_table("### CPU, % of one core", res, cpu, G_N_ELEMENTS(cpu), all_cols,
		    G_N_ELEMENTS(all_cols));
	print_table("### Memory: does QEMU stay bounded when the consumer is slow?", res, mem,
		    G_N_ELEMENTS(mem), all_cols, G_N_ELEMENTS(all_cols));
}

static double median_field(const struct result *runs, size_t off)
{
	double lo, hi;

	return median_of(runs, off, &lo, &hi);
}

#define MEDIAN(runs, f) median_field(runs, offsetof(struct result, f))

/* Who held the frame rate back, from the medians: the guest, QEMU's
 * refresh, or hostencd (frame_ready it did not turn into frames). */
static const char *limit_of(const struct result *r)
{
	if (MEDIAN(r, per_notify) < 0.95)
		return "hostencd (it encoded fewer frames than frame_ready announced)";
	if (MEDIAN(r, passes) >= 0 && MEDIAN(r, passes) < 30.0)
		return "the guest (it redrew fewer than 30 times a second under TCG)";
	return "QEMU (the guest redrew faster than QEMU refreshed its display)";
}

/* QEMU has no back-pressure: had the client stopped draining, QEMU would
 * have queued every byte it sent, so the worst growth is compared with
 * that; 64 MiB is a few 1080p messages' worth of its own buffers. */
#define RSS_BOUND_MIB 64.0

static void print_memory_verdict(runs_t *res)
{
	for (unsigned mode = 0; mode < N_MODES; mode++) {
		double grow = 0.0, sent = 0.0;

		for (unsigned i = 0; i < ROUNDS; i++) {
			const struct result *r = &(*res)[SLOW][mode][i];

			grow = MAX(grow, r->rss_growth);
			sent = MAX(sent, r->mbytes * 1e6 * r->secs / (1024.0 * 1024.0));
		}
		printf("- mode %u, slow consumer (1 frame/s): QEMU VmRSS grew by at most %.1f MiB "
		       "in a run in which it sent up to %.0f MiB of pixels: %s.\n",
		       mode, grow, sent, grow < RSS_BOUND_MIB ? "bounded" : "GROWING");
	}
}

/* The goal, judged on the medians of the fast runs. */
static void print_verdict(runs_t *res)
{
	const double frame_ms = 1000.0 / 30.0;

	printf("\n### Goal: ≥ 30 fps and ≤ 1 frame (%.1f ms at 30 fps) of added latency\n\n",
	       frame_ms);
	for (unsigned mode = 0; mode < N_MODES; mode++) {
		const struct result *r = (*res)[FAST][mode];
		double fps = MEDIAN(r, fps), p50 = MEDIAN(r, lat50), p99 = MEDIAN(r, lat99);

		printf("- mode %u: %.1f frames/s encoded: %s. Guest %.1f passes/s, QEMU %.1f "
		       "messages/s, %.0f %% of frame_ready encoded; limit: %s. Added latency p50 "
		       "%.1f ms: %s; p99 %.1f ms: %s. Host CPU busy %.0f %% of 200 %% (others "
		       "%.0f %%).\n",
		       mode, fps, fps >= 30.0 ? "met" : "NOT met", MEDIAN(r, passes),
		       MEDIAN(r, msgs), MEDIAN(r, per_notify) * 100.0, limit_of(r), p50,
		       p50 <= frame_ms ? "met" : "NOT met", p99, p99 <= frame_ms ? "met" : "NOT met",
		       MEDIAN(r, cpu_host), MEDIAN(r, cpu_other));
	}
	print_memory_verdict(res);
}

/* ---- main -------------------------------------------------------------- */

static char *first_line_of(const char *cmdline)
{
	g_autofree char *out = NULL;
	char *nl;

	if (!g_spawn_command_line_sync(cmdline, &out, NULL, NULL, NULL) || !out)
		return g_strdup("?");
	if ((nl = strchr(out, '\n')))
		*nl = '\0';
	return g_strdup(out);
}

static char *cpu_model(void)
{
	g_autofree char *text = NULL;
	const char *p;
	const char *colon;

	if (!g_file_get_contents("/proc/cpuinfo", &text, NULL, NULL) ||
	    !(p = strstr(text, "model name")) || !(colon = strchr(p, ':')))
		return g_strdup("?");
	return g_strndup(colon + 2, strcspn(colon + 2, "\n"));
}

static char *loadavg(void)
{
	g_autofree char *text = NULL;

	if (!g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
		return g_strdup("?");
	return g_strndup(text, 14);
}

static void print_header(guint seconds, unsigned w, unsigned h)
{
	g_autofree char *qv = first_line_of(QEMU " --version");
	g_autofree char *model = cpu_model();
	g_autofree char *load = loadavg();

	printf("## VM display: QEMU D-Bus display → hostencd → libx264, %ux%u\n\n", w, h);
	printf("%s, TCG; %ld cores (%s); load average at start %s.\n", qv,
	       sysconf(_SC_NPROCESSORS_ONLN), model, load);
	printf("Runs of %u s after %d ms of warm-up, interleaved: mode 0, mode 1 (every "
	       "frame_ready encoded), mode 0, mode 1 (one frame a second), %d rounds; the guest "
	       "not measured is paused. Cells: median [min, max] of %d runs. frame_ready at "
	       "most every %d ms, %d snapshot buffers, as hostencd. Mode 1 pauses %u loop "
	       "iterations between passes.\n",
	       seconds, WARMUP_MS, ROUNDS, ROUNDS, REFRESH_MS, SLOTS, BAND_DELAY);
}

static bool parse_args(int argc, char **argv, guint *seconds, unsigned *w, unsigned *h)
{
	if (argc > 1)
		*seconds = (guint)g_ascii_strtoull(argv[1], NULL, 10);
	if (argc > 2 && sscanf(argv[2], "%ux%u", w, h) != 2)
		return false;
	return argc <= 3 && *seconds >= 1 && *seconds <= MAX_SECONDS && *w >= 64 && *h >= 128 &&
	       *w <= 2560 && *h <= 1600;
}

static bool run_all(struct machine *ms, guint seconds, runs_t *res, char *enc, size_t enc_size)
{
	for (unsigned round = 0; round < ROUNDS; round++)
		for (unsigned kind = 0; kind < N_KINDS; kind++)
			for (unsigned mode = 0; mode < N_MODES; mode++) {
				g_printerr("round %u/%u: mode %u, %s consumer\n", round + 1, ROUNDS,
					   mode, kind == SLOW ? "slow" : "fast");
				if (!run_one(&ms[mode], kind == SLOW, seconds,
					     &(*res)[kind][mode][round], enc, enc_size))
					return false;
			}
	return true;
}

int main(int argc, char **argv)
{
	struct machine ms[N_MODES] = { { .mode = 0 }, { .mode = 1 } };
	static runs_t res;
	g_autofree char *load = NULL;
	guint seconds = 10;
	unsigned w = 1920, h = 1080;
	char encoder[32] = "?";
	bool ok = true;

	if (!parse_args(argc, argv, &seconds, &w, &h)) {
		/* 2560x1600 fits the guest's VBE framebuffer (16 MiB of std VGA). */
		fprintf(stderr, "usage: %s [SECONDS 1..%d] [WxH, up to 2560x1600]\n", argv[0],
			MAX_SECONDS);
		return 2;
	}
	print_header(seconds, w, h);
	fflush(stdout);
	for (unsigned i = 0; i < N_MODES && ok; i++) {
		g_autoptr(GError) err = NULL;

		ok = machine_start(&ms[i], (uint16_t)w, (uint16_t)h, &err);
		if (!ok)
			g_printerr("QEMU (mode %u): %s\n", i, err ? err->message : "?");
	}
	ok = ok && machines_boot(ms, (uint16_t)w, (uint16_t)h);
	if (ok)
		printf("QEMU VmRSS after boot: mode 0 %.1f MiB, mode 1 %.1f MiB.\n",
		       ms[0].rss_boot_kb / 1024.0, ms[1].rss_boot_kb / 1024.0);
	ok = ok && run_all(ms, seconds, &res, encoder, sizeof(encoder));
	for (unsigned i = 0; i < N_MODES; i++)
		machine_stop(&ms[i]);
	if (!ok)
		return 1;
	load = loadavg();
	printf("Encoder: %s. Load average at the end: %s.\n", encoder, load);
	print_tables(&res, w, h);
	print_verdict(&res);
	return 0;
}
