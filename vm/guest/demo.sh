#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The hostenc demo guest's PID 1, run after switch_root on an overlay of the
# host's root filesystem (so the host's /lib/modules, busybox and the
# hostenc-fbdemo next to this script are all there).  It brings up the
# devices hostenc cares about, draws something alive on tty1 (the virtio-gpu
# framebuffer console) and offers a plain shell on ttyS0 for tests.
#
# Everything uses busybox explicitly: the host's userland varies, the
# busybox-static binary does not.

B=/bin/busybox
here=${0%/*}
export PATH="$here:/usr/sbin:/usr/bin:/sbin:/bin"
export HOME=/root TERM=linux
E=$($B printf '\033')

say() {
	echo "hostenc-guest: $*" >/dev/ttyS0
}

load_modules() {
	for m in virtio_gpu virtio_net virtio_console virtio_input \
		ehci_pci usbhid hid_generic evdev; do
		modprobe -q "$m" 2>/dev/null || $B modprobe "$m" 2>/dev/null ||
			say "module $m did not load"
	done
	# Kernel messages on ttyS0 would interleave with test output.
	$B dmesg -n 1
}

setup_network() {
	$B ip link set lo up
	for n in /sys/class/net/*; do
		dev=${n##*/}
		[ "$dev" = lo ] && continue
		# No DHCP client is guaranteed on the host: slirp's fixed plan.
		$B ip link set "$dev" up
		$B ip addr add 10.0.2.15/24 dev "$dev"
		$B ip route add default via 10.0.2.2
		echo "nameserver 10.0.2.3" >/etc/resolv.conf 2>/dev/null
		return
	done
	say "no network interface"
}

# The drm fbdev console appears asynchronously after virtio_gpu binds.
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 50 ]; do
		$B sleep 0.1
		i=$((i + 1))
	done
}

draw_banner() {
	{
		$B printf '%s[2J%s[H%s[1;37;44m  hostenc demo guest  %s[0m\n\n' "$E" "$E" "$E" "$E"
		$B printf '  kernel %s, %s\n' "$($B uname -r)" "$(hostenc-fbdemo info 2>/dev/null | $B head -n 1)"
		$B printf '  network 10.0.2.15, host is 10.0.2.2\n\n  '
		for c in 41 42 43 44 45 46 47; do
			$B printf '%s[%sm      %s[0m ' "$E" "$c" "$E"
		done
		$B printf '\n\n  Type a line and press Enter; it is kept in /tmp/typed.\n\n'
	} >/dev/tty1
}

# Redraw the time at a fixed spot once a second; save/restore the cursor so
# what the user types is not disturbed.
run_clock() {
	while :; do
		$B printf '%s7%s[1;50H%s[1;33m %s %s[0m%s8' "$E" "$E" "$E" \
			"$($B date '+%Y-%m-%d %H:%M:%S')" "$E" "$E" >/dev/tty1
		$B sleep 1
	done
}

run_line_reader() {
	while :; do
		exec 3</dev/tty1
		while IFS= read -r line <&3; do
			echo "$line" >>/tmp/typed
		done
		exec 3<&-
	done
}

# The test-control shell on ttyS0 (hostenc-vm's --serial socket).  ash
# reading a pipe is non-interactive: no prompt and no line editing that would
# echo, so tests see exactly the output of their commands.
run_serial_shell() {
	$B stty -F /dev/ttyS0 -echo 2>/dev/null
	while :; do
		echo "hostenc-guest: ready" >/dev/ttyS0
		$B cat /dev/ttyS0 | $B sh >/dev/ttyS0 2>&1
	done
}

load_modules
setup_network
wait_for /dev/fb0
draw_banner
run_clock &
run_line_reader &
run_serial_shell &

# PID 1 must never exit; waiting also reaps orphans.
while :; do
	wait
	$B sleep 1
done
