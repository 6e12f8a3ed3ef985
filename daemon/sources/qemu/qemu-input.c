/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input to the guest: keys, buttons, pointer motion, and SetUIInfo.
 * Calls are fire-and-forget from the caller's thread; failures are logged
 * at most once a second per console (a stuck guest must not flood logs). */
#define G_LOG_DOMAIN "hostenc.qemu"
#include "qemu-private.h"

#define ERR_WINDOW_US G_USEC_PER_SEC

static void log_input_error(struct he_qemu_console *c, const char *method, const GError *err)
{
	gint64 now = g_get_monotonic_time();

	if (now - c->err_window_us < ERR_WINDOW_US) {
		c->err_count++;
		return;
	}
	if (c->err_count)
		g_warning("console %u: %u more input errors in the last second", c->id,
			  c->err_count);
	c->err_window_us = now;
	c->err_count = 0;
	g_warning("console %u: %s failed: %s", c->id, method, err->message);
}

struct call_ctx {
	struct he_qemu_console *c;
	const char *method;
};

static void on_call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct call_ctx *cc = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);

	if (!ret && !g_atomic_int_get(&cc->c->closed))
		log_input_error(cc->c, cc->method, err);
	he_qemu_console_unref(cc->c);
	g_free(cc);
}

static void call(struct he_qemu_console *c, const char *iface, const char *method,
		 GVariant *params)
{
	struct call_ctx *cc;

	if (!c->vm_conn || g_atomic_int_get(&c->closed)) {
		g_variant_unref(g_variant_ref_sink(params));
		return;
	}
	cc = g_new(struct call_ctx, 1);
	cc->c = he_qemu_console_ref(c);
	cc->method = method;
	g_dbus_connection_call(c->vm_conn, c->dest, c->path, iface, method, params, NULL,
			       G_DBUS_CALL_FLAGS_NONE, HE_QEMU_CALL_TIMEOUT_MS, NULL, on_call_done,
			       cc);
}

void he_qemu_console_key(struct he_qemu_console *c, uint32_t qnum, bool down)
{
	call(c, HE_QEMU_IFACE_KEYBOARD, down ? "Press" : "Release", g_variant_new("(u)", qnum));
}

void he_qemu_console_button(struct he_qemu_console *c, uint32_t button, bool down)
{
	call(c, HE_QEMU_IFACE_MOUSE, down ? "Press" : "Release", g_variant_new("(u)", button));
}

bool he_qemu_console_is_absolute(const struct he_qemu_console *c)
{
	return g_atomic_int_get(&c->is_absolute) != 0;
}

void he_qemu_console_move_abs(struct he_qemu_console *c, uint32_t x, uint32_t y)
{
	/* QEMU refuses SetAbsPosition without an absolute device. */
	if (he_qemu_console_is_absolute(c))
		call(c, HE_QEMU_IFACE_MOUSE, "SetAbsPosition", g_variant_new("(uu)", x, y));
}

void he_qemu_console_move_rel(struct he_qemu_console *c, int32_t dx, int32_t dy)
{
	if (!he_qemu_console_is_absolute(c))
		call(c, HE_QEMU_IFACE_MOUSE, "RelMotion", g_variant_new("(ii)", dx, dy));
}

static guint16 px_to_mm(uint32_t px)
{
	/* Assume 96 dpi: guests use it for scaling hints only. */
	return (guint16)MIN((uint64_t)px * 254 / 960, G_MAXUINT16);
}

void he_qemu_console_set_size(struct he_qemu_console *c, uint32_t width, uint32_t height)
{
	width = MIN(width, HE_QEMU_MAX_DIM);
	height = MIN(height, HE_QEMU_MAX_DIM);
	call(c, HE_QEMU_IFACE_CONSOLE, "SetUIInfo",
	     g_variant_new("(qqiiuu)", px_to_mm(width), px_to_mm(height), 0, 0, width, height));
}

static void take_is_absolute(struct he_qemu_console *c, GVariant *props)
{
	gboolean abs;

	if (g_variant_lookup(props, "IsAbsolute", "b", &abs))
		g_atomic_int_set(&c->is_absolute, abs ? 1 : 0);
}

static void on_mouse_props(GObject *src, GAsyncResult *res, gpointer data)
{
	struct he_qemu_console *c = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);

	if (ret) {
		g_autoptr(GVariant) props = g_variant_get_child_value(ret, 0);

		take_is_absolute(c, props);
	} else if (!g_atomic_int_get(&c->closed)) {
		g_debug("console %u: no mouse: %s", c->id, err->message);
	}
	he_qemu_console_unref(c);
}

static void on_props_changed(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
			     const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
			     const char *signal G_GNUC_UNUSED, GVariant *params, gpointer data)
{
	struct he_qemu_console *c = data;
	g_autoptr(GVariant) changed = NULL;
	const char *which;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(params, "(&s@a{sv}@as)", &which, &changed, NULL);
	if (g_str_equal(which, HE_QEMU_IFACE_MOUSE))
		take_is_absolute(c, changed);
}

void he_qemu_input_init(struct he_qemu_console *c)
{
	c->mouse_sub = g_dbus_connection_signal_subscribe(
		c->vm_conn, c->dest, HE_QEMU_IFACE_PROPS, "PropertiesChanged", c->path,
		HE_QEMU_IFACE_MOUSE, G_DBUS_SIGNAL_FLAGS_NONE, on_props_changed,
		he_qemu_console_ref(c), (GDestroyNotify)he_qemu_console_unref);
	g_dbus_connection_call(c->vm_conn, c->dest, c->path, HE_QEMU_IFACE_PROPS, "GetAll",
			       g_variant_new("(s)", HE_QEMU_IFACE_MOUSE), G_VARIANT_TYPE("(a{sv})"),
			       G_DBUS_CALL_FLAGS_NONE, HE_QEMU_CALL_TIMEOUT_MS, NULL, on_mouse_props,
			       he_qemu_console_ref(c));
}

void he_qemu_input_fini(struct he_qemu_console *c)
{
	if (c->mouse_sub && c->vm_conn)
		g_dbus_connection_signal_unsubscribe(c->vm_conn, c->mouse_sub);
	c->mouse_sub = 0;
}
