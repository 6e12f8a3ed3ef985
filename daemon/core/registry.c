/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "registry.h"

#include "stream.h"

struct he_registry {
	GHashTable *by_id;    /* id -> stream (borrowed) */
	GHashTable *by_name;  /* name (borrowed from the stream) -> stream */
	uint32_t next_id;
};

struct he_registry *he_registry_create(void)
{
	struct he_registry *r = g_new0(struct he_registry, 1);

	r->by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
	r->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	r->next_id = HE_REGISTRY_DYNAMIC_BASE;
	return r;
}

void he_registry_destroy(struct he_registry *r)
{
	if (!r)
		return;
	if (g_hash_table_size(r->by_id))
		g_warning("registry destroyed with %u streams still in it",
			  g_hash_table_size(r->by_id));
	g_hash_table_destroy(r->by_id);
	g_hash_table_destroy(r->by_name);
	g_free(r);
}

bool he_registry_add(struct he_registry *r, struct he_stream *s)
{
	uint32_t id = he_stream_id(s);

	if (g_hash_table_contains(r->by_id, GUINT_TO_POINTER(id)) ||
	    g_hash_table_contains(r->by_name, he_stream_name(s)))
		return false;
	g_hash_table_insert(r->by_id, GUINT_TO_POINTER(id), s);
	g_hash_table_insert(r->by_name, (gpointer)he_stream_name(s), s);
	return true;
}

void he_registry_remove(struct he_registry *r, struct he_stream *s)
{
	uint32_t id = he_stream_id(s);

	if (g_hash_table_lookup(r->by_id, GUINT_TO_POINTER(id)) == s)
		g_hash_table_remove(r->by_id, GUINT_TO_POINTER(id));
	if (g_hash_table_lookup(r->by_name, he_stream_name(s)) == s)
		g_hash_table_remove(r->by_name, he_stream_name(s));
}

struct he_stream *he_registry_find(struct he_registry *r, uint32_t id)
{
	return g_hash_table_lookup(r->by_id, GUINT_TO_POINTER(id));
}

struct he_stream *he_registry_find_name(struct he_registry *r, const char *name)
{
	return name ? g_hash_table_lookup(r->by_name, name) : NULL;
}

uint32_t he_registry_alloc_id(struct he_registry *r)
{
	while (g_hash_table_contains(r->by_id, GUINT_TO_POINTER(r->next_id)))
		r->next_id = r->next_id == UINT32_MAX ? HE_REGISTRY_DYNAMIC_BASE : r->next_id + 1;
	return r->next_id++;
}

char *he_registry_unique_name(struct he_registry *r, const char *base)
{
	char *name = g_strdup(base);

	for (unsigned n = 2; g_hash_table_contains(r->by_name, name); n++) {
		g_free(name);
		name = g_strdup_printf("%s-%u", base, n);
	}
	return name;
}

static gint by_id(gconstpointer a, gconstpointer b)
{
	uint32_t x = he_stream_id(a), y = he_stream_id(b);

	return (x > y) - (x < y);
}

GList *he_registry_list(struct he_registry *r)
{
	return g_list_sort(g_hash_table_get_values(r->by_id), by_id);
}

