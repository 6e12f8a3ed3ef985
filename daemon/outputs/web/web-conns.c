/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The web port's connections (docs/web.md, "Limits"): at most
 * max_connections at once, the next ones closed as soon as they are
 * accepted; a connection that waits longer than the idle timeout for a
 * request, or moves no byte either way for that long, is closed.
 *
 * libsoup 3.2 has neither limit, but it says when a connection is accepted
 * (request-started: its first request begins) and when a request has been
 * read (request-read), and each connection's socket is at hand; the kernel
 * keeps the times of a TCP socket's last data in and out (TCP_INFO). A
 * socket is counted until it is closed, whether libsoup still serves HTTP
 * on it or a viewer's WebSocket took it over (or until it is finalized,
 * should nobody close it). Closing is a shutdown(): libsoup then reads the end of the
 * stream and lets the connection go as if the peer had left.
 *
 * Every response says "Connection: close": see on_request_started(). */
#define G_LOG_DOMAIN "hostenc.web"
#include <gio/gio.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <sys/socket.h>

#include "web-private.h"

#define SWEEP_INTERVAL_S 1
#define REFUSED_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

struct web_conn {
	struct he_web *w;
	GSocket *sock;          /* weak: the entry goes when the socket does */
	int64_t waiting_since;  /* waiting for a request since (µs), or 0 */
	bool closed;            /* shut down, waiting for libsoup to let go */
};

static void conn_gone(gpointer data, GObject *where_the_object_was)
{
	struct web_conn *c = data;

	g_hash_table_remove(c->w->conns, where_the_object_was);
}

static void conn_close(struct web_conn *c, const char *why)
{
	g_autoptr(GSocketAddress) peer = g_socket_get_remote_address(c->sock, NULL);
	g_autofree char *who = NULL;

	if (G_IS_INET_SOCKET_ADDRESS(peer))
		who = g_inet_address_to_string(
			g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(peer)));
	g_info("web: closing the connection of %s: %s", who ? who : "?", why);
	c->w->conns_timed_out++;
	c->closed = true;
	g_socket_shutdown(c->sock, TRUE, TRUE, NULL);
}

static void refuse(struct he_web *w, GSocket *sock)
{
	int64_t now = g_get_monotonic_time();

	w->conns_refused++;
	if (now - w->refused_logged_us >= REFUSED_LOG_INTERVAL_US) {
		w->refused_logged_us = now;
		g_message("web: %u connections open, the most --max-web-connections allows: "
			  "closing new ones (%" G_GUINT64_FORMAT " so far)", w->max_connections,
			  w->conns_refused);
	}
	g_socket_shutdown(sock, TRUE, TRUE, NULL);
}

static void forget(GHashTableIter *it, GSocket *sock, struct web_conn *c)
{
	g_object_weak_unref(G_OBJECT(sock), conn_gone, c);
	g_hash_table_iter_remove(it);
}

/* Connections whose descriptor is closed, though something still holds
 * their socket object, are forgotten; those shut down here, on their way
 * out, are not counted. */
static uint32_t count_open(struct he_web *w)
{
	GHashTableIter it;
	gpointer key, value;
	uint32_t n = 0;

	g_hash_table_iter_init(&it, w->conns);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		struct web_conn *c = value;

		if (g_socket_is_closed(key))
			forget(&it, key, c);
		else
			n += !c->closed;
	}
	return n;
}

/* A request begins: on a new connection (counted here, or refused), or
 * the next one on a kept-alive connection. */
static void on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
	struct he_web *w = data;
	GSocket *sock = soup_server_message_get_socket(msg);
	struct web_conn *c;

	if (!sock)
		return;
	c = g_hash_table_lookup(w->conns, sock);
	if (!c) {
		if (g_hash_table_size(w->conns) >= w->max_connections &&
		    count_open(w) >= w->max_connections) {
			refuse(w, sock);
			return;
		}
		c = g_new0(struct web_conn, 1);
		c->w = w;
		c->sock = sock;
		g_object_weak_ref(G_OBJECT(sock), conn_gone, c);
		g_hash_table_insert(w->conns, sock, c);
	}
	c->waiting_since = g_get_monotonic_time();
	/* One request per connection: libsoup 3.2 never lets go of a
	 * kept-alive connection that the client closes between requests
	 * (its descriptor stays in CLOSE-WAIT for good). A WebSocket's 101
	 * says "Upgrade" instead. */
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
				     "close");
}

static void on_request_read(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
	struct he_web *w = data;
	GSocket *sock = soup_server_message_get_socket(msg);
	struct web_conn *c = sock ? g_hash_table_lookup(w->conns, sock) : NULL;

	if (c)
		c->waiting_since = 0;
}

/* Milliseconds since the socket last received or sent data, or -1. */
static int64_t tcp_idle_ms(GSocket *sock)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(g_socket_get_fd(sock), IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof(ti.tcpi_last_data_recv))
		return -1;
	return MIN(ti.tcpi_last_data_recv, ti.tcpi_last_data_sent);
}

static gboolean sweep(gpointer data)
{
	struct he_web *w = data;
	int64_t limit_us = (int64_t)w->idle_timeout_s * G_USEC_PER_SEC;
	int64_t now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer value;

	count_open(w);
	g_hash_table_iter_init(&it, w->conns);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct web_conn *c = value;

		if (c->closed)
			continue;
		if (c->waiting_since && now - c->waiting_since > limit_us)
			conn_close(c, "no request within the idle timeout");
		else if (!c->waiting_since && tcp_idle_ms(c->sock) > limit_us / 1000)
			conn_close(c, "no data either way within the idle timeout");
	}
	return G_SOURCE_CONTINUE;
}

uint32_t web_conns_count(struct he_web *w)
{
	return count_open(w);
}

void web_conns_start(struct he_web *w)
{
	w->conns = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	g_signal_connect(w->server, "request-started", G_CALLBACK(on_request_started), w);
	g_signal_connect(w->server, "request-read", G_CALLBACK(on_request_read), w);
	w->sweep_timer = g_timeout_add_seconds(SWEEP_INTERVAL_S, sweep, w);
}

/* After the server is gone: sockets that outlive it are not followed. */
void web_conns_stop(struct he_web *w)
{
	GHashTableIter it;
	gpointer key, value;

	if (!w->conns)
		return;
	if (w->sweep_timer)
		g_source_remove(w->sweep_timer);
	w->sweep_timer = 0;
	g_hash_table_iter_init(&it, w->conns);
	while (g_hash_table_iter_next(&it, &key, &value))
		g_object_weak_unref(key, conn_gone, value);
	g_clear_pointer(&w->conns, g_hash_table_destroy);
}
