#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run the hook runner benchmark from a build directory:
#   bench/bench-hooks.sh [BUILDDIR] [ROUNDS] [HOOKS]
# (as root: hooks must be owned by root to run).  Prints; asserts nothing.
set -e
build=${1:-build}
shift || true
exe="$build/bench/bench-hooks"
[ -x "$exe" ] || { echo "bench-hooks: build it first: ninja -C $build bench/bench-hooks" >&2; exit 1; }
exec "$exe" "$@"
