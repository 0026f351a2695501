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
import sys
import tempfile
import time

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
    def __init__(self, args=(), env=None, log_path=None):
        self.args = list(args)
        self.env = env
        self.proc = None
        self.log_path = log_path
        self.log = None

    def start(self, timeout=60):
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.log = open(self.log_path, 'w+') if self.log_path else None
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

    def stop(self):
        rc = None
        if self.proc:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            rc = self.proc.returncode
            self.proc = None
        if self.log:
            self.log.close()
            self.log = None
        return rc


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
        self.daemon = Daemon(daemon_args, daemon_env, os.path.join(self.tmpdir, 'hotplugd.log')) if start_daemon else None

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
        if self.daemon:
            self.daemon.stop()
        self.polkit.stop()
        self.bus.stop()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __exit__(self, *exc):
        self.close()


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
