# SPDX-License-Identifier: GPL-2.0-or-later
"""A whole systemd system booted from this machine's own /usr in a
container, without touching the host: systemd-nspawn --volatile=yes (fresh
/etc and /var), /usr through a throw-away overlay.  Used by the container
tests (test-container.py) and the transient-unit benchmark
(bench/bench-hook-units.py)."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

SRC = os.environ.get('HOTPLUG_SOURCE_DIR', os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('HOTPLUG_BUILD_DIR', os.path.join(SRC, 'build'))
SKIP = 77


def skip_reason():
    if os.geteuid() != 0:
        return 'the container tests need root'
    if not shutil.which('systemd-nspawn'):
        return 'systemd-nspawn is not installed (package systemd-container)'
    if not os.path.exists('/usr/lib/systemd/systemd') and not os.path.exists('/lib/systemd/systemd'):
        return 'systemd is not installed in /usr'
    if not shutil.which('meson') or not shutil.which('ninja'):
        return 'meson and ninja are needed to build the package for the container'
    return None


class Container:
    """One booted container; every command runs inside it through nsenter."""

    def __init__(self, binds):
        self.name = f'hotplugd-test-{os.getpid()}'
        self.log = tempfile.NamedTemporaryFile(prefix='hotplugd-nspawn-', suffix='.log', delete=False)
        args = ['systemd-nspawn', '-D', '/', '--volatile=yes', '--overlay=/usr::/usr',
                '--register=no', '--keep-unit', f'--machine={self.name}']
        args += [f'--bind={b}' for b in binds]
        args += ['-b', 'systemd.firstboot=off']
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.init = None

    def wait_booted(self, timeout=90):
        end = time.monotonic() + timeout
        while self.init is None and time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f'systemd-nspawn exited with {self.proc.returncode}: {self.tail()}')
            kids = subprocess.run(['pgrep', '-P', str(self.proc.pid)], capture_output=True, text=True).stdout.split()
            if kids:
                self.init = kids[0]
            else:
                time.sleep(0.2)
        if self.init is None:
            raise RuntimeError('the container did not start: ' + self.tail())
        state = ''
        # until systemd answers on its bus and the boot is over
        while state not in ('running', 'degraded') and time.monotonic() < end:
            left = max(1, int(end - time.monotonic()))
            state = self.run(['timeout', str(left), 'systemctl', 'is-system-running', '--wait'],
                             check=False).stdout.strip()
            if state not in ('running', 'degraded'):
                time.sleep(0.3)
        if state not in ('running', 'degraded'):
            raise RuntimeError(f'the container did not boot ({state}): {self.tail()}')

    def tail(self):
        with open(self.log.name, errors='replace') as f:
            return f.read()[-2000:]

    def run(self, cmd, check=True, timeout=60, **kw):
        r = subprocess.run(['nsenter', '-t', self.init, '-a'] + cmd, capture_output=True, text=True,
                           timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f'{cmd} failed ({r.returncode}): {r.stdout}{r.stderr}')
        return r

    def sh(self, script, check=True, timeout=60):
        return self.run(['/bin/sh', '-c', script], check=check, timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            # SIGTERM: nspawn asks the container's init to power off
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
        os.unlink(self.log.name)


def build_package():
    """A build of the source with a distribution's paths, for meson install."""
    build = os.path.join(BUILD, 'container-package')
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        subprocess.run(['meson', 'setup', build, SRC, '--prefix=/usr', '--sysconfdir=/etc',
                        '--localstatedir=/var', '-Dsimulator=disabled', '-Dbuildtype=plain'],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(['nice', 'ninja', '-C', build], check=True, stdout=subprocess.DEVNULL)
    return build


