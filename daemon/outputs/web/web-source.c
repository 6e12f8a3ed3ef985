/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which stream a page names with source=: the same rule for the stream
 * and for thumbnails. */
#include "web-private.h"

struct he_stream *web_source_find(struct he_web *w, const char *source)
{
	guint64 id;

	if (!source)
		return he_registry_find(w->reg, 0);
	/* all digits: an id; anything else a stable name, never a fallback */
	if (g_ascii_string_to_unsigned(source, 10, 0, UINT32_MAX, &id, NULL))
		return he_registry_find(w->reg, (uint32_t)id);
	return he_registry_find_name(w->reg, source);
}
