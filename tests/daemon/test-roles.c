/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Viewers' roles (docs/web.md, "Roles and control"): --token watches and
 * sends input, --view-token only watches, and a control viewer may take
 * the machine's input for itself and release it. The machine is a TCP
 * guest that asked for input (HELLO_INPUT): every event a viewer's input
 * becomes reaches it as an HXFR INPUT message, so the test sees exactly
 * what got through. Also the refused-input and connection-end counters of
 * /metrics, and the options' checks. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "web-client.h"

#define INIT_MSG "{\"type\":\"init\",\"codecs\":[\"avc1.42c01f\"],\"width\":320,\"height\":240}"
#define KEY_A 30
#define KEY_B 48
#define KEY_C 46
#define KEY_D 32

static const char *const token_args[] = { "--http=127.0.0.1:0", "--token=ctl",
					  "--view-token=see", NULL };

/* ---- the guest: the machine whose input is watched ---------------------- */

struct guest {
	struct tc_conn *c;
	struct tc_picture *pic;
};

/* A guest named "roles" on TCP that takes viewers' input, with one frame
 * sent: its stream "guest/roles" exists and has a keyframe to show. */
static struct guest *guest_start(struct th_daemon *d)
{
	struct guest *g = g_new0(struct guest, 1);
	struct hxfr_hello h = { .version = HXFR_VERSION, .frame_paths = HXFR_PATH_INLINE,
				.max_inflight = 2, .flags = HXFR_HELLO_INPUT };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_HELLO_SIZE];
	struct hxfr_hello_resp resp;
	const char *why = NULL;
	struct tc_stream st;
	struct tc_msg msg;

	g->c = tc_connect_tcp(d->port);
	g_strlcpy(h.name, "roles", sizeof(h.name));
	g_assert_cmpint(hxfr_build_hello(buf, sizeof(buf), 0, &h), ==, sizeof(buf));
	tc_send_ok(g->c, buf, sizeof(buf));
	tc_expect(g->c, HXFR_HELLO_RESP, &msg);
	g_assert_cmpint(hxfr_decode_hello_resp(&msg.m, &resp, &why), ==, 0);
	tc_msg_clear(&msg);
	tc_config(g->c, 1000000, 30);
	g->pic = tc_picture_new(HXFR_FMT_NV12, 320, 240, 0);
	tc_picture_render(g->pic, 0);
	tc_stream_init(&st);
	tc_send_frame(g->c, g->pic, tc_pts(0), true);
	tc_expect_frame(g->c, &st, g->pic, tc_pts(0));
	tc_stream_clear(&st);
	return g;
}

static void guest_free(struct guest *g)
{
	tc_close(g->c);
	tc_picture_free(g->pic);
	g_free(g);
}

/* The next INPUT message the guest gets (other messages are skipped). */
static struct hxfr_input guest_input(struct guest *g)
{
	int64_t end = g_get_monotonic_time() + (int64_t)TH_TIMEOUT_MS * 1000;
	struct hxfr_input in;
	const char *why = NULL;
	struct tc_msg msg;

	for (;;) {
		int left = (int)((end - g_get_monotonic_time()) / 1000);
		int r = tc_recv(g->c, MAX(left, 1), &msg);

		g_assert_cmpint(r, ==, 1);
		if (msg.m.hdr.type == HXFR_INPUT)
			break;
		tc_msg_clear(&msg);
	}
	g_assert_cmpint(hxfr_decode_input(&msg.m, &in, &why), ==, 0);
	tc_msg_clear(&msg);
	return in;
}

/* The guest's next INPUT is key @p code going @p down. */
static void expect_key(struct guest *g, uint16_t code, bool down)
{
	struct hxfr_input in = guest_input(g);

	g_test_message("guest got INPUT kind %u code %u down %u", in.kind, in.code, in.down);
	g_assert_cmpuint(in.kind, ==, HXFR_INPUT_KEY);
	g_assert_cmpuint(in.code, ==, code);
	g_assert_cmpuint(in.down, ==, down);
}

/* ---- viewers -------------------------------------------------------------- */

struct viewer {
	struct wc_ws *ws;
	int64_t index;          /* its number ("viewer" of its init) */
	GPtrArray *texts;       /* text messages read while waiting for others */
};

static int64_t json_int(const char *json, const char *name)
{
	g_autofree char *key = g_strdup_printf("\"%s\":", name);
	const char *p = strstr(json, key);

	g_assert_nonnull(p);
	p += strlen(key);
	return strncmp(p, "null", 4) == 0 ? -1 : g_ascii_strtoll(p, NULL, 10);
}

/* The next text message whose type is @p type, the first of those kept
 * if any; every other text read meanwhile is kept in v->texts. NULL on
 * timeout. */
static char *next_text(struct viewer *v, const char *type)
{
	g_autoptr(GByteArray) payload = g_byte_array_new();
	g_autofree char *want = g_strdup_printf("\"type\":\"%s\"", type);
	int64_t end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	for (guint i = 0; i < v->texts->len; i++)
		if (strstr(v->texts->pdata[i], want))
			return g_ptr_array_steal_index(v->texts, i);
	while (g_get_monotonic_time() < end) {
		int op = wc_ws_recv(v->ws, 200, payload);
		char *text;

		g_assert_cmpint(op, !=, -2);
		if (op != 1)
			continue;
		text = g_strndup((const char *)payload->data, payload->len);
		if (strstr(text, want))
			return text;
		g_ptr_array_add(v->texts, text);
	}
	return NULL;
}

/* Texts of @p type among those kept, which are then dropped. */
static unsigned kept(struct viewer *v, const char *type, const char *also)
{
	g_autofree char *want = g_strdup_printf("\"type\":\"%s\"", type);
	unsigned n = 0;

	for (guint i = 0; i < v->texts->len; i++) {
		const char *t = v->texts->pdata[i];

		n += strstr(t, want) && (!also || strstr(t, also));
	}
	g_ptr_array_set_size(v->texts, 0);
	return n;
}

static struct viewer *viewer_open(struct th_daemon *d, const char *token, const char *source,
				  const char *role)
{
	struct viewer *v = g_new0(struct viewer, 1);
	g_autofree char *path = g_strdup_printf("/ws/stream?source=%s%s%s", source,
						token ? "&token=" : "", token ? token : "");
	g_autofree char *init = NULL, *want = g_strdup_printf("\"role\":\"%s\"", role);

	v->texts = g_ptr_array_new_with_free_func(g_free);
	v->ws = wc_ws_open(d->http_port, NULL, path, NULL);
	g_assert_cmpint(v->ws->status, ==, 101);
	g_assert_true(wc_ws_send_text(v->ws, INIT_MSG));
	init = next_text(v, "init");
	g_assert_nonnull(init);
	g_assert_nonnull(strstr(init, want));
	v->index = json_int(init, "viewer");
	return v;
}

static void viewer_free(struct viewer *v)
{
	wc_ws_free(v->ws);
	g_ptr_array_unref(v->texts);
	g_free(v);
}

static void send_text(struct viewer *v, const char *text)
{
	g_assert_true(wc_ws_send_text(v->ws, text));
}

static void send_key(struct viewer *v, const char *code, bool down)
{
	g_autofree char *text = g_strdup_printf("{\"type\":\"key\",\"code\":\"%s\",\"down\":%s}",
						code, down ? "true" : "false");

	send_text(v, text);
}

/* A ping and its pong: everything @p v sent before has been handled. */
static void sync_viewer(struct viewer *v)
{
	g_autofree char *pong = NULL;

	send_text(v, "{\"type\":\"ping\",\"t\":7}");
	pong = next_text(v, "pong");
	g_assert_nonnull(pong);
}

/* The next control message @p v gets says @p holder (-1: none) and @p you. */
static void expect_control(struct viewer *v, int64_t holder, bool you)
{
	g_autofree char *text = next_text(v, "control");

	g_assert_nonnull(text);
	g_test_message("viewer %" G_GINT64_FORMAT " told %s", v->index, text);
	g_assert_cmpint(json_int(text, "holder"), ==, holder);
	g_assert_nonnull(strstr(text, you ? "\"you\":true" : "\"you\":false"));
}

/* ---- /metrics ------------------------------------------------------------- */

static char *metrics(struct th_daemon *d)
{
	char *text = NULL;

	g_assert_cmpint(wc_get(d->http_port, NULL, "/metrics?token=ctl", NULL, &text), ==, 200);
	return text;
}

/* The value of sample @p sample ("name{labels}") in @p text; asserts it is there. */
static uint64_t sample(const char *text, const char *sample)
{
	g_autofree char *key = g_strdup_printf("\n%s ", sample);
	const char *p = strstr(text, key);

	if (!p)
		g_error("no sample %s in /metrics:\n%s", sample, text);
	return g_ascii_strtoull(p + strlen(key), NULL, 10);
}

/* Prometheus's own linter, where it is installed. */
static void promtool_check(const char *text)
{
	g_autofree char *path = g_find_program_in_path("promtool");
	g_autofree char *file = NULL, *out = NULL, *err = NULL, *cmd = NULL;
	int status = 0, fd;

	if (!path) {
		g_test_message("promtool not installed: the metrics lint is skipped");
		return;
	}
	fd = g_file_open_tmp("hostenc-metrics-XXXXXX", &file, NULL);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(file, text, -1, NULL));
	cmd = g_strdup_printf("sh -c 'promtool check metrics < %s'", file);
	g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
	g_unlink(file);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("promtool check metrics: %s%s", out, err);
}

/* ---- the tests ------------------------------------------------------------ */

static void test_options(void)
{
	static const char *const alone[] = { "--view-token=see", "--check-config", NULL };
	static const char *const same[] = { "--token=x", "--view-token=x", "--check-config", NULL };
	static const char *const both[] = { "--token=x", "--view-token=y", "--check-config", NULL };
	g_autofree char *dir = g_dir_make_tmp("hostenc-roles-XXXXXX", NULL);
	g_autofree char *good = g_build_filename(dir, "good.conf", NULL);
	g_autofree char *bad = g_build_filename(dir, "bad.conf", NULL);
	g_autofree char *good_arg = g_strdup_printf("--config=%s", good);
	g_autofree char *bad_arg = g_strdup_printf("--config=%s", bad);
	const char *file_good[] = { good_arg, "--check-config", NULL };
	const char *file_bad[] = { bad_arg, "--check-config", NULL };
	char *out = NULL, *err = NULL;

	g_assert_cmpint(th_run(alone, &out, &err), ==, 2);
	g_test_message("--view-token alone: %s", err);
	g_assert_nonnull(strstr(err, "--view-token without --token"));
	g_assert_nonnull(strstr(err, "give --token TOKEN"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(th_run(same, &out, &err), ==, 2);
	g_assert_nonnull(strstr(err, "--view-token equals --token"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(th_run(both, &out, &err), ==, 0);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);

	g_assert_true(g_file_set_contents(good, "[hostencd]\ntoken=x\nview-token=y\n", -1, NULL));
	g_assert_true(g_file_set_contents(bad, "[hostencd]\nview-token=y\n", -1, NULL));
	g_assert_cmpint(th_run(file_good, &out, &err), ==, 0);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(th_run(file_bad, &out, &err), ==, 2);
	g_assert_nonnull(strstr(err, "--view-token without --token"));
	g_free(out);
	g_free(err);
	g_unlink(good);
	g_unlink(bad);
	g_rmdir(dir);
}

/* A view-token viewer's input of every kind never reaches the machine; it
 * is told so once a second; the control viewer's does reach it. */
static void test_view_only(void)
{
	struct th_options o = { .args = token_args };
	struct th_daemon *d = th_daemon_start(&o);
	struct guest *g = guest_start(d);
	struct viewer *see = viewer_open(d, "see", "guest/roles", "view");
	struct viewer *ctl = viewer_open(d, "ctl", "guest/roles", "control");
	g_autofree char *text = NULL, *stats = NULL;
	struct hxfr_input in;

	expect_control(see, -1, false);
	expect_control(ctl, -1, false);

	/* Every kind of input, and an attempt to take control: 7 refused. */
	send_key(see, "KeyA", true);
	send_key(see, "KeyA", false);
	send_text(see, "{\"type\":\"pointer\",\"x\":100,\"y\":200,\"buttons\":1}");
	send_text(see, "{\"type\":\"pointer\",\"dx\":5,\"dy\":5,\"buttons\":0}");
	send_text(see, "{\"type\":\"wheel\",\"dx\":0,\"dy\":300}");
	send_text(see, "{\"type\":\"resize\",\"width\":640,\"height\":480}");
	send_text(see, "{\"type\":\"control\",\"action\":\"take\"}");
	send_text(see, "{\"type\":\"control\",\"action\":5}"); /* not an action: ignored */
	sync_viewer(see);
	/* told once for the whole burst, with the reason */
	g_assert_cmpuint(kept(see, "input-refused", "\"reason\":\"view-only\""), ==, 1);

	/* The control viewer's key is the first input the machine gets:
	 * nothing of the view-only viewer's went before it. */
	send_key(ctl, "KeyB", true);
	send_key(ctl, "KeyB", false);
	send_text(ctl, "{\"type\":\"pointer\",\"x\":16384,\"y\":16384,\"buttons\":0}");
	expect_key(g, KEY_B, true);
	expect_key(g, KEY_B, false);
	in = guest_input(g);
	g_assert_cmpuint(in.kind, ==, HXFR_INPUT_MOTION_ABS);
	g_assert_cmpuint(in.x, ==, 16384);
	sync_viewer(ctl);
	g_assert_cmpuint(kept(ctl, "input-refused", NULL), ==, 0);

	/* A second later it is told again. */
	g_usleep(1100 * 1000);
	send_key(see, "KeyC", true);
	text = next_text(see, "input-refused");
	g_assert_nonnull(text);
	g_assert_nonnull(strstr(text, "\"reason\":\"view-only\""));
	sync_viewer(see);
	send_key(ctl, "KeyD", true);
	expect_key(g, KEY_D, true);

	/* Either token reads /stats, /metrics, /sources; another does not. */
	g_assert_cmpint(wc_get(d->http_port, NULL, "/sources?token=see", NULL, NULL), ==, 200);
	g_assert_cmpint(wc_get(d->http_port, NULL, "/metrics?token=see", NULL, NULL), ==, 200);
	g_assert_cmpint(wc_get(d->http_port, NULL, "/stats", "Authorization: Bearer see\r\n",
			       &stats), ==, 200);
	g_assert_nonnull(strstr(stats, "\"role\" : \"view\""));
	g_assert_cmpint(wc_get(d->http_port, NULL, "/stats?token=nope", NULL, NULL), ==, 401);
	{
		g_autofree char *m = metrics(d);

		g_assert_cmpuint(sample(m, "hostenc_input_refused_total{reason=\"view-only\"}"),
				 ==, 8);
		g_assert_cmpuint(sample(m, "hostenc_input_refused_total{reason=\"not-in-control\"}"),
				 ==, 0);
	}
	viewer_free(see);
	viewer_free(ctl);
	guest_free(g);
	th_daemon_stop(d);
}

/* Take and release: exclusive input for the taker, the others told and
 * refused; keys held by the one losing control are released. */
static void test_take_release(void)
{
	struct th_options o = { .args = token_args };
	struct th_daemon *d = th_daemon_start(&o);
	struct guest *g = guest_start(d);
	struct viewer *a = viewer_open(d, "ctl", "guest/roles", "control");
	struct viewer *b = viewer_open(d, "ctl", "guest/roles", "control");
	struct viewer *see = viewer_open(d, "see", "guest/roles", "view");
	g_autofree char *m = NULL, *refused = NULL;
	g_autoptr(GByteArray) payload = g_byte_array_new();
	int op;

	expect_control(a, -1, false);
	expect_control(b, -1, false);
	expect_control(see, -1, false);

	/* Shared: both control viewers' keys arrive; a holds KeyA down. */
	send_key(a, "KeyA", true);
	expect_key(g, KEY_A, true);
	send_key(b, "KeyB", true);
	send_key(b, "KeyB", false);
	expect_key(g, KEY_B, true);
	expect_key(g, KEY_B, false);

	/* b takes control: a's held key is let go, everyone is told. */
	send_text(b, "{\"type\":\"control\",\"action\":\"take\"}");
	expect_key(g, KEY_A, false);
	expect_control(b, b->index, true);
	expect_control(a, b->index, false);
	expect_control(see, b->index, false);

	/* a's input is refused (not in control) and never arrives; b's does. */
	send_key(a, "KeyC", true);
	send_key(a, "KeyC", false);
	sync_viewer(a);
	g_assert_cmpuint(kept(a, "input-refused", "\"reason\":\"not-in-control\""), ==, 1);
	send_key(b, "KeyD", true);
	expect_key(g, KEY_D, true);

	/* a takes it back: b's held KeyD is let go; b is refused now. */
	send_text(a, "{\"type\":\"control\",\"action\":\"take\"}");
	expect_key(g, KEY_D, false);
	expect_control(a, a->index, true);
	expect_control(b, a->index, false);
	expect_control(see, a->index, false);
	send_key(b, "KeyB", true);
	refused = next_text(b, "input-refused");
	g_assert_nonnull(strstr(refused, "not-in-control"));
	/* b cannot release what it does not hold: it is told the state */
	send_text(b, "{\"type\":\"control\",\"action\":\"release\"}");
	expect_control(b, a->index, false);

	/* a releases: shared again, b's keys arrive. */
	send_text(a, "{\"type\":\"control\",\"action\":\"release\"}");
	expect_control(a, -1, false);
	expect_control(b, -1, false);
	expect_control(see, -1, false);
	send_key(b, "KeyC", true);
	expect_key(g, KEY_C, true);

	/* The view-only viewer cannot take. */
	send_text(see, "{\"type\":\"control\",\"action\":\"take\"}");
	sync_viewer(see);
	g_assert_cmpuint(kept(see, "input-refused", "view-only"), ==, 1);
	send_key(a, "KeyA", true);
	expect_key(g, KEY_A, true);

	/* The holder leaving gives control back to everyone. */
	send_text(a, "{\"type\":\"control\",\"action\":\"take\"}");
	expect_key(g, KEY_C, false); /* b's held KeyC */
	expect_control(b, a->index, false);
	expect_control(see, a->index, false);
	g_assert_true(wc_ws_send(a->ws, 8, true, "\x03\xe8", 2)); /* close 1000 */
	do
		op = wc_ws_recv(a->ws, 5000, payload);
	while (op >= 0 && op != 8);
	expect_key(g, KEY_A, false); /* what a held, released as it left */
	expect_control(b, -1, false);
	expect_control(see, -1, false);
	send_key(b, "KeyD", true);
	expect_key(g, KEY_D, true);

	m = metrics(d);
	g_assert_cmpuint(sample(m, "hostenc_input_refused_total{reason=\"not-in-control\"}"), ==, 3);
	g_assert_cmpuint(sample(m, "hostenc_input_refused_total{reason=\"view-only\"}"), ==, 1);
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"normal\"}"), ==, 1);

	/* The machine stopping ends the other two (4004). */
	guest_free(g);
	g = NULL;
	for (struct viewer **v = (struct viewer *[]){ b, see, NULL }; *v; v++) {
		do
			op = wc_ws_recv((*v)->ws, 10000, payload);
		while (op >= 0 && op != 8);
		g_assert_cmpint(op, ==, 8);
		g_assert_cmpuint((*v)->ws->close_code, ==, 4004);
	}
	for (int tries = 0; tries < 100; tries++) {
		g_free(m);
		m = metrics(d);
		if (sample(m, "hostenc_viewer_closes_total{reason=\"machine-stopped\"}") == 2)
			break;
		g_usleep(50 * 1000);
	}
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"machine-stopped\"}"), ==, 2);
	viewer_free(a);
	viewer_free(b);
	viewer_free(see);
	th_daemon_stop(d);
}

/* Without any token a viewer controls. */
static void test_no_token(void)
{
	static const char *const args[] = { "--http=127.0.0.1:0", "--pattern-size=320x240", NULL };
	struct th_options o = { .pattern = true, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	struct viewer *v = viewer_open(d, NULL, "0", "control");

	expect_control(v, -1, false);
	send_text(v, "{\"type\":\"control\",\"action\":\"take\"}");
	expect_control(v, v->index, true);
	viewer_free(v);
	th_daemon_stop(d);
}

/* Members of the wrong type in the page's messages (a number for a
 * string, an object for a number) are ignored: no crash, no GLib critical
 * (th_daemon_stop checks the log), and the viewer keeps working. */
static void test_odd_members(void)
{
	static const char *const odd[] = {
		"{\"type\":5}", "{\"type\":{}}", "{\"type\":[\"key\"]}", "{\"type\":null}",
		"{\"type\":\"control\",\"action\":5}", "{\"type\":\"control\",\"action\":{}}",
		"{\"type\":\"key\",\"code\":5,\"down\":{}}", "{\"type\":\"key\",\"code\":[]}",
		"{\"type\":\"pointer\",\"x\":{},\"y\":\"a\",\"buttons\":[1]}",
		"{\"type\":\"pointer\",\"dx\":1e300,\"dy\":-1e300}",
		"{\"type\":\"wheel\",\"dx\":{},\"dy\":1e300}",
		"{\"type\":\"resize\",\"width\":\"640\",\"height\":[]}",
		"{\"type\":\"ping\",\"t\":{}}", NULL,
	};
	struct th_options o = { .args = token_args };
	struct th_daemon *d = th_daemon_start(&o);
	struct guest *g = guest_start(d);
	struct viewer *ctl = viewer_open(d, "ctl", "guest/roles", "control");
	struct viewer *see = viewer_open(d, "see", "guest/roles", "view");

	for (const char *const *m = odd; *m; m++) {
		send_text(ctl, *m);
		send_text(see, *m);
	}
	sync_viewer(ctl);
	sync_viewer(see);
	g_assert_true(th_daemon_alive(d));
	/* a number with a fraction is taken as its whole part */
	send_text(ctl, "{\"type\":\"pointer\",\"x\":8192.75,\"y\":100,\"buttons\":0}");
	for (;;) {
		struct hxfr_input in = guest_input(g);

		if (in.kind == HXFR_INPUT_MOTION_ABS && in.y == 100) {
			g_assert_cmpuint(in.x, ==, 8192);
			break;
		}
	}
	viewer_free(ctl);
	viewer_free(see);
	guest_free(g);
	th_daemon_stop(d);
}

static void wait_closed(struct wc_ws *ws)
{
	g_assert_cmpint(wc_wait_closed(ws->fd, 10000), >=, 0);
}

/* Each way a connection ends is counted under its reason; the text
 * messages dropped by the rates are counted as refused input ("rate"). */
static void test_close_metrics(void)
{
	static const char *const args[] = { "--http=127.0.0.1:0", "--pattern-size=320x240",
					    "--token=ctl", NULL };
	struct th_options o = { .pattern = true, .args = args };
	struct th_daemon *d = th_daemon_start(&o);
	g_autoptr(GByteArray) pings = g_byte_array_new();
	g_autofree char *m = NULL, *stats = NULL, *secret = NULL, *q = NULL;
	struct viewer *flood[5], *v;
	struct wc_ws *ws;
	uint64_t dropped = 0;

	/* unknown source (4002) */
	ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=99&token=ctl", NULL);
	g_assert_cmpint(ws->status, ==, 101);
	wait_closed(ws);
	wc_ws_free(ws);
	/* superseded (4000): the same client id with its secret */
	ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=0&token=ctl&client=roles-1", NULL);
	g_assert_true(wc_ws_send_text(ws, INIT_MSG));
	{
		g_autofree char *init = wc_ws_wait_text(ws, "init", 10000);

		g_assert_nonnull(init);
		secret = wc_json_string(init, "secret");
	}
	q = g_strdup_printf("/ws/stream?source=0&token=ctl&client=roles-1&secret=%s", secret);
	v = g_new0(struct viewer, 1);
	v->ws = wc_ws_open(d->http_port, NULL, q, NULL);
	v->texts = g_ptr_array_new_with_free_func(g_free);
	wait_closed(ws);
	wc_ws_free(ws);
	/* limit: a message over 4 KiB */
	ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=0&token=ctl", NULL);
	{
		g_autofree char *big = g_malloc0(5000);

		memset(big, 'x', 5000);
		wc_ws_send(ws, 1, true, big, 5000);
	}
	wait_closed(ws);
	wc_ws_free(ws);
	/* broken: the socket closed without a close frame */
	ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=0&token=ctl", NULL);
	g_assert_true(wc_ws_send_text(ws, INIT_MSG));
	g_free(wc_ws_wait_text(ws, "init", 10000));
	wc_ws_free(ws);
	/* normal: the page closes */
	ws = wc_ws_open(d->http_port, NULL, "/ws/stream?source=0&token=ctl", NULL);
	g_assert_true(wc_ws_send_text(ws, INIT_MSG));
	g_free(wc_ws_wait_text(ws, "init", 10000));
	g_assert_true(wc_ws_send(ws, 8, true, "\x03\xe8", 2));
	wait_closed(ws);
	wc_ws_free(ws);

	/* rate: five viewers send 990 pings each at once (under each one's
	 * own limits), far over the stream's 2000 a second */
	for (int i = 0; i < 990; i++)
		wc_ws_frame(pings, 1, true, "{\"type\":\"ping\",\"t\":1}", 21);
	for (int i = 0; i < 5; i++)
		flood[i] = viewer_open(d, "ctl", "0", "control");
	for (int i = 0; i < 5; i++)
		g_assert_cmpint(send(flood[i]->ws->fd, pings->data, pings->len, MSG_NOSIGNAL), ==,
				(gssize)pings->len);
	/* once the last one is answered, every ping before has been handled */
	for (int i = 0; i < 5; i++) {
		g_autoptr(GByteArray) payload = g_byte_array_new();

		g_usleep(1100 * 1000);
		send_text(flood[i], "{\"type\":\"ping\",\"t\":2}");
		for (;;) {
			int op = wc_ws_recv(flood[i]->ws, 10000, payload);

			g_assert_cmpint(op, >=, 0);
			if (op == 1 && g_strstr_len((char *)payload->data, payload->len, "\"t\":2"))
				break;
		}
	}
	g_assert_cmpint(wc_get(d->http_port, NULL, "/stats?token=ctl", NULL, &stats), ==, 200);
	for (const char *p = stats; (p = strstr(p, "\"input_dropped\" : ")); p++)
		dropped += g_ascii_strtoull(p + strlen("\"input_dropped\" : "), NULL, 10);

	for (int tries = 0; tries < 100; tries++) {
		g_free(m);
		m = metrics(d);
		if (sample(m, "hostenc_viewer_closes_total{reason=\"broken\"}") == 1 &&
		    sample(m, "hostenc_viewer_closes_total{reason=\"normal\"}") == 1)
			break;
		g_usleep(50 * 1000);
	}
	g_test_message("%s", m);
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"unknown-source\"}"), ==, 1);
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"superseded\"}"), ==, 1);
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"limit\"}"), ==, 1);
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"broken\"}"), ==, 1);
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"normal\"}"), ==, 1);
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"slow\"}"), ==, 0);
	g_assert_cmpuint(sample(m, "hostenc_viewer_closes_total{reason=\"auth\"}"), ==, 0);
	g_test_message("the stream's rate dropped %" G_GUINT64_FORMAT " of 4950 pings", dropped);
	g_assert_cmpuint(dropped, >, 0);
	g_assert_cmpuint(sample(m, "hostenc_input_refused_total{reason=\"rate\"}"), ==, dropped);
	g_assert_cmpuint(sample(m, "hostenc_input_refused_total{reason=\"view-only\"}"), ==, 0);
	/* labels from a fixed set only: no number, id or address */
	g_assert_null(strstr(m, "client="));
	promtool_check(m);

	for (int i = 0; i < 5; i++)
		viewer_free(flood[i]);
	viewer_free(v);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/roles/options", test_options);
	g_test_add_func("/roles/view-only", test_view_only);
	g_test_add_func("/roles/take-release", test_take_release);
	g_test_add_func("/roles/no-token", test_no_token);
	g_test_add_func("/roles/odd-members", test_odd_members);
	g_test_add_func("/roles/close-metrics", test_close_metrics);
	return g_test_run();
}
