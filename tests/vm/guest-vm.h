/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A demo guest booted by hostenc-vm under TCG, driven through its serial
 * shell: shared by the VM tests (tests/vm/test-*.c).
 *
 * Under TCG on nested hosts the guest sometimes sleeps until its next
 * interrupt (seen with the 16550 and virtio-console alike); while waiting
 * for output the helpers send an empty line every 250 ms, which the guest
 * shell ignores, so a command never waits on that. */
#ifndef HOSTENC_TESTS_GUEST_VM_H
#define HOSTENC_TESTS_GUEST_VM_H

#include <gio/gio.h>

typedef struct {
	char *tmp;		/* private temporary directory (made by the caller) */
	char *vm_root;		/* --vm-dir */
	char *name;
	char *dir;		/* vm_root/NAME */
	char *log;		/* hostenc-vm's stdout and stderr */
	GSubprocess *proc;
	GSocket *serial;
	GString *pending;	/* serial bytes read but not yet consumed */
	guint marker;
	gboolean booted;
	double boot_s;
} GuestVm;

/* Why this machine cannot boot the demo guest (to skip with), or NULL. */
const char *guest_vm_unavailable(void);

/* Starts hostenc-vm (@hostenc_vm) for machine @name in @vm->tmp/vms,
 * TCG, 1280x800, with @extra arguments (NULL-terminated, may be NULL). */
void guest_vm_spawn(GuestVm *vm, const char *hostenc_vm, const char *name,
		    const char *const *extra);

/* Waits for vm.json and the serial shell; FALSE (with the reason in
 * @error) when the guest did not come up before @deadline (monotonic). */
gboolean guest_vm_wait_booted(GuestVm *vm, gint64 deadline, GError **error);

/* Runs @cmd in the guest's shell; returns its output (without the
 * command's echo), *status its exit status. Fails the test after
 * @timeout_s. */
char *guest_vm_run(GuestVm *vm, const char *cmd, guint timeout_s, int *status);

/* Sends bytes to the serial shell as they are. */
void guest_vm_send(GuestVm *vm, const char *text);

/* Stops hostenc-vm (SIGTERM) and frees everything but @vm->tmp. */
void guest_vm_stop(GuestVm *vm);

gboolean guest_vm_wait_for_file(GuestVm *vm, const char *path, gint64 deadline);

/* A QMP connection to one of the VM's sockets (vm->dir/@socket_name:
 * "qmp.sock", the one hostencd uses, or "control.sock", hostenc-vm's). */
typedef struct {
	GSocketConnection *conn;
	GDataInputStream *in;
} GuestQmp;

/* Connects and negotiates capabilities; fails the test on error. */
void guest_vm_qmp_open(GuestVm *vm, const char *socket_name, GuestQmp *q);
/* Sends @json (one command, ending in a newline) and waits for its
 * "return"; an "error" fails the test. */
void guest_vm_qmp(GuestQmp *q, const char *json);
void guest_vm_qmp_close(GuestQmp *q);
GSocket *guest_vm_connect_unix(const char *path, GError **error);

#endif
