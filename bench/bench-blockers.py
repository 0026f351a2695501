#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The time from Remove to Error.Busy on the simulated 'large' machine with
1,000 device nodes of its disks held open: iou0's four NVMe drives are
backed by loop devices and a helper process opens them 250 times each.
Baseline, in the same run: bench-fdscan, a bare C scan of every
/proc/PID/fd stat-ing each descriptor (the least any answer costs).  Also
the Busy answer of sb0 (CPUs and 1,024 memory blocks, some unmovable).
Run under hotplug-sim as root (bench/run blockers)."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '20'))
OPEN_FILES = int(os.environ.get('BENCH_OPEN_FILES', '1000'))
DISKS = ['nvme0n1', 'nvme1n1', 'nvme2n1', 'nvme3n1']
# the simulator's umockdev preload answers ioctls on device nodes itself
REAL = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD'}

HOLDER = '''
import os, sys, time
fds = []
for i in range(int(sys.argv[1])):
    fds.append(os.open(sys.argv[2 + i % (len(sys.argv) - 2)], os.O_RDONLY))
print('ready', flush=True)
time.sleep(3600)
'''


def busy_time(conn, uid):
    """Milliseconds from Remove to its Error.Busy (median of ROUNDS)."""
    times, message = [], ''
    for _ in range(ROUNDS):
        t0 = time.monotonic()
        try:
            ht.call(conn, ht.unit_path(uid), ht.UNIT_IFACE, 'Remove', GLib.Variant('(a{sv})', ({},)))
        except GLib.Error as e:
            if ht.dbus_error_name(e) != 'org.hotplugd.Hotplug1.Error.Busy':
                raise
            message = e.message
        else:
            raise RuntimeError(f'{uid} was not busy: a job started')
        times.append((time.monotonic() - t0) * 1000)
    return statistics.median(times), message


def main():
    if not ht.in_simulator() or os.geteuid() != 0:
        print('bench-blockers runs as root under hotplug-sim (use bench/run blockers)', file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix='bench-blockers.')
    loops, holder = [], None
    conf = os.path.join(tmp, 'hotplugd.conf')
    with open(conf, 'w') as f:
        f.write('[daemon]\nauto-add=false\n[blockers]\nrefresh-interval=0\n')
    try:
        for i, disk in enumerate(DISKS):
            img = os.path.join(tmp, f'{disk}.img')
            with open(img, 'wb') as f:
                f.truncate(16 << 20)
            loops.append(subprocess.run(['losetup', '-f', '--show', img], check=True, capture_output=True,
                                        text=True, env=REAL).stdout.strip())
            ht.sim_ctl('back', disk, loops[-1])
        holder = subprocess.Popen([sys.executable, '-c', HOLDER, str(OPEN_FILES)] + loops,
                                  stdout=subprocess.PIPE, text=True, env=REAL)
        assert holder.stdout.readline().strip() == 'ready'
        numbers = []
        for dev in loops:
            st = os.stat(dev)
            numbers.append(f'{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}')
        nprocs = sum(1 for d in os.listdir('/proc') if d.isdigit())
        with ht.Environment(polkit='allow', daemon_args=['--config', conf]):
            conn = ht.bus_connect()
            ms, message = busy_time(conn, 'iou0')
            sb_ms, sb_message = busy_time(conn, 'sb0')
            conn.close_sync(None)
        out = subprocess.run([ht.build_path('bench', 'bench-fdscan'), str(ROUNDS)] + numbers,
                             check=True, capture_output=True, text=True).stdout.split()
        base_ms, matches = float(out[0]), int(out[1])
        print(f'{OPEN_FILES} descriptors open on iou0\'s 4 disks, {nprocs} processes, {ROUNDS} rounds (medians)')
        print(f'  Remove iou0 → Error.Busy         {ms:8.2f} ms  ({message.count(" by ")} blockers named)')
        print(f'  bare /proc/*/fd scan (baseline)  {base_ms:8.2f} ms  ({matches} descriptors found)')
        print(f'  ratio                            {ms / base_ms:8.2f}')
        print(f'  Remove sb0 → Error.Busy          {sb_ms:8.2f} ms  ({sb_message[:90]}...)')
    finally:
        if holder:
            holder.kill()
            holder.wait()
        for disk in DISKS:
            ht.sim_ctl('back', disk, 'none', check=False)
        for dev in loops:
            subprocess.run(['losetup', '-d', dev], capture_output=True, env=REAL)
        subprocess.run(['rm', '-rf', tmp])
    return 0


if __name__ == '__main__':
    sys.exit(main())
