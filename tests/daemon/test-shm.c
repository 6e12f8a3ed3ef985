/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostencd, shared-memory frames: HELLO negotiation of the path, SHM_ATTACH
 * of a ring in a --shm region, FRAME_SHM in every format, and the ring
 * errors the host must answer without ever reading outside a slot. */
#include <string.h>

#include "client.h"

#define BITRATE 2000000
#define FPS 30
#define SLOT_SIZE (1u << 20)
#define SLOTS 4u
#define RING_SIZE (4096u + SLOTS * SLOT_SIZE)
#define RING_OFFSET 8192u /* not at the start of the file */
#define REGION_SIZE (RING_OFFSET + RING_SIZE + 4096u)

static struct th_daemon *start_with(struct tc_region *r, const char *const *args)
{
	struct th_options o = { .shm_spec = r ? r->path : NULL, .args = args };

	return th_daemon_start(&o);
}

/* HELLO_RESP offers shared memory only when the host has a --shm region,
 * and only to a guest that asked for it. */
static void test_offer(void)
{
	struct tc_region *r = tc_region_new(REGION_SIZE);
	struct th_daemon *d = start_with(r, NULL);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_hello_resp hr;
	struct tc_ring ring;

	tc_ring_init(&ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	tc_hello(c, HXFR_PATH_INLINE | HXFR_PATH_SHM, 4, "wants-shm", &hr);
	g_assert_cmpuint(hr.frame_paths, ==, HXFR_PATH_INLINE | HXFR_PATH_SHM);
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_OK);
	tc_close(c);

	c = tc_connect_tcp(d->port);
	tc_hello(c, HXFR_PATH_INLINE, 4, "inline-only", &hr);
	g_assert_cmpuint(hr.frame_paths, ==, HXFR_PATH_INLINE);
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_UNSUPPORTED);
	tc_close(c);

	/* a Helix peer (no HELLO) never gets the shared-memory path */
	c = tc_connect_tcp(d->port);
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_UNSUPPORTED);
	tc_close(c);
	th_daemon_stop(d);

	d = start_with(NULL, NULL);
	c = tc_connect_tcp(d->port);
	tc_hello(c, HXFR_PATH_INLINE | HXFR_PATH_SHM, 4, "no-region", &hr);
	g_assert_cmpuint(hr.frame_paths, ==, HXFR_PATH_INLINE);
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_UNSUPPORTED);
	tc_close(c);
	th_daemon_stop(d);
	tc_region_free(r);
}

/* Frames from ring slots in three formats and two sizes, with padded
 * strides and odd plane offsets, two in flight: every reply decodes to
 * the picture that was in its slot. */
static void test_frames(void)
{
	static const struct { uint32_t fourcc, w, h, stride; int key, force; } runs[] = {
		{ HXFR_FMT_BGRX, 320, 240, 320 * 4 + 64, 4, 8 },
		{ HXFR_FMT_NV12, 320, 240, 384, 5, -1 },
		{ HXFR_FMT_I420, 320, 240, 330, -1, 3 },
		{ HXFR_FMT_NV12, 640, 360, 640, -1, -1 },
	};
	struct tc_region *r = tc_region_new(REGION_SIZE);
	struct th_daemon *d = start_with(r, NULL);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_ring ring;
	uint32_t next = 7;
	unsigned idrs = 0;

	tc_stream_init(&st);
	tc_ring_init(&ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	tc_hello(c, HXFR_PATH_SHM, 4, "test-shm", &hr);
	g_assert_cmpuint(hr.frame_paths, ==, HXFR_PATH_SHM);
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_OK);
	tc_config(c, BITRATE, FPS);
	for (size_t i = 0; i < G_N_ELEMENTS(runs); i++) {
		struct tc_run run = { .fourcc = runs[i].fourcc, .width = runs[i].w,
				      .height = runs[i].h, .stride = runs[i].stride,
				      .first = next, .count = 10, .window = 2, .ring = &ring,
				      .shm_pad = 100, .first_idr = i == 0 || i == 3,
				      .keyreq_before = runs[i].key, .force_at = runs[i].force };

		idrs += tc_run_frames(c, &st, &run);
		next += run.count;
	}
	g_assert_cmpuint(idrs, ==, 2 + 4); /* two new streams, four requests */
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
	tc_region_free(r);
}

static void send_attach(struct tc_conn *c, uint64_t offset, uint64_t size, const char *name)
{
	struct hxfr_shm_attach a = { .ring_offset = offset, .ring_size = size, .ring_id = 1 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE];

	g_strlcpy(a.name, name, sizeof(a.name));
	g_assert_cmpint(hxfr_build_shm_attach(buf, sizeof(buf), 0, &a), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
}

/* A good frame after errors: the session is still usable. */
static void good_frame(struct tc_conn *c, struct tc_stream *st, struct tc_ring *ring,
		       uint32_t frame_no)
{
	struct tc_run run = { .fourcc = HXFR_FMT_NV12, .width = 320, .height = 240,
			      .first = frame_no, .count = 1, .window = 1, .ring = ring,
			      .first_idr = st->aus == 0, .keyreq_before = -1, .force_at = -1 };

	tc_run_frames(c, st, &run);
}

/* Every documented ring error gets ERROR (SHM, or LIMIT for the size cap)
 * and the session goes on. */
static void test_errors(void)
{
	static const char *const args[] = { "--max-shm=8388608", NULL };
	struct tc_region *r = tc_region_new(REGION_SIZE + (16u << 20));
	struct th_daemon *d = start_with(r, args);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_frame_shm f = { .format = HXFR_FMT_NV12, .width = 320, .height = 240,
				    .stride = { 320, 320 }, .plane_offset = { 0, 320 * 240 } };
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_ring ring;

	tc_stream_init(&st);
	tc_hello(c, HXFR_PATH_SHM | HXFR_PATH_INLINE, 4, "test-shm-errors", &hr);

	/* FRAME_SHM before any ring is attached */
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);

	/* a ring the guest never initialised (no HXRG magic) */
	send_attach(c, RING_OFFSET, RING_SIZE, "");
	g_assert_cmpint(tc_expect_error(c, HXFR_SHM_ATTACH), ==, HXFR_ERR_SHM);
	/* past the end of the region's file */
	send_attach(c, r->size - 4096, RING_SIZE, "");
	g_assert_cmpint(tc_expect_error(c, HXFR_SHM_ATTACH), ==, HXFR_ERR_SHM);
	/* offset + size overflowing 64 bits */
	send_attach(c, UINT64_MAX & ~(uint64_t)4095, RING_SIZE, "");
	g_assert_cmpint(tc_expect_error(c, HXFR_SHM_ATTACH), <, 0);
	/* a region the host does not have */
	tc_ring_init(&ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	g_assert_cmpint(tc_shm_attach(c, &ring, "no-such-region"), ==, HXFR_ERR_SHM);
	/* over --max-shm */
	{
		struct tc_ring big;

		tc_ring_init(&big, r, 0, 12u << 20, 8, SLOT_SIZE);
		g_assert_cmpint(tc_shm_attach(c, &big, ""), ==, HXFR_ERR_LIMIT);
	}
	/* the host keeps no half-attached state: frames still have no ring */
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);

	/* a valid ring that is not this guest's (a stale one from an earlier
	 * run, another guest's): the ring_id differs, and it is refused */
	tc_ring_init(&ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	{
		struct tc_ring stale = ring;

		stale.id ^= 0x5a5a5a5a00ull;
		g_assert_cmpint(tc_shm_attach(c, &stale, ""), ==, HXFR_ERR_SHM);
	}
	/* the protocol 1.0 form (48 bytes, no ring_id) is refused too */
	{
		uint8_t old[HXFR_HEADER_SIZE + 48] = { 0 };
		struct hxfr_error e;
		struct tc_msg m;

		hxfr_build_header(old, sizeof(old), HXFR_SHM_ATTACH, 0, 0, 48);
		old[HXFR_HEADER_SIZE] = 0; /* ring_offset 0, ring_size 1 MiB */
		old[HXFR_HEADER_SIZE + 10] = 0x10;
		tc_send_ok(c, old, sizeof(old));
		g_assert_cmpint(tc_recv(c, TH_TIMEOUT_MS, &m), ==, 1);
		g_assert_cmpuint(m.m.hdr.type, ==, HXFR_ERROR);
		g_assert_cmpint(hxfr_decode_error(&m.m, &e, NULL), ==, 0);
		g_assert_nonnull(strstr(e.message, "ring_id"));
		tc_msg_clear(&m);
	}
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_OK);
	good_frame(c, &st, &ring, 10);

	/* slot index past slot_count */
	f.slot = SLOTS;
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);
	/* plane 0 ends one byte past the slot */
	f.slot = 0;
	f.plane_offset[0] = SLOT_SIZE - 320 * 240 + 1;
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);
	/* the chroma plane ends past the slot */
	f.plane_offset[0] = 0;
	f.plane_offset[1] = SLOT_SIZE - 320 * 120 + 64;
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);
	/* stride * height far past the slot (64-bit arithmetic) */
	f.plane_offset[1] = 320 * 240;
	f.stride[0] = 65536;
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);
	/* offset near 2^32 */
	f.stride[0] = 320;
	f.plane_offset[0] = UINT32_MAX - 10;
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);
	good_frame(c, &st, &ring, 11);

	/* SHM_ATTACH with a frame in flight (both in one write, so the frame
	 * cannot have been answered yet): BUSY; the frame is still answered */
	{
		struct tc_picture *p = tc_picture_new(HXFR_FMT_NV12, 320, 240, 0);
		struct hxfr_shm_attach a = { .ring_offset = RING_OFFSET, .ring_size = RING_SIZE,
					     .ring_id = ring.id };
		uint8_t frame[HXFR_HEADER_SIZE + HXFR_FRAME_SHM_SIZE];
		uint8_t both[sizeof(frame) + HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE];
		struct hxfr_frame_shm fs = { .slot = 1, .format = HXFR_FMT_NV12, .width = 320,
					     .height = 240, .stride = { 320, 320 },
					     .plane_offset = { 0, 320 * 240 }, .pts_ns = tc_pts(12) };
		bool busy = false, answered = false;

		tc_picture_render(p, 12);
		memcpy(tc_ring_slot(&ring, 1), p->data, p->size);
		g_assert_cmpint(hxfr_build_frame_shm(both, sizeof(frame), 0, &fs), ==, sizeof(frame));
		g_assert_cmpint(hxfr_build_shm_attach(both + sizeof(frame), sizeof(both) - sizeof(frame),
						      0, &a), ==, sizeof(both) - sizeof(frame));
		tc_send_ok(c, both, sizeof(both));
		/* replies to other messages may overtake a frame's reply */
		while (!busy || !answered) {
			struct tc_msg msg;

			g_assert_cmpint(tc_recv(c, TH_TIMEOUT_MS, &msg), ==, 1);
			if (msg.m.hdr.type == HXFR_ERROR) {
				struct hxfr_error e;

				g_assert_false(busy);
				g_assert_cmpint(hxfr_decode_error(&msg.m, &e, NULL), ==, 0);
				g_assert_cmpuint(e.offending_type, ==, HXFR_SHM_ATTACH);
				g_assert_cmpint(e.code, ==, HXFR_ERR_BUSY);
				busy = true;
			} else {
				struct tc_reply rep;

				g_assert_false(answered);
				tc_parse_response(&msg, &rep);
				g_assert_cmpint(rep.r.pts_ns, ==, tc_pts(12));
				tc_check_picture(&st, tc_stream_decode(&st, rep.r.au, rep.r.au_len,
								       rep.r.is_keyframe), p);
				answered = true;
			}
			tc_msg_clear(&msg);
		}
		tc_picture_free(p);
	}

	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
	tc_region_free(r);
}

/* The host copies the ring header once at attach time: a guest that
 * enlarges slot_size afterwards still cannot make it read past a slot. */
static void test_header_copy(void)
{
	struct tc_region *r = tc_region_new(REGION_SIZE);
	struct th_daemon *d = start_with(r, NULL);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_frame_shm f = { .format = HXFR_FMT_NV12, .width = 320, .height = 240,
				    .stride = { 320, 320 },
				    .plane_offset = { SLOT_SIZE - 1000, 0 } };
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_ring ring;

	tc_stream_init(&st);
	tc_ring_init(&ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	tc_hello(c, HXFR_PATH_SHM, 4, "test-shm-copy", &hr);
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_OK);
	good_frame(c, &st, &ring, 1);
	/* slot_size (u64 at offset 16) to 64 MiB, slot_count (u32 at 8) to 64 */
	ring.base[8] = 64;
	ring.base[16 + 2] = 0;
	ring.base[16 + 3] = 4;
	f.slot = 0;
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);
	f.slot = SLOTS;
	f.plane_offset[0] = 0;
	f.plane_offset[1] = 320 * 240;
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_SHM);
	/* the host's copy still describes the ring correctly */
	good_frame(c, &st, &ring, 2);
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
	tc_region_free(r);
}

/* NAME=PATH regions: a ring in a named region, next to the default one. */
static void test_named_region(void)
{
	struct tc_region *r = tc_region_new(REGION_SIZE), *r2 = tc_region_new(REGION_SIZE);
	g_autofree char *spec = g_strdup_printf("--shm=second=%s", r2->path);
	const char *const args[] = { spec, NULL };
	struct th_daemon *d = start_with(r, args);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_ring ring;

	tc_stream_init(&st);
	tc_ring_init(&ring, r2, 0, RING_SIZE, SLOTS, SLOT_SIZE);
	tc_hello(c, HXFR_PATH_SHM, 4, "test-shm-named", &hr);
	g_assert_cmpint(tc_shm_attach(c, &ring, "second"), ==, HXFR_ERR_OK);
	good_frame(c, &st, &ring, 3);
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
	tc_region_free(r);
	tc_region_free(r2);
}

/* The reply to SHM_ATTACH: the status, or the ERROR code with its
 * message in @p why. */
static int32_t attach_why(struct tc_conn *c, const struct tc_ring *ring, char *why, size_t n)
{
	struct hxfr_shm_attach a = { .ring_offset = ring->offset, .ring_size = ring->size,
				     .ring_id = ring->id };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_SIZE];
	struct tc_msg msg;
	struct hxfr_error e;

	why[0] = '\0';
	g_assert_cmpint(hxfr_build_shm_attach(buf, sizeof(buf), 0, &a), ==, sizeof(buf));
	tc_send_ok(c, buf, sizeof(buf));
	g_assert_cmpint(tc_recv(c, TH_TIMEOUT_MS, &msg), ==, 1);
	if (msg.m.hdr.type != HXFR_ERROR) {
		g_assert_cmpuint(msg.m.hdr.type, ==, HXFR_SHM_ATTACH_RESP);
		tc_msg_clear(&msg);
		return HXFR_ERR_OK;
	}
	g_assert_cmpint(hxfr_decode_error(&msg.m, &e, NULL), ==, 0);
	g_assert_cmpuint(e.offending_type, ==, HXFR_SHM_ATTACH);
	g_strlcpy(why, e.message, n);
	tc_msg_clear(&msg);
	return e.code;
}

/* A ring is bound to one session at a time. Another session that attaches
 * the same range (it copied the ring_id from the shared memory it can
 * read), or one overlapping it, is refused; a range of its own is fine,
 * and the ring is free again once its session is gone. */
static void test_ring_bound(void)
{
	struct tc_region *r = tc_region_new(RING_OFFSET + 2 * RING_SIZE + 4096);
	struct th_daemon *d = start_with(r, NULL);
	struct tc_conn *owner = tc_connect_tcp(d->port), *other = tc_connect_tcp(d->port);
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_ring ring, overlap, own;
	char why[256];

	tc_stream_init(&st);
	tc_ring_init(&ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	tc_hello(owner, HXFR_PATH_SHM, 4, "owner", &hr);
	tc_hello(other, HXFR_PATH_SHM, 4, "other", &hr);
	g_assert_cmpint(tc_shm_attach(owner, &ring, ""), ==, HXFR_ERR_OK);
	good_frame(owner, &st, &ring, 1);

	/* the same ring, its id copied */
	g_assert_cmpint(attach_why(other, &ring, why, sizeof(why)), ==, HXFR_ERR_SHM);
	g_test_message("same ring: %s", why);
	g_assert_nonnull(strstr(why, "in use by another session"));
	/* a ring of its own laid out inside the owner's range */
	tc_ring_init(&overlap, r, RING_OFFSET + RING_SIZE - 8192, 8192 + 4096, 1, 4096);
	g_assert_cmpint(attach_why(other, &overlap, why, sizeof(why)), ==, HXFR_ERR_SHM);
	g_assert_nonnull(strstr(why, "in use by another session"));
	/* a range of its own */
	tc_ring_init(&own, r, RING_OFFSET + RING_SIZE + 4096, RING_SIZE, SLOTS, SLOT_SIZE);
	g_assert_cmpint(tc_shm_attach(other, &own, ""), ==, HXFR_ERR_OK);
	/* the owner may attach its ring again */
	tc_ring_init(&ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	g_assert_cmpint(tc_shm_attach(owner, &ring, ""), ==, HXFR_ERR_OK);
	good_frame(owner, &st, &ring, 2);

	/* the owner goes: the range is free (once the host noticed) */
	tc_close(owner);
	for (int64_t deadline = g_get_monotonic_time() + TH_TIMEOUT_MS * 1000ll;;) {
		int32_t res = attach_why(other, &ring, why, sizeof(why));

		if (res == HXFR_ERR_OK)
			break;
		g_assert_cmpint(res, ==, HXFR_ERR_SHM);
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(20000);
	}
	tc_stream_clear(&st);
	tc_stream_init(&st);
	good_frame(other, &st, &ring, 3);
	tc_stream_clear(&st);
	tc_close(other);
	th_daemon_stop(d);
	tc_region_free(r);
}

/* A FRAME_SHM that fails after it was accepted (the encoder refuses a
 * picture under 16x16) is answered by an ERROR that names FRAME_SHM, the
 * type of the request, not FRAME_REQUEST. */
static void test_error_type(void)
{
	struct tc_region *r = tc_region_new(REGION_SIZE);
	struct th_daemon *d = start_with(r, NULL);
	struct tc_conn *c = tc_connect_tcp(d->port);
	struct hxfr_frame_shm f = { .format = HXFR_FMT_NV12, .width = 8, .height = 8,
				    .stride = { 8, 8 }, .plane_offset = { 0, 64 } };
	struct hxfr_hello_resp hr;
	struct tc_stream st;
	struct tc_ring ring;

	tc_stream_init(&st);
	tc_ring_init(&ring, r, RING_OFFSET, RING_SIZE, SLOTS, SLOT_SIZE);
	tc_hello(c, HXFR_PATH_SHM, 4, "test-shm-error-type", &hr);
	g_assert_cmpint(tc_shm_attach(c, &ring, ""), ==, HXFR_ERR_OK);
	tc_send_frame_shm_desc(c, &f);
	g_assert_cmpint(tc_expect_error(c, HXFR_FRAME_SHM), ==, HXFR_ERR_ENCODE_FAILED);
	good_frame(c, &st, &ring, 1);
	tc_stream_clear(&st);
	tc_close(c);
	th_daemon_stop(d);
	tc_region_free(r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/shm/offer", test_offer);
	g_test_add_func("/shm/frames", test_frames);
	g_test_add_func("/shm/errors", test_errors);
	g_test_add_func("/shm/header-copy", test_header_copy);
	g_test_add_func("/shm/named-region", test_named_region);
	g_test_add_func("/shm/ring-bound", test_ring_bound);
	g_test_add_func("/shm/error-type", test_error_type);
	return g_test_run();
}
