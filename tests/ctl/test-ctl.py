#!/usr/bin/python3
# hotplugctl against fake-hotplugd.py on a private bus: every listing in text
# and JSON, the device trees, monitor, and the errors a user meets.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import dbus

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get('HOTPLUG_BUILD_DIR', os.path.join(HERE, '..', '..', 'build'))
HOTPLUGCTL = os.environ.get('HOTPLUGCTL', os.path.join(BUILD, 'src', 'ctl', 'hotplugctl'))
FAKE = os.path.join(HERE, 'fake-hotplugd.py')
PATH = '/org/hotplugd/Hotplug1'
UNIT = 'org.hotplugd.Hotplug1.Unit'
NOT_RUNNING = 'hotplugctl: hotplugd is not running (org.hotplugd.Hotplug1 not on the system bus)\n'
GiB = 1024 ** 3

BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''

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


class Bus:
    '''A private dbus-daemon, standing in for the system bus.'''

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='hotplugctl-test.')
        config = os.path.join(self.dir, 'bus.conf')
        with open(config, 'w') as f:
            f.write(BUS_CONFIG.format(dir=self.dir))
        self.proc = subprocess.Popen(['dbus-daemon', '--config-file=' + config, '--nofork',
                                      '--print-address=1'],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     universal_newlines=True)
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise RuntimeError('dbus-daemon did not start')

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def ctl_env(address, **extra):
    env = dict(os.environ)
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    env.pop('NO_COLOR', None)
    env['DBUS_SYSTEM_BUS_ADDRESS'] = address
    env['LC_ALL'] = 'C.UTF-8'
    env.update(extra)
    return env


def table(text):
    '''Splits an aligned table into rows of cells, using the header's column
    starts; checks on the way that every cell sits exactly in its column.'''
    lines = text.rstrip('\n').split('\n')
    header = lines[0]
    starts = [m.start() for m in re.finditer(r'\S+', header)]
    rows = []
    for line in lines:
        cells = []
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            cell = line[start:end]
            if start > 0 and line[start - 1] != ' ':
                raise AssertionError('column %d not aligned in %r' % (i, line))
            if cell != cell.rstrip() and i + 1 == len(starts):
                raise AssertionError('trailing blanks in %r' % line)
            if cell.startswith(' ') or (cell.strip() and '  ' in cell.strip()):
                raise AssertionError('cell %d misplaced in %r' % (i, line))
            cells.append(cell.strip())
        rows.append(cells)
    # Every column is as wide as its widest cell, plus two blanks.
    for i in range(len(starts) - 1):
        widest = max(len(r[i]) for r in rows)
        if starts[i + 1] - starts[i] != widest + 2:
            raise AssertionError('column %d is %d wide, widest cell %d' %
                                 (i, starts[i + 1] - starts[i], widest))
    return rows


class CtlTestCase(unittest.TestCase):
    '''A bus with fake-hotplugd on it, shared by the tests of a class; each
    test starts from the fake's initial platform.'''

    @classmethod
    def setUpClass(cls):
        if not os.access(HOTPLUGCTL, os.X_OK):
            raise RuntimeError('hotplugctl not built: ' + HOTPLUGCTL)
        cls.bus = Bus()
        cls.fake = subprocess.Popen(['/usr/bin/python3', FAKE], stdout=subprocess.PIPE,
                                    env=ctl_env(cls.bus.address), universal_newlines=True)
        ready = cls.fake.stdout.readline()
        if ready.strip() != 'READY':
            cls.tearDownClass()
            raise RuntimeError('fake-hotplugd did not start')
        cls.conn = dbus.bus.BusConnection(cls.bus.address)
        cls.test = dbus.Interface(cls.conn.get_object('org.hotplugd.Hotplug1', PATH),
                                  'org.hotplugd.Test')

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'conn', None) is not None:
            cls.conn.close()
        cls.fake.terminate()
        cls.fake.wait()
        cls.fake.stdout.close()
        cls.bus.stop()

    def setUp(self):
        self.test.Reset()

    def run_ctl(self, *args, env=None, **extra):
        return subprocess.run([HOTPLUGCTL] + list(args), capture_output=True,
                              universal_newlines=True, timeout=30,
                              env=env or ctl_env(self.bus.address, **extra))

    def ok(self, *args, **extra):
        r = self.run_ctl(*args, **extra)
        self.assertEqual(r.returncode, 0, 'hotplugctl %s: %s' % (' '.join(args), r.stderr))
        self.assertEqual(r.stderr, '')
        return r.stdout

    def json(self, *args):
        return json.loads(self.ok(*args))


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
        self.assertIn('Running job:\n', out)
        self.assertRegex(out, r'\n  Operation: +remove\n')
        self.assertRegex(out, r'\n  Progress: +20%\n')
        # values line up
        starts = {l.index(':') + 1 + len(l[l.index(':') + 1:]) - len(l[l.index(':') + 1:].lstrip())
                  for l in out.split('\n') if l and not l.startswith(' ') and not l.endswith(':')}
        self.assertEqual(len(starts), 1, out)

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
            ['DOMAIN', 'CONNECTION', 'JOB', 'DEVICES', 'SLOTS'],
            ['0000', 'connected', '-', '6', 'slot-1,slot-2,slot-3'],
            ['0001', 'inactive', '-', '1', 'slot-10'],
        ])
        data = self.json('domains', '--json')
        self.assertEqual(data[0]['Id'], '0000')
        self.assertEqual(data[0]['Slots'], ['slot-1', 'slot-2', 'slot-3'])
        self.assertEqual(len(data[0]['PciDevices']), 6)
        self.assertEqual(data[1]['ConnectionState'], 'inactive')

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

    def test_remote_error_without_gdbus_prefix(self):
        self.test.FailListDevices('cannot read slot-1: device went away')
        r = self.run_ctl('slots', '--tree')
        self.assertEqual(r.returncode, 1)
        self.assertIn('hotplugctl: cannot read slot-1: device went away\n', r.stderr)
        self.assertNotIn('GDBus', r.stderr)

    def test_bad_usage(self):
        for args in (['frobnicate'], ['show'], ['show', 'sb0', 'sb1'], ['status', 'extra'],
                     ['--bogus'], ['slots', '--bogus'], ['monitor', 'x'], ['domains', 'x']):
            r = self.run_ctl(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, '', args)
            self.assertTrue(r.stderr.startswith('hotplugctl: '), r.stderr)
            self.assertIn('Usage:', r.stderr, args)

    def test_help(self):
        out = self.ok('--help')
        for command in ('status', 'show', 'slots', 'domains', 'monitor'):
            self.assertRegex(out, r'\n  %s +\S' % command)
        self.assertIn('hotplugctl show [OPTION…] UNIT', self.ok('show', '--help'))
        self.assertIn('--tree', self.ok('slots', '--help'))
        self.assertIn('--json', self.ok('monitor', '--help'))


class TestNoDaemon(unittest.TestCase):
    def check_not_running(self, env):
        for args in (['status'], ['show', 'sb0'], ['slots'], ['domains', '--json'], ['monitor']):
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
        buf = getattr(stream, 'pending', b'')
        deadline = time.monotonic() + timeout
        while b'\n' not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stream], [], [], left)[0]:
                stream.pending = buf
                return None
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                stream.pending = buf
                return None
            buf += chunk
        line, _, rest = buf.partition(b'\n')
        stream.pending = rest
        return line.decode()

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


if __name__ == '__main__':
    unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
