/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tail latency of hostencd's encoding modes (not a test).
 *
 * For each size, scene and mode, a fresh hostencd started with the mode's
 * options and one simulated guest (sim-guest.h: a shared-memory ring, 2
 * frames in flight, the host's default bitrate) sending the scene at a
 * fixed rate for a few seconds. A KEYFRAME_REQ part way through stands for
 * a viewer joining (or a decoder asking): every run has one IDR besides the
 * first. Modes run interleaved (A B C A B C ...) over several rounds; the
 * samples of all rounds are pooled, leaving out each run's first second
 * (the first IDR and the rate control settling).
 *
 * Printed per size: access-unit sizes (p50/p99/max), the time the largest
 * takes on a link as fast as the stream's bitrate, round trips (FRAME_SHM
 * sent -> FRAME_RESPONSE read: hostencd's conversion and encode plus the
 * wait for a CPU) p50/p99/max, and the requested IDR's size and round trip.
 *
 * usage: bench-tail HOSTENCD [--seconds S] [--rounds R] [--fps N]
 *        [--sizes WxH,...] [--scenes static,text,motion] [--modes NAME,...]
 *        [--join-at S]
 */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au-quality.h"
#include "clip.h"
#include "hostencd-run.h"
#include "sim-guest.h"
#include "stats.h"

#define WARMUP_S 1.0
#define CLIP_FRAMES 60 /* a 2 s loop at 30 fps */

struct mode {
	const char *name, *what;
	const char *opts[3];
};

static const struct mode modes[] = {
	{ "idr", "an IDR every 10 s (--gop=300, the default before) and on request", { "--gop=300", NULL } },
	{ "ir", "intra refresh (a wave every 10 s), IDRs on request", { "--intra-refresh", NULL } },
	{ "vbv1", "idr with a one-frame VBV", { "--gop=300", "--vbv-frames=1", NULL } },
	{ "ir+vbv1", "intra refresh and a one-frame VBV", { "--intra-refresh", "--vbv-frames=1", NULL } },
	{ "ir60", "intra refresh, one wave a minute", { "--intra-refresh", "--gop=1800", NULL } },
	{ "request", "the default: IDRs on request only, no periodic IDR, no refresh", { NULL } },
	{ "idr@normal", "idr with the encode threads at normal priority (as before)",
	  { "--gop=300", "--encode-priority=normal", NULL } },
	{ "idr@realtime", "idr with the encode threads at SCHED_RR 1",
	  { "--gop=300", "--encode-priority=realtime", NULL } },
};

struct opts {
	const char *bin;
	double seconds, join_at;
	uint32_t rounds, fps;
	GArray *sizes;  /* uint32_t w, h pairs */
	GArray *scenes; /* enum bench_scene */
	GArray *modes;  /* const struct mode * */
};

/* The samples of one (size, scene, mode) over all rounds. */
struct cell {
	GArray *rt, *bytes;          /* double, frames after the warm-up */
	GArray *idr_bytes, *idr_rt;  /* the requested IDR of each round */
	GArray *psnr, *idr_psnr;     /* luma PSNR, dB */
	GArray *recovery_ms;         /* asked IDR until the PSNR is back */
	uint32_t sent, skipped, dropped, failed_runs, runs;
};

static const struct mode *find_mode(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++)
		if (strcmp(modes[i].name, name) == 0)
			return &modes[i];
	return NULL;
}

static void usage(const char *why)
{
	fprintf(stderr, "bench-tail: %s\n"
		"usage: bench-tail HOSTENCD [--seconds S] [--rounds R] [--fps N] [--sizes WxH,...]\n"
		"       [--scenes %s] [--modes NAME,...] [--join-at S]\n"
		"modes:", why, BENCH_SCENE_NAMES);
	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++)
		fprintf(stderr, " %s", modes[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

static void parse_list(const char *arg, const char *what, struct opts *o)
{
	g_auto(GStrv) items = g_strsplit(arg, ",", -1);

	for (char **it = items; *it; it++) {
		if (strcmp(what, "sizes") == 0) {
			uint32_t wh[2];

			if (sscanf(*it, "%ux%u", &wh[0], &wh[1]) != 2 || wh[0] < 64 || wh[1] < 64 ||
			    wh[0] > 4096 || wh[1] > 4096)
				usage("--sizes: expected WxH, 64..4096 each, e.g. 1920x1080");
			g_array_append_vals(o->sizes, wh, 2);
		} else if (strcmp(what, "scenes") == 0) {
			int s = bench_scene_from_name(*it);

			if (s < 0)
				usage("--scenes: unknown scene");
			g_array_append_val(o->scenes, s);
		} else {
			const struct mode *m = find_mode(*it);

			if (!m)
				usage("--modes: unknown mode");
			g_array_append_val(o->modes, m);
		}
	}
}

static double number(const char *v, double lo, double hi, const char *opt)
{
	char *end;
	double d = v ? strtod(v, &end) : NAN;

	if (!v || *end || !(d >= lo && d <= hi)) {
		g_autofree char *why = g_strdup_printf("%s: expected a number %g..%g", opt, lo, hi);

		usage(why);
	}
	return d;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .seconds = 6, .join_at = 3, .rounds = 3, .fps = 30 };
	o->sizes = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	o->scenes = g_array_new(FALSE, FALSE, sizeof(int));
	o->modes = g_array_new(FALSE, FALSE, sizeof(const struct mode *));
	if (argc < 2 || argv[1][0] == '-')
		usage("give the path of hostencd first");
	o->bin = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--seconds") == 0)
			o->seconds = number(v, 2, 600, a);
		else if (strcmp(a, "--join-at") == 0)
			o->join_at = number(v, 0, 600, a);
		else if (strcmp(a, "--rounds") == 0)
			o->rounds = (uint32_t)number(v, 1, 100, a);
		else if (strcmp(a, "--fps") == 0)
			o->fps = (uint32_t)number(v, 1, 240, a);
		else if (!v && (strcmp(a, "--sizes") == 0 || strcmp(a, "--scenes") == 0 ||
				strcmp(a, "--modes") == 0))
			usage("a list is missing");
		else if (strcmp(a, "--sizes") == 0 || strcmp(a, "--scenes") == 0 ||
			 strcmp(a, "--modes") == 0)
			parse_list(v, a + 2, o);
		else
			usage("unknown argument");
		i++;
	}
	if (o->join_at <= WARMUP_S || o->join_at >= o->seconds - 0.5)
		usage("--join-at must lie after the first second and before the end");
	if (!o->sizes->len)
		parse_list("1280x720,1920x1080", "sizes", o);
	if (!o->scenes->len)
		parse_list("static,text,motion", "scenes", o);
	if (!o->modes->len)
		parse_list("idr,ir,vbv1,ir+vbv1", "modes", o);
}

/* ---- one run --------------------------------------------------------------- */

static void add(GArray *a, double v)
{
	g_array_append_val(a, v);
}

/* The run's frames after the warm-up into @p cell; every frame decoded
 * (from the first) and compared with its source. */
static void collect(const struct sim_source *src, const struct sim_guest_result *r,
		    struct cell *cell)
{
	struct au_quality *aq = au_quality_new(src->clip->w, src->clip->h);
	double *psnrs = g_new(double, r->n), *sorted = g_new(double, r->n), typical;
	uint32_t ns = 0;

	for (uint32_t k = 0; k < r->n; k++) {
		const struct sim_frame *f = &r->frames[k];
		bool measured = f->due_s >= WARMUP_S;
		double psnr = NAN;

		if (f->au && aq)
			psnr = au_quality_next(aq, f->au, f->bytes, bench_clip_frame(src->clip, f->clip_frame),
					       src->clip->stride);
		psnrs[k] = NAN;
		if (!measured)
			continue;
		cell->skipped += f->skipped;
		if (!f->sent)
			continue;
		cell->sent++;
		cell->dropped += f->dropped;
		if (f->dropped || f->rt_ms < 0)
			continue;
		add(cell->rt, f->rt_ms);
		add(cell->bytes, f->bytes);
		psnrs[k] = psnr;
		if (!isnan(psnr)) {
			add(cell->psnr, psnr);
			sorted[ns++] = psnr;
		}
		if ((int)k == r->key_after_req) {
			add(cell->idr_bytes, f->bytes);
			add(cell->idr_rt, f->rt_ms);
			add(cell->idr_psnr, psnr);
		}
	}
	au_quality_free(aq);
	/* Recovery: from the asked IDR until a picture is within 3 dB of
	 * the run's median again. */
	typical = bench_quantile(sorted, ns, 0.5);
	for (uint32_t k = r->key_after_req >= 0 ? (uint32_t)r->key_after_req : r->n; k < r->n; k++)
		if (!isnan(psnrs[k]) && psnrs[k] >= typical - 3) {
			add(cell->recovery_ms, (r->frames[k].due_s - r->frames[r->key_after_req].due_s) * 1e3);
			break;
		}
	g_free(psnrs);
	g_free(sorted);
}

static void run_one(const struct opts *o, const struct sim_source *src, const struct mode *m,
		    struct cell *cell)
{
	struct bench_hostencd_config hc = {
		.bin = o->bin,
		.region_size = sim_ring_size(src->clip->w, src->clip->h),
		.extra = m->opts,
	};
	struct bench_hostencd *h = bench_hostencd_start(&hc);
	struct sim_guest_config gc = { .host = h, .src = src, .name = "bench", .fps = o->fps,
				       .window = 2, .seconds = o->seconds,
				       .keyframe_req_at = o->join_at, .keep_aus = true };
	struct sim_guest_result r;

	cell->runs++;
	if (!h || sim_guest_run(&gc, &r) < 0) {
		cell->failed_runs++;
		if (h)
			sim_guest_result_clear(&r);
		bench_hostencd_stop(h);
		return;
	}
	bench_hostencd_stop(h);
	collect(src, &r, cell);
	sim_guest_result_clear(&r);
}

/* ---- tables ---------------------------------------------------------------- */

static double q(GArray *a, double p)
{
	return bench_quantile((double *)(void *)a->data, a->len, p);
}

static double median(GArray *a)
{
	return a->len ? bench_spread_of((double *)(void *)a->data, a->len).median : NAN;
}

static double mean(GArray *a)
{
	double sum = 0;

	for (guint i = 0; i < a->len; i++)
		sum += g_array_index(a, double, i);
	return a->len ? sum / a->len : NAN;
}

/* "33 B", "12.3 kB": static frames are a few dozen bytes, IDRs hundreds of kB. */
static const char *size_text(char *buf, size_t n, double bytes)
{
	if (bytes < 1000)
		g_snprintf(buf, n, "%.0f B", bytes);
	else
		g_snprintf(buf, n, "%.1f kB", bytes / 1000);
	return buf;
}

static void print_row(const struct opts *o, uint32_t w, uint32_t h, enum bench_scene s,
		      const struct mode *m, struct cell *c)
{
	double bitrate = (double)w * h * 4; /* hostencd's default for the size */
	double maxb = q(c->bytes, 1.0);
	char b50[16], b99[16], bmax[16], bidr[16];

	printf("| %s | %s | %u | %s / %s / %s | %.0f | %.1f / %.1f / %.1f | %s / %.1f / %.1f |"
	       " %.0f | %.1f / %.1f | %u | %u |\n",
	       bench_scene_name(s), m->name, c->bytes->len, size_text(b50, 16, q(c->bytes, 0.5)),
	       size_text(b99, 16, q(c->bytes, 0.99)), size_text(bmax, 16, maxb),
	       maxb * 8 / bitrate * 1000, q(c->rt, 0.5), q(c->rt, 0.99), q(c->rt, 1.0),
	       size_text(bidr, 16, median(c->idr_bytes)), median(c->idr_rt),
	       median(c->idr_psnr), median(c->recovery_ms), mean(c->psnr), q(c->psnr, 0.0),
	       c->skipped + c->dropped,
	       c->failed_runs);
	(void)o;
}

static void print_table(const struct opts *o, uint32_t w, uint32_t h, struct cell *cells)
{
	printf("\n### %ux%u at %u fps: %u rounds of %.0f s per scene and mode, IDR asked at %.0f s\n\n",
	       w, h, o->fps, o->rounds, o->seconds, o->join_at);
	printf("| scene | mode | frames | AU size p50 / p99 / max | largest AU at the bitrate, ms"
	       " | round trip ms p50 / p99 / max | asked IDR: size / ms / dB | PSNR back after, ms"
	       " | PSNR Y dB mean / min | frames skipped or dropped | failed runs |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (guint si = 0; si < o->scenes->len; si++)
		for (guint mi = 0; mi < o->modes->len; mi++)
			print_row(o, w, h, g_array_index(o->scenes, int, si),
				  g_array_index(o->modes, const struct mode *, mi),
				  &cells[si * o->modes->len + mi]);
}

static void run_size(const struct opts *o, uint32_t w, uint32_t h)
{
	guint nm = o->modes->len, ns = o->scenes->len;
	struct cell *cells = g_new0(struct cell, (gsize)nm * ns);

	for (guint i = 0; i < nm * ns; i++) {
		cells[i].rt = g_array_new(FALSE, FALSE, sizeof(double));
		cells[i].bytes = g_array_new(FALSE, FALSE, sizeof(double));
		cells[i].idr_bytes = g_array_new(FALSE, FALSE, sizeof(double));
		cells[i].idr_rt = g_array_new(FALSE, FALSE, sizeof(double));
		cells[i].psnr = g_array_new(FALSE, FALSE, sizeof(double));
		cells[i].idr_psnr = g_array_new(FALSE, FALSE, sizeof(double));
		cells[i].recovery_ms = g_array_new(FALSE, FALSE, sizeof(double));
	}
	for (guint si = 0; si < ns; si++) {
		enum bench_scene s = g_array_index(o->scenes, int, si);
		struct bench_clip clip;
		struct sim_source src;

		if (bench_clip_make(&clip, s, w, h, CLIP_FRAMES, o->fps) < 0 ||
		    sim_source_init(&src, &clip) < 0) {
			fprintf(stderr, "bench-tail: cannot draw the %s scene\n", bench_scene_name(s));
			exit(1);
		}
		for (uint32_t r = 0; r < o->rounds; r++)
			for (guint mi = 0; mi < nm; mi++) {
				const struct mode *m = g_array_index(o->modes, const struct mode *, mi);

				fprintf(stderr, "bench-tail: %ux%u %s %s, round %u/%u\n", w, h,
					bench_scene_name(s), m->name, r + 1, o->rounds);
				run_one(o, &src, m, &cells[si * nm + mi]);
			}
		sim_source_clear(&src);
		bench_clip_free(&clip);
	}
	print_table(o, w, h, cells);
	for (guint i = 0; i < nm * ns; i++) {
		g_array_unref(cells[i].rt);
		g_array_unref(cells[i].bytes);
		g_array_unref(cells[i].idr_bytes);
		g_array_unref(cells[i].idr_rt);
		g_array_unref(cells[i].psnr);
		g_array_unref(cells[i].idr_psnr);
		g_array_unref(cells[i].recovery_ms);
	}
	g_free(cells);
}

int main(int argc, char **argv)
{
	struct opts o;
	double load0 = bench_loadavg(), t0 = bench_now();

	parse(argc, argv, &o);
	printf("Modes:\n\n");
	for (guint i = 0; i < o.modes->len; i++) {
		const struct mode *m = g_array_index(o.modes, const struct mode *, i);
		g_autofree char *opts = g_strjoinv(" ", (char **)m->opts);

		printf("- **%s**: %s (%s)\n", m->name, m->what, *opts ? opts : "no options");
	}
	for (guint i = 0; i < o.sizes->len; i += 2)
		run_size(&o, g_array_index(o.sizes, uint32_t, i), g_array_index(o.sizes, uint32_t, i + 1));
	printf("\nLoad average (1 min) at the start %.2f, at the end %.2f; %.0f s in all.\n", load0,
	       bench_loadavg(), bench_now() - t0);
	g_array_unref(o.sizes);
	g_array_unref(o.scenes);
	g_array_unref(o.modes);
	return 0;
}
