/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <math.h>
#include <string.h>

#include "convert.h"

struct tu_picture *tu_picture_new(uint32_t width, uint32_t height)
{
	struct tu_picture *pic = g_new0(struct tu_picture, 1);

	pic->width = width;
	pic->height = height;
	pic->bgrx_stride = width * 4;
	pic->bgrx = g_malloc0((size_t)pic->bgrx_stride * height);
	pic->y_stride = width;
	pic->uv_stride = (width + 1) / 2 * 2;
	pic->y = g_malloc0((size_t)pic->y_stride * height);
	pic->uv = g_malloc0((size_t)pic->uv_stride * ((height + 1) / 2));
	return pic;
}

void tu_picture_free(struct tu_picture *pic)
{
	if (!pic)
		return;
	g_free(pic->bgrx);
	g_free(pic->y);
	g_free(pic->uv);
	g_free(pic);
}

static void put_bgrx(struct tu_picture *pic, uint32_t x, uint32_t y, uint32_t rgb)
{
	uint8_t *p = pic->bgrx + (size_t)y * pic->bgrx_stride + (size_t)x * 4;

	p[0] = rgb & 0xff;
	p[1] = (rgb >> 8) & 0xff;
	p[2] = (rgb >> 16) & 0xff;
	p[3] = 0xff;
}

static uint32_t scale_rgb(uint32_t rgb, unsigned num, unsigned den)
{
	uint32_t out = 0;

	for (unsigned shift = 0; shift < 24; shift += 8)
		out |= (((rgb >> shift) & 0xff) * num / den) << shift;
	return out;
}

/* Black-on-white pseudo glyphs: fine detail like text on a desktop. */
static bool text_pixel(uint32_t x, uint32_t y)
{
	uint32_t h = (x / 2) * 73856093u ^ (y / 2) * 19349663u;

	return (y % 12) < 9 && (x % 8) < 6 && (h >> 13) % 3 == 0;
}

void tu_picture_draw_bars(struct tu_picture *pic, unsigned frame)
{
	static const uint32_t bars[8] = { 0xc0c0c0, 0xc0c000, 0x00c0c0, 0x00c000,
					  0xc000c0, 0xc00000, 0x0000c0, 0x101010 };
	uint32_t sx = (frame * 4) % (pic->width - 32), sy = pic->height / 2 - 16;

	for (uint32_t y = 0; y < pic->height; y++) {
		for (uint32_t x = 0; x < pic->width; x++) {
			uint32_t rgb = scale_rgb(bars[x * 8 / pic->width], 192 + (x + y) % 64, 255);

			if (x < pic->width / 2 && y < pic->height / 4)
				rgb = text_pixel(x, y) ? 0x000000 : 0xffffff;
			if (x >= sx && x < sx + 32 && y >= sy && y < sy + 32)
				rgb = ((x - sx) / 4 + (y - sy) / 4) % 2 ? 0xffffff : 0x2040c0;
			put_bgrx(pic, x, y, rgb);
		}
	}
}

void tu_picture_draw_noise(struct tu_picture *pic, unsigned frame)
{
	GRand *rand = g_rand_new_with_seed(frame + 1);

	for (uint32_t y = 0; y < pic->height; y++) {
		for (uint32_t x = 0; x < pic->width; x++)
			put_bgrx(pic, x, y, g_rand_int(rand) & 0xffffff);
	}
	g_rand_free(rand);
}

struct he_image tu_picture_bgrx_image(const struct tu_picture *pic)
{
	return (struct he_image){
		.fourcc = HXFR_FMT_BGRX,
		.width = pic->width,
		.height = pic->height,
		.plane = { pic->bgrx },
		.stride = { pic->bgrx_stride },
	};
}

struct he_image tu_picture_nv12_image(const struct tu_picture *pic)
{
	return (struct he_image){
		.fourcc = HXFR_FMT_NV12,
		.width = pic->width,
		.height = pic->height,
		.plane = { pic->y, pic->uv },
		.stride = { pic->y_stride, pic->uv_stride },
	};
}

void tu_picture_to_nv12(struct tu_picture *pic)
{
	struct he_image img = tu_picture_bgrx_image(pic);

	g_assert_cmpint(he_convert_to_nv12(&img, pic->y, pic->y_stride, pic->uv, pic->uv_stride), ==, 0);
}

struct tu_decoder {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
};

struct tu_decoder *tu_decoder_new(bool low_delay)
{
	struct tu_decoder *dec = g_new0(struct tu_decoder, 1);
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);

	g_assert_nonnull(codec);
	dec->ctx = avcodec_alloc_context3(codec);
	if (low_delay)
		dec->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	dec->ctx->thread_count = 1;
	g_assert_cmpint(avcodec_open2(dec->ctx, codec, NULL), ==, 0);
	dec->pkt = av_packet_alloc();
	dec->frame = av_frame_alloc();
	return dec;
}

void tu_decoder_free(struct tu_decoder *dec)
{
	if (!dec)
		return;
	avcodec_free_context(&dec->ctx);
	av_packet_free(&dec->pkt);
	av_frame_free(&dec->frame);
	g_free(dec);
}

const AVFrame *tu_decoder_decode(struct tu_decoder *dec, GBytes *au)
{
	gsize size;
	const uint8_t *data = g_bytes_get_data(au, &size);
	int rc;

	av_frame_unref(dec->frame);
	g_assert_cmpint(av_new_packet(dec->pkt, (int)size), ==, 0);
	memcpy(dec->pkt->data, data, size);
	rc = avcodec_send_packet(dec->ctx, dec->pkt);
	av_packet_unref(dec->pkt);
	g_assert_cmpint(rc, ==, 0);
	rc = avcodec_receive_frame(dec->ctx, dec->frame);
	if (rc == AVERROR(EAGAIN))
		return NULL;
	g_assert_cmpint(rc, ==, 0);
	return dec->frame;
}

double tu_psnr(const uint8_t *a, size_t a_stride, unsigned a_step, const uint8_t *b, size_t b_stride,
	       unsigned b_step, uint32_t width, uint32_t height)
{
	double sse = 0;

	for (uint32_t y = 0; y < height; y++) {
		for (uint32_t x = 0; x < width; x++) {
			int d = (int)a[y * a_stride + x * a_step] - (int)b[y * b_stride + x * b_step];

			sse += d * d;
		}
	}
	if (sse == 0)
		return 99.0;
	return 10.0 * log10(255.0 * 255.0 * width * height / sse);
}

void tu_bits_u(struct tu_bits *w, unsigned n, uint32_t v)
{
	for (unsigned i = n; i-- > 0;) {
		g_assert_cmpuint(w->bits / 8, <, sizeof(w->buf));
		if ((v >> i) & 1)
			w->buf[w->bits / 8] |= (uint8_t)(0x80u >> (w->bits % 8));
		w->bits++;
	}
}

void tu_bits_ue(struct tu_bits *w, uint32_t v)
{
	uint64_t x = (uint64_t)v + 1;
	unsigned len = 0;

	while ((x >> len) > 1)
		len++;
	tu_bits_u(w, len, 0);
	tu_bits_u(w, 1, 1);
	tu_bits_u(w, len, (uint32_t)(x & ((1ull << len) - 1)));
}

void tu_bits_se(struct tu_bits *w, int32_t v)
{
	tu_bits_ue(w, v > 0 ? (uint32_t)v * 2 - 1 : (uint32_t)(-(int64_t)v) * 2);
}

uint8_t *tu_bits_to_nal(struct tu_bits *w, uint8_t nal_header, size_t *size)
{
	size_t n, out = 1;
	unsigned zeros = 0;
	uint8_t *nal;

	tu_bits_u(w, 1, 1);
	while (w->bits % 8)
		tu_bits_u(w, 1, 0);
	n = w->bits / 8;
	nal = g_malloc(1 + n * 2);
	nal[0] = nal_header;
	for (size_t i = 0; i < n; i++) {
		if (zeros == 2 && w->buf[i] <= 3) {
			nal[out++] = 3;
			zeros = 0;
		}
		nal[out++] = w->buf[i];
		zeros = w->buf[i] == 0 ? zeros + 1 : 0;
	}
	*size = out;
	return nal;
}
