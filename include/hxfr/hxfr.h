/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file hxfr.h
 * @brief HXFR guest<->host wire protocol: framing, builders, strict decoders.
 *
 * Dependency-free (libc only) so that a VMM can embed it. Every multi-byte
 * field is little-endian on the wire. Every decoder copies fixed fields out
 * of the input into a caller-provided struct and validates that copy; none
 * ever reads past the length it was given. docs/protocol.md is the
 * normative description; this header is its C binding.
 *
 * Error convention: functions return 0 (or a positive byte count) on
 * success and a negative errno on failure:
 *  - -EBADMSG   payload size does not match the message's layout
 *  - -EINVAL    a field has a value outside its documented range
 *  - -ENOTSUP   unknown flag, reserved bit set, or unsupported value
 *  - -E2BIG     a size, width or height over its cap
 *  - -EOVERFLOW size arithmetic would overflow
 *  - -ENOSPC    (builders) destination buffer too small
 *  - -EPROTO    (framing) bad magic: the stream can not be resynchronised
 *  - -EMSGSIZE  (framing) payload_size over the caller's cap
 * Decoders also set *why (if non-NULL) to a static, human-readable reason.
 *
 * Thread safety: all functions are reentrant; none keeps state.
 */
#ifndef HXFR_HXFR_H
#define HXFR_HXFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(HXFR_BUILDING)
#define HXFR_API __attribute__((visibility("default")))
#else
#define HXFR_API
#endif

/** "HXFR" as the bytes 'H','X','F','R' on the wire (little-endian u32). */
#define HXFR_MAGIC 0x52465848u
#define HXFR_HEADER_SIZE 12u

/** Protocol version carried in HELLO/HELLO_RESP: major << 16 | minor. */
#define HXFR_VERSION_MAJOR 1u
#define HXFR_VERSION_MINOR 1u
#define HXFR_VERSION ((HXFR_VERSION_MAJOR << 16) | HXFR_VERSION_MINOR)

/** Hard caps enforced by the decoders, whatever a host configures. */
#define HXFR_MAX_PAYLOAD_HARD (256u * 1024u * 1024u)
#define HXFR_MAX_WIDTH 8192u
#define HXFR_MAX_HEIGHT 8192u
/** Default cap a host applies to payload_size: a 4K BGRA frame fits. */
#define HXFR_MAX_PAYLOAD_DEFAULT (64u * 1024u * 1024u)

/** Message types. 0x01-0x31 and 0xFF are Helix's codes, unchanged. */
enum hxfr_type {
	HXFR_FRAME_REQUEST = 0x01,  /**< guest->host: encode a frame (inline or GPU handle) */
	HXFR_FRAME_RESPONSE = 0x02, /**< host->guest/subscriber: one access unit */
	HXFR_KEYFRAME_REQ = 0x03,   /**< guest->host: next output is an IDR */
	HXFR_CONFIG_REQ = 0x04,     /**< guest->host: size, bitrate, fps, profile */
	HXFR_CONFIG_RESP = 0x05,    /**< host->guest: what was applied */
	HXFR_PING = 0x10,
	HXFR_PONG = 0x11,
	HXFR_ENABLE_SCANOUT = 0x20,
	HXFR_DISABLE_SCANOUT = 0x21,
	HXFR_SCANOUT_RESP = 0x22,
	HXFR_SUBSCRIBE = 0x30,
	HXFR_SUBSCRIBE_RESP = 0x31,
	/* hostenc additions */
	HXFR_HELLO = 0x40,          /**< guest->host: version, frame paths */
	HXFR_HELLO_RESP = 0x41,     /**< host->guest: accepted paths, encoder, limits */
	HXFR_SHM_ATTACH = 0x42,     /**< guest->host: use a shared-memory ring */
	HXFR_SHM_ATTACH_RESP = 0x43,
	HXFR_FRAME_SHM = 0x44,      /**< guest->host: encode the frame in a ring slot */
	HXFR_GOODBYE = 0x45,        /**< either way: end the session, the channel stays */
	HXFR_INPUT = 0x46,          /**< host->guest: a viewer's input event (HELLO_INPUT) */
	HXFR_ERROR = 0xFF,
};

/** Header flag bits, per type. Any other bit is rejected. */
#define HXFR_FLAG_PIXEL_DATA 0x01u   /**< FRAME_REQUEST: raw pixels follow (Helix) */
#define HXFR_FLAG_REPLAYED 0x01u     /**< FRAME_RESPONSE: replayed from the GOP buffer */
#define HXFR_FLAG_DROPPED 0x02u      /**< FRAME_RESPONSE: frame dropped before encode, no data */
/* ERROR: the header's flags byte carries the type of the offending message. */

/** Frame paths (capability bits in HELLO / HELLO_RESP). */
#define HXFR_PATH_INLINE 0x01u
#define HXFR_PATH_SHM 0x02u
#define HXFR_PATH_GPU_HANDLE 0x04u
#define HXFR_PATH_ALL 0x07u

/** HELLO_RESP encoder flags. */
#define HXFR_ENC_HARDWARE 0x01u

/** Pixel formats: DRM fourcc codes (memory byte order per DRM). */
#define HXFR_FOURCC(a, b, c, d) \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define HXFR_FMT_BGRX HXFR_FOURCC('X', 'R', '2', '4') /**< DRM XRGB8888: B,G,R,X bytes */
#define HXFR_FMT_BGRA HXFR_FOURCC('A', 'R', '2', '4') /**< DRM ARGB8888: B,G,R,A bytes */
#define HXFR_FMT_RGBX HXFR_FOURCC('X', 'B', '2', '4') /**< DRM XBGR8888: R,G,B,X bytes */
#define HXFR_FMT_RGBA HXFR_FOURCC('A', 'B', '2', '4') /**< DRM ABGR8888: R,G,B,A bytes */
#define HXFR_FMT_NV12 HXFR_FOURCC('N', 'V', '1', '2')
#define HXFR_FMT_I420 HXFR_FOURCC('Y', 'U', '1', '2')
/** Format bits for HELLO_RESP.formats. */
#define HXFR_FMTBIT_BGRX 0x01u
#define HXFR_FMTBIT_BGRA 0x02u
#define HXFR_FMTBIT_RGBX 0x04u
#define HXFR_FMTBIT_RGBA 0x08u
#define HXFR_FMTBIT_NV12 0x10u
#define HXFR_FMTBIT_I420 0x20u
#define HXFR_FMTBIT_ALL 0x3Fu

/** ERROR codes (i32). 0..-6 and -99 are Helix's. */
enum hxfr_error_code {
	HXFR_ERR_OK = 0,
	HXFR_ERR_INVALID_MSG = -1,       /**< malformed payload or field */
	HXFR_ERR_RESOURCE_NOT_FOUND = -2,
	HXFR_ERR_NOT_METAL_TEXTURE = -3, /**< Helix legacy; not produced by hostenc */
	HXFR_ERR_NO_IOSURFACE = -4,      /**< Helix legacy; not produced by hostenc */
	HXFR_ERR_ENCODE_FAILED = -5,
	HXFR_ERR_NOT_CONFIGURED = -6,
	HXFR_ERR_UNSUPPORTED = -7,       /**< unknown type, path or format not offered */
	HXFR_ERR_LIMIT = -8,             /**< a quota or cap was exceeded */
	HXFR_ERR_BUSY = -9,              /**< too many frames in flight */
	HXFR_ERR_SHM = -10,              /**< shared-memory ring invalid or not attached */
	HXFR_ERR_VERSION = -11,          /**< incompatible protocol major version */
	HXFR_ERR_NOT_FOUND = -12,        /**< scanout/source id unknown */
	HXFR_ERR_INTERNAL = -99,
};

/** The 12-byte header, as decoded (host byte order). */
struct hxfr_header {
	uint32_t magic;
	uint8_t type;
	uint8_t flags;
	uint16_t session;      /**< session / scanout id */
	uint32_t payload_size; /**< bytes after the header */
};

/* ---- payload layouts (sizes are exact; see docs/protocol.md) ---------- */

/** FRAME_REQUEST (0x01), 44 bytes (+ pixels when HXFR_FLAG_PIXEL_DATA). */
#define HXFR_FRAME_REQUEST_SIZE 44u
struct hxfr_frame_request {
	uint32_t resource_id; /**< GPU handle path: virtio-gpu resource; ignored with PIXEL_DATA */
	uint32_t width, height;
	uint32_t format;      /**< HXFR_FMT_* */
	uint32_t stride;      /**< bytes per row of plane 0 (NV12/I420: luma) */
	int64_t pts_ns, duration_ns;
	uint8_t force_keyframe; /**< 0 or 1 */
	/* inline pixels (borrowed from the input, valid while it is) */
	const uint8_t *pixels;
	size_t pixels_len;
};

/** FRAME_RESPONSE (0x02): 24 fixed bytes, then (unless DROPPED) u32 size + AU. */
#define HXFR_FRAME_RESPONSE_SIZE 24u
struct hxfr_frame_response {
	int64_t pts_ns, dts_ns;
	uint8_t is_keyframe;
	uint32_t nal_count;  /**< 1, or 0 with HXFR_FLAG_DROPPED */
	const uint8_t *au;   /**< Annex B access unit (borrowed) */
	size_t au_len;
};

/** CONFIG_REQ (0x04), 28 bytes. */
#define HXFR_CONFIG_REQ_SIZE 28u
struct hxfr_config {
	uint32_t width, height; /**< 0 = unchanged */
	uint32_t bitrate;       /**< bits/s, 0 = unchanged */
	uint32_t fps_num, fps_den;
	uint8_t profile;        /**< 0 (default), 66, 77 or 100 */
	uint8_t level;          /**< 0 (auto) or level*10, 10..62 */
	uint8_t realtime;       /**< 0 or 1 */
};

/** CONFIG_RESP (0x05), 32 bytes: status then the applied configuration. */
#define HXFR_CONFIG_RESP_SIZE 32u
struct hxfr_config_resp {
	int32_t status; /**< HXFR_ERR_* */
	struct hxfr_config applied;
};

/** PING/PONG: empty (Helix) or 8 bytes (PING: sender time) / 16 (PONG). */
#define HXFR_PING_TS_SIZE 8u
#define HXFR_PONG_TS_SIZE 16u
struct hxfr_ping {
	bool has_time;
	uint64_t time_ns;      /**< PING: sender's clock; PONG: echoed */
	uint64_t host_time_ns; /**< PONG only: responder's CLOCK_REALTIME */
};

/** ENABLE_SCANOUT (0x20), 16 bytes. */
#define HXFR_ENABLE_SCANOUT_SIZE 16u
struct hxfr_enable_scanout {
	uint32_t id, width, height, refresh_hz;
};
/** DISABLE_SCANOUT (0x21), 4 bytes. */
#define HXFR_DISABLE_SCANOUT_SIZE 4u
/** SCANOUT_RESP (0x22), 72 bytes. */
#define HXFR_SCANOUT_RESP_SIZE 72u
#define HXFR_NAME_MAX 64u
struct hxfr_scanout_resp {
	uint32_t id;
	uint32_t success; /**< 0 or 1 */
	char name[HXFR_NAME_MAX]; /**< NUL-terminated after decode */
};

/** SUBSCRIBE (0x30), 4 bytes; SUBSCRIBE_RESP (0x31), 8 bytes. */
#define HXFR_SUBSCRIBE_SIZE 4u
#define HXFR_SUBSCRIBE_RESP_SIZE 8u
struct hxfr_subscribe_resp {
	uint32_t id;
	uint32_t success;
};

/** HELLO (0x40), 48 bytes. */
#define HXFR_HELLO_SIZE 48u
#define HXFR_SHORT_NAME_MAX 32u
/** HELLO flags. */
#define HXFR_HELLO_INPUT 0x01u /**< send this session viewers' input as INPUT messages */
#define HXFR_HELLO_FLAGS_ALL 0x01u
struct hxfr_hello {
	uint32_t version;     /**< HXFR_VERSION of the sender */
	uint32_t frame_paths; /**< HXFR_PATH_* the guest can use */
	uint32_t max_inflight; /**< frames the guest wants in flight, 1..64 */
	uint32_t flags;       /**< HXFR_HELLO_* (protocol 1.1; 0 in 1.0) */
	char name[HXFR_SHORT_NAME_MAX]; /**< printable ASCII, NUL-terminated after decode */
};

/** HELLO_RESP (0x41), 68 bytes. */
#define HXFR_HELLO_RESP_SIZE 68u
struct hxfr_hello_resp {
	uint32_t version;
	uint32_t frame_paths;  /**< paths the host accepts from this guest */
	uint32_t max_width, max_height;
	uint32_t max_payload;  /**< largest payload_size the host accepts */
	uint32_t max_inflight; /**< frames the host will queue for this session */
	uint32_t encoder_flags; /**< HXFR_ENC_* */
	uint32_t formats;       /**< HXFR_FMTBIT_* accepted as input */
	uint8_t profile;        /**< H.264 profile_idc the host produces */
	uint8_t level;
	char encoder[HXFR_SHORT_NAME_MAX]; /**< e.g. "libx264", "h264_vaapi" */
};

/** SHM_ATTACH (0x42), 56 bytes (protocol 1.1; the 48-byte 1.0 form is refused). */
#define HXFR_SHM_ATTACH_SIZE 56u
struct hxfr_shm_attach {
	uint64_t ring_offset; /**< where the ring header starts in the shared file */
	uint64_t ring_size;   /**< bytes of the region the ring may use */
	char name[HXFR_SHORT_NAME_MAX]; /**< which host-configured region, "" = default */
	uint64_t ring_id;     /**< the ring header's ring_id: proves whose ring it is; != 0 */
};

/** SHM_ATTACH_RESP (0x43), 16 bytes. */
#define HXFR_SHM_ATTACH_RESP_SIZE 16u
struct hxfr_shm_attach_resp {
	int32_t status; /**< HXFR_ERR_* */
	uint32_t slot_count;
	uint32_t slot_size;
};

/** FRAME_SHM (0x44), 64 bytes. */
#define HXFR_FRAME_SHM_SIZE 64u
#define HXFR_FRAME_SHM_KEYFRAME 0x01u
struct hxfr_frame_shm {
	uint32_t slot;
	uint32_t format;
	uint32_t width, height;
	uint32_t stride[3];       /**< per plane; unused planes must be 0 */
	uint32_t plane_offset[3]; /**< from the slot's data start; unused 0 */
	int64_t pts_ns, duration_ns;
	uint32_t flags;           /**< HXFR_FRAME_SHM_KEYFRAME */
};

/** INPUT (0x46), 24 bytes: one viewer input event (Linux evdev codes). */
#define HXFR_INPUT_SIZE 24u
#define HXFR_INPUT_ABS_MAX 32767u
enum hxfr_input_kind {
	HXFR_INPUT_KEY = 0,        /**< code = KEY_*, down */
	HXFR_INPUT_BUTTON = 1,     /**< code = BTN_LEFT..BTN_EXTRA, down */
	HXFR_INPUT_MOTION_ABS = 2, /**< x, y in 0..HXFR_INPUT_ABS_MAX over the picture */
	HXFR_INPUT_MOTION_REL = 3, /**< dx, dy in pixels */
	HXFR_INPUT_WHEEL = 4,      /**< dx, dy in notches; dy > 0 scrolls down */
};
struct hxfr_input {
	uint8_t kind;  /**< hxfr_input_kind */
	uint8_t down;  /**< 0 or 1 (KEY, BUTTON) */
	uint16_t code;
	uint32_t x, y;
	int32_t dx, dy;
};

/** ERROR (0xFF), 260 bytes: i32 code, char message[256] (Helix layout). */
#define HXFR_ERROR_SIZE 260u
#define HXFR_ERROR_TEXT_MAX 256u
struct hxfr_error {
	int32_t code;
	uint8_t offending_type; /**< carried in the header's flags byte */
	char message[HXFR_ERROR_TEXT_MAX]; /**< NUL-terminated after decode */
};

/* ---- shared-memory ring (docs/protocol.md, "Shared-memory ring") ------ */
#define HXFR_RING_MAGIC HXFR_FOURCC('H', 'X', 'R', 'G')
#define HXFR_RING_VERSION 1u
#define HXFR_RING_HEADER_SIZE 64u
#define HXFR_RING_SLOT_HEADER_SIZE 16u
#define HXFR_RING_MAX_SLOTS 64u
#define HXFR_RING_ALIGN 4096u
struct hxfr_ring_header {
	uint32_t magic, version;
	uint32_t slot_count;
	uint32_t slot_header_offset; /**< from ring start: array of slot headers */
	uint64_t slot_size;          /**< bytes per slot's data, multiple of 64 */
	uint64_t data_offset;        /**< from ring start to slot 0's data, 4 KiB aligned */
	uint64_t ring_id;            /**< random, chosen by the writer; repeated in SHM_ATTACH */
};
enum hxfr_slot_state {
	HXFR_SLOT_FREE = 0,    /**< guest may write */
	HXFR_SLOT_WRITING = 1, /**< guest is writing */
	HXFR_SLOT_QUEUED = 2,  /**< submitted by FRAME_SHM; host owns until the reply */
};
struct hxfr_slot_header {
	uint32_t state;  /**< hxfr_slot_state, written by the guest only */
	uint32_t seq;    /**< guest's frame counter, informational */
	uint64_t pts_ns; /**< informational */
};

/* ---- framing ----------------------------------------------------------- */

/** One framed message: header plus borrowed payload pointer. */
struct hxfr_msg {
	struct hxfr_header hdr;
	const uint8_t *payload; /**< points into the caller's buffer */
	size_t total;           /**< HXFR_HEADER_SIZE + payload_size */
};

/**
 * Decode the 12-byte header at @p buf (which must hold at least 12 bytes).
 * Checks the magic only; other fields are returned as they are.
 * @return 0, or -EPROTO for a bad magic.
 */
HXFR_API int hxfr_header_decode(const uint8_t *buf, struct hxfr_header *out);

/**
 * Incremental framing. Looks at the @p len bytes at @p buf.
 * @return 1 and fills @p msg when one whole message is there (msg->total
 *   bytes of @p buf are consumed by it); 0 when more input is needed, with
 *   *need set to the total number of bytes the message needs (>= 12); or
 *   -EPROTO (bad magic) / -EMSGSIZE (payload_size > @p max_payload, or over
 *   HXFR_MAX_PAYLOAD_HARD). On a negative return the connection must be
 *   closed: HXFR has no resynchronisation marker.
 */
HXFR_API int hxfr_frame(const uint8_t *buf, size_t len, uint32_t max_payload,
			struct hxfr_msg *msg, size_t *need);

/**
 * After a framing error on a channel that stays open (docs/protocol.md,
 * "Sessions on a lasting channel"): how many of the @p len bytes at @p buf
 * to drop so that @p buf starts where a message may begin: a whole header
 * with the magic, a known type and payload_size <= @p max_payload, or (near
 * the end of @p buf) a prefix of the magic. Byte 0 is never kept: the caller
 * found it bad. @return 1..len.
 */
HXFR_API size_t hxfr_resync(const uint8_t *buf, size_t len, uint32_t max_payload);

/** Write a header. @return HXFR_HEADER_SIZE or -ENOSPC. */
HXFR_API ssize_t hxfr_build_header(uint8_t *buf, size_t cap, uint8_t type, uint8_t flags,
				   uint16_t session, uint32_t payload_size);

/** Name of a message type ("FRAME_REQUEST"), or "UNKNOWN". Never NULL. */
HXFR_API const char *hxfr_type_name(uint8_t type);
/** True for the types this library knows. */
HXFR_API bool hxfr_type_known(uint8_t type);
/** Short text for an HXFR_ERR_* code. Never NULL. */
HXFR_API const char *hxfr_error_name(int32_t code);

/* ---- pixel formats ----------------------------------------------------- */

/** HXFR_FMTBIT_* for a fourcc, 0 if unknown. */
HXFR_API uint32_t hxfr_format_bit(uint32_t fourcc);
/** Number of planes (1, 2 or 3), 0 for an unknown format. */
HXFR_API unsigned hxfr_format_planes(uint32_t fourcc);
/**
 * Minimal stride (bytes) and row count of @p plane for a frame of
 * @p width x @p height in @p fourcc. @return 0 or -EINVAL.
 */
HXFR_API int hxfr_format_plane_geometry(uint32_t fourcc, unsigned plane, uint32_t width,
					uint32_t height, uint64_t *min_stride, uint64_t *rows);
/**
 * Bytes needed for a tightly described inline frame: plane 0 uses @p stride,
 * chroma planes use the implied stride (NV12: stride; I420: stride/2
 * rounded up) and follow plane 0 directly. @return 0 or -EINVAL/-EOVERFLOW.
 */
HXFR_API int hxfr_format_frame_size(uint32_t fourcc, uint32_t width, uint32_t height,
				    uint32_t stride, uint64_t *size);

/* ---- builders ------------------------------------------------------------
 * Each writes header + fixed payload into @p buf and returns the bytes
 * written, or -ENOSPC / -EINVAL. Builders for messages with trailing data
 * (FRAME_REQUEST pixels, FRAME_RESPONSE access unit) write only the prefix
 * and count the data in payload_size: the caller sends the data next (no
 * copy). The _PREFIX sizes below say how many bytes that is.
 */
#define HXFR_FRAME_REQUEST_PREFIX (HXFR_HEADER_SIZE + HXFR_FRAME_REQUEST_SIZE)
#define HXFR_FRAME_RESPONSE_PREFIX (HXFR_HEADER_SIZE + HXFR_FRAME_RESPONSE_SIZE + 4u)

HXFR_API ssize_t hxfr_build_frame_request(uint8_t *buf, size_t cap, uint16_t session,
					  const struct hxfr_frame_request *m);
HXFR_API ssize_t hxfr_build_frame_response(uint8_t *buf, size_t cap, uint16_t session,
					   uint8_t flags, const struct hxfr_frame_response *m);
HXFR_API ssize_t hxfr_build_empty(uint8_t *buf, size_t cap, uint8_t type, uint16_t session);
HXFR_API ssize_t hxfr_build_config_req(uint8_t *buf, size_t cap, uint16_t session,
				       const struct hxfr_config *m);
HXFR_API ssize_t hxfr_build_config_resp(uint8_t *buf, size_t cap, uint16_t session,
					const struct hxfr_config_resp *m);
HXFR_API ssize_t hxfr_build_ping(uint8_t *buf, size_t cap, uint8_t type, uint16_t session,
				 const struct hxfr_ping *m);
HXFR_API ssize_t hxfr_build_enable_scanout(uint8_t *buf, size_t cap, uint16_t session,
					   const struct hxfr_enable_scanout *m);
HXFR_API ssize_t hxfr_build_u32(uint8_t *buf, size_t cap, uint8_t type, uint16_t session,
				uint32_t value);
HXFR_API ssize_t hxfr_build_scanout_resp(uint8_t *buf, size_t cap, uint16_t session,
					 const struct hxfr_scanout_resp *m);
HXFR_API ssize_t hxfr_build_subscribe_resp(uint8_t *buf, size_t cap, uint16_t session,
					   const struct hxfr_subscribe_resp *m);
HXFR_API ssize_t hxfr_build_hello(uint8_t *buf, size_t cap, uint16_t session,
				  const struct hxfr_hello *m);
HXFR_API ssize_t hxfr_build_hello_resp(uint8_t *buf, size_t cap, uint16_t session,
				       const struct hxfr_hello_resp *m);
HXFR_API ssize_t hxfr_build_shm_attach(uint8_t *buf, size_t cap, uint16_t session,
				       const struct hxfr_shm_attach *m);
HXFR_API ssize_t hxfr_build_shm_attach_resp(uint8_t *buf, size_t cap, uint16_t session,
					    const struct hxfr_shm_attach_resp *m);
HXFR_API ssize_t hxfr_build_frame_shm(uint8_t *buf, size_t cap, uint16_t session,
				      const struct hxfr_frame_shm *m);
HXFR_API ssize_t hxfr_build_error(uint8_t *buf, size_t cap, uint16_t session,
				  const struct hxfr_error *m);
HXFR_API ssize_t hxfr_build_input(uint8_t *buf, size_t cap, uint16_t session,
				  const struct hxfr_input *m);

/* ---- decoders ------------------------------------------------------------
 * Each takes a framed message (from hxfr_frame), checks its type, flags and
 * exact payload size, copies and validates every field.
 * @return 0 or a negative errno (see top), with *why set when non-NULL.
 */
HXFR_API int hxfr_decode_frame_request(const struct hxfr_msg *msg, struct hxfr_frame_request *out,
				       const char **why);
HXFR_API int hxfr_decode_frame_response(const struct hxfr_msg *msg,
					struct hxfr_frame_response *out, const char **why);
/** KEYFRAME_REQ, GOODBYE, PING/PONG without time: type-specific "empty" check. */
HXFR_API int hxfr_decode_empty(const struct hxfr_msg *msg, const char **why);
HXFR_API int hxfr_decode_config_req(const struct hxfr_msg *msg, struct hxfr_config *out,
				    const char **why);
HXFR_API int hxfr_decode_config_resp(const struct hxfr_msg *msg, struct hxfr_config_resp *out,
				     const char **why);
HXFR_API int hxfr_decode_ping(const struct hxfr_msg *msg, struct hxfr_ping *out,
			      const char **why);
HXFR_API int hxfr_decode_enable_scanout(const struct hxfr_msg *msg,
					struct hxfr_enable_scanout *out, const char **why);
/** DISABLE_SCANOUT, SUBSCRIBE: a single u32 id. */
HXFR_API int hxfr_decode_u32(const struct hxfr_msg *msg, uint32_t *out, const char **why);
HXFR_API int hxfr_decode_scanout_resp(const struct hxfr_msg *msg, struct hxfr_scanout_resp *out,
				      const char **why);
HXFR_API int hxfr_decode_subscribe_resp(const struct hxfr_msg *msg,
					struct hxfr_subscribe_resp *out, const char **why);
HXFR_API int hxfr_decode_hello(const struct hxfr_msg *msg, struct hxfr_hello *out,
			       const char **why);
HXFR_API int hxfr_decode_hello_resp(const struct hxfr_msg *msg, struct hxfr_hello_resp *out,
				    const char **why);
HXFR_API int hxfr_decode_shm_attach(const struct hxfr_msg *msg, struct hxfr_shm_attach *out,
				    const char **why);
HXFR_API int hxfr_decode_shm_attach_resp(const struct hxfr_msg *msg,
					 struct hxfr_shm_attach_resp *out, const char **why);
HXFR_API int hxfr_decode_frame_shm(const struct hxfr_msg *msg, struct hxfr_frame_shm *out,
				   const char **why);
HXFR_API int hxfr_decode_error(const struct hxfr_msg *msg, struct hxfr_error *out,
			       const char **why);
HXFR_API int hxfr_decode_input(const struct hxfr_msg *msg, struct hxfr_input *out,
			       const char **why);

/* ---- shared-memory ring ------------------------------------------------ */

/**
 * Initialise a ring in @p mem (@p size bytes): writes the ring header and
 * zeroed slot headers. Used by whoever creates the region (guest or test).
 * @p ring_id (non-zero, random per ring: the writer's proof that the ring
 * is its own) goes into the header and into the writer's SHM_ATTACH.
 * @return 0 or -EINVAL (does not fit, ring_id 0) / -E2BIG.
 */
HXFR_API int hxfr_ring_init(void *mem, uint64_t size, uint32_t slot_count, uint64_t slot_size,
			    uint64_t ring_id);

/**
 * Copy the ring header out of @p mem (@p size bytes of mapping, which a guest
 * may change at any time) once, and validate the copy: magic, version,
 * slot count, alignment, and that every slot lies inside @p size.
 * @return 0 or a negative errno with *why.
 */
HXFR_API int hxfr_ring_header_read(const volatile void *mem, uint64_t size,
				   struct hxfr_ring_header *out, const char **why);

/**
 * Validate a FRAME_SHM request against a validated ring header: slot index,
 * format, strides, plane offsets; every plane's offset + stride * rows must
 * fit in the slot (64-bit arithmetic). On success *data_offset is the byte
 * offset of the slot's data from the ring start.
 */
HXFR_API int hxfr_ring_check_frame(const struct hxfr_ring_header *ring,
				   const struct hxfr_frame_shm *frame, uint64_t *data_offset,
				   const char **why);

/** Offset of slot @p i's data from the ring start (no checks). */
HXFR_API uint64_t hxfr_ring_slot_data_offset(const struct hxfr_ring_header *ring, uint32_t i);

#ifdef __cplusplus
}
#endif
#endif /* HXFR_HXFR_H */
