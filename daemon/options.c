/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command line and key-file configuration. The key file is read first;
 * the command line overrides it. Every bad value gets a message that says
 * what to write instead. */
#define G_LOG_DOMAIN "hostenc.options"
#include "options.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include <hxfr/hxfr.h>

#include "encoder.h"

#define GROUP "hostencd"

struct raw {
	char **listen, **shm, **allow_origins, **allow_hosts, **vm_bus, **scanout_owners;
	char *encoder, *config, *max_size, *pattern_size, *http, *token, *vm_dir;
	char *tls_cert, *tls_key;
	char *view_token;
	int max_sessions, max_inflight, idle_timeout, keepalive_fps, pattern_fps, gop;
	int max_web_connections, web_idle_timeout;
	gint64 max_payload, max_inflight_bytes, max_shm, bitrate;
	gboolean no_pattern, no_vms, no_token, list_encoders, verbose, version, check_config;
	/* guest sessions' hardening */
	int handshake_timeout, session_idle_timeout, max_peer_sessions;
	gint64 max_session_bytes;
	char *socket_mode;
	/* memory bounds */
	int encoder_idle, max_viewers;
	gint64 max_gop_bytes, max_viewer_bytes;
	/* encoding modes */
	gboolean intra_refresh;
	int vbv_frames;
	char *encode_priority;
};

static gboolean parse_size(const char *opt, const char *v, uint32_t *w, uint32_t *h, GError **err)
{
	guint64 a, b;
	g_auto(GStrv) p = g_strsplit(v, "x", 2);

	if (!p[0] || !p[1] || !g_ascii_string_to_unsigned(p[0], 10, 16, HXFR_MAX_WIDTH, &a, NULL) ||
	    !g_ascii_string_to_unsigned(p[1], 10, 16, HXFR_MAX_HEIGHT, &b, NULL)) {
		g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "%s '%s': expected WIDTHxHEIGHT with each 16..8192, e.g. 1280x720", opt, v);
		return FALSE;
	}
	*w = (uint32_t)a;
	*h = (uint32_t)b;
	return TRUE;
}

static gboolean in_range(const char *opt, gint64 v, gint64 lo, gint64 hi, GError **err)
{
	if (v >= lo && v <= hi)
		return TRUE;
	g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "%s %" G_GINT64_FORMAT ": must be between %" G_GINT64_FORMAT " and %"
		    G_GINT64_FORMAT, opt, v, lo, hi);
	return FALSE;
}

/* NOT_GIVEN / NULL in raw means "not given": a number the user gave, -1
 * too, is checked against its range. */
#define NOT_GIVEN G_MININT
static void raw_init(struct raw *r)
{
	memset(r, 0, sizeof(*r));
	r->max_sessions = r->max_inflight = r->idle_timeout = r->keepalive_fps = NOT_GIVEN;
	r->pattern_fps = r->gop = NOT_GIVEN;
	r->max_web_connections = r->web_idle_timeout = NOT_GIVEN;
	r->max_payload = r->max_inflight_bytes = r->max_shm = r->bitrate = NOT_GIVEN;
	r->handshake_timeout = r->session_idle_timeout = r->max_peer_sessions = NOT_GIVEN;
	r->max_session_bytes = NOT_GIVEN;
	r->encoder_idle = r->max_viewers = NOT_GIVEN;
	r->max_gop_bytes = r->max_viewer_bytes = NOT_GIVEN;
	r->vbv_frames = NOT_GIVEN;
}

static void raw_clear(struct raw *r)
{
	g_strfreev(r->listen);
	g_strfreev(r->shm);
	g_strfreev(r->allow_origins);
	g_strfreev(r->scanout_owners);
	g_strfreev(r->allow_hosts);
	g_strfreev(r->vm_bus);
	g_free(r->encoder);
	g_free(r->config);
	g_free(r->max_size);
	g_free(r->pattern_size);
	g_free(r->http);
	g_free(r->token);
	g_free(r->view_token);
	g_free(r->tls_cert);
	g_free(r->tls_key);
	g_free(r->vm_dir);
	g_free(r->socket_mode);
	g_free(r->encode_priority);
}

/* The keys the file may hold: hostencd's long options that take a value,
 * "pattern" (a boolean: the file's form of --no-pattern) and "no-token"
 * (a boolean: --no-token). */
static const char *const known_keys[] = {
	"listen", "shm", "vm-bus", "scanout-owner", "allow-origin", "allow-host", "encoder", "max-size",
	"pattern-size", "http", "token", "view-token", "tls-cert", "tls-key", "vm-dir", "max-sessions",
	"max-inflight", "idle-timeout", "keepalive-fps", "pattern-fps", "gop",
	"max-web-connections", "web-idle-timeout", "encoder-idle", "max-gop-bytes",
	"max-viewers", "max-viewer-bytes", "max-payload", "max-inflight-bytes",
	"max-shm", "bitrate", "handshake-timeout", "session-idle-timeout",
	"max-sessions-per-peer", "max-session-bytes", "socket-mode", "pattern", "no-token",
	"intra-refresh", "vbv-frames", "encode-priority", NULL,
};

/* A group or key hostencd does not know is a mistake (a typo would
 * otherwise silently leave a default in place): name it. */
static gboolean check_keys(GKeyFile *kf, const char *path, GError **err)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	g_auto(GStrv) keys = NULL;

	for (char **g = groups; *g; g++)
		if (strcmp(*g, GROUP) != 0) {
			g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
				    "--config %s: unknown group [%s] (the options go in [%s])",
				    path, *g, GROUP);
			return FALSE;
		}
	keys = g_key_file_get_keys(kf, GROUP, NULL, NULL);
	for (char **k = keys; k && *k; k++)
		if (!g_strv_contains(known_keys, *k)) {
			g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
				    "--config %s: unknown key '%s' (keys are hostencd's long "
				    "options, see --help)", path, *k);
			return FALSE;
		}
	return TRUE;
}

static void kf_str(GKeyFile *kf, const char *key, char **dst)
{
	char *v = g_key_file_get_string(kf, GROUP, key, NULL);

	if (v && !*dst)
		*dst = v;
	else
		g_free(v);
}

/* A value that is not a number is an error, not a silent default. */
static gboolean kf_number(GKeyFile *kf, const char *key, gint64 *out, GError **err)
{
	g_autofree char *text = g_key_file_get_string(kf, GROUP, key, NULL);
	GError *e = NULL;

	*out = g_key_file_get_int64(kf, GROUP, key, &e);
	if (!e)
		return TRUE;
	g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		    "%s: '%s' is not a whole number", key, text ? text : "");
	g_error_free(e);
	return FALSE;
}

static gboolean kf_int(GKeyFile *kf, const char *key, int *dst, GError **err)
{
	gint64 v;

	if (!g_key_file_has_key(kf, GROUP, key, NULL))
		return TRUE;
	if (!kf_number(kf, key, &v, err))
		return FALSE;
	if (v < 0 || v > G_MAXINT) {
		g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "%s: %" G_GINT64_FORMAT " is out of range", key, v);
		return FALSE;
	}
	if (*dst == NOT_GIVEN)
		*dst = (int)v;
	return TRUE;
}

static gboolean kf_int64(GKeyFile *kf, const char *key, gint64 *dst, GError **err)
{
	gint64 v;

	if (!g_key_file_has_key(kf, GROUP, key, NULL))
		return TRUE;
	if (!kf_number(kf, key, &v, err))
		return FALSE;
	if (v < 0) {
		g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "%s: %" G_GINT64_FORMAT " is out of range", key, v);
		return FALSE;
	}
	if (*dst == NOT_GIVEN)
		*dst = v;
	return TRUE;
}

static gboolean load_numbers(GKeyFile *kf, struct raw *r, GError **err)
{
	return kf_int(kf, "max-sessions", &r->max_sessions, err) &&
	       kf_int(kf, "max-inflight", &r->max_inflight, err) &&
	       kf_int(kf, "idle-timeout", &r->idle_timeout, err) &&
	       kf_int(kf, "keepalive-fps", &r->keepalive_fps, err) &&
	       kf_int(kf, "pattern-fps", &r->pattern_fps, err) &&
	       kf_int(kf, "gop", &r->gop, err) &&
	       kf_int(kf, "vbv-frames", &r->vbv_frames, err) &&
	       kf_int(kf, "max-web-connections", &r->max_web_connections, err) &&
	       kf_int(kf, "web-idle-timeout", &r->web_idle_timeout, err) &&
	       kf_int(kf, "handshake-timeout", &r->handshake_timeout, err) &&
	       kf_int(kf, "session-idle-timeout", &r->session_idle_timeout, err) &&
	       kf_int(kf, "max-sessions-per-peer", &r->max_peer_sessions, err) &&
	       kf_int64(kf, "max-payload", &r->max_payload, err) &&
	       kf_int64(kf, "max-inflight-bytes", &r->max_inflight_bytes, err) &&
	       kf_int64(kf, "max-shm", &r->max_shm, err) &&
	       kf_int64(kf, "bitrate", &r->bitrate, err) &&
	       kf_int64(kf, "max-session-bytes", &r->max_session_bytes, err) &&
	       kf_int(kf, "encoder-idle", &r->encoder_idle, err) &&
	       kf_int(kf, "max-viewers", &r->max_viewers, err) &&
	       kf_int64(kf, "max-gop-bytes", &r->max_gop_bytes, err) &&
	       kf_int64(kf, "max-viewer-bytes", &r->max_viewer_bytes, err);
}

static gboolean load_key_file(struct raw *r, GError **err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	GError *e = NULL;

	if (!g_key_file_load_from_file(kf, r->config, G_KEY_FILE_NONE, err)) {
		g_prefix_error(err, "--config %s: ", r->config);
		return FALSE;
	}
	if (!check_keys(kf, r->config, err))
		return FALSE;
	if (!load_numbers(kf, r, err)) {
		g_prefix_error(err, "--config %s: ", r->config);
		return FALSE;
	}
	if (!r->listen)
		r->listen = g_key_file_get_string_list(kf, GROUP, "listen", NULL, NULL);
	if (!r->shm)
		r->shm = g_key_file_get_string_list(kf, GROUP, "shm", NULL, NULL);
	if (!r->vm_bus)
		r->vm_bus = g_key_file_get_string_list(kf, GROUP, "vm-bus", NULL, NULL);
	if (!r->allow_origins)
		r->allow_origins = g_key_file_get_string_list(kf, GROUP, "allow-origin", NULL, NULL);
	if (!r->scanout_owners)
		r->scanout_owners = g_key_file_get_string_list(kf, GROUP, "scanout-owner", NULL, NULL);
	if (!r->allow_hosts)
		r->allow_hosts = g_key_file_get_string_list(kf, GROUP, "allow-host", NULL, NULL);
	kf_str(kf, "encoder", &r->encoder);
	kf_str(kf, "max-size", &r->max_size);
	kf_str(kf, "pattern-size", &r->pattern_size);
	kf_str(kf, "http", &r->http);
	kf_str(kf, "token", &r->token);
	kf_str(kf, "view-token", &r->view_token);
	kf_str(kf, "tls-cert", &r->tls_cert);
	kf_str(kf, "tls-key", &r->tls_key);
	kf_str(kf, "vm-dir", &r->vm_dir);
	kf_str(kf, "socket-mode", &r->socket_mode);
	kf_str(kf, "encode-priority", &r->encode_priority);
	if (!r->intra_refresh && g_key_file_has_key(kf, GROUP, "intra-refresh", NULL)) {
		r->intra_refresh = g_key_file_get_boolean(kf, GROUP, "intra-refresh", &e);
		if (e) {
			g_propagate_prefixed_error(err, e, "--config %s: intra-refresh: ", r->config);
			return FALSE;
		}
	}
	if (!r->no_pattern && g_key_file_has_key(kf, GROUP, "pattern", NULL)) {
		r->no_pattern = !g_key_file_get_boolean(kf, GROUP, "pattern", &e);
		if (e) {
			g_propagate_prefixed_error(err, e, "--config %s: pattern: ", r->config);
			return FALSE;
		}
	}
	if (!r->no_token && g_key_file_has_key(kf, GROUP, "no-token", NULL)) {
		r->no_token = g_key_file_get_boolean(kf, GROUP, "no-token", &e);
		if (e) {
			g_propagate_prefixed_error(err, e, "--config %s: no-token: ", r->config);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean apply_ints(const struct raw *r, struct he_config *c, GError **err)
{
	if (r->max_sessions != NOT_GIVEN) {
		if (!in_range("--max-sessions", r->max_sessions, 1, 1024, err))
			return FALSE;
		c->hxfr.max_sessions = (uint32_t)r->max_sessions;
	}
	if (r->max_inflight != NOT_GIVEN) {
		if (!in_range("--max-inflight", r->max_inflight, 1, 64, err))
			return FALSE;
		c->hxfr.max_inflight = (uint32_t)r->max_inflight;
	}
	if (r->idle_timeout != NOT_GIVEN) {
		if (!in_range("--idle-timeout", r->idle_timeout, 1, 3600, err))
			return FALSE;
		c->hxfr.idle_timeout_s = (uint32_t)r->idle_timeout;
	}
	if (r->keepalive_fps != NOT_GIVEN) {
		if (!in_range("--keepalive-fps", r->keepalive_fps, 0, 30, err))
			return FALSE;
		c->stream.keepalive_fps = (uint32_t)r->keepalive_fps;
	}
	if (r->pattern_fps != NOT_GIVEN) {
		if (!in_range("--pattern-fps", r->pattern_fps, 1, 240, err))
			return FALSE;
		c->pattern_fps = (uint32_t)r->pattern_fps;
	}
	if (r->gop != NOT_GIVEN) {
		if (!in_range("--gop", r->gop, 0, 100000, err))
			return FALSE;
		c->stream.gop = (uint32_t)r->gop;
	}
	if (r->vbv_frames != NOT_GIVEN) {
		if (!in_range("--vbv-frames", r->vbv_frames, 0, HE_ENCODER_MAX_VBV_FRAMES, err))
			return FALSE;
		c->stream.vbv_frames = (uint32_t)r->vbv_frames;
	}
	if (r->max_web_connections != NOT_GIVEN) {
		if (!in_range("--max-web-connections", r->max_web_connections, 1, 65536, err))
			return FALSE;
		c->max_web_connections = (uint32_t)r->max_web_connections;
	}
	if (r->web_idle_timeout != NOT_GIVEN) {
		if (!in_range("--web-idle-timeout", r->web_idle_timeout, 1, 3600, err))
			return FALSE;
		c->web_idle_timeout_s = (uint32_t)r->web_idle_timeout;
	}
	if (r->bitrate != NOT_GIVEN) {
		/* The encoder's limits, refused here rather than on every frame. */
		if (r->bitrate != 0 && (r->bitrate < HE_ENCODER_MIN_BITRATE ||
					r->bitrate > HE_ENCODER_MAX_BITRATE)) {
			g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--bitrate %" G_GINT64_FORMAT ": must be 0 (the default for each "
				    "size) or between %u and %u bits/s", r->bitrate,
				    HE_ENCODER_MIN_BITRATE, HE_ENCODER_MAX_BITRATE);
			return FALSE;
		}
		c->stream.bitrate = (uint32_t)r->bitrate;
	}
	if (r->max_payload != NOT_GIVEN) {
		if (!in_range("--max-payload", r->max_payload, 4096, HXFR_MAX_PAYLOAD_HARD, err))
			return FALSE;
		c->hxfr.max_payload = (uint32_t)r->max_payload;
	}
	if (r->max_inflight_bytes != NOT_GIVEN) {
		if (!in_range("--max-inflight-bytes", r->max_inflight_bytes, 1 << 20, G_MAXINT64, err))
			return FALSE;
		c->hxfr.max_inflight_bytes = (uint64_t)r->max_inflight_bytes;
	}
	if (r->max_shm != NOT_GIVEN) {
		if (!in_range("--max-shm", r->max_shm, 8192, G_MAXINT64, err))
			return FALSE;
		c->hxfr.max_shm = (uint64_t)r->max_shm;
	}
	return TRUE;
}

/* Limits that keep guests and local clients from holding the sessions. */
static gboolean apply_session_guards(const struct raw *r, struct he_config *c, GError **err)
{
	guint64 mode;

	if (r->handshake_timeout != NOT_GIVEN) {
		if (!in_range("--handshake-timeout", r->handshake_timeout, 1, 3600, err))
			return FALSE;
		c->hxfr.handshake_timeout_s = (uint32_t)r->handshake_timeout;
	}
	if (r->session_idle_timeout != NOT_GIVEN) {
		if (!in_range("--session-idle-timeout", r->session_idle_timeout, 0, 86400, err))
			return FALSE;
		c->hxfr.session_idle_timeout_s = (uint32_t)r->session_idle_timeout;
	}
	if (r->max_peer_sessions != NOT_GIVEN) {
		if (!in_range("--max-sessions-per-peer", r->max_peer_sessions, 0, 1024, err))
			return FALSE;
		c->hxfr.max_peer_sessions = (uint32_t)r->max_peer_sessions;
	}
	if (r->max_session_bytes != NOT_GIVEN) {
		if (!in_range("--max-session-bytes", r->max_session_bytes, 1 << 20, G_MAXINT64, err))
			return FALSE;
		c->hxfr.max_session_bytes = (uint64_t)r->max_session_bytes;
	}
	if (r->socket_mode) {
		if (!g_ascii_string_to_unsigned(r->socket_mode, 8, 0, 0777, &mode, NULL)) {
			g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--socket-mode '%s': expected octal permission bits 0..0777, "
				    "e.g. 0660", r->socket_mode);
			return FALSE;
		}
		c->hxfr.socket_mode = (uint32_t)mode;
	}
	return TRUE;
}

/* HTTPS needs both halves: a certificate alone cannot be served. */
static gboolean check_tls(const struct raw *r, GError **err)
{
	if (!r->tls_cert == !r->tls_key)
		return TRUE;
	g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "%s %s given without %s: HTTPS needs both the certificate and its "
		    "private key (see docs/web.md)", r->tls_cert ? "--tls-cert" : "--tls-key",
		    r->tls_cert ? r->tls_cert : r->tls_key, r->tls_cert ? "--tls-key" : "--tls-cert");
	return FALSE;
}

gboolean he_address_is_loopback(const char *address)
{
	return g_str_has_prefix(address, "127.") || g_str_has_prefix(address, "[::1]") ||
	       g_str_has_prefix(address, "localhost:");
}

/* Without a token, whoever reaches the web port watches and types into
 * every machine: that is only acceptable on loopback. */
static gboolean check_token(const struct raw *r, GError **err)
{
	if (r->no_token && r->token) {
		g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--no-token and --token together: give one of them");
		return FALSE;
	}
	if (r->no_token && r->http && !he_address_is_loopback(r->http)) {
		g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--http %s with --no-token: anyone who can reach that address could "
			    "watch and type into the machines; drop --no-token (a random token is "
			    "then made and printed), give --token TOKEN, or listen on 127.0.0.1 "
			    "behind a proxy that authenticates", r->http);
		return FALSE;
	}
	return TRUE;
}

/* What guests and viewers may make hostencd keep (docs/hostencd.md, "Memory"). */
static gboolean apply_memory(const struct raw *r, struct he_config *c, GError **err)
{
	if (r->encoder_idle != NOT_GIVEN) {
		if (!in_range("--encoder-idle", r->encoder_idle, 0, 86400, err))
			return FALSE;
		c->stream.encoder_idle_s = (uint32_t)r->encoder_idle;
	}
	if (r->max_gop_bytes != NOT_GIVEN) {
		if (!in_range("--max-gop-bytes", r->max_gop_bytes, 1 << 20, G_MAXINT64, err))
			return FALSE;
		c->stream.gop_budget = (uint64_t)r->max_gop_bytes;
	}
	if (r->max_viewers != NOT_GIVEN) {
		if (!in_range("--max-viewers", r->max_viewers, 1, 65536, err))
			return FALSE;
		c->max_viewers = (uint32_t)r->max_viewers;
	}
	if (r->max_viewer_bytes != NOT_GIVEN) {
		if (!in_range("--max-viewer-bytes", r->max_viewer_bytes, 1 << 20, G_MAXINT64, err))
			return FALSE;
		c->max_viewer_bytes = (uint64_t)r->max_viewer_bytes;
	}
	return TRUE;
}

static gboolean apply(struct raw *r, struct he_config *c, GError **err)
{
	if (!apply_ints(r, c, err) || !apply_session_guards(r, c, err) ||
	    !apply_memory(r, c, err) || !check_tls(r, err))
		return FALSE;
	if (r->max_size && !parse_size("--max-size", r->max_size, &c->hxfr.max_width, &c->hxfr.max_height, err))
		return FALSE;
	if (r->pattern_size &&
	    !parse_size("--pattern-size", r->pattern_size, &c->pattern_width, &c->pattern_height, err))
		return FALSE;
	if (!check_token(r, err))
		return FALSE;
	if (r->view_token && (!r->token || g_str_equal(r->view_token, r->token))) {
		g_set_error_literal(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, r->token ?
			"--view-token equals --token: give them different values (a viewer's role "
			"comes from the token it presents)" :
			"--view-token without --token: give --token TOKEN too (--token watches and "
			"sends input, --view-token only watches)");
		return FALSE;
	}
	if (r->encode_priority && he_thread_priority_from_name(r->encode_priority) < 0) {
		g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--encode-priority '%s': "
			    "expected high, normal or realtime", r->encode_priority);
		return FALSE;
	}
	if (r->encode_priority)
		c->stream.priority = he_thread_priority_from_name(r->encode_priority);
	c->stream.intra_refresh = r->intra_refresh;
	c->no_token = r->no_token;
	c->pattern = !r->no_pattern;
	c->vms = !r->no_vms;
	c->vm_dir = g_steal_pointer(&r->vm_dir);
	c->allow_origins = g_steal_pointer(&r->allow_origins);
	for (char **o = r->scanout_owners; o && *o; o++)
		if (!he_hxfr_check_scanout_owner(*o, err))
			return FALSE;
	c->scanout_owners = g_steal_pointer(&r->scanout_owners);
	c->allow_hosts = g_steal_pointer(&r->allow_hosts);
	c->vm_bus = g_steal_pointer(&r->vm_bus);
	c->listen = g_steal_pointer(&r->listen);
	c->shm = g_steal_pointer(&r->shm);
	c->encoder = g_steal_pointer(&r->encoder);
	c->http = g_steal_pointer(&r->http);
	c->token = g_steal_pointer(&r->token);
	c->view_token = g_steal_pointer(&r->view_token);
	c->tls_cert = g_steal_pointer(&r->tls_cert);
	c->tls_key = g_steal_pointer(&r->tls_key);
	if (!c->listen) {
		c->listen = g_new0(char *, 2);
		c->listen[0] = g_strdup_printf("tcp:127.0.0.1:%d", HE_HXFR_DEFAULT_PORT);
	}
	return TRUE;
}

int he_options_parse(int *argc, char ***argv, struct he_config *cfg, struct he_options *opts,
		     GError **err)
{
	struct raw r;
	GOptionEntry entries[] = {
		{ "listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &r.listen,
		  "Accept guests on SPEC: tcp:HOST:PORT, unix:PATH or vsock:CID:PORT; repeatable "
		  "(default tcp:127.0.0.1:15937, loopback only)", "SPEC" },
		{ "shm", 's', 0, G_OPTION_ARG_STRING_ARRAY, &r.shm,
		  "Offer the shared-memory path through file PATH (e.g. the mem-path of a QEMU "
		  "ivshmem-plain device); NAME=PATH names the region; repeatable", "[NAME=]PATH" },
		{ "scanout-owner", 0, 0, G_OPTION_ARG_STRING_ARRAY, &r.scanout_owners,
		  "Scanout ID belongs to VM: only a guest on that VM's own channel may enable it "
		  "(ids a VM's guest enables become its own anyway); repeatable", "ID=VM" },
		{ "encoder", 'e', 0, G_OPTION_ARG_STRING, &r.encoder,
		  "Use this libavcodec encoder (see --list-encoders); default: hardware first, then "
		  "libx264", "NAME" },
		{ "list-encoders", 0, 0, G_OPTION_ARG_NONE, &r.list_encoders,
		  "Probe every H.264 encoder candidate, say which work here and why not, then exit",
		  NULL },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &r.config,
		  "Read options from key file FILE, group [hostencd], keys named like the long "
		  "options (listen and shm are ;-separated lists); the command line wins", "FILE" },
		{ "http", 0, 0, G_OPTION_ARG_STRING, &r.http,
		  "Serve the browser player and stats on HOST:PORT (default 127.0.0.1:8080)", "HOST:PORT" },
		{ "allow-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &r.allow_origins,
		  "Also accept viewers whose page comes from ORIGIN (e.g. https://proxy.example); "
		  "pages of other sites are refused; repeatable", "ORIGIN" },
		{ "allow-host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &r.allow_hosts,
		  "Also answer requests that name NAME in Host (this machine's DNS name, a "
		  "proxy's); IP addresses and localhost always work, other names get 421; "
		  "repeatable", "NAME" },
		{ "token", 0, 0, G_OPTION_ARG_STRING, &r.token,
		  "Require this access token from browser viewers; HXFR SUBSCRIBE is then "
		  "only taken on a unix socket from hostencd's own user or root", "TOKEN" },
		{ "view-token", 0, 0, G_OPTION_ARG_STRING, &r.view_token,
		  "Also accept this token from browser viewers, who then only watch: no keyboard, "
		  "pointer or resize (needs --token, which watches and controls)", "TOKEN" },
		{ "no-token", 0, 0, G_OPTION_ARG_NONE, &r.no_token,
		  "Serve the web port without a token (loopback addresses only). Without "
		  "--token or this, hostencd makes a random token at start and prints it in "
		  "the ready URL", NULL },
		{ "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &r.tls_cert,
		  "Serve the web port over HTTPS with this PEM certificate (chain); needs "
		  "--tls-key. Browsers decode video (WebCodecs) only on https or localhost", "FILE" },
		{ "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &r.tls_key,
		  "The PEM private key of --tls-cert", "FILE" },
		{ "max-web-connections", 0, 0, G_OPTION_ARG_INT, &r.max_web_connections,
		  "Most connections to the web port at once (HTTP and WebSocket), 1..65536; "
		  "further ones are closed on arrival (default 256)", "N" },
		{ "web-idle-timeout", 0, 0, G_OPTION_ARG_INT, &r.web_idle_timeout,
		  "Close a web connection that waits this long for a request or moves no data, "
		  "1..3600 s (default 30)", "S" },
		{ "max-viewers", 0, 0, G_OPTION_ARG_INT, &r.max_viewers,
		  "Most browser viewers at once, over all streams, 1..65536; one more is refused "
		  "with 503 (default 64)", "N" },
		{ "max-viewer-bytes", 0, 0, G_OPTION_ARG_INT64, &r.max_viewer_bytes,
		  "Bytes queued to all browser viewers together; over it the viewers with the "
		  "longest queues skip to the next keyframe (default 134217728)", "BYTES" },
		{ "encoder-idle", 0, 0, G_OPTION_ARG_INT, &r.encoder_idle,
		  "Release a stream's encoder after S seconds without a frame (keepalives "
		  "for its viewers count as frames); 0 = never (default 10)", "S" },
		{ "max-gop-bytes", 0, 0, G_OPTION_ARG_INT64, &r.max_gop_bytes,
		  "Bytes of the GOPs kept for late viewers, all streams together; over it "
		  "the largest are dropped (default 67108864)", "BYTES" },
		{ "vm-dir", 0, 0, G_OPTION_ARG_FILENAME, &r.vm_dir,
		  "Show the VMs hostenc-vm starts in DIR (default $HOSTENC_VM_DIR, else "
		  "$XDG_RUNTIME_DIR/hostenc/vms, else /run/hostenc/vms as root)", "DIR" },
		{ "vm-bus", 0, 0, G_OPTION_ARG_STRING_ARRAY, &r.vm_bus,
		  "Show VM NAME, whose QEMU runs with -display dbus on the D-Bus bus at ADDRESS "
		  "(e.g. vm2=unix:path=/tmp/bus); repeatable", "NAME=ADDRESS" },
		{ "no-vms", 0, 0, G_OPTION_ARG_NONE, &r.no_vms,
		  "Do not watch for VMs", NULL },
		{ "no-pattern", 0, 0, G_OPTION_ARG_NONE, &r.no_pattern,
		  "Do not offer the built-in test pattern source (id 0)", NULL },
		{ "pattern-size", 0, 0, G_OPTION_ARG_STRING, &r.pattern_size,
		  "Test pattern size (default 1280x720)", "WxH" },
		{ "pattern-fps", 0, 0, G_OPTION_ARG_INT, &r.pattern_fps,
		  "Test pattern frame rate, 1..240 (default 30)", "N" },
		{ "bitrate", 'b', 0, G_OPTION_ARG_INT64, &r.bitrate,
		  "Default bitrate in bits/s, 10000..1000000000; 0 = 9 bits per pixel per "
		  "second up to 8 Mb/s, at least 4 (8 Mb/s at 720p, 8.3 at 1080p)",
		  "BPS" },
		{ "gop", 0, 0, G_OPTION_ARG_INT, &r.gop,
		  "Frames between periodic IDRs (with --intra-refresh: between refresh waves); "
		  "0 = none, IDRs only when a viewer or guest needs one (default; with "
		  "--intra-refresh a wave every 10 s)", "N" },
		{ "intra-refresh", 0, 0, G_OPTION_ARG_NONE, &r.intra_refresh,
		  "libx264: refresh the picture by a moving column of intra blocks instead of "
		  "periodic IDRs; IDRs only when a viewer joins or asks", NULL },
		{ "vbv-frames", 0, 0, G_OPTION_ARG_INT, &r.vbv_frames,
		  "Rate-control buffer in frames, 0..600; 1 caps every frame (IDRs too) near "
		  "bitrate/fps; 0 = half a second (default)", "N" },
		{ "encode-priority", 0, 0, G_OPTION_ARG_STRING, &r.encode_priority,
		  "Scheduling of the encode threads: high (nice -10), normal, or realtime "
		  "(SCHED_RR 1); default high, normal where not permitted", "LEVEL" },
		{ "keepalive-fps", 0, 0, G_OPTION_ARG_INT, &r.keepalive_fps,
		  "Re-encode the last frame of a static source at this rate for its viewers, 0..30; "
		  "0 = off (default 2)", "N" },
		{ "max-sessions", 0, 0, G_OPTION_ARG_INT, &r.max_sessions,
		  "Most guest connections at once, 1..1024 (default 32)", "N" },
		{ "max-size", 0, 0, G_OPTION_ARG_STRING, &r.max_size,
		  "Largest frame accepted (default 4096x4096)", "WxH" },
		{ "max-payload", 0, 0, G_OPTION_ARG_INT64, &r.max_payload,
		  "Largest message in bytes (default 67108864: a 4K BGRA frame fits)", "BYTES" },
		{ "max-inflight", 0, 0, G_OPTION_ARG_INT, &r.max_inflight,
		  "Frames a guest may have in flight, 1..64 (default 4)", "N" },
		{ "max-inflight-bytes", 0, 0, G_OPTION_ARG_INT64, &r.max_inflight_bytes,
		  "Bytes of queued inline frames across all guests (default 1 GiB)", "BYTES" },
		{ "max-shm", 0, 0, G_OPTION_ARG_INT64, &r.max_shm,
		  "Largest shared-memory ring a guest may attach, bytes (default 1 GiB)", "BYTES" },
		{ "idle-timeout", 0, 0, G_OPTION_ARG_INT, &r.idle_timeout,
		  "Close a guest that stalls this many seconds inside a message (default 10)", "S" },
		{ "handshake-timeout", 0, 0, G_OPTION_ARG_INT, &r.handshake_timeout,
		  "Close a connection whose first message is not complete after S seconds, "
		  "1..3600 (default 10)", "S" },
		{ "session-idle-timeout", 0, 0, G_OPTION_ARG_INT, &r.session_idle_timeout,
		  "Close a session that sends no message for S seconds while nothing is in "
		  "flight, it subscribes to nothing and nobody watches its stream; 0 = never "
		  "(default 120)", "S" },
		{ "max-sessions-per-peer", 0, 0, G_OPTION_ARG_INT, &r.max_peer_sessions,
		  "Most sessions from one TCP address (an IPv6 /64) or vsock CID, 0..1024; "
		  "0 = no limit; unix sockets are not limited (default 8)", "N" },
		{ "max-session-bytes", 0, 0, G_OPTION_ARG_INT64, &r.max_session_bytes,
		  "Bytes of inline frames one guest may have in flight (default a quarter of "
		  "--max-inflight-bytes)", "BYTES" },
		{ "socket-mode", 0, 0, G_OPTION_ARG_STRING, &r.socket_mode,
		  "Permissions of unix listening sockets, octal (default 0660)", "OCTAL" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &r.verbose,
		  "Log info and debug messages (same as G_MESSAGES_DEBUG=all)", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &r.version, "Print the version and exit", NULL },
		{ "check-config", 0, 0, G_OPTION_ARG_NONE, &r.check_config,
		  "Read the command line and --config FILE, say whether they are valid, and exit "
		  "(0: valid; 2: what is wrong)", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- host H.264 encoder for VM desktops");
	gboolean ok;

	raw_init(&r);
	g_option_context_set_summary(ctx,
		"Encodes guest frames (HXFR protocol, inline or shared memory) and a built-in test\n"
		"pattern with the host's H.264 encoder, and serves them to guests, HXFR\n"
		"subscribers and browsers. See docs/hostencd.md.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	ok = g_option_context_parse(ctx, argc, argv, err);
	if (ok && *argc > 1) {
		g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "unexpected argument '%s' (options start with --; see --help)", (*argv)[1]);
		ok = FALSE;
	}
	if (ok && r.config)
		ok = load_key_file(&r, err);
	if (ok)
		ok = apply(&r, cfg, err);
	opts->list_encoders = r.list_encoders;
	opts->verbose = r.verbose;
	opts->version = r.version;
	opts->check_config = r.check_config;
	raw_clear(&r);
	return ok ? 0 : -1;
}
