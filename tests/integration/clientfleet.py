# SPDX-License-Identifier: GPL-2.0-or-later
"""Many independent bus clients of hotplugd in one process, on one GLib main
loop: each has its own connection to the (private) system bus, follows every
signal the daemon sends (PropertiesChanged, InterfacesAdded/Removed, the
jobs' StepStarted/StepFinished/HookFinished) on top of one initial
GetManagedObjects, and reads properties again and again (Get and GetAll on
a unit, GetManagedObjects) while an operator connection removes a unit and
adds it back as jobs.  Used by tests/integration/test-clients.py and
bench/bench-clients.py.  Runs under /usr/bin/python3 (gi)."""

import os
import select
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

from gi.repository import Gio, GLib

import hotplugtest as ht

OM_IFACE = 'org.freedesktop.DBus.ObjectManager'
PROPS_IFACE = 'org.freedesktop.DBus.Properties'
TERMINAL = ('succeeded', 'failed', 'vetoed', 'cancelled', 'timeout')


def unsignalled_properties():
    """(interface, property) pairs the API says are never signalled: a
    client's view of them is the initial read, not the daemon's now."""
    tree = ET.parse(os.path.join(ht.SRC, 'data', 'dbus', 'org.hotplugd.Hotplug1.xml'))
    out = set()
    for iface in tree.getroot().iter('interface'):
        for prop in iface.iter('property'):
            for ann in prop.iter('annotation'):
                if ann.get('name') == 'org.freedesktop.DBus.Property.EmitsChangedSignal' and ann.get('value') != 'true':
                    out.add((iface.get('name'), prop.get('name')))
    return out


def comparable(objects, skip):
    """GetManagedObjects' answer (or a view built like it) without the
    properties that are never signalled."""
    return {path: {iface: {k: v for k, v in props.items() if (iface, k) not in skip}
                   for iface, props in ifaces.items()}
            for path, ifaces in objects.items()}


def percentile(values, p):
    if not values:
        return float('nan')
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


class Client:
    """One bus client: its view of the daemon's objects, the job signals it
    saw, its read latencies and the error replies it got."""

    def __init__(self, fleet, index):
        self.fleet = fleet
        self.index = index
        self.conn = ht.bus_connect()
        self.view = None            # path -> interface -> properties
        self.jobs = {}              # job path -> [(member, step index, ok or other args)], in order
        self.board_states = []      # the watched unit's State, in the order signalled
        self.fast_changes = 0       # its PropertiesChanged with CpusOnline or MemoryBlocksOnline
        self.errors = []            # (what, D-Bus error name or message)
        self.anomalies = []         # signals that do not fit the view
        self.latencies = []         # (start monotonic, seconds, what)
        self.reads = 0
        self.busy = False
        self.sub = self.conn.signal_subscribe(ht.BUS_NAME, None, None, None, None,
                                              Gio.DBusSignalFlags.NONE, self._on_signal)

    # --- the initial read and the signals on top of it -------------------

    def read_initial(self):
        self.conn.call(ht.BUS_NAME, ht.MANAGER_PATH, OM_IFACE, 'GetManagedObjects', None, None,
                       Gio.DBusCallFlags.NONE, 60000, None, self._on_initial)

    def _on_initial(self, conn, res):
        try:
            self.view = conn.call_finish(res).unpack()[0]
        except GLib.Error as e:
            self.errors.append(('initial GetManagedObjects', ht.dbus_error_name(e) or e.message))
            self.view = {}
        props = self.view.get(self.fleet.board_path, {}).get(ht.UNIT_IFACE, {})
        self.board_states.append(props.get('State'))

    def _on_signal(self, conn, sender, path, iface, member, params):
        self.fleet.last_signal = time.monotonic()
        self.fleet.signals += 1
        if self.view is None:
            return      # older than the initial read, whose answer follows
        if iface == ht.JOB_IFACE:
            # thousands per job for each client: what the checks need, without
            # unpacking the whole message in Python (a third of the time)
            if member == 'StepStarted':
                self.jobs.setdefault(path, []).append((member, params.get_child_value(1).get_uint32(), None))
            elif member == 'StepFinished':
                self.jobs.setdefault(path, []).append((member, params.get_child_value(0).get_uint32(),
                                                       params.get_child_value(1).get_boolean()))
            else:
                self.jobs.setdefault(path, []).append((member, None, params.unpack()))
            return
        args = params.unpack()
        if member == 'PropertiesChanged' and iface == PROPS_IFACE:
            self._properties_changed(path, *args)
        elif member == 'InterfacesAdded' and iface == OM_IFACE:
            self.view.setdefault(args[0], {}).update(args[1])
        elif member == 'InterfacesRemoved' and iface == OM_IFACE:
            obj = self.view.get(args[0])
            if obj is None or any(i not in obj for i in args[1]):
                self.anomalies.append(f'InterfacesRemoved of {args[0]} {args[1]} not in the view')
                return
            for i in args[1]:
                del obj[i]
            if not obj:
                del self.view[args[0]]

    def _properties_changed(self, path, iface, changed, invalidated):
        props = self.view.get(path, {}).get(iface)
        if props is None:
            self.anomalies.append(f'PropertiesChanged of {path} {iface} before its InterfacesAdded')
            return
        if invalidated:
            self.anomalies.append(f'PropertiesChanged of {path} invalidated {invalidated} (no values)')
        props.update(changed)
        if path != self.fleet.board_path:
            return
        if 'State' in changed and changed['State'] != self.board_states[-1]:
            self.board_states.append(changed['State'])
        if 'CpusOnline' in changed or 'MemoryBlocksOnline' in changed:
            self.fast_changes += 1

    # --- reading, again and again ----------------------------------------

    READS = (('Get', PROPS_IFACE, 'Get'), ('GetAll', PROPS_IFACE, 'GetAll'), ('GetManagedObjects', OM_IFACE, 'GetManagedObjects'))

    def read_next(self):
        if not self.fleet.reading or self.busy:
            return False
        what, iface, method = self.READS[self.reads % len(self.READS)]
        self.reads += 1
        if method == 'Get':
            path, args = self.fleet.board_path, GLib.Variant('(ss)', (ht.UNIT_IFACE, 'State'))
        elif method == 'GetAll':
            path, args = self.fleet.board_path, GLib.Variant('(s)', (ht.UNIT_IFACE,))
        else:
            path, args = ht.MANAGER_PATH, None
        self.busy = True
        # a late reply is a figure (bench/run clients), not an error: the
        # replies wait behind every signal hotplugd sent before them, which
        # the bus delivers to every client (2 minutes is no answer at all)
        self.conn.call(ht.BUS_NAME, path, iface, method, args, None, Gio.DBusCallFlags.NONE, 120000, None,
                       self._on_read, (what, time.monotonic()))
        return False

    def _on_read(self, conn, res, data):
        what, t0 = data
        self.busy = False
        try:
            conn.call_finish(res)
            self.latencies.append((t0, time.monotonic() - t0, what))
        except GLib.Error as e:
            self.errors.append((what, ht.dbus_error_name(e) or e.message))
        if self.fleet.reading:
            GLib.timeout_add(self.fleet.read_interval_ms, self.read_next)

    def close(self):
        self.conn.signal_unsubscribe(self.sub)
        self.conn.close_sync(None)


class Fleet:
    """N clients and an operator on the default main context."""

    def __init__(self, n, board_path, read_interval_ms=20):
        self.board_path = board_path
        self.read_interval_ms = read_interval_ms
        self.reading = False
        self.signals = 0
        self.last_signal = time.monotonic()
        self.clients = [Client(self, i) for i in range(n)]
        self.ctx = GLib.MainContext.default()

    def iterate_until(self, pred, timeout):
        """Runs the main loop until pred() holds (False after TIMEOUT s);
        it sleeps while nothing comes, a tick of 10 ms to look again."""
        deadline = time.monotonic() + timeout
        tick = GLib.timeout_add(10, lambda: True)
        try:
            while not pred():
                if time.monotonic() > deadline:
                    return False
                self.ctx.iteration(True)
        finally:
            GLib.source_remove(tick)
        return True

    def read_initial(self, timeout=60):
        for c in self.clients:
            c.read_initial()
        if not self.iterate_until(lambda: all(c.view is not None for c in self.clients), timeout):
            raise TimeoutError('initial GetManagedObjects of every client')

    def start_reading(self):
        self.reading = True
        for c in self.clients:
            # spread the first reads over one interval
            GLib.timeout_add(c.index * self.read_interval_ms // max(1, len(self.clients)) + 1, c.read_next)

    def stop_reading(self, timeout=60):
        self.reading = False
        if not self.iterate_until(lambda: not any(c.busy for c in self.clients), timeout):
            raise TimeoutError('the clients\' last reads')

    def settle(self, done, quiet=0.5, timeout=60):
        """Runs the loop until done() holds and no signal came for QUIET s."""
        return self.iterate_until(lambda: done() and time.monotonic() - self.last_signal > quiet, timeout)

    def latencies(self, since=0.0, until=float('inf')):
        return [d for c in self.clients for t, d, _ in c.latencies if since <= t <= until]

    def close(self):
        for c in self.clients:
            c.close()


class Operator:
    """The client that starts the jobs: Unit methods on a connection of its
    own, driven from a thread of its own, so that it starts the next job as
    soon as one ends however far behind the clients' main loop is."""

    def __init__(self, fleet, unit_path):
        self.fleet = fleet
        self.unit_path = unit_path
        self.conn = ht.bus_connect()

    def run_jobs(self, jobs, timeout=120):
        """Runs each (method, options) in turn, each to its end, while the
        clients' main loop runs here; returns [(job path, its final
        properties, monotonic start of the call, end of the wait)]."""
        results, failure = [], []

        def work():
            try:
                for method, options in jobs:
                    results.append(self._run_job(method, options, timeout))
            except Exception as e:  # raised in the caller's thread
                failure.append(e)

        th = threading.Thread(target=work, daemon=True)
        th.start()
        self.fleet.iterate_until(lambda: not th.is_alive(), timeout * len(jobs) + 10)
        th.join(1)
        if failure:
            raise failure[0]
        if th.is_alive():
            raise TimeoutError(f'jobs {jobs} did not end')
        return results

    def _run_job(self, method, options, timeout):
        t0 = time.monotonic()
        job = ht.call(self.conn, self.unit_path, ht.UNIT_IFACE, method, GLib.Variant('(a{sv})', (options,)))[0]
        while True:
            props = ht.call(self.conn, job, PROPS_IFACE, 'GetAll', GLib.Variant('(s)', (ht.JOB_IFACE,)))[0]
            if props['State'] in TERMINAL:
                return job, props, t0, time.monotonic()
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f'{method} job {job} did not end in {timeout} s')
            time.sleep(0.02)

    def managed_objects(self):
        return ht.managed_objects(self.conn)

    def close(self):
        self.conn.close_sync(None)


class Probe:
    """A client in a process of its own that follows no signal and, every
    20 ms, reads the unit's State from hotplugd and then asks the bus itself
    for its id: how long the daemon takes to answer through the bus, apart
    from the time a client spends on the signals queued before its reply,
    and how much of that is the bus's own delay."""

    def __init__(self, unit_path):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), 'probe', unit_path],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != 'ready':
            raise RuntimeError('the probe did not start')

    def stop(self):
        """{'daemon': [(monotonic start, seconds)], 'bus': [...]} of its
        reads; an error raises."""
        out, _ = self.proc.communicate(timeout=300)
        if self.proc.returncode != 0:
            raise RuntimeError(f'the probe failed ({self.proc.returncode}): {out[-2000:]}')
        res = {'daemon': [], 'bus': []}
        for line in out.splitlines():
            kind, t, d = line.split()
            res[kind].append((float(t), float(d)))
        return res


def probe_main(unit_path):
    conn = ht.bus_connect()
    args = GLib.Variant('(ss)', (ht.UNIT_IFACE, 'State'))
    out = []
    print('ready', flush=True)
    while not select.select([sys.stdin], [], [], 0.02)[0]:
        for kind, dest, path, iface, method, a in (
                ('daemon', ht.BUS_NAME, unit_path, PROPS_IFACE, 'Get', args),
                ('bus', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId', None)):
            t0 = time.monotonic()
            # a reply as late as 2 minutes is a figure; no reply by then fails
            ht.call(conn, path, iface, method, a, dest=dest, timeout_ms=120000)
            out.append((kind, t0, time.monotonic() - t0))
    for kind, t, d in out:
        print(f'{kind} {t:.6f} {d:.6f}')


if __name__ == '__main__':
    if sys.argv[1:2] == ['probe']:
        probe_main(sys.argv[2])
