/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A console: its display thread, its shadow framebuffer, and the
 * notifications it posts to the caller's main context.
 *
 * The listener is served on a thread of its own with its own GMainContext
 * so that QEMU's messages are always drained at once, whatever the caller's
 * main loop or the encoder is doing: QEMU has no back-pressure and grows
 * without bound when a listener stops reading. */
#define G_LOG_DOMAIN "hostenc.qemu"
#include "qemu-private.h"

#include <unistd.h>

struct he_qemu_console *he_qemu_console_ref(struct he_qemu_console *c)
{
	g_atomic_int_inc(&c->ref);
	return c;
}

static void cursor_clear(struct he_qemu_cursor *cur)
{
	g_clear_pointer(&cur->argb, g_bytes_unref);
}

void he_qemu_console_unref(struct he_qemu_console *c)
{
	if (!c || !g_atomic_int_dec_and_test(&c->ref))
		return;
	g_assert(!c->thread);
	he_qemu_fb_clear(&c->fb);
	cursor_clear(&c->cursor);
	g_mutex_clear(&c->cursor_lock);
	g_mutex_clear(&c->stats_lock);
	g_clear_object(&c->vm_conn);
	g_clear_object(&c->dcancel);
	g_clear_pointer(&c->dctx, g_main_context_unref);
	g_clear_pointer(&c->caller_ctx, g_main_context_unref);
	if (c->serve_fd >= 0)
		close(c->serve_fd);
	g_free(c->label);
	g_free(c->path);
	g_free(c->dest);
	g_free(c);
}

static struct he_qemu_console *console_alloc(const struct he_qemu_callbacks *cb,
					     void *user_data, guint refresh_ms)
{
	struct he_qemu_console *c = g_new0(struct he_qemu_console, 1);

	c->ref = 1;
	c->serve_fd = -1;
	if (cb)
		c->cb = *cb;
	c->user_data = user_data;
	c->refresh_ms = refresh_ms ? refresh_ms : 33;
	c->caller_ctx = g_main_context_ref_thread_default();
	c->dctx = g_main_context_new();
	c->dcancel = g_cancellable_new();
	he_qemu_fb_init(&c->fb);
	g_mutex_init(&c->cursor_lock);
	g_mutex_init(&c->stats_lock);
	return c;
}

struct he_qemu_console *he_qemu_console_new(struct he_qemu_vm *vm, guint id, const char *label)
{
	struct he_qemu_console *c = console_alloc(&vm->cb, vm->user_data, vm->refresh_ms);

	c->vm = vm;
	c->id = id;
	c->label = g_strdup(label ? label : "");
	c->path = g_strdup_printf("/org/qemu/Display1/Console_%u", id);
	c->dest = g_strdup(vm->dest);
	c->vm_conn = g_object_ref(vm->conn);
	return c;
}

static gpointer display_thread(gpointer data)
{
	struct he_qemu_console *c = data;

	g_main_context_push_thread_default(c->dctx);
	he_qemu_listener_start(c);
	/* Leave only once every async operation started here has called
	 * back, so none is left holding the console. */
	while (!c->quit || c->pending_ops > 0)
		g_main_context_iteration(c->dctx, TRUE);
	g_main_context_pop_thread_default(c->dctx);
	return NULL;
}

void he_qemu_console_start(struct he_qemu_console *c)
{
	g_autofree char *name = g_strdup_printf("qemu-con%u", c->id);

	c->thread = g_thread_new(name, display_thread, c);
}

static gboolean stop_on_display(gpointer data)
{
	struct he_qemu_console *c = data;

	c->quit = true;
	g_cancellable_cancel(c->dcancel);
	he_qemu_listener_stop(c);
	return G_SOURCE_REMOVE;
}

static void console_stop_thread(struct he_qemu_console *c)
{
	if (!c->thread)
		return;
	GSource *s = g_idle_source_new();

	/* A source, not g_main_context_invoke(): the stop must run on the
	 * display thread, never here. */
	g_source_set_callback(s, stop_on_display, c, NULL);
	g_source_attach(s, c->dctx);
	g_source_unref(s);
	g_thread_join(c->thread);
	c->thread = NULL;
}

void he_qemu_console_close(struct he_qemu_console *c)
{
	g_atomic_int_set(&c->closed, 1);
	he_qemu_input_fini(c);
	console_stop_thread(c);
	c->vm = NULL;
	he_qemu_console_unref(c);
}

struct he_qemu_console *he_qemu_console_new_for_fd(int fd, const struct he_qemu_callbacks *cb,
						   void *user_data, guint refresh_ms)
{
	struct he_qemu_console *c = console_alloc(cb, user_data, refresh_ms);

	c->serve_fd = fd;
	c->label = g_strdup("test");
	c->path = g_strdup("");
	c->thread = g_thread_new("qemu-test-con", display_thread, c);
	return c;
}

void he_qemu_console_free_for_fd(struct he_qemu_console *c)
{
	g_atomic_int_set(&c->closed, 1);
	console_stop_thread(c);
	he_qemu_console_unref(c);
}

/* Run @p fn on the caller's context holding a console reference. */
static void post_to_caller(struct he_qemu_console *c, guint delay_ms, GSourceFunc fn)
{
	GSource *s = delay_ms ? g_timeout_source_new(delay_ms) : g_idle_source_new();

	g_source_set_priority(s, G_PRIORITY_DEFAULT);
	g_source_set_callback(s, fn, he_qemu_console_ref(c),
			      (GDestroyNotify)he_qemu_console_unref);
	g_source_attach(s, c->caller_ctx);
	g_source_unref(s);
}

static gboolean notify_on_caller(gpointer data)
{
	struct he_qemu_console *c = data;
	gint64 now = g_get_monotonic_time();
	gint64 due = c->last_notify_us + (gint64)c->refresh_ms * 1000;

	if (g_atomic_int_get(&c->closed))
		return G_SOURCE_REMOVE;
	if (c->last_notify_us && now < due) {
		/* Coalesce: at most one frame_ready per refresh interval. */
		post_to_caller(c, (guint)((due - now + 999) / 1000), notify_on_caller);
		return G_SOURCE_REMOVE;
	}
	c->last_notify_us = now;
	/* Cleared before the callback: damage arriving meanwhile re-arms. */
	g_atomic_int_set(&c->notify_pending, 0);
	g_mutex_lock(&c->stats_lock);
	c->stats.notifies++;
	g_mutex_unlock(&c->stats_lock);
	if (c->cb.frame_ready)
		c->cb.frame_ready(c, c->user_data);
	return G_SOURCE_REMOVE;
}

void he_qemu_console_post_damage(struct he_qemu_console *c)
{
	if (!c->cb.frame_ready || g_atomic_int_get(&c->closed))
		return;
	if (g_atomic_int_compare_and_exchange(&c->notify_pending, 0, 1))
		post_to_caller(c, 0, notify_on_caller);
}

static gboolean cursor_on_caller(gpointer data)
{
	struct he_qemu_console *c = data;
	struct he_qemu_cursor copy;

	if (g_atomic_int_get(&c->closed))
		return G_SOURCE_REMOVE;
	g_mutex_lock(&c->cursor_lock);
	copy = c->cursor;
	if (copy.argb)
		g_bytes_ref(copy.argb);
	c->cursor.shape_changed = false;
	g_atomic_int_set(&c->cursor_pending, 0);
	g_mutex_unlock(&c->cursor_lock);
	if (c->cb.cursor)
		c->cb.cursor(c, &copy, c->user_data);
	cursor_clear(&copy);
	return G_SOURCE_REMOVE;
}

void he_qemu_console_post_cursor(struct he_qemu_console *c)
{
	if (!c->cb.cursor || g_atomic_int_get(&c->closed))
		return;
	if (g_atomic_int_compare_and_exchange(&c->cursor_pending, 0, 1))
		post_to_caller(c, 0, cursor_on_caller);
}

struct attached_msg {
	struct he_qemu_console *c;
	GError *error;
	char *gone;
};

static void attached_msg_free(gpointer data)
{
	struct attached_msg *m = data;

	he_qemu_console_unref(m->c);
	g_clear_error(&m->error);
	g_free(m->gone);
	g_free(m);
}

static gboolean attached_on_caller(gpointer data)
{
	struct attached_msg *m = data;

	if (g_atomic_int_get(&m->c->closed) || !m->c->vm)
		return G_SOURCE_REMOVE;
	if (m->gone)
		he_qemu_vm_lost(m->c->vm, m->gone);
	else
		he_qemu_vm_console_attached(m->c->vm, m->c, m->error);
	return G_SOURCE_REMOVE;
}

static void post_msg(struct he_qemu_console *c, const GError *error, const char *gone)
{
	struct attached_msg *m = g_new0(struct attached_msg, 1);
	GSource *s = g_idle_source_new();

	m->c = he_qemu_console_ref(c);
	m->error = error ? g_error_copy(error) : NULL;
	m->gone = g_strdup(gone);
	g_source_set_callback(s, attached_on_caller, m, attached_msg_free);
	g_source_attach(s, c->caller_ctx);
	g_source_unref(s);
}

void he_qemu_console_post_attached(struct he_qemu_console *c, const GError *error)
{
	post_msg(c, error, NULL);
}

void he_qemu_console_post_gone(struct he_qemu_console *c, const char *reason)
{
	post_msg(c, NULL, reason);
}

void he_qemu_console_account(struct he_qemu_console *c, bool scanout, uint64_t bytes,
			     uint64_t ns, bool refused)
{
	struct he_qemu_stats *s = &c->stats;

	g_mutex_lock(&c->stats_lock);
	s->bytes_in += bytes;
	if (refused)
		s->refused++;
	if (scanout) {
		s->scanouts++;
		s->scanout_ns += ns;
		s->scanout_max_ns = MAX(s->scanout_max_ns, ns);
	} else {
		s->updates++;
		s->update_ns += ns;
		s->update_max_ns = MAX(s->update_max_ns, ns);
	}
	g_mutex_unlock(&c->stats_lock);
}

void he_qemu_console_get_stats(struct he_qemu_console *c, struct he_qemu_stats *out)
{
	g_mutex_lock(&c->stats_lock);
	*out = c->stats;
	c->stats.scanout_max_ns = 0;
	c->stats.update_max_ns = 0;
	g_mutex_unlock(&c->stats_lock);
}

bool he_qemu_console_snapshot(struct he_qemu_console *c, struct he_qemu_frame *f)
{
	return he_qemu_fb_snapshot(&c->fb, f);
}

guint he_qemu_console_get_id(const struct he_qemu_console *c)
{
	return c->id;
}

const char *he_qemu_console_get_label(const struct he_qemu_console *c)
{
	return c->label;
}

const char *he_qemu_console_get_status(const struct he_qemu_console *c)
{
	return he_qemu_fb_get_status((struct he_qemu_fb *)&c->fb);
}
