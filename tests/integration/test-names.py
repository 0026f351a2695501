#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Text from outside on the bus (tests/integration/names.machine, unless
HOTPLUG_MACHINE names another): slots named with a space and with letters
outside ASCII are units under one id rule, published and looked up alike
(GetUnit, Add, Remove, ListDevices, hotplugctl show, add, remove, slots
--tree); a veto reason that is not UTF-8 or longer than a line survives,
made valid and cut between characters; long non-ASCII ids are refused
without a critical.  The daemon runs under G_DEBUG=fatal-criticals (the
test environment): it must keep its PID.  Shares operations.py's
fixtures."""
import json
import os
import subprocess
import sys

from gi.repository import GLib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hotplugtest as ht  # noqa: E402

os.environ.setdefault('HOTPLUG_MACHINE', os.path.join(HERE, 'names.machine'))
import operations  # noqa: E402

SLOTS = {'slot-Slot 1': '0000:01:00.0', 'slot-Steckplatz ß-2': '0000:02:00.0'}
ELLIPSIS = '\u2026'


class Names(operations.Ops):
    def assert_daemon_clean(self, pid):
        self.assertEqual(self.env.daemon.proc.poll(), None, 'hotplugd died' + self.env.daemon.read_log())
        self.assertEqual(self.env.daemon.proc.pid, pid)
        log = self.env.daemon.read_log()
        for bad in ('critical', 'runtime error', 'AddressSanitizer'):
            self.assertNotIn(bad, log.lower() if bad == 'critical' else log)

    def test_slot_names_one_id_rule(self):
        self.start()
        pid = self.env.daemon.proc.pid
        units = {ifaces[ht.UNIT_IFACE]['Id'] for ifaces in ht.managed_objects(self.conn).values()
                 if ht.UNIT_IFACE in ifaces}
        self.assertTrue(set(SLOTS) <= units, units)
        tree = ht.ctl('slots', '--tree', check=True).stdout
        for uid, bdf in SLOTS.items():
            path = ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'GetUnit', GLib.Variant('(s)', (uid,)))[0]
            self.assertEqual(path, ht.unit_path(uid))
            self.assertEqual(self.prop(uid, 'Id'), uid)
            self.assertEqual(self.prop(uid, 'SysfsPath'), '/sys/bus/pci/slots/' + uid[len('slot-'):])
            devices = ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'ListDevices',
                              GLib.Variant('(s)', (uid,)))[0]
            self.assertEqual([d[0] for d in devices], [bdf])
            self.assertIn(uid, tree)
            self.assertIn(bdf, tree)
            self.assertIn(uid, ht.ctl('show', uid, check=True).stdout)
            # over the bus, then with hotplugctl
            self.assertEqual(self.run_op(uid, 'remove')[0], 'succeeded')
            self.assertEqual(self.prop(uid, 'State'), 'offline')
            self.assertEqual(self.run_op(uid, 'add')[0], 'succeeded')
            self.assertEqual(self.prop(uid, 'State'), 'online')
            ht.ctl('remove', uid, check=True)
            self.assertEqual(self.prop(uid, 'State'), 'offline')
            ht.ctl('add', uid, check=True)
            self.assertEqual(self.prop(uid, 'State'), 'online')
        slots = {s['Id'] for s in json.loads(ht.ctl('slots', '--json', check=True).stdout)}
        self.assertTrue(set(SLOTS) <= slots, slots)
        self.assert_daemon_clean(pid)

    def test_ids_refused_without_critical(self):
        self.start()
        pid = self.env.daemon.proc.pid
        for shift in range(4):
            uid = 'abc'[:shift] + ('€' if shift % 2 else '😀') * 100
            for method in ('GetUnit', 'GetDomain', 'ListDevices'):
                with self.assertRaises(GLib.Error) as cm:
                    ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, method, GLib.Variant('(s)', (uid,)))
                self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.InvalidArgument')
        with self.assertRaises(GLib.Error) as cm:
            ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'GetUnit', GLib.Variant('(s)', ('slot-Slot 9',)))
        self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.NoSuchUnit')
        # hotplugctl: an argument that is not UTF-8
        r = subprocess.run([ht.ctl_exe().encode(), b'add', b'slot-\xff'], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertNotIn(b'CRITICAL', r.stderr)
        self.assertIn(b'is not valid', r.stderr)
        self.assert_daemon_clean(pid)

    def test_reload_of_a_config_that_is_not_utf8(self):
        conf = os.path.join(self.hooks_root, 'hotplugd.conf')
        with open(conf, 'w') as f:
            f.write('[hooks]\ntimeout=30\n')
        self.daemon_args = ['--config', conf]
        self.start()
        pid = self.env.daemon.proc.pid
        # what is wrong is quoted in the message: a line, a value, a group
        for text in (b'[hooks]\ntimeout=30\nnot a key \xff\xc3 value\n', b'[hooks]\ntimeout=\xff\xc3\n',
                     b'[ho\xffoks]\ntimeout=30\n'):
            with open(conf, 'wb') as f:
                f.write(text)
            with self.assertRaises(GLib.Error) as cm:
                ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'Reload', None)
            self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.Failed')
            self.assertIn('the old configuration stays', cm.exception.message)
            self.assertIn('\ufffd', cm.exception.message)
        self.assert_daemon_clean(pid)

    def test_veto_reasons_survive(self):
        uid = 'slot-Slot 1'
        hook = self.hook('slot', 'pre-remove', '10-veto', extra="printf 'reason=disk \\377 busy \\303\\n'; exit 1")
        self.start()
        pid = self.env.daemon.proc.pid
        state, reason = self.run_op(uid, 'remove')
        self.assertEqual((state, reason), ('vetoed', 'disk \ufffd busy \ufffd'))
        self.assertEqual(self.prop(uid, 'LastJobReason'), reason)
        r = ht.ctl('remove', uid)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn('disk \ufffd busy', r.stdout + r.stderr)
        # longer than a line: cut between characters, and said so
        with open(hook, 'w') as f:
            f.write('#!/bin/sh\nprintf reason=; i=0; while [ $i -lt 3000 ]; do printf \'\\303\\251\'; '
                    'i=$((i+1)); done; echo; exit 1\n')
        state, reason = self.run_op(uid, 'remove')
        self.assertEqual(state, 'vetoed')
        self.assertTrue(reason.endswith('é' + ELLIPSIS), reason[-10:])
        self.assertEqual(set(reason[:-1]), {'é'})
        self.assertLessEqual(len(reason.encode()), 4096)
        self.assertEqual(self.prop(uid, 'State'), 'online')
        self.assert_daemon_clean(pid)


if __name__ == '__main__':
    ht.run_tests()
