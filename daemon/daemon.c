/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon object: configuration defaults, the encoder choice, and the
 * order modules start and stop in. */
#define G_LOG_DOMAIN "hostenc"
#include "daemon.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>
#include <string.h>

#include "encoder.h"
#include "pattern-source.h"
#include "registry.h"
#include "vm-source.h"
#include "web.h"

struct he_daemon {
	struct he_config cfg;
	const char *encoder_name; /* interned */
	bool encoder_hardware;
	struct he_registry *reg;
	struct he_hxfr *hxfr;
	struct he_pattern_source *pattern;
	struct he_vm_source *vms;
	char *url_file;           /* where the page's URL is left for hostenc-vm */
	struct he_web *web;
	char *page_url;           /* the page with the token: what "ready" prints */
};

void he_config_defaults(struct he_config *c)
{
	memset(c, 0, sizeof(*c));
	he_hxfr_config_defaults(&c->hxfr);
	he_stream_env_defaults(&c->stream);
	c->output_queue = 8u << 20;
	c->pattern = true;
	c->pattern_width = 1280;
	c->pattern_height = 720;
	c->pattern_fps = 30;
	c->vms = true;
}

void he_config_clear(struct he_config *c)
{
	g_strfreev(c->listen);
	g_strfreev(c->shm);
	g_free(c->encoder);
	g_free(c->http);
	g_free(c->token);
	g_free(c->view_token);
	g_free(c->tls_cert);
	g_free(c->tls_key);
	g_free(c->vm_dir);
	g_strfreev(c->vm_bus);
	g_strfreev(c->allow_origins);
	g_strfreev(c->scanout_owners);
	g_strfreev(c->allow_hosts);
	memset(c, 0, sizeof(*c));
}

/* Pick the encoder once at start: open a small one the way streams will. */
static gboolean choose_encoder(struct he_daemon *d, GError **err)
{
	struct he_encoder_config c;
	struct he_encoder *e;

	he_encoder_config_init(&c, 320, 240);
	e = he_encoder_create(d->cfg.encoder, &c, err);
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

/* 128 bits from the kernel's CSPRNG, as 32 hex digits (URL-safe). */
static char *random_token(GError **err)
{
	uint8_t b[16];
	GString *s;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot make a random web token: %s (give --token)",
			    g_strerror(errno));
		return NULL;
	}
	s = g_string_sized_new(2 * sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		g_string_append_printf(s, "%02x", b[i]);
	return g_string_free(s, FALSE);
}

/* The safe default: a web port nobody reaches without the token, the
 * token printed in the ready URL. --no-token (loopback only, checked by
 * the options) opts out. */
static gboolean choose_token(struct he_daemon *d, GError **err)
{
	if (d->cfg.token || d->cfg.no_token)
		return TRUE;
	d->cfg.token = random_token(err);
	if (!d->cfg.token)
		return FALSE;
	g_message("web: no --token given: made a random one (it is in the ready URL; "
		  "--no-token serves loopback without one)");
	return TRUE;
}

static gboolean start_web(struct he_daemon *d, GError **err)
{
	struct he_web_config wc = { .address = d->cfg.http, .token = d->cfg.token,
				    .tls_cert = d->cfg.tls_cert, .tls_key = d->cfg.tls_key,
				    .root = web_root(), .encoder = d->encoder_name,
				    .allow_origins = (const char *const *)d->cfg.allow_origins,
				    .allow_hosts = (const char *const *)d->cfg.allow_hosts,
				    .output_queue = d->cfg.output_queue,
				    .max_connections = d->cfg.max_web_connections,
				    .idle_timeout_s = d->cfg.web_idle_timeout_s,
				    .max_viewers = d->cfg.max_viewers,
				    .max_viewer_bytes = d->cfg.max_viewer_bytes };

	if (!d->cfg.http)
		return TRUE;
	if (!choose_token(d, err))
		return FALSE;
	wc.token = d->cfg.token;
	wc.view_token = d->cfg.view_token;
	d->web = he_web_create(&wc, d->reg, d->hxfr, err);
	if (!d->web)
		return FALSE;
	d->page_url = he_web_page_url(d->web, NULL);
	if (!d->cfg.token)
		g_message("web: --no-token: anyone on this machine can watch and send input");
	g_message("web: player and stats on %s (static files from %s)", he_web_url(d->web),
		  wc.root);
	return TRUE;
}

static gboolean start_hxfr(struct he_daemon *d, GError **err)
{
	struct he_hxfr_encoder enc = { d->encoder_name, d->encoder_hardware };
	struct he_hxfr_config hc = d->cfg.hxfr;

	hc.shm = (const char *const *)d->cfg.shm;
	hc.scanout_owners = (const char *const *)d->cfg.scanout_owners;
	hc.output_queue = d->cfg.output_queue;
	/* Only a token the user gave guards HXFR SUBSCRIBE (HXFR carries no
	 * token); the random web token is made later, in start_web. */
	hc.subscribe_needs_auth = d->cfg.token != NULL;
	d->hxfr = he_hxfr_create(&hc, d->reg, &d->cfg.stream, &enc, err);
	if (!d->hxfr)
		return FALSE;
	for (char **spec = d->cfg.listen; spec && *spec; spec++) {
		const char *addr = he_hxfr_listen(d->hxfr, *spec, err);

		if (!addr)
			return FALSE;
		g_message("listening for guests on %s", addr);
	}
	return TRUE;
}

static gboolean start_pattern(struct he_daemon *d, GError **err)
{
	if (!d->cfg.pattern)
		return TRUE;
	d->pattern = he_pattern_source_create(d->reg, &d->cfg.stream, d->cfg.pattern_width,
					      d->cfg.pattern_height, d->cfg.pattern_fps, err);
	if (!d->pattern)
		return FALSE;
	g_message("test pattern: stream %d '%s', %ux%u at %u fps (SUBSCRIBE %d to watch)",
		  HE_PATTERN_STREAM_ID, HE_PATTERN_STREAM_NAME, d->cfg.pattern_width,
		  d->cfg.pattern_height, d->cfg.pattern_fps, HE_PATTERN_STREAM_ID);
	return TRUE;
}

static void machine_added(const char *name, const char *dir, const struct he_input_sink *input,
			  void *data)
{
	struct he_daemon *d = data;
	g_autofree char *sock = g_build_filename(dir, "hxfr.sock", NULL);
	g_autofree char *shm = g_build_filename(dir, "ivshmem", NULL);
	g_autoptr(GError) err = NULL;

	/* The VM's virtio-serial channel: its guest's own encoder sessions. */
	if (d->hxfr && !he_hxfr_machine_add(d->hxfr, name, sock, shm, input, &err))
		g_warning("%s", err->message);
	if (d->web) {
		g_autofree char *source = g_strdup_printf("%s/0", name);
		g_autofree char *url = he_web_page_url(d->web, source);

		g_message("VM %s: watch it at %s", name, url);
	}
}

static void machine_removed(const char *name, void *data)
{
	struct he_daemon *d = data;

	if (d->hxfr)
		he_hxfr_machine_remove(d->hxfr, name);
	g_message("VM %s: its screens are gone", name);
}

static const struct he_vm_source_callbacks vm_callbacks = {
	.machine_added = machine_added,
	.machine_removed = machine_removed,
};

static gboolean start_vms(struct he_daemon *d, GError **err)
{
	g_autofree char *dir = d->cfg.vm_dir ? g_strdup(d->cfg.vm_dir) : he_vm_default_dir();

	if (!d->cfg.vms)
		return TRUE;
	d->vms = he_vm_source_create(dir, d->reg, &d->cfg.stream, &vm_callbacks, d, err);
	if (!d->vms)
		return FALSE;
	g_message("VMs: watching %s (hostenc-vm starts them there)", dir);
	for (char **b = d->cfg.vm_bus; b && *b; b++) {
		g_auto(GStrv) kv = g_strsplit(*b, "=", 2);

		if (!kv[0] || !kv[1] || !*kv[1]) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "--vm-bus %s: expected NAME=DBUS_ADDRESS, e.g. "
				    "vm2=unix:path=/run/user/1000/bus", *b);
			return FALSE;
		}
		if (!he_vm_source_add_bus(d->vms, kv[0], kv[1], err))
			return FALSE;
	}
	/* hostenc-vm prints where its VM is watched from this file. */
	if (d->web) {
		g_autofree char *parent = g_path_get_dirname(dir);

		d->url_file = g_build_filename(parent, "hostencd.url", NULL);
		/* The page with its token: readable by this user only. */
		if (!g_file_set_contents_full(d->url_file, d->page_url, -1,
					      G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL))
			g_clear_pointer(&d->url_file, g_free);
	}
	return TRUE;
}

struct he_daemon *he_daemon_create(struct he_config *cfg, GError **err)
{
	struct he_daemon *d = g_new0(struct he_daemon, 1);

	d->cfg = *cfg; /* takes ownership of the strings */
	memset(cfg, 0, sizeof(*cfg));
	d->reg = he_registry_create();
	if (!choose_encoder(d, err))
		goto fail;
	d->cfg.stream.encoder = d->encoder_name;
	if (!start_pattern(d, err) || !start_hxfr(d, err) || !start_web(d, err) ||
	    !start_vms(d, err))
		goto fail;
	return d;

	/* ERRORS */
fail:
	he_daemon_destroy(d);
	return NULL;
}

void he_daemon_destroy(struct he_daemon *d)
{
	if (!d)
		return;
	if (d->url_file)
		g_unlink(d->url_file);
	g_free(d->url_file);
	g_free(d->page_url);
	/* Viewers first: they are told the server is going (1001), not that
	 * each machine stopped. */
	he_web_destroy(d->web);
	he_vm_source_destroy(d->vms);
	he_hxfr_destroy(d->hxfr);
	he_pattern_source_destroy(d->pattern);
	he_registry_destroy(d->reg);
	he_config_clear(&d->cfg);
	g_free(d);
}

const char *he_daemon_url(const struct he_daemon *d)
{
	return d->page_url;
}
