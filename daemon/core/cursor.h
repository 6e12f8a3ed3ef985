/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pointer's shape and place as the machine shows it, sent to outputs
 * beside the video so that a viewer draws it locally (no round trip for
 * pointer motion). Immutable once made; refcounted. */
#ifndef HOSTENC_CORE_CURSOR_H
#define HOSTENC_CORE_CURSOR_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define HE_CURSOR_MAX_DIM 256

struct he_cursor {
	gint ref;
	uint32_t width, height;  /**< 0x0: no shape (the default arrow) */
	int32_t hot_x, hot_y;
	GBytes *bgra;            /**< width*height*4 bytes, B,G,R,A in memory, straight alpha */
	bool visible;
	int32_t x, y;            /**< position in picture pixels, -1 when unknown */
	uint64_t shape_serial;   /**< changes when the shape changes */
};

struct he_cursor *he_cursor_ref(struct he_cursor *c);
void he_cursor_unref(struct he_cursor *c);

typedef struct he_cursor he_cursor;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(he_cursor, he_cursor_unref)

#endif
