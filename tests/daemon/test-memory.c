/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd's memory under attack (docs/hostencd.md, "Memory"): guest
 * sessions that send a few frames of the largest size and then idle give
 * their encoders back, and a late viewer still gets their picture; the GOPs
 * of all streams stay within their budget; WebSocket viewers that never
 * read are capped in number and in the bytes queued to them, and hostencd's
 * resident memory comes back after they leave, while a viewer that reads
 * keeps getting its pictures. Resident memory is read from /proc/PID/status
 * (VmRSS); under AddressSanitizer only the behaviour is checked. */
#include <string.h>

#include "client.h"
#include "encoder.h"
#include "web-client.h"

/* --max-size's default: the largest frame a guest may send */
#define MAX_W 4096u
#define MAX_H 4096u
#define ENCODER_IDLE_S 2              /* --encoder-idle given (default 10) */

/* Resident memory of the daemon, in MiB. */
static double rss_mib(struct th_daemon *d)
{
	long kib = wc_rss_kib((int)d->pid);

	g_assert_cmpint(kib, >, 0);
	return (double)kib / 1024.0;
}

/* AddressSanitizer (hostencd is built as this test is) keeps freed memory
 * in quarantine and adds shadow memory, and its allocator is not glibc's:
 * resident sizes then say nothing about hostencd's own bounds. */
static bool sanitized(void)
{
#ifdef __SANITIZE_ADDRESS__
	return true;
#else
	return false;
#endif
}

/* ---- pictures ---------------------------------------------------------------- */

/* Noise compresses worst: the largest access units an attacker can make. */
static void fill_noise(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
	for (; i < n; i++)
		p[i] = (uint8_t)i;
}

/* An I420 picture (converted to the encoder's NV12, so staged), of noise. */
static struct tc_picture *picture_new(uint32_t w, uint32_t h)
{
	struct tc_picture *p = g_new0(struct tc_picture, 1);

	p->fourcc = HXFR_FMT_I420;
	p->width = w;
	p->height = h;
	p->stride = w;
	p->size = (size_t)w * h + 2 * (size_t)((w + 1) / 2) * ((h + 1) / 2);
	p->data = g_malloc(p->size);
	fill_noise(p->data, p->size, 1);
	return p;
}

static void picture_free(struct tc_picture *p)
{
	g_free(p->data);
	g_free(p);
}

/* A flat grey picture with a band of noise that moves with @p n: quick to
 * encode, while the encoder's pictures, staging buffers and kept input are
 * as large as for any content of the size. */
static void flat_next(struct tc_picture *p, uint32_t n)
{
	size_t band = p->size / 64;

	memset(p->data, 128, p->size);
	fill_noise(p->data + (n % 64) * band, band, n + 2);
	p->frame_no = n;
}

/* Send one frame and wait for its reply (an access unit or a drop). */
static void send_and_wait(struct tc_conn *c, struct tc_picture *p, uint32_t n)
{
	struct tc_msg msg;

	flat_next(p, n);
	tc_send_frame(c, p, tc_pts(n), false);
	tc_expect(c, HXFR_FRAME_RESPONSE, &msg);
	tc_msg_clear(&msg);
}

/* ---- viewers ---------------------------------------------------------------- */

#define GUEST_W 1280
#define GUEST_H 720
#define INIT_MSG "{\"type\":\"init\",\"codecs\":[\"avc1.42c01f\"],\"width\":320,\"height\":240}"

static struct wc_ws *viewer_open(struct th_daemon *d, const char *source)
{
	g_autofree char *path = g_strdup_printf("/ws/stream?source=%s", source);

	return wc_ws_open(d->http_port, NULL, path, NULL);
}

/* A viewer of @p source that said its init. */
static struct wc_ws *viewer_join(struct th_daemon *d, const char *source)
{
	struct wc_ws *ws = viewer_open(d, source);

	g_assert_cmpint(ws->status, ==, 101);
	g_assert_true(wc_ws_send_text(ws, INIT_MSG));
	return ws;
}

/* The first video message @p ws gets within @p ms (with @p live, the first
 * not replayed from the GOP): its flags (bit 0 keyframe, bit 1 replayed),
 * or -1. */
static int first_video(struct wc_ws *ws, int ms, bool live)
{
	g_autoptr(GByteArray) payload = g_byte_array_new();
	int64_t deadline = g_get_monotonic_time() + (int64_t)ms * 1000;

	while (g_get_monotonic_time() < deadline) {
		int op = wc_ws_recv(ws, 100, payload);

		if (op == 2 && payload->len > 24 && payload->data[0] == 1 &&
		    !(live && (payload->data[1] & 2)))
			return payload->data[1];
		if (op == -2 || op == 8)
			return -1;
	}
	return -1;
}

/* ---- idle sessions that once sent the largest frames ----------------------- */

#define IDLE_SESSIONS 8
#define IDLE_FRAMES 1

static void test_idle_sessions(void)
{
	static const char *const args[] = { "--max-sessions-per-peer=0", "--http=127.0.0.1:0",
					    "--encoder-idle=" G_STRINGIFY(ENCODER_IDLE_S), NULL };
	struct th_options o = { .pattern = false, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_picture *pic = picture_new(MAX_W, MAX_H);
	struct tc_conn *c[IDLE_SESSIONS];
	struct hxfr_hello_resp hr;
	double base, peak = 0, idle = 0;
	int64_t t_idle;

	g_usleep(500000);
	base = rss_mib(d);
	for (unsigned i = 0; i < IDLE_SESSIONS; i++) {
		g_autofree char *name = g_strdup_printf("idle%u", i);

		c[i] = tc_connect_tcp(d->port);
		tc_hello(c[i], HXFR_PATH_INLINE, 1, name, &hr);
		for (unsigned n = 0; n < IDLE_FRAMES; n++)
			send_and_wait(c[i], pic, i * IDLE_FRAMES + n);
		peak = MAX(peak, rss_mib(d));
	}
	t_idle = g_get_monotonic_time();
	g_test_message("%u sessions each sent %u frame(s) of %ux%u: RSS %.0f MiB, was %.0f",
		       IDLE_SESSIONS, IDLE_FRAMES, MAX_W, MAX_H, peak, base);
	/* Idle: a PING now and then, as vsockenc sends them. */
	while (g_get_monotonic_time() - t_idle < (ENCODER_IDLE_S + 6) * G_USEC_PER_SEC) {
		g_usleep(1000000);
		for (unsigned i = 0; i < IDLE_SESSIONS; i++)
			tc_ping(c[i], true);
		idle = rss_mib(d);
		/* released within a second of the idle time, then trimmed
		 * within HE_MEM_TRIM_INTERVAL_MS */
		if (idle < base + 150 && g_get_monotonic_time() - t_idle >
						 (ENCODER_IDLE_S + 4) * G_USEC_PER_SEC)
			break;
	}
	g_test_message("after %.1f s idle: RSS %.0f MiB (base %.0f, peak %.0f)",
		       (g_get_monotonic_time() - t_idle) / 1e6, idle, base, peak);
	if (sanitized()) {
		g_test_message("sanitizer build: resident sizes not checked");
	} else {
		/* the attack took memory (an encoder of this size is about
		 * 200 MiB), and it came back */
		g_assert_cmpfloat(peak, >, base + 150);
		g_assert_cmpfloat(idle, <, base + 150);
	}

	/* A late viewer of an idle stream still gets its picture: the GOP,
	 * replayed; when the session sends again, its new encoder starts
	 * with an IDR, for the session and the viewer alike. */
	{
		struct wc_ws *ws = viewer_join(d, "guest/idle0");
		struct tc_msg msg;
		struct tc_reply r;

		g_assert_cmpint(first_video(ws, TH_TIMEOUT_MS, false), ==, 3);
		flat_next(pic, 1000);
		tc_send_frame(c[0], pic, tc_pts(1000), false);
		tc_expect(c[0], HXFR_FRAME_RESPONSE, &msg);
		tc_parse_response(&msg, &r);
		g_assert_true(r.r.is_keyframe);
		tc_msg_clear(&msg);
		g_assert_cmpint(first_video(ws, TH_TIMEOUT_MS, true), ==, 1);
		wc_ws_free(ws);
	}
	for (unsigned i = 0; i < IDLE_SESSIONS; i++)
		tc_close(c[i]);
	picture_free(pic);
	th_daemon_stop(d);
}

/* ---- the GOPs of all streams within one budget --------------------------- */

#define GOP_SESSIONS 4
#define GOP_FRAMES 5
#define GOP_TEST_BUDGET 16000000

/* Sessions whose GOPs together pass the budget: it holds, the largest
 * went; a late viewer of a stream that kept its GOP gets it at once, and
 * one of a stream that lost it gets an IDR with the guest's next frame. */
static void test_gop_budget(void)
{
	static const char *const args[] = { "--max-sessions-per-peer=0", "--http=127.0.0.1:0",
					    "--max-gop-bytes=" G_STRINGIFY(GOP_TEST_BUDGET), NULL };
	struct th_options o = { .pattern = false, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_picture *pic = picture_new(GUEST_W, GUEST_H);
	struct tc_conn *c[GOP_SESSIONS];
	struct hxfr_hello_resp hr;
	uint64_t gop_bytes;
	unsigned kept = 0, dropped = 0;

	for (unsigned i = 0; i < GOP_SESSIONS; i++) {
		g_autofree char *name = g_strdup_printf("gop%u", i);

		c[i] = tc_connect_tcp(d->port);
		tc_hello(c[i], HXFR_PATH_INLINE, 1, name, &hr);
		tc_config_applied(c[i], HE_ENCODER_MAX_BITRATE, 30);
		for (unsigned n = 0; n < GOP_FRAMES; n++) {
			fill_noise(pic->data, pic->size, i * 100 + n);
			tc_send_frame(c[i], pic, tc_pts(n), false);
			{
				struct tc_msg msg;

				tc_expect(c[i], HXFR_FRAME_RESPONSE, &msg);
				tc_msg_clear(&msg);
			}
		}
	}
	gop_bytes = wc_metric(d->http_port, "hostenc_gop_bytes");
	g_test_message("%u sessions sent %u frames of noise each: the GOPs keep %" G_GUINT64_FORMAT
		       " bytes (budget %u)", GOP_SESSIONS, GOP_FRAMES, gop_bytes, GOP_TEST_BUDGET);
	g_assert_cmpuint(gop_bytes, >, 0);
	g_assert_cmpuint(gop_bytes, <=, GOP_TEST_BUDGET);

	/* the last first: its GOP, the newest, was not the largest when the
	 * budget was passed; the next IDRs asked for below may evict it */
	for (unsigned i = GOP_SESSIONS; i-- > 0;) {
		g_autofree char *source = g_strdup_printf("guest/gop%u", i);
		struct wc_ws *ws = viewer_join(d, source);
		int flags = first_video(ws, 1500, false);

		if (flags >= 0) {
			/* the GOP, replayed: it starts with its IDR */
			g_assert_cmpint(flags, ==, 3);
			kept++;
		} else {
			struct tc_msg msg;

			fill_noise(pic->data, pic->size, i * 100 + 50);
			tc_send_frame(c[i], pic, tc_pts(50), false);
			tc_expect(c[i], HXFR_FRAME_RESPONSE, &msg);
			tc_msg_clear(&msg);
			g_assert_cmpint(first_video(ws, TH_TIMEOUT_MS, true), ==, 1);
			dropped++;
		}
		wc_ws_free(ws);
	}
	g_test_message("late viewers: %u got the kept GOP, %u the next IDR", kept, dropped);
	g_assert_cmpuint(kept, >=, 1);
	g_assert_cmpuint(dropped, >=, 1);
	for (unsigned i = 0; i < GOP_SESSIONS; i++)
		tc_close(c[i]);
	picture_free(pic);
	th_daemon_stop(d);
}

/* ---- viewers that never read, beside one that does ------------------------- */

#define ATTACKERS 150
#define MAX_VIEWERS 64               /* --max-viewers' default */
#define MAX_VIEWER_MB 64             /* --max-viewer-bytes given, in MB (default 128 MiB) */
#define GOP_BUDGET_MIB 64            /* --max-gop-bytes' default */

/* A guest that sends pictures of fresh noise as fast as they are encoded
 * (at most 15 a second): large access units for every viewer. */
struct noisy_guest {
	GThread *thread;
	struct tc_conn *c;
	gint stop;
	gint frames;
	gint max_au;            /* the largest access unit, bytes */
};

static gpointer noisy_guest_main(gpointer data)
{
	struct noisy_guest *g = data;
	struct tc_picture *p = picture_new(GUEST_W, GUEST_H);

	for (uint32_t n = 0; !g_atomic_int_get(&g->stop); n++) {
		int64_t t0 = g_get_monotonic_time();
		struct tc_msg msg;
		struct tc_reply r;

		fill_noise(p->data, p->size, n + 7);
		tc_send_frame(g->c, p, tc_pts(n), false);
		tc_expect(g->c, HXFR_FRAME_RESPONSE, &msg);
		tc_parse_response(&msg, &r);
		if ((gint)r.r.au_len > g_atomic_int_get(&g->max_au))
			g_atomic_int_set(&g->max_au, (gint)r.r.au_len);
		tc_msg_clear(&msg);
		g_atomic_int_inc(&g->frames);
		if (g_get_monotonic_time() - t0 < G_USEC_PER_SEC / 15)
			g_usleep((gulong)(G_USEC_PER_SEC / 15 - (g_get_monotonic_time() - t0)));
	}
	picture_free(p);
	return NULL;
}

/* A viewer that reads everything: its pictures, and the longest time it
 * went without one. */
struct reader {
	GThread *thread;
	struct wc_ws *ws;
	gint stop;
	gint frames;
	gint64 last_us;
	gint64 max_gap_us;      /* while gaps are measured */
	gint measuring;
	gint closed;
};

static gpointer reader_main(gpointer data)
{
	struct reader *r = data;
	g_autoptr(GByteArray) payload = g_byte_array_new();

	r->last_us = g_get_monotonic_time();
	while (!g_atomic_int_get(&r->stop)) {
		int op = wc_ws_recv(r->ws, 200, payload);
		int64_t now = g_get_monotonic_time();

		if (op == -2 || op == 8) {
			g_atomic_int_set(&r->closed, 1);
			break;
		}
		if (g_atomic_int_get(&r->measuring) && now - r->last_us > r->max_gap_us)
			r->max_gap_us = now - r->last_us;
		if (op == 2) {
			g_atomic_int_inc(&r->frames);
			r->last_us = now;
		}
	}
	return NULL;
}

static void test_viewers(void)
{
	/* a lower bound than the default, so that it, not the number of
	 * viewers times their own bound (63 x 8 MiB), is what holds */
	static const char *const args[] = { "--http=127.0.0.1:0",
					    "--max-viewer-bytes=" G_STRINGIFY(MAX_VIEWER_MB) "000000",
					    /* a short GOP: what the stream keeps hardly
					     * varies between the measurements */
					    "--gop=10", NULL };
	struct th_options o = { .pattern = false, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct noisy_guest g = { .c = tc_connect_tcp(d->port) };
	struct reader r = { 0 };
	struct wc_ws *att[ATTACKERS];
	struct hxfr_hello_resp hr;
	unsigned upgraded = 0, refused = 0, other = 0;
	double base, peak, after = 0, bound, queued_bound;
	uint64_t queued = 0;
	int frames0, frames1;
	g_autofree char *init = NULL;
	int64_t t0;

	tc_hello(g.c, HXFR_PATH_INLINE, 1, "noisy", &hr);
	tc_config_applied(g.c, 100000000, 15);
	g.thread = g_thread_new("guest", noisy_guest_main, &g);
	while (g_atomic_int_get(&g.frames) < 3)
		g_usleep(50000);

	/* a viewer that reads */
	r.ws = viewer_open(d, "guest/noisy");
	g_assert_cmpint(r.ws->status, ==, 101);
	g_assert_true(wc_ws_send_text(r.ws, INIT_MSG));
	init = wc_ws_wait_text(r.ws, "init", TH_TIMEOUT_MS);
	g_assert_nonnull(init);
	r.thread = g_thread_new("reader", reader_main, &r);
	g_usleep(2000000);
	base = rss_mib(d);

	/* viewers that upgrade, ask for the stream and never read */
	g_atomic_int_set(&r.measuring, 1);
	frames0 = g_atomic_int_get(&r.frames);
	for (unsigned i = 0; i < ATTACKERS; i++) {
		att[i] = viewer_open(d, "guest/noisy");
		if (att[i]->status == 101) {
			upgraded++;
			wc_ws_send_text(att[i], INIT_MSG);
		} else if (att[i]->status == 503) {
			refused++;
		} else {
			other++;
		}
	}
	peak = rss_mib(d);
	t0 = g_get_monotonic_time();
	while (g_get_monotonic_time() - t0 < 6 * G_USEC_PER_SEC) {
		g_usleep(250000);
		peak = MAX(peak, rss_mib(d));
		queued = MAX(queued, wc_metric(d->http_port, "hostenc_viewer_queued_bytes"));
	}
	frames1 = g_atomic_int_get(&r.frames);
	g_atomic_int_set(&r.measuring, 0);
	/* the bound of docs/hostencd.md, "Memory", for this attack: twice the
	 * viewers' bytes and one access unit more per viewer (web-budget.c),
	 * the GOPs */
	queued_bound = 2.0 * MAX_VIEWER_MB * 1e6 / 1048576 +
		       (MAX_VIEWERS + 1) * (double)g_atomic_int_get(&g.max_au) / 1048576;
	bound = base + queued_bound + GOP_BUDGET_MIB;
	g_test_message("%u viewers that do not read: %u upgraded, %u refused (503), %u other; "
		       "RSS %.0f MiB before, at most %.0f during (bound %.0f); at most %.1f MiB "
		       "queued to viewers (bound %.0f); the reader got %d pictures meanwhile, "
		       "none for %.1f s at most; largest access unit %d bytes", ATTACKERS,
		       upgraded, refused, other, base, peak, bound, queued / 1048576.0,
		       queued_bound, frames1 - frames0, r.max_gap_us / 1e6,
		       g_atomic_int_get(&g.max_au));

	/* they leave: the memory comes back */
	for (unsigned i = 0; i < ATTACKERS; i++)
		wc_ws_free(att[i]);
	t0 = g_get_monotonic_time();
	while (g_get_monotonic_time() - t0 < 10 * G_USEC_PER_SEC) {
		g_usleep(500000);
		after = rss_mib(d);
		if (after < base * 1.15 + 16)
			break;
	}
	g_test_message("after they left: RSS %.0f MiB within %.1f s (before %.0f)", after,
		       (g_get_monotonic_time() - t0) / 1e6, base);
	g_assert_cmpuint(other, ==, 0);
	g_assert_cmpuint(upgraded, <=, MAX_VIEWERS - 1);
	g_assert_cmpuint(upgraded + refused, ==, ATTACKERS);
	g_assert_false(g_atomic_int_get(&r.closed));
	g_assert_cmpint(frames1 - frames0, >, 10);
	g_assert_cmpint(r.max_gap_us, <, 3 * G_USEC_PER_SEC);
	g_assert_cmpfloat(queued / 1048576.0, <, queued_bound);
	if (sanitized()) {
		g_test_message("sanitizer build: resident sizes not checked");
	} else {
		g_assert_cmpfloat(peak, <, bound);
		g_assert_cmpfloat(after, <, base * 1.15 + 16);
	}
	/* the reader still gets its pictures */
	frames0 = g_atomic_int_get(&r.frames);
	g_usleep(1000000);
	g_assert_cmpint(g_atomic_int_get(&r.frames), >, frames0);

	g_atomic_int_set(&r.stop, 1);
	g_thread_join(r.thread);
	wc_ws_free(r.ws);
	g_atomic_int_set(&g.stop, 1);
	g_thread_join(g.thread);
	tc_close(g.c);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/memory/idle-sessions", test_idle_sessions);
	g_test_add_func("/memory/gop-budget", test_gop_budget);
	g_test_add_func("/memory/viewers", test_viewers);
	return g_test_run();
}
