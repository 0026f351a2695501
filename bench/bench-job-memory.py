#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Memory and descriptors of the daemon over many requests (simulated
'default' machine), run as hotplugd.service runs it:
  1. DENIED requests from an unprivileged caller (user nobody, polkit
     saying no): Remove of cpu3, every reply must be NotAuthorized;
  2. N dry-run removes of cpu3 as root, one after the other, all lingering
     on the bus (job-linger LINGER s), then the wait until they expired.
Prints the daemon's resident memory (total and anonymous) and open
descriptors at the start, after the denials, at the peak and after expiry,
and whether the target holds: back within 1 MB and 0 descriptors of the
start; and where the resident memory changed, by mapping ([heap]: the main
malloc heap; anonymous ones: thread stacks, other malloc arenas).  Run
under hotplug-sim (bench/run jobmem [N [DENIED]])."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
DENIED = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
LINGER = int(os.environ.get('BENCH_LINGER', '30'))
PROPS = 'org.freedesktop.DBus.Properties'
NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
TARGET_KB = 1024

# what the unprivileged caller runs: DENIED removes, counting the replies
DENIER = r'''
import sys
from gi.repository import Gio, GLib
conn = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
n = int(sys.argv[1]); denied = 0; other = {}
for _ in range(n):
    try:
        conn.call_sync('org.hotplugd.Hotplug1', '/org/hotplugd/Hotplug1/unit/cpu3',
                       'org.hotplugd.Hotplug1.Unit', 'Remove',
                       GLib.Variant('(a{sv})', ({},)), None, Gio.DBusCallFlags.NONE, 30000, None)
        other['success'] = other.get('success', 0) + 1
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e) or e.message
        if name == 'org.hotplugd.Hotplug1.Error.NotAuthorized':
            denied += 1
        else:
            other[name] = other.get(name, 0) + 1
print(denied, repr(other))
'''


def memory(pid):
    """(VmRSS, RssAnon) in kB"""
    values = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            key = line.split(':')[0]
            if key in ('VmRSS', 'RssAnon'):
                values[key] = int(line.split()[1])
    return values['VmRSS'], values['RssAnon']


def mappings(pid):
    """start address → (what, resident kB) of each mapping of pid"""
    out = {}
    with open(f'/proc/{pid}/smaps') as f:
        for text in f:
            parts = text.split()
            if re.match(r'^[0-9a-f]+-[0-9a-f]+$', parts[0]):
                lo, hi = (int(x, 16) for x in parts[0].split('-'))
                name = parts[5] if len(parts) > 5 else f'anonymous {(hi - lo) // 1024} kB'
                start = parts[0].split('-')[0]
                out[start] = [os.path.basename(name) if name.startswith('/') else name, 0]
            elif parts[0] == 'Rss:':
                out[start][1] = int(parts[1])
    return out


def growth(before, after):
    """Where resident memory grew between two readings: mapping → kB"""
    out = {}
    for start, (what, kb) in after.items():
        d = kb - before.get(start, (what, 0))[1]
        if d:
            out[f'{what} @{start}'] = d
    for start, (what, kb) in before.items():
        if start not in after and kb:
            out[f'{what} @{start} (gone)'] = -kb
    return sorted(out.items(), key=lambda x: -abs(x[1]))


def fds(pid):
    return len(os.listdir(f'/proc/{pid}/fd'))


def deny_as_nobody(env, count):
    env.polkit.set_allowed(False)
    try:
        r = subprocess.run(NOBODY + ['/usr/bin/python3', '-c', DENIER, str(count)],
                           capture_output=True, text=True, timeout=600, cwd='/')
    finally:
        env.polkit.set_allowed(True)
    if r.returncode != 0:
        raise RuntimeError('the unprivileged caller failed: ' + r.stderr[-2000:])
    denied, other = r.stdout.split(' ', 1)
    if int(denied) != count:
        raise RuntimeError(f'{count} requests, {denied} refused as NotAuthorized, the others: {other}')


def run_jobs(conn, count):
    for _ in range(count):
        job = ht.call(conn, ht.unit_path('cpu3'), ht.UNIT_IFACE, 'Remove',
                      GLib.Variant('(a{sv})', ({'dry-run': GLib.Variant('b', True)},)))[0]
        while ht.call(conn, job, PROPS, 'Get', GLib.Variant('(ss)', (ht.JOB_IFACE, 'State')))[0] == 'running':
            time.sleep(0.001)


def jobs_left(conn):
    return sum(1 for path, ifaces in ht.managed_objects(conn).items() if ht.JOB_IFACE in ifaces)


def line(what, m, fd, start=None):
    text = f'{what:<22} resident {m[0] / 1024:6.1f} MB (anonymous {m[1] / 1024:5.1f} MB)  descriptors {fd:4d}'
    if start:
        text += f'   {(m[0] - start[0][0]) / 1024:+.1f} MB, {fd - start[1]:+d}'
    print(text, flush=True)


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
            start = (memory(pid), fds(pid))
            maps0 = mappings(pid)
            line('start', *start)
            t0 = time.monotonic()
            deny_as_nobody(env, DENIED)
            line(f'{DENIED} denied', memory(pid), fds(pid), start)
            t1 = time.monotonic()
            run_jobs(conn, N)
            line(f'{N} jobs (peak)', memory(pid), fds(pid), start)
            t2 = time.monotonic()
            ht.wait_until(lambda: jobs_left(conn) == 0, LINGER + 60, 'the jobs to expire')
            time.sleep(2)
            after = (memory(pid), fds(pid))
            line('after expiry', *after, start)
            grown = growth(maps0, mappings(pid))
            conn.close_sync(None)
    print(f'{DENIED} denied requests in {t1 - t0:.1f} s; {N} jobs in {t2 - t1:.1f} s, lingering {LINGER} s')
    if grown:
        print('where resident memory changed from the start (mapping: kB): ' +
              ', '.join(f'{what} {kb:+d}' for what, kb in grown[:6]) +
              (f', {len(grown) - 6} more {sum(kb for _, kb in grown[6:]):+d}' if len(grown) > 6 else ''))
    grew = after[0][0] - start[0][0]
    met = grew <= TARGET_KB and after[1] - start[1] <= 0
    print(f'target (back within {TARGET_KB // 1024} MB and 0 descriptors of the start): '
          f'{"met" if met else "NOT met"} ({grew / 1024:+.1f} MB, {after[1] - start[1]:+d})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
