/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Percentiles, spreads and clocks, see stats.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_quantile(double *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)ceil(q * (double)n);
	return v[k ? k - 1 : 0];
}

struct bench_spread bench_spread_of(const double *v, size_t n)
{
	struct bench_spread s = { NAN, NAN, NAN, 0 };
	double *w = malloc((n ? n : 1) * sizeof(*w));

	if (!w)
		return s;
	for (size_t i = 0; i < n; i++) {
		if (!isnan(v[i]))
			w[s.n++] = v[i];
	}
	if (s.n) {
		qsort(w, s.n, sizeof(*w), cmp_double);
		s.min = w[0];
		s.max = w[s.n - 1];
		s.median = s.n % 2 ? w[s.n / 2] : (w[s.n / 2 - 1] + w[s.n / 2]) / 2;
	}
	free(w);
	return s;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

double bench_thread_cpu(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

double bench_process_cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

double bench_pid_cpu(int pid)
{
	char path[64], buf[1024];
	unsigned long utime, stime;
	const char *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return NAN;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* after the command name, which may hold spaces */
	/* fields 3 .. 13, then utime (14) and stime (15) */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
			 &stime) != 2)
		return NAN;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}
