#!/bin/sh
# meson install --destdir: every file a user installs is there, and the
# installed libhxfr builds and runs a program through its pkg-config file.
# Usage: test-install.sh BUILD_DIR PREFIX LIBDIR MESON CC SANITIZE
set -eu
build=$1 prefix=$2 libdir=$3 meson=$4 cc=$5 sanitize=${6:-none}
dest=$(mktemp -d "${TMPDIR:-/tmp}/hostenc-install-XXXXXX")
trap 'rm -rf "$dest"' EXIT
root=$dest$prefix
case $libdir in /*) lib=$dest$libdir ;; *) lib=$root/$libdir ;; esac

"$meson" install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest/log" 2>&1 || {
	cat "$dest/log"; echo "not ok: meson install failed"; exit 1; }

status=0
want() {
	if [ -e "$1" ]; then
		echo "ok: ${1#$dest}"
	else
		echo "MISSING: ${1#$dest}"
		status=1
	fi
}
want "$root/bin/hostencd"
want "$root/bin/hostenc-vm"
want "$root/bin/hostenc-guest"
want "$lib/gstreamer-1.0/libgsthostenc.so"
want "$lib/libhxfr.so.1"
want "$lib/libhxfr.so"
want "$lib/pkgconfig/hxfr.pc"
want "$root/include/hxfr/hxfr.h"
want "$root/share/hostenc/web/index.html"
want "$root/share/hostenc/web/player.js"
for m in hostencd hostenc-vm hostenc-guest; do
	want "$root/share/man/man1/$m.1"
done
want "$root/lib/systemd/system/hostencd.service"
want "$root/lib/systemd/user/hostenc-guest.service"
want "$root/share/doc/hostenc/LICENSE"
want "$root/share/doc/hostenc/hostencd.conf.example"

# the unit starts the installed binary with the installed config path
grep -q "^ExecStart=$prefix/bin/hostencd --config=" "$root/lib/systemd/system/hostencd.service" ||
	{ echo "hostencd.service: wrong ExecStart"; status=1; }

# the example configuration is one the installed hostencd accepts
"$root/bin/hostencd" --config="$root/share/doc/hostenc/hostencd.conf.example" --check-config \
	>/dev/null || { echo "hostencd rejects its own example configuration"; status=1; }

# a program of someone else's, built against the installed library
cat >"$dest/client.c" <<'C'
#include <hxfr/hxfr.h>
#include <stdio.h>
int main(void)
{
	unsigned char b[HXFR_HEADER_SIZE];
	struct hxfr_header h;

	if (hxfr_build_header(b, sizeof(b), HXFR_GOODBYE, 0, 0, 0) != HXFR_HEADER_SIZE ||
	    hxfr_header_decode(b, &h) != 0 || h.type != HXFR_GOODBYE)
		return 1;
	printf("%s\n", hxfr_type_name(h.type));
	return 0;
}
C
pc="$lib/pkgconfig"
flags=$(PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$pc pkg-config --cflags --libs hxfr)
# shellcheck disable=SC2086
# a sanitized build installs a sanitized libhxfr: its users link the runtime
san=
[ "$sanitize" = none ] || san="-fsanitize=$sanitize"
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Werror $san -o "$dest/client" "$dest/client.c" $flags
out=$(LD_LIBRARY_PATH=$lib "$dest/client")
if [ "$out" = GOODBYE ]; then
	echo "ok: a program built with pkg-config hxfr runs: $out"
else
	echo "the installed libhxfr did not work: '$out'"
	status=1
fi
exit $status
