/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd's encoding modes: --intra-refresh (no periodic IDRs, IDRs on
 * request still), --vbv-frames (the size of every frame capped, IDRs too)
 * and --encode-priority (the encode threads' scheduling). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "client.h"
#include "web-client.h"

#define W 320
#define H 240
#define FPS 30

static struct tc_conn *guest(struct th_daemon *d, const char *name, uint32_t bitrate)
{
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_hello_resp hr;

	tc_hello(c, HXFR_PATH_INLINE, 2, name, &hr);
	tc_config(c, bitrate, FPS);
	return c;
}

/* With a 10-frame GOP, intra refresh gives no IDR but the first and the
 * one a KEYFRAME_REQ asks for, also past the 900 access units the stream
 * keeps for late viewers; every picture decodes to what was sent
 * (tc_run_frames checks each reply, IDRs exactly where expected). A viewer
 * that joins then, with nothing to replay, gets an IDR. */
static void test_intra_refresh(void)
{
	static const char *const args[] = { "--gop=10", "--intra-refresh", "--http=127.0.0.1:0",
					    NULL };
	struct th_options o = { .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = guest(d, "test-ir", 2000000);
	struct tc_stream st;
	struct tc_run run = { .fourcc = HXFR_FMT_NV12, .width = W, .height = H, .count = 960,
			      .window = 2, .first_idr = true, .keyreq_before = 30, .force_at = -1 };
	struct tc_picture *p = tc_picture_new(HXFR_FMT_NV12, W, H, 0);
	struct wc_ws *ws;
	g_autofree char *init = NULL;
	uint32_t n = run.count;
	bool key = false;

	tc_stream_init(&st);
	g_assert_cmpuint(tc_run_frames(c, &st, &run), ==, 2);
	g_test_message("lowest PSNR: %.1f dB", st.min_psnr);
	ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=guest/test-ir", NULL);
	g_assert_cmpint(ws->status, ==, 101);
	g_assert_true(wc_ws_send_text(ws, "{\"type\":\"init\",\"codecs\":[\"avc1.42e01f\"],"
					  "\"width\":320,\"height\":240}"));
	/* the guest goes on; an IDR comes as soon as the viewer is in */
	for (; !key && n < run.count + 60; n++) {
		tc_picture_render(p, n);
		tc_send_frame(c, p, tc_pts(n), false);
		key = tc_expect_frame(c, &st, p, tc_pts(n));
		g_usleep(20000);
	}
	g_test_message("the viewer's IDR came with frame %u", n - 1);
	g_assert_true(key);
	init = wc_ws_wait_text(ws, "init", TH_TIMEOUT_MS);
	g_assert_nonnull(init);
	wc_ws_free(ws);
	tc_picture_free(p);
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
}

/* The IDR a KEYFRAME_REQ gives, for a stream at 200 kbit/s (833 bytes a
 * frame): its size. Every reply must still be one decodable AU. */
static size_t asked_idr_size(const char *const *args)
{
	struct th_options o = { .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = guest(d, "test-vbv", 200000);
	struct tc_picture *p = tc_picture_new(HXFR_FMT_NV12, W, H, 0);
	struct tc_stream st;
	size_t idr = 0;

	tc_stream_init(&st);
	for (uint32_t n = 0; n < 20; n++) {
		struct tc_msg m;
		struct tc_reply r;

		if (n == 12)
			tc_send_empty(c, HXFR_KEYFRAME_REQ);
		tc_picture_render(p, n);
		tc_send_frame(c, p, tc_pts(n), false);
		tc_expect(c, HXFR_FRAME_RESPONSE, &m);
		tc_parse_response(&m, &r);
		g_assert_true(r.r.is_keyframe == (n == 0 || n == 12));
		g_assert_nonnull(tc_stream_decode(&st, r.r.au, r.r.au_len, r.r.is_keyframe));
		if (n == 12)
			idr = r.r.au_len;
		tc_msg_clear(&m);
	}
	tc_stream_clear(&st);
	tc_picture_free(p);
	tc_close(c);
	th_daemon_stop(d);
	return idr;
}

static void test_vbv_frames(void)
{
	static const char *const capped_args[] = { "--vbv-frames=1", NULL };
	const size_t budget = 200000 / 8 / FPS;
	size_t normal = asked_idr_size(NULL), capped = asked_idr_size(capped_args);

	g_test_message("asked IDR: %zu bytes by default, %zu with --vbv-frames=1 (a frame's "
		       "budget: %zu)", normal, capped, budget);
	g_assert_cmpuint(normal, >, 3 * budget);
	g_assert_cmpuint(capped, <=, 2 * budget);
}

/* ---- priority ------------------------------------------------------------- */

struct sched_of {
	int nice, policy, rtprio;
};

/* Every thread of @p pid named "he-encode" (the stream workers and the
 * threads the encoder started from them, which inherit the name); asserts
 * there is one at least and all are alike. */
static struct sched_of encode_threads(GPid pid)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
	g_autoptr(GDir) tasks = g_dir_open(dir, 0, NULL);
	struct sched_of first = { 0 };
	unsigned found = 0;
	const char *tid;

	g_assert_nonnull(tasks);
	while ((tid = g_dir_read_name(tasks))) {
		g_autofree char *comm_path = g_strdup_printf("%s/%s/comm", dir, tid);
		g_autofree char *stat_path = g_strdup_printf("%s/%s/stat", dir, tid);
		g_autofree char *comm = NULL, *stat = NULL;
		struct sched_of s;
		const char *p;

		if (!g_file_get_contents(comm_path, &comm, NULL, NULL) ||
		    !g_str_has_prefix(comm, "he-encode") ||
		    !g_file_get_contents(stat_path, &stat, NULL, NULL))
			continue;
		p = strrchr(stat, ')');
		g_assert_nonnull(p);
		/* fields 19 (nice), 40 (rt_priority), 41 (policy) */
		g_assert_cmpint(sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
				       "%*s %*s %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
				       "%*s %*s %*s %*s %*s %*s %*s %*s %d %d",
				       &s.nice, &s.rtprio, &s.policy), ==, 3);
		if (!found++)
			first = s;
		g_assert_cmpint(s.nice, ==, first.nice);
		g_assert_cmpint(s.policy, ==, first.policy);
	}
	g_test_message("%u encode threads: nice %d, policy %d, rt priority %d", found, first.nice,
		       first.policy, first.rtprio);
	g_assert_cmpuint(found, >=, 1);
	return first;
}

/* Whether this process may do what hostencd tries (it runs as the same
 * user): try it on a thread of its own that ends at once. */
static gpointer try_raise(gpointer data)
{
	bool rt = GPOINTER_TO_INT(data);
	struct sched_param sp = { .sched_priority = rt ? 1 : 0 };

	if (rt)
		return GINT_TO_POINTER(pthread_setschedparam(pthread_self(), SCHED_RR, &sp) == 0);
	return GINT_TO_POINTER(setpriority(PRIO_PROCESS, (id_t)gettid(), -10) == 0);
}

static bool permitted(bool rt)
{
	return GPOINTER_TO_INT(g_thread_join(g_thread_new("try", try_raise, GINT_TO_POINTER(rt))));
}

/* hostencd with @p arg; one guest frame so that a stream worker exists. */
static struct sched_of priority_with(const char *arg, char **log)
{
	const char *args[] = { arg, NULL };
	struct th_options o = { .args = arg ? args : NULL };
	struct th_daemon *d = th_daemon_start(&o);
	struct tc_conn *c = guest(d, "test-prio", 2000000);
	struct tc_stream st;
	struct tc_run run = { .fourcc = HXFR_FMT_NV12, .width = W, .height = H, .count = 3,
			      .window = 1, .first_idr = true, .keyreq_before = -1, .force_at = -1 };
	struct sched_of s;

	tc_stream_init(&st);
	tc_run_frames(c, &st, &run);
	s = encode_threads(d->pid);
	g_assert_true(g_file_get_contents(d->log_path, log, NULL, NULL));
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
	return s;
}

/* Default "high": nice -10 where permitted, else normal and one message
 * saying so; "normal" leaves the threads alone; "realtime": SCHED_RR 1
 * where permitted, else what "high" gets. */
static void test_priority(void)
{
	const char *refused = "priority not permitted";
	g_autofree char *log_high = NULL, *log_normal = NULL, *log_rt = NULL;
	struct sched_of high = priority_with(NULL, &log_high);
	struct sched_of normal = priority_with("--encode-priority=normal", &log_normal);
	struct sched_of rt = priority_with("--encode-priority=realtime", &log_rt);

	g_assert_cmpint(normal.nice, ==, 0);
	g_assert_cmpint(normal.policy, ==, SCHED_OTHER);
	g_assert_null(strstr(log_normal, refused));
	if (permitted(false)) {
		g_assert_cmpint(high.nice, ==, -10);
		g_assert_null(strstr(log_high, refused));
	} else {
		g_test_message("this user may not raise priorities: checking the message");
		g_assert_cmpint(high.nice, ==, 0);
		g_assert_nonnull(strstr(log_high, refused));
	}
	g_assert_cmpint(high.policy, ==, SCHED_OTHER);
	if (permitted(true)) {
		g_assert_cmpint(rt.policy, ==, SCHED_RR);
		g_assert_cmpint(rt.rtprio, ==, 1);
		g_assert_null(strstr(log_rt, refused));
	} else {
		g_assert_cmpint(rt.policy, ==, SCHED_OTHER);
		g_assert_cmpint(rt.nice, ==, high.nice);
		g_assert_nonnull(strstr(log_rt, refused));
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/encode-modes/intra-refresh", test_intra_refresh);
	g_test_add_func("/encode-modes/vbv-frames", test_vbv_frames);
	g_test_add_func("/encode-modes/priority", test_priority);
	return g_test_run();
}
