/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small HXFR test client on top of the wire library: blocking sockets
 * with timeouts, message builders and readers, a shared-memory ring,
 * synthetic pictures, and a libavcodec decoder with the checks every reply
 * must pass. The low-level calls return errors; the tc_expect_* and
 * tc_stream_* helpers assert (usable from any thread). */
#ifndef HOSTENC_TESTS_DAEMON_CLIENT_H
#define HOSTENC_TESTS_DAEMON_CLIENT_H

#include <glib.h>
#include <hxfr/hxfr.h>
#include <libavutil/frame.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* ---- connection ------------------------------------------------------ */

struct tc_conn;

/** Connect to 127.0.0.1:@p port / the unix socket @p path. Asserts. */
struct tc_conn *tc_connect_tcp(uint16_t port);
struct tc_conn *tc_connect_unix(const char *path);
/** Close (FIN) and free; accepts NULL. */
void tc_close(struct tc_conn *c);
/** Abortive close (RST, SO_LINGER 0) and free. */
void tc_close_reset(struct tc_conn *c);
int tc_fd(const struct tc_conn *c);

/** Write all of @p buf. @return 0 or -errno (never raises SIGPIPE). */
int tc_send(struct tc_conn *c, const void *buf, size_t len);
/** tc_send that asserts success. */
void tc_send_ok(struct tc_conn *c, const void *buf, size_t len);

/** One received message; owns its bytes. */
struct tc_msg {
	struct hxfr_msg m; /**< m.payload points into data */
	uint8_t *data;
};
void tc_msg_clear(struct tc_msg *msg);

/**
 * Read one whole message (framed with hxfr_frame).
 * @return 1 with @p msg filled; -ETIMEDOUT; -EPIPE when the peer closed
 *   cleanly (EOF), -ECONNRESET etc. on a reset; -EPROTO/-EMSGSIZE when the
 *   bytes do not frame.
 */
int tc_recv(struct tc_conn *c, int timeout_ms, struct tc_msg *msg);
/** Assert that nothing arrives (no message, no EOF) within @p ms. */
void tc_expect_silence(struct tc_conn *c, int ms);
/**
 * Wait for the host to close the connection. Messages that arrive first
 * are discarded (their count is returned through @p skipped if non-NULL).
 * @return milliseconds until the close; asserts it happened in @p timeout_ms.
 */
int64_t tc_expect_closed(struct tc_conn *c, int timeout_ms, unsigned *skipped);

/** Receive a message of @p type (asserts, with a readable ERROR report). */
void tc_expect(struct tc_conn *c, uint8_t type, struct tc_msg *out);
/** A thread that reads a subscription on @p c and counts its frames until
 * @p stop is set (start it with g_thread_new("name", tc_frame_counter_main, &fc)). */
struct tc_frame_counter {
	GThread *thread;
	struct tc_conn *c;
	gint stop;
	gint frames;
};
gpointer tc_frame_counter_main(gpointer data);
/** SUBSCRIBE @p id and assert that SUBSCRIBE_RESP says success. */
void tc_subscribe_ok(struct tc_conn *c, uint32_t id);

/** Receive an ERROR caused by a message of @p offending_type; returns its code. */
int32_t tc_expect_error(struct tc_conn *c, uint8_t offending_type);

/* ---- messages ------------------------------------------------------------ */

/** HELLO with @p paths / @p max_inflight; the HELLO_RESP is checked and returned. */
void tc_hello(struct tc_conn *c, uint32_t paths, uint32_t max_inflight, const char *name,
	      struct hxfr_hello_resp *resp);
/** CONFIG_REQ with @p bitrate (bits/s) and @p fps; asserts CONFIG_RESP status 0. */
void tc_config(struct tc_conn *c, uint32_t bitrate, uint32_t fps);
/* CONFIG_REQ; returns what CONFIG_RESP says was applied. */
struct hxfr_config tc_config_applied(struct tc_conn *c, uint32_t bitrate, uint32_t fps);
/** An empty message (KEYFRAME_REQ, PING, ...). */
void tc_send_empty(struct tc_conn *c, uint8_t type);
/** A u32 message (SUBSCRIBE, DISABLE_SCANOUT). */
void tc_send_u32(struct tc_conn *c, uint8_t type, uint16_t session, uint32_t v);
/** A hand-made message: header fields as given, then @p len payload bytes. */
void tc_send_raw(struct tc_conn *c, uint8_t type, uint8_t flags, uint32_t payload_size,
		 const void *payload, size_t len);
/** PING with empty payload (Helix) or an 8-byte time; asserts the PONG. */
void tc_ping(struct tc_conn *c, bool with_time);
/** ENABLE_SCANOUT @p id at @p w x @p h, 60 Hz. */
void tc_enable_scanout(struct tc_conn *c, uint32_t id, uint32_t w, uint32_t h);
/** Asserts the next message is SCANOUT_RESP for @p id ("Virtual-ID+1") with @p ok. */
void tc_expect_scanout_resp(struct tc_conn *c, uint32_t id, bool ok);

/* ---- pictures ------------------------------------------------------------ */

/**
 * A synthetic frame: the built-in test pattern (he_pattern_render) for a
 * given frame number, which codes that number in the picture, converted to
 * @p fourcc. Stored in HXFR's inline layout (plane 0 with @p stride, NV12's
 * UV plane with the same stride, I420's U and V with stride/2 rounded up);
 * the stride padding is filled with garbage so that a receiver that
 * ignores the stride is caught.
 *
 * The reference planes are what a correct encode/decode should reproduce:
 * BT.601 limited-range Y, U, V (the colour the host signals in its SPS),
 * computed here independently of the daemon's converter (libyuv).
 */
struct tc_picture {
	uint32_t fourcc, width, height, stride;
	uint8_t *data;           /**< inline layout */
	size_t size;
	uint8_t *plane[3];       /**< into data */
	uint32_t pstride[3];
	uint32_t planes;
	uint32_t frame_no;
	uint8_t *ref_y, *ref_u, *ref_v; /**< width x height and (w/2)x(h/2) */
	void *pattern;           /**< struct he_pattern */
	uint8_t *bgrx;
};

/** @p stride 0 = minimal row size; more adds padding. */
struct tc_picture *tc_picture_new(uint32_t fourcc, uint32_t width, uint32_t height,
				  uint32_t stride);
void tc_picture_free(struct tc_picture *p);
/** Render pattern frame @p frame_no into @p p (at a clock fixed per frame). */
void tc_picture_render(struct tc_picture *p, uint32_t frame_no);
/** The same with the pattern's clock at @p time_us (µs since the epoch). */
void tc_picture_render_at(struct tc_picture *p, uint32_t frame_no, int64_t time_us);
/**
 * Render into @p p the picture hostencd's pattern source drew for the
 * decoded frame @p f: the frame number and capture time are read from the
 * code strip (default pointer and key state assumed).
 */
void tc_render_like_pattern_source(struct tc_picture *p, const AVFrame *f);

/** FRAME_REQUEST with the picture inline (PIXEL_DATA). */
/** tc_send_frame() for a peer that may already be closed: @return 0 or -errno. */
int tc_try_send_frame(struct tc_conn *c, const struct tc_picture *p, int64_t pts_ns,
		      bool force_keyframe);
void tc_send_frame(struct tc_conn *c, const struct tc_picture *p, int64_t pts_ns,
		   bool force_keyframe);

/* ---- shared memory --------------------------------------------------- */

/** A file both sides map: created with mkstemp in /dev/shm (else $TMPDIR). */
struct tc_region {
	char *path;
	int fd;
	uint8_t *map;
	uint64_t size;
};
struct tc_region *tc_region_new(uint64_t size);
/** Unmaps, closes and unlinks. */
void tc_region_free(struct tc_region *r);

/** One ring inside a region, initialised with hxfr_ring_init. */
struct tc_ring {
	struct tc_region *region;
	uint64_t offset, size;
	struct hxfr_ring_header hdr;
	uint8_t *base;
	uint64_t id;    /* the ring_id written in the header and sent in SHM_ATTACH */
};
void tc_ring_init(struct tc_ring *ring, struct tc_region *r, uint64_t offset, uint64_t size,
		  uint32_t slots, uint64_t slot_size);
/** SHM_ATTACH for @p ring in region @p name; returns the reply's status or
 * the ERROR code (the SHM_ATTACH_RESP is checked against the ring). */
int32_t tc_shm_attach(struct tc_conn *c, const struct tc_ring *ring, const char *name);
uint8_t *tc_ring_slot(const struct tc_ring *ring, uint32_t slot);
/**
 * Copy @p p into @p slot (plane 0 at @p pad bytes, each further plane
 * @p pad bytes after the previous one), mark the slot QUEUED and send
 * FRAME_SHM. @p desc, when non-NULL, gets the request that was sent.
 */
void tc_send_frame_shm(struct tc_conn *c, const struct tc_ring *ring, uint32_t slot,
		       const struct tc_picture *p, uint32_t pad, int64_t pts_ns,
		       bool force_keyframe, struct hxfr_frame_shm *desc);
/** FRAME_SHM exactly as described (for malformed requests). */
void tc_send_frame_shm_desc(struct tc_conn *c, const struct hxfr_frame_shm *desc);
/** Mark @p slot FREE again (after its reply). */
void tc_ring_release(const struct tc_ring *ring, uint32_t slot);

/* ---- decoding and checks ------------------------------------------------- */

/**
 * PSNR threshold (Y, U and V) for pictures that went through the host's
 * encoder.
 *
 * The content is a flat synthetic desktop (the test pattern). Guest
 * streams ask for 2 Mbit/s at 30 fps (CONFIG_REQ), about 0.9 bit per pixel
 * at 320x240 and 0.07 at 1280x720; libx264 reproduces them at 47-76 dB
 * (lowest measured: 46.9 dB, a chroma plane of an RGB input). The
 * pattern source runs at the host's default (9 bits per pixel per second
 * at its 640x360, 0.3 bit per pixel; 4 bits per pixel per second, 0.13
 * bit per pixel, before: lowest measured 42.0 dB).
 *
 * The mistakes this must catch measured, on the same pictures, at most
 * 27.4 dB: luma in full range instead of the signalled limited range 27.3,
 * a picture one row off (a stride or plane offset error) 18.4-20.4, four
 * pixels off 16.2, U and V swapped 13.2-14.6. 35 dB sits 7 dB from both.
 * That a picture is the *right* frame is checked separately, by the frame
 * number the pattern codes in it: neighbouring frames differ only in a
 * few small areas.
 */
#define TC_MIN_PSNR_DB 35.0

/** Decoder plus the state of one received stream. */
struct tc_stream {
	void *ctx;          /**< AVCodecContext, AV_CODEC_FLAG_LOW_DELAY */
	void *ctx_plain;    /**< a second decoder without LOW_DELAY (like a browser),
			         which must not delay output either */
	void *pkt, *frame, *frame_plain;
	unsigned aus, idrs;
	int profile_idc;    /**< of the last SPS */
	double min_psnr;    /**< lowest PSNR (Y, U or V) tc_check_picture saw */
};
void tc_stream_init(struct tc_stream *st);
void tc_stream_clear(struct tc_stream *st);

/**
 * Check one access unit (@p keyframe: the reply's is_keyframe) and decode
 * it: exactly one AU; IDR iff @p keyframe; SPS and PPS in front of every
 * IDR; SPS with bitstream_restriction and max_num_reorder_frames = 0; the
 * first AU of a stream is an IDR; each decoder outputs exactly one picture
 * for it, at once. @return the picture (borrowed until the next call).
 */
const AVFrame *tc_stream_decode(struct tc_stream *st, const uint8_t *au, size_t len,
				bool keyframe);

/** PSNR (dB) of an 8-bit plane against another; 99 when identical. */
double tc_psnr(const uint8_t *a, size_t a_stride, const uint8_t *b, size_t b_stride,
	       uint32_t width, uint32_t height);
/** Frame number coded in a decoded picture's luma (asserts it reads). */
uint32_t tc_frame_number(const AVFrame *f);
/** Compare a decoded picture of @p st with what was sent: size, frame
 * number and PSNR of Y, U and V over TC_MIN_PSNR_DB. @return the luma PSNR. */
double tc_check_picture(struct tc_stream *st, const AVFrame *f, const struct tc_picture *p);

/** A decoded FRAME_RESPONSE. */
struct tc_reply {
	uint8_t flags;
	uint16_t session;
	struct hxfr_frame_response r;
};
/** Decode a FRAME_RESPONSE message (asserts it is one). r.au points into @p msg. */
void tc_parse_response(const struct tc_msg *msg, struct tc_reply *out);

/**
 * Receive the reply to the frame with @p pts_ns and check all of it: a
 * FRAME_RESPONSE (not an ERROR, not DROPPED) with that pts and dts, one
 * AU, decodable to @p p (tc_check_picture). @return its is_keyframe.
 */
bool tc_expect_frame(struct tc_conn *c, struct tc_stream *st, const struct tc_picture *p,
		     int64_t pts_ns);

/** Frame pts used by the tests: frame n at 30 fps, in ns. */
static inline int64_t tc_pts(uint32_t n)
{
	return (int64_t)n * 1000000000 / 30 + 1000;
}

/* ---- streaming ----------------------------------------------------------- */

/** A run of frames on one connection, see tc_run_frames(). */
struct tc_run {
	uint32_t fourcc, width, height;
	uint32_t stride;          /**< 0: minimal */
	uint32_t first;           /**< pattern frame number of the first frame */
	uint32_t count;
	uint32_t window;          /**< frames in flight, 1..4 (<= the ring's slots) */
	const struct tc_ring *ring; /**< NULL: inline FRAME_REQUEST; else FRAME_SHM */
	uint32_t shm_pad;         /**< FRAME_SHM plane padding, see tc_send_frame_shm */
	bool first_idr;           /**< the first reply must be an IDR (new stream or size) */
	int keyreq_before;        /**< index before which KEYFRAME_REQ is sent, -1: none */
	int force_at;             /**< index sent with force_keyframe, -1: none */
};

/**
 * Send frames first..first+count-1 (pattern pictures, pts tc_pts(n)) with
 * up to @p run->window in flight and check every reply with
 * tc_expect_frame(). Reply k must be an IDR exactly when it is the first
 * of a new stream (first_idr), follows a KEYFRAME_REQ (the window is
 * drained before that request, so "the next output" is well defined), or
 * was sent with force_keyframe. @return the number of IDRs.
 */
unsigned tc_run_frames(struct tc_conn *c, struct tc_stream *st, const struct tc_run *run);

#endif
