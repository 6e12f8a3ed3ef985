/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-peers: the ffmpeg and gst-launch-1.0 command lines, fed raw BGRx
 * frames on stdin through a pipe. Each is run twice, with one frame and
 * with all of them; the difference of the two wall times is the encode
 * time without process start-up (which is reported apart). */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peers.h"
#include "stats.h"

#define PIPE_BYTES (1u << 20)

static int feed(int fd, const struct bench_clip *c, uint64_t frames)
{
	for (uint64_t i = 0; i < frames; i++) {
		const uint8_t *p = bench_clip_frame(c, i);
		size_t left = bench_clip_frame_size(c);

		while (left) {
			ssize_t w = write(fd, p, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1; /* the peer died: its stderr says why */
			p += w;
			left -= (size_t)w;
		}
	}
	return 0;
}

static void print_stderr(const char *what, int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fprintf(stderr, "%s: %.*s", what, (int)n, buf);
}

/* Run @argv with @frames frames on its stdin; wall time from spawn to exit. */
static int run_fed(char **argv, const struct bench_clip *c, uint64_t frames, double *elapsed,
		   double *cpu)
{
	struct rusage ru = { 0 };
	GError *err = NULL;
	GPid pid;
	int in = -1, errfd = -1, status = 0, fed;
	double t0 = bench_now();

	if (!g_spawn_async_with_pipes(NULL, argv, NULL,
				      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
					      G_SPAWN_STDOUT_TO_DEV_NULL,
				      NULL, NULL, &pid, &in, NULL, &errfd, &err)) {
		fprintf(stderr, "cannot run %s: %s (scripts/setup installs it)\n", argv[0],
			err->message);
		g_error_free(err);
		return -1;
	}
	fcntl(in, F_SETPIPE_SZ, PIPE_BYTES); /* fewer wake-ups; best effort */
	fed = feed(in, c, frames);
	close(in);
	if (wait4(pid, &status, 0, &ru) < 0)
		status = -1;
	*elapsed = bench_now() - t0;
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (fed < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s failed (exit status 0x%x):\n", argv[0], (unsigned)status);
		print_stderr(argv[0], errfd);
		close(errfd);
		return -1;
	}
	close(errfd);
	return 0;
}

static double file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (double)st.st_size : NAN;
}

/* One frame, then all of them; fps over the difference. */
static int measure(char **argv, const char *out_path, const struct peer_config *cfg,
		   const struct bench_clip *c, struct peer_run *out)
{
	double one, all, cpu_one, cpu_all;
	char *stream = NULL;
	gsize len = 0;

	*out = PEER_RUN_NONE;
	if (run_fed(argv, c, 1, &one, &cpu_one) < 0 ||
	    run_fed(argv, c, cfg->frames, &all, &cpu_all) < 0)
		return -1;
	out->fps = all > one ? (double)(cfg->frames - 1) / (all - one) : NAN;
	/* Start-up CPU varies (a plugin registry rescan, a cold page cache):
	 * when it outweighs the frames, the difference says nothing, and a
	 * negative CPU time is not printed. */
	out->cpu_ms = cpu_all > cpu_one ? (cpu_all - cpu_one) * 1e3 / (double)(cfg->frames - 1) : NAN;
	out->bytes = file_size(out_path) / (double)cfg->frames;
	out->startup_s = one;
	if (g_file_get_contents(out_path, &stream, &len, NULL))
		out->x264 = bench_x264_settings((const uint8_t *)stream, len);
	g_free(stream);
	g_unlink(out_path);
	return 0;
}

int peer_ffmpeg(const struct peer_config *cfg, const struct bench_clip *c, struct peer_run *out)
{
	g_autofree char *size = g_strdup_printf("%ux%u", c->w, c->h);
	g_autofree char *fps = g_strdup_printf("%u", c->fps);
	g_autofree char *rate = g_strdup_printf("%u", cfg->bitrate);
	g_autofree char *buf = g_strdup_printf("%u", cfg->bitrate / 2);
	g_autofree char *gop = g_strdup_printf("%u", cfg->gop);
	g_autofree char *path = g_build_filename(cfg->tmpdir, "ffmpeg.h264", NULL);
	char *argv[] = { "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
			 "-f", "rawvideo", "-pix_fmt", "bgr0", "-s", size, "-r", fps,
			 "-i", "pipe:0",
			 "-c:v", "libx264", "-preset", (char *)cfg->preset, "-tune", "zerolatency",
			 "-profile:v", "baseline", "-forced-idr", "1",
			 "-x264-params", cfg->x264_params, "-thread_type", "slice",
			 "-bf", "0", "-refs", "1", "-g", gop,
			 "-b:v", rate, "-maxrate", rate, "-bufsize", buf,
			 "-pix_fmt", "yuv420p", "-f", "h264", "-y", path, NULL };

	return measure(argv, path, cfg, c, out);
}

int peer_gst(const struct peer_config *cfg, const struct bench_clip *c, struct peer_run *out)
{
	g_autofree char *path = g_build_filename(cfg->tmpdir, "gst.h264", NULL);
	g_autofree char *block = g_strdup_printf("blocksize=%zu", bench_clip_frame_size(c));
	g_autofree char *w = g_strdup_printf("width=%u", c->w);
	g_autofree char *h = g_strdup_printf("height=%u", c->h);
	g_autofree char *fps = g_strdup_printf("framerate=%u/1", c->fps);
	g_autofree char *preset = g_strdup_printf("speed-preset=%s", cfg->preset);
	g_autofree char *rate = g_strdup_printf("bitrate=%u", cfg->bitrate / 1000);
	g_autofree char *gop = g_strdup_printf("key-int-max=%u", cfg->gop);
	g_autofree char *loc = g_strdup_printf("location=%s", path);
	g_autofree char *params = g_strdup_printf("option-string=%s", cfg->x264_params);
	char *argv[] = { "gst-launch-1.0", "-q", "fdsrc", "fd=0", block, "!",
			 "rawvideoparse", w, h, "format=bgrx", fps, "!",
			 "videoconvert", "!",
			 "x264enc", preset, "tune=zerolatency", rate, "pass=cbr",
			 "vbv-buf-capacity=500", gop, "bframes=0", "ref=1", "sliced-threads=true",
			 params, "byte-stream=true", "!",
			 "video/x-h264,profile=constrained-baseline", "!",
			 "filesink", loc, NULL };

	return measure(argv, path, cfg, c, out);
}
