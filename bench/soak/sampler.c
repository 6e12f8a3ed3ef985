/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sampler.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "soak.h"
#include "web-client.h"

int64_t soak_metric(struct soak *s, const char *series)
{
	g_autofree char *text = NULL;
	g_autofree char *key = g_strdup_printf("\n%s ", series);
	const char *p;

	if (!soak_daemon_alive(s) || wc_get(s->http_port, NULL, "/metrics", NULL, &text) != 200 ||
	    !(p = strstr(text, key)))
		return -1;
	return g_ascii_strtoll(p + strlen(key), NULL, 10);
}

int soak_viewer_listed(struct soak *s, int no)
{
	g_autofree char *body = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonArray *viewers;

	if (!soak_daemon_alive(s) || wc_get(s->http_port, NULL, "/stats", NULL, &body) != 200 ||
	    !json_parser_load_from_data(parser, body, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		return -1;
	viewers = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)),
					      "viewers");
	for (guint k = 0; viewers && k < json_array_get_length(viewers); k++) {
		JsonObject *v = json_array_get_object_element(viewers, k);

		if (v && json_object_get_int_member_with_default(v, "viewer", -1) == no)
			return 1;
	}
	return 0;
}

/* Every series of @p text we need, from one /metrics answer. */
static int64_t metric_in(const char *text, const char *series)
{
	g_autofree char *key = g_strdup_printf("\n%s ", series);
	const char *p = text ? strstr(text, key) : NULL;

	return p ? g_ascii_strtoll(p + strlen(key), NULL, 10) : -1;
}

/* RssAnon (KiB) and Threads of /proc/PID/status. */
static void status_fields(pid_t pid, long *anon, unsigned *threads)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	const char *p;

	*anon = -1;
	*threads = 0;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	if ((p = strstr(text, "RssAnon:")))
		*anon = strtol(p + strlen("RssAnon:"), NULL, 10);
	if ((p = strstr(text, "Threads:")))
		*threads = (unsigned)strtoul(p + strlen("Threads:"), NULL, 10);
}

static double cpu_seconds(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	unsigned long long utime = 0, stime = 0;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
		   &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static unsigned fd_count(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	unsigned n = 0;

	while (dir && g_dir_read_name(dir))
		n++;
	return n;
}

char *soak_loadavg_text(void)
{
	g_autofree char *text = NULL;
	double a = 0, b = 0, c = 0;

	if (!g_file_get_contents("/proc/loadavg", &text, NULL, NULL) ||
	    sscanf(text, "%lf %lf %lf", &a, &b, &c) != 3)
		return g_strdup("?");
	return g_strdup_printf("%.2f %.2f %.2f", a, b, c);
}

static double load1(void)
{
	g_autofree char *text = NULL;

	return g_file_get_contents("/proc/loadavg", &text, NULL, NULL) ? g_ascii_strtod(text, NULL)
								      : -1;
}

bool soak_sample_take(struct soak *s, const struct soak_sample *prev, struct soak_sample *out)
{
	g_autofree char *metrics = NULL;

	memset(out, 0, sizeof(*out));
	out->t = soak_now_s(s);
	if (!soak_daemon_alive(s))
		return false;
	/* descriptors first: the requests below open a connection each */
	out->fds = fd_count(s->pid);
	out->rss_kib = wc_rss_kib(s->pid);
	status_fields(s->pid, &out->anon_kib, &out->threads);
	out->cpu_s = cpu_seconds(s->pid);
	if (prev && out->t > prev->t)
		out->cpu_pct = (out->cpu_s - prev->cpu_s) / (out->t - prev->t) * 100.0;
	if (wc_get(s->http_port, NULL, "/metrics", NULL, &metrics) == 200) {
		out->sessions = metric_in(metrics, "hostenc_sessions");
		out->viewers = metric_in(metrics, "hostenc_viewers");
		out->web_connections = metric_in(metrics, "hostenc_web_connections");
	} else {
		out->sessions = out->viewers = out->web_connections = -1;
	}
	for (unsigned i = 0; i < s->n_actors; i++) {
		out->frames += g_atomic_int_get(&s->actors[i].n.frames);
		out->misses += g_atomic_int_get(&s->actors[i].n.misses);
		out->errors += g_atomic_int_get(&s->actors[i].n.errors);
		out->up += g_atomic_int_get(&s->actors[i].up) != 0;
	}
	out->attacker = g_atomic_int_get(&s->attacker);
	out->load1 = load1();
	return soak_daemon_alive(s);
}

void soak_sample_csv_header(FILE *f)
{
	fprintf(f, "t_s,rss_kib,rss_anon_kib,threads,fds,cpu_pct,sessions,viewers,"
		   "web_connections,frames_checked,misses,errors,actors_up,attacker,load1\n");
}

void soak_sample_csv_row(struct soak *s, FILE *f, const struct soak_sample *x)
{
	fprintf(f, "%.1f,%ld,%ld,%u,%u,%.1f,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
		",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%u,%s,%.2f\n",
		x->t, x->rss_kib, x->anon_kib, x->threads, x->fds, x->cpu_pct, x->sessions,
		x->viewers, x->web_connections, x->frames, x->misses, x->errors, x->up,
		x->attacker >= 0 ? soak_attacks[x->attacker].name : "", x->load1);
	fflush(f);
}

/* ---- /stats: what hostencd skipped for our viewers --------------------------- */

struct skip_seen {
	int viewer_no;
	int64_t skipped;
};

void soak_sample_viewer_skips(struct soak *s)
{
	static struct skip_seen seen[SOAK_MAX_ACTORS];
	g_autofree char *body = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *root;
	JsonArray *viewers;

	if (!soak_daemon_alive(s) || wc_get(s->http_port, NULL, "/stats", NULL, &body) != 200 ||
	    !json_parser_load_from_data(parser, body, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		return;
	root = json_node_get_object(json_parser_get_root(parser));
	viewers = json_object_get_array_member(root, "viewers");
	for (unsigned i = 0; viewers && i < s->n_actors; i++) {
		struct soak_actor *a = &s->actors[i];
		int no = g_atomic_int_get(&a->viewer_no);

		if (a->kind != SOAK_VIEWER || no < 0 || !g_atomic_int_get(&a->up))
			continue;
		for (guint k = 0; k < json_array_get_length(viewers); k++) {
			JsonObject *v = json_array_get_object_element(viewers, k);
			int64_t skipped;

			if (!v || json_object_get_int_member_with_default(v, "viewer", -1) != no)
				continue;
			skipped = json_object_get_int_member_with_default(v, "skipped", 0);
			if (seen[i].viewer_no != no)
				seen[i] = (struct skip_seen){ .viewer_no = no };
			if (skipped > seen[i].skipped) {
				g_atomic_int_add(&a->n.server_skipped, (gint)(skipped - seen[i].skipped));
				soak_error(a, "hostencd's /stats says it skipped %" G_GINT64_FORMAT
					   " access units for this viewer", skipped);
				seen[i].skipped = skipped;
			}
		}
	}
}
