#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Start-up of hotplugd on a simulated machine (run under hotplug-sim, see
bench/run): the time from exec until the bus name is owned with everything
enumerated, beside a bare libudev enumeration and a direct readdir of the
same tree, measured in the same run; then GetManagedObjects' time and reply
size.  Prints medians and ratios, where the daemon's time goes (its own
start-up lines) and how the baseline's work differs from the daemon's."""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '3'))


def enumerate_ms(mode):
    """(devices, ms inside the process, ms from Popen to exit)"""
    t0 = time.monotonic()
    out = subprocess.run([ht.build_path('bench', 'bench-enumerate'), mode], capture_output=True, text=True, check=True)
    wall = (time.monotonic() - t0) * 1000
    _, n, ms = out.stdout.split()
    return int(n), float(ms), wall


def exec_ms():
    """Popen to exit of `hotplugd --version`: exec, the dynamic loader, GLib's set-up, nothing else"""
    t0 = time.monotonic()
    subprocess.run([ht.daemon_exe(), '--version'], stdout=subprocess.DEVNULL, check=True)
    return (time.monotonic() - t0) * 1000


def bus():
    return Gio.DBusConnection.new_for_address_sync(
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'],
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)


def has_owner(conn):
    r = conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameHasOwner',
                       GLib.Variant('(s)', (ht.BUS_NAME,)), None, Gio.DBusCallFlags.NONE, -1, None)
    return r.unpack()[0]


def startup_ms(conn, log):
    t0 = time.monotonic()
    proc = subprocess.Popen([ht.daemon_exe()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    while not has_owner(conn):
        if proc.poll() is not None:
            raise RuntimeError(f'hotplugd exited with {proc.returncode}')
        time.sleep(0.001)
    return (time.monotonic() - t0) * 1000, proc


SPLIT = re.compile(r'start-up: ([\d.]+) ms to the name: enumeration ([\d.]+) ms, ownership pass ([\d.]+) ms, '
                   r"blockers' facts ([\d.]+) ms, first blockers ([\d.]+) ms, bus and objects ([\d.]+) ms")


def startup_split(log):
    """The daemon's own account of its start-up (its log line), or None:
    [to the name, enumeration, ownership pass, blockers' facts, first
    blockers (the worker's scan, the name waits for it), bus and
    objects]."""
    log.seek(0)
    text = log.read().decode(errors='replace')
    m = SPLIT.search(text)
    return [float(x) for x in m.groups()] if m else None


def get_managed_objects(conn):
    msg = Gio.DBusMessage.new_method_call(ht.BUS_NAME, '/org/hotplugd/Hotplug1',
                                          'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')
    t0 = time.monotonic()
    reply, _ = conn.send_message_with_reply_sync(msg, Gio.DBusSendMessageFlags.NONE, 60000, None)
    ms = (time.monotonic() - t0) * 1000
    if reply.get_message_type() == Gio.DBusMessageType.ERROR:
        raise RuntimeError(reply.get_error_name())
    objects = reply.get_body().unpack()[0]
    return ms, len(reply.to_blob(Gio.DBusCapabilityFlags.NONE)), len(objects)


def main():
    if not ht.in_simulator():
        print('bench-startup must run under hotplug-sim (use bench/run startup)', file=sys.stderr)
        return 2
    machine = os.environ.get('HOTPLUG_MACHINE', '?')
    with ht.Environment(polkit='allow', start_daemon=False):
        conn = bus()
        udev, readdir, readdir_wall, execs, start, gmo, splits = [], [], [], [], [], [], []
        n_udev = n_readdir = size = nobj = 0
        for _ in range(ROUNDS):
            n_udev, ms, _ = enumerate_ms('udev')
            udev.append(ms)
            n_readdir, ms, wall = enumerate_ms('readdir')
            readdir.append(ms)
            readdir_wall.append(wall)
            execs.append(exec_ms())
            with tempfile.TemporaryFile() as log:
                ms, proc = startup_ms(conn, log)
                start.append(ms)
                time.sleep(0.1)  # the log line follows the name
                split = startup_split(log)
                if split:
                    splits.append(split)
            for _ in range(3):
                ms, size, nobj = get_managed_objects(conn)
                gmo.append(ms)
            proc.terminate()
            proc.wait(30)
        m = statistics.median
        print(f'machine: {machine}; {ROUNDS} rounds, medians')
        print(f'libudev enumeration ({n_udev} devices, 2 attributes each): {m(udev):9.1f} ms')
        print(f'readdir + read      ({n_readdir} devices, same attributes): {m(readdir):9.1f} ms')
        print(f'hotplugd exec -> name owned, all enumerated:       {m(start):9.1f} ms')
        print(f'  ratio to libudev enumeration: {m(start) / m(udev):.2f}')
        print(f'  ratio to readdir:             {m(start) / m(readdir):.2f}')
        print('the baseline is not the same work: it is timed inside its process, after its exec and dynamic '
              'loading, and reads 2 attributes (online, state) of each device; the daemon is timed from Popen '
              'and reads, per memory block, state and the node listing, per board memory device a link per '
              'block (which board holds it), per PCI device its configuration space and driver, the slots, '
              'the ACPI containers and the state directory')
        print(f'  readdir baseline timed as the daemon is, Popen to exit: {m(readdir_wall):.1f} ms '
              f'(ratio {m(start) / m(readdir_wall):.2f}); hotplugd --version, Popen to exit (exec, '
              f'libraries, GLib): {m(execs):.1f} ms = {m(execs) / m(readdir):.2f} of the baseline')
        if splits:
            col = [m([s[i] for s in splits]) for i in range(6)]
            print(f'  where it goes (the daemon\'s log, medians): {m(start) - col[0]:.1f} ms exec, libraries and '
                  f'configuration, {col[1]:.1f} ms enumeration, {col[2]:.1f} ms ownership pass, {col[3]:.1f} ms '
                  f"blockers' facts, {col[4]:.1f} ms first Blockers (the /proc scan, every online memory "
                  f"block's valid_zones, in a worker; the name waits for them), {col[5]:.1f} ms bus and objects")
        print(f'GetManagedObjects: {m(gmo):.1f} ms, {nobj} objects, reply {size / 1024:.0f} KiB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
