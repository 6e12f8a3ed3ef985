/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One encoded access unit, shared (refcounted) by every output of a stream
 * and by the guest that owns the stream. */
#ifndef HOSTENC_CORE_AU_H
#define HOSTENC_CORE_AU_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "video-format.h"

struct he_au {
	gint ref;
	GBytes *data;       /**< Annex B */
	struct he_video_format *format; /**< the stream description it belongs to */
	bool keyframe;
	bool keepalive;     /**< a static-screen re-encode */
	int64_t pts_ns;
	int64_t capture_us; /**< CLOCK_REALTIME µs of capture */
	int64_t encoded_us; /**< CLOCK_REALTIME µs when encoding finished */
	uint64_t seq;
	uint32_t width, height;
};

struct he_au *he_au_ref(struct he_au *au);
void he_au_unref(struct he_au *au);

typedef struct he_au he_au;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(he_au, he_au_unref)

#endif
