/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may ENABLE_SCANOUT an id. A scanout id is what viewers and
 * subscribers ask for, so whoever holds it decides what they watch. An id
 * given to a VM with --scanout-owner ID=VM, and an id a VM's guest enabled
 * on the VM's own channel, belong to that VM until it goes away: a guest
 * rebooting does not free it for another peer to take in between. Other
 * ids go to whoever enables them first, for as long as that session has
 * them. */
#define G_LOG_DOMAIN "hostenc.hxfr"
#include "hxfr-private.h"

#include <gio/gio.h>
#include <string.h>

struct scanout_claim {
	char *machine;
	bool configured; /* from --scanout-owner: kept when the VM goes */
};

static void claim_free(void *p)
{
	struct scanout_claim *c = p;

	g_free(c->machine);
	g_free(c);
}

static void claim(struct he_hxfr *hx, uint32_t id, const char *machine, bool configured)
{
	struct scanout_claim *c = g_new0(struct scanout_claim, 1);

	c->machine = g_strdup(machine);
	c->configured = configured;
	g_hash_table_replace(hx->scanouts, GUINT_TO_POINTER(id), c);
}

static gboolean parse_owner(const char *spec, uint32_t *id, const char **vm, GError **err)
{
	const char *eq = strchr(spec, '=');
	g_autofree char *num = eq ? g_strndup(spec, (gsize)(eq - spec)) : NULL;
	guint64 v;

	if (!eq || !eq[1] || !g_ascii_string_to_unsigned(num, 10, 0, UINT32_MAX - 1, &v, NULL)) {
		g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--scanout-owner %s: expected ID=VM, e.g. 1=vm1 (the scanout id, "
			    "then the name of the VM whose channel alone may enable it)", spec);
		return FALSE;
	}
	*id = (uint32_t)v;
	*vm = eq + 1;
	return TRUE;
}

gboolean he_hxfr_check_scanout_owner(const char *spec, GError **err)
{
	uint32_t id;
	const char *vm;

	return parse_owner(spec, &id, &vm, err);
}

gboolean hxfr_scanouts_init(struct he_hxfr *hx, const char *const *owners, GError **err)
{
	hx->scanouts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, claim_free);
	for (const char *const *o = owners; o && *o; o++) {
		uint32_t id;
		const char *vm;

		if (!parse_owner(*o, &id, &vm, err))
			return FALSE;
		claim(hx, id, vm, true);
	}
	return TRUE;
}

void hxfr_scanouts_clear(struct he_hxfr *hx)
{
	g_clear_pointer(&hx->scanouts, g_hash_table_destroy);
}

const char *hxfr_scanout_claim(struct he_hxfr *hx, uint32_t id, const char *machine)
{
	struct scanout_claim *c = g_hash_table_lookup(hx->scanouts, GUINT_TO_POINTER(id));

	if (c)
		return machine && strcmp(c->machine, machine) == 0 ? NULL : c->machine;
	if (machine)
		claim(hx, id, machine, false);
	return NULL;
}

static gboolean claimed_by(void *key, void *value, void *machine)
{
	struct scanout_claim *c = value;

	(void)key;
	return !c->configured && strcmp(c->machine, machine) == 0;
}

void hxfr_scanouts_machine_gone(struct he_hxfr *hx, const char *machine)
{
	g_hash_table_foreach_remove(hx->scanouts, claimed_by, (void *)machine);
}
