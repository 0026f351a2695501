#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Orchestration overhead of a switchover and a connect of PCI domain 0001
of the simulated 'default' machine (kernel delay 0, no hooks): hotplugd's
PrepareForSwitchover and Connect jobs (Job.StartTime to EndTime) against a
bare sequence of the same kernel actions in this process — for every device,
deepest first, unbind its driver and remove it, waiting until sysfs shows
each; then rescan the root bus and wait for the devices — in the same run.
Run under hotplug-sim (bench/run switchover)."""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '10'))
DOM = '0001'
PATH = f'/org/hotplugd/Hotplug1/domain/{DOM}'
DOMAIN_IFACE = 'org.hotplugd.Hotplug1.Domain'
PROPS = 'org.freedesktop.DBus.Properties'
PCI = '/sys/bus/pci/devices'


def wait(pred, what):
    deadline = time.monotonic() + 30
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(f'the simulated kernel never showed {what}')
        time.sleep(0.001)


def devices():
    """The domain's devices, deepest first, with their drivers."""
    found = []
    for bdf in os.listdir(PCI):
        if not bdf.startswith(DOM + ':'):
            continue
        real = os.path.realpath(os.path.join(PCI, bdf))
        depth = len([p for p in real.split('/') if p.startswith(DOM + ':')])
        drv = os.path.join(PCI, bdf, 'driver')
        found.append((depth, bdf, os.path.basename(os.readlink(drv)) if os.path.islink(drv) else None))
    return [(bdf, drv) for _, bdf, drv in sorted(found, reverse=True)]


def bare_round(devs):
    t0 = time.monotonic()
    for bdf, drv in devs:
        if drv:
            with open(f'/sys/bus/pci/drivers/{drv}/unbind', 'w') as f:
                f.write(bdf)
            wait(lambda: not os.path.islink(os.path.join(PCI, bdf, 'driver')), f'{bdf} unbound')
        with open(os.path.join(PCI, bdf, 'remove'), 'w') as f:
            f.write('1')
        wait(lambda: not os.path.exists(os.path.join(PCI, bdf)), f'{bdf} removed')
    t1 = time.monotonic()
    with open(f'/sys/class/pci_bus/{DOM}:00/rescan', 'w') as f:
        f.write('1')
    # back and bound, as the daemon's Connect waits for them too
    wait(lambda: all(os.path.exists(os.path.join(PCI, bdf)) and (drv is None or os.path.islink(
        os.path.join(PCI, bdf, 'driver'))) for bdf, drv in devs), 'the devices back')
    return (t1 - t0) * 1000.0, (time.monotonic() - t1) * 1000.0


def prop(conn, path, iface, name):
    return ht.call(conn, path, PROPS, 'Get', GLib.Variant('(ss)', (iface, name)))[0]


def job_ms(conn, method):
    job = ht.call(conn, PATH, DOMAIN_IFACE, method, GLib.Variant('(a{sv})', ({'force': GLib.Variant('b', True)}
                                                                           if method != 'Connect' else {},)))[0]
    while prop(conn, job, ht.JOB_IFACE, 'EndTime') == 0:
        time.sleep(0.002)
    state = prop(conn, job, ht.JOB_IFACE, 'State')
    if state != 'succeeded':
        raise RuntimeError(f'{method}: {state}: {prop(conn, job, ht.JOB_IFACE, "Reason")}')
    return (prop(conn, job, ht.JOB_IFACE, 'EndTime') - prop(conn, job, ht.JOB_IFACE, 'StartTime')) / 1000.0


def line(what, base, ours):
    b, o = statistics.median(base), statistics.median(ours)
    print(f'{what:<26} bare {b:8.2f} ms   hotplugd {o:8.2f} ms   ratio {o / b:5.2f}'
          f'   (min {min(ours):.2f}, max {max(ours):.2f})')


def main():
    if not ht.in_simulator():
        print('bench-switchover must run under hotplug-sim (use bench/run switchover)', file=sys.stderr)
        return 2
    devs = devices()
    print(f'domain {DOM}: {len(devs)} devices, {sum(1 for _, d in devs if d)} with a driver; {ROUNDS} rounds')
    base_off, base_on = [], []
    for _ in range(ROUNDS):
        off, on = bare_round(devs)
        base_off.append(off)
        base_on.append(on)
    conf = tempfile.NamedTemporaryFile('w', suffix='.conf', delete=False)
    conf.write('[daemon]\njob-linger=600\n')
    conf.close()
    hooks = tempfile.mkdtemp()      # an empty admin hook root: no hooks
    runs = {}
    try:
        for name, extra in (('hotplugd', []), ('no journal', ['--no-journal'])):
            off, on = runs.setdefault(name, ([], []))
            with ht.Environment(polkit='allow', daemon_args=['--config', conf.name] + extra,
                                daemon_env={'HOTPLUG_HOOKS_DIR': hooks}):
                conn = ht.bus_connect()
                for _ in range(ROUNDS):
                    off.append(job_ms(conn, 'PrepareForSwitchover'))
                    on.append(job_ms(conn, 'Connect'))
                conn.close_sync(None)
    finally:
        os.unlink(conf.name)
        os.rmdir(hooks)
    line('switchover (disconnect)', base_off, runs['hotplugd'][0])
    line('  without the journal', base_off, runs['no journal'][0])
    line('connect', base_on, runs['hotplugd'][1])
    line('  without the journal', base_on, runs['no journal'][1])
    print('where the time goes: the crash journal (a durable record per step: the difference to "without the '
          'journal"), the wait for each change to reach the model through its uevent, and the hook runner and D-Bus '
          'signals of each step; force skips the busy scan of /proc (bench/run blockers measures it)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
