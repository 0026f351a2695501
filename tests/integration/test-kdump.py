#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The shipped hook 80-kdump-reload (hooks.d/any/post-add) run by hotplugd
on a simulated server with a crash kernel loaded: the crash kernel is
reloaded exactly once per operation that changes CPUs or memory (a board
removed and added, ejected and inserted, a CPU, a failed add), never for a
slot, a dry run or a remove a hook vetoed; and never where the kernel
updates it itself (crash_hotplug reads 1).  Run on kdump.machine and on
kdump-crash-hotplug.machine.

The hook runs with the environment hotplugd gives every hook, under a
wrapper that puts a fake kdump-config, which counts its calls, first on
PATH.  The other ways the hook finds (kdumpctl, systemctl) or is given
(/etc/hotplugd/kdump-reload) a reload command are checked by running it
directly.  Skips as a whole outside the simulator or on a machine without
a crash kernel loaded."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import hotplugtest as ht

HOOK = os.path.join(ht.SRC, 'hooks.d', 'any', 'post-add', '80-kdump-reload')
EVENTS = ('post-add', 'post-remove', 'add-failed', 'remove-failed')

# a reload command that only counts: one line per call
FAKE = '''#!/bin/sh
echo "$(basename "$0") $* $HOTPLUG_EVENT $HOTPLUG_UNIT" >> {log}
'''

# what hotplugd runs as hooks.d/any/EVENT/80-kdump-reload: the shipped hook
# with the fake reload commands first on PATH
WRAPPER = '''#!/bin/sh
PATH={bin}:$PATH
export PATH
exec {hook} "$@"
'''

VETO = '''#!/bin/sh
echo "reason=not now"
exit 1
'''


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


class Kdump(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not ht.in_simulator():
            raise unittest.SkipTest('runs under hotplug-sim')
        if read('/sys/kernel/kexec_crash_loaded') != '1':
            raise unittest.SkipTest('needs a simulated machine with a crash kernel loaded (kdump.machine)')
        # the kernel updates the crash kernel itself: nothing to reload
        cls.handled = read('/sys/devices/system/cpu/crash_hotplug') == '1'
        cls.per_op = 0 if cls.handled else 1

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix='hotplug-kdump.')
        os.chmod(self.root, 0o755)
        self.addCleanup(shutil.rmtree, self.root, True)
        self.log = os.path.join(self.root, 'reloads.log')
        self.bin = self.mkdir('bin')
        self.hooks = self.mkdir('hooks.d')
        self.fake('kdump-config')
        for event in EVENTS:
            self.write(os.path.join(self.mkdir('hooks.d', 'any', event), '80-kdump-reload'),
                       WRAPPER.format(bin=self.bin, hook=HOOK))
        self.addCleanup(ht.sim_ctl, 'fail', 'online', '0', check=False)

    # --- fixtures -----------------------------------------------------------

    def mkdir(self, *parts):
        path = self.root
        for p in parts:
            path = os.path.join(path, p)
            os.makedirs(path, 0o755, exist_ok=True)
            os.chmod(path, 0o755)
        return path

    def write(self, path, text, mode=0o755):
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)

    def fake(self, name, text=None):
        self.write(os.path.join(self.bin, name), text or FAKE.format(log=self.log))

    def start(self):
        """hotplugd on the simulated machine, which the tests of this file
        share: every unit is brought online first, then the count starts.
        Verbose: the daemon's log has what the hooks print."""
        self.env = ht.Environment(daemon_args=['--verbose'], daemon_env={'HOTPLUG_HOOKS_DIR': self.hooks})
        self.env.__enter__()
        self.addCleanup(self.env.close)
        ht.sim_ctl('fail', 'online', '0')
        for uid in ('sb0', 'cpu2', 'slot-1'):
            if self.unit(uid)['State'] == 'absent':
                ht.sim_ctl('insert', uid)
            ht.wait_until(lambda: self.settled(uid, 'online') or self.settled(uid, 'offline'), 60, uid)
            self.ctl('add', uid)
        if os.path.exists(self.log):
            os.unlink(self.log)

    def reloads(self):
        try:
            with open(self.log) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def expect(self, *lines):
        """The reloads so far: LINES where the crash kernel must be
        reloaded, none where the kernel updates it itself."""
        env = getattr(self, 'env', None)
        self.assertEqual(self.reloads(), list(lines) if not self.handled else [],
                         env.daemon.read_log() if env else '')

    def ctl(self, *args, status=0):
        r = ht.ctl(*args, timeout=120)
        env = getattr(self, 'env', None)
        self.assertEqual(r.returncode, status, r.stdout + r.stderr + (env.daemon.read_log() if env else ''))
        return r

    def unit(self, uid):
        return next(u for u in json.loads(self.ctl('--json', 'status').stdout)['Units'] if u['Id'] == uid)

    def settled(self, uid, state):
        u = self.unit(uid)
        return u['State'] == state and u['Job'] == '/'

    # --- through hotplugd ---------------------------------------------------

    def test_board_remove_and_add(self):
        self.start()
        self.ctl('remove', '--no-eject', 'sb0')
        self.expect('kdump-config reload post-remove sb0')
        self.ctl('add', 'sb0')
        self.expect('kdump-config reload post-remove sb0', 'kdump-config reload post-add sb0')
        log = self.env.daemon.read_log()
        if self.handled:
            self.assertIn('80-kdump-reload: the kernel updates the crash kernel itself', log)
        else:
            self.assertIn('80-kdump-reload: reloaded the crash kernel after post-add of sb0 (kdump-config reload)', log)

    def test_board_ejected_and_inserted(self):
        """A board the platform inserts is added by the daemon's own job:
        one reload for it too."""
        self.start()
        self.ctl('remove', 'sb0')
        self.assertEqual(self.unit('sb0')['State'], 'absent')
        self.expect('kdump-config reload post-remove sb0')
        ht.sim_ctl('insert', 'sb0')
        ht.wait_until(lambda: self.settled('sb0', 'online'), 60, 'sb0 added by the daemon')
        self.expect('kdump-config reload post-remove sb0', 'kdump-config reload post-add sb0')

    def test_cpu(self):
        self.start()
        self.ctl('remove', 'cpu2')
        self.ctl('add', 'cpu2')
        self.expect('kdump-config reload post-remove cpu2', 'kdump-config reload post-add cpu2')

    def test_no_cpu_no_memory_no_change(self):
        """A slot's devices, a dry run and a remove vetoed before the kernel
        was asked for anything change no CPU and no memory."""
        self.start()
        self.ctl('remove', 'slot-1')
        self.ctl('add', 'slot-1')
        self.ctl('remove', '--dry-run', '--no-eject', 'sb0')
        veto = os.path.join(self.mkdir('hooks.d', 'sb', 'pre-remove'), '10-veto')
        self.write(veto, VETO)
        self.ctl('remove', '--no-eject', 'sb0', status=3)
        self.assertEqual(self.unit('sb0')['State'], 'online')
        self.assertEqual(self.reloads(), [])

    def test_failed_add(self):
        """An add whose kernel step fails is rolled back; add-failed reloads
        once (what the kernel did before the failure is undone, and an undo
        that fails leaves it changed)."""
        self.start()
        self.ctl('remove', '--no-eject', 'sb0')
        ht.sim_ctl('fail', 'online', '1')
        r = self.ctl('add', 'sb0', status=1)
        self.assertIn('add-failed', r.stdout)
        self.expect('kdump-config reload post-remove sb0', 'kdump-config reload add-failed sb0')

    # --- the hook alone -------------------------------------------------------

    def run_hook(self, path=None, **env):
        e = {'PATH': self.bin + ':/usr/bin:/bin', 'HOTPLUG_API': '1', 'HOTPLUG_EVENT': 'post-add',
             'HOTPLUG_UNIT': 'sb0', 'HOTPLUG_KIND': 'sb', 'HOTPLUG_CPUS': '4-7',
             'HOTPLUG_MEMORY_BYTES': str(2 << 30), 'HOTPLUG_DRY_RUN': '0', 'HOTPLUG_FORCE': '0',
             'HOTPLUG_KDUMP_RELOAD_CONF': os.path.join(self.root, 'kdump-reload')}
        for k in ('LD_PRELOAD', 'UMOCKDEV_DIR', 'HOTPLUG_SIM_ROOT', 'HOTPLUG_SIM_SOCKET'):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(env)
        return subprocess.run([HOOK, e['HOTPLUG_EVENT'], e['HOTPLUG_UNIT']], env=e, capture_output=True,
                              text=True, timeout=30)

    def test_reload_commands(self):
        """kdump-config first, then kdumpctl, then an active kdump.service;
        the configured command before all of them; 'none' turns it off."""
        r = self.run_hook()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.expect('kdump-config reload post-add sb0')
        os.unlink(os.path.join(self.bin, 'kdump-config'))
        self.fake('kdumpctl')
        self.run_hook(HOTPLUG_EVENT='post-remove', HOTPLUG_CPUS='', HOTPLUG_UNIT='memory0')
        self.expect('kdump-config reload post-add sb0', 'kdumpctl reload post-remove memory0')
        os.unlink(os.path.join(self.bin, 'kdumpctl'))
        self.fake('systemctl', FAKE.format(log=self.log) + 'exit 0\n')
        self.run_hook(HOTPLUG_MEMORY_BYTES='0')
        self.expect('kdump-config reload post-add sb0', 'kdumpctl reload post-remove memory0',
                    'systemctl is-active --quiet kdump.service post-add sb0',
                    'systemctl try-restart kdump.service post-add sb0')
        with open(os.path.join(self.root, 'kdump-reload'), 'w') as f:
            f.write('# the site reloads kdump its own way\n\n  my-reload --quick\n')
        self.fake('my-reload')
        self.run_hook()
        self.assertEqual(self.reloads()[4:], ['my-reload --quick post-add sb0'] if not self.handled else [])
        with open(os.path.join(self.root, 'kdump-reload'), 'w') as f:
            f.write('none\n')
        r = self.run_hook()
        self.assertEqual((r.returncode, len(self.reloads())), (0, 5 if not self.handled else 0))

    def test_reload_fails_or_unknown(self):
        """A reload that fails is the hook's failure, with the reason; a
        crash kernel loaded and nothing to reload it is one too."""
        self.fake('kdump-config', '#!/bin/sh\necho "no crash kernel image" >&2\nexit 3\n')
        r = self.run_hook()
        if self.handled:
            self.assertEqual(r.returncode, 0)
            return
        self.assertEqual(r.returncode, 3)
        self.assertIn('cannot reload the crash kernel after post-add of sb0', r.stderr)
        os.unlink(os.path.join(self.bin, 'kdump-config'))
        # a systemctl that knows no active kdump.service
        self.fake('systemctl', '#!/bin/sh\nexit 3\n')
        r = self.run_hook()
        self.assertEqual(r.returncode, 1)
        self.assertIn('no reload command is known', r.stderr)

    def test_nothing_to_do(self):
        """Dry runs, units without CPUs and memory, failures of a pre-* hook:
        nothing is reloaded, whatever the kernel."""
        for env in ({'HOTPLUG_DRY_RUN': '1'},
                    {'HOTPLUG_CPUS': '', 'HOTPLUG_MEMORY_BYTES': '0', 'HOTPLUG_KIND': 'slot'},
                    {'HOTPLUG_EVENT': 'remove-failed', 'HOTPLUG_FAILED_HOOK': '10-veto',
                     'HOTPLUG_FAILURE_REASON': 'not now'}):
            r = self.run_hook(**env)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, '', ''), env)
        self.assertEqual(self.reloads(), [])
        # a step that failed: the kernel changed things
        self.run_hook(HOTPLUG_EVENT='remove-failed', HOTPLUG_FAILED_HOOK='offline memory block 3',
                      HOTPLUG_FAILURE_REASON='Device or resource busy')
        self.expect('kdump-config reload remove-failed sb0')


if __name__ == '__main__':
    ht.run_tests()
