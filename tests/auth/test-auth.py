#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""HotplugAuth on a private system bus with the project's bus policy:
auth-test-server (the generated Manager and Unit skeletons, handlers going
through HotplugAuth) against python-dbusmock's polkitd, no polkit at all,
and the real polkitd with the project's actions.  The round trip's cost is
bench/run polkit's (bench/bench-polkit.py)."""

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get('HOTPLUG_SOURCE_DIR') or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

SERVER = os.environ.get('HOTPLUG_AUTH_TEST_SERVER') or ht.build_path('tests', 'auth', 'auth-test-server')
NAME = 'org.hotplugd.Hotplug1'
MANAGER = '/org/hotplugd/Hotplug1'
UNIT = '/org/hotplugd/Hotplug1/unit/test'
TEST = '/org/hotplugd/Hotplug1/test'
IFACE_MANAGER = 'org.hotplugd.Hotplug1.Manager'
IFACE_UNIT = 'org.hotplugd.Hotplug1.Unit'
IFACE_TEST = 'org.hotplugd.Hotplug1.Test'
NOT_AUTHORIZED = 'org.hotplugd.Hotplug1.Error.NotAuthorized'
POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority'

# The driver's window into the server is not part of hotplugd's interface:
# let root call it on this test bus only.
TEST_POLICY = f'''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow send_destination="{NAME}" send_interface="{IFACE_TEST}"/>
  </policy>
</busconfig>
'''

IS_ROOT = os.geteuid() == 0
HAVE_SETPRIV = shutil.which('setpriv') is not None
REAL_POLKITD = '/usr/lib/polkit-1/polkitd'


def remote_error(e):
    return Gio.DBusError.get_remote_error(e) if Gio.DBusError.is_remote_error(e) else None


class Env:
    """Private system bus (project policy), polkit in the given mode (None:
    none on the bus) and auth-test-server owning org.hotplugd.Hotplug1."""

    def __init__(self, polkit, server_args=()):
        self.tmpdir = tempfile.mkdtemp(prefix='hotplug-auth.')
        os.chmod(self.tmpdir, 0o755)   # polkitd, nobody must reach the socket
        policy = os.path.join(self.tmpdir, 'policy')
        os.makedirs(policy)
        shutil.copy(os.path.join(SRC, 'data', 'dbus', 'org.hotplugd.Hotplug1.conf'), policy)
        with open(os.path.join(policy, 'auth-test.conf'), 'w') as f:
            f.write(TEST_POLICY)
        self.bus = ht.PrivateSystemBus(self.tmpdir, [policy])
        self.mode = polkit
        self.polkit = ht.Polkit(polkit, self.tmpdir) if polkit else None
        self.server_args = list(server_args)
        self.server = None
        self.conn = None
        self.log_path = os.path.join(self.tmpdir, 'server.log')

    def start(self):
        try:
            self.bus.start()
            if self.polkit:
                self.polkit.start()
            self.start_server()
            self.conn = Gio.DBusConnection.new_for_address_sync(
                self.bus.address,
                Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
                None, None)
        except BaseException:
            self.stop()
            raise
        return self

    def start_server(self):
        env = dict(os.environ, G_MESSAGES_DEBUG='hotplugd')
        with open(self.log_path, 'w') as log:
            self.server = subprocess.Popen([SERVER] + self.server_args, env=env, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=log)
        r, _, _ = select.select([self.server.stdout], [], [], 20)
        line = self.server.stdout.readline() if r else b''
        if line.strip() != b'READY':
            raise RuntimeError('auth-test-server did not start:\n' + self.server_log())

    def server_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        """Returns the server's exit status (0 unless it crashed)."""
        rc = None
        if self.conn:
            self.conn.close_sync(None)
            self.conn = None
        if self.server:
            if self.server.poll() is None:
                self.server.terminate()
            try:
                rc = self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                rc = self.server.wait()
            self.server.stdout.close()
            self.server = None
        if self.polkit:
            self.polkit.stop()
        self.bus.stop()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        return rc

    # calls as root, from this process

    def call(self, path, iface, method, args=None, flags=Gio.DBusCallFlags.NONE, timeout=20000):
        return self.conn.call_sync(NAME, path, iface, method, args, None, flags, timeout, None).unpack()

    def call_async(self, path, iface, method, args, done, flags=Gio.DBusCallFlags.NONE):
        def cb(conn, res, _):
            try:
                done(conn.call_finish(res).unpack(), None)
            except GLib.Error as e:
                done(None, e)
        self.conn.call(NAME, path, iface, method, args, None, flags, 60000, None, cb, None)

    def add(self, flags=Gio.DBusCallFlags.NONE):
        return self.call(UNIT, IFACE_UNIT, 'Add', GLib.Variant('(a{sv})', ({},)), flags)[0]

    def stats(self):
        return self.call(TEST, IFACE_TEST, 'Stats')[0]

    # calls from another user, through gdbus

    def call_as(self, user, group, path, method, *args):
        cmd = ['gdbus', 'call', '--system', '--dest', NAME, '--object-path', path, '--method', method] + list(args)
        if user:
            cmd = ['setpriv', f'--reuid={user}', f'--regid={group}', '--clear-groups'] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                              env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus.address))

    # the mock polkitd

    def polkit_calls(self, method='CheckAuthorization'):
        reply = self.conn.call_sync('org.freedesktop.PolicyKit1', POLKIT_PATH, 'org.freedesktop.DBus.Mock',
                                    'GetCalls', None, None, Gio.DBusCallFlags.NONE, 5000, None)
        return [args for (_, m, args) in reply.unpack()[0] if m == method]

    def polkit_clear_calls(self):
        self.conn.call_sync('org.freedesktop.PolicyKit1', POLKIT_PATH, 'org.freedesktop.DBus.Mock',
                            'ClearCalls', None, None, Gio.DBusCallFlags.NONE, 5000, None)

    def polkit_signal(self, sig):
        os.kill(self.polkit.proc.pid, sig)


def iterate_until(pred, timeout=30):
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError('condition not met')
        ctx.iteration(False) or time.sleep(0.001)


@unittest.skipUnless(IS_ROOT, 'needs root: only root may own org.hotplugd.Hotplug1 under the bus policy, '
                     'and the mock polkitd must run as user polkitd')
class AuthTestCase(unittest.TestCase):
    polkit = 'allow'
    server_args = ()

    def setUp(self):
        self.env = Env(self.polkit, self.server_args).start()

    def tearDown(self):
        log = self.env.server_log()
        rc = self.env.stop()
        self.assertEqual(rc, 0, 'auth-test-server did not exit cleanly:\n' + log)
        self.assertNotIn('CRITICAL', log)

    def assertNotAuthorized(self, fn, *contains):
        with self.assertRaises(GLib.Error) as cm:
            fn()
        self.assertEqual(remote_error(cm.exception), NOT_AUTHORIZED, cm.exception.message)
        for c in contains:
            self.assertIn(c, cm.exception.message)
        return cm.exception

    def assertReadOnlyWorks(self):
        self.assertEqual(self.env.call(MANAGER, IFACE_MANAGER, 'GetUnit', GLib.Variant('(s)', ('test',))), (UNIT,))
        devices = self.env.call(MANAGER, IFACE_MANAGER, 'ListDevices', GLib.Variant('(s)', ('test',)))[0]
        self.assertEqual(devices[0][0], '0000:01:00.0')
        props = self.env.call(UNIT, 'org.freedesktop.DBus.Properties', 'GetAll', GLib.Variant('(s)', (IFACE_UNIT,)))[0]
        self.assertEqual(props['Id'], 'test')
        stats = self.env.stats()
        self.assertGreaterEqual(stats.get('GetUnit', 0), 1)
        self.assertGreaterEqual(stats.get('ListDevices', 0), 1)


class MockAllow(AuthTestCase):
    polkit = 'allow'

    def test_allowed_method_runs(self):
        job = self.env.add()
        self.assertTrue(job.startswith('/org/hotplugd/Hotplug1/job/'), job)
        self.assertEqual(self.env.stats().get('Add'), 1)

    def test_subject_details_and_interactive_flag(self):
        self.env.polkit_clear_calls()
        self.env.add()
        self.env.add(Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION)
        self.env.call(UNIT, IFACE_UNIT, 'Remove', GLib.Variant('(a{sv})', ({},)))
        calls = self.env.polkit_calls()
        self.assertEqual(len(calls), 3, calls)
        (kind, subject), action, details, flags, _cancel = calls[0]
        self.assertEqual(kind, 'system-bus-name')
        self.assertEqual(subject['name'], self.env.conn.get_unique_name())
        self.assertEqual(action, 'org.hotplugd.hotplug1.add')
        self.assertEqual(details, {'unit': 'test', 'kind': 'slot'})
        self.assertEqual(flags, 0)                  # not interactive unless the message says so
        self.assertEqual(calls[1][3], 1)            # ALLOW_USER_INTERACTION
        self.assertEqual(calls[2][1], 'org.hotplugd.hotplug1.remove')
        self.assertNotIn('polkit.message', calls[2][2])   # the server tried to set it
        self.assertEqual(calls[2][2], {'unit': 'test', 'kind': 'slot'})

    def test_read_only_methods_skip_polkit(self):
        self.env.polkit_clear_calls()
        self.assertReadOnlyWorks()
        self.assertEqual(self.env.polkit_calls(), [])

    def test_method_not_in_table_refused(self):
        self.assertNotAuthorized(lambda: self.env.call(TEST, IFACE_TEST, 'Frobnicate'),
                                 'org.hotplugd.Hotplug1.Test.Frobnicate is not in the authorization table')
        self.assertNotIn('Frobnicate', self.env.stats())

    def test_many_concurrent_checks(self):
        n = 100     # the bus allows 128 pending replies per connection
        self.env.add()      # the authority is there: the checks go to polkit at once
        results = []
        served_between = []
        for _ in range(n):
            self.env.call_async(UNIT, IFACE_UNIT, 'Add', GLib.Variant('(a{sv})', ({},)),
                                lambda r, e: results.append((r, e)))
        # another call gets its answer while the checks are outstanding
        self.env.call_async(TEST, IFACE_TEST, 'Stats', None,
                            lambda r, e: served_between.append((len(results), r, e)))
        iterate_until(lambda: len(results) == n and served_between)
        self.assertEqual([e for r, e in results if e], [])
        self.assertIsNone(served_between[0][2])
        self.assertLess(served_between[0][0], n, 'Stats was only answered after every check had ended')
        self.assertEqual(self.env.stats().get('Add'), n + 1)

    def test_main_loop_runs_while_polkit_stalls(self):
        self.env.add()      # the authority is there: the next check goes to polkit
        results = []
        self.env.polkit_signal(signal.SIGSTOP)
        try:
            self.env.call_async(UNIT, IFACE_UNIT, 'Add', GLib.Variant('(a{sv})', ({},)),
                                lambda r, e: results.append((r, e)))
            ticks0 = self.env.stats().get('ticks', 0)
            t0 = time.monotonic()
            iterate_until(lambda: time.monotonic() - t0 > 0.5, 5)
            stats = self.env.stats()                  # served while polkit says nothing
            self.assertEqual(results, [])
            self.assertEqual(stats.get('Add'), 1)
            self.assertGreaterEqual(stats['ticks'] - ticks0, 20)   # 10 ms timer over 0.5 s
            self.assertReadOnlyWorks()
        finally:
            self.env.polkit_signal(signal.SIGCONT)
        iterate_until(lambda: results, 20)
        self.assertIsNone(results[0][1])
        self.assertEqual(self.env.stats().get('Add'), 2)

    def test_caller_vanishes_mid_check(self):
        self.env.polkit_signal(signal.SIGSTOP)
        try:
            caller = subprocess.Popen(['gdbus', 'call', '--system', '--dest', NAME, '--object-path', UNIT,
                                       '--method', IFACE_UNIT + '.Add', '@a{sv} {}'],
                                      env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.env.bus.address),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            self.assertIsNone(caller.poll(), 'the call was answered with polkit stopped')
            caller.kill()
            caller.wait()
        finally:
            self.env.polkit_signal(signal.SIGCONT)
        # the check ends, its reply goes nowhere, the server carries on
        deadline = time.monotonic() + 10
        while self.env.stats().get('Add') != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.env.stats().get('Add'), 1)
        self.assertIsNone(self.env.server.poll())
        self.env.add()

    def test_polkit_goes_away_and_comes_back(self):
        self.env.add()
        self.env.polkit.stop()
        t0 = time.monotonic()
        self.assertNotAuthorized(self.env.add, 'polkit is not available', 'org.hotplugd.hotplug1.add')
        self.assertLess(time.monotonic() - t0, 5)
        self.env.polkit = ht.Polkit('allow', self.env.tmpdir)
        self.env.polkit.start()
        self.env.add()
        self.assertEqual(self.env.stats().get('Add'), 2)


class MockDeny(AuthTestCase):
    polkit = 'deny'

    def test_denied_method_does_not_run(self):
        for method, action in (('Add', 'add'), ('Remove', 'remove'), ('Replace', 'replace')):
            self.assertNotAuthorized(
                lambda: self.env.call(UNIT, IFACE_UNIT, method, GLib.Variant('(a{sv})', ({},))),
                'org.hotplugd.hotplug1.' + action)
        stats = self.env.stats()
        for method in ('Add', 'Remove', 'Replace'):
            self.assertNotIn(method, stats)
        log = self.env.server_log()
        self.assertIn('refused org.hotplugd.Hotplug1.Unit.Add to ', log)
        self.assertIn('(uid 0, pid ', log)

    def test_read_only_methods_work(self):
        self.assertReadOnlyWorks()


class NoPolkit(AuthTestCase):
    polkit = None

    def test_not_available(self):
        t0 = time.monotonic()
        self.assertNotAuthorized(self.env.add, 'polkit is not available', 'org.hotplugd.hotplug1.add')
        self.assertLess(time.monotonic() - t0, 5)
        self.assertNotIn('Add', self.env.stats())

    def test_read_only_methods_work(self):
        self.assertReadOnlyWorks()


class StalledPolkitTimeout(AuthTestCase):
    polkit = 'allow'
    server_args = ['--timeout-ms=300']

    def test_timeout(self):
        self.env.polkit_signal(signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            self.assertNotAuthorized(self.env.add, 'polkit did not answer within 300 ms',
                                     'org.hotplugd.hotplug1.add')
            self.assertLess(time.monotonic() - t0, 3)
        finally:
            self.env.polkit_signal(signal.SIGCONT)
        self.assertNotIn('Add', self.env.stats())
        self.env.add()      # a polkitd that answers again is used again


def real_polkit_missing():
    if not IS_ROOT:
        return 'needs root'
    if not os.access(REAL_POLKITD, os.X_OK):
        return f'{REAL_POLKITD} is not installed'
    if not HAVE_SETPRIV or shutil.which('unshare') is None:
        return 'needs setpriv and unshare'
    if not os.path.exists(ht.build_path('data', 'org.hotplugd.hotplug1.policy')):
        return 'the policy file was not built (data/org.hotplugd.hotplug1.policy)'
    return None


@unittest.skipIf(real_polkit_missing(), real_polkit_missing() or '')
class RealPolkit(AuthTestCase):
    polkit = 'real'

    def test_nobody_reads_but_cannot_change(self):
        r = self.env.call_as('nobody', 'nogroup', UNIT, 'org.freedesktop.DBus.Properties.Get', IFACE_UNIT, 'Id')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("'test'", r.stdout)
        r = self.env.call_as('nobody', 'nogroup', MANAGER, IFACE_MANAGER + '.GetUnit', 'test')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(UNIT, r.stdout)
        r = self.env.call_as('nobody', 'nogroup', MANAGER, IFACE_MANAGER + '.ListDevices', 'test')
        self.assertEqual(r.returncode, 0, r.stderr)
        for method, action in (('Add', 'add'), ('Remove', 'remove')):
            r = self.env.call_as('nobody', 'nogroup', UNIT, IFACE_UNIT + '.' + method, '@a{sv} {}')
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn(NOT_AUTHORIZED, r.stderr)
            self.assertIn('org.hotplugd.hotplug1.' + action, r.stderr)
        stats = self.env.stats()
        self.assertNotIn('Add', stats)
        self.assertNotIn('Remove', stats)
        self.assertIn('(uid 65534, pid ', self.env.server_log())

    def test_root_is_authorized(self):
        r = self.env.call_as(None, None, UNIT, IFACE_UNIT + '.Add', '@a{sv} {}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.env.add()
        self.assertEqual(self.env.stats().get('Add'), 2)


if __name__ == '__main__':
    unittest.main(verbosity=2)
    for test, reason in prog.result.skipped:
        print(f'# SKIP {test.id()}: {reason}')
    if not prog.result.wasSuccessful():
        sys.exit(1)
    # nothing ran at all: tell meson it was skipped, not passed
    sys.exit(77 if len(prog.result.skipped) == prog.result.testsRun else 0)
