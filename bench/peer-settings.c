/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-peers: the peers' x264-params, following what hostencd's stream
 * says it used (x264-settings.h). */
#include <glib.h>
#include <string.h>

#include "peers.h"

/* Settings in the SEI's spelling and x264-params' spelling. */
static const char *const follow[][2] = {
	{ "scenecut", "scenecut" },
	{ "qpmin", "qpmin" },
	{ "qpmax", "qpmax" },
	{ "cabac", "cabac" },
	{ "8x8dct", "8x8dct" },
	{ "intra_refresh", "intra-refresh" },
};

char *peer_x264_params(const char *hostencd_settings)
{
	GString *s = g_string_new(PEER_X264_PARAMS);
	g_auto(GStrv) tok = g_strsplit(hostencd_settings ? hostencd_settings : "", " ", -1);

	for (int i = 0; tok[i]; i++) {
		const char *eq = strchr(tok[i], '=');

		for (size_t k = 0; eq && k < G_N_ELEMENTS(follow); k++) {
			if (strlen(follow[k][0]) == (size_t)(eq - tok[i]) &&
			    strncmp(tok[i], follow[k][0], (size_t)(eq - tok[i])) == 0)
				g_string_append_printf(s, ":%s=%s", follow[k][1], eq + 1);
		}
	}
	return g_string_free(s, FALSE);
}
