/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-guest-cpu: what a guest pays, in its own CPU time, to get one 1080p
 * frame encoded, side by side in one run (A B C D E, A B C D E, ...):
 *
 *   base    videotestsrc ! fakesink            (drawing the picture only)
 *   pool    ... ! vsockenc, ring, slots as buffers (videotestsrc draws into
 *           shared memory: no copy)
 *   copy    ... ! vsockenc pool=false, ring    (one copy into a slot)
 *   inline  ... ! vsockenc over TCP, no ring   (the frame on the socket)
 *   x264    ... ! videoconvert ! x264enc       (the seed's fallback: encode
 *           in the guest)
 *
 * Each row's CPU is the pipeline process's user+system time (the children
 * times of a shell, /proc/PID/stat; getrusage on the host), taken at two
 * frame counts: the slope (cpu(4N) - cpu(N)) / 3N is the cost per frame
 * without start-up, and the base row's slope (drawing the picture) is
 * subtracted from the others. Run twice: inside the demo guest booted by
 * hostenc-vm (TCG here: every number is inflated by the emulation, the
 * ratios are what carry over), and on this host against a local hostencd
 * (unix socket, --shm file): what a KVM guest would see.
 *
 * Usage: bench-guest-cpu [FRAMES [ROUNDS]]   (defaults 10 and 3: N = FRAMES
 * in the guest, 3 x FRAMES on the host; x264 in the guest N = FRAMES / 3)
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../tests/vm/guest-vm.h"

#define PORT_NAME "org.hostenc.hxfr.0"
#define CAPS "video/x-raw,format=BGRx,width=1920,height=1080,framerate=30/1"
#define N_ROWS 5

static const char *const row_names[N_ROWS] = { "base", "pool", "copy", "inline", "x264" };

/* The pipeline of row @r, to @host (an HXFR address) with @frames frames. */
static char *
pipeline(int r, const char *host, const char *shm, unsigned frames)
{
	const char *src = "videotestsrc pattern=smpte";

	switch (r) {
	case 0:
		return g_strdup_printf("gst-launch-1.0 -q %s num-buffers=%u ! " CAPS
				       " ! fakesink", src, frames);
	case 1:
	case 2:
		return g_strdup_printf("gst-launch-1.0 -q %s num-buffers=%u ! " CAPS
				       " ! vsockenc host=%s shm-path=%s pool=%s ! fakesink",
				       src, frames, host, shm, r == 1 ? "true" : "false");
	case 3:
		return g_strdup_printf("gst-launch-1.0 -q %s num-buffers=%u ! " CAPS
				       " ! vsockenc host=%s ! fakesink", src, frames, host);
	default:
		return g_strdup_printf("gst-launch-1.0 -q %s num-buffers=%u ! " CAPS
				       " ! videoconvert ! x264enc speed-preset=ultrafast "
				       "tune=zerolatency ! fakesink", src, frames);
	}
}

/* user+system ticks of the children, from the last line of @out
 * (a /proc/PID/stat: fields 16 and 17 after the command name) */
static double
children_cpu_s(const char *out)
{
	const char *paren = strrchr(out, ')');
	long cutime = 0, cstime = 0;
	int field = 2;

	if (!paren)
		return -1;
	for (const char *p = paren + 1; *p && field < 17; p++) {
		if (*p != ' ')
			continue;
		field++;
		if (field == 16)
			cutime = strtol(p + 1, NULL, 10);
		if (field == 17)
			cstime = strtol(p + 1, NULL, 10);
	}
	return (double)(cutime + cstime) / (double)sysconf(_SC_CLK_TCK);
}

static double
guest_cpu(GuestVm *vm, const char *cmd)
{
	g_autofree char *line = g_strdup_printf(
		"sh -c '%s >/tmp/bench.log 2>&1 || echo FAILED; cat /proc/$$/stat'", cmd);
	g_autofree char *out = guest_vm_run(vm, line, 900, NULL);

	if (strstr(out, "FAILED")) {
		g_autofree char *log = guest_vm_run(vm, "cat /tmp/bench.log", 30, NULL);

		g_error("in the guest: %s failed:\n%s", cmd, log);
	}
	return children_cpu_s(out);
}

static double
host_cpu(const char *cmd, char **envp)
{
	struct rusage a, b;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) argv = NULL;
	int status = 0;

	g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
	getrusage(RUSAGE_CHILDREN, &a);
	if (!g_spawn_sync(NULL, argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
			  G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error) ||
	    !g_spawn_check_wait_status(status, NULL))
		g_error("on the host: %s failed", cmd);
	getrusage(RUSAGE_CHILDREN, &b);
	return (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec + b.ru_stime.tv_sec -
			a.ru_stime.tv_sec) +
	       (double)(b.ru_utime.tv_usec - a.ru_utime.tv_usec + b.ru_stime.tv_usec -
			a.ru_stime.tv_usec) / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Per-frame ms of each row over the rounds (slopes, s per frame): median,
 * min, max; rows but the base minus the base's slope of the same round. */
static void
report(const char *where, double slope[][N_ROWS], unsigned rounds, const unsigned *frames)
{
	double med[N_ROWS];

	printf("\n%s: CPU per 1080p frame (ms), %u rounds\n", where, rounds);
	printf("| row | median | min | max | frames (N, 4N) |\n|---|---|---|---|---|\n");
	for (int r = 0; r < N_ROWS; r++) {
		double v[16];

		for (unsigned i = 0; i < rounds; i++)
			v[i] = (r == 0 ? slope[i][0] : slope[i][r] - slope[i][0]) * 1e3;
		qsort(v, rounds, sizeof(double), cmp_double);
		med[r] = v[rounds / 2];
		printf("| %s | %.2f | %.2f | %.2f | %u, %u |\n",
		       r == 0 ? "base (drawing the picture; absolute)" : row_names[r], med[r], v[0],
		       v[rounds - 1], frames[r], 4 * frames[r]);
	}
	printf("x264 / pool: %.1fx; pool / copy: %.2f; inline / pool: %.1fx\n",
	       med[4] / MAX(med[1], 0.01), med[1] / MAX(med[2], 0.01), med[3] / MAX(med[1], 0.01));
}

static GPid
start_hostencd(const char *hostencd, const char *const *args, const char *log, unsigned *port)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	GPid pid;
	int fd = g_open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	g_ptr_array_add(argv, (gpointer)hostencd);
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, (gpointer)*a);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_async_with_fds(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
				    &pid, -1, fd, fd, &error))
		g_error("hostencd: %s", error->message);
	close(fd);
	for (;;) {
		g_autofree char *text = NULL;
		const char *at;

		g_file_get_contents(log, &text, NULL, NULL);
		if (text && (at = strstr(text, "listening for guests on tcp:127.0.0.1:")) &&
		    strstr(text, "ready")) {
			*port = (unsigned)atoi(at + strlen("listening for guests on tcp:127.0.0.1:"));
			return pid;
		}
		if (g_get_monotonic_time() > deadline)
			g_error("hostencd did not start; see %s", log);
		g_usleep(50000);
	}
}

static void
make_plugin_dir(const char *dir)
{
	static const char *const system[] = { "libgstcoreelements.so", "libgstvideotestsrc.so",
		"libgstvideoconvertscale.so", "libgstx264.so" };

	g_mkdir(dir, 0755);
	for (size_t i = 0; i < G_N_ELEMENTS(system); i++) {
		g_autofree char *from = g_build_filename(GST_SYSTEM_PLUGINS, system[i], NULL);
		g_autofree char *to = g_build_filename(dir, system[i], NULL);

		if (symlink(from, to) < 0)
			g_error("symlink %s: %s", to, g_strerror(errno));
	}
	{
		g_autofree char *from = g_build_filename(VSOCKENC_PLUGIN_DIR, "libgsthostenc.so", NULL);
		g_autofree char *to = g_build_filename(dir, "libgsthostenc.so", NULL);

		if (symlink(from, to) < 0)
			g_error("symlink %s: %s", to, g_strerror(errno));
	}
}

static unsigned
frames_of(int r, unsigned frames)
{
	return r == 4 ? MAX(frames / 3, 3u) : frames; /* x264 is slow in TCG */
}

int
main(int argc, char **argv)
{
	unsigned frames = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
	unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 3;
	g_autoptr(GError) error = NULL;
	GuestVm vm = { 0 };
	double guest[16][N_ROWS], host[16][N_ROWS];
	unsigned nframes[N_ROWS], hframes[N_ROWS];
	g_autofree char *plugins = NULL, *log = NULL, *shm = NULL, *shm_opt = NULL;
	g_autofree char *vmdir_opt = NULL, *env = NULL, *sock = NULL, *sock_opt = NULL;
	g_autofree char *host_log = NULL, *host_shm = NULL, *host_shm_opt = NULL;
	g_autofree char *tcp = NULL, *unix_addr = NULL;
	g_auto(GStrv) host_env = NULL;
	unsigned port = 0, local_port = 0;
	GPid hostencd, local;
	const char *why = guest_vm_unavailable();

	if (why) {
		fprintf(stderr, "bench-guest-cpu: %s\n", why);
		return 77;
	}
	rounds = CLAMP(rounds, 1u, 15u);
	for (int r = 0; r < N_ROWS; r++) {
		nframes[r] = frames_of(r, frames);
		hframes[r] = 3 * frames;
	}
	vm.tmp = g_dir_make_tmp("hostenc-guest-bench-XXXXXX", &error);
	g_assert_no_error(error);
	plugins = g_build_filename(vm.tmp, "gst-plugins", NULL);
	make_plugin_dir(plugins);

	guest_vm_spawn(&vm, HOSTENC_VM_BIN, "bench", (const char *const[]){ "--memory", "2048", NULL });
	if (!guest_vm_wait_booted(&vm, g_get_monotonic_time() + 120 * G_USEC_PER_SEC, &error))
		g_error("the demo guest did not boot: %s", error->message);
	log = g_build_filename(vm.tmp, "hostencd.log", NULL);
	shm = g_build_filename(vm.dir, "ivshmem", NULL);
	shm_opt = g_strdup_printf("--shm=%s", shm);
	vmdir_opt = g_strdup_printf("--vm-dir=%s", vm.vm_root);
	hostencd = start_hostencd(HOSTENCD, (const char *const[]){ "--listen=tcp:127.0.0.1:0",
				  vmdir_opt, shm_opt, "--no-pattern", NULL }, log, &port);
	env = g_strdup_printf("export GST_PLUGIN_SYSTEM_PATH_1_0=%s GST_PLUGIN_PATH_1_0= "
			      "GST_REGISTRY_1_0=/tmp/gst-registry.bin GST_REGISTRY_FORK=no",
			      plugins);
	g_free(guest_vm_run(&vm, env, 30, NULL));
	g_free(guest_vm_run(&vm, "gst-inspect-1.0 vsockenc >/dev/null 2>&1", 120, NULL));

	/* the same rows on this host, against a local hostencd */
	sock = g_build_filename(vm.tmp, "hostencd.sock", NULL);
	sock_opt = g_strdup_printf("--listen=unix:%s", sock);
	host_shm = g_build_filename(vm.tmp, "host-shm", NULL);
	{
		int fd = g_open(host_shm, O_RDWR | O_CREAT, 0600);

		g_assert_cmpint(ftruncate(fd, 64 << 20), ==, 0);
		close(fd);
	}
	host_shm_opt = g_strdup_printf("--shm=%s", host_shm);
	host_log = g_build_filename(vm.tmp, "hostencd-local.log", NULL);
	local = start_hostencd(HOSTENCD, (const char *const[]){ "--listen=tcp:127.0.0.1:0",
			       sock_opt, host_shm_opt, "--no-vms", "--no-pattern", NULL },
			       host_log, &local_port);
	unix_addr = g_strdup_printf("unix:%s", sock);
	host_env = g_environ_setenv(g_get_environ(), "GST_PLUGIN_SYSTEM_PATH_1_0", plugins, TRUE);
	host_env = g_environ_setenv(host_env, "GST_PLUGIN_PATH_1_0", "", TRUE);

	tcp = g_strdup_printf("tcp:10.0.2.2:%u", port);
	for (unsigned i = 0; i < rounds; i++) {
		for (int r = 0; r < N_ROWS; r++) {
			const char *to = r == 3 ? tcp : "serial:" PORT_NAME;
			g_autofree char *g1 = pipeline(r, to, "auto", nframes[r]);
			g_autofree char *g4 = pipeline(r, to, "auto", 4 * nframes[r]);
			g_autofree char *h1 = pipeline(r, unix_addr, host_shm, hframes[r]);
			g_autofree char *h4 = pipeline(r, unix_addr, host_shm, 4 * hframes[r]);
			double c1 = guest_cpu(&vm, g1), c4 = guest_cpu(&vm, g4);
			double d1 = host_cpu(h1, host_env), d4 = host_cpu(h4, host_env);

			guest[i][r] = (c4 - c1) / (3.0 * nframes[r]);
			host[i][r] = (d4 - d1) / (3.0 * hframes[r]);
			fprintf(stderr, "round %u %-6s guest %.2f/%.2f s, host %.3f/%.3f s\n", i + 1,
				row_names[r], c1, c4, d1, d4);
		}
	}
	report("inside the demo guest (TCG)", guest, rounds, nframes);
	report("on this host (native; what a KVM guest pays)", host, rounds, hframes);

	kill(hostencd, SIGTERM);
	kill(local, SIGTERM);
	guest_vm_stop(&vm);
	return 0;
}
