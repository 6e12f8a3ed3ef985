/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Frame requests (inline and shared memory) and their replies. Every
 * accepted request gets exactly one reply — FRAME_RESPONSE, a DROPPED
 * FRAME_RESPONSE, or ERROR — in request order, whatever finishes first. */
#define G_LOG_DOMAIN "hostenc.session"
#include <string.h>

#include "session-private.h"
#include "shm.h"
#include "sigbus.h"

static void pending_free(struct pending *p)
{
	for (int i = 0; i < 2; i++)
		if (p->reply[i])
			g_bytes_unref(p->reply[i]);
	g_free(p);
}

static void release_bytes(struct he_session *s, struct pending *p)
{
	s->inflight_bytes -= p->bytes;
	s->hx->inflight_bytes -= p->bytes;
	p->bytes = 0;
}

/* Sends every reply at the head of the FIFO that is ready. */
static void flush_pending(struct he_session *s)
{
	struct pending *p;

	while ((p = g_queue_peek_head(&s->pending)) && p->ready) {
		g_queue_pop_head(&s->pending);
		release_bytes(s, p);
		if (p->last && !s->close_after_flush) {
			he_guest_log(s->peer, "truncated its shared memory under the host while a "
				     "frame was read from it: closing");
			s->close_after_flush = true; /* before the send: the close follows it */
		}
		if (p->reply[0])
			session_send(s, g_steal_pointer(&p->reply[0]), p->reply[1] ? 0 :
				     p->au_encoded_us);
		if (p->reply[1])
			session_send(s, g_steal_pointer(&p->reply[1]), p->au_encoded_us);
		pending_free(p);
	}
}

static struct pending *pending_add(struct he_session *s, uint8_t type, uint64_t bytes)
{
	struct pending *p = g_new0(struct pending, 1);

	p->tag = s->next_tag++;
	p->type = type;
	p->bytes = bytes;
	s->inflight_bytes += bytes;
	s->hx->inflight_bytes += bytes;
	g_queue_push_tail(&s->pending, p);
	return p;
}

static struct pending *pending_find(struct he_session *s, uint64_t tag)
{
	for (GList *l = s->pending.head; l; l = l->next) {
		struct pending *p = l->data;

		if (p->tag == tag)
			return p;
	}
	return NULL;
}

void session_frames_reject(struct he_session *s, uint8_t type, int32_t code, const char *why)
{
	struct pending *p = pending_add(s, type, 0);

	he_guest_log(s->peer, "%s rejected (%s): %s", hxfr_type_name(type),
		     hxfr_error_name(code), why ? why : "");
	p->reply[0] = session_error_bytes(s, type, code, why);
	p->ready = true;
	flush_pending(s);
}

void session_frames_clear(struct he_session *s)
{
	struct pending *p;

	while ((p = g_queue_pop_head(&s->pending))) {
		release_bytes(s, p);
		pending_free(p);
	}
}

/* ---- results from the stream -------------------------------------------- */

static GBytes *response_prefix(struct he_au *au, int64_t pts_ns, bool dropped)
{
	struct hxfr_frame_response r = { .pts_ns = pts_ns, .dts_ns = pts_ns };
	uint8_t buf[HXFR_FRAME_RESPONSE_PREFIX];
	ssize_t n;

	if (au) {
		r.is_keyframe = au->keyframe;
		r.au_len = g_bytes_get_size(au->data);
	}
	n = hxfr_build_frame_response(buf, sizeof(buf), 0, dropped ? HXFR_FLAG_DROPPED : 0, &r);
	g_assert(n > 0);
	return g_bytes_new(buf, (size_t)n);
}

/* The session's stream is going away with frames still in it: their
 * results will never come back, so answer each now (DROPPED, no data), in
 * order. The guest gets its one reply per request and its shm slots back. */
void session_frames_abandon(struct he_session *s)
{
	for (GList *l = s->pending.head; l; l = l->next) {
		struct pending *p = l->data;

		if (p->ready)
			continue;
		p->reply[0] = response_prefix(NULL, p->pts_ns, true);
		p->ready = true;
	}
	flush_pending(s);
}

/* The guest truncated the file under its ring while the host read a frame
 * from it (shm.h): the ring reads zeros from now on, for good. This ERROR
 * is the session's last reply. */
static void ring_lost(struct he_session *s, struct pending *p)
{
	p->reply[0] = session_error_bytes(s, p->type, HXFR_ERR_SHM, HE_SIGBUS_LOST_WHY);
	p->last = true;
}

static void on_result(void *owner, uint64_t tag, struct he_au *au, int32_t code, const char *why)
{
	struct he_session *s = owner;
	struct pending *p = pending_find(s, tag);

	if (!p)
		return;
	if (!au && code == HXFR_ERR_SHM && s->shm && he_shm_lost(s->shm)) {
		ring_lost(s, p);
	} else if (au) {
		p->reply[0] = response_prefix(au, p->pts_ns, false); /* the guest's own pts */
		p->reply[1] = g_bytes_ref(au->data);
		p->au_encoded_us = au->encoded_us;
	} else if (code == 0) {
		p->reply[0] = response_prefix(NULL, p->pts_ns, true);
	} else {
		p->reply[0] = session_error_bytes(s, p->type, code, why);
	}
	p->ready = true;
	flush_pending(s);
}

static const struct he_producer_impl producer_impl = {
	.version = HE_PRODUCER_VERSION,
	.result = on_result,
};

/* A stable name: what the guest called itself, else its scanout or session. */
static char *stream_name(struct he_session *s)
{
	g_autofree char *base = NULL;

	if (s->machine && s->name[0])
		base = g_strdup_printf("%s/guest-%s", s->machine->name, s->name);
	else if (s->machine)
		base = g_strdup_printf("%s/guest", s->machine->name);
	else if (s->name[0])
		base = g_strdup_printf("guest/%s", s->name);
	else if (s->scanout_id != UINT32_MAX)
		base = g_strdup_printf("scanout/%u", s->scanout_id);
	else
		base = g_strdup_printf("guest/%u", s->id);
	g_strcanon(base, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "/-_.", '_');
	return he_registry_unique_name(s->hx->reg, base);
}

struct he_stream *session_ensure_stream(struct he_session *s)
{
	g_autofree char *name = NULL, *title = NULL;
	struct he_stream_params p = { .producer = &producer_impl, .producer_data = s,
				      .fps_num = s->fps_num, .fps_den = s->fps_den };

	if (s->stream)
		return s->stream;
	p.id = s->scanout_id != UINT32_MAX ? s->scanout_id : he_registry_alloc_id(s->hx->reg);
	p.name = name = stream_name(s);
	p.title = title = g_strdup_printf("guest %s%s%s", s->peer, s->name[0] ? " " : "", s->name);
	if (s->machine)
		p.input = hxfr_machine_sink(s->machine);
	else if (s->wants_input)
		p.input = session_input_sink(s);
	s->stream = he_stream_create(&s->hx->env, &p);
	if (s->bitrate)
		he_stream_set_bitrate(s->stream, s->bitrate);
	if (s->idr_wanted)
		he_stream_request_idr(s->stream);
	s->idr_wanted = false;
	he_registry_add(s->hx->reg, s->stream); /* id and name were free */
	return s->stream;
}

void session_drop_stream(struct he_session *s)
{
	if (!s->stream)
		return;
	he_registry_remove(s->hx->reg, s->stream);
	he_stream_destroy(g_steal_pointer(&s->stream));
}

static int64_t frame_interval_ns(const struct he_session *s, const struct he_frame *f)
{
	if (f->duration_ns > 0)
		return f->duration_ns;
	if (s->fps_num && s->fps_den)
		return (int64_t)s->fps_den * 1000000000 / s->fps_num;
	return 1000000000 / 30;
}

/* A guest's pts clock is its own, and some stamp every frame 0 or step
 * back: the stream (its subscribers) gets a strictly increasing pts, one
 * frame interval on where the guest's does not grow; the guest's replies
 * keep the pts it sent. */
static int64_t stream_pts(struct he_session *s, const struct he_frame *f)
{
	int64_t pts = f->pts_ns;

	if (s->stream_pts_set && pts <= s->stream_pts_ns)
		pts = s->stream_pts_ns + frame_interval_ns(s, f);
	s->stream_pts_ns = pts;
	s->stream_pts_set = true;
	return pts;
}

/* Common checks and submission for both paths; takes @p frame. */
static void submit(struct he_session *s, uint8_t type, struct he_frame *frame, uint64_t bytes)
{
	g_autoptr(he_frame) f = frame;
	struct pending *p;

	if (f->width > s->hx->cfg.max_width || f->height > s->hx->cfg.max_height) {
		session_frames_reject(s, type, HXFR_ERR_LIMIT, "frame larger than the host's limit");
		return;
	}
	if (g_queue_get_length(&s->pending) >= s->max_inflight) {
		session_frames_reject(s, type, HXFR_ERR_BUSY,
				      "more frames in flight than HELLO_RESP allowed");
		return;
	}
	session_ensure_stream(s);
	p = pending_add(s, type, bytes);
	p->pts_ns = f->pts_ns;
	f->pts_ns = stream_pts(s, f);
	s->frames++;
	if (he_stream_submit(s->stream, f, p->tag) < 0) {
		p->reply[0] = response_prefix(NULL, p->pts_ns, true);
		p->ready = true;
		flush_pending(s);
	}
}

void session_frame_request(struct he_session *s, const struct hxfr_msg *msg, uint8_t *payload)
{
	struct hxfr_frame_request m;
	const char *why = NULL;
	struct he_frame *f;
	int res = hxfr_decode_frame_request(msg, &m, &why);

	if (res < 0) {
		he_block_release(payload);
		session_frames_reject(s, msg->hdr.type, session_errno_to_code(res), why);
		return;
	}
	if (!m.pixels) {
		he_block_release(payload);
		session_frames_reject(s, msg->hdr.type, HXFR_ERR_UNSUPPORTED,
				      "GPU-handle frames are not offered by this host "
				      "(no importer); send pixels inline or via shared memory");
		return;
	}
	f = he_frame_new(he_block_release, payload); /* the payload block backs the frame: no copy */
	f->fourcc = m.format;
	f->width = m.width;
	f->height = m.height;
	f->pts_ns = m.pts_ns;
	f->duration_ns = m.duration_ns;
	f->force_idr = m.force_keyframe;
	f->capture_us = he_now_us();
	he_frame_set_packed_planes(f, m.pixels, m.stride);
	s->path_used = "inline";
	submit(s, msg->hdr.type, f, msg->hdr.payload_size);
}

void session_frame_shm(struct he_session *s, const struct hxfr_msg *msg)
{
	struct hxfr_frame_shm m;
	const char *why = NULL;
	uint64_t data_offset;
	struct he_frame *f;
	int res = hxfr_decode_frame_shm(msg, &m, &why);

	if (res < 0) {
		session_frames_reject(s, msg->hdr.type, session_errno_to_code(res), why);
		return;
	}
	if (!s->shm) {
		session_frames_reject(s, msg->hdr.type, HXFR_ERR_SHM,
					     "no shared-memory ring attached (send SHM_ATTACH)");
		return;
	}
	if (hxfr_ring_check_frame(&s->shm->ring, &m, &data_offset, &why) < 0) {
		session_frames_reject(s, msg->hdr.type, HXFR_ERR_SHM, why);
		return;
	}
	if (he_shm_lost(s->shm)) { /* zeros now: not worth encoding */
		struct pending *p = pending_add(s, msg->hdr.type, 0);

		ring_lost(s, p);
		p->ready = true;
		flush_pending(s);
		return;
	}
	f = he_frame_new((he_frame_release_fn)he_shm_unref, he_shm_ref(s->shm));
	f->guest_memory = s->shm->watch;
	f->fourcc = m.format;
	f->width = m.width;
	f->height = m.height;
	f->pts_ns = m.pts_ns;
	f->duration_ns = m.duration_ns;
	f->force_idr = m.flags & HXFR_FRAME_SHM_KEYFRAME;
	f->capture_us = he_now_us();
	for (unsigned i = 0; i < hxfr_format_planes(m.format); i++) {
		f->plane[i] = s->shm->base + data_offset + m.plane_offset[i];
		f->stride[i] = m.stride[i];
	}
	s->path_used = "shm";
	submit(s, msg->hdr.type, f, 0);
}
