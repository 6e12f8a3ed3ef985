/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test harness for the QEMU display client: a real qemu-system-x86_64 in a
 * temporary directory with two QMP sockets ("qmp.sock" for the client under
 * test, "mon.sock" for the test's own monitor), a private dbus-daemon, a
 * blocking QMP client with timeouts, and memory readings. */
#ifndef HOSTENC_TEST_QEMU_HARNESS_H
#define HOSTENC_TEST_QEMU_HARNESS_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#define QH_QEMU "qemu-system-x86_64"

struct qh_qemu {
	GSubprocess *proc;
	int pid;
	char *dir;
	char *qmp_path; /* for the client under test */
	char *mon_path; /* for the test */
};

/** Skip the current test (g_test_skip) unless QEMU is installed. */
bool qh_require_qemu(void);

/** Guest choices. */
enum qh_guest {
	QH_GUEST_SEABIOS,      /* no boot disk: SeaBIOS' text screen */
	QH_GUEST_FILL_FULL,    /* boot sector redrawing the whole screen */
	QH_GUEST_FILL_BAND,    /* boot sector redrawing a moving band */
};

/**
 * Start QEMU with -display dbus (p2p=yes when @p bus_address is NULL, else
 * on that bus) and wait for both QMP sockets. @p w x @p h sets the fill
 * guest's mode.
 */
struct qh_qemu *qh_qemu_start(enum qh_guest guest, uint16_t w, uint16_t h,
			      const char *bus_address, const char *const *extra);
void qh_qemu_stop(struct qh_qemu *q);

/** A blocking QMP connection (greeting and qmp_capabilities done). */
struct qh_mon;
struct qh_mon *qh_mon_open(const char *path, int timeout_ms);
/** Send @p json (+ fd via SCM_RIGHTS if >= 0); the reply line or NULL on
 * timeout; *elapsed_us is the round-trip time. Events are skipped. */
char *qh_mon_cmd(struct qh_mon *m, const char *json, int fd, int timeout_ms, int64_t *elapsed_us);
void qh_mon_close(struct qh_mon *m);

/** A private session bus; *pid to kill later. Address or NULL. */
char *qh_dbus_daemon_start(GSubprocess **proc);
void qh_dbus_daemon_stop(GSubprocess *proc);

/** VmRSS of @p pid in KiB (0 = self), -1 if unreadable. */
long qh_rss_kb(int pid);
/** Run the default main context until *flag or @p timeout_ms passed. */
bool qh_wait_flag(const bool *flag, int timeout_ms);
/** Iterate the default main context for @p ms. */
void qh_spin(int ms);

#endif
