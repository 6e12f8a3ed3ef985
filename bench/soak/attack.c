/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of attackers, and what they share. */
#include "attack.h"

#include <stdarg.h>

#include "soak.h"

const struct soak_attack soak_attacks[] = {
	{ "ping-flood", "HXFR PINGs as fast as the socket takes them, replies never read", 0,
	  soak_attack_ping_flood },
	{ "silent", "24 TCP connections that never say a word (handshake timeout)", 0,
	  soak_attack_silent },
	{ "trickle", "a HELLO, or a frame after HELLO, at 1 byte a second", 0,
	  soak_attack_trickle },
	{ "ws-ping-flood", "a viewer flooding WebSocket pings without reading", 0,
	  soak_attack_ws_ping_flood },
	{ "ws-fragments", "a viewer's text message in 2000-byte fragments without end", 0,
	  soak_attack_ws_fragments },
	{ "keyframes", "a viewer of the pattern asking for a keyframe 50 times a second", 0,
	  soak_attack_keyframes },
	/* the pattern makes about 50 kB/s: the kernel's buffers take a minute
	 * to fill before hostencd's own rules can act */
	{ "no-read", "3 viewers of the pattern that read their init, then nothing (receive "
	  "buffer 4 KiB)", 150,
	  soak_attack_no_read },
	{ "tiny-frames", "a guest sending tiny odd-sized frames, 1x1 to 129x17, size and format "
	  "changing every frame (under 16x16: refused)", 0, soak_attack_tiny },
	{ "shm-truncate", "a guest truncating the file under its ring with frames in flight "
	  "(SIGBUS)", 0, soak_attack_truncate },
};

const unsigned soak_attack_count = G_N_ELEMENTS(soak_attacks);

void soak_attack_defended(struct soak_attack_stats *st, int ms)
{
	g_atomic_int_inc(&st->defended);
	if (ms >= 0) {
		g_atomic_int_inc(&st->closes);
		g_atomic_int_add(&st->ms_sum, ms);
		if (ms > g_atomic_int_get(&st->ms_max))
			g_atomic_int_set(&st->ms_max, ms);
	}
}

void soak_attack_undefended(struct soak *s, struct soak_attack_stats *st, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_atomic_int_inc(&st->undefended);
	soak_log(s, "attacker: UNDEFENDED: %s", text);
}

bool soak_attack_over(struct soak *s, int64_t until_us)
{
	return soak_stopping(s) || g_atomic_int_get(&s->attack_stop) ||
	       g_get_monotonic_time() >= until_us || !soak_daemon_alive(s);
}

int soak_ms_since(int64_t t0_us)
{
	return (int)((g_get_monotonic_time() - t0_us) / 1000);
}
