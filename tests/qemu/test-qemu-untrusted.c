/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Untrusted input: the shadow framebuffer fed lying sizes, strides,
 * rectangles and byte counts directly, and the Listener object driven by a
 * fake QEMU over a real peer-to-peer D-Bus connection. No QEMU needed. */
#include "qemu-private.h"

#include <gio/gunixfdlist.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define X8R8G8B8 HE_PIXMAN_X8R8G8B8

static uint8_t *pattern(uint32_t w G_GNUC_UNUSED, uint32_t h, uint32_t stride, uint8_t seed)
{
	uint8_t *p = g_malloc((size_t)stride * h);

	for (size_t i = 0; i < (size_t)stride * h; i++)
		p[i] = (uint8_t)(i * 7 + seed);
	return p;
}

/* A full copy into a fresh frame: what every frame must equal. */
static void assert_frames_equal(struct he_qemu_fb *fb, const struct he_qemu_frame *f)
{
	struct he_qemu_frame ref = HE_QEMU_FRAME_INIT;

	g_assert_true(he_qemu_fb_snapshot(fb, &ref) || (ref.width == 0 && ref.height == 0));
	g_assert_cmpuint(f->width, ==, ref.width);
	g_assert_cmpuint(f->height, ==, ref.height);
	for (uint32_t y = 0; y < ref.height; y++)
		g_assert_cmpmem(f->data + (size_t)y * f->stride, ref.width * 4u,
				ref.data + (size_t)y * ref.stride, ref.width * 4u);
	he_qemu_frame_clear(&ref);
}

static void test_scanout_lies(void)
{
	struct he_qemu_fb fb;
	struct he_qemu_frame f = HE_QEMU_FRAME_INIT;
	g_autofree uint8_t *px = pattern(64, 48, 256, 1);
	const size_t len = 256 * 48;
	const char *why = NULL;

	he_qemu_fb_init(&fb);
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 64, 48, 256, X8R8G8B8, px, len, &why), ==, 0);
	/* stride shorter than a row */
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 64, 48, 255, X8R8G8B8, px, len, &why), ==,
			-EINVAL);
	/* data one byte short */
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 64, 48, 256, X8R8G8B8, px, 256 * 47 + 255, &why),
			==, -EINVAL);
	/* stride * height overflowing 32 bits */
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 64, 8000, 0x80000000u, X8R8G8B8, px, len, &why),
			==, -EINVAL);
	/* zero and huge dimensions */
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 0, 48, 256, X8R8G8B8, px, len, &why), ==, -EINVAL);
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 64, 0xffffffffu, 256, X8R8G8B8, px, len, &why),
			==, -EINVAL);
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 8193, 1, 40000, X8R8G8B8, px, len, &why), ==,
			-EINVAL);
	g_test_message("last refusal: %s", why);
	/* the good scanout survived all of that */
	g_assert_true(he_qemu_fb_snapshot(&fb, &f));
	g_assert_cmpuint(f.width, ==, 64);
	g_assert_cmpmem(f.data, 64 * 4, px, 64 * 4);
	g_assert_cmpmem(f.data + 47 * f.stride, 64 * 4, px + 47 * 256, 64 * 4);
	/* unknown pixel format: refused, nothing shown, with a reason */
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 64, 48, 256, 0x12345678u, px, len, &why), ==,
			-ENOTSUP);
	g_assert_nonnull(he_qemu_fb_get_status(&fb));
	g_assert_true(he_qemu_fb_snapshot(&fb, &f));
	g_assert_cmpuint(f.width, ==, 0);
	g_assert_null(f.data);
	/* a good scanout brings the picture back */
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 64, 48, 256, X8R8G8B8, px, len, &why), ==, 0);
	g_assert_null(he_qemu_fb_get_status(&fb));
	he_qemu_frame_clear(&f);
	he_qemu_fb_clear(&fb);
}

/* he_qemu_fb_update() of the 32x32 pattern @p px at stride 128. */
static int upd(struct he_qemu_fb *fb, int32_t x, int32_t y, int32_t w, int32_t h, uint32_t stride,
	       uint32_t fmt, const uint8_t *px, size_t len, bool *outside)
{
	const char *why = NULL;

	return he_qemu_fb_update(fb, x, y, w, h, stride, fmt, px, len, outside, &why);
}

static void test_update_lies(void)
{
	struct he_qemu_fb fb;
	struct he_qemu_frame f = HE_QEMU_FRAME_INIT;
	g_autofree uint8_t *bg = pattern(100, 80, 400, 3);
	g_autofree uint8_t *px = pattern(32, 32, 128, 9);
	const char *why = NULL;
	bool out;

	he_qemu_fb_init(&fb);
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 100, 80, 400, X8R8G8B8, bg, 400 * 80, &why), ==, 0);
	he_qemu_fb_snapshot(&fb, &f);
	/* empty / negative sizes */
	g_assert_cmpint(upd(&fb, 0, 0, 0, 5, 128, X8R8G8B8, px, 4096, &out), ==, -EINVAL);
	g_assert_cmpint(upd(&fb, 0, 0, 5, -5, 128, X8R8G8B8, px, 4096, &out), ==, -EINVAL);
	/* short data, lying stride, unknown format */
	g_assert_cmpint(upd(&fb, 0, 0, 32, 32, 128, X8R8G8B8, px, 4095, &out), ==, -EINVAL);
	g_assert_cmpint(upd(&fb, 0, 0, 32, 32, 64, X8R8G8B8, px, 4096, &out), ==, -EINVAL);
	g_assert_cmpint(upd(&fb, 0, 0, 32, 2, 0xffffffffu, X8R8G8B8, px, 4096, &out), ==, -EINVAL);
	g_assert_cmpint(upd(&fb, 0, 0, 32, 32, 128, 0x01020304u, px, 4096, &out), ==, -ENOTSUP);
	/* nothing changed so far */
	g_assert_false(he_qemu_fb_snapshot(&fb, &f));
	/* negative origin: clipped, the visible part lands at 0,0 */
	g_assert_cmpint(upd(&fb, -10, -20, 32, 32, 128, X8R8G8B8, px, 4096, &out), ==, 0);
	g_assert_false(out);
	g_assert_true(he_qemu_fb_snapshot(&fb, &f));
	g_assert_cmpuint(f.damage_x, ==, 0);
	g_assert_cmpuint(f.damage_w, ==, 22);
	g_assert_cmpuint(f.damage_h, ==, 12);
	g_assert_cmpmem(f.data, 22 * 4, px + 20 * 128 + 10 * 4, 22 * 4);
	/* far away, past the cap and at INT32 extremes: no copy, no growth */
	g_assert_cmpint(upd(&fb, G_MAXINT32, G_MAXINT32, 32, 32, 128, X8R8G8B8, px, 4096, &out), ==,
			0);
	g_assert_cmpint(upd(&fb, G_MININT32, G_MININT32, 32, 32, 128, X8R8G8B8, px, 4096, &out), ==,
			0);
	g_assert_cmpint(upd(&fb, 9000, 0, 32, 32, 128, X8R8G8B8, px, 4096, &out), ==, 0);
	g_assert_false(he_qemu_fb_snapshot(&fb, &f));
	g_assert_cmpuint(f.width, ==, 100);
	/* reaching past the surface (mode switch without Scanout): grows */
	g_assert_cmpint(upd(&fb, 90, 70, 32, 32, 128, X8R8G8B8, px, 4096, &out), ==, 0);
	g_assert_true(out);
	g_assert_true(he_qemu_fb_snapshot(&fb, &f));
	g_assert_cmpuint(f.width, ==, 122);
	g_assert_cmpuint(f.height, ==, 102);
	g_assert_cmpmem(f.data + 20 * f.stride, 100 * 4, bg + 20 * 400, 100 * 4); /* kept */
	g_assert_cmpmem(f.data + 101 * f.stride + 90 * 4, 32 * 4, px + 31 * 128, 32 * 4);
	/* growth is capped */
	g_assert_cmpint(upd(&fb, 8180, 0, 32, 1, 128, X8R8G8B8, px, 4096, &out), ==, 0);
	g_assert_true(he_qemu_fb_snapshot(&fb, &f));
	g_assert_cmpuint(f.width, ==, HE_QEMU_MAX_DIM);
	/* the real size read back shrinks it again */
	g_assert_cmpint(he_qemu_fb_resize(&fb, 100, 80), ==, 0);
	g_assert_true(he_qemu_fb_snapshot(&fb, &f));
	g_assert_cmpuint(f.width, ==, 100);
	assert_frames_equal(&fb, &f);
	he_qemu_frame_clear(&f);
	he_qemu_fb_clear(&fb);
}

static void test_pixel_formats(void)
{
	struct he_qemu_fb fb;
	struct he_qemu_frame f = HE_QEMU_FRAME_INIT;
	const uint8_t rgb565[4] = { 0x00, 0xf8, 0x1f, 0x00 };  /* red, blue */
	const uint8_t xbgr[8] = { 0x11, 0x22, 0x33, 0, 0xaa, 0xbb, 0xcc, 0 };
	const char *why;

	he_qemu_fb_init(&fb);
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 2, 1, 4, HE_PIXMAN_R5G6B5, rgb565, 4, &why), ==, 0);
	he_qemu_fb_snapshot(&fb, &f);
	g_assert_cmphex(f.data[2], ==, 0xff); /* R of pixel 0 */
	g_assert_cmphex(f.data[0], ==, 0x00);
	g_assert_cmphex(f.data[4], ==, 0xff); /* B of pixel 1 */
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 2, 1, 8, HE_PIXMAN_X8B8G8R8, xbgr, 8, &why), ==, 0);
	he_qemu_fb_snapshot(&fb, &f);
	g_assert_cmphex(f.data[0], ==, 0x33);
	g_assert_cmphex(f.data[2], ==, 0x11);
	/* 24 bpp: the last row may be unpadded */
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 1, 2, 4, HE_PIXMAN_R8G8B8, xbgr, 7, &why), ==, 0);
	he_qemu_frame_clear(&f);
	he_qemu_fb_clear(&fb);
}

/* A pool of three frames used in turn stays identical to the shadow while
 * copying only what each one missed. */
static void test_frame_pool(void)
{
	struct he_qemu_fb fb;
	struct he_qemu_frame pool[3] = { HE_QEMU_FRAME_INIT, HE_QEMU_FRAME_INIT,
					 HE_QEMU_FRAME_INIT };
	g_autofree uint8_t *bg = pattern(200, 150, 800, 5);
	g_autofree uint8_t *px = pattern(64, 64, 256, 11);
	GRand *r = g_rand_new_with_seed(42);
	const char *why;
	bool outside;
	guint partial = 0;
	gint32 model_w = 200;

	he_qemu_fb_init(&fb);
	g_assert_cmpint(he_qemu_fb_scanout(&fb, 200, 150, 800, X8R8G8B8, bg, 800 * 150, &why), ==,
			0);
	for (int i = 0; i < 400; i++) {
		struct he_qemu_frame *f = &pool[i % 3];
		int n = g_rand_int_range(r, 0, 4);

		for (int k = 0; k < n; k++) {
			gint32 x = g_rand_int_range(r, -30, 140), y = g_rand_int_range(r, -30, 90);
			gint32 w = g_rand_int_range(r, 1, 64), h = g_rand_int_range(r, 1, 64);

			px[0] = (uint8_t)i;
			g_assert_cmpint(he_qemu_fb_update(&fb, x, y, w, h, 256, X8R8G8B8, px,
							  256 * 64, &outside, &why), ==, 0);
			g_assert_false(outside && x + w <= model_w && y + h <= 150);
			if (outside) /* undo growth, as the size read back would */
				he_qemu_fb_resize(&fb, (uint32_t)model_w, 150);
		}
		if (i == 200) { /* a resize in the middle */
			model_w = 180;
			he_qemu_fb_resize(&fb, 180, 150);
		}
		he_qemu_fb_snapshot(&fb, f);
		if (f->damage_w && f->damage_w * f->damage_h < f->width * f->height)
			partial++;
		assert_frames_equal(&fb, f);
	}
	g_test_message("pool: %u of 400 snapshots copied only part of the frame", partial);
	g_assert_cmpuint(partial, >, 100);
	for (int i = 0; i < 3; i++)
		he_qemu_frame_clear(&pool[i]);
	g_rand_free(r);
	he_qemu_fb_clear(&fb);
}

/* ---- a fake QEMU driving the Listener over a p2p connection ---- */

struct fake {
	struct he_qemu_console *c;
	GDBusConnection *qemu;
	guint frames, cursors;
	struct he_qemu_cursor cursor;
};

static void on_frame(struct he_qemu_console *c G_GNUC_UNUSED, void *data)
{
	((struct fake *)data)->frames++;
}

static void on_cursor(struct he_qemu_console *c G_GNUC_UNUSED, const struct he_qemu_cursor *cur,
		      void *data)
{
	struct fake *fk = data;

	fk->cursors++;
	g_clear_pointer(&fk->cursor.argb, g_bytes_unref);
	fk->cursor = *cur;
	if (cur->argb)
		g_bytes_ref(cur->argb);
}

static const struct he_qemu_callbacks fake_cb = {
	.frame_ready = on_frame,
	.cursor = on_cursor,
};

static void spin(int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
}

static void fake_start(struct fake *fk)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GSocketConnection) stream = NULL;
	g_autofree char *guid = g_dbus_generate_guid();
	int sv[2];

	memset(fk, 0, sizeof(*fk));
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	fk->c = he_qemu_console_new_for_fd(sv[0], &fake_cb, fk, 10);
	sock = g_socket_new_from_fd(sv[1], &err);
	g_assert_no_error(err);
	stream = g_socket_connection_factory_create_connection(sock);
	/* Like QEMU: the server side of the handshake, synchronously. */
	fk->qemu = g_dbus_connection_new_sync(G_IO_STREAM(stream), guid,
					      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER, NULL,
					      NULL, &err);
	g_assert_no_error(err);
}

static void fake_stop(struct fake *fk)
{
	g_dbus_connection_close_sync(fk->qemu, NULL, NULL);
	g_object_unref(fk->qemu);
	he_qemu_console_free_for_fd(fk->c);
	g_clear_pointer(&fk->cursor.argb, g_bytes_unref);
}

/* Call as QEMU would; @return NULL on success, else the D-Bus error. */
static GError *fake_call(struct fake *fk, const char *method, GVariant *args, GUnixFDList *fds)
{
	GError *err = NULL;
	GVariant *ret = g_dbus_connection_call_with_unix_fd_list_sync(
		fk->qemu, NULL, HE_QEMU_PATH_LISTENER, HE_QEMU_IFACE_LISTENER, method, args, NULL,
		G_DBUS_CALL_FLAGS_NONE, 5000, fds, NULL, NULL, &err);

	if (ret)
		g_variant_unref(ret);
	return err;
}

static GVariant *bytes_v(const void *data, gsize len)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data, len, 1);
}

static void expect_refused(struct fake *fk, const char *method, GVariant *args)
{
	g_autoptr(GError) err = fake_call(fk, method, args, NULL);

	g_assert_nonnull(err);
	g_test_message("%s refused: %s", method, err->message);
}

static GVariant *scanout_v(uint32_t w, uint32_t h, uint32_t stride, uint32_t fmt,
			   const void *data, gsize len)
{
	return g_variant_new("(uuuu@ay)", w, h, stride, fmt, bytes_v(data, len));
}

static GVariant *update_v(int32_t x, int32_t y, int32_t w, int32_t h, uint32_t stride,
			  uint32_t fmt, const void *data, gsize len)
{
	return g_variant_new("(iiiiuu@ay)", x, y, w, h, stride, fmt, bytes_v(data, len));
}

static GVariant *cursor_v(int32_t w, int32_t h, int32_t hx, int32_t hy, const void *data,
			  gsize len)
{
	return g_variant_new("(iiii@ay)", w, h, hx, hy, bytes_v(data, len));
}

/* DMA-BUF: answered, the fd closed, the console says why it is dark. */
static void fake_dmabuf(struct fake *fk)
{
	int pfd[2];

	g_assert_cmpint(pipe2(pfd, O_CLOEXEC), ==, 0);
	{
		g_autoptr(GUnixFDList) fl = g_unix_fd_list_new_from_array(&pfd[0], 1);

		g_assert_null(fake_call(fk, "ScanoutDMABUF",
					g_variant_new("(huuuutb)", 0, 1920, 1080, 7680, 0x34325258u,
						      (guint64)0, TRUE), fl));
	}
	/* fl took pfd[0]. Once the sender's message and our received copy
	 * are closed, the pipe has no reader left and writing fails. */
	for (int i = 0; i < 100 && write(pfd[1], "x", 1) == 1; i++)
		spin(10);
	g_assert_cmpint(write(pfd[1], "x", 1), ==, -1);
	g_assert_cmpint(errno, ==, EPIPE);
	close(pfd[1]);
	g_assert_null(fake_call(fk, "UpdateDMABUF", g_variant_new("(iiii)", 0, 0, 10, 10), NULL));
	g_assert_nonnull(strstr(he_qemu_console_get_status(fk->c), "DMA-BUF"));
	g_test_message("status: %s", he_qemu_console_get_status(fk->c));
}

/* Cursor: bogus shapes refused, a good one reported, hot spot clamped. */
static void fake_cursor(struct fake *fk)
{
	uint8_t cursor[16 * 16 * 4] = { 0 };

	expect_refused(fk, "CursorDefine", cursor_v(100000, 100000, 0, 0, cursor, sizeof(cursor)));
	expect_refused(fk, "CursorDefine", cursor_v(16, 17, 0, 0, cursor, sizeof(cursor)));
	expect_refused(fk, "CursorDefine", cursor_v(-16, -16, 0, 0, cursor, sizeof(cursor)));
	g_assert_null(fake_call(fk, "CursorDefine",
				cursor_v(16, 16, 99, -5, cursor, sizeof(cursor)), NULL));
	g_assert_null(fake_call(fk, "MouseSet", g_variant_new("(iii)", 30, 40, 1), NULL));
	spin(50);
	g_assert_cmpuint(fk->cursors, >=, 1);
	g_assert_cmpint(fk->cursor.width, ==, 16);
	g_assert_cmpint(fk->cursor.hot_x, ==, 15);
	g_assert_cmpint(fk->cursor.hot_y, ==, 0);
	g_assert_cmpint(fk->cursor.x, ==, 30);
	g_assert_true(fk->cursor.visible);
}

static void test_fake_peer(void)
{
	struct fake fk;
	struct he_qemu_frame f = HE_QEMU_FRAME_INIT;
	struct he_qemu_stats st;
	g_autofree uint8_t *px = pattern(64, 48, 256, 7);
	const gsize len = 256 * 48;
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GError) err = NULL;

	fake_start(&fk);
	/* QEMU's proxy reads the properties first. */
	props = g_dbus_connection_call_sync(fk.qemu, NULL, HE_QEMU_PATH_LISTENER,
					    HE_QEMU_IFACE_PROPS, "GetAll",
					    g_variant_new("(s)", HE_QEMU_IFACE_LISTENER),
					    G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, 5000,
					    NULL, &err);
	g_assert_no_error(err);
	g_assert_null(fake_call(&fk, "Scanout", scanout_v(64, 48, 256, X8R8G8B8, px, len), NULL));
	spin(50);
	g_assert_cmpuint(fk.frames, ==, 1);
	g_assert_true(he_qemu_console_snapshot(fk.c, &f));
	g_assert_cmpuint(f.width, ==, 64);
	g_assert_cmpmem(f.data + 10 * f.stride, 64 * 4, px + 10 * 256, 64 * 4);

	expect_refused(&fk, "Scanout", scanout_v(64, 48, 256, X8R8G8B8, px, 100));
	expect_refused(&fk, "Scanout", scanout_v(0xffffffffu, 0xffffffffu, 4, X8R8G8B8, px, len));
	expect_refused(&fk, "Update", update_v(0, 0, 64, 48, 4, X8R8G8B8, px, len));
	expect_refused(&fk, "Update", update_v(0, 0, 64, 48, 256, 0xdeadbeefu, px, len));
	/* wrong signature: GDBus refuses before our code runs */
	expect_refused(&fk, "Scanout", g_variant_new("(uu)", 1, 2));
	expect_refused(&fk, "NoSuchMethod", NULL);
	/* rectangles outside: accepted and clipped */
	g_assert_null(fake_call(&fk, "Update",
				update_v(-1000, -1000, 64, 48, 256, X8R8G8B8, px, len), NULL));
	g_assert_false(he_qemu_console_snapshot(fk.c, &f));

	fake_dmabuf(&fk);
	g_assert_true(he_qemu_console_snapshot(fk.c, &f));
	g_assert_cmpuint(f.width, ==, 0);
	fake_cursor(&fk);

	g_assert_null(fake_call(&fk, "Disable", NULL, NULL));
	g_assert_nonnull(he_qemu_console_get_status(fk.c));

	he_qemu_console_get_stats(fk.c, &st);
	g_test_message("stats: %" G_GUINT64_FORMAT " scanouts, %" G_GUINT64_FORMAT " updates, %"
		       G_GUINT64_FORMAT " refused", st.scanouts, st.updates, st.refused);
	g_assert_cmpuint(st.refused, >=, 5);
	he_qemu_frame_clear(&f);
	fake_stop(&fk);
}

/* A peer that never answers the handshake gets its socket shut down
 * within about HE_QEMU_HANDSHAKE_TIMEOUT_MS, as QEMU would need. */
static void test_handshake_timeout(void)
{
	struct he_qemu_console *c;
	gint64 t0 = g_get_monotonic_time(), t;
	char buf[256];
	int sv[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	c = he_qemu_console_new_for_fd(sv[0], NULL, NULL, 0);
	for (;;) {
		struct pollfd p = { sv[1], POLLIN, 0 };
		ssize_t n;

		g_assert_cmpint(poll(&p, 1, 5000), ==, 1);
		n = read(sv[1], buf, sizeof(buf));
		if (n <= 0)
			break; /* EOF: our side gave up */
	}
	t = (g_get_monotonic_time() - t0) / 1000;
	g_test_message("stalled handshake closed after %" G_GINT64_FORMAT " ms", t);
	g_assert_cmpint(t, >=, HE_QEMU_HANDSHAKE_TIMEOUT_MS - 100);
	g_assert_cmpint(t, <, HE_QEMU_HANDSHAKE_TIMEOUT_MS + 1000);
	close(sv[1]);
	he_qemu_console_free_for_fd(c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Refusals are logged as warnings by design. */
	g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
	g_test_add_func("/qemu/untrusted/scanout", test_scanout_lies);
	g_test_add_func("/qemu/untrusted/update", test_update_lies);
	g_test_add_func("/qemu/untrusted/pixel-formats", test_pixel_formats);
	g_test_add_func("/qemu/untrusted/frame-pool", test_frame_pool);
	g_test_add_func("/qemu/untrusted/fake-peer", test_fake_peer);
	g_test_add_func("/qemu/untrusted/handshake-timeout", test_handshake_timeout);
	return g_test_run();
}
