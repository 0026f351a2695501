#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A daemon that dies in the middle of a job, on the simulated 'default'
server: the next start finds the job's journal and finishes or undoes it
(a job with Initiator "recovery"), runs each hook that is still owed
exactly once, ends what the dead daemon's hooks left running, and sets
aside journals it cannot use.  SIGTERM during a job rolls the job back
before the daemon exits.  A kernel step that is confirmed only after its
time limit is undone too.

Each test kills or stops the daemon at one point of an operation and
checks, after the restart: the unit's state, what the simulated kernel
shows, which hooks ran and how many times."""
import glob
import os
import sys
import signal
import subprocess
import time
import unittest

from gi.repository import GLib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import operations as ops  # noqa: E402
ht = ops.ht
CPU = ops.CPU


def gone(pid):
    """The process no longer runs (a zombie counts as gone)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(') ', 1)[1][0] == 'Z'
    except (FileNotFoundError, ProcessLookupError):
        return True


class Recovery(ops.Ops):

    def journals(self):
        return glob.glob(os.path.join(self.env.daemon.state_dir, 'journal', 'job-*.journal'))

    def restart(self):
        """SIGKILL now, then start again on the same state directory and
        bus (the test's bus connection stays)."""
        self.env.daemon.kill()
        self.env.daemon.start()

    def recovery_job(self, uid, op, since):
        return self.find_job(uid, op, since, initiator='recovery')

    def count(self, event, name):
        return sum(1 for line in self.hook_log() if line[0] == event and line[2] == name)

    def test_killed_while_offlining_a_board_rolls_back(self):
        uid = 'sb1'
        cpus = ops.MACHINE.cpus_of(uid)
        self.standard_hooks('sb', 'remove')
        self.start()
        self.addCleanup(self.restore_board, uid)
        ht.sim_ctl('delay', '100')
        since = GLib.get_real_time()
        self.request(uid, 'remove')
        # a few CPUs offline, the rest still online
        self.wait_for(lambda: sum(ht.read_sysfs(CPU.format(c)) == '0' for c in cpus) >= 3, 'three CPUs offline')
        self.assertTrue(self.journals(), 'a running job has a journal')
        self.restart()
        ht.sim_ctl('delay', '0')
        state, reason = self.wait_job_object(self.recovery_job(uid, 'remove', since), 60)
        self.assertEqual(state, 'failed')
        self.assertIn('rolled back', reason)
        for c in cpus:
            if os.path.exists(CPU.format(c)):
                self.assertEqual(ht.read_sysfs(CPU.format(c)), '1', f'cpu{c} back online')
        self.wait_for(lambda: self.prop(uid, 'State') == 'online', 'sb1 online')
        self.assertEqual(self.prop(uid, 'LastJobState'), 'failed')
        # each hook exactly once over both daemons; no post-remove
        for name in ('10-any', '20-sb'):
            self.assertEqual(self.count('pre-remove', name), 1)
            self.assertEqual(self.count('remove-failed', name), 1)
            self.assertEqual(self.count('post-remove', name), 0)
        failed = [line[2] for line in self.hook_log() if line[0] == 'remove-failed']
        self.assertEqual(failed, ['20-sb', '10-any'])
        self.assertEqual(self.journals(), [], 'the journal goes with the recovered job')

    def test_killed_during_a_pre_hook_ends_it_and_runs_the_failed_hooks(self):
        uid = 'slot-4'
        pidfile = os.path.join(self.hooks_root, 'hook.pid')
        self.hook('slot', 'pre-remove', '10-wait', extra=f'echo $$ > {pidfile}; sleep 60 & wait')
        self.hook('slot', 'remove-failed', '10-restart')
        self.start()
        since = GLib.get_real_time()
        self.request(uid, 'remove')
        self.wait_for(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile) > 0, 'the hook running')
        with open(pidfile) as f:
            pid = int(f.read())
        self.restart()
        state, reason = self.wait_job_object(self.recovery_job(uid, 'remove', since), 30)
        self.assertEqual(state, 'failed')
        # the hook and its child are gone (a zombie counts as gone)
        self.wait_for(lambda: gone(pid), 'the hook ended')
        self.assertEqual(self.count('pre-remove', '10-wait'), 1)
        self.assertEqual(self.count('remove-failed', '10-restart'), 1)
        self.assertEqual(self.prop(uid, 'State'), 'online')

    def test_killed_in_post_hooks_finishes_forward(self):
        uid = 'slot-4'
        mark = os.path.join(self.hooks_root, 'post.started')
        self.hook('slot', 'post-remove', '10-slow', extra=f'touch {mark}; sleep 60')
        self.hook('slot', 'post-remove', '20-after')
        self.hook('slot', 'remove-failed', '10-restart')
        self.start()
        self.addCleanup(self.restore_slot, 4)
        since = GLib.get_real_time()
        self.request(uid, 'remove')
        self.wait_for(lambda: os.path.exists(mark), 'post-remove running')
        self.restart()
        state, reason = self.wait_job_object(self.recovery_job(uid, 'remove', since), 30)
        self.assertEqual(state, 'succeeded', reason)
        self.assertIn('completed', reason)
        self.assertEqual(self.count('post-remove', '10-slow'), 1)
        self.assertEqual(self.count('post-remove', '20-after'), 1)
        self.assertEqual(self.count('remove-failed', '10-restart'), 0)
        self.assertEqual(self.prop(uid, 'State'), 'offline')

    def restore_slot(self, n):
        ht.sim_ctl('delay', '0')
        if ht.read_sysfs(f'/sys/bus/pci/slots/{n}/power') != '1':
            ht.write_sysfs(f'/sys/bus/pci/slots/{n}/power', '1')
            ht.write_sysfs('/sys/bus/pci/rescan', '1')

    def test_killed_in_failed_hooks_runs_only_the_rest(self):
        uid = 'cpu3'
        mark = os.path.join(self.hooks_root, 'failed.started')
        self.hook('cpu', 'pre-remove', '10-veto', extra='echo reason=not now; exit 1')
        self.hook('cpu', 'remove-failed', '20-slow', extra=f'touch {mark}; sleep 60')
        self.hook('cpu', 'remove-failed', '10-last')
        self.start()
        since = GLib.get_real_time()
        self.request(uid, 'remove')
        self.wait_for(lambda: os.path.exists(mark), 'remove-failed running')
        self.restart()
        state, reason = self.wait_job_object(self.recovery_job(uid, 'remove', since), 30)
        self.assertEqual(state, 'vetoed')
        self.assertIn('not now', reason)
        self.assertEqual(self.count('remove-failed', '20-slow'), 1)
        self.assertEqual(self.count('remove-failed', '10-last'), 1)
        self.assertEqual(self.prop(uid, 'State'), 'online')

    # --- SIGKILL at each kind of kernel step ------------------------------

    def kill_at(self, kind):
        """SIGKILL as soon as the journal announces a step of this kind
        (the record is written before the step runs; the kernel's delay
        keeps the step in flight), then start again."""
        needle = f"<('{kind}',"

        def announced():
            for path in self.journals():
                with open(path) as f:
                    if any(' step ' in line and needle in line for line in f):
                        return True
            return False
        self.wait_for(announced, f'a {kind} step', 60, 0.005)
        self.restart()

    def kill_during(self, uid, op, kind, match=None, kernel_delay='300'):
        """Standard hooks; op on uid; killed during its first step of the
        kind (writes to attributes whose path has MATCH are slowed down,
        all if None); returns the recovery job's (State, Reason)."""
        kinds = {'sb': 'sb', 'slot': 'slot', 'cpu': 'cpu'}
        self.standard_hooks(kinds[uid.split('-')[0].rstrip('0123456789')], op)
        ht.sim_ctl('delay', kernel_delay, *([match] if match else []))
        since = GLib.get_real_time()
        self.request(uid, op)
        self.kill_at(kind)
        result = self.wait_job_object(self.recovery_job(uid, op, since), 60)
        ht.sim_ctl('delay', '0')
        return result

    def container(self, uid):
        return os.path.basename(self.prop(uid, 'SysfsPath'))

    def assert_hooks_once(self, kind, op, ran_failed):
        for name in ('10-any', '20-' + kind):
            self.assertEqual(self.count(f'pre-{op}', name), 1, self.hook_lines())
            self.assertEqual(self.count(f'{op}-failed', name), 1 if ran_failed else 0, self.hook_lines())
            self.assertEqual(self.count(f'post-{op}', name), 0 if ran_failed else 1, self.hook_lines())

    def assert_board_whole(self, uid):
        for c in ops.MACHINE.cpus_of(uid):
            if os.path.exists(CPU.format(c)):
                self.assertEqual(ht.read_sysfs(CPU.format(c)), '1', f'cpu{c}')
        for b in ops.MACHINE.blocks_of(uid):
            self.assertEqual(ht.read_sysfs(ops.MEM.format(b)), 'online', f'memory{b}')
        self.wait_for(lambda: self.prop(uid, 'State') == 'online', f'{uid} online')

    def test_kill_during_memory_offline(self):
        self.start()
        self.addCleanup(self.restore_board, 'sb2')
        state, reason = self.kill_during('sb2', 'remove', 'memory-offline', '/state')
        self.assertEqual(state, 'failed', reason)
        self.assert_board_whole('sb2')
        self.assert_hooks_once('sb', 'remove', True)

    def test_kill_during_container_offline(self):
        self.start()
        self.addCleanup(self.restore_board, 'sb2')
        state, reason = self.kill_during('sb2', 'remove', 'container-offline', self.container('sb2') + '/online')
        self.assertEqual(state, 'failed', reason)
        self.assert_board_whole('sb2')
        self.assert_hooks_once('sb', 'remove', True)

    def test_kill_during_eject_finishes_forward(self):
        self.start()
        self.addCleanup(self.restore_board, 'sb2')
        state, reason = self.kill_during('sb2', 'remove', 'eject', '/eject')
        self.assertEqual(state, 'succeeded', reason)
        self.assertIn('completed', reason)
        self.assert_hooks_once('sb', 'remove', False)
        st = ht.sim_ctl('status').stdout
        self.assertNotIn('present', next(l for l in st.splitlines() if l.startswith('sb2 ')))

    def test_kill_during_pci_remove(self):
        self.start()
        self.addCleanup(self.restore_slot, 4)
        devices = self.prop('slot-4', 'PciDevices')
        state, reason = self.kill_during('slot-4', 'remove', 'pci-remove')
        self.assertEqual(state, 'failed', reason)
        self.wait_for(lambda: list(self.prop('slot-4', 'PciDevices')) == list(devices), 'the devices back')
        self.assertEqual(ht.read_sysfs('/sys/bus/pci/slots/4/power'), '1')
        self.assert_hooks_once('slot', 'remove', True)

    def test_kill_while_a_slot_add_waits_for_its_devices(self):
        # power and rescan are confirmed at once by the simulator; the
        # devices come after the kernel's delay
        self.start()
        self.addCleanup(self.restore_slot, 4)
        self.assertEqual(self.run_op('slot-4', 'remove')[0], 'succeeded')
        self.clear_log()
        state, reason = self.kill_during('slot-4', 'add', 'wait-devices', None, '500')
        self.assertEqual(state, 'failed', reason)
        # rolled back: powered off, no devices
        self.wait_for(lambda: self.prop('slot-4', 'State') == 'offline', 'slot-4 offline')
        self.assertEqual(ht.read_sysfs('/sys/bus/pci/slots/4/power'), '0')
        self.assert_hooks_once('slot', 'add', True)

    def test_kill_during_a_board_add(self):
        uid = 'sb2'
        self.start()
        self.addCleanup(self.restore_board, uid)
        self.assertEqual(self.run_op(uid, 'remove', eject=False)[0], 'succeeded')
        self.assertEqual(self.prop(uid, 'State'), 'offline')
        self.clear_log()
        state, reason = self.kill_during(uid, 'add', 'memory-online', '/state')
        self.assertEqual(state, 'failed', reason)
        # rolled back to where the add began: present, offline
        for b in ops.MACHINE.blocks_of(uid):
            self.assertEqual(ht.read_sysfs(ops.MEM.format(b)), 'offline', f'memory{b}')
        for c in ops.MACHINE.cpus_of(uid):
            if os.path.exists(CPU.format(c)):
                self.assertEqual(ht.read_sysfs(CPU.format(c)), '0', f'cpu{c}')
        self.wait_for(lambda: self.prop(uid, 'State') == 'offline', f'{uid} offline')
        self.assert_hooks_once('sb', 'add', True)
        # and the daemon brings it back on request
        self.assertEqual(self.run_op(uid, 'add')[0], 'succeeded')
        self.assert_board_whole(uid)

    def test_kill_during_cpu_online(self):
        self.start()
        self.addCleanup(self.restore_cpu, 3)
        self.assertEqual(self.run_op('cpu3', 'remove')[0], 'succeeded')
        self.clear_log()
        state, reason = self.kill_during('cpu3', 'add', 'cpu-online')
        self.assertEqual(state, 'failed', reason)
        self.assertEqual(ht.read_sysfs(CPU.format(3)), '0')
        self.wait_for(lambda: self.prop('cpu3', 'State') == 'offline', 'cpu3 offline')
        self.assert_hooks_once('cpu', 'add', True)

    def test_unusable_journals_are_set_aside(self):
        self.start()
        jdir = os.path.join(self.env.daemon.state_dir, 'journal')
        os.makedirs(jdir, exist_ok=True)
        bad = {
            'job-1-1.journal': 'not a journal at all\n',
            'job-2-2.journal': 'hotplugd-journal 99\n',
            'job-3-3.journal': 'hotplugd-journal 1\n00000000 begin {}\nffffffff x {}\n',
            'job-4-4.journal': 'hotplugd-journal 1\n' + '\x00' * 64 + '\n' + '12345678 y {}\n',
        }
        for name, text in bad.items():
            with open(os.path.join(jdir, name), 'w') as f:
                f.write(text)
        # a journal cut in its first line: nothing had happened yet
        with open(os.path.join(jdir, 'job-5-5.journal'), 'w') as f:
            f.write('hotplugd-journal 1\n0123')
        pid_before = self.env.daemon.proc.pid
        self.restart()
        self.assertNotEqual(self.env.daemon.proc.pid, pid_before)
        self.wait_for(lambda: not self.journals(), 'journals handled')
        aside = sorted(os.path.basename(p).split('.bad-')[0] for p in glob.glob(os.path.join(jdir, '*.bad-*')))
        self.assertEqual(aside, sorted(bad))
        log = self.env.daemon.read_log()
        for name in bad:
            self.assertIn(name, log)
        self.assertIsNone(self.env.daemon.proc.poll())
        self.assertEqual(self.prop('cpu3', 'State'), 'online')

    def test_sigterm_during_a_board_remove_rolls_back_first(self):
        uid = 'sb1'
        cpus = ops.MACHINE.cpus_of(uid)
        pidfile = os.path.join(self.hooks_root, 'post.pid')
        self.standard_hooks('sb', 'remove')
        self.start()
        self.addCleanup(self.restore_board, uid)
        ht.sim_ctl('delay', '100')
        self.request(uid, 'remove')
        self.wait_for(lambda: sum(ht.read_sysfs(CPU.format(c)) == '0' for c in cpus) >= 2, 'two CPUs offline')
        proc = self.env.daemon.proc
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(30)
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - t0, 20)
        ht.sim_ctl('delay', '0')
        for c in cpus:
            if os.path.exists(CPU.format(c)):
                self.assertEqual(ht.read_sysfs(CPU.format(c)), '1', f'cpu{c} back online')
        self.assertEqual(self.count('remove-failed', '10-any'), 1)
        self.assertEqual(self.count('remove-failed', '20-sb'), 1)
        self.assertEqual(self.journals(), [])
        self.assertFalse(os.path.exists(pidfile))
        self.env.daemon.proc = None

    def test_sigterm_kills_a_running_pre_hook(self):
        uid = 'slot-4'
        pidfile = os.path.join(self.hooks_root, 'hook.pid')
        self.hook('slot', 'pre-remove', '10-wait', extra=f'echo $$ > {pidfile}; sleep 60')
        self.start()
        self.request(uid, 'remove')
        self.wait_for(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile) > 0, 'the hook running')
        with open(pidfile) as f:
            pid = int(f.read())
        proc = self.env.daemon.proc
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(30), 0)
        self.env.daemon.proc = None
        self.wait_for(lambda: gone(pid), 'the hook ended', 10)
        self.assertEqual(self.journals(), [])

    def test_step_confirmed_after_its_timeout_is_undone(self):
        uid = 'slot-4'
        self.hook('slot', 'remove-failed', '10-restart')
        self.start()
        self.addCleanup(self.restore_slot, 4)
        devices = self.prop(uid, 'PciDevices')
        self.assertTrue(devices)
        ht.sim_ctl('delay', '2500')
        since = GLib.get_real_time()
        state, reason = self.run_op_timeout(uid)
        self.assertEqual(state, 'timeout', reason)
        ht.sim_ctl('delay', '0')
        # the late removal was waited for and undone: the device is back
        self.wait_for(lambda: list(self.prop(uid, 'PciDevices')) == list(devices), 'the devices back', 30)
        self.assertEqual(self.prop(uid, 'State'), 'online')
        time.sleep(1)
        # no surprise removal job hides the outcome
        self.assertEqual(self.prop(uid, 'LastJobState'), 'timeout')
        self.assertEqual(self.count('remove-failed', '10-restart'), 1)
        for ifaces in ht.managed_objects(self.conn).values():
            j = ifaces.get(ht.JOB_IFACE)
            if j and j['Unit'] == uid and j['StartTime'] >= since:
                self.assertNotEqual(j['Initiator'], 'platform', 'a surprise removal job ran')

    def test_shutdown_delay_lock_while_a_job_runs(self):
        uid = 'cpu3'
        mark = os.path.join(self.hooks_root, 'pre.started')
        self.hook('cpu', 'pre-remove', '10-slow', extra=f'touch {mark}; sleep 1')
        self.start()
        self.start_logind()
        self.assertEqual(self.inhibitors(), [])
        job = self.request(uid, 'remove', dry_run=True)
        self.wait_for(lambda: os.path.exists(mark), 'the job running')
        self.wait_for(lambda: self.inhibitors(), 'a delay lock')
        what, who, why, mode = self.inhibitors()[0][:4]
        self.assertEqual((what, who, mode), ('shutdown', 'hotplugd', 'delay'))
        self.assertIn('job', why)
        self.wait_job_object(job)
        self.wait_for(lambda: self.inhibitors() == [], 'the lock released')

    def test_resume_from_sleep_re_enumerates(self):
        self.start()
        self.start_logind()
        before = ht.call(self.conn, ht.MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'Get',
                         GLib.Variant('(ss)', ('org.hotplugd.Hotplug1.Manager', 'Resyncs')))[0]

        def emit(going):
            ht.call(self.conn, '/org/freedesktop/login1', 'org.freedesktop.DBus.Mock', 'EmitSignal',
                    GLib.Variant('(sssav)', ('org.freedesktop.login1.Manager', 'PrepareForSleep', 'b',
                                             [GLib.Variant('b', going)])), dest='org.freedesktop.login1')

        def resyncs():
            return ht.call(self.conn, ht.MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'Get',
                           GLib.Variant('(ss)', ('org.hotplugd.Hotplug1.Manager', 'Resyncs')))[0]

        # going to sleep: nothing; back: everything read again, said so
        emit(True)
        emit(False)
        self.wait_for(lambda: resyncs() == before + 1, 'a re-enumeration after the resume')
        self.assertIn('the system resumed from sleep: re-enumerated', self.env.daemon.read_log())
        self.assertNotIn('events were lost', self.env.daemon.read_log())
        self.assertEqual(self.prop('sb1', 'State'), 'online')

    def start_logind(self):
        proc = subprocess.Popen(['/usr/bin/python3', '-m', 'dbusmock', '--system', '--template', 'logind'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.terminate)
        self.wait_for(lambda: ht.name_has_owner('org.freedesktop.login1'), 'the mock logind')

    def inhibitors(self):
        if not ht.name_has_owner('org.freedesktop.login1'):
            return []
        return ht.call(self.conn, '/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'ListInhibitors',
                       dest='org.freedesktop.login1')[0]

    def run_op_timeout(self, uid):
        job = ht.call(self.conn, ht.unit_path(uid), ht.UNIT_IFACE, 'Remove',
                      GLib.Variant('(a{sv})', ({'timeout': GLib.Variant('u', 1)},)))[0]
        return self.wait_job_object(job, 60)


if __name__ == '__main__':
    unittest.main(verbosity=2)
