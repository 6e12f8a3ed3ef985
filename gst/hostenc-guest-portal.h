/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostenc-guest's capture under Wayland: a screen cast of one monitor
 * through xdg-desktop-portal's ScreenCast D-Bus API (GDBus), handed to
 * pipewiresrc as a PipeWire fd and node id. See hostenc-guest-portal.c. */
#ifndef HOSTENC_GUEST_PORTAL_H
#define HOSTENC_GUEST_PORTAL_H

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _HgPortal HgPortal;
typedef void (*HgPortalClosedFunc) (gpointer data);

/**
 * Ask the portal on the session bus for a screen cast of one monitor
 * (CreateSession, SelectSources, Start: the user may be asked in a
 * dialog; OpenPipeWireRemote). Blocks, iterating the thread-default main
 * context, until the portal answered or @cancel is cancelled (then
 * G_IO_ERROR_CANCELLED). A restore token, where the portal gives one, is
 * kept in $XDG_STATE_HOME/hostenc/portal-restore-token so that the next
 * start need not ask again. NULL with @err (a message that says what to
 * install or set) on failure.
 */
HgPortal *hg_portal_open (GCancellable * cancel, GError ** err);

/** The PipeWire remote's fd (owned by @p) and the stream's node id. */
gint hg_portal_fd (HgPortal * p);
guint32 hg_portal_node (HgPortal * p);

/** Call @func when the portal closes the session (the user stopped
 * sharing). */
void hg_portal_watch_closed (HgPortal * p, HgPortalClosedFunc func,
    gpointer data);

/** Close the session (Session.Close) and the fd; frees @p. NULL is fine. */
void hg_portal_close (HgPortal * p);

G_END_DECLS

#endif
