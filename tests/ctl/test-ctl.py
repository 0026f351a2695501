#!/usr/bin/python3
# hotplugctl against fake-hotplugd.py on a private bus: every listing in text
# and JSON, the device trees, monitor, add and remove followed to their end,
# jobs, cancel, hooks, and the errors a user meets.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import pty
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import (HOTPLUGCTL, PATH, Bus, CtlTestCase, OperationTestCase,  # noqa: E402
                     ctl_env, read_line, run_on_pty, table)

UNIT = 'org.hotplugd.Hotplug1.Unit'
NOT_RUNNING = 'hotplugctl: hotplugd is not running (org.hotplugd.Hotplug1 not on the system bus)\n'
GiB = 1024 ** 3

UNIT_ORDER = ['sb0', 'sb1', 'sb2', 'sb10', 'iou0', 'iou1', 'slot-1', 'slot-2',
              'slot-3', 'slot-10', 'cpu2', 'cpu10', 'memory-node1']

SLOT1_TREE_UTF8 = '''\
  └─ 0000:41:00.0 10b5:8747 0x060400
     ├─ 0000:42:00.0 10b5:8747 0x060400
     │  └─ 0000:43:00.0 8086:1572 0x020000
     └─ 0000:42:01.0 144d:a808 0x010802
'''

SLOT1_TREE_ASCII = '''\
  `- 0000:41:00.0 10b5:8747 0x060400
     |- 0000:42:00.0 10b5:8747 0x060400
     |  `- 0000:43:00.0 8086:1572 0x020000
     `- 0000:42:01.0 144d:a808 0x010802
'''


class TestListings(CtlTestCase):
    def test_status_rows(self):
        out = self.ok('status')
        self.assertNotIn('\033', out)
        units, domains = out.split('\n\n')
        rows = table(units)
        self.assertEqual(rows[0], ['ID', 'KIND', 'STATE', 'PHASE', 'CPUS', 'MEMORY', 'PCI', 'PARENT'])
        self.assertEqual([r[0] for r in rows[1:]], UNIT_ORDER)
        by_id = {r[0]: r for r in rows[1:]}
        self.assertEqual(by_id['sb0'], ['sb0', 'sb', 'online', '-', '16/16 0-15',
                                        '64 GiB 64/64 blocks', '6', '-'])
        self.assertEqual(by_id['sb1'][2:6], ['removing', 'pre-remove (job 3)', '8/16 16-31',
                                             '64 GiB 32/64 blocks'])
        self.assertEqual(by_id['sb2'][1:], ['sb', 'absent', '-', '-', '-', '-', '-'])
        self.assertEqual(by_id['slot-1'][6:], ['4', 'sb0'])
        self.assertEqual(by_id['slot-10'][6:], ['1', 'iou0'])
        self.assertEqual(by_id['cpu10'][4], '0/1 10')
        self.assertEqual(by_id['memory-node1'][5], '8 GiB 60/64 blocks')
        self.assertEqual(table(domains), [['DOMAIN', 'CONNECTION'], ['0000', 'connected'],
                                          ['0001', 'inactive']])

    def test_status_is_default(self):
        self.assertEqual(self.ok(), self.ok('status'))

    def test_status_json(self):
        for args in (['--json'], ['--json', 'status'], ['status', '--json']):
            data = self.json(*args)
            self.assertEqual([u['Id'] for u in data['Units']], UNIT_ORDER)
            sb0 = data['Units'][0]
            self.assertEqual(sb0['MemoryBytes'], 64 * GiB)
            self.assertEqual(sb0['MemoryBlocksOnline'], 64)
            self.assertEqual(sb0['Cpus'], '0-15')
            self.assertEqual(sb0['Slots'], ['slot-1', 'slot-2', 'slot-3'])
            self.assertEqual(sb0['PciDevices'][0], '0000:41:00.0')
            self.assertEqual(sb0['Blockers'], [['mount', '/dev/nvme0n1p1', '/data', '']])
            self.assertEqual(sb0['Job'], '/')
            self.assertEqual(data['Units'][1]['Job'], PATH + '/job/3')
            self.assertEqual([(d['Id'], d['ConnectionState']) for d in data['Domains']],
                             [('0000', 'connected'), ('0001', 'inactive')])

    def test_show_unit(self):
        out = self.ok('show', 'sb1')
        lines = dict(re.match(r'^(\S[^:]*):\s*(.*)$', l).groups()
                     for l in out.split('\n') if l and not l.startswith(' ') and ':' in l)
        self.assertEqual(lines['Id'], 'sb1')
        self.assertEqual(lines['State'], 'removing')
        self.assertEqual(lines['Phase'], 'pre-remove')
        self.assertEqual(lines['Memory'], '64 GiB')
        self.assertEqual(lines['Memory blocks'], '64 (32 online)')
        self.assertEqual(lines['CPUs'], '16-31')
        self.assertEqual(lines['CPUs online'], '16-23')
        self.assertEqual(lines['Job'], PATH + '/job/3')
        self.assertEqual(lines['Hotpluggable'], 'yes')
        # no job ended on sb1 yet: no last job lines
        self.assertNotIn('Last job', out)
        self.assertIn('Running job:\n', out)
        self.assertRegex(out, r'\n  Operation: +remove\n')
        self.assertRegex(out, r'\n  Progress: +20%\n')
        # values line up
        starts = {l.index(':') + 1 + len(l[l.index(':') + 1:]) - len(l[l.index(':') + 1:].lstrip())
                  for l in out.split('\n') if l and not l.startswith(' ') and not l.endswith(':')}
        self.assertEqual(len(starts), 1, out)

    def test_show_last_job(self):
        out = self.ok('show', 'sb10')
        self.assertRegex(out, r'\nLast job: +add\n')
        self.assertRegex(out, r'\nLast job state: +vetoed\n')
        self.assertRegex(out, r'\nLast job reason: +board sb10 is reserved\n')
        self.assertRegex(out, r'\nLast job ended: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n')
        data = self.json('show', 'sb10', '--json')
        self.assertEqual((data['LastJobOperation'], data['LastJobState'], data['LastJobEndTime']),
                         ('add', 'vetoed', 1700000100000000))

    def test_show_not_hotpluggable(self):
        out = self.ok('show', 'slot-2')
        self.assertRegex(out, r'\nHotpluggable: +no: the platform lists this slot but cannot power it\n')
        data = self.json('show', 'slot-2', '--json')
        self.assertEqual((data['Hotpluggable'], data['HotpluggableReason']),
                         (False, 'the platform lists this slot but cannot power it'))

    def test_show_slot_tree(self):
        out = self.ok('show', 'slot-1')
        self.assertIn('Device tree:\n' + SLOT1_TREE_UTF8, out)
        self.assertRegex(out, r'\nParent: +sb0\n')
        self.assertNotIn('Running job', out)

    def test_show_json(self):
        data = self.json('show', 'sb1', '--json')
        self.assertEqual(data['Id'], 'sb1')
        self.assertEqual(data['MemoryBlocksOnline'], 32)
        self.assertEqual(data['Devices'], [])
        job = data['RunningJob']
        # quotes, a tab and a backslash survive the trip
        self.assertEqual(job['Step'], 'running hook "10-stop-batch-jobs"\tC:\\jobs')
        self.assertEqual(job['Id'], 3)
        self.assertEqual(job['StartTime'], 1700000000123456)
        data = self.json('--json', 'show', 'slot-1')
        self.assertIsNone(data['RunningJob'])
        self.assertEqual([(d['Address'], d['Depth'], d['Parent']) for d in data['Devices']],
                         [('0000:41:00.0', 0, ''), ('0000:42:00.0', 1, '0000:41:00.0'),
                          ('0000:43:00.0', 2, '0000:42:00.0'), ('0000:42:01.0', 1, '0000:41:00.0')])
        self.assertEqual(data['Devices'][2]['Description'], '8086:1572 0x020000')

    def test_slots(self):
        rows = table(self.ok('slots'))
        self.assertEqual(rows, [
            ['SLOT', 'STATE', 'ADDRESS', 'DEVICES', 'PARENT', 'DOMAIN'],
            ['slot-1', 'online', '0000:41:00', '4', 'sb0', '0000'],
            ['slot-2', 'online', '0000:51:00', '2', 'sb0', '0000'],
            ['slot-3', 'absent', '-', '0', 'sb0', '0000'],
            ['slot-10', 'online', '0001:02:00', '1', 'iou0', '0001'],
        ])

    def test_slots_tree(self):
        out = self.ok('slots', '--tree')
        lines = out.split('\n')
        self.assertTrue(lines[1].startswith('slot-1 '))
        self.assertEqual('\n'.join(lines[2:6]) + '\n', SLOT1_TREE_UTF8)
        self.assertTrue(lines[6].startswith('slot-2 '))
        self.assertEqual(lines[7:9], ['  ├─ 0000:51:00.0 15b3:1017 0x020000',
                                      '  └─ 0000:51:00.1 15b3:1017 0x020000'])
        self.assertTrue(lines[9].startswith('slot-3 '))
        self.assertTrue(lines[10].startswith('slot-10 '))
        self.assertEqual(lines[11], '  └─ 0001:02:00.0 10de:20b0 0x030200')
        # without UTF-8, the tree is drawn in ASCII
        out = self.ok('slots', '--tree', LC_ALL='C')
        self.assertIn(SLOT1_TREE_ASCII, out)

    def test_slots_json(self):
        data = self.json('slots', '--json')
        self.assertEqual([s['Id'] for s in data], ['slot-1', 'slot-2', 'slot-3', 'slot-10'])
        self.assertEqual(data[0]['Address'], '0000:41:00')
        self.assertIsNone(data[2]['Address'])
        self.assertEqual(data[2]['Devices'], [])
        self.assertEqual(data[0]['Parent'], 'sb0')
        self.assertEqual([d['Depth'] for d in data[0]['Devices']], [0, 1, 2, 1])

    def test_domains(self):
        self.assertEqual(table(self.ok('domains')), [
            ['DOMAIN', 'CONNECTION', 'JOB', 'DEVICES', 'BLOCKERS', 'SLOTS'],
            ['0000', 'connected', '-', '6', '2', 'slot-1,slot-2,slot-3'],
            ['0001', 'inactive', '-', '1', '0', 'slot-10'],
        ])
        data = self.json('domains', '--json')
        self.assertEqual(data[0]['Id'], '0000')
        self.assertEqual(data[0]['Slots'], ['slot-1', 'slot-2', 'slot-3'])
        self.assertEqual(len(data[0]['PciDevices']), 6)
        self.assertEqual(data[1]['ConnectionState'], 'inactive')
        self.assertEqual(data[0]['Blockers'][0], ['mount', '/', 'ext4 /dev/nvme0n1p2 on nvme0n1p2', ''])
        self.assertEqual(data[1]['Blockers'], [])

    def test_colour_on_terminal(self):
        def run_on_pty(**extra):
            pid, fd = pty.fork()
            if pid == 0:
                env = ctl_env(self.bus.address, TERM='xterm', **extra)
                os.execve(HOTPLUGCTL, [HOTPLUGCTL, 'status'], env)
            out = b''
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            _, status = os.waitpid(pid, 0)
            os.close(fd)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0, out)
            return out.decode()

        out = run_on_pty()
        self.assertIn('\033[1mID', out)
        self.assertIn('\033[32monline\033[0m', out)
        self.assertIn('\033[33mremoving\033[0m', out)
        self.assertIn('\033[1;31mfailed\033[0m', out)
        self.assertIn('\033[2mabsent\033[0m', out)
        out = run_on_pty(NO_COLOR='1')
        self.assertNotIn('\033', out)
        self.assertIn('online', out)


class TestErrors(CtlTestCase):
    def test_unknown_unit(self):
        r = self.run_ctl('show', 'sb99')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'hotplugctl: no such unit: sb99\n')
        self.assertEqual(r.stdout, '')

    def test_id_not_utf8(self):
        # an argument that is not UTF-8 is no id: said plainly, no critical
        for args in ([b'add', b'sb\xff'], [b'show', b'\xc3'], [b'remove', b'slot-\xe2\x82'],
                     [b'slots', b'--tree', b'\xff'], [b'cancel', b'\xff'], [b'switchover', b'\xff']):
            r = subprocess.run([HOTPLUGCTL.encode()] + args, capture_output=True, timeout=30,
                               env=ctl_env(self.bus.address))
            self.assertNotEqual(r.returncode, 0, args)
            self.assertEqual(r.stdout, b'', args)
            self.assertNotIn(b'CRITICAL', r.stderr, args)
            self.assertIn('is not valid: ids and arguments are UTF-8 text', r.stderr.decode(), args)

    def test_remote_error_without_gdbus_prefix(self):
        self.test.FailListDevices('cannot read slot-1: device went away')
        r = self.run_ctl('slots', '--tree')
        self.assertEqual(r.returncode, 1)
        self.assertIn('hotplugctl: cannot read slot-1: device went away\n', r.stderr)
        self.assertNotIn('GDBus', r.stderr)

    def test_bad_usage(self):
        for args in (['frobnicate'], ['show'], ['show', 'sb0', 'sb1'], ['status', 'extra'],
                     ['--bogus'], ['slots', '--bogus'], ['monitor', 'x'], ['domains', 'x'],
                     ['add'], ['remove', 'sb0', 'sb1'], ['remove', 'sb0', '--timeout', 'soon'],
                     ['remove', 'sb0', '--timeout', '0'], ['remove', 'sb0', '--timeout', '-5'],
                     ['add', 'sb0', '--timeout', '4294967296'], ['remove', 'sb0', '--json'],
                     ['jobs', 'x'], ['cancel'], ['cancel', 'seven'], ['cancel', '3', '4'],
                     ['hooks', 'pre-add', 'post-add'], ['hooks', '--kind'],
                     ['add', 'sb0', '--no-eject']):
            r = self.run_ctl(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, '', args)
            self.assertTrue(r.stderr.startswith('hotplugctl: '), r.stderr)
            self.assertIn('Usage:', r.stderr, args)

    def test_help(self):
        out = self.ok('--help')
        for command in ('status', 'show', 'slots', 'domains', 'monitor', 'add', 'remove',
                        'jobs', 'cancel', 'hooks'):
            self.assertRegex(out, r'\n  %s +\S' % command)
        self.assertIn('hotplugctl show [OPTION…] UNIT', self.ok('show', '--help'))
        self.assertIn('--tree', self.ok('slots', '--help'))
        self.assertIn('--json', self.ok('monitor', '--help'))
        for option in ('--no-wait', '--force', '--dry-run', '--timeout=SECONDS', '--strict', '--no-eject'):
            self.assertIn(option, self.ok('remove', '--help'))
        self.assertIn('--strict', self.ok('add', '--help'))
        self.assertNotIn('--no-eject', self.ok('add', '--help'))
        self.assertIn('--kind=KIND', self.ok('hooks', '--help'))


class TestNoDaemon(unittest.TestCase):
    def check_not_running(self, env):
        for args in (['status'], ['show', 'sb0'], ['slots'], ['domains', '--json'], ['monitor'],
                     ['remove', 'sb0'], ['jobs'], ['cancel', '3'], ['hooks']):
            r = subprocess.run([HOTPLUGCTL] + args, capture_output=True, env=env,
                               universal_newlines=True, timeout=30)
            self.assertEqual(r.returncode, 1, args)
            self.assertEqual(r.stderr, NOT_RUNNING, args)
            self.assertEqual(r.stdout, '', args)

    def test_bus_without_daemon(self):
        bus = Bus()
        try:
            self.check_not_running(ctl_env(bus.address))
        finally:
            bus.stop()

    def test_no_bus(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.check_not_running(ctl_env('unix:path=' + os.path.join(tmp, 'nobus')))


class TestMonitor(CtlTestCase):
    TIME = r'\d\d:\d\d:\d\d\.\d{3} '

    def start(self, *args):
        proc = subprocess.Popen([HOTPLUGCTL, 'monitor'] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=ctl_env(self.bus.address))
        self.addCleanup(self.cleanup, proc)
        # The notice on stderr comes once the subscription is in place.
        notice = self.read_line(proc, proc.stderr, 10)
        self.assertEqual(notice, 'Monitoring hotplugd. Press Ctrl-C to stop.')
        return proc

    def cleanup(self, proc):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    def read_line(self, proc, stream, timeout):
        '''One line from stream, or None after timeout seconds.'''
        return read_line(stream, timeout)

    def lines(self, proc, count):
        '''Exactly count lines, and no more within half a second.'''
        got = []
        for _ in range(count):
            line = self.read_line(proc, proc.stdout, 10)
            self.assertIsNotNone(line, 'only %d of %d lines: %r' % (len(got), count, got))
            got.append(line)
        extra = self.read_line(proc, proc.stdout, 0.5)
        self.assertIsNone(extra, 'unexpected line after %r' % got)
        return got

    def stop(self, proc):
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=10)
        err = getattr(proc.stderr, 'pending', b'') + proc.stderr.read()
        self.assertEqual(status, 0, err.decode(errors='replace'))
        self.assertEqual(err, b'')

    def set(self, path, interface, name, value):
        self.test.SetProperty(dbus.ObjectPath(PATH + path), interface, name, value)

    def test_unit_state_change(self):
        proc = self.start()
        self.set('/unit/sb0', UNIT, 'State', dbus.String('offline'))
        [line] = self.lines(proc, 1)
        self.assertRegex(line, '^' + self.TIME + 'sb0 state online → offline$')
        # the same value again is no change
        self.set('/unit/sb0', UNIT, 'State', dbus.String('offline'))
        self.set('/unit/sb1', UNIT, 'Phase', dbus.String(''))
        [line] = self.lines(proc, 1)
        self.assertRegex(line, '^' + self.TIME + 'sb1 phase pre-remove → -$')
        self.stop(proc)

    def test_online_counts(self):
        proc = self.start()
        self.set('/unit/sb1', UNIT, 'CpusOnline', dbus.String('16-19'))
        self.set('/unit/sb1', UNIT, 'MemoryBlocksOnline', dbus.UInt32(16))
        # not watched: no line
        self.set('/unit/sb1', UNIT, 'SysfsPath', dbus.String('/sys/x'))
        a, b = self.lines(proc, 2)
        self.assertRegex(a, '^' + self.TIME + 'sb1 cpus-online 16-23 → 16-19$')
        self.assertRegex(b, '^' + self.TIME + 'sb1 memory-blocks-online 32 → 16$')
        self.stop(proc)

    def test_unit_added_removed(self):
        proc = self.start()
        self.test.AddUnit('sb4', 'sb', 'offline')
        [line] = self.lines(proc, 1)
        self.assertRegex(line, '^' + self.TIME + 'sb4 added: sb, offline$')
        self.test.RemoveUnit('slot-2')
        [line] = self.lines(proc, 1)
        self.assertRegex(line, '^' + self.TIME + 'slot-2 removed$')
        self.stop(proc)

    def test_job_and_domain(self):
        proc = self.start()
        self.set('/job/3', 'org.hotplugd.Hotplug1.Job', 'Phase', dbus.String('disable'))
        self.set('/job/3', 'org.hotplugd.Hotplug1.Job', 'Step', dbus.String('offlining cpu16'))
        self.set('/job/3', 'org.hotplugd.Hotplug1.Job', 'Progress', dbus.UInt32(50))
        self.set('/domain/0000', 'org.hotplugd.Hotplug1.Domain', 'ConnectionState',
                 dbus.String('disconnecting'))
        lines = self.lines(proc, 3)
        self.assertRegex(lines[0], '^' + self.TIME + 'job 3 phase pre-remove → disable$')
        self.assertRegex(lines[1], '^' + self.TIME + r'job 3 step running hook "10-stop-batch-jobs"\tC:\\jobs → offlining cpu16$')
        self.assertRegex(lines[2], '^' + self.TIME + 'domain 0000 connection connected → disconnecting$')
        self.stop(proc)

    def test_pending(self):
        # what a domain's job waits on, as it comes and goes
        proc = self.start()
        self.test.SetJobScript(json.dumps({'steps': [['pending', '0001:02:00.0', 'device busy', 0],
                                                     ['sleep', 100], ['pending', '', '', 0]]}))
        self.assertEqual(subprocess.run([HOTPLUGCTL, 'switchover', '1', '--no-wait'], capture_output=True,
                                        env=ctl_env(self.bus.address)).returncode, 0)
        lines = self.lines(proc, 3)
        self.assertRegex(lines[0], '^' + self.TIME + 'job 7 started: switchover 0001$')
        self.assertRegex(lines[1], '^' + self.TIME + 'job 7 pending - → 0001:02:00.0$')
        self.assertRegex(lines[2], '^' + self.TIME + 'job 7 pending 0001:02:00.0 → -$')
        self.stop(proc)

    def test_json_lines(self):
        proc = self.start('--json')
        self.set('/unit/sb0', UNIT, 'MemoryBlocksOnline', dbus.UInt32(10))
        self.test.AddUnit('cpu7', 'cpu', 'offline')
        self.test.RemoveUnit('cpu7')
        changed, added, removed = [json.loads(l) for l in self.lines(proc, 3)]
        self.assertEqual((changed['event'], changed['type'], changed['id'], changed['property'],
                          changed['old'], changed['new']),
                         ('changed', 'unit', 'sb0', 'MemoryBlocksOnline', 64, 10))
        self.assertRegex(changed['time'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d')
        self.assertEqual((added['event'], added['id'], added['properties']['Kind']),
                         ('added', 'cpu7', 'cpu'))
        self.assertEqual((removed['event'], removed['id']), ('removed', 'cpu7'))
        self.stop(proc)


HOOK1 = '/etc/hotplugd/hooks.d/sb/pre-remove/10-stop-batch-jobs'
HOOK2 = '/usr/lib/hotplugd/hooks.d/any/post-remove/90-notify'
FAILED_HOOK = '/usr/lib/hotplugd/hooks.d/any/remove-failed/90-notify'

# A remove that succeeds: three phases, a hook in two of them.
SUCCESS = [
    ['start', 'pre-remove', 0, 'run the pre-remove hooks', 5],
    ['hook', 'pre-remove', HOOK1, 0, 'ok', 12000],
    ['finish', 0, True, ''],
    ['start', 'disable', 1, 'offline cpu16', 30],
    ['finish', 1, True, ''],
    ['start', 'disable', 2, 'offline memory block 1023', 60],
    ['finish', 2, True, ''],
    ['start', 'post-remove', 3, 'run the post-remove hooks', 90],
    ['hook', 'post-remove', HOOK2, 0, 'ok', 2500000],
    ['finish', 3, True, ''],
    ['progress', 100],
    ['end', 'succeeded', ''],
]
SUCCESS_LINES = [
    'remove sb1: job 7',
    'phase pre-remove',
    '  → run the pre-remove hooks',
    '    hook %s: ok (12 ms)' % HOOK1,
    '  ✓ run the pre-remove hooks',
    'phase disable',
    '  → offline cpu16',
    '  ✓ offline cpu16',
    '  → offline memory block 1023',
    '  ✓ offline memory block 1023',
    'phase post-remove',
    '  → run the post-remove hooks',
    '    hook %s: ok (2.5 s)' % HOOK2,
    '  ✓ run the post-remove hooks',
    'remove sb1 succeeded',
]

VETO = [
    ['start', 'pre-remove', 0, 'run the pre-remove hooks', 5],
    ['hook', 'pre-remove', HOOK1, 1, 'vetoed: batch job 42 still running', 3000],
    ['finish', 0, False, 'batch job 42 still running'],
    ['end', 'vetoed', 'batch job 42 still running'],
]

# The kernel refuses a memory block: what was done is undone.
FAILURE = SUCCESS[:5] + [
    ['start', 'disable', 2, 'offline memory block 1023', 60],
    ['finish', 2, False, 'device busy'],
    ['start', 'rollback', 3, 'online cpu16', 70],
    ['finish', 3, True, ''],
    ['start', 'remove-failed', 4, 'run the remove-failed hooks', 90],
    ['hook', 'remove-failed', FAILED_HOOK, 3, 'failed', 40000],
    ['finish', 4, True, ''],
    ['end', 'failed', 'offline memory block 1023: device busy'],
]

# Slow: the job waits in its disable phase until cancelled.
SLOW = SUCCESS[:4] + [['sleep', 20000]] + SUCCESS[4:]
ROLLBACK = [
    ['finish', 1, False, 'cancelled'],
    ['start', 'rollback', 2, 'online cpu16', 70],
    ['finish', 2, True, ''],
    ['end', 'cancelled', 'cancelled by the administrator'],
]


class TestOperations(OperationTestCase):
    def test_remove_success(self):
        self.script(SUCCESS)
        r = self.run_ctl('remove', 'sb1')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, '')
        # piped: plain lines, in order, no progress line or colour
        self.assertEqual(r.stdout.split('\n'), SUCCESS_LINES + [''])
        self.assertNotIn('\r', r.stdout)
        self.assertEqual(self.calls(), [{'method': 'remove', 'unit': 'sb1', 'options': {}}])

    def test_add_success_ascii(self):
        self.script([['start', 'pre-add', 0, 'run the pre-add hooks', 10],
                     ['finish', 0, True, ''],
                     ['start', 'enable', 1, 'online cpu48', 50],
                     ['finish', 1, False, 'already online'],
                     ['end', 'succeeded', 'already online']])
        r = self.run_ctl('add', 'sb10', LC_ALL='C')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, 'add sb10: job 7\nphase pre-add\n  -> run the pre-add hooks\n'
                         '  ok run the pre-add hooks\nphase enable\n  -> online cpu48\n'
                         '  FAILED online cpu48: already online\n'
                         'add sb10 succeeded: already online\n')
        self.assertEqual(self.calls()[0]['method'], 'add')

    def test_first_step_before_the_reply(self):
        # Several steps go out before the reply that names the job: the
        # subscription made before the call sees them all.
        self.script(SUCCESS, sync=7, interval_ms=1)
        r = self.run_ctl('remove', 'sb1')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split('\n'), SUCCESS_LINES + [''])

    def test_ended_before_reply(self):
        # A no-op: the job ends before the reply.
        self.script([['end', 'succeeded', 'already offline']], sync=1)
        r = self.run_ctl('remove', 'sb10')
        self.assertEqual((r.returncode, r.stdout), (0, 'remove sb10: job 7\nremove sb10 succeeded: already offline\n'))

    def test_veto(self):
        self.script(VETO)
        r = self.run_ctl('remove', 'sb1')
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stderr, 'hotplugctl: remove sb1 vetoed: batch job 42 still running\n')
        self.assertIn('    hook %s: vetoed: batch job 42 still running, exit status 1 (3 ms)\n'
                      '  ✗ run the pre-remove hooks: batch job 42 still running\n' % HOOK1, r.stdout)
        self.assertNotIn('succeeded', r.stdout)

    def test_failure_with_rollback(self):
        self.script(FAILURE)
        r = self.run_ctl('remove', 'sb1')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'hotplugctl: remove sb1 failed: offline memory block 1023: device busy\n')
        self.assertEqual(r.stdout.split('\n')[9:], [
            '  ✗ offline memory block 1023: device busy',
            'phase rollback',
            '  → online cpu16',
            '  ✓ online cpu16',
            'phase remove-failed',
            '  → run the remove-failed hooks',
            '    hook %s: failed, exit status 3 (40 ms)' % FAILED_HOOK,
            '  ✓ run the remove-failed hooks',
            ''])

    def test_timeout_state(self):
        self.script([['start', 'pre-remove', 0, 'run the pre-remove hooks', 5],
                     ['end', 'timeout', 'gave up after 30 s']])
        r = self.run_ctl('remove', 'sb1', '--timeout', '30')
        self.assertEqual(r.returncode, 5)
        self.assertEqual(r.stderr, 'hotplugctl: remove sb1 timed out: gave up after 30 s\n')

    def test_cancelled_without_reason(self):
        self.script([['end', 'cancelled', '']])
        r = self.run_ctl('add', 'sb10')
        self.assertEqual((r.returncode, r.stderr), (4, 'hotplugctl: add sb10 cancelled\n'))

    def test_options_and_types(self):
        self.script([['end', 'succeeded', '']])
        self.ok('remove', 'sb1', '--force', '--dry-run', '--timeout', '45')
        self.ok('add', 'sb10', '--timeout=4294967295')
        self.ok('remove', 'sb1', '--no-eject', '--strict')
        self.ok('add', 'sb10', '--strict')
        self.assertEqual([c['options'] for c in self.calls()], [
            {'force': ['b', True], 'dry-run': ['b', True], 'timeout': ['u', 45]},
            {'timeout': ['u', 4294967295]},
            {'strict': ['b', True], 'eject': ['b', False]},
            {'strict': ['b', True]},
        ])

    def test_dry_run(self):
        self.script(VETO[:1] + [['hook', 'pre-remove', HOOK1, 0, 'ok', 1000],
                                ['finish', 0, True, ''], ['end', 'succeeded', '']])
        out = self.ok('remove', 'sb1', '--dry-run')
        self.assertEqual(out.split('\n')[0], 'remove sb1: job 7 (dry run)')
        self.assertTrue(out.endswith('remove sb1 succeeded\nDry run: nothing was changed.\n'), out)
        self.assertEqual(self.calls()[0]['options'], {'dry-run': ['b', True]})

    def test_no_wait(self):
        self.script(SLOW)
        start = time.monotonic()
        out = self.ok('remove', 'sb1', '--no-wait')
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(out, 'job 7 %s/job/7\n' % PATH)
        self.assertEqual(self.job_state(7), 'running')

    def test_call_errors(self):
        for name, message in (('NoSuchUnit', None),
                              ('NotPresent', 'sb1 is not present'),
                              ('Busy', 'sb1 has a job running (job 3)'),
                              ('NotAuthorized', 'not authorized to remove units'),
                              ('InvalidArgument', 'unknown option: frob')):
            self.script(error=[name, message or 'no such unit: sb1'])
            for extra in ([], ['--no-wait']):
                r = self.run_ctl('remove', 'sb1', *extra)
                self.assertEqual(r.returncode, 1, name)
                self.assertEqual(r.stdout, '', name)
                if message:
                    self.assertEqual(r.stderr, 'hotplugctl: cannot remove sb1: %s\n' % message)
                else:
                    self.assertEqual(r.stderr, 'hotplugctl: no such unit: sb1\n')
        r = self.run_ctl('add', 'sb99')
        self.assertEqual((r.returncode, r.stderr), (1, 'hotplugctl: no such unit: sb99\n'))

    def test_job_vanishes(self):
        # Gone without a word on how it ended: the unit tells.
        self.script(VETO[:1] + [['vanish', 'vetoed', 'board busy']])
        r = self.run_ctl('remove', 'sb1')
        self.assertEqual((r.returncode, r.stderr), (3, 'hotplugctl: remove sb1 vetoed: board busy\n'))

    def test_ctrl_c_cancels(self):
        self.script(SLOW, cancel=ROLLBACK)
        proc = self.follow('remove', 'sb1')
        self.wait_for(proc.stdout, '  → offline cpu16')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(read_line(proc.stderr, 10),
                         'cancelling job 7… (Ctrl-C again to detach)')
        self.assertEqual(proc.wait(timeout=10), 4)
        self.assertEqual(self.rest(proc, proc.stdout).split('\n'), [
            '  ✗ offline cpu16: cancelled',
            'phase rollback',
            '  → online cpu16',
            '  ✓ online cpu16',
            ''])
        self.assertEqual(self.rest(proc, proc.stderr),
                         'hotplugctl: remove sb1 cancelled: cancelled by the administrator\n')
        self.assertEqual(self.calls()[1], {'method': 'Cancel', 'job': 7})

    def test_ctrl_c_twice_detaches(self):
        # This job does not stop when asked.
        self.script(SLOW, cancel=None)
        proc = self.follow('remove', 'sb1')
        self.wait_for(proc.stdout, '  → offline cpu16')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(read_line(proc.stderr, 10),
                         'cancelling job 7… (Ctrl-C again to detach)')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(timeout=10), 130)
        self.assertEqual(self.rest(proc, proc.stderr),
                         'hotplugctl: detached; job 7 keeps running\n')
        self.assertEqual(self.job_state(7), 'running')
        self.assertEqual([c['method'] for c in self.calls()], ['remove', 'Cancel'])

    def test_progress_line_on_terminal(self):
        self.script(SLOW[:4] + [['sleep', 300]] + SLOW[5:], interval_ms=20)
        env = ctl_env(self.bus.address, TERM='xterm', COLUMNS='80')
        code, out = run_on_pty([HOTPLUGCTL, 'remove', 'sb1'], env)
        self.assertEqual(code, 0, out)
        self.assertIn('\r\033[K[ 30%] remove sb1: offline cpu16', out)
        # every story line starts on a cleared line and the end leaves none
        self.assertIn('\r\033[K  ✓ offline cpu16\r\n', out)
        self.assertTrue(out.endswith('\r\033[Kremove sb1 succeeded\r\n'), repr(out[-200:]))
        # the same lines as when piped once the redraws are taken out
        plain = re.sub(r'\r\033\[K(\[[ \d]{3}%\][^\r]*)?', '', out).replace('\r\n', '\n')
        self.assertEqual(plain.split('\n'), SUCCESS_LINES + [''])


class TestJobsHooks(OperationTestCase):
    def test_jobs(self):
        rows = table(self.ok('jobs'))
        self.assertEqual(rows[0], ['ID', 'OPERATION', 'UNIT', 'STATE', 'PHASE', 'PROGRESS',
                                   'STARTED', 'STEP/REASON'])
        # an ended job is in no phase any more
        self.assertEqual(rows[1][:6] + rows[1][7:], ['2', 'add (dry run)', 'sb10', 'vetoed',
                                                     '-', '10%', 'board sb10 is reserved'])
        self.assertEqual(rows[2][:6], ['3', 'remove', 'sb1', 'running', 'pre-remove', '20%'])
        self.assertRegex(rows[2][6], r'^\d{4}-\d\d-\d\d \d\d:\d\d$')
        self.assertTrue(rows[2][7].startswith('running hook "10-stop-batch-jobs"'))
        # a new job started today shows the time only
        self.script(SLOW)
        self.ok('remove', 'sb0', '--no-wait')
        deadline = time.monotonic() + 10
        while self.job_state(7) == 'running' and time.monotonic() < deadline:
            rows = table(self.ok('jobs'))
            if rows[3][4] == 'disable':
                break
            time.sleep(0.02)
        self.assertEqual(rows[3][:6], ['7', 'remove', 'sb0', 'running', 'disable', '30%'])
        self.assertRegex(rows[3][6], r'^\d\d:\d\d:\d\d$')
        self.assertEqual(rows[3][7], 'offline cpu16')

    def test_jobs_json(self):
        data = self.json('jobs', '--json')
        self.assertEqual([(j['Id'], j['Path'], j['State']) for j in data],
                         [(2, PATH + '/job/2', 'vetoed'), (3, PATH + '/job/3', 'running')])
        self.assertEqual(data[0]['DryRun'], True)
        self.assertEqual(data[0]['Phase'], 'pre-add')     # where it ended
        self.assertEqual(data[1]['StartTime'], 1700000000123456)
        self.assertEqual(data[1]['Initiator'], 'platform')

    def test_no_jobs(self):
        self.test.RemoveJobs()
        self.assertEqual(self.ok('jobs'), 'No jobs.\n')
        self.assertEqual(self.json('jobs', '--json'), [])
        # an ended job lingers, then goes
        self.script([['end', 'succeeded', '']], linger_ms=300)
        self.ok('add', 'sb10')
        self.assertEqual([r[:4] for r in table(self.ok('jobs'))[1:]],
                         [['7', 'add', 'sb10', 'succeeded']])
        time.sleep(0.6)
        self.assertEqual(self.ok('jobs'), 'No jobs.\n')

    def test_cancel(self):
        self.assertEqual(self.ok('cancel', '3'), 'job 3 (remove sb1): cancel requested\n')
        self.assertEqual(self.ok('cancel', PATH + '/job/3'), 'job 3 (remove sb1): cancel requested\n')
        self.assertEqual(self.calls(), [{'method': 'Cancel', 'job': 3}] * 2)

    def test_cancel_unknown_or_ended(self):
        for job in ('99', PATH + '/job/99', PATH + '/unit/sb0'):
            r = self.run_ctl('cancel', job)
            self.assertEqual((r.returncode, r.stderr), (1, 'hotplugctl: no such job: %s\n' % job))
        r = self.run_ctl('cancel', '2')
        self.assertEqual((r.returncode, r.stderr),
                         (1, 'hotplugctl: cannot cancel job 2: job 2 already ended\n'))
        self.assertEqual(self.calls(), [{'method': 'Cancel', 'job': 2}])

    def test_hooks(self):
        out = self.ok('hooks')
        groups = out.split('\n\n')
        self.assertEqual([g.split('\n')[0] for g in groups],
                         ['pre-remove (sb):', 'pre-remove (cpu):', 'post-add (sb):',
                          'remove-failed (sb):'])
        lines = groups[0].split('\n')
        self.assertEqual([l.split()[:3] for l in lines[1:]], [
            ['10-stop-batch-jobs', 'admin', HOOK1],
            ['50-drain-nfs', 'vendor', '/usr/lib/hotplugd/hooks.d/any/pre-remove/50-drain-nfs'],
            ['60-old', 'admin', '/etc/hotplugd/hooks.d/any/pre-remove/60-old'],
            ['70-unsafe', 'admin', '/etc/hotplugd/hooks.d/sb/pre-remove/70-unsafe']])
        self.assertTrue(lines[1].endswith(HOOK1))
        self.assertTrue(lines[3].endswith('  masked'))
        self.assertTrue(lines[4].endswith('  refused: writable by group or others'))
        # origins and paths line up
        self.assertEqual(len({l.index('/') for l in lines[1:]}), 1)
        # run order of a -failed event is the daemon's, not sorted
        self.assertEqual([l.split()[0] for l in groups[3].split('\n')[1:3]],
                         ['90-notify', '10-restart-batch-jobs'])

    def test_hooks_filters(self):
        out = self.ok('hooks', 'pre-remove', '--kind', 'cpu')
        self.assertEqual(out, 'pre-remove (cpu):\n  50-drain-nfs  vendor  '
                         '/usr/lib/hotplugd/hooks.d/any/pre-remove/50-drain-nfs\n')
        self.assertEqual(self.ok('hooks', 'post-remove'), 'No hooks.\n')
        r = self.run_ctl('hooks', 'pre-frobnicate')
        self.assertEqual((r.returncode, r.stderr), (1, 'hotplugctl: unknown event: pre-frobnicate\n'))
        r = self.run_ctl('hooks', '--kind', 'toaster')
        self.assertEqual((r.returncode, r.stderr), (1, 'hotplugctl: unknown unit kind: toaster\n'))

    def test_hooks_json(self):
        data = self.json('hooks', 'pre-remove', '--json')
        self.assertEqual(len(data), 5)
        self.assertEqual(data[3], {'Event': 'pre-remove', 'Kind': 'sb', 'Name': '70-unsafe',
                                   'Path': '/etc/hotplugd/hooks.d/sb/pre-remove/70-unsafe',
                                   'Origin': 'admin', 'Status': 'refused',
                                   'Reason': 'writable by group or others'})
        self.assertEqual(self.json('--json', 'hooks', 'post-remove'), [])

    def test_hooks_refused_in_red(self):
        code, out = run_on_pty([HOTPLUGCTL, 'hooks', 'pre-remove', '--kind', 'sb'],
                               ctl_env(self.bus.address, TERM='xterm'))
        self.assertEqual(code, 0, out)
        self.assertRegex(out, '\033\\[1;31m70-unsafe +admin +/etc/hotplugd/hooks.d/sb/pre-remove/'
                         '70-unsafe +refused: writable by group or others\033\\[0m')
        self.assertRegex(out, '\033\\[2m60-old .*masked\033\\[0m')
        self.assertIn('  10-stop-batch-jobs ', out)


if __name__ == '__main__':
    unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
