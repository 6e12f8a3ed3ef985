/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SIGBUS handler for mappings a guest can truncate, and its table of
 * watched mappings (see sigbus.h).
 *
 * Each entry has a state and a count of handlers looking at it. The
 * handler counts itself in, then reads the state; unwatch takes the entry
 * out of LIVE, then waits until no handler is counted in. With both done
 * in sequentially consistent order, a handler either sees the entry gone
 * or is waited for: no handler ever maps zero pages over an address that
 * was unmapped (and maybe mapped again for something else) meanwhile. */
#define G_LOG_DOMAIN "hostenc.sigbus"
#include "sigbus.h"

#include <errno.h>
#include <glib.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_POINTER_LOCK_FREE == 2 &&
	       ATOMIC_BOOL_LOCK_FREE == 2,
	       "the SIGBUS handler needs lock-free atomics");

enum { RANGE_FREE, RANGE_TAKEN, RANGE_LIVE };

struct he_sigbus_range {
	atomic_int state;           /* RANGE_*: TAKEN while being set up or taken down */
	atomic_int users;           /* handlers looking at this entry now */
	_Atomic(char *) start, end; /* the mapping */
	atomic_bool lost;
};

static struct he_sigbus_range table[HE_SIGBUS_MAX];
static atomic_uint table_used;      /* entries ever taken: the handler looks no further */
static struct sigaction previous;   /* what SIGBUS did before: for every other fault */
static bool installed;

/* Zero pages over the whole mapping: the faulting read restarts and reads
 * zeros, and so does every later one. Marked lost first, so that whoever
 * reads a zero from it finds the mark afterwards. */
static bool zero_fill(struct he_sigbus_range *r)
{
	char *start = atomic_load(&r->start), *end = atomic_load(&r->end);

	atomic_store(&r->lost, true);
	return mmap(start, (size_t)(end - start), PROT_READ,
		    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED;
}

/* Whether @p addr is in a watched mapping and now reads zeros. */
static bool recover(uintptr_t addr)
{
	unsigned n = atomic_load(&table_used);

	for (unsigned i = 0; i < n; i++) {
		struct he_sigbus_range *r = &table[i];
		bool hit = false, ok = false;

		atomic_fetch_add(&r->users, 1);
		if (atomic_load(&r->state) == RANGE_LIVE &&
		    addr >= (uintptr_t)atomic_load(&r->start) &&
		    addr < (uintptr_t)atomic_load(&r->end)) {
			hit = true;
			ok = zero_fill(r);
		}
		atomic_fetch_sub(&r->users, 1);
		if (hit)
			return ok;
	}
	return false;
}

/* Async-signal-safe: atomics, mmap, sigaction and raise only. */
static void on_sigbus(int sig, siginfo_t *si, void *context)
{
	int saved_errno = errno;

	(void)context;
	if (si->si_code > 0 && recover((uintptr_t)si->si_addr)) {
		errno = saved_errno;
		return;
	}
	/* Not ours: a real bug. With the previous action back in place, a
	 * fault happens again as the instruction restarts (a core dump, or a
	 * sanitizer's report, at the right place); a signal that was sent is
	 * sent again. */
	sigaction(SIGBUS, &previous, NULL);
	if (si->si_code <= 0)
		raise(sig);
	errno = saved_errno;
}

/* AddressSanitizer, which handles SIGBUS itself, lets a program install
 * its own handler by default (handle_sigbus=1) and is then the previous
 * action; with handle_sigbus=2 it keeps SIGBUS, which the read-back shows. */
static void install(void)
{
	struct sigaction sa = { 0 }, now;

	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous) < 0) {
		g_warning("cannot install the SIGBUS handler: %s", g_strerror(errno));
		return;
	}
	installed = true;
	if (sigaction(SIGBUS, NULL, &now) == 0 && now.sa_sigaction != on_sigbus)
		g_warning("the SIGBUS handler did not stay installed (a sanitizer keeps SIGBUS?): "
			  "a guest that truncates its shared memory will crash hostencd");
}

struct he_sigbus_range *he_sigbus_watch(void *addr, size_t len)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		install();
		g_once_init_leave(&once, 1);
	}
	if (!installed)
		return NULL;
	for (unsigned i = 0; i < HE_SIGBUS_MAX; i++) {
		struct he_sigbus_range *r = &table[i];
		int expected = RANGE_FREE;
		unsigned used;

		if (!atomic_compare_exchange_strong(&r->state, &expected, RANGE_TAKEN))
			continue;
		atomic_store(&r->start, (char *)addr);
		atomic_store(&r->end, (char *)addr + len);
		atomic_store(&r->lost, false);
		used = atomic_load(&table_used);
		while (used < i + 1 && !atomic_compare_exchange_weak(&table_used, &used, i + 1))
			;
		atomic_store(&r->state, RANGE_LIVE);
		return r;
	}
	return NULL;
}

void he_sigbus_unwatch(struct he_sigbus_range *r)
{
	if (!r)
		return;
	atomic_store(&r->state, RANGE_TAKEN);
	while (atomic_load(&r->users) > 0)
		sched_yield();
	atomic_store(&r->state, RANGE_FREE);
}

bool he_sigbus_lost(const struct he_sigbus_range *r)
{
	return atomic_load(&r->lost);
}
