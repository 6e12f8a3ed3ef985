/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-peers (not a test): hostencd's encode path against what a user
 * would reach for instead, on the benchmark scenes (scenes.h), with the
 * same libx264 settings everywhere:
 *   - hostencd over HXFR with the shared-memory ring, 1 and 2 in flight,
 *   - the ffmpeg CLI and gst-launch-1.0 (videoconvert ! x264enc), raw BGRx
 *     on stdin, their start-up measured and subtracted,
 *   - libswscale + libavcodec in-process, one thread.
 * Rows run interleaved (A B C D, A B C D, ...) for several rounds; cells
 * are median [min–max] over the rounds.
 *
 * usage: bench-peers HOSTENCD [--frames N] [--rounds N] [--clip N]
 *                    [--sizes WxH,...] [--scenes NAME,...]
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "peers.h"
#include "stats.h"

enum row { ROW_HE_LAT, ROW_HE_THR, ROW_FFMPEG, ROW_GST, ROW_LIBAV, ROWS };

static const char *const row_name[ROWS] = {
	[ROW_HE_LAT] = "hostencd, ring, 1 in flight",
	[ROW_HE_THR] = "hostencd, ring, 2 in flight",
	[ROW_FFMPEG] = "ffmpeg CLI (start-up subtracted)",
	[ROW_GST] = "gst-launch videoconvert ! x264enc (start-up subtracted)",
	[ROW_LIBAV] = "libswscale + libavcodec in-process",
};

struct options {
	const char *hostencd;
	int frames, rounds, clip, fps;
	char *sizes, *scenes;
};

struct size {
	uint32_t w, h;
};

/* All rounds of one scene at one size. */
struct scene_runs {
	struct peer_run run[ROWS][64];
	int rounds;
};

static void load(char *out, size_t n)
{
	g_autofree char *s = NULL;

	if (!g_file_get_contents("/proc/loadavg", &s, NULL, NULL)) {
		g_strlcpy(out, "?", n);
		return;
	}
	g_strlcpy(out, s, n);
	for (int i = 0, spaces = 0; out[i]; i++) { /* keep "1m 5m 15m" */
		if (out[i] == ' ' && ++spaces == 3)
			out[i] = '\0';
	}
}

static int one_round(struct peer_config *cfg, const struct bench_clip *c,
		     struct scene_runs *sr)
{
	int r = sr->rounds;

	if (peer_hostencd(cfg, c, &sr->run[ROW_HE_LAT][r], &sr->run[ROW_HE_THR][r]) < 0)
		return -1;
	/* The peers copy what hostencd's stream says it did. */
	g_free(cfg->x264_params);
	cfg->x264_params = peer_x264_params(sr->run[ROW_HE_LAT][r].x264);
	if (peer_ffmpeg(cfg, c, &sr->run[ROW_FFMPEG][r]) < 0 ||
	    peer_gst(cfg, c, &sr->run[ROW_GST][r]) < 0 ||
	    peer_libav(cfg, c, &sr->run[ROW_LIBAV][r]) < 0)
		return -1;
	sr->rounds++;
	return 0;
}

/* One field of struct peer_run (by offset) over the rounds. */
static struct bench_spread spread(const struct scene_runs *sr, int row, size_t off)
{
	double v[64];

	for (int r = 0; r < sr->rounds; r++)
		memcpy(&v[r], (const char *)&sr->run[row][r] + off, sizeof(double));
	return bench_spread_of(v, (size_t)sr->rounds);
}

#define FIELD(row, f) spread(sr, row, offsetof(struct peer_run, f))
#define FIELD2(runs, row, f) spread(runs, row, offsetof(struct peer_run, f)).median

static void cell(char *buf, size_t n, struct bench_spread s, int decimals)
{
	if (s.n == 0)
		g_strlcpy(buf, "-", n);
	else
		snprintf(buf, n, "%.*f [%.*f–%.*f]", decimals, s.median, decimals, s.min, decimals,
			 s.max);
}

static void print_rows(const char *scene, const struct scene_runs *sr)
{
	for (int row = 0; row < ROWS; row++) {
		char fps[48], p50[48], p99[48], start[48], bytes[32] = "-", drop[48], cpu[48];
		struct bench_spread b = FIELD(row, bytes);

		cell(fps, sizeof(fps), FIELD(row, fps), 1);
		cell(p50, sizeof(p50), FIELD(row, p50_ms), 2);
		cell(p99, sizeof(p99), FIELD(row, p99_ms), 1);
		cell(start, sizeof(start), FIELD(row, startup_s), 2);
		cell(drop, sizeof(drop), FIELD(row, dropped), 0);
		cell(cpu, sizeof(cpu), FIELD(row, cpu_ms), 2);
		if (b.n)
			snprintf(bytes, sizeof(bytes), "%.0f", b.median);
		printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", scene, row_name[row], fps,
		       p50, p99, cpu, bytes, start, drop);
	}
}

/* Per round: hostencd pipelined over the fastest peer of that round. */
static struct bench_spread ratio(const struct scene_runs *sr, int *best_row)
{
	double v[64];
	int wins[ROWS] = { 0 };

	for (int r = 0; r < sr->rounds; r++) {
		int best = ROW_FFMPEG;

		for (int row = ROW_FFMPEG; row < ROWS; row++) {
			if (isnan(sr->run[best][r].fps) || sr->run[row][r].fps > sr->run[best][r].fps)
				best = row;
		}
		wins[best]++;
		v[r] = sr->run[ROW_HE_THR][r].fps / sr->run[best][r].fps;
	}
	*best_row = ROW_FFMPEG;
	for (int row = ROW_FFMPEG; row < ROWS; row++) {
		if (wins[row] > wins[*best_row])
			*best_row = row;
	}
	return bench_spread_of(v, (size_t)sr->rounds);
}

/* Tokens of @a missing from @b, space-separated, appended to @out. */
static void missing(const char *a, const char *b, GString *out)
{
	g_auto(GStrv) ta = g_strsplit(a, " ", -1);
	g_auto(GStrv) tb = g_strsplit(b, " ", -1);

	for (int i = 0; ta[i]; i++) {
		if (*ta[i] && !g_strv_contains((const gchar *const *)tb, ta[i]))
			g_string_append_printf(out, " %s", ta[i]);
	}
}

/* Do the streams of round 1 carry the same libx264 settings as hostencd's?
 * Prints the differences; true when there are none. */
static bool print_settings(const char *scene, const struct scene_runs *sr)
{
	const char *ref = sr->run[ROW_HE_LAT][0].x264;
	bool same = true;

	for (int row = ROW_FFMPEG; row < ROWS; row++) {
		const char *x = sr->run[row][0].x264;
		g_autoptr(GString) d = g_string_new(NULL);

		if (!ref || !x) {
			printf("- %s, %s: no libx264 settings found in the stream\n", scene,
			       row_name[row]);
			same = false;
			continue;
		}
		missing(x, ref, d);
		if (d->len) {
			g_string_append(d, " (hostencd:");
			missing(ref, x, d);
			g_string_append(d, ")");
			printf("- %s, %s: libx264 settings differ from hostencd's:%s\n", scene,
			       row_name[row], d->str);
			same = false;
		}
	}
	return same;
}

static void free_runs(struct scene_runs *sr)
{
	for (int row = 0; row < ROWS; row++) {
		for (int r = 0; r < sr->rounds; r++)
			g_free(sr->run[row][r].x264);
	}
}

static int parse_sizes(const char *s, struct size *out, int max)
{
	g_auto(GStrv) parts = g_strsplit(s, ",", -1);
	int n = 0;

	for (int i = 0; parts[i]; i++) {
		unsigned w, h;
		char end;

		if (n == max || sscanf(parts[i], "%ux%u%c", &w, &h, &end) != 2 ||
		    w < BENCH_SCENE_MIN_SIZE || h < BENCH_SCENE_MIN_SIZE || w > 4096 || h > 4096 ||
		    w % 2 || h % 2) {
			fprintf(stderr, "--sizes: '%s' is not an even WxH from 64x64 to 4096x4096 "
					"(e.g. --sizes 1920x1080,1280x720)\n", parts[i]);
			return -1;
		}
		out[n++] = (struct size){ w, h };
	}
	return n;
}

static int parse_scenes(const char *s, enum bench_scene *out)
{
	g_auto(GStrv) parts = g_strsplit(s, ",", -1);
	int n = 0;

	for (int i = 0; parts[i]; i++) {
		int sc = bench_scene_from_name(parts[i]);

		if (sc < 0 || n == BENCH_SCENE_COUNT) {
			fprintf(stderr, "--scenes: unknown scene '%s' (scenes: %s)\n", parts[i],
				BENCH_SCENE_NAMES);
			return -1;
		}
		out[n++] = (enum bench_scene)sc;
	}
	return n;
}

static void print_summary(const enum bench_scene *scenes, int n_scenes,
			  const struct scene_runs *sr)
{
	bool same = true;

	for (int s = 0; s < n_scenes; s++) {
		int best;
		struct bench_spread q = ratio(&sr[s], &best);

		printf("- %s: hostencd (2 in flight) / fastest peer (mostly %s) = %.2f× "
		       "[%.2f–%.2f]; goal ≥ 1.5×: %s\n",
		       bench_scene_name(scenes[s]), row_name[best], q.median, q.min, q.max,
		       q.median >= 1.5 ? "met" : "not met");
		printf("  CPU per frame (median): hostencd %.2f ms; ffmpeg %.2f, gst-launch %.2f, "
		       "libavcodec %.2f ms\n", FIELD2(&sr[s], ROW_HE_THR, cpu_ms),
		       FIELD2(&sr[s], ROW_FFMPEG, cpu_ms), FIELD2(&sr[s], ROW_GST, cpu_ms),
		       FIELD2(&sr[s], ROW_LIBAV, cpu_ms));
	}
	for (int s = 0; s < n_scenes; s++)
		same &= print_settings(bench_scene_name(scenes[s]), &sr[s]);
	if (same)
		printf("- libx264 settings written in every stream, the same for all: %s\n",
		       sr[0].run[ROW_HE_LAT][0].x264);
}

static int run_size(const struct options *o, struct size sz, const enum bench_scene *scenes,
		    int n_scenes, const char *tmpdir)
{
	struct peer_config cfg = { .hostencd = o->hostencd, .preset = "ultrafast",
				   .bitrate = sz.w * sz.h * 4, .gop = (uint32_t)o->fps * 10,
				   .frames = (uint64_t)o->frames, .tmpdir = tmpdir };
	struct scene_runs *sr = g_new0(struct scene_runs, (size_t)n_scenes);
	char l0[64], l1[64];
	int rc = 0;

	load(l0, sizeof(l0));
	for (int s = 0; s < n_scenes && rc == 0; s++) {
		struct bench_clip c;

		if (bench_clip_make(&c, scenes[s], sz.w, sz.h, (uint32_t)o->clip,
				    (uint32_t)o->fps) < 0) {
			fprintf(stderr, "out of memory for a %d-frame clip\n", o->clip);
			rc = -1;
			break;
		}
		for (int r = 0; r < o->rounds && rc == 0; r++) {
			fprintf(stderr, "bench-peers: %ux%u %s, round %d of %d\n", sz.w, sz.h,
				bench_scene_name(scenes[s]), r + 1, o->rounds);
			rc = one_round(&cfg, &c, &sr[s]);
		}
		bench_clip_free(&c);
	}
	load(l1, sizeof(l1));
	if (rc == 0) {
		printf("\n### %ux%u @ %d fps, libx264 %s, %u bit/s, GOP %u: %d frames per run, "
		       "median [min–max] of %d rounds\n\nload average (1, 5, 15 min) before: %s, "
		       "after: %s\n\n", sz.w, sz.h, o->fps, cfg.preset, cfg.bitrate, cfg.gop,
		       o->frames, o->rounds, l0, l1);
		printf("| scene | encoder | fps | p50 ms | p99 ms | CPU ms/frame | bytes/frame | "
		       "start-up s | dropped |\n");
		printf("|---|---|---|---|---|---|---|---|---|\n");
		for (int s = 0; s < n_scenes; s++)
			print_rows(bench_scene_name(scenes[s]), &sr[s]);
		printf("\n");
		print_summary(scenes, n_scenes, sr);
		fflush(stdout);
	}
	for (int s = 0; s < n_scenes; s++)
		free_runs(&sr[s]);
	g_free(cfg.x264_params);
	g_free(sr);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = { .frames = 300, .rounds = 3, .clip = 60, .fps = 30,
			     .sizes = g_strdup("1920x1080,1280x720"),
			     .scenes = g_strdup("static,text,motion") };
	GOptionEntry entries[] = {
		{ "frames", 0, 0, G_OPTION_ARG_INT, &o.frames, "frames per run (300)", "N" },
		{ "rounds", 0, 0, G_OPTION_ARG_INT, &o.rounds, "interleaved rounds (3)", "N" },
		{ "clip", 0, 0, G_OPTION_ARG_INT, &o.clip, "distinct frames, looped (60)", "N" },
		{ "sizes", 0, 0, G_OPTION_ARG_STRING, &o.sizes, "sizes (1920x1080,1280x720)",
		  "WxH,..." },
		{ "scenes", 0, 0, G_OPTION_ARG_STRING, &o.scenes,
		  "scenes (" BENCH_SCENE_NAMES ")", "NAME,..." },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("HOSTENCD");
	GError *err = NULL;
	struct size sizes[8];
	enum bench_scene scenes[BENCH_SCENE_COUNT];
	int n_sizes, n_scenes, rc = 0;
	g_autofree char *tmpdir = NULL;
	char *def_sizes = o.sizes, *def_scenes = o.scenes;
	g_autofree char *sizes_s = NULL, *scenes_s = NULL;
	bool parsed;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, "hostencd against ffmpeg, gst-launch-1.0 and "
				     "libavcodec on the benchmark scenes");
	parsed = g_option_context_parse(ctx, &argc, &argv, &err);
	/* GOption replaces a default string without freeing it. */
	if (o.sizes != def_sizes)
		g_free(def_sizes);
	if (o.scenes != def_scenes)
		g_free(def_scenes);
	sizes_s = o.sizes;
	scenes_s = o.scenes;
	if (!parsed || argc != 2) {
		fprintf(stderr, "%s\nusage: %s HOSTENCD [OPTION...] (--help for the options)\n",
			err ? err->message : "the path of hostencd is needed", argv[0]);
		g_clear_error(&err);
		return 2;
	}
	o.hostencd = argv[1];
	if (o.frames < 10 || o.rounds < 1 || o.rounds > 64 || o.clip < 1 || o.clip > 1000) {
		fprintf(stderr, "--frames must be >= 10, --rounds 1..64, --clip 1..1000\n");
		return 2;
	}
	n_sizes = parse_sizes(o.sizes, sizes, 8);
	n_scenes = parse_scenes(o.scenes, scenes);
	if (n_sizes < 0 || n_scenes < 0)
		return 2;
	if (!g_file_test(o.hostencd, G_FILE_TEST_IS_EXECUTABLE)) {
		fprintf(stderr, "%s: not an executable (build it: ninja -C BUILD)\n", o.hostencd);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* a peer that dies shows up as a write error */
	av_log_set_level(AV_LOG_ERROR);
	tmpdir = g_dir_make_tmp("hostenc-peers-XXXXXX", NULL);
	printf("## bench-peers: %d frames per run, clip of %d frames looped, %d rounds\n",
	       o.frames, o.clip, o.rounds);
	for (int i = 0; i < n_sizes && rc == 0; i++)
		rc = run_size(&o, sizes[i], scenes, n_scenes, tmpdir);
	g_rmdir(tmpdir);
	return rc ? 1 : 0;
}
