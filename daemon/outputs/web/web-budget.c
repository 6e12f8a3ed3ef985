/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What all viewers together may cost (docs/web.md, "Limits"): at most
 * max_viewers of them at once, and about max_viewer_bytes queued to them
 * together. libsoup copies every message into each viewer's own queue, so
 * each viewer's backlog is memory of its own; a viewer's queue is bounded
 * by output_queue already, this bounds their sum.
 *
 * The count: viewers, closing ones included (their queues are still
 * held), and upgrades answered 101 but not yet handed over. The sum: each
 * viewer's undelivered bytes (web-viewer.c: libsoup's queue and the
 * kernel's), summed at most every QUEUED_SAMPLE_US and increased by what
 * is queued in between. Over the bound, a viewer whose queue is at least
 * its share (the bound over max_viewers) gets nothing until it drains, as
 * a slow one: the longest queues stop first, and a viewer that reads keeps
 * getting its pictures. Viewers under their share may each still take one
 * access unit past it, so the sum stays under twice the bound plus one
 * access unit per viewer. Main loop only. */
#define G_LOG_DOMAIN "hostenc.web"
#include "web-private.h"

#define QUEUED_SAMPLE_US 10000

bool web_viewers_full(struct he_web *w)
{
	return g_list_length(w->viewers) + g_list_length(w->upgrades) >= w->max_viewers;
}

/* An upgrade's message went without being handed over (the peer left). */
static void upgrade_gone(gpointer data, GObject *where_the_object_was)
{
	struct he_web *w = data;

	w->upgrades = g_list_remove(w->upgrades, where_the_object_was);
}

void web_upgrade_begin(struct he_web *w, SoupServerMessage *msg)
{
	w->upgrades = g_list_prepend(w->upgrades, msg);
	g_object_weak_ref(G_OBJECT(msg), upgrade_gone, w);
}

void web_upgrade_done(struct he_web *w, SoupServerMessage *msg)
{
	GList *l = g_list_find(w->upgrades, msg);

	if (!l)
		return;
	w->upgrades = g_list_delete_link(w->upgrades, l);
	g_object_weak_unref(G_OBJECT(msg), upgrade_gone, w);
}

void web_upgrades_forget(struct he_web *w)
{
	for (GList *l = w->upgrades; l; l = l->next)
		g_object_weak_unref(l->data, upgrade_gone, w);
	g_clear_pointer(&w->upgrades, g_list_free);
}

uint64_t web_budget_total(struct he_web *w)
{
	int64_t now = g_get_monotonic_time();
	uint64_t sum = 0;

	if (w->queued_at_us && now - w->queued_at_us < QUEUED_SAMPLE_US)
		return w->queued;
	for (GList *l = w->viewers; l; l = l->next)
		sum += web_viewer_queued(l->data);
	w->queued = sum;
	w->queued_at_us = now;
	return sum;
}

void web_budget_queued(struct he_web *w, uint64_t bytes)
{
	w->queued += bytes;
}

bool web_budget_holds_back(struct he_web *w, uint64_t mine)
{
	if (!mine || web_budget_total(w) <= w->max_viewer_bytes)
		return false;
	return mine >= w->max_viewer_bytes / w->max_viewers;
}
