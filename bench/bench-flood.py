#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A uevent flood through hotplugd on the REAL kernel (not under the
simulator):

  bench-flood.py [EVENTS]      (default 1,000,000)

Starts a private system bus and hotplugd on the real /sys with a small
event receive buffer (BENCH_RECEIVE_BUFFER bytes, default 256 KiB: a
burst is far more than the socket holds), then generates
EVENTS synthetic "change" uevents (bench-uevents --write, round-robin over
the memory blocks) in BENCH_BURSTS bursts (default 10), letting the daemon
settle after each.  Meanwhile one client calls GetManagedObjects in a loop;
its latency during the flood is printed beside the same client's with the
daemon at rest (BENCH_REST_SECONDS, default 3), measured first in the same
run.  Then the socket overflows (ENOBUFS) and re-enumerations the daemon
reports against the bursts, where the time goes (the daemon's CPU time, its
re-enumerations' durations), and whether its model equals that of a daemon
started afresh on the same machine state.  Needs root; run it under
flock /tmp/hotplugd-realkernel.lock (bench/run flood)."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'realkernel'))
import uevent_flood as uf  # noqa: E402
from uevent_flood import ht  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latencies(calls):
    """(text, p50, p99) of the answered calls, in ms"""
    ok = [lat * 1000 for _, lat, err in calls if err is None]
    failed = len(calls) - len(ok)
    if not ok:
        return f'no call answered ({failed} failed)', float('nan'), float('nan')
    p50, p99 = percentile(ok, 50), percentile(ok, 99)
    return (f'p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  max {max(ok):7.2f} ms  ({len(ok)} calls, {failed} failed)',
            p50, p99)


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def resync_times(log):
    return [float(m.group(1)) for m in re.finditer(r're-enumerated \d+ devices in ([\d.]+) ms', log)]


def report(f, bursts, buffer, rest_calls, log, diff, objects):
    print(f'flood: {f["written"]} change uevents in {bursts} bursts (written in {f["write_time"]:.2f} s, '
          f'{f["written"] / f["write_time"]:.0f}/s), receive buffer {buffer >> 10} KiB, '
          f'{f["wall"]:.1f} s with the daemon settling after each burst')
    rest_text, rest50, rest99 = latencies(rest_calls)
    flood_text, flood50, flood99 = latencies(f['calls'])
    print(f'GetManagedObjects at rest:        {rest_text}')
    print(f'GetManagedObjects during flood:   {flood_text}')
    print(f'ratio flood / rest:               p50 {flood50 / rest50:.2f}  p99 {flood99 / rest99:.2f}')
    # the calls made while the kernel was generating uevents (the writer,
    # the daemon reading and the client share the cores) and the others
    # (the daemon draining its socket and re-enumerating, then at rest)
    during = [c for c in f['calls'] if any(a <= c[0] < b for a, b in f['writing'])]
    print(f'  of which while writing:         {latencies(during)[0]}')
    print(f'  of which between writes:        {latencies([c for c in f["calls"] if c not in during])[0]}')
    print(f'load average (1 min) before and after: {f["load"][0]:.1f}, {f["load"][1]:.1f} '
          f'on {os.cpu_count()} CPUs (a shared machine: other load shows in the latencies)')
    d = f['delta']
    print(f'events received by the daemon:    {d["EventsReceived"]} of {f["written"]} '
          f'({f["written"] - d["EventsReceived"]} lost to overflows)')
    print(f'socket overflows (ENOBUFS):       {d["Overflows"]}')
    overflowed = sum(1 for o, _ in f['per_burst'] if o)
    most = max(r for _, r in f['per_burst'])
    once = d['Resyncs'] == overflowed and most <= 1
    print(f're-enumerations:                  {d["Resyncs"]} for {bursts} bursts, {overflowed} of which '
          f'overflowed; at most {most} in one burst '
          f'({"one per burst that overflowed" if once else "NOT one per burst"})')
    times = resync_times(log)
    spent = (f'; re-enumerations {sum(times):.1f} ms in all on the main loop (each {min(times):.1f}-'
             f'{max(times):.1f} ms)') if times else '; no re-enumeration'
    print(f'where the time goes: daemon CPU {f["cpu"]:.2f} s over {f["wall"]:.1f} s '
          f'({f["cpu"] / f["wall"] * 100:.0f}% of one core){spent}')
    print(f'model after the flood equals a fresh enumeration: {"yes" if not diff else "NO"} '
          f'({objects} objects; the Manager\'s counters {", ".join(uf.COUNTERS)} not compared)')
    for line in diff:
        print('  ' + line)
    return once


def main():
    refusal = uf.refusal('bench-flood')
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    bursts = int(os.environ.get('BENCH_BURSTS', '10'))
    rest = float(os.environ.get('BENCH_REST_SECONDS', '3'))
    buffer = int(os.environ.get('BENCH_RECEIVE_BUFFER', str(256 * 1024)))
    args = [f'--receive-buffer-size={buffer}']
    with ht.Environment(polkit='allow', daemon_args=args) as env:
        conn = ht.bus_connect()
        uf.settle(conn)
        baseline = uf.ManagedObjectsLoop()
        time.sleep(rest)
        rest_calls = baseline.stop()
        pid = env.daemon.proc.pid
        cpu0, t0, load0 = cpu_seconds(pid), time.monotonic(), os.getloadavg()[0]
        f = uf.flood(conn, [events // bursts + (events % bursts if i == bursts - 1 else 0) for i in range(bursts)])
        f['wall'], f['cpu'] = time.monotonic() - t0, cpu_seconds(pid) - cpu0
        f['load'] = (load0, os.getloadavg()[0])
        flooded = uf.model(conn)
        log = env.daemon.read_log()
        conn.close_sync(None)
        diff = uf.differences(flooded, uf.fresh_model(env, args))
    once = report(f, bursts, buffer, rest_calls, log, diff, len(flooded))
    failed = sum(1 for *_, err in f['calls'] if err)
    return 0 if not diff and failed == 0 and once else 1


if __name__ == '__main__':
    sys.exit(main())
