/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The xdg-desktop-portal ScreenCast API for hostenc-guest (see
 * hostenc-guest-portal.h). Every portal method returns the path of a
 * Request object whose Response signal carries the results; the path is
 * predictable (.../request/SENDER/TOKEN, TOKEN being the handle_token we
 * pass), so we subscribe to it before calling, as the portal's
 * documentation asks, and follow the returned path when an old portal
 * answers with another one. */
#include "hostenc-guest-portal.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#define PORTAL_BUS "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define SCREENCAST "org.freedesktop.portal.ScreenCast"
#define REQUEST "org.freedesktop.portal.Request"
#define SESSION "org.freedesktop.portal.Session"

/* SelectSources: source types, cursor modes, persist modes */
#define SOURCE_MONITOR 1
#define CURSOR_EMBEDDED 2
#define PERSIST_UNTIL_REVOKED 2

#define BACKENDS "xdg-desktop-portal and your desktop's backend " \
  "(xdg-desktop-portal-gnome, -kde or -wlr)"

struct _HgPortal
{
  GDBusConnection *bus;
  GCancellable *cancel;
  gchar *sender;                /* our unique name as a path element */
  gchar *session;               /* the Session object's path */
  guint closed_sub;
  HgPortalClosedFunc closed_func;
  gpointer closed_data;
  guint tokens;
  gint fd;
  guint32 node;
};

typedef struct
{
  gboolean done;
  guint32 response;
  GVariant *results;
} Reply;

static void
on_response (GDBusConnection * bus, const gchar * sender, const gchar * path,
    const gchar * iface, const gchar * signal, GVariant * params,
    gpointer data)
{
  Reply *r = data;

  if (r->done || !g_variant_is_of_type (params, G_VARIANT_TYPE ("(ua{sv})")))
    return;
  g_variant_get (params, "(u@a{sv})", &r->response, &r->results);
  r->done = TRUE;
}

static guint
subscribe_response (HgPortal * p, const gchar * path, Reply * r)
{
  return g_dbus_connection_signal_subscribe (p->bus, PORTAL_BUS, REQUEST,
      "Response", path, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_response, r,
      NULL);
}

/* A failed method call: say which, unless we were interrupted. */
static void
prefix_call_error (GError ** err, const gchar * method)
{
  if (!err || !*err || g_error_matches (*err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if ((*err)->domain == G_DBUS_ERROR)
    g_dbus_error_strip_remote_error (*err);
  g_prefix_error (err, "the portal refused ScreenCast.%s: ", method);
}

/* A fresh token, a valid object path element. */
static gchar *
new_token (HgPortal * p, const gchar * what)
{
  return g_strdup_printf ("hostenc_guest_%s_%u_%u", what, (guint) getpid (),
      ++p->tokens);
}

/* Call @method (@args ends with the options, handle_token @token among
 * them) and wait for its Response. The results, or NULL with @err. */
static GVariant *
request (HgPortal * p, const gchar * method, GVariant * args,
    const gchar * token, GError ** err)
{
  g_autofree gchar *path = g_strdup_printf (PORTAL_PATH "/request/%s/%s",
      p->sender, token);
  g_autoptr (GVariant) ret = NULL;
  const gchar *handle;
  Reply r = { 0 };
  guint sub = subscribe_response (p, path, &r);

  ret = g_dbus_connection_call_sync (p->bus, PORTAL_BUS, PORTAL_PATH,
      SCREENCAST, method, args, G_VARIANT_TYPE ("(o)"),
      G_DBUS_CALL_FLAGS_NONE, -1, p->cancel, err);
  if (!ret) {
    g_dbus_connection_signal_unsubscribe (p->bus, sub);
    prefix_call_error (err, method);
    return NULL;
  }
  g_variant_get (ret, "(&o)", &handle);
  if (!g_str_equal (handle, path)) {
    /* a portal that ignores handle_token (before 0.9) */
    g_dbus_connection_signal_unsubscribe (p->bus, sub);
    sub = subscribe_response (p, handle, &r);
  }
  while (!r.done && !g_cancellable_is_cancelled (p->cancel)
      && !g_dbus_connection_is_closed (p->bus))
    g_main_context_iteration (NULL, TRUE);
  g_dbus_connection_signal_unsubscribe (p->bus, sub);

  if (!r.done) {
    if (g_dbus_connection_is_closed (p->bus)) {
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_CLOSED,
          "lost the session bus while waiting for the portal (%s)", method);
      return NULL;
    }
    /* dismiss the dialog, if any */
    g_dbus_connection_call (p->bus, PORTAL_BUS, handle, REQUEST, "Close",
        NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 1000, NULL, NULL, NULL);
    g_dbus_connection_flush_sync (p->bus, NULL, NULL);
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "interrupted while waiting for the portal (%s)", method);
    return NULL;
  }
  if (r.response != 0) {
    g_clear_pointer (&r.results, g_variant_unref);
    if (r.response == 1)
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
          "the screen cast was not allowed (cancelled in the portal's "
          "dialog, ScreenCast.%s)", method);
    else
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_FAILED,
          "the portal ended ScreenCast.%s without a result (response %u): "
          "see the journal of xdg-desktop-portal", method, r.response);
    return NULL;
  }
  return r.results;
}

/* A u property of the ScreenCast interface. */
static gboolean
get_property_u (HgPortal * p, const gchar * name, guint32 * out,
    GError ** err)
{
  g_autoptr (GVariant) ret = NULL, v = NULL;

  ret = g_dbus_connection_call_sync (p->bus, PORTAL_BUS, PORTAL_PATH,
      "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", SCREENCAST, name), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NONE, -1, p->cancel, err);
  if (!ret)
    return FALSE;
  g_variant_get (ret, "(v)", &v);
  if (!g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32)) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "ScreenCast.%s is a %s, not a u", name, g_variant_get_type_string (v));
    return FALSE;
  }
  *out = g_variant_get_uint32 (v);
  return TRUE;
}

static gchar *
restore_token_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "hostenc",
      "portal-restore-token", NULL);
}

static void
save_restore_token (const gchar * token)
{
  g_autofree gchar *path = restore_token_path ();
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autoptr (GError) err = NULL;

  if (g_mkdir_with_parents (dir, 0700) < 0
      || !g_file_set_contents_full (path, token, -1,
          G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err))
    g_printerr ("hostenc-guest: cannot keep the portal's restore token in "
        "%s (%s): the portal will ask again next time\n", path,
        err ? err->message : g_strerror (errno));
}

/* Checks that the portal is there and has ScreenCast; its version. */
static gboolean
probe (HgPortal * p, guint32 * version, guint32 * cursor_modes,
    GError ** err)
{
  g_autoptr (GError) e = NULL;

  if (!get_property_u (p, "version", version, &e)) {
    if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_propagate_error (err, g_steal_pointer (&e));
      return FALSE;
    }
    g_dbus_error_strip_remote_error (e);
    if (g_error_matches (e, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
        || g_error_matches (e, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "no xdg-desktop-portal on the session bus (%s): install " BACKENDS
          ", or use --capture x11 in an X11 session", e->message);
    else
      g_set_error (err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "the desktop portal has no ScreenCast interface (%s): install "
          "the portal backend of your compositor (xdg-desktop-portal-gnome, "
          "-kde or -wlr)", e->message);
    return FALSE;
  }
  /* since version 2; none: leave the cursor to the portal */
  if (!get_property_u (p, "AvailableCursorModes", cursor_modes, NULL))
    *cursor_modes = 0;
  return TRUE;
}

static gboolean
create_session (HgPortal * p, GError ** err)
{
  g_autofree gchar *token = new_token (p, "create");
  g_autofree gchar *session_token = new_token (p, "session");
  g_autoptr (GVariant) results = NULL, handle = NULL;
  GVariantBuilder opts;

  g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&opts, "{sv}", "handle_token",
      g_variant_new_string (token));
  g_variant_builder_add (&opts, "{sv}", "session_handle_token",
      g_variant_new_string (session_token));
  results = request (p, "CreateSession", g_variant_new ("(a{sv})", &opts),
      token, err);
  if (!results)
    return FALSE;
  /* documented as s, an object path in it; some portals send o */
  handle = g_variant_lookup_value (results, "session_handle", NULL);
  if (!handle || !(g_variant_is_of_type (handle, G_VARIANT_TYPE_STRING)
          || g_variant_is_of_type (handle, G_VARIANT_TYPE_OBJECT_PATH))
      || !g_variant_is_object_path (g_variant_get_string (handle, NULL))) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the portal's CreateSession gave no session_handle");
    return FALSE;
  }
  p->session = g_variant_dup_string (handle, NULL);
  return TRUE;
}

static gboolean
select_sources (HgPortal * p, guint32 version, guint32 cursor_modes,
    GError ** err)
{
  g_autofree gchar *token = new_token (p, "select");
  g_autofree gchar *restore_path = restore_token_path ();
  g_autofree gchar *restore = NULL;
  g_autoptr (GVariant) results = NULL;
  GVariantBuilder opts;

  g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&opts, "{sv}", "handle_token",
      g_variant_new_string (token));
  g_variant_builder_add (&opts, "{sv}", "types",
      g_variant_new_uint32 (SOURCE_MONITOR));
  g_variant_builder_add (&opts, "{sv}", "multiple",
      g_variant_new_boolean (FALSE));
  if (cursor_modes & CURSOR_EMBEDDED)
    g_variant_builder_add (&opts, "{sv}", "cursor_mode",
        g_variant_new_uint32 (CURSOR_EMBEDDED));
  if (version >= 4) {
    g_variant_builder_add (&opts, "{sv}", "persist_mode",
        g_variant_new_uint32 (PERSIST_UNTIL_REVOKED));
    if (g_file_get_contents (restore_path, &restore, NULL, NULL)
        && g_strstrip (restore)[0] && g_utf8_validate (restore, -1, NULL))
      g_variant_builder_add (&opts, "{sv}", "restore_token",
          g_variant_new_string (restore));
  }
  results = request (p, "SelectSources",
      g_variant_new ("(oa{sv})", p->session, &opts), token, err);
  return results != NULL;
}

static gboolean
start (HgPortal * p, GError ** err)
{
  g_autofree gchar *token = new_token (p, "start");
  g_autoptr (GVariant) results = NULL, streams = NULL;
  const gchar *restore = NULL;
  GVariantBuilder opts;
  gsize n;

  g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&opts, "{sv}", "handle_token",
      g_variant_new_string (token));
  g_printerr ("hostenc-guest: asking the desktop portal for a screen cast "
      "(your desktop may show a dialog)\n");
  results = request (p, "Start", g_variant_new ("(osa{sv})", p->session, "",
          &opts), token, err);
  if (!results)
    return FALSE;
  streams = g_variant_lookup_value (results, "streams",
      G_VARIANT_TYPE ("a(ua{sv})"));
  n = streams ? g_variant_n_children (streams) : 0;
  if (n == 0) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the portal's Start gave no stream");
    return FALSE;
  }
  g_variant_get_child (streams, 0, "(u@a{sv})", &p->node, NULL);
  if (n > 1)
    g_printerr ("hostenc-guest: the portal gave %" G_GSIZE_FORMAT
        " streams: using the first (node %u)\n", n, p->node);
  if (g_variant_lookup (results, "restore_token", "&s", &restore) && restore[0])
    save_restore_token (restore);
  return TRUE;
}

static gboolean
open_remote (HgPortal * p, GError ** err)
{
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GVariant) ret = NULL;
  gint32 index;

  ret = g_dbus_connection_call_with_unix_fd_list_sync (p->bus, PORTAL_BUS,
      PORTAL_PATH, SCREENCAST, "OpenPipeWireRemote",
      g_variant_new ("(oa{sv})", p->session, NULL), G_VARIANT_TYPE ("(h)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, &fds, p->cancel, err);
  if (!ret) {
    prefix_call_error (err, "OpenPipeWireRemote");
    return FALSE;
  }
  g_variant_get (ret, "(h)", &index);
  if (!fds || index < 0 || index >= g_unix_fd_list_get_length (fds)) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the portal's OpenPipeWireRemote gave no fd");
    return FALSE;
  }
  p->fd = g_unix_fd_list_get (fds, index, err);
  return p->fd >= 0;
}

static void
on_session_closed (GDBusConnection * bus, const gchar * sender,
    const gchar * path, const gchar * iface, const gchar * signal,
    GVariant * params, gpointer data)
{
  HgPortal *p = data;

  if (p->closed_func)
    p->closed_func (p->closed_data);
}

HgPortal *
hg_portal_open (GCancellable * cancel, GError ** err)
{
  g_autoptr (GError) e = NULL;
  HgPortal *p = g_new0 (HgPortal, 1);
  guint32 version = 0, cursor_modes = 0;
  gchar *c;

  p->fd = -1;
  p->cancel = cancel ? g_object_ref (cancel) : NULL;
  p->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, cancel, &e);
  if (!p->bus) {
    g_set_error (err, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
        "no D-Bus session bus (%s): the portal capture runs in the "
        "desktop's session (its DBUS_SESSION_BUS_ADDRESS); outside one use "
        "--capture x11 with DISPLAY, or --capture test", e->message);
    hg_portal_close (p);
    return NULL;
  }
  /* we handle a lost bus ourselves (the shared bus would raise SIGTERM) */
  g_dbus_connection_set_exit_on_close (p->bus, FALSE);
  p->sender = g_strdup (g_dbus_connection_get_unique_name (p->bus) + 1);
  for (c = p->sender; *c; c++) {
    if (*c == '.')
      *c = '_';
  }

  if (!probe (p, &version, &cursor_modes, err)
      || !create_session (p, err)
      || !select_sources (p, version, cursor_modes, err)
      || !start (p, err)
      || !open_remote (p, err)) {
    hg_portal_close (p);
    return NULL;
  }
  p->closed_sub = g_dbus_connection_signal_subscribe (p->bus, PORTAL_BUS,
      SESSION, "Closed", p->session, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
      on_session_closed, p, NULL);
  return p;
}

gint
hg_portal_fd (HgPortal * p)
{
  return p->fd;
}

guint32
hg_portal_node (HgPortal * p)
{
  return p->node;
}

void
hg_portal_watch_closed (HgPortal * p, HgPortalClosedFunc func,
    gpointer data)
{
  p->closed_func = func;
  p->closed_data = data;
}

void
hg_portal_close (HgPortal * p)
{
  if (!p)
    return;
  if (p->closed_sub)
    g_dbus_connection_signal_unsubscribe (p->bus, p->closed_sub);
  if (p->session && !g_dbus_connection_is_closed (p->bus)) {
    g_autoptr (GVariant) ret = NULL;

    /* ends the screen cast (the portal also does when we go away) */
    ret = g_dbus_connection_call_sync (p->bus, PORTAL_BUS, p->session,
        SESSION, "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 2000,
        NULL, NULL);
  }
  if (p->fd >= 0)
    close (p->fd);
  g_clear_object (&p->bus);
  g_clear_object (&p->cancel);
  g_free (p->session);
  g_free (p->sender);
  g_free (p);
}
