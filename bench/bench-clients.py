#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A board of the simulated 'large' machine removed (eject=false) and added
back as hotplugd jobs (Job.StartTime to EndTime) while 100 bus clients
(BENCH_CLIENTS) follow every signal and read properties again and again,
against the same jobs with no client, in the same run, the two taking turns
going first; the clients' read latency (Get, GetAll, GetManagedObjects)
during the jobs; and where the time goes: CPU seconds of hotplugd, of the
bus daemon and of the clients' process, and the signals delivered.  Run
under hotplug-sim (bench/run clients)."""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402
import clientfleet as cf  # noqa: E402

from gi.repository import GLib  # noqa: E402

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '3'))
CLIENTS = int(os.environ.get('BENCH_CLIENTS', '100'))
BOARD = os.environ.get('BENCH_BOARD', 'sb1')
TICK = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rpartition(')')[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def own_cpu():
    t = os.times()
    return t.user + t.system


def one_round(env, n):
    """Remove and Add of the board with N clients; the figures."""
    board = ht.unit_path(BOARD)
    fleet = cf.Fleet(n, board)
    op = cf.Operator(fleet, board)
    try:
        fleet.read_initial()
        pids = (env.daemon.proc.pid, env.bus.proc.pid)
        cpu0 = [cpu_seconds(p) for p in pids] + [own_cpu()]
        probe = cf.Probe(board)
        fleet.start_reading()
        jobs = op.run_jobs([('Remove', {'eject': GLib.Variant('b', False)}), ('Add', {})])
        fleet.stop_reading()
        probed = probe.stop()
        t0, t1 = jobs[0][2], jobs[1][3]
        for job, props, _, _ in jobs:
            if props['State'] != 'succeeded':
                raise RuntimeError(f'{job}: {props["State"]}: {props["Reason"]}')
        cpu1 = [cpu_seconds(p) for p in pids] + [own_cpu()]
        lat = fleet.latencies(t0, t1)
        errors = sum(len(c.errors) for c in fleet.clients)
        fleet.settle(lambda: True, timeout=120)
        return dict(remove=(jobs[0][1]['EndTime'] - jobs[0][1]['StartTime']) / 1e6,
                    add=(jobs[1][1]['EndTime'] - jobs[1][1]['StartTime']) / 1e6,
                    cpu=[b - a for a, b in zip(cpu0, cpu1)], signals=fleet.signals, lat=lat, errors=errors,
                    probe={k: [d for t, d in v if t0 <= t <= t1] for k, v in probed.items()})
    finally:
        op.close()
        fleet.close()


def main():
    if not ht.in_simulator():
        print('bench-clients must run under hotplug-sim (use bench/run clients)', file=sys.stderr)
        return 2
    conf = tempfile.NamedTemporaryFile('w', suffix='.conf', delete=False)
    conf.write('[daemon]\nauto-add=false\n')
    conf.close()
    hooks = tempfile.mkdtemp()      # an empty admin hook root: no hooks
    res = {0: [], CLIENTS: []}
    try:
        with ht.Environment(polkit='allow', daemon_args=['--config', conf.name],
                            daemon_env={'HOTPLUG_HOOKS_DIR': hooks}) as env:
            for i in range(ROUNDS):
                for n in ((0, CLIENTS) if i % 2 == 0 else (CLIENTS, 0)):
                    res[n].append(one_round(env, n))
    finally:
        os.unlink(conf.name)
        os.rmdir(hooks)
    m = statistics.median
    print(f'board {BOARD}: Remove (eject=false) and Add jobs, {ROUNDS} rounds, medians')
    for n in (0, CLIENTS):
        r = res[n]
        cpu = [m(x['cpu'][k] for x in r) for k in range(3)]
        print(f'{n:3d} clients: Remove {m(x["remove"] for x in r):6.2f} s, Add {m(x["add"] for x in r):6.2f} s; '
              f'CPU s hotplugd {cpu[0]:.2f}, bus {cpu[1]:.2f}, clients {cpu[2]:.2f}; '
              f'{m(x["signals"] for x in r) / max(1, n):.0f} signals per client')
    base = res[0]
    load = res[CLIENTS]
    for k in ('remove', 'add'):
        print(f'{k} with {CLIENTS} clients against none: ratio {m(x[k] for x in load) / m(x[k] for x in base):.2f}')
    lat = [d for x in load for d in x['lat']]
    print(f'the clients\' reads during the jobs (Get, GetAll, GetManagedObjects, behind the signals queued '
          f'before each reply): {len(lat)}, {sum(x["errors"] for x in load)} errors, '
          f'p50 {cf.percentile(lat, 50) * 1000:.1f} ms, p99 {cf.percentile(lat, 99) * 1000:.1f} ms')
    for n in (0, CLIENTS):
        for kind, what in (('daemon', 'hotplugd\'s Get of State'), ('bus', 'the bus\'s own GetId')):
            p = [d for x in res[n] for d in x['probe'][kind]]
            print(f'a probe following no signal, {n:3d} clients, {what}: {len(p)} reads, '
                  f'p50 {cf.percentile(p, 50) * 1000:.1f} ms, p99 {cf.percentile(p, 99) * 1000:.1f} ms')
    return 0


if __name__ == '__main__':
    sys.exit(main())
