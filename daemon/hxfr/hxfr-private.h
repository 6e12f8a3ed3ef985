/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the files of daemon/hxfr. */
#ifndef HOSTENC_HXFR_PRIVATE_H
#define HOSTENC_HXFR_PRIVATE_H

#include "hxfr-server.h"
#include "stream.h"

struct he_shm_regions;
struct he_session;

struct he_hxfr {
	struct he_hxfr_config cfg;
	char **shm_specs;
	struct he_registry *reg;
	struct he_stream_env env;
	char *encoder_name;
	bool encoder_hardware;
	struct he_shm_regions *regions;
	GList *listeners;       /* struct he_listener* */
	GList *sessions;        /* struct he_session* */
	uint32_t n_sessions;
	uint64_t inflight_bytes; /* bytes held by queued frames of all sessions */
	uint32_t next_session_id;
};

/* hxfr.c */
void hxfr_session_added(struct he_hxfr *hx, struct he_session *s);
void hxfr_session_removed(struct he_hxfr *hx, struct he_session *s);

#endif
