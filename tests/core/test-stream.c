/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of daemon/core streams, with a fake encoder backend in place
 * of libavcodec's: GOP replay to a late output, resynchronising a slow
 * output (skip to an IDR, requested once, no storm), closing an output that
 * stays too slow, keepalive re-encodes (new access units, never a resent
 * one), one in-order result per owned frame including drops, and the
 * encoder fallback order. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "encoder-impl.h"
#include "frame.h"
#include "h264.h"
#include "stream.h"

#define W 64
#define H 64

/* ---- the fake backend -------------------------------------------------- */

static struct {
	GBytes *sps, *pps;          /* real parameter sets, from libx264 */
	unsigned delay_ms;          /* per encode */
	unsigned encodes, again;    /* pictures encoded, re-encodes of the kept one */
	unsigned keyframes;
	uint32_t gop;               /* of the last encoder opened */
	GMutex lock;
} fake;

struct fake_encoder {
	struct he_encoder base;
};

static int fake_available(const struct he_encoder_impl *impl, char *why, size_t n)
{
	if (g_str_equal(impl->name, "fake-hw")) {
		he_encoder_why(why, n, "no such device");
		return -ENODEV;
	}
	return 0;
}

static int fake_create(const struct he_encoder_impl *impl, const struct he_encoder_config *cfg,
		       struct he_encoder **out, char *why, size_t n)
{
	if (g_str_equal(impl->name, "fake-broken")) {
		he_encoder_why(why, n, "refuses to open");
		return -EIO;
	}
	struct fake_encoder *e = g_new0(struct fake_encoder, 1);

	g_mutex_lock(&fake.lock);
	fake.gop = cfg->gop;
	g_mutex_unlock(&fake.lock);
	*out = &e->base;
	return 0;
}

static void append_nal(GByteArray *a, const uint8_t *nal, size_t len)
{
	static const uint8_t sc[4] = { 0, 0, 0, 1 };

	g_byte_array_append(a, sc, 4);
	g_byte_array_append(a, nal, (guint)len);
}

/* SPS + PPS + an IDR slice, or a non-IDR slice: first_mb_in_slice = 0,
 * enough for media's checks; nothing here is decoded. */
static int fake_encode(struct he_encoder *enc, const struct he_image *img, bool idr, GBytes **au)
{
	static const uint8_t idr_slice[] = { 0x65, 0x88, 0x80, 0x40 };
	static const uint8_t p_slice[] = { 0x41, 0x9a, 0x80, 0x40 };
	GByteArray *a = g_byte_array_new();

	if (fake.delay_ms)
		g_usleep(fake.delay_ms * 1000);
	g_mutex_lock(&fake.lock);
	if (img)
		fake.encodes++;
	else
		fake.again++;
	fake.keyframes += idr;
	g_mutex_unlock(&fake.lock);
	if (idr) {
		append_nal(a, g_bytes_get_data(fake.sps, NULL), g_bytes_get_size(fake.sps));
		append_nal(a, g_bytes_get_data(fake.pps, NULL), g_bytes_get_size(fake.pps));
		append_nal(a, idr_slice, sizeof(idr_slice));
	} else {
		append_nal(a, p_slice, sizeof(p_slice));
	}
	*au = g_byte_array_free_to_bytes(a);
	return 0;
}

static int fake_set_bitrate(struct he_encoder *enc)
{
	return 0;
}

static void fake_destroy(struct he_encoder *enc)
{
	g_free(enc);
}

#define FAKE(n, hw)                                                                    \
	{                                                                              \
		.name = (n), .hardware = (hw), .auto_select = true,                    \
		.memory_kinds = 1u << HE_MEMORY_CPU, .available = fake_available,      \
		.create = fake_create, .encode = fake_encode,                          \
		.set_bitrate = fake_set_bitrate, .destroy = fake_destroy,              \
	}

static const struct he_encoder_impl fake_hw = FAKE("fake-hw", true);
static const struct he_encoder_impl fake_broken = FAKE("fake-broken", true);
static const struct he_encoder_impl fake_sw = FAKE("fake-sw", false);
static const struct he_encoder_impl *const fake_impls[] = { &fake_hw, &fake_broken, &fake_sw,
							    NULL };

/* Real SPS/PPS for a W x H stream, taken from one libx264 frame. */
static void capture_parameter_sets(void)
{
	struct he_encoder_config cfg;
	struct he_packet pkt;
	struct he_h264_iter it;
	struct he_h264_nal nal;
	g_autofree uint8_t *pix = g_malloc0(W * H * 3 / 2);
	struct he_image img = { .fourcc = HXFR_FMT_NV12, .width = W, .height = H,
				.plane = { pix, pix + W * H }, .stride = { W, W } };
	struct he_encoder *enc;

	he_encoder_config_init(&cfg, W, H);
	enc = he_encoder_create("libx264", &cfg, NULL);
	g_assert_nonnull(enc);
	g_assert_cmpint(he_encoder_encode(enc, &img, 0, true, &pkt), ==, 0);
	he_h264_iter_init(&it, g_bytes_get_data(pkt.data, NULL), g_bytes_get_size(pkt.data));
	while (he_h264_iter_next(&it, &nal) > 0) {
		if (nal.type == HE_H264_NAL_SPS)
			fake.sps = g_bytes_new(nal.data, nal.size);
		else if (nal.type == HE_H264_NAL_PPS)
			fake.pps = g_bytes_new(nal.data, nal.size);
	}
	he_packet_clear(&pkt);
	he_encoder_destroy(enc);
	g_assert_nonnull(fake.sps);
	g_assert_nonnull(fake.pps);
}

static void fake_reset(unsigned delay_ms)
{
	g_mutex_lock(&fake.lock);
	fake.delay_ms = delay_ms;
	fake.encodes = fake.again = fake.keyframes = 0;
	g_mutex_unlock(&fake.lock);
}

static unsigned fake_get(unsigned *field)
{
	unsigned v;

	g_mutex_lock(&fake.lock);
	v = *field;
	g_mutex_unlock(&fake.lock);
	return v;
}

/* ---- a test output ----------------------------------------------------- */

struct test_output {
	struct he_output base;  /* first */
	GPtrArray *aus;         /* struct he_au*, in delivery order */
	GArray *replayed;       /* gboolean per AU */
	bool congested;         /* deliver() says -EAGAIN */
	bool ready;             /* ready() */
	int closed;             /* -1, or the enum he_output_close */
};

static int out_deliver(struct he_output *o, struct he_au *au, bool replay)
{
	struct test_output *t = (struct test_output *)o;
	gboolean r = replay;

	if (t->congested)
		return -EAGAIN;
	g_ptr_array_add(t->aus, he_au_ref(au));
	g_array_append_val(t->replayed, r);
	return 0;
}

static bool out_ready(struct he_output *o)
{
	return ((struct test_output *)o)->ready;
}

static void out_close(struct he_output *o, enum he_output_close why)
{
	((struct test_output *)o)->closed = (int)why;
}

static const struct he_output_impl test_output_impl = {
	.version = HE_OUTPUT_VERSION,
	.deliver = out_deliver,
	.ready = out_ready,
	.close = out_close,
};

static void output_init(struct test_output *t)
{
	memset(t, 0, sizeof(*t));
	t->base.impl = &test_output_impl;
	t->aus = g_ptr_array_new_with_free_func((GDestroyNotify)he_au_unref);
	t->replayed = g_array_new(FALSE, FALSE, sizeof(gboolean));
	t->ready = true;
	t->closed = -1;
}

static void output_clear(struct test_output *t)
{
	g_ptr_array_unref(t->aus);
	g_array_unref(t->replayed);
}

static struct he_au *out_au(struct test_output *t, guint i)
{
	return g_ptr_array_index(t->aus, i);
}

/* ---- helpers ----------------------------------------------------------- */

static struct he_stream *new_stream(const struct he_producer_impl *p, void *data,
				    unsigned keepalive_fps, unsigned stall_s, const char *encoder)
{
	struct he_stream_env env;
	struct he_stream_params params = { .id = 1, .name = "test", .producer = p,
					   .producer_data = data, .fps_num = 30, .fps_den = 1 };

	he_stream_env_defaults(&env);
	env.encoder = encoder;
	env.keepalive_fps = keepalive_fps;
	env.output_stall_s = stall_s;
	return he_stream_create(&env, &params);
}

static struct he_frame *grey_frame(int64_t pts)
{
	struct he_frame *f = he_frame_new_alloc(HXFR_FMT_BGRX, W, H);

	memset((uint8_t *)f->plane[0], 0x80, (size_t)f->stride[0] * H);
	f->pts_ns = pts;
	return f;
}

static void submit(struct he_stream *s, uint64_t tag)
{
	g_autoptr(he_frame) f = grey_frame((int64_t)tag * 1000);

	g_assert_cmpint(he_stream_submit(s, f, tag), ==, 0);
}

/* Runs the main loop until @p cond or @p ms pass. */
static bool run_until(bool (*cond)(void *), void *data, unsigned ms)
{
	int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;

	while (!cond(data) && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE), g_usleep(1000);
	return cond(data);
}

static bool idle_stream(void *data)
{
	return he_stream_pending(data) == 0;
}

/* Submit one frame and wait for its AU to reach the outputs. */
static void feed(struct he_stream *s, uint64_t tag)
{
	submit(s, tag);
	g_assert_true(run_until(idle_stream, s, 2000));
	for (int i = 0; i < 5; i++)
		g_main_context_iteration(NULL, FALSE);
}

/* ---- tests ------------------------------------------------------------- */

static void test_gop_replay(void)
{
	struct he_stream *s = new_stream(NULL, NULL, 0, 10, "fake-sw");
	struct test_output late;

	fake_reset(0);
	output_init(&late);
	for (uint64_t i = 0; i < 5; i++)
		feed(s, i);
	he_stream_attach(s, &late.base);
	/* The whole current GOP, flagged as replay, starting with the IDR. */
	g_assert_cmpuint(late.aus->len, ==, 5);
	g_assert_true(out_au(&late, 0)->keyframe);
	for (guint i = 0; i < 5; i++) {
		g_assert_true(g_array_index(late.replayed, gboolean, i));
		g_assert_cmpuint(out_au(&late, i)->seq, ==, i);
	}
	g_assert_nonnull(out_au(&late, 0)->format);
	g_assert_cmpstr(out_au(&late, 0)->format->codec, ==, out_au(&late, 4)->format->codec);
	g_assert_true(out_au(&late, 0)->format == out_au(&late, 4)->format);
	feed(s, 5);
	g_assert_cmpuint(late.aus->len, ==, 6);
	g_assert_false(g_array_index(late.replayed, gboolean, 5));
	g_assert_false(out_au(&late, 5)->keyframe);
	he_stream_destroy(s);
	g_assert_cmpint(late.closed, ==, HE_OUTPUT_CLOSE_STREAM_GONE);
	output_clear(&late);
}

/* A GOP longer than the join replay (no periodic IDRs make it long): the
 * joining output gets no replay but the next frame as an IDR, and waiting
 * for it is not counted as skipping. A still stream (no frame for a
 * second, nothing to re-encode) replays however long its GOP is: nothing
 * else would show its picture. */
static void test_join_long_gop(void)
{
	struct he_stream *s = new_stream(NULL, NULL, 0, 10, "fake-sw");
	struct test_output live, still;

	fake_reset(0);
	output_init(&live);
	output_init(&still);
	for (uint64_t i = 0; i < 70; i++)
		feed(s, i);
	he_stream_attach(s, &live.base);
	g_assert_cmpuint(live.aus->len, ==, 0);
	feed(s, 70);
	g_assert_cmpuint(live.aus->len, ==, 1);
	g_assert_true(out_au(&live, 0)->keyframe);
	g_assert_false(g_array_index(live.replayed, gboolean, 0));
	g_assert_cmpuint(live.base.skipped, ==, 0);
	he_stream_detach(s, &live.base);
	for (uint64_t i = 71; i < 140; i++)
		feed(s, i);
	g_usleep(1100000); /* still: no frame for a second, no output to keep the picture for */
	he_stream_attach(s, &still.base);
	g_assert_cmpuint(still.aus->len, ==, 70); /* from the IDR of frame 70 */
	g_assert_true(out_au(&still, 0)->keyframe);
	g_assert_true(he_stream_is_still(s));
	he_stream_detach(s, &still.base);
	he_stream_destroy(s);
	output_clear(&live);
	output_clear(&still);
}

static void test_resync(void)
{
	struct he_stream *s = new_stream(NULL, NULL, 0, 60, "fake-sw");
	struct test_output slow, other;
	unsigned k0;

	fake_reset(0);
	output_init(&slow);
	output_init(&other);
	feed(s, 0);
	he_stream_attach(s, &slow.base);
	he_stream_attach(s, &other.base);
	feed(s, 1);
	k0 = fake_get(&fake.keyframes);
	/* Over its bound and not drained: AUs are skipped, no IDR asked. */
	slow.congested = true;
	slow.ready = false;
	for (uint64_t i = 2; i < 22; i++)
		feed(s, i);
	g_assert_cmpuint(fake_get(&fake.keyframes), ==, k0);
	g_assert_cmpuint(slow.base.resyncs, ==, 1);
	g_assert_cmpuint(slow.base.skipped, >=, 19);
	g_assert_cmpuint(other.aus->len, ==, 1 + 1 + 20); /* replay, frame 1, 2..21 */
	/* Drained: one IDR is requested, and only one. */
	slow.congested = false;
	slow.ready = true;
	for (uint64_t i = 22; i < 30; i++)
		feed(s, i);
	g_assert_cmpuint(fake_get(&fake.keyframes), ==, k0 + 1);
	{
		guint n = slow.aus->len;
		struct he_au *first_after = NULL;

		for (guint i = 0; i < n; i++)
			if (out_au(&slow, i)->seq > 2) {
				first_after = out_au(&slow, i);
				break;
			}
		g_assert_nonnull(first_after);
		g_assert_true(first_after->keyframe);
	}
	g_assert_cmpint(slow.closed, ==, -1);
	he_stream_detach(s, &other.base);
	he_stream_destroy(s);
	output_clear(&slow);
	output_clear(&other);
}

static void test_too_slow(void)
{
	struct he_stream *s = new_stream(NULL, NULL, 0, 1, "fake-sw");
	struct test_output stuck;
	int64_t end;

	fake_reset(0);
	output_init(&stuck);
	feed(s, 0);
	he_stream_attach(s, &stuck.base);
	stuck.congested = true;
	stuck.ready = false;
	end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
	for (uint64_t i = 1; stuck.closed < 0 && g_get_monotonic_time() < end; i++) {
		feed(s, i);
		g_usleep(50000);
	}
	g_assert_cmpint(stuck.closed, ==, HE_OUTPUT_CLOSE_TOO_SLOW);
	g_assert_null(stuck.base.stream);
	g_assert_cmpuint(he_stream_outputs(s), ==, 0);
	he_stream_destroy(s);
	output_clear(&stuck);
}

static bool enough_keepalives(void *data)
{
	struct test_output *t = data;

	return t->aus->len >= 5;
}

static void test_keepalive(void)
{
	struct he_stream *s = new_stream(NULL, NULL, 10, 10, "fake-sw");
	struct test_output o;

	fake_reset(0);
	output_init(&o);
	he_stream_attach(s, &o.base);
	feed(s, 0);
	g_assert_true(run_until(enough_keepalives, &o, 3000));
	g_assert_true(out_au(&o, 0)->keyframe);
	for (guint i = 1; i < o.aus->len; i++) {
		struct he_au *au = out_au(&o, i);

		/* A new access unit, encoded again: never a resent one. */
		g_assert_true(au->keepalive);
		g_assert_false(au->keyframe);
		g_assert_cmpuint(au->seq, ==, out_au(&o, i - 1)->seq + 1);
		g_assert_true(au->data != out_au(&o, i - 1)->data);
		g_assert_cmpint(au->pts_ns, ==, 0);
	}
	g_assert_cmpuint(fake_get(&fake.encodes), ==, 1);
	g_assert_cmpuint(fake_get(&fake.again), >=, 4);
	he_stream_detach(s, &o.base);
	he_stream_destroy(s);
	output_clear(&o);
}

struct owner {
	GArray *tags;   /* uint64_t, in result order */
	unsigned with_au, dropped, errors;
};

static void owner_result(void *data, uint64_t tag, struct he_au *au, int32_t code, const char *why)
{
	struct owner *ow = data;

	g_array_append_val(ow->tags, tag);
	if (au)
		ow->with_au++;
	else if (code == 0)
		ow->dropped++;
	else
		ow->errors++;
}

static const struct he_producer_impl owner_impl = {
	.version = HE_PRODUCER_VERSION,
	.result = owner_result,
};

static bool all_results(void *data)
{
	return ((struct owner *)data)->tags->len >= 12;
}

static void test_owner_results(void)
{
	struct owner ow = { .tags = g_array_new(FALSE, FALSE, sizeof(uint64_t)) };
	struct he_stream *s = new_stream(&owner_impl, &ow, 0, 10, "fake-sw");

	/* A slow encoder and frames faster than it: the oldest waiting ones
	 * are dropped, and still answered, in order. */
	fake_reset(40);
	for (uint64_t i = 0; i < 12; i++)
		submit(s, i);
	g_assert_true(run_until(all_results, &ow, 5000));
	g_assert_cmpuint(ow.tags->len, ==, 12);
	for (guint i = 0; i < 12; i++)
		g_assert_cmpuint(g_array_index(ow.tags, uint64_t, i), ==, i);
	g_assert_cmpuint(ow.dropped, >, 0);
	g_assert_cmpuint(ow.errors, ==, 0);
	g_assert_cmpuint(ow.with_au + ow.dropped, ==, 12);
	g_assert_cmpuint(ow.with_au, ==, fake_get(&fake.encodes));
	/* The last frame is never the one dropped: it is the newest. */
	he_stream_destroy(s);
	g_array_unref(ow.tags);
}

static bool got_keepalive(void *data)
{
	struct test_output *o = data;

	return o->aus->len >= 2;
}

/* A guest's stream: the first keepalive waits HE_STREAM_OWNER_QUIET_MS
 * after the guest's own frame (each costs the guest's stream an IDR, and a
 * guest sending changes only pauses often), later ones come at the
 * keepalive rate; and the guest's next frame is an IDR. */
static void test_owner_keepalive(void)
{
	struct owner ow = { .tags = g_array_new(FALSE, FALSE, sizeof(uint64_t)) };
	struct he_stream *s = new_stream(&owner_impl, &ow, 10, 10, "fake-sw");
	struct test_output o;
	int64_t t0, first, second;

	fake_reset(0);
	output_init(&o);
	he_stream_attach(s, &o.base);
	feed(s, 0);
	t0 = g_get_monotonic_time();
	g_assert_true(run_until(got_keepalive, &o, HE_STREAM_OWNER_QUIET_MS + 2000));
	first = g_get_monotonic_time() - t0;
	g_assert_cmpint(first, >=, (HE_STREAM_OWNER_QUIET_MS - 100) * 1000);
	g_assert_true(out_au(&o, 1)->keepalive);
	t0 = g_get_monotonic_time();
	g_assert_true(run_until(enough_keepalives, &o, 3000));
	second = g_get_monotonic_time() - t0;
	g_assert_cmpint(second, <, HE_STREAM_OWNER_QUIET_MS * 1000); /* 10 a second now */
	feed(s, 1);
	g_assert_true(out_au(&o, o.aus->len - 1)->keyframe);
	he_stream_detach(s, &o.base);
	he_stream_destroy(s);
	output_clear(&o);
	g_array_unref(ow.tags);
}

/* Viewers' and peers' keyframe requests are coalesced: a page asking in a
 * loop cannot turn every frame into an IDR for everyone. */
static void test_idr_coalesced(void)
{
	struct he_stream *s = new_stream(NULL, NULL, 0, 10, "fake-sw");
	unsigned k0;

	fake_reset(0);
	feed(s, 0);
	k0 = fake_get(&fake.keyframes);
	g_assert_true(he_stream_ask_idr(s));
	for (uint64_t i = 1; i <= 20; i++) {
		he_stream_ask_idr(s); /* refused: within the interval */
		feed(s, i);
	}
	g_assert_cmpuint(fake_get(&fake.keyframes), ==, k0 + 1);
	g_usleep(HE_STREAM_IDR_INTERVAL_MS * 1000 + 50000);
	g_assert_true(he_stream_ask_idr(s));
	feed(s, 21);
	g_assert_cmpuint(fake_get(&fake.keyframes), ==, k0 + 2);
	he_stream_destroy(s);
}

/* The GOP the encoder is opened with: without --gop none ends (IDRs only
 * on request: a periodic IDR of a still desktop costs every viewer 180-450
 * kB at 1080p, docs/benchmarks.md); intra refresh needs a wave period and
 * gets the encoder's default, 10 s; --gop N is N. (Before, no --gop meant
 * an IDR every 10 s: 300 here.) */
static void test_gop_default(void)
{
	static const struct { uint32_t gop; bool ir; uint32_t want; } cases[] = {
		{ 0, false, HE_ENCODER_GOP_ON_REQUEST },
		{ 0, true, 300 }, /* 10 s at the stream's 30 fps */
		{ 90, false, 90 },
		{ 90, true, 90 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct he_stream_env env;
		struct he_stream_params params = { .id = 1, .name = "test", .fps_num = 30,
						   .fps_den = 1 };
		struct he_stream *s;

		he_stream_env_defaults(&env);
		g_assert_cmpuint(env.gop, ==, 0);
		env.encoder = "fake-sw";
		env.gop = cases[i].gop;
		env.intra_refresh = cases[i].ir;
		s = he_stream_create(&env, &params);
		fake_reset(0);
		fake.gop = UINT32_MAX;
		feed(s, 0);
		g_assert_cmpuint(fake_get(&fake.gop), ==, cases[i].want);
		he_stream_destroy(s);
	}
}

static unsigned sink_events;

static void count_event(void *data, const struct he_input_event *ev)
{
	sink_events++;
}

static const struct he_input_sink_impl counting_sink = {
	.version = HE_INPUT_SINK_VERSION, .event = count_event,
};

/* Input is capped per stream over all its viewers together. */
static void test_input_cap(void)
{
	struct he_stream_env env;
	struct he_stream_params p = { .id = 2, .name = "input", .input = { &counting_sink, NULL } };
	struct he_input_event ev = { .kind = HE_INPUT_KEY, .code = 30, .down = true };
	struct he_stream *s;
	unsigned taken = 0;

	he_stream_env_defaults(&env);
	env.encoder = "fake-sw";
	s = he_stream_create(&env, &p);
	sink_events = 0;
	for (unsigned i = 0; i < 3 * HE_STREAM_INPUT_PER_SECOND; i++)
		taken += he_stream_input(s, &ev);
	g_assert_cmpuint(taken, ==, HE_STREAM_INPUT_PER_SECOND);
	g_assert_cmpuint(sink_events, ==, HE_STREAM_INPUT_PER_SECOND);
	he_stream_destroy(s);
}

/* Viewers' messages are admitted per stream before anyone parses them. */
static void test_input_admit(void)
{
	struct he_stream_env env;
	struct he_stream_params p = { .id = 3, .name = "admit" };
	struct he_stream *s;
	unsigned admitted = 0;

	he_stream_env_defaults(&env);
	env.encoder = "fake-sw";
	s = he_stream_create(&env, &p);
	for (unsigned i = 0; i < 3 * HE_STREAM_INPUT_PER_SECOND; i++)
		admitted += he_stream_input_admit(s);
	g_assert_cmpuint(admitted, ==, HE_STREAM_INPUT_PER_SECOND);
	g_usleep(G_USEC_PER_SEC + 20000);
	g_assert_true(he_stream_input_admit(s));
	he_stream_destroy(s);
}

static void test_fallback_order(void)
{
	g_autoptr(GError) err = NULL;
	struct he_encoder_config cfg;
	struct he_encoder *enc;
	struct test_output o;
	struct he_stream *s;
	struct he_stream_info info;

	he_encoder_config_init(&cfg, W, H);
	enc = he_encoder_create(NULL, &cfg, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(he_encoder_name(enc), ==, "fake-sw");
	he_encoder_destroy(enc);
	g_assert_null(he_encoder_create("fake-broken", &cfg, &err));
	g_assert_error(err, HE_ENCODER_ERROR, HE_ENCODER_ERROR_UNAVAILABLE);
	g_assert_nonnull(strstr(err->message, "refuses to open"));

	/* A stream with no encoder named picks the same, by the same order. */
	fake_reset(0);
	output_init(&o);
	s = new_stream(NULL, NULL, 0, 10, NULL);
	he_stream_attach(s, &o.base);
	feed(s, 0);
	he_stream_info(s, &info);
	g_assert_cmpstr(info.encoder, ==, "fake-sw");
	g_assert_false(info.hardware);
	g_assert_cmpuint(o.aus->len, ==, 1);
	he_stream_detach(s, &o.base);
	he_stream_destroy(s);
	output_clear(&o);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_mutex_init(&fake.lock);
	capture_parameter_sets();
	he_encoder_impls_override(fake_impls);
	g_test_add_func("/core/stream/gop-replay", test_gop_replay);
	g_test_add_func("/core/stream/join-long-gop", test_join_long_gop);
	g_test_add_func("/core/stream/resync", test_resync);
	g_test_add_func("/core/stream/too-slow", test_too_slow);
	g_test_add_func("/core/stream/keepalive", test_keepalive);
	g_test_add_func("/core/stream/owner-results", test_owner_results);
	g_test_add_func("/core/stream/owner-keepalive", test_owner_keepalive);
	g_test_add_func("/core/stream/idr-coalesced", test_idr_coalesced);
	g_test_add_func("/core/stream/gop-default", test_gop_default);
	g_test_add_func("/core/stream/input-cap", test_input_cap);
	g_test_add_func("/core/stream/input-admit", test_input_admit);
	g_test_add_func("/core/stream/fallback-order", test_fallback_order);
	rc = g_test_run();
	he_encoder_impls_override(NULL);
	g_bytes_unref(fake.sps);
	g_bytes_unref(fake.pps);
	return rc;
}
