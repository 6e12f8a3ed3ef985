/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A soak of hostencd (not a test: run by hand, see docs/benchmarks.md,
 * "Soak"). One real hostencd with its web port and test pattern; 8 guest
 * sessions at 640x360 and 30 fps (4 inline, 4 through rings in one shared
 * file); 4 web viewers and 2 HXFR subscribers decoding every access unit;
 * every few seconds one of them is made to disconnect (cleanly, abruptly,
 * in the middle of a message) and come back; one attacker at a time. A
 * sample every 5 s (memory, descriptors, CPU, sessions, frames, misses)
 * goes to a CSV; the end prints the tables and draws the curve.
 *
 * usage: bench-soak [--minutes N] [--seed S] [--hostencd PATH] [--out DIR]
 *                   [--svg FILE] [--warmup S] [--attack-slot MIN-MAX]
 *                   [--attacks NAME,...|none] [--disconnects MIN-MAX|off]
 *                   [--no-browser]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attack.h"
#include "client.h"
#include "harness.h"
#include "report.h"
#include "sampler.h"
#include "soak.h"

/* after the last attack: the slowest of hostencd's timers (10 s) runs out */
#define QUIET_S 15
/* at the start: every actor connected, or this long */
#define SETTLE_MAX_S 60

/* ---- options ---------------------------------------------------------------- */

static G_NORETURN void usage(const char *why)
{
	fprintf(stderr, "bench-soak: %s\n"
		"usage: bench-soak [--minutes N] [--seed S] [--hostencd PATH] [--out DIR]\n"
		"                  [--svg FILE] [--warmup S] [--attack-slot MIN-MAX]\n"
		"                  [--attacks NAME,...|none] [--disconnects MIN-MAX|off]\n"
		"                  [--no-browser]\n"
		"  --minutes N          length of the run (default 30)\n"
		"  --seed S             random seed (default: from the clock; printed)\n"
		"  --hostencd PATH      the hostencd to run (default: the one of this build)\n"
		"  --out DIR            where soak.csv and hostencd's log go (default soak-out)\n"
		"  --svg FILE           draw memory and descriptors over time into FILE\n"
		"  --warmup S           seconds left out of the memory statistics (default: "
		"3 min, at most a fifth of the run)\n"
		"  --attack-slot MIN-MAX  seconds each attacker runs (default 60-120)\n"
		"  --attacks NAME,...   only these attackers, or none (default all: ping-flood,\n"
		"                       silent, trickle, ws-ping-flood, ws-fragments, keyframes,\n"
		"                       no-read, tiny-frames, shm-truncate)\n"
		"  --disconnects MIN-MAX  seconds between two random disconnects, or off\n"
		"                       (default 3-8)\n"
		"  --no-browser         no viewer in chromium (by default one watches guest g7\n"
		"                       when node, playwright-core and chromium are installed)\n", why);
	exit(2);
}

static double number(const char *opt, const char *v, double lo, double hi)
{
	char *end;
	double x = g_ascii_strtod(v, &end);

	if (!*v || *end || x < lo || x > hi) {
		g_autofree char *why = g_strdup_printf("%s wants a number from %g to %g, not '%s'",
						       opt, lo, hi, v);
		usage(why);
	}
	return x;
}

/* The hostencd built beside this program: BUILD/bench/soak/bench-soak. */
static char *default_hostencd(void)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;

	return dir ? g_build_filename(dir, "..", "..", "daemon", "hostencd", NULL) : NULL;
}

static void parse(int argc, char **argv, struct soak_options *o)
{
	bool warmup_given = false;

	*o = (struct soak_options){ .minutes = 30, .seed = (uint32_t)g_get_real_time(),
				    .out_dir = "soak-out", .attack_min_s = 60,
				    .attack_max_s = 120, .disconnect_min_s = 3,
				    .disconnect_max_s = 8, .sample_s = 5, .browser = true,
				    .attacks = (1u << soak_attack_count) - 1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (g_str_equal(a, "--help") || g_str_equal(a, "-h"))
			usage("a soak of hostencd");
		if (g_str_equal(a, "--no-browser")) {
			o->browser = false;
			continue;
		}
		if (!v) {
			g_autofree char *why = g_strdup_printf("%s: no such option, or its value is "
							       "missing", a);
			usage(why);
		}
		i++;
		if (g_str_equal(a, "--minutes")) {
			o->minutes = number(a, v, 0.5, 24 * 60);
		} else if (g_str_equal(a, "--seed")) {
			o->seed = (uint32_t)number(a, v, 0, UINT32_MAX);
		} else if (g_str_equal(a, "--hostencd")) {
			o->hostencd = v;
		} else if (g_str_equal(a, "--out")) {
			o->out_dir = v;
		} else if (g_str_equal(a, "--svg")) {
			o->svg = v;
		} else if (g_str_equal(a, "--warmup")) {
			o->warmup_s = number(a, v, 0, 24 * 3600);
			warmup_given = true;
		} else if (g_str_equal(a, "--attack-slot")) {
			g_auto(GStrv) mm = g_strsplit(v, "-", 2);

			if (!mm[0] || !mm[1])
				usage("--attack-slot wants MIN-MAX in seconds, e.g. 60-120");
			o->attack_min_s = number(a, mm[0], 5, 3600);
			o->attack_max_s = number(a, mm[1], o->attack_min_s, 3600);
		} else if (g_str_equal(a, "--disconnects")) {
			g_auto(GStrv) mm = g_strsplit(v, "-", 2);

			if (g_str_equal(v, "off")) {
				o->disconnect_min_s = o->disconnect_max_s = 0;
				continue;
			}
			if (!mm[0] || !mm[1])
				usage("--disconnects wants MIN-MAX in seconds, e.g. 3-8, or off");
			o->disconnect_min_s = number(a, mm[0], 0.1, 3600);
			o->disconnect_max_s = number(a, mm[1], o->disconnect_min_s, 3600);
		} else if (g_str_equal(a, "--attacks")) {
			g_auto(GStrv) names = g_strsplit(v, ",", -1);

			o->attacks = 0;
			for (char **n = names; *n && !g_str_equal(v, "none"); n++) {
				unsigned k = 0;

				while (k < soak_attack_count && !g_str_equal(soak_attacks[k].name, *n))
					k++;
				if (k == soak_attack_count) {
					g_autofree char *why = g_strdup_printf("no attacker is called '%s'", *n);
					usage(why);
				}
				o->attacks |= 1u << k;
			}
		} else {
			g_autofree char *why = g_strdup_printf("unknown option %s", a);
			usage(why);
		}
	}
	if (!warmup_given)
		o->warmup_s = MIN(180.0, o->minutes * 60 / 5);
}

/* ---- hostencd and its files ------------------------------------------------- */

static struct soak_region *region_new(uint64_t size)
{
	struct soak_region *r = g_new0(struct soak_region, 1);

	r->path = g_build_filename("/dev/shm", "hostenc-soak-XXXXXX", NULL);
	r->fd = g_mkstemp_full(r->path, O_RDWR | O_CLOEXEC, 0600);
	if (r->fd < 0 || ftruncate(r->fd, (off_t)size) < 0)
		g_error("cannot make %s: %s", r->path, g_strerror(errno));
	r->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED)
		g_error("cannot map %s: %s", r->path, g_strerror(errno));
	r->size = size;
	return r;
}

static void region_free(struct soak_region *r)
{
	munmap(r->map, r->size);
	close(r->fd);
	unlink(r->path);
	g_free(r->path);
	g_free(r);
}

static void start_daemon(struct soak *s)
{
	g_autofree char *shm = g_strdup_printf("--shm=soak=%s", s->ring_region->path);
	g_autofree char *attack = g_strdup_printf("--shm=attack=%s", s->attack_region->path);
	g_autofree char *size = g_strdup_printf("--pattern-size=%ux%u", SOAK_PATTERN_W,
						SOAK_PATTERN_H);
	/* everyone connects from 127.0.0.1: room for the guests, the
	 * subscribers, a reconnect in between and the silent attacker */
	const char *const args[] = { "--http=127.0.0.1:0", shm, attack, size,
				     "--max-sessions=128", "--max-sessions-per-peer=64", NULL };
	struct th_options o = { .pattern = true, .args = args };
	struct th_daemon *d;

	g_setenv("HOSTENCD", s->opt.hostencd, TRUE);
	g_setenv("HOSTENC_TEST_LOGDIR", s->opt.out_dir, TRUE);
	d = th_daemon_start(&o);
	s->pid = d->pid;
	s->port = d->port;
	s->http_port = d->http_port;
	s->log_path = g_strdup(d->log_path);
	/* the rest of struct th_daemon is the harness's (its directory holds
	 * nothing here); stopping is done below */
	g_free(d->dir);
	g_free(d->log_path);
	g_free(d->unix_path);
	g_free(d);
	if (!s->http_port)
		g_error("hostencd did not say where its web port is (log: %s)", s->log_path);
}

/* SIGTERM and wait (30 s at most): its exit status, -1 when it had to be killed. */
static int stop_daemon(struct soak *s)
{
	int64_t deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	int status = 0;

	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, &status, WNOHANG) == 0) {
		if (g_get_monotonic_time() > deadline) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			return -1;
		}
		g_usleep(20000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- actors ------------------------------------------------------------------- */

static const uint32_t guest_formats[SOAK_GUESTS] = {
	HXFR_FMT_BGRX, HXFR_FMT_NV12, HXFR_FMT_I420, HXFR_FMT_BGRX, /* inline */
	HXFR_FMT_BGRX, HXFR_FMT_NV12, HXFR_FMT_I420, HXFR_FMT_BGRX, /* ring */
};

/* who watches what: -1 the pattern, else a guest's index */
static const int viewer_of[SOAK_VIEWERS] = { -1, 0, 5, 6 };
static const int subscriber_of[SOAK_SUBSCRIBERS] = { -1, 2 };
#define BROWSER_OF 7

static const struct soak_clip *clip_of(struct soak *s, uint32_t fourcc)
{
	for (unsigned i = 0; i < SOAK_CLIP_FORMATS; i++)
		if (s->clips[i].fourcc == fourcc)
			return &s->clips[i];
	g_error("no clip for a format");
}

static void consumer_init(struct soak *s, struct soak_actor *a, int of)
{
	if (of < 0) {
		g_strlcpy(a->source, "pattern", sizeof(a->source));
		return;
	}
	a->producer = &s->actors[of];
	a->clip = clip_of(s, a->producer->fourcc);
	g_snprintf(a->source, sizeof(a->source), "guest/%s", a->producer->name);
}

static void actors_init(struct soak *s)
{
	s->n_actors = SOAK_ACTORS + (s->opt.browser ? 1 : 0);
	for (unsigned i = 0; i < s->n_actors; i++) {
		struct soak_actor *a = &s->actors[i];

		a->soak = s;
		g_mutex_init(&a->lock);
		a->viewer_no = -1;
		if (i < SOAK_GUESTS) {
			a->kind = SOAK_GUEST;
			a->index = i;
			a->fourcc = guest_formats[i];
			a->shm = i >= SOAK_GUESTS - SOAK_SHM_GUESTS;
			g_snprintf(a->name, sizeof(a->name), "g%u", i);
		} else if (i < SOAK_GUESTS + SOAK_VIEWERS) {
			a->kind = SOAK_VIEWER;
			a->index = i - SOAK_GUESTS;
			g_snprintf(a->name, sizeof(a->name), "v%u", a->index);
			consumer_init(s, a, viewer_of[a->index]);
		} else if (i < SOAK_ACTORS) {
			a->kind = SOAK_SUBSCRIBER;
			a->index = i - SOAK_GUESTS - SOAK_VIEWERS;
			g_snprintf(a->name, sizeof(a->name), "s%u", a->index);
			consumer_init(s, a, subscriber_of[a->index]);
		} else {
			a->kind = SOAK_BROWSER;
			g_strlcpy(a->name, "chromium", sizeof(a->name));
			consumer_init(s, a, BROWSER_OF);
		}
	}
}

static void actors_start(struct soak *s)
{
	static GThreadFunc const mains[] = {
		[SOAK_GUEST] = soak_guest_main, [SOAK_VIEWER] = soak_viewer_main,
		[SOAK_SUBSCRIBER] = soak_subscriber_main, [SOAK_BROWSER] = soak_browser_main,
	};

	for (unsigned i = 0; i < s->n_actors; i++)
		s->actors[i].thread = g_thread_new(s->actors[i].name, mains[s->actors[i].kind],
						   &s->actors[i]);
}

static unsigned actors_up(struct soak *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_actors; i++)
		n += g_atomic_int_get(&s->actors[i].up) != 0;
	return n;
}

/* Wait until every actor is connected (at most @p max_s). */
static void wait_all_up(struct soak *s, int max_s)
{
	int64_t end = g_get_monotonic_time() + (int64_t)max_s * G_USEC_PER_SEC;

	while (actors_up(s) < s->n_actors && g_get_monotonic_time() < end &&
	       soak_daemon_alive(s))
		g_usleep(100000);
	if (actors_up(s) < s->n_actors)
		soak_log(s, "only %u of %u actors connected after %d s", actors_up(s), s->n_actors,
			 max_s);
}

/* Tell a random actor that is up (and whose guest is) to go for a while. */
static void random_disconnect(struct soak *s)
{
	struct soak_actor *cand[SOAK_MAX_ACTORS], *a;
	unsigned n = 0;
	int how, gap;

	for (unsigned i = 0; i < s->n_actors; i++) {
		a = &s->actors[i];
		if (g_atomic_int_get(&a->up) && !g_atomic_int_get(&a->request) &&
		    soak_producer_up(a, NULL))
			cand[n++] = a;
	}
	if (!n)
		return;
	a = cand[soak_random(s, 0, (int32_t)n - 1)];
	how = soak_random(s, SOAK_DISC_CLEAN, SOAK_DISC_MODES - 1);
	gap = soak_random(s, 500, 3000);
	g_atomic_int_set(&a->gap_ms, gap);
	g_atomic_int_set(&a->request, how);
	soak_log(s, "%s: disconnect (%s), back in %.1f s", a->name,
		 soak_disconnect_name((enum soak_disconnect)how), gap / 1000.0);
}

/* ---- the attacker thread ------------------------------------------------------ */

static gpointer attacker_main(gpointer data)
{
	struct soak *s = data;
	g_autofree unsigned *order = g_new(unsigned, soak_attack_count);
	unsigned next = 0, n = 0;

	while (!g_atomic_int_get(&s->attack_stop) && !soak_stopping(s)) {
		int64_t slot_ms;
		unsigned k;

		if (!s->opt.attacks) {
			g_usleep(100000);
			continue;
		}

		if (next == n) {
			/* every attacker once per round, in a new order */
			n = 0;
			for (unsigned i = 0; i < soak_attack_count; i++)
				if (s->opt.attacks & (1u << i))
					order[n++] = i;
			for (unsigned i = n - 1; i > 0; i--) {
				unsigned j = (unsigned)soak_random(s, 0, (int32_t)i), x = order[i];

				order[i] = order[j];
				order[j] = x;
			}
			next = 0;
		}
		k = order[next++];
		slot_ms = soak_random(s, (int32_t)(s->opt.attack_min_s * 1000),
				      (int32_t)(s->opt.attack_max_s * 1000));
		slot_ms = MAX(slot_ms, (int64_t)(soak_attacks[k].min_slot_s * 1000));
		soak_log(s, "attacker: %s for %.0f s", soak_attacks[k].name, slot_ms / 1000.0);
		g_atomic_int_set(&s->attacker, (gint)k);
		g_atomic_int_inc(&s->attack_stats[k].slots);
		soak_attacks[k].run(s, &s->attack_stats[k], g_get_monotonic_time() + slot_ms * 1000);
		g_atomic_int_set(&s->attacker, -1);
	}
	return NULL;
}

/* ---- the run ------------------------------------------------------------------ */

static char *command_line(int argc, char **argv)
{
	g_autoptr(GString) c = g_string_new(NULL);

	for (int i = 0; i < argc; i++) {
		g_autofree char *q = g_shell_quote(argv[i]);

		g_string_append_printf(c, "%s%s", i ? " " : "",
				       strpbrk(argv[i], " '\"$\\") ? q : argv[i]);
	}
	return g_string_free(g_steal_pointer(&c), FALSE);
}

/* hostencd's memory map with each mapping's resident size, for finding
 * which one grew. */
static void save_smaps(struct soak *s, const char *name)
{
	g_autofree char *from = g_strdup_printf("/proc/%d/smaps", (int)s->pid);
	g_autofree char *to = g_build_filename(s->opt.out_dir, name, NULL);
	g_autofree char *text = NULL;
	gsize len;

	if (g_file_get_contents(from, &text, &len, NULL))
		g_file_set_contents(to, text, (gssize)len, NULL);
}

/* The run's samples and where they go. */
struct run {
	struct soak *s;
	struct soak_run_info info;
	FILE *csv;
	char *csv_path;
	int64_t next_sample;
};

static void sample_into(struct run *r, struct soak_sample *x)
{
	GArray *samples = r->info.samples;
	const struct soak_sample *prev =
		samples->len ? &g_array_index(samples, struct soak_sample, samples->len - 1) : NULL;

	if (!soak_sample_take(r->s, prev, x))
		return;
	soak_sample_viewer_skips(r->s);
	g_array_append_val(samples, *x);
	soak_sample_csv_row(r->s, r->csv, x);
}

/* A sample when one is due. @return whether it took one (into @p x). */
static bool sample_due(struct run *r, struct soak_sample *x)
{
	if (g_get_monotonic_time() < r->next_sample)
		return false;
	sample_into(r, x);
	r->next_sample += (int64_t)(r->s->opt.sample_s * G_USEC_PER_SEC);
	return true;
}

/* Options checked, the CSV open: 0, or the exit status. */
static int prepare(struct run *r, int argc, char **argv)
{
	struct soak *s = r->s;

	parse(argc, argv, &s->opt);
	if (!s->opt.hostencd)
		s->opt.hostencd = default_hostencd();
	if (!s->opt.hostencd || access(s->opt.hostencd, X_OK) < 0) {
		fprintf(stderr, "bench-soak: no hostencd at %s: build it, or give --hostencd PATH\n",
			s->opt.hostencd ? s->opt.hostencd : "(unknown)");
		return 2;
	}
	if (g_mkdir_with_parents(s->opt.out_dir, 0755) < 0) {
		fprintf(stderr, "bench-soak: cannot make %s: %s\n", s->opt.out_dir,
			g_strerror(errno));
		return 2;
	}
	r->csv_path = g_build_filename(s->opt.out_dir, "soak.csv", NULL);
	if (!(r->csv = fopen(r->csv_path, "w"))) {
		fprintf(stderr, "bench-soak: cannot write %s: %s\n", r->csv_path, g_strerror(errno));
		return 2;
	}
	if (s->opt.browser && !soak_browser_available()) {
		fprintf(stderr, "bench-soak: no browser viewer (node, tests/browser's playwright-core "
			"or /usr/bin/chromium missing: scripts/setup installs them)\n");
		s->opt.browser = false;
	}
	r->info.command = command_line(argc, argv);
	r->info.samples = g_array_new(FALSE, FALSE, sizeof(struct soak_sample));
	return 0;
}

/* Pictures, shared files, hostencd, then every actor connected. */
static void setup(struct run *r)
{
	struct soak *s = r->s;

	s->rand = g_rand_new_with_seed(s->opt.seed);
	g_mutex_init(&s->rand_lock);
	s->attacker = -1;
	s->attack_stats = g_new0(struct soak_attack_stats, soak_attack_count);
	s->t0_us = g_get_monotonic_time();
	soak_log(s, "seed %u, %.1f min, hostencd %s", s->opt.seed, s->opt.minutes,
		 s->opt.hostencd);
	soak_clip_init(&s->clips[0], HXFR_FMT_BGRX, SOAK_W, SOAK_H);
	soak_clip_init(&s->clips[1], HXFR_FMT_NV12, SOAK_W, SOAK_H);
	soak_clip_init(&s->clips[2], HXFR_FMT_I420, SOAK_W, SOAK_H);
	s->ring_region = region_new(SOAK_SHM_GUESTS * SOAK_RING_STRIDE);
	s->attack_region = region_new((SOAK_TRUNC_RING + 4095) / 4096 * 4096);
	start_daemon(s);
	r->info.load_start = soak_loadavg_text();
	soak_log(s, "hostencd %d: HXFR port %u, web port %u, log %s; load average %s", (int)s->pid,
		 s->port, s->http_port, s->log_path, r->info.load_start);
	soak_sample_csv_header(r->csv);
	actors_init(s);
	s->t0_us = g_get_monotonic_time(); /* the run's clock starts with the actors */
	actors_start(s);
	wait_all_up(s, SETTLE_MAX_S);
	g_usleep(2 * G_USEC_PER_SEC);
	sample_into(r, &r->info.quiet_start);
	save_smaps(s, "smaps-start.txt");
	soak_log(s, "all connected: %u descriptors, %.1f MiB", r->info.quiet_start.fds,
		 r->info.quiet_start.rss_kib / 1024.0);
	r->next_sample = g_get_monotonic_time() + (int64_t)(s->opt.sample_s * G_USEC_PER_SEC);
}

/* Attackers one after the other, random disconnects, samples; until the
 * quiet end is due or hostencd is gone. */
static void run_attacked(struct run *r)
{
	struct soak *s = r->s;
	GThread *attacker = g_thread_new("attacker", attacker_main, s);
	int64_t end_us = s->t0_us + (int64_t)(s->opt.minutes * 60 * G_USEC_PER_SEC);
	int64_t next_disc = g_get_monotonic_time() + soak_random(s, 3000, 8000) * 1000ll;

	while (g_get_monotonic_time() < end_us - QUIET_S * G_USEC_PER_SEC) {
		struct soak_sample x;

		if (!soak_daemon_alive(s)) {
			soak_log(s, "hostencd is gone: ending the run");
			r->info.daemon_died = true;
			break;
		}
		if (s->opt.disconnect_max_s > 0 && g_get_monotonic_time() >= next_disc) {
			random_disconnect(s);
			next_disc = g_get_monotonic_time() +
				    soak_random(s, (int32_t)(s->opt.disconnect_min_s * 1000),
						(int32_t)(s->opt.disconnect_max_s * 1000)) * 1000ll;
		}
		if (sample_due(r, &x))
			soak_log(s, "RSS %.1f MiB, %u fds, CPU %.0f %%, %" G_GINT64_FORMAT
				 " sessions, %" G_GINT64_FORMAT " viewers; %" G_GINT64_FORMAT
				 " checked, %" G_GINT64_FORMAT " missed, %" G_GINT64_FORMAT
				 " errors; load %.1f", x.rss_kib / 1024.0, x.fds, x.cpu_pct,
				 x.sessions, x.viewers, x.frames, x.misses, x.errors, x.load1);
		g_usleep(50000);
	}
	soak_log(s, "last attacker stops; quiet for %d s", QUIET_S);
	g_atomic_int_set(&s->attack_stop, 1);
	g_thread_join(attacker);
}

/* No attacker, no disconnects: hostencd's timers run out, everyone is
 * back; then the quiet end's sample. */
static void run_quiet(struct run *r)
{
	struct soak *s = r->s;
	int64_t quiet_end = g_get_monotonic_time() + QUIET_S * G_USEC_PER_SEC;
	struct soak_sample x;

	while (g_get_monotonic_time() < quiet_end) {
		sample_due(r, &x);
		g_usleep(50000);
	}
	wait_all_up(s, SETTLE_MAX_S);
	g_usleep(2 * G_USEC_PER_SEC);
	sample_into(r, &r->info.quiet_end);
	save_smaps(s, "smaps-end.txt");
	soak_log(s, "quiet again: %u descriptors, %.1f MiB", r->info.quiet_end.fds,
		 r->info.quiet_end.rss_kib / 1024.0);
}

/* Actors and hostencd stopped, the report. @return whether all held. */
static bool finish(struct run *r)
{
	struct soak *s = r->s;
	bool ok;

	r->info.load_end = soak_loadavg_text();
	g_atomic_int_set(&s->stop, 1);
	for (unsigned i = 0; i < s->n_actors; i++)
		g_thread_join(s->actors[i].thread);
	r->info.daemon_died = r->info.daemon_died || !soak_daemon_alive(s);
	r->info.exit_status = stop_daemon(s);
	fclose(r->csv);
	ok = soak_report(s, &r->info);
	if (s->opt.svg && soak_report_svg(s, &r->info, s->opt.svg))
		printf("\ncurve: %s\n", s->opt.svg);
	printf("samples: %s\nhostencd's log: %s\n", r->csv_path, s->log_path);
	for (unsigned i = 0; i < SOAK_CLIP_FORMATS; i++)
		soak_clip_clear(&s->clips[i]);
	region_free(s->ring_region);
	region_free(s->attack_region);
	return ok;
}

int main(int argc, char **argv)
{
	struct run r = { .s = g_new0(struct soak, 1) };
	int res;

	signal(SIGPIPE, SIG_IGN);
	if ((res = prepare(&r, argc, argv)))
		return res;
	setup(&r);
	run_attacked(&r);
	if (!r.info.daemon_died)
		run_quiet(&r);
	return finish(&r) ? 0 : 1;
}
