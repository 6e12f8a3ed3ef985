/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd with many guests at once: 16 sessions stream together, each its
 * own pictures (different frame numbers, sizes and formats; half of them
 * through rings in one shared region), and each gets exactly its own
 * pictures back. Also the session limit. */
#include <string.h>

#include "client.h"

#define SESSIONS 16
#define FRAMES 20
#define SLOT_SIZE (320u * 1024u)      /* a 320x240 BGRx frame plus padding */
#define RING_SIZE (4096u + 2 * SLOT_SIZE)

struct worker {
	GThread *thread;
	unsigned index;
	uint16_t port;
	struct tc_region *region;   /* shm sessions only */
	unsigned *gate;             /* threads start streaming together */
	GMutex *lock;
	GCond *cond;
	unsigned frames, idrs;
};

static void wait_gate(struct worker *w)
{
	g_mutex_lock(w->lock);
	if (++*w->gate == SESSIONS)
		g_cond_broadcast(w->cond);
	while (*w->gate < SESSIONS)
		g_cond_wait(w->cond, w->lock);
	g_mutex_unlock(w->lock);
}

static gpointer worker_main(gpointer data)
{
	static const uint32_t fourccs[] = { HXFR_FMT_NV12, HXFR_FMT_BGRX, HXFR_FMT_I420,
					    HXFR_FMT_RGBA };
	struct worker *w = data;
	bool shm = w->region != NULL;
	struct tc_conn *c = tc_connect_tcp(w->port);
	g_autofree char *name = g_strdup_printf("guest-%u", w->index);
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_ring ring;
	/* distinct pictures: frame numbers 1000*i.., and two sizes */
	struct tc_run run = { .fourcc = fourccs[w->index % 4],
			      .width = w->index % 3 ? 320 : 256,
			      .height = w->index % 3 ? 240 : 192,
			      .first = 1000 * w->index, .count = FRAMES, .window = 2,
			      .first_idr = true, .keyreq_before = -1,
			      .force_at = (int)(w->index % 7) + 3 };

	tc_stream_init(&st);
	tc_hello(c, shm ? HXFR_PATH_SHM : HXFR_PATH_INLINE, 2, name, &hr);
	if (shm) {
		tc_ring_init(&ring, w->region, (uint64_t)w->index * RING_SIZE, RING_SIZE, 2,
			     SLOT_SIZE);
		g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_OK);
		run.ring = &ring;
		run.shm_pad = 64 * (w->index + 1);
	}
	tc_config(c, 2000000, 30);
	wait_gate(w);
	w->idrs = tc_run_frames(c, &st, &run);
	w->frames = st.aus;
	tc_ping(c, true);
	tc_stream_clear(&st);
	tc_close(c);
	return NULL;
}

static void test_sixteen(void)
{
	/* all from 127.0.0.1: over the default limit per peer address */
	static const char *const args[] = { "--max-sessions-per-peer=16", NULL };
	struct tc_region *region = tc_region_new((uint64_t)SESSIONS * RING_SIZE);
	struct th_options o = { .shm_spec = region->path, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct worker w[SESSIONS];
	unsigned gate = 0;
	GMutex lock;
	GCond cond;

	g_mutex_init(&lock);
	g_cond_init(&cond);
	for (unsigned i = 0; i < SESSIONS; i++) {
		w[i] = (struct worker){ .index = i, .port = d->port, .gate = &gate,
					.lock = &lock, .cond = &cond,
					.region = i % 2 ? region : NULL };
		w[i].thread = g_thread_new("guest", worker_main, &w[i]);
	}
	for (unsigned i = 0; i < SESSIONS; i++) {
		g_thread_join(w[i].thread);
		/* every frame came back as its own picture; the first and the
		 * forced one are IDRs, nothing else */
		g_assert_cmpuint(w[i].frames, ==, FRAMES);
		g_assert_cmpuint(w[i].idrs, ==, 2);
	}
	g_assert_true(th_daemon_alive(d));
	g_mutex_clear(&lock);
	g_cond_clear(&cond);
	th_daemon_stop(d);
	tc_region_free(region);
}

/* --max-sessions: the next guest gets ERROR LIMIT and is closed; a slot
 * that frees up can be used again. */
static void test_session_limit(void)
{
	static const char *const args[] = { "--max-sessions=2", NULL };
	struct th_options o = { .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *a = tc_connect_tcp(d->port), *b = tc_connect_tcp(d->port), *c;
	struct hxfr_hello_resp hr;
	int64_t deadline;

	tc_hello(a, HXFR_PATH_INLINE, 1, "a", &hr);
	tc_hello(b, HXFR_PATH_INLINE, 1, "b", &hr);
	c = tc_connect_tcp(d->port);
	g_assert_cmpint(tc_expect_error(c, 0), ==, HXFR_ERR_LIMIT);
	tc_expect_closed(c, 5000, NULL);
	tc_close(c);
	tc_ping(a, false);
	tc_close(b);
	/* the host notices b's close on its own time: retry for a while */
	deadline = g_get_monotonic_time() + (int64_t)TH_TIMEOUT_MS * 1000;
	for (;;) {
		struct tc_msg msg;
		uint8_t buf[HXFR_HEADER_SIZE];

		c = tc_connect_tcp(d->port);
		g_assert_cmpint(hxfr_build_empty(buf, sizeof(buf), HXFR_PING, 0), ==, sizeof(buf));
		tc_send(c, buf, sizeof(buf));
		g_assert_cmpint(tc_recv(c, TH_TIMEOUT_MS, &msg), ==, 1);
		if (msg.m.hdr.type == HXFR_PONG) {
			tc_msg_clear(&msg);
			break;
		}
		g_assert_cmpuint(msg.m.hdr.type, ==, HXFR_ERROR);
		tc_msg_clear(&msg);
		tc_close(c);
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(50000);
	}
	tc_ping(c, false);
	tc_close(c);
	tc_close(a);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/concurrent/sixteen-sessions", test_sixteen);
	g_test_add_func("/concurrent/session-limit", test_session_limit);
	return g_test_run();
}
