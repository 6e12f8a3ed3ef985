/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private: the VM and console objects shared by the files of this client.
 *
 * Threads: "caller" is the thread owning the main context current at attach
 * time; "display" is a console's listener thread. Fields are marked with
 * the thread that owns them; [any] fields are atomic or locked. */
#ifndef HOSTENC_QEMU_PRIVATE_H
#define HOSTENC_QEMU_PRIVATE_H

#include <gio/gio.h>

#include "qemu-display.h"
#include "qemu-fb.h"

#define HE_QEMU_PATH_VM "/org/qemu/Display1/VM"
#define HE_QEMU_PATH_LISTENER "/org/qemu/Display1/Listener"
#define HE_QEMU_IFACE_VM "org.qemu.Display1.VM"
#define HE_QEMU_IFACE_CONSOLE "org.qemu.Display1.Console"
#define HE_QEMU_IFACE_KEYBOARD "org.qemu.Display1.Keyboard"
#define HE_QEMU_IFACE_MOUSE "org.qemu.Display1.Mouse"
#define HE_QEMU_IFACE_LISTENER "org.qemu.Display1.Listener"
#define HE_QEMU_IFACE_PROPS "org.freedesktop.DBus.Properties"
#define HE_QEMU_DEFAULT_BUS_NAME "org.qemu"

/* QEMU runs its side of a listener's handshake synchronously, freezing its
 * main loop: ours must finish by then or the socket is closed. */
#define HE_QEMU_HANDSHAKE_TIMEOUT_MS 1000
/* Whole bus-less attach: QMP greeting, getfd, add_client, handshake. */
#define HE_QEMU_ATTACH_TIMEOUT_MS 5000
/* D-Bus calls to QEMU that a reply is waited for. */
#define HE_QEMU_CALL_TIMEOUT_MS 5000
#define HE_QEMU_MAX_CURSOR 512u

struct he_qemu_vm {
	gint ref;                        /* async operations hold one each */
	bool closed;                     /* he_qemu_vm_free() called */
	GMainContext *ctx;               /* caller's */
	struct he_qemu_callbacks cb;
	void *user_data;
	guint refresh_ms;
	GCancellable *cancel;
	GDBusConnection *conn;           /* the display connection */
	char *dest;                      /* bus name; NULL when peer-to-peer */
	char *name, *uuid;
	GPtrArray *consoles;             /* graphic consoles, ready or not */
	guint pending;                   /* console look-ups/attaches under way */
	guint n_ok;
	bool ready_sent, gone_sent;
	gulong closed_id;
	guint name_watch;
	/* attach in progress */
	GSocketConnection *p2p_stream;
	GDBusConnection *p2p_conn;
	bool qmp_done, p2p_done;
	GError *attach_error;
	GSource *attach_timeout;
};

struct he_qemu_console {
	gint ref;                        /* [any] */
	gint closed;                     /* [any] set once he_qemu_vm_free began */
	struct he_qemu_vm *vm;           /* [caller] only while !closed */
	guint id;
	char *label, *path, *dest;
	GDBusConnection *vm_conn;        /* thread-safe */
	GMainContext *caller_ctx;
	struct he_qemu_callbacks cb;
	void *user_data;
	guint refresh_ms;

	struct he_qemu_fb fb;            /* [any] own lock */

	/* display thread */
	GThread *thread;
	GMainContext *dctx;
	GCancellable *dcancel;
	int serve_fd;                    /* tests: serve this fd, no RegisterListener */
	GDBusConnection *listener;
	GSocketConnection *lstream;
	guint reg_id;
	GSource *handshake_timeout;
	int pending_ops;
	bool quit, size_query_inflight, registered, handshake_ok;
	guint logged;                    /* refusal kinds already logged */

	/* caller side notifications */
	gint notify_pending;             /* [any] */
	gint64 last_notify_us;           /* [caller] */
	GMutex cursor_lock;
	struct he_qemu_cursor cursor;    /* [cursor_lock] */
	gint cursor_pending;             /* [any] */

	GMutex stats_lock;
	struct he_qemu_stats stats;      /* [stats_lock] */

	/* input, [caller] */
	gint is_absolute;                /* [any] */
	guint mouse_sub;
	gint64 err_window_us;
	guint err_count;
};

/* qemu-console.c */
struct he_qemu_console *he_qemu_console_new(struct he_qemu_vm *vm, guint id, const char *label);
struct he_qemu_console *he_qemu_console_ref(struct he_qemu_console *c);
void he_qemu_console_unref(struct he_qemu_console *c);
/** Start the display thread; the outcome comes to he_qemu_vm_console_attached(). */
void he_qemu_console_start(struct he_qemu_console *c);
/** Stop the display thread and drop the VM's reference (caller thread). */
void he_qemu_console_close(struct he_qemu_console *c);
/* display thread -> caller */
void he_qemu_console_post_damage(struct he_qemu_console *c);
void he_qemu_console_post_cursor(struct he_qemu_console *c);
void he_qemu_console_post_attached(struct he_qemu_console *c, const GError *error);
void he_qemu_console_post_gone(struct he_qemu_console *c, const char *reason);
void he_qemu_console_account(struct he_qemu_console *c, bool scanout, uint64_t bytes,
			     uint64_t ns, bool refused);

/* qemu-listener.c (display thread) */
void he_qemu_listener_start(struct he_qemu_console *c);
void he_qemu_listener_stop(struct he_qemu_console *c);

/* qemu-input.c (caller thread) */
void he_qemu_input_init(struct he_qemu_console *c);
void he_qemu_input_fini(struct he_qemu_console *c);

/* qemu-vm.c (caller thread) */
void he_qemu_vm_console_attached(struct he_qemu_vm *vm, struct he_qemu_console *c,
				 const GError *error);
void he_qemu_vm_lost(struct he_qemu_vm *vm, const char *reason);

/* qemu-qmp.c: hand @p fd to QEMU as a D-Bus display client (caller thread). */
void he_qemu_qmp_add_client_async(const char *qmp_path, int fd, GCancellable *cancel,
				  GAsyncReadyCallback cb, gpointer user_data);
gboolean he_qemu_qmp_add_client_finish(GAsyncResult *res, GError **error);

/* Test hook: a console not bound to any VM, serving the Listener
 * interface on @p fd (the test plays QEMU on the other end). */
struct he_qemu_console *he_qemu_console_new_for_fd(int fd, const struct he_qemu_callbacks *cb,
						   void *user_data, guint refresh_ms);
void he_qemu_console_free_for_fd(struct he_qemu_console *c);

#endif
