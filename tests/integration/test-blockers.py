#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Busy devices are never pulled, on the simulated 'default' server: its
disks are backed by real loop devices (hotplug-sim ctl back), so that a
filesystem mounted, a device node held open, swap switched on or a device
stacked on them is found by the daemon through the real /proc.  Each kind
of blocker makes Remove answer Error.Busy naming it, with no job, no hook
and nothing touched; force removes anyway; Blockers follows the system.

CPU affinity is checked on the real kernel (tests/realkernel): real
processes are pinned to real CPUs, which the simulated numbering does not
share.  Needs root, losetup, mkfs.ext4, mkswap and swapon."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

import operations  # noqa: E402

BUSY = 'org.hotplugd.Hotplug1.Error.Busy'
DOMAIN0 = '/org/hotplugd/Hotplug1/domain/0000'
# changes nothing announces (an open file, an interface going up) are
# seen at the next periodic refresh
CONF = '[blockers]\nrefresh-interval=0.5\n[daemon]\nauto-add=false\nsurprise-removal-hooks=false\n'


# The simulator's umockdev preload answers ioctls on device nodes itself:
# the tools that set up real loop devices, filesystems and swap run without
# it (/sys stays the simulated one: it is mounted over the real one).
REAL = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD'}


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=REAL, **kw).stdout.strip()


def try_run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, env=REAL)


def flush_count(dev):
    """Flush requests the block device completed (/proc/diskstats)."""
    name = os.path.basename(dev)
    with open('/proc/diskstats') as f:
        for line in f:
            fields = line.split()
            if fields[2] == name:
                return int(fields[18]) if len(fields) > 18 else 0
    raise AssertionError(f'{name} is not in /proc/diskstats')


class Blockers(operations.Ops):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest('needs root (loop devices, mount)')
        for tool in ('losetup', 'mkfs.ext4', 'mount', 'umount'):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(f'needs {tool}')
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix='hotplug-blockers.')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        conf = os.path.join(self.tmp, 'hotplugd.conf')
        with open(conf, 'w') as f:
            f.write(CONF)
        self.daemon_args = ['--config', conf]
        self.standard_hooks('slot', 'remove')
        self.standard_hooks('memory', 'remove')

    # --- loop devices --------------------------------------------------------

    def loop(self, size_mb=64, backing=None):
        """A loop device over a new file (or over `backing`), detached at cleanup."""
        if backing is None:
            backing = os.path.join(self.tmp, f'disk{len(os.listdir(self.tmp))}.img')
            with open(backing, 'wb') as f:
                f.truncate(size_mb << 20)
        dev = run('losetup', '-f', '--show', backing)
        self.addCleanup(try_run, 'losetup', '-d', dev)
        return dev

    def back(self, disk, dev):
        ht.sim_ctl('back', disk, dev)
        self.addCleanup(ht.sim_ctl, 'back', disk, 'none', check=False)

    def mount(self, dev):
        mnt = os.path.join(self.tmp, 'mnt dir')     # a space: mountinfo escapes it
        os.makedirs(mnt, exist_ok=True)
        run('mkfs.ext4', '-q', '-F', dev)
        run('mount', dev, mnt)
        self.addCleanup(try_run, 'umount', '-l', mnt)
        return mnt

    def held_open(self, disk):
        """A loop device backing `disk`, held open by a sleep: (node, process)."""
        dev = self.loop()
        self.back(disk, dev)
        with open(dev, 'rb') as node:
            holder = subprocess.Popen(['sleep', '300'], stdin=node)
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        return dev, holder

    # --- the bus ---------------------------------------------------------------

    def blockers(self, uid):
        return [tuple(b) for b in self.prop(uid, 'Blockers')]

    def domain_blockers(self):
        v = ht.call(self.conn, DOMAIN0, 'org.freedesktop.DBus.Properties', 'Get',
                    GLib.Variant('(ss)', (ht.DOMAIN_IFACE, 'Blockers')))[0]
        return [tuple(b) for b in v]

    @staticmethod
    def has_kind(kind):
        """A predicate for wait_blockers: an entry of that kind is shown (a
        helper such as mount holds the device open for a moment: an 'open'
        entry can come first)."""
        return lambda blockers: any(b[0] == kind for b in blockers)

    def wait_blockers(self, uid, pred, what, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.blockers(uid)
            if pred(got):
                return got
            time.sleep(0.05)
        self.fail(f'{uid}: Blockers never {what}: {self.blockers(uid)}')

    def assert_busy(self, uid, *names):
        """Remove without force: Busy naming each of `names`, and nothing done."""
        before = {p: self.prop(uid, p) for p in ('State', 'Job', 'LastJobEndTime', 'PciDevices',
                                                 'MemoryBlocksOnline')}
        with self.assertRaises(GLib.Error) as busy:
            self.request(uid, 'remove')
        self.assertEqual(ht.dbus_error_name(busy.exception), BUSY, busy.exception.message)
        for n in names:
            self.assertIn(n, busy.exception.message)
        self.assertEqual(self.hook_log(), [])
        self.assertEqual({p: self.prop(uid, p) for p in before}, before)
        jobs = [i for i in ht.managed_objects(self.conn).values() if ht.JOB_IFACE in i]
        self.assertEqual(jobs, [])
        return busy.exception.message

    # --- the tests ---------------------------------------------------------------

    def test_idle_units_are_not_busy(self):
        self.start()
        for uid in ('slot-1', 'slot-3', 'slot-4', 'slot-5', 'sb1', 'iou0', 'cpu3'):
            self.assertEqual(self.blockers(uid), [], uid)

    def test_mount_on_disk(self):
        self.start()
        dev = self.loop()
        self.back('nvme0n1', dev)
        mnt = self.mount(dev)
        got = self.wait_blockers('slot-3', self.has_kind('mount'), 'shows the mount')
        self.assertIn(('mount', mnt, f'ext4 {dev} on nvme0n1', ''), got)
        self.assertIn(('mount', mnt, f'ext4 {dev} on nvme0n1', ''), self.domain_blockers())
        # the I/O unit holding the slot is busy as well
        self.assertIn('mount', [b[0] for b in self.blockers('iou0')])
        self.assert_busy('slot-3', mnt, 'nvme0n1')
        self.assert_busy('iou0', mnt)
        # hotplugctl show prints it, --json too
        self.assertIn(mnt, ht.ctl('show', 'slot-3', check=True).stdout)
        shown = json.loads(ht.ctl('--json', 'show', 'slot-3', check=True).stdout)
        self.assertIn(mnt, json.dumps(shown))
        domains = json.loads(ht.ctl('--json', 'domains', check=True).stdout)
        self.assertIn(['mount', mnt, f'ext4 {dev} on nvme0n1', ''], domains[0]['Blockers'])
        # unmounted: the property follows (mountinfo announces it)
        run('umount', mnt)
        self.wait_blockers('slot-3', lambda b: b == [], 'empties after umount')

    def test_firmware_eject_of_a_busy_unit_is_refused(self):
        self.start()
        # whatever happens, the next tests find iou0 and its slots again
        self.addCleanup(self.restore_board, 'iou0')
        dev = self.loop()
        self.back('nvme0n1', dev)
        mnt = self.mount(dev)
        self.wait_blockers('iou0', lambda b: any(x[0] == 'mount' for x in b), 'shows the mount')
        devices = self.prop('iou0', 'PciDevices')
        since = GLib.get_real_time()
        ht.sim_ctl('eject', 'iou0')
        job = self.find_job('iou0', 'remove', since, initiator='platform')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'failed')
        self.assertIn('busy', reason)
        self.assertIn(mnt, reason)
        # nothing was touched
        self.assertEqual(self.prop('iou0', 'State'), 'online')
        self.assertEqual(self.prop('iou0', 'PciDevices'), devices)
        self.assertEqual(self.job_prop(job, 'Step'), '')
        run('umount', mnt)

    def test_mount_on_partition(self):
        # a loop device stands for the partition itself: the kernel here
        # may not scan partitions of loop devices
        self.start()
        disk, part = self.loop(), self.loop()
        self.back('nvme2n1', disk)
        self.back('nvme2n1p1', part)
        mnt = self.mount(part)
        got = self.wait_blockers('slot-5', self.has_kind('mount'), 'shows the mount')
        self.assertIn(('mount', mnt, f'ext4 {part} on nvme2n1p1', ''), got)
        self.assert_busy('slot-5', mnt, 'nvme2n1p1')

    def test_open_device_node(self):
        self.start()
        dev, holder = self.held_open('nvme1n1')
        got = self.wait_blockers('slot-3', lambda b: any(x[0] == 'open' for x in b), 'shows the open node')
        self.assertIn(('open', dev, 'fd 0 on nvme1n1', f'{holder.pid} sleep'), got)
        self.assert_busy('slot-3', dev, f'{holder.pid} sleep')
        holder.kill()
        holder.wait()
        self.wait_blockers('slot-3', lambda b: b == [], 'empties when the process is gone')

    def test_opened_just_before_the_call(self):
        """The Remove's own check, made at the call, sees a node opened
        just before it (the Blockers property is not waited for); a caller
        polkit refuses (asked meanwhile) is told that the slot is busy, and
        refused once it is not."""
        self.start()
        dev, holder = self.held_open('nvme1n1')
        self.assert_busy('slot-3', dev, f'{holder.pid} sleep')
        self.env.polkit.set_allowed(False)
        self.assert_busy('slot-3', dev, f'{holder.pid} sleep')
        holder.kill()
        holder.wait()
        with self.assertRaises(GLib.Error) as refused:
            self.request('slot-3', 'remove')
        self.assertEqual(ht.dbus_error_name(refused.exception), 'org.hotplugd.Hotplug1.Error.NotAuthorized',
                         refused.exception.message)
        self.assertEqual(self.hook_log(), [])

    def many_descriptors(self, processes=2):
        """Processes each holding as many descriptors (of /dev/null) as
        their hard limit allows: the daemon's /proc scan reads each, which
        makes its first Blockers come late."""
        code = ('import os, resource, time\n'
                'hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n'
                'resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n'
                'fd = os.open("/dev/null", os.O_RDONLY)\n'
                'fds = [os.dup(fd) for _ in range(min(hard, 50000) - 50)]\n'
                'print("ready", flush=True)\n'
                'time.sleep(300)\n')
        for _ in range(processes):
            proc = subprocess.Popen(['/usr/bin/python3', '-c', code], stdout=subprocess.PIPE, text=True)
            self.addCleanup(proc.wait)
            self.addCleanup(proc.kill)
            self.assertEqual(proc.stdout.readline().strip(), 'ready')

    def test_blockers_are_in_when_the_name_appears(self):
        # the name is asked for only once the first Blockers are found: the
        # first read after it appears shows what is in use already, even
        # when the scan takes a while
        dev, holder = self.held_open('nvme1n1')
        self.many_descriptors()
        self.start()
        self.assertIn(('open', dev, 'fd 0 on nvme1n1', f'{holder.pid} sleep'), self.blockers('slot-3'))

    def test_remove_checks_afresh_whatever_blockers_shows(self):
        # no periodic refresh: an open device node is announced by nothing,
        # so Blockers does not show it, and yet Remove looks for itself
        self.daemon_args = ['--config', self.conf_with('refresh-interval=0')]
        self.start()
        time.sleep(1)   # the refresh that follows start-up is over
        dev, holder = self.held_open('nvme1n1')
        time.sleep(0.5)
        self.assertEqual(self.blockers('slot-3'), [])
        self.assert_busy('slot-3', dev, f'{holder.pid} sleep')

    def test_real_affinities_are_not_the_simulated_cpus(self):
        # a real process pinned to the real CPU 1 (as the real-kernel test
        # pins one, or any program on this machine) holds nothing of the
        # simulated cpu1: its Blockers stay empty through refreshes
        if os.cpu_count() < 2:
            self.skipTest('needs a second real CPU to pin a process to')
        self.start()
        pinned = subprocess.Popen(['sleep', '300'], preexec_fn=lambda: os.sched_setaffinity(0, {1}))
        self.addCleanup(pinned.wait)
        self.addCleanup(pinned.kill)
        time.sleep(1.5)     # three periodic refreshes
        self.assertEqual(self.blockers('cpu1'), [])

    def conf_with(self, blockers_line):
        conf = os.path.join(self.tmp, 'hotplugd-2.conf')
        with open(conf, 'w') as f:
            f.write(CONF.replace('refresh-interval=0.5', blockers_line))
        return conf

    def test_swap(self):
        if shutil.which('swapon') is None or shutil.which('mkswap') is None:
            self.skipTest('needs mkswap and swapon')
        self.start()
        dev = self.loop(size_mb=32)
        self.back('nvme0n1', dev)
        run('mkswap', dev)
        r = try_run('swapon', dev)
        if r.returncode != 0:
            self.skipTest(f'swapon is not permitted here: {r.stderr.strip()}')
        self.addCleanup(try_run, 'swapoff', dev)
        got = self.wait_blockers('slot-3', self.has_kind('swap'), 'shows the swap area')
        self.assertIn(('swap', dev, 'swap area on nvme0n1', ''), got)
        self.assert_busy('slot-3', dev, 'swap')
        run('swapoff', dev)
        self.wait_blockers('slot-3', lambda b: b == [], 'empties after swapoff')

    def test_holder(self):
        # a loop device stacked on the disk's device, shown as its holder
        # (as dm or md would be); a filesystem on the holder is a mount of it
        self.start()
        lower = self.loop()
        upper = self.loop(backing=lower)
        self.back('nvme0n1', lower)
        ht.sim_ctl('hold', 'nvme0n1', upper)
        self.addCleanup(ht.sim_ctl, 'hold', 'nvme0n1', 'none', check=False)
        name = os.path.basename(upper)
        got = self.wait_blockers('slot-3', self.has_kind('holder'), 'shows the holder')
        self.assertIn(('holder', name, 'holds nvme0n1', ''), got)
        mnt = self.mount(upper)
        got = self.wait_blockers('slot-3', lambda b: any(x[0] == 'mount' for x in b), 'shows the mount')
        self.assertIn(('mount', mnt, f'ext4 {upper} on {name} (holds nvme0n1)', ''), got)
        self.assert_busy('slot-3', name, mnt)

    def test_network_interface_up(self):
        self.start()
        ht.sim_ctl('link', 'ens4', 'up')
        self.addCleanup(ht.sim_ctl, 'link', 'ens4', 'down', check=False)
        got = self.wait_blockers('slot-4', self.has_kind('netdev'), 'shows the interface')
        self.assertIn(('netdev', 'ens4', 'up, operstate up', ''), got)
        self.assert_busy('slot-4', 'ens4')
        ht.sim_ctl('link', 'ens4', 'down')
        self.wait_blockers('slot-4', lambda b: b == [], 'empties when it is down')

    def test_base_memory_not_movable(self):
        self.start()
        mem = [i[ht.UNIT_IFACE]['Id'] for i in ht.managed_objects(self.conn).values()
               if ht.UNIT_IFACE in i and i[ht.UNIT_IFACE]['Kind'] == 'memory'][0]
        blocks = ht.parse_list(self.prop(mem, 'MemoryRanges'))
        states = [ht.read_sysfs(operations.MEM.format(b)) for b in blocks]
        got = self.wait_blockers(mem, self.has_kind('memory'), 'shows the unmovable blocks')
        details = ' '.join(b[2] for b in got)
        self.assertIn('valid_zones none', details)
        self.assertIn('not Movable', details)
        self.assert_busy(mem, 'memory block', 'Normal')
        self.assertEqual([ht.read_sysfs(operations.MEM.format(b)) for b in blocks], states)

    def test_force_removes_a_busy_slot(self):
        self.start()
        dev = self.loop()
        self.back('nvme0n1', dev)
        mnt = self.mount(dev)
        idle = self.loop()
        self.back('nvme1n1', idle)
        flushes = flush_count(idle)
        self.wait_blockers('slot-3', self.has_kind('mount'), 'shows the mount')
        self.addCleanup(self.restore_slot3)
        self.assertEqual(self.run_op('slot-3', 'remove', force=True), ('succeeded', ''))
        # the disk not in use was synced and flushed before its device went
        self.assertNotIn('before removing', self.env.daemon.read_log())
        self.assertGreater(flush_count(idle), flushes)
        self.assertEqual(self.prop('slot-3', 'PciDevices'), [])
        self.assertFalse(os.path.exists('/sys/bus/pci/devices/0000:83:00.0'))
        # the filesystem itself is the administrator's: still mounted
        self.assertTrue(os.path.ismount(mnt))
        self.wait_blockers('slot-3', lambda b: b == [], 'empties once the disk is gone')

    def test_replace_freezes_the_filesystems_on_its_disks(self):
        # the same mount table: a replace window freezes (FIFREEZE) what is
        # mounted on the unit's disks, and thaws it when the part is back
        self.start()
        dev = self.loop()
        self.back('nvme0n1', dev)
        mnt = self.mount(dev)
        opts = GLib.Variant('(a{sv})', ({'window': GLib.Variant('u', 60)},))
        job = ht.call(self.conn, ht.unit_path('slot-3'), ht.UNIT_IFACE, 'Replace', opts)[0]
        # whatever happens, nothing stays frozen once the test is over (a
        # frozen filesystem outlives its unmounting and holds its device)
        self.addCleanup(try_run, 'fsfreeze', '-u', mnt)
        self.addCleanup(self.end_job, job)
        # the window opens once everything is frozen
        deadline = time.monotonic() + 20
        while self.job_prop(job, 'WindowEnd') == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.prop('slot-3', 'State'), 'quiesced')
        self.assertNotIn('freeze', self.job_prop(job, 'Reason'))
        # frozen: a new file waits for the thaw
        writer = subprocess.Popen(['touch', os.path.join(mnt, 'probe')], env=REAL)
        # thaw first, then reap: a writer held by a freeze never ends
        self.addCleanup(self.thaw_and_reap, mnt, writer)
        time.sleep(0.5)
        self.assertIsNone(writer.poll(), 'the filesystem is not frozen')
        ht.sim_ctl('swap', 'slot-3')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(writer.wait(10), 0)
        self.assertTrue(os.path.exists(os.path.join(mnt, 'probe')))

    def frozen_window(self, **options):
        """A replace of slot-3 with a filesystem on its disk, in its window;
        returns (job, mount point, a writer held back by the freeze)."""
        dev = self.loop()
        self.back('nvme0n1', dev)
        mnt = self.mount(dev)
        opts = GLib.Variant('(a{sv})', ({k: GLib.Variant('u', v) for k, v in options.items()},))
        job = ht.call(self.conn, ht.unit_path('slot-3'), ht.UNIT_IFACE, 'Replace', opts)[0]
        self.addCleanup(try_run, 'fsfreeze', '-u', mnt)
        deadline = time.monotonic() + 20
        while self.job_prop(job, 'WindowEnd') == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        writer = subprocess.Popen(['touch', os.path.join(mnt, 'probe')], env=REAL)
        # thaw first, then reap: a writer held by a freeze never ends
        self.addCleanup(self.thaw_and_reap, mnt, writer)
        time.sleep(0.3)
        self.assertIsNone(writer.poll(), 'the filesystem is not frozen')
        return job, mnt, writer

    def thaw_and_reap(self, mnt, writer):
        try_run('fsfreeze', '-u', mnt)
        writer.wait(30)

    def assert_thawed(self, mnt, writer):
        self.assertEqual(writer.wait(10), 0, 'the filesystem stayed frozen')
        self.assertTrue(os.path.exists(os.path.join(mnt, 'probe')))

    def window_ends(self, end):
        """Every end of the replace window thaws: its time, Cancel, SIGTERM
        to the daemon, the daemon killed (the next start thaws from the
        journal)."""
        self.start()
        since = GLib.get_real_time()
        job, mnt, writer = self.frozen_window(**({'window': 2} if end == 'window' else {}))
        if end == 'cancel':
            ht.call(self.conn, job, ht.JOB_IFACE, 'Cancel')
        elif end == 'sigterm':
            self.env.daemon.proc.send_signal(signal.SIGTERM)
            self.assertEqual(self.env.daemon.proc.wait(30), 0)
            self.env.daemon.proc = None
        elif end == 'sigkill':
            self.env.daemon.kill()
            self.env.daemon.start()
            job = self.find_job('slot-3', 'replace', since, initiator='recovery')
        self.assert_thawed(mnt, writer)
        if end != 'sigterm':
            state, reason = self.wait_job_object(job)
            self.assertEqual(state, {'window': 'timeout', 'cancel': 'cancelled'}.get(end, 'failed'), reason)
            self.assertEqual(self.prop('slot-3', 'State'), 'online')

    def test_window_ends_by_time_thaws(self):
        self.window_ends('window')

    def test_window_ends_by_cancel_thaws(self):
        self.window_ends('cancel')

    def test_window_ends_by_sigterm_thaws(self):
        self.window_ends('sigterm')

    def test_window_ends_by_sigkill_thaws_on_restart(self):
        self.window_ends('sigkill')

    def end_job(self, job):
        with contextlib.suppress(Exception):
            if self.job_prop(job, 'State') == 'running':
                ht.call(self.conn, job, ht.JOB_IFACE, 'Cancel')
                self.wait_job_object(job)

    def restore_slot3(self):
        with contextlib.suppress(Exception):
            if self.prop('slot-3', 'State') != 'online':
                self.assertEqual(self.run_op('slot-3', 'add')[0], 'succeeded')


if __name__ == '__main__':
    unittest.main(verbosity=2)
