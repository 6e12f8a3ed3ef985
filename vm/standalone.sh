#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build vm/ and tests/vm/ without the rest of hostenc: meson cannot
# subdir() out of a project, so this lays a tiny wrapper project (symlinks
# to vm/ and tests/vm/, same options as the top level) in BUILDDIR.src and
# configures BUILDDIR from it.
#   vm/standalone.sh /tmp/vm-build && meson test -C /tmp/vm-build --suite vm
set -eu
build=${1:?usage: vm/standalone.sh BUILDDIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
src=$build.src

mkdir -p "$src/tests"
ln -sfn "$here" "$src/vm"
ln -sfn "$top/tests/vm" "$src/tests/vm"
cat >"$src/meson.build" <<'MESON'
project('hostenc-vm', 'c',
  meson_version : '>= 0.63',
  default_options : ['c_std=c11', 'warning_level=3',
                     'buildtype=debugoptimized'])
cc = meson.get_compiler('c')
add_project_arguments(cc.get_supported_arguments([
  '-Wmissing-prototypes', '-Wstrict-prototypes', '-Wshadow',
  '-Wno-missing-field-initializers',
  '-Werror=implicit-function-declaration']), language : 'c')
subdir('vm')
subdir('tests/vm')
MESON
if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" "$src"
else
	meson setup "$build" "$src"
fi
