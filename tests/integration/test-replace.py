#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hot replace on the simulated 'default' server: the pre-replace hooks,
the unit quiesced for a bounded window that the platform's swap or
Job.Resume ends, post-replace; and every other end of the window — its
time running out, Cancel, a veto, SIGTERM, SIGKILL — running
replace-failed with the devices rebound."""
import glob
import os
import sys
import signal
import subprocess
import unittest

from gi.repository import GLib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import operations as ops  # noqa: E402
ht = ops.ht


class Replace(ops.Ops):

    def replace(self, uid, **options):
        opts = {k: GLib.Variant('b' if isinstance(v, bool) else 'u', v) for k, v in options.items()}
        return ht.call(self.conn, ht.unit_path(uid), ht.UNIT_IFACE, 'Replace', GLib.Variant('(a{sv})', (opts,)))[0]

    def in_window(self, job):
        self.wait_for(lambda: self.job_prop(job, 'WindowEnd') > 0, 'the replace window')

    def count(self, event):
        return sum(1 for line in self.hook_log() if line[0] == event)

    def hooks(self, kind):
        for ev in ('pre-replace', 'post-replace', 'replace-failed'):
            self.hook(kind, ev, '10-' + ev)

    def test_slot_swapped_by_the_platform(self):
        self.hooks('slot')
        self.start()
        devices = self.prop('slot-4', 'PciDevices')
        job = self.replace('slot-4')
        self.in_window(job)
        self.assertEqual(self.prop('slot-4', 'State'), 'quiesced')
        self.assertEqual(self.job_prop(job, 'Phase'), 'quiesce')
        left = self.job_prop(job, 'WindowEnd') - GLib.get_real_time()
        self.assertTrue(0 < left <= 300 * 1000000, left)
        self.assertEqual(self.count('pre-replace'), 1)
        ht.sim_ctl('swap', 'slot-4')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(self.job_prop(job, 'WindowEnd'), 0)
        self.assertEqual(self.prop('slot-4', 'State'), 'online')
        self.assertEqual(list(self.prop('slot-4', 'PciDevices')), list(devices))
        self.assertEqual([self.count(e) for e in ('pre-replace', 'post-replace', 'replace-failed')], [1, 1, 0])

    def test_board_resumed_by_the_administrator(self):
        self.hooks('sb')
        self.start()
        job = self.replace('sb1', window=60)
        self.in_window(job)
        self.assertEqual(self.prop('sb1', 'State'), 'quiesced')
        # hotplugctl replace --resume JOB
        r = ht.ctl('replace', '--resume', job.rsplit('/', 1)[1])
        self.assertEqual(r.returncode, 0, r.stderr)
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'succeeded', reason)
        self.assertEqual(self.prop('sb1', 'State'), 'online')
        self.assertEqual([self.count(e) for e in ('pre-replace', 'post-replace', 'replace-failed')], [1, 1, 0])
        # the window is over: Resume again is refused
        with self.assertRaises(GLib.Error) as e:
            ht.call(self.conn, job, ht.JOB_IFACE, 'Resume')
        self.assertEqual(ht.dbus_error_name(e.exception), 'org.hotplugd.Hotplug1.Error.Failed')

    def test_hotplugctl_follows_the_window(self):
        self.hooks('slot')
        self.start()
        proc = subprocess.Popen([ht.ctl_exe(), 'replace', 'slot-4', '--window', '60'], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.wait_for(lambda: self.prop('slot-4', 'State') == 'quiesced', 'slot-4 quiesced')
        ht.sim_ctl('swap', 'slot-4')
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, out + err)
        self.assertIn('swap the part within', out)
        self.assertIn('replace --resume', out)
        self.assertIn('post-replace', out)

    def test_platform_swap_of_a_board(self):
        self.hooks('sb')
        self.start()
        job = self.replace('sb1')
        self.in_window(job)
        ht.sim_ctl('swap', 'sb1')
        self.assertEqual(self.wait_job_object(job)[0], 'succeeded')

    def test_window_runs_out(self):
        self.hooks('slot')
        self.start()
        devices = self.prop('slot-4', 'PciDevices')
        job = self.replace('slot-4', window=1)
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'timeout', reason)
        self.assertIn('window of 1 s', reason)
        self.assertEqual(self.prop('slot-4', 'State'), 'online')
        self.assertEqual(list(self.prop('slot-4', 'PciDevices')), list(devices))
        self.assertEqual([self.count(e) for e in ('pre-replace', 'post-replace', 'replace-failed')], [1, 0, 1])

    def test_cancel_ends_the_window(self):
        self.hooks('slot')
        self.start()
        job = self.replace('slot-4')
        self.in_window(job)
        ht.call(self.conn, job, ht.JOB_IFACE, 'Cancel')
        state, reason = self.wait_job_object(job)
        self.assertEqual(state, 'cancelled', reason)
        self.assertEqual(self.prop('slot-4', 'State'), 'online')
        self.assertEqual([self.count(e) for e in ('pre-replace', 'post-replace', 'replace-failed')], [1, 0, 1])

    def test_veto_in_pre_replace(self):
        self.hook('slot', 'pre-replace', '10-no', extra='echo reason=I/O cannot stop now; exit 1')
        self.hook('slot', 'replace-failed', '10-restart')
        self.start()
        state, reason = self.wait_job_object(self.replace('slot-4'))
        self.assertEqual(state, 'vetoed')
        self.assertEqual(reason, 'I/O cannot stop now')
        self.assertEqual(self.count('replace-failed'), 1)
        self.assertEqual(self.prop('slot-4', 'State'), 'online')

    def test_sigterm_in_the_window(self):
        self.hooks('slot')
        self.start()
        job = self.replace('slot-4')
        self.in_window(job)
        proc = self.env.daemon.proc
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(30), 0)
        self.env.daemon.proc = None
        self.assertEqual([self.count(e) for e in ('pre-replace', 'post-replace', 'replace-failed')], [1, 0, 1])
        self.assertEqual(glob.glob(os.path.join(self.env.daemon.state_dir, 'journal', '*.journal')), [])

    def test_sigkill_in_the_window(self):
        self.hooks('slot')
        self.start()
        since = GLib.get_real_time()
        job = self.replace('slot-4')
        self.in_window(job)
        self.env.daemon.kill()
        self.env.daemon.start()
        rec = self.find_job('slot-4', 'replace', since, initiator='recovery')
        state, reason = self.wait_job_object(rec)
        self.assertEqual(state, 'failed', reason)
        self.assertIn('rolled back', reason)
        self.assertEqual(self.prop('slot-4', 'State'), 'online')
        self.assertEqual([self.count(e) for e in ('pre-replace', 'post-replace', 'replace-failed')], [1, 0, 1])

    def test_errors_before_any_job(self):
        self.start()
        cases = [
            (('cpu3', {}), 'NotSupported'),
            (('slot-4', {'window': GLib.Variant('u', 0)}), 'InvalidArgument'),
            (('slot-4', {'strict': GLib.Variant('b', True)}), 'InvalidArgument'),
            (('slot-4', {'window': GLib.Variant('s', '5')}), 'InvalidArgument'),
        ]
        for (uid, opts), error in cases:
            with self.subTest(uid=uid, opts=opts):
                with self.assertRaises(GLib.Error) as e:
                    ht.call(self.conn, ht.unit_path(uid), ht.UNIT_IFACE, 'Replace', GLib.Variant('(a{sv})', (opts,)))
                self.assertEqual(ht.dbus_error_name(e.exception), 'org.hotplugd.Hotplug1.Error.' + error)
        with self.assertRaises(GLib.Error) as e:
            ht.call(self.conn, ht.unit_path('slot-4'), ht.UNIT_IFACE, 'Remove',
                    GLib.Variant('(a{sv})', ({'window': GLib.Variant('u', 5)},)))
        self.assertEqual(ht.dbus_error_name(e.exception), 'org.hotplugd.Hotplug1.Error.InvalidArgument')


if __name__ == '__main__':
    unittest.main(verbosity=2)
