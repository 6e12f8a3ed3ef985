/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QMP half of a bus-less attach: greeting, qmp_capabilities, getfd (the
 * display socket rides along as SCM_RIGHTS), add_client @dbus-display.
 * Async on the caller's context; the QMP connection is closed afterwards so
 * the monitor is free for others (a QMP socket serves one client at once). */
#define G_LOG_DOMAIN "hostenc.qemu"
#include "qemu-private.h"

#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

enum qmp_step { STEP_GREETING, STEP_CAPABILITIES, STEP_GETFD, STEP_ADD_CLIENT };

struct qmp_op {
	GSocketConnection *conn;
	GDataInputStream *in;
	int fd;
	enum qmp_step step;
	char fdname[48];
};

static void qmp_op_free(gpointer data)
{
	struct qmp_op *op = data;

	if (op->conn)
		g_io_stream_close(G_IO_STREAM(op->conn), NULL, NULL);
	g_clear_object(&op->in);
	g_clear_object(&op->conn);
	if (op->fd >= 0)
		close(op->fd);
	g_free(op);
}

/* Does the JSON object on @p line have @p key at its top level? QMP
 * messages are one object a line; only the top-level keys tell a reply
 * ("return"/"error") from an event or the greeting. */
static bool json_top_key(const char *line, const char *key)
{
	size_t klen = strlen(key);
	int depth = 0;

	for (const char *p = line; *p; p++) {
		if (*p == '"') {
			const char *s = ++p;

			while (*p && *p != '"')
				p += (*p == '\\' && p[1]) ? 2 : 1;
			if (!*p)
				return false;
			if (depth == 1 && (size_t)(p - s) == klen && !memcmp(s, key, klen)) {
				const char *q = p + 1;

				while (*q == ' ' || *q == '\t')
					q++;
				if (*q == ':')
					return true;
			}
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		}
	}
	return false;
}

static gboolean qmp_send(struct qmp_op *op, const char *json, int fd, GError **error)
{
	GSocket *sock = g_socket_connection_get_socket(op->conn);
	GOutputVector v = { json, strlen(json) };
	g_autoptr(GSocketControlMessage) msg = NULL;
	GSocketControlMessage *msgs[1];
	gssize n;

	if (fd >= 0) {
		msg = g_unix_fd_message_new();
		if (!g_unix_fd_message_append_fd(G_UNIX_FD_MESSAGE(msg), fd, error))
			return FALSE;
		msgs[0] = msg;
	}
	/* Non-blocking: a command is far smaller than the socket buffer; a
	 * full buffer means QEMU is not reading and is reported. */
	n = g_socket_send_message(sock, NULL, &v, 1, fd >= 0 ? msgs : NULL, fd >= 0 ? 1 : 0,
				  G_SOCKET_MSG_NONE, NULL, error);
	if (n < 0)
		return FALSE;
	if ((gsize)n != v.size) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "QMP: short write");
		return FALSE;
	}
	return TRUE;
}

static void read_next(GTask *task);

static gboolean advance(struct qmp_op *op, GError **error)
{
	g_autofree char *cmd = NULL;

	switch (op->step) {
	case STEP_GREETING:
		op->step = STEP_CAPABILITIES;
		return qmp_send(op, "{\"execute\":\"qmp_capabilities\"}\n", -1, error);
	case STEP_CAPABILITIES:
		op->step = STEP_GETFD;
		cmd = g_strdup_printf("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"%s\"}}\n",
				      op->fdname);
		return qmp_send(op, cmd, op->fd, error);
	case STEP_GETFD:
		close(op->fd); /* QEMU holds its own copy now */
		op->fd = -1;
		op->step = STEP_ADD_CLIENT;
		cmd = g_strdup_printf("{\"execute\":\"add_client\",\"arguments\":{\"protocol\":"
				      "\"@dbus-display\",\"fdname\":\"%s\"}}\n", op->fdname);
		return qmp_send(op, cmd, -1, error);
	case STEP_ADD_CLIENT:
	default:
		g_assert_not_reached();
	}
}

static void on_line(GObject *src, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	struct qmp_op *op = g_task_get_task_data(task);
	g_autoptr(GError) err = NULL;
	g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(src), res,
								     NULL, &err);

	if (!line) {
		if (!err)
			g_set_error(&err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
				    "QMP connection closed by QEMU");
		g_task_return_error(task, g_steal_pointer(&err));
		g_object_unref(task);
		return;
	}
	if (op->step == STEP_GREETING ? !json_top_key(line, "QMP")
				      : json_top_key(line, "event")) {
		read_next(task); /* events (and any noise) are skipped */
		return;
	}
	if (op->step != STEP_GREETING && !json_top_key(line, "return")) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "QMP refused: %.300s",
					line);
		g_object_unref(task);
		return;
	}
	if (op->step == STEP_ADD_CLIENT) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	if (!advance(op, &err)) {
		g_task_return_error(task, g_steal_pointer(&err));
		g_object_unref(task);
		return;
	}
	read_next(task);
}

static void read_next(GTask *task)
{
	struct qmp_op *op = g_task_get_task_data(task);

	g_data_input_stream_read_line_async(op->in, G_PRIORITY_DEFAULT,
					    g_task_get_cancellable(task), on_line, task);
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	struct qmp_op *op = g_task_get_task_data(task);
	GError *err = NULL;

	op->conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
	if (!op->conn) {
		g_task_return_error(task, err);
		g_object_unref(task);
		return;
	}
	g_socket_set_blocking(g_socket_connection_get_socket(op->conn), FALSE);
	op->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(op->conn)));
	g_data_input_stream_set_newline_type(op->in, G_DATA_STREAM_NEWLINE_TYPE_LF);
	read_next(task);
}

void he_qemu_qmp_add_client_async(const char *qmp_path, int fd, GCancellable *cancel,
				  GAsyncReadyCallback cb, gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancel, cb, user_data);
	struct qmp_op *op = g_new0(struct qmp_op, 1);
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(qmp_path);
	static gint serial;

	g_task_set_task_data(task, op, qmp_op_free);
	g_snprintf(op->fdname, sizeof(op->fdname), "hostenc-dbus-%d-%d", (int)getpid(),
		   g_atomic_int_add(&serial, 1));
	op->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (op->fd < 0) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "dup: %s",
					g_strerror(errno));
		g_object_unref(task);
		return;
	}
	g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(addr), cancel, on_connected,
				      task);
}

gboolean he_qemu_qmp_add_client_finish(GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}
