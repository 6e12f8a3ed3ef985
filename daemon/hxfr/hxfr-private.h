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
	GHashTable *scanouts;   /* scanout id -> the VM it belongs to (scanouts.c) */
	uint32_t n_sessions;
	uint64_t inflight_bytes; /* bytes held by queued frames of all sessions */
	uint32_t next_session_id;
};

/* hxfr-server.c */
void hxfr_session_added(struct he_hxfr *hx, struct he_session *s);
void hxfr_session_removed(struct he_hxfr *hx, struct he_session *s);

/* scanouts.c: which VM a scanout id belongs to */
gboolean hxfr_scanouts_init(struct he_hxfr *hx, const char *const *owners, GError **err);
void hxfr_scanouts_clear(struct he_hxfr *hx);
/* May a session of @machine (NULL: not a VM's channel) enable @id? NULL if
 * so (an id a VM's guest enables becomes the VM's), else the VM owning it. */
const char *hxfr_scanout_claim(struct he_hxfr *hx, uint32_t id, const char *machine);
/* The VM is gone: the ids its guests claimed are free again. */
void hxfr_scanouts_machine_gone(struct he_hxfr *hx, const char *machine);

/* hxfr-machine.c */
struct hxfr_machine *hxfr_machine_ref(struct hxfr_machine *m);
void hxfr_machine_unref(struct hxfr_machine *m);
/* The sink a machine's guest streams get: forwards while the machine lives. */
struct he_input_sink hxfr_machine_sink(struct hxfr_machine *m);

#endif
