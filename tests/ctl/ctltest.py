#!/usr/bin/python3
# What the hotplugctl tests share: a private bus with fake-hotplugd.py on it,
# hotplugctl run piped or on a pseudo-terminal, aligned tables read back,
# jobs scripted and followed.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time
import unittest

import dbus

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get('HOTPLUG_BUILD_DIR', os.path.join(HERE, '..', '..', 'build'))
HOTPLUGCTL = os.environ.get('HOTPLUGCTL', os.path.join(BUILD, 'src', 'ctl', 'hotplugctl'))
FAKE = os.path.join(HERE, 'fake-hotplugd.py')
PATH = '/org/hotplugd/Hotplug1'
JOB = 'org.hotplugd.Hotplug1.Job'

BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''

class Bus:
    '''A private dbus-daemon, standing in for the system bus.'''

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='hotplugctl-test.')
        config = os.path.join(self.dir, 'bus.conf')
        with open(config, 'w') as f:
            f.write(BUS_CONFIG.format(dir=self.dir))
        self.proc = subprocess.Popen(['dbus-daemon', '--config-file=' + config, '--nofork',
                                      '--print-address=1'],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     universal_newlines=True)
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise RuntimeError('dbus-daemon did not start')

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def ctl_env(address, **extra):
    env = dict(os.environ)
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    env.pop('NO_COLOR', None)
    env['DBUS_SYSTEM_BUS_ADDRESS'] = address
    env['LC_ALL'] = 'C.UTF-8'
    env.update(extra)
    return env


def table(text):
    '''Splits an aligned table into rows of cells, using the header's column
    starts; checks on the way that every cell sits exactly in its column.'''
    lines = text.rstrip('\n').split('\n')
    header = lines[0]
    starts = [m.start() for m in re.finditer(r'\S+', header)]
    rows = []
    for line in lines:
        cells = []
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            cell = line[start:end]
            if start > 0 and line[start - 1] != ' ':
                raise AssertionError('column %d not aligned in %r' % (i, line))
            if cell != cell.rstrip() and i + 1 == len(starts):
                raise AssertionError('trailing blanks in %r' % line)
            if cell.startswith(' ') or (cell.strip() and '  ' in cell.strip()):
                raise AssertionError('cell %d misplaced in %r' % (i, line))
            cells.append(cell.strip())
        rows.append(cells)
    # Every column is as wide as its widest cell, plus two blanks.
    for i in range(len(starts) - 1):
        widest = max(len(r[i]) for r in rows)
        if starts[i + 1] - starts[i] != widest + 2:
            raise AssertionError('column %d is %d wide, widest cell %d' %
                                 (i, starts[i + 1] - starts[i], widest))
    return rows


class CtlTestCase(unittest.TestCase):
    '''A bus with fake-hotplugd on it, shared by the tests of a class; each
    test starts from the fake's initial platform.'''

    @classmethod
    def setUpClass(cls):
        if not os.access(HOTPLUGCTL, os.X_OK):
            raise RuntimeError('hotplugctl not built: ' + HOTPLUGCTL)
        cls.bus = Bus()
        cls.fake = subprocess.Popen(['/usr/bin/python3', FAKE], stdout=subprocess.PIPE,
                                    env=ctl_env(cls.bus.address), universal_newlines=True)
        ready = cls.fake.stdout.readline()
        if ready.strip() != 'READY':
            cls.tearDownClass()
            raise RuntimeError('fake-hotplugd did not start')
        cls.conn = dbus.bus.BusConnection(cls.bus.address)
        cls.test = dbus.Interface(cls.conn.get_object('org.hotplugd.Hotplug1', PATH),
                                  'org.hotplugd.Test')

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'conn', None) is not None:
            cls.conn.close()
        cls.fake.terminate()
        cls.fake.wait()
        cls.fake.stdout.close()
        cls.bus.stop()

    def setUp(self):
        self.test.Reset()

    def run_ctl(self, *args, env=None, **extra):
        return subprocess.run([HOTPLUGCTL] + list(args), capture_output=True,
                              universal_newlines=True, timeout=30,
                              env=env or ctl_env(self.bus.address, **extra))

    def ok(self, *args, **extra):
        r = self.run_ctl(*args, **extra)
        self.assertEqual(r.returncode, 0, 'hotplugctl %s: %s' % (' '.join(args), r.stderr))
        self.assertEqual(r.stderr, '')
        return r.stdout

    def json(self, *args):
        return json.loads(self.ok(*args))


def read_line(stream, timeout):
    '''One line from a binary stream, or None after timeout seconds.'''
    buf = getattr(stream, 'pending', b'')
    deadline = time.monotonic() + timeout
    while b'\n' not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            stream.pending = buf
            return None
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            stream.pending = buf
            return None
        buf += chunk
    line, _, rest = buf.partition(b'\n')
    stream.pending = rest
    return line.decode()


def run_on_pty(argv, env, timeout=20):
    '''Runs argv on a pseudo-terminal; returns its exit code and output.'''
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out = b''
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], deadline - time.monotonic())[0]:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode()


class OperationTestCase(CtlTestCase):
    def script(self, steps=None, **extra):
        if steps is not None:
            extra['steps'] = steps
        self.test.SetJobScript(json.dumps(extra))

    def calls(self):
        return json.loads(self.test.GetCalls())

    def job_state(self, jid):
        job = self.conn.get_object('org.hotplugd.Hotplug1', PATH + '/job/%d' % jid)
        return str(job.Get(JOB, 'State', dbus_interface=dbus.PROPERTIES_IFACE))

    def follow(self, *args):
        '''Starts hotplugctl in the background, its output piped.'''
        proc = subprocess.Popen([HOTPLUGCTL] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=ctl_env(self.bus.address))
        self.addCleanup(self.cleanup, proc)
        return proc

    def cleanup(self, proc):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    def wait_for(self, stream, text, timeout=10):
        '''Lines up to and including the first that is text.'''
        lines = []
        while True:
            line = read_line(stream, timeout)
            self.assertIsNotNone(line, 'no %r after %r' % (text, lines))
            lines.append(line)
            if line == text:
                return lines

    def rest(self, proc, stream):
        return (getattr(stream, 'pending', b'') + stream.read()).decode()
