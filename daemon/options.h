/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HOSTENC_OPTIONS_H
#define HOSTENC_OPTIONS_H

#include <glib.h>
#include <stdbool.h>

#include "daemon.h"

struct he_options {
	bool list_encoders;
	bool verbose;
	bool version;
	bool check_config;
};

/**
 * Parse the command line (and the key file it names) into @p cfg, which
 * must hold defaults. @return 0, or -1 with @p err saying what to fix.
 */
int he_options_parse(int *argc, char ***argv, struct he_config *cfg, struct he_options *opts,
		     GError **err);

#endif
