#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the hostenc demo guest's initramfs (hostenc-vm bakes it in).
# It only has to reach the host's root filesystem: load the virtio/9p/overlay
# modules shipped next to it, mount the host root read-only over 9p, put a
# tmpfs-backed overlay on top so the guest can write, and switch_root into
# the script named by hostenc.run= on the kernel command line.

/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin /lower /upper /newroot
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# A failure here would otherwise end in a kernel panic with the reason
# scrolled away: say it on the console, then power off so hostenc-vm exits.
die() {
	echo "hostenc-init: $*" >/dev/console
	sleep 1
	poweroff -f
}

probe=
run=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	hostenc.probe=*) probe=${arg#*=} ;;
	hostenc.run=*) run=${arg#*=} ;;
	esac
done

# Accelerator probe: reaching userspace proves the accelerator boots a kernel.
if [ -n "$probe" ]; then
	echo "$probe" >/dev/console
	poweroff -f
fi

# The numeric prefixes keep modprobe's dependency order.
for m in /lib/hostenc-modules/*.ko; do
	insmod "$m" || die "insmod $m failed"
done

ok=
for try in 1 2 3 4 5 6 7 8 9 10; do
	if mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 \
		hostroot /lower 2>/dev/null; then
		ok=1
		break
	fi
	sleep 0.2
done
[ -n "$ok" ] || die "cannot mount the host root (9p tag hostroot)"

mount -t tmpfs -o mode=0755 tmpfs /upper || die "tmpfs failed"
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work \
	overlay /newroot || die "overlay mount failed"

# A fresh /run: the host's pid files and sockets mean nothing here.  /tmp
# stays the overlay's, so host paths under /tmp (a build or cache dir holding
# the guest script) remain visible, and writes land in the tmpfs above.
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev

[ -n "$run" ] || run=/bin/sh
exec switch_root /newroot /bin/busybox sh "$run"
