/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hostencd-run.h
 * A hostencd process for the tail-latency, scale and idle benchmarks:
 * started with any extra options on a private unix socket (optionally with
 * a shared-memory region and a web port), its CPU time and memory read
 * from /proc while it runs. Errors are printed on stderr.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct bench_hostencd {
	pid_t pid;
	char *dir;        /* private directory: socket, region */
	char *sock;       /* unix socket guests connect to */
	char *region;     /* shared-memory region file (--shm), or NULL */
	uint8_t *map;     /* the region, mapped read-write */
	uint64_t map_size;
	uint16_t http_port; /* web port on 127.0.0.1 (--no-token), 0 = none */
};

/** What to start. */
struct bench_hostencd_config {
	const char *bin;          /* path of hostencd */
	uint64_t region_size;     /* bytes of shared memory to offer, 0 = none */
	bool http;                /* serve the web port */
	const char *const *extra; /* more options, NULL-terminated, may be NULL */
};

/**
 * Start hostencd (--no-pattern --no-vms --max-sessions=64 on a unix socket
 * in a new directory under /dev/shm, plus @p cfg) and wait until the socket
 * accepts connections. @return it, or NULL (message printed).
 */
struct bench_hostencd *bench_hostencd_start(const struct bench_hostencd_config *cfg);

/** SIGTERM, wait, remove its files; NULL is ignored. */
void bench_hostencd_stop(struct bench_hostencd *h);

/** A connected unix socket to @p h, or -1 (message printed). */
int bench_hostencd_connect(const struct bench_hostencd *h);

/** User + system CPU seconds of @p pid (all threads) so far; < 0 on error. */
double bench_proc_cpu_s(pid_t pid);

/** Resident memory of @p pid, KiB (from /proc/PID/status). */
struct bench_proc_mem {
	long rss, anon, file, shmem; /* VmRSS, RssAnon, RssFile, RssShmem; -1 unknown */
};
struct bench_proc_mem bench_proc_mem(pid_t pid);

/** The 1-minute load average, or -1. */
double bench_loadavg(void);
