#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon at rest on the simulated 'default' machine (run under
hotplug-sim, see bench/run idle): its wake-ups over BENCH_IDLE_SECONDS
(default 60) once it owns its name and has settled, counted as the context
switches of all its threads, and its private dirty memory.  Beside each, a
`sleep` started at the same time (the floor: a process that never wakes)
and the limit: 0 wake-ups, 1 MB private dirty.

Where the wake-ups came from: by thread (hotplugd: the main loop; gdbus:
GLib's bus worker; gmain: GLib's worker for signals and child processes;
pool-*: worker threads, a blockers scan or a kernel write), the threads
sampled every 0.1 s so that one which came and went is counted too; and the
changes of the mount table and of the swap areas seen meanwhile (each one
wakes the daemon, as it should: on a shared machine other programs make
them)."""
import os
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

SECONDS = float(os.environ.get('BENCH_IDLE_SECONDS', '60'))


def switches(pid):
    """(tid, thread name) → context switches of each thread of pid"""
    out = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/status') as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            continue
        name = lines[0].split(None, 1)[1] if lines and lines[0].startswith('Name:') else '?'
        out[(tid, name)] = sum(int(line.split()[1]) for line in lines
                               if line.startswith(('voluntary_ctxt_switches:', 'nonvoluntary_ctxt_switches:')))
    return out


def watch(pid, seconds):
    """Samples the threads of pid every 0.1 s for seconds: (tid, name) →
    the last count of switches seen, the threads that ended having a count
    of their own end added; and the changes of the mount table and of the
    swap areas announced meanwhile"""
    seen = switches(pid)
    ended = {}
    files = [open(path) for path in ('/proc/self/mountinfo', '/proc/swaps')]
    poll = select.poll()
    for f in files:
        f.read()
        poll.register(f, select.POLLPRI | select.POLLERR)
    changes = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for fd, _ in poll.poll(100):
            changes += 1
            f = next(f for f in files if f.fileno() == fd)
            f.seek(0)
            f.read()
        now = switches(pid)
        for key in seen:
            if key not in now:
                ended[key] = seen[key] + 1
        seen.update(now)
        for key in ended:
            seen.pop(key, None)
    for f in files:
        f.close()
    return {**seen, **{(tid, name + ' (ended)'): n for (tid, name), n in ended.items()}}, changes


def by_thread(before, after):
    """thread name → wake-ups, for the threads that woke (after: from
    watch, the ended threads named so)"""
    out = {}
    for (tid, name), n in after.items():
        n -= before.get((tid, name.removesuffix(' (ended)')), 0)
        if n:
            out[name] = out.get(name, 0) + n
    return out


def wakeups(before, after):
    """The switches between two readings: a thread that came counts all of
    its own, one that went at least the one of its end."""
    return (sum(n - before.get(tid, 0) for tid, n in after.items()) +
            sum(1 for tid in before if tid not in after))


def private_dirty_kb(pid):
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            if line.startswith('Private_Dirty:'):
                return int(line.split()[1])
    return 0


def main():
    if not ht.in_simulator():
        print('bench-idle must run under hotplug-sim (use bench/run idle)', file=sys.stderr)
        return 2
    with ht.Environment(polkit='allow') as env:
        pid = env.daemon.proc.pid
        time.sleep(3)  # start-up's own timers (a first blockers refresh) are over
        floor = subprocess.Popen(['sleep', str(SECONDS + 5)])
        time.sleep(0.2)
        d0, f0 = switches(pid), switches(floor.pid)
        d1, changes = watch(pid, SECONDS)
        f1 = switches(floor.pid)
        dirty, floor_dirty = private_dirty_kb(pid), private_dirty_kb(floor.pid)
        floor.kill()
        floor.wait()
    print(f'idle {SECONDS:.0f} s on the default machine')
    print(f'wake-ups (context switches, all threads): hotplugd {sum(by_thread(d0, d1).values())}, '
          f'sleep {wakeups(f0, f1)}; limit 0')
    woke = by_thread(d0, d1)
    if woke:
        print('  by thread: ' + ', '.join(f'{name} {n}' for name, n in sorted(woke.items())))
    print(f'  changes of the mount table or the swap areas meanwhile (each wakes hotplugd): {changes}')
    print(f'private dirty memory: hotplugd {dirty / 1024:.2f} MB, sleep {floor_dirty / 1024:.2f} MB; limit 1 MB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
