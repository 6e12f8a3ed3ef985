/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file stats.h
 * Small statistics for benchmark tables: percentiles of per-frame samples,
 * and median [min, max] over rounds.
 */
#pragma once

#include <stddef.h>

/** The @p q quantile (0..1, nearest rank) of @p v; sorts @p v. 0 when n = 0. */
double bench_quantile(double *v, size_t n, double q);

/** Median and range of values over rounds (NaN values are left out). */
struct bench_spread {
	double median, min, max;
	size_t n; /* values counted */
};

/** Summarise @p n values (not modified). */
struct bench_spread bench_spread_of(const double *v, size_t n);

/** Monotonic clock, seconds. */
double bench_now(void);

/** This thread's CPU time, seconds. */
double bench_thread_cpu(void);

/** This process's CPU time (all threads), seconds. */
double bench_process_cpu(void);

/** CPU time (user + system) of process @p pid so far, seconds, from
 * /proc/PID/stat (clock-tick resolution); NaN when unreadable. */
double bench_pid_cpu(int pid);
