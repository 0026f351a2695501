#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hot add and hot remove end to end on the simulated 'default' server:
every kind of unit removed and added with its hooks (order, environment),
vetoes, kernel failures at each kind of step with their rollback.

Written against the API contract: org.hotplugd.Hotplug1.xml, hotplugd(8)
and hotplugd-hooks(7).  Skips as a whole outside the simulator.  The
fixture (operations.py) says what the test hooks log.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402
from operations import (  # noqa: E402
    MACHINE, CPU, MEM, Ops)

from gi.repository import GLib  # noqa: E402


class Success(Ops):
    def check_env(self, lines, uid, kind, op):
        for line in lines:
            self.assertIn(f' op={op} kind={kind} ', line)
            self.assertIn(' api=1 ', line)
            self.assertIn(' job=set ', line)
            ev = line.split()[0]
            self.assertIn(f' args={ev},{uid} ', line)
            if MACHINE.units.get(uid, {}).get('Cpus'):
                self.assertIn(f' cpus={MACHINE.units[uid]["Cpus"]} ', line)
            # before an add, the devices it brings up are not enumerated yet
            if MACHINE.units.get(uid, {}).get('PciDevices') and ev != 'pre-add':
                self.assertIn(' pci=' + ' '.join(MACHINE.units[uid]['PciDevices']) + ' ', line)

    def remove_add(self, uid, kind):
        self.standard_hooks(kind, 'remove')
        self.standard_hooks(kind, 'add')
        self.start()
        ejected = kind in ('sb', 'iou')
        if ejected:
            self.addCleanup(self.restore_board, uid)
        self.assertEqual(self.run_op(uid, 'remove'), ('succeeded', ''))
        self.assertEqual(self.hook_log(), [['pre-remove', uid, '10-any'], ['pre-remove', uid, f'20-{kind}'],
                                           ['post-remove', uid, '10-any'], ['post-remove', uid, f'20-{kind}']])
        self.check_env(self.hook_lines(), uid, kind, 'remove')
        if ejected:
            self.assert_ejected_then_added(uid, kind)
            return
        self.assertEqual(self.prop(uid, 'CpusOnline'), '')
        self.assertEqual(self.prop(uid, 'MemoryBlocksOnline'), 0)
        self.assertEqual(self.prop(uid, 'LastJobOperation'), 'remove')
        if kind == 'slot':
            self.assertEqual(self.prop(uid, 'PciDevices'), [])
        self.assertEqual(self.prop(uid, 'State'), 'offline')
        self.clear_log()
        self.assertEqual(self.run_op(uid, 'add'), ('succeeded', ''))
        self.assertEqual(self.hook_log(), [['pre-add', uid, '10-any'], ['pre-add', uid, f'20-{kind}'],
                                           ['post-add', uid, '10-any'], ['post-add', uid, f'20-{kind}']])
        self.check_env(self.hook_lines(), uid, kind, 'add')
        want = MACHINE.units.get(uid, {})
        self.assertEqual(self.prop(uid, 'State'), 'online')
        self.assertEqual(self.prop(uid, 'CpusOnline'), want.get('CpusOnline', self.prop(uid, 'Cpus')))
        self.assertEqual(self.prop(uid, 'PciDevices'), want.get('PciDevices', self.prop(uid, 'PciDevices')))
        # idempotent: add of an online unit is a job that succeeds at once
        self.clear_log()
        state, reason = self.run_op(uid, 'add')
        self.assertEqual(state, 'succeeded')
        self.assertIn('already online', reason)
        self.assertEqual(self.hook_log(), [])

    def assert_ejected_then_added(self, uid, kind):
        # a removed board or I/O unit is ejected: gone from the simulated
        # firmware, yet it keeps its place on the bus, absent, at the same
        # object path; Add says why it cannot, and what to do
        self.assertTrue(self.unit_exists(uid))
        self.assertEqual(self.prop(uid, 'State'), 'absent')
        self.assertEqual(self.prop(uid, 'Cpus'), '')
        self.assertNotIn(f'{uid} present', ht.sim_ctl('status').stdout)
        with self.assertRaises(GLib.Error) as cm:
            self.request(uid, 'add')
        self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.NotPresent')
        what = 'board' if kind == 'sb' else 'I/O unit'
        self.assertIn(f'{uid} is absent: the {what} was ejected or pulled out', cm.exception.message)
        r = ht.ctl('add', uid)
        self.assertEqual(r.returncode, 1)
        self.assertIn('insert it again', r.stderr)
        self.clear_log()
        want = MACHINE.units[uid]
        if kind == 'iou':
            # the simulated kernel enumerates an inserted I/O unit's devices
            # by itself, racing the daemon's view: an add job runs only when
            # the daemon saw it offline first.  The unit must come back whole.
            ht.sim_ctl('insert', uid)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                    self.unit_exists(uid) and self.prop(uid, 'Job') == '/' and
                    self.prop(uid, 'PciDevices') == want['PciDevices']):
                time.sleep(0.05)
            for key in ('State', 'PciDevices'):
                self.assertEqual(self.prop(uid, key), want[key], key)
            return
        rec = ht.SignalRecorder()
        self.addCleanup(rec.stop)
        job, state, reason = self.insert_and_wait_add(uid)
        self.assertEqual((state, reason), ('succeeded', ''))
        self.assertEqual(self.job_prop(job, 'Initiator'), 'platform')
        # the same object came back: it never left the bus, nothing new
        self.assertEqual([e[5][0] for e in rec.snapshot() if e[4] in ('InterfacesAdded', 'InterfacesRemoved')
                          and ht.UNIT_IFACE in (e[5][1] if e[4] == 'InterfacesRemoved' else e[5][1].keys())], [])
        self.assertEqual(self.hook_log(), [['pre-add', uid, '10-any'], ['pre-add', uid, f'20-{kind}'],
                                           ['post-add', uid, '10-any'], ['post-add', uid, f'20-{kind}']])
        self.check_env(self.hook_lines(), uid, kind, 'add')
        for key in ('State', 'CpusOnline', 'MemoryBlocksOnline', 'PciDevices'):
            self.assertEqual(self.prop(uid, key), want[key], key)
        self.assertEqual(self.prop(uid, 'LastJobOperation'), 'add')

    def test_cpu(self):
        self.addCleanup(self.restore_cpu, 3)
        self.remove_add('cpu3', 'cpu')

    def test_slot(self):
        self.addCleanup(ht.write_sysfs, '/sys/bus/pci/slots/4/power', '1')
        self.remove_add('slot-4', 'slot')

    def test_sb(self):
        self.remove_add('sb1', 'sb')

    def test_iou(self):
        self.remove_add('iou1', 'iou')

    def test_memory_remove_of_unmovable_base_memory_rolls_back(self):
        # the base memory's first block cannot be offlined (valid_zones none):
        # the remove fails there, the blocks already offlined come back.
        # Its blockers say so beforehand: forced, to reach the kernel's refusal
        self.standard_hooks('memory', 'remove')
        self.start()
        mems = [ifaces[ht.UNIT_IFACE]['Id'] for ifaces in ht.managed_objects(self.conn).values()
                if ht.UNIT_IFACE in ifaces and ifaces[ht.UNIT_IFACE]['Kind'] == 'memory']
        self.assertEqual(len(mems), 1, mems)
        mem = mems[0]
        state, reason = self.run_op(mem, 'remove', force=True)
        self.assertEqual(state, 'failed')
        self.assertTrue(reason)
        self.assertEqual(self.prop(mem, 'MemoryBlocksOnline'), MACHINE.base_memory['MemoryBlocks'])
        self.assertEqual(self.prop(mem, 'State'), 'online')
        self.assertEqual(self.hook_log(), [['pre-remove', mem, '10-any'], ['pre-remove', mem, '20-memory'],
                                           ['remove-failed', mem, '20-memory'], ['remove-failed', mem, '10-any']])


class Vetoes(Ops):
    def test_veto_in_pre_remove(self):
        self.hook('any', 'pre-remove', '10-any')
        self.hook('cpu', 'pre-remove', '20-veto', extra='echo "reason=cpu busy with batch job"; exit 1')
        self.hook('any', 'pre-remove', '30-after')
        self.hook('any', 'remove-failed', '10-any')
        self.hook('cpu', 'remove-failed', '20-cpu')
        self.start()
        self.addCleanup(self.restore_cpu, 3)
        state, reason = self.run_op('cpu3', 'remove')
        self.assertEqual(state, 'vetoed')
        self.assertIn('cpu busy with batch job', reason)
        self.assertEqual(self.hook_log(), [['pre-remove', 'cpu3', '10-any'], ['pre-remove', 'cpu3', '20-veto'],
                                           ['remove-failed', 'cpu3', '20-cpu'], ['remove-failed', 'cpu3', '10-any']])
        self.assertEqual(self.prop('cpu3', 'State'), 'online')
        self.assertEqual(ht.read_sysfs(CPU.format(3)), '1')
        self.clear_log()
        r = ht.ctl('remove', 'cpu3')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('cpu busy with batch job', r.stdout + r.stderr)

    def test_veto_in_pre_add(self):
        ht.write_sysfs(CPU.format(3), '0')
        self.addCleanup(self.restore_cpu, 3)
        self.hook('cpu', 'pre-add', '10-veto', extra='echo reason=not today; exit 3')
        self.hook('cpu', 'add-failed', '10-cpu')
        self.start()
        state, reason = self.run_op('cpu3', 'add')
        self.assertEqual((state, reason), ('vetoed', 'not today'))
        self.assertEqual(self.prop('cpu3', 'State'), 'offline')
        self.assertEqual(ht.read_sysfs(CPU.format(3)), '0')
        self.assertEqual(self.hook_log(), [['pre-add', 'cpu3', '10-veto'], ['add-failed', 'cpu3', '10-cpu']])


class KernelFailures(Ops):
    def check_rollback(self, uid, op, attr, want_online):
        self.standard_hooks(self.kind, op)
        self.start()
        ht.sim_ctl('fail', attr, '1', '--errno', 'EBUSY')
        self.addCleanup(ht.sim_ctl, 'fail', attr, '0', check=False)
        state, reason = self.run_op(uid, op)
        self.assertEqual(state, 'failed')
        self.assertTrue(reason)
        self.assertEqual(self.hook_log(), [[f'pre-{op}', uid, '10-any'], [f'pre-{op}', uid, f'20-{self.kind}'],
                                           [f'{op}-failed', uid, f'20-{self.kind}'],
                                           [f'{op}-failed', uid, '10-any']])
        failed_lines = [line for line in self.hook_lines() if line.startswith(f'{op}-failed')]
        for line in failed_lines:
            self.assertNotIn(' reason= ', line + ' ')
        for k, v in want_online.items():
            self.assertEqual(self.prop(uid, k), v, k)

    def test_cpu_offline_fails(self):
        self.kind = 'sb'
        self.addCleanup(self.restore_board, 'sb2')
        cpus = MACHINE.cpus_of('sb2')
        # the 6th CPU refuses: the 5 already offlined come back
        self.check_rollback('sb2', 'remove', CPU.format(cpus[5]),
                            {'CpusOnline': MACHINE.units['sb2']['Cpus'], 'State': 'online'})

    def test_memory_offline_fails(self):
        self.kind = 'sb'
        self.addCleanup(self.restore_board, 'sb2')
        blocks = MACHINE.blocks_of('sb2')
        self.check_rollback('sb2', 'remove', MEM.format(blocks[len(blocks) // 2]),
                            {'MemoryBlocksOnline': len(blocks), 'CpusOnline': MACHINE.units['sb2']['Cpus'],
                             'State': 'online'})

    def test_slot_power_fails(self):
        self.kind = 'slot'
        self.addCleanup(ht.write_sysfs, '/sys/bus/pci/slots/5/power', '1')
        self.check_rollback('slot-5', 'remove', '/sys/bus/pci/slots/5/power',
                            {'State': 'online', 'PciDevices': MACHINE.units['slot-5']['PciDevices']})

    def test_cpu_online_fails_on_add(self):
        self.kind = 'cpu'
        ht.write_sysfs(CPU.format(3), '0')
        self.addCleanup(self.restore_cpu, 3)
        self.check_rollback('cpu3', 'add', CPU.format(3), {'State': 'offline', 'CpusOnline': ''})


def undo_of(desc):
    """The rollback steps (descriptions, as StepStarted says) that undo one
    kernel step, in the order the engine runs them."""
    verb, _, rest = desc.partition(' ')
    if desc.startswith('remove PCI device '):
        return ['rescan *']       # below its parent, or every bus for a root port
    if verb == 'offline' and rest.startswith('memory'):
        return [f'online {rest} (online)']
    if verb == 'offline':
        return [f'online {rest}']
    if verb == 'online':
        return ['offline ' + rest.split(' (')[0]]
    if desc.startswith('power off slot '):
        n = desc.rsplit(' ', 1)[1]
        return [f'power on slot {n}', 'rescan the PCI buses', f'wait for the devices of slot-{n}']
    if desc.startswith('power on slot '):
        return ['power off slot ' + desc.rsplit(' ', 1)[1]]
    return []


class StepFailures(Ops):
    """A kernel write fails at each kind of step: the job fails naming the
    step, what was done is undone latest first, the *-failed hooks run in
    descending order with the failure in their environment, and the unit is
    back as it was."""

    def start(self, polkit=None, args=()):
        super().start(polkit, args)
        self.rec = ht.SignalRecorder(members=('StepStarted',))
        self.addCleanup(self.rec.stop)

    def container(self, uid):
        return os.path.basename(self.prop(uid, 'SysfsPath'))

    def steps_of(self, job):
        """(phase, description) of every step the job started, in order."""
        return [(e[5][0], e[5][2]) for e in self.rec.snapshot() if e[4] == 'StepStarted' and e[2] == job]

    def fail_step(self, uid, op, kind, attr, step, errno='EBUSY'):
        """Arm one failure of attr, run op on uid; check the job, the
        rollback and the hooks.  Returns the kernel steps done before the
        failing one."""
        self.standard_hooks(kind, op)
        if not hasattr(self, 'env'):
            self.start()
        self.clear_log()
        ht.sim_ctl('fail', attr, '1', '--errno', errno)
        self.addCleanup(ht.sim_ctl, 'fail', attr, '0', check=False)
        job = self.request(uid, op)
        state, reason = self.wait_job_object(job, timeout=60)
        self.assertEqual(state, 'failed', reason)
        self.assertTrue(reason.startswith(step + ': '), (reason, step))
        steps = self.steps_of(job)
        kernel = [d for p, d in steps if p in ('enable', 'disable')]
        self.assertTrue(kernel, steps)
        self.assertEqual(kernel[-1], step, kernel)
        done = kernel[:-1]
        want = [u for d in reversed(done) for u in undo_of(d)]
        rollback = self.rollback = [d for p, d in steps if p == 'rollback']
        self.assertEqual(len(rollback), len(want), (rollback, want))
        for got, w in zip(rollback, want):
            if w.endswith('*'):
                self.assertTrue(got.startswith(w[:-1]), (got, w))
            else:
                self.assertEqual(got, w)
        # nothing after the rollback but the *-failed hooks
        self.assertEqual([p for p, d in steps][-1], f'{op}-failed', steps)
        self.assertEqual(self.hook_log(), [[f'pre-{op}', uid, '10-any'], [f'pre-{op}', uid, f'20-{kind}'],
                                           [f'{op}-failed', uid, f'20-{kind}'], [f'{op}-failed', uid, '10-any']])
        for line in self.hook_lines()[2:]:
            self.assertIn(f' failed={step} reason={reason}', line)
        self.assertEqual(self.prop(uid, 'Job'), '/')
        self.assertEqual(self.prop(uid, 'LastJobState'), 'failed')
        return done

    def assert_whole(self, uid):
        want = MACHINE.units[uid]
        for key in ('State', 'CpusOnline', 'MemoryBlocksOnline', 'PciDevices'):
            self.assertEqual(self.prop(uid, key), want[key], key)
        for c in ht.parse_list(want['Cpus']):
            self.assertEqual(ht.read_sysfs(CPU.format(c)), '1', c)
        for b in ht.parse_list(want.get('MemoryRanges', '')):
            self.assertEqual(ht.read_sysfs(MEM.format(b)), 'online', b)
        for bdf in want['PciDevices']:
            self.assertTrue(os.path.exists('/sys/bus/pci/devices/' + bdf), bdf)
        if want['Kind'] in ('sb', 'iou'):
            self.assertIn(f'{uid} present', ht.sim_ctl('status').stdout)

    def test_sb_remove_container_offline_fails(self):
        self.start()
        self.addCleanup(self.restore_board, 'sb2')
        c = self.container('sb2')
        done = self.fail_step('sb2', 'remove', 'sb', f'/sys/devices/system/container/{c}/online',
                              f'offline container {c}')
        self.assertEqual(len(done), len(MACHINE.cpus_of('sb2')) + len(MACHINE.blocks_of('sb2')))
        self.assertEqual(ht.read_sysfs(f'/sys/devices/system/container/{c}/online'), '1')
        self.assert_whole('sb2')

    def test_sb_remove_eject_fails(self):
        self.start()
        self.addCleanup(self.restore_board, 'sb1')
        c = self.container('sb1')
        done = self.fail_step('sb1', 'remove', 'sb', 'eject', f'eject {c}')
        self.assertEqual(done[-1], f'offline container {c}')
        self.assertEqual(ht.read_sysfs(f'/sys/devices/system/container/{c}/online'), '1')
        self.assert_whole('sb1')

    def test_slot_remove_pci_remove_fails(self):
        # slot-3: a switch (81:00.0, 82:08.0, 82:10.0) with an NVMe drive
        # below each downstream port; removed deepest first, the upstream
        # port last: it refuses, the four removed before come back
        self.addCleanup(ht.write_sysfs, '/sys/bus/pci/slots/3/power', '1')
        devs = MACHINE.units['slot-3']['PciDevices']
        self.assertEqual(len(devs), 5, devs)
        done = self.fail_step('slot-3', 'remove', 'slot', '/sys/bus/pci/devices/0000:81:00.0/remove',
                              'remove PCI device 0000:81:00.0')
        self.assertEqual(done, ['remove PCI device 0000:84:00.0', 'remove PCI device 0000:83:00.0',
                                'remove PCI device 0000:82:10.0', 'remove PCI device 0000:82:08.0'])
        # each one rescanned below its parent, the last removed first
        self.assertEqual(self.rollback, ['rescan PCI below 0000:81:00.0', 'rescan PCI below 0000:81:00.0',
                                         'rescan PCI below 0000:82:08.0', 'rescan PCI below 0000:82:10.0'])
        self.assertEqual(ht.read_sysfs('/sys/bus/pci/slots/3/power'), '1')
        self.assert_whole('slot-3')
        self.assert_whole('iou0')

    def test_iou_remove_eject_fails(self):
        self.start()
        self.addCleanup(self.restore_board, 'iou0')
        c = self.container('iou0')
        done = self.fail_step('iou0', 'remove', 'iou', 'eject', f'eject {c}')
        self.assertEqual(len(done), len(MACHINE.units['iou0']['PciDevices']) + 1, done)
        self.assertEqual(done[-1], f'offline container {c}')
        self.assert_whole('iou0')
        for s in ('slot-3', 'slot-4'):
            self.assert_whole(s)

    def removed_slot(self, n):
        """slot-n removed by the daemon (the machine restored afterwards)."""
        self.addCleanup(self.restore_slot, n)
        self.start()
        self.assertEqual(self.run_op(f'slot-{n}', 'remove'), ('succeeded', ''))
        self.assertEqual(self.prop(f'slot-{n}', 'State'), 'offline')

    def restore_slot(self, n):
        ht.sim_ctl('fail', 'power', '0', check=False)
        ht.sim_ctl('fail', '/sys/bus/pci/rescan', '0', check=False)
        if ht.read_sysfs(f'/sys/bus/pci/slots/{n}/power') != '1':
            ht.write_sysfs(f'/sys/bus/pci/slots/{n}/power', '1')
        ht.write_sysfs('/sys/bus/pci/rescan', '1')

    def assert_slot_off(self, n):
        self.assertEqual(ht.read_sysfs(f'/sys/bus/pci/slots/{n}/power'), '0')
        self.assertEqual(self.prop(f'slot-{n}', 'State'), 'offline')
        self.assertEqual(self.prop(f'slot-{n}', 'PciDevices'), [])
        for bdf in MACHINE.units[f'slot-{n}']['PciDevices']:
            self.assertFalse(os.path.exists('/sys/bus/pci/devices/' + bdf), bdf)

    def test_slot_add_power_fails(self):
        self.removed_slot(4)
        done = self.fail_step('slot-4', 'add', 'slot', '/sys/bus/pci/slots/4/power', 'power on slot 4')
        self.assertEqual(done, [])
        self.assert_slot_off(4)

    def test_slot_add_rescan_fails(self):
        # the slot is powered (its card enumerated by the kernel), then the
        # rescan fails: power goes off again, the card's devices with it
        self.removed_slot(6)
        done = self.fail_step('slot-6', 'add', 'slot', '/sys/bus/pci/rescan', 'rescan the PCI buses')
        self.assertEqual(done, ['power on slot 6'])
        self.assert_slot_off(6)

    def test_sb_add_memory_online_fails(self):
        conf = os.path.join(self.hooks_root, 'hotplugd.conf')
        with open(conf, 'w') as f:
            f.write('[daemon]\nauto-add=false\n')
        self.daemon_args = ['--config', conf]
        self.start()
        self.addCleanup(self.restore_board, 'sb3')
        ht.sim_ctl('pull', 'sb3')
        ht.sim_ctl('insert', 'sb3')
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (self.unit_exists('sb3') and self.prop('sb3', 'State') == 'offline'
                                                    and self.prop('sb3', 'Job') == '/'):
            time.sleep(0.05)
        self.assertEqual(self.prop('sb3', 'State'), 'offline')
        self.assertEqual(self.prop('sb3', 'MemoryBlocksOnline'), 0)
        blocks = MACHINE.blocks_of('sb3')
        done = self.fail_step('sb3', 'add', 'sb', MEM.format(blocks[3]), f'online memory{blocks[3]} (online_movable)')
        self.assertEqual(done, [f'online memory{b} (online_movable)' for b in blocks[:3]])
        self.assertEqual(self.prop('sb3', 'State'), 'offline')
        self.assertEqual((self.prop('sb3', 'CpusOnline'), self.prop('sb3', 'MemoryBlocksOnline')), ('', 0))
        for b in blocks:
            self.assertEqual(ht.read_sysfs(MEM.format(b)), 'offline', b)
        for c in MACHINE.cpus_of('sb3'):
            self.assertEqual(ht.read_sysfs(CPU.format(c)), '0', c)


if __name__ == '__main__':
    ht.run_tests()
