# SPDX-License-Identifier: GPL-2.0-or-later
"""A uevent flood on the real kernel, shared by bench/bench-flood.py and
test-real-kernel.py (and bench-uevents.py's refusal to run elsewhere):
bursts of synthetic "change" uevents (bench-uevents --write), a client
calling GetManagedObjects in a loop meanwhile, the daemon's loss counters,
and its model compared with a fresh daemon's."""
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

MANAGER = 'org.hotplugd.Hotplug1.Manager'
# Manager properties that count what happened to this daemon since it
# started, not the machine's state: a daemon started afresh reads 0 in
# them, so a model comparison leaves them out
COUNTERS = ('EventsReceived', 'Resyncs', 'Overflows')


def refusal(program):
    """Why PROGRAM, which writes real uevent files, cannot run here, or None."""
    if os.geteuid() != 0:
        return f'{program} needs root (it writes /sys/devices/system/memory/*/uevent)'
    if ht.in_simulator():
        return f'{program} runs on the real kernel, not under hotplug-sim'
    return None


class ManagedObjectsLoop:
    """GetManagedObjects in a loop on a connection of its own, in a thread:
    (start time, latency in s, error message or None) of every call."""

    def __init__(self, pause=0.005):
        self.calls = []
        self.pause = pause
        self.stopping = threading.Event()
        self.conn = ht.bus_connect()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            t0 = time.monotonic()
            error = None
            try:
                self.conn.call_sync(ht.BUS_NAME, ht.MANAGER_PATH, 'org.freedesktop.DBus.ObjectManager',
                                    'GetManagedObjects', None, None, Gio.DBusCallFlags.NONE, 30000, None)
            except GLib.Error as e:
                error = e.message
            self.calls.append((t0, time.monotonic() - t0, error))
            time.sleep(self.pause)

    def stop(self):
        self.stopping.set()
        self.thread.join(60)
        self.conn.close_sync(None)
        return self.calls


def counters(conn):
    props = ht.call(conn, ht.MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'GetAll',
                    GLib.Variant('(s)', (MANAGER,)))[0]
    return {k: props[k] for k in COUNTERS}


def settle(conn, quiet=0.5, timeout=120):
    """Until the daemon's counters stay unchanged for QUIET s (longer than
    its re-enumeration waits for a quiet socket): it has read the socket
    empty and re-enumerated what it had to.  Returns the counters."""
    last, since = counters(conn), time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = counters(conn)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def write_changes(n, stop_pid=None, episodes=1, also=None):
    """N change uevents as fast as the kernel takes them: (written, seconds).
    With STOP_PID, EPISODES times the daemon is stopped while a share of
    them is written and runs while the next is; ALSO, a (file, value) pair,
    is written at the end of the first stopped share (see bench-uevents.c)."""
    cmd = [ht.build_path('bench', 'bench-uevents'), '--write', str(n)]
    if stop_pid:
        cmd += ['--stop', str(stop_pid), str(episodes)] + (list(also) if also else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    m = re.match(r'written (\d+) in ([\d.]+) s', r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f'bench-uevents --write failed: {r.stdout}{r.stderr}')
    return int(m.group(1)), float(m.group(2))


def flood(conn, bursts, stop_pid=None, episodes=2, also=None):
    """The bursts (a list of sizes, each one bench-uevents --write: see
    write_changes), the daemon left to settle after each; ALSO only in the
    last burst.  A ManagedObjectsLoop runs throughout.  Returns its calls,
    what was written, how fast and when, and the overflows and
    re-enumerations of each burst."""
    client = ManagedObjectsLoop()
    last = counters(conn)
    first = last
    written, write_time, per_burst, writing = 0, 0.0, [], []
    try:
        for i, n in enumerate(bursts):
            t0 = time.monotonic()
            w, t = write_changes(n, stop_pid, episodes, also if i == len(bursts) - 1 else None)
            writing.append((t0, time.monotonic()))
            written, write_time = written + w, write_time + t
            now = settle(conn)
            per_burst.append((now['Overflows'] - last['Overflows'], now['Resyncs'] - last['Resyncs']))
            last = now
    finally:
        calls = client.stop()
    return {'calls': calls, 'written': written, 'write_time': write_time, 'per_burst': per_burst,
            'writing': writing, 'delta': {k: last[k] - first[k] for k in COUNTERS}}


def model(conn):
    """GetManagedObjects without the Manager's counters (see COUNTERS)."""
    objects = ht.managed_objects(conn)
    for ifaces in objects.values():
        for name in COUNTERS:
            ifaces.get(MANAGER, {}).pop(name, None)
    return objects


def fresh_model(env, args, log_name='hotplugd-fresh.log'):
    """The model of a daemon started afresh (same arguments, same state
    directory) on the machine as it is now, in place of env's daemon."""
    env.daemon.stop()
    env.daemon = ht.Daemon(args, log_path=os.path.join(env.tmpdir, log_name), state_dir=env.state_dir).start()
    conn = ht.bus_connect()
    try:
        settle(conn)
        return model(conn)
    finally:
        conn.close_sync(None)


def differences(a, b, limit=10):
    """What differs between two models, one line each (at most LIMIT)."""
    out = []
    for path in sorted(set(a) | set(b)):
        if path not in a or path not in b:
            out.append(f'{path}: only in the {"fresh" if path in b else "flooded"} daemon')
            continue
        for iface in sorted(set(a[path]) | set(b[path])):
            pa, pb = a[path].get(iface, {}), b[path].get(iface, {})
            for key in sorted(set(pa) | set(pb)):
                if pa.get(key) != pb.get(key):
                    out.append(f'{path} {iface}.{key}: flooded {pa.get(key)!r}, fresh {pb.get(key)!r}')
    return out[:limit] + ([f'... {len(out) - limit} more'] if len(out) > limit else [])
