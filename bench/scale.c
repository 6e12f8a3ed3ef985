/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sessions per host (not a test): N simulated guests (sim-guest.h), each
 * its own HXFR session and shared-memory ring, send a scene at a fixed rate
 * to one hostencd at the same time, for N = 1, 2, 4, ... For each scene
 * and N: frames per second each session got back (min and median over the
 * sessions), round trip p50/p99 over all sessions, hostencd's CPU (utime +
 * stime from /proc over the measured seconds, 100 % = one core) and its
 * resident memory at the end; and the largest N at which every session
 * kept 95 % of the rate. The guests' start times are spread over one frame
 * interval (guests are not in step), and their first seconds are not
 * measured (encoder start, first IDR).
 *
 * usage: bench-scale HOSTENCD [--seconds S] [--sessions N,...] [--size WxH]
 *        [--fps N] [--scenes static,text,motion] [--hostencd-arg ARG]...
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

#define WARMUP_S 1.5
#define CLIP_FRAMES 60
#define HOLD 0.95 /* a session "holds" the rate at 95 % of it */

struct opts {
	const char *bin;
	double seconds;
	uint32_t w, h, fps;
	GArray *sessions; /* uint32_t */
	GArray *scenes;   /* int */
	GPtrArray *extra; /* hostencd options, NULL-terminated */
};

struct guest {
	struct sim_guest_config cfg;
	struct sim_guest_result res;
	char name[32];
	GThread *thread;
};

static void usage(const char *why)
{
	fprintf(stderr, "bench-scale: %s\n"
		"usage: bench-scale HOSTENCD [--seconds S] [--sessions N,...] [--size WxH] [--fps N]\n"
		"       [--scenes %s] [--hostencd-arg ARG]...\n", why, BENCH_SCENE_NAMES);
	exit(2);
}

static uint32_t whole(const char *v, uint32_t lo, uint32_t hi, const char *opt)
{
	char *end;
	unsigned long n = v ? strtoul(v, &end, 10) : 0;

	if (!v || *end || n < lo || n > hi) {
		g_autofree char *why = g_strdup_printf("%s: expected a whole number %u..%u", opt, lo, hi);

		usage(why);
	}
	return (uint32_t)n;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .seconds = 5, .w = 1280, .h = 720, .fps = 30 };
	o->sessions = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	o->scenes = g_array_new(FALSE, FALSE, sizeof(int));
	o->extra = g_ptr_array_new();
	if (argc < 2 || argv[1][0] == '-')
		usage("give the path of hostencd first");
	o->bin = argv[1];
	for (int i = 2; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		g_auto(GStrv) items = v ? g_strsplit(v, ",", -1) : NULL;

		if (!v)
			usage("a value is missing");
		if (strcmp(a, "--seconds") == 0) {
			o->seconds = whole(v, 3, 600, a);
		} else if (strcmp(a, "--fps") == 0) {
			o->fps = whole(v, 1, 240, a);
		} else if (strcmp(a, "--size") == 0) {
			if (sscanf(v, "%ux%u", &o->w, &o->h) != 2 || o->w < 64 || o->h < 64 ||
			    o->w > 4096 || o->h > 4096)
				usage("--size: expected WxH, 64..4096 each, e.g. 1280x720");
		} else if (strcmp(a, "--sessions") == 0) {
			for (char **it = items; *it; it++) {
				uint32_t n = whole(*it, 1, 60, a);

				g_array_append_val(o->sessions, n);
			}
		} else if (strcmp(a, "--scenes") == 0) {
			for (char **it = items; *it; it++) {
				int s = bench_scene_from_name(*it);

				if (s < 0)
					usage("--scenes: unknown scene");
				g_array_append_val(o->scenes, s);
			}
		} else if (strcmp(a, "--hostencd-arg") == 0) {
			g_ptr_array_add(o->extra, (gpointer)v);
		} else {
			usage("unknown argument");
		}
	}
	g_ptr_array_add(o->extra, NULL);
	if (!o->sessions->len) {
		static const uint32_t def[] = { 1, 2, 4, 8, 16, 32 };

		g_array_append_vals(o->sessions, def, G_N_ELEMENTS(def));
	}
	if (!o->scenes->len) {
		static const int def[] = { BENCH_SCENE_STATIC, BENCH_SCENE_TEXT, BENCH_SCENE_MOTION };

		g_array_append_vals(o->scenes, def, G_N_ELEMENTS(def));
	}
}

static gpointer guest_main(gpointer data)
{
	struct guest *g = data;

	sim_guest_run(&g->cfg, &g->res);
	return NULL;
}

/* What one N gave. */
struct point {
	double fps_min, fps_median, rt_p50, rt_p99, cpu_pct, guests_cpu_pct;
	struct bench_proc_mem mem;
	uint32_t failed;
};

static void sleep_until(double t)
{
	double left = t - bench_now();

	if (left > 0)
		g_usleep((gulong)(left * 1e6));
}

static void summarise(const struct opts *o, struct guest *g, uint32_t n, struct point *p)
{
	double span = o->seconds - WARMUP_S, *fps = g_new(double, n), guests_cpu = 0;
	GArray *rt = g_array_new(FALSE, FALSE, sizeof(double));

	for (uint32_t i = 0; i < n; i++) {
		uint32_t got = 0;

		p->failed += g[i].res.failed;
		guests_cpu += g[i].res.cpu_s;
		for (uint32_t k = 0; k < g[i].res.n; k++) {
			const struct sim_frame *f = &g[i].res.frames[k];
			double ms = f->rt_ms;

			if (f->due_s < WARMUP_S || !f->sent || f->dropped || f->rt_ms < 0)
				continue;
			got++;
			g_array_append_val(rt, ms);
		}
		fps[i] = got / span;
	}
	p->fps_min = bench_quantile(fps, n, 0);
	p->fps_median = bench_spread_of(fps, n).median;
	p->rt_p50 = bench_quantile((double *)(void *)rt->data, rt->len, 0.5);
	p->rt_p99 = bench_quantile((double *)(void *)rt->data, rt->len, 0.99);
	p->guests_cpu_pct = guests_cpu / o->seconds * 100;
	g_array_unref(rt);
	g_free(fps);
}

static void measure(const struct opts *o, const struct sim_source *src, uint32_t n, struct point *p)
{
	uint64_t ring = sim_ring_size(o->w, o->h);
	struct bench_hostencd_config hc = { .bin = o->bin, .region_size = ring * n,
					    .extra = (const char *const *)o->extra->pdata };
	struct bench_hostencd *h = bench_hostencd_start(&hc);
	struct guest *g = g_new0(struct guest, n);
	double t0, cpu0, cpu1;

	memset(p, 0, sizeof(*p));
	if (!h) {
		p->failed = n;
		g_free(g);
		return;
	}
	t0 = bench_now() + 0.5 + 0.02 * n; /* time for every guest's handshake */
	for (uint32_t i = 0; i < n; i++) {
		g_snprintf(g[i].name, sizeof(g[i].name), "guest-%u", i);
		g[i].cfg = (struct sim_guest_config){
			.host = h, .ring_offset = ring * i, .src = src, .name = g[i].name,
			.fps = o->fps, .window = 2, .seconds = o->seconds,
			.start_at = t0 + (double)i / n / o->fps,
			.first_frame = (uint64_t)i * 7, .keyframe_req_at = -1,
		};
		g[i].thread = g_thread_new(g[i].name, guest_main, &g[i]);
	}
	/* CPU and memory while every guest still sends (they stop at
	 * t0 + seconds and hostencd then unmaps their rings) */
	sleep_until(t0 + WARMUP_S);
	cpu0 = bench_proc_cpu_s(h->pid);
	sleep_until(t0 + o->seconds - 0.5);
	cpu1 = bench_proc_cpu_s(h->pid);
	p->mem = bench_proc_mem(h->pid);
	p->cpu_pct = (cpu1 - cpu0) / (o->seconds - 0.5 - WARMUP_S) * 100;
	for (uint32_t i = 0; i < n; i++)
		g_thread_join(g[i].thread);
	bench_hostencd_stop(h);
	summarise(o, g, n, p);
	for (uint32_t i = 0; i < n; i++)
		sim_guest_result_clear(&g[i].res);
	g_free(g);
}

static void run_scene(const struct opts *o, enum bench_scene s)
{
	struct bench_clip clip;
	struct sim_source src;
	uint32_t held = 0;

	if (bench_clip_make(&clip, s, o->w, o->h, CLIP_FRAMES, o->fps) < 0 ||
	    sim_source_init(&src, &clip) < 0) {
		fprintf(stderr, "bench-scale: cannot draw the %s scene\n", bench_scene_name(s));
		exit(1);
	}
	printf("\n### %s, %ux%u at %u fps per session\n\n", bench_scene_name(s), o->w, o->h, o->fps);
	printf("| sessions | fps per session, min / median | round trip ms p50 / p99 |"
	       " hostencd CPU %% | hostencd RSS MiB (anon / ring pages) | guests' CPU %% | load |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (guint i = 0; i < o->sessions->len; i++) {
		uint32_t n = g_array_index(o->sessions, uint32_t, i);
		struct point p;

		fprintf(stderr, "bench-scale: %s, %u sessions\n", bench_scene_name(s), n);
		measure(o, &src, n, &p);
		printf("| %u | %.1f / %.1f | %.1f / %.1f | %.0f | %.0f (%.0f / %.0f) | %.0f | %.1f |%s\n",
		       n, p.fps_min, p.fps_median, p.rt_p50, p.rt_p99, p.cpu_pct, p.mem.rss / 1024.0,
		       p.mem.anon / 1024.0, p.mem.shmem / 1024.0, p.guests_cpu_pct, bench_loadavg(),
		       p.failed ? " (sessions failed)" : "");
		fflush(stdout);
		if (!p.failed && p.fps_min >= HOLD * o->fps && held == i)
			held = i + 1;
	}
	printf("\nLargest N with every session at >= %.0f %% of %u fps: %s%u\n", HOLD * 100, o->fps,
	       held ? "" : "none, not even ", held ? g_array_index(o->sessions, uint32_t, held - 1)
						   : g_array_index(o->sessions, uint32_t, 0));
	sim_source_clear(&src);
	bench_clip_free(&clip);
}

int main(int argc, char **argv)
{
	struct opts o;
	double t0 = bench_now();

	parse(argc, argv, &o);
	if (o.extra->len > 1) {
		g_autofree char *extra = g_strjoinv(" ", (char **)o.extra->pdata);

		printf("hostencd options: %s\n", extra);
	}
	for (guint i = 0; i < o.scenes->len; i++)
		run_scene(&o, g_array_index(o.scenes, int, i));
	printf("\n%.0f s in all.\n", bench_now() - t0);
	g_array_unref(o.sessions);
	g_array_unref(o.scenes);
	g_ptr_array_unref(o.extra);
	return 0;
}
