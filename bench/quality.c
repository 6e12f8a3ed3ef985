/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-quality (not a test): quality per bit of libx264 with hostencd's
 * settings, per benchmark scene (scenes.h), preset and bitrate: PSNR and
 * SSIM of the decoded stream against the encoder's input (libavfilter's
 * psnr and ssim filters), bytes per frame, and the encode's CPU time per
 * frame on one thread. Settings run interleaved, round after round; the
 * pictures are compared in the first round (the encodes are
 * deterministic). Optionally writes a PNG grid of small-text crops.
 *
 * usage: bench-quality [--frames N] [--rounds N] [--sizes WxH,...]
 *                      [--scenes NAME,...] [--presets P,...]
 *                      [--rates MBPS,...] [--png PATH]
 */
#include <glib.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quality.h"
#include "stats.h"

#define MAX_PRESETS 6
#define MAX_RATES   8
#define MAX_ROUNDS  16
#define CROP_W      128u
#define CROP_H      40u
#define ZOOM        2u

struct options {
	int frames, rounds, fps, gop;
	char *sizes, *scenes, *presets, *rates, *png, *x264_params;
};

struct plan {
	uint32_t w[4], h[4];
	int n_sizes, n_scenes, n_presets, n_rates;
	enum bench_scene scene[BENCH_SCENE_COUNT];
	char *preset[MAX_PRESETS];
	double mbps[MAX_RATES];
};

/* Every result of one size: [scene][preset][rate][round]. */
struct table {
	uint32_t w, h;
	struct q_result r[BENCH_SCENE_COUNT][MAX_PRESETS][MAX_RATES][MAX_ROUNDS];
};

/* The comma-separated values of @s (g_strfreev()), or NULL after a message. */
static char **parse_list(const char *opt, const char *s, int max, int *n)
{
	char **parts = g_strsplit(s, ",", -1);

	*n = (int)g_strv_length(parts);
	for (int i = 0; i < *n; i++) {
		if (*n > max || !*parts[i]) {
			fprintf(stderr, "%s: 1 to %d comma-separated values, none empty\n", opt, max);
			g_strfreev(parts);
			return NULL;
		}
	}
	return parts;
}

static int plan_sizes(const struct options *o, struct plan *p)
{
	int n;
	g_auto(GStrv) v = parse_list("--sizes", o->sizes, 4, &n);

	for (int i = 0; v && i < n; i++) {
		unsigned w, h;
		char end;

		if (sscanf(v[i], "%ux%u%c", &w, &h, &end) != 2 || w < 2 * CROP_W || h < 4 * CROP_H ||
		    w > 4096 || h > 4096 || w % 2 || h % 2) {
			fprintf(stderr, "--sizes: '%s' is not an even WxH from 256x160 to 4096x4096\n",
				v[i]);
			return -1;
		}
		p->w[p->n_sizes] = w;
		p->h[p->n_sizes++] = h;
	}
	return v ? 0 : -1;
}

static int plan_scenes(const struct options *o, struct plan *p)
{
	int n;
	g_auto(GStrv) v = parse_list("--scenes", o->scenes, BENCH_SCENE_COUNT, &n);

	for (int i = 0; v && i < n; i++) {
		int sc = bench_scene_from_name(v[i]);

		if (sc < 0) {
			fprintf(stderr, "--scenes: unknown scene '%s' (scenes: %s)\n", v[i],
				BENCH_SCENE_NAMES);
			return -1;
		}
		p->scene[p->n_scenes++] = (enum bench_scene)sc;
	}
	return v ? 0 : -1;
}

static int plan_rates(const struct options *o, struct plan *p)
{
	int n;
	g_auto(GStrv) v = parse_list("--rates", o->rates, MAX_RATES, &n);

	for (int i = 0; v && i < n; i++) {
		char *end;
		double mbps = strtod(v[i], &end);

		if (*end || !(mbps >= 0.1 && mbps <= 80)) {
			fprintf(stderr, "--rates: '%s' is not a bitrate in Mb/s from 0.1 to 80\n",
				v[i]);
			return -1;
		}
		p->mbps[p->n_rates++] = mbps;
	}
	return v ? 0 : -1;
}

static int plan_presets(const struct options *o, struct plan *p)
{
	int n;
	g_auto(GStrv) v = parse_list("--presets", o->presets, MAX_PRESETS, &n);

	for (int i = 0; v && i < n; i++)
		p->preset[p->n_presets++] = g_strdup(v[i]);
	return v ? 0 : -1;
}

static int make_plan(const struct options *o, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	if (plan_sizes(o, p) < 0 || plan_scenes(o, p) < 0 || plan_rates(o, p) < 0 ||
	    plan_presets(o, p) < 0)
		return -1;
	return 0;
}

/* Where small text is in a 1:1 crop of the scene (see scene-static.c and
 * scene-text.c for the layout). */
static void crop_origin(enum bench_scene s, uint32_t w, uint32_t h, uint32_t *x, uint32_t *y)
{
	if (s == BENCH_SCENE_TEXT) { /* the terminal's first lines, from the level on */
		*x = w * 4 / 100 + 1 + 100;
		*y = 20 + h * 3 / 100 + 1 + 18 + 2;
	} else { /* the editor's first lines */
		*x = w * 8 / 100 + 1 + 4;
		*y = h * 8 / 100 + 1 + 18 + 3;
	}
}

static void print_header(const struct plan *p, const struct options *o, uint32_t w, uint32_t h)
{
	printf("\n### %ux%u @ %d fps: %d frames per encode, quality over frames %d..%d, "
	       "median [min–max] of %d rounds\n\n", w, h, o->fps, o->frames, o->frames / 2,
	       o->frames - 1, o->rounds);
	printf("| scene | preset | Mb/s | bytes/frame | PSNR-Y dB | PSNR-YUV dB | SSIM | "
	       "encode ms/frame (1 thread, CPU) | p95 ms |\n");
	printf("|---|---|---|---|---|---|---|---|---|\n");
}

static double med(const struct q_result *runs, int rounds, size_t off)
{
	double v[MAX_ROUNDS];

	for (int r = 0; r < rounds; r++)
		memcpy(&v[r], (const char *)&runs[r] + off, sizeof(double));
	return bench_spread_of(v, (size_t)rounds).median;
}

#define MED(runs, f) med(runs, o->rounds, offsetof(struct q_result, f))

static void print_table(const struct plan *p, const struct options *o, const struct table *t,
			uint32_t w, uint32_t h)
{
	print_header(p, o, w, h);
	for (int s = 0; s < p->n_scenes; s++) {
		for (int k = 0; k < p->n_presets; k++) {
			for (int b = 0; b < p->n_rates; b++) {
				const struct q_result *q = t->r[s][k][b];
				double cpu[MAX_ROUNDS];
				struct bench_spread sp;

				for (int r = 0; r < o->rounds; r++)
					cpu[r] = q[r].cpu_ms;
				sp = bench_spread_of(cpu, (size_t)o->rounds);
				printf("| %s | %s | %g | %.0f | %.2f | %.2f | %.4f | %.1f [%.1f–%.1f] | "
				       "%.1f |\n", bench_scene_name(p->scene[s]), p->preset[k],
				       p->mbps[b], q[0].bytes, q[0].psnr_y, q[0].psnr_avg, q[0].ssim,
				       sp.median, sp.min, sp.max, MED(q, cpu_p95_ms));
			}
		}
	}
}

/* Largest shortfall of setting (k, b) against the best fitting setting of
 * any preset and bitrate, over the scenes; INFINITY when it does not fit. */
static double worst_gap(const struct plan *p, const struct options *o, const struct table *t,
			int k, int b)
{
	double gap = 0, interval = 1000.0 / o->fps;

	for (int s = 0; s < p->n_scenes; s++) {
		double best = -INFINITY;

		if (MED(t->r[s][k][b], cpu_ms) > interval)
			return INFINITY;
		for (int j = 0; j < p->n_presets; j++) {
			for (int c = 0; c < p->n_rates; c++) {
				if (MED(t->r[s][j][c], cpu_ms) <= interval)
					best = fmax(best, t->r[s][j][c][0].psnr_y);
			}
		}
		gap = fmax(gap, best - t->r[s][k][b][0].psnr_y);
	}
	return gap;
}

/* Over every preset and bitrate: the cheapest setting (lowest bitrate, then
 * fastest preset) within 0.5 dB PSNR-Y of the best fitting one on every
 * scene, or else the closest one. */
static void print_cheapest(const struct plan *p, const struct options *o, const struct table *t)
{
	int bk = -1, bb = -1, ck = -1, cb = -1;
	double cgap = INFINITY;

	for (int b = 0; b < p->n_rates; b++) {
		for (int k = 0; k < p->n_presets; k++) {
			double g = worst_gap(p, o, t, k, b);

			if (g <= 0.5 && (bk < 0 || p->mbps[b] < p->mbps[bb] ||
					 (p->mbps[b] == p->mbps[bb] && k < bk))) {
				bk = k;
				bb = b;
			}
			if (g < cgap) {
				cgap = g;
				ck = k;
				cb = b;
			}
		}
	}
	if (bk >= 0)
		printf("\nCheapest setting within 0.5 dB PSNR-Y of the best fitting one on every "
		       "scene: %s at %g Mb/s (%.2f bits per pixel per second; gap %.2f dB)\n",
		       p->preset[bk], p->mbps[bb],
		       p->mbps[bb] * 1e6 / ((double)t->w * t->h),
		       worst_gap(p, o, t, bk, bb));
	else if (ck >= 0)
		printf("\nNo setting is within 0.5 dB PSNR-Y of the best fitting one on every "
		       "scene; closest: %s at %g Mb/s (%.2f bits per pixel per second; gap "
		       "%.2f dB)\n", p->preset[ck], p->mbps[cb],
		       p->mbps[cb] * 1e6 / ((double)t->w * t->h), cgap);
}

/* The rule: among presets whose encode fits one frame interval on one core
 * (mean CPU per frame, worst scene), the fastest one within 0.5 dB PSNR-Y
 * of the best fitting one on every scene; when none is, the one with the
 * smallest worst-scene gap. Presets are listed fastest first. */
static void print_pick(const struct plan *p, const struct options *o, const struct table *t)
{
	double interval = 1000.0 / o->fps;

	printf("\nPick per bitrate: of the presets whose mean encode CPU per frame is <= %.1f ms "
	       "on every scene, the fastest within 0.5 dB PSNR-Y of the best of them on every "
	       "scene (gap: its largest shortfall):\n\n", interval);
	for (int b = 0; b < p->n_rates; b++) {
		double gap[MAX_PRESETS];
		bool fits[MAX_PRESETS];
		int pick = -1, closest = -1;

		for (int k = 0; k < p->n_presets; k++) {
			fits[k] = true;
			for (int s = 0; s < p->n_scenes; s++)
				fits[k] &= MED(t->r[s][k][b], cpu_ms) <= interval;
		}
		for (int k = 0; k < p->n_presets; k++) {
			gap[k] = 0;
			for (int s = 0; s < p->n_scenes && fits[k]; s++) {
				double best = -INFINITY;

				for (int j = 0; j < p->n_presets; j++) {
					if (fits[j])
						best = fmax(best, t->r[s][j][b][0].psnr_y);
				}
				gap[k] = fmax(gap[k], best - t->r[s][k][b][0].psnr_y);
			}
			if (fits[k] && gap[k] <= 0.5 && pick < 0)
				pick = k;
			if (fits[k] && (closest < 0 || gap[k] < gap[closest]))
				closest = k;
		}
		if (pick >= 0)
			printf("- %g Mb/s: %s (gap %.2f dB)\n", p->mbps[b], p->preset[pick],
			       gap[pick]);
		else if (closest >= 0)
			printf("- %g Mb/s: none within 0.5 dB on every scene; closest: %s (gap %.2f dB)\n",
			       p->mbps[b], p->preset[closest], gap[closest]);
		else
			printf("- %g Mb/s: no preset fits one frame interval\n", p->mbps[b]);
	}
	print_cheapest(p, o, t);
}

/* Rows of the picture grid: the text scenes only (static, text), one row
 * per preset. Returns the scene's first row, or -1. */
static int grid_row(const struct plan *p, int s)
{
	int row = 0;

	if (p->scene[s] == BENCH_SCENE_MOTION)
		return -1;
	for (int i = 0; i < s; i++)
		row += p->scene[i] == BENCH_SCENE_MOTION ? 0 : p->n_presets;
	return row;
}

/* One scene at one size: every setting, round after round. */
static int run_scene(const struct plan *p, const struct options *o, int s, uint32_t w,
		     uint32_t h, struct table *t, struct q_grid *grid)
{
	struct bench_clip c;
	struct q_source src;
	uint32_t cx, cy;
	int rc = 0;

	if (bench_clip_make(&c, p->scene[s], w, h, (uint32_t)o->frames, (uint32_t)o->fps) < 0) {
		fprintf(stderr, "out of memory for the clip\n");
		return -1;
	}
	crop_origin(p->scene[s], w, h, &cx, &cy);
	if (grid_row(p, s) < 0)
		grid = NULL;
	for (int k = 0; grid && k < p->n_presets; k++)
		q_grid_put_bgrx(grid, 0, (uint32_t)(grid_row(p, s) + k), c.frames[c.n - 1],
				c.stride, cx, cy);
	rc = q_source_make(&src, &c);
	bench_clip_free(&c);
	for (int r = 0; r < o->rounds && rc == 0; r++) {
		fprintf(stderr, "bench-quality: %ux%u %s, round %d of %d\n", w, h,
			bench_scene_name(p->scene[s]), r + 1, o->rounds);
		for (int k = 0; k < p->n_presets && rc == 0; k++) {
			for (int b = 0; b < p->n_rates && rc == 0; b++) {
				struct q_setting set = { p->preset[k],
							 (uint32_t)(p->mbps[b] * 1e6),
							 (uint32_t)o->gop, o->x264_params };
				AVFrame *last = NULL;
				char *settings = NULL;

				rc = q_encode(&src, &set, (uint32_t)o->fps,
					      r == 0 ? (uint32_t)o->frames / 2 : src.n,
					      &t->r[s][k][b][r], r == 0 && grid ? &last : NULL,
					      r == 0 ? &settings : NULL);
				if (settings && s == 0 && b == 0)
					printf("libx264 settings (%s, from the stream): %s\n",
					       p->preset[k], settings);
				g_free(settings);
				if (rc == 0 && last)
					q_grid_put_i420(grid, (uint32_t)b + 1,
							(uint32_t)(grid_row(p, s) + k), last, cx, cy);
				av_frame_free(&last);
			}
		}
	}
	q_source_free(&src);
	return rc;
}

static struct q_grid *make_grid(const struct plan *p)
{
	struct q_grid *g;
	int rows = 0;

	for (int s = 0; s < p->n_scenes; s++)
		rows += p->scene[s] == BENCH_SCENE_MOTION ? 0 : p->n_presets;
	if (rows == 0)
		return NULL;
	g = q_grid_new((uint32_t)p->n_rates + 1, (uint32_t)rows, CROP_W, CROP_H, ZOOM, 16);
	q_grid_label_col(g, 0, "source");
	for (int b = 0; b < p->n_rates; b++) {
		char l[32];

		snprintf(l, sizeof(l), "%g Mbit/s", p->mbps[b]);
		q_grid_label_col(g, (uint32_t)b + 1, l);
	}
	for (int s = 0; s < p->n_scenes; s++) {
		for (int k = 0; k < p->n_presets && grid_row(p, s) >= 0; k++) {
			char l[64];

			snprintf(l, sizeof(l), "%s %s", bench_scene_name(p->scene[s]), p->preset[k]);
			q_grid_label_row(g, (uint32_t)(grid_row(p, s) + k), l);
		}
	}
	return g;
}

static int run(const struct plan *p, const struct options *o)
{
	struct table *t = g_new0(struct table, 1);
	int rc = 0;

	for (int z = 0; z < p->n_sizes && rc == 0; z++) {
		/* The picture grid comes from the first size. */
		struct q_grid *grid = z == 0 && o->png ? make_grid(p) : NULL;

		t->w = p->w[z];
		t->h = p->h[z];
		for (int s = 0; s < p->n_scenes && rc == 0; s++)
			rc = run_scene(p, o, s, p->w[z], p->h[z], t, grid);
		if (rc == 0) {
			print_table(p, o, t, p->w[z], p->h[z]);
			print_pick(p, o, t);
			fflush(stdout);
		}
		if (rc == 0 && grid) {
			rc = q_grid_write_png(grid, o->png);
			if (rc == 0)
				printf("\nText crops (%ux%u, %ux%u at %ux, last frame): %s\n", p->w[z],
				       p->h[z], CROP_W, CROP_H, ZOOM, o->png);
		}
		q_grid_free(grid);
	}
	g_free(t);
	return rc;
}

/* GOption replaces a default string without freeing it. */
static void free_replaced(const struct options *o, const struct options *d)
{
	char *const now[] = { o->sizes, o->scenes, o->presets, o->rates, o->x264_params };
	char *const def[] = { d->sizes, d->scenes, d->presets, d->rates, d->x264_params };

	for (size_t i = 0; i < G_N_ELEMENTS(now); i++) {
		if (now[i] != def[i])
			g_free(def[i]);
	}
}

int main(int argc, char **argv)
{
	struct options o = { .frames = 60, .rounds = 3, .fps = 30, .gop = 300,
			     .sizes = g_strdup("1920x1080,1280x720"),
			     .scenes = g_strdup("static,text,motion"),
			     .presets = g_strdup("ultrafast,superfast,veryfast"),
			     .rates = g_strdup("1,2,4,8"), .x264_params = g_strdup(Q_X264_PARAMS) };
	GOptionEntry entries[] = {
		{ "frames", 0, 0, G_OPTION_ARG_INT, &o.frames, "frames per encode (60)", "N" },
		{ "rounds", 0, 0, G_OPTION_ARG_INT, &o.rounds, "interleaved rounds (3)", "N" },
		{ "sizes", 0, 0, G_OPTION_ARG_STRING, &o.sizes, "sizes (1920x1080,1280x720)",
		  "WxH,..." },
		{ "scenes", 0, 0, G_OPTION_ARG_STRING, &o.scenes,
		  "scenes (" BENCH_SCENE_NAMES ")", "NAME,..." },
		{ "presets", 0, 0, G_OPTION_ARG_STRING, &o.presets,
		  "x264 presets, fastest first (ultrafast,superfast,veryfast)", "P,..." },
		{ "rates", 0, 0, G_OPTION_ARG_STRING, &o.rates, "bitrates in Mb/s (1,2,4,8)",
		  "MBPS,..." },
		{ "png", 0, 0, G_OPTION_ARG_FILENAME, &o.png,
		  "write text crops of the first size here", "PATH" },
		{ "x264-params", 0, 0, G_OPTION_ARG_STRING, &o.x264_params,
		  "libx264 options besides preset, tune, profile, rate (" Q_X264_PARAMS ")",
		  "K=V:..." },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("");
	GError *err = NULL;
	struct options defaults = o;
	struct plan p = { 0 };
	bool parsed;
	int rc = 2;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, "libx264 quality per bit and encode time on the "
				     "benchmark scenes");
	parsed = g_option_context_parse(ctx, &argc, &argv, &err);
	free_replaced(&o, &defaults);
	if (!parsed || argc != 1) {
		fprintf(stderr, "%s\nusage: %s [OPTION...] (--help for the options)\n",
			err ? err->message : "no arguments besides options", argv[0]);
		g_clear_error(&err);
		goto done;
	}
	if (o.frames < 4 || o.frames > 1000 || o.rounds < 1 || o.rounds > MAX_ROUNDS) {
		fprintf(stderr, "--frames must be 4..1000, --rounds 1..%d\n", MAX_ROUNDS);
		goto done;
	}
	if (make_plan(&o, &p) < 0)
		goto done;
	av_log_set_level(AV_LOG_ERROR);
	printf("## bench-quality: libx264 (hostencd's settings, one thread), %d frames per "
	       "encode, %d rounds, x264-params %s\n", o.frames, o.rounds, o.x264_params);
	rc = run(&p, &o) < 0 ? 1 : 0;
done:
	for (int k = 0; k < p.n_presets; k++)
		g_free(p.preset[k]);
	g_free(o.sizes);
	g_free(o.scenes);
	g_free(o.presets);
	g_free(o.rates);
	g_free(o.png);
	g_free(o.x264_params);
	return rc;
}
