/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM's graphic console as a producer. The display client keeps a shadow
 * of the screen (filled on its own thread, never blocked); while anyone
 * watches, each batch of damage becomes a frame: a snapshot into one of a
 * few buffers (copying only what that buffer missed) that is lent to the
 * encoder and given back when the encoder is done with it. When the
 * encoder is busy the damage waits and is retried shortly, so the last
 * picture always gets through. */
#define G_LOG_DOMAIN "hostenc.vm"
#include <hxfr/hxfr.h>

#include "registry.h"
#include "vm-private.h"

static void slot_release(void *data)
{
	struct vm_slot *slot = data;

	g_atomic_int_set(&slot->busy, 0);
}

static struct vm_slot *free_slot(struct vm_screen *sc)
{
	for (unsigned i = 0; i < VM_SLOTS; i++)
		if (!g_atomic_int_get(&sc->slots[i].busy))
			return &sc->slots[i];
	return NULL;
}

static gboolean retry_cb(gpointer data);

static void schedule_retry(struct vm_screen *sc)
{
	if (sc->retry)
		return;
	sc->retry = g_timeout_source_new(VM_RETRY_MS);
	g_source_set_callback(sc->retry, retry_cb, sc, NULL);
	g_source_attach(sc->retry, NULL);
}

static void log_status(struct vm_screen *sc)
{
	const char *status = he_qemu_console_get_status(sc->console);

	if (status && status != sc->status_logged)
		g_message("VM %s screen %u: %s", sc->vm->name, sc->index, status);
	sc->status_logged = status;
}

/* Snapshot into a free buffer and submit it; false when it must wait. */
static bool send_frame(struct vm_screen *sc)
{
	struct vm_slot *slot;
	struct he_frame *f;

	if (he_stream_pending(sc->stream) > 1 || !(slot = free_slot(sc)))
		return false;
	he_qemu_console_snapshot(sc->console, &slot->frame);
	if (!slot->frame.data || slot->frame.width < 16 || slot->frame.height < 16)
		return true; /* nothing to show (yet): not an error */
	g_atomic_int_set(&slot->busy, 1);
	f = he_frame_new(slot_release, slot);
	f->fourcc = HXFR_FMT_BGRX;
	f->width = slot->frame.width;
	f->height = slot->frame.height;
	f->plane[0] = slot->frame.data;
	f->stride[0] = slot->frame.stride;
	f->capture_us = he_now_us();
	f->pts_ns = (int64_t)(sc->frame_no++ * 1000000000ull / 60);
	he_stream_submit(sc->stream, f, 0);
	he_frame_unref(f);
	return true;
}

static void try_send(struct vm_screen *sc)
{
	log_status(sc);
	if (!sc->wanted || !sc->dirty)
		return;
	if (send_frame(sc))
		sc->dirty = false;
	else
		schedule_retry(sc);
}

static gboolean retry_cb(gpointer data)
{
	struct vm_screen *sc = data;

	g_clear_pointer(&sc->retry, g_source_unref);
	try_send(sc);
	return G_SOURCE_REMOVE;
}

void vm_screen_frame_ready(struct vm_screen *sc)
{
	sc->dirty = true;
	try_send(sc);
}

/* QEMU's ARGB32 (native endian) is B,G,R,A in memory here, as he_cursor wants. */
void vm_screen_cursor(struct vm_screen *sc, const struct he_qemu_cursor *qc)
{
	g_autoptr(he_cursor) c = g_new0(struct he_cursor, 1);

	if (qc->shape_changed || !sc->cursor_serial) {
		bool ok = G_BYTE_ORDER == G_LITTLE_ENDIAN && qc->argb && qc->width > 0 &&
			  qc->height > 0 && qc->width <= HE_CURSOR_MAX_DIM &&
			  qc->height <= HE_CURSOR_MAX_DIM &&
			  g_bytes_get_size(qc->argb) == (gsize)qc->width * (gsize)qc->height * 4;

		g_clear_pointer(&sc->cursor_shape, g_bytes_unref);
		sc->cursor_shape = ok ? g_bytes_ref(qc->argb) : NULL;
		sc->cursor_w = ok ? (uint32_t)qc->width : 0;
		sc->cursor_h = ok ? (uint32_t)qc->height : 0;
		sc->cursor_hx = CLAMP(qc->hot_x, 0, (int32_t)sc->cursor_w);
		sc->cursor_hy = CLAMP(qc->hot_y, 0, (int32_t)sc->cursor_h);
		sc->cursor_serial++;
	}
	c->ref = 1;
	c->width = sc->cursor_w;
	c->height = sc->cursor_h;
	c->hot_x = sc->cursor_hx;
	c->hot_y = sc->cursor_hy;
	c->bgra = sc->cursor_shape ? g_bytes_ref(sc->cursor_shape) : NULL;
	c->visible = qc->visible;
	c->x = qc->x;
	c->y = qc->y;
	c->shape_serial = sc->cursor_serial;
	he_stream_set_cursor(sc->stream, c);
}

static void on_demand(void *data, bool wanted)
{
	struct vm_screen *sc = data;

	sc->wanted = wanted;
	/* A new viewer needs a picture now, damage or not. */
	sc->dirty = wanted;
	try_send(sc);
}

static const struct he_producer_impl screen_producer = {
	.version = HE_PRODUCER_VERSION,
	.demand = on_demand,
};

struct vm_screen *vm_screen_create(struct vm_machine *vm, struct he_qemu_console *console,
				   unsigned index)
{
	struct vm_screen *sc = g_new0(struct vm_screen, 1);
	struct he_registry *reg = vm->vs->reg;
	g_autofree char *name = g_strdup_printf("%s/%u", vm->name, index);
	g_autofree char *title = g_strdup_printf("VM %s, screen %u (%s)", vm->name, index,
						 he_qemu_console_get_label(console));
	struct he_stream_params p = {
		.name = name, .title = title, .producer = &screen_producer, .producer_data = sc,
		.input = { &vm_input_impl, sc }, .fps_num = 60, .fps_den = 1,
	};

	sc->vm = vm;
	sc->console = console;
	sc->index = index;
	p.id = he_registry_alloc_id(reg);
	sc->stream = he_stream_create(&vm->vs->env, &p);
	if (!he_registry_add(reg, sc->stream)) {
		g_warning("VM %s: stream name %s is taken; screen %u not offered", vm->name, name,
			  index);
		he_stream_destroy(g_steal_pointer(&sc->stream));
		g_free(sc);
		return NULL;
	}
	g_message("VM %s: screen %u is stream %u '%s'", vm->name, index, p.id, name);
	return sc;
}

void vm_screen_destroy(struct vm_screen *sc)
{
	if (!sc)
		return;
	if (sc->retry) {
		g_source_destroy(sc->retry);
		g_source_unref(sc->retry);
	}
	he_registry_remove(sc->vm->vs->reg, sc->stream);
	he_stream_destroy(sc->stream); /* joins the worker: no frame is lent after this */
	for (unsigned i = 0; i < VM_SLOTS; i++)
		he_qemu_frame_clear(&sc->slots[i].frame);
	if (sc->cursor_shape)
		g_bytes_unref(sc->cursor_shape);
	g_free(sc);
}
