#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The whole daemon on the simulated 'default' server, read side: the
objects it publishes (checked against the machine description, not against
the daemon), one PropertiesChanged per change, hotplugctl's view of the
same, start-up ordering and errors, no worker thread left at rest.

Runs under hotplug-sim (meson: hotplug-sim --machine default -- python3
THIS).  Each test starts a fresh bus + polkit + daemon; the simulated
machine lives as long as the file, so every test puts back what it changes.
"""
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

MACHINE = ht.Machine(os.environ.get('HOTPLUG_MACHINE', 'default'))
CPU = '/sys/devices/system/cpu/cpu{}/online'
MEM = '/sys/devices/system/memory/memory{}/state'
UNIT_KEYS = ('Id', 'Kind', 'State', 'Parent', 'Cpus', 'CpusOnline', 'Nodes', 'MemoryBytes', 'MemoryBlocks',
             'MemoryBlocksOnline', 'MemoryRanges', 'PciDevices', 'Slots', 'Domain')


def sim_unit_state(unit):
    """A unit's line in `hotplug-sim ctl status`."""
    for line in ht.sim_ctl('status').stdout.splitlines():
        if line.split(' ', 1)[0] == unit:
            return line
    return None


# The model's own signals are what these tests watch: the jobs the daemon
# starts by itself when hardware comes and goes (test-operations-control.py covers
# them) are switched off here.
MODEL_ONLY_CONF = os.path.join(tempfile.mkdtemp(prefix='hotplug-model.'), 'hotplugd.conf')
with open(MODEL_ONLY_CONF, 'w') as _f:
    _f.write('[daemon]\nauto-add=false\nauto-remove-on-eject=false\nsurprise-removal-hooks=false\n')


class Base(unittest.TestCase):
    polkit = 'allow'

    def setUp(self):
        if not ht.in_simulator():
            self.skipTest('runs under hotplug-sim')
        self.env = ht.Environment(polkit=self.polkit, daemon_args=['--config', MODEL_ONLY_CONF])
        self.env.__enter__()
        self.addCleanup(self.env.close)
        self.conn = ht.bus_connect()
        self.addCleanup(self.close_conn)

    def close_conn(self):
        try:
            self.conn.close_sync(None)
        except GLib.Error:
            pass

    def record(self, **kw):
        rec = ht.SignalRecorder(**kw)
        self.addCleanup(rec.stop)
        return rec

    def unit_props(self, uid):
        return ht.call(self.conn, ht.unit_path(uid), 'org.freedesktop.DBus.Properties', 'GetAll',
                       GLib.Variant('(s)', (ht.UNIT_IFACE,)))[0]

    def show_json(self, uid):
        return json.loads(ht.ctl('--json', 'show', uid, check=True).stdout)

    def status_row(self, uid):
        for line in ht.ctl('status', check=True).stdout.splitlines():
            cols = line.split()
            if cols and cols[0] == uid:
                return cols
        return None

    def assert_one_change(self, rec, path, expected, others=()):
        """After the change settled: exactly one PropertiesChanged on path,
        carrying expected (a dict); on each of `others`, at most one; on no
        other object anything."""
        rec.quiet()
        changes = rec.changes(path)
        self.assertEqual(len(changes), 1, f'PropertiesChanged on {path}: {changes}')
        for k, v in expected.items():
            self.assertEqual(changes[0].get(k), v, f'{k} in {changes[0]}')
        for e in rec.snapshot():
            if e[2] != path:
                self.assertIn(e[2], others, f'unexpected signal {e[4]} on {e[2]}: {e[5]}')
                self.assertEqual(e[4], 'PropertiesChanged')
        for o in others:
            self.assertLessEqual(len(rec.changes(o)), 1, f'PropertiesChanged on {o}: {rec.changes(o)}')


class Objects(Base):
    def test_managed_objects_match_the_machine(self):
        objs = ht.managed_objects(self.conn)
        units = {v[ht.UNIT_IFACE]['Id']: (p, v[ht.UNIT_IFACE]) for p, v in objs.items() if ht.UNIT_IFACE in v}
        mem = [u for u, (p, v) in units.items() if v['Kind'] == 'memory']
        self.assertEqual(len(mem), 1, f'memory units: {mem}')
        self.assertTrue(mem[0].startswith('memory'), mem[0])
        expected = dict(MACHINE.units)
        expected[mem[0]] = dict(MACHINE.base_memory, Id=mem[0])
        self.assertEqual(sorted(units), sorted(expected))
        for uid, want in expected.items():
            path, got = units[uid]
            self.assertEqual(path, ht.unit_path(uid))
            for k in UNIT_KEYS:
                if k in want:
                    self.assertEqual(got[k], want[k], f'{uid}.{k}')
            self.assertEqual(got['Job'], '/', uid)
            self.assertEqual(got['Phase'], '', uid)
            self.assertTrue(got['SysfsPath'].startswith('/sys/'), got['SysfsPath'])
        domains = {v[ht.DOMAIN_IFACE]['Id']: (p, v[ht.DOMAIN_IFACE]) for p, v in objs.items() if ht.DOMAIN_IFACE in v}
        self.assertEqual(sorted(domains), sorted(MACHINE.domains))
        for did, want in MACHINE.domains.items():
            path, got = domains[did]
            self.assertEqual(path, f'{ht.MANAGER_PATH}/domain/{did}')
            for k, v in want.items():
                self.assertEqual(got[k], v, f'domain {did}.{k}')
            self.assertEqual(got['Job'], '/')
        # nothing else: units and domains (and no jobs at start)
        self.assertEqual(len(objs), len(units) + len(domains), sorted(objs))

    def test_manager_properties(self):
        props = ht.call(self.conn, ht.MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'GetAll',
                        GLib.Variant('(s)', (ht.MANAGER_IFACE,)))[0]
        self.assertRegex(props['Version'], r'^\d+\.\d+\.\d+')
        self.assertEqual(ht.ctl('--version').stdout.split()[-1], props['Version'])
        self.assertEqual(props['EventSource'], 'kernel')   # no udevd here
        self.assertIs(props['Simulated'], True)
        self.assertEqual(props['Resyncs'], 0)

    def check_list_devices(self, kinds):
        for uid, want in MACHINE.units.items():
            if want['Kind'] not in kinds:
                continue
            devs = ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'ListDevices', GLib.Variant('(s)', (uid,)))[0]
            self.assertEqual([d[0] for d in devs], want['PciDevices'], f'ListDevices({uid})')
            for bdf, depth, parent, desc in devs:
                self.assertEqual(depth == 0, parent == '', (uid, bdf, depth, parent))
                if depth:
                    self.assertIn(parent, want['PciDevices'][:want['PciDevices'].index(bdf)])
                self.assertRegex(desc, r'^[0-9a-f]{4}:[0-9a-f]{4} 0x[0-9a-f]{6}$')
            shown = json.loads(ht.ctl('--json', 'show', uid, check=True).stdout)['Devices']
            self.assertEqual([d['Address'] for d in shown], want['PciDevices'], f'hotplugctl show {uid}')

    def test_list_devices_of_slots(self):
        self.check_list_devices(('slot',))

    def test_list_devices_of_boards_and_io_units(self):
        self.check_list_devices(('sb', 'iou'))

    def test_hotplugctl_status_and_json_agree(self):
        doc = json.loads(ht.ctl('--json', 'status', check=True).stdout)
        ids = [u['Id'] for u in doc['Units']]
        order = {'sb': 0, 'iou': 1, 'slot': 2, 'cpu': 3, 'memory': 4}
        self.assertEqual(ids, sorted(ids, key=lambda i: (order[next(u['Kind'] for u in doc['Units'] if u['Id'] == i)],
                                                         ht.natural_key(i))))
        for u in doc['Units']:
            if u['Id'] in MACHINE.units:
                for k in ('Kind', 'State', 'Cpus', 'CpusOnline', 'MemoryBlocks', 'PciDevices'):
                    self.assertEqual(u[k], MACHINE.units[u['Id']][k], f"{u['Id']}.{k}")
        self.assertEqual({d['Id']: d['ConnectionState'] for d in doc['Domains']},
                         {k: v['ConnectionState'] for k, v in MACHINE.domains.items()})
        row = self.status_row('sb0')
        cpus = MACHINE.units['sb0']['Cpus']
        n = len(MACHINE.cpus_of('sb0'))
        self.assertEqual(row[:5], ['sb0', 'sb', 'online', '-', f'{n}/{n}'])
        self.assertEqual(row[5], cpus)


class Changes(Base):
    def test_board_cpu_offline_online(self):
        cpu = MACHINE.cpus_of('sb1')[3]
        allc = MACHINE.cpus_of('sb1')
        path = ht.unit_path('sb1')
        rec = self.record()
        ht.write_sysfs(CPU.format(cpu), '0')
        self.addCleanup(lambda: ht.write_sysfs(CPU.format(cpu), '1'))
        rest = ht.format_list([c for c in allc if c != cpu])
        self.assertTrue(rec.wait_property(path, 'CpusOnline', rest), rec.snapshot())
        self.assert_one_change(rec, path, {'CpusOnline': rest})
        self.assertNotIn('State', rec.changes(path)[0])     # a board with 15 of 16 CPUs is still online
        self.assertEqual(self.show_json('sb1')['CpusOnline'], rest)
        self.assertIn(f'CPUs online:   {rest}', ht.ctl('show', 'sb1', check=True).stdout)
        self.assertEqual(self.status_row('sb1')[4], f'{len(allc) - 1}/{len(allc)}')
        rec.clear()
        ht.write_sysfs(CPU.format(cpu), '1')
        self.assertTrue(rec.wait_property(path, 'CpusOnline', ht.format_list(allc)))
        self.assert_one_change(rec, path, {'CpusOnline': ht.format_list(allc)})
        self.assertEqual(self.status_row('sb1')[4], f'{len(allc)}/{len(allc)}')

    def test_free_cpu_offline_online(self):
        path = ht.unit_path('cpu2')
        rec = self.record()
        ht.write_sysfs(CPU.format(2), '0')
        self.addCleanup(lambda: ht.write_sysfs(CPU.format(2), '1'))
        self.assertTrue(rec.wait_property(path, 'State', 'offline'), rec.snapshot())
        self.assert_one_change(rec, path, {'State': 'offline', 'CpusOnline': ''})
        self.assertEqual(self.show_json('cpu2')['State'], 'offline')
        self.assertEqual(self.status_row('cpu2')[2], 'offline')
        rec.clear()
        ht.write_sysfs(CPU.format(2), '1')
        self.assertTrue(rec.wait_property(path, 'State', 'online'))
        self.assert_one_change(rec, path, {'State': 'online', 'CpusOnline': '2'})
        self.assertEqual(self.show_json('cpu2')['State'], 'online')

    def test_board_memory_block_offline_online(self):
        block = MACHINE.blocks_of('sb2')[-1]
        n = len(MACHINE.blocks_of('sb2'))
        path = ht.unit_path('sb2')
        rec = self.record()
        ht.write_sysfs(MEM.format(block), 'offline')
        self.addCleanup(lambda: ht.write_sysfs(MEM.format(block), 'online_movable'))
        self.assertTrue(rec.wait_property(path, 'MemoryBlocksOnline', n - 1), rec.snapshot())
        self.assert_one_change(rec, path, {'MemoryBlocksOnline': n - 1})
        self.assertEqual(self.show_json('sb2')['MemoryBlocksOnline'], n - 1)
        self.assertIn(f'{n - 1}/{n} blocks', ' '.join(self.status_row('sb2')))
        rec.clear()
        ht.write_sysfs(MEM.format(block), 'online_movable')
        self.assertTrue(rec.wait_property(path, 'MemoryBlocksOnline', n))
        self.assert_one_change(rec, path, {'MemoryBlocksOnline': n})

    def test_pci_device_remove_and_rescan(self):
        # the second function of slot 1's NIC, then the whole card of slot 4
        path = ht.unit_path('slot-1')
        dom = f'{ht.MANAGER_PATH}/domain/0000'
        before = MACHINE.units['slot-1']['PciDevices']
        rec = self.record()
        ht.write_sysfs(f'/sys/bus/pci/devices/{before[-1]}/remove', '1')
        self.addCleanup(lambda: ht.write_sysfs('/sys/bus/pci/rescan', '1'))
        self.assertTrue(rec.wait_property(path, 'PciDevices', before[:-1]), rec.snapshot())
        self.assert_one_change(rec, path, {'PciDevices': before[:-1]}, others=(dom,))
        self.assertNotIn('State', rec.changes(path)[0])
        self.assertEqual(self.show_json('slot-1')['PciDevices'], before[:-1])
        dom_devs = [d for d in MACHINE.domains['0000']['PciDevices'] if d != before[-1]]
        self.assertEqual(rec.changes(dom), [{'PciDevices': dom_devs}])
        rec.clear()
        ht.write_sysfs('/sys/bus/pci/rescan', '1')
        self.assertTrue(rec.wait_property(path, 'PciDevices', before))
        self.assert_one_change(rec, path, {'PciDevices': before}, others=(dom,))

        # all of a slot's devices gone: the slot is not online any more
        path = ht.unit_path('slot-4')
        dev = MACHINE.units['slot-4']['PciDevices']
        iou = ht.unit_path('iou0')
        rec.clear()
        ht.write_sysfs(f'/sys/bus/pci/devices/{dev[0]}/remove', '1')
        self.assertTrue(rec.wait_property(path, 'PciDevices', []), rec.snapshot())
        self.assert_one_change(rec, path, {'PciDevices': [], 'State': 'offline'}, others=(dom, iou))
        self.assertEqual(self.status_row('slot-4')[2], 'offline')
        rec.clear()
        ht.write_sysfs('/sys/bus/pci/rescan', '1')
        self.assertTrue(rec.wait_property(path, 'State', 'online'))
        self.assert_one_change(rec, path, {'PciDevices': dev, 'State': 'online'}, others=(dom, iou))

    def test_slot_power_off_on(self):
        path = ht.unit_path('slot-6')
        dev = MACHINE.units['slot-6']['PciDevices']
        others = (f'{ht.MANAGER_PATH}/domain/0001', ht.unit_path('iou1'))
        rec = self.record()
        ht.write_sysfs('/sys/bus/pci/slots/6/power', '0')
        self.addCleanup(lambda: ht.write_sysfs('/sys/bus/pci/slots/6/power', '1'))
        self.assertTrue(rec.wait_property(path, 'State', 'offline'), rec.snapshot())
        self.assert_one_change(rec, path, {'State': 'offline', 'PciDevices': []}, others=others)
        self.assertEqual(self.show_json('slot-6')['State'], 'offline')
        rec.clear()
        ht.write_sysfs('/sys/bus/pci/slots/6/power', '1')
        self.assertTrue(rec.wait_property(path, 'State', 'online'))
        self.assert_one_change(rec, path, {'State': 'online', 'PciDevices': dev}, others=others)

    def test_board_pulled_and_inserted(self):
        path = ht.unit_path('sb3')
        cpus = MACHINE.cpus_of('sb3')
        blocks = MACHINE.blocks_of('sb3')
        rec = self.record()
        ht.sim_ctl('pull', 'sb3')
        self.addCleanup(self._restore_sb3)
        # the board keeps its place: the same object goes absent, nothing
        # leaves the bus and nothing new appears
        self.assertTrue(rec.wait_property(path, 'State', 'absent', timeout=10), rec.changes(path))
        rec.quiet()
        evs = rec.snapshot()
        self.assertEqual([e for e in evs if e[4] == 'InterfacesRemoved'], [])
        self.assertEqual([e for e in evs if e[4] == 'InterfacesAdded'], [], 'transient units while pulled')
        props = self.unit_props('sb3')
        self.assertEqual((props['State'], props['Cpus'], props['MemoryBlocks'], props['PciDevices']),
                         ('absent', '', 0, []))
        self.assertEqual(self.show_json('sb3')['State'], 'absent')
        self.assertIn('sb3', [u['Id'] for u in json.loads(ht.ctl('--json', 'status', check=True).stdout)['Units']])

        rec.clear()
        ht.sim_ctl('insert', 'sb3')
        self.assertTrue(rec.wait_property(path, 'State', 'offline', timeout=10), rec.changes(path))
        rec.quiet()
        evs = rec.snapshot()
        self.assertEqual([e for e in evs if e[4] in ('InterfacesAdded', 'InterfacesRemoved')], [])
        # the board as the kernel finished adding it (its State changes with
        # the container, before all CPUs and blocks are there)
        props = self.unit_props('sb3')
        self.assertEqual(props['State'], 'offline')
        self.assertEqual(props['Cpus'], ht.format_list(cpus))
        self.assertEqual(props['CpusOnline'], '')
        self.assertEqual(props['MemoryBlocks'], len(blocks))
        self.assertEqual(props['MemoryRanges'], ht.format_list(blocks))
        self.assertEqual(props['MemoryBlocksOnline'], 0 if MACHINE.auto_online == 'offline' else len(blocks))
        self.assertEqual(props['PciDevices'], MACHINE.units['sb3']['PciDevices'])
        self.assertEqual(self.show_json('sb3')['State'], 'offline')

        # put it back into service: online CPUs and blocks as the kernel would
        rec.clear()
        self._restore_sb3()
        self.assertTrue(rec.wait_property(path, 'CpusOnline', ht.format_list(cpus), timeout=10), rec.changes(path))
        rec.quiet()
        props = self.unit_props('sb3')
        self.assertEqual((props['State'], props['MemoryBlocksOnline']), ('online', len(blocks)))

    def _restore_sb3(self):
        if 'present' not in (sim_unit_state('sb3') or ''):
            ht.sim_ctl('insert', 'sb3')
        for b in MACHINE.blocks_of('sb3'):
            if ht.read_sysfs(MEM.format(b).replace('state', 'state')) != 'online':
                ht.write_sysfs(MEM.format(b), 'online_movable')
        for c in MACHINE.cpus_of('sb3'):
            if ht.read_sysfs(CPU.format(c)) != '1':
                ht.write_sysfs(CPU.format(c), '1')

    def test_slot_card_pulled_and_inserted(self):
        path = ht.unit_path('slot-5')
        dev = MACHINE.units['slot-5']['PciDevices']
        rec = self.record()
        ht.sim_ctl('pull', 'slot-5')
        self.addCleanup(lambda: ht.sim_ctl('insert', 'slot-5', check=False))
        rec.wait_property(path, 'State', 'absent', timeout=3)
        rec.quiet()
        self.assertEqual([e for e in rec.snapshot() if e[4] != 'PropertiesChanged'], [], 'the slot stays')
        self.assertEqual(self.unit_props('slot-5')['PciDevices'], [])
        self.assertEqual(self.unit_props('slot-5')['State'], 'absent')
        changes = rec.changes(path)
        self.assertEqual(len(changes), 1, changes)
        self.assertEqual(changes[0].get('State'), 'absent', changes)
        rec.clear()
        ht.sim_ctl('insert', 'slot-5')
        self.assertTrue(rec.wait_property(path, 'State', 'online'))
        self.assert_one_change(rec, path, {'State': 'online', 'PciDevices': dev},
                               others=(f'{ht.MANAGER_PATH}/domain/0001', ht.unit_path('iou1')))

    def test_firmware_eject_request_reaches_the_daemon(self):
        """The request is heard, and with auto-remove-on-eject=false it
        starts nothing: no job, the board stays online in the model and in
        sysfs (the remove a request starts is test-operations-control.py's)."""
        rec = self.record()
        ht.sim_ctl('eject', 'sb2')
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and 'requests the ejection of sb2' not in self.env.daemon.read_log():
            time.sleep(0.05)
        self.assertIn('requests the ejection of sb2', self.env.daemon.read_log())
        rec.quiet(period=0.5)
        jobs = [e for e in rec.snapshot() if e[4] == 'InterfacesAdded' and '/job/' in e[2]]
        self.assertEqual(jobs, [], 'a job started on an eject request with auto-remove-on-eject=false')
        props = self.unit_props('sb2')
        self.assertEqual((props['State'], props['Job']), ('online', '/'))
        self.assertEqual([c for c in MACHINE.cpus_of('sb2') if ht.read_sysfs(CPU.format(c)) != '1'], [])

    def test_event_flood_on_one_board(self):
        cpus = [c for c in MACHINE.cpus_of('sb0') if os.path.exists(CPU.format(c))]
        self.addCleanup(lambda: [ht.write_sysfs(CPU.format(c), '1') for c in cpus])
        # one open-write-close per write: the simulated kernel acts on close
        fds = [os.open(CPU.format(c), os.O_WRONLY | os.O_TRUNC) for c in cpus]
        for fd in fds:
            os.close(fd)
        t0 = time.monotonic()
        for _ in range(20):
            for value in (b'0', b'1'):
                for c in cpus:
                    fd = os.open(CPU.format(c), os.O_WRONLY | os.O_TRUNC)
                    os.write(fd, value)
                    os.close(fd)
        for c in cpus[::2]:      # end with every other CPU offline
            ht.write_sysfs(CPU.format(c), '0')
        # the last write to each CPU wins, in sysfs and in the model
        want = ht.format_list([c for c in MACHINE.cpus_of('sb0')
                               if c not in cpus or cpus.index(c) % 2])
        time.sleep(0.3)
        self.assertEqual(ht.format_list([c for c in MACHINE.cpus_of('sb0')
                                         if not os.path.exists(CPU.format(c))
                                         or ht.read_sysfs(CPU.format(c)) == '1']), want)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.unit_props('sb0')['CpusOnline'] != want:
            time.sleep(0.1)
        print(f'{len(cpus) * 41} writes, model settled after {time.monotonic() - t0:.2f} s', file=sys.stderr)
        self.assertEqual(self.unit_props('sb0')['CpusOnline'], want)
        time.sleep(0.5)       # nothing late changes it again
        self.assertEqual(self.unit_props('sb0')['CpusOnline'], want)
        self.assertEqual(self.show_json('sb0')['CpusOnline'], want)
        self.assertIsNone(self.env.daemon.proc.poll())


class StartUp(Base):
    def setUp(self):
        if not ht.in_simulator():
            self.skipTest('runs under hotplug-sim')
        self.env = ht.Environment(start_daemon=False)
        self.env.__enter__()
        self.addCleanup(self.env.close)
        self.conn = ht.bus_connect()
        self.addCleanup(self.close_conn)

    def test_nothing_before_the_name_and_complete_when_it_appears(self):
        snapshot = {}

        def on_signal(ev):
            # in the recorder's thread, at once: the model must be complete
            if ev[4] == 'NameOwnerChanged' and ev[5][0] == ht.BUS_NAME and ev[5][2] and 'objs' not in snapshot:
                snapshot['objs'] = ht.managed_objects(self.conn)

        rec = self.record(sender=None, members=None, on_signal=on_signal)
        polkit = set(e[1] for e in rec.snapshot())
        self.env.daemon = ht.Daemon(log_path=os.path.join(self.env.tmpdir, 'hotplugd.log')).start()
        self.assertTrue(rec.wait(lambda evs: 'objs' in snapshot))
        evs = rec.snapshot()
        noc = [i for i, e in enumerate(evs) if e[4] == 'NameOwnerChanged' and e[5][0] == ht.BUS_NAME]
        unique = evs[noc[0]][5][2]
        from_daemon = [i for i, e in enumerate(evs) if e[1] == unique and e[1] not in polkit]
        self.assertTrue(all(i > noc[0] for i in from_daemon),
                        f'signals from {unique} before it owned the name: {[evs[i][2:5] for i in from_daemon if i < noc[0]]}')
        units = [v[ht.UNIT_IFACE]['Id'] for v in snapshot['objs'].values() if ht.UNIT_IFACE in v]
        self.assertEqual(len(units), len(MACHINE.units) + 1, sorted(units))
        self.assertEqual(sum(ht.DOMAIN_IFACE in v for v in snapshot['objs'].values()), len(MACHINE.domains))
        sb0 = snapshot['objs'][ht.unit_path('sb0')][ht.UNIT_IFACE]
        self.assertEqual(sb0['CpusOnline'], MACHINE.units['sb0']['CpusOnline'])


class AtRest(Base):
    def worker_threads(self):
        """The names of the daemon's worker threads (GLib's pool threads,
        its spawner aside)"""
        pid = self.env.daemon.proc.pid
        names = []
        for tid in os.listdir(f'/proc/{pid}/task'):
            try:
                with open(f'/proc/{pid}/task/{tid}/comm') as f:
                    names.append(f.read().strip())
            except FileNotFoundError:
                pass
        return [n for n in names if n.startswith('pool-') and n != 'pool-spawner']

    def test_worker_threads_end_soon_after_their_work(self):
        """Start-up's blockers scan ran in a worker thread: it ends about a
        second after its last task (GLib's default keeps it 15 s, waking a
        daemon at rest to end it), leaving the daemon's long-lived threads."""
        workers = self.worker_threads()
        deadline = time.monotonic() + 8
        while workers and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = self.worker_threads()
        self.assertEqual(workers, [], 'worker threads still there 8 s after start-up')


class Restart(Base):
    def test_next_daemon_gets_events(self):
        # a daemon that follows another one directly must see uevents too
        # (the first one has seen some)
        self.flip_cpu2()
        self.env.close()
        self.env = ht.Environment(daemon_args=['--config', MODEL_ONLY_CONF])
        self.env.__enter__()
        self.addCleanup(self.env.close)
        self.conn = ht.bus_connect()
        self.flip_cpu2()

    def flip_cpu2(self):
        for value, state in (('0', 'offline'), ('1', 'online')):
            ht.write_sysfs(CPU.format(2), value)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and self.unit_props('cpu2')['State'] != state:
                time.sleep(0.02)
            self.assertEqual(self.unit_props('cpu2')['State'], state)


class Errors(Base):
    def test_get_unit_errors(self):
        self.assertEqual(ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'GetUnit',
                                 GLib.Variant('(s)', ('slot-3',)))[0], ht.unit_path('slot-3'))
        for arg, err in (('nope', 'NoSuchUnit'), ('', 'InvalidArgument')):
            with self.assertRaises(GLib.Error) as cm:
                ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'GetUnit', GLib.Variant('(s)', (arg,)))
            self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.' + err, arg)
        with self.assertRaises(GLib.Error) as cm:
            ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'ListDevices', GLib.Variant('(s)', ('nope',)))
        self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.NoSuchUnit')

    def test_hotplugctl_errors(self):
        r = ht.ctl('show', 'nope')
        self.assertEqual(r.returncode, 1)
        self.assertIn('nope', r.stderr)
        self.assertNotIn('org.hotplugd.Hotplug1.Error', r.stderr)
        self.assertEqual(r.stdout, '')
        self.env.daemon.stop()
        for args in (('status',), ('show', 'sb0'), ('--json', 'status')):
            r = ht.ctl(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn('hotplugd is not running', r.stderr, args)


if __name__ == '__main__':
    unittest.main(verbosity=2)
