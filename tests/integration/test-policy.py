#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The bus policy and polkit with the REAL polkitd: an unprivileged caller
(nobody) reads everything hotplugd publishes and cannot own its name.
Runs under hotplug-sim --machine default."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402

NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']


def as_nobody(*cmd):
    return subprocess.run(NOBODY + list(cmd), capture_output=True, text=True, timeout=30)


def gdbus(*args, dest=ht.BUS_NAME, path=ht.MANAGER_PATH):
    return as_nobody('gdbus', 'call', '--system', '--dest', dest, '--object-path', path, '--method', *args)


class Policy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not ht.in_simulator():
            raise unittest.SkipTest('runs under hotplug-sim')
        if not os.path.exists('/usr/lib/polkit-1/polkitd'):
            raise unittest.SkipTest('polkitd is not installed')

    def setUp(self):
        self.env = ht.Environment(polkit='real')
        self.env.__enter__()
        self.addCleanup(self.env.close)

    def test_nobody_can_read(self):
        r = as_nobody('id', '-u')
        self.assertNotEqual(r.stdout.strip(), '0')
        r = gdbus('org.freedesktop.DBus.ObjectManager.GetManagedObjects')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("'sb0'", r.stdout)
        self.assertIn('/org/hotplugd/Hotplug1/domain/0000', r.stdout)
        r = gdbus('org.freedesktop.DBus.Properties.Get', ht.UNIT_IFACE, 'CpusOnline', path=ht.unit_path('sb1'))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('20-35', r.stdout)
        r = gdbus('org.freedesktop.DBus.Properties.GetAll', ht.MANAGER_IFACE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("'Simulated': <true>", r.stdout)
        r = gdbus(f'{ht.MANAGER_IFACE}.GetUnit', 'slot-3')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(ht.unit_path('slot-3'), r.stdout)
        r = gdbus(f'{ht.MANAGER_IFACE}.ListDevices', 'slot-3')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('0000:83:00.0', r.stdout)
        r = gdbus(f'{ht.MANAGER_IFACE}.GetUnit', 'nope')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('org.hotplugd.Hotplug1.Error.NoSuchUnit', r.stderr)
        r = as_nobody(ht.ctl_exe(), 'status')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r'(?m)^sb0\s+sb\s+online')
        r = as_nobody(ht.ctl_exe(), '--json', 'show', 'slot-3')
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_nobody_cannot_own_the_name(self):
        r = gdbus('org.freedesktop.DBus.RequestName', ht.BUS_NAME, '4',
                  dest='org.freedesktop.DBus', path='/org/freedesktop/DBus')
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('AccessDenied', r.stderr)
        # and with the daemon gone, still not
        self.env.daemon.stop()
        r = gdbus('org.freedesktop.DBus.RequestName', ht.BUS_NAME, '4',
                  dest='org.freedesktop.DBus', path='/org/freedesktop/DBus')
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('AccessDenied', r.stderr)
        # root may (the daemon runs as root)
        r = subprocess.run(['gdbus', 'call', '--system', '--dest', 'org.freedesktop.DBus', '--object-path',
                            '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.RequestName', ht.BUS_NAME, '4'],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('uint32 1', r.stdout)

    def test_replace_hands_the_name_over_quietly(self):
        new = subprocess.Popen([ht.daemon_exe(), '--replace'], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        try:
            self.env.daemon.proc.wait(timeout=30)
            self.assertEqual(self.env.daemon.proc.returncode, 1)
            log = self.env.daemon.read_log()
            self.assertIn('lost the bus name', log)
            # the old instance releases nothing it no longer owns
            self.assertNotIn('Unexpected reply', log)
            self.assertTrue(ht.name_has_owner(ht.BUS_NAME))
        finally:
            new.terminate()
            out = new.communicate(timeout=30)[0]
        self.assertIn('owns org.hotplugd.Hotplug1', out)
        self.assertNotIn('Unexpected reply', out)


if __name__ == '__main__':
    unittest.main(verbosity=2)
