#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hotplugd on the simulated 'large' server (16 boards, 1,024 CPUs, 16,384
memory blocks): it owns its name in reasonable time with the whole machine
in its units.  Runs under hotplug-sim --machine large."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402

MACHINE = ht.Machine(os.environ.get('HOTPLUG_MACHINE', 'large'))


class Large(unittest.TestCase):
    def test_starts_with_every_cpu_and_block(self):
        if not ht.in_simulator():
            self.skipTest('runs under hotplug-sim')
        env = ht.Environment(start_daemon=False)
        env.__enter__()
        self.addCleanup(env.close)
        env.daemon = ht.Daemon(log_path=os.path.join(env.tmpdir, 'hotplugd.log'))
        t0 = time.monotonic()
        env.daemon.start(timeout=60)
        took = time.monotonic() - t0
        print(f'hotplugd owned its name after {took:.2f} s', file=sys.stderr)
        self.assertLess(took, 30)
        conn = ht.bus_connect()
        self.addCleanup(conn.close_sync, None)
        t1 = time.monotonic()
        objs = ht.managed_objects(conn)
        print(f'GetManagedObjects: {len(objs)} objects in {(time.monotonic() - t1) * 1000:.0f} ms', file=sys.stderr)
        units = {v[ht.UNIT_IFACE]['Id']: v[ht.UNIT_IFACE] for v in objs.values() if ht.UNIT_IFACE in v}
        cpus = sorted(c for u in units.values() for c in ht.parse_list(u['Cpus']))
        blocks = sum(u['MemoryBlocks'] for u in units.values())
        online = sum(u['MemoryBlocksOnline'] for u in units.values())
        want_cpus = sorted(c for u in MACHINE.units.values() for c in ht.parse_list(u['Cpus']))
        want_blocks = sum(u['MemoryBlocks'] for u in MACHINE.units.values())
        self.assertEqual(len(want_cpus), 1024)
        self.assertEqual(want_blocks, 16384)
        self.assertEqual(cpus, want_cpus)
        self.assertEqual((blocks, online), (want_blocks, want_blocks))
        for uid, want in MACHINE.units.items():
            for k in ('Kind', 'State', 'Cpus', 'CpusOnline', 'MemoryBlocks', 'MemoryRanges', 'PciDevices'):
                if k in want:
                    self.assertEqual(units[uid][k], want[k], f'{uid}.{k}')
            # order unspecified (the daemon sorts bytewise: slot-10 before slot-9)
            self.assertEqual(sorted(units[uid]['Slots']), sorted(want['Slots']), f'{uid}.Slots')
        self.assertIsNone(env.daemon.proc.poll())


if __name__ == '__main__':
    unittest.main(verbosity=2)
