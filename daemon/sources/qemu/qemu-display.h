/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Client for QEMU's D-Bus display (`-display dbus`, QEMU >= 7.2).
 *
 * A VM is attached either bus-less through its QMP unix socket (QEMU started
 * with `-display dbus,p2p=yes -qmp unix:PATH,server=on,wait=off`) or over a
 * D-Bus bus where QEMU owns org.qemu. Every graphic console gets a listener
 * served on its own thread: QEMU has no back-pressure, so the listener
 * copies each Scanout/Update into a shadow framebuffer at once and the
 * consumer takes snapshots at its own pace.
 *
 * Threads: he_qemu_vm_* and the input calls belong to the thread whose
 * thread-default main context was current at attach time (the "caller's
 * context"); every callback runs there. he_qemu_console_snapshot() and
 * he_qemu_console_get_stats() may be called from any thread. */
#ifndef HOSTENC_QEMU_DISPLAY_H
#define HOSTENC_QEMU_DISPLAY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define HE_QEMU_MAX_DIM 8192u /* largest surface side accepted from QEMU */

struct he_qemu_vm;
struct he_qemu_console;

/** Cursor shape and position, as QEMU last reported them. */
struct he_qemu_cursor {
	GBytes *argb;        /**< width*height*4 bytes, ARGB32 native-endian; NULL if none */
	int32_t width, height;
	int32_t hot_x, hot_y;
	int32_t x, y;        /**< position (console pixels), from MouseSet */
	bool visible;
	bool shape_changed;  /**< the shape changed since the previous report */
};

struct he_qemu_callbacks {
	/** Attach finished: @p error NULL on success (at least one console). */
	void (*ready)(struct he_qemu_vm *vm, const GError *error, void *user_data);
	/** The VM went away (D-Bus connection closed, bus name vanished). Once. */
	void (*gone)(struct he_qemu_vm *vm, const char *reason, void *user_data);
	/** New damage on @p console; at most once per refresh interval. */
	void (*frame_ready)(struct he_qemu_console *console, void *user_data);
	/** Cursor shape or position changed (coalesced). */
	void (*cursor)(struct he_qemu_console *console, const struct he_qemu_cursor *cursor,
		       void *user_data);
};

/**
 * Attach bus-less through QEMU's QMP socket at @p qmp_path (getfd +
 * add_client @dbus-display). The QMP connection is closed once the display
 * connection is up, so the monitor is free for others. @p refresh_ms bounds
 * the frame_ready rate (0: 33 ms). Never blocks; the result comes through
 * callbacks->ready.
 */
struct he_qemu_vm *he_qemu_vm_attach_qmp(const char *qmp_path, guint refresh_ms,
					 const struct he_qemu_callbacks *callbacks,
					 void *user_data);
/** Attach over the bus at @p bus_address to @p bus_name (NULL: "org.qemu"). */
struct he_qemu_vm *he_qemu_vm_attach_bus(const char *bus_address, const char *bus_name,
					 guint refresh_ms,
					 const struct he_qemu_callbacks *callbacks,
					 void *user_data);
/** Detach: stops every listener thread; no callback runs afterwards. */
void he_qemu_vm_free(struct he_qemu_vm *vm);

const char *he_qemu_vm_get_name(const struct he_qemu_vm *vm); /**< "" before ready */
const char *he_qemu_vm_get_uuid(const struct he_qemu_vm *vm);
guint he_qemu_vm_get_n_consoles(const struct he_qemu_vm *vm); /**< graphic consoles */
struct he_qemu_console *he_qemu_vm_get_console(struct he_qemu_vm *vm, guint index);

guint he_qemu_console_get_id(const struct he_qemu_console *c);
const char *he_qemu_console_get_label(const struct he_qemu_console *c);
/**
 * NULL while the console shows pixels; otherwise a static, human-readable
 * reason (DMA-BUF scanout, unsupported pixel format, display disabled...).
 */
const char *he_qemu_console_get_status(const struct he_qemu_console *c);

/**
 * A consumer-side copy of the console. Zero-initialise it (or
 * HE_QEMU_FRAME_INIT); it owns @p data. Each frame remembers which
 * generation of the shadow it holds, so a pool of frames used in turn
 * copies only what changed since each one was last filled.
 */
struct he_qemu_frame {
	uint8_t *data;        /**< BGRx, @p stride bytes a row; NULL when 0x0 */
	uint32_t width, height, stride;
	/** Area the last snapshot that returned true copied (all of it
	 * after a resize or when this frame had fallen too far behind). */
	uint32_t damage_x, damage_y, damage_w, damage_h;
	/* private */
	size_t alloc;
	uint64_t gen;
	uint64_t layout_gen;
};
#define HE_QEMU_FRAME_INIT { 0 }
void he_qemu_frame_clear(struct he_qemu_frame *f);

/**
 * Bring @p f up to date with the shadow framebuffer (any thread).
 * @return true if anything in @p f changed (pixels or size).
 */
bool he_qemu_console_snapshot(struct he_qemu_console *c, struct he_qemu_frame *f);

struct he_qemu_stats {
	uint64_t scanouts, updates, refused;
	uint64_t bytes_in;                 /**< pixel payload received */
	/** Handler time: totals, and maxima since the previous get_stats. */
	uint64_t scanout_ns, scanout_max_ns;
	uint64_t update_ns, update_max_ns;
	uint64_t notifies;                 /**< frame_ready callbacks posted */
};
/** Counters since attach; the *_max_ns fields restart at each call. */
void he_qemu_console_get_stats(struct he_qemu_console *c, struct he_qemu_stats *out);

/* Input (fire-and-forget, errors logged rate-limited). */
/** QEMU key number (xtkbd, high bit re-encoded); the caller translates. */
void he_qemu_console_key(struct he_qemu_console *c, uint32_t qnum, bool down);
/**
 * Mouse button @p button, a QEMU InputButton value (org.qemu.Display1.Mouse):
 * 0 left, 1 middle, 2 right, 3 wheel-up, 4 wheel-down, 5 side, 6 extra.
 * A wheel step is a press and a release.
 */
void he_qemu_console_button(struct he_qemu_console *c, uint32_t button, bool down);
/** Absolute pointer tablet present (IsAbsolute), kept current. */
bool he_qemu_console_is_absolute(const struct he_qemu_console *c);
/** Absolute position in console pixels; ignored unless is_absolute. */
void he_qemu_console_move_abs(struct he_qemu_console *c, uint32_t x, uint32_t y);
/** Relative motion; ignored when is_absolute. */
void he_qemu_console_move_rel(struct he_qemu_console *c, int32_t dx, int32_t dy);
/** Ask the guest for a new size (SetUIInfo); the guest may ignore it. */
void he_qemu_console_set_size(struct he_qemu_console *c, uint32_t width, uint32_t height);

#endif
