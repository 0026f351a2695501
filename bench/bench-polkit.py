#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The cost of authorization: the round trip of Unit.Add through
auth-test-server (HotplugAuth asking polkit) against its parts measured in
the same run, on a private system bus: a bare CheckAuthorization call to the
same polkitd for the same action and subject, and a method that asks no one
(GetUnit).  Once with python-dbusmock's polkitd, once with the real polkitd
(when installed).  Needs root (bench/run polkit)."""
import importlib.util
import os
import statistics
import sys
import time

from gi.repository import Gio, GLib

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('test_auth', os.path.join(HERE, '..', 'tests', 'auth', 'test-auth.py'))
auth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(auth)

ROUNDS = int(os.environ.get('BENCH_ROUNDS', '200'))
POLKIT = 'org.freedesktop.PolicyKit1'
AUTHORITY = 'org.freedesktop.PolicyKit1.Authority'


def median_ms(fn, rounds=ROUNDS):
    for _ in range(20):     # warm up
        fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def check_authorization(env):
    """The call HotplugAuth makes, made directly: this connection's unique
    name as the subject, the add action, no interaction."""
    subject = ('system-bus-name', {'name': GLib.Variant('s', env.conn.get_unique_name())})
    args = GLib.Variant('((sa{sv})sa{ss}us)', (subject, 'org.hotplugd.hotplug1.add', {}, 0, ''))
    reply = env.conn.call_sync(POLKIT, auth.POLKIT_PATH, AUTHORITY, 'CheckAuthorization', args, None,
                               Gio.DBusCallFlags.NONE, 20000, None).unpack()
    if not reply[0][0]:
        raise RuntimeError(f'polkit did not authorize the bench: {reply}')


def run(mode):
    env = auth.Env(mode).start()
    try:
        bare = median_ms(lambda: check_authorization(env))
        ro = median_ms(lambda: env.call(auth.MANAGER, auth.IFACE_MANAGER, 'GetUnit', GLib.Variant('(s)', ('test',))))
        add = median_ms(env.add)
        adds = env.stats().get('Add', 0)
    finally:
        rc = env.stop()
    if rc != 0:
        raise RuntimeError(f'auth-test-server exited with {rc}')
    if adds < ROUNDS:
        raise RuntimeError(f'only {adds} of the Add calls ran')
    base = bare + ro
    print(f'{mode:5}  CheckAuthorization alone {bare:.3f} ms, GetUnit (no polkit) {ro:.3f} ms, '
          f'Add {add:.3f} ms (medians of {ROUNDS}): Add / (CheckAuthorization + GetUnit) = {add / base:.2f}')


def main():
    if os.geteuid() != 0:
        print('bench-polkit: needs root (the bus policy, the mock polkitd as user polkitd)', file=sys.stderr)
        return 2
    run('allow')
    missing = auth.real_polkit_missing()
    if missing:
        print(f'real   not measured: {missing}')
    else:
        run('real')
    return 0


if __name__ == '__main__':
    sys.exit(main())
