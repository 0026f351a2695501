#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Memory and descriptors of the daemon over many finished jobs (simulated
'default' machine): N dry-run removes of cpu3, one after the other, all
lingering on the bus (job-linger LINGER s), then the wait until they
expired; prints the daemon's resident memory and open descriptors before,
at the peak and after, against the start.  Run under hotplug-sim (bench/run
jobmem [N])."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
LINGER = int(os.environ.get('BENCH_LINGER', '30'))
PROPS = 'org.freedesktop.DBus.Properties'


def rss_kb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f'/proc/{pid}/fd'))


def main():
    if not ht.in_simulator():
        print('bench-job-memory must run under hotplug-sim (use bench/run jobmem)', file=sys.stderr)
        return 2
    with tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
        conf.write(f'[daemon]\njob-linger={LINGER}\n')
        conf.flush()
        with ht.Environment(polkit='allow', daemon_args=['--config', conf.name]) as env:
            conn = ht.bus_connect()
            pid = env.daemon.proc.pid
            time.sleep(1)
            rss0, fd0 = rss_kb(pid), fds(pid)
            t0 = time.monotonic()
            for _ in range(N):
                job = ht.call(conn, ht.unit_path('cpu3'), ht.UNIT_IFACE, 'Remove',
                              GLib.Variant('(a{sv})', ({'dry-run': GLib.Variant('b', True)},)))[0]
                while ht.call(conn, job, PROPS, 'Get', GLib.Variant('(ss)', (ht.JOB_IFACE, 'State')))[0] == 'running':
                    time.sleep(0.001)
            rss1, fd1 = rss_kb(pid), fds(pid)
            elapsed = time.monotonic() - t0
            time.sleep(LINGER + 3)
            rss2, fd2 = rss_kb(pid), fds(pid)
            conn.close_sync(None)
    print(f'{N} jobs in {elapsed:.1f} s, lingering {LINGER} s')
    print(f'resident memory  start {rss0 / 1024:6.1f} MB  peak {rss1 / 1024:6.1f} MB  '
          f'after expiry {rss2 / 1024:6.1f} MB  (+{(rss2 - rss0) / 1024:.1f} MB)')
    print(f'descriptors      start {fd0:6d}     peak {fd1:6d}     after expiry {fd2:6d}     ({fd2 - fd0:+d})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
