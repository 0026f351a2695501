#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The bash completion of hotplugctl against hotplugd on the simulated
'default' server: unit, domain and job ids and hook events as the daemon
answers them, read back from COMPREPLY after bash ran the completion
function (tests/ctl/test-completion.py is the same without a daemon).
Skips as a whole outside the simulator."""
import importlib.util
import json
import os
import shutil
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
import hotplugtest as ht  # noqa: E402

_spec = importlib.util.spec_from_file_location('completion', os.path.join(HERE, '..', 'ctl', 'test-completion.py'))
completion = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(completion)


class Completion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not ht.in_simulator():
            raise unittest.SkipTest('runs under hotplug-sim')
        # an admin hook root with a hook only for the domain kind
        cls.hooks = tempfile.mkdtemp(prefix='hotplug-hooks.')
        os.chmod(cls.hooks, 0o755)
        d = os.path.join(cls.hooks, 'domain', 'post-connect')
        os.makedirs(d)
        for p in (os.path.join(cls.hooks, 'domain'), d):
            os.chmod(p, 0o755)
        with open(os.path.join(d, '10-note'), 'w') as f:
            f.write('#!/bin/sh\nexit 0\n')
        os.chmod(os.path.join(d, '10-note'), 0o755)
        cls.env = ht.Environment(daemon_env={'HOTPLUG_HOOKS_DIR': cls.hooks})
        cls.env.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.env.close()
        shutil.rmtree(cls.hooks, ignore_errors=True)

    def tearDown(self):
        ht.sim_ctl('delay', '0')
        for job in self.running_jobs():
            ht.ctl('cancel', str(job['Id']))
        ht.wait_until(lambda: not self.running_jobs(), 60, 'no job running')

    def c(self, *words):
        return completion.complete(*words)

    def status(self):
        return json.loads(ht.ctl('--json', 'status', check=True).stdout)

    def running_jobs(self):
        return [j for j in json.loads(ht.ctl('--json', 'jobs', check=True).stdout) if j['State'] == 'running']

    def test_units(self):
        units = [u['Id'] for u in self.status()['Units']]
        self.assertIn('sb1', units)
        self.assertIn('slot-3', units)
        for command in ('show', 'add', 'remove', 'replace'):
            self.assertEqual(self.c(command, ''), units, command)
        self.assertEqual(self.c('remove', 'sb'), [u for u in units if u.startswith('sb')])
        self.assertEqual(self.c('remove', 'slot-'), [u for u in units if u.startswith('slot-')])
        # options before the unit, and their values, are no unit
        self.assertEqual(self.c('--json', 'show', 'slot-3'), ['slot-3'])
        self.assertEqual(self.c('remove', '--no-eject', '--timeout', '30', 'io'), ['iou0', 'iou1'])
        self.assertEqual(self.c('remove', '--timeout=30', 'io'), ['iou0', 'iou1'])
        self.assertEqual(self.c('remove', '--timeout', '=', '30', 'io'), ['iou0', 'iou1'])
        # one unit only; listings take none
        self.assertEqual(self.c('remove', 'sb1', ''), [])
        self.assertEqual(self.c('status', ''), [])

    def test_domains(self):
        domains = [d['Id'] for d in self.status()['Domains']]
        self.assertEqual(domains, ['0000', '0001'])
        for command in ('switchover', 'cancel-switchover', 'connect'):
            self.assertEqual(self.c(command, ''), domains, command)
        self.assertEqual(self.c('switchover', '--persist', '00'), domains)
        self.assertEqual(self.c('connect', '0001', ''), [])

    def test_jobs(self):
        """cancel completes the running jobs; replace --resume the running
        replaces; ended jobs are not offered."""
        self.assertEqual(self.c('cancel', ''), [])
        ht.sim_ctl('delay', '200')
        r = ht.ctl('remove', '--no-wait', '--no-eject', 'sb1', check=True)
        remove_job = r.stdout.split()[1]
        r = ht.ctl('replace', '--no-wait', '--window', '120', 'slot-4', check=True)
        replace_job = r.stdout.split()[1]
        ht.wait_until(lambda: any(j['WindowEnd'] for j in self.running_jobs()), 30, 'the replace window')
        self.assertEqual(sorted(self.c('cancel', ''), key=int), sorted([remove_job, replace_job], key=int))
        self.assertEqual(self.c('replace', '--resume', ''), [replace_job])
        self.assertEqual(self.c('replace', '--resume', '=', ''), [replace_job])
        self.assertEqual(self.c('replace', f'--resume={replace_job[0]}'), [f'--resume={replace_job}'])
        self.assertEqual(self.c('replace', '--resume', replace_job, ''), [], 'resume takes no unit')
        self.assertEqual(self.c('cancel', remove_job, ''), [])
        ht.ctl('cancel', remove_job, check=True)
        ht.wait_until(lambda: remove_job not in [str(j['Id']) for j in self.running_jobs()], 60, 'the remove ended')
        self.assertEqual(self.c('cancel', ''), [replace_job])
        self.assertIn(remove_job, [str(j['Id']) for j in json.loads(ht.ctl('--json', 'jobs').stdout)],
                      'the ended job is still listed by jobs, and not completed')

    def test_hook_events(self):
        """The events of the hooks the daemon lists come with the protocol's
        events, each once."""
        listed = json.loads(ht.ctl('--json', 'hooks', check=True).stdout)
        self.assertEqual([(h['Event'], h['Kind'], h['Name']) for h in listed], [('post-connect', 'domain', '10-note')])
        self.assertEqual(self.c('hooks', ''), completion.UNIT_EVENTS + completion.DOMAIN_EVENTS)
        self.assertEqual(self.c('hooks', '--kind=domain', 'post-c'), ['post-connect'])

    def test_quick(self):
        """A completion asks the daemon once or twice: well under a second."""
        start = time.monotonic()
        for _ in range(5):
            self.c('remove', '')
        self.assertLess((time.monotonic() - start) / 5, 1.0)


if __name__ == '__main__':
    ht.run_tests()
