/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal, blocking QMP client for hostenc-vm's own control socket:
 * check that QEMU is up, and ask it to quit.  hostencd has its own socket.
 */
#pragma once

#include <gio/gio.h>

/* Connects, reads the greeting and negotiates capabilities; the caller
 * closes the returned connection when done. */
GSocketConnection *hvm_qmp_connect(const char *path, guint timeout_s,
				   GError **error);
/* Sends one command (a JSON object) and waits for its "return" or "error";
 * *reply (optional) gets the reply line. */
gboolean hvm_qmp_execute(GSocketConnection *conn, const char *json,
			 char **reply, GError **error);
