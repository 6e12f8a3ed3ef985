/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "hostenc.listen"
#include "listener.h"

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

struct he_listener {
	struct he_hxfr *hx;
	struct hxfr_machine *machine;
	int fd;
	guint watch;
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

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	struct he_listener *l = data;

	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		g_autofree char *peer = NULL;
		int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				g_warning("%s: accept: %s", l->address, g_strerror(errno));
			break;
		}
		peer = describe_peer(&ss, len, l->address);
		he_session_create(l->hx, c, peer, l->machine);
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
	res = l->fd < 0 ? -errno : listen_fd(l->fd, (struct sockaddr *)&sun, sizeof(sun));
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
	if (g_str_has_prefix(spec, "tcp:"))
		ok = open_tcp(l, spec, spec + 4, err);
	else if (g_str_has_prefix(spec, "unix:"))
		ok = open_unix(l, spec, spec + 5, err);
	else if (g_str_has_prefix(spec, "vsock:"))
		ok = open_vsock(l, spec, spec + 6, err);
	else
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
