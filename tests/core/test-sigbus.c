/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SIGBUS handler for guests' shared memory (daemon/core/sigbus.h): a
 * read past the end of a truncated file inside a watched mapping reads
 * zeros and marks the mapping lost; the same fault anywhere else, or a
 * SIGBUS sent by someone, still kills the process; the table of watched
 * mappings is bounded and its entries are reused. */
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sigbus.h"

#define PAGES 8

/* A file of PAGES pages, each filled with its number + 1, mapped read-only. */
static uint8_t *map_file(int *fd_out, size_t *len_out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page;
	g_autofree char *path = g_build_filename(g_get_tmp_dir(), "hostenc-sigbus-XXXXXX", NULL);
	int fd = g_mkstemp(path);
	uint8_t *buf = g_malloc(len);
	void *map;

	g_assert_cmpint(fd, >=, 0);
	unlink(path);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i / page + 1);
	g_assert_cmpint(write(fd, buf, len), ==, (ssize_t)len);
	g_free(buf);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	g_assert_true(map != MAP_FAILED);
	*fd_out = fd;
	*len_out = len;
	return map;
}

/* Read through a volatile pointer: the compiler must really load it. */
static uint8_t read_byte(const uint8_t *p)
{
	return *(const volatile uint8_t *)p;
}

static void test_recovers(void)
{
	size_t len, page = (size_t)sysconf(_SC_PAGESIZE);
	int fd;
	uint8_t *map = map_file(&fd, &len);
	struct he_sigbus_range *r = he_sigbus_watch(map, len);

	g_assert_nonnull(r);
	g_assert_cmpuint(read_byte(map + 5 * page), ==, 6);
	g_assert_false(he_sigbus_lost(r));
	/* half the file goes: pages 0..3 stay, a read of page 5 faults */
	g_assert_cmpint(ftruncate(fd, (off_t)(PAGES / 2 * page)), ==, 0);
	g_assert_cmpuint(read_byte(map), ==, 1);
	g_assert_false(he_sigbus_lost(r));
	g_assert_cmpuint(read_byte(map + 5 * page + 17), ==, 0);
	g_assert_true(he_sigbus_lost(r));
	/* the whole mapping is zeros now, for good */
	for (size_t i = 0; i < PAGES; i++)
		g_assert_cmpuint(read_byte(map + i * page), ==, 0);
	g_assert_true(he_sigbus_lost(r));
	he_sigbus_unwatch(r);
	munmap(map, len);
	close(fd);
}

/* In a subprocess: a fault outside every watched mapping. */
static void fault_elsewhere(void)
{
	size_t len, page = (size_t)sysconf(_SC_PAGESIZE);
	int fd, other_fd;
	uint8_t *watched = map_file(&fd, &len), *other = map_file(&other_fd, &len);
	struct he_sigbus_range *r = he_sigbus_watch(watched, len);

	g_assert_nonnull(r);
	g_assert_cmpint(ftruncate(other_fd, 0), ==, 0);
	printf("reading\n");
	fflush(stdout);
	printf("read %u: survived\n", read_byte(other + 3 * page));
	fflush(stdout);
}

static void test_fault_elsewhere_crashes(void)
{
	if (g_test_subprocess()) {
		fault_elsewhere();
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stdout("*reading*");
	g_test_trap_assert_stdout_unmatched("*survived*");
}

/* In a subprocess: the handler installed, a SIGBUS sent by kill(). */
static void sent_signal(void)
{
	size_t len;
	int fd;
	uint8_t *map = map_file(&fd, &len);

	g_assert_nonnull(he_sigbus_watch(map, len));
	printf("sending\n");
	fflush(stdout);
	kill(getpid(), SIGBUS);
	printf("survived\n");
	fflush(stdout);
}

static void test_sent_signal_kills(void)
{
	if (g_test_subprocess()) {
		sent_signal();
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stdout("*sending*");
	g_test_trap_assert_stdout_unmatched("*survived*");
}

/* HE_SIGBUS_MAX entries at most (the addresses are never read, so they
 * need not be mapped); an entry given back is taken again. */
static void test_table_bounded(void)
{
	static struct he_sigbus_range *r[HE_SIGBUS_MAX];
	uintptr_t base = 0x10000000;
	struct he_sigbus_range *again;

	for (unsigned i = 0; i < HE_SIGBUS_MAX; i++) {
		r[i] = he_sigbus_watch((void *)(base + (uintptr_t)i * 4096), 4096);
		g_assert_nonnull(r[i]);
	}
	g_assert_null(he_sigbus_watch((void *)base, 4096));
	he_sigbus_unwatch(r[7]);
	again = he_sigbus_watch((void *)base, 4096);
	g_assert_true(again == r[7]);
	g_assert_false(he_sigbus_lost(again));
	for (unsigned i = 0; i < HE_SIGBUS_MAX; i++)
		he_sigbus_unwatch(r[i]);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sigbus/recovers", test_recovers);
	g_test_add_func("/sigbus/fault-elsewhere-crashes", test_fault_elsewhere_crashes);
	g_test_add_func("/sigbus/sent-signal-kills", test_sent_signal_kills);
	g_test_add_func("/sigbus/table-bounded", test_table_bounded);
	return g_test_run();
}
