#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The whole hand-over of PCI domain 0001 between two hosts, each with its
own daemon on its own bus (data/machines/host-a.machine and host-b.machine
on one fabric): host A prepares and reaches disconnected, the platform
hands the domain to host B, B connects and sees the devices, A is
inactive for it; and back."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hotplugtest as ht  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

PROPS = 'org.freedesktop.DBus.Properties'
DOMAIN_IFACE = 'org.hotplugd.Hotplug1.Domain'
DOM = '0001'
PATH = f'{ht.MANAGER_PATH}/domain/{DOM}'


class Host:
    """One host as the test drives it: its bus connection and hotplug-sim ctl."""

    def __init__(self, name, conn, sim_ctl):
        self.name, self.conn, self.sim_ctl = name, conn, sim_ctl

    def has_domain(self):
        try:
            ht.call(self.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'GetDomain', GLib.Variant('(s)', (DOM,)))
            return True
        except GLib.Error:
            return False

    def prop(self, name):
        return ht.call(self.conn, PATH, PROPS, 'Get', GLib.Variant('(ss)', (DOMAIN_IFACE, name)))[0]

    def state(self):
        return self.prop('ConnectionState') if self.has_domain() else None

    def run(self, method, **options):
        opts = {k: GLib.Variant('b' if isinstance(v, bool) else 'u', v) for k, v in options.items()}
        job = ht.call(self.conn, PATH, DOMAIN_IFACE, method, GLib.Variant('(a{sv})', (opts,)))[0]
        ht.wait_until(lambda: self.job_prop(job, 'EndTime') > 0, 60, f'{method} on {self.name}')
        return self.job_prop(job, 'State'), self.job_prop(job, 'Reason')

    def job_prop(self, job, name):
        return ht.call(self.conn, job, PROPS, 'Get', GLib.Variant('(ss)', (ht.JOB_IFACE, name)))[0]


class SwitchoverBetweenHosts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.environ.get('HOTPLUG_SIM_FABRIC'):
            raise unittest.SkipTest('runs under hotplug-sim --machine host-a --fabric DIR')
        cls.env = ht.Environment().__enter__()
        try:
            cls.peer = ht.PeerHost('host-b').start()
        except BaseException:
            cls.env.close()
            raise
        flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
        cls.a = Host('host-a', ht.bus_connect(), ht.sim_ctl)
        cls.b = Host('host-b', Gio.DBusConnection.new_for_address_sync(cls.peer.bus_address, flags, None, None),
                     cls.peer.sim_ctl)

    @classmethod
    def tearDownClass(cls):
        for h in (cls.a, cls.b):
            h.conn.close_sync(None)
        cls.peer.stop()
        cls.env.close()

    def hand_over(self, src, dst):
        self.assertEqual(src.state(), 'connected')
        devices = sorted(src.prop('PciDevices'))
        self.assertTrue(devices)
        # the devices are stopped on the owner, which may then let them go
        self.assertEqual(src.run('PrepareForSwitchover', timeout=60), ('succeeded', ''))
        self.assertEqual(src.state(), 'disconnected')
        self.assertEqual(list(src.prop('PciDevices')), [])
        src.sim_ctl('handover', DOM)
        self.assertEqual(src.sim_ctl('owner', DOM).stdout.strip(), dst.name)
        # the platform took the root bus from the old owner
        ht.wait_until(lambda: src.state() == 'inactive', 10, f'{src.name} inactive')
        # the new owner sees the domain, not yet its devices, and takes it
        ht.wait_until(lambda: dst.has_domain() and dst.prop('ConnectionState') in ('inactive', 'disconnected'),
                      10, f'domain {DOM} on {dst.name}')
        self.assertEqual(dst.run('Connect', timeout=60), ('succeeded', ''))
        self.assertEqual(dst.state(), 'connected')
        self.assertEqual(sorted(dst.prop('PciDevices')), devices)
        self.assertEqual(src.state(), 'inactive')
        # a switchover on the host that no longer owns it has nothing to do
        self.assertEqual(src.run('PrepareForSwitchover'), ('succeeded', 'not owned by this host (inactive)'))

    def test_hand_over_and_back(self):
        self.assertEqual(self.a.state(), 'connected')
        self.assertIn(self.b.state(), (None, 'inactive'))
        # B cannot take what the platform has not handed to it
        if self.b.has_domain():
            with self.assertRaises(GLib.Error) as e:
                self.b.run('Connect')
            self.assertEqual(ht.dbus_error_name(e.exception), 'org.hotplugd.Hotplug1.Error.NotPresent')
        self.hand_over(self.a, self.b)
        self.hand_over(self.b, self.a)


if __name__ == '__main__':
    unittest.main(verbosity=2)
