/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "web-client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int wc_connect(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	g_assert_cmpint(fd, >=, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static bool send_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Read what is there within @p timeout_ms into @p in: >0 bytes, 0 EOF,
 * -1 nothing in time or an error (errno). */
static ssize_t read_some(int fd, GByteArray *in, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[65536];
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == ECONNRESET)
		return 0;
	if (n > 0)
		g_byte_array_append(in, buf, (guint)n);
	return n;
}

static int64_t deadline_in(int ms)
{
	return g_get_monotonic_time() + (int64_t)ms * 1000;
}

static int left_ms(int64_t deadline)
{
	int64_t left = deadline - g_get_monotonic_time();

	return left > 0 ? (int)((left + 999) / 1000) : 0;
}

static const char *find_crlf2(GByteArray *in)
{
	return in->len ? g_strstr_len((const char *)in->data, in->len, "\r\n\r\n") : NULL;
}

static char *request(uint16_t port, const char *host, const char *path, const char *extra)
{
	g_autofree char *own = host ? NULL : g_strdup_printf("127.0.0.1:%u", port);

	return g_strdup_printf("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", path, host ? host : own,
			       extra ? extra : "");
}

/* The Content-Length of a response head, or -1. */
static long content_length(const char *head, size_t len)
{
	g_autofree char *lower = g_ascii_strdown(head, (gssize)len);
	const char *p = strstr(lower, "\r\ncontent-length:");

	return p ? strtol(p + 17, NULL, 10) : -1;
}

int wc_get_on(int fd, uint16_t port, const char *host, const char *path, const char *extra,
	      char **headers, char **body)
{
	g_autofree char *req = request(port, host, path, extra);
	g_autoptr(GByteArray) in = g_byte_array_new();
	int64_t deadline = deadline_in(10000);
	const char *end = NULL;
	size_t head = 0;
	long want = -1;
	int status = 0;

	if (!send_all(fd, req, strlen(req)))
		return 0;
	/* the head, then the body: Content-Length bytes, or up to the end */
	for (;;) {
		if (!end && (end = find_crlf2(in))) {
			head = (size_t)(end - (const char *)in->data) + 4;
			want = content_length((const char *)in->data, head);
		}
		if (end && want >= 0 && in->len >= head + (size_t)want)
			break;
		if (read_some(fd, in, left_ms(deadline)) <= 0)
			break;
	}
	if (!end)
		return 0;
	g_byte_array_append(in, (const uint8_t *)"", 1);
	if (sscanf((const char *)in->data, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	if (headers)
		*headers = g_strndup((const char *)in->data, head - 4);
	if (body)
		*body = g_strdup((const char *)in->data + head);
	return status;
}

int wc_get(uint16_t port, const char *host, const char *path, const char *extra, char **body)
{
	int fd = wc_connect(port);
	int status = wc_get_on(fd, port, host, path, extra, NULL, body);

	close(fd);
	return status;
}

int wc_wait_closed(int fd, int timeout_ms)
{
	int64_t start = g_get_monotonic_time(), deadline = deadline_in(timeout_ms);
	uint8_t buf[65536];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, left_ms(deadline)) <= 0)
			return -1;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)))
			continue;
		return (int)((g_get_monotonic_time() - start) / 1000);
	}
}

struct wc_ws *wc_ws_open(uint16_t port, const char *host, const char *path, const char *extra)
{
	struct wc_ws *ws = g_new0(struct wc_ws, 1);
	g_autofree char *more = g_strdup_printf(
		"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s", extra ? extra : "");
	g_autofree char *req = request(port, host, path, more);
	int64_t deadline = deadline_in(10000);
	const char *end = NULL;

	ws->fd = wc_connect(port);
	ws->in = g_byte_array_new();
	if (!send_all(ws->fd, req, strlen(req)))
		return ws;
	while (!(end = find_crlf2(ws->in)) && read_some(ws->fd, ws->in, left_ms(deadline)) > 0)
		;
	if (!end)
		return ws;
	ws->headers = g_strndup((const char *)ws->in->data, (gsize)(end - (char *)ws->in->data));
	sscanf(ws->headers, "HTTP/1.%*d %d", &ws->status);
	g_byte_array_remove_range(ws->in, 0, (guint)(end + 4 - (char *)ws->in->data));
	return ws;
}

void wc_ws_free(struct wc_ws *ws)
{
	if (!ws)
		return;
	close(ws->fd);
	g_byte_array_unref(ws->in);
	g_free(ws->headers);
	g_free(ws);
}

void wc_ws_frame(GByteArray *out, uint8_t opcode, bool fin, const void *data, size_t len)
{
	uint8_t hdr[14], mask[4];
	size_t n = 0;
	guint at;

	hdr[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		hdr[n++] = (uint8_t)(0x80 | len);
	} else if (len < 65536) {
		hdr[n++] = 0x80 | 126;
		hdr[n++] = (uint8_t)(len >> 8);
		hdr[n++] = (uint8_t)len;
	} else {
		hdr[n++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			hdr[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	for (int i = 0; i < 4; i++)
		mask[i] = (uint8_t)g_random_int();
	memcpy(hdr + n, mask, 4);
	n += 4;
	g_byte_array_append(out, hdr, (guint)n);
	at = out->len;
	if (len)
		g_byte_array_append(out, data, (guint)len);
	for (size_t i = 0; i < len; i++)
		out->data[at + i] ^= mask[i & 3];
}

bool wc_ws_send(struct wc_ws *ws, uint8_t opcode, bool fin, const void *data, size_t len)
{
	g_autoptr(GByteArray) out = g_byte_array_new();

	wc_ws_frame(out, opcode, fin, data, len);
	return send_all(ws->fd, out->data, out->len);
}

bool wc_ws_send_text(struct wc_ws *ws, const char *text)
{
	return wc_ws_send(ws, 1, true, text, strlen(text));
}

/* One whole server frame at the front of ws->in: its opcode, or -1. */
static int take_frame(struct wc_ws *ws, GByteArray *payload)
{
	const uint8_t *p = ws->in->data;
	uint64_t len;
	size_t hdr = 2;
	int opcode;

	if (ws->in->len < 2)
		return -1;
	len = p[1] & 0x7f;
	if (len == 126) {
		hdr = 4;
		if (ws->in->len < hdr)
			return -1;
		len = (uint64_t)p[2] << 8 | p[3];
	} else if (len == 127) {
		hdr = 10;
		if (ws->in->len < hdr)
			return -1;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | p[2 + i];
	}
	if (ws->in->len < hdr + len)
		return -1;
	opcode = p[0] & 0x0f;
	g_byte_array_set_size(payload, 0);
	g_byte_array_append(payload, p + hdr, (guint)len);
	if (opcode == 8 && len >= 2)
		ws->close_code = (uint16_t)(payload->data[0] << 8 | payload->data[1]);
	g_byte_array_remove_range(ws->in, 0, (guint)(hdr + len));
	return opcode;
}

int wc_ws_recv(struct wc_ws *ws, int timeout_ms, GByteArray *payload)
{
	int64_t deadline = deadline_in(timeout_ms);

	for (;;) {
		int opcode = take_frame(ws, payload);
		ssize_t n;

		if (opcode >= 0)
			return opcode;
		errno = 0;
		n = read_some(ws->fd, ws->in, left_ms(deadline));
		if (n == 0)
			return -2;
		if (n < 0)
			return errno ? -2 : -1; /* poll() timing out leaves errno alone */
	}
}

int wc_ws_poll(struct wc_ws *ws, void (*frame)(int opcode, GByteArray *payload, void *data),
	       void *data)
{
	g_autoptr(GByteArray) payload = g_byte_array_new();
	uint8_t buf[65536];
	bool ended;
	ssize_t n;
	int opcode;

	while ((n = recv(ws->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		g_byte_array_append(ws->in, buf, (guint)n);
	ended = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
	while ((opcode = take_frame(ws, payload)) >= 0)
		frame(opcode, payload, data);
	return ended ? -2 : 0;
}

char *wc_ws_wait_text(struct wc_ws *ws, const char *type, int timeout_ms)
{
	g_autoptr(GByteArray) payload = g_byte_array_new();
	g_autofree char *want = g_strdup_printf("\"type\":\"%s\"", type);
	int64_t deadline = deadline_in(timeout_ms);

	for (;;) {
		int opcode = wc_ws_recv(ws, left_ms(deadline), payload);

		if (opcode < 0 || opcode == 8)
			return NULL;
		if (opcode == 1 && g_strstr_len((const char *)payload->data, payload->len, want))
			return g_strndup((const char *)payload->data, payload->len);
	}
}

char *wc_json_string(const char *json, const char *name)
{
	g_autofree char *key = g_strdup_printf("\"%s\":\"", name);
	const char *p = strstr(json, key), *end;

	if (!p)
		return NULL;
	p += strlen(key);
	end = strchr(p, '"');
	return end ? g_strndup(p, (gsize)(end - p)) : NULL;
}

uint64_t wc_metric(uint16_t port, const char *name)
{
	g_autofree char *text = NULL;
	g_autofree char *key = g_strdup_printf("\n%s ", name);
	const char *p;

	g_assert_cmpint(wc_get(port, NULL, "/metrics", NULL, &text), ==, 200);
	p = strstr(text, key);
	g_assert_nonnull(p);
	return g_ascii_strtoull(p + strlen(key), NULL, 10);
}

unsigned wc_fd_count(int pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", pid);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	unsigned n = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir))
		n++;
	return n;
}

long wc_rss_kib(int pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strstr(text, "VmRSS:")))
		return -1;
	return strtol(p + 6, NULL, 10);
}
