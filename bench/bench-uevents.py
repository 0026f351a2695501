#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""uevent throughput through hotplugd on the REAL kernel (not under the
simulator): starts a private system bus and hotplugd on the real /sys, then
runs bench-uevents against it (see bench-uevents.c).  Needs root."""
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402


def main():
    if os.geteuid() != 0:
        print('bench-uevents needs root (it writes /sys/devices/system/memory/*/uevent)', file=sys.stderr)
        return 2
    if ht.in_simulator():
        print('bench-uevents runs on the real kernel, not under hotplug-sim', file=sys.stderr)
        return 2
    events = os.environ.get('BENCH_EVENTS', '100000')
    rounds = int(os.environ.get('BENCH_ROUNDS', '5'))
    ratios = []
    with ht.Environment(polkit='allow') as env:
        conn = ht.bus_connect()
        group = ht.call(conn, ht.MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'Get',
                        GLib.Variant('(ss)', (ht.MANAGER_IFACE, 'EventSource')))[0]
        conn.close_sync(None)
        for i in range(rounds):
            r = subprocess.run([ht.build_path('bench', 'bench-uevents'), str(env.daemon.proc.pid), events, group],
                               capture_output=True, text=True)
            print(f'-- round {i + 1}')
            print(r.stdout, end='')
            if r.returncode != 0:
                print(r.stderr, end='', file=sys.stderr)
                return r.returncode
            ratios += [float(line.split()[-1]) for line in r.stdout.splitlines()
                       if line.startswith('ratio hotplugd / bare:')]
    print(f'ratio hotplugd / bare over {len(ratios)} rounds: median {statistics.median(ratios):.2f} '
          f'(min {min(ratios):.2f}, max {max(ratios):.2f}; netlink group {group})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
