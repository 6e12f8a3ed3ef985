/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The org.qemu.Display1.Listener object QEMU calls, served on the console's
 * display thread over a peer-to-peer connection.
 *
 * Registration: a socketpair; one end goes to QEMU in RegisterListener, on
 * the other we run the D-Bus handshake as the authentication client. QEMU
 * runs its side inside the RegisterListener call with its main loop frozen,
 * so the call is made asynchronously while our side runs, and a handshake
 * that does not finish within HE_QEMU_HANDSHAKE_TIMEOUT_MS gets its socket
 * shut down, which fails QEMU's side and unfreezes it.
 *
 * Every handler answers at once: QEMU sends without waiting, so anything
 * slow here turns into memory growth (in QEMU or in GDBus's queue). */
#define G_LOG_DOMAIN "hostenc.qemu"
#include "qemu-private.h"

#include <gio/gunixfdlist.h>

#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Written from QEMU's interface description (ui/dbus-display1.xml);
 * GDBus checks each call's signature against it before dispatch. */
static const char listener_xml[] =
	"<node><interface name='org.qemu.Display1.Listener'>"
	"<method name='Scanout'><arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='ay' direction='in'/></method>"
	"<method name='Update'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='i' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='ay' direction='in'/></method>"
	"<method name='ScanoutDMABUF'><arg type='h' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='t' direction='in'/><arg type='b' direction='in'/></method>"
	"<method name='UpdateDMABUF'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='i' direction='in'/><arg type='i' direction='in'/></method>"
	"<method name='Disable'/>"
	"<method name='MouseSet'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='i' direction='in'/></method>"
	"<method name='CursorDefine'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='i' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='ay' direction='in'/></method>"
	"<property name='Interfaces' type='as' access='read'/>"
	"</interface></node>";

#define DMABUF_STATUS "not shown: DMA-BUF scanout needs a host GPU importer (VA-API render " \
		      "node); start QEMU with gl=off"
#define DISABLED_STATUS "not shown: the guest display is disabled"

enum refusal {
	REFUSE_SCANOUT = 1 << 0,
	REFUSE_UPDATE = 1 << 1,
	REFUSE_CURSOR = 1 << 2,
	NOTE_DMABUF = 1 << 3,
	NOTE_GROW = 1 << 4,
};

static GDBusInterfaceInfo *listener_iface(void)
{
	static GDBusInterfaceInfo *info;

	if (g_once_init_enter(&info)) {
		GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(listener_xml, NULL);
		GDBusInterfaceInfo *i;

		g_assert(node);
		i = g_dbus_interface_info_ref(node->interfaces[0]);
		g_dbus_interface_info_cache_build(i);
		g_dbus_node_info_unref(node);
		g_once_init_leave(&info, i);
	}
	return info;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* First occurrence of each kind is logged; the rest only counted. */
static void log_once(struct he_qemu_console *c, enum refusal kind, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
static void log_once(struct he_qemu_console *c, enum refusal kind, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	if (c->logged & kind)
		return;
	c->logged |= kind;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_warning("console %u (%s): %s (logged once per console)", c->id, c->label, msg);
}

static void refuse(GDBusMethodInvocation *inv, const char *why)
{
	g_dbus_method_invocation_return_error_literal(inv, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
						      why);
}

static const uint8_t *payload(GVariant *ay, gsize *len)
{
	const uint8_t *d = g_variant_get_fixed_array(ay, len, 1);

	return d ? d : (const uint8_t *)"";
}

/* Re-read Width/Height after an Update landed outside the surface: the
 * guest switched modes without a Scanout. */
static void on_size(GObject *src, GAsyncResult *res, gpointer data)
{
	struct he_qemu_console *c = data;
	g_autoptr(GVariant) ret = NULL;
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GError) err = NULL;
	guint32 w = 0, h = 0;

	c->pending_ops--;
	c->size_query_inflight = false;
	ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
	if (!ret || c->quit)
		return;
	props = g_variant_get_child_value(ret, 0);
	if (!g_variant_lookup(props, "Width", "u", &w) || !g_variant_lookup(props, "Height", "u", &h) ||
	    w == 0 || h == 0)
		return;
	if (he_qemu_fb_resize(&c->fb, w, h) == 0)
		he_qemu_console_post_damage(c);
}

static void query_size(struct he_qemu_console *c)
{
	if (c->size_query_inflight || !c->vm_conn || c->quit)
		return;
	c->size_query_inflight = true;
	c->pending_ops++;
	g_dbus_connection_call(c->vm_conn, c->dest, c->path, HE_QEMU_IFACE_PROPS, "GetAll",
			       g_variant_new("(s)", HE_QEMU_IFACE_CONSOLE), G_VARIANT_TYPE("(a{sv})"),
			       G_DBUS_CALL_FLAGS_NONE, HE_QEMU_CALL_TIMEOUT_MS, c->dcancel, on_size, c);
}

static void do_scanout(struct he_qemu_console *c, GVariant *params, GDBusMethodInvocation *inv)
{
	g_autoptr(GVariant) ay = NULL;
	guint32 w, h, stride, fmt;
	const char *why = NULL;
	const uint8_t *data;
	uint64_t t0 = now_ns();
	gsize len;
	int ret;

	g_variant_get(params, "(uuuu@ay)", &w, &h, &stride, &fmt, &ay);
	data = payload(ay, &len);
	ret = he_qemu_fb_scanout(&c->fb, w, h, stride, fmt, data, len, &why);
	he_qemu_console_account(c, true, len, now_ns() - t0, ret != 0);
	if (ret) {
		log_once(c, REFUSE_SCANOUT, "Scanout %ux%u stride %u format 0x%08x, %zu bytes refused: %s",
			 w, h, stride, fmt, (size_t)len, why);
		refuse(inv, why);
	} else {
		g_dbus_method_invocation_return_value(inv, NULL);
	}
	/* Also after a refused format: the surface went empty. */
	if (ret == 0 || ret == -ENOTSUP)
		he_qemu_console_post_damage(c);
}

static void do_update(struct he_qemu_console *c, GVariant *params, GDBusMethodInvocation *inv)
{
	g_autoptr(GVariant) ay = NULL;
	gint32 x, y, w, h;
	guint32 stride, fmt;
	const char *why = NULL;
	const uint8_t *data;
	uint64_t t0 = now_ns();
	bool outside = false;
	gsize len;
	int ret;

	g_variant_get(params, "(iiiiuu@ay)", &x, &y, &w, &h, &stride, &fmt, &ay);
	data = payload(ay, &len);
	ret = he_qemu_fb_update(&c->fb, x, y, w, h, stride, fmt, data, len, &outside, &why);
	he_qemu_console_account(c, false, len, now_ns() - t0, ret != 0);
	if (ret) {
		log_once(c, REFUSE_UPDATE, "Update %d,%d %dx%d stride %u format 0x%08x, %zu bytes "
			 "refused: %s", x, y, w, h, stride, fmt, (size_t)len, why);
		refuse(inv, why);
		return;
	}
	g_dbus_method_invocation_return_value(inv, NULL);
	if (outside) {
		log_once(c, NOTE_GROW, "Update %d,%d %dx%d reaches past the surface (mode switch "
			 "without Scanout?): surface grown, size re-read", x, y, w, h);
		query_size(c);
	}
	he_qemu_console_post_damage(c);
}

/* We never import DMA-BUFs: close every fd the message carried now rather
 * than when GDBus frees the message. */
static void close_message_fds(GDBusMethodInvocation *inv)
{
	GUnixFDList *fl = g_dbus_message_get_unix_fd_list(g_dbus_method_invocation_get_message(inv));
	g_autofree int *fds = NULL;
	int n = 0;

	if (!fl)
		return;
	fds = g_unix_fd_list_steal_fds(fl, &n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void do_scanout_dmabuf(struct he_qemu_console *c, GDBusMethodInvocation *inv)
{
	close_message_fds(inv);
	log_once(c, NOTE_DMABUF, "%s", DMABUF_STATUS);
	he_qemu_fb_disable(&c->fb, DMABUF_STATUS);
	he_qemu_console_account(c, true, 0, 0, true);
	g_dbus_method_invocation_return_value(inv, NULL);
	he_qemu_console_post_damage(c);
}

static void do_cursor_define(struct he_qemu_console *c, GVariant *params,
			     GDBusMethodInvocation *inv)
{
	g_autoptr(GVariant) ay = NULL;
	gint32 w, h, hx, hy;
	const uint8_t *data;
	gsize len;

	g_variant_get(params, "(iiii@ay)", &w, &h, &hx, &hy, &ay);
	data = payload(ay, &len);
	if (w <= 0 || h <= 0 || (guint)w > HE_QEMU_MAX_CURSOR || (guint)h > HE_QEMU_MAX_CURSOR ||
	    (uint64_t)w * (uint64_t)h * 4 > len) {
		log_once(c, REFUSE_CURSOR, "CursorDefine %dx%d with %zu bytes refused", w, h,
			 (size_t)len);
		refuse(inv, "cursor size out of range or data too short");
		return;
	}
	g_mutex_lock(&c->cursor_lock);
	g_clear_pointer(&c->cursor.argb, g_bytes_unref);
	c->cursor.argb = g_bytes_new(data, (gsize)w * (gsize)h * 4);
	c->cursor.width = w;
	c->cursor.height = h;
	c->cursor.hot_x = CLAMP(hx, 0, w - 1);
	c->cursor.hot_y = CLAMP(hy, 0, h - 1);
	c->cursor.shape_changed = true;
	g_mutex_unlock(&c->cursor_lock);
	g_dbus_method_invocation_return_value(inv, NULL);
	he_qemu_console_post_cursor(c);
}

static void do_mouse_set(struct he_qemu_console *c, GVariant *params, GDBusMethodInvocation *inv)
{
	gint32 x, y, on;

	g_variant_get(params, "(iii)", &x, &y, &on);
	g_mutex_lock(&c->cursor_lock);
	c->cursor.x = x;
	c->cursor.y = y;
	c->cursor.visible = on != 0;
	g_mutex_unlock(&c->cursor_lock);
	g_dbus_method_invocation_return_value(inv, NULL);
	he_qemu_console_post_cursor(c);
}

static void on_method(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
		      const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
		      const char *method, GVariant *params, GDBusMethodInvocation *inv,
		      gpointer data)
{
	struct he_qemu_console *c = data;

	if (g_str_equal(method, "Update")) {
		do_update(c, params, inv);
	} else if (g_str_equal(method, "Scanout")) {
		do_scanout(c, params, inv);
	} else if (g_str_equal(method, "ScanoutDMABUF")) {
		do_scanout_dmabuf(c, inv);
	} else if (g_str_equal(method, "UpdateDMABUF")) {
		g_dbus_method_invocation_return_value(inv, NULL);
	} else if (g_str_equal(method, "Disable")) {
		he_qemu_fb_disable(&c->fb, DISABLED_STATUS);
		g_dbus_method_invocation_return_value(inv, NULL);
		he_qemu_console_post_damage(c);
	} else if (g_str_equal(method, "MouseSet")) {
		do_mouse_set(c, params, inv);
	} else if (g_str_equal(method, "CursorDefine")) {
		do_cursor_define(c, params, inv);
	} else {
		g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
						      "no method %s", method);
	}
}

static GVariant *on_get_property(GDBusConnection *conn G_GNUC_UNUSED,
				 const char *sender G_GNUC_UNUSED, const char *path G_GNUC_UNUSED,
				 const char *iface G_GNUC_UNUSED, const char *prop G_GNUC_UNUSED,
				 GError **error G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED)
{
	/* No optional listener interfaces (no shared-memory map, no D3D). */
	return g_variant_new_strv(NULL, 0);
}

static const GDBusInterfaceVTable listener_vtable = {
	.method_call = on_method,
	.get_property = on_get_property,
};

static void report_attach(struct he_qemu_console *c, const GError *error)
{
	if (c->quit)
		return;
	if (error) {
		g_warning("console %u: listener not registered: %s", c->id, error->message);
		he_qemu_console_post_attached(c, error);
		c->registered = false;
		return;
	}
	if (c->handshake_ok && (c->registered || !c->vm_conn))
		he_qemu_console_post_attached(c, NULL);
}

static void shutdown_stream(struct he_qemu_console *c)
{
	/* shutdown(), not close(): it wakes the GDBus auth thread blocked
	 * on the socket and QEMU's side sees EOF. */
	if (c->lstream)
		shutdown(g_socket_get_fd(g_socket_connection_get_socket(c->lstream)), SHUT_RDWR);
}

static gboolean on_handshake_timeout(gpointer data)
{
	struct he_qemu_console *c = data;

	g_warning("console %u: listener handshake not done within %d ms; closing the socket so "
		  "QEMU's main loop is not held", c->id, HE_QEMU_HANDSHAKE_TIMEOUT_MS);
	shutdown_stream(c);
	g_clear_pointer(&c->handshake_timeout, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void on_listener_closed(GDBusConnection *conn G_GNUC_UNUSED, gboolean vanished G_GNUC_UNUSED,
			       GError *error, gpointer data)
{
	struct he_qemu_console *c = data;

	if (c->quit)
		return;
	g_message("console %u: QEMU closed the listener connection%s%s", c->id,
		  error ? ": " : "", error ? error->message : "");
	he_qemu_console_post_gone(c, "display listener connection closed");
}

static void on_close_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct he_qemu_console *c = data;

	g_dbus_connection_close_finish(G_DBUS_CONNECTION(src), res, NULL);
	c->pending_ops--;
}

static void on_conn_new(GObject *src G_GNUC_UNUSED, GAsyncResult *res, gpointer data)
{
	struct he_qemu_console *c = data;
	g_autoptr(GError) err = NULL;
	GDBusConnection *conn = g_dbus_connection_new_finish(res, &err);

	c->pending_ops--;
	if (c->handshake_timeout) {
		g_source_destroy(c->handshake_timeout);
		g_clear_pointer(&c->handshake_timeout, g_source_unref);
	}
	if (!conn) {
		if (!c->quit && !c->vm_conn)
			report_attach(c, err);
		else if (!c->quit)
			g_warning("console %u: listener handshake failed: %s", c->id, err->message);
		return;
	}
	if (c->quit) {
		/* Stopped while the handshake was finishing. */
		c->pending_ops++;
		g_dbus_connection_close(conn, NULL, on_close_done, c);
		g_object_unref(conn);
		return;
	}
	c->listener = conn;
	g_dbus_connection_set_exit_on_close(conn, FALSE);
	g_signal_connect(conn, "closed", G_CALLBACK(on_listener_closed), c);
	c->reg_id = g_dbus_connection_register_object(conn, HE_QEMU_PATH_LISTENER, listener_iface(),
						      &listener_vtable, c, NULL, &err);
	if (!c->reg_id) {
		report_attach(c, err);
		shutdown_stream(c);
		return;
	}
	g_dbus_connection_start_message_processing(conn);
	c->handshake_ok = true;
	report_attach(c, NULL);
}

static void on_registered(GObject *src, GAsyncResult *res, gpointer data)
{
	struct he_qemu_console *c = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = NULL;

	c->pending_ops--;
	ret = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(src), NULL, res,
							      &err);
	if (!ret) {
		shutdown_stream(c);
		report_attach(c, err);
		return;
	}
	c->registered = true;
	report_attach(c, NULL);
}

static int start_client(struct he_qemu_console *c, int fd, GError **error)
{
	g_autoptr(GSocket) sock = g_socket_new_from_fd(fd, error);
	GSource *t;

	if (!sock) {
		close(fd);
		return -EINVAL;
	}
	c->lstream = g_socket_connection_factory_create_connection(sock);
	c->pending_ops++;
	/* Messages wait until the object is registered, so QEMU's first
	 * calls (Properties.GetAll, Scanout) are not lost. */
	g_dbus_connection_new(G_IO_STREAM(c->lstream), NULL,
			      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			      G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
			      NULL, c->dcancel, on_conn_new, c);
	t = g_timeout_source_new(HE_QEMU_HANDSHAKE_TIMEOUT_MS);
	g_source_set_callback(t, on_handshake_timeout, c, NULL);
	g_source_attach(t, c->dctx);
	c->handshake_timeout = t;
	return 0;
}

static void register_listener(struct he_qemu_console *c, int fd)
{
	g_autoptr(GUnixFDList) fl = g_unix_fd_list_new();
	g_autoptr(GError) err = NULL;
	int idx = g_unix_fd_list_append(fl, fd, &err); /* dups fd */

	close(fd);
	if (idx < 0) {
		shutdown_stream(c);
		report_attach(c, err);
		return;
	}
	c->pending_ops++;
	g_dbus_connection_call_with_unix_fd_list(c->vm_conn, c->dest, c->path, HE_QEMU_IFACE_CONSOLE,
						 "RegisterListener", g_variant_new("(h)", idx),
						 G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE,
						 HE_QEMU_CALL_TIMEOUT_MS, fl, c->dcancel,
						 on_registered, c);
}

void he_qemu_listener_start(struct he_qemu_console *c)
{
	g_autoptr(GError) err = NULL;
	int sv[2];

	if (c->serve_fd >= 0) {
		int fd = c->serve_fd;

		c->serve_fd = -1;
		if (start_client(c, fd, &err) < 0)
			report_attach(c, err);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		int e = errno;

		g_set_error(&err, G_IO_ERROR, g_io_error_from_errno(e), "socketpair: %s",
			    g_strerror(e));
		report_attach(c, err);
		return;
	}
	if (start_client(c, sv[0], &err) < 0) {
		close(sv[1]);
		report_attach(c, err);
		return;
	}
	register_listener(c, sv[1]);
}

void he_qemu_listener_stop(struct he_qemu_console *c)
{
	if (c->handshake_timeout) {
		g_source_destroy(c->handshake_timeout);
		g_clear_pointer(&c->handshake_timeout, g_source_unref);
	}
	if (c->listener) {
		g_signal_handlers_disconnect_by_data(c->listener, c);
		if (c->reg_id)
			g_dbus_connection_unregister_object(c->listener, c->reg_id);
		c->reg_id = 0;
		c->pending_ops++;
		g_dbus_connection_close(c->listener, NULL, on_close_done, c);
		g_clear_object(&c->listener);
	} else {
		shutdown_stream(c); /* a handshake may be under way */
	}
	g_clear_object(&c->lstream);
}
