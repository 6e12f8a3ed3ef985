/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The built-in test-pattern producer: renders frames at a fixed rate while
 * anyone watches, so that hostencd alone has something to show. It is also
 * its own machine: viewers' keys and pointer are drawn into the picture. */
#ifndef HOSTENC_SOURCES_PATTERN_SOURCE_H
#define HOSTENC_SOURCES_PATTERN_SOURCE_H

#include <glib.h>
#include <stdint.h>

struct he_registry;
struct he_stream_env;
struct he_pattern_source;

#define HE_PATTERN_STREAM_ID 0
#define HE_PATTERN_STREAM_NAME "pattern"

/** NULL with @p err for a bad size or rate, or when the id/name is taken. */
struct he_pattern_source *he_pattern_source_create(struct he_registry *reg,
						   const struct he_stream_env *env,
						   uint32_t width, uint32_t height, uint32_t fps,
						   GError **err);
void he_pattern_source_destroy(struct he_pattern_source *ps);

#endif
