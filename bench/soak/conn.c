/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct soak_conn *soak_conn_tcp(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct soak_conn *c;

	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c = g_new0(struct soak_conn, 1);
	c->fd = fd;
	c->cap = 1 << 16;
	c->buf = g_malloc(c->cap);
	return c;
}

int soak_conn_steal_fd(struct soak_conn *c)
{
	int fd = c->fd;

	g_free(c->buf);
	g_free(c);
	return fd;
}

void soak_conn_close(struct soak_conn *c, bool reset)
{
	if (!c)
		return;
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	g_free(c->buf);
	g_free(c);
}

static int sendv(struct soak_conn *c, struct iovec *iov, int n)
{
	while (n > 0) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int soak_conn_send(struct soak_conn *c, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return sendv(c, &iov, 1);
}

int soak_conn_send2(struct soak_conn *c, const void *a, size_t alen, const void *b, size_t blen)
{
	struct iovec iov[2] = { { (void *)a, alen }, { (void *)b, blen } };

	return sendv(c, iov, blen ? 2 : 1);
}

void soak_msg_clear(struct soak_msg *msg)
{
	g_free(msg->data);
	memset(msg, 0, sizeof(*msg));
}

int soak_conn_recv(struct soak_conn *c, int timeout_ms, struct soak_msg *msg)
{
	int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;

	memset(msg, 0, sizeof(*msg));
	for (;;) {
		struct hxfr_msg m;
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		size_t need = 0;
		int res = hxfr_frame(c->buf, c->len, HXFR_MAX_PAYLOAD_HARD, &m, &need);
		int64_t left;
		ssize_t r;

		if (res < 0)
			return res;
		if (res == 1) {
			msg->data = g_memdup2(c->buf, m.total);
			msg->m = m;
			msg->m.payload = msg->data + HXFR_HEADER_SIZE;
			memmove(c->buf, c->buf + m.total, c->len - m.total);
			c->len -= m.total;
			return 1;
		}
		if (c->err)
			return c->err;
		if (need > c->cap) {
			c->cap = need;
			c->buf = g_realloc(c->buf, c->cap);
		}
		left = (deadline - g_get_monotonic_time()) / 1000;
		if (left < 0)
			return -ETIMEDOUT;
		res = poll(&pfd, 1, (int)left);
		if (res < 0 && errno == EINTR)
			continue;
		if (res == 0)
			return -ETIMEDOUT;
		r = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			c->err = -errno;
		else if (r == 0)
			c->err = -EPIPE;
		else
			c->len += (size_t)r;
	}
}

void soak_describe(int res, const struct soak_msg *msg, char *buf, size_t len)
{
	if (res < 0) {
		snprintf(buf, len, "%s", res == -ETIMEDOUT ? "nothing (timeout)"
					 : res == -EPIPE ? "the end of the connection (host closed)"
					 : g_strerror(-res));
	} else if (msg->m.hdr.type == HXFR_ERROR) {
		struct hxfr_error e = { 0 };

		hxfr_decode_error(&msg->m, &e, NULL);
		snprintf(buf, len, "ERROR %d (%s) about %s: %s", e.code, hxfr_error_name(e.code),
			 hxfr_type_name(e.offending_type), e.message);
	} else {
		snprintf(buf, len, "%s (flags 0x%x, %u bytes)", hxfr_type_name(msg->m.hdr.type),
			 msg->m.hdr.flags, msg->m.hdr.payload_size);
	}
}

/* The next message, which must be @p type: 0, or -1 with why. */
static int expect(struct soak_conn *c, uint8_t type, struct soak_msg *msg, char *why,
		  size_t why_len)
{
	int res = soak_conn_recv(c, 20000, msg);
	char what[400];

	if (res == 1 && msg->m.hdr.type == type)
		return 0;
	soak_describe(res, msg, what, sizeof(what));
	snprintf(why, why_len, "expected %s, got %s", hxfr_type_name(type), what);
	soak_msg_clear(msg);
	return -1;
}

static int send_or_why(struct soak_conn *c, const uint8_t *buf, ssize_t n, const char *what,
		       char *why, size_t why_len)
{
	int res = n > 0 ? soak_conn_send(c, buf, (size_t)n) : -EINVAL;

	if (res < 0)
		snprintf(why, why_len, "sending %s: %s", what, g_strerror(-res));
	return res < 0 ? -1 : 0;
}

int soak_hello(struct soak_conn *c, uint32_t paths, uint32_t max_inflight, const char *name,
	       char *why, size_t why_len)
{
	struct hxfr_hello h = { .version = HXFR_VERSION, .frame_paths = paths,
				.max_inflight = max_inflight };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];
	struct hxfr_hello_resp r;
	struct soak_msg msg;
	const char *bad = NULL;
	int res;

	g_strlcpy(h.name, name, sizeof(h.name));
	if (send_or_why(c, buf, hxfr_build_hello(buf, sizeof(buf), 0, &h), "HELLO", why,
			why_len) < 0 ||
	    expect(c, HXFR_HELLO_RESP, &msg, why, why_len) < 0)
		return -1;
	res = hxfr_decode_hello_resp(&msg.m, &r, &bad);
	soak_msg_clear(&msg);
	if (res < 0 || (r.frame_paths & paths) != paths || r.max_inflight < max_inflight) {
		snprintf(why, why_len, "HELLO_RESP: %s", bad ? bad : "paths or inflight refused");
		return -1;
	}
	return 0;
}

int soak_config(struct soak_conn *c, uint32_t bitrate, uint32_t fps, char *why, size_t why_len)
{
	struct hxfr_config cfg = { .bitrate = bitrate, .fps_num = fps, .fps_den = 1 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_CONFIG_REQ_SIZE];
	struct hxfr_config_resp r;
	struct soak_msg msg;
	int res;

	if (send_or_why(c, buf, hxfr_build_config_req(buf, sizeof(buf), 0, &cfg), "CONFIG_REQ",
			why, why_len) < 0 ||
	    expect(c, HXFR_CONFIG_RESP, &msg, why, why_len) < 0)
		return -1;
	res = hxfr_decode_config_resp(&msg.m, &r, NULL);
	soak_msg_clear(&msg);
	if (res < 0 || r.status != HXFR_ERR_OK) {
		snprintf(why, why_len, "CONFIG_RESP status %d", res < 0 ? res : r.status);
		return -1;
	}
	return 0;
}

int soak_shm_attach(struct soak_conn *c, uint64_t offset, uint64_t size, uint64_t ring_id,
		    const char *region, char *why, size_t why_len)
{
	struct hxfr_shm_attach a = { .ring_offset = offset, .ring_size = size, .ring_id = ring_id };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE];
	struct hxfr_shm_attach_resp r;
	struct soak_msg msg;
	int res;

	g_strlcpy(a.name, region, sizeof(a.name));
	if (send_or_why(c, buf, hxfr_build_shm_attach(buf, sizeof(buf), 0, &a), "SHM_ATTACH", why,
			why_len) < 0 ||
	    expect(c, HXFR_SHM_ATTACH_RESP, &msg, why, why_len) < 0)
		return -1;
	res = hxfr_decode_shm_attach_resp(&msg.m, &r, NULL);
	soak_msg_clear(&msg);
	if (res < 0 || r.status != HXFR_ERR_OK) {
		snprintf(why, why_len, "SHM_ATTACH_RESP status %d", res < 0 ? res : r.status);
		return -1;
	}
	return 0;
}

int soak_subscribe(struct soak_conn *c, uint32_t id, char *why, size_t why_len)
{
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SUBSCRIBE_SIZE];
	struct hxfr_subscribe_resp r;
	struct soak_msg msg;
	int res;

	if (send_or_why(c, buf, hxfr_build_u32(buf, sizeof(buf), HXFR_SUBSCRIBE, 0, id),
			"SUBSCRIBE", why, why_len) < 0 ||
	    expect(c, HXFR_SUBSCRIBE_RESP, &msg, why, why_len) < 0)
		return -1;
	res = hxfr_decode_subscribe_resp(&msg.m, &r, NULL);
	soak_msg_clear(&msg);
	if (res < 0 || !r.success) {
		snprintf(why, why_len, "SUBSCRIBE %u refused", id);
		return -1;
	}
	return 0;
}

int soak_send_empty(struct soak_conn *c, uint8_t type)
{
	uint8_t buf[HXFR_HEADER_SIZE];

	if (hxfr_build_empty(buf, sizeof(buf), type, 0) < 0)
		return -EINVAL;
	return soak_conn_send(c, buf, sizeof(buf));
}
