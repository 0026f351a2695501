# SPDX-License-Identifier: GPL-2.0-or-later
"""Start what hotplugd needs around it, for the integration tests, the
benchmarks and tools/demo: a private system bus with the project's bus
policy, polkit (python-dbusmock's mock, or the real polkitd with the
project's actions) and the daemon itself.  Runs under /usr/bin/python3.

The caller is expected to run under hotplug-sim already (the daemon then
sees the simulated server); nothing here touches the real /sys.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

# imported here, before unittest turns warnings on: gi's importer warns on a
# module's first import (python 3.11), which would land inside a test's
# "... ok" line of the verbose output
from gi.repository import Gio, GLib  # noqa: E402

SRC = os.environ.get('HOTPLUG_SOURCE_DIR') or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get('HOTPLUG_BUILD_DIR') or os.path.join(SRC, 'build', 'demo')

BUS_NAME = 'org.hotplugd.Hotplug1'
POLKIT_NAME = 'org.freedesktop.PolicyKit1'


def build_path(*parts):
    return os.path.join(BUILD, *parts)


def daemon_exe():
    return build_path('src', 'daemon', 'hotplugd')


def ctl_exe():
    return build_path('src', 'ctl', 'hotplugctl')


def sim_exe():
    return build_path('src', 'sim', 'hotplug-sim')


def _wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.005)
    raise TimeoutError(f'timed out after {timeout}s waiting for {what}')


def wait_until(pred, timeout, what):
    """Polls PRED until it is true; TimeoutError after TIMEOUT seconds."""
    _wait(pred, timeout, what)


def terminate(proc, timeout):
    """SIGTERM, then SIGKILL after TIMEOUT seconds; the exit status (None
    without a process)."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def run_tests():
    """unittest.main for a test program run by meson: exit 77 when every
    test skipped."""
    import sys
    import unittest
    result = unittest.main(verbosity=2, exit=False).result
    if result.testsRun == 0 and result.skipped and result.wasSuccessful():
        print(f'SKIP: {result.skipped[0][1]}')
        sys.exit(77)        # meson: the whole file skipped
    sys.exit(0 if result.wasSuccessful() else 1)


class PrivateSystemBus:
    """A dbus-daemon configured like the system bus (policy enforced), on a
    socket in a temp dir, with the project's own bus policy included."""

    def __init__(self, tmpdir, policy_dirs=()):
        self.tmpdir = tmpdir
        self.proc = None
        self.address = None
        self.policy_dirs = list(policy_dirs)

    def config(self):
        with open('/usr/share/dbus-1/system.conf') as f:
            conf = f.read()
        for pat in (r'<user>.*?</user>', r'<fork\s*/>', r'<standard_system_servicedirs\s*/>',
                    r'<servicehelper>.*?</servicehelper>', r'<syslog\s*/>', r'<pidfile>.*?</pidfile>',
                    r'<include[^>]*selinux[^>]*>.*?</include>', r'<listen>.*?</listen>'):
            conf = re.sub(pat, '', conf, flags=re.S)
        sock = os.path.join(self.tmpdir, 'system_bus_socket')
        includes = [f'<listen>unix:path={sock}</listen>']
        for d in ['/usr/share/dbus-1/system.d', '/etc/dbus-1/system.d'] + self.policy_dirs:
            includes.append(f'<includedir>{d}</includedir>')
        # system.conf already includes system.d dirs; duplicates are harmless
        return conf.replace('</busconfig>', '\n'.join(includes) + '\n</busconfig>')

    def start(self):
        path = os.path.join(self.tmpdir, 'system.conf')
        self._logfile = open(os.path.join(self.tmpdir, 'dbus-daemon.log'), 'w')
        with open(path, 'w') as f:
            f.write(self.config())
        r, w = os.pipe()
        self.proc = subprocess.Popen(['dbus-daemon', '--nofork', f'--config-file={path}', f'--print-address={w}'],
                                     pass_fds=(w,), stdin=subprocess.DEVNULL,
                                     stderr=self._logfile,
                                     env={k: v for k, v in os.environ.items()} | {'DBUS_VERBOSE': '0'})
        os.close(w)
        addr = b''
        with os.fdopen(r, 'rb') as f:
            addr = f.readline().strip()
        if not addr:
            raise RuntimeError('dbus-daemon did not start')
        self.address = addr.decode()
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'] = self.address
        return self.address

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None
        if getattr(self, '_logfile', None):
            self._logfile.close()
            self._logfile = None


def name_has_owner(name, address=None):
    """Ask the bus with busctl-free, dependency-light gdbus."""
    address = address or os.environ['DBUS_SYSTEM_BUS_ADDRESS']
    r = subprocess.run(['gdbus', 'call', '--address', address, '--dest', 'org.freedesktop.DBus',
                        '--object-path', '/org/freedesktop/DBus', '--method',
                        'org.freedesktop.DBus.NameHasOwner', name],
                       capture_output=True, text=True)
    return r.returncode == 0 and 'true' in r.stdout


class Polkit:
    """mode 'allow' / 'deny': python-dbusmock's polkitd template, which must
    run as user polkitd to own its name under the bus policy.  mode 'real':
    the real polkitd with the project's actions, in a private mount namespace
    where temp copies are bind-mounted over the actions and rules dirs."""

    def __init__(self, mode, tmpdir):
        self.mode = mode
        self.tmpdir = tmpdir
        self.proc = None

    def start(self):
        env = dict(os.environ)
        if self.mode in ('allow', 'deny'):
            cmd = ['setpriv', '--reuid=polkitd', '--regid=polkitd', '--clear-groups',
                   '/usr/bin/python3', '-m', 'dbusmock', '--system', '--template', 'polkitd']
            self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self._log())
            _wait(lambda: name_has_owner(POLKIT_NAME) or self.proc.poll() is not None, 10, 'mock polkitd')
            if self.proc.poll() is not None:
                raise RuntimeError('mock polkitd failed: ' + self.read_log())
            self.set_allowed(self.mode == 'allow')
        elif self.mode == 'real':
            actions = os.path.join(self.tmpdir, 'polkit-actions')
            rules = os.path.join(self.tmpdir, 'polkit-rules')
            os.makedirs(actions, exist_ok=True)
            os.makedirs(rules, exist_ok=True)
            shutil.copy(build_path('data', 'org.hotplugd.hotplug1.policy'), actions)
            script = (f'mount --bind {actions} /usr/share/polkit-1/actions && '
                      f'mount --bind {rules} /etc/polkit-1/rules.d && '
                      'exec /usr/lib/polkit-1/polkitd --no-debug')
            self.proc = subprocess.Popen(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script],
                                         env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self._log())
            _wait(lambda: name_has_owner(POLKIT_NAME) or self.proc.poll() is not None, 10, 'polkitd')
            if self.proc.poll() is not None:
                raise RuntimeError('polkitd failed: ' + self.read_log())
        else:
            raise ValueError(f'HOTPLUG_POLKIT must be allow, deny or real, not {self.mode!r}')

    def _log(self):
        # a file, not a pipe nobody reads: a chatty polkit must never block
        self._logfile = open(os.path.join(self.tmpdir, 'polkit.log'), 'w')
        return self._logfile

    def read_log(self):
        try:
            with open(os.path.join(self.tmpdir, 'polkit.log')) as f:
                return f.read()
        except OSError:
            return ''

    def set_allowed(self, allowed):
        actions = ['org.hotplugd.hotplug1.' + v for v in
                   ('add', 'remove', 'replace', 'cancel', 'switchover', 'connect', 'reload')] if allowed else []
        arr = '[' + ', '.join(f"'{a}'" for a in actions) + ']' if actions else '@as []'
        subprocess.run(['gdbus', 'call', '--system', '--dest', POLKIT_NAME,
                        '--object-path', '/org/freedesktop/PolicyKit1/Authority',
                        '--method', 'org.freedesktop.DBus.Mock.SetAllowed', arr],
                       check=True, capture_output=True)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if getattr(self, '_logfile', None):
            self._logfile.close()
            self._logfile = None


class Daemon:
    def __init__(self, args=(), env=None, log_path=None, state_dir=None):
        self.args = list(args)
        self.env = env
        self.proc = None
        self.log_path = log_path
        self.log = None
        # the journal and the failed units: kept across restarts of the
        # daemon, never the machine's /var/lib
        self.state_dir = state_dir or tempfile.mkdtemp(prefix='hotplug-state.')

    def start(self, timeout=60):
        env = dict(os.environ)
        env['STATE_DIRECTORY'] = self.state_dir
        # as hotplugd.service runs it
        env['G_SLICE'] = 'always-malloc'
        env['GLIBC_TUNABLES'] = 'glibc.malloc.tcache_count=0'
        if self.env:
            env.update(self.env)
        self.log = open(self.log_path, 'a+') if self.log_path else None
        self.proc = subprocess.Popen([daemon_exe()] + self.args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log or None, stderr=subprocess.STDOUT if self.log else None)
        _wait(lambda: name_has_owner(BUS_NAME) or self.proc.poll() is not None, timeout, 'hotplugd on the bus')
        if self.proc.poll() is not None:
            raise RuntimeError(f'hotplugd exited with {self.proc.returncode}' + self.read_log())
        return self

    def read_log(self):
        if not self.log:
            return ''
        self.log.flush()
        with open(self.log_path) as f:
            return '\n' + f.read()

    def kill(self):
        """SIGKILL: the daemon dies wherever it is (the journal stays)."""
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self._check_log()
        if self.log:
            self.log.close()
            self.log = None

    def stop(self):
        """SIGTERM (SIGKILL after 10 s); the exit status.  A daemon this
        stops must exit 0; whatever ended it, a sanitizer report or a
        critical in its log is a problem (see problems)."""
        running = self.proc is not None and self.proc.poll() is None
        rc = terminate(self.proc, 10)
        if running and rc != 0:
            self.problems.append(f'hotplugd exited with {rc} on SIGTERM')
        self.proc = None
        self._check_log()
        if self.log:
            self.log.close()
            self.log = None
        return rc

    # what no test run may leave in the daemon's log
    BAD = re.compile(r'ERROR: (?:Address|Leak|Thread)Sanitizer|runtime error:|UndefinedBehaviorSanitizer|'
                     r'-CRITICAL \*\*|critical: ')

    @property
    def problems(self):
        if not hasattr(self, '_problems'):
            self._problems = []
        return self._problems

    def _check_log(self):
        text = self.read_log()
        for m in self.BAD.finditer(text):
            line = text[text.rfind('\n', 0, m.start()) + 1:text.find('\n', m.end())]
            if line not in self.problems:
                self.problems.append(line)


class Environment:
    """Bus + polkit + daemon, torn down in reverse order."""

    def __init__(self, polkit='allow', daemon_args=(), daemon_env=None, start_daemon=True):
        self.tmpdir = tempfile.mkdtemp(prefix='hotplug-env.')
        # the mock polkit and unprivileged test callers must reach the socket
        os.chmod(self.tmpdir, 0o755)
        self.bus = PrivateSystemBus(self.tmpdir, [os.path.join(self.tmpdir, 'policy')])
        os.makedirs(os.path.join(self.tmpdir, 'policy'))
        shutil.copy(os.path.join(SRC, 'data', 'dbus', 'org.hotplugd.Hotplug1.conf'),
                    os.path.join(self.tmpdir, 'policy'))
        self.polkit = Polkit(polkit, self.tmpdir)
        # the daemon's state (journal, units.ini) lives in the run's own
        # directory and survives a restart of the daemon within it
        self.state_dir = os.path.join(self.tmpdir, 'state')
        os.makedirs(self.state_dir)
        self.daemon = Daemon(daemon_args, daemon_env, os.path.join(self.tmpdir, 'hotplugd.log'),
                             self.state_dir) if start_daemon else None

    def __enter__(self):
        try:
            self.bus.start()
            self.polkit.start()
            if self.daemon:
                self.daemon.start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        problems = []
        if self.daemon:
            self.daemon.stop()
            problems = list(self.daemon.problems)
            log = self.daemon.read_log() if problems else ''
        self.polkit.stop()
        self.bus.stop()
        if problems and self.daemon.log_path and os.path.exists(self.daemon.log_path):
            with open(self.daemon.log_path) as f:
                log = f.read()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        # the daemon's own failures are the test's: a sanitizer report, a
        # critical, a bad exit
        if problems:
            raise AssertionError('hotplugd: ' + '; '.join(problems) + '\n' + log[-4000:])

    def __exit__(self, *exc):
        self.close()


class PeerHost:
    """A second host on the fabric of the simulator we run under (hotplug-sim
    --fabric DIR): its own hotplug-sim (MACHINE, e.g. 'host-b'), private
    system bus, polkit mock and daemon, started by tests/integration/peer-host.py
    under that simulator.  The two hosts share the fabric's domains; nothing
    else (each sees its own /sys).

        with ht.PeerHost('host-b') as b:
            b.bus_address                      # its DBUS_SYSTEM_BUS_ADDRESS
            b.sim_ctl('handover', '0001')      # hotplug-sim ctl on host B
            b.ctl('domains')                   # hotplugctl against B's daemon
            b.run('cat', '/sys/bus/pci/devices/0001:01:00.0/class')  # a command that sees B's /sys
            b.write('/sys/bus/pci/rescan', '1')
            b.exists('/sys/class/pci_bus/0001:00')

    sim_ctl() and ctl() return the CompletedProcess (check=True raises on
    failure); run() returns its stdout (raises on failure)."""

    def __init__(self, machine='host-b', fabric=None, polkit='allow', timeout=60):
        self.machine = machine
        self.fabric = fabric or os.environ.get('HOTPLUG_SIM_FABRIC')
        if not self.fabric:
            raise RuntimeError('no fabric: run under hotplug-sim --fabric DIR, or give fabric=')
        self.polkit = polkit
        self.timeout = timeout
        self.proc = None
        self.tmpdir = None
        self.bus_address = self.sim_socket = self.sim_root = None
        self.pid = None

    def start(self):
        self.tmpdir = tempfile.mkdtemp(prefix='hotplug-peer.')
        info = os.path.join(self.tmpdir, 'info.json')
        env = {k: v for k, v in os.environ.items() if k != 'DBUS_SYSTEM_BUS_ADDRESS'}
        runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'peer-host.py')
        self._log = open(os.path.join(self.tmpdir, 'peer.log'), 'w')
        self.proc = subprocess.Popen([sim_exe(), '--machine', self.machine, '--fabric', self.fabric, '--',
                                      '/usr/bin/python3', runner, info, self.polkit],
                                     env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: os.path.exists(info) or self.proc.poll() is not None, self.timeout, f'{self.machine} up')
        except TimeoutError:
            self.stop()
            raise
        if self.proc.poll() is not None:
            log = self.read_log()
            self.stop()
            raise RuntimeError(f'{self.machine} did not start:\n{log}')
        import json
        with open(info) as f:
            d = json.load(f)
        self.bus_address, self.sim_socket, self.sim_root = d['bus'], d['sim_socket'], d['sim_root']
        self.pid, self._preload = d['pid'], d['preload']
        return self

    def read_log(self):
        try:
            with open(os.path.join(self.tmpdir, 'peer.log')) as f:
                return f.read()
        except OSError:
            return ''

    def stop(self):
        rc = terminate(self.proc, 30)
        self.proc = None
        if getattr(self, '_log', None):
            self._log.close()
            self._log = None
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def sim_ctl(self, *args, check=True):
        """hotplug-sim ctl on this host."""
        r = subprocess.run([sim_exe(), 'ctl', '--control', self.sim_socket] + list(args),
                           capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f'{self.machine}: hotplug-sim ctl {" ".join(args)} failed: {r.stdout}{r.stderr}')
        return r

    def ctl(self, *args, check=False, timeout=30):
        """hotplugctl against this host's daemon."""
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus_address)
        return ctl(*args, check=check, timeout=timeout, env=env)

    def run(self, *cmd):
        """Runs CMD so that it sees this host's /sys (its simulator's mount
        namespace, or its testbed through the umockdev preload when the
        simulators run without isolation); returns its stdout."""
        env = {k: v for k, v in os.environ.items()
               if k not in ('LD_PRELOAD', 'UMOCKDEV_DIR', 'HOTPLUG_SIM_ROOT', 'HOTPLUG_SIM_SOCKET')}
        if os.readlink(f'/proc/{self.pid}/ns/mnt') != os.readlink('/proc/self/ns/mnt'):
            argv = ['nsenter', f'--target={self.pid}', '--mount', '--'] + list(cmd)
        else:
            argv = list(cmd)
            env.update(UMOCKDEV_DIR=self.sim_root, LD_PRELOAD=self._preload)
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError(f'{self.machine}: {" ".join(cmd)} failed ({r.returncode}): {r.stderr}')
        return r.stdout

    def exists(self, path):
        return self.run('sh', '-c', 'test -e "$1" && echo yes || echo no', 'sh', path).strip() == 'yes'

    def listdir(self, path):
        return sorted(self.run('ls', '-1', path).split())

    def write(self, path, value):
        """Writes VALUE to a sysfs attribute of this host."""
        self.run('sh', '-c', 'printf %s "$1" > "$2"', 'sh', value, path)


def ctl(*args, check=False, timeout=30, **kw):
    """Run hotplugctl; returns the CompletedProcess."""
    r = subprocess.run([ctl_exe()] + list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f'hotplugctl {" ".join(args)} failed ({r.returncode}): {r.stderr}')
    return r


def sim_ctl(*args, check=True):
    r = subprocess.run([sim_exe(), 'ctl'] + list(args), capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError(f'hotplug-sim ctl {" ".join(args)} failed: {r.stdout}{r.stderr}')
    return r


def in_simulator():
    return bool(os.environ.get('HOTPLUG_SIM_ROOT'))


# --- helpers for the integration tests (need gi: /usr/bin/python3) ---------

MANAGER_PATH = '/org/hotplugd/Hotplug1'
UNIT_IFACE = 'org.hotplugd.Hotplug1.Unit'
DOMAIN_IFACE = 'org.hotplugd.Hotplug1.Domain'
MANAGER_IFACE = 'org.hotplugd.Hotplug1.Manager'
JOB_IFACE = 'org.hotplugd.Hotplug1.Job'


def unit_path(unit_id):
    """The object path of a unit, escaped as the daemon does (slot-3 →
    slot_2d3: every byte of its UTF-8 outside [A-Za-z0-9] becomes _xx)."""
    return MANAGER_PATH + '/unit/' + ''.join(chr(b) if chr(b).isalnum() and b < 128 else f'_{b:02x}'
                                             for b in unit_id.encode())


def bus_connect():
    return Gio.DBusConnection.new_for_address_sync(
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'],
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)


def call(conn, path, iface, method, args=None, reply=None, dest=BUS_NAME, timeout_ms=30000):
    """A synchronous method call; returns the unpacked reply tuple."""
    r = conn.call_sync(dest, path, iface, method, args, reply, Gio.DBusCallFlags.NONE, timeout_ms, None)
    return r.unpack()


def dbus_error_name(exc):
    return Gio.DBusError.get_remote_error(exc)


def managed_objects(conn):
    return call(conn, MANAGER_PATH, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')[0]


class SignalRecorder:
    """Subscribes to signals on the private system bus, in a thread with its
    own main context, before a change is made, and collects them in order:
    (time, sender, path, interface, member, unpacked args).  By default
    PropertiesChanged, InterfacesAdded and InterfacesRemoved sent by
    hotplugd; sender=None and member=None record every broadcast signal."""

    def __init__(self, sender=BUS_NAME, members=('PropertiesChanged', 'InterfacesAdded', 'InterfacesRemoved'),
                 on_signal=None):
        import threading
        self.sender = sender
        self.members = members
        self.on_signal = on_signal
        self.events = []
        self.cond = threading.Condition()
        self.ctx = GLib.MainContext.new()
        self.loop = GLib.MainLoop.new(self.ctx, False)
        self.ready = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise TimeoutError('signal recorder did not start')
        if self.error:
            raise self.error

    def _run(self):
        self.ctx.push_thread_default()
        try:
            self.conn = bus_connect()
            for m in (self.members or (None,)):
                self.conn.signal_subscribe(self.sender, None, m, None, None, Gio.DBusSignalFlags.NONE,
                                           self._on_signal)
            # a round trip: the match rules are in place when it returns
            self.conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                                'GetId', None, None, Gio.DBusCallFlags.NONE, -1, None)
        except Exception as e:  # reported to the constructor
            self.error = e
            self.ready.set()
            return
        self.ready.set()
        self.loop.run()
        self.ctx.pop_thread_default()

    def _on_signal(self, conn, sender, path, iface, member, params):
        ev = (time.monotonic(), sender, path, iface, member, params.unpack())
        if self.on_signal:
            self.on_signal(ev)
        with self.cond:
            self.events.append(ev)
            self.cond.notify_all()

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def clear(self):
        with self.cond:
            self.events.clear()

    def wait(self, pred, timeout=5.0):
        """Wait until pred(list of events) is true; returns it or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                r = pred(self.events)
                if r:
                    return r
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def changes(self, path):
        """The PropertiesChanged of one object: list of changed dicts."""
        return [e[5][1] for e in self.snapshot() if e[4] == 'PropertiesChanged' and e[2] == path]

    def wait_property(self, path, key, value, timeout=5.0):
        return self.wait(lambda evs: any(e[4] == 'PropertiesChanged' and e[2] == path and e[5][1].get(key) == value
                                         for e in evs), timeout)

    def quiet(self, period=0.3, timeout=5.0):
        """Wait until no signal arrived for `period` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = len(self.snapshot())
            time.sleep(period)
            if len(self.snapshot()) == n:
                return
        raise TimeoutError('signals still arriving')

    def stop(self):
        self.ctx.invoke_full(GLib.PRIORITY_DEFAULT, lambda: self.loop.quit())
        self.thread.join(5)


# --- the machine description, read independently of the daemon -----------

def parse_list(text):
    """Kernel list form (0-3,8) → sorted list of ints."""
    out = []
    for part in filter(None, (text or '').replace(' ', '').split(',')):
        lo, _, hi = part.partition('-')
        out += range(int(lo, 0), int(hi or lo, 0) + 1)
    return sorted(out)


def format_list(nums):
    nums = sorted(nums)
    parts = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else f'{nums[i]}-{nums[j]}')
        i = j + 1
    return ','.join(parts)


def parse_size(text):
    text = text.strip()
    mult = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
    if text and text[-1].upper() in mult:
        return int(text[:-1], 0) * mult[text[-1].upper()]
    return int(text, 0)


class Machine:
    """What a machine description says the daemon must show: units with
    their expected properties, domains with theirs."""

    def __init__(self, name_or_file):
        import configparser
        path = name_or_file
        if '/' not in path and not path.endswith('.machine'):
            path = os.path.join(SRC, 'data', 'machines', name_or_file + '.machine')
        cp = configparser.ConfigParser(interpolation=None, comment_prefixes=('#',), strict=True)
        cp.optionxform = str
        with open(path) as f:
            cp.read_string(f.read())
        self.block_size = parse_size(cp.get('machine', 'block-size', fallback='128M'))
        self.auto_online = cp.get('kernel', 'auto-online-blocks', fallback='offline')
        self.pci = {}       # bdf -> secondary bus 'SSSS:BB' or None
        for sec in cp.sections():
            if sec.startswith('pci '):
                bdf = sec[4:].lower()
                sb = cp.get(sec, 'secondary-bus', fallback=None)
                self.pci[bdf] = f'{bdf[:4]}:{int(sb, 0):02x}' if sb else None
        groups = []          # (unit id, kind, section) in file order, base first
        for sec in cp.sections():
            if sec == 'base':
                groups.insert(0, ('', 'base', cp[sec]))
            elif sec.startswith('sb ') or sec.startswith('iou '):
                kind, uid = sec.split()
                groups.append((f'{kind}{int(uid, 0)}', kind, cp[sec]))
        self.units = {}
        self.domains = {}
        self.bus_owner = {}  # bus -> unit id ('' for base)
        block = 0
        for uid, kind, g in groups:
            block = self._add_group(uid, kind, g, block)
        for sec in cp.sections():
            if sec.startswith('slot '):
                self._add_slot(sec[5:], cp[sec])
        for u in self.units.values():
            u['Slots'].sort(key=natural_key)
        self._add_domains()

    def _add_group(self, uid, kind, g, block):
        """The units of a [base], [sb N] or [iou N] group whose memory
        starts at BLOCK; returns the block after it."""
        present = g.get('present', 'true') in ('true', '1')
        cpus = parse_list(g.get('cpus', ''))
        nblocks = parse_size(g.get('memory', '0')) // self.block_size
        blocks = list(range(block, block + nblocks))
        roots = [r.lower() for r in g.get('host-bridges', '').replace(' ', '').split(',') if r]
        node = int(g.get('node', '0' if kind == 'base' else str(int(uid[len(kind):]) + 1)))
        devs = []
        for r in sorted(roots):
            devs += self.below(r)
            for b in self.buses_below(r):
                self.bus_owner[b] = uid
        if kind == 'base':
            for c in cpus:
                self.units[f'cpu{c}'] = dict(Id=f'cpu{c}', Kind='cpu', State='online', Parent='',
                                             Cpus=str(c), CpusOnline=str(c), Nodes=str(node),
                                             MemoryBytes=0, MemoryBlocks=0, MemoryBlocksOnline=0,
                                             PciDevices=[], Slots=[], Domain='')
            if nblocks:
                # the base memory: one unit (its id is checked separately)
                self.base_memory = dict(Kind='memory', State='online', Parent='', Cpus='', CpusOnline='',
                                        Nodes=str(node), MemoryBytes=nblocks * self.block_size,
                                        MemoryBlocks=nblocks, MemoryBlocksOnline=nblocks,
                                        MemoryRanges=format_list(blocks), PciDevices=[], Slots=[], Domain='')
        elif present:
            self.units[uid] = dict(Id=uid, Kind=kind, State='online', Parent='', Cpus=format_list(cpus),
                                   CpusOnline=format_list(cpus), Nodes=str(node) if cpus or nblocks else '',
                                   MemoryBytes=nblocks * self.block_size, MemoryBlocks=nblocks,
                                   MemoryBlocksOnline=nblocks, MemoryRanges=format_list(blocks),
                                   PciDevices=devs, Slots=[], Domain=roots[0][:4] if roots else '')
        return block + nblocks

    def _add_slot(self, name, g):
        bus = g['bus'].lower()
        adapter = g.get('adapter', 'true') in ('true', '1')
        power = g.get('power', 'true') in ('true', '1')
        devs = self.on_bus(bus) if adapter and power else []
        parent = self.bus_owner.get(bus, '')
        sid = f'slot-{name}'
        self.units[sid] = dict(Id=sid, Kind='slot', State='online' if devs else ('absent' if not adapter else 'offline'),
                               Parent=parent, Cpus='', CpusOnline='', MemoryBytes=0, MemoryBlocks=0,
                               MemoryBlocksOnline=0, PciDevices=devs, Slots=[], Domain=bus[:4])
        if parent:
            self.units[parent]['Slots'].append(sid)

    def _add_domains(self):
        for root in sorted({b for b in self.bus_owner if self.is_root(b)}):
            d = self.domains.setdefault(root[:4], dict(Id=root[:4], ConnectionState='connected', Slots=[], PciDevices=[]))
            d['PciDevices'] += self.below(root)
        for u in self.units.values():
            if u['Kind'] == 'slot':
                self.domains[u['Domain']]['Slots'].append(u['Id'])
        for d in self.domains.values():
            d['Slots'].sort(key=natural_key)

    def is_root(self, bus):
        return not any(sec == bus for sec in self.pci.values())

    def on_bus(self, bus):
        """Devices on bus and below it, depth first."""
        out = []
        for bdf in sorted(b for b in self.pci if b.rsplit(':', 1)[0] == bus):
            out.append(bdf)
            if self.pci[bdf]:
                out += self.on_bus(self.pci[bdf])
        return out

    def below(self, root_bus):
        return self.on_bus(root_bus)

    def buses_below(self, bus):
        out = [bus]
        for bdf in sorted(b for b in self.pci if b.rsplit(':', 1)[0] == bus):
            if self.pci[bdf]:
                out += self.buses_below(self.pci[bdf])
        return out

    def cpus_of(self, uid):
        return parse_list(self.units[uid]['Cpus'])

    def blocks_of(self, uid):
        return parse_list(self.units[uid]['MemoryRanges'])


def natural_key(s):
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', s)]


def write_sysfs(path, value):
    """Write a simulated sysfs attribute (under hotplug-sim only)."""
    if not in_simulator():
        raise RuntimeError('refusing to write sysfs outside hotplug-sim')
    with open(path, 'w') as f:
        f.write(value)


def read_sysfs(path):
    with open(path) as f:
        return f.read().strip()
