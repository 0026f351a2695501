#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The cost of a hook run as a transient systemd unit against a direct
spawn by the same runner: 50 trivial hooks, several rounds, medians, on
systemd as PID 1 in a container booted from this machine's own /usr
(tests/container/hotplugcontainer.py: the host is not touched).  Runs
bench-hooks of the build directory (HOTPLUG_BUILD_DIR) inside it.
Prints; asserts nothing.

    bench-hook-units.py [ROUNDS] [HOOKS]"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'container'))
from hotplugcontainer import BUILD, SRC, Container, skip_reason  # noqa: E402


def main():
    rounds = sys.argv[1] if len(sys.argv) > 1 else '7'
    hooks = sys.argv[2] if len(sys.argv) > 2 else '50'
    why = skip_reason()
    if why:
        print(f'bench-hook-units: not run: {why}')
        return 0
    exe = os.path.join(BUILD, 'bench', 'bench-hooks')
    if not os.path.exists(exe):
        print(f'bench-hook-units: build it first: ninja -C {BUILD} bench/bench-hooks')
        return 1
    binds = {os.path.realpath(SRC), os.path.realpath(BUILD)}
    ct = Container(sorted(binds))
    try:
        ct.wait_booted()
        r = ct.run([exe, rounds, hooks, 'units'], check=False, timeout=600)
        print(r.stdout + r.stderr, end='')
        return r.returncode
    finally:
        ct.stop()


if __name__ == '__main__':
    sys.exit(main())
