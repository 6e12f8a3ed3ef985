/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GOP a stream keeps for late outputs (every AU since the last IDR),
 * and one budget for the GOPs of all streams together: past it the largest
 * GOPs are dropped, so that many streams that once sent big pictures do not
 * keep them all. A stream whose GOP was dropped has none until its next IDR;
 * an output that joins meanwhile asks for that IDR (he_stream_attach).
 * Main loop only. */
#define G_LOG_DOMAIN "hostenc.stream"
#include "mem-trim.h"
#include "stream-private.h"

/* Every live stream, and the bytes their GOPs hold together. */
static GList *all_streams;
static uint64_t all_bytes;

uint64_t he_stream_gop_bytes_total(void)
{
	return all_bytes;
}

void stream_gop_init(struct he_stream *s)
{
	all_streams = g_list_prepend(all_streams, s);
	s->gop_link = all_streams;
}

void stream_gop_reset(struct he_stream *s)
{
	all_bytes -= s->gop_bytes;
	g_ptr_array_set_size(s->gop_aus, 0);
	s->gop_bytes = 0;
	s->gop_valid = false;
}

void stream_gop_fini(struct he_stream *s)
{
	stream_gop_reset(s);
	if (s->gop_link)
		all_streams = g_list_delete_link(all_streams, s->gop_link);
	s->gop_link = NULL;
}

static struct he_stream *largest(void)
{
	struct he_stream *big = NULL;

	for (GList *l = all_streams; l; l = l->next) {
		struct he_stream *s = l->data;

		if (!big || s->gop_bytes > big->gop_bytes)
			big = s;
	}
	return big;
}

/* Over the budget: drop the largest GOPs until it holds. No IDR is asked
 * for here (nobody may join); a late output asks for one. */
static void enforce_budget(uint64_t budget)
{
	while (all_bytes > budget) {
		struct he_stream *s = largest();

		if (!s || !s->gop_bytes)
			return;
		g_info("stream %s: its GOP (%zu bytes) dropped: the GOPs of all streams hold "
		       "%" G_GUINT64_FORMAT " bytes, over %" G_GUINT64_FORMAT, s->name,
		       s->gop_bytes, all_bytes, budget);
		stream_gop_reset(s);
		he_mem_trim_soon();
	}
}

void stream_gop_add(struct he_stream *s, struct he_au *au)
{
	size_t size = g_bytes_get_size(au->data);

	if (au->keyframe)
		stream_gop_reset(s);
	else if (!s->gop_valid)
		return;
	if (s->gop_aus->len >= STREAM_GOP_MAX_AUS || s->gop_bytes + size > STREAM_GOP_MAX_BYTES) {
		/* A partial GOP is useless to a late joiner: drop it. No IDR
		 * is asked for here (with --intra-refresh that would be one
		 * every STREAM_GOP_MAX_AUS frames); an output that joins asks. */
		stream_gop_reset(s);
		return;
	}
	s->gop_valid = true;
	g_ptr_array_add(s->gop_aus, he_au_ref(au));
	s->gop_bytes += size;
	all_bytes += size;
	enforce_budget(s->env.gop_budget ? s->env.gop_budget : HE_STREAM_GOP_BUDGET);
}
