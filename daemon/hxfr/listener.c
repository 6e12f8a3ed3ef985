/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "hostenc.listen"
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/vm_sockets.h>
#endif

#include "hxfr-private.h"
#include "session.h"

/* accept() out of descriptors (or memory): stop watching for a while,
 * longer each time it fails again, so that a full table is not polled in
 * a busy loop; one log line a second at most. */
#define ACCEPT_BACKOFF_MIN_MS 100
#define ACCEPT_BACKOFF_MAX_MS 1000
#define ACCEPT_LOG_INTERVAL_US G_USEC_PER_SEC

struct he_listener {
	struct he_hxfr *hx;
	struct hxfr_machine *machine;
	enum he_transport transport;
	int fd;
	guint watch;
	guint retry;            /* backing off after an accept() failure */
	guint backoff_ms;
	int64_t last_log_us;
	unsigned unlogged;      /* accept() failures since the last log line */
	char *address;
	char *unix_path;
};

static gboolean fail(GError **err, const char *spec, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean fail(GError **err, const char *spec, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "--listen %s: %s", spec, text);
	return FALSE;
}

static char *describe_peer(const struct sockaddr_storage *ss, socklen_t len, const char *kind)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6) {
		if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), serv,
				sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			return g_strdup_printf("tcp:%s:%s", host, serv);
	}
#ifdef __linux__
	if (ss->ss_family == AF_VSOCK) {
		const struct sockaddr_vm *vm = (const struct sockaddr_vm *)ss;

		return g_strdup_printf("vsock:%u:%u", vm->svm_cid, vm->svm_port);
	}
#endif
	return g_strdup(kind);
}

/* The address sessions are counted by: the IP, an IPv6 peer by its /64
 * (one host gets a whole /64), a vsock peer by its CID; NULL for unix
 * sockets. */
static char *peer_address(const struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		return g_strdup(inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host)));
	}
	if (ss->ss_family == AF_INET6) {
		struct in6_addr a = ((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&a))
			return g_strdup(inet_ntop(AF_INET, a.s6_addr + 12, host, sizeof(host)));
		memset(a.s6_addr + 8, 0, 8);
		return g_strdup_printf("%s/64", inet_ntop(AF_INET6, &a, host, sizeof(host)));
	}
#ifdef __linux__
	if (ss->ss_family == AF_VSOCK)
		return g_strdup_printf("vsock:%u", ((const struct sockaddr_vm *)ss)->svm_cid);
#endif
	return NULL;
}

static void accept_session(struct he_listener *l, int c, const struct sockaddr_storage *ss,
			   socklen_t len)
{
	g_autofree char *name = describe_peer(ss, len, l->address);
	g_autofree char *address = peer_address(ss);
	struct he_peer peer = { .transport = l->transport, .name = name, .address = address };

	he_session_create(l->hx, c, &peer, l->machine);
}

static void log_accept_failure(struct he_listener *l, int err, bool backing_off)
{
	int64_t now = g_get_monotonic_time();

	l->unlogged++;
	if (l->last_log_us && now - l->last_log_us < ACCEPT_LOG_INTERVAL_US)
		return;
	g_warning("%s: accept: %s (%u time%s since the last report)%s", l->address,
		  g_strerror(err), l->unlogged, l->unlogged == 1 ? "" : "s",
		  backing_off ? "; not accepting for a while" : "");
	l->last_log_us = now;
	l->unlogged = 0;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data);

static gboolean resume_accept(gpointer data)
{
	struct he_listener *l = data;

	l->retry = 0;
	l->watch = g_unix_fd_add(l->fd, G_IO_IN, on_accept, l);
	return G_SOURCE_REMOVE;
}

/* Out of descriptors or memory: the pending connection stays in the
 * backlog, so the socket stays readable; watching it now would spin. */
static gboolean pause_accept(struct he_listener *l)
{
	l->watch = 0;
	l->retry = g_timeout_add(l->backoff_ms, resume_accept, l);
	l->backoff_ms = MIN(l->backoff_ms * 2, ACCEPT_BACKOFF_MAX_MS);
	return G_SOURCE_REMOVE;
}

static bool accept_resource_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	struct he_listener *l = data;

	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (c < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (c < 0) {
			int err = errno;
			bool resource = accept_resource_error(err);

			log_accept_failure(l, err, resource);
			if (resource)
				return pause_accept(l);
			break;
		}
		l->backoff_ms = ACCEPT_BACKOFF_MIN_MS;
		accept_session(l, c, &ss, len);
	}
	return G_SOURCE_CONTINUE;
}

static int listen_fd(int fd, const struct sockaddr *sa, socklen_t len)
{
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0 || listen(fd, 64) < 0)
		return -errno;
	return 0;
}

/* Bound but not yet listening: nobody can connect before the mode is set
 * (connecting needs write permission on the socket file). */
static int listen_unix(int fd, const struct sockaddr_un *sun, mode_t mode)
{
	if (bind(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0)
		return -errno;
	if (chmod(sun->sun_path, mode) < 0 || listen(fd, 64) < 0) {
		int err = -errno;

		unlink(sun->sun_path);
		return err;
	}
	return 0;
}

static gboolean open_tcp(struct he_listener *l, const char *spec, const char *rest, GError **err)
{
	const char *colon = strrchr(rest, ':');
	g_autofree char *host = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int res, gai;

	if (!colon || colon == rest || !colon[1])
		return fail(err, spec, "expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:%d",
			    HE_HXFR_DEFAULT_PORT);
	host = g_strndup(rest, (gsize)(colon - rest));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	gai = getaddrinfo(host, colon + 1, &hints, &ai);
	if (gai != 0)
		return fail(err, spec, "cannot resolve '%s' port '%s': %s", host, colon + 1,
			    gai_strerror(gai));
	l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	res = l->fd < 0 ? -errno : listen_fd(l->fd, ai->ai_addr, ai->ai_addrlen);
	if (res == 0) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char h[NI_MAXHOST], p[NI_MAXSERV];

		getsockname(l->fd, (struct sockaddr *)&ss, &len);
		getnameinfo((struct sockaddr *)&ss, len, h, sizeof(h), p, sizeof(p),
			    NI_NUMERICHOST | NI_NUMERICSERV);
		l->address = g_strdup_printf(ss.ss_family == AF_INET6 ? "tcp:[%s]:%s" : "tcp:%s:%s",
					     h, p);
	}
	freeaddrinfo(ai);
	if (res < 0)
		return fail(err, spec, "%s%s", g_strerror(-res),
			    res == -EADDRINUSE ? " (another hostencd running? pick another port)" : "");
	return TRUE;
}

/* Lesson from Helix: a stale socket file blocks bind. Remove it only when
 * nobody answers on it. */
static void remove_stale_unix(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int probe;

	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return;
	if (connect(probe, (const struct sockaddr *)sun, sizeof(*sun)) < 0 && errno == ECONNREFUSED)
		unlink(path);
	close(probe);
}

static gboolean open_unix(struct he_listener *l, const char *spec, const char *path, GError **err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int res;

	if (!path[0] || strlen(path) >= sizeof(sun.sun_path))
		return fail(err, spec, "expected unix:PATH with a path of 1..%zu bytes",
			    sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path));
	remove_stale_unix(path, &sun);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	res = l->fd < 0 ? -errno : listen_unix(l->fd, &sun, (mode_t)l->hx->cfg.socket_mode);
	if (res < 0)
		return fail(err, spec, "%s%s", g_strerror(-res),
			    res == -EADDRINUSE ? " (another process is listening there)" : "");
	l->unix_path = g_strdup(path);
	l->address = g_strdup_printf("unix:%s", path);
	return TRUE;
}

gboolean he_listener_vsock_available(char *why, size_t n)
{
#ifdef __linux__
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		close(fd);
		return TRUE;
	}
	g_snprintf(why, n, "AF_VSOCK sockets cannot be created here (%s); on Linux load the "
		   "vhost_vsock module (modprobe vhost_vsock) or use tcp:/unix:", g_strerror(errno));
#else
	g_snprintf(why, n, "this host has no AF_VSOCK (macOS has no host vsock): use tcp: "
		   "(guests reach the host at 10.0.2.2) or unix:");
#endif
	return FALSE;
}

static gboolean open_vsock(struct he_listener *l, const char *spec, const char *rest, GError **err)
{
#ifdef __linux__
	struct sockaddr_vm vm = { .svm_family = AF_VSOCK };
	g_auto(GStrv) parts = g_strsplit(rest, ":", 2);
	char why[256];
	guint64 cid, port;
	int res;

	if (!parts[0] || !parts[1])
		return fail(err, spec, "expected vsock:CID:PORT (CID a number or 'any')");
	if (g_strcmp0(parts[0], "any") == 0)
		cid = VMADDR_CID_ANY;
	else if (!g_ascii_string_to_unsigned(parts[0], 10, 0, UINT32_MAX, &cid, NULL))
		return fail(err, spec, "CID '%s' is not a number or 'any'", parts[0]);
	if (!g_ascii_string_to_unsigned(parts[1], 10, 0, UINT32_MAX, &port, NULL))
		return fail(err, spec, "port '%s' is not a number", parts[1]);
	if (!he_listener_vsock_available(why, sizeof(why)))
		return fail(err, spec, "%s", why);
	vm.svm_cid = (unsigned)cid;
	vm.svm_port = (unsigned)port;
	l->fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	res = l->fd < 0 ? -errno : listen_fd(l->fd, (struct sockaddr *)&vm, sizeof(vm));
	if (res < 0)
		return fail(err, spec, "%s", g_strerror(-res));
	l->address = g_strdup_printf("vsock:%s:%s", parts[0], parts[1]);
	return TRUE;
#else
	char why[256];

	he_listener_vsock_available(why, sizeof(why));
	return fail(err, spec, "%s", why);
#endif
}

struct he_listener *he_listener_create(struct he_hxfr *hx, const char *spec,
				       struct hxfr_machine *machine, GError **err)
{
	struct he_listener *l = g_new0(struct he_listener, 1);
	gboolean ok;

	l->hx = hx;
	l->machine = machine ? hxfr_machine_ref(machine) : NULL;
	l->fd = -1;
	l->backoff_ms = ACCEPT_BACKOFF_MIN_MS;
	if (g_str_has_prefix(spec, "tcp:")) {
		l->transport = HE_TRANSPORT_TCP;
		ok = open_tcp(l, spec, spec + 4, err);
	} else if (g_str_has_prefix(spec, "unix:")) {
		l->transport = HE_TRANSPORT_UNIX;
		ok = open_unix(l, spec, spec + 5, err);
	} else if (g_str_has_prefix(spec, "vsock:")) {
		l->transport = HE_TRANSPORT_VSOCK;
		ok = open_vsock(l, spec, spec + 6, err);
	} else
		ok = fail(err, spec, "unknown transport; use tcp:HOST:PORT, unix:PATH or "
			  "vsock:CID:PORT");
	if (!ok) {
		he_listener_destroy(l);
		return NULL;
	}
	l->watch = g_unix_fd_add(l->fd, G_IO_IN, on_accept, l);
	return l;
}

void he_listener_destroy(struct he_listener *l)
{
	if (!l)
		return;
	if (l->watch)
		g_source_remove(l->watch);
	if (l->retry)
		g_source_remove(l->retry);
	if (l->fd >= 0)
		close(l->fd);
	if (l->unix_path)
		unlink(l->unix_path);
	g_free(l->unix_path);
	g_free(l->address);
	if (l->machine)
		hxfr_machine_unref(l->machine);
	g_free(l);
}

const char *he_listener_address(const struct he_listener *l)
{
	return l->address;
}
