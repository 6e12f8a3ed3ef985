/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-quality: PSNR and SSIM of decoded pictures against the source, with
 * libavfilter's psnr and ssim filters in one graph:
 *   [main][ref1] psnr [p]; [p][ref2] ssim -> sink, ref split in two.
 * Per-frame values come back as frame metadata. */
#include <glib.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "quality.h"

struct q_metrics {
	AVFilterGraph *graph;
	AVFilterContext *main, *ref, *sink;
	AVFrame *out;
	int64_t pts;
	double mse_y, mse_avg, ssim;
	uint32_t frames;
};

static AVFilterContext *source(AVFilterGraph *g, const char *name, uint32_t w, uint32_t h)
{
	char args[128];
	AVFilterContext *f = NULL;

	snprintf(args, sizeof(args), "video_size=%ux%u:pix_fmt=%d:time_base=1/30:pixel_aspect=1/1",
		 w, h, AV_PIX_FMT_YUV420P);
	if (avfilter_graph_create_filter(&f, avfilter_get_by_name("buffer"), name, args, NULL, g) <
	    0)
		return NULL;
	return f;
}

static AVFilterInOut *inout(const char *name, AVFilterContext *f, AVFilterInOut *next)
{
	AVFilterInOut *io = avfilter_inout_alloc();

	if (!io) {
		avfilter_inout_free(&next);
		return NULL;
	}
	io->name = av_strdup(name);
	io->filter_ctx = f;
	io->pad_idx = 0;
	io->next = next;
	return io;
}

struct q_metrics *q_metrics_new(uint32_t w, uint32_t h)
{
	struct q_metrics *m = g_new0(struct q_metrics, 1);
	AVFilterInOut *outs = NULL, *ins = NULL;
	int rc = -1;

	m->graph = avfilter_graph_alloc();
	m->out = av_frame_alloc();
	if (!m->graph || !m->out)
		goto done;
	m->main = source(m->graph, "main", w, h);
	m->ref = source(m->graph, "ref", w, h);
	if (!m->main || !m->ref ||
	    avfilter_graph_create_filter(&m->sink, avfilter_get_by_name("buffersink"), "sink", NULL,
					 NULL, m->graph) < 0)
		goto done;
	/* The graph's open ends: the sources' outputs, the sink's input. */
	outs = inout("main", m->main, inout("ref", m->ref, NULL));
	ins = inout("out", m->sink, NULL);
	if (!outs || !ins ||
	    avfilter_graph_parse_ptr(m->graph,
				     "[ref]split[r1][r2];[main][r1]psnr[p];[p][r2]ssim[out]", &ins,
				     &outs, NULL) < 0 ||
	    avfilter_graph_config(m->graph, NULL) < 0)
		goto done;
	rc = 0;
done:
	avfilter_inout_free(&ins);
	avfilter_inout_free(&outs);
	if (rc < 0) {
		fprintf(stderr, "cannot set up libavfilter's psnr and ssim filters\n");
		q_metrics_free(m);
		return NULL;
	}
	return m;
}

static double meta(const AVFrame *f, const char *key)
{
	const AVDictionaryEntry *e = av_dict_get(f->metadata, key, NULL, 0);

	return e ? strtod(e->value, NULL) : NAN;
}

/* Collect whatever the sink has. */
static int pull(struct q_metrics *m)
{
	int rc;

	while ((rc = av_buffersink_get_frame(m->sink, m->out)) >= 0) {
		double y = meta(m->out, "lavfi.psnr.mse.y"), avg = meta(m->out, "lavfi.psnr.mse_avg");
		double s = meta(m->out, "lavfi.ssim.All");

		av_frame_unref(m->out);
		if (isnan(y) || isnan(avg) || isnan(s)) {
			fprintf(stderr, "psnr/ssim metadata missing from a compared frame\n");
			return -1;
		}
		m->mse_y += y;
		m->mse_avg += avg;
		m->ssim += s;
		m->frames++;
	}
	return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : -1;
}

int q_metrics_add(struct q_metrics *m, const AVFrame *decoded, const AVFrame *ref)
{
	AVFrame *a = av_frame_clone(decoded), *b = av_frame_clone(ref);
	int rc = -1;

	if (a && b) {
		a->pts = b->pts = m->pts++;
		/* the decoder's VUI says limited range; the source frames carry none */
		b->color_range = a->color_range;
		b->colorspace = a->colorspace;
		if (av_buffersrc_add_frame(m->main, a) >= 0 && av_buffersrc_add_frame(m->ref, b) >= 0)
			rc = pull(m);
	}
	av_frame_free(&a);
	av_frame_free(&b);
	return rc;
}

int q_metrics_finish(struct q_metrics *m, struct q_result *out)
{
	if (av_buffersrc_add_frame(m->main, NULL) < 0 || av_buffersrc_add_frame(m->ref, NULL) < 0 ||
	    pull(m) < 0 || m->frames == 0)
		return -1;
	out->psnr_y = 10 * log10(255.0 * 255.0 / fmax(m->mse_y / m->frames, 1e-10));
	out->psnr_avg = 10 * log10(255.0 * 255.0 / fmax(m->mse_avg / m->frames, 1e-10));
	out->ssim = m->ssim / m->frames;
	return 0;
}

void q_metrics_free(struct q_metrics *m)
{
	if (!m)
		return;
	avfilter_graph_free(&m->graph);
	av_frame_free(&m->out);
	g_free(m);
}
