/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-thread scheduling priority on Linux: setpriority() on a thread id
 * sets that thread's nice value alone, and pthread_setschedparam() its
 * policy; threads started afterwards inherit both. */
#define G_LOG_DOMAIN "hostenc.stream"
#include "thread-priority.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib.h>

static const char *const names[] = {
	[HE_PRIORITY_HIGH] = "high",
	[HE_PRIORITY_NORMAL] = "normal",
	[HE_PRIORITY_REALTIME] = "realtime",
};

const char *he_thread_priority_name(enum he_thread_priority p)
{
	return (unsigned)p < G_N_ELEMENTS(names) ? names[p] : "?";
}

int he_thread_priority_from_name(const char *name)
{
	for (unsigned i = 0; name && i < G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

static bool set_nice(int *err)
{
	pid_t tid = gettid();

	errno = 0;
	if (getpriority(PRIO_PROCESS, (id_t)tid) <= HE_PRIORITY_NICE && errno == 0)
		return true; /* already there (or higher): never lower it */
	if (setpriority(PRIO_PROCESS, (id_t)tid, HE_PRIORITY_NICE) == 0)
		return true;
	*err = errno;
	return false;
}

static bool set_realtime(int *err)
{
	struct sched_param sp = { .sched_priority = 1 };

	*err = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
	return *err == 0;
}

/* Once per process: every stream's worker would say the same. */
static void refused_once(enum he_thread_priority asked, enum he_thread_priority got, int err)
{
	static gint logged;

	if (g_atomic_int_compare_and_exchange(&logged, 0, 1))
		g_message("encode threads: %s priority not permitted (%s), running at %s priority; "
			  "allow it with CAP_SYS_NICE, or LimitNICE=%d (high) and LimitRTPRIO=1 "
			  "(realtime) in a systemd unit", he_thread_priority_name(asked),
			  g_strerror(err), he_thread_priority_name(got), HE_PRIORITY_NICE);
}

enum he_thread_priority he_thread_priority_raise(enum he_thread_priority p)
{
	enum he_thread_priority got = HE_PRIORITY_NORMAL;
	int err = 0;

	if (p == HE_PRIORITY_REALTIME && set_realtime(&err))
		return p;
	if (p != HE_PRIORITY_NORMAL && set_nice(&err))
		got = HE_PRIORITY_HIGH;
	if (got != p)
		refused_once(p, got, err);
	return got;
}
