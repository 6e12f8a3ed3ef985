/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GET /thumb (docs/web.md, "Endpoints"): a PNG of the right size and
 * colour for the test pattern and for a guest, by name and by id; 400 for
 * a bad width or no source, 404 for an unknown one, 503 for a source with
 * no picture yet, 401 without the token, 421 for another site's name; one
 * PNG answers for a second; the thumbnailer lets go of a stream nobody
 * asks about. Raw sockets; the PNGs are decoded with libavcodec. */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <libavcodec/avcodec.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "web-client.h"

#define PW 640
#define PH 360
/* Colour error allowed after RGB -> BT.601 4:2:0 -> H.264 -> RGB and a box
 * filter, on a flat area well inside one colour (measured: 2 or less). */
#define TOL 24

static struct th_daemon *start(const char *const *more)
{
	return th_web_daemon_start("640x360", more);
}

/* ---- HTTP with a binary body -------------------------------------------- */

struct reply {
	int status;
	char *head;
	GBytes *body;
};

static void reply_clear(struct reply *r)
{
	g_clear_pointer(&r->head, g_free);
	g_clear_pointer(&r->body, g_bytes_unref);
	r->status = 0;
}

/* GET @p path; the answer is read to the end (hostencd closes after it). */
static int get(struct th_daemon *d, const char *host, const char *path, const char *extra,
	       struct reply *r)
{
	int fd = wc_connect(d->http_port);
	g_autofree char *req = g_strdup_printf("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", path,
					       host ? host : "127.0.0.1", extra ? extra : "");
	g_autoptr(GByteArray) in = g_byte_array_new();
	int64_t deadline = g_get_monotonic_time() + TH_TIMEOUT_MS * 1000ll;
	const char *end;

	reply_clear(r);
	g_assert_cmpint(send(fd, req, strlen(req), MSG_NOSIGNAL), ==, (ssize_t)strlen(req));
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint8_t buf[16384];
		ssize_t n;

		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		g_byte_array_append(in, buf, (guint)n);
	}
	close(fd);
	end = g_strstr_len((const char *)in->data, in->len, "\r\n\r\n");
	g_assert_nonnull(end);
	r->head = g_strndup((const char *)in->data, (gsize)(end - (const char *)in->data));
	{
		/* a NUL after the body (not counted), so that text bodies are strings */
		gsize len = in->len - (gsize)(end + 4 - (const char *)in->data);
		char *copy = g_malloc(len + 1);

		memcpy(copy, end + 4, len);
		copy[len] = '\0';
		r->body = g_bytes_new_take(copy, len);
	}
	g_assert_cmpint(sscanf(r->head, "HTTP/1.%*d %d", &r->status), ==, 1);
	return r->status;
}

static int status_of(struct th_daemon *d, const char *path)
{
	struct reply r = { 0 };
	int status = get(d, NULL, path, NULL, &r);

	reply_clear(&r);
	return status;
}

/* ---- PNGs --------------------------------------------------------------- */

/* Width and height from the IHDR chunk, after checking the signature. */
static void png_size(GBytes *png, uint32_t *w, uint32_t *h)
{
	gsize len;
	const uint8_t *p = g_bytes_get_data(png, &len);

	g_assert_cmpuint(len, >, 24);
	g_assert_cmpmem(p, 8, "\x89PNG\r\n\x1a\n", 8);
	g_assert_cmpmem(p + 12, 4, "IHDR", 4);
	*w = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
	*h = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
}

/* The mean colour of the 5x5 pixels around (@p x, @p y), decoded with libavcodec. */
static void png_colour(GBytes *png, uint32_t x, uint32_t y, int rgb[3])
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_PNG);
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	gsize len;
	const uint8_t *data = g_bytes_get_data(png, &len);

	g_assert_cmpint(avcodec_open2(ctx, codec, NULL), ==, 0);
	g_assert_cmpint(av_new_packet(pkt, (int)len), ==, 0);
	memcpy(pkt->data, data, len);
	g_assert_cmpint(avcodec_send_packet(ctx, pkt), ==, 0);
	g_assert_cmpint(avcodec_receive_frame(ctx, f), ==, 0);
	g_assert_cmpint(f->format, ==, AV_PIX_FMT_RGB24);
	g_assert_cmpuint(x + 2, <, (uint32_t)f->width);
	g_assert_cmpuint(y + 2, <, (uint32_t)f->height);
	for (int k = 0; k < 3; k++) {
		int sum = 0;

		for (uint32_t j = y - 2; j <= y + 2; j++)
			for (uint32_t i = x - 2; i <= x + 2; i++)
				sum += f->data[0][j * (uint32_t)f->linesize[0] + i * 3 + (uint32_t)k];
		rgb[k] = sum / 25;
	}
	av_frame_free(&f);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
}

static bool colour_near(const int got[3], const int want[3])
{
	for (int k = 0; k < 3; k++)
		if (ABS(got[k] - want[k]) > TOL)
			return false;
	return true;
}

static void assert_colour(GBytes *png, uint32_t x, uint32_t y, const int want[3])
{
	int got[3];

	png_colour(png, x, y, got);
	g_test_message("pixel (%u,%u): %d,%d,%d, want %d,%d,%d", x, y, got[0], got[1], got[2],
		       want[0], want[1], want[2]);
	g_assert_true(colour_near(got, want));
}

/* ---- a guest of one colour ------------------------------------------------ */

struct guest {
	struct tc_conn *c;
	uint32_t width, height;
	uint8_t *bgrx;          /* width x height, no padding */
	int64_t pts;
};

static void guest_paint(struct guest *g, const int rgb[3])
{
	for (size_t i = 0; i < (size_t)g->width * g->height; i++) {
		g->bgrx[4 * i] = (uint8_t)rgb[2];
		g->bgrx[4 * i + 1] = (uint8_t)rgb[1];
		g->bgrx[4 * i + 2] = (uint8_t)rgb[0];
		g->bgrx[4 * i + 3] = 255;
	}
}

static struct guest *guest_start(struct th_daemon *d, const char *name, uint32_t w, uint32_t h,
				 const int rgb[3])
{
	struct guest *g = g_new0(struct guest, 1);
	struct hxfr_hello_resp resp;

	g->c = tc_connect_tcp(d->port);
	tc_hello(g->c, HXFR_PATH_INLINE, 2, name, &resp);
	g->width = w;
	g->height = h;
	g->bgrx = g_malloc((size_t)w * h * 4);
	guest_paint(g, rgb);
	return g;
}

/* One frame and its answer (a response, or an ERROR for a frame hostencd
 * cannot encode): @return the message type. */
static uint8_t guest_send(struct guest *g)
{
	struct tc_msg m = { 0 };
	uint8_t type;

	size_t size = (size_t)g->width * g->height * 4;
	struct hxfr_frame_request req = { .width = g->width, .height = g->height,
					  .format = HXFR_FMT_BGRX, .stride = g->width * 4,
					  .pts_ns = g->pts, .duration_ns = 100000000,
					  .pixels_len = size };
	uint8_t prefix[HXFR_FRAME_REQUEST_PREFIX];

	g_assert_cmpint(hxfr_build_frame_request(prefix, sizeof(prefix), 0, &req), ==,
			sizeof(prefix));
	tc_send_ok(g->c, prefix, sizeof(prefix));
	tc_send_ok(g->c, g->bgrx, size);
	g->pts += 100000000;
	g_assert_cmpint(tc_recv(g->c, TH_TIMEOUT_MS, &m), ==, 1);
	type = m.m.hdr.type;
	tc_msg_clear(&m);
	return type;
}

static void guest_stop(struct guest *g)
{
	tc_close(g->c);
	g_free(g->bgrx);
	g_free(g);
}

/* ---- the tests ------------------------------------------------------------ */

/* The pattern's background (daemon/sources/pattern/pattern.h), around the
 * middle of its probe rectangle (grid 48, 24, 10, 4; 10 px a cell at 640x360). */
static const int BACKGROUND[3] = { 32, 96, 176 };

static void test_pattern(void)
{
	struct th_daemon *d = start(NULL);
	struct reply r = { 0 };
	uint32_t w, h;

	g_assert_cmpint(get(d, NULL, "/thumb?source=pattern", NULL, &r), ==, 200);
	g_assert_nonnull(strstr(r.head, "Content-Type: image/png"));
	g_assert_nonnull(strstr(r.head, "Cache-Control: no-store"));
	png_size(r.body, &w, &h);
	g_assert_cmpuint(w, ==, 320); /* the default width */
	g_assert_cmpuint(h, ==, 180);
	assert_colour(r.body, 530 / 2, 260 / 2, BACKGROUND);
	/* by id, other widths: the aspect ratio kept, never larger than the picture */
	static const struct { const char *path; uint32_t w, h; } sizes[] = {
		{ "/thumb?source=0&w=100", 100, 56 },
		{ "/thumb?source=pattern&w=16", 16, 9 },
		{ "/thumb?source=pattern&w=640", 640, 360 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_assert_cmpint(get(d, NULL, sizes[i].path, NULL, &r), ==, 200);
		png_size(r.body, &w, &h);
		g_assert_cmpuint(w, ==, sizes[i].w);
		g_assert_cmpuint(h, ==, sizes[i].h);
	}
	assert_colour(r.body, 530, 260, BACKGROUND);
	reply_clear(&r);
	th_daemon_stop(d);
}

static void test_bad_requests(void)
{
	static const char *const more[] = { "--allow-host=good.example", NULL };
	static const char *const bad_width[] = {
		"/thumb?source=pattern&w=0", "/thumb?source=pattern&w=15",
		"/thumb?source=pattern&w=641", "/thumb?source=pattern&w=abc",
		"/thumb?source=pattern&w=-320", "/thumb?source=pattern&w=",
	};
	struct th_daemon *d = start(more);
	struct reply r = { 0 };

	for (size_t i = 0; i < G_N_ELEMENTS(bad_width); i++) {
		g_test_message("GET %s", bad_width[i]);
		g_assert_cmpint(get(d, NULL, bad_width[i], NULL, &r), ==, 400);
		g_assert_nonnull(strstr(g_bytes_get_data(r.body, NULL), "16 to 640"));
	}
	g_assert_cmpint(status_of(d, "/thumb"), ==, 400);
	g_assert_cmpint(status_of(d, "/thumb?source="), ==, 400);
	g_assert_cmpint(get(d, NULL, "/thumb?source=guest/nobody", NULL, &r), ==, 404);
	g_assert_nonnull(strstr(g_bytes_get_data(r.body, NULL), "unknown source"));
	g_assert_cmpint(status_of(d, "/thumb?source=77"), ==, 404);
	/* an unknown name is not the pattern (the id 0 by default) */
	g_assert_cmpint(status_of(d, "/thumb?source=0x0"), ==, 404);
	/* DNS rebinding: another site's name in Host */
	g_assert_cmpint(get(d, "evil.example", "/thumb?source=pattern", NULL, &r), ==, 421);
	g_assert_cmpint(get(d, "good.example", "/thumb?source=pattern", NULL, &r), ==, 200);
	reply_clear(&r);
	th_daemon_stop(d);
}

static void test_token(void)
{
	static const char *const more[] = { "--token=s3cret", NULL };
	struct th_daemon *d = start(more);
	struct reply r = { 0 };

	g_assert_cmpint(status_of(d, "/thumb?source=pattern"), ==, 401);
	g_assert_cmpint(status_of(d, "/thumb?source=pattern&token=wrong"), ==, 401);
	/* no hint of what exists without the token */
	g_assert_cmpint(status_of(d, "/thumb?source=guest/nobody"), ==, 401);
	g_assert_cmpint(status_of(d, "/thumb?source=pattern&token=s3cret"), ==, 200);
	g_assert_cmpint(get(d, NULL, "/thumb?source=pattern", "Authorization: Bearer s3cret\r\n",
			    &r), ==, 200);
	reply_clear(&r);
	th_daemon_stop(d);
}

/* A guest's picture, its colour changing; gone with the guest. */
static void test_guest(void)
{
	static const int GREEN[3] = { 0, 160, 64 }, RED[3] = { 200, 30, 40 };
	struct th_daemon *d = start(NULL);
	struct guest *g = guest_start(d, "thumbs", 64, 48, GREEN);
	struct reply r = { 0 };
	uint32_t w, h;
	int got[3];
	int64_t end;

	g_assert_cmpint(guest_send(g), ==, HXFR_FRAME_RESPONSE);
	g_assert_cmpint(get(d, NULL, "/thumb?source=guest/thumbs", NULL, &r), ==, 200);
	png_size(r.body, &w, &h);
	g_assert_cmpuint(w, ==, 64); /* never scaled up */
	g_assert_cmpuint(h, ==, 48);
	assert_colour(r.body, 32, 24, GREEN);
	/* a new picture shows within a few seconds (a PNG serves for one) */
	guest_paint(g, RED);
	end = g_get_monotonic_time() + TH_TIMEOUT_MS * 1000ll;
	do {
		g_assert_cmpint(guest_send(g), ==, HXFR_FRAME_RESPONSE);
		g_usleep(200000);
		g_assert_cmpint(get(d, NULL, "/thumb?source=guest/thumbs&w=32", NULL, &r), ==, 200);
		png_colour(r.body, 16, 12, got);
		g_assert_cmpint(g_get_monotonic_time(), <, end);
	} while (!colour_near(got, RED));
	guest_stop(g);
	/* gone with its guest */
	end = g_get_monotonic_time() + TH_TIMEOUT_MS * 1000ll;
	while (status_of(d, "/thumb?source=guest/thumbs") != 404) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(50000);
	}
	reply_clear(&r);
	th_daemon_stop(d);
}

/* A stream without a picture (frames its encoder refuses: 8x8 is below
 * every encoder's minimum): 503 after a short wait, never a hang. */
static void test_no_picture(void)
{
	static const int GREY[3] = { 128, 128, 128 };
	struct th_daemon *d = start(NULL);
	struct guest *g = guest_start(d, "tiny", 8, 8, GREY);
	struct reply r = { 0 };
	int64_t t0;

	g_assert_cmpint(guest_send(g), ==, HXFR_ERROR);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(get(d, NULL, "/thumb?source=guest/tiny", NULL, &r), ==, 503);
	g_test_message("503 after %" G_GINT64_FORMAT " ms", (g_get_monotonic_time() - t0) / 1000);
	g_assert_nonnull(strstr(r.head, "Retry-After: 1"));
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 15 * G_USEC_PER_SEC);
	/* the server answered everything else meanwhile, and still does */
	g_assert_cmpint(status_of(d, "/sources"), ==, 200);
	reply_clear(&r);
	guest_stop(g);
	th_daemon_stop(d);
}

/* The number of outputs ("viewers" in /stats) of stream @p name. */
static int64_t stream_outputs(struct th_daemon *d, const char *name)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	struct reply r = { 0 };
	JsonArray *sources;
	int64_t n = -1;
	gsize len;
	const char *text;

	g_assert_cmpint(get(d, NULL, "/stats", NULL, &r), ==, 200);
	text = g_bytes_get_data(r.body, &len);
	g_assert_true(json_parser_load_from_data(parser, text, (gssize)len, NULL));
	sources = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)),
					       "sources");
	for (guint i = 0; i < json_array_get_length(sources); i++) {
		JsonObject *o = json_array_get_object_element(sources, i);

		if (g_str_equal(json_object_get_string_member(o, "name"), name))
			n = json_object_get_int_member(o, "viewers");
	}
	reply_clear(&r);
	return n;
}

/* One PNG serves every request for a second (the pattern's picture changes
 * every frame: its frame counter), then a new one is made; the
 * thumbnailer lets go of the stream some seconds after the last request. */
static void test_cache_and_linger(void)
{
	struct th_daemon *d = start(NULL);
	struct reply a = { 0 }, b = { 0 };
	int64_t t0, end;

	g_assert_cmpint(stream_outputs(d, "pattern"), ==, 0);
	g_assert_cmpint(get(d, NULL, "/thumb?source=pattern", NULL, &a), ==, 200);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(get(d, NULL, "/thumb?source=pattern", NULL, &b), ==, 200);
	if (g_get_monotonic_time() - t0 < G_USEC_PER_SEC / 2)
		g_assert_true(g_bytes_equal(a.body, b.body));
	g_usleep(1500000);
	g_assert_cmpint(get(d, NULL, "/thumb?source=pattern", NULL, &b), ==, 200);
	g_assert_false(g_bytes_equal(a.body, b.body));
	g_assert_cmpint(stream_outputs(d, "pattern"), ==, 1);
	/* 10 s after the last request */
	end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	while (stream_outputs(d, "pattern") != 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(500000);
	}
	g_test_message("let go after %" G_GINT64_FORMAT " ms",
		       (g_get_monotonic_time() - t0) / 1000 - 1500);
	g_assert_cmpint(g_get_monotonic_time() - t0, >, 9 * G_USEC_PER_SEC);
	reply_clear(&a);
	reply_clear(&b);
	th_daemon_stop(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/web/thumb/pattern", test_pattern);
	g_test_add_func("/web/thumb/bad-requests", test_bad_requests);
	g_test_add_func("/web/thumb/token", test_token);
	g_test_add_func("/web/thumb/guest", test_guest);
	g_test_add_func("/web/thumb/no-picture", test_no_picture);
	g_test_add_func("/web/thumb/cache-and-linger", test_cache_and_linger);
	return g_test_run();
}
