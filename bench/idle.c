/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a static desktop costs when nothing happens (not a test).
 *
 * 1. Bytes per second one browser viewer receives: a simulated guest
 *    (sim-guest.h) shows the static scene (a blinking cursor and a clock)
 *    and hostencd serves it on its web port; a WebSocket client that speaks
 *    like the page (init, a ping every 2 s) counts every byte of every
 *    WebSocket frame it receives over the measured seconds, after a warm-up
 *    that takes the join (GOP replay or IDR) out. Three guests: one that
 *    sends only when the picture changed (damage tracking: what PipeWire
 *    and X11 capture do), one that sends every frame at 30 fps whether it
 *    changed or not, and one that sends three pictures in its first second
 *    and then nothing (the stream then lives on hostencd's keepalive
 *    re-encodes alone).
 * 2. hostencd's resident memory: idle (no session), with one session and
 *    with 16 sessions of the static scene at 30 fps.
 *
 * usage: bench-idle HOSTENCD [--seconds S] [--size WxH] [--modes NAME,...]
 *        [--sessions N]
 */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip.h"
#include "hostencd-run.h"
#include "sim-guest.h"
#include "stats.h"
#include "web-client.h"

#define WARMUP_S 4.0
#define CLIP_FRAMES 60   /* 2 s: four cursor blinks, two clock ticks */
#define PING_EVERY_S 2.0 /* as the page does */

struct mode {
	const char *name;
	const char *opts[3];
};

static const struct mode modes[] = {
	{ "idr", { "--gop=300", NULL } },         /* a 10 s GOP at 30 fps: the default before */
	{ "ir", { "--intra-refresh", NULL } },
	{ "vbv1", { "--gop=300", "--vbv-frames=1", NULL } },
	{ "ir+vbv1", { "--intra-refresh", "--vbv-frames=1", NULL } },
	{ "ir60", { "--intra-refresh", "--gop=1800", NULL } },
	{ "request", { NULL } },                  /* the default: IDRs on request only */
};

enum guest_kind { GUEST_CHANGES, GUEST_EVERY_FRAME, GUEST_SILENT, GUEST_KINDS };

static const char *const kind_names[] = {
	[GUEST_CHANGES] = "sends changes only (2-3 pictures/s)",
	[GUEST_EVERY_FRAME] = "sends every frame (30/s)",
	[GUEST_SILENT] = "3 pictures in the first second, then silent (keepalives only)",
};

struct opts {
	const char *bin;
	double seconds;
	uint32_t w, h, sessions;
	GArray *modes;
};

static void usage(const char *why)
{
	fprintf(stderr, "bench-idle: %s\n"
		"usage: bench-idle HOSTENCD [--seconds S] [--size WxH] [--modes NAME,...] "
		"[--sessions N]\nmodes:", why);
	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++)
		fprintf(stderr, " %s", modes[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .seconds = 30, .w = 1920, .h = 1080, .sessions = 16 };
	o->modes = g_array_new(FALSE, FALSE, sizeof(const struct mode *));
	if (argc < 2 || argv[1][0] == '-')
		usage("give the path of hostencd first");
	o->bin = argv[1];
	for (int i = 2; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage("a value is missing");
		if (strcmp(a, "--seconds") == 0) {
			o->seconds = atof(v);
			if (!(o->seconds >= 5 && o->seconds <= 600))
				usage("--seconds: 5..600");
		} else if (strcmp(a, "--sessions") == 0) {
			o->sessions = (uint32_t)atoi(v);
			if (o->sessions < 1 || o->sessions > 60)
				usage("--sessions: 1..60");
		} else if (strcmp(a, "--size") == 0) {
			if (sscanf(v, "%ux%u", &o->w, &o->h) != 2 || o->w < 64 || o->h < 64 ||
			    o->w > 4096 || o->h > 4096)
				usage("--size: expected WxH, 64..4096 each, e.g. 1920x1080");
		} else if (strcmp(a, "--modes") == 0) {
			g_auto(GStrv) items = g_strsplit(v, ",", -1);

			for (char **it = items; *it; it++) {
				const struct mode *m = NULL;

				for (size_t k = 0; k < G_N_ELEMENTS(modes); k++)
					if (strcmp(modes[k].name, *it) == 0)
						m = &modes[k];
				if (!m)
					usage("--modes: unknown mode");
				g_array_append_val(o->modes, m);
			}
		} else {
			usage("unknown argument");
		}
	}
	if (!o->modes->len) {
		const struct mode *d[] = { &modes[0], &modes[1] };

		g_array_append_vals(o->modes, d, 2);
	}
}

/* ---- one viewer ------------------------------------------------------------- */

struct guest_thread {
	struct sim_guest_config cfg;
	struct sim_guest_result res;
	GThread *thread;
};

static gpointer guest_main(gpointer data)
{
	struct guest_thread *g = data;

	sim_guest_run(&g->cfg, &g->res);
	return NULL;
}

/* What the viewer got over the measured seconds. */
struct watched {
	double bytes, video_frames, keyframes, text_msgs;
	bool ok;
};

/* Bytes of a server-to-client WebSocket frame (unmasked) with @p len of payload. */
static double ws_bytes(guint len)
{
	return 2.0 + (len > 125 ? (len > 65535 ? 8 : 2) : 0) + len;
}

static void count(struct watched *w, int opcode, GByteArray *payload)
{
	w->bytes += ws_bytes(payload->len);
	if (opcode == 2 && payload->len >= 24 && payload->data[0] == 1) {
		w->video_frames++;
		w->keyframes += payload->data[1] & 1;
	} else if (opcode == 1) {
		w->text_msgs++;
	}
}

static struct watched watch(const struct bench_hostencd *h, const struct opts *o, double until)
{
	g_autofree char *init = g_strdup_printf("{\"type\":\"init\",\"codecs\":[\"avc1.42e01f\"],"
						"\"width\":%u,\"height\":%u}", o->w, o->h);
	g_autoptr(GByteArray) payload = g_byte_array_new();
	struct watched w = { 0 };
	struct wc_ws *ws = wc_ws_open(h->http_port, NULL, "/ws/stream?source=guest/bench", NULL);
	double start = until - o->seconds, next_ping = bench_now();

	if (ws->status != 101 || !wc_ws_send_text(ws, init)) {
		fprintf(stderr, "bench-idle: the WebSocket was refused (%d)\n", ws->status);
		wc_ws_free(ws);
		return w;
	}
	while (bench_now() < until) {
		int opcode;

		if (bench_now() >= next_ping) {
			g_autofree char *ping = g_strdup_printf("{\"type\":\"ping\",\"t\":%.3f}",
								bench_now() * 1e3);

			wc_ws_send_text(ws, ping);
			next_ping += PING_EVERY_S;
		}
		opcode = wc_ws_recv(ws, 100, payload);
		if (opcode == -2 || opcode == 8) {
			fprintf(stderr, "bench-idle: the viewer was closed (%u)\n", ws->close_code);
			wc_ws_free(ws);
			return w;
		}
		if (opcode >= 0 && bench_now() >= start)
			count(&w, opcode, payload);
	}
	wc_ws_free(ws);
	w.ok = true;
	return w;
}

static struct watched viewer_run(const struct opts *o, const struct sim_source *src,
				 const struct mode *m, enum guest_kind kind)
{
	struct bench_hostencd_config hc = { .bin = o->bin, .region_size = sim_ring_size(o->w, o->h),
					    .http = true, .extra = m->opts };
	struct bench_hostencd *h = bench_hostencd_start(&hc);
	struct guest_thread g = { 0 };
	struct watched w = { 0 };
	double t0 = bench_now() + 0.3;

	if (!h)
		return w;
	g.cfg = (struct sim_guest_config){
		.host = h, .src = src, .name = "bench", .fps = 30, .window = 2,
		.seconds = WARMUP_S + o->seconds + 0.5, .start_at = t0, .keyframe_req_at = -1,
		.changes_only = kind != GUEST_EVERY_FRAME,
		/* the last after the viewer came: keepalives need a picture
		 * the encoder kept, which it does only while someone watches */
		.max_sends = kind == GUEST_SILENT ? 3 : 0,
	};
	g.thread = g_thread_new("guest", guest_main, &g);
	while (bench_now() < t0 + 0.25)
		g_usleep(10000); /* the stream exists once its first frame is in */
	w = watch(h, o, t0 + WARMUP_S + o->seconds);
	g_thread_join(g.thread);
	if (g.res.failed)
		w.ok = false;
	sim_guest_result_clear(&g.res);
	bench_hostencd_stop(h);
	return w;
}

static void viewer_table(const struct opts *o, const struct sim_source *changing)
{
	printf("\n### One viewer of the static desktop, %ux%u, %.0f s after %.0f s of warm-up\n\n",
	       o->w, o->h, o->seconds, WARMUP_S);
	printf("| guest | mode | bytes/s to the viewer | video messages/s | of them IDRs |"
	       " other messages/s | load |\n|---|---|---|---|---|---|---|\n");
	for (int k = 0; k < GUEST_KINDS; k++)
		for (guint i = 0; i < o->modes->len; i++) {
			const struct mode *m = g_array_index(o->modes, const struct mode *, i);
			struct watched w;

			fprintf(stderr, "bench-idle: viewer, %s, %s\n", kind_names[k], m->name);
			w = viewer_run(o, changing, m, k);
			printf("| %s | %s | %s%.0f | %.2f | %.0f | %.2f | %.1f |\n", kind_names[k], m->name,
			       w.ok ? "" : "(failed) ", w.bytes / o->seconds, w.video_frames / o->seconds,
			       w.keyframes, w.text_msgs / o->seconds, bench_loadavg());
			fflush(stdout);
		}
}

/* ---- memory ----------------------------------------------------------------- */

static void memory_row(const char *what, struct bench_proc_mem m)
{
	printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", what, m.rss / 1024.0, m.anon / 1024.0,
	       m.file / 1024.0, m.shmem / 1024.0);
}

static void memory_table(const struct opts *o, const struct sim_source *src)
{
	uint32_t counts[] = { 1, o->sessions };
	uint64_t ring = sim_ring_size(o->w, o->h);
	struct bench_hostencd_config hc = { .bin = o->bin, .region_size = ring * o->sessions };
	struct bench_hostencd *h = bench_hostencd_start(&hc);

	if (!h)
		return;
	printf("\n### hostencd's resident memory, %ux%u static scene at 30 fps per session\n\n",
	       o->w, o->h);
	printf("| hostencd | VmRSS MiB | anonymous | file | shared memory (guests' rings) |\n"
	       "|---|---|---|---|---|\n");
	g_usleep(1000000);
	memory_row("idle, no session", bench_proc_mem(h->pid));
	for (size_t c = 0; c < G_N_ELEMENTS(counts); c++) {
		uint32_t n = counts[c];
		struct guest_thread *g = g_new0(struct guest_thread, n);
		double t0 = bench_now() + 0.3 + 0.03 * n;
		g_autofree char *what = g_strdup_printf("%u session%s, after 5 s", n, n > 1 ? "s" : "");

		fprintf(stderr, "bench-idle: memory, %u sessions\n", n);
		for (uint32_t i = 0; i < n; i++) {
			g[i].cfg = (struct sim_guest_config){
				.host = h, .ring_offset = ring * i, .src = src, .fps = 30, .window = 2,
				.seconds = 5, .start_at = t0 + (double)i / n / 30,
				.keyframe_req_at = -1, .name = g_strdup_printf("guest-%u", i),
			};
			g[i].thread = g_thread_new("guest", guest_main, &g[i]);
		}
		while (bench_now() < t0 + 4.8)
			g_usleep(20000);
		memory_row(what, bench_proc_mem(h->pid));
		for (uint32_t i = 0; i < n; i++) {
			g_thread_join(g[i].thread);
			g_free((char *)g[i].cfg.name);
			sim_guest_result_clear(&g[i].res);
		}
		g_free(g);
		/* The sessions are closed: what stays after them. */
		g_usleep(2000000);
		g_free(what);
		what = g_strdup_printf("2 s after the %u session%s ended", n, n > 1 ? "s" : "");
		memory_row(what, bench_proc_mem(h->pid));
	}
	bench_hostencd_stop(h);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct bench_clip clip;
	struct sim_source changing;
	double t0 = bench_now();

	parse(argc, argv, &o);
	if (bench_clip_make(&clip, BENCH_SCENE_STATIC, o.w, o.h, CLIP_FRAMES, 30) < 0 ||
	    sim_source_init(&changing, &clip) < 0) {
		fprintf(stderr, "bench-idle: cannot draw the static scene\n");
		return 1;
	}
	viewer_table(&o, &changing);
	memory_table(&o, &changing);
	printf("\n%.0f s in all.\n", bench_now() - t0);
	sim_source_clear(&changing);
	bench_clip_free(&clip);
	g_array_unref(o.modes);
	return 0;
}
