#!/usr/bin/python3
# The Pacemaker resource agent pci-domain: its meta-data against the OCF
# DTD, validate-all, the exit codes of monitor for every connection state and
# for a missing daemon or domain (probes apart), start and stop (idempotent,
# the --timeout derived from Pacemaker's), then ocf-tester and crm_resource
# (--force-start, --force-check, --force-stop on a CIB file) as Pacemaker
# runs it.
#
# Under hotplug-sim (tests/integration/meson.build) the agent drives the real
# hotplugd on the simulated default machine (domain 0001, a pre-switchover
# hook that answers "not yet" once); elsewhere fake-hotplugd.py stands in,
# acting out the daemon's domain jobs.  Under hotplug-sim --machine host-a
# --fabric DIR it moves the domain to a second host (host-b) and back.  ocf-tester and crm_resource want the
# agent under /usr/lib/ocf/resource.d/hotplugd/: they run in a private mount
# namespace where a temp directory is bind-mounted over
# /usr/lib/ocf/resource.d, so the machine's own is never touched; without
# root, unshare or the Pacemaker tools they skip and say why.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..', 'ctl'))
import hotplugtest as ht  # noqa: E402

# data/ocf/pci-domain.in as meson configures it for this build (not
# executable there: the tests run a copy)
BUILT_AGENT = os.environ.get('HOTPLUG_OCF_AGENT', os.path.join(ht.BUILD, 'tests', 'ocf', 'pci-domain'))
AGENT_DIR = tempfile.mkdtemp(prefix='hotplug-ocf-agent.')
AGENT = os.path.join(AGENT_DIR, 'pci-domain')
PROVIDER_DIR = '/usr/lib/ocf/resource.d'
DTD = '/usr/share/resource-agents/ra-api-1.dtd'
OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_ARGS, OCF_ERR_UNIMPLEMENTED = 0, 1, 2, 3
OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED, OCF_NOT_RUNNING = 5, 6, 7
DOMAIN_PATH = '/org/hotplugd/Hotplug1/domain/'

# A pre-switchover hook that answers "not yet" the first time it is asked.
NOT_YET_HOOK = '''#!/bin/sh
if [ ! -e {marker} ]; then
    : > {marker}
    echo "reason=transaction 42 in flight"
    exit 75
fi
exit 0
'''


class FakeDaemon:
    '''fake-hotplugd.py on a bus of its own, acting out domain jobs.'''

    real = False

    def __init__(self):
        import ctltest
        self.bus = ctltest.Bus()
        self.address = self.bus.address
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self.proc = subprocess.Popen(['/usr/bin/python3', ctltest.FAKE], stdout=subprocess.PIPE, env=env,
                                     universal_newlines=True)
        if self.proc.stdout.readline().strip() != 'READY':
            self.close()
            raise RuntimeError('fake-hotplugd did not start')
        import dbus
        self.dbus = dbus
        self.conn = dbus.bus.BusConnection(self.address)
        self.test = dbus.Interface(self.conn.get_object(ht.BUS_NAME, ht.MANAGER_PATH), 'org.hotplugd.Test')

    def reset(self):
        self.test.Reset()
        self.test.SetJobScript(json.dumps({'model': True}))

    def set_state(self, domain, state):
        self.test.SetProperty(self.dbus.ObjectPath(DOMAIN_PATH + domain), ht.DOMAIN_IFACE,
                              'ConnectionState', self.dbus.String(state))

    def calls(self):
        return json.loads(self.test.GetCalls())

    def close(self):
        if getattr(self, 'conn', None) is not None:
            self.conn.close()
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        self.bus.stop()


class RealDaemon:
    '''hotplugd on the simulated server, with a pre-switchover hook.'''

    real = True

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix='hotplug-ocf-hooks.')
        os.chmod(self.root, 0o755)
        self.marker = os.path.join(self.root, 'asked')
        hookdir = os.path.join(self.root, 'hooks.d', 'domain', 'pre-switchover')
        os.makedirs(hookdir, 0o755)
        for d in (os.path.join(self.root, 'hooks.d'), os.path.dirname(hookdir), hookdir):
            os.chmod(d, 0o755)
        self.hook = os.path.join(hookdir, '10-flush-tx')
        with open(self.hook, 'w') as f:
            f.write(NOT_YET_HOOK.format(marker=self.marker))
        os.chmod(self.hook, 0o755)
        self.env = ht.Environment(polkit='allow',
                                  daemon_env={'HOTPLUG_HOOKS_DIR': os.path.join(self.root, 'hooks.d')})
        self.env.__enter__()
        self.address = self.env.bus.address

    def reset(self):
        if os.path.exists(self.marker):
            os.unlink(self.marker)

    def close(self):
        self.env.close()
        shutil.rmtree(self.root, ignore_errors=True)


def copy_agent():
    '''The agent, executable, where nobody (ocf-tester) can run it.'''
    if not os.path.exists(BUILT_AGENT):
        raise RuntimeError('the agent is not built: ' + BUILT_AGENT)
    os.chmod(AGENT_DIR, 0o755)
    shutil.copy(BUILT_AGENT, AGENT)
    os.chmod(AGENT, 0o755)


def agent_env(address, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OCF_')}
    env['DBUS_SYSTEM_BUS_ADDRESS'] = address
    env['OCF_ROOT'] = '/usr/lib/ocf'
    env['OCF_RESOURCE_INSTANCE'] = 'pci0001'
    env['OCF_RESKEY_CRM_meta_interval'] = '10000'
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


class AgentTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        copy_agent()
        cls.daemon = RealDaemon() if ht.in_simulator() else FakeDaemon()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()

    def setUp(self):
        self.daemon.reset()
        self.tmp = tempfile.mkdtemp(prefix='hotplug-ocf.')
        os.chmod(self.tmp, 0o755)
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def agent(self, action, agent=AGENT, domain='0001', **extra):
        env = agent_env(self.daemon.address, OCF_RESKEY_domain=domain, **extra)
        return subprocess.run([agent, action], capture_output=True, text=True, env=env, timeout=120)

    def rc(self, action, **extra):
        return self.agent(action, **extra).returncode

    def state(self, domain='0001'):
        r = subprocess.run([ht.ctl_exe(), '--json', 'domains'], capture_output=True, text=True, timeout=30,
                           env=agent_env(self.daemon.address))
        self.assertEqual(r.returncode, 0, r.stderr)
        return {d['Id']: d['ConnectionState'] for d in json.loads(r.stdout)}.get(domain)

    def stop_domain(self):
        '''Back to stopped (the simulated server's domain starts inactive).'''
        self.assertEqual(self.rc('stop'), OCF_SUCCESS)


class TestAgent(AgentTestCase):
    def test_meta_data(self):
        r = self.agent('meta-data', domain=None)
        self.assertEqual((r.returncode, r.stderr), (0, ''))
        if os.path.exists(DTD) and shutil.which('xmllint'):
            v = subprocess.run(['xmllint', '--noout', '--valid', '-'], input=r.stdout, text=True,
                               capture_output=True, cwd=os.path.dirname(DTD))
            self.assertEqual(v.returncode, 0, v.stderr)
        root = ET.fromstring(r.stdout)
        self.assertEqual(root.get('name'), 'pci-domain')
        params = root.findall('parameters/parameter')
        self.assertEqual([(p.get('name'), p.get('required'), p.get('unique')) for p in params],
                         [('domain', '1', '1')])
        actions = {a.get('name'): a for a in root.findall('actions/action')}
        self.assertEqual(sorted(actions), ['meta-data', 'monitor', 'start', 'stop', 'validate-all'])
        seconds = {n: int(a.get('timeout').rstrip('s')) for n, a in actions.items()}
        # stop allows for hooks that answer "not yet" (hooks time out after 300 s)
        self.assertGreater(seconds['stop'], 300)
        self.assertGreaterEqual(seconds['start'], 60)
        self.assertEqual(actions['monitor'].get('interval'), '10s')

    def test_validate_all(self):
        self.assertEqual(self.rc('validate-all'), OCF_SUCCESS)
        self.assertEqual(self.rc('validate-all', domain='1'), OCF_SUCCESS)
        for domain in (None, '', '00001', 'x1', '0x1', '1 2', '-1'):
            r = self.agent('validate-all', domain=domain)
            self.assertEqual(r.returncode, OCF_ERR_CONFIGURED, domain)
            self.assertIn('domain', r.stderr)
        # hotplugctl not installed
        missing = os.path.join(self.tmp, 'pci-domain')
        with open(AGENT) as f:
            text = f.read()
        with open(missing, 'w') as f:
            f.write(text.replace('HOTPLUGCTL=' + ht.ctl_exe(), 'HOTPLUGCTL=' + self.tmp + '/no-hotplugctl'))
        os.chmod(missing, 0o755)
        self.assertEqual(self.agent('validate-all', agent=missing).returncode, OCF_ERR_INSTALLED)
        self.assertEqual(self.agent('start', agent=missing).returncode, OCF_ERR_INSTALLED)
        self.assertEqual(self.agent('monitor', agent=missing).returncode, OCF_ERR_INSTALLED)
        # a probe and a stop where the software is not installed: stopped
        self.assertEqual(self.agent('monitor', agent=missing, OCF_RESKEY_CRM_meta_interval='0').returncode,
                         OCF_NOT_RUNNING)
        self.assertEqual(self.agent('stop', agent=missing).returncode, OCF_SUCCESS)

    def test_usage(self):
        self.assertEqual(self.rc('promote'), OCF_ERR_UNIMPLEMENTED)
        r = subprocess.run([AGENT], capture_output=True, text=True, env=agent_env(self.daemon.address))
        self.assertEqual(r.returncode, OCF_ERR_ARGS)
        self.assertEqual(self.agent('usage', domain=None).returncode, OCF_SUCCESS)

    def test_start_stop(self):
        self.stop_domain()
        # the hook says "not yet" once more, to the stop below
        self.daemon.reset()
        self.assertEqual(self.rc('monitor'), OCF_NOT_RUNNING)
        self.assertEqual(self.rc('monitor', OCF_RESKEY_CRM_meta_interval='0'), OCF_NOT_RUNNING)
        r = self.agent('start', OCF_RESKEY_CRM_meta_timeout='30000')
        self.assertEqual(r.returncode, OCF_SUCCESS, r.stderr)
        self.assertIn('connect 0001 succeeded', r.stderr)
        self.assertEqual(self.state(), 'connected')
        self.assertEqual(self.rc('monitor'), OCF_SUCCESS)
        self.assertEqual(self.rc('start'), OCF_SUCCESS)
        r = self.agent('stop', OCF_RESKEY_CRM_meta_timeout='120000')
        self.assertEqual(r.returncode, OCF_SUCCESS, r.stderr)
        self.assertIn('switchover 0001 succeeded', r.stderr)
        # the hook that answered "not yet" was shown as pending
        self.assertIn('pending for', r.stderr)
        self.assertEqual(self.state(), 'disconnected')
        self.assertEqual(self.rc('monitor'), OCF_NOT_RUNNING)
        self.assertEqual(self.rc('stop'), OCF_SUCCESS)
        if not self.daemon.real:
            # the job's timeout is Pacemaker's less a margin; nothing is
            # asked where there is nothing to do
            self.assertEqual([(c['method'], c['options']) for c in self.daemon.calls()], [
                ('connect', {'timeout': ['u', 27]}),
                ('switchover', {'persist': ['b', True], 'timeout': ['u', 108]})])

    def test_without_daemon(self):
        import ctltest
        bus = ctltest.Bus()
        try:
            env = {'OCF_RESKEY_domain': '0001'}
            for action, interval, rc in (('monitor', '0', OCF_NOT_RUNNING), ('monitor', '10000', OCF_ERR_GENERIC),
                                         ('start', '0', OCF_ERR_GENERIC), ('stop', '0', OCF_ERR_GENERIC)):
                r = subprocess.run([AGENT, action], capture_output=True, text=True, timeout=60,
                                   env=agent_env(bus.address, OCF_RESKEY_CRM_meta_interval=interval, **env))
                self.assertEqual(r.returncode, rc, (action, interval, r.stderr))
        finally:
            bus.stop()


class TestAgentStates(AgentTestCase):
    '''Every connection state, set on fake-hotplugd (the real daemon
    reaches them only through its jobs: test_start_stop).'''

    def test_monitor_states(self):
        for state, rc in (('connected', OCF_SUCCESS), ('disconnecting', OCF_SUCCESS),
                          ('inactive', OCF_NOT_RUNNING), ('disconnected', OCF_NOT_RUNNING),
                          ('failed', OCF_ERR_GENERIC)):
            self.daemon.set_state('0001', state)
            self.assertEqual(self.rc('monitor'), rc, state)
            self.assertEqual(self.rc('monitor', OCF_RESKEY_CRM_meta_interval='0'), rc, state)
        # a domain this host does not have: a probe finds it stopped, a
        # recurring monitor fails, stop has nothing to do, start cannot here
        self.assertEqual(self.rc('monitor', domain='0002', OCF_RESKEY_CRM_meta_interval='0'), OCF_NOT_RUNNING)
        self.assertEqual(self.rc('monitor', domain='0002'), OCF_ERR_GENERIC)
        self.assertEqual(self.rc('stop', domain='0002'), OCF_SUCCESS)
        # (after waiting for it to appear: a second here)
        self.assertEqual(self.rc('start', domain='0002', OCF_RESKEY_CRM_meta_timeout='3000'), OCF_ERR_INSTALLED)

    def test_failed_domain(self):
        self.daemon.set_state('0001', 'failed')
        self.assertEqual(self.rc('monitor'), OCF_ERR_GENERIC)
        # start repairs it (connect)
        self.assertEqual(self.rc('start'), OCF_SUCCESS)
        self.assertEqual(self.state(), 'connected')


class TestTwoHosts(unittest.TestCase):
    '''The domain moved between two hosts as Pacemaker moves the resource:
    stop on host A, the platform hands the domain over, start on host B;
    and back (under hotplug-sim --machine host-a --fabric DIR, host B a
    peer on the same fabric).'''

    @classmethod
    def setUpClass(cls):
        copy_agent()
        cls.a = ht.Environment().__enter__()
        try:
            cls.b = ht.PeerHost('host-b').start()
        except BaseException:
            cls.a.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()
        cls.a.close()

    def agent(self, host, action, interval='10000'):
        address = self.a.bus.address if host == 'a' else self.b.bus_address
        r = subprocess.run([AGENT, action], capture_output=True, text=True, timeout=300,
                           env=agent_env(address, OCF_RESKEY_domain='0001', OCF_RESKEY_CRM_meta_timeout='60000',
                                         OCF_RESKEY_CRM_meta_interval=interval))
        return r.returncode

    def hand_over(self, sim_ctl, to):
        self.assertTrue(sim_ctl('handover', '0001').stdout.endswith('-> %s\n' % to))

    def test_move_and_back(self):
        self.assertEqual((self.agent('a', 'monitor'), self.agent('b', 'monitor')),
                         (OCF_SUCCESS, OCF_ERR_GENERIC))
        for there, here, sim_there, to in (('a', 'b', ht.sim_ctl, 'host-b'),
                                           ('b', 'a', self.b.sim_ctl, 'host-a')):
            self.assertEqual(self.agent(there, 'stop'), OCF_SUCCESS)
            self.assertEqual(self.agent(there, 'monitor'), OCF_NOT_RUNNING)
            # B has never seen the domain: its probe finds it stopped
            self.assertEqual(self.agent(here, 'monitor', interval='0'), OCF_NOT_RUNNING)
            self.hand_over(sim_there, to)
            self.assertEqual(self.agent(here, 'start'), OCF_SUCCESS)
            self.assertEqual(self.agent(here, 'monitor'), OCF_SUCCESS)
            self.assertEqual(self.agent(there, 'monitor'), OCF_NOT_RUNNING)
            # stopped where it is not: nothing to do
            self.assertEqual(self.agent(there, 'stop'), OCF_SUCCESS)


class TestPacemaker(AgentTestCase):
    '''ocf-tester and crm_resource, the agent installed in a private mount
    namespace.'''

    def setUp(self):
        super().setUp()
        missing = [t for t in ('unshare', 'ocf-tester', 'crm_resource', 'cibadmin') if not shutil.which(t)]
        if missing:
            self.skipTest('not installed: %s (packages resource-agents, pacemaker-cli-utils)' % ', '.join(missing))
        if os.geteuid() != 0:
            self.skipTest('needs root: the agent is bind-mounted under %s in a private mount namespace'
                          % PROVIDER_DIR)
        if not os.path.isdir(PROVIDER_DIR):
            self.skipTest(PROVIDER_DIR + ' does not exist (package resource-agents)')
        provider = os.path.join(self.tmp, 'resource.d', 'hotplugd')
        os.makedirs(provider)
        for d in (os.path.dirname(provider), provider):
            os.chmod(d, 0o755)
        shutil.copy(AGENT, os.path.join(provider, 'pci-domain'))
        os.chmod(os.path.join(provider, 'pci-domain'), 0o755)
        self.installed = os.path.join(PROVIDER_DIR, 'hotplugd', 'pci-domain')
        self.stop_domain()

    def pacemaker(self, script, **extra):
        '''Runs a shell script where the agent is installed.'''
        mount = 'mount --bind %s %s && ' % (os.path.join(self.tmp, 'resource.d'), PROVIDER_DIR)
        env = agent_env(self.daemon.address, **extra)
        for k in [k for k in env if k.startswith('OCF_')]:
            del env[k]
        return subprocess.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', mount + script],
                              capture_output=True, text=True, env=env, timeout=600, cwd=self.tmp)

    def test_ocf_tester(self):
        r = self.pacemaker('ocf-tester -n pci0001 -o domain=0001 ' + self.installed)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('passed all tests', r.stdout + r.stderr)
        self.assertFalse(os.path.exists(os.path.join(PROVIDER_DIR, 'hotplugd')),
                         'the machine\'s own provider directory was touched')

    def test_crm_resource(self):
        cib = os.path.join(self.tmp, 'cib.xml')
        primitive = ('<primitive id="pci0001" class="ocf" provider="hotplugd" type="pci-domain">'
                     '<instance_attributes id="pci0001-ia"><nvpair id="pci0001-domain" name="domain" value="1"/>'
                     '</instance_attributes><operations>'
                     '<op id="pci0001-start" name="start" interval="0" timeout="60s"/>'
                     '<op id="pci0001-stop" name="stop" interval="0" timeout="120s"/>'
                     '</operations></primitive>')
        script = ('cibadmin --empty > cib.xml && cibadmin -C -o resources -X \'%s\' && '
                  'crm_resource --force-check -r pci0001; echo "check $?"; '
                  'crm_resource --force-start -r pci0001; echo "start $?"; '
                  'crm_resource --force-check -r pci0001; echo "check $?"; '
                  'crm_resource --force-start -r pci0001; echo "start $?"; '
                  'crm_resource --force-stop -r pci0001; echo "stop $?"; '
                  'crm_resource --force-check -r pci0001; echo "check $?"; '
                  'crm_resource --force-stop -r pci0001; echo "stop $?"' % primitive)
        r = self.pacemaker(script, CIB_file=cib)
        results = [line for line in r.stdout.splitlines() if line.split(' ')[0] in ('check', 'start', 'stop')
                   and len(line.split(' ')) == 2]
        self.assertEqual(results, ['check 7', 'start 0', 'check 0', 'start 0', 'stop 0', 'check 7', 'stop 0'],
                         r.stdout + r.stderr)
        self.assertEqual(self.state(), 'disconnected')


def load_tests(loader, tests, pattern):
    """The states only where they can be set (on fake-hotplugd), two hosts
    only where the simulator has a fabric."""
    suite = unittest.TestSuite()
    if os.environ.get('HOTPLUG_SIM_FABRIC'):
        cases = (TestTwoHosts,)
    else:
        cases = (TestAgent, TestPacemaker) + (() if ht.in_simulator() else (TestAgentStates,))
    for case in cases:
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


if __name__ == '__main__':
    try:
        unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
    finally:
        shutil.rmtree(AGENT_DIR, ignore_errors=True)
