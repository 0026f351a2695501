#!/usr/bin/python3
# hotplugctl switchover, cancel-switchover, connect and domains against
# fake-hotplugd.py: domain ids as users type them, options and their D-Bus
# types, the job followed phase by phase, what it waits on shown as pending
# (plain lines when piped, a line redrawn every second on a terminal), the
# outcome and the exit status, and the errors a user meets.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import (HOTPLUGCTL, PATH, Bus, OperationTestCase,  # noqa: E402
                     ctl_env, read_line, run_on_pty, table)

NOT_RUNNING = 'hotplugctl: hotplugd is not running (org.hotplugd.Hotplug1 not on the system bus)\n'
TX_HOOK = '/etc/hotplugd/hooks.d/domain/pre-switchover/10-flush-tx'
NOTIFY_HOOK = '/usr/lib/hotplugd/hooks.d/any/post-switchover/90-notify'
DEVICE = '0001:02:00.0'

# A switchover that succeeds: a hook answers "not yet" once, then yes;
# that it no longer holds the job is said where its answer is.
SWITCHOVER = [
    ['start', 'pre-switchover', 0, 'run the pre-switchover hooks', 5],
    ['domain', 'disconnecting'],
    ['hook', 'pre-switchover', TX_HOOK, 75, 'retry: transaction 42 in flight', 4000],
    ['pending', TX_HOOK, 'transaction 42 in flight', 3000],
    ['sleep', 100],
    ['hook', 'pre-switchover', TX_HOOK, 0, 'ok', 2000],
    ['finish', 0, True, ''],
    ['start', 'disconnect', 1, 'unbind 0001:02:00.0', 50],
    # as hotplugd's property changes come: after the signals of the moment
    ['pending', '', '', 0],
    ['finish', 1, True, ''],
    ['domain', 'disconnected'],
    ['start', 'post-switchover', 2, 'run the post-switchover hooks', 90],
    ['hook', 'post-switchover', NOTIFY_HOOK, 0, 'ok', 1000],
    ['finish', 2, True, ''],
    ['end', 'succeeded', ''],
]
SWITCHOVER_LINES = [
    'switchover 0001: job 7',
    'phase pre-switchover',
    '  → run the pre-switchover hooks',
    '    hook %s: retry: transaction 42 in flight, exit status 75 (4 ms)' % TX_HOOK,
    '  pending for 3 s: %s: transaction 42 in flight' % TX_HOOK,
    '    hook %s: ok (2 ms)' % TX_HOOK,
    '  no longer pending: %s (after 3 s)' % TX_HOOK,
    '  ✓ run the pre-switchover hooks',
    'phase disconnect',
    '  → unbind 0001:02:00.0',
    '  ✓ unbind 0001:02:00.0',
    'phase post-switchover',
    '  → run the post-switchover hooks',
    '    hook %s: ok (1 ms)' % NOTIFY_HOOK,
    '  ✓ run the post-switchover hooks',
    'switchover 0001 succeeded',
]

# A device refuses and is retried (persist), until the switchover is
# cancelled: the domain goes back to connected.
PERSIST = [
    ['start', 'disconnect', 0, 'unbind 0001:02:00.0', 50],
    ['domain', 'disconnecting'],
    ['pending', DEVICE, 'device busy', 0],
    ['sleep', 20000],
    ['end', 'succeeded', ''],
]
PERSIST_CANCEL = [
    ['pending', '', '', 0],
    ['finish', 0, False, 'cancelled'],
    ['start', 'rollback', 1, 'bind 0001:02:00.0', 60],
    ['finish', 1, True, ''],
    ['domain', 'connected'],
    ['end', 'cancelled', 'cancelled by the administrator'],
]

# A device cannot be disconnected and one cannot be connected again.
FAILED = [
    ['start', 'disconnect', 0, 'unbind 0001:02:00.0', 50],
    ['finish', 0, False, 'device busy'],
    ['start', 'switchover-failed', 1, 'run the switchover-failed hooks', 80],
    ['finish', 1, True, ''],
    ['domain', 'failed'],
    ['end', 'failed', 'unbind 0001:02:00.0: device busy; 0001:02:00.0 could not be reconnected'],
]


class TestSwitchover(OperationTestCase):
    def test_success_piped(self):
        self.script(SWITCHOVER)
        r = self.run_ctl('switchover', '0001')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, '')
        # pending since 3 s when it is seen, a little more when it ends (a
        # busy machine may add a second to either)
        lines = r.stdout.split('\n')
        for i, line in enumerate(lines):
            m = re.match(r'^(  pending for |  no longer pending: .* \(after )(\d+)( s.*)$', line)
            if m and int(m.group(2)) in (3, 4):
                lines[i] = m.group(1) + '3' + m.group(3)
        self.assertEqual(lines, SWITCHOVER_LINES + [''])
        self.assertNotIn('\r', r.stdout)
        self.assertEqual(self.calls(), [{'method': 'switchover', 'domain': '0001', 'options': {}}])

    def test_domain_ids(self):
        self.script([['end', 'succeeded', 'not owned by this host']])
        for job, (given, domain) in enumerate((('1', '0001'), ('01', '0001'), ('0001', '0001'),
                                               ('0', '0000')), start=7):
            r = self.run_ctl('switchover', given)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, 'switchover %s: job %d\nswitchover %s succeeded: not owned by '
                             'this host\n' % (domain, job, domain))
            self.assertEqual(self.calls()[-1]['domain'], domain)
        r = self.run_ctl('connect', 'A')
        self.assertEqual((r.returncode, r.stderr), (1, 'hotplugctl: no such domain: 000a\n'))
        for given in ('00001', 'x1', '0x1', '-1', '', '1 ', 'ä'):
            for command in ('switchover', 'connect', 'cancel-switchover'):
                r = self.run_ctl(command, given)
                self.assertEqual(r.returncode, 2, (command, given))
                self.assertEqual(r.stdout, '')
                if given != '-1':  # an unknown option
                    self.assertTrue(r.stderr.startswith('hotplugctl: not a domain: %s (up to four hex '
                                                        'digits: 0001)\n' % given), r.stderr)
                self.assertIn('Usage:', r.stderr)

    def test_options_and_types(self):
        self.script([['end', 'succeeded', '']])
        self.ok('switchover', '1', '--force', '--dry-run', '--timeout', '60', '--persist')
        self.ok('switchover', '1', '--timeout=4294967295')
        self.ok('connect', '1', '--dry-run', '--timeout', '5')
        self.ok('connect', '0')
        self.assertEqual([(c['method'], c['options']) for c in self.calls()], [
            ('switchover', {'force': ['b', True], 'dry-run': ['b', True], 'timeout': ['u', 60],
                            'persist': ['b', True]}),
            ('switchover', {'timeout': ['u', 4294967295]}),
            ('connect', {'dry-run': ['b', True], 'timeout': ['u', 5]}),
            ('connect', {}),
        ])

    def test_bad_usage(self):
        for args in (['switchover'], ['connect'], ['cancel-switchover'], ['switchover', '1', '2'],
                     ['switchover', '1', '--timeout', '0'], ['switchover', '1', '--timeout', 'soon'],
                     ['connect', '1', '--timeout', '-1'], ['connect', '1', '--force'],
                     ['connect', '1', '--persist'], ['switchover', '1', '--strict'],
                     ['cancel-switchover', '1', '--force'], ['switchover', '1', '--json']):
            r = self.run_ctl(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, '', args)
            self.assertTrue(r.stderr.startswith('hotplugctl: '), r.stderr)
            self.assertIn('Usage:', r.stderr, args)
        self.assertEqual(self.calls(), [])

    def test_dry_run(self):
        self.script([['start', 'pre-switchover', 0, 'run the pre-switchover hooks', 5],
                     ['finish', 0, True, ''], ['end', 'succeeded', '']])
        out = self.ok('switchover', '1', '--dry-run')
        self.assertEqual(out.split('\n')[0], 'switchover 0001: job 7 (dry run)')
        self.assertTrue(out.endswith('switchover 0001 succeeded\nDry run: nothing was changed.\n'), out)

    def test_outcomes_and_exit_status(self):
        for state, reason, status, message in (
                ('vetoed', 'replication lag 30 s', 3, 'switchover 0001 vetoed: replication lag 30 s'),
                ('cancelled', '', 4, 'switchover 0001 cancelled'),
                ('timeout', 'gave up after 60 s', 5, 'switchover 0001 timed out: gave up after 60 s'),
                ('failed', 'device busy', 1, 'switchover 0001 failed: device busy')):
            self.script([['start', 'pre-switchover', 0, 'run the pre-switchover hooks', 5],
                         ['end', state, reason]])
            r = self.run_ctl('switchover', '1')
            self.assertEqual((r.returncode, r.stderr), (status, 'hotplugctl: %s\n' % message), state)
            self.assertNotIn('succeeded', r.stdout)

    def test_failed_needs_the_administrator(self):
        self.script(FAILED)
        r = self.run_ctl('switchover', '1')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'hotplugctl: switchover 0001 failed: unbind 0001:02:00.0: device busy; '
                         '0001:02:00.0 could not be reconnected\n')
        self.assertEqual(r.stdout.split('\n')[1:], [
            'phase disconnect', '  → unbind 0001:02:00.0', '  ✗ unbind 0001:02:00.0: device busy',
            'phase switchover-failed', '  → run the switchover-failed hooks',
            '  ✓ run the switchover-failed hooks', ''])
        self.assertEqual(table(self.ok('domains'))[2][:3], ['0001', 'failed', '-'])
        # connect repairs it
        self.script([['start', 'connect', 0, 'bind 0001:02:00.0', 50], ['finish', 0, True, ''],
                     ['domain', 'connected'], ['end', 'succeeded', '']])
        out = self.ok('connect', '1')
        self.assertEqual(out, 'connect 0001: job 8\nphase connect\n  → bind 0001:02:00.0\n'
                         '  ✓ bind 0001:02:00.0\nconnect 0001 succeeded\n')

    def test_already_there(self):
        self.script([['end', 'succeeded', 'already connected']])
        self.assertEqual(self.ok('connect', '0'), 'connect 0000: job 7\nconnect 0000 succeeded: '
                         'already connected\n')

    def test_call_errors(self):
        busy = ('0001:02:00.0 is in use: mount /data ext4 /dev/nvme2n1p1 on nvme2n1p1; '
                'netdev eth4 up')
        for name, message in (('Busy', busy), ('Busy', 'domain 0001 has a job running (job 3)'),
                              ('NotAuthorized', 'not authorized to switch domains over'),
                              ('InvalidArgument', 'timeout must be more than 0')):
            self.script(error=[name, message])
            for extra in ([], ['--no-wait']):
                r = self.run_ctl('switchover', '1', *extra)
                self.assertEqual((r.returncode, r.stdout), (1, ''), name)
                self.assertEqual(r.stderr, 'hotplugctl: cannot switchover 0001: %s\n' % message)
        self.script(error=['Busy', 'domain 0001 is being switched over (job 7)'])
        r = self.run_ctl('connect', '1')
        self.assertEqual((r.returncode, r.stderr),
                         (1, 'hotplugctl: cannot connect 0001: domain 0001 is being switched over (job 7)\n'))
        for command in ('switchover', 'connect', 'cancel-switchover'):
            r = self.run_ctl(command, '0002')
            self.assertEqual((r.returncode, r.stdout, r.stderr), (1, '', 'hotplugctl: no such domain: 0002\n'))

    def test_no_wait(self):
        self.script(PERSIST)
        self.assertEqual(self.ok('switchover', '1', '--no-wait', '--persist'), 'job 7 %s/job/7\n' % PATH)
        self.assertEqual(self.job_state(7), 'running')
        self.assertEqual(self.ok('connect', '0', '--no-wait'), 'job 8 %s/job/8\n' % PATH)

    def test_device_pending_then_cancel_switchover(self):
        self.script(PERSIST, cancel=PERSIST_CANCEL)
        proc = self.follow('switchover', '1', '--persist')
        lines = self.wait_for(proc.stdout, '  pending for 0 s: %s: device busy' % DEVICE)
        self.assertEqual(lines, ['switchover 0001: job 7', 'phase disconnect', '  → unbind 0001:02:00.0',
                                 '  pending for 0 s: %s: device busy' % DEVICE])
        # what domains shows meanwhile
        rows = table(self.ok('domains'))
        self.assertEqual(rows[2][:3], ['0001', 'disconnecting', '7 switchover'])
        data = self.json('domains', '--json')
        self.assertEqual(data[1]['RunningJob']['Operation'], 'switchover')
        self.assertEqual(data[1]['RunningJob']['Id'], 7)
        self.assertEqual(data[1]['RunningJob']['Pending'], DEVICE)
        self.assertIsNone(data[0]['RunningJob'])
        self.assertEqual(data[1]['Job'], PATH + '/job/7')

        self.assertEqual(self.ok('cancel-switchover', '1'), 'job 7 (switchover 0001): cancel requested\n')
        self.assertEqual(proc.wait(timeout=10), 4)
        rest = self.rest(proc, proc.stdout).split('\n')
        self.assertRegex(rest[0], r'^  no longer pending: %s \(after \d s\)$' % DEVICE)
        self.assertEqual(rest[1:], ['  ✗ unbind 0001:02:00.0: cancelled', 'phase rollback',
                                    '  → bind 0001:02:00.0', '  ✓ bind 0001:02:00.0', ''])
        self.assertEqual(self.rest(proc, proc.stderr),
                         'hotplugctl: switchover 0001 cancelled: cancelled by the administrator\n')
        self.assertEqual(self.calls()[1], {'method': 'CancelSwitchover', 'domain': '0001'})
        self.assertEqual(table(self.ok('domains'))[2][:3], ['0001', 'connected', '-'])

    def test_cancel_switchover_without_one(self):
        self.assertEqual(self.ok('cancel-switchover', '0'), 'No switchover of 0000 was running.\n')
        self.script(cancel_error=['NotAuthorized', 'not authorized to switch domains over'])
        r = self.run_ctl('cancel-switchover', '0')
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, '', 'hotplugctl: cannot cancel the switchover of 0000: '
                          'not authorized to switch domains over\n'))

    def test_ctrl_c_cancels_the_job(self):
        self.script(PERSIST, cancel=PERSIST_CANCEL)
        proc = self.follow('switchover', '1')
        self.wait_for(proc.stdout, '  pending for 0 s: %s: device busy' % DEVICE)
        proc.send_signal(signal.SIGINT)
        self.assertEqual(read_line(proc.stderr, 10), 'cancelling job 7… (Ctrl-C again to detach)')
        self.assertEqual(proc.wait(timeout=10), 4)
        self.assertEqual(self.calls()[1], {'method': 'Cancel', 'job': 7})

    def test_pending_counts_up_on_a_terminal(self):
        steps = [s for s in SWITCHOVER if s[0] != 'sleep']
        at = steps.index(['pending', TX_HOOK, 'transaction 42 in flight', 3000])
        steps.insert(at + 1, ['sleep', 2600])
        self.script(steps)
        env = ctl_env(self.bus.address, TERM='xterm', COLUMNS='120')
        code, out = run_on_pty([HOTPLUGCTL, 'switchover', '1'], env)
        self.assertEqual(code, 0, out)
        # redrawn in place with the time it has been pending, once a second:
        # from 3 s up, a second at a time
        shown = [int(n) for n in re.findall(r'\r\033\[K\[  5%\] switchover 0001: pending for (\d) s: '
                                              r'10-flush-tx \(transaction 42 in flight\)', out)]
        self.assertGreaterEqual(len(shown), 3, repr(out))
        self.assertIn(shown[0], (3, 4))
        self.assertEqual(shown, sorted(shown))
        self.assertGreaterEqual(len(set(shown)), 2, shown)
        self.assertLessEqual(max(shown) - shown[0], 3, shown)
        after = re.findall(r'\r\033\[K  no longer pending: %s \(after (\d) s\)\r\n' % TX_HOOK, out)
        self.assertEqual(len(after), 1, repr(out))
        self.assertGreaterEqual(int(after[0]), max(shown))
        self.assertTrue(out.endswith('\r\033[Kswitchover 0001 succeeded\r\n'), repr(out[-200:]))

    def test_job_vanishes(self):
        # gone without a word: the domain's state tells whether it got there
        self.script([['domain', 'disconnected'], ['vanish', 'succeeded', '']])
        r = self.run_ctl('switchover', '1')
        self.assertEqual((r.returncode, r.stderr), (0, ''))
        self.assertEqual(r.stdout, 'switchover 0001: job 7\nswitchover 0001 succeeded\n')
        self.script([['domain', 'connected'], ['vanish', 'failed', 'device busy']])
        r = self.run_ctl('switchover', '1')
        self.assertEqual((r.returncode, r.stderr),
                         (1, 'hotplugctl: job 8 went away before it ended; the outcome of '
                          'switchover 0001 is unknown\n'))


class TestDomainsHelp(OperationTestCase):
    def test_help(self):
        out = self.ok('--help')
        for command in ('switchover', 'cancel-switchover', 'connect'):
            self.assertRegex(out, r'\n  %s +\S' % command)
        self.assertIn('hotplugctl switchover [OPTION…] DOMAIN', self.ok('switchover', '--help'))
        for option in ('--no-wait', '--force', '--dry-run', '--timeout=SECONDS', '--persist'):
            self.assertIn(option, self.ok('switchover', '--help'))
        connect = self.ok('connect', '--help')
        for option in ('--no-wait', '--dry-run', '--timeout=SECONDS'):
            self.assertIn(option, connect)
        self.assertNotIn('--force', connect)
        self.assertNotIn('--persist', connect)

    def test_domains_job_column(self):
        self.assertEqual(table(self.ok('domains'))[1:], [
            ['0000', 'connected', '-', '6', '2', 'slot-1,slot-2,slot-3'],
            ['0001', 'inactive', '-', '1', '0', 'slot-10']])
        self.script([['start', 'connect', 0, 'bind 0001:02:00.0', 50], ['sleep', 20000]])
        self.ok('connect', '1', '--no-wait')
        self.assertEqual(table(self.ok('domains'))[2][:3], ['0001', 'inactive', '7 connect'])
        self.assertEqual(self.json('domains', '--json')[1]['RunningJob']['Phase'], 'connect')


class TestNoDaemon(unittest.TestCase):
    def test_no_daemon(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = ctl_env('unix:path=' + os.path.join(tmp, 'nobus'))
            for args in (['switchover', '1'], ['connect', '0001'], ['cancel-switchover', '1']):
                r = subprocess.run([HOTPLUGCTL] + args, capture_output=True, env=env,
                                   universal_newlines=True, timeout=30)
                self.assertEqual((r.returncode, r.stdout, r.stderr), (1, '', NOT_RUNNING), args)
        bus = Bus()
        try:
            r = subprocess.run([HOTPLUGCTL, 'switchover', '1'], capture_output=True,
                               env=ctl_env(bus.address), universal_newlines=True, timeout=30)
            self.assertEqual((r.returncode, r.stderr), (1, NOT_RUNNING))
        finally:
            bus.stop()


if __name__ == '__main__':
    unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
