/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-peers: hostencd's encode path, round trips over HXFR and the ring. */
#include <glib.h>
#include <math.h>

#include "peers.h"
#include "rig.h"
#include "stats.h"

#define DEPTH 2 /* frames in flight for the throughput run */

static int latency_run(struct bench_rig *r, const struct peer_config *cfg,
		       const struct bench_clip *c, struct peer_run *out)
{
	double *ms = g_new(double, cfg->frames), t0 = bench_now(), bytes = 0;
	double cpu0 = bench_pid_cpu(bench_rig_pid(r));
	uint64_t dropped = 0;
	int rc = 0;

	for (uint64_t i = 0; i < cfg->frames && rc == 0; i++) {
		double t = bench_now();
		size_t au = 0;
		bool drop = false;

		rc = bench_rig_send(r, c, i) < 0 || bench_rig_receive(r, &au, &drop) < 0 ? -1 : 0;
		ms[i] = (bench_now() - t) * 1e3;
		if (rc == 0 && i == 0) {
			size_t len;
			const uint8_t *data = bench_rig_last_au(r, &len);

			out->x264 = bench_x264_settings(data, len);
		}
		bytes += (double)au;
		dropped += drop;
	}
	if (rc == 0) {
		out->fps = (double)(cfg->frames - dropped) / (bench_now() - t0);
		out->bytes = bytes / (double)(cfg->frames - dropped);
		out->p50_ms = bench_quantile(ms, cfg->frames, 0.50);
		out->p99_ms = bench_quantile(ms, cfg->frames, 0.99);
		out->dropped = (double)dropped;
		out->cpu_ms = (bench_pid_cpu(bench_rig_pid(r)) - cpu0) * 1e3 / (double)cfg->frames;
	}
	g_free(ms);
	return rc;
}

/* Dropped frames (hostencd keeps the newest frame when they queue up) are
 * not counted as encoded. */
static int throughput_run(struct bench_rig *r, const struct peer_config *cfg,
			  const struct bench_clip *c, struct peer_run *out)
{
	double t0 = bench_now(), bytes = 0, cpu0 = bench_pid_cpu(bench_rig_pid(r));
	uint64_t dropped = 0;

	for (uint64_t i = 0; i < cfg->frames + DEPTH; i++) {
		size_t au = 0;
		bool drop = false;

		if (i < cfg->frames && bench_rig_send(r, c, i) < 0)
			return -1;
		if (i >= DEPTH) {
			if (bench_rig_receive(r, &au, &drop) < 0)
				return -1;
			bytes += (double)au;
			dropped += drop;
		}
	}
	out->fps = (double)(cfg->frames - dropped) / (bench_now() - t0);
	out->bytes = dropped < cfg->frames ? bytes / (double)(cfg->frames - dropped) : NAN;
	out->dropped = (double)dropped;
	if (dropped < cfg->frames)
		out->cpu_ms = (bench_pid_cpu(bench_rig_pid(r)) - cpu0) * 1e3 /
			      (double)(cfg->frames - dropped);
	return 0;
}

/* Each run gets its own hostencd, so both start with a fresh stream (an IDR
 * first, as every peer's run does). */
int peer_hostencd(const struct peer_config *cfg, const struct bench_clip *c,
		  struct peer_run *lat, struct peer_run *thr)
{
	struct bench_rig_config rc = { .hostencd = cfg->hostencd, .bitrate = cfg->bitrate,
				       .gop = cfg->gop, .shm = true };
	struct bench_rig *r;
	int res;

	*lat = *thr = PEER_RUN_NONE;
	r = bench_rig_start(&rc, c);
	if (!r)
		return -1;
	res = latency_run(r, cfg, c, lat);
	bench_rig_stop(r);
	if (res < 0)
		return -1;
	r = bench_rig_start(&rc, c);
	if (!r)
		return -1;
	res = throughput_run(r, cfg, c, thr);
	bench_rig_stop(r);
	return res;
}
