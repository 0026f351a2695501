#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hotplugctl switchover, cancel-switchover, connect and domains against
hotplugd on the simulated 'default' server (domain 0001): the job followed
to its end, a pre-switchover hook that answers "not yet" shown as pending,
the exit status of each outcome.  Shares test-domains.py's fixtures."""
import importlib.util
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('domains', os.path.join(HERE, 'test-domains.py'))
domains = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(domains)
ht = domains.ht


class CtlDomains(domains.Domains):
    def ctl(self, *args):
        return ht.ctl(*args, timeout=120)

    def row(self, did='0001'):
        for line in self.ctl('domains').stdout.splitlines()[1:]:
            cells = re.split(r'  +', line.strip())
            if cells[0] == did:
                return cells
        return None

    def test_switchover_with_a_pending_hook_then_connect(self):
        self.hooks(pending=2)
        self.start()
        r = self.ctl('switchover', '1')
        self.assertEqual((r.returncode, r.stderr), (0, ''))
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r'^switchover 0001: job \d+$')
        self.assertEqual(lines[1:3], ['phase pre-switchover', '  → run the pre-switchover hooks'])
        self.assertIn('  pending for 0 s: %s: transaction 1 still in flight' % self.pre, lines)
        # the second "not yet" says why again only if the reason changed
        self.assertIn('  pending for 0 s: %s: transaction 2 still in flight' % self.pre, lines)
        ended = [i for i, line in enumerate(lines) if line.startswith('  no longer pending: ' + self.pre)]
        self.assertEqual(len(ended), 1, lines)
        self.assertRegex(lines[ended[0] - 1], r'^    hook %s: ok \(' % re.escape(self.pre))
        self.assertIn('phase disconnect', lines)
        self.assertEqual(lines[-1], 'switchover 0001 succeeded')
        self.assertEqual(self.row()[:3], ['0001', 'disconnected', '-'])

        r = self.ctl('switchover', '0001')
        self.assertEqual((r.returncode, r.stdout.splitlines()[-1]), (0, 'switchover 0001 succeeded: already disconnected'))

        r = self.ctl('connect', '1')
        self.assertEqual((r.returncode, r.stderr), (0, ''))
        self.assertEqual(r.stdout.splitlines()[-1], 'connect 0001 succeeded')
        self.assertEqual(self.row()[:2], ['0001', 'connected'])
        r = self.ctl('connect', '1')
        self.assertEqual((r.returncode, r.stdout.splitlines()[-1]), (0, 'connect 0001 succeeded: already connected'))

    def test_cancel_switchover_while_pending(self):
        self.hooks(pending='forever')
        self.start()
        proc = subprocess.Popen([ht.ctl_exe(), 'switchover', '1'], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.stderr.close)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith('  pending for'):
                break
        else:
            self.fail('no pending line')
        row = self.row()
        self.assertEqual(row[1], 'disconnecting')
        self.assertRegex(row[2], r'^\d+ switchover$')
        r = self.ctl('cancel-switchover', '1')
        self.assertEqual((r.returncode, r.stdout), (0, 'job %s (switchover 0001): cancel requested\n' %
                                                     row[2].split()[0]))
        self.assertEqual(proc.wait(timeout=60), 4)
        self.assertTrue(proc.stderr.read().startswith('hotplugctl: switchover 0001 cancelled'))
        self.assertEqual(self.row()[:3], ['0001', 'connected', '-'])
        r = self.ctl('cancel-switchover', '1')
        self.assertEqual((r.returncode, r.stdout), (0, 'No switchover of 0001 was running.\n'))

    def test_timeout_and_errors(self):
        self.hooks(pending='forever')
        self.start()
        r = self.ctl('switchover', '1', '--timeout', '1')
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertTrue(r.stderr.startswith('hotplugctl: switchover 0001 timed out'), r.stderr)
        self.assertEqual(self.row()[:2], ['0001', 'connected'])
        r = self.ctl('switchover', '2')
        self.assertEqual((r.returncode, r.stderr), (1, 'hotplugctl: no such domain: 0002\n'))
        r = self.ctl('connect', '0')
        self.assertEqual((r.returncode, r.stdout.splitlines()[-1]), (0, 'connect 0000 succeeded: already connected'))


def load_tests(loader, tests, pattern):
    """Only the tests of this file, not those of the fixture's class."""
    return unittest.TestSuite(CtlDomains(name) for name in sorted(vars(CtlDomains)) if name.startswith('test_'))


if __name__ == '__main__':
    unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
