/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file conn.h
 * HXFR over TCP for the soak's actors: like the tests' client (client.h)
 * but nothing asserts: every failure is returned with a reason, since one
 * bad reply must be counted, not end a run of half an hour.
 */
#pragma once

#include <hxfr/hxfr.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct soak_conn {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	int err; /* sticky: -EPIPE after EOF, -errno */
};

struct soak_msg {
	struct hxfr_msg m; /* m.payload points into data */
	uint8_t *data;
};

/** Connect to 127.0.0.1:@p port. @return NULL with errno set. */
struct soak_conn *soak_conn_tcp(uint16_t port);
/** Free @p c but keep its socket open: @return its descriptor. */
int soak_conn_steal_fd(struct soak_conn *c);
/** Close with FIN (@p reset false) or RST, and free; NULL is ignored. */
void soak_conn_close(struct soak_conn *c, bool reset);

/** @return 0 or -errno (-ETIMEDOUT when the host stopped reading for 10 s). */
int soak_conn_send(struct soak_conn *c, const void *buf, size_t len);
int soak_conn_send2(struct soak_conn *c, const void *a, size_t alen, const void *b, size_t blen);

/**
 * One whole message within @p timeout_ms. @return 1, -ETIMEDOUT, -EPIPE
 * (EOF), -ECONNRESET etc., or -EPROTO/-EMSGSIZE when the bytes do not frame.
 */
int soak_conn_recv(struct soak_conn *c, int timeout_ms, struct soak_msg *msg);
void soak_msg_clear(struct soak_msg *msg);

/** "ERROR -8 (LIMIT) about HELLO: text", "PONG (0 bytes)", or what a
 * negative result of soak_conn_recv means. */
void soak_describe(int res, const struct soak_msg *msg, char *buf, size_t len);

/* ---- requests that wait for their reply: 0, or -1 with @p why ------------ */

int soak_hello(struct soak_conn *c, uint32_t paths, uint32_t max_inflight, const char *name,
	       char *why, size_t why_len);
int soak_config(struct soak_conn *c, uint32_t bitrate, uint32_t fps, char *why, size_t why_len);
int soak_shm_attach(struct soak_conn *c, uint64_t offset, uint64_t size, uint64_t ring_id,
		    const char *region, char *why, size_t why_len);
int soak_subscribe(struct soak_conn *c, uint32_t id, char *why, size_t why_len);

/** An empty message (GOODBYE, PING, KEYFRAME_REQ). */
int soak_send_empty(struct soak_conn *c, uint8_t type);
