/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Session message handlers: one per message type. Message-level errors get
 * an ERROR reply and the session goes on; a run of them closes it. */
#define G_LOG_DOMAIN "hostenc.session"
#include <string.h>

#include "encoder.h"
#include "session-private.h"
#include "shm.h"

/* A machine's guests may use its own ring file only. */
static struct he_shm_regions *session_regions(struct he_session *s)
{
	return s->machine ? s->machine->regions : s->hx->regions;
}

static void reject(struct he_session *s, const struct hxfr_msg *msg, int err, const char *why)
{
	session_error(s, msg->hdr.type, session_errno_to_code(err), why);
}

static void on_hello(struct he_session *s, const struct hxfr_msg *msg)
{
	struct hxfr_hello m;
	struct hxfr_hello_resp r = { 0 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_HELLO_RESP_SIZE];
	const char *why = NULL;
	uint32_t offered = HXFR_PATH_INLINE;
	int res = hxfr_decode_hello(msg, &m, &why);

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	/* A HELLO on a live session starts a new one on the same channel: a
	 * guest pipeline restarted on a virtio-serial port that QEMU kept
	 * open, or a guest that lost track of its state. */
	if (s->hello)
		session_reset(s, "HELLO on a live session");
	if ((m.version >> 16) != HXFR_VERSION_MAJOR) {
		/* Set first: the reply may be flushed (and the queue found
		 * empty) inside session_error() already. */
		s->close_after_flush = true;
		session_error(s, msg->hdr.type, HXFR_ERR_VERSION,
			      "protocol major version not supported (host speaks 1)");
		return;
	}
	if (he_shm_regions_count(session_regions(s)) > 0)
		offered |= HXFR_PATH_SHM;
	s->hello = true;
	s->wants_input = m.flags & HXFR_HELLO_INPUT;
	s->paths = m.frame_paths & offered;
	s->max_inflight = MIN(m.max_inflight, s->hx->cfg.max_inflight);
	g_strlcpy(s->name, m.name, sizeof(s->name));
	r.version = HXFR_VERSION;
	r.frame_paths = s->paths;
	r.max_width = s->hx->cfg.max_width;
	r.max_height = s->hx->cfg.max_height;
	r.max_payload = s->hx->cfg.max_payload;
	r.max_inflight = s->max_inflight;
	r.encoder_flags = s->hx->encoder_hardware ? HXFR_ENC_HARDWARE : 0;
	r.formats = HXFR_FMTBIT_ALL;
	r.profile = HE_PROFILE_CONSTRAINED_BASELINE;
	g_strlcpy(r.encoder, s->hx->encoder_name ? s->hx->encoder_name : "", sizeof(r.encoder));
	if (hxfr_build_hello_resp(buf, sizeof(buf), msg->hdr.session, &r) > 0)
		session_send_buf(s, buf, sizeof(buf));
	g_info("session %u (%s): HELLO '%s' v%u.%u paths 0x%x -> 0x%x, %u in flight", s->id,
	       s->peer, s->name, m.version >> 16, m.version & 0xffff, m.frame_paths, s->paths,
	       s->max_inflight);
}

/* CONFIG_RESP reports what the host applies, not an echo: the bitrate
 * (clamped to the encoder's limits, or the default for the size when none
 * was asked), the frame rate (the one in use when none was asked), and the
 * profile the host produces. */
static void on_config(struct he_session *s, const struct hxfr_msg *msg)
{
	struct hxfr_config m;
	struct hxfr_config_resp r = { 0 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_CONFIG_RESP_SIZE];
	const char *why = NULL;
	int res = hxfr_decode_config_req(msg, &m, &why);
	struct he_stream *stream;

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	if (m.width > s->hx->cfg.max_width || m.height > s->hx->cfg.max_height) {
		session_error(s, msg->hdr.type, HXFR_ERR_LIMIT, "size over the host's limit");
		return;
	}
	stream = session_ensure_stream(s);
	r.applied = m;
	if (m.bitrate)
		s->bitrate = r.applied.bitrate = he_stream_set_bitrate(stream, m.bitrate);
	else
		r.applied.bitrate = he_encoder_default_bitrate(m.width, m.height);
	if (m.fps_num) {
		he_stream_set_fps(stream, &r.applied.fps_num, &r.applied.fps_den);
		s->fps_num = r.applied.fps_num;
		s->fps_den = r.applied.fps_den;
	} else {
		r.applied.fps_num = s->fps_num ? s->fps_num : 30;
		r.applied.fps_den = s->fps_num ? s->fps_den : 1;
	}
	r.status = HXFR_ERR_OK;
	r.applied.profile = HE_PROFILE_CONSTRAINED_BASELINE;
	r.applied.realtime = 1;
	if (hxfr_build_config_resp(buf, sizeof(buf), msg->hdr.session, &r) > 0)
		session_send_buf(s, buf, sizeof(buf));
}

static void on_keyframe_req(struct he_session *s, const struct hxfr_msg *msg)
{
	const char *why = NULL;
	int res = hxfr_decode_empty(msg, &why);

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	/* The guest's own stream: its requests are its own business (its next
	 * frame is the IDR it asked for). Requests for a stream it watches are
	 * coalesced like every viewer's. */
	if (s->stream)
		he_stream_request_idr(s->stream);
	else
		s->idr_wanted = true;
	if (s->subscribed && s->output.stream)
		he_stream_ask_idr(s->output.stream);
}

/* At most PONG_RATE PONGs a second (a token bucket with that burst); a
 * PING over it is ignored and counted (see check_ping_flood). */
static bool pong_allowed(struct he_session *s)
{
	int64_t now = g_get_monotonic_time();
	int64_t earned = (now - s->pong_refill_us) * PONG_RATE / G_USEC_PER_SEC;

	if (earned > 0) {
		s->pong_tokens = (uint32_t)MIN(s->pong_tokens + earned, (int64_t)PONG_RATE);
		s->pong_refill_us = s->pong_tokens == PONG_RATE ? now :
				    s->pong_refill_us + earned * G_USEC_PER_SEC / PONG_RATE;
	}
	if (!s->pong_tokens) {
		s->pings_ignored++;
		return false;
	}
	s->pong_tokens--;
	return true;
}

static void on_ping(struct he_session *s, const struct hxfr_msg *msg)
{
	struct hxfr_ping m;
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_PONG_TS_SIZE];
	const char *why = NULL;
	ssize_t n;
	int res = hxfr_decode_ping(msg, &m, &why);

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	if (msg->hdr.type == HXFR_PONG || !pong_allowed(s))
		return;
	m.host_time_ns = (uint64_t)g_get_real_time() * 1000;
	n = hxfr_build_ping(buf, sizeof(buf), HXFR_PONG, msg->hdr.session, &m);
	if (n > 0)
		session_send_buf(s, buf, (size_t)n);
}

static void scanout_reply(struct he_session *s, uint16_t session, uint32_t id, bool ok)
{
	struct hxfr_scanout_resp r = { .id = id, .success = ok };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SCANOUT_RESP_SIZE];

	g_snprintf(r.name, sizeof(r.name), "Virtual-%u", id + 1);
	if (hxfr_build_scanout_resp(buf, sizeof(buf), session, &r) > 0)
		session_send_buf(s, buf, sizeof(buf));
}

/* ENABLE_SCANOUT binds this session's frames to scanout id N, so that
 * SUBSCRIBE N (Helix's desktop bridge) finds them. hostencd drives no
 * display hardware itself. */
static void on_enable_scanout(struct he_session *s, const struct hxfr_msg *msg)
{
	struct hxfr_enable_scanout m;
	const char *why = NULL, *owner;
	struct he_stream *other;
	int res = hxfr_decode_enable_scanout(msg, &m, &why);

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	other = he_registry_find(s->hx->reg, m.id);
	if ((other && other != s->stream) || (s->scanout_id != UINT32_MAX && s->scanout_id != m.id)) {
		scanout_reply(s, msg->hdr.session, m.id, false);
		return;
	}
	owner = hxfr_scanout_claim(s->hx, m.id, s->machine ? s->machine->name : NULL);
	if (owner) {
		he_guest_log(s->peer, "ENABLE_SCANOUT %u refused: it belongs to VM %s", m.id,
			     owner);
		scanout_reply(s, msg->hdr.session, m.id, false);
		return;
	}
	if (s->stream && he_stream_id(s->stream) != m.id) {
		/* a new stream under the scanout id */
		session_frames_abandon(s);
		session_drop_stream(s);
	}
	s->scanout_id = m.id;
	session_ensure_stream(s);
	scanout_reply(s, msg->hdr.session, m.id, true);
}

static void on_disable_scanout(struct he_session *s, const struct hxfr_msg *msg)
{
	const char *why = NULL;
	uint32_t id;
	int res = hxfr_decode_u32(msg, &id, &why);
	bool ok;

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	ok = s->scanout_id == id;
	if (ok) {
		session_frames_abandon(s);
		session_drop_stream(s);
		s->scanout_id = UINT32_MAX;
	}
	scanout_reply(s, msg->hdr.session, id, ok);
}

static void on_subscribe(struct he_session *s, const struct hxfr_msg *msg)
{
	const char *why = NULL;
	uint32_t id;
	int res = hxfr_decode_u32(msg, &id, &why);

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	/* With --token, watching needs the token, which HXFR cannot carry:
	 * only a local process of hostencd's own user (or root) on its unix
	 * socket may subscribe. Not a VM's channel: that peer is the guest. */
	if (s->hx->cfg.subscribe_needs_auth && !s->local_owner) {
		session_error(s, msg->hdr.type, HXFR_ERR_UNSUPPORTED,
			      "hostencd requires a token (--token): watch through its web page, or "
			      "SUBSCRIBE on its unix socket as its own user");
		return;
	}
	session_subscribe(s, id);
}

/* A ring is bound to one session at a time: the attached rings of the
 * live sessions are the table of ranges in use. Whoever copies another
 * guest's ring_id still cannot read its slots through the host. */
static bool ring_in_use(struct he_session *s, const struct he_shm *shm)
{
	for (GList *l = s->hx->sessions; l; l = l->next) {
		struct he_session *o = l->data;

		if (o != s && !o->closing && o->shm && he_shm_overlaps(o->shm, shm))
			return true;
	}
	return false;
}

static void on_shm_attach(struct he_session *s, const struct hxfr_msg *msg)
{
	struct hxfr_shm_attach m;
	struct hxfr_shm_attach_resp r = { 0 };
	uint8_t buf[HXFR_HEADER_SIZE + HXFR_SHM_ATTACH_RESP_SIZE];
	const char *why = NULL;
	struct he_shm *shm;
	int32_t code;
	int res = hxfr_decode_shm_attach(msg, &m, &why);

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	if (!(s->paths & HXFR_PATH_SHM)) {
		session_error(s, msg->hdr.type, HXFR_ERR_UNSUPPORTED,
				     s->hello ? "shared-memory path not offered by this host"
					      : "send HELLO with the shared-memory path first");
		return;
	}
	if (!g_queue_is_empty(&s->pending)) {
		session_error(s, msg->hdr.type, HXFR_ERR_BUSY,
				     "frames in flight; attach when idle");
		return;
	}
	shm = he_shm_attach(session_regions(s), &m, s->hx->cfg.max_shm, &code, &why);
	if (!shm) {
		session_error(s, msg->hdr.type, code, why);
		return;
	}
	if (ring_in_use(s, shm)) {
		he_shm_unref(shm);
		session_error(s, msg->hdr.type, HXFR_ERR_SHM, "ring in use by another session");
		return;
	}
	he_shm_unref(s->shm);
	s->shm = shm;
	r.status = HXFR_ERR_OK;
	r.slot_count = shm->ring.slot_count;
	r.slot_size = (uint32_t)MIN(shm->ring.slot_size, UINT32_MAX);
	if (hxfr_build_shm_attach_resp(buf, sizeof(buf), msg->hdr.session, &r) > 0)
		session_send_buf(s, buf, sizeof(buf));
	g_info("session %u (%s): attached ring in '%s' at %" G_GUINT64_FORMAT ": %u slots of %"
	       G_GUINT64_FORMAT " bytes", s->id, s->peer, m.name, m.ring_offset,
	       shm->ring.slot_count, shm->ring.slot_size);
}

/* GOODBYE: the guest ends its session; the channel stays for the next.
 * The reply GOODBYE is the last byte of the old session the guest reads. */
static void on_goodbye(struct he_session *s, const struct hxfr_msg *msg)
{
	uint8_t buf[HXFR_HEADER_SIZE];
	const char *why = NULL;
	int res = hxfr_decode_empty(msg, &why);

	if (res < 0) {
		reject(s, msg, res, why);
		return;
	}
	session_reset(s, "GOODBYE");
	if (hxfr_build_empty(buf, sizeof(buf), HXFR_GOODBYE, msg->hdr.session) > 0)
		session_send_buf(s, buf, sizeof(buf));
}

static void on_host_only(struct he_session *s, const struct hxfr_msg *msg)
{
	if (msg->hdr.type == HXFR_ERROR) {
		struct hxfr_error e;

		if (hxfr_decode_error(msg, &e, NULL) == 0)
			he_guest_log(s->peer, "sent ERROR %d: %s", e.code, e.message);
		return;
	}
	session_error(s, msg->hdr.type, HXFR_ERR_INVALID_MSG,
		      "this message type only flows from host to guest");
}

static void on_unknown(struct he_session *s, const struct hxfr_msg *msg)
{
	/* Skipped by its size. A Helix peer would not expect a reply. */
	if (s->hello)
		session_error(s, msg->hdr.type, HXFR_ERR_UNSUPPORTED, "unknown message type");
}

void session_dispatch(struct he_session *s, const struct hxfr_msg *msg, uint8_t *payload)
{
	uint64_t errors = s->errors;

	switch (msg->hdr.type) {
	case HXFR_FRAME_REQUEST:
		session_frame_request(s, msg, payload); /* takes payload */
		payload = NULL;
		break;
	case HXFR_FRAME_SHM: session_frame_shm(s, msg); break;
	case HXFR_KEYFRAME_REQ: on_keyframe_req(s, msg); break;
	case HXFR_CONFIG_REQ: on_config(s, msg); break;
	case HXFR_PING:
	case HXFR_PONG: on_ping(s, msg); break;
	case HXFR_ENABLE_SCANOUT: on_enable_scanout(s, msg); break;
	case HXFR_DISABLE_SCANOUT: on_disable_scanout(s, msg); break;
	case HXFR_SUBSCRIBE: on_subscribe(s, msg); break;
	case HXFR_HELLO: on_hello(s, msg); break;
	case HXFR_SHM_ATTACH: on_shm_attach(s, msg); break;
	case HXFR_GOODBYE: on_goodbye(s, msg); break;
	case HXFR_INPUT:
	case HXFR_FRAME_RESPONSE:
	case HXFR_CONFIG_RESP:
	case HXFR_SCANOUT_RESP:
	case HXFR_SUBSCRIBE_RESP:
	case HXFR_HELLO_RESP:
	case HXFR_SHM_ATTACH_RESP:
	case HXFR_ERROR: on_host_only(s, msg); break;
	default: on_unknown(s, msg); break;
	}
	he_block_release(payload);
	if (s->errors == errors) {
		s->errors_in_row = 0;
	} else if (++s->errors_in_row >= MAX_ERRORS_IN_ROW) {
		he_guest_log(s->peer, "%u invalid messages in a row: closing", s->errors_in_row);
		session_close_later(s, "too many invalid messages");
	}
}
