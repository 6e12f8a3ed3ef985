/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vm-dir.h"

#include <glib.h>
#include <unistd.h>

char *hostenc_vm_default_dir(void)
{
	const char *env = g_getenv("HOSTENC_VM_DIR");
	const char *xdg = g_getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		return g_strdup(env);
	if (xdg && *xdg)
		return g_build_filename(xdg, "hostenc", "vms", NULL);
	if (geteuid() == 0)
		return g_strdup("/run/hostenc/vms");
	return g_strdup_printf("/tmp/hostenc-%u/vms", (unsigned)geteuid());
}
