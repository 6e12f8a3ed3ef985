/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file report.h
 * The end of a soak run: the summary tables (Markdown, on stdout), the
 * verdict, and the curve of resident memory and descriptors as an SVG.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "sampler.h"

struct soak;

struct soak_run_info {
	GArray *samples;               /**< struct soak_sample, the whole run */
	struct soak_sample quiet_start; /**< all connected, before any attack */
	struct soak_sample quiet_end;   /**< the same after the last attack */
	char *load_start, *load_end;
	int exit_status;               /**< hostencd's after SIGTERM; -1 killed/unknown */
	bool daemon_died;              /**< during the run */
	char *command;                 /**< how this run was started */
};

/** Print the tables. @return whether every invariant held. */
bool soak_report(struct soak *s, const struct soak_run_info *info);

/** Write the curve to @p path. @return false (message printed) on error. */
bool soak_report_svg(struct soak *s, const struct soak_run_info *info, const char *path);
