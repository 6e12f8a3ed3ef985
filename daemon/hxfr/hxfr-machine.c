/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Machines whose guests come on a channel of their own (a VM's
 * virtio-serial socket): their sessions' streams carry the machine's name
 * and take its input, and their rings must be in the machine's own file. */
#define G_LOG_DOMAIN "hostenc.hxfr"
#include <gio/gio.h>

#include "hxfr-private.h"
#include "listener.h"
#include "shm.h"

struct hxfr_machine *hxfr_machine_ref(struct hxfr_machine *m)
{
	g_atomic_int_inc(&m->ref);
	return m;
}

void hxfr_machine_unref(struct hxfr_machine *m)
{
	if (!m || !g_atomic_int_dec_and_test(&m->ref))
		return;
	he_shm_regions_destroy(m->regions);
	g_free(m->name);
	g_free(m);
}

static void forward_event(void *data, const struct he_input_event *ev)
{
	struct hxfr_machine *m = data;

	if (m->alive)
		he_input_sink_send(&m->input, ev);
}

static const struct he_input_sink_impl machine_sink_impl = {
	.version = HE_INPUT_SINK_VERSION,
	.event = forward_event,
	.resize = NULL, /* a guest-encoded stream's size is the guest's pipeline's */
};

struct he_input_sink hxfr_machine_sink(struct hxfr_machine *m)
{
	return (struct he_input_sink){ &machine_sink_impl, m };
}

gboolean he_hxfr_machine_add(struct he_hxfr *hx, const char *name, const char *socket_path,
			     const char *shm_path, const struct he_input_sink *input,
			     GError **err)
{
	struct hxfr_machine *m;
	g_autofree char *spec = g_strdup_printf("unix:%s", socket_path);

	he_hxfr_machine_remove(hx, name);
	m = g_new0(struct hxfr_machine, 1);
	m->ref = 1;
	m->name = g_strdup(name);
	m->input = input ? *input : (struct he_input_sink){ 0 };
	m->alive = true;
	m->regions = he_shm_regions_create();
	if (shm_path && g_file_test(shm_path, G_FILE_TEST_IS_REGULAR) &&
	    !he_shm_regions_add(m->regions, shm_path, err))
		goto fail;
	m->listener = he_listener_create(hx, spec, m, err);
	if (!m->listener)
		goto fail;
	g_hash_table_insert(hx->machines, m->name, m);
	g_message("VM %s: guests connect on %s%s%s", name, he_listener_address(m->listener),
		  he_shm_regions_count(m->regions) ? ", ring file " : "",
		  he_shm_regions_count(m->regions) ? shm_path : "");
	return TRUE;

	/* ERRORS */
fail:
	g_prefix_error(err, "VM %s: ", name);
	hxfr_machine_unref(m);
	return FALSE;
}

void he_hxfr_machine_remove(struct he_hxfr *hx, const char *name)
{
	struct hxfr_machine *m = g_hash_table_lookup(hx->machines, name);

	if (!m)
		return;
	g_hash_table_remove(hx->machines, name);
	hxfr_scanouts_machine_gone(hx, name);
	m->alive = false;
	he_listener_destroy(g_steal_pointer(&m->listener));
	hxfr_machine_unref(m);
}
