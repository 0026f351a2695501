#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Two hosts sharing PCI domain 0001 (data/machines/host-a.machine and
host-b.machine): this test runs on host A (`hotplug-sim --machine host-a
--fabric DIR`), starts host B on the same fabric (hotplugtest.PeerHost) and
hands the domain over and back: cooperatively once A has removed every
device of it, by force while B still holds them."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hotplugtest as ht  # noqa: E402

# deepest first
DOMAIN_DEVICES = ['0001:02:00.0', '0001:01:00.0', '0001:00:02.0', '0001:00:01.0']


def wait_for(pred, what, timeout=10):
    ht.wait_until(pred, timeout, what)


def a_shows_domain():
    return os.path.exists('/sys/devices/pci0001:00')


class Fabric(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.environ.get('HOTPLUG_SIM_FABRIC'):
            raise unittest.SkipTest('run me under hotplug-sim --machine host-a --fabric DIR')
        cls.env = ht.Environment().__enter__()
        try:
            cls.b = ht.PeerHost('host-b').start()
        except BaseException:
            cls.env.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()
        cls.env.close()

    def owners(self):
        return (ht.sim_ctl('owner', '0001').stdout.strip(), self.b.sim_ctl('owner', '0001').stdout.strip())

    def b_devices(self):
        return [d for d in self.b.listdir('/sys/bus/pci/devices') if d.startswith('0001:')]

    def test_1_cooperative_handover(self):
        b = self.b
        # each host has its own daemon on its own bus
        self.assertTrue(ht.name_has_owner(ht.BUS_NAME, b.bus_address))
        self.assertNotEqual(b.bus_address, os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
        self.assertEqual(self.owners(), ('host-a', 'host-a'))
        # only the owner shows the domain; both show their own domain 0000
        self.assertTrue(a_shows_domain())
        self.assertEqual(sorted(d for d in os.listdir('/sys/class/pci_bus') if d.startswith('0001:')),
                         ['0001:00', '0001:01', '0001:02'])
        self.assertTrue(os.path.exists('/sys/block/nvme1n1'))
        self.assertFalse(b.exists('/sys/devices/pci0001:00'))
        self.assertEqual(b.listdir('/sys/class/pci_bus'), ['0000:00', '0000:01'])
        self.assertEqual(self.b_devices(), [])
        self.assertEqual(b.listdir('/sys/bus/pci/slots'), [])
        self.assertTrue(b.exists('/sys/bus/pci/devices/0000:01:00.0/driver'))

        # refused while A still shows devices of it, from either side
        for run in (ht.sim_ctl, b.sim_ctl):
            r = run('handover', '0001', check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('handover refused: host-a still shows 4 PCI devices of domain 0001', r.stderr)
        self.assertEqual(self.owners(), ('host-a', 'host-a'))

        # A's software disconnection: every device removed, deepest first
        for bdf in DOMAIN_DEVICES:
            ht.write_sysfs(f'/sys/bus/pci/devices/{bdf}/remove', '1')
            wait_for(lambda: not os.path.exists(f'/sys/bus/pci/devices/{bdf}'), f'{bdf} removed')
        self.assertTrue(a_shows_domain())
        self.assertEqual(ht.sim_ctl('handover', '0001').stdout, 'domain 0001: host-a -> host-b\n')
        self.assertEqual(self.owners(), ('host-b', 'host-b'))
        self.assertFalse(a_shows_domain())
        self.assertEqual([d for d in os.listdir('/sys/class/pci_bus') if d.startswith('0001:')], [])

        # B gets the host bridge and root bus, the devices on a rescan
        wait_for(lambda: b.exists('/sys/class/pci_bus/0001:00'), 'the root bus on host B')
        self.assertTrue(b.exists('/sys/devices/pci0001:00'))
        self.assertEqual(self.b_devices(), [])
        b.write('/sys/bus/pci/rescan', '1')
        wait_for(lambda: len(self.b_devices()) == 4, 'the devices on host B')
        self.assertTrue(b.run('readlink', '/sys/bus/pci/devices/0001:01:00.0/driver').strip().endswith('/nvme'))
        self.assertTrue(b.exists('/sys/block/nvme1n1/nvme1n1p2'))
        self.assertTrue(b.exists('/sys/class/net/ens2'))
        self.assertEqual(b.listdir('/sys/bus/pci/slots'), ['1', '2'])
        self.assertFalse(os.path.exists('/sys/bus/pci/devices/0001:01:00.0'))
        self.assertIn('domain 0001 shared owner=host-b shown pci=4', b.sim_ctl('status').stdout)
        self.assertIn('domain 0001 shared owner=host-b hidden pci=0', ht.sim_ctl('status').stdout)

    def test_2_forced_handover(self):
        b = self.b
        self.assertEqual(self.owners(), ('host-b', 'host-b'))
        r = ht.sim_ctl('handover', '0001', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('host-b still shows 4 PCI devices', r.stderr)
        self.assertEqual(len(self.b_devices()), 4)

        # A takes it by force: B's devices vanish, then its root bus
        self.assertIn('(forced)', ht.sim_ctl('handover', '0001', '--force').stdout)
        self.assertEqual(self.owners(), ('host-a', 'host-a'))
        wait_for(lambda: not b.exists('/sys/devices/pci0001:00'), 'the domain gone from host B')
        self.assertEqual(self.b_devices(), [])
        self.assertFalse(b.exists('/sys/block/nvme1n1'))
        self.assertEqual(b.listdir('/sys/class/pci_bus'), ['0000:00', '0000:01'])
        self.assertTrue(a_shows_domain())
        self.assertFalse(os.path.exists('/sys/bus/pci/devices/0001:00:01.0'))
        # the root bus's own rescan finds the devices on A
        ht.write_sysfs('/sys/class/pci_bus/0001:00/rescan', '1')
        wait_for(lambda: os.path.exists('/sys/bus/pci/devices/0001:01:00.0/driver'), 'the drive bound on host A')
        self.assertTrue(os.path.exists('/sys/class/net/ens2'))

        # nothing to give to a host that owns it; no such domain
        r = ht.sim_ctl('handover', '0001', '--to', 'host-a', check=False)
        self.assertIn('host-a already owns domain 0001', r.stderr)
        r = ht.sim_ctl('handover', '0000', check=False)
        self.assertIn('0000 is no shared PCI domain', r.stderr)


if __name__ == '__main__':
    ht.run_tests()
