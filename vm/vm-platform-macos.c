/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * macOS on Apple Silicon: qemu-system-aarch64 -M virt with Hypervisor.framework
 * (-accel hvf).  Everything macOS-specific about the QEMU command line is in
 * this file; vm-platform-linux.c is its x86_64 counterpart.
 *
 * Device choices and why:
 *  - virt has no PS/2 controller, so the keyboard is USB (usb-kbd) next to
 *    the usb-tablet, both on qemu-xhci (virt has no EHCI-friendly PCI quirks).
 *  - virtio-gpu-pci, ivshmem-plain + memory-backend-file, user networking and
 *    virtio-serial are the same as on Linux: the hostencd contract does not
 *    change.  No vhost-vsock: macOS has no vhost.
 *  - Booting a --disk needs UEFI firmware; Homebrew's qemu ships
 *    edk2-aarch64-code.fd, which QEMU finds on its data path.
 *  - There is no demo guest on macOS (the host has no Linux kernel to
 *    borrow): use --kernel or --disk.
 */
#ifdef __APPLE__

#include "vm-cmdline.h"

const char *
hvm_platform_qemu_binary(void)
{
	return "qemu-system-aarch64";
}

const char *
hvm_platform_qemu_package_hint(void)
{
	return "install QEMU (brew install qemu)";
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
	g_ptr_array_add(args, g_strdup("virt,highmem=on"));
	g_ptr_array_add(args, g_strdup("-accel"));
	if (m->accel == HVM_ACCEL_HVF) {
		g_ptr_array_add(args, g_strdup("hvf"));
		g_ptr_array_add(args, g_strdup("-cpu"));
		g_ptr_array_add(args, g_strdup("host"));
	} else {
		g_ptr_array_add(args, g_strdup("tcg,thread=multi"));
		g_ptr_array_add(args, g_strdup("-cpu"));
		g_ptr_array_add(args, g_strdup("max"));
	}
	if (m->disk) {
		g_ptr_array_add(args, g_strdup("-bios"));
		g_ptr_array_add(args, g_strdup("edk2-aarch64-code.fd"));
	}
}

void
hvm_platform_add_input(GPtrArray *args)
{
	g_ptr_array_add(args, g_strdup("-device"));
	g_ptr_array_add(args, g_strdup("qemu-xhci,id=xhci"));
	g_ptr_array_add(args, g_strdup("-device"));
	g_ptr_array_add(args, g_strdup("usb-tablet,bus=xhci.0"));
	g_ptr_array_add(args, g_strdup("-device"));
	g_ptr_array_add(args, g_strdup("usb-kbd,bus=xhci.0"));
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int hvm_platform_macos_not_built;
#endif /* __APPLE__ */
