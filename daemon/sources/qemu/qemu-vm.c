/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The connection to one VM: attach (bus-less through QMP, or over a bus),
 * VM properties, console discovery, and "VM gone".
 *
 * Everything runs asynchronously on the caller's context. Each pending
 * operation holds a VM reference and checks vm->closed when it completes,
 * so he_qemu_vm_free() may be called at any time. */
#define G_LOG_DOMAIN "hostenc.qemu"
#include "qemu-private.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

static struct he_qemu_vm *vm_ref(struct he_qemu_vm *vm)
{
	vm->ref++;
	return vm;
}

static void vm_unref(struct he_qemu_vm *vm)
{
	if (--vm->ref)
		return;
	g_clear_object(&vm->cancel);
	g_clear_object(&vm->conn);
	g_clear_object(&vm->p2p_conn);
	g_clear_object(&vm->p2p_stream);
	g_clear_error(&vm->attach_error);
	g_ptr_array_unref(vm->consoles);
	g_main_context_unref(vm->ctx);
	g_free(vm->dest);
	g_free(vm->name);
	g_free(vm->uuid);
	g_free(vm);
}

static struct he_qemu_vm *vm_new(guint refresh_ms, const struct he_qemu_callbacks *cb,
				 void *user_data)
{
	struct he_qemu_vm *vm = g_new0(struct he_qemu_vm, 1);

	vm->ref = 1;
	vm->ctx = g_main_context_ref_thread_default();
	if (cb)
		vm->cb = *cb;
	vm->user_data = user_data;
	vm->refresh_ms = refresh_ms ? refresh_ms : 33;
	vm->cancel = g_cancellable_new();
	vm->consoles = g_ptr_array_new();
	vm->name = g_strdup("");
	vm->uuid = g_strdup("");
	return vm;
}

static void stop_attach_timeout(struct he_qemu_vm *vm)
{
	if (!vm->attach_timeout)
		return;
	g_source_destroy(vm->attach_timeout);
	g_clear_pointer(&vm->attach_timeout, g_source_unref);
}

static void shutdown_p2p(struct he_qemu_vm *vm)
{
	/* Wakes a handshake blocked on the socket; QEMU sees EOF. */
	if (vm->p2p_stream)
		shutdown(g_socket_get_fd(g_socket_connection_get_socket(vm->p2p_stream)), SHUT_RDWR);
}

static void report_ready(struct he_qemu_vm *vm, const GError *error)
{
	if (vm->ready_sent)
		return;
	vm->ready_sent = true;
	stop_attach_timeout(vm);
	if (error) {
		g_info("attach to VM failed: %s", error->message); /* the caller reports it */
		g_cancellable_cancel(vm->cancel);
		shutdown_p2p(vm);
	}
	if (vm->cb.ready)
		vm->cb.ready(vm, error, vm->user_data);
}

static void check_ready(struct he_qemu_vm *vm)
{
	g_autoptr(GError) err = NULL;

	if (vm->pending || vm->ready_sent)
		return;
	if (vm->n_ok == 0)
		g_set_error(&err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "VM '%s' has no graphic console a listener could be attached to",
			    vm->name);
	else
		g_message("attached to VM '%s': %u graphic console(s)", vm->name, vm->n_ok);
	report_ready(vm, err);
}

void he_qemu_vm_lost(struct he_qemu_vm *vm, const char *reason)
{
	g_autoptr(GError) err = NULL;

	if (vm->closed || vm->gone_sent)
		return;
	if (!vm->ready_sent) {
		/* Never attached: that is a failed attach, not a VM going away
		 * (e.g. QEMU has not taken its bus name yet). */
		g_set_error(&err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "%s", reason);
		report_ready(vm, err);
		return;
	}
	vm->gone_sent = true;
	g_message("VM '%s' gone: %s", vm->name, reason);
	if (vm->cb.gone)
		vm->cb.gone(vm, reason, vm->user_data);
}

void he_qemu_vm_console_attached(struct he_qemu_vm *vm, struct he_qemu_console *c,
				 const GError *error)
{
	if (vm->closed || vm->ready_sent)
		return;
	vm->pending--;
	if (error) {
		/* Not shown anywhere: drop it so users see only live consoles. */
		g_ptr_array_remove(vm->consoles, c);
		he_qemu_console_close(c);
	} else {
		vm->n_ok++;
	}
	check_ready(vm);
}

struct console_query {
	struct he_qemu_vm *vm;
	guint id;
};

static void on_console_query(GObject *src, GAsyncResult *res, gpointer data)
{
	struct console_query *q = data;
	struct he_qemu_vm *vm = q->vm;
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
	g_autoptr(GVariant) props = NULL;
	const char *type = "", *label = "";
	struct he_qemu_console *c;

	if (vm->closed || vm->ready_sent)
		goto out;
	vm->pending--;
	if (!ret) {
		g_warning("console %u: reading properties: %s", q->id, err->message);
		check_ready(vm);
		goto out;
	}
	props = g_variant_get_child_value(ret, 0);
	g_variant_lookup(props, "Type", "&s", &type);
	g_variant_lookup(props, "Label", "&s", &label);
	if (!g_str_equal(type, "Graphic")) {
		g_debug("console %u (%s) is '%s', not graphic: skipped", q->id, label, type);
		check_ready(vm);
		goto out;
	}
	c = he_qemu_console_new(vm, q->id, label);
	g_ptr_array_add(vm->consoles, c);
	he_qemu_input_init(c);
	vm->pending++;
	he_qemu_console_start(c);
out:
	vm_unref(vm);
	g_free(q);
}

static void query_console(struct he_qemu_vm *vm, guint id)
{
	struct console_query *q = g_new(struct console_query, 1);
	g_autofree char *path = g_strdup_printf("/org/qemu/Display1/Console_%u", id);

	q->vm = vm_ref(vm);
	q->id = id;
	vm->pending++;
	g_dbus_connection_call(vm->conn, vm->dest, path, HE_QEMU_IFACE_PROPS, "GetAll",
			       g_variant_new("(s)", HE_QEMU_IFACE_CONSOLE), G_VARIANT_TYPE("(a{sv})"),
			       G_DBUS_CALL_FLAGS_NONE, HE_QEMU_CALL_TIMEOUT_MS, vm->cancel,
			       on_console_query, q);
}

static void take_string(GVariant *props, const char *key, char **out)
{
	char *v = NULL;

	if (g_variant_lookup(props, key, "s", &v)) {
		g_free(*out);
		*out = v;
	}
}

static void on_vm_props(GObject *src, GAsyncResult *res, gpointer data)
{
	struct he_qemu_vm *vm = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GVariant) ids = NULL;
	const guint32 *id;
	gsize n = 0;

	if (vm->closed || vm->ready_sent)
		goto out;
	vm->pending--;
	if (!ret) {
		g_prefix_error(&err, "reading VM properties: ");
		report_ready(vm, err);
		goto out;
	}
	props = g_variant_get_child_value(ret, 0);
	take_string(props, "Name", &vm->name);
	take_string(props, "UUID", &vm->uuid);
	ids = g_variant_lookup_value(props, "ConsoleIDs", G_VARIANT_TYPE("au"));
	id = ids ? g_variant_get_fixed_array(ids, &n, sizeof(guint32)) : NULL;
	for (gsize i = 0; i < n; i++)
		query_console(vm, id[i]);
	check_ready(vm);
out:
	vm_unref(vm);
}

static void on_conn_closed(GDBusConnection *conn G_GNUC_UNUSED, gboolean vanished G_GNUC_UNUSED,
			   GError *error, gpointer data)
{
	g_autofree char *why = g_strdup_printf("D-Bus connection to QEMU closed%s%s",
					       error ? ": " : "", error ? error->message : "");

	he_qemu_vm_lost(data, why);
}

static void on_name_vanished(GDBusConnection *conn G_GNUC_UNUSED, const char *name G_GNUC_UNUSED,
			     gpointer data)
{
	struct he_qemu_vm *vm = data;

	he_qemu_vm_lost(vm, vm->ready_sent ? "QEMU left the bus"
					   : "no QEMU display owns the bus name (yet?)");
}

static void connected(struct he_qemu_vm *vm, GDBusConnection *conn)
{
	vm->conn = conn;
	g_dbus_connection_set_exit_on_close(conn, FALSE);
	vm->closed_id = g_signal_connect(conn, "closed", G_CALLBACK(on_conn_closed), vm);
	if (vm->dest)
		vm->name_watch = g_bus_watch_name_on_connection(conn, vm->dest,
								G_BUS_NAME_WATCHER_FLAGS_NONE,
								NULL, on_name_vanished, vm, NULL);
	vm->pending++;
	g_dbus_connection_call(conn, vm->dest, HE_QEMU_PATH_VM, HE_QEMU_IFACE_PROPS, "GetAll",
			       g_variant_new("(s)", HE_QEMU_IFACE_VM), G_VARIANT_TYPE("(a{sv})"),
			       G_DBUS_CALL_FLAGS_NONE, HE_QEMU_CALL_TIMEOUT_MS, vm->cancel,
			       on_vm_props, vm_ref(vm));
}

static gboolean on_attach_timeout(gpointer data)
{
	struct he_qemu_vm *vm = data;
	g_autoptr(GError) err = g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
					    "no D-Bus display connection within %d ms",
					    HE_QEMU_ATTACH_TIMEOUT_MS);

	g_clear_pointer(&vm->attach_timeout, g_source_unref);
	report_ready(vm, err);
	return G_SOURCE_REMOVE;
}

static void start_attach_timeout(struct he_qemu_vm *vm)
{
	vm->attach_timeout = g_timeout_source_new(HE_QEMU_ATTACH_TIMEOUT_MS);
	g_source_set_callback(vm->attach_timeout, on_attach_timeout, vm, NULL);
	g_source_attach(vm->attach_timeout, vm->ctx);
}

/* Bus-less: both the QMP exchange and our handshake must succeed. */
static void p2p_step_done(struct he_qemu_vm *vm, GError *err)
{
	if (err) {
		report_ready(vm, err);
		return;
	}
	if (vm->qmp_done && vm->p2p_done)
		connected(vm, g_steal_pointer(&vm->p2p_conn));
}

static void on_qmp_done(GObject *src G_GNUC_UNUSED, GAsyncResult *res, gpointer data)
{
	struct he_qemu_vm *vm = data;
	g_autoptr(GError) err = NULL;
	gboolean ok = he_qemu_qmp_add_client_finish(res, &err);

	if (!vm->closed && !vm->ready_sent) {
		vm->qmp_done = ok;
		p2p_step_done(vm, ok ? NULL : err);
	}
	vm_unref(vm);
}

static void on_p2p_conn(GObject *src G_GNUC_UNUSED, GAsyncResult *res, gpointer data)
{
	struct he_qemu_vm *vm = data;
	g_autoptr(GError) err = NULL;
	GDBusConnection *conn = g_dbus_connection_new_finish(res, &err);

	if (vm->closed || vm->ready_sent) {
		if (conn)
			g_dbus_connection_close(conn, NULL, NULL, NULL);
		g_clear_object(&conn);
	} else {
		vm->p2p_conn = conn;
		vm->p2p_done = conn != NULL;
		if (!conn)
			g_prefix_error(&err, "D-Bus handshake with QEMU: ");
		p2p_step_done(vm, conn ? NULL : err);
	}
	vm_unref(vm);
}

static gboolean fail_on_caller(gpointer data)
{
	struct he_qemu_vm *vm = data;

	if (!vm->closed)
		report_ready(vm, vm->attach_error);
	return G_SOURCE_REMOVE;
}

/* Report @p err (taken) from the caller's loop: never from inside attach. */
static void fail_soon(struct he_qemu_vm *vm, GError *err)
{
	GSource *s = g_idle_source_new();

	g_clear_error(&vm->attach_error);
	vm->attach_error = err;
	g_source_set_callback(s, fail_on_caller, vm_ref(vm), (GDestroyNotify)vm_unref);
	g_source_attach(s, vm->ctx);
	g_source_unref(s);
}

struct he_qemu_vm *he_qemu_vm_attach_qmp(const char *qmp_path, guint refresh_ms,
					 const struct he_qemu_callbacks *callbacks,
					 void *user_data)
{
	struct he_qemu_vm *vm = vm_new(refresh_ms, callbacks, user_data);
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GError) err = NULL;
	int sv[2];

	start_attach_timeout(vm);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		int e = errno;

		fail_soon(vm, g_error_new(G_IO_ERROR, g_io_error_from_errno(e), "socketpair: %s",
					  g_strerror(e)));
		return vm;
	}
	sock = g_socket_new_from_fd(sv[0], &err);
	if (!sock) {
		close(sv[0]);
		close(sv[1]);
		fail_soon(vm, g_steal_pointer(&err));
		return vm;
	}
	vm->p2p_stream = g_socket_connection_factory_create_connection(sock);
	/* Our side of the handshake runs while QMP hands the other end over:
	 * whichever way QEMU runs its side, neither waits for the other. */
	g_dbus_connection_new(G_IO_STREAM(vm->p2p_stream), NULL,
			      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, vm->cancel,
			      on_p2p_conn, vm_ref(vm));
	he_qemu_qmp_add_client_async(qmp_path, sv[1], vm->cancel, on_qmp_done, vm_ref(vm));
	close(sv[1]);
	return vm;
}

static void on_bus_conn(GObject *src G_GNUC_UNUSED, GAsyncResult *res, gpointer data)
{
	struct he_qemu_vm *vm = data;
	g_autoptr(GError) err = NULL;
	GDBusConnection *conn = g_dbus_connection_new_for_address_finish(res, &err);

	if (vm->closed || vm->ready_sent) {
		g_clear_object(&conn);
	} else if (!conn) {
		g_prefix_error(&err, "connecting to the bus: ");
		report_ready(vm, err);
	} else {
		stop_attach_timeout(vm);
		connected(vm, conn);
	}
	vm_unref(vm);
}

struct he_qemu_vm *he_qemu_vm_attach_bus(const char *bus_address, const char *bus_name,
					 guint refresh_ms,
					 const struct he_qemu_callbacks *callbacks,
					 void *user_data)
{
	struct he_qemu_vm *vm = vm_new(refresh_ms, callbacks, user_data);

	vm->dest = g_strdup(bus_name ? bus_name : HE_QEMU_DEFAULT_BUS_NAME);
	start_attach_timeout(vm);
	g_dbus_connection_new_for_address(bus_address,
					  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
					  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
					  NULL, vm->cancel, on_bus_conn, vm_ref(vm));
	return vm;
}

void he_qemu_vm_free(struct he_qemu_vm *vm)
{
	if (!vm)
		return;
	vm->closed = true;
	g_cancellable_cancel(vm->cancel);
	stop_attach_timeout(vm);
	shutdown_p2p(vm);
	if (vm->name_watch)
		g_bus_unwatch_name(vm->name_watch);
	if (vm->conn && vm->closed_id)
		g_signal_handler_disconnect(vm->conn, vm->closed_id);
	for (guint i = 0; i < vm->consoles->len; i++)
		he_qemu_console_close(g_ptr_array_index(vm->consoles, i));
	g_ptr_array_set_size(vm->consoles, 0);
	if (vm->conn)
		g_dbus_connection_close(vm->conn, NULL, NULL, NULL);
	vm_unref(vm);
}

const char *he_qemu_vm_get_name(const struct he_qemu_vm *vm)
{
	return vm->name;
}

const char *he_qemu_vm_get_uuid(const struct he_qemu_vm *vm)
{
	return vm->uuid;
}

guint he_qemu_vm_get_n_consoles(const struct he_qemu_vm *vm)
{
	return vm->consoles->len;
}

struct he_qemu_console *he_qemu_vm_get_console(struct he_qemu_vm *vm, guint index)
{
	return index < vm->consoles->len ? g_ptr_array_index(vm->consoles, index) : NULL;
}
