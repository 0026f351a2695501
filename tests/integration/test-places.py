#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A slot the platform lists but cannot power (tests/integration/places.machine,
unless HOTPLUG_MACHINE names another): a location, not a hotplug slot.  The
bus says so (Hotpluggable, HotpluggableReason) and Add and Remove answer
NotSupported with that reason, without a job.  Shares operations.py's
fixtures."""
import os
import sys

from gi.repository import GLib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hotplugtest as ht  # noqa: E402

# the machine the simulator runs (tests/integration/meson.build gives it)
os.environ.setdefault('HOTPLUG_MACHINE', os.path.join(HERE, 'places.machine'))
import operations  # noqa: E402


class SlotWithoutPower(operations.Ops):
    def test_a_location_is_not_a_hotplug_slot(self):
        self.standard_hooks('slot', 'remove')
        self.standard_hooks('slot', 'add')
        self.start()
        self.assertFalse(os.path.exists('/sys/bus/pci/slots/2/power'))
        self.assertEqual(self.prop('slot-2', 'Hotpluggable'), False)
        reason = self.prop('slot-2', 'HotpluggableReason')
        self.assertIn('cannot power it', reason)
        # its card is there all the same, and listed
        self.assertEqual(self.prop('slot-2', 'State'), 'online')
        self.assertEqual(self.prop('slot-2', 'PciDevices'), ['0000:02:00.0'])
        # the hotplug slot next to it is one
        self.assertEqual((self.prop('slot-1', 'Hotpluggable'), self.prop('slot-1', 'HotpluggableReason')),
                         (True, ''))
        self.assertIn('Hotpluggable:', ht.ctl('show', 'slot-2', check=True).stdout)
        self.assertIn(f'no: {reason}', ht.ctl('show', 'slot-2', check=True).stdout)
        for op in ('add', 'remove'):
            with self.assertRaises(GLib.Error) as cm:
                self.request('slot-2', op)
            self.assertEqual(ht.dbus_error_name(cm.exception), 'org.hotplugd.Hotplug1.Error.NotSupported', op)
            self.assertIn(reason, cm.exception.message)
            r = ht.ctl(op, 'slot-2')
            self.assertEqual(r.returncode, 1, op)
            self.assertIn('it is a location, not a hotplug slot', r.stderr)
        self.assertEqual([p for p, ifaces in ht.managed_objects(self.conn).items() if ht.JOB_IFACE in ifaces], [])
        self.assertEqual(self.hook_log(), [])
        self.assertEqual(self.prop('slot-2', 'State'), 'online')
        # the simulated platform cannot pull its card either
        self.assertNotEqual(ht.sim_ctl('pull', 'slot-2', check=False).returncode, 0)


if __name__ == '__main__':
    ht.run_tests()
