/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the files of daemon/sources/vm. */
#ifndef HOSTENC_SOURCES_VM_PRIVATE_H
#define HOSTENC_SOURCES_VM_PRIVATE_H

#include <gio/gio.h>
#include <stdbool.h>

#include "qemu-display.h"
#include "stream.h"
#include "vm-source.h"

#define VM_SLOTS 3            /* snapshots a screen can have in flight */
#define VM_REFRESH_MS 16      /* how often QEMU's damage may become a frame */
#define VM_RETRY_MS 10        /* retry when the encoder was busy */

struct vm_machine;

/* One snapshot buffer, lent to the encoder as a frame. */
struct vm_slot {
	struct he_qemu_frame frame;
	gint busy;            /* lent to a stream (released on the worker thread) */
};

/* One graphic console: a producer. */
struct vm_screen {
	struct vm_machine *vm;
	struct he_qemu_console *console;
	unsigned index;
	struct he_stream *stream;
	struct vm_slot slots[VM_SLOTS];
	bool wanted, dirty;
	GSource *retry;
	uint64_t frame_no;
	uint32_t pointer_x, pointer_y;
	const char *status_logged;
	uint64_t cursor_serial;
	GBytes *cursor_shape;  /* the last shape, kept across position updates */
	uint32_t cursor_w, cursor_h;
	int32_t cursor_hx, cursor_hy;
};

/* One VM. */
struct vm_machine {
	struct he_vm_source *vs;
	char *name, *dir;
	char *bus_address;    /* attached over this bus, not through dir/qmp.sock */
	struct he_qemu_vm *qvm;
	GPtrArray *screens;   /* struct vm_screen* */
	bool up;
	GSource *reattach;
	unsigned attempts;
};

struct he_vm_source {
	char *dir;
	struct he_registry *reg;
	struct he_stream_env env;
	struct he_vm_source_callbacks cb;
	void *cb_data;
	GFileMonitor *monitor;
	GHashTable *machines; /* name -> struct vm_machine* */
};

/* vm-machine.c */
struct vm_machine *vm_machine_create(struct he_vm_source *vs, const char *name,
				     const char *bus_address);
void vm_machine_destroy(struct vm_machine *vm);

/* vm-screen.c */
struct vm_screen *vm_screen_create(struct vm_machine *vm, struct he_qemu_console *console,
				   unsigned index);
void vm_screen_destroy(struct vm_screen *sc);
void vm_screen_frame_ready(struct vm_screen *sc);
void vm_screen_cursor(struct vm_screen *sc, const struct he_qemu_cursor *qc);

/* vm-input.c */
extern const struct he_input_sink_impl vm_input_impl;

#endif
