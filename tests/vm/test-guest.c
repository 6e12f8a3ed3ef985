/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vsockenc inside a real guest: the demo guest (TCG) runs the host's own
 * gst-launch-1.0 and the plugin of this build over its 9p root, against a
 * hostencd that has the VM attached. Each transport the guest has (TCP
 * through user networking, the VM's virtio-serial port, with and without
 * the ivshmem ring) must bring the guest's pictures to the host exactly: a
 * subscriber on the host decodes the stream and checks the SMPTE bars the
 * guest's videotestsrc drew. Then what broke for users: restarting the
 * pipeline on one virtio-serial port, a pipeline killed mid-message, a
 * shared-memory file that is not the guest's, hostencd restarting under a
 * running pipeline, a guest frozen without closing its connection, one
 * killed on its VM's channel. A
 * scanout id kept for its VM while the guest is away.
 * An X11 desktop (Xvfb, ximagesrc) captured in the guest.
 * And the virtio-gpu resource id of a DMA-BUF.
 *
 * One VM for all (booting is most of the time); the cases run in order and
 * skip when the boot failed.
 */
#include <glib/gstdio.h>
#include <hxfr/hxfr.h>
#include <json-glib/json-glib.h>
#include <libavutil/frame.h>
#include <signal.h>
#include <string.h>

#include "client.h"
#include "guest-vm.h"
#include "harness.h"

#define BOOT_TIMEOUT_S 90
#define CMD_TIMEOUT_S 120
#define WATCH_TIMEOUT_S 60
#define SESSION_IDLE_S 8 /* hostencd's, for the half-open case */
#define PORT_NAME "org.hostenc.hxfr.0"
#define VM_NAME "g1"
#define WIDTH 320
#define HEIGHT 240

static GuestVm vm;
static struct th_daemon *host;
static char *plugin_dir; /* what the guest's GStreamer loads */
static char *stale_path; /* a valid ring that is not the guest's */

/* ---- set-up ---- */

static gboolean
skip_without_guest(void)
{
	const char *why = guest_vm_unavailable();

	if (why) {
		g_test_skip(why);
		return TRUE;
	}
	if (!vm.booted || !host) {
		g_test_skip("the guest or hostencd did not start (see /guest/boot)");
		return TRUE;
	}
	return FALSE;
}

static char *
run(const char *cmd, int *status)
{
	return guest_vm_run(&vm, cmd, CMD_TIMEOUT_S, status);
}

/* The guest's GStreamer sees only the plugins these tests use (scanning
 * every system plugin under TCG takes minutes) and this build's vsockenc. */
static void
make_plugin_dir(void)
{
	static const char *const system[] = { "libgstcoreelements.so",
		"libgstvideotestsrc.so", "libgstvideoconvertscale.so", "libgstximagesrc.so" };
	const char *sysdir = g_getenv("VSOCKENC_SYSTEM_PLUGINS");
	const char *ours = g_getenv("VSOCKENC_PLUGIN_DIR");
	g_autofree char *plugin = NULL;
	g_autofree char *link = NULL;

	g_assert_nonnull(sysdir);
	g_assert_nonnull(ours);
	plugin_dir = g_build_filename(vm.tmp, "gst-plugins", NULL);
	g_assert_cmpint(g_mkdir(plugin_dir, 0755), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(system); i++) {
		g_autofree char *from = g_build_filename(sysdir, system[i], NULL);
		g_autofree char *to = g_build_filename(plugin_dir, system[i], NULL);

		g_assert_cmpint(symlink(from, to), ==, 0);
	}
	plugin = g_build_filename(ours, "libgsthostenc.so", NULL);
	link = g_build_filename(plugin_dir, "libgsthostenc.so", NULL);
	g_assert_cmpint(symlink(plugin, link), ==, 0);
}

/* A ring as a guest of an earlier run left it: valid, with its own id,
 * and every slot a flat grey that the checks below would not accept. */
static void
make_stale_ring(void)
{
	const gsize size = 4u << 20;
	g_autofree guint8 *mem = g_malloc(size);
	struct hxfr_ring_header h;

	/* small slots: the whole ring fits in the range the guest attaches,
	 * so only its id can tell it is not the guest's */
	stale_path = g_build_filename(vm.tmp, "stale-ring", NULL);
	g_assert_cmpint(hxfr_ring_init(mem, size, 2, 128u << 10, 0x5eed5eed5eedull), ==, 0);
	g_assert_cmpint(hxfr_ring_header_read(mem, size, &h, NULL), ==, 0);
	memset(mem + h.data_offset, 0x80, size - h.data_offset);
	g_assert_true(g_file_set_contents(stale_path, (const char *)mem, (gssize)size, NULL));
}

static struct th_daemon *
start_host(void)
{
	g_autofree char *shm = g_strdup_printf("--shm=%s/ivshmem", vm.dir);
	g_autofree char *stale = g_strdup_printf("--shm=stale=%s", stale_path);
	g_autofree char *idle = g_strdup_printf("--session-idle-timeout=%d", SESSION_IDLE_S);
	const char *args[] = { "--http=127.0.0.1:0", shm, stale, idle, NULL };
	struct th_options o = { .pattern = false, .args = args, .vm_dir = vm.vm_root };

	return th_daemon_start(&o);
}

/* The guest's shell gets the environment every pipeline uses. */
static void
setup_guest_gstreamer(void)
{
	const char *preload = g_getenv("VSOCKENC_PRELOAD");
	g_autofree char *env = g_strdup_printf(
		"export GST_PLUGIN_SYSTEM_PATH_1_0=%s GST_PLUGIN_PATH_1_0= "
		"GST_REGISTRY_1_0=/tmp/gst-registry.bin GST_REGISTRY_FORK=no "
		"ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD='%s'",
		plugin_dir, preload ? preload : "");
	gint64 t0;
	g_autofree char *out = NULL;
	int status = -1;

	g_free(run(env, NULL));
	t0 = g_get_monotonic_time();
	out = run("gst-inspect-1.0 vsockenc 2>&1 | grep -c stream-name", &status);
	g_test_message("the guest's GStreamer registry built in %.1f s",
		       (g_get_monotonic_time() - t0) / 1e6);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpint(atoi(out), >=, 1);
}

static void
test_boot(void)
{
	gint64 deadline = g_get_monotonic_time() + BOOT_TIMEOUT_S * G_USEC_PER_SEC;
	const char *why = guest_vm_unavailable();
	g_autoptr(GError) error = NULL;

	if (why) {
		g_test_skip(why);
		return;
	}
	make_plugin_dir();
	make_stale_ring();
	guest_vm_spawn(&vm, g_getenv("HOSTENC_VM_BIN"), VM_NAME, NULL);
	if (!guest_vm_wait_booted(&vm, deadline, &error))
		g_error("the demo guest did not boot within %d s: %s", BOOT_TIMEOUT_S,
			error->message);
	g_test_message("demo guest booted in %.1f s", vm.boot_s);
	host = start_host();
	setup_guest_gstreamer();
}

/* ---- the host's view: /sources, /stats, a subscriber ---- */

static char *
http_get(uint16_t port, const char *path)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) c = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *req = g_strdup_printf("GET %s HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n\r\n",
					       path, port);
	GString *all = g_string_new(NULL);
	char buf[8192];
	gssize n;
	char *body;

	c = g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(c)),
						req, strlen(req), NULL, NULL, &error));
	while ((n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(c)), buf,
					sizeof(buf), NULL, &error)) > 0)
		g_string_append_len(all, buf, n);
	g_assert_no_error(error);
	body = strstr(all->str, "\r\n\r\n");
	g_assert_nonnull(body);
	body = g_strdup(body + 4);
	g_string_free(all, TRUE);
	return body;
}

/* The id of the stream named @name in /sources, or -1. */
static gint64
find_source(const char *name)
{
	g_autofree char *json = http_get(host->http_port, "/sources");
	g_autoptr(JsonParser) p = json_parser_new();
	JsonArray *a;

	g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
	a = json_node_get_array(json_parser_get_root(p));
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		if (g_strcmp0(json_object_get_string_member(o, "name"), name) == 0)
			return json_object_get_int_member(o, "id");
	}
	return -1;
}

/* The frame path ("shm", "inline") of the session whose stream is @id. */
static char *
session_path(gint64 id)
{
	g_autofree char *json = http_get(host->http_port, "/stats");
	g_autoptr(JsonParser) p = json_parser_new();
	JsonArray *a;

	g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
	a = json_object_get_array_member(json_node_get_object(json_parser_get_root(p)),
					 "sessions");
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		const char *path = json_object_get_string_member(o, "path");

		if (json_object_get_int_member(o, "source") == id &&
		    g_strcmp0(path, "subscriber") != 0)
			return g_strdup(path);
	}
	return g_strdup("(no session)");
}

/* BT.601 limited range, as the host converts. */
static void
rgb_at(const AVFrame *f, int x, int y, int rgb[3])
{
	double Y = 1.164 * (f->data[0][y * f->linesize[0] + x] - 16);
	double U = f->data[1][(y / 2) * f->linesize[1] + x / 2] - 128;
	double V = f->data[2][(y / 2) * f->linesize[2] + x / 2] - 128;

	rgb[0] = (int)(Y + 1.596 * V);
	rgb[1] = (int)(Y - 0.392 * U - 0.813 * V);
	rgb[2] = (int)(Y + 2.017 * U);
}

/* videotestsrc's SMPTE pattern: seven bars across the top two thirds
 * (white, yellow, cyan, green, magenta, red, blue; GStreamer draws them at
 * full intensity). */
static gboolean
smpte_bars_ok(const AVFrame *f)
{
	static const int bars[7][3] = { { 255, 255, 255 }, { 255, 255, 0 }, { 0, 255, 255 },
		{ 0, 255, 0 }, { 255, 0, 255 }, { 255, 0, 0 }, { 0, 0, 255 } };

	if (f->width != WIDTH || f->height != HEIGHT)
		return FALSE;
	for (int i = 0; i < 7; i++) {
		int rgb[3];

		rgb_at(f, (2 * i + 1) * WIDTH / 14, HEIGHT / 3, rgb);
		for (int c = 0; c < 3; c++)
			if (ABS(rgb[c] - bars[i][c]) > 24) {
				g_test_message("bar %d channel %d: %d, want %d", i, c, rgb[c],
					       bars[i][c]);
				return FALSE;
			}
	}
	return TRUE;
}

typedef gboolean (*PictureCheck)(const AVFrame *f);

typedef struct {
	unsigned good, bad;
	char *path; /* the guest session's frame path, while it streamed */
	PictureCheck check; /* NULL: the SMPTE bars at WIDTHxHEIGHT */
} Watch;

static void
watch_clear(Watch *w)
{
	g_free(w->path);
}

/* Subscribes to the stream named @name once it exists and decodes until
 * @want good pictures came (or the stream ends or times out). */
static void
watch(const char *name, unsigned want, Watch *w)
{
	gint64 deadline = g_get_monotonic_time() + WATCH_TIMEOUT_S * G_USEC_PER_SEC;
	gint64 id = -1;
	struct tc_stream st;
	struct tc_conn *c;
	struct tc_msg msg;
	PictureCheck check = w->check ? w->check : smpte_bars_ok;

	memset(w, 0, sizeof(*w));
	while ((id = find_source(name)) < 0) {
		if (g_get_monotonic_time() > deadline)
			g_error("no stream '%s' on the host within %d s", name, WATCH_TIMEOUT_S);
		g_usleep(100 * 1000);
	}
	c = tc_connect_tcp(host->port);
	tc_send_u32(c, HXFR_SUBSCRIBE, 0, (uint32_t)id);
	tc_expect(c, HXFR_SUBSCRIBE_RESP, &msg);
	tc_msg_clear(&msg);
	tc_stream_init(&st);
	while (w->good < want && g_get_monotonic_time() < deadline &&
	       tc_recv(c, 5000, &msg) == 1) {
		struct tc_reply r;
		const AVFrame *f;

		if (msg.m.hdr.type != HXFR_FRAME_RESPONSE) {
			tc_msg_clear(&msg);
			continue;
		}
		tc_parse_response(&msg, &r);
		if (!(r.flags & HXFR_FLAG_DROPPED) && r.r.au_len) {
			f = tc_stream_decode(&st, r.r.au, r.r.au_len, r.r.is_keyframe);
			if (f && check(f))
				w->good++;
			else if (f)
				w->bad++;
		}
		if (!w->path)
			w->path = session_path(id);
		tc_msg_clear(&msg);
	}
	tc_stream_clear(&st);
	tc_close(c);
	g_test_message("%s: %u good pictures, %u wrong; frames went %s", name, w->good,
		       w->bad, w->path ? w->path : "?");
}

/* ---- pipelines in the guest ---- */

/* Starts a pipeline in the background; its exit status lands in
 * /tmp/TAG.rc and its output in /tmp/TAG.log. */
static void
start_pipeline(const char *tag, unsigned frames, const char *props)
{
	g_autofree char *cmd = g_strdup_printf(
		"(gst-launch-1.0 videotestsrc num-buffers=%u pattern=smpte is-live=true ! "
		"video/x-raw,format=BGRx,width=%u,height=%u,framerate=30/1 ! "
		"vsockenc stream-name=%s %s ! fakesink >/tmp/%s.log 2>&1; "
		"echo $? >/tmp/%s.rc) &", frames, WIDTH, HEIGHT, tag, props, tag, tag);

	g_free(run("rm -f /tmp/*.rc", NULL));
	g_free(run(cmd, NULL));
}

/* Waits for the background pipeline; returns its exit status, its output
 * in *log. */
static int
finish_pipeline(const char *tag, char **log)
{
	g_autofree char *cmd = g_strdup_printf("wait; cat /tmp/%s.rc", tag);
	g_autofree char *logcmd = g_strdup_printf("cat /tmp/%s.log", tag);
	g_autofree char *rc = run(cmd, NULL);

	*log = run(logcmd, NULL);
	if (atoi(rc) != 0)
		g_test_message("pipeline %s: exit %s, said:\n%s", tag, rc, *log);
	return atoi(rc);
}

static char *
tcp_host(void)
{
	return g_strdup_printf("host=tcp:10.0.2.2:%u", host->port);
}

/* One pipeline on one transport, its pictures checked on the host. */
static void
transport_case(const char *tag, const char *props, const char *host_name,
	       const char *want_path)
{
	g_autofree char *log = NULL;
	Watch w = { 0 };

	start_pipeline(tag, 150, props);
	watch(host_name, 30, &w);
	g_assert_cmpint(finish_pipeline(tag, &log), ==, 0);
	g_assert_cmpuint(w.good, >=, 30);
	g_assert_cmpuint(w.bad, ==, 0);
	g_assert_cmpstr(w.path, ==, want_path);
	watch_clear(&w);
}

static void
test_tcp_ring(void)
{
	g_autofree char *h = NULL;
	g_autofree char *props = NULL;

	if (skip_without_guest())
		return;
	h = tcp_host();
	props = g_strdup_printf("%s shm-path=auto", h);
	transport_case("tcp-ring", props, "guest/tcp-ring", "shm");
}

static void
test_tcp_inline(void)
{
	g_autofree char *h = NULL;

	if (skip_without_guest())
		return;
	h = tcp_host();
	transport_case("tcp-inline", h, "guest/tcp-inline", "inline");
}

static void
test_serial_ring(void)
{
	if (skip_without_guest())
		return;
	transport_case("serial-ring", "host=serial:" PORT_NAME " shm-path=auto",
		       VM_NAME "/guest-serial-ring", "shm");
}

static void
test_serial_inline(void)
{
	if (skip_without_guest())
		return;
	transport_case("serial-inline", "host=serial:" PORT_NAME,
		       VM_NAME "/guest-serial-inline", "inline");
}

/* QEMU keeps one socket to hostencd for the VM's life: pipelines that come
 * and go on the port must each get a session of their own, also after one
 * was killed in the middle of a message. */
static void
test_serial_restarts(void)
{
	if (skip_without_guest())
		return;
	for (int i = 0; i < 3; i++) {
		g_autofree char *log = NULL;

		start_pipeline("again", 45, "host=serial:" PORT_NAME " shm-path=auto");
		g_assert_cmpint(finish_pipeline("again", &log), ==, 0);
	}
	for (int i = 0; i < 2; i++) {
		g_autofree char *log = NULL;

		/* inline 1080p frames take a while to cross the port: kill one
		 * in the middle of a FRAME_REQUEST */
		g_free(run("(gst-launch-1.0 -q videotestsrc is-live=true ! "
			   "video/x-raw,format=BGRx,width=1920,height=1080,framerate=30/1 ! "
			   "vsockenc host=serial:" PORT_NAME " ! fakesink >/dev/null 2>&1 &) ; "
			   "sleep 3; killall -9 gst-launch-1.0; sleep 0.2", NULL));
		transport_case("after-kill", "host=serial:" PORT_NAME,
			       VM_NAME "/guest-after-kill", "inline");
		(void)log;
	}
}

/* A guest killed on its VM's channel (no GOODBYE; a reboot or a crash
 * looks the same from the host: the channel stays connected and silent):
 * after the session idle timeout its stream and ring are gone, not kept
 * and re-encoded for its viewers for the VM's life; the channel takes the
 * next guest. */
static void
test_silent_guest(void)
{
	gint64 deadline;
	Watch w = { 0 };

	if (skip_without_guest())
		return;
	start_pipeline("silent", 100000, "host=serial:" PORT_NAME " shm-path=auto");
	watch(VM_NAME "/guest-silent", 10, &w);
	g_assert_cmpuint(w.good, >=, 10);
	watch_clear(&w);
	g_free(run("killall -9 gst-launch-1.0; wait", NULL));
	deadline = g_get_monotonic_time() + (SESSION_IDLE_S + 15) * G_USEC_PER_SEC;
	while (find_source(VM_NAME "/guest-silent") >= 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(G_USEC_PER_SEC / 2);
	}
	transport_case("after-silence", "host=serial:" PORT_NAME " shm-path=auto",
		       VM_NAME "/guest-after-silence", "shm");
}

/* hostencd's --shm file is not the guest's but holds a valid ring: the
 * ring's id tells, the host refuses it, the element goes inline and says
 * so, and the pictures are the guest's. */
static void
test_stale_ring(void)
{
	g_autofree char *h = NULL;
	g_autofree char *props = NULL;
	g_autofree char *log = NULL;
	Watch w = { 0 };

	if (skip_without_guest())
		return;
	h = tcp_host();
	props = g_strdup_printf("%s shm-path=auto shm-name=stale", h);
	start_pipeline("stale", 150, props);
	watch("guest/stale", 30, &w);
	g_assert_cmpint(finish_pipeline("stale", &log), ==, 0);
	g_test_message("the element said: %s", log);
	g_assert_nonnull(strstr(log, "ring_id"));
	g_assert_cmpuint(w.good, >=, 30);
	g_assert_cmpuint(w.bad, ==, 0);
	g_assert_cmpstr(w.path, ==, "inline");
	watch_clear(&w);
}

/* hostencd goes away under a running pipeline and comes back: the element
 * reconnects through the same port and the pictures go on. */
static void
test_host_restart(void)
{
	g_autofree char *log = NULL;
	Watch w = { 0 };

	if (skip_without_guest())
		return;
	start_pipeline("restart", 600, "host=serial:" PORT_NAME " shm-path=auto "
		       "connect-timeout=60000");
	watch(VM_NAME "/guest-restart", 15, &w);
	g_assert_cmpuint(w.good, >=, 15);
	watch_clear(&w);
	th_daemon_stop(host);
	host = start_host();
	watch(VM_NAME "/guest-restart", 15, &w);
	g_assert_cmpuint(w.good, >=, 15);
	g_assert_cmpuint(w.bad, ==, 0);
	watch_clear(&w);
	g_free(run("killall -INT gst-launch-1.0", NULL));
	finish_pipeline("restart", &log);
	g_test_message("the element said: %s", log);
}

/* The guest dies without closing its connection (here: the VM paused, so
 * nothing of the guest answers; behind user networking QEMU keeps the
 * host side of the TCP connection open): hostencd frees the session after
 * its idle timeout instead of keeping it forever; once the guest runs
 * again its pipeline reconnects and the pictures go on. */
static void
test_half_open(void)
{
	g_autofree char *h = NULL, *props = NULL, *log = NULL;
	GuestQmp q = { 0 };
	gint64 deadline;
	Watch w = { 0 };

	if (skip_without_guest())
		return;
	h = tcp_host();
	props = g_strdup_printf("%s connect-timeout=60000", h);
	start_pipeline("halfopen", 100000, props);
	watch("guest/halfopen", 10, &w);
	g_assert_cmpuint(w.good, >=, 10);
	watch_clear(&w);
	guest_vm_qmp_open(&vm, "control.sock", &q);
	guest_vm_qmp(&q, "{\"execute\":\"stop\"}\n");
	deadline = g_get_monotonic_time() + (SESSION_IDLE_S + 15) * G_USEC_PER_SEC;
	while (find_source("guest/halfopen") >= 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(G_USEC_PER_SEC / 2);
	}
	g_test_message("session freed while the guest was frozen");
	guest_vm_qmp(&q, "{\"execute\":\"cont\"}\n");
	guest_vm_qmp_close(&q);
	watch("guest/halfopen", 10, &w);
	g_assert_cmpuint(w.good, >=, 10);
	g_assert_cmpuint(w.bad, ==, 0);
	watch_clear(&w);
	g_free(run("killall -INT gst-launch-1.0", NULL));
	finish_pipeline("halfopen", &log);
}

/* A scanout id a VM's guest enabled on the VM's own channel stays the
 * VM's while its guest is away (a reboot, a crashed compositor): another
 * peer cannot take it in between and have the VM's viewers watch it. */
static void
test_scanout_owned(void)
{
	g_autofree char *sock = NULL;
	struct tc_conn *guest, *other;

	if (skip_without_guest())
		return;
	/* the VM's channel, as its guest sees it (one more session on it) */
	sock = g_build_filename(vm.dir, "hxfr.sock", NULL);
	guest = tc_connect_unix(sock);
	tc_enable_scanout(guest, 9, WIDTH, HEIGHT);
	tc_expect_scanout_resp(guest, 9, true);
	tc_close(guest); /* the guest goes away, and with it its stream */
	g_usleep(G_USEC_PER_SEC); /* hostencd sees the close (before: id 9 free again) */
	other = tc_connect_tcp(host->port);
	tc_enable_scanout(other, 9, WIDTH, HEIGHT);
	tc_expect_scanout_resp(other, 9, false);
	/* the guest, back, has it again */
	guest = tc_connect_unix(sock);
	tc_enable_scanout(guest, 9, WIDTH, HEIGHT);
	tc_expect_scanout_resp(guest, 9, true);
	/* its ids are its own, not everyone's: others still get theirs */
	tc_enable_scanout(other, 10, WIDTH, HEIGHT);
	tc_expect_scanout_resp(other, 10, true);
	tc_close(other);
	tc_close(guest);
}

/* The X server's root as xsetroot painted it: #2080c0 everywhere. */
static gboolean
x11_root_ok(const AVFrame *f)
{
	static const int want[3] = { 0x20, 0x80, 0xc0 };

	for (int i = 0; i < 9; i++) {
		int rgb[3];

		rgb_at(f, (i % 3 * 2 + 1) * f->width / 6, (i / 3 * 2 + 1) * f->height / 6, rgb);
		for (int c = 0; c < 3; c++)
			if (ABS(rgb[c] - want[c]) > 16) {
				g_test_message("%dx%d, point %d: %d,%d,%d", f->width, f->height, i,
					       rgb[0], rgb[1], rgb[2]);
				return FALSE;
			}
	}
	return f->width == 640 && f->height == 480;
}

/* An X11 desktop captured inside the guest, as a user's would be: Xvfb,
 * ximagesrc (XShm) into vsockenc over the VM's port and ring. */
static void
test_x11_capture(void)
{
	g_autofree char *log = NULL;
	g_autofree char *xvfb = g_find_program_in_path("Xvfb");
	g_autofree char *xsetroot = g_find_program_in_path("xsetroot");
	Watch w = { .check = x11_root_ok };
	int status = -1;

	if (skip_without_guest())
		return;
	if (!xvfb || !xsetroot) {
		g_test_skip("Xvfb or xsetroot missing (apt-get install xvfb x11-xserver-utils)");
		return;
	}
	g_free(run("(Xvfb :7 -screen 0 640x480x24 -nolisten tcp -noreset "
		   ">/tmp/xvfb.log 2>&1 &); i=0; while [ ! -e /tmp/.X11-unix/X7 ] && "
		   "[ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done; "
		   "DISPLAY=:7 xsetroot -solid '#2080c0'", &status));
	g_assert_cmpint(status, ==, 0);
	g_free(run("(DISPLAY=:7 gst-launch-1.0 ximagesrc use-damage=false show-pointer=false num-buffers=150 ! "
		   "video/x-raw,framerate=30/1 ! videoconvert ! video/x-raw,format=BGRx ! "
		   "vsockenc host=serial:" PORT_NAME " shm-path=auto stream-name=x11 ! "
		   "fakesink >/tmp/x11.log 2>&1; echo $? >/tmp/x11.rc) &", NULL));
	watch(VM_NAME "/guest-x11", 20, &w);
	g_assert_cmpint(finish_pipeline("x11", &log), ==, 0);
	g_free(run("killall Xvfb", NULL));
	g_assert_cmpuint(w.good, >=, 20);
	g_assert_cmpuint(w.bad, ==, 0);
	g_assert_cmpstr(w.path, ==, "shm");
	watch_clear(&w);
}

/* PRIME fd -> GEM handle -> resource id, on virtio-gpu dumb buffers. */
static void
test_virtgpu_resource_id(void)
{
	const char *probe = g_getenv("VIRTGPU_RESID_PROBE");
	g_autofree char *out = NULL;
	unsigned a = 0, handle = 0, b = 0;
	int status = -1;

	if (skip_without_guest())
		return;
	if (!probe) {
		g_test_skip("built without the virtio-gpu uapi header (libdrm-dev)");
		return;
	}
	out = run(probe, &status);
	g_test_message("%s", out);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpint(sscanf(out, "resid=%u handle=%u resid2=%u", &a, &handle, &b), ==, 3);
	g_assert_cmpuint(a, !=, 0);
	g_assert_cmpuint(b, !=, 0);
	g_assert_cmpuint(a, !=, b);
}

static void
test_vsock(void)
{
	if (!g_file_test("/dev/vhost-vsock", G_FILE_TEST_EXISTS)) {
		g_test_skip("no /dev/vhost-vsock on this host (module vhost_vsock not "
			    "loaded or not allowed here), so the guest gets no vsock device");
		return;
	}
	g_test_skip("hostenc-vm does not add a vhost-vsock-pci device yet");
}

static void
cleanup(void)
{
	if (host)
		th_daemon_stop(host);
	guest_vm_stop(&vm);
	if (plugin_dir) {
		g_autoptr(GDir) d = g_dir_open(plugin_dir, 0, NULL);
		const char *leaf;

		while (d && (leaf = g_dir_read_name(d))) {
			g_autofree char *p = g_build_filename(plugin_dir, leaf, NULL);

			g_unlink(p);
		}
		g_rmdir(plugin_dir);
	}
	if (stale_path)
		g_unlink(stale_path);
	{
		g_autofree char *root = g_build_filename(vm.tmp, "vms", NULL);

		g_rmdir(root);
	}
	g_rmdir(vm.tmp);
	g_free(plugin_dir);
	g_free(stale_path);
	g_free(vm.tmp);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	if (!g_getenv("HOSTENC_VM_BIN")) {
		g_printerr("run with meson test (HOSTENC_VM_BIN is not set)\n");
		return 1;
	}
	vm.tmp = g_dir_make_tmp("hostenc-guest-test-XXXXXX", &error);
	g_assert_no_error(error);
	g_test_add_func("/guest/boot", test_boot);
	g_test_add_func("/guest/tcp-ring", test_tcp_ring);
	g_test_add_func("/guest/tcp-inline", test_tcp_inline);
	g_test_add_func("/guest/serial-ring", test_serial_ring);
	g_test_add_func("/guest/serial-inline", test_serial_inline);
	g_test_add_func("/guest/serial-restarts", test_serial_restarts);
	g_test_add_func("/guest/silent-guest", test_silent_guest);
	g_test_add_func("/guest/stale-ring", test_stale_ring);
	g_test_add_func("/guest/host-restart", test_host_restart);
	g_test_add_func("/guest/half-open", test_half_open);
	g_test_add_func("/guest/scanout-owned", test_scanout_owned);
	g_test_add_func("/guest/x11-capture", test_x11_capture);
	g_test_add_func("/guest/virtgpu-resource-id", test_virtgpu_resource_id);
	g_test_add_func("/guest/vsock", test_vsock);
	rc = g_test_run();
	cleanup();
	return rc;
}
