/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "report.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "attack.h"
#include "soak.h"

#define RSS_BAND_PCT 5.0

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static long median_of(long *v, guint n)
{
	qsort(v, n, sizeof(*v), cmp_long);
	return n ? v[n / 2] : 0;
}

/* RSS (KiB) of the samples after the warm-up, in time order; with
 * @p full, only those in which every actor was connected (a guest away
 * has no encoder, by design). */
static GArray *rss_after_warmup(const struct soak *s, const struct soak_run_info *info, bool full)
{
	GArray *v = g_array_new(FALSE, FALSE, sizeof(long));

	for (guint i = 0; i < info->samples->len; i++) {
		const struct soak_sample *x = &g_array_index(info->samples, struct soak_sample, i);

		if (x->t >= s->opt.warmup_s && x->rss_kib > 0 && (!full || x->up == s->n_actors))
			g_array_append_val(v, x->rss_kib);
	}
	return v;
}

/* The median of @p n values from @p from (copied). */
static long median_range(const GArray *v, guint from, guint n)
{
	g_autofree long *c = g_memdup2(&g_array_index(v, long, from), n * sizeof(long));

	return median_of(c, n);
}

struct rss_stats {
	long min, median, max;
	double below_pct, above_pct, drift_pct;
	guint n;
};

static struct rss_stats rss_stats(const struct soak *s, const struct soak_run_info *info,
				  bool full)
{
	g_autoptr(GArray) v = rss_after_warmup(s, info, full);
	struct rss_stats r = { .n = v->len };
	guint fifth;

	if (!v->len)
		return r;
	fifth = MAX(v->len / 5, 1u);
	r.median = median_range(v, 0, v->len);
	r.min = r.max = g_array_index(v, long, 0);
	for (guint i = 0; i < v->len; i++) {
		r.min = MIN(r.min, g_array_index(v, long, i));
		r.max = MAX(r.max, g_array_index(v, long, i));
	}
	r.below_pct = 100.0 * (double)(r.min - r.median) / (double)r.median;
	r.above_pct = 100.0 * (double)(r.max - r.median) / (double)r.median;
	{
		long first = median_range(v, 0, fifth), last = median_range(v, v->len - fifth, fifth);

		r.drift_pct = 100.0 * (double)(last - first) / (double)first;
	}
	return r;
}

static const char *kind_name(enum soak_kind k)
{
	return k == SOAK_GUEST ? "guest" : k == SOAK_VIEWER ? "web viewer"
	       : k == SOAK_SUBSCRIBER ? "subscriber" : "chromium, the player page,";
}

static void actor_table(struct soak *s, double seconds)
{
	printf("\n| actor | what | access units checked | per s | missed | errors | "
	       "connections | told to go | ended with its guest |\n"
	       "|---|---|---|---|---|---|---|---|---|\n");
	for (unsigned i = 0; i < s->n_actors; i++) {
		struct soak_actor *a = &s->actors[i];
		g_autofree char *what = NULL;

		if (a->kind == SOAK_GUEST)
			what = g_strdup_printf("guest, %.4s %s", (const char *)&a->fourcc,
					       a->shm ? "ring" : "inline");
		else
			what = g_strdup_printf("%s of %s", kind_name(a->kind), a->source);
		printf("| %s | %s | %d | %.1f | %d | %d | %d | %d | %d |\n", a->name, what,
		       a->n.frames, a->n.frames / seconds, a->n.misses, a->n.errors, a->n.connects,
		       a->n.planned, a->n.producer_gaps);
	}
}

static void attack_table(struct soak *s)
{
	printf("\n| attacker | what | slots | rounds | defended | not | closed after, mean / max |\n"
	       "|---|---|---|---|---|---|---|\n");
	for (unsigned i = 0; i < soak_attack_count; i++) {
		const struct soak_attack_stats *st = &s->attack_stats[i];
		g_autofree char *closed = st->closes ? g_strdup_printf("%.1f / %.1f s",
								       st->ms_sum / 1000.0 / st->closes,
								       st->ms_max / 1000.0)
						     : g_strdup("-");

		printf("| %s | %s | %d | %d | %d | %d | %s |\n", soak_attacks[i].name,
		       soak_attacks[i].what, st->slots, st->rounds, st->defended, st->undefended,
		       closed);
	}
}

static gint sum_kind(struct soak *s, enum soak_kind k, size_t field)
{
	gint n = 0;

	for (unsigned i = 0; i < s->n_actors; i++)
		if (s->actors[i].kind == k)
			n += *(gint *)((char *)&s->actors[i].n + field);
	return n;
}

#define SUM(s, k, f) sum_kind((s), (k), G_STRUCT_OFFSET(struct soak_counts, f))

bool soak_report(struct soak *s, const struct soak_run_info *info)
{
	struct rss_stats all = rss_stats(s, info, false), r = rss_stats(s, info, true);
	const struct soak_sample *q0 = &info->quiet_start, *q1 = &info->quiet_end;
	unsigned fd_min = UINT_MAX, fd_max = 0, wfd_min = UINT_MAX, wfd_max = 0;
	double cpu = 0, seconds = 0;
	gint misses = 0, errors = 0, skipped = 0, undefended = 0;
	bool ok = true;

	for (guint i = 0; i < info->samples->len; i++) {
		const struct soak_sample *x = &g_array_index(info->samples, struct soak_sample, i);

		fd_min = MIN(fd_min, x->fds);
		fd_max = MAX(fd_max, x->fds);
		if (x->t >= s->opt.warmup_s) {
			wfd_min = MIN(wfd_min, x->fds);
			wfd_max = MAX(wfd_max, x->fds);
		}
		seconds = x->t;
		cpu = x->cpu_s;
	}
	for (unsigned i = 0; i < s->n_actors; i++) {
		misses += s->actors[i].n.misses;
		errors += s->actors[i].n.errors;
		skipped += s->actors[i].n.server_skipped;
	}
	for (unsigned i = 0; i < soak_attack_count; i++)
		undefended += s->attack_stats[i].undefended;

	printf("\n## Soak: %.1f min, seed %u\n\n", seconds / 60.0, s->opt.seed);
	printf("Command: `%s`\n\n", info->command);
	printf("Load average at the start %s, at the end %s (%u cores).\n", info->load_start,
	       info->load_end, g_get_num_processors());
	printf("\n| | |\n|---|---|\n");
	printf("| samples | %u, every %.0f s; warm-up %.0f s |\n", info->samples->len,
	       s->opt.sample_s, s->opt.warmup_s);
	printf("| hostencd RSS after the warm-up, all samples: min / median / max | "
	       "%.1f / %.1f / %.1f MiB (%+.1f %% / %+.1f %% of the median) |\n", all.min / 1024.0,
	       all.median / 1024.0, all.max / 1024.0, all.below_pct, all.above_pct);
	printf("| the same, the %u samples with every actor connected | %.1f / %.1f / %.1f MiB "
	       "(%+.1f %% / %+.1f %%; bound ±%.0f %%) |\n", r.n, r.min / 1024.0, r.median / 1024.0,
	       r.max / 1024.0, r.below_pct, r.above_pct, RSS_BAND_PCT);
	printf("| RSS drift: median of the last fifth vs the first fifth after the warm-up | "
	       "%+.1f %% (all samples), %+.1f %% (every actor connected) |\n", all.drift_pct,
	       r.drift_pct);
	printf("| open descriptors: min / max, whole run | %u / %u |\n", fd_min, fd_max);
	printf("| open descriptors: min / max after the warm-up | %u / %u |\n", wfd_min, wfd_max);
	printf("| quiet (all actors connected, no attacker): start / end | %u / %u descriptors, "
	       "%.1f / %.1f MiB, %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT " sessions, %"
	       G_GINT64_FORMAT " / %" G_GINT64_FORMAT " viewers |\n", q0->fds, q1->fds,
	       q0->rss_kib / 1024.0, q1->rss_kib / 1024.0, q0->sessions, q1->sessions,
	       q0->viewers, q1->viewers);
	printf("| hostencd CPU, mean | %.0f %% of one core |\n", seconds > 0 ? cpu / seconds * 100 : 0);
	printf("| access units checked: guests' replies / web viewers / subscribers / chromium | "
	       "%d / %d / %d / %d |\n", SUM(s, SOAK_GUEST, frames), SUM(s, SOAK_VIEWER, frames),
	       SUM(s, SOAK_SUBSCRIBER, frames), SUM(s, SOAK_BROWSER, frames));
	printf("| missed by healthy consumers | %d (hostencd's /stats: %d skipped for them) |\n",
	       misses, skipped);
	printf("| guests' frames DROPPED before encoding | %d |\n", SUM(s, SOAK_GUEST, drops));
	printf("| other errors | %d |\n", errors);
	printf("| deliberate disconnects (guests / viewers / subscribers / chromium) | "
	       "%d / %d / %d / %d |\n", SUM(s, SOAK_GUEST, planned), SUM(s, SOAK_VIEWER, planned),
	       SUM(s, SOAK_SUBSCRIBER, planned), SUM(s, SOAK_BROWSER, planned));
	printf("| consumers' connections ended with their guest | %d |\n",
	       SUM(s, SOAK_VIEWER, producer_gaps) + SUM(s, SOAK_SUBSCRIBER, producer_gaps) +
	       SUM(s, SOAK_BROWSER, producer_gaps));
	if (s->opt.browser)
		printf("| chromium: access units the page chose not to decode (waiting for a keyframe "
		       "after falling behind) | %d |\n", SUM(s, SOAK_BROWSER, drops));
	printf("| attack rounds not defended | %d |\n", undefended);
	printf("| hostencd at the end | %s |\n", info->daemon_died ? "died during the run"
					       : info->exit_status == 0 ? "exited 0 on SIGTERM"
					       : "did not exit cleanly");
	actor_table(s, MAX(seconds, 1.0));
	attack_table(s);

	printf("\n");
	if (r.n == 0 || r.below_pct < -RSS_BAND_PCT || r.above_pct > RSS_BAND_PCT) {
		printf("FAIL: resident memory left ±%.0f %% of its median after the warm-up "
		       "(samples with every actor connected)\n", RSS_BAND_PCT);
		ok = false;
	}
	if (q1->fds > q0->fds) {
		printf("FAIL: %u more descriptors at the quiet end than at the quiet start\n",
		       q1->fds - q0->fds);
		ok = false;
	}
	if (misses || skipped) {
		printf("FAIL: healthy consumers missed %d access units\n", misses);
		ok = false;
	}
	if (errors) {
		printf("FAIL: %d errors (see the log)\n", errors);
		ok = false;
	}
	if (undefended) {
		printf("FAIL: %d attack rounds not defended\n", undefended);
		ok = false;
	}
	if (info->daemon_died || info->exit_status != 0) {
		printf("FAIL: hostencd %s\n", info->daemon_died ? "died" : "did not exit cleanly");
		ok = false;
	}
	if (ok)
		printf("PASS: RSS within ±%.0f %%, no descriptor growth, no frame missed, every "
		       "attack defended\n", RSS_BAND_PCT);
	return ok;
}

/* ---- the curve ---------------------------------------------------------------- */

#define SVG_W 900
#define SVG_H 420
#define PLOT_X 70
#define PLOT_Y 40
#define PLOT_W 740
#define PLOT_H 280

static double nice_step(double range)
{
	double mag = pow(10, floor(log10(range / 5))), r = range / 5 / mag;

	return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

bool soak_report_svg(struct soak *s, const struct soak_run_info *info, const char *path)
{
	g_autoptr(GString) o = g_string_new(NULL);
	g_autoptr(GError) err = NULL;
	const GArray *v = info->samples;
	double t_max = 1, rss_lo = 1e18, rss_hi = 0, fd_lo = 1e9, fd_hi = 0, step;
	int last_att = -2;
	double slot_start = 0;

	for (guint i = 0; i < v->len; i++) {
		const struct soak_sample *x = &g_array_index(v, struct soak_sample, i);

		t_max = MAX(t_max, x->t);
		rss_lo = MIN(rss_lo, x->rss_kib / 1024.0);
		rss_hi = MAX(rss_hi, x->rss_kib / 1024.0);
		fd_lo = MIN(fd_lo, x->fds);
		fd_hi = MAX(fd_hi, x->fds);
	}
	/* memory from 0, so that its flatness is seen at its true scale */
	rss_lo = 0;
	rss_hi = MAX(rss_hi * 1.15, 1);
	fd_lo = 0;
	fd_hi = MAX(fd_hi * 1.15, 10);
#define X(t) (PLOT_X + (t) / t_max * PLOT_W)
#define YR(m) (PLOT_Y + PLOT_H - ((m) - rss_lo) / (rss_hi - rss_lo) * PLOT_H)
#define YF(n) (PLOT_Y + PLOT_H - ((n) - fd_lo) / (fd_hi - fd_lo) * PLOT_H)
	g_string_append_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
			       "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
			       "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
			       "fill=\"white\"/>\n", SVG_W, SVG_H, SVG_W, SVG_H);
	g_string_append_printf(o, "<text x=\"%d\" y=\"22\" font-size=\"15\">hostencd during a "
			       "%.0f-minute soak: resident memory and open descriptors</text>\n",
			       PLOT_X, t_max / 60);
	/* warm-up, then the attackers' slots as bands under the plot */
	g_string_append_printf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			       "fill=\"#eeeeee\"/>\n<text x=\"%.1f\" y=\"%d\" fill=\"#777\">warm-up"
			       "</text>\n", X(0), PLOT_Y, X(s->opt.warmup_s) - X(0), PLOT_H,
			       X(0) + 4, PLOT_Y + 14);
	for (guint i = 0; i <= v->len; i++) {
		const struct soak_sample *x = i < v->len ? &g_array_index(v, struct soak_sample, i) : NULL;
		int att = x ? x->attacker : -2;

		if (att == last_att)
			continue;
		if (last_att >= 0 && x) {
			double x0 = X(slot_start), x1 = X(x->t);

			g_string_append_printf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" "
					       "fill=\"%s\" stroke=\"white\"/>\n<text x=\"%.1f\" y=\"%d\" "
					       "font-size=\"9\" transform=\"rotate(45 %.1f %d)\">%s</text>\n",
					       x0, PLOT_Y + PLOT_H + 8, x1 - x0,
					       last_att % 2 ? "#f3d9c4" : "#c9dcef", x0 + 2,
					       PLOT_Y + PLOT_H + 34, x0 + 2, PLOT_Y + PLOT_H + 34,
					       soak_attacks[last_att].name);
		}
		last_att = att;
		slot_start = x ? x->t : 0;
	}
	/* grids and axes */
	step = nice_step(rss_hi - rss_lo);
	for (double m = 0; m <= rss_hi; m += step)
		g_string_append_printf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
				       "stroke=\"#ddd\"/>\n<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
				       "fill=\"#1f5fa8\">%g</text>\n", PLOT_X, PLOT_X + PLOT_W, YR(m),
				       YR(m), PLOT_X - 6, YR(m) + 4, m);
	step = nice_step(fd_hi - fd_lo);
	for (double n = 0; n <= fd_hi; n += step)
		g_string_append_printf(o, "<text x=\"%d\" y=\"%.1f\" fill=\"#b3541e\">%g</text>\n",
				       PLOT_X + PLOT_W + 6, YF(n) + 4, n);
	step = t_max > 600 ? 300 : t_max > 120 ? 60 : 10;
	for (double t = 0; t <= t_max; t += step)
		g_string_append_printf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
				       X(t), PLOT_Y - 6, t / 60);
	g_string_append_printf(o, "<text x=\"%d\" y=\"%d\" fill=\"#1f5fa8\" transform=\"rotate(-90 "
			       "%d %d)\" text-anchor=\"middle\">VmRSS, MiB</text>\n", 18,
			       PLOT_Y + PLOT_H / 2, 18, PLOT_Y + PLOT_H / 2);
	g_string_append_printf(o, "<text x=\"%d\" y=\"%d\" fill=\"#b3541e\" transform=\"rotate(90 "
			       "%d %d)\" text-anchor=\"middle\">open descriptors</text>\n",
			       SVG_W - 22, PLOT_Y + PLOT_H / 2, SVG_W - 22, PLOT_Y + PLOT_H / 2);
	g_string_append_printf(o, "<text x=\"%d\" y=\"%d\">minutes (top axis); attackers (bands "
			       "below)</text>\n", PLOT_X + PLOT_W - 260, SVG_H - 8);
	g_string_append_printf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#1f5fa8\" "
			       "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">VmRSS</text>\n"
			       "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#b3541e\"/>"
			       "<text x=\"%d\" y=\"%d\">open descriptors</text>\n",
			       PLOT_X + 90, PLOT_X + 110, PLOT_Y + 10, PLOT_Y + 10, PLOT_X + 114,
			       PLOT_Y + 14, PLOT_X + 170, PLOT_X + 190, PLOT_Y + 10, PLOT_Y + 10,
			       PLOT_X + 194, PLOT_Y + 14);
	g_string_append_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
			       "stroke=\"#444\"/>\n", PLOT_X, PLOT_Y, PLOT_W, PLOT_H);
	/* the two curves */
	g_string_append(o, "<polyline fill=\"none\" stroke=\"#b3541e\" stroke-width=\"1.2\" points=\"");
	for (guint i = 0; i < v->len; i++) {
		const struct soak_sample *x = &g_array_index(v, struct soak_sample, i);

		g_string_append_printf(o, "%.1f,%.1f ", X(x->t), YF((double)x->fds));
	}
	g_string_append(o, "\"/>\n<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\" "
			"points=\"");
	for (guint i = 0; i < v->len; i++) {
		const struct soak_sample *x = &g_array_index(v, struct soak_sample, i);

		g_string_append_printf(o, "%.1f,%.1f ", X(x->t), YR(x->rss_kib / 1024.0));
	}
	g_string_append(o, "\"/>\n</svg>\n");
#undef X
#undef YR
#undef YF
	{
		g_autofree char *dir = g_path_get_dirname(path);

		g_mkdir_with_parents(dir, 0755);
	}
	if (!g_file_set_contents(path, o->str, (gssize)o->len, &err)) {
		fprintf(stderr, "bench-soak: writing %s: %s\n", path, err->message);
		return false;
	}
	return true;
}
