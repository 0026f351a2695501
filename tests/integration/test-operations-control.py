#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What surrounds an operation on the simulated 'default' server: the
hook runner (configuration, timeouts, untrusted hooks, the service
manager), jobs (cancel, concurrency, errors, the firmware's eject
request), units that keep their place (eject or not, strict, a half-done
unit finished, a restart), and polkit.

Written against the API contract: org.hotplugd.Hotplug1.xml, hotplugd(8)
and hotplugd-hooks(7).  Skips as a whole outside the simulator.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402
from operations import (  # noqa: E402
    MACHINE, CPU, NOBODY, daemon_options, Ops)

from gi.repository import GLib  # noqa: E402


class HookRunner(Ops):
    def test_bad_configuration_stops_start_up(self):
        """Not the defaults next to a typo: auto-remove-on-eject=false must
        not be dropped because step-timeout is mistyped."""
        conf = os.path.join(self.hooks_root, 'hotplugd.conf')
        with open(conf, 'w') as f:
            f.write('[daemon]\nauto-remove-on-eject=false\nstep-timeout=6O\n')
        r = subprocess.run([ht.daemon_exe(), '--config', conf], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 78, r.stdout + r.stderr)
        self.assertIn(f'{conf}:3: [daemon] step-timeout: expected a positive number of seconds', r.stderr)

    def test_service_manager_notifications(self):
        """sd_notify: READY once the name is owned, STATUS naming the job,
        RELOADING and READY around a SIGHUP, STOPPING."""
        import socket
        path = os.path.join(self.hooks_root, 'notify')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        self.addCleanup(sock.close)
        sock.settimeout(10)

        def until(prefix):
            seen = []
            while True:
                msg = sock.recv(4096).decode()
                seen.append(msg)
                if any(line.startswith(prefix) for line in msg.split('\n')):
                    return msg, seen

        self.env = ht.Environment(polkit='allow', daemon_env={'NOTIFY_SOCKET': path,
                                                             'HOTPLUG_HOOKS_DIR': self.hookdir})
        self.env.__enter__()
        self.addCleanup(self.env.close)
        self.conn = ht.bus_connect()
        self.addCleanup(self.conn.close_sync, None)
        msg, _ = until('READY=1')
        self.assertIn('STATUS=ready: ', msg)
        self.assertTrue(ht.name_has_owner(ht.BUS_NAME))
        self.addCleanup(self.restore_cpu, 3)
        self.assertEqual(self.run_op('cpu3', 'remove')[0], 'succeeded')
        msg, _ = until('STATUS=job ')
        self.assertRegex(msg, r'STATUS=job [0-9]+: remove of cpu3')
        until('STATUS=idle')
        self.env.daemon.proc.send_signal(signal.SIGHUP)
        _, seen = until('READY=1')
        self.assertTrue(any(m.startswith('RELOADING=1') for m in seen), seen)
        self.assertEqual(self.env.daemon.proc.poll(), None)
        self.assertTrue(ht.name_has_owner(ht.BUS_NAME))

    def test_hook_timeout(self):
        if '--config' not in daemon_options():
            self.skipTest('hotplugd has no --config option to set a short hook timeout')
        conf = os.path.join(self.hooks_root, 'hotplugd.conf')
        with open(conf, 'w') as f:
            f.write('[hooks]\ntimeout=1\nkill-grace=0.5\n')
        self.daemon_args = [f'--config={conf}']
        self.hook('cpu', 'pre-remove', '10-sleep', extra='sleep 30')
        self.hook('cpu', 'remove-failed', '10-cpu')
        self.start()
        t0 = time.monotonic()
        state, reason = self.run_op('cpu3', 'remove')
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(state, 'timeout')
        self.assertIn('10-sleep', reason)
        self.assertEqual(self.prop('cpu3', 'State'), 'online')
        self.assertEqual(self.hook_log()[-1], ['remove-failed', 'cpu3', '10-cpu'])

    def test_child_holding_stdout_does_not_stall(self):
        self.hook('cpu', 'pre-remove', '10-fork', extra='sleep 60 & echo started')
        self.hook('cpu', 'post-remove', '20-after')
        self.start()
        self.addCleanup(self.restore_cpu, 3)
        t0 = time.monotonic()
        self.assertEqual(self.run_op('cpu3', 'remove', timeout=20), ('succeeded', ''))
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual([x[2] for x in self.hook_log()], ['10-fork', '20-after'])

    def test_untrusted_hooks_refused_and_listed(self):
        good = self.hook('cpu', 'pre-remove', '10-good')
        gw = self.hook('cpu', 'pre-remove', '20-group-writable', mode=0o775)
        other = self.hook('cpu', 'pre-remove', '30-not-root')
        os.chown(other, 65534, 65534)
        self.hook('cpu', 'pre-remove', '40-backup~')
        self.start()
        self.addCleanup(self.restore_cpu, 3)
        self.assertEqual(self.run_op('cpu3', 'remove'), ('succeeded', ''))
        self.assertEqual([x[2] for x in self.hook_log()], ['10-good'])
        hooks = ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'ListHooks',
                        GLib.Variant('(ss)', ('pre-remove', 'cpu')))[0]
        status = {h[2]: (h[5], h[6]) for h in hooks}
        self.assertEqual(status['10-good'][0], 'runnable')
        self.assertEqual(status['20-group-writable'][0], 'refused')
        self.assertEqual(status['30-not-root'][0], 'refused')
        self.assertTrue(status['20-group-writable'][1] and status['30-not-root'][1])
        self.assertNotIn('40-backup~', status)
        r = ht.ctl('hooks', 'pre-remove')
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ('10-good', '20-group-writable', '30-not-root'):
            self.assertIn(name, r.stdout)
        self.assertIn('refused', r.stdout)
        # a refusal is logged where the hooks were to run, not each time
        # anyone lists them
        refusals = self.env.daemon.read_log().count('20-group-writable refused for pre-remove')
        self.assertEqual(refusals, 1, 'logged once, by the job')
        for _ in range(3):
            ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'ListHooks', GLib.Variant('(ss)', ('', '')))
        self.assertEqual(self.env.daemon.read_log().count('20-group-writable refused for pre-remove'), refusals)
        del good, gw


class Jobs(Ops):
    def test_cancel_rolls_back(self):
        self.standard_hooks('sb', 'remove')
        self.start()
        self.addCleanup(self.restore_board, 'sb0')
        ht.sim_ctl('delay', '200')
        job = self.request('sb0', 'remove')
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.cpus_online('sb0') == MACHINE.units['sb0']['Cpus']:
            time.sleep(0.05)
        self.assertNotEqual(self.cpus_online('sb0'), MACHINE.units['sb0']['Cpus'], 'the job never offlined a CPU')
        ht.call(self.conn, job, ht.JOB_IFACE, 'Cancel')
        state, reason = self.wait_job_object(job, timeout=60)
        self.assertEqual(state, 'cancelled')
        ht.sim_ctl('delay', '0')
        self.assertEqual(self.cpus_online('sb0'), MACHINE.units['sb0']['Cpus'])
        self.assertEqual(self.prop('sb0', 'State'), 'online')
        self.assertEqual(self.hook_log()[-2:], [['remove-failed', 'sb0', '20-sb'], ['remove-failed', 'sb0', '10-any']])
        with self.assertRaises(GLib.Error) as cm:      # already ended
            ht.call(self.conn, job, ht.JOB_IFACE, 'Cancel')
        self.assertIn(ht.dbus_error_name(cm.exception), ('org.hotplugd.Hotplug1.Error.Failed',
                                                         'org.freedesktop.DBus.Error.UnknownObject',
                                                         'org.freedesktop.DBus.Error.UnknownMethod'))

    def test_busy_on_one_unit_and_two_units_at_once(self):
        self.start()
        self.addCleanup(self.restore_cpu, 2)
        self.addCleanup(self.restore_cpu, 3)
        ht.sim_ctl('delay', '300')
        since = GLib.get_real_time()
        self.request('cpu3', 'remove')
        with self.assertRaises(GLib.Error) as cm:
            self.request('cpu3', 'remove')
        self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.Busy')
        self.request('cpu2', 'remove')
        self.assertEqual(self.wait_job('cpu3', since)[0], 'succeeded')
        self.assertEqual(self.wait_job('cpu2', since)[0], 'succeeded')
        self.assertEqual((self.prop('cpu2', 'State'), self.prop('cpu3', 'State')), ('offline', 'offline'))

    def test_errors_before_any_job(self):
        self.start()
        for uid, op, err in (('slot-2', 'add', 'NotPresent'), ('slot-2', 'remove', 'NotPresent')):
            with self.assertRaises(GLib.Error) as cm:
                self.request(uid, op)
            self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.' + err, (uid, op))
        ht.write_sysfs(CPU.format(3), '0')
        self.addCleanup(self.restore_cpu, 3)
        state, reason = self.run_op('cpu3', 'remove')
        self.assertEqual(state, 'succeeded')

    def slot_emptied(self, uid):
        # the slot is the root port's: it goes, or lingers without devices
        # and without a parent
        objs = ht.managed_objects(self.conn)
        u = objs.get(ht.unit_path(uid), {}).get(ht.UNIT_IFACE)
        return u is None or (u['PciDevices'] == [] and u['Parent'] == '')

    def test_slot_gone_with_its_root_port_during_a_parent_job_is_no_surprise(self):
        # while a job runs on iou0, slot-4's card, the root port above it and
        # the slot itself vanish at once (one pass of the model: the slot
        # loses its devices and its parent together): no surprise-removal
        # job on slot-4
        flag = os.path.join(self.hooks_root, 'go')
        # waits for the test, 20 s at most (a failed test leaves no hook behind)
        self.hook('iou', 'pre-remove', '10-wait',
                  extra=f'i=0; while [ ! -e {flag} ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n'
                  'echo reason=held; exit 1')
        self.addCleanup(lambda: open(flag, 'w').close())
        self.hook('iou', 'remove-failed', '10-iou')
        self.hook('any', 'post-remove', '10-any')
        self.start()
        self.addCleanup(ht.write_sysfs, '/sys/bus/pci/rescan', '1')
        job = self.request('iou0', 'remove')
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.hook_log():
            time.sleep(0.05)
        ht.write_sysfs('/sys/bus/pci/devices/0000:80:02.0/remove', '1')
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.slot_emptied('slot-4'):
            time.sleep(0.05)
        self.assertTrue(self.slot_emptied('slot-4'))
        time.sleep(0.3)
        with open(flag, 'w'):
            pass
        self.assertEqual(self.wait_job_object(job), ('vetoed', 'held'))
        time.sleep(0.5)
        self.assertEqual(self.hook_log(), [['pre-remove', 'iou0', '10-wait'], ['remove-failed', 'iou0', '10-iou']])

    def test_firmware_eject_end_to_end(self):
        self.standard_hooks('sb', 'remove')
        self.start()
        self.addCleanup(self.restore_board, 'sb2')
        rec = ht.SignalRecorder()
        self.addCleanup(rec.stop)
        ht.sim_ctl('eject', 'sb2')
        path = ht.unit_path('sb2')
        self.assertTrue(rec.wait(lambda evs: any(e[4] == 'PropertiesChanged' and e[2] == path and
                                                 e[5][1].get('State') == 'absent' for e in evs),
                                 timeout=30), [e[2:5] for e in rec.snapshot()])
        self.assertEqual([e for e in rec.snapshot() if e[4] == 'InterfacesRemoved' and e[5][0] == path], [])
        jobs = [e[5][1][ht.JOB_IFACE] for e in rec.snapshot() if e[4] == 'InterfacesAdded' and ht.JOB_IFACE in e[5][1]]
        self.assertEqual(len(jobs), 1, jobs)
        self.assertEqual((jobs[0]['Operation'], jobs[0]['Unit'], jobs[0]['Initiator']), ('remove', 'sb2', 'platform'))
        job = next(e[5][0] for e in rec.snapshot() if e[4] == 'InterfacesAdded' and ht.JOB_IFACE in e[5][1])
        self.assertEqual(self.wait_job_object(job), ('succeeded', ''))
        self.assertEqual(self.hook_log(), [['pre-remove', 'sb2', '10-any'], ['pre-remove', 'sb2', '20-sb'],
                                           ['post-remove', 'sb2', '10-any'], ['post-remove', 'sb2', '20-sb']])
        self.assertNotIn('sb2 present', ht.sim_ctl('status').stdout)   # ejected in the simulated firmware
        # still listed where it was, absent
        self.assertEqual(self.prop('sb2', 'State'), 'absent')
        self.assertIn('sb2', [l.split()[0] for l in ht.ctl('status').stdout.splitlines()[1:] if l.strip()])


class Places(Ops):
    """Units keep their place: eject or not, SDI's strict rules, a half-done
    unit finished by the operation that failed on it, and what a daemon
    restart remembers."""

    def start(self, polkit=None, args=()):
        super().start(polkit, args)
        self.rec = ht.SignalRecorder(members=('StepStarted',))
        self.addCleanup(self.rec.stop)

    def steps_of(self, job):
        return [e[5][2] for e in self.rec.snapshot() if e[4] == 'StepStarted' and e[2] == job]

    def run_job(self, uid, op, **options):
        job = self.request(uid, op, **options)
        return job, self.wait_job_object(job)

    def jobs_on_bus(self):
        return [p for p, ifaces in ht.managed_objects(self.conn).items() if ht.JOB_IFACE in ifaces]

    def assert_refused(self, uid, op, error, text, **options):
        jobs = self.jobs_on_bus()
        with self.assertRaises(GLib.Error) as cm:
            self.request(uid, op, **options)
        self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.' + error)
        self.assertIn(text, cm.exception.message)
        self.assertEqual(self.jobs_on_bus(), jobs, 'a refused operation started a job')

    def test_remove_without_eject_and_add_back(self):
        self.start()
        self.addCleanup(self.restore_board, 'sb1')
        want = MACHINE.units['sb1']
        job, end = self.run_job('sb1', 'remove', eject=False)
        self.assertEqual(end, ('succeeded', ''))
        self.assertNotIn('eject ' + self.container('sb1'), self.steps_of(job))
        # offline, and still there: in the firmware and on the bus
        self.assertEqual((self.prop('sb1', 'State'), self.prop('sb1', 'CpusOnline')), ('offline', ''))
        self.assertEqual(self.prop('sb1', 'MemoryBlocksOnline'), 0)
        self.assertEqual(self.prop('sb1', 'Cpus'), want['Cpus'])
        self.assertIn('sb1 present', ht.sim_ctl('status').stdout)
        self.assertEqual(ht.read_sysfs(f'/sys/devices/system/container/{self.container("sb1")}/online'), '0')
        # nothing online and no eject asked: a no-op; strict refuses it
        self.assertEqual(self.run_op('sb1', 'remove', eject=False), ('succeeded', 'already offline'))
        self.assert_refused('sb1', 'remove', 'Failed', 'sb1 is already offline: nothing to remove (strict)',
                            eject=False, strict=True)
        # Add brings it back, whole
        self.assertEqual(self.run_op('sb1', 'add'), ('succeeded', ''))
        for key in ('State', 'CpusOnline', 'MemoryBlocksOnline'):
            self.assertEqual(self.prop('sb1', key), want[key], key)
        # the same round trip from the command line
        r = ht.ctl('remove', 'sb1', '--no-eject')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.prop('sb1', 'State'), 'offline')
        self.assertIn('sb1 present', ht.sim_ctl('status').stdout)
        r = ht.ctl('add', 'sb1')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.prop('sb1', 'State'), 'online')

    def test_eject_only_for_boards_and_io_units(self):
        self.start()
        self.assert_refused('cpu3', 'remove', 'InvalidArgument', 'option “eject” applies to Remove of a board',
                            eject=False)
        self.assert_refused('sb1', 'add', 'InvalidArgument', 'option “eject”', eject=True)
        r = ht.ctl('remove', 'slot-4', '--no-eject')
        self.assertEqual(r.returncode, 1)
        self.assertIn('eject', r.stderr)
        self.assertEqual(self.prop('slot-4', 'State'), 'online')

    def test_strict(self):
        self.start()
        self.addCleanup(self.restore_cpu, 3)
        # Add where every part is online: a no-op, or with strict a failure
        self.assertEqual(self.run_op('cpu3', 'add'), ('succeeded', 'already online'))
        self.assert_refused('cpu3', 'add', 'Failed', 'cpu3 is already online: nothing to add (strict)', strict=True)
        r = ht.ctl('add', 'cpu3', '--strict')
        self.assertEqual(r.returncode, 1)
        self.assertIn('nothing to add (strict)', r.stderr)
        # with something to do, strict changes nothing
        self.assertEqual(self.run_op('cpu3', 'remove', strict=True), ('succeeded', ''))
        self.assertEqual(self.prop('cpu3', 'State'), 'offline')
        self.assert_refused('cpu3', 'remove', 'Failed', 'cpu3 is already offline: nothing to remove (strict)',
                            strict=True)
        self.assertEqual(self.run_op('cpu3', 'remove'), ('succeeded', 'already offline'))
        r = ht.ctl('add', 'cpu3', '--strict')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.prop('cpu3', 'State'), 'online')

    def test_half_done_board_is_finished(self):
        self.start()
        self.addCleanup(self.restore_board, 'sb2')
        cpus = MACHINE.cpus_of('sb2')
        # one CPU offlined by hand: the board still reads online, yet Add
        # has that one CPU to bring back, and nothing else
        ht.write_sysfs(CPU.format(cpus[1]), '0')
        ht._wait(lambda: self.prop('sb2', 'CpusOnline') == ht.format_list(cpus[:1] + cpus[2:]), 10, 'cpu offline')
        self.assertEqual(self.prop('sb2', 'State'), 'online')
        job, end = self.run_job('sb2', 'add', strict=True)
        self.assertEqual(end, ('succeeded', ''))
        kernel = [d for d in self.steps_of(job) if not d.startswith('run ')]
        self.assertEqual(kernel, [f'online cpu{cpus[1]}'])
        self.assertEqual(self.prop('sb2', 'CpusOnline'), ht.format_list(cpus))
        # two CPUs offlined by hand: Remove offlines the rest only
        ht.write_sysfs(CPU.format(cpus[0]), '0')
        ht.write_sysfs(CPU.format(cpus[2]), '0')
        ht._wait(lambda: self.prop('sb2', 'CpusOnline') == ht.format_list(cpus[1:2] + cpus[3:]), 10, 'cpus offline')
        job, end = self.run_job('sb2', 'remove', eject=False)
        self.assertEqual(end, ('succeeded', ''))
        offlined = [d for d in self.steps_of(job) if d.startswith('offline cpu')]
        self.assertEqual(offlined, [f'offline cpu{c}' for c in cpus if c not in (cpus[0], cpus[2])])
        self.assertEqual((self.prop('sb2', 'State'), self.prop('sb2', 'CpusOnline')), ('offline', ''))
        self.assertEqual(self.run_op('sb2', 'add'), ('succeeded', ''))

    def test_restart_keeps_the_absent_board(self):
        self.standard_hooks('sb', 'add')
        self.start()
        self.addCleanup(self.restore_board, 'sb3')
        path = ht.unit_path('sb3')
        sysfs_path = self.prop('sb3', 'SysfsPath')
        self.assertEqual(self.run_op('sb3', 'remove'), ('succeeded', ''))
        self.assertEqual(self.prop('sb3', 'State'), 'absent')
        with open(os.path.join(self.env.state_dir, 'units.ini')) as f:
            self.assertIn('[location sb3]', f.read())
        # a new daemon does not see the board in sysfs, and still shows it
        self.env.daemon.stop()
        self.env.daemon.start()
        self.assertIn(path, ht.managed_objects(self.conn))
        self.assertEqual(self.prop('sb3', 'State'), 'absent')
        self.assertEqual(self.prop('sb3', 'SysfsPath'), sysfs_path)
        self.assert_refused('sb3', 'add', 'NotPresent', 'sb3 is absent: the board was ejected or pulled out')
        # and the board inserted again is added by the new daemon, in place
        self.clear_log()
        job, state, reason = self.insert_and_wait_add('sb3')
        self.assertEqual((state, reason), ('succeeded', ''))
        self.assertEqual(self.prop('sb3', 'State'), 'online')
        self.assertEqual(self.hook_log(), [['pre-add', 'sb3', '10-any'], ['pre-add', 'sb3', '20-sb'],
                                           ['post-add', 'sb3', '10-any'], ['post-add', 'sb3', '20-sb']])

    def container(self, uid):
        return os.path.basename(self.prop(uid, 'SysfsPath'))


class Authorization(Ops):
    def test_denied_by_polkit(self):
        self.standard_hooks('cpu', 'remove')
        self.start(polkit='deny')
        with self.assertRaises(GLib.Error) as cm:
            self.request('cpu3', 'remove')
        self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.NotAuthorized')
        time.sleep(0.3)
        self.assertEqual(self.hook_log(), [])
        self.assertEqual(self.prop('cpu3', 'State'), 'online')
        self.assertEqual(self.prop('cpu3', 'Job'), '/')
        r = ht.ctl('remove', 'cpu3')
        self.assertEqual(r.returncode, 1)
        self.assertIn('not authorized', r.stderr.lower())

    def test_unprivileged_with_real_polkit_reads_but_cannot_change(self):
        self.standard_hooks('cpu', 'remove')
        self.start(polkit='real')
        r = subprocess.run(NOBODY + [ht.ctl_exe(), 'show', 'cpu3'], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        for op in ('Remove', 'Add'):
            r = subprocess.run(NOBODY + ['gdbus', 'call', '--system', '--dest', ht.BUS_NAME, '--object-path',
                                         ht.unit_path('cpu3'), '--method', f'{ht.UNIT_IFACE}.{op}', '{}'],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn('org.hotplugd.Hotplug1.Error.NotAuthorized', r.stderr)
        self.assertEqual(self.hook_log(), [])
        self.assertEqual(self.prop('cpu3', 'State'), 'online')
        # root is authorized by the real polkitd
        self.addCleanup(self.restore_cpu, 3)
        self.assertEqual(self.run_op('cpu3', 'remove')[0], 'succeeded')


if __name__ == '__main__':
    ht.run_tests()
