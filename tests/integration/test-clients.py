#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""100 bus clients of hotplugd on the simulated 'large' server, each on a
connection of its own, following the daemon's signals and reading
properties again and again while another client removes a system board
(as a job, eject=false) and adds it back: both jobs succeed, every client's
view (its initial GetManagedObjects plus the signals it followed) ends
equal to the daemon's, every client saw every step of both jobs in order,
no read failed, and the daemon is the same process and answers.  Runs under
hotplug-sim --machine large (a single main loop holds the clients,
tests/integration/clientfleet.py)."""
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402
import clientfleet as cf  # noqa: E402

from gi.repository import GLib  # noqa: E402

CLIENTS = int(os.environ.get('HOTPLUG_CLIENTS', '100'))
BOARD = 'sb1'
FAST_INTERVAL_MS = 100      # HOTPLUG_EMIT_INTERVAL_MS (src/daemon/hotplug-emit-throttle.h)


class Clients(unittest.TestCase):
    def setUp(self):
        if not ht.in_simulator():
            self.skipTest('runs under hotplug-sim --machine large')
        self.hooks = tempfile.mkdtemp()     # an empty admin hook root: no hooks
        self.addCleanup(os.rmdir, self.hooks)
        conf = tempfile.NamedTemporaryFile('w', suffix='.conf', delete=False)
        # the jobs stay on the bus until the end: their final state is part of
        # what every client must have
        conf.write('[daemon]\nauto-add=false\njob-linger=600\n')
        conf.close()
        self.addCleanup(os.unlink, conf.name)
        self.env = ht.Environment(polkit='allow', daemon_args=['--config', conf.name],
                                  daemon_env={'HOTPLUG_HOOKS_DIR': self.hooks})
        self.env.__enter__()
        self.addCleanup(self.env.close)

    def check_job(self, client, job, props):
        """The job's signals as one client saw them: StepStarted and
        StepFinished for each step, indexes 0.. in order, each step ending
        before the next begins, all ok; its final state in the view."""
        sigs = client.jobs.get(job, [])
        started = [i for m, i, _ in sigs if m == 'StepStarted']
        finished = [(i, ok) for m, i, ok in sigs if m == 'StepFinished']
        where = f'client {client.index}, job {job}'
        self.assertEqual(started, list(range(len(started))), where)
        self.assertGreater(len(started), 64, where)  # the board's CPUs at least
        self.assertEqual(finished, [(i, True) for i in started], where)
        order = [(m, i) for m, i, _ in sigs if m in ('StepStarted', 'StepFinished')]
        self.assertEqual(order, [e for i in started for e in (('StepStarted', i), ('StepFinished', i))], where)
        self.assertEqual(client.view[job][ht.JOB_IFACE]['State'], 'succeeded', where)

    def test_remove_and_add_under_100_clients(self):
        pid = self.env.daemon.proc.pid
        board = ht.unit_path(BOARD)
        fleet = cf.Fleet(CLIENTS, board)
        self.addCleanup(fleet.close)
        op = cf.Operator(fleet, board)
        self.addCleanup(op.close)
        fleet.read_initial()
        for c in fleet.clients:
            self.assertEqual(c.view[board][ht.UNIT_IFACE]['State'], 'online')
        fleet.start_reading()
        (rjob, rprops, t0, _), (ajob, aprops, _, t1) = op.run_jobs([('Remove', {'eject': GLib.Variant('b', False)}),
                                                                    ('Add', {})])
        fleet.stop_reading()
        for job, props in ((rjob, rprops), (ajob, aprops)):
            self.assertEqual((props['State'], props['Reason'], props['Progress']), ('succeeded', '', 100), job)

        # every client has both jobs' final state, then nothing more comes
        def all_ended():
            return all(c.view.get(j, {}).get(ht.JOB_IFACE, {}).get('State') == 'succeeded'
                       for c in fleet.clients for j in (rjob, ajob))
        self.assertTrue(fleet.settle(all_ended, timeout=60), 'a client never saw a job end')
        skip = cf.unsignalled_properties()
        final = cf.comparable(op.managed_objects(), skip)
        fb = final[board][ht.UNIT_IFACE]
        # the board is back whole: every CPU and memory block online
        self.assertEqual((fb['State'], fb['CpusOnline'], fb['MemoryBlocksOnline']),
                         ('online', fb['Cpus'], fb['MemoryBlocks']))
        self.assertEqual(fb['MemoryBlocks'], 1024)
        lat = fleet.latencies(t0, t1)
        print(f'{CLIENTS} clients, {fleet.signals} signals delivered; jobs {(t1 - t0):.2f} s; '
              f'{len(lat)} reads during them, p50 {cf.percentile(lat, 50) * 1000:.1f} ms, '
              f'p99 {cf.percentile(lat, 99) * 1000:.1f} ms', file=sys.stderr)
        # the board's counts change with every CPU and block: signalled ten
        # times a second at most, plus once with each other change (State,
        # Phase, Job: a few per job)
        busy = sum(p['EndTime'] - p['StartTime'] for p in (rprops, aprops)) / 1e6
        most = int(busy * 1000 / FAST_INTERVAL_MS) + 2 * 10
        for c in fleet.clients:
            self.assertLessEqual(c.fast_changes, most, f'client {c.index}: CpusOnline/MemoryBlocksOnline signalled '
                                 f'{c.fast_changes} times in {busy:.2f} s of jobs')
            self.assertEqual(c.errors, [], f'client {c.index}')
            self.assertEqual(c.anomalies, [], f'client {c.index}')
            self.assertGreater(len(c.latencies), 0, f'client {c.index} read nothing')
            self.assertEqual(c.board_states, ['online', 'removing', 'offline', 'adding', 'online'],
                             f'client {c.index}')
            self.check_job(c, rjob, rprops)
            self.check_job(c, ajob, aprops)
            view = cf.comparable(c.view, skip)
            if view != final:
                diff = {p: (view.get(p), final.get(p)) for p in set(view) | set(final) if view.get(p) != final.get(p)}
                self.fail(f'client {c.index}: view differs from the daemon\'s: {str(diff)[:2000]}')

        # the same daemon, answering
        self.assertIsNone(self.env.daemon.proc.poll())
        self.assertEqual(self.env.daemon.proc.pid, pid)
        t = time.monotonic()
        self.assertTrue(ht.call(op.conn, ht.MANAGER_PATH, ht.MANAGER_IFACE, 'GetUnit', GLib.Variant('(s)', (BOARD,))))
        self.assertLess(time.monotonic() - t, 5)


if __name__ == '__main__':
    ht.run_tests()
