#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The cost of a job's step on the REAL kernel (not under the simulator):
Unit.Remove and Unit.Add of cpu1 as jobs with no hooks, timed as a client
sees them (from the call to the job's State signal), against the bare write
of 0 and 1 to /sys/devices/system/cpu/cpu1/online in the same run, the two
taking turns going first.  The bare writes are made with the daemon stopped
(SIGSTOP): its handling of their uevents would slow them and flatter the
difference.  Then where a job's time goes: the gaps between its signals
(call, StepStarted, StepFinished, State) and, with perf, the daemon's CPU
time per job and its top functions (BENCH_PROFILE=0: not).

Needs root; takes /tmp/hotplugd-realkernel.lock (or runs under whoever
holds it: flock /tmp/hotplugd-realkernel.lock bench/run cpu).  cpu1 is always put back online; where it is not hot-pluggable the
bench says why and does nothing."""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402
import benchlib  # noqa: E402

from gi.repository import GLib  # noqa: E402

CPU1 = '/sys/devices/system/cpu/cpu1/online'
UNIT = '/org/hotplugd/Hotplug1/unit/cpu1'
UNIT_IFACE = 'org.hotplugd.Hotplug1.Unit'
ROUNDS = int(os.environ.get('BENCH_ROUNDS', '20'))
PROFILE_JOBS = int(os.environ.get('BENCH_PROFILE_JOBS', '20'))


def skip_reason():
    if os.geteuid() != 0:
        return 'needs root to write ' + CPU1
    if ht.in_simulator():
        return 'runs on the real kernel, not under hotplug-sim'
    if not os.path.exists(CPU1):
        return 'cpu1 is not hot-pluggable here (no ' + CPU1 + ')'
    with open(CPU1) as f:
        if f.read().strip() != '1':
            return 'cpu1 is offline before the bench; not touching it'
    return None


def write_cpu1(value):
    with open(CPU1, 'w') as f:
        f.write(value)


def restore_cpu1():
    for _ in range(100):
        try:
            with open(CPU1) as f:
                if f.read().strip() == '1':
                    return
            write_cpu1('1')
        except OSError:
            pass
        time.sleep(0.1)
    print('bench-cpu: cpu1 could not be put back online', file=sys.stderr)


def restore_on_signal(signum, frame):
    try:
        restore_cpu1()
    finally:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


class Jobs:
    """Runs cpu1's jobs through a private bus connection; a SignalRecorder
    (its own thread and connection) stamps the job's signals on arrival."""

    def __init__(self):
        self.conn = ht.bus_connect()
        self.rec = ht.SignalRecorder(members=('PropertiesChanged', 'StepStarted', 'StepFinished'))

    def state(self):
        return ht.call(self.conn, UNIT, 'org.freedesktop.DBus.Properties', 'Get',
                       GLib.Variant('(ss)', (UNIT_IFACE, 'State')))[0]

    def wait_state(self, want):
        ht.wait_until(lambda: self.state() == want, 10, f'cpu1 {want} on the bus')

    def run(self, method):
        """(ms from the call to the job's end signal, the job's timeline)"""
        self.rec.clear()
        t0 = time.monotonic()
        job = ht.call(self.conn, UNIT, UNIT_IFACE, method, GLib.Variant('(a{sv})', ({},)))[0]
        t_call = time.monotonic()

        def ended(evs):
            for e in evs:
                if e[2] == job and e[4] == 'PropertiesChanged' and e[5][1].get('State', 'running') != 'running':
                    return e
            return None
        end = self.rec.wait(ended, 30)
        if end is None:
            raise RuntimeError(f'{method} cpu1: no end within 30 s')
        if end[5][1]['State'] != 'succeeded':
            raise RuntimeError(f'{method} cpu1: {end[5][1]["State"]}: {end[5][1].get("Reason", "")}')
        marks = [('call returned', t_call)]
        for e in self.rec.snapshot():
            if e[2] != job or e[0] > end[0]:
                continue
            if e[4] == 'StepStarted':
                marks.append((f'step {e[5][1]} started ({e[5][2]})', e[0]))
            elif e[4] == 'StepFinished':
                marks.append((f'step {e[5][0]} finished', e[0]))
        marks.append(('State signal', end[0]))
        marks.sort(key=lambda m: m[1])
        timeline, last = [], t0
        for name, t in marks:
            timeline.append((name, (t - last) * 1000.0))
            last = t
        return (end[0] - t0) * 1000.0, timeline

    def close(self):
        self.rec.stop()


def bare(daemon_pid):
    """The two writes timed with the daemon stopped; (off ms, on ms)."""
    os.kill(daemon_pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        write_cpu1('0')
        t1 = time.monotonic()
        write_cpu1('1')
        t2 = time.monotonic()
    finally:
        restore_cpu1()
        os.kill(daemon_pid, signal.SIGCONT)
    return (t1 - t0) * 1000.0, (t2 - t1) * 1000.0


def median_timeline(timelines):
    """Per mark, the median of its gap over the rounds (marks as in the first)."""
    names = [n for n, _ in timelines[0]]
    same = [t for t in timelines if [n for n, _ in t] == names]
    return [(n, statistics.median(t[i][1] for t in same)) for i, n in enumerate(names)], len(same)


def perf_profile(pid, jobs, top=14):
    """PROFILE_JOBS more Remove/Add pairs with perf sampling the daemon: its
    CPU time per job and its top functions (self time)."""
    perf = shutil.which('perf')
    if perf is None:
        print('where the daemon\'s CPU time goes: perf is not installed')
        return
    with tempfile.TemporaryDirectory(prefix='bench-cpu-') as tmp:
        data = os.path.join(tmp, 'perf.data')
        rec = subprocess.Popen([perf, 'record', '-q', '-F', '10000', '-p', str(pid), '-o', data],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stat = subprocess.Popen([perf, 'stat', '-x', ',', '-e', 'task-clock', '-p', str(pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.3)
        try:
            for _ in range(PROFILE_JOBS):
                jobs.run('Remove')
                jobs.run('Add')
        finally:
            restore_cpu1()
            stat.send_signal(signal.SIGINT)
            rec.send_signal(signal.SIGINT)
            _, serr = stat.communicate(timeout=60)
            _, err = rec.communicate(timeout=60)
        clock = [line.split(',') for line in serr.decode(errors='replace').splitlines() if 'task-clock' in line]
        if clock:
            ms = float(clock[0][0])
            print(f'daemon CPU time (perf stat task-clock, {2 * PROFILE_JOBS} jobs): '
                  f'{ms / (2 * PROFILE_JOBS):.2f} ms per job')
        if rec.returncode not in (0, -signal.SIGINT) or not os.path.exists(data):
            print(f'perf record failed: {err.decode(errors="replace").strip()}')
            return
        print('where the daemon\'s CPU time goes (perf, self time):')
        benchlib.print_perf_report(perf, data, top, '1.5')


def measure(env, jobs):
    pid = env.daemon.proc.pid
    base_off, base_on, rem, add, tl_rem, tl_add = [], [], [], [], [], []

    def run_bare():
        off, on = bare(pid)
        base_off.append(off)
        base_on.append(on)
        time.sleep(0.05)        # the daemon takes the queued uevents
        jobs.wait_state('online')

    def run_jobs():
        ms, tl = jobs.run('Remove')
        rem.append(ms)
        tl_rem.append(tl)
        ms, tl = jobs.run('Add')
        add.append(ms)
        tl_add.append(tl)

    jobs.wait_state('online')
    for i in range(ROUNDS):
        for run in ((run_bare, run_jobs) if i % 2 == 0 else (run_jobs, run_bare)):
            run()
    m = statistics.median
    print(f'cpu1 on the real kernel, no hooks; {ROUNDS} rounds, medians (ms)')
    print(f'bare write 0 to cpu1/online:        {m(base_off):7.2f}')
    print(f'hotplugd Remove job (call to end):  {m(rem):7.2f}   +{m(rem) - m(base_off):.2f} ms   '
          f'ratio {m(rem) / m(base_off):.2f}   (target: at most +1 ms)')
    print(f'bare write 1 to cpu1/online:        {m(base_on):7.2f}')
    print(f'hotplugd Add job (call to end):     {m(add):7.2f}   +{m(add) - m(base_on):.2f} ms   '
          f'ratio {m(add) / m(base_on):.2f}   (target: at most +1 ms)')
    for name, tls in (('Remove', tl_rem), ('Add', tl_add)):
        tl, n = median_timeline(tls)
        print(f'where a {name} job\'s time goes, as the client sees it (median gap before each signal, '
              f'{n} rounds):')
        for mark, ms in tl:
            print(f'  {ms:7.2f}  {mark}')


def main():
    with benchlib.realkernel_lock():
        return locked_main()


def locked_main():
    reason = skip_reason()
    if reason:
        print(f'bench-cpu: skipped: {reason}')
        return 0
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, restore_on_signal)
    try:
        with benchlib.daemon_without_hooks('[daemon]\njob-linger=600\n') as env:
            jobs = Jobs()
            try:
                measure(env, jobs)
                if os.environ.get('BENCH_PROFILE', '1') != '0':
                    perf_profile(env.daemon.proc.pid, jobs)
            finally:
                restore_cpu1()
                jobs.close()
    finally:
        restore_cpu1()
    return 0


if __name__ == '__main__':
    sys.exit(main())
