/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd: entry point. */
#define G_LOG_DOMAIN "hostenc"
#include <gio/gio.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "encoder.h"
#include "listener.h"
#include "options.h"
#include "pattern-source.h"
#include "web.h"

static gboolean on_signal(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

/* Pick the encoder once at start: open a small one the way sources will. */
static gboolean choose_encoder(struct he_daemon *d, GError **err)
{
	struct he_encoder_config c = { .width = 320, .height = 240, .bitrate = 500000,
				       .fps_num = 30, .fps_den = 1, .gop = 300, .profile = 66 };
	struct he_encoder *e = he_encoder_create(d->cfg.encoder, &c, err);

	if (!e) {
		g_prefix_error(err, "no usable H.264 encoder%s%s: ", d->cfg.encoder ? " " : "",
			       d->cfg.encoder ? d->cfg.encoder : "");
		return FALSE;
	}
	d->encoder_name = g_intern_string(he_encoder_name(e));
	d->encoder_hardware = he_encoder_is_hardware(e);
	he_encoder_destroy(e);
	g_message("encoder: %s (%s)%s", d->encoder_name,
		  d->encoder_hardware ? "hardware" : "software",
		  d->cfg.encoder ? ", as asked" : "; hostencd --list-encoders says why");
	return TRUE;
}

/* The static files: installed ones, else those of the source tree (a
 * build that was not installed). */
static const char *web_root(void)
{
	const char *env = g_getenv("HOSTENC_WEB_ROOT");

	if (env)
		return env;
	if (g_file_test(HOSTENC_WEB_DIR "/index.html", G_FILE_TEST_EXISTS))
		return HOSTENC_WEB_DIR;
	return HOSTENC_SOURCE_WEB_DIR;
}

static bool is_loopback(const char *address)
{
	return g_str_has_prefix(address, "127.") || g_str_has_prefix(address, "[::1]") ||
	       g_str_has_prefix(address, "localhost:");
}

static struct he_web *start_web(struct he_daemon *d, GError **err)
{
	struct he_web *w;

	if (!d->cfg.http)
		return NULL;
	w = he_web_new(d, d->cfg.http, d->cfg.token, web_root(), err);
	if (!w)
		return NULL;
	if (!d->cfg.token && !is_loopback(d->cfg.http))
		g_warning("--http %s without --token: anyone who can reach this address can watch "
			  "and send input", d->cfg.http);
	else if (!d->cfg.token)
		g_message("web: no --token given, so the player listens on loopback only");
	g_message("web: player and stats on %s (static files from %s)", he_web_url(w), web_root());
	return w;
}

static GList *start_listeners(struct he_daemon *d, GError **err)
{
	GList *list = NULL;

	for (char **spec = d->cfg.listen; spec && *spec; spec++) {
		struct he_listener *l = he_listener_new(d, *spec, err);

		if (!l) {
			g_list_free_full(list, (GDestroyNotify)he_listener_free);
			return NULL;
		}
		g_message("listening for guests on %s", he_listener_address(l));
		list = g_list_append(list, l);
	}
	return list;
}

static int run(struct he_config *cfg)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	struct he_pattern_source *pattern = NULL;
	struct he_web *web = NULL;
	struct he_daemon *d = he_daemon_new(cfg, &err);
	GList *listeners = NULL;
	int status = EXIT_FAILURE;

	if (!d)
		goto err_daemon;
	if (!choose_encoder(d, &err))
		goto err_encoder;
	if (d->cfg.pattern) {
		pattern = he_pattern_source_new(d, HE_PATTERN_SOURCE_ID, d->cfg.pattern_width,
						d->cfg.pattern_height, d->cfg.pattern_fps);
		if (!pattern) {
			g_set_error(&err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "cannot create a %ux%u test pattern", d->cfg.pattern_width,
				    d->cfg.pattern_height);
			goto err_encoder;
		}
		g_message("test pattern: source %d, %ux%u at %u fps (SUBSCRIBE %d to watch)",
			  HE_PATTERN_SOURCE_ID, d->cfg.pattern_width, d->cfg.pattern_height,
			  d->cfg.pattern_fps, HE_PATTERN_SOURCE_ID);
	}
	listeners = start_listeners(d, &err);
	if (!listeners)
		goto err_listen;
	web = start_web(d, &err);
	if (!web && err)
		goto err_web;
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, loop);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	if (web)
		g_message("ready: open %s", he_web_url(web));
	else
		g_message("ready");
	g_main_loop_run(loop);
	g_message("shutting down");
	status = EXIT_SUCCESS;
	he_web_free(web);
err_web:
	g_list_free_full(listeners, (GDestroyNotify)he_listener_free);
err_listen:
	he_pattern_source_free(pattern);
err_encoder:
	he_daemon_free(d);
err_daemon:
	if (err)
		fprintf(stderr, "hostencd: %s\n", err->message);
	return status;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	struct he_options opts = { 0 };
	struct he_config cfg;

	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);
	he_config_defaults(&cfg);
	if (he_options_parse(&argc, &argv, &cfg, &opts, &err) < 0) {
		fprintf(stderr, "hostencd: %s\nRun 'hostencd --help' for the options.\n",
			err->message);
		he_config_clear(&cfg);
		return 2;
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
	return run(&cfg); /* he_daemon takes cfg's strings */
}
