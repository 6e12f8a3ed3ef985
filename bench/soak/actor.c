/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every actor shares: the run's clock, logging and counting errors,
 * the disconnect requests of the scheduler, its producer's state. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "soak.h"

const char *soak_disconnect_name(enum soak_disconnect m)
{
	static const char *const names[] = {
		[SOAK_DISC_NONE] = "none", [SOAK_DISC_CLEAN] = "clean", [SOAK_DISC_FIN] = "fin",
		[SOAK_DISC_RST] = "rst", [SOAK_DISC_MID] = "mid-message",
	};

	return m < SOAK_DISC_MODES ? names[m] : "?";
}

double soak_now_s(const struct soak *s)
{
	return (double)(g_get_monotonic_time() - s->t0_us) / 1e6;
}

void soak_log(const struct soak *s, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "[%7.1f s] %s\n", soak_now_s(s), text);
}

void soak_error(struct soak_actor *a, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	unsigned n;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_atomic_int_inc(&a->n.errors);
	g_mutex_lock(&a->lock);
	g_strlcpy(a->last_error, text, sizeof(a->last_error));
	n = a->logged++;
	g_mutex_unlock(&a->lock);
	if (n < 20 || n % 100 == 0)
		soak_log(a->soak, "%s: ERROR: %s", a->name, text);
}

bool soak_stopping(const struct soak *s)
{
	return g_atomic_int_get(&s->stop) != 0;
}

bool soak_sleep_ms(const struct soak *s, int ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;

	while (!soak_stopping(s)) {
		int64_t left = end - g_get_monotonic_time();

		if (left <= 0)
			return true;
		g_usleep((gulong)MIN(left, 50000));
	}
	return false;
}

int32_t soak_random(struct soak *s, int32_t lo, int32_t hi)
{
	int32_t v;

	g_mutex_lock(&s->rand_lock);
	v = g_rand_int_range(s->rand, lo, hi + 1);
	g_mutex_unlock(&s->rand_lock);
	return v;
}

bool soak_daemon_alive(struct soak *s)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)s->pid);
	g_autofree char *text = NULL;
	const char *p;

	if (g_atomic_int_get(&s->daemon_dead))
		return false;
	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')) ||
	    p[1] != ' ' || p[2] == 'Z' || p[2] == 'X') {
		g_atomic_int_set(&s->daemon_dead, 1);
		return false;
	}
	return true;
}

enum soak_disconnect soak_take_request(struct soak_actor *a, int *gap_ms)
{
	int m = g_atomic_int_exchange(&a->request, 0);

	if (gap_ms)
		*gap_ms = g_atomic_int_get(&a->gap_ms);
	return (enum soak_disconnect)m;
}

bool soak_producer_up(const struct soak_actor *a, int *epoch)
{
	if (!a->producer) {
		if (epoch)
			*epoch = 0;
		return true;
	}
	if (epoch)
		*epoch = g_atomic_int_get(&a->producer->epoch);
	return g_atomic_int_get(&a->producer->up) != 0;
}
