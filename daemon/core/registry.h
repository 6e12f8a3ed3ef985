/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The streams a daemon offers, by numeric id and by stable name. Producers
 * add their stream when they create it and remove it before destroying it;
 * outputs look streams up here. Main loop only. */
#ifndef HOSTENC_CORE_REGISTRY_H
#define HOSTENC_CORE_REGISTRY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct he_stream;
struct he_registry;

/** Numeric ids handed out for guests start here (below: pattern, scanout ids). */
#define HE_REGISTRY_DYNAMIC_BASE 256

struct he_registry *he_registry_create(void);
/** Streams must have been removed by their producers. */
void he_registry_destroy(struct he_registry *r);

/** false when the id or the name is taken. */
bool he_registry_add(struct he_registry *r, struct he_stream *s);
void he_registry_remove(struct he_registry *r, struct he_stream *s);
struct he_stream *he_registry_find(struct he_registry *r, uint32_t id);
struct he_stream *he_registry_find_name(struct he_registry *r, const char *name);
/** A free id at or above HE_REGISTRY_DYNAMIC_BASE. */
uint32_t he_registry_alloc_id(struct he_registry *r);
/** A name not in use: @p base, else "@p base-2", "@p base-3", ... (g_free). */
char *he_registry_unique_name(struct he_registry *r, const char *base);
/** Every stream, sorted by id (free the list, not the streams). */
GList *he_registry_list(struct he_registry *r);

#endif
