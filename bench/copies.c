/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copies of a frame's pixels on the host, counted (not a test): frames in
 * a shared-memory-like mapping, NV12 and BGRx, through a real stream with
 * the real encoder, with and without an output watching (keepalives on).
 * The count comes from media's staging counter (he_encoder_bytes_staged),
 * the only place hostencd writes pixels on their way to the encoder; the
 * HXFR session wraps ring pointers without copying (daemon/hxfr/
 * session-frames.c).
 *
 * usage: bench-copies [WxH] [frames]
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <hxfr/hxfr.h>

#include "encoder.h"
#include "frame.h"
#include "stream.h"

struct sink {
	struct he_output base;
	uint64_t aus;
};

static int sink_deliver(struct he_output *o, struct he_au *au, bool replay)
{
	((struct sink *)o)->aus++;
	return 0;
}

static void sink_close(struct he_output *o, enum he_output_close why)
{
}

static const struct he_output_impl sink_impl = {
	.version = HE_OUTPUT_VERSION, .deliver = sink_deliver, .close = sink_close,
};

/* A frame whose planes point into @p map, as a guest's ring slot would. */
static struct he_frame *mapped_frame(uint8_t *map, uint32_t fourcc, uint32_t w, uint32_t h,
				     uint64_t n)
{
	struct he_frame *f = he_frame_new(NULL, NULL);

	f->fourcc = fourcc;
	f->width = w;
	f->height = h;
	f->pts_ns = (int64_t)n * 33333333;
	if (fourcc == HXFR_FMT_NV12) {
		f->plane[0] = map;
		f->stride[0] = w;
		f->plane[1] = map + (size_t)w * h;
		f->stride[1] = w;
	} else {
		f->plane[0] = map;
		f->stride[0] = w * 4;
	}
	return f;
}

static void drain(struct he_stream *s)
{
	while (he_stream_pending(s))
		g_main_context_iteration(NULL, FALSE), g_usleep(200);
	for (int i = 0; i < 10; i++)
		g_main_context_iteration(NULL, FALSE);
}

static void run(uint32_t fourcc, const char *name, bool watched, uint32_t w, uint32_t h,
		uint32_t frames)
{
	size_t size = (size_t)w * h * 4;
	uint8_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct he_stream_env env;
	struct he_stream_params p = { .id = 1, .name = "bench", .fps_num = 30, .fps_den = 1 };
	struct sink sink = { .base.impl = &sink_impl };
	struct he_stream *s;
	uint64_t before;
	double per_frame, picture;

	g_assert(map != MAP_FAILED);
	for (size_t i = 0; i < size; i++)
		map[i] = (uint8_t)(i * 7 + i / 4096);
	he_stream_env_defaults(&env);
	env.encoder = "libx264";
	s = he_stream_create(&env, &p);
	if (watched)
		he_stream_attach(s, &sink.base);
	/* warm up: the first frame opens the encoder */
	{
		g_autoptr(he_frame) f = mapped_frame(map, fourcc, w, h, 0);

		he_stream_submit(s, f, 0);
		drain(s);
	}
	before = he_encoder_bytes_staged();
	for (uint32_t i = 1; i <= frames; i++) {
		g_autoptr(he_frame) f = mapped_frame(map, fourcc, w, h, i);

		while (he_stream_submit(s, f, i) == -EBUSY)
			drain(s);
		drain(s);
	}
	per_frame = (double)(he_encoder_bytes_staged() - before) / frames;
	picture = (double)w * h * 3 / 2;
	printf("| %-5s | %-33s | %12.0f | %6.2f |\n", name,
	       watched ? "an output watching (keepalive on)" : "the guest alone", per_frame,
	       per_frame / picture);
	if (watched)
		he_stream_detach(s, &sink.base);
	he_stream_destroy(s);
	munmap(map, size);
}

int main(int argc, char **argv)
{
	uint32_t w = 1920, h = 1080, frames = 60;

	if (argc > 1 && sscanf(argv[1], "%ux%u", &w, &h) != 2) {
		fprintf(stderr, "usage: %s [WxH] [frames]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		frames = (uint32_t)g_ascii_strtoull(argv[2], NULL, 10);
	if (!frames)
		frames = 60;
	printf("### Bytes of pixels copied on the host per frame, %ux%u, %u frames\n\n", w, h,
	       frames);
	printf("| input | who watches                       | bytes/frame  | copies |\n");
	printf("|-------|-----------------------------------|--------------|--------|\n");
	run(HXFR_FMT_NV12, "NV12", false, w, h, frames);
	run(HXFR_FMT_NV12, "NV12", true, w, h, frames);
	run(HXFR_FMT_BGRX, "BGRx", false, w, h, frames);
	run(HXFR_FMT_BGRX, "BGRx", true, w, h, frames);
	printf("\n(copies: bytes per frame over the size of one NV12 picture; a BGRx frame's\n"
	       "one copy is its conversion to NV12.)\n");
	return 0;
}
