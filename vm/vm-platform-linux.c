/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU machine for x86_64 hosts (Linux, and any non-Apple host).
 * See vm-platform-macos.c for Apple Silicon.
 */
#ifndef __APPLE__

#include "vm-cmdline.h"

const char *
hvm_platform_qemu_binary(void)
{
	return "qemu-system-x86_64";
}

const char *
hvm_platform_qemu_package_hint(void)
{
	return "install qemu-system-x86 (scripts/setup does)";
}

const char *
hvm_platform_disk_interface(void)
{
	return "virtio";
}

void
hvm_platform_add_machine(GPtrArray *args, const HvmMachine *m)
{
	g_ptr_array_add(args, g_strdup("-machine"));
	g_ptr_array_add(args, g_strdup("pc"));
	g_ptr_array_add(args, g_strdup("-accel"));
	/* No "-cpu host" under KVM: on nested hosts it aborts on MSRs the
	 * outer hypervisor lacks; QEMU's default model boots everywhere. */
	if (m->accel == HVM_ACCEL_KVM)
		g_ptr_array_add(args, g_strdup("kvm"));
	else
		g_ptr_array_add(args, g_strdup("tcg,thread=multi"));
}

/* The pc machine's PS/2 keyboard takes keys from the display's Keyboard
 * interface; a USB tablet gives absolute pointer coordinates. */
void
hvm_platform_add_input(GPtrArray *args)
{
	g_ptr_array_add(args, g_strdup("-device"));
	g_ptr_array_add(args, g_strdup("usb-ehci,id=ehci"));
	g_ptr_array_add(args, g_strdup("-device"));
	g_ptr_array_add(args, g_strdup("usb-tablet,bus=ehci.0"));
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int hvm_platform_linux_not_built;
#endif /* !__APPLE__ */
