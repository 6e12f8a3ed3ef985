/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A scene's first frames in memory, see clip.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clip.h"

int bench_clip_make(struct bench_clip *c, enum bench_scene scene, uint32_t w, uint32_t h,
		    uint32_t n, uint32_t fps)
{
	memset(c, 0, sizeof(*c));
	if (n == 0 || !bench_scene_name(scene))
		return -EINVAL;
	*c = (struct bench_clip){ .scene = scene, .w = w, .h = h, .stride = w * 4, .fps = fps };
	c->frames = calloc(n, sizeof(*c->frames));
	if (!c->frames)
		return -ENOMEM;
	for (c->n = 0; c->n < n; c->n++) {
		int rc;

		c->frames[c->n] = malloc(bench_clip_frame_size(c));
		if (!c->frames[c->n]) {
			bench_clip_free(c);
			return -ENOMEM;
		}
		rc = bench_scene_draw(scene, c->frames[c->n], w, h, c->stride, c->n, fps);
		if (rc < 0) {
			c->n++;
			bench_clip_free(c);
			return rc;
		}
	}
	return 0;
}

void bench_clip_free(struct bench_clip *c)
{
	for (uint32_t i = 0; c->frames && i < c->n; i++)
		free(c->frames[i]);
	free(c->frames);
	c->frames = NULL;
	c->n = 0;
}
