#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""PCI domain switchover on the simulated 'default' server (domain 0001:
I/O unit 1, slots 5 and 6): the domain state machine, pre-switchover hooks
that answer "not yet" (exit 75) and are asked again, rejection, cancel,
the job's time limit, devices that refuse (with and without persist),
busy devices, idempotency, Connect, the state kept across restarts and a
daemon killed while the domain is disconnecting."""
import os
import subprocess
import sys
import tempfile
import unittest

from gi.repository import GLib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import operations as ops  # noqa: E402
ht = ops.ht

PROPS = 'org.freedesktop.DBus.Properties'
DOMAIN_IFACE = 'org.hotplugd.Hotplug1.Domain'
DOM = '0001'
# a hook that answers "not yet" the first N times it runs (N in its own file)
NOT_YET = '''n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}
limit=$(cat {limit})
if [ "$limit" = forever ] || [ $n -le "$limit" ]; then echo "reason=transaction $n still in flight"; exit 75; fi
'''


def domain_path(did):
    return f'{ht.MANAGER_PATH}/domain/{did}'


class Domains(ops.Ops):

    def setUp(self):
        super().setUp()
        conf = os.path.join(self.hooks_root, 'hotplugd.conf')
        with open(conf, 'w') as f:
            f.write('[daemon]\nswitchover-retry-interval=0.2\n[blockers]\nrefresh-interval=0.5\n')
        self.daemon_args = ['--config', conf]
        # whatever a test disconnected comes back for the next one
        self.addCleanup(self.restore_domain)

    def restore_domain(self):
        with open('/sys/bus/pci/rescan', 'w') as f:
            f.write('1')

    # --- helpers -------------------------------------------------------------

    def dprop(self, name, did=DOM):
        return ht.call(self.conn, domain_path(did), PROPS, 'Get', GLib.Variant('(ss)', (DOMAIN_IFACE, name)))[0]

    def domain_call(self, method, did=DOM, **options):
        opts = {k.replace('_', '-'): GLib.Variant('b' if isinstance(v, bool) else 'u', v)
                for k, v in options.items()}
        args = GLib.Variant('()', ()) if method == 'CancelSwitchover' else GLib.Variant('(a{sv})', (opts,))
        r = ht.call(self.conn, domain_path(did), DOMAIN_IFACE, method, args)
        return r[0] if r else None

    def hooks(self, pending=None):
        """A logging hook in every domain event; with pending, the
        pre-switchover hook answers 75 that many times ('forever': always)."""
        extra = ''
        if pending is not None:
            self.counter = os.path.join(self.hooks_root, 'count')
            limit = os.path.join(self.hooks_root, 'limit')
            with open(limit, 'w') as f:
                f.write(str(pending))
            self.limit_file = limit
            extra = NOT_YET.format(counter=self.counter, limit=limit)
        self.hook('domain', 'pre-switchover', '10-first')
        self.pre = self.hook('domain', 'pre-switchover', '20-ledger', extra=extra)
        self.hook('domain', 'pre-switchover', '30-last')
        self.hook('domain', 'post-switchover', '10-post')
        self.hook('domain', 'switchover-failed', '10-failed')
        self.hook('domain', 'post-connect', '10-connected')

    def events(self):
        return [(line[0], line[2]) for line in self.hook_log()]

    def devices(self):
        return sorted(self.dprop('PciDevices'))

    # --- tests ---------------------------------------------------------------

    def test_initial_state_and_properties(self):
        self.start()
        self.assertEqual(self.dprop('ConnectionState', '0000'), 'connected')
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.dprop('Job'), '/')
        self.assertIn('0001:01:00.0', self.devices())

    def test_switchover_then_connect(self):
        self.hooks()
        self.start()
        before = self.devices()
        job = self.domain_call('PrepareForSwitchover')
        self.assertTrue(job.startswith(ht.MANAGER_PATH + '/job/'), job)
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(self.job_prop(job, 'Operation'), 'switchover')
        self.assertEqual(self.job_prop(job, 'Unit'), DOM)
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')
        self.assertEqual(self.devices(), [])
        self.assertEqual(self.dprop('Job'), '/')
        self.assertEqual(self.events(), [('pre-switchover', '10-first'), ('pre-switchover', '20-ledger'),
                                         ('pre-switchover', '30-last'), ('post-switchover', '10-post')])
        line = self.hook_lines()[0]
        self.assertIn('kind=domain', line)
        self.assertIn('op=switchover', line)
        self.assertIn(f'args=pre-switchover,{DOM}', line)
        self.assertIn('0001:01:00.0', line)
        # the hotplug slots went with their root ports
        self.assertFalse(self.unit_exists('slot-5'))

        self.clear_log()
        job = self.domain_call('Connect')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.devices(), before)
        self.wait_for(lambda: self.unit_exists('slot-5'), 'slot-5 back')
        self.assertEqual(self.events(), [('post-connect', '10-connected')])
        self.assertIn('0001:01:00.0', self.hook_lines()[0])

    def test_pending_hook_then_success(self):
        self.hooks(pending=3)
        self.start()
        recorder = ht.SignalRecorder()
        self.addCleanup(recorder.stop)
        job = self.domain_call('PrepareForSwitchover')
        self.wait_for(lambda: self.job_prop(job, 'Pending') == self.pre, 'the hook pending')
        self.assertEqual(self.dprop('ConnectionState'), 'disconnecting')
        self.assertIn('still in flight', self.job_prop(job, 'PendingReason'))
        self.assertGreater(self.job_prop(job, 'PendingSince'), 0)
        self.assertEqual(self.job_prop(job, 'Phase'), 'pre-switchover')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(self.job_prop(job, 'Pending'), '')
        self.assertEqual(self.job_prop(job, 'PendingSince'), 0)
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')
        # asked four times; the hook before it ran once, the one after once
        ev = self.events()
        self.assertEqual(ev.count(('pre-switchover', '10-first')), 1)
        self.assertEqual(ev.count(('pre-switchover', '20-ledger')), 4)
        self.assertEqual(ev.count(('pre-switchover', '30-last')), 1)
        self.assertNotIn(('switchover-failed', '10-failed'), ev)
        # the state went connected → disconnecting → disconnected, each announced
        states = [c.get('ConnectionState') for c in recorder.changes(domain_path(DOM)) if 'ConnectionState' in c]
        self.assertEqual(states, ['disconnecting', 'disconnected'])

    def test_pending_then_cancel(self):
        self.hooks(pending='forever')
        self.start()
        before = self.devices()
        job = self.domain_call('PrepareForSwitchover')
        self.wait_for(lambda: self.job_prop(job, 'Pending') == self.pre, 'the hook pending')
        self.assertIsNone(self.domain_call('CancelSwitchover'))
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'cancelled', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.devices(), before)
        ev = self.events()
        self.assertIn(('switchover-failed', '10-failed'), ev)
        self.assertNotIn(('pre-switchover', '30-last'), ev)
        failed = [line for line in self.hook_lines() if line.startswith('switchover-failed')][0]
        self.assertIn('failed=20-ledger', failed)

    def test_pending_then_timeout(self):
        self.hooks(pending='forever')
        self.start()
        job = self.domain_call('PrepareForSwitchover', timeout=1)
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'timeout', reason)
        self.assertIn('time limit', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertIn(('switchover-failed', '10-failed'), self.events())

    def test_rejection(self):
        self.hooks()
        self.hook('domain', 'pre-switchover', '25-no', extra='echo "reason=database primary here"; exit 3')
        self.start()
        before = self.devices()
        job = self.domain_call('PrepareForSwitchover')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'vetoed')
        self.assertEqual(reason, 'database primary here')
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.devices(), before)
        ev = self.events()
        self.assertNotIn(('pre-switchover', '30-last'), ev)
        self.assertEqual(ev[-1], ('switchover-failed', '10-failed'))

    def test_device_refuses_without_persist(self):
        self.hooks()
        self.start()
        before = self.devices()
        # the SAS HBA of slot 6 refuses to go once; it is disconnected after
        # the NVMe drive of slot 5 (deeper addresses first)
        ht.sim_ctl('fail', '/sys/bus/pci/devices/0001:02:00.0/remove', '1', '--errno', 'EBUSY')
        self.addCleanup(ht.sim_ctl, 'fail', '/sys/bus/pci/devices/0001:02:00.0/remove', '0', check=False)
        job = self.domain_call('PrepareForSwitchover')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'failed', reason)
        self.assertIn('0001:02:00.0', reason)
        # what was disconnected is reconnected
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.devices(), before)
        self.assertEqual(self.events()[-1], ('switchover-failed', '10-failed'))

    def test_device_refuses_with_persist(self):
        self.hooks()
        self.start()
        ht.sim_ctl('fail', '/sys/bus/pci/devices/0001:02:00.0/remove', '3', '--errno', 'EBUSY')
        self.addCleanup(ht.sim_ctl, 'fail', '/sys/bus/pci/devices/0001:02:00.0/remove', '0', check=False)
        job = self.domain_call('PrepareForSwitchover', persist=True, timeout=60)
        self.wait_for(lambda: self.job_prop(job, 'Pending') == '0001:02:00.0', 'the device pending')
        self.assertEqual(self.dprop('ConnectionState'), 'disconnecting')
        self.assertIn('remove', self.job_prop(job, 'PendingReason'))
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')
        self.assertEqual(self.devices(), [])

    def test_persist_until_the_timeout(self):
        self.hooks()
        self.start()
        before = self.devices()
        ht.sim_ctl('fail', '/sys/bus/pci/devices/0001:02:00.0/remove', '1000', '--errno', 'EBUSY')
        self.addCleanup(ht.sim_ctl, 'fail', '/sys/bus/pci/devices/0001:02:00.0/remove', '0', check=False)
        job = self.domain_call('PrepareForSwitchover', persist=True, timeout=2)
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'timeout', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.devices(), before)

    def test_busy_device_is_refused_unless_forced(self):
        self.hooks()
        self.start()
        if os.geteuid() != 0:
            self.skipTest('needs root (a loop device behind the simulated disk)')
        tmp = tempfile.mkdtemp(prefix='hotplug-domain.')
        backing = os.path.join(tmp, 'disk.img')
        with open(backing, 'wb') as f:
            f.truncate(16 << 20)
        # without the simulator's preload, which answers ioctls on device nodes
        real = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD'}
        dev = subprocess.run(['losetup', '-f', '--show', backing], capture_output=True, text=True, env=real,
                             check=True).stdout.strip()
        self.addCleanup(subprocess.run, ['losetup', '-d', dev], env=real)
        ht.sim_ctl('back', 'nvme2n1', dev)
        self.addCleanup(ht.sim_ctl, 'back', 'nvme2n1', 'none', check=False)
        with open(dev, 'rb') as node:
            holder = subprocess.Popen(['sleep', '300'], stdin=node)
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        self.wait_for(lambda: any(b[0] == 'open' for b in self.dprop('Blockers')), 'Domain.Blockers')
        with self.assertRaises(GLib.Error) as e:
            self.domain_call('PrepareForSwitchover')
        self.assertEqual(ht.dbus_error_name(e.exception), 'org.hotplugd.Hotplug1.Error.Busy')
        self.assertIn(f'{holder.pid} sleep', e.exception.message)
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.events(), [])
        job = self.domain_call('PrepareForSwitchover', force=True)
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')

    def test_idempotent(self):
        self.hooks()
        self.start()
        # nothing to cancel
        self.assertIsNone(self.domain_call('CancelSwitchover'))
        job = self.domain_call('Connect')
        self.assertEqual(self.wait_job_object(job), ('succeeded', 'already connected'))
        self.assertEqual(self.wait_job_object(self.domain_call('PrepareForSwitchover'))[0], 'succeeded')
        job = self.domain_call('PrepareForSwitchover')
        self.assertEqual(self.wait_job_object(job), ('succeeded', 'already disconnected'))
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')
        self.assertEqual(self.wait_job_object(self.domain_call('Connect'))[0], 'succeeded')
        job = self.domain_call('Connect')
        self.assertEqual(self.wait_job_object(job), ('succeeded', 'already connected'))
        # each real transition ran its hooks once
        self.assertEqual([e for e, _ in self.events()].count('post-switchover'), 1)
        self.assertEqual([e for e, _ in self.events()].count('post-connect'), 1)

    def test_dry_run_changes_nothing(self):
        self.hooks()
        dry = os.path.join(self.hooks_root, 'dry')
        self.hook('domain', 'pre-switchover', '15-dry', extra=f'echo "dry=$HOTPLUG_DRY_RUN" >> {dry}')
        self.start()
        before = self.devices()
        job = self.domain_call('PrepareForSwitchover', dry_run=True)
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertIn('dry run: would', reason)
        self.assertIn('remove PCI device 0001:01:00.0', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.devices(), before)
        with open(dry) as f:
            self.assertEqual(f.read(), 'dry=1\n')
        self.assertNotIn('post-switchover', [e for e, _ in self.events()])

    def test_jobs_of_units_and_domain_exclude_each_other(self):
        self.hooks(pending='forever')
        self.start()
        job = self.domain_call('PrepareForSwitchover')
        self.wait_for(lambda: self.job_prop(job, 'Pending') == self.pre, 'the hook pending')
        self.assertEqual(self.dprop('Job'), job)
        for call in (lambda: self.request('slot-5', 'remove'), lambda: self.domain_call('Connect'),
                     lambda: self.domain_call('PrepareForSwitchover')):
            with self.assertRaises(GLib.Error) as e:
                call()
            self.assertEqual(ht.dbus_error_name(e.exception), 'org.hotplugd.Hotplug1.Error.Busy')
        # Job.Cancel ends it as CancelSwitchover does
        ht.call(self.conn, job, ht.JOB_IFACE, 'Cancel')
        self.assertEqual(self.wait_job_object(job)[0], 'cancelled')
        self.assertEqual(self.dprop('ConnectionState'), 'connected')

    def test_connect_that_fails_keeps_the_state(self):
        self.hooks()
        self.start()
        self.assertEqual(self.wait_job_object(self.domain_call('PrepareForSwitchover'))[0], 'succeeded')
        self.clear_log()
        ht.sim_ctl('fail', 'rescan', '1')
        self.addCleanup(ht.sim_ctl, 'fail', 'rescan', '0', check=False)
        job = self.domain_call('Connect')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'failed')
        self.assertIn('rescan PCI bus 0001:00', reason)
        self.assertNotIn('hook', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')
        # connect has no failure event: no hook ran
        self.assertEqual(self.events(), [])
        job = self.domain_call('Connect')
        self.assertEqual(self.wait_job_object(job)[0], 'succeeded')
        self.assertEqual(self.dprop('ConnectionState'), 'connected')

    def test_state_kept_across_restart(self):
        self.hooks()
        self.start()
        self.assertEqual(self.wait_job_object(self.domain_call('PrepareForSwitchover'))[0], 'succeeded')
        self.env.daemon.stop()
        self.env.daemon.start()
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')
        with open(os.path.join(self.env.daemon.state_dir, 'domains', DOM)) as f:
            self.assertEqual(f.read().strip(), 'disconnected')

    def test_killed_while_disconnecting_rolls_back(self):
        self.hooks(pending='forever')
        self.start()
        before = self.devices()
        job = self.domain_call('PrepareForSwitchover')
        self.wait_for(lambda: self.job_prop(job, 'Pending') == self.pre, 'the hook pending')
        self.env.daemon.kill()
        with open(os.path.join(self.env.daemon.state_dir, 'domains', DOM)) as f:
            self.assertEqual(f.read().strip(), 'disconnecting')
        with open(self.limit_file, 'w') as f:
            f.write('0')
        self.env.daemon.start()
        self.wait_for(lambda: self.dprop('ConnectionState') == 'connected', 'the domain connected again')
        self.assertEqual(self.devices(), before)
        self.assertEqual(self.events()[-1], ('switchover-failed', '10-failed'))

    def test_sigterm_while_pending_reconnects(self):
        self.hooks(pending='forever')
        self.start()
        before = self.devices()
        job = self.domain_call('PrepareForSwitchover')
        self.wait_for(lambda: self.job_prop(job, 'Pending') == self.pre, 'the hook pending')
        self.assertEqual(self.env.daemon.stop(), 0)
        self.assertEqual(self.events()[-1], ('switchover-failed', '10-failed'))
        self.env.daemon.start()
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.devices(), before)
        # nothing left for a recovery
        self.assertEqual([e for e, _ in self.events()].count('switchover-failed'), 1)

    def test_devices_taken_behind_its_back(self):
        self.hooks()
        self.start()
        before = self.devices()
        # the peer took the domain by force: its devices vanish, no job here
        for port in ('0001:00:02.0', '0001:00:01.0'):
            with open(f'/sys/bus/pci/devices/{port}/remove', 'w') as f:
                f.write('1')
        self.wait_for(lambda: self.dprop('ConnectionState') == 'inactive', 'the domain inactive')
        self.assertEqual(self.devices(), [])
        log = self.env.daemon.read_log()
        self.assertIn('another host has taken it by force', log)
        # and nothing to disconnect any more
        job = self.domain_call('PrepareForSwitchover')
        self.assertEqual(self.wait_job_object(job), ('succeeded', 'not owned by this host (inactive)'))
        # the root bus is still here: it can be taken back
        job = self.domain_call('Connect')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(self.dprop('ConnectionState'), 'connected')
        self.assertEqual(self.devices(), before)

    def test_killed_after_disconnection_finishes(self):
        self.hooks()
        # post-switchover blocks until the daemon is gone
        gate = os.path.join(self.hooks_root, 'gate')
        self.hook('domain', 'post-switchover', '20-slow', extra=f'while [ ! -e {gate} ]; do sleep 0.05; done')
        self.start()
        job = self.domain_call('PrepareForSwitchover')
        self.wait_for(lambda: self.job_prop(job, 'Phase') == 'post-switchover', 'post-switchover')
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')
        self.env.daemon.kill()
        open(gate, 'w').close()
        self.env.daemon.start()
        self.wait_for(lambda: self.dprop('Job') == '/', 'the recovery job to end')
        self.assertEqual(self.dprop('ConnectionState'), 'disconnected')
        self.assertEqual(self.devices(), [])


if __name__ == '__main__':
    unittest.main(verbosity=2)
