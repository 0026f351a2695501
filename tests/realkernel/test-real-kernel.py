#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hotplugd on the real kernel of this machine: real /sys, the kernel
netlink group (or the udev group where udevd runs; RealKernelUdevGroup runs
a udevd of its own, without rules, to exercise that path too).  Offlines cpu1 by writing sysfs directly and checks that the
unit's state changes on the bus within a second; then checks that a socket
overflow (ENOBUFS) is answered by a re-enumeration that loses nothing, and
that a flood of bursts, each overflowing the socket, is answered by one
re-enumeration per burst while GetManagedObjects keeps answering.

Runs only as root, outside the simulator, where cpu1 is hot-pluggable; it
prints why it skips otherwise.  cpu1 is always put back online.
"""
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import hotplugtest as ht  # noqa: E402
import uevent_flood as uf  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

CPU1 = '/sys/devices/system/cpu/cpu1/online'


def skip_reason():
    if os.geteuid() != 0:
        return 'needs root to write /sys/devices/system/cpu/cpu1/online'
    if ht.in_simulator():
        return 'runs on the real kernel, not under hotplug-sim'
    if not os.path.exists(CPU1):
        return 'cpu1 is not hot-pluggable here (no /sys/devices/system/cpu/cpu1/online)'
    try:
        with open(CPU1) as f:
            if f.read().strip() != '1':
                return 'cpu1 is offline before the test; not touching it'
        with open(CPU1, 'w') as f:
            f.write('1')
    except OSError as e:
        return f'cannot write {CPU1}: {e}'
    return None


def set_cpu1(value):
    with open(CPU1, 'w') as f:
        f.write(value)


def read_cpu1():
    with open(CPU1) as f:
        return f.read().strip()


def restore_cpu1():
    """cpu1 online again, read back; says so loudly when it cannot be."""
    error = None
    for _ in range(100):
        try:
            if read_cpu1() == '1':
                return
            set_cpu1('1')
        except OSError as e:
            error = e
        time.sleep(0.1)
    state = read_cpu1()
    if state != '1':
        msg = f'cpu1 could not be put back online (it reads {state!r}; last error: {error})'
        print(f'real-kernel: {msg}', file=sys.stderr)
        raise AssertionError(msg)


def restore_on_signal(signum, frame):
    """The test runner's timeout (SIGTERM) or an interrupt: cpu1 back first,
    then die of the signal (an exception would only end one test)."""
    try:
        restore_cpu1()
    finally:
        sys.stderr.flush()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


class PropertyWatcher:
    """Collects PropertiesChanged of one object on the private system bus in
    a thread with its own main context."""

    def __init__(self, path):
        self.events = []
        self.cond = threading.Condition()
        self.ctx = GLib.MainContext.new()
        self.loop = GLib.MainLoop.new(self.ctx, False)
        self.ready = threading.Event()
        self.path = path
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(5)

    def _run(self):
        self.ctx.push_thread_default()
        self.bus = Gio.DBusConnection.new_for_address_sync(
            os.environ['DBUS_SYSTEM_BUS_ADDRESS'],
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.bus.signal_subscribe(ht.BUS_NAME, 'org.freedesktop.DBus.Properties', 'PropertiesChanged',
                                  self.path, None, Gio.DBusSignalFlags.NONE, self._on_signal)
        # a round trip makes sure the match rule is in place
        self.bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                           'GetId', None, None, Gio.DBusCallFlags.NONE, -1, None)
        self.ready.set()
        self.loop.run()
        self.ctx.pop_thread_default()

    def _on_signal(self, conn, sender, path, iface, name, params):
        changed = params.unpack()[1]
        with self.cond:
            self.events.append((time.monotonic(), changed))
            self.cond.notify_all()

    def wait_for(self, key, value, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, changed in self.events:
                    if changed.get(key) == value:
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def stop(self):
        self.ctx.invoke_full(GLib.PRIORITY_DEFAULT, lambda: self.loop.quit())
        self.thread.join(5)


def get_prop(path, iface, name):
    r = ht.subprocess.run(['gdbus', 'call', '--system', '--dest', ht.BUS_NAME, '--object-path', path,
                           '--method', 'org.freedesktop.DBus.Properties.Get', iface, name],
                          capture_output=True, text=True, check=True)
    return r.stdout.strip()


UNIT = '/org/hotplugd/Hotplug1/unit/cpu1'


@unittest.skipIf(skip_reason(), skip_reason())
class RealKernel(unittest.TestCase):
    def setUp(self):
        self.env = ht.Environment(polkit='allow', daemon_args=['--verbose'])
        self.env.__enter__()
        self.addCleanup(self.env.close)
        self.addCleanup(restore_cpu1)

    def test_cpu1_offline_seen_within_a_second(self):
        self.assertIn("'online'", get_prop(UNIT, 'org.hotplugd.Hotplug1.Unit', 'State'))
        # udevd's processed events where it runs, else the kernel's own
        group = 'udev' if os.path.exists('/run/udev/control') else 'kernel'
        self.assertIn(f"'{group}'", get_prop('/org/hotplugd/Hotplug1', 'org.hotplugd.Hotplug1.Manager', 'EventSource'))
        w = PropertyWatcher(UNIT)
        self.addCleanup(w.stop)
        t0 = time.monotonic()
        set_cpu1('0')
        t_off = w.wait_for('State', 'offline', 1.0)
        restore_cpu1()
        self.assertIsNotNone(t_off, 'cpu1 offline not seen on the bus within 1 s')
        t1 = time.monotonic()
        t_on = w.wait_for('State', 'online', 1.0)
        self.assertIsNotNone(t_on, 'cpu1 online not seen on the bus within 1 s')
        print(f'cpu1 offline seen after {(t_off - t0) * 1000:.1f} ms, online after {(t_on - t1) * 1000:.1f} ms')

    def test_remove_and_add_cpu1_through_hooks(self):
        # hotplugctl remove cpu1 / add cpu1 on the real kernel, with hooks
        # from an admin root that log every event they see
        hooks = os.path.join(self.env.tmpdir, 'hooks')
        log = os.path.join(self.env.tmpdir, 'hooks.log')
        for event in ('pre-remove', 'post-remove', 'pre-add', 'post-add'):
            d = os.path.join(hooks, 'cpu', event)
            os.makedirs(d)
            path = os.path.join(d, '10-log')
            with open(path, 'w') as f:
                f.write('#!/bin/sh\n'
                        f'echo "$1 $2 $HOTPLUG_KIND $HOTPLUG_CPUS $(cat /sys/devices/system/cpu/cpu1/online)" >> {log}\n')
            os.chmod(path, 0o755)
        for root, dirs, _ in os.walk(hooks):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        os.chmod(hooks, 0o755)
        self.env.daemon.stop()
        self.env.daemon = ht.Daemon([], env={'HOTPLUG_HOOKS_DIR': hooks},
                                    log_path=os.path.join(self.env.tmpdir, 'hotplugd3.log')).start()
        r = ht.ctl('remove', 'cpu1')
        state_after_remove = read_cpu1()
        restore_cpu1()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(state_after_remove, '0', 'cpu1 still online after hotplugctl remove')
        set_cpu1('0')
        deadline = time.monotonic() + 5
        while "'offline'" not in get_prop(UNIT, 'org.hotplugd.Hotplug1.Unit', 'State') and time.monotonic() < deadline:
            time.sleep(0.05)
        r = ht.ctl('add', 'cpu1')
        state_after_add = read_cpu1()
        restore_cpu1()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(state_after_add, '1')
        with open(log) as f:
            lines = f.read().splitlines()
        # the hooks ran in order and saw the CPU in the state of their phase
        self.assertEqual(lines, ['pre-remove cpu1 cpu 1 1', 'post-remove cpu1 cpu 1 0',
                                 'pre-add cpu1 cpu 1 0', 'post-add cpu1 cpu 1 1'])

    def test_overflow_resyncs_without_loss(self):
        # A small receive buffer and a stopped daemon: the kernel drops
        # uevents (ENOBUFS) while cpu1 goes offline; once the daemon runs
        # again it must re-enumerate and show the truth.
        self.env.daemon.stop()
        self.env.daemon = ht.Daemon(['--receive-buffer-size=65536'],
                                    log_path=os.path.join(self.env.tmpdir, 'hotplugd2.log')).start()
        resyncs0 = get_prop('/org/hotplugd/Hotplug1', 'org.hotplugd.Hotplug1.Manager', 'Resyncs')
        pid = self.env.daemon.proc.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            # fill the socket first, so that cpu1's own uevent is dropped
            blocks = sorted(d for d in os.listdir('/sys/devices/system/memory') if d.startswith('memory'))
            for i in range(4000):
                with open(f'/sys/devices/system/memory/{blocks[i % len(blocks)]}/uevent', 'w') as f:
                    f.write('change')
            set_cpu1('0')
        finally:
            os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 10
        state = ''
        while time.monotonic() < deadline:
            state = get_prop(UNIT, 'org.hotplugd.Hotplug1.Unit', 'State')
            if "'offline'" in state:
                break
            time.sleep(0.05)
        resyncs1 = get_prop('/org/hotplugd/Hotplug1', 'org.hotplugd.Hotplug1.Manager', 'Resyncs')
        restore_cpu1()
        self.assertIn("'offline'", state, 'cpu1 offline lost in the overflow')
        self.assertNotEqual(resyncs0, resyncs1, 'no re-enumeration after ENOBUFS')
        self.assertIn('events were lost', self.env.daemon.read_log())

    def test_flood_resyncs_once_per_burst(self):
        # Four bursts of 20,000 change uevents into a 16 KiB socket while a
        # client calls GetManagedObjects in a loop.  Twice in each burst the
        # daemon is stopped while 5,000 of them are written (the socket
        # overflows for sure) and runs while the next 5,000 are (it drains
        # the socket in between); cpu1 goes offline in the last burst, with
        # the socket full.  Each burst gets one re-enumeration, not one per
        # loss, every call is answered, and the model afterwards is a fresh
        # daemon's.
        if not any(d.startswith('memory') for d in os.listdir('/sys/devices/system/memory')):
            self.skipTest('no memory blocks to send change uevents from')
        args = ['--receive-buffer-size=16384']
        self.env.daemon.stop()
        self.env.daemon = ht.Daemon(args, log_path=os.path.join(self.env.tmpdir, 'hotplugd-flood.log'),
                                    state_dir=self.env.state_dir).start()
        conn = ht.bus_connect()
        self.addCleanup(conn.close_sync, None)
        uf.settle(conn)
        bursts = [20000] * 4
        f = uf.flood(conn, bursts, stop_pid=self.env.daemon.proc.pid, episodes=2, also=(CPU1, '0'))
        flooded = uf.model(conn)
        fresh = uf.fresh_model(self.env, args)
        restore_cpu1()
        print(f'flood: {f["written"]} events, overflows and re-enumerations per burst {f["per_burst"]}, '
              f'{len(f["calls"])} GetManagedObjects calls')
        self.assertEqual(f['written'], sum(bursts))
        for i, (overflows, resyncs) in enumerate(f['per_burst']):
            self.assertGreaterEqual(overflows, 2, f'burst {i}: the socket did not overflow twice')
            self.assertEqual(resyncs, 1, f'burst {i}: {overflows} overflows, {resyncs} re-enumerations')
        self.assertLess(f['delta']['EventsReceived'], f['written'], 'nothing lost: no overflow')
        failed = [err for *_, err in f['calls'] if err]
        self.assertEqual(failed, [], 'GetManagedObjects failed during the flood')
        self.assertGreater(len(f['calls']), len(bursts), 'GetManagedObjects hardly called during the flood')
        self.assertEqual(flooded[UNIT]['org.hotplugd.Hotplug1.Unit']['State'], 'offline',
                         'cpu1 offline lost in the flood')
        self.assertEqual(uf.differences(flooded, fresh), [])


UDEVD = '/lib/systemd/systemd-udevd'
# A mount namespace where udevd can only relay: no rules, a /run and a /dev
# of its own (the nodes a test needs bound in, nothing for udevd to chmod
# or link), so that it touches no real device of this machine.
UDEV_NS_SETUP = r"""set -e
mount -t tmpfs -o mode=0755 hotplug-run /run
mkdir -p /run/udev /run/olddev /run/empty-rules
mount --bind /dev /run/olddev
mount -t tmpfs -o mode=0755 hotplug-dev /dev
for n in null zero full random urandom tty; do
  touch /dev/$n && mount --bind /run/olddev/$n /dev/$n
done
umount /run/olddev
ln -s /proc/self/fd /dev/fd
for d in /etc/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d; do
  if [ -d "$d" ]; then mount --bind /run/empty-rules "$d"; fi
done
exec "$@"
"""


def udevd_missing():
    if not os.access(UDEVD, os.X_OK):
        return f'{UDEVD} is not installed (package udev)'
    if os.path.exists('/run/udev/control'):
        return 'udevd already runs on this host: RealKernel covers its group'
    for tool in ('unshare', 'mount'):
        if not ht.shutil.which(tool):
            return f'needs {tool}'
    return None


@unittest.skipIf(skip_reason() or udevd_missing(), skip_reason() or udevd_missing())
class RealKernelUdevGroup(unittest.TestCase):
    """hotplugd where udevd runs: it must listen on the udev group and see
    cpu1 go offline and online through udevd.  udevd runs in a mount
    namespace of its own without rules (see UDEV_NS_SETUP), and so do the
    bus and hotplugd of the test, run by a child of this file."""

    def test_cpu1_through_the_udev_group(self):
        self.addCleanup(restore_cpu1)
        env = dict(os.environ, HOTPLUG_UDEV_NS='1')
        r = ht.subprocess.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', UDEV_NS_SETUP, 'sh',
                               sys.executable, os.path.abspath(__file__), 'UdevGroup'],
                              env=env, capture_output=True, text=True, timeout=90)
        out = r.stdout + r.stderr
        # indented: the child's cases are this one's, not counted twice
        print('\n'.join('  | ' + line for line in out.splitlines()))
        self.assertEqual(r.returncode, 0, 'the udev-group run failed')
        self.assertRegex(out, r'test_cpu1_seen \(.*\) \.\.\. ok')
        self.assertEqual(read_cpu1(), '1')


class UdevGroupChecks:
    """Run inside the namespace (HOTPLUG_UDEV_NS=1) only."""

    def setUp(self):
        self.addCleanup(restore_cpu1)
        log = open(os.path.join(os.environ.get('TMPDIR', '/tmp'), f'udevd-{os.getpid()}.log'), 'w+')
        self.addCleanup(log.close)
        self.udevd = ht.subprocess.Popen([UDEVD, '--resolve-names=never'], stdin=ht.subprocess.DEVNULL,
                                         stdout=log, stderr=log,
                                         env=dict(os.environ, SYSTEMD_LOG_TARGET='console',
                                                  SYSTEMD_LOG_LEVEL='info'))
        self.addCleanup(self.stop_udevd, log)
        deadline = time.monotonic() + 10
        while not os.path.exists('/run/udev/control') and self.udevd.poll() is None:
            self.assertLess(time.monotonic(), deadline, 'udevd made no /run/udev/control')
            time.sleep(0.02)
        self.assertIsNone(self.udevd.poll(), 'udevd exited')
        self.env = ht.Environment(polkit='allow', daemon_args=['--verbose'])
        self.env.__enter__()
        self.addCleanup(self.env.close)

    def stop_udevd(self, log):
        self.udevd.terminate()
        self.udevd.wait(10)
        log.seek(0)
        os.unlink(log.name)

    def test_cpu1_seen(self):
        self.assertIn("'udev'", get_prop('/org/hotplugd/Hotplug1', 'org.hotplugd.Hotplug1.Manager', 'EventSource'))
        # cpu1 was just put back online by the case before: its unit may be
        # settling still (seen once in CI: the Get of its State failed)
        deadline = time.monotonic() + 5
        while True:
            r = ht.subprocess.run(['gdbus', 'call', '--system', '--dest', ht.BUS_NAME, '--object-path', UNIT,
                                   '--method', 'org.freedesktop.DBus.Properties.Get', 'org.hotplugd.Hotplug1.Unit',
                                   'State'], capture_output=True, text=True)
            if (r.returncode == 0 and "'online'" in r.stdout) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(r.returncode, 0, f'cpu1 State: {r.stderr.strip()}')
        self.assertIn("'online'", r.stdout.strip())
        w = PropertyWatcher(UNIT)
        self.addCleanup(w.stop)
        t0 = time.monotonic()
        set_cpu1('0')
        t_off = w.wait_for('State', 'offline', 2.0)
        t1 = time.monotonic()
        restore_cpu1()
        self.assertIsNotNone(t_off, 'cpu1 offline not seen through the udev group within 2 s')
        t_on = w.wait_for('State', 'online', 2.0)
        self.assertIsNotNone(t_on, 'cpu1 online not seen through the udev group within 2 s')
        print(f'through udevd: cpu1 offline seen after {(t_off - t0) * 1000:.1f} ms, '
              f'online after {(t_on - t1) * 1000:.1f} ms')


if os.environ.get('HOTPLUG_UDEV_NS') == '1':
    class UdevGroup(UdevGroupChecks, unittest.TestCase):
        pass


def root_disk():
    """The block device of / and the disk it is on (a partition's parent)."""
    with open('/proc/self/mountinfo') as f:
        for line in f:
            fields = line.split()
            if fields[4] == '/':
                devnum = fields[2]
                break
    real = os.path.realpath(f'/sys/dev/block/{devnum}')
    name = os.path.basename(real)
    if os.path.exists(os.path.join(real, 'partition')):
        return name, os.path.basename(os.path.dirname(real))
    return name, name


def memory_states():
    base = '/sys/devices/system/memory'
    states = {}
    for d in os.listdir(base):
        if d.startswith('memory') and d[6:].isdigit():
            with open(os.path.join(base, d, 'state')) as f:
                states[d] = f.read().strip()
    return states


@unittest.skipIf(skip_reason(), skip_reason())
def write_file(path, text):
    with open(path, 'w') as f:
        f.write(text)


def balloon_irq():
    """(number, handler) of an interrupt of virtio0, the memory balloon
    on this machine, or (None, None)."""
    for irq in sorted((d for d in os.listdir('/proc/irq') if d.isdigit()), key=int):
        for name in sorted(os.listdir(f'/proc/irq/{irq}')):
            if name.startswith('virtio0-') and os.path.isdir(f'/proc/irq/{irq}/{name}'):
                return irq, name
    return None, None


class RealBlockers(unittest.TestCase):
    """What would break on this machine, read only: memory and the root
    disk are never touched; cpu1 is removed only with --force, and put
    back online."""

    def setUp(self):
        conf = os.path.join(os.environ.get('TMPDIR', '/tmp'), f'hotplugd-real-{os.getpid()}.conf')
        with open(conf, 'w') as f:
            f.write('[blockers]\nrefresh-interval=0.5\n')
        self.addCleanup(os.unlink, conf)
        self.env = ht.Environment(polkit='allow', daemon_args=['--config', conf])
        self.env.__enter__()
        self.addCleanup(self.env.close)
        self.addCleanup(restore_cpu1)
        self.conn = ht.bus_connect()
        self.addCleanup(self.conn.close_sync, None)

    def prop(self, path, iface, name):
        return ht.call(self.conn, path, 'org.freedesktop.DBus.Properties', 'Get',
                       GLib.Variant('(ss)', (iface, name)))[0]

    def remove(self, uid, **options):
        opts = {k: GLib.Variant('b', v) for k, v in options.items()}
        return ht.call(self.conn, ht.unit_path(uid), ht.UNIT_IFACE, 'Remove', GLib.Variant('(a{sv})', (opts,)))

    def memory_unit(self):
        ids = [i[ht.UNIT_IFACE]['Id'] for i in ht.managed_objects(self.conn).values()
               if ht.UNIT_IFACE in i and i[ht.UNIT_IFACE]['Kind'] == 'memory']
        if 'memory-node0' in ids:
            return 'memory-node0'
        self.assertTrue(ids, 'no memory unit on this machine')
        return ids[0]

    def test_memory_is_busy_and_untouched(self):
        mem = self.memory_unit()
        blockers = self.prop(ht.unit_path(mem), ht.UNIT_IFACE, 'Blockers')
        self.assertTrue(blockers, f'{mem} shows no blockers')
        self.assertEqual({b[0] for b in blockers}, {'memory'})
        before = memory_states()
        with self.assertRaises(GLib.Error) as busy:
            self.remove(mem)
        after = memory_states()
        self.assertEqual(ht.dbus_error_name(busy.exception), 'org.hotplugd.Hotplug1.Error.Busy')
        self.assertIn('memory block', busy.exception.message)
        self.assertEqual(after, before, 'a memory block changed state')
        self.assertEqual(self.prop(ht.unit_path(mem), ht.UNIT_IFACE, 'Job'), '/')
        print(f'{mem}: {busy.exception.message[:300]}')

    def test_pinned_process_makes_cpu1_busy(self):
        sleeper = ht.subprocess.Popen(['taskset', '-c', '1', 'sleep', '300'])
        self.addCleanup(sleeper.wait)
        self.addCleanup(sleeper.kill)
        mine = ('cpu-affinity', 'cpu1', 'may run only there (Cpus_allowed_list 1)', f'{sleeper.pid} sleep')
        deadline = time.monotonic() + 10
        blockers = []
        while time.monotonic() < deadline and mine not in blockers:
            blockers = [tuple(b) for b in self.prop(UNIT, ht.UNIT_IFACE, 'Blockers')]
            time.sleep(0.05)
        self.assertIn(mine, blockers)
        with self.assertRaises(GLib.Error) as busy:
            self.remove('cpu1')
        self.assertEqual(ht.dbus_error_name(busy.exception), 'org.hotplugd.Hotplug1.Error.Busy')
        self.assertIn(f'{sleeper.pid} sleep', busy.exception.message)
        self.assertEqual(read_cpu1(), '1', 'cpu1 went offline although busy')
        r = ht.ctl('remove', '--force', 'cpu1', timeout=60)
        state = read_cpu1()
        restore_cpu1()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(state, '0', 'cpu1 still online after remove --force')

    def test_irq_pinned_to_cpu1_makes_it_busy(self):
        """An interrupt of the memory balloon (harmless to move) pinned to
        cpu1 alone, just before the call: the Remove's own check names it
        and its handler; its affinity is put back."""
        irq, action = balloon_irq()
        if irq is None:
            self.skipTest('no virtio0 (balloon) interrupt whose affinity can be set here')
        path = f'/proc/irq/{irq}/smp_affinity_list'
        with open(path) as f:
            before = f.read().strip()
        try:
            with open(path, 'w') as f:
                f.write('1')
        except OSError as e:
            self.skipTest(f'cannot pin irq {irq} to cpu1: {e}')
        self.addCleanup(write_file, path, before)
        with self.assertRaises(GLib.Error) as busy:
            self.remove('cpu1')
        self.assertEqual(ht.dbus_error_name(busy.exception), 'org.hotplugd.Hotplug1.Error.Busy')
        self.assertIn(f'irq {irq} (smp_affinity_list 1, {action})', busy.exception.message)
        self.assertEqual(read_cpu1(), '1', 'cpu1 went offline although busy')

    def test_domain_0000_lists_the_root_disk(self):
        part, disk = root_disk()
        blockers = [tuple(b) for b in self.prop('/org/hotplugd/Hotplug1/domain/0000', ht.DOMAIN_IFACE, 'Blockers')]
        mounts = [b for b in blockers if b[0] == 'mount' and b[1] == '/']
        self.assertTrue(mounts, f'/ (on {part}) not among the blockers of domain 0000: {blockers}')
        self.assertIn(f'on {part}', mounts[0][2])
        print(f'domain 0000: / on {part} (disk {disk}); {len(blockers)} blockers')

    def test_switchover_of_domain_0000_is_refused(self):
        """Read only: asked as a dry run (which changes nothing even if it
        were let through), and only once the root disk is known to block."""
        path = '/org/hotplugd/Hotplug1/domain/0000'
        part, _ = root_disk()
        blockers = [tuple(b) for b in self.prop(path, ht.DOMAIN_IFACE, 'Blockers')]
        self.assertTrue([b for b in blockers if b[0] == 'mount' and b[1] == '/'], blockers)
        self.assertEqual(self.prop(path, ht.DOMAIN_IFACE, 'ConnectionState'), 'connected')
        with self.assertRaises(GLib.Error) as busy:
            ht.call(self.conn, path, ht.DOMAIN_IFACE, 'PrepareForSwitchover',
                    GLib.Variant('(a{sv})', ({'dry-run': GLib.Variant('b', True)},)))
        self.assertEqual(ht.dbus_error_name(busy.exception), 'org.hotplugd.Hotplug1.Error.Busy')
        self.assertIn('domain 0000 is busy', busy.exception.message)
        self.assertIn(f'on {part}', busy.exception.message)
        self.assertEqual(self.prop(path, ht.DOMAIN_IFACE, 'ConnectionState'), 'connected')
        self.assertEqual(self.prop(path, ht.DOMAIN_IFACE, 'Job'), '/')
        print(f'domain 0000: switchover refused: {busy.exception.message[:200]}')


if __name__ == '__main__':
    r = skip_reason()
    if r:
        print(f'SKIP: {r}')
    else:
        signal.signal(signal.SIGTERM, restore_on_signal)
        signal.signal(signal.SIGINT, restore_on_signal)
    unittest.main(verbosity=2)
