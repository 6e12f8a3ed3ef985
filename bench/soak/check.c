/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check.h"

#include <libavcodec/avcodec.h>
#include <stdio.h>
#include <string.h>

#include "h264.h"

void soak_checker_init(struct soak_checker *c, const struct soak_clip *clip, uint32_t w,
		       uint32_t h)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx = avcodec_alloc_context3(codec);

	memset(c, 0, sizeof(*c));
	ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	ctx->thread_count = 1; /* frame threads would delay output */
	ctx->err_recognition = AV_EF_EXPLODE | AV_EF_BITSTREAM | AV_EF_BUFFER;
	if (avcodec_open2(ctx, codec, NULL) < 0)
		g_error("cannot open libavcodec's H.264 decoder");
	c->ctx = ctx;
	c->pkt = av_packet_alloc();
	c->frame = av_frame_alloc();
	c->clip = clip;
	c->w = w;
	c->h = h;
}

void soak_checker_clear(struct soak_checker *c)
{
	AVCodecContext *ctx = c->ctx;
	AVPacket *pkt = c->pkt;
	AVFrame *f = c->frame;

	avcodec_free_context(&ctx);
	av_packet_free(&pkt);
	av_frame_free(&f);
	memset(c, 0, sizeof(*c));
}

void soak_checker_reset(struct soak_checker *c)
{
	avcodec_flush_buffers(c->ctx);
	c->started = c->fn_valid = c->seq_valid = c->fno_valid = false;
	memset(&c->fn, 0, sizeof(c->fn));
}

G_GNUC_PRINTF(2, 3) static void bad(struct soak_au_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad)
		return; /* the first reason is the one */
	r->bad = true;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* One AU whose IDR flag is right. */
static bool check_structure(const uint8_t *au, size_t len, bool keyframe, struct soak_au_result *r)
{
	struct he_h264_au_info info;

	if (he_h264_scan(au, len, &info) < 0) {
		bad(r, "access unit does not parse as Annex B");
		return false;
	}
	if (info.access_units != 1)
		bad(r, "%u access units in one message", info.access_units);
	if (info.has_idr != keyframe)
		bad(r, "keyframe flag %d but the access unit %s an IDR", keyframe,
		    info.has_idr ? "holds" : "holds no");
	if (info.has_idr && !(info.has_sps && info.has_pps))
		bad(r, "IDR without SPS and PPS in front");
	return !r->bad;
}

/* Sequence numbers (web) and frame_num (all): nothing missing. */
static void check_continuity(struct soak_checker *c, const uint8_t *au, size_t len,
			     bool keyframe, const uint32_t *seq, struct soak_au_result *r)
{
	uint32_t fnum = 0;
	bool ref = true;

	if (seq) {
		if (c->seq_valid && *seq != c->seq + 1)
			r->missing = *seq - c->seq - 1;
		c->seq = *seq;
		c->seq_valid = true;
	}
	if (soak_frame_num_read(&c->fn, au, len, &fnum, &ref) < 0) {
		bad(r, "no frame_num reads from the access unit");
		return;
	}
	if (keyframe && fnum != 0)
		bad(r, "IDR with frame_num %u", fnum);
	if (!keyframe && c->fn_valid) {
		uint32_t mask = (1u << c->fn.log2_max) - 1;
		uint32_t gap = (fnum - c->frame_num - 1) & mask;

		/* the sequence number, when there is one, counts the loss */
		if (gap && !seq)
			r->missing = gap;
		else if (gap && !r->missing)
			bad(r, "frame_num jumps by %u with no sequence gap", gap + 1);
	}
	if (!ref)
		bad(r, "a non-reference picture (frame_num cannot tell losses)");
	c->frame_num = fnum;
	c->fn_valid = true;
}

/* Exactly one picture for one access unit, at once, without error. */
static AVFrame *decode(struct soak_checker *c, const uint8_t *au, size_t len,
		       struct soak_au_result *r)
{
	AVPacket *pkt = c->pkt;
	AVFrame *f = c->frame;
	int res;

	if (av_new_packet(pkt, (int)len) < 0) {
		bad(r, "out of memory");
		return NULL;
	}
	memcpy(pkt->data, au, len);
	res = avcodec_send_packet(c->ctx, pkt);
	av_packet_unref(pkt);
	if (res < 0) {
		bad(r, "decoder rejected the access unit: %s", av_err2str(res));
		return NULL;
	}
	av_frame_unref(f);
	res = avcodec_receive_frame(c->ctx, f);
	if (res < 0) {
		bad(r, "%s", res == AVERROR(EAGAIN) ? "decoder held the picture back"
						    : av_err2str(res));
		return NULL;
	}
	if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT))
		bad(r, "decoded picture flagged corrupt (0x%x)", f->decode_error_flags);
	return f;
}

void soak_checker_au(struct soak_checker *c, const uint8_t *au, size_t len, bool keyframe,
		     const uint32_t *seq, struct soak_au_result *r)
{
	AVFrame *f;

	memset(r, 0, sizeof(*r));
	if (!c->started && !keyframe) {
		bad(r, "the first access unit of the connection is not an IDR");
		return;
	}
	c->started = true;
	if (!check_structure(au, len, keyframe, r))
		return;
	check_continuity(c, au, len, keyframe, seq, r);
	f = decode(c, au, len, r);
	if (!f)
		return;
	if (soak_clip_check(c->clip, f, c->w, c->h, &r->frame_no, r->why, sizeof(r->why)) < 0) {
		r->bad = true;
		return;
	}
	/* the picture moves on (a keepalive shows the same one again) */
	if (c->fno_valid && !c->clip && r->frame_no < c->fno)
		bad(r, "frame number went back from %u to %u", c->fno, r->frame_no);
	c->fno = r->frame_no;
	c->fno_valid = true;
}

int soak_decode_size(struct soak_checker *c, const uint8_t *au, size_t len, int *w, int *h)
{
	struct soak_au_result r = { 0 };
	AVFrame *f = decode(c, au, len, &r);

	if (!f)
		return -1;
	*w = f->width;
	*h = f->height;
	return 0;
}
