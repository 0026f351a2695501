#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""uevent throughput through hotplugd on the REAL kernel (not under the
simulator): starts a private system bus and hotplugd on the real /sys, then
runs bench-uevents against it (see bench-uevents.c); then one more round
under perf, printing where the daemon's time goes (BENCH_PROFILE=0: not).
Needs root."""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'realkernel'))
import uevent_flood as uf  # noqa: E402
from uevent_flood import ht  # noqa: E402
import benchlib  # noqa: E402

from gi.repository import GLib  # noqa: E402


def where_the_time_goes(pid, events, group, top=12):
    """One more round with perf sampling the daemon: its time by shared
    object and its top functions (self time), or why there is no profile."""
    perf = shutil.which('perf')
    if perf is None:
        print('where the time goes: perf is not installed')
        return
    with tempfile.TemporaryDirectory(prefix='bench-uevents-') as tmp:
        data = os.path.join(tmp, 'perf.data')
        rec = subprocess.Popen([perf, 'record', '-q', '-F', '4000', '-p', str(pid), '-o', data],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        subprocess.run([ht.build_path('bench', 'bench-uevents'), str(pid), events, group],
                       capture_output=True, text=True)
        rec.send_signal(signal.SIGINT)
        _, err = rec.communicate(timeout=60)
        if rec.returncode not in (0, -signal.SIGINT) or not os.path.exists(data):
            print(f'where the time goes: perf record failed: {err.decode(errors="replace").strip()}')
            return
        print('where the daemon\'s time goes (perf, one more round, self time):')
        benchlib.print_perf_report(perf, data, top)


def main():
    refusal = uf.refusal('bench-uevents')
    if refusal:
        print(refusal, file=sys.stderr)
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
        if os.environ.get('BENCH_PROFILE', '1') != '0':
            where_the_time_goes(env.daemon.proc.pid, events, group)
    print(f'ratio hotplugd / bare over {len(ratios)} rounds: median {statistics.median(ratios):.2f} '
          f'(min {min(ratios):.2f}, max {max(ratios):.2f}; netlink group {group})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
