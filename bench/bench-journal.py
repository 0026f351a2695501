#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the crash journal costs and what recovery takes, on one system
board of the simulated 'large' machine (kernel delay 0, no hooks):

- the Remove job (Job.StartTime to EndTime) of a daemon that journals
  every step, against the same daemon started with --no-journal, rounds
  alternating in the same run (goal: at most 5 % slower);
- recovery after a SIGKILL in the middle of the remove (half the CPUs
  offline): from the new daemon's exec to the end of its recovery job,
  and that job's own duration, against rolling back the same point of the
  same remove in process with Job.Cancel.
Run under hotplug-sim (bench/run journal)."""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib.util  # noqa: E402
_spec = importlib.util.spec_from_file_location('bench_board', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                           'bench-board.py'))
bb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bb)

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '3'))
BOARD = os.environ.get('BENCH_BOARD', 'sb1')
CPU = '/sys/devices/system/cpu/cpu{}/online'


def cpus_of(conn, path):
    text = bb.prop(conn, path, bb.UNIT_IFACE, 'Cpus')
    out = []
    for part in text.split(','):
        a, _, b = part.partition('-')
        out.extend(range(int(a), int(b or a) + 1))
    return out


def wait_present(conn):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        path = bb.unit_path(conn, BOARD)
        if path and bb.prop(conn, path, bb.UNIT_IFACE, 'State') in ('offline', 'online'):
            return path
        time.sleep(0.05)
    raise RuntimeError(f'{BOARD} did not come back')


def remove_add(env, journal):
    """One Remove and Add of the board; returns the Remove job's ms."""
    conn = bb.bus()
    path = bb.unit_path(conn, BOARD)
    ms = bb.run_job(conn, path, 'Remove')
    ht.sim_ctl('insert', BOARD)
    time.sleep(0.5)
    path = wait_present(conn)
    bb.run_job(conn, path, 'Add')
    conn.close_sync(None)
    return ms


def half_offline(conn, path):
    cpus = [c for c in cpus_of(conn, path) if os.path.exists(CPU.format(c))]
    job = bb.call(conn, path, bb.UNIT_IFACE, 'Remove', GLib.Variant('(a{sv})', ({},)))[0]
    while sum(ht.read_sysfs(CPU.format(c)) == '0' for c in cpus) < len(cpus) // 2:
        time.sleep(0.001)
    return job


def job_ms(conn, job):
    while bb.prop(conn, job, bb.JOB_IFACE, 'State') == 'running':
        time.sleep(0.01)
    return (bb.prop(conn, job, bb.JOB_IFACE, 'EndTime') - bb.prop(conn, job, bb.JOB_IFACE, 'StartTime')) / 1000.0


def recovery_round(env):
    conn = bb.bus()
    path = bb.unit_path(conn, BOARD)
    half_offline(conn, path)
    env.daemon.kill()
    t0 = GLib.get_real_time()
    env.daemon.start()
    conn.close_sync(None)
    conn = bb.bus()
    job = None
    deadline = time.monotonic() + 60
    while job is None:
        if time.monotonic() > deadline:
            raise RuntimeError('no recovery job within 60 s')
        for p, ifaces in ht.managed_objects(conn).items():
            j = ifaces.get(bb.JOB_IFACE)
            if j and j['Initiator'] == 'recovery':
                job = p
        time.sleep(0.01)
    own = job_ms(conn, job)
    total = (bb.prop(conn, job, bb.JOB_IFACE, 'EndTime') - t0) / 1000.0
    state = bb.prop(conn, job, bb.JOB_IFACE, 'State')
    conn.close_sync(None)
    if state != 'failed':
        raise RuntimeError(f'recovery job ended {state}')
    return total, own


def cancel_round():
    conn = bb.bus()
    path = bb.unit_path(conn, BOARD)
    job = half_offline(conn, path)
    t0 = GLib.get_real_time()
    bb.call(conn, job, bb.JOB_IFACE, 'Cancel')
    job_ms(conn, job)
    ms = (bb.prop(conn, job, bb.JOB_IFACE, 'EndTime') - t0) / 1000.0
    conn.close_sync(None)
    return ms


def main():
    only_cost = os.environ.get('BENCH_JOURNAL_COST_ONLY') == '1'
    if not ht.in_simulator():
        print('bench-journal must run under hotplug-sim (use bench/run journal)', file=sys.stderr)
        return 2
    conf = tempfile.NamedTemporaryFile('w', suffix='.conf', delete=False)
    conf.write('[daemon]\nauto-add=false\njob-linger=600\n')
    conf.close()
    hooks = tempfile.mkdtemp()
    env_vars = {'HOTPLUG_HOOKS_DIR': hooks}
    try:
        with_j, without = [], []
        for _ in range(ROUNDS):
            for journal, into in ((False, without), (True, with_j)):
                args = ['--config', conf.name] + ([] if journal else ['--no-journal'])
                with ht.Environment(polkit='allow', daemon_args=args, daemon_env=env_vars) as env:
                    into.append(remove_add(env, journal))
        m = statistics.median
        print(f'board {BOARD}: Remove job, {ROUNDS} rounds each, medians')
        print(f'without the journal (--no-journal):   {m(without):8.1f} ms')
        print(f'with the journal:                     {m(with_j):8.1f} ms   ratio {m(with_j) / m(without):.3f}')
        if only_cost:
            return 0
        rec, own, canc = [], [], []
        for _ in range(ROUNDS):
            with ht.Environment(polkit='allow', daemon_args=['--config', conf.name], daemon_env=env_vars) as env:
                canc.append(cancel_round())
                total, o = recovery_round(env)
                rec.append(total)
                own.append(o)
        print(f'rollback of a half-done remove, in process (Cancel):     {m(canc):8.1f} ms')
        print(f'recovery after SIGKILL (exec to recovery job end):        {m(rec):8.1f} ms   ratio {m(rec) / m(canc):.2f}')
        print(f'  of which the recovery job itself:                       {m(own):8.1f} ms   ratio {m(own) / m(canc):.2f}')
    finally:
        os.unlink(conf.name)
        os.rmdir(hooks)
    return 0


if __name__ == '__main__':
    sys.exit(main())
