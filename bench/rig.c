/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A hostencd and one HXFR session for benchmarks, see rig.h. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hxfr/hxfr.h>

#include "bench-io.h"
#include "rig.h"

#define WHO "hostencd socket"
#define EOF_WHY "EOF"

#define SLOTS   4
#define RING_ID 0x62656e63ull /* any non-zero value, repeated in SHM_ATTACH */

struct bench_rig {
	GPid pid;
	int fd;
	bool shm, failed;
	char *dir, *sock, *ring_path, *log_path;
	uint8_t *ring;
	size_t ring_size;
	struct hxfr_ring_header hdr;
	uint8_t *payload;
	size_t cap;
	const uint8_t *au; /* into payload */
	size_t au_len;
};

/* One message; its payload stays in r->payload. Returns the type or -1. */
static int read_msg(struct bench_rig *r, struct hxfr_msg *msg)
{
	uint8_t hdr[HXFR_HEADER_SIZE];

	if (bench_read_all(r->fd, hdr, sizeof(hdr), WHO, EOF_WHY) < 0)
		return -1;
	if (hxfr_header_decode(hdr, &msg->hdr) < 0) {
		fprintf(stderr, "hostencd sent a bad header\n");
		return -1;
	}
	if (msg->hdr.payload_size > r->cap) {
		r->payload = g_realloc(r->payload, msg->hdr.payload_size);
		r->cap = msg->hdr.payload_size;
	}
	if (bench_read_all(r->fd, r->payload, msg->hdr.payload_size, WHO, EOF_WHY) < 0)
		return -1;
	msg->payload = r->payload;
	msg->total = HXFR_HEADER_SIZE + msg->hdr.payload_size;
	if (msg->hdr.type == HXFR_ERROR) {
		fprintf(stderr, "hostencd replied ERROR: %.*s\n",
			(int)MIN(msg->hdr.payload_size > 4 ? msg->hdr.payload_size - 4 : 0, 200u),
			(const char *)r->payload + 4);
		return -1;
	}
	return msg->hdr.type;
}

static int expect(struct bench_rig *r, uint8_t type)
{
	struct hxfr_msg msg;
	int t = read_msg(r, &msg);

	if (t >= 0 && t != type) {
		fprintf(stderr, "hostencd: expected message 0x%02x, got 0x%02x\n", type, t);
		return -1;
	}
	return t < 0 ? -1 : 0;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	for (int i = 0; fd >= 0 && i < 200; i++) { /* up to 10 s for hostencd to listen */
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		g_usleep(50000);
	}
	fprintf(stderr, "cannot connect to hostencd at %s\n", path);
	if (fd >= 0)
		close(fd);
	return -1;
}

static int make_ring(struct bench_rig *r, const struct bench_clip *c)
{
	uint64_t slot = (bench_clip_frame_size(c) + 63) / 64 * 64;
	int fd;

	r->ring_size = HXFR_RING_ALIGN + (size_t)SLOTS * (slot + 4096);
	fd = open(r->ring_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)r->ring_size) < 0) {
		fprintf(stderr, "cannot create %s: %s\n", r->ring_path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	r->ring = mmap(NULL, r->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (r->ring == MAP_FAILED) {
		r->ring = NULL;
		fprintf(stderr, "mmap %s: %s\n", r->ring_path, g_strerror(errno));
		return -1;
	}
	if (hxfr_ring_init(r->ring, r->ring_size, SLOTS, slot, RING_ID) < 0 ||
	    hxfr_ring_header_read(r->ring, r->ring_size, &r->hdr, NULL) < 0) {
		fprintf(stderr, "ring init failed\n");
		return -1;
	}
	return 0;
}

/* hostencd's log goes to a file, shown when something fails. */
static int spawn(struct bench_rig *r, const struct bench_rig_config *cfg)
{
	g_autofree char *listen = g_strdup_printf("--listen=unix:%s", r->sock);
	g_autofree char *shm = g_strdup_printf("--shm=%s", r->ring_path);
	g_autofree char *rate = g_strdup_printf("--bitrate=%u", cfg->bitrate);
	g_autofree char *gop = g_strdup_printf("--gop=%u", cfg->gop);
	char *argv[] = { (char *)cfg->hostencd, listen, shm, rate, gop, "--no-pattern",
			 "--no-vms", "--max-inflight=8", NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = open(r->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	GError *err = NULL;
	int rc = 0;

	if (null < 0 || log < 0 ||
	    !g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				    &r->pid, null, null, log, &err)) {
		fprintf(stderr, "cannot start %s: %s\n", cfg->hostencd,
			err ? err->message : g_strerror(errno));
		g_clear_error(&err);
		rc = -1;
	}
	if (null >= 0)
		close(null);
	if (log >= 0)
		close(log);
	return rc;
}

static void print_log(const struct bench_rig *r)
{
	g_autofree char *text = NULL;

	if (r->log_path && g_file_get_contents(r->log_path, &text, NULL, NULL) && *text)
		fprintf(stderr, "hostencd's log:\n%s", text);
}

static int handshake(struct bench_rig *r)
{
	struct hxfr_hello h = { .version = HXFR_VERSION, .max_inflight = 8,
				.frame_paths = r->shm ? HXFR_PATH_SHM : HXFR_PATH_INLINE };
	struct hxfr_shm_attach a = { .ring_offset = 0, .ring_size = r->ring_size, .ring_id = RING_ID };
	uint8_t hello[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];
	uint8_t attach[HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE];

	g_strlcpy(h.name, "bench", sizeof(h.name));
	hxfr_build_hello(hello, sizeof(hello), 0, &h);
	if (bench_write_all(r->fd, hello, sizeof(hello), WHO) < 0 ||
	    expect(r, HXFR_HELLO_RESP) < 0)
		return -1;
	if (!r->shm)
		return 0;
	hxfr_build_shm_attach(attach, sizeof(attach), 0, &a);
	if (bench_write_all(r->fd, attach, sizeof(attach), WHO) < 0 ||
	    expect(r, HXFR_SHM_ATTACH_RESP) < 0)
		return -1;
	return 0;
}

struct bench_rig *bench_rig_start(const struct bench_rig_config *cfg, const struct bench_clip *c)
{
	struct bench_rig *r = g_new0(struct bench_rig, 1);

	r->fd = -1;
	r->pid = -1;
	r->shm = cfg->shm;
	r->dir = g_dir_make_tmp("hostenc-bench-XXXXXX", NULL);
	if (!r->dir) {
		fprintf(stderr, "cannot make a temporary directory\n");
		g_free(r);
		return NULL;
	}
	r->sock = g_build_filename(r->dir, "hostencd.sock", NULL);
	r->ring_path = g_build_filename(r->dir, "ring", NULL);
	r->log_path = g_build_filename(r->dir, "hostencd.log", NULL);
	if (make_ring(r, c) < 0 || spawn(r, cfg) < 0)
		goto fail;
	r->fd = connect_unix(r->sock);
	if (r->fd < 0 || handshake(r) < 0)
		goto fail;
	return r;

	/* ERRORS */
fail:
	r->failed = true;
	bench_rig_stop(r);
	return NULL;
}

static int send_inline(struct bench_rig *r, const struct bench_clip *c, uint64_t i)
{
	const uint8_t *px = bench_clip_frame(c, i);
	struct hxfr_frame_request m = { .width = c->w, .height = c->h, .format = HXFR_FMT_BGRX,
					.stride = c->stride, .pts_ns = (int64_t)i * 1000000000 / c->fps,
					.pixels = px, .pixels_len = bench_clip_frame_size(c) };
	uint8_t prefix[HXFR_FRAME_REQUEST_PREFIX];
	struct iovec iov[2] = { { prefix, sizeof(prefix) }, { (void *)px, m.pixels_len } };

	hxfr_build_frame_request(prefix, sizeof(prefix), 0, &m);
	while (iov[1].iov_len) {
		ssize_t w = writev(r->fd, iov, 2);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "hostencd socket: writev: %s\n", g_strerror(errno));
			return -1;
		}
		for (int k = 0; k < 2 && w > 0; k++) {
			size_t take = MIN((size_t)w, iov[k].iov_len);

			iov[k].iov_base = (uint8_t *)iov[k].iov_base + take;
			iov[k].iov_len -= take;
			w -= (ssize_t)take;
		}
	}
	return 0;
}

/* What a guest does: copy the frame into a slot, then a 76-byte message. */
static int send_shm(struct bench_rig *r, const struct bench_clip *c, uint64_t i)
{
	struct hxfr_frame_shm m = { .slot = (uint32_t)(i % SLOTS), .format = HXFR_FMT_BGRX,
				    .width = c->w, .height = c->h, .stride = { c->stride },
				    .pts_ns = (int64_t)i * 1000000000 / c->fps };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];

	memcpy(r->ring + hxfr_ring_slot_data_offset(&r->hdr, m.slot), bench_clip_frame(c, i),
	       bench_clip_frame_size(c));
	hxfr_build_frame_shm(buf, sizeof(buf), 0, &m);
	return bench_write_all(r->fd, buf, sizeof(buf), WHO);
}

int bench_rig_send(struct bench_rig *r, const struct bench_clip *c, uint64_t i)
{
	int rc = r->shm ? send_shm(r, c, i) : send_inline(r, c, i);

	r->failed |= rc < 0;
	return rc;
}

int bench_rig_receive(struct bench_rig *r, size_t *au_len, bool *dropped)
{
	for (;;) {
		struct hxfr_msg msg;
		struct hxfr_frame_response fr;
		const char *why = NULL;
		int t = read_msg(r, &msg);

		if (t < 0) {
			r->failed = true;
			return -1;
		}
		if (t != HXFR_FRAME_RESPONSE)
			continue; /* e.g. a PING or a stats message: not ours */
		if (hxfr_decode_frame_response(&msg, &fr, &why) < 0) {
			fprintf(stderr, "bad FRAME_RESPONSE: %s\n", why ? why : "?");
			r->failed = true;
			return -1;
		}
		r->au = fr.au;
		r->au_len = fr.au_len;
		if (au_len)
			*au_len = fr.au_len;
		if (dropped)
			*dropped = msg.hdr.flags & HXFR_FLAG_DROPPED;
		return 0;
	}
}

int bench_rig_pid(const struct bench_rig *r)
{
	return r->pid;
}

const uint8_t *bench_rig_last_au(const struct bench_rig *r, size_t *len)
{
	*len = r->au_len;
	return r->au;
}

void bench_rig_stop(struct bench_rig *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
	}
	if (r->failed)
		print_log(r);
	if (r->log_path)
		g_unlink(r->log_path);
	if (r->ring)
		munmap(r->ring, r->ring_size);
	if (r->sock)
		g_unlink(r->sock);
	if (r->ring_path)
		g_unlink(r->ring_path);
	if (r->dir)
		g_rmdir(r->dir);
	g_free(r->sock);
	g_free(r->ring_path);
	g_free(r->log_path);
	g_free(r->dir);
	g_free(r->payload);
	g_free(r);
}
