/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HXFR module object: configuration, listeners and the session list. */
#define G_LOG_DOMAIN "hostenc.hxfr"
#include "hxfr-private.h"

#include <hxfr/hxfr.h>

#include "listener.h"
#include "session.h"
#include "shm.h"

void he_hxfr_config_defaults(struct he_hxfr_config *c)
{
	*c = (struct he_hxfr_config){
		.max_sessions = 32,
		.max_width = 4096,
		.max_height = 4096,
		.max_payload = HXFR_MAX_PAYLOAD_DEFAULT,
		.max_inflight_bytes = 1024ull << 20,
		.max_shm = 1024ull << 20,
		.max_inflight = 4,
		.idle_timeout_s = 10,
		.handshake_timeout_s = 10,
		.session_idle_timeout_s = 120,
		.max_peer_sessions = 8,
		.socket_mode = 0660,
		.output_queue = 8u << 20,
	};
}

struct he_hxfr *he_hxfr_create(const struct he_hxfr_config *cfg, struct he_registry *reg,
			       const struct he_stream_env *env,
			       const struct he_hxfr_encoder *encoder, GError **err)
{
	struct he_hxfr *hx = g_new0(struct he_hxfr, 1);

	hx->cfg = *cfg;
	/* A session's share: others still get theirs while it is at it. */
	if (!hx->cfg.max_session_bytes)
		hx->cfg.max_session_bytes = hx->cfg.max_inflight_bytes / 4;
	hx->cfg.max_session_bytes = MIN(hx->cfg.max_session_bytes, hx->cfg.max_inflight_bytes);
	hx->shm_specs = g_strdupv((char **)cfg->shm);
	hx->cfg.shm = (const char *const *)hx->shm_specs;
	hx->reg = reg;
	hx->env = *env;
	hx->encoder_name = g_strdup(encoder->name);
	hx->encoder_hardware = encoder->hardware;
	hx->next_session_id = 1;
	hx->machines = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, NULL);
	hx->regions = he_shm_regions_create();
	if (!hxfr_scanouts_init(hx, cfg->scanout_owners, err)) {
		he_hxfr_destroy(hx);
		return NULL;
	}
	hx->cfg.scanout_owners = NULL; /* not kept: the table holds them */
	for (char **r = hx->shm_specs; r && *r; r++) {
		if (!he_shm_regions_add(hx->regions, *r, err)) {
			he_hxfr_destroy(hx);
			return NULL;
		}
	}
	return hx;
}

void he_hxfr_destroy(struct he_hxfr *hx)
{
	if (!hx)
		return;
	g_list_free_full(g_steal_pointer(&hx->listeners), (GDestroyNotify)he_listener_destroy);
	if (hx->machines) {
		GList *names = g_hash_table_get_keys(hx->machines);

		for (GList *l = names; l; l = l->next)
			he_hxfr_machine_remove(hx, l->data);
		g_list_free(names);
		g_hash_table_destroy(hx->machines);
	}
	while (hx->sessions)
		he_session_destroy(hx->sessions->data);
	he_shm_regions_destroy(hx->regions);
	hxfr_scanouts_clear(hx);
	g_strfreev(hx->shm_specs);
	g_free(hx->encoder_name);
	g_free(hx);
}

const char *he_hxfr_listen(struct he_hxfr *hx, const char *spec, GError **err)
{
	struct he_listener *l = he_listener_create(hx, spec, NULL, err);

	if (!l)
		return NULL;
	hx->listeners = g_list_append(hx->listeners, l);
	return he_listener_address(l);
}

void hxfr_session_added(struct he_hxfr *hx, struct he_session *s)
{
	hx->sessions = g_list_prepend(hx->sessions, s);
	hx->n_sessions++;
}

void hxfr_session_removed(struct he_hxfr *hx, struct he_session *s)
{
	hx->sessions = g_list_remove(hx->sessions, s);
	hx->n_sessions--;
}

void he_hxfr_foreach_session(struct he_hxfr *hx,
			     void (*fn)(const struct he_session_info *info, void *data),
			     void *data)
{
	for (GList *l = hx->sessions; l; l = l->next) {
		struct he_session_info info;

		he_session_info(l->data, &info);
		fn(&info, data);
	}
}

uint32_t he_hxfr_session_count(struct he_hxfr *hx)
{
	return hx->n_sessions;
}
