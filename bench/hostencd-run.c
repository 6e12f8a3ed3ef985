/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A hostencd process for benchmarks, see hostencd-run.h. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostencd-run.h"

static int connect_path(const char *path, int attempts)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	for (int i = 0; fd >= 0 && i < attempts; i++) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		g_usleep(50000);
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

int bench_hostencd_connect(const struct bench_hostencd *h)
{
	int fd = connect_path(h->sock, 1);

	if (fd < 0)
		fprintf(stderr, "cannot connect to hostencd at %s: %s\n", h->sock, g_strerror(errno));
	return fd;
}

static int make_region(struct bench_hostencd *h, uint64_t size)
{
	int fd;

	h->region = g_build_filename(h->dir, "region", NULL);
	fd = open(h->region, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		fprintf(stderr, "cannot create %s: %s\n", h->region, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	h->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h->map == MAP_FAILED) {
		h->map = NULL;
		fprintf(stderr, "mmap %s: %s\n", h->region, g_strerror(errno));
		return -1;
	}
	h->map_size = size;
	return 0;
}

/* A port that was free a moment ago. */
static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static GPtrArray *make_argv(const struct bench_hostencd_config *cfg, struct bench_hostencd *h)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(argv, g_strdup(cfg->bin));
	g_ptr_array_add(argv, g_strdup_printf("--listen=unix:%s", h->sock));
	g_ptr_array_add(argv, g_strdup("--no-pattern"));
	g_ptr_array_add(argv, g_strdup("--no-vms"));
	g_ptr_array_add(argv, g_strdup("--max-sessions=64"));
	if (h->region)
		g_ptr_array_add(argv, g_strdup_printf("--shm=%s", h->region));
	if (h->http_port) {
		g_ptr_array_add(argv, g_strdup_printf("--http=127.0.0.1:%u", h->http_port));
		g_ptr_array_add(argv, g_strdup("--no-token"));
	}
	for (const char *const *e = cfg->extra; e && *e; e++)
		g_ptr_array_add(argv, g_strdup(*e));
	g_ptr_array_add(argv, NULL);
	return argv;
}

static int spawn(struct bench_hostencd *h, char **argv)
{
	GError *err = NULL;
	GPid pid;
	g_autofree char *log = g_build_filename(h->dir, "hostencd.log", NULL);
	int fd = open(log, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		fprintf(stderr, "cannot create %s: %s\n", log, g_strerror(errno));
		return -1;
	}
	/* hostencd's log goes to a file in its directory (shown on failure). */
	if (!g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
				    -1, fd, fd, &err)) {
		fprintf(stderr, "cannot start %s: %s\n", argv[0], err->message);
		g_error_free(err);
		close(fd);
		return -1;
	}
	close(fd);
	h->pid = pid;
	return 0;
}

static void print_log(const struct bench_hostencd *h)
{
	g_autofree char *log = g_build_filename(h->dir, "hostencd.log", NULL);
	g_autofree char *text = NULL;

	if (g_file_get_contents(log, &text, NULL, NULL))
		fprintf(stderr, "--- hostencd log ---\n%s--- end ---\n", text);
}

struct bench_hostencd *bench_hostencd_start(const struct bench_hostencd_config *cfg)
{
	struct bench_hostencd *h = g_new0(struct bench_hostencd, 1);
	g_autoptr(GPtrArray) argv = NULL;
	int fd;

	h->pid = -1;
	/* In memory: the region's pages never go to a disk. */
	h->dir = g_strdup("/dev/shm/hostenc-bench-XXXXXX");
	if (!g_mkdtemp(h->dir)) {
		g_free(h->dir);
		h->dir = g_dir_make_tmp("hostenc-bench-XXXXXX", NULL);
	}
	if (!h->dir) {
		fprintf(stderr, "cannot make a temporary directory\n");
		goto fail;
	}
	h->sock = g_build_filename(h->dir, "hostencd.sock", NULL);
	if (cfg->region_size && make_region(h, cfg->region_size) < 0)
		goto fail;
	if (cfg->http && !(h->http_port = free_port())) {
		fprintf(stderr, "no free TCP port on 127.0.0.1\n");
		goto fail;
	}
	argv = make_argv(cfg, h);
	if (spawn(h, (char **)argv->pdata) < 0)
		goto fail;
	fd = connect_path(h->sock, 300); /* up to 15 s on a busy machine */
	if (fd < 0) {
		fprintf(stderr, "hostencd did not listen on %s\n", h->sock);
		print_log(h);
		goto fail;
	}
	close(fd);
	return h;

fail:
	bench_hostencd_stop(h);
	return NULL;
}

static void remove_dir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		g_unlink(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

void bench_hostencd_stop(struct bench_hostencd *h)
{
	if (!h)
		return;
	if (h->pid > 0) {
		int status = 0;

		kill(h->pid, SIGTERM);
		waitpid(h->pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "hostencd ended with status 0x%x\n", status);
			print_log(h);
		}
	}
	if (h->map)
		munmap(h->map, h->map_size);
	if (h->dir)
		remove_dir(h->dir);
	g_free(h->dir);
	g_free(h->sock);
	g_free(h->region);
	g_free(h);
}

double bench_proc_cpu_s(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	unsigned long long ut, st;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
		return -1;
	/* after ") ": state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long status_kib(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

struct bench_proc_mem bench_proc_mem(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	struct bench_proc_mem m = { -1, -1, -1, -1 };

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return m;
	m.rss = status_kib(text, "\nVmRSS:");
	m.anon = status_kib(text, "\nRssAnon:");
	m.file = status_kib(text, "\nRssFile:");
	m.shmem = status_kib(text, "\nRssShmem:");
	return m;
}

double bench_loadavg(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : -1;
}
