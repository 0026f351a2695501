#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The success path of a memory unit: remove then add the base memory of a
machine where all of it is removable (tests/integration/removable-memory.machine,
unless HOTPLUG_MACHINE names another), with the hook order and the blocks checked in
sysfs.  Shares operations.py's fixtures."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

# the machine the simulator runs (tests/integration/meson.build gives it)
os.environ.setdefault('HOTPLUG_MACHINE', os.path.join(HERE, 'removable-memory.machine'))
import operations  # noqa: E402

MEM = operations.MEM


class RemovableMemory(operations.Ops):
    def memory_unit(self):
        mems = [ifaces[ht.UNIT_IFACE]['Id'] for ifaces in ht.managed_objects(self.conn).values()
                if ht.UNIT_IFACE in ifaces and ifaces[ht.UNIT_IFACE]['Kind'] == 'memory']
        self.assertEqual(len(mems), 1, mems)
        return mems[0]

    def restore_blocks(self, blocks):
        for b in blocks:
            if ht.read_sysfs(MEM.format(b)) != 'online':
                ht.write_sysfs(MEM.format(b), 'online_movable')

    def test_remove_then_add(self):
        machine = operations.MACHINE
        nblocks = machine.base_memory['MemoryBlocks']
        blocks = ht.parse_list(machine.base_memory['MemoryRanges'])
        self.assertEqual(len(blocks), nblocks)
        self.assertGreater(nblocks, 1, 'run under a machine with removable base memory')
        self.standard_hooks('memory', 'remove')
        self.standard_hooks('memory', 'add')
        self.start()
        self.addCleanup(self.restore_blocks, blocks)
        mem = self.memory_unit()
        self.assertEqual((self.prop(mem, 'State'), self.prop(mem, 'MemoryBlocksOnline')), ('online', nblocks))

        # all of it is the last online memory of the (simulated) system:
        # busy, refused before any hook or block is touched, unless forced
        with self.assertRaises(GLib.Error) as busy:
            self.request(mem, 'remove')
        self.assertEqual(ht.dbus_error_name(busy.exception), 'org.hotplugd.Hotplug1.Error.Busy')
        self.assertIn('the last online memory of the system', busy.exception.message)
        self.assertEqual(self.hook_log(), [])
        self.assertEqual(self.prop(mem, 'MemoryBlocksOnline'), nblocks)
        self.assertIn('the last online memory of the system', [b[2] for b in self.prop(mem, 'Blockers')])

        self.assertEqual(self.run_op(mem, 'remove', force=True), ('succeeded', ''))
        self.assertEqual(self.hook_log(), [['pre-remove', mem, '10-any'], ['pre-remove', mem, '20-memory'],
                                           ['post-remove', mem, '10-any'], ['post-remove', mem, '20-memory']])
        for line in self.hook_lines():
            self.assertIn(' op=remove kind=memory ', line)
        for b in blocks:
            self.assertEqual(ht.read_sysfs(MEM.format(b)), 'offline', b)
        self.assertEqual((self.prop(mem, 'State'), self.prop(mem, 'MemoryBlocksOnline')), ('offline', 0))
        self.assertEqual(self.prop(mem, 'LastJobOperation'), 'remove')

        self.clear_log()
        self.assertEqual(self.run_op(mem, 'add'), ('succeeded', ''))
        self.assertEqual(self.hook_log(), [['pre-add', mem, '10-any'], ['pre-add', mem, '20-memory'],
                                           ['post-add', mem, '10-any'], ['post-add', mem, '20-memory']])
        for line in self.hook_lines():
            self.assertIn(' op=add kind=memory ', line)
        for b in blocks:
            self.assertEqual(ht.read_sysfs(MEM.format(b)), 'online', b)
        self.assertEqual((self.prop(mem, 'State'), self.prop(mem, 'MemoryBlocksOnline')), ('online', nblocks))
        self.assertEqual(self.prop(mem, 'MemoryBytes'), machine.base_memory['MemoryBytes'])


if __name__ == '__main__':
    ht.run_tests()
