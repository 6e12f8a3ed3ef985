/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "h264.h"
#include "pattern.h"

/* ---- connection ------------------------------------------------------ */

struct tc_conn {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	int err;   /* sticky receive error (-EPIPE after EOF) */
};

static struct tc_conn *conn_new(int fd)
{
	struct tc_conn *c = g_new0(struct tc_conn, 1);
	struct timeval tv = { .tv_sec = TH_TIMEOUT_MS / 1000 };

	/* A host that stops reading must not hang the test forever. */
	g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), ==, 0);
	c->fd = fd;
	c->cap = 1 << 16;
	c->buf = g_malloc(c->cap);
	return c;
}

struct tc_conn *tc_connect_tcp(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	g_assert_cmpint(fd, >=, 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		g_error("connect to 127.0.0.1:%u: %s", port, g_strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return conn_new(fd);
}

struct tc_conn *tc_connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpuint(strlen(path), <, sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		g_error("connect to unix:%s: %s", path, g_strerror(errno));
	return conn_new(fd);
}

void tc_close(struct tc_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	g_free(c->buf);
	g_free(c);
}

void tc_close_reset(struct tc_conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	tc_close(c);
}

int tc_fd(const struct tc_conn *c)
{
	return c->fd;
}

static int sendv(struct tc_conn *c, struct iovec *iov, int n)
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

int tc_send(struct tc_conn *c, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return sendv(c, &iov, 1);
}

void tc_send_ok(struct tc_conn *c, const void *buf, size_t len)
{
	int res = tc_send(c, buf, len);

	if (res < 0)
		g_error("sending %zu bytes to hostencd: %s", len, g_strerror(-res));
}

void tc_msg_clear(struct tc_msg *msg)
{
	g_free(msg->data);
	memset(msg, 0, sizeof(*msg));
}

int tc_recv(struct tc_conn *c, int timeout_ms, struct tc_msg *msg)
{
	int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;

	memset(msg, 0, sizeof(*msg));
	for (;;) {
		struct hxfr_msg m;
		size_t need = 0;
		int res = hxfr_frame(c->buf, c->len, HXFR_MAX_PAYLOAD_HARD, &m, &need);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
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
		if (left <= 0)
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

static const char *describe(int res, const struct tc_msg *msg, char *buf, size_t n)
{
	if (res < 0) {
		g_snprintf(buf, n, "%s", res == -ETIMEDOUT ? "nothing (timeout)" :
			   res == -EPIPE ? "end of stream (host closed)" : g_strerror(-res));
	} else if (msg->m.hdr.type == HXFR_ERROR) {
		struct hxfr_error e = { 0 };

		hxfr_decode_error(&msg->m, &e, NULL);
		g_snprintf(buf, n, "ERROR %d (%s) about %s: %s", e.code, hxfr_error_name(e.code),
			   hxfr_type_name(e.offending_type), e.message);
	} else {
		g_snprintf(buf, n, "%s (flags 0x%x, %u bytes)", hxfr_type_name(msg->m.hdr.type),
			   msg->m.hdr.flags, msg->m.hdr.payload_size);
	}
	return buf;
}

void tc_expect_silence(struct tc_conn *c, int ms)
{
	struct tc_msg msg;
	char what[400];
	int res = tc_recv(c, ms, &msg);

	if (res != -ETIMEDOUT)
		g_error("expected silence for %d ms, got %s", ms, describe(res, &msg, what,
									   sizeof(what)));
}

int64_t tc_expect_closed(struct tc_conn *c, int timeout_ms, unsigned *skipped)
{
	int64_t start = g_get_monotonic_time();
	unsigned n = 0;

	for (;;) {
		struct tc_msg msg;
		int64_t left = timeout_ms - (g_get_monotonic_time() - start) / 1000;
		int res = tc_recv(c, (int)MAX(left, 0), &msg);

		if (res == 1) {
			n++;
			tc_msg_clear(&msg);
			continue;
		}
		if (res == -ETIMEDOUT)
			g_error("expected the host to close the connection within %d ms", timeout_ms);
		/* a clean FIN, or a RST when the host closed with our bytes unread */
		if (res != -EPIPE && res != -ECONNRESET)
			g_error("expected a close, got %s", g_strerror(-res));
		if (skipped)
			*skipped = n;
		return (g_get_monotonic_time() - start) / 1000;
	}
}

void tc_expect(struct tc_conn *c, uint8_t type, struct tc_msg *out)
{
	char what[400];
	int res = tc_recv(c, TH_TIMEOUT_MS, out);

	if (res != 1 || out->m.hdr.type != type)
		g_error("expected %s, got %s", hxfr_type_name(type), describe(res, out, what,
									       sizeof(what)));
}

int32_t tc_expect_error(struct tc_conn *c, uint8_t offending_type)
{
	struct tc_msg msg;
	struct hxfr_error e;
	const char *why = NULL;

	tc_expect(c, HXFR_ERROR, &msg);
	if (hxfr_decode_error(&msg.m, &e, &why) < 0)
		g_error("undecodable ERROR: %s", why);
	g_test_message("ERROR %d (%s) about %s: %s", e.code, hxfr_error_name(e.code),
		       hxfr_type_name(e.offending_type), e.message);
	g_assert_cmpuint(e.offending_type, ==, offending_type);
	g_assert_cmpstr(e.message, !=, "");
	tc_msg_clear(&msg);
	return e.code;
}

/* ---- messages ------------------------------------------------------------ */

void tc_hello(struct tc_conn *c, uint32_t paths, uint32_t max_inflight, const char *name,
	      struct hxfr_hello_resp *resp)
{
	struct hxfr_hello h = { .version = HXFR_VERSION, .frame_paths = paths,
				.max_inflight = max_inflight };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];
	struct tc_msg msg;
	const char *why = NULL;

	g_strlcpy(h.name, name, sizeof(h.name));
	g_assert_cmpint(hxfr_build_hello(buf, sizeof(buf), 0, &h), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
	tc_expect(c, HXFR_HELLO_RESP, &msg);
	if (hxfr_decode_hello_resp(&msg.m, resp, &why) < 0)
		g_error("bad HELLO_RESP: %s", why);
	tc_msg_clear(&msg);
	g_assert_cmpuint(resp->version >> 16, ==, HXFR_VERSION_MAJOR);
	g_assert_cmpuint(resp->frame_paths & ~paths, ==, 0); /* a subset of ours */
	g_assert_cmpuint(resp->frame_paths & HXFR_PATH_INLINE, ==, paths & HXFR_PATH_INLINE);
	g_assert_cmpuint(resp->max_inflight, >=, 1);
	g_assert_cmpuint(resp->max_inflight, <=, max_inflight);
	g_assert_cmpuint(resp->formats, ==, HXFR_FMTBIT_ALL);
	g_assert_cmpstr(resp->encoder, !=, "");
	g_assert_true(resp->profile == 66 || resp->profile == 77 || resp->profile == 100);
}

void tc_config(struct tc_conn *c, uint32_t bitrate, uint32_t fps)
{
	struct hxfr_config applied = tc_config_applied(c, bitrate, fps);

	g_assert_cmpuint(applied.bitrate, ==, bitrate);
	g_assert_cmpuint(applied.fps_num, ==, fps);
}

struct hxfr_config tc_config_applied(struct tc_conn *c, uint32_t bitrate, uint32_t fps)
{
	struct hxfr_config cfg = { .bitrate = bitrate, .fps_num = fps, .fps_den = fps ? 1 : 0 };
	struct hxfr_config_resp r;
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_CONFIG_REQ_SIZE];
	struct tc_msg msg;
	const char *why = NULL;

	g_assert_cmpint(hxfr_build_config_req(buf, sizeof(buf), 0, &cfg), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
	tc_expect(c, HXFR_CONFIG_RESP, &msg);
	if (hxfr_decode_config_resp(&msg.m, &r, &why) < 0)
		g_error("bad CONFIG_RESP: %s", why);
	tc_msg_clear(&msg);
	g_assert_cmpint(r.status, ==, HXFR_ERR_OK);
	return r.applied;
}

void tc_send_empty(struct tc_conn *c, uint8_t type)
{
	uint8_t buf[HXFR_HEADER_SIZE];

	g_assert_cmpint(hxfr_build_empty(buf, sizeof(buf), type, 0), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
}

void tc_send_u32(struct tc_conn *c, uint8_t type, uint16_t session, uint32_t v)
{
	uint8_t buf[HXFR_HEADER_SIZE + 4];

	g_assert_cmpint(hxfr_build_u32(buf, sizeof(buf), type, session, v), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
}

void tc_enable_scanout(struct tc_conn *c, uint32_t id, uint32_t w, uint32_t h)
{
	struct hxfr_enable_scanout m = { .id = id, .width = w, .height = h, .refresh_hz = 60 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_ENABLE_SCANOUT_SIZE];

	g_assert_cmpint(hxfr_build_enable_scanout(buf, sizeof(buf), 0, &m), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
}

void tc_expect_scanout_resp(struct tc_conn *c, uint32_t id, bool ok)
{
	struct hxfr_scanout_resp r;
	struct tc_msg msg;
	const char *why = NULL;
	g_autofree char *name = g_strdup_printf("Virtual-%u", id + 1);

	tc_expect(c, HXFR_SCANOUT_RESP, &msg);
	if (hxfr_decode_scanout_resp(&msg.m, &r, &why) < 0)
		g_error("bad SCANOUT_RESP: %s", why);
	g_assert_cmpuint(r.id, ==, id);
	g_assert_cmpuint(r.success, ==, ok);
	g_assert_cmpstr(r.name, ==, name);
	tc_msg_clear(&msg);
}

void tc_send_raw(struct tc_conn *c, uint8_t type, uint8_t flags, uint32_t payload_size,
		 const void *payload, size_t len)
{
	uint8_t hdr[HXFR_HEADER_SIZE];
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)payload, len } };
	int res;

	g_assert_cmpint(hxfr_build_header(hdr, sizeof(hdr), type, flags, 0, payload_size), ==,
			sizeof(hdr));
	res = sendv(c, iov, len ? 2 : 1);
	if (res < 0)
		g_error("sending a raw %s: %s", hxfr_type_name(type), g_strerror(-res));
}

void tc_ping(struct tc_conn *c, bool with_time)
{
	struct hxfr_ping p = { .has_time = with_time,
			       .time_ns = (uint64_t)g_get_monotonic_time() * 1000 + 7 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_PING_TS_SIZE];
	ssize_t n = hxfr_build_ping(buf, sizeof(buf), HXFR_PING, 0, &p);
	struct hxfr_ping pong;
	struct tc_msg msg;
	const char *why = NULL;

	g_assert_cmpint(n, >, 0);
	tc_send_ok(c, buf, (size_t)n);
	tc_expect(c, HXFR_PONG, &msg);
	if (hxfr_decode_ping(&msg.m, &pong, &why) < 0)
		g_error("bad PONG: %s", why);
	if (!with_time) {
		g_assert_cmpuint(msg.m.hdr.payload_size, ==, 0);
	} else {
		int64_t host_ms = (int64_t)(pong.host_time_ns / 1000000);

		g_assert_cmpuint(msg.m.hdr.payload_size, ==, HXFR_PONG_TS_SIZE);
		g_assert_cmpuint(pong.time_ns, ==, p.time_ns);
		/* the host's CLOCK_REALTIME: same machine, so within a minute */
		g_assert_cmpint(llabs(host_ms - g_get_real_time() / 1000), <, 60000);
	}
	tc_msg_clear(&msg);
}

/* ---- pictures ------------------------------------------------------------ */

/* BT.601 limited range, integer form (the same rounding as libyuv, so the
 * reference is the daemon's ideal output, not an approximation of it). */
static uint8_t rgb_y(int r, int g, int b)
{
	return (uint8_t)(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
}

static uint8_t rgb_u(int r, int g, int b)
{
	return (uint8_t)(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
}

static uint8_t rgb_v(int r, int g, int b)
{
	return (uint8_t)(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
}

struct tc_picture *tc_picture_new(uint32_t fourcc, uint32_t width, uint32_t height,
				  uint32_t stride)
{
	struct tc_picture *p = g_new0(struct tc_picture, 1);
	uint64_t min_stride, rows, size, off = 0;
	uint32_t cw = (width + 1) / 2, ch = (height + 1) / 2;

	p->planes = hxfr_format_planes(fourcc);
	g_assert_cmpuint(p->planes, >, 0);
	g_assert_cmpint(hxfr_format_plane_geometry(fourcc, 0, width, height, &min_stride, &rows), ==,
			0);
	p->fourcc = fourcc;
	p->width = width;
	p->height = height;
	p->stride = MAX(stride, (uint32_t)min_stride);
	g_assert_cmpint(hxfr_format_frame_size(fourcc, width, height, p->stride, &size), ==, 0);
	p->size = (size_t)size;
	p->data = g_malloc(p->size);
	for (uint32_t i = 0; i < p->planes; i++) {
		hxfr_format_plane_geometry(fourcc, i, width, height, &min_stride, &rows);
		p->pstride[i] = i == 0 || p->planes == 2 ? p->stride : (p->stride + 1) / 2;
		p->plane[i] = p->data + off;
		off += (uint64_t)p->pstride[i] * rows;
	}
	g_assert_cmpuint(off, ==, p->size);
	p->pattern = he_pattern_create(width, height);
	g_assert_nonnull(p->pattern);
	p->bgrx = g_malloc((size_t)width * height * 4);
	p->ref_y = g_malloc((size_t)width * height);
	p->ref_u = g_malloc((size_t)cw * ch);
	p->ref_v = g_malloc((size_t)cw * ch);
	return p;
}

void tc_picture_free(struct tc_picture *p)
{
	if (!p)
		return;
	he_pattern_destroy(p->pattern);
	g_free(p->data);
	g_free(p->bgrx);
	g_free(p->ref_y);
	g_free(p->ref_u);
	g_free(p->ref_v);
	g_free(p);
}

static void make_reference(struct tc_picture *p)
{
	uint32_t w = p->width, h = p->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
	const uint8_t *px = p->bgrx;

	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *q = px + ((size_t)y * w + x) * 4;

			p->ref_y[(size_t)y * w + x] = rgb_y(q[2], q[1], q[0]);
		}
	/* chroma from the average of each 2x2 block (edge pixels repeated) */
	for (uint32_t y = 0; y < ch; y++)
		for (uint32_t x = 0; x < cw; x++) {
			int sum[3] = { 0 };

			for (uint32_t dy = 0; dy < 2; dy++)
				for (uint32_t dx = 0; dx < 2; dx++) {
					uint32_t sx = MIN(2 * x + dx, w - 1), sy = MIN(2 * y + dy, h - 1);
					const uint8_t *q = px + ((size_t)sy * w + sx) * 4;

					for (int k = 0; k < 3; k++)
						sum[k] += q[k];
				}
			p->ref_u[(size_t)y * cw + x] = rgb_u((sum[2] + 2) / 4, (sum[1] + 2) / 4,
							     (sum[0] + 2) / 4);
			p->ref_v[(size_t)y * cw + x] = rgb_v((sum[2] + 2) / 4, (sum[1] + 2) / 4,
							     (sum[0] + 2) / 4);
		}
}

static void fill_rgb(struct tc_picture *p)
{
	/* byte order of each format in memory, as indices into B,G,R */
	bool rgb = p->fourcc == HXFR_FMT_RGBX || p->fourcc == HXFR_FMT_RGBA;
	/* X / A bytes carry junk: the host must ignore them */
	uint8_t fourth = p->fourcc == HXFR_FMT_BGRA || p->fourcc == HXFR_FMT_RGBA ? 0x80 : 0x3c;

	for (uint32_t y = 0; y < p->height; y++) {
		uint8_t *row = p->plane[0] + (size_t)y * p->stride;
		const uint8_t *src = p->bgrx + (size_t)y * p->width * 4;

		for (uint32_t x = 0; x < p->width; x++) {
			row[4 * x + 0] = src[4 * x + (rgb ? 2 : 0)];
			row[4 * x + 1] = src[4 * x + 1];
			row[4 * x + 2] = src[4 * x + (rgb ? 0 : 2)];
			row[4 * x + 3] = fourth;
		}
	}
}

static void fill_yuv(struct tc_picture *p)
{
	uint32_t w = p->width, h = p->height, cw = (w + 1) / 2, ch = (h + 1) / 2;

	for (uint32_t y = 0; y < h; y++)
		memcpy(p->plane[0] + (size_t)y * p->pstride[0], p->ref_y + (size_t)y * w, w);
	for (uint32_t y = 0; y < ch; y++) {
		const uint8_t *u = p->ref_u + (size_t)y * cw, *v = p->ref_v + (size_t)y * cw;

		if (p->planes == 2) {
			uint8_t *uv = p->plane[1] + (size_t)y * p->pstride[1];

			for (uint32_t x = 0; x < cw; x++) {
				uv[2 * x] = u[x];
				uv[2 * x + 1] = v[x];
			}
		} else {
			memcpy(p->plane[1] + (size_t)y * p->pstride[1], u, cw);
			memcpy(p->plane[2] + (size_t)y * p->pstride[2], v, cw);
		}
	}
}

void tc_picture_render(struct tc_picture *p, uint32_t frame_no)
{
	/* a fixed clock, so a frame's pixels depend on its number only */
	tc_picture_render_at(p, frame_no, 1700000000000000 + (int64_t)frame_no * 33333);
}

void tc_picture_render_at(struct tc_picture *p, uint32_t frame_no, int64_t time_us)
{
	p->frame_no = frame_no;
	memset(p->data, 0xa5, p->size); /* stride padding: garbage */
	he_pattern_render(p->pattern, frame_no, time_us, p->bgrx, p->width * 4);
	make_reference(p);
	if (p->planes == 1)
		fill_rgb(p);
	else
		fill_yuv(p);
}

int tc_try_send_frame(struct tc_conn *c, const struct tc_picture *p, int64_t pts_ns,
		      bool force_keyframe)
{
	struct hxfr_frame_request m = { .width = p->width, .height = p->height,
					.format = p->fourcc, .stride = p->stride,
					.pts_ns = pts_ns, .duration_ns = 1000000000 / 30,
					.force_keyframe = force_keyframe,
					.pixels_len = p->size };
	uint8_t prefix[HXFR_FRAME_REQUEST_PREFIX];
	struct iovec iov[2] = { { prefix, sizeof(prefix) }, { p->data, p->size } };
	int res;

	g_assert_cmpint(hxfr_build_frame_request(prefix, sizeof(prefix), 0, &m), ==,
			sizeof(prefix));
	res = sendv(c, iov, 2);
	return res < 0 ? res : 0;
}

void tc_send_frame(struct tc_conn *c, const struct tc_picture *p, int64_t pts_ns,
		   bool force_keyframe)
{
	int res = tc_try_send_frame(c, p, pts_ns, force_keyframe);

	if (res < 0)
		g_error("sending frame %u: %s", p->frame_no, g_strerror(-res));
}

/* ---- shared memory --------------------------------------------------- */

struct tc_region *tc_region_new(uint64_t size)
{
	struct tc_region *r = g_new0(struct tc_region, 1);
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir();

	r->path = g_build_filename(dir, "hostenc-test-shm-XXXXXX", NULL);
	r->fd = mkostemp(r->path, O_CLOEXEC);
	g_assert_cmpint(r->fd, >=, 0);
	g_assert_cmpint(ftruncate(r->fd, (off_t)size), ==, 0);
	r->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	g_assert_true(r->map != MAP_FAILED);
	r->size = size;
	return r;
}

void tc_region_free(struct tc_region *r)
{
	if (!r)
		return;
	munmap(r->map, r->size);
	close(r->fd);
	unlink(r->path);
	g_free(r->path);
	g_free(r);
}

void tc_ring_init(struct tc_ring *ring, struct tc_region *r, uint64_t offset, uint64_t size,
		  uint32_t slots, uint64_t slot_size)
{
	const char *why = NULL;

	g_assert_cmpuint(offset + size, <=, r->size);
	memset(ring, 0, sizeof(*ring));
	ring->region = r;
	ring->offset = offset;
	ring->size = size;
	ring->base = r->map + offset;
	ring->id = g_random_int() | ((uint64_t)g_random_int() << 32) | 1;
	g_assert_cmpint(hxfr_ring_init(ring->base, size, slots, slot_size, ring->id), ==, 0);
	if (hxfr_ring_header_read(ring->base, size, &ring->hdr, &why) < 0)
		g_error("ring does not validate: %s", why);
}

int32_t tc_shm_attach(struct tc_conn *c, const struct tc_ring *ring, const char *name)
{
	struct hxfr_shm_attach a = { .ring_offset = ring->offset, .ring_size = ring->size,
				     .ring_id = ring->id };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE];
	struct hxfr_shm_attach_resp r;
	struct tc_msg msg;
	const char *why = NULL;

	g_strlcpy(a.name, name, sizeof(a.name));
	g_assert_cmpint(hxfr_build_shm_attach(buf, sizeof(buf), 0, &a), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
	if (tc_recv(c, TH_TIMEOUT_MS, &msg) != 1)
		g_error("no reply to SHM_ATTACH");
	if (msg.m.hdr.type == HXFR_ERROR) {
		struct hxfr_error e;

		g_assert_cmpint(hxfr_decode_error(&msg.m, &e, NULL), ==, 0);
		g_assert_cmpuint(e.offending_type, ==, HXFR_SHM_ATTACH);
		g_test_message("SHM_ATTACH refused: %d (%s) %s", e.code, hxfr_error_name(e.code),
			       e.message);
		tc_msg_clear(&msg);
		return e.code;
	}
	g_assert_cmpuint(msg.m.hdr.type, ==, HXFR_SHM_ATTACH_RESP);
	if (hxfr_decode_shm_attach_resp(&msg.m, &r, &why) < 0)
		g_error("bad SHM_ATTACH_RESP: %s", why);
	tc_msg_clear(&msg);
	if (r.status == 0) {
		g_assert_cmpuint(r.slot_count, ==, ring->hdr.slot_count);
		g_assert_cmpuint(r.slot_size, ==, ring->hdr.slot_size);
	}
	return r.status;
}

uint8_t *tc_ring_slot(const struct tc_ring *ring, uint32_t slot)
{
	return ring->base + hxfr_ring_slot_data_offset(&ring->hdr, slot);
}

static void slot_state(const struct tc_ring *ring, uint32_t slot, uint32_t state, int64_t pts)
{
	uint8_t *h = ring->base + ring->hdr.slot_header_offset +
		     (uint64_t)slot * HXFR_RING_SLOT_HEADER_SIZE;

	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(state >> (8 * i));
	for (int i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)((uint64_t)pts >> (8 * i));
}

void tc_ring_release(const struct tc_ring *ring, uint32_t slot)
{
	slot_state(ring, slot, HXFR_SLOT_FREE, 0);
}

void tc_send_frame_shm_desc(struct tc_conn *c, const struct hxfr_frame_shm *desc)
{
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];

	g_assert_cmpint(hxfr_build_frame_shm(buf, sizeof(buf), 0, desc), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
}

void tc_send_frame_shm(struct tc_conn *c, const struct tc_ring *ring, uint32_t slot,
		       const struct tc_picture *p, uint32_t pad, int64_t pts_ns,
		       bool force_keyframe, struct hxfr_frame_shm *desc)
{
	struct hxfr_frame_shm f = { .slot = slot, .format = p->fourcc, .width = p->width,
				    .height = p->height, .pts_ns = pts_ns,
				    .duration_ns = 1000000000 / 30,
				    .flags = force_keyframe ? HXFR_FRAME_SHM_KEYFRAME : 0 };
	uint8_t *dst = tc_ring_slot(ring, slot);
	uint64_t off = pad;

	slot_state(ring, slot, HXFR_SLOT_WRITING, pts_ns);
	for (uint32_t i = 0; i < p->planes; i++) {
		uint64_t min_stride, rows, len;

		hxfr_format_plane_geometry(p->fourcc, i, p->width, p->height, &min_stride, &rows);
		len = (uint64_t)p->pstride[i] * rows;
		g_assert_cmpuint(off + len, <=, ring->hdr.slot_size);
		memcpy(dst + off, p->plane[i], len);
		f.stride[i] = p->pstride[i];
		f.plane_offset[i] = (uint32_t)off;
		off += len + pad;
	}
	slot_state(ring, slot, HXFR_SLOT_QUEUED, pts_ns);
	tc_send_frame_shm_desc(c, &f);
	if (desc)
		*desc = f;
}

/* ---- decoding and checks ------------------------------------------------- */

static AVCodecContext *open_decoder(bool low_delay)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx;

	g_assert_nonnull(codec);
	ctx = avcodec_alloc_context3(codec);
	g_assert_nonnull(ctx);
	if (low_delay)
		ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	/* frame threads would delay output by design */
	ctx->thread_count = 1;
	/* any bitstream error is an error, not something to conceal */
	ctx->err_recognition = AV_EF_EXPLODE | AV_EF_BITSTREAM | AV_EF_BUFFER;
	g_assert_cmpint(avcodec_open2(ctx, codec, NULL), ==, 0);
	return ctx;
}

void tc_stream_init(struct tc_stream *st)
{
	memset(st, 0, sizeof(*st));
	av_log_set_level(AV_LOG_ERROR);
	st->ctx = open_decoder(true);
	st->ctx_plain = open_decoder(false);
	st->pkt = av_packet_alloc();
	st->frame = av_frame_alloc();
	st->frame_plain = av_frame_alloc();
	st->profile_idc = -1;
	st->min_psnr = 99.0;
}

void tc_stream_clear(struct tc_stream *st)
{
	AVCodecContext *ctx = st->ctx, *plain = st->ctx_plain;
	AVPacket *pkt = st->pkt;
	AVFrame *f = st->frame, *fp = st->frame_plain;

	avcodec_free_context(&ctx);
	avcodec_free_context(&plain);
	av_packet_free(&pkt);
	av_frame_free(&f);
	av_frame_free(&fp);
	memset(st, 0, sizeof(*st));
}

/* Structure of one access unit as the protocol promises it. */
static void check_au(struct tc_stream *st, const uint8_t *au, size_t len, bool keyframe)
{
	struct he_h264_au_info info;
	struct he_h264_iter it;
	struct he_h264_nal nal;
	bool sps = false, pps = false, slice = false;
	int res;

	g_assert_cmpuint(len, >, 0);
	g_assert_cmpint(he_h264_scan(au, len, &info), ==, 0);
	g_assert_cmpuint(info.access_units, ==, 1);
	g_assert_cmpuint(info.has_idr, ==, keyframe);
	if (st->aus == 0 && !keyframe)
		g_error("the first access unit of a stream is not an IDR");
	he_h264_iter_init(&it, au, len);
	while ((res = he_h264_iter_next(&it, &nal)) == 1) {
		if (nal.type == HE_H264_NAL_SPS) {
			struct he_h264_sps s;

			g_assert_cmpint(he_h264_sps_parse(nal.data, nal.size, &s), ==, 0);
			/* what makes a browser output each frame at once */
			g_assert_true(s.vui_present);
			g_assert_true(s.bitstream_restriction);
			g_assert_cmpuint(s.max_num_reorder_frames, ==, 0);
			st->profile_idc = s.profile_idc;
			sps = true;
		} else if (nal.type == HE_H264_NAL_PPS) {
			pps = true;
		} else if (nal.type == HE_H264_NAL_IDR || nal.type == HE_H264_NAL_SLICE) {
			if (nal.type == HE_H264_NAL_IDR && !slice && !(sps && pps))
				g_error("IDR access unit without SPS and PPS in front of its slice");
			/* an IDR picture's slices are all IDR slices */
			g_assert_cmpuint(nal.type == HE_H264_NAL_IDR, ==, keyframe);
			slice = true;
		}
	}
	g_assert_cmpint(res, ==, 0);
	g_assert_true(slice);
	st->aus++;
	st->idrs += keyframe;
}

/* Exactly one picture out for one AU in: at once, no delay, no error. */
static AVFrame *decode_one(AVCodecContext *ctx, AVPacket *pkt, AVFrame *f, const char *which)
{
	int res = avcodec_send_packet(ctx, pkt);

	if (res < 0)
		g_error("%s decoder rejected the access unit: %s", which, av_err2str(res));
	av_frame_unref(f);
	res = avcodec_receive_frame(ctx, f);
	if (res == AVERROR(EAGAIN))
		g_error("%s decoder delayed the picture (no output for this access unit)", which);
	if (res < 0)
		g_error("%s decoder failed: %s", which, av_err2str(res));
	g_assert_cmpint(f->decode_error_flags, ==, 0);
	g_assert_false(f->flags & AV_FRAME_FLAG_CORRUPT);
	{
		AVFrame *extra = av_frame_alloc();

		res = avcodec_receive_frame(ctx, extra);
		av_frame_free(&extra);
		if (res != AVERROR(EAGAIN))
			g_error("%s decoder produced more than one picture for one access unit",
				which);
	}
	return f;
}

const AVFrame *tc_stream_decode(struct tc_stream *st, const uint8_t *au, size_t len,
				bool keyframe)
{
	AVPacket *pkt = st->pkt;
	AVFrame *f, *fp;

	check_au(st, au, len, keyframe);
	g_assert_cmpint(av_new_packet(pkt, (int)len), ==, 0);
	memcpy(pkt->data, au, len);
	f = decode_one(st->ctx, pkt, st->frame, "low-delay");
	fp = decode_one(st->ctx_plain, pkt, st->frame_plain, "plain (browser-like)");
	av_packet_unref(pkt);
	g_assert_true(f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P);
	g_assert_cmpint(fp->width, ==, f->width);
	g_assert_cmpint(fp->height, ==, f->height);
	return f;
}

double tc_psnr(const uint8_t *a, size_t a_stride, const uint8_t *b, size_t b_stride,
	       uint32_t width, uint32_t height)
{
	double sse = 0;

	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++) {
			int d = (int)a[y * a_stride + x] - (int)b[y * b_stride + x];

			sse += d * d;
		}
	if (sse == 0)
		return 99.0;
	return 10.0 * log10(255.0 * 255.0 * width * height / sse);
}

uint32_t tc_frame_number(const AVFrame *f)
{
	struct he_pattern_code code;
	int res = he_pattern_read_y(f->data[0], (uint32_t)f->linesize[0], (uint32_t)f->width,
				    (uint32_t)f->height, &code);

	if (res < 0)
		g_error("no frame number readable in the decoded %dx%d picture (%s)", f->width,
			f->height, g_strerror(-res));
	return code.frame_no;
}

void tc_render_like_pattern_source(struct tc_picture *p, const AVFrame *f)
{
	struct he_pattern_code code;
	int64_t now_ms = g_get_real_time() / 1000;
	int res = he_pattern_read_y(f->data[0], (uint32_t)f->linesize[0], (uint32_t)f->width,
				    (uint32_t)f->height, &code);

	if (res < 0)
		g_error("no pattern code readable in a %dx%d picture", f->width, f->height);
	/* the code holds the low 32 bits of the capture time in ms: the
	 * capture was less than 2^32 ms ago, so the full value follows */
	now_ms -= (uint32_t)((uint32_t)now_ms - code.time_ms);
	tc_picture_render_at(p, code.frame_no, now_ms * 1000);
}

double tc_check_picture(struct tc_stream *st, const AVFrame *f, const struct tc_picture *p)
{
	uint32_t cw = (p->width + 1) / 2, ch = (p->height + 1) / 2;
	double y, u, v;

	g_assert_cmpint(f->width, ==, p->width);
	g_assert_cmpint(f->height, ==, p->height);
	g_assert_cmpuint(tc_frame_number(f), ==, p->frame_no);
	y = tc_psnr(f->data[0], (size_t)f->linesize[0], p->ref_y, p->width, p->width, p->height);
	u = tc_psnr(f->data[1], (size_t)f->linesize[1], p->ref_u, cw, cw, ch);
	v = tc_psnr(f->data[2], (size_t)f->linesize[2], p->ref_v, cw, cw, ch);
	if (y < TC_MIN_PSNR_DB || u < TC_MIN_PSNR_DB || v < TC_MIN_PSNR_DB)
		g_error("frame %u (%ux%u %.4s): PSNR Y %.1f U %.1f V %.1f dB, want >= %.0f",
			p->frame_no, p->width, p->height, (const char *)&p->fourcc, y, u, v,
			TC_MIN_PSNR_DB);
	st->min_psnr = MIN(st->min_psnr, MIN(y, MIN(u, v)));
	return y;
}

void tc_parse_response(const struct tc_msg *msg, struct tc_reply *out)
{
	const char *why = NULL;

	g_assert_cmpuint(msg->m.hdr.type, ==, HXFR_FRAME_RESPONSE);
	if (hxfr_decode_frame_response(&msg->m, &out->r, &why) < 0)
		g_error("bad FRAME_RESPONSE: %s", why);
	out->flags = msg->m.hdr.flags;
	out->session = msg->m.hdr.session;
}

bool tc_expect_frame(struct tc_conn *c, struct tc_stream *st, const struct tc_picture *p,
		     int64_t pts_ns)
{
	struct tc_msg msg;
	struct tc_reply rep;
	const AVFrame *f;
	bool key;

	tc_expect(c, HXFR_FRAME_RESPONSE, &msg);
	tc_parse_response(&msg, &rep);
	g_assert_cmpuint(rep.flags, ==, 0); /* neither DROPPED nor REPLAYED */
	g_assert_cmpint(rep.r.pts_ns, ==, pts_ns);
	g_assert_cmpint(rep.r.dts_ns, ==, pts_ns);
	g_assert_cmpuint(rep.r.nal_count, ==, 1);
	key = rep.r.is_keyframe;
	f = tc_stream_decode(st, rep.r.au, rep.r.au_len, key);
	tc_check_picture(st, f, p);
	tc_msg_clear(&msg);
	return key;
}

/* ---- streaming ----------------------------------------------------------- */

static void run_send(struct tc_conn *c, const struct tc_run *run, struct tc_picture *p,
		     uint32_t k)
{
	int64_t pts = tc_pts(run->first + k);
	bool force = (int)k == run->force_at;

	tc_picture_render(p, run->first + k);
	if (run->ring)
		tc_send_frame_shm(c, run->ring, k % run->window, p, run->shm_pad, pts, force, NULL);
	else
		tc_send_frame(c, p, pts, force);
}

static unsigned run_receive(struct tc_conn *c, struct tc_stream *st, const struct tc_run *run,
			    struct tc_picture *p, uint32_t k)
{
	bool want_idr = (k == 0 && run->first_idr) || (int)k == run->keyreq_before ||
			(int)k == run->force_at;
	bool key = tc_expect_frame(c, st, p, tc_pts(run->first + k));

	if (key != want_idr)
		g_error("frame %u (%u of this run): reply is %s, expected %s", run->first + k, k,
			key ? "an IDR" : "not an IDR", want_idr ? "an IDR" : "a P-frame");
	if (run->ring)
		tc_ring_release(run->ring, k % run->window);
	return key;
}

unsigned tc_run_frames(struct tc_conn *c, struct tc_stream *st, const struct tc_run *run)
{
	struct tc_picture *pics[4] = { NULL };
	uint32_t sent = 0, done = 0;
	unsigned idrs = 0;

	g_assert_cmpuint(run->window, >=, 1);
	g_assert_cmpuint(run->window, <=, G_N_ELEMENTS(pics));
	if (run->ring)
		g_assert_cmpuint(run->window, <=, run->ring->hdr.slot_count);
	for (uint32_t i = 0; i < run->window; i++)
		pics[i] = tc_picture_new(run->fourcc, run->width, run->height, run->stride);
	while (done < run->count) {
		if (sent < run->count && sent - done < run->window &&
		    !((int)sent == run->keyreq_before && done < sent)) {
			if ((int)sent == run->keyreq_before)
				tc_send_empty(c, HXFR_KEYFRAME_REQ);
			run_send(c, run, pics[sent % run->window], sent);
			sent++;
			continue;
		}
		idrs += run_receive(c, st, run, pics[done % run->window], done);
		done++;
	}
	for (uint32_t i = 0; i < run->window; i++)
		tc_picture_free(pics[i]);
	return idrs;
}

gpointer tc_frame_counter_main(gpointer data)
{
	struct tc_frame_counter *v = data;

	while (!g_atomic_int_get(&v->stop)) {
		struct tc_msg msg;
		int res = tc_recv(v->c, 200, &msg);

		if (res == -ETIMEDOUT)
			continue;
		g_assert_cmpint(res, ==, 1);
		if (msg.m.hdr.type == HXFR_FRAME_RESPONSE)
			g_atomic_int_inc(&v->frames);
		tc_msg_clear(&msg);
	}
	return NULL;
}

void tc_subscribe_ok(struct tc_conn *c, uint32_t id)
{
	struct hxfr_subscribe_resp r;
	struct tc_msg msg;

	tc_send_u32(c, HXFR_SUBSCRIBE, 0, id);
	tc_expect(c, HXFR_SUBSCRIBE_RESP, &msg);
	g_assert_cmpint(hxfr_decode_subscribe_resp(&msg.m, &r, NULL), ==, 0);
	g_assert_cmpuint(r.success, ==, 1);
	tc_msg_clear(&msg);
}
