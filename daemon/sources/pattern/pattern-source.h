/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The built-in test-pattern source: renders frames at a fixed rate while
 * anyone watches, so that hostencd alone has something to show. Keyboard
 * and pointer input from viewers is drawn into the picture. */
#ifndef HOSTENC_PATTERN_SOURCE_H
#define HOSTENC_PATTERN_SOURCE_H

#include <stdint.h>

struct he_daemon;
struct he_pattern_source;

struct he_pattern_source *he_pattern_source_new(struct he_daemon *d, uint32_t id, uint32_t width,
						uint32_t height, uint32_t fps);
void he_pattern_source_free(struct he_pattern_source *ps);

#endif
