/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging of what guests and other peers do wrong, rate-limited over the
 * whole process (domain "hostenc.guest"): a peer cannot flood the log. */
#ifndef HOSTENC_CORE_GUEST_LOG_H
#define HOSTENC_CORE_GUEST_LOG_H

#include <glib.h>

void he_guest_log(const char *peer, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
