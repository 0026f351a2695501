# SPDX-License-Identifier: GPL-2.0-or-later
"""The fixture that the operation tests share (test-operations.py,
test-operations-control.py, test-blockers.py, test-memory.py,
test-domains.py): hotplugd on the simulated machine, hooks that log
their environment, jobs asked for and waited for, units put back.

Test hooks append one line per run to a log:
  EVENT UNIT NAME op=.. kind=.. cpus=.. pci=.. api=.. args=$1,$2 failed=.. reason=..
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402

from gi.repository import GLib  # noqa: E402

MACHINE = ht.Machine(os.environ.get('HOTPLUG_MACHINE', 'default'))
CPU = '/sys/devices/system/cpu/cpu{}/online'
MEM = '/sys/devices/system/memory/memory{}/state'
PROPS = 'org.freedesktop.DBus.Properties'
NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']

HOOK = '''#!/bin/sh
echo "$HOTPLUG_EVENT $HOTPLUG_UNIT {name} op=$HOTPLUG_OPERATION kind=$HOTPLUG_KIND cpus=$HOTPLUG_CPUS \
pci=$HOTPLUG_PCI_DEVICES api=$HOTPLUG_API args=$1,$2 job=${{HOTPLUG_JOB:+set}} \
failed=$HOTPLUG_FAILED_HOOK reason=$HOTPLUG_FAILURE_REASON" >> {log}
{extra}
'''


def daemon_options():
    r = subprocess.run([ht.daemon_exe(), '--help-all'], capture_output=True, text=True)
    return r.stdout


class Ops(unittest.TestCase):
    polkit = 'allow'

    @classmethod
    def setUpClass(cls):
        if not ht.in_simulator():
            raise unittest.SkipTest('runs under hotplug-sim')

    # --- fixtures -----------------------------------------------------------

    def setUp(self):
        self.hooks_root = tempfile.mkdtemp(prefix='hotplug-hooks.')
        os.chmod(self.hooks_root, 0o755)
        self.addCleanup(shutil.rmtree, self.hooks_root, True)
        self.log = os.path.join(self.hooks_root, 'hooks.log')
        self.hookdir = os.path.join(self.hooks_root, 'hooks.d')
        os.mkdir(self.hookdir, 0o755)
        self.daemon_args = []
        self.addCleanup(ht.sim_ctl, 'delay', '0')
        self.addCleanup(ht.sim_ctl, 'fail', 'online', '0', check=False)

    def start(self, polkit=None, args=()):
        self.env = ht.Environment(polkit=polkit or self.polkit, daemon_args=list(args) + self.daemon_args,
                                  daemon_env={'HOTPLUG_HOOKS_DIR': self.hookdir})
        self.env.__enter__()
        self.addCleanup(self.env.close)
        self.conn = ht.bus_connect()
        self.addCleanup(self.conn.close_sync, None)

    def hook(self, kind, event, name, extra='', mode=0o755):
        d = os.path.join(self.hookdir, kind, event)
        os.makedirs(d, 0o755, exist_ok=True)
        for p in (os.path.join(self.hookdir, kind), d):
            os.chmod(p, 0o755)
        path = os.path.join(d, name)
        with open(path, 'w') as f:
            f.write(HOOK.format(name=name, log=self.log, extra=extra))
        os.chmod(path, mode)
        return path

    def standard_hooks(self, kind, op):
        """10-any and 20-KIND in the pre-, post- and -failed events of op."""
        for ev in (f'pre-{op}', f'post-{op}', f'{op}-failed'):
            self.hook('any', ev, '10-any')
            self.hook(kind, ev, '20-' + kind)

    def hook_log(self):
        try:
            with open(self.log) as f:
                return [line.split()[:3] for line in f.read().splitlines()]
        except FileNotFoundError:
            return []

    def hook_lines(self):
        try:
            with open(self.log) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def clear_log(self):
        if os.path.exists(self.log):
            os.unlink(self.log)

    def prop(self, uid, name):
        return ht.call(self.conn, ht.unit_path(uid), PROPS, 'Get', GLib.Variant('(ss)', (ht.UNIT_IFACE, name)))[0]

    def request(self, uid, op, **options):
        opts = {k.replace('_', '-'): GLib.Variant('b' if isinstance(v, bool) else 'u', v) for k, v in options.items()}
        return ht.call(self.conn, ht.unit_path(uid), ht.UNIT_IFACE, op.capitalize(),
                       GLib.Variant('(a{sv})', (opts,)))[0]

    def wait_job(self, uid, since, timeout=30):
        """Wait until uid has no job and its last job ended after `since`
        (µs); returns (LastJobState, LastJobReason)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.prop(uid, 'Job') == '/' and self.prop(uid, 'LastJobEndTime') >= since:
                return self.prop(uid, 'LastJobState'), self.prop(uid, 'LastJobReason')
            time.sleep(0.05)
        self.fail(f'job on {uid} did not end in {timeout} s: phase {self.prop(uid, "Phase")!r}')

    def job_prop(self, job, name):
        return ht.call(self.conn, job, PROPS, 'Get', GLib.Variant('(ss)', (ht.JOB_IFACE, name)))[0]

    def wait_job_object(self, job, timeout=30):
        """Wait until the Job object ends (it lingers after that, while its
        unit may be gone); returns (State, Reason)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.job_prop(job, 'State') != 'running' and self.job_prop(job, 'EndTime') > 0:
                return self.job_prop(job, 'State'), self.job_prop(job, 'Reason')
            time.sleep(0.05)
        self.fail(f'job {job} did not end in {timeout} s: phase {self.job_prop(job, "Phase")!r}')

    def wait_for(self, pred, what, timeout=20, interval=0.02):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return
            time.sleep(interval)
        self.fail(f'timed out waiting for {what}')

    def run_op(self, uid, op, timeout=30, **options):
        job = self.request(uid, op, **options)
        self.assertTrue(job.startswith(ht.MANAGER_PATH + '/job/'), job)
        return self.wait_job_object(job, timeout)

    def unit_exists(self, uid):
        return ht.unit_path(uid) in ht.managed_objects(self.conn)

    def find_job(self, uid, op, since, initiator=None, timeout=30):
        """The path of a job on uid started at or after `since` (µs)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path, ifaces in ht.managed_objects(self.conn).items():
                j = ifaces.get(ht.JOB_IFACE)
                if (j and j['Unit'] == uid and j['Operation'] == op and j['StartTime'] >= since
                        and initiator in (None, j['Initiator'])):
                    return path
            time.sleep(0.05)
        self.fail(f'no {op} job on {uid} within {timeout} s')

    def insert_and_wait_add(self, uid, timeout=60):
        """Bring an ejected board or I/O unit back: the daemon adds it by
        itself (Initiator platform); returns that job's (path, State, Reason)."""
        since = GLib.get_real_time()
        ht.sim_ctl('insert', uid)
        job = self.find_job(uid, 'add', since, initiator='platform', timeout=timeout)
        return (job,) + self.wait_job_object(job, timeout)

    def cpus_online(self, uid):
        return self.prop(uid, 'CpusOnline')

    def restore_cpu(self, n):
        if os.path.exists(CPU.format(n)) and ht.read_sysfs(CPU.format(n)) != '1':
            ht.write_sysfs(CPU.format(n), '1')

    def restore_board(self, uid):
        """Cleanup: the board or I/O unit present and online again, whatever
        the test left (register it after start(): the daemon's own add job
        brings an ejected unit back)."""
        st = ht.sim_ctl('status').stdout
        line = next((l for l in st.splitlines() if l.startswith(uid + ' ')), '')
        if 'present' not in line:
            ht.sim_ctl('delay', '0')
            if uid.startswith('iou'):
                ht.sim_ctl('insert', uid)
            else:
                self.insert_and_wait_add(uid)
        if uid.startswith('iou'):
            return
        for b in MACHINE.blocks_of(uid):
            if ht.read_sysfs(MEM.format(b)) != 'online':
                ht.write_sysfs(MEM.format(b), 'online_movable')
        for c in MACHINE.cpus_of(uid):
            self.restore_cpu(c)
