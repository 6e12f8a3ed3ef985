/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon object: configuration defaults, the source registry, session
 * bookkeeping and rate-limited logging of guest misbehaviour. */
#define G_LOG_DOMAIN "hostenc.daemon"
#include "daemon.h"

#include <stdarg.h>
#include <string.h>

#include <hxfr/hxfr.h>

#include "session.h"
#include "shm.h"
#include "source.h"

void he_config_defaults(struct he_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_sessions = 32;
	c->max_width = 4096;
	c->max_height = 4096;
	c->max_payload = HXFR_MAX_PAYLOAD_DEFAULT;
	c->max_inflight_bytes = 1024ull << 20;
	c->max_shm = 1024ull << 20;
	c->max_inflight = 4;
	c->idle_timeout_s = 10;
	c->keepalive_fps = 2;
	c->consumer_queue = 8u << 20;
	c->pattern = true;
	c->pattern_width = 1280;
	c->pattern_height = 720;
	c->pattern_fps = 30;
}

void he_config_clear(struct he_config *c)
{
	g_strfreev(c->listen);
	g_strfreev(c->shm);
	g_free(c->encoder);
	g_free(c->http);
	g_free(c->token);
	memset(c, 0, sizeof(*c));
}

struct he_daemon *he_daemon_new(const struct he_config *cfg, GError **err)
{
	struct he_daemon *d = g_new0(struct he_daemon, 1);

	d->cfg = *cfg; /* takes ownership of the strings */
	d->ctx = g_main_context_ref_thread_default();
	d->regions = he_shm_regions_new();
	d->sources = g_hash_table_new(g_direct_hash, g_direct_equal);
	d->next_guest_id = HE_GUEST_SOURCE_BASE;
	for (char **r = d->cfg.shm; r && *r; r++) {
		if (!he_shm_regions_add(d->regions, *r, err)) {
			he_daemon_free(d);
			return NULL;
		}
	}
	return d;
}

void he_daemon_free(struct he_daemon *d)
{
	if (!d)
		return;
	while (d->sessions)
		he_session_destroy(d->sessions->data);
	g_hash_table_destroy(d->sources);
	he_shm_regions_free(d->regions);
	g_free(d->encoder_reason);
	g_main_context_unref(d->ctx);
	he_config_clear(&d->cfg);
	g_free(d);
}

void he_daemon_add_source(struct he_daemon *d, struct he_source *s)
{
	g_hash_table_insert(d->sources, GUINT_TO_POINTER(he_source_id(s)), s);
}

void he_daemon_remove_source(struct he_daemon *d, struct he_source *s)
{
	uint32_t id = he_source_id(s);

	if (g_hash_table_lookup(d->sources, GUINT_TO_POINTER(id)) == s)
		g_hash_table_remove(d->sources, GUINT_TO_POINTER(id));
}

struct he_source *he_daemon_find_source(struct he_daemon *d, uint32_t id)
{
	return g_hash_table_lookup(d->sources, GUINT_TO_POINTER(id));
}

uint32_t he_daemon_alloc_source_id(struct he_daemon *d)
{
	while (g_hash_table_contains(d->sources, GUINT_TO_POINTER(d->next_guest_id)))
		d->next_guest_id++;
	return d->next_guest_id++;
}

void he_daemon_session_added(struct he_daemon *d, struct he_session *s)
{
	d->sessions = g_list_prepend(d->sessions, s);
	d->n_sessions++;
}

void he_daemon_session_removed(struct he_daemon *d, struct he_session *s)
{
	d->sessions = g_list_remove(d->sessions, s);
	d->n_sessions--;
}

/* At most BURST lines per second; the rest are counted and summarised. */
#define GUEST_LOG_BURST 10

void he_guest_log(const char *peer, const char *fmt, ...)
{
	static int64_t window_start;
	static unsigned in_window, suppressed;
	int64_t now = g_get_monotonic_time();
	g_autofree char *text = NULL;
	va_list ap;

	if (now - window_start >= G_USEC_PER_SEC) {
		if (suppressed)
			g_log("hostenc.guest", G_LOG_LEVEL_MESSAGE,
			      "%u guest messages suppressed in the last second", suppressed);
		window_start = now;
		in_window = 0;
		suppressed = 0;
	}
	if (++in_window > GUEST_LOG_BURST) {
		suppressed++;
		return;
	}
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_log("hostenc.guest", G_LOG_LEVEL_MESSAGE, "%s: %s", peer, text);
}
