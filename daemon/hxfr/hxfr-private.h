/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the files of daemon/hxfr. */
#ifndef HOSTENC_HXFR_PRIVATE_H
#define HOSTENC_HXFR_PRIVATE_H

#include "hxfr-server.h"
#include "stream.h"

struct he_shm_regions;
struct he_session;
struct he_listener;

/* A machine whose guests arrive on a listener of their own. Refcounted:
 * its sessions may outlive it (then its input is gone). */
struct hxfr_machine {
	gint ref;
	char *name;
	struct he_input_sink input; /* valid while alive */
	bool alive;
	struct he_shm_regions *regions;
	struct he_listener *listener;
};

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
	GHashTable *machines;   /* name -> struct hxfr_machine* */
	uint32_t n_sessions;
	uint64_t inflight_bytes; /* bytes held by queued frames of all sessions */
	uint32_t next_session_id;
};

/* hxfr-server.c */
void hxfr_session_added(struct he_hxfr *hx, struct he_session *s);
void hxfr_session_removed(struct he_hxfr *hx, struct he_session *s);

/* hxfr-machine.c */
struct hxfr_machine *hxfr_machine_ref(struct hxfr_machine *m);
void hxfr_machine_unref(struct hxfr_machine *m);
/* The sink a machine's guest streams get: forwards while the machine lives. */
struct he_input_sink hxfr_machine_sink(struct hxfr_machine *m);

#endif
