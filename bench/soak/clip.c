/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "clip.h"

#include <glib.h>
#include <stdio.h>

#include "client.h"
#include "pattern.h"

void soak_clip_init(struct soak_clip *clip, uint32_t fourcc, uint32_t w, uint32_t h)
{
	clip->fourcc = fourcc;
	for (unsigned i = 0; i < SOAK_CLIP; i++) {
		struct tc_picture *p = tc_picture_new(fourcc, w, h, 0);

		tc_picture_render(p, i);
		/* the pixels and references stay; the drawing buffer goes */
		g_clear_pointer(&p->bgrx, g_free);
		clip->pic[i] = p;
	}
}

void soak_clip_clear(struct soak_clip *clip)
{
	for (unsigned i = 0; i < SOAK_CLIP; i++)
		g_clear_pointer(&clip->pic[i], tc_picture_free);
}

int soak_clip_check(const struct soak_clip *clip, const AVFrame *f, uint32_t w, uint32_t h,
		    uint32_t *frame_no, char *why, size_t why_len)
{
	struct he_pattern_code code;
	const struct tc_picture *p;
	uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
	double y, u, v;

	if ((uint32_t)f->width != w || (uint32_t)f->height != h) {
		snprintf(why, why_len, "picture is %dx%d, expected %ux%u", f->width, f->height, w, h);
		return -1;
	}
	if (he_pattern_read_y(f->data[0], (uint32_t)f->linesize[0], w, h, &code) < 0) {
		snprintf(why, why_len, "no frame number reads from the picture");
		return -1;
	}
	*frame_no = code.frame_no;
	if (!clip)
		return 0;
	if (code.frame_no >= SOAK_CLIP) {
		snprintf(why, why_len, "frame number %u is not one of the clip's", code.frame_no);
		return -1;
	}
	p = clip->pic[code.frame_no];
	y = tc_psnr(f->data[0], (size_t)f->linesize[0], p->ref_y, w, w, h);
	u = tc_psnr(f->data[1], (size_t)f->linesize[1], p->ref_u, cw, cw, ch);
	v = tc_psnr(f->data[2], (size_t)f->linesize[2], p->ref_v, cw, cw, ch);
	if (y < TC_MIN_PSNR_DB || u < TC_MIN_PSNR_DB || v < TC_MIN_PSNR_DB) {
		snprintf(why, why_len, "frame %u: PSNR Y %.1f U %.1f V %.1f dB, want >= %.0f",
			 code.frame_no, y, u, v, TC_MIN_PSNR_DB);
		return -1;
	}
	return 0;
}
