#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hotplugd as a distribution ships it, inside a real systemd.

Boots this machine's own /usr with systemd as PID 1 in a container
(systemd-nspawn --volatile=yes: /etc and /var are fresh, /usr is a
throw-away overlay; the host's /usr, /etc and /var are never written),
installs the project there with `meson install` (a build with prefix
/usr), and checks, under the shipped unit and D-Bus activation, that
hooks run as transient units with the rights of a system service.

/sys is read-only in the container, so hooks are driven by real but
harmless operations: `hotplugctl remove cpuN --dry-run` (only the pre-*
hooks run), and a real remove of a CPU, which fails at its kernel step
(the offline write is refused) and so runs the remove-failed hooks: the
pair a site's 50-stop-services/50-start-services needs.  The simulator
is not used: under it the daemon talks to a private bus without systemd,
so hooks would not run as units.

Needs root and systemd-nspawn (package systemd-container): without
them it says why and counts as skipped (exit 77)."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotplugcontainer import SKIP, SRC, Container, build_package, skip_reason  # noqa: E402


HOOK_ROOT = '/etc/hotplugd/hooks.d'


class InsideSystemd(unittest.TestCase):
    ct = None

    @classmethod
    def setUpClass(cls):
        build = build_package()
        binds = [os.path.realpath(SRC)]
        if not os.path.realpath(build).startswith(os.path.realpath(SRC) + '/'):
            binds.append(os.path.realpath(build))
        cls.ct = Container(binds)
        cls.addClassCleanup(cls.ct.stop)
        cls.ct.wait_booted()
        cls.ct.run(['meson', 'install', '-C', build, '--no-rebuild', '--quiet'], timeout=120)
        cls.ct.run(['systemctl', 'daemon-reload'])
        # a CPU other than cpu0, the one the operations are tried on
        cpus = sorted(int(c[3:]) for c in os.listdir('/sys/devices/system/cpu') if re.fullmatch(r'cpu\d+', c))
        cls.cpu = f'cpu{cpus[-1]}' if len(cpus) > 1 else None
        # a service the hooks restart or stop; it records its starts and stops
        cls.ct.sh("cat > /etc/systemd/system/hp-dummy.service <<'EOF'\n"
                  "[Service]\n"
                  "ExecStartPre=/bin/sh -c 'echo start >> /run/hp-dummy.log'\n"
                  "ExecStart=/bin/sleep infinity\n"
                  "ExecStopPost=/bin/sh -c 'echo stop >> /run/hp-dummy.log'\n"
                  "EOF\n"
                  "systemctl daemon-reload && systemctl start hp-dummy.service")

    def hook(self, kind, event, name, body):
        path = f'{HOOK_ROOT}/{kind}/{event}/{name}'
        self.ct.sh(f"mkdir -p {HOOK_ROOT}/{kind}/{event} && cat > {path} <<'EOF'\n#!/bin/sh\n{body}\nEOF\n"
                   f"chmod 755 {path}")
        self.addCleanup(self.ct.run, ['rm', '-f', path])

    def need_cpu(self):
        if self.cpu is None:
            self.skipTest('this machine has one CPU: no CPU to try a remove on')

    def test_0_activated_over_dbus_under_the_shipped_unit(self):
        self.assertEqual(self.ct.run(['systemctl', 'is-active', 'hotplugd.service'], check=False).stdout.strip(),
                         'inactive')
        self.ct.run(['busctl', 'call', 'org.hotplugd.Hotplug1', '/org/hotplugd/Hotplug1',
                     'org.freedesktop.DBus.Peer', 'Ping'])
        show = self.ct.run(['systemctl', 'show', 'hotplugd.service', '-p', 'ActiveState,FragmentPath,StatusText'])
        self.assertIn('ActiveState=active', show.stdout)
        # /lib is /usr/lib where the file system is merged
        self.assertRegex(show.stdout, r'FragmentPath=(/usr)?/lib/systemd/system/hotplugd.service\n')
        self.assertIn('StatusText=ready', show.stdout)

    def test_1_hook_has_the_rights_of_a_system_service(self):
        self.need_cpu()
        self.hook('cpu', 'pre-remove', '10-rights', '''set -e
echo "hello from 10-rights"
mkdir -p /run/hp-test/mnt /var/lib/hp-test
echo ok > /run/hp-test/run
echo ok > /var/lib/hp-test/var
echo ok > /etc/hp-test-etc
systemctl restart hp-dummy.service
mount -t tmpfs hp-test-tmpfs /run/hp-test/mnt
echo mounted > /run/hp-test/mnt/x
cat /run/hp-test/mnt/x
umount /run/hp-test/mnt
echo done''')
        before = self.ct.run(['systemctl', 'show', '-p', 'MainPID', '--value', 'hp-dummy.service']).stdout
        r = self.ct.run(['hotplugctl', 'remove', self.cpu, '--dry-run'], check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('10-rights: ok', r.stdout)
        for path in ('/run/hp-test/run', '/var/lib/hp-test/var', '/etc/hp-test-etc'):
            self.assertEqual(self.ct.run(['cat', path]).stdout, 'ok\n', path)
        after = self.ct.run(['systemctl', 'show', '-p', 'MainPID', '--value', 'hp-dummy.service']).stdout
        self.assertNotEqual(before, after, 'hp-dummy.service was not restarted')
        # its output under its own name and under its unit's
        tagged = self.ct.run(['journalctl', '-t', '10-rights', '-o', 'cat', '--no-pager']).stdout
        self.assertIn('hello from 10-rights', tagged)
        self.assertIn('10-rights: done', tagged)
        by_unit = self.ct.run(['journalctl', '-u', 'hotplugd-hook-*-10-rights.service', '-o', 'cat',
                               '--no-pager']).stdout
        self.assertIn('10-rights: hello from 10-rights', by_unit)
        self.assertIn('10-rights: mounted', tagged)

    def test_2_stop_services_example_around_a_remove(self):
        self.need_cpu()
        mounts = self.ct.run(['findmnt', '-no', 'OPTIONS', '/sys']).stdout
        if not mounts.startswith('ro'):
            self.skipTest('/sys is writable in this container: a real remove would change the host')
        examples = '/usr/share/hotplugd/examples/hooks.d/any'
        for event, name in (('pre-remove', '50-stop-services'), ('post-remove', '50-start-services'),
                            ('remove-failed', '50-start-services')):
            dest = f'{HOOK_ROOT}/any/{event}'
            self.ct.sh(f'mkdir -p {dest} && cp {examples}/{event}/{name} {dest}/')
            self.addCleanup(self.ct.run, ['rm', '-f', f'{dest}/{name}'])
        self.ct.sh('echo hp-dummy.service > /etc/hotplugd/services-on-remove && : > /run/hp-dummy.log')
        self.addCleanup(self.ct.run, ['rm', '-f', '/etc/hotplugd/services-on-remove'])
        r = self.ct.run(['hotplugctl', 'remove', self.cpu], check=False)
        # the kernel step is refused (read-only /sys): remove-failed restarts
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('Read-only file system', r.stdout + r.stderr)
        self.assertIn('50-stop-services: ok', r.stdout)
        self.assertIn('50-start-services: ok', r.stdout)
        self.assertEqual(self.ct.run(['cat', '/run/hp-dummy.log']).stdout.split(), ['stop', 'start'])
        self.assertEqual(self.ct.run(['systemctl', 'is-active', 'hp-dummy.service']).stdout.strip(), 'active')
        said = self.ct.run(['journalctl', '-t', '50-stop-services', '-o', 'cat', '--no-pager']).stdout
        self.assertIn('stopped hp-dummy.service', said)
        # in a unit of its own, not a child of the daemon
        said = self.ct.run(['journalctl', '-u', 'hotplugd-hook-*-50-stop-services.service', '-o', 'cat',
                            '--no-pager']).stdout
        self.assertIn('50-stop-services: stopped hp-dummy.service', said)

    def test_3_hung_hook_killed_with_its_cgroup(self):
        self.need_cpu()
        self.ct.sh("printf '[hooks]\\nkill-grace=1\\n[hook 20-hang]\\ntimeout=2\\n' > /etc/hotplugd/hotplugd.conf"
                   " && systemctl reload hotplugd.service")
        self.addCleanup(self.ct.sh, 'rm -f /etc/hotplugd/hotplugd.conf && systemctl reload hotplugd.service')
        # a child in a session of its own that ignores SIGTERM: only the
        # cgroup still knows it belongs to the hook
        self.hook('cpu', 'pre-remove', '20-hang', '''trap '' TERM
setsid sh -c 'trap "" TERM; echo $$ > /run/hp-hang.child; sleep 300; echo survived > /run/hp-hang.survived' &
echo "hanging"
sleep 300''')
        start = time.monotonic()
        r = self.ct.run(['hotplugctl', 'remove', self.cpu, '--dry-run'], check=False)
        took = time.monotonic() - start
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('timed out after 2 s', r.stdout + r.stderr)
        self.assertLess(took, 15)
        child = self.ct.run(['cat', '/run/hp-hang.child']).stdout.strip()
        self.assertTrue(child.isdigit())
        self.assertEqual(self.ct.run(['kill', '-0', child], check=False).returncode, 1,
                         'the hook\'s child outlived it')
        units = self.ct.run(['systemctl', 'list-units', '--all', '--no-legend', 'hotplugd-hook-*']).stdout
        self.assertEqual(units.strip(), '')
        log = self.ct.run(['journalctl', '-u', 'hotplugd-hook-*-20-hang.service', '-o', 'cat', '--no-pager']).stdout
        self.assertIn('SIGKILL', log)

    def wait_for(self, what, check, timeout=15):
        end = time.monotonic() + timeout
        while not check():
            if time.monotonic() > end:
                self.fail(f'timed out waiting for {what}')
            time.sleep(0.1)

    def hook_units(self, name):
        return self.ct.run(['systemctl', 'list-units', '--no-legend', '--plain', '--state=active',
                            f'hotplugd-hook-*-{name}.service']).stdout.split()

    def test_4_recovery_kills_the_unit_of_a_hook_left_running(self):
        self.need_cpu()
        self.hook('cpu', 'pre-remove', '30-left-running', 'echo $$ > /run/hp-left.pid\nexec sleep 300')
        r = self.ct.run(['hotplugctl', 'remove', self.cpu, '--no-wait'], check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.wait_for('the hook\'s unit', lambda: self.hook_units('30-left-running'))
        unit = self.hook_units('30-left-running')[0]
        old = self.ct.run(['systemctl', 'show', '-p', 'MainPID', '--value', 'hotplugd.service']).stdout.strip()
        # the daemon dies; its hook, in a unit of its own, does not
        self.ct.run(['systemctl', 'kill', '-s', 'KILL', 'hotplugd.service'])
        self.wait_for('the restart of hotplugd', lambda: self.ct.run(
            ['systemctl', 'show', '-p', 'MainPID', '--value', 'hotplugd.service']).stdout.strip() not in ('0', old))
        # its next start ends the hook the dead daemon left running
        self.wait_for(f'{unit} to end', lambda: not self.hook_units('30-left-running'))
        pid = self.ct.run(['cat', '/run/hp-left.pid']).stdout.strip()
        self.assertEqual(self.ct.run(['kill', '-0', pid], check=False).returncode, 1)
        log = self.ct.run(['journalctl', '-u', 'hotplugd.service', '-o', 'cat', '--no-pager']).stdout
        self.assertIn(f'Killed unit {unit} of a hook left running', log)

    def test_5_exposure_online(self):
        r = self.ct.run(['systemd-analyze', 'security', '--no-pager', 'hotplugd.service'])
        m = re.search(r'Overall exposure level for hotplugd.service: ([0-9.]+)', r.stdout)
        self.assertIsNotNone(m, r.stdout[-500:])
        print(f'\nsystemd-analyze security (online, in the container): hotplugd.service {m.group(1)}',
              file=sys.stderr)
        self.assertLess(float(m.group(1)), 2.6)


if __name__ == '__main__':
    why = skip_reason()
    if why:
        print(f'SKIP: {why}')
        sys.exit(SKIP)
    unittest.main(verbosity=2)
