/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Attackers on the web port: a WebSocket ping flood, a message in
 * fragments without end, a keyframe-request loop, a viewer that never
 * reads. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "soak.h"
#include "web-client.h"

#define INIT_MSG "{\"type\":\"init\",\"codecs\":[\"avc1.42e01f\"],\"width\":640,\"height\":360}"
#define FLOOD_CLOSE_MS 10000     /* docs/web.md: dropped at once; a busy machine */
#define NO_READ_CLOSE_MS 360000  /* kernel buffers, the 8 MiB queue, 10 s congested */

/* A viewer of the pattern that said its init, or NULL. */
static struct wc_ws *open_viewer(struct soak *s, bool init)
{
	struct wc_ws *ws;

	if (!soak_daemon_alive(s))
		return NULL;
	ws = wc_ws_open(s->http_port, NULL, "/ws/stream?source=pattern", NULL);
	if (ws->status != 101 || (init && !wc_ws_send_text(ws, INIT_MSG))) {
		wc_ws_free(ws);
		return NULL;
	}
	return ws;
}

static void reset_close(struct wc_ws *ws)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(ws->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	wc_ws_free(ws);
}

/* Send @p burst over and over, never reading, until the server closes
 * (@return ms) or @p ms pass (-1). */
static int flood(struct soak *s, struct wc_ws *ws, GByteArray *burst, int ms, int64_t until_us)
{
	int64_t t0 = g_get_monotonic_time();
	size_t at = 0;

	while (soak_ms_since(t0) < ms && !soak_attack_over(s, until_us)) {
		ssize_t n = send(ws->fd, burst->data + at, burst->len - at, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			at = (at + (size_t)n) % burst->len;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = ws->fd, .events = POLLOUT };

			if (poll(&pfd, 1, 50) > 0 && (pfd.revents & (POLLHUP | POLLERR)))
				return soak_ms_since(t0);
		} else if (n < 0 && errno != EINTR) {
			return soak_ms_since(t0);
		}
	}
	return -1;
}

static void flood_rounds(struct soak *s, struct soak_attack_stats *st, int64_t until_us,
			 GByteArray *burst, const char *what)
{
	while (!soak_attack_over(s, until_us)) {
		struct wc_ws *ws = open_viewer(s, true);
		int ms;

		if (!ws) {
			soak_attack_undefended(s, st, "%s: no viewer to start with", what);
			soak_sleep_ms(s, 1000);
			continue;
		}
		ms = flood(s, ws, burst, FLOOD_CLOSE_MS, until_us);
		if (ms >= 0) {
			g_atomic_int_inc(&st->rounds);
			soak_attack_defended(st, ms);
		} else if (!soak_attack_over(s, until_us)) {
			g_atomic_int_inc(&st->rounds);
			soak_attack_undefended(s, st, "%s not closed within %d s", what,
					       FLOOD_CLOSE_MS / 1000);
		}
		reset_close(ws);
		soak_sleep_ms(s, 200);
	}
}

void soak_attack_ws_ping_flood(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	g_autoptr(GByteArray) pings = g_byte_array_new();
	uint8_t payload[125];

	memset(payload, 'p', sizeof(payload));
	for (int i = 0; i < 1000; i++)
		wc_ws_frame(pings, 9, true, payload, sizeof(payload));
	flood_rounds(s, st, until_us, pings, "WebSocket ping flood");
}

void soak_attack_ws_fragments(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	g_autoptr(GByteArray) frags = g_byte_array_new();
	g_autofree uint8_t *chunk = g_malloc(2000);

	memset(chunk, 'a', 2000);
	/* a text message that starts and never ends */
	wc_ws_frame(frags, 1, false, chunk, 2000);
	for (int i = 0; i < 500; i++)
		wc_ws_frame(frags, 0, false, chunk, 2000);
	flood_rounds(s, st, until_us, frags, "fragments without end");
}

/* ---- keyframe requests in a loop ------------------------------------------------- */

struct kf_count {
	unsigned idrs, aus;
	struct wc_ws *ws;
};

static void kf_frame(int opcode, GByteArray *payload, void *data)
{
	struct kf_count *k = data;

	if (opcode == 2 && payload->len > 24 && payload->data[0] == 1) {
		k->aus++;
		k->idrs += payload->data[1] & 1;
	} else if (opcode == 9) {
		wc_ws_send(k->ws, 10, true, payload->data, payload->len);
	}
}

/* Rounds of 10 s: at most 2 IDRs a second come of the requests (one per
 * 500 ms), plus the GOP's own; 3 a second is the bound checked. */
void soak_attack_keyframes(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	while (!soak_attack_over(s, until_us)) {
		struct kf_count k = { .ws = open_viewer(s, true) };
		int64_t t0 = g_get_monotonic_time();
		bool closed = false;

		if (!k.ws) {
			soak_attack_undefended(s, st, "keyframe loop: no viewer to start with");
			soak_sleep_ms(s, 1000);
			continue;
		}
		while (!closed && soak_ms_since(t0) < 10000 && !soak_attack_over(s, until_us)) {
			closed = !wc_ws_send_text(k.ws, "{\"type\":\"keyframe\"}") ||
				 wc_ws_poll(k.ws, kf_frame, &k) < 0;
			g_usleep(20000);
		}
		if (closed) {
			g_atomic_int_inc(&st->rounds);
			soak_attack_undefended(s, st, "keyframe loop: the viewer was closed (code %u)",
					       k.ws->close_code);
		} else if (soak_ms_since(t0) >= 10000) {
			double rate = k.idrs / (soak_ms_since(t0) / 1000.0);

			g_atomic_int_inc(&st->rounds);
			if (rate <= 3.0 && k.aus > 0)
				soak_attack_defended(st, -1);
			else
				soak_attack_undefended(s, st, "keyframe loop: %u IDRs in %u access "
						       "units in 10 s", k.idrs, k.aus);
		}
		wc_ws_free(k.ws);
	}
}

/* ---- viewers that never read -------------------------------------------------- */

#define NO_READERS 3
#define SLOW "hostenc_viewer_closes_total{reason=\"slow\"}"
#define BROKEN "hostenc_viewer_closes_total{reason=\"broken\"}"

/* A viewer of the pattern that reads the server's init (for its number in
 * /stats) and then nothing, with a receive buffer of 4 KiB; NULL, or its
 * number in *@p no. */
static struct wc_ws *no_reader(struct soak *s, int *no)
{
	struct wc_ws *ws = open_viewer(s, true);
	g_autofree char *init = ws ? wc_ws_wait_text(ws, "init", 10000) : NULL;
	const char *n = init ? strstr(init, "\"viewer\":") : NULL;
	int small = 4096;

	if (!n) {
		g_clear_pointer(&ws, wc_ws_free);
		return NULL;
	}
	*no = atoi(n + strlen("\"viewer\":"));
	setsockopt(ws->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	return ws;
}

/* Three at once (they queue the same messages, so hostencd's memory grows
 * by one queue); each must be closed, which hostencd's /stats shows (the
 * close cannot be read without reading). Closed by the idle rule (no byte
 * moved for 30 s: counted "broken") or as too slow (4003: "slow"). */
void soak_attack_no_read(struct soak *s, struct soak_attack_stats *st, int64_t until_us)
{
	while (!soak_attack_over(s, until_us)) {
		struct wc_ws *ws[NO_READERS] = { NULL };
		int no[NO_READERS], open = 0, opened = 0;
		int64_t t0 = g_get_monotonic_time(), slow0 = soak_metric(s, SLOW);
		int64_t broken0 = soak_metric(s, BROKEN);

		for (unsigned i = 0; i < NO_READERS; i++)
			if ((ws[i] = no_reader(s, &no[i])))
				opened++;
		if (opened < NO_READERS)
			soak_attack_undefended(s, st, "non-reading viewers: %d of %d refused",
					       NO_READERS - opened, NO_READERS);
		open = opened;
		while (open && soak_ms_since(t0) < NO_READ_CLOSE_MS && !soak_attack_over(s, until_us)) {
			soak_sleep_ms(s, 1000);
			for (unsigned i = 0; i < NO_READERS; i++) {
				if (!ws[i] || soak_viewer_listed(s, no[i]) != 0)
					continue;
				g_atomic_int_inc(&st->rounds);
				soak_attack_defended(st, soak_ms_since(t0));
				reset_close(ws[i]);
				ws[i] = NULL;
				open--;
			}
		}
		if (open && soak_ms_since(t0) >= NO_READ_CLOSE_MS) {
			g_atomic_int_add(&st->rounds, open);
			soak_attack_undefended(s, st, "%d non-reading viewers not closed within %d s",
					       open, NO_READ_CLOSE_MS / 1000);
		}
		if (!open && opened)
			soak_log(s, "attacker: %d non-reading viewers closed after %d s (closes counted "
				 "slow +%" G_GINT64_FORMAT ", broken +%" G_GINT64_FORMAT ")", opened,
				 soak_ms_since(t0) / 1000, soak_metric(s, SLOW) - slow0,
				 soak_metric(s, BROKEN) - broken0);
		for (unsigned i = 0; i < NO_READERS; i++)
			if (ws[i])
				reset_close(ws[i]);
	}
}
