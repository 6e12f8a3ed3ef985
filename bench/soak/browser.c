/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The browser viewer: the player page in headless chromium
 * (browser-viewer.mjs, through node and the browser tests' playwright-core)
 * watching one guest's stream. Its report every 2 s says what the page
 * decoded and what its socket saw: sequence gaps are misses; decoder
 * errors and closes other than its own or its guest's going are errors. */
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "soak.h"

struct browser {
	struct soak_actor *a;
	struct soak *s;
	GPid pid;
	int in, out;
	GString *line;
	/* the page's totals at its last report */
	int64_t decoded, gaps, page_errors, closes, connects;
	int64_t progress_us; /* when it last decoded more */
	int epoch;
};

static void child_setup(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0); /* chromium's processes go with it */
}

bool soak_browser_available(void)
{
	g_autofree char *node = g_find_program_in_path("node");
	g_autofree char *script = g_build_filename(SOAK_SOURCE_DIR, "browser-viewer.mjs", NULL);
	g_autofree char *pw = g_build_filename(SOAK_SOURCE_DIR, "..", "..", "tests", "browser",
					       "node_modules", "playwright-core", NULL);

	return node && g_file_test(script, G_FILE_TEST_EXISTS) &&
	       g_file_test(pw, G_FILE_TEST_IS_DIR) && access("/usr/bin/chromium", X_OK) == 0;
}

static bool start(struct browser *b)
{
	g_autofree char *script = g_build_filename(SOAK_SOURCE_DIR, "browser-viewer.mjs", NULL);
	g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/?source=%s", b->s->http_port,
					       b->a->source);
	g_autofree char *log = g_build_filename(b->s->opt.out_dir, "browser.log", NULL);
	char *argv[] = { "node", script, url, NULL };
	g_autoptr(GError) err = NULL;
	int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int pin[2], pout[2];

	if (logfd < 0 || pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0) {
		soak_error(b->a, "cannot start node: %s", g_strerror(errno));
		return false;
	}
	if (!g_spawn_async_with_fds(NULL, argv, NULL,
				    G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
				    &b->pid, pin[0], pout[1], logfd, &err)) {
		soak_error(b->a, "cannot start node: %s", err->message);
		return false;
	}
	close(pin[0]);
	close(pout[1]);
	close(logfd);
	b->in = pin[1];
	b->out = pout[0];
	soak_log(b->s, "%s: chromium watches %s (log %s)", b->a->name, url, log);
	return true;
}

static int64_t member(JsonObject *o, const char *name)
{
	return json_object_get_int_member_with_default(o, name, 0);
}

/* One report of the page. */
static void take(struct browser *b, const char *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o;
	JsonArray *closes;
	int64_t decoded, gaps, page_errors, n_closes, bad = 0, gone = 0;
	const char *state;

	if (!json_parser_load_from_data(parser, text, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		return;
	o = json_node_get_object(json_parser_get_root(parser));
	decoded = member(o, "decoded");
	gaps = member(o, "gaps");
	closes = json_object_get_array_member(o, "closes");
	n_closes = closes ? json_array_get_length(closes) : 0;
	for (int64_t i = 0; i < n_closes; i++) {
		int64_t code = json_array_get_int_element(closes, (guint)i);

		if (code == 4004 || code == 4002)
			gone++;
		else if (code != 1000 && code != 1005)
			bad++;
	}
	page_errors = member(o, "decoderErrors") + bad;
	if (decoded > b->decoded) {
		g_atomic_int_add(&b->a->n.frames, (gint)(decoded - b->decoded));
		b->progress_us = g_get_monotonic_time();
	}
	if (gaps > b->gaps) {
		g_atomic_int_add(&b->a->n.misses, (gint)(gaps - b->gaps));
		soak_error(b->a, "the page's socket saw %" G_GINT64_FORMAT " access units missing",
			   gaps - b->gaps);
	}
	if (page_errors > b->page_errors)
		soak_error(b->a, "the page: %" G_GINT64_FORMAT " decoder errors, closes %s",
			   member(o, "decoderErrors"), text);
	if (n_closes > b->closes) {
		g_atomic_int_set(&b->a->n.producer_gaps, (gint)gone);
		b->progress_us = g_get_monotonic_time(); /* it reconnects now */
	}
	g_atomic_int_set(&b->a->n.connects, (gint)member(o, "connects"));
	g_atomic_int_set(&b->a->n.drops, (gint)member(o, "skipped"));
	state = json_object_get_string_member_with_default(o, "state", "");
	g_atomic_int_set(&b->a->up, g_str_equal(state, "streaming"));
	b->decoded = MAX(b->decoded, decoded);
	b->gaps = MAX(b->gaps, gaps);
	b->page_errors = MAX(b->page_errors, page_errors);
	b->closes = n_closes;
}

/* Read what node printed; whole lines go to take(). @return false at its end. */
static bool read_reports(struct browser *b, int wait_ms)
{
	struct pollfd pfd = { .fd = b->out, .events = POLLIN };
	char buf[4096];
	ssize_t n;
	char *nl;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return true;
	n = read(b->out, buf, sizeof(buf));
	if (n <= 0)
		return false;
	g_string_append_len(b->line, buf, n);
	while ((nl = strchr(b->line->str, '\n'))) {
		*nl = '\0';
		take(b, b->line->str);
		g_string_erase(b->line, 0, nl + 1 - b->line->str);
	}
	return true;
}

static void stop(struct browser *b)
{
	int64_t deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	int status;

	close(b->in); /* the script reports once more and ends */
	while (read_reports(b, 100) && g_get_monotonic_time() < deadline)
		;
	while (waitpid(b->pid, &status, WNOHANG) == 0) {
		if (g_get_monotonic_time() > deadline) {
			kill(-b->pid, SIGKILL);
			waitpid(b->pid, &status, 0);
			break;
		}
		g_usleep(50000);
	}
	close(b->out);
}

gpointer soak_browser_main(gpointer data)
{
	struct soak_actor *a = data;
	struct browser b = { .a = a, .s = a->soak, .line = g_string_new(NULL) };

	if (!start(&b)) {
		g_string_free(b.line, TRUE);
		return NULL;
	}
	b.progress_us = g_get_monotonic_time();
	while (!soak_stopping(b.s)) {
		int epoch, gap;

		if (soak_take_request(a, &gap)) {
			if (write(b.in, "close\n", 6) == 6)
				g_atomic_int_inc(&a->n.planned);
			b.progress_us = g_get_monotonic_time();
		}
		if (!read_reports(&b, 100)) {
			soak_error(a, "the browser ended (see browser.log)");
			break;
		}
		if (!soak_producer_up(a, &epoch) || epoch != b.epoch) {
			b.epoch = epoch;
			b.progress_us = g_get_monotonic_time();
		} else if (g_get_monotonic_time() - b.progress_us > (int64_t)SOAK_STALL_MS * 1000) {
			soak_error(a, "the page decoded nothing for %d s", SOAK_STALL_MS / 1000);
			b.progress_us = g_get_monotonic_time();
		}
	}
	stop(&b);
	g_string_free(b.line, TRUE);
	return NULL;
}
