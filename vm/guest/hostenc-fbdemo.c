/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostenc-fbdemo: a tiny static helper that runs inside the demo guest
 * (reached over the 9p host root).  Tests use it to draw known colours into
 * the framebuffer, read them back, and watch input events:
 *
 *   hostenc-fbdemo info                     fb size, depth and stride
 *   hostenc-fbdemo fill X Y W H RRGGBB      fill a rectangle
 *   hostenc-fbdemo get X Y                  print the pixel as RRGGBB
 *   hostenc-fbdemo events N [SECONDS]       print N input events
 *
 * libc only, so it links statically and runs on any guest root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <linux/input.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define FB_PATH "/dev/fb0"
#define INPUT_DIR "/dev/input"
#define MAX_INPUTS 32

struct fb {
	int fd;
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
};

static int
fb_open(struct fb *fb, int flags)
{
	fb->fd = open(FB_PATH, flags | O_CLOEXEC);
	if (fb->fd < 0) {
		fprintf(stderr, "hostenc-fbdemo: %s: %s\n", FB_PATH,
			strerror(errno));
		return -1;
	}
	if (ioctl(fb->fd, FBIOGET_VSCREENINFO, &fb->var) < 0 ||
	    ioctl(fb->fd, FBIOGET_FSCREENINFO, &fb->fix) < 0) {
		fprintf(stderr, "hostenc-fbdemo: %s: not a framebuffer: %s\n",
			FB_PATH, strerror(errno));
		close(fb->fd);
		return -1;
	}
	if (fb->var.bits_per_pixel != 32 && fb->var.bits_per_pixel != 16) {
		fprintf(stderr, "hostenc-fbdemo: %u bpp is not supported\n",
			fb->var.bits_per_pixel);
		close(fb->fd);
		return -1;
	}
	return 0;
}

static int
cmd_info(void)
{
	struct fb fb;

	if (fb_open(&fb, O_RDONLY) < 0)
		return 1;
	/* One line, stable format: tests parse it. */
	printf("fb0 %ux%u %ubpp stride %u id %.16s\n", fb.var.xres,
	       fb.var.yres, fb.var.bits_per_pixel, fb.fix.line_length,
	       fb.fix.id);
	close(fb.fd);
	return 0;
}

static uint32_t
scale(uint32_t v8, const struct fb_bitfield *f)
{
	return (v8 >> (8 - f->length)) << f->offset;
}

static uint32_t
pack_pixel(const struct fb *fb, uint32_t rgb)
{
	return scale((rgb >> 16) & 0xff, &fb->var.red) |
	       scale((rgb >> 8) & 0xff, &fb->var.green) |
	       scale(rgb & 0xff, &fb->var.blue);
}

static uint32_t
unscale(uint32_t px, const struct fb_bitfield *f)
{
	uint32_t v = (px >> f->offset) & ((1u << f->length) - 1);

	return (v << (8 - f->length)) & 0xff;
}

static int
parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end = NULL;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || !*s || *end || *out > max ? -1 : 0;
}

/* pwrite per row rather than mmap: the DRM fbdev emulation turns writes
 * into damage and flushes them to the virtio-gpu scanout. */
static int
fill_rows(const struct fb *fb, unsigned long x, unsigned long y,
	  unsigned long w, unsigned long h, uint32_t px)
{
	unsigned bytes = fb->var.bits_per_pixel / 8;
	unsigned char *row = malloc(w * bytes);

	if (!row)
		return -1;
	for (unsigned long i = 0; i < w; i++)
		memcpy(row + i * bytes, &px, bytes);	/* little endian */
	for (unsigned long j = 0; j < h; j++) {
		off_t off = (off_t)(y + j) * fb->fix.line_length + x * bytes;

		if (pwrite(fb->fd, row, w * bytes, off) != (ssize_t)(w * bytes)) {
			free(row);
			return -1;
		}
	}
	free(row);
	return 0;
}

static int
cmd_fill(char **argv)
{
	unsigned long x, y, w, h, rgb;
	char *end = NULL;
	struct fb fb;
	int rc;

	rgb = strtoul(argv[4], &end, 16);
	if (parse_num(argv[0], 65535, &x) || parse_num(argv[1], 65535, &y) ||
	    parse_num(argv[2], 65535, &w) || parse_num(argv[3], 65535, &h) ||
	    strlen(argv[4]) != 6 || *end) {
		fprintf(stderr, "usage: hostenc-fbdemo fill X Y W H RRGGBB\n");
		return 2;
	}
	if (fb_open(&fb, O_RDWR) < 0)
		return 1;
	if (x >= fb.var.xres || y >= fb.var.yres) {
		fprintf(stderr, "hostenc-fbdemo: %lu,%lu is outside %ux%u\n",
			x, y, fb.var.xres, fb.var.yres);
		close(fb.fd);
		return 1;
	}
	/* Clip rather than fail: "fill 0 0 99999 99999 ..." paints it all. */
	if (w > fb.var.xres - x)
		w = fb.var.xres - x;
	if (h > fb.var.yres - y)
		h = fb.var.yres - y;
	rc = fill_rows(&fb, x, y, w, h, pack_pixel(&fb, (uint32_t)rgb));
	if (rc < 0)
		fprintf(stderr, "hostenc-fbdemo: write: %s\n", strerror(errno));
	close(fb.fd);
	return rc < 0 ? 1 : 0;
}

static int
cmd_get(char **argv)
{
	unsigned long x, y;
	uint32_t px = 0;
	struct fb fb;
	unsigned bytes;

	if (parse_num(argv[0], 65535, &x) || parse_num(argv[1], 65535, &y)) {
		fprintf(stderr, "usage: hostenc-fbdemo get X Y\n");
		return 2;
	}
	if (fb_open(&fb, O_RDONLY) < 0)
		return 1;
	bytes = fb.var.bits_per_pixel / 8;
	if (x >= fb.var.xres || y >= fb.var.yres ||
	    pread(fb.fd, &px, bytes, (off_t)y * fb.fix.line_length + x * bytes)
		    != (ssize_t)bytes) {
		fprintf(stderr, "hostenc-fbdemo: cannot read %lu,%lu\n", x, y);
		close(fb.fd);
		return 1;
	}
	printf("%02X%02X%02X\n", unscale(px, &fb.var.red),
	       unscale(px, &fb.var.green), unscale(px, &fb.var.blue));
	close(fb.fd);
	return 0;
}

static int
open_inputs(struct pollfd *fds)
{
	DIR *d = opendir(INPUT_DIR);
	struct dirent *e;
	int n = 0;

	if (!d) {
		fprintf(stderr, "hostenc-fbdemo: %s: %s\n", INPUT_DIR,
			strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) && n < MAX_INPUTS) {
		char path[300];

		if (strncmp(e->d_name, "event", 5) != 0)
			continue;
		snprintf(path, sizeof(path), INPUT_DIR "/%s", e->d_name);
		fds[n].fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		fds[n].events = POLLIN;
		if (fds[n].fd >= 0)
			n++;
	}
	closedir(d);
	return n;
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Prints "type code value" for each event, skipping EV_SYN markers; exits 1
 * if fewer than N arrive before the timeout so a test never hangs. */
static int
cmd_events(int argc, char **argv)
{
	struct pollfd fds[MAX_INPUTS];
	unsigned long want, secs = 30, got = 0;
	struct timespec deadline;
	int n;

	if (parse_num(argv[0], 1000000, &want) ||
	    (argc > 1 && parse_num(argv[1], 86400, &secs))) {
		fprintf(stderr, "usage: hostenc-fbdemo events N [SECONDS]\n");
		return 2;
	}
	n = open_inputs(fds);
	if (n <= 0) {
		fprintf(stderr, "hostenc-fbdemo: no input devices\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)secs;
	printf("listening\n");
	fflush(stdout);
	while (got < want) {
		long left = ms_left(&deadline);

		if (left <= 0 || poll(fds, (nfds_t)n, (int)left) <= 0)
			break;
		for (int i = 0; i < n && got < want; i++) {
			struct input_event ev;

			while (got < want &&
			       read(fds[i].fd, &ev, sizeof(ev)) == sizeof(ev)) {
				if (ev.type == EV_SYN)
					continue;
				printf("%u %u %d\n", ev.type, ev.code, ev.value);
				got++;
			}
		}
		fflush(stdout);
	}
	for (int i = 0; i < n; i++)
		close(fds[i].fd);
	return got == want ? 0 : 1;
}

static int
usage(void)
{
	fprintf(stderr,
		"usage: hostenc-fbdemo info\n"
		"       hostenc-fbdemo fill X Y W H RRGGBB\n"
		"       hostenc-fbdemo get X Y\n"
		"       hostenc-fbdemo events N [SECONDS]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "info") == 0)
		return cmd_info();
	if (argc == 7 && strcmp(argv[1], "fill") == 0)
		return cmd_fill(argv + 2);
	if (argc == 4 && strcmp(argv[1], "get") == 0)
		return cmd_get(argv + 2);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "events") == 0)
		return cmd_events(argc - 2, argv + 2);
	return usage();
}
