#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Orchestration overhead of removing and adding one system board of the
simulated 'large' machine (kernel delay 0, no hooks): hotplugd's Remove and
Add jobs (Job.StartTime to EndTime) against bench-board, a bare program that
takes the same kernel actions (the board's CPUs and memory blocks, then the
container's offline and eject; the add's blocks and CPUs) and waits for each
uevent, in the same run: the bare program while the daemon is stopped, the
two taking turns going first.  Then where a job's time goes,
from its StepStarted and StepFinished signals: the kernel steps (the write
and its uevent), the daemon's time between two steps, the hooks and the
eject.  Run under hotplug-sim (bench/run board)."""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402
import benchlib  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '3'))
BOARD = os.environ.get('BENCH_BOARD', 'sb1')
UNIT_IFACE = 'org.hotplugd.Hotplug1.Unit'
JOB_IFACE = 'org.hotplugd.Hotplug1.Job'


def bus():
    return Gio.DBusConnection.new_for_address_sync(
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'],
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)


def call(conn, path, iface, method, args=None, reply=None):
    return conn.call_sync(ht.BUS_NAME, path, iface, method, args, reply, Gio.DBusCallFlags.NONE, 120000, None).unpack()


def prop(conn, path, iface, name):
    return call(conn, path, 'org.freedesktop.DBus.Properties', 'Get', GLib.Variant('(ss)', (iface, name)))[0]


def unit_path(conn, uid):
    try:
        return call(conn, '/org/hotplugd/Hotplug1', 'org.hotplugd.Hotplug1.Manager', 'GetUnit',
                    GLib.Variant('(s)', (uid,)))[0]
    except GLib.Error:
        return None


def run_job(conn, path, method, rec=None):
    if rec:
        rec.clear()
    job = call(conn, path, UNIT_IFACE, method, GLib.Variant('(a{sv})', ({},)))[0]
    while prop(conn, job, JOB_IFACE, 'State') == 'running':
        time.sleep(0.02)
    state = prop(conn, job, JOB_IFACE, 'State')
    if state != 'succeeded':
        raise RuntimeError(f'{method} {BOARD}: {state}: {prop(conn, job, JOB_IFACE, "Reason")}')
    ms = (prop(conn, job, JOB_IFACE, 'EndTime') - prop(conn, job, JOB_IFACE, 'StartTime')) / 1000.0
    if rec:
        rec.wait(lambda evs: any(e[2] == job and e[4] == 'StepFinished' and e[5][0] == last_index(evs, job)
                                 for e in evs), 10)
        return ms, split(rec.snapshot(), job)
    return ms


def last_index(evs, job):
    started = [e[5][1] for e in evs if e[2] == job and e[4] == 'StepStarted']
    return max(started) if started else -1


def split(evs, job):
    """ms of the job by what it did, from its signals as they arrived:
    kernel steps (StepStarted to StepFinished), the daemon between two
    steps (StepFinished to the next StepStarted), hooks, the eject."""
    parts = {'kernel steps': 0.0, 'between steps': 0.0, 'hooks': 0.0, 'eject': 0.0}
    started, last_end, n = {}, None, 0
    for t, _, p, _, member, args in evs:
        if p != job:
            continue
        if member == 'StepStarted':
            started[args[1]] = (t, args[2])
            if last_end is not None:
                parts['between steps'] += (t - last_end) * 1000.0
        elif member == 'StepFinished' and args[0] in started:
            t0, what = started[args[0]]
            key = 'hooks' if what.startswith('run the') else 'eject' if what.startswith('eject') else 'kernel steps'
            parts[key] += (t - t0) * 1000.0
            n += key == 'kernel steps'
            last_end = t
    parts['steps'] = n
    return parts


def arrived(cpu_list, first, last, container, timeout=60):
    """The inserted board in sysfs (the daemon stopped): the container
    online, every CPU and memory block of it there."""
    paths = ([f'/sys/devices/system/cpu/cpu{n}/online' for n in cpu_list] +
             [f'/sys/devices/system/memory/memory{n}/state' for n in range(first, last + 1)])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (ht.read_sysfs(f'/sys/devices/system/container/{container}/online') == '1' and
                    all(os.path.exists(p) for p in paths)):
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f'{BOARD}: not back in sysfs {timeout} s after its insert')


def report(ncpus, nblocks, base_off, base_on, rem, add, parts):
    steps = ncpus + nblocks
    m = statistics.median
    print(f'board {BOARD}: {ncpus} CPUs, {nblocks} memory blocks ({steps} kernel steps each way); '
          f'{ROUNDS} rounds, medians')
    print(f'bare program, offline CPUs, memory, eject:   {m(base_off):8.1f} ms '
          f'({m(base_off) * 1000 / steps:6.1f} us per CPU or block)')
    print(f'hotplugd Remove job (+ container, eject):    {m(rem):8.1f} ms '
          f'({m(rem) * 1000 / steps:6.1f} us per CPU or block)   ratio {m(rem) / m(base_off):.2f}')
    print(f'bare program, online memory and CPUs:        {m(base_on):8.1f} ms '
          f'({m(base_on) * 1000 / steps:6.1f} us per CPU or block)')
    print(f'hotplugd Add job:                             {m(add):8.1f} ms '
          f'({m(add) * 1000 / steps:6.1f} us per CPU or block)   ratio {m(add) / m(base_on):.2f}')
    for name, base in (('Remove', m(base_off)), ('Add', m(base_on))):
        got = parts[name]
        n = m(p['steps'] for p in got)
        print(f'where the {name} job\'s time goes (its signals as a client receives them, medians):')
        for key in ('kernel steps', 'between steps', 'hooks', 'eject'):
            ms = m(p[key] for p in got)
            extra = (f' ({ms * 1000 / n:6.1f} us each; the bare program\'s whole job: '
                     f'{base * 1000 / steps:6.1f} us per CPU or block)'
                     if key == 'kernel steps' and n else
                     f' ({ms * 1000 / max(n, 1):6.1f} us per step)' if key == 'between steps' else '')
            print(f'  {key + ":":15s} {ms:8.1f} ms{extra}')


def main():
    if not ht.in_simulator():
        print('bench-board must run under hotplug-sim (use bench/run board)', file=sys.stderr)
        return 2
    with benchlib.daemon_without_hooks('[daemon]\nauto-add=false\njob-linger=600\n') as env:
        conn = bus()
        path = unit_path(conn, BOARD)
        cpus = prop(conn, path, UNIT_IFACE, 'Cpus')
        ranges = prop(conn, path, UNIT_IFACE, 'MemoryRanges')
        container = os.path.basename(prop(conn, path, UNIT_IFACE, 'SysfsPath'))
        first, _, last = ranges.partition('-')
        cpu_list = ht.parse_list(cpus)
        ncpus = len(cpu_list)
        nblocks = int(last) - int(first) + 1
        base_off, base_on, rem, add = [], [], [], []
        rec = ht.SignalRecorder(members=('StepStarted', 'StepFinished'))
        parts = {'Remove': [], 'Add': []}

        def bare_run(mode):
            r = subprocess.run([ht.build_path('bench', 'bench-board'), mode, cpus, first, last, container],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f'bench-board {mode} failed: {r.stderr.strip()}')
            return float(r.stdout.split()[1])

        def bare():
            # with the daemon stopped: a daemon handling every uevent the
            # bare program causes would slow it and flatter the ratio
            env.daemon.stop()
            try:
                base_off.append(bare_run('off'))
                ht.sim_ctl('insert', BOARD)
                arrived(cpu_list, int(first), int(last), container)
                base_on.append(bare_run('on'))
            finally:
                env.daemon.start()

        def daemon():
            ms, split_ms = run_job(conn, path, 'Remove', rec)
            rem.append(ms)
            parts['Remove'].append(split_ms)
            ht.sim_ctl('insert', BOARD)
            # the ejected board kept its place (absent): wait for the part
            # inserted there to show, every CPU and memory block of it: an
            # Add started before would also pay for the arrival
            deadline = time.monotonic() + 60
            while (prop(conn, path, UNIT_IFACE, 'State') == 'absent' or
                   prop(conn, path, UNIT_IFACE, 'Cpus') != cpus or
                   prop(conn, path, UNIT_IFACE, 'MemoryRanges') != ranges) and time.monotonic() < deadline:
                time.sleep(0.05)
            # the last uevents of the arrival, and the blockers' refresh
            # after it (at most 2 s after the first change it follows)
            time.sleep(3)
            ms, split_ms = run_job(conn, path, 'Add', rec)
            add.append(ms)
            parts['Add'].append(split_ms)

        # the two take turns going first: neither always meets a warm cache
        for i in range(ROUNDS):
            for run in ((bare, daemon) if i % 2 == 0 else (daemon, bare)):
                run()
        rec.stop()
        report(ncpus, nblocks, base_off, base_on, rem, add, parts)
    return 0


if __name__ == '__main__':
    sys.exit(main())
