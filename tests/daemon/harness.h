/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runs the hostencd under test as a child process: on a free TCP port
 * (and optionally a unix socket), its stderr captured to a log file that
 * is kept for diagnosis, and checked for sanitizer reports when it stops. */
#ifndef HOSTENC_TESTS_DAEMON_HARNESS_H
#define HOSTENC_TESTS_DAEMON_HARNESS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/** How long any single wait in these tests may take (sanitized builds on
 * two shared cores are slow; a healthy run never comes close). */
#define TH_TIMEOUT_MS 30000

struct th_options {
	bool pattern;                /**< false: --no-pattern */
	bool unix_socket;            /**< also --listen unix:<tmpdir>/hostencd.sock */
	const char *shm_spec;        /**< --shm value, or NULL */
	const char *const *args;     /**< more arguments, NULL-terminated, or NULL */
	bool default_token;          /**< leave hostencd its random web token; else
					  --no-token unless args give --token */
	const char *vm_dir;          /**< --vm-dir (the VMs there are attached); NULL:
					  --no-vms, never the machine's real VMs */
};

struct th_daemon {
	GPid pid;
	char *dir;          /**< private temporary directory */
	char *log_path;     /**< the daemon's stdout+stderr, kept after the test */
	char *unix_path;    /**< unix socket path, or NULL */
	uint16_t port;      /**< TCP port on 127.0.0.1 */
	uint16_t http_port; /**< with --http in args: the web port, else 0 */
};

/** Path of the hostencd binary: $HOSTENCD (set by meson). Asserts it is set. */
const char *th_hostencd_path(void);

/**
 * Start hostencd and wait until it logs "ready". Asserts on failure (and
 * prints the log). The daemon gets SIGKILL if this test process dies.
 * Must be called from the main thread.
 */
struct th_daemon *th_daemon_start(const struct th_options *o);

/**
 * th_daemon_start() with the web port on loopback and the test pattern at
 * @p pattern_size ("WxH"), 10 fps, then @p more arguments (may be NULL);
 * asserts the web port is known.
 */
struct th_daemon *th_web_daemon_start(const char *pattern_size, const char *const *more);

/** True while the daemon process has not exited. */
bool th_daemon_alive(struct th_daemon *d);

/**
 * SIGTERM the daemon, wait for it, free @p d. Asserts that it exited with
 * status 0 and that its log has no sanitizer report ("ERROR:
 * AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:") and no GLib
 * critical.
 */
void th_daemon_stop(struct th_daemon *d);

/**
 * Run hostencd with @p args (NULL-terminated) to completion.
 * @return its exit status (-1 if killed); *out and *err get its output.
 */
int th_run(const char *const *args, char **out, char **err);

/** Assert that @p text holds no sanitizer report; @p what names it. */
void th_assert_no_sanitizer_report(const char *text, const char *what);

#endif
