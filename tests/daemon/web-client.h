/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A raw HTTP/1.1 and WebSocket client for the tests of hostencd's web
 * port: plain sockets, so that a test can send what no well-behaved client
 * would (fragments without end, pings without reading, bad Host names) and
 * see exactly what comes back. Every wait has a deadline. */
#ifndef HOSTENC_TESTS_DAEMON_WEB_CLIENT_H
#define HOSTENC_TESTS_DAEMON_WEB_CLIENT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/** A TCP connection to 127.0.0.1:@p port (asserts). */
int wc_connect(uint16_t port);

/**
 * GET @p path with Host @p host (NULL: 127.0.0.1:PORT) and @p extra header
 * lines ("Name: value\r\n"…, or NULL). @return the status, or 0 when the
 * connection closed without an answer; *body (if given) gets the body.
 */
int wc_get(uint16_t port, const char *host, const char *path, const char *extra, char **body);

/** Like wc_get on an open connection, which stays open; the reply is read
 * up to its Content-Length (or to the end of the stream); *headers (if
 * given) gets its head. */
int wc_get_on(int fd, uint16_t port, const char *host, const char *path, const char *extra,
	      char **headers, char **body);

/** Milliseconds until @p fd shows the end of the stream (EOF or reset),
 * reading and dropping what comes; -1 when it stays open @p timeout_ms. */
int wc_wait_closed(int fd, int timeout_ms);

struct wc_ws {
	int fd;
	GByteArray *in;     /* received, not yet taken */
	char *headers;      /* the upgrade's response head */
	int status;         /* its status: 101, or why not */
	uint16_t close_code; /* once a close frame came */
};

/** Ask for a WebSocket on @p path (query included); check ws->status. */
struct wc_ws *wc_ws_open(uint16_t port, const char *host, const char *path, const char *extra);
void wc_ws_free(struct wc_ws *ws);

/** One masked frame (@p fin false: a fragment). */
bool wc_ws_send(struct wc_ws *ws, uint8_t opcode, bool fin, const void *data, size_t len);
bool wc_ws_send_text(struct wc_ws *ws, const char *text);
/** Append one masked frame to @p out (to send many at once). */
void wc_ws_frame(GByteArray *out, uint8_t opcode, bool fin, const void *data, size_t len);

/**
 * The next whole frame within @p timeout_ms: its opcode (0..15), its
 * payload in @p payload (replaced). -1: nothing in time; -2: the stream
 * ended (a close frame also sets ws->close_code and returns 8).
 */
int wc_ws_recv(struct wc_ws *ws, int timeout_ms, GByteArray *payload);
/** Take every whole frame already here without waiting; -2 when the stream ended. */
int wc_ws_poll(struct wc_ws *ws, void (*frame)(int opcode, GByteArray *payload, void *data),
	       void *data);

/**
 * Read frames until a text message whose "type" is @p type; @return it
 * (g_free), or NULL on timeout or close (ws->close_code tells).
 */
char *wc_ws_wait_text(struct wc_ws *ws, const char *type, int timeout_ms);

/** The string member @p name of a JSON text (g_free), or NULL. */
char *wc_json_string(const char *json, const char *name);

/** The value of unlabelled metric @p name in /metrics (asserts it is there). */
uint64_t wc_metric(uint16_t port, const char *name);
/** Open file descriptors of process @p pid. */
unsigned wc_fd_count(int pid);

/** Resident memory of process @p pid, in KiB. */
long wc_rss_kib(int pid);

#endif
