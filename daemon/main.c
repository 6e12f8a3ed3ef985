/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd: entry point. */
#define G_LOG_DOMAIN "hostenc"
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "daemon.h"
#include "encoder.h"
#include "mem-trim.h"
#include "options.h"

static gboolean on_signal(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

/* Every guest, subscriber and browser connection is a descriptor; the
 * soft limit is often 1024 while the hard one allows far more. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		g_warning("cannot raise the open files limit to %llu: %s",
			  (unsigned long long)rl.rlim_max, g_strerror(errno));
}

static int run(struct he_config *cfg)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	struct he_daemon *d;

	raise_fd_limit();
	d = he_daemon_create(cfg, &err);
	if (!d) {
		fprintf(stderr, "hostencd: %s\n", err->message);
		return EXIT_FAILURE;
	}
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, loop);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	if (he_daemon_url(d))
		g_message("ready: open %s", he_daemon_url(d));
	else
		g_message("ready");
	g_main_loop_run(loop);
	g_message("shutting down");
	he_daemon_destroy(d);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	struct he_options opts = { 0 };
	struct he_config cfg;

	he_mem_init(); /* before any thread */
	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);
	he_config_defaults(&cfg);
	if (he_options_parse(&argc, &argv, &cfg, &opts, &err) < 0) {
		fprintf(stderr, "hostencd: %s\nRun 'hostencd --help' for the options.\n",
			err->message);
		he_config_clear(&cfg);
		return 2;
	}
	if (opts.check_config) {
		printf("hostencd: the configuration is valid\n");
		he_config_clear(&cfg);
		return 0;
	}
	if (opts.version) {
		printf("hostencd %s\n", HOSTENC_VERSION);
		he_config_clear(&cfg);
		return 0;
	}
	if (opts.verbose)
		g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
	if (opts.list_encoders) {
		g_autoptr(GString) out = g_string_new(NULL);

		he_encoder_list(out);
		fputs(out->str, stdout);
		he_config_clear(&cfg);
		return 0;
	}
	return run(&cfg); /* the daemon takes cfg's strings */
}
