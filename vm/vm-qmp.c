/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vm-qmp.h"

#include <string.h>

#include <gio/gunixsocketaddress.h>

/* Reads one line; QMP ends each JSON document with "\r\n". */
static char *
read_line(GSocketConnection *conn, GError **error)
{
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	GString *line = g_string_new(NULL);

	for (;;) {
		char ch;
		gssize n = g_input_stream_read(in, &ch, 1, NULL, error);

		if (n < 0) {
			g_string_free(line, TRUE);
			return NULL;
		}
		if (n == 0) {
			g_string_free(line, TRUE);
			g_set_error_literal(error, G_IO_ERROR,
					    G_IO_ERROR_CONNECTION_CLOSED,
					    "QMP connection closed");
			return NULL;
		}
		if (ch == '\n')
			break;
		if (ch != '\r')
			g_string_append_c(line, ch);
	}
	return g_string_free(line, FALSE);
}

/* Skips asynchronous events until the command's own answer. */
static char *
read_reply(GSocketConnection *conn, GError **error)
{
	for (;;) {
		g_autofree char *line = read_line(conn, error);

		if (!line)
			return NULL;
		if (strstr(line, "\"return\"") || strstr(line, "\"error\""))
			return g_steal_pointer(&line);
	}
}

gboolean
hvm_qmp_execute(GSocketConnection *conn, const char *json, char **reply,
		GError **error)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	g_autofree char *line = NULL;

	if (!g_output_stream_write_all(out, json, strlen(json), NULL, NULL,
				       error) ||
	    !g_output_stream_write_all(out, "\n", 1, NULL, NULL, error))
		return FALSE;
	line = read_reply(conn, error);
	if (!line)
		return FALSE;
	if (strstr(line, "\"error\"")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "QMP error: %s", line);
		return FALSE;
	}
	if (reply)
		*reply = g_steal_pointer(&line);
	return TRUE;
}

GSocketConnection *
hvm_qmp_connect(const char *path, guint timeout_s, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GSocketConnection) conn = NULL;
	g_autofree char *greeting = NULL;

	/* Also bounds every later read and write on the socket. */
	g_socket_client_set_timeout(client, timeout_s);
	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL,
				       error);
	if (!conn)
		return NULL;
	greeting = read_line(conn, error);
	if (!greeting)
		return NULL;
	if (!strstr(greeting, "\"QMP\"")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s does not speak QMP", path);
		return NULL;
	}
	if (!hvm_qmp_execute(conn, "{\"execute\":\"qmp_capabilities\"}", NULL,
			     error))
		return NULL;
	return g_steal_pointer(&conn);
}
