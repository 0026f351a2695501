#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""uevent throughput through hotplugd on the REAL kernel (not under the
simulator): starts a private system bus and hotplugd on the real /sys, then
runs bench-uevents against it (see bench-uevents.c).  Needs root."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402


def main():
    if os.geteuid() != 0:
        print('bench-uevents needs root (it writes /sys/devices/system/memory/*/uevent)', file=sys.stderr)
        return 2
    if ht.in_simulator():
        print('bench-uevents runs on the real kernel, not under hotplug-sim', file=sys.stderr)
        return 2
    events = os.environ.get('BENCH_EVENTS', '100000')
    with ht.Environment(polkit='allow') as env:
        r = subprocess.run([ht.build_path('bench', 'bench-uevents'), str(env.daemon.proc.pid), events])
        return r.returncode


if __name__ == '__main__':
    sys.exit(main())
