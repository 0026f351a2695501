#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Cockpit page (data/cockpit/) in a real cockpit-ws and headless
Chromium, driven through selenium, on the simulated 'default' server: the
page shows the machine, a board the simulator pulls leaves "online" within a
second, a remove and an add started from the page run their hooks and the
page shows each phase, a veto and a busy unit are shown with their reasons
(and the busy one removed anyway), a switchover waits for a hook with the
reason shown and is cancelled, polkit's refusal is shown, a replace window
is ended with Resume, and the page reads a restarted daemon afresh.

One cockpit-ws (its bridge on the test's private system bus, the package
made visible through XDG_DATA_HOME) and one browser session serve every
check.  A screenshot of the page is kept in the build directory
(cockpit-page.png).  Skips, saying why, without root, cockpit-ws,
cockpit-bridge, chromium, chromium-driver or python3-selenium, and outside
the simulator.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402

MACHINE = ht.Machine('default')
PAGE_DIR = os.path.join(ht.SRC, 'data', 'cockpit')
COCKPIT_WS = '/usr/lib/cockpit/cockpit-ws'
NEEDED = ((COCKPIT_WS, 'cockpit-ws'), ('/usr/bin/cockpit-bridge', 'cockpit-bridge'),
          ('/usr/bin/chromium', 'chromium'), ('/usr/bin/chromedriver', 'chromium-driver'))
SCREENSHOT = os.path.join(ht.BUILD, 'cockpit-page.png')
# the simulator's preload is for the daemon's view of /sys, not for the
# web server and the browser
NO_PRELOAD = ('LD_PRELOAD', 'UMOCKDEV_DIR')

# each hook logs its run; pre-remove vetoes while the veto file exists (its
# content is the reason); the sleep keeps each phase on screen a moment
HOOK = '''#!/bin/sh
echo "$HOTPLUG_EVENT $HOTPLUG_UNIT $(basename "$0")" >> {log}
if [ "$HOTPLUG_EVENT" = pre-remove ] && [ -e {veto} ]; then
  echo "reason=$(cat {veto})"
  exit 1
fi
sleep 0.3
'''

HOLD = '''#!/bin/sh
if [ -e {hold} ]; then
  echo "reason=$(cat {hold})"
  exit 75
fi
'''


def why_not():
    """Why the test cannot run here, or None."""
    if not ht.in_simulator():
        return 'runs under hotplug-sim'
    if os.geteuid() != 0:
        return 'needs root (private system bus, polkit mock, simulated server)'
    for path, package in NEEDED:
        if not os.access(path, os.X_OK):
            return f'{path} is missing (Debian package {package})'
    try:
        import selenium  # noqa: F401
    except ImportError:
        return 'selenium is missing (Debian package python3-selenium)'
    return None


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class CockpitPage(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        reason = why_not()
        if reason:
            raise unittest.SkipTest(reason)
        cls.procs = []
        cls.measured = []
        cls.screenshot_taken = False
        cls.tmp = tempfile.mkdtemp(prefix='hotplug-cockpit.')
        os.chmod(cls.tmp, 0o755)
        try:
            cls.start_daemon()
            cls.start_cockpit()
            cls.start_browser()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_daemon(cls):
        cls.log = os.path.join(cls.tmp, 'hooks.log')
        cls.veto = os.path.join(cls.tmp, 'veto')
        hookdir = os.path.join(cls.tmp, 'hooks.d')
        for event in ('pre-remove', 'post-remove', 'remove-failed', 'pre-add', 'post-add', 'add-failed'):
            d = os.path.join(hookdir, 'any', event)
            os.makedirs(d, 0o755)
            with open(os.path.join(d, '10-log'), 'w') as f:
                f.write(HOOK.format(log=cls.log, veto=cls.veto))
            os.chmod(os.path.join(d, '10-log'), 0o755)
        # a hook the daemon refuses: writable by its group
        cls.refused = os.path.join(hookdir, 'any', 'pre-add', '20-group-writable')
        shutil.copy(os.path.join(hookdir, 'any', 'pre-add', '10-log'), cls.refused)
        os.chmod(cls.refused, 0o775)
        # a pre-switchover hook that answers "not yet" while the hold file
        # exists (its content is the reason)
        cls.hold = os.path.join(cls.tmp, 'hold')
        d = os.path.join(hookdir, 'domain', 'pre-switchover')
        os.makedirs(d, 0o755)
        with open(os.path.join(d, '10-hold'), 'w') as f:
            f.write(HOLD.format(hold=cls.hold))
        os.chmod(os.path.join(d, '10-hold'), 0o755)
        for d in (hookdir, os.path.join(hookdir, 'any'), os.path.join(hookdir, 'domain')):
            os.chmod(d, 0o755)
        # the simulator changes a link's state in sysfs alone (no routing
        # socket message, as the kernel would send): the periodic refresh
        # is what sees it
        conf = os.path.join(cls.tmp, 'hotplugd.conf')
        with open(conf, 'w') as f:
            f.write('[blockers]\nrefresh-interval=0.5\n')
        cls.env = ht.Environment(polkit='allow', daemon_args=['--config', conf],
                                 daemon_env={'HOTPLUG_HOOKS_DIR': hookdir})
        cls.env.__enter__()

    @classmethod
    def spawn(cls, argv, env, name):
        log = open(os.path.join(cls.tmp, name + '.log'), 'w')
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        cls.procs.append((proc, log))
        return proc

    @classmethod
    def start_cockpit(cls):
        env = {k: v for k, v in os.environ.items() if k not in NO_PRELOAD}
        # the bridge's own session bus, so that it starts no helpers of its own
        session = cls.spawn(['dbus-daemon', '--session', '--nofork', '--nopidfile',
                             f'--address=unix:path={cls.tmp}/session_bus_socket'], env, 'session-bus')
        ht.wait_until(lambda: os.path.exists(f'{cls.tmp}/session_bus_socket') or session.poll() is not None,
                      10, 'the session bus')
        # the package, where Cockpit looks for a user's packages
        data = os.path.join(cls.tmp, 'data')
        os.makedirs(os.path.join(data, 'cockpit'))
        os.symlink(PAGE_DIR, os.path.join(data, 'cockpit', 'hotplugd'))
        env.update(XDG_DATA_HOME=data, LANG='C.UTF-8', SSH_AUTH_SOCK='/dev/null',
                   DBUS_SESSION_BUS_ADDRESS=f'unix:path={cls.tmp}/session_bus_socket')
        cls.port = free_port()
        # a local session: the bridge runs as the caller (root), no login
        ws = cls.spawn([COCKPIT_WS, '--no-tls', '--local-session=cockpit-bridge',
                        '--port', str(cls.port), '--address', '127.0.0.1'], env, 'cockpit-ws')

        def listening():
            if ws.poll() is not None:
                raise RuntimeError(f'cockpit-ws exited with {ws.returncode}: {cls.read_log("cockpit-ws")}')
            with socket.socket() as s:
                return s.connect_ex(('127.0.0.1', cls.port)) == 0
        ht.wait_until(listening, 10, 'cockpit-ws listening')

    @classmethod
    def start_browser(cls):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        opts = Options()
        opts.binary_location = '/usr/bin/chromium'
        for arg in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                    '--disable-background-networking', '--disable-component-update', '--disable-sync',
                    '--disable-dev-shm-usage', f'--user-data-dir={cls.tmp}/chromium', '--window-size=1400,2600'):
            opts.add_argument(arg)
        opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        env = {k: v for k, v in os.environ.items() if k not in NO_PRELOAD}
        service = Service('/usr/bin/chromedriver', log_output=os.path.join(cls.tmp, 'chromedriver.log'), env=env)
        cls.driver = webdriver.Chrome(service=service, options=opts)
        t0 = time.monotonic()
        cls.driver.get(f'http://127.0.0.1:{cls.port}/cockpit/@localhost/hotplugd/index.html')
        cls.wait_page(lambda d: d.find_element('tag name', 'body').get_attribute('data-ready'), 30, 'the page ready')
        cls.measured.append(f'the page was ready {time.monotonic() - t0:.2f} s after it was opened')
        ready = cls.driver.find_element('tag name', 'body').get_attribute('data-ready')
        if ready != 'yes':
            raise RuntimeError(f'the page did not reach hotplugd: {cls.driver.find_element("id", "daemon-problem").text}'
                               f' {cls.driver.get_log("browser")}')

    @classmethod
    def wait_page(cls, pred, timeout, what, poll=0.05):
        from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            return WebDriverWait(cls.driver, timeout, poll_frequency=poll,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(pred)
        except TimeoutException:
            raise AssertionError(f'timed out after {timeout} s waiting for {what}; browser console: '
                                 f'{cls.driver.get_log("browser")}') from None

    @classmethod
    def screenshot(cls):
        cls.driver.save_screenshot(SCREENSHOT)
        cls.screenshot_taken = True
        cls.measured.append(f'screenshot: {SCREENSHOT}')

    @classmethod
    def read_log(cls, name):
        try:
            with open(os.path.join(cls.tmp, name + '.log')) as f:
                return f.read()
        except OSError:
            return ''

    @classmethod
    def tearDownClass(cls):
        driver = getattr(cls, 'driver', None)
        if driver:
            try:
                if not cls.screenshot_taken:
                    cls.screenshot()
            finally:
                driver.quit()
            cls.driver = None
        # after the last result line (tools/testlog-summary reads those)
        for line in cls.measured:
            print(line, file=sys.stderr)
        for proc, log in reversed(cls.procs):
            ht.terminate(proc, 5)
            log.close()
        cls.procs = []
        if getattr(cls, 'env', None):
            cls.env.close()
            cls.env = None
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- helpers ------------------------------------------------------------

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def text(self, css):
        """Text of the first element matching css, or None."""
        return self.js('const e = document.querySelector(arguments[0]); return e ? e.textContent : null;', css)

    def texts(self, css):
        return self.js('return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);', css)

    def unit_state(self, uid):
        return self.text(f'tr[data-unit="{uid}"] [data-field="state"]')

    def click(self, css):
        """Click what css names, as a user would; the page re-renders rows
        when the daemon reports a change, so a vanished element is looked
        up again."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By
        for _ in range(20):
            try:
                self.driver.find_element(By.CSS_SELECTOR, css).click()
                return
            except StaleElementReferenceException:
                time.sleep(0.05)
        self.fail(f'{css} kept changing under the click')

    def confirm(self):
        self.wait_page(lambda d: self.js('return document.getElementById("dialog").open'), 5, 'the dialog')
        self.click('#dialog-ok')
        self.wait_page(lambda d: not self.js('return document.getElementById("dialog").open'), 5, 'the dialog closed')

    def hook_runs(self, uid):
        try:
            with open(self.log) as f:
                return [line.split()[0] for line in f.read().splitlines() if line.split()[1] == uid]
        except FileNotFoundError:
            return []

    def record_phases(self, uid):
        """Collect, in the page, every phase its live jobs table shows for
        a job on uid, as the rows change."""
        self.js('''
            const uid = arguments[0];
            window.seenPhases = [];
            window.seenHooks = new Set();
            const look = () => {
                const row = `#jobs-body tr[data-unit="${uid}"]`;
                for (const e of document.querySelectorAll(`${row} [data-field="phase"]`)) {
                    const p = e.textContent;
                    if (p && window.seenPhases[window.seenPhases.length - 1] !== p)
                        window.seenPhases.push(p);
                }
                for (const e of document.querySelectorAll(`${row} [data-field="hook"]`)) {
                    if (e.textContent)
                        window.seenHooks.add(e.textContent);
                }
            };
            if (window.phaseObserver)
                window.phaseObserver.disconnect();
            window.phaseObserver = new MutationObserver(look);
            window.phaseObserver.observe(document.getElementById("jobs-body"),
                                         { subtree: true, childList: true, characterData: true });
        ''', uid)

    def run_from_page(self, uid, action, state='succeeded', timeout=60):
        """Start ACTION on uid with its button and the dialog; wait for the
        page's record of the job to end in STATE; returns (the phases the
        live table showed, the record's element text)."""
        self.record_phases(uid)
        before = set(self.texts(f'#job-history [data-unit="{uid}"]'))
        self.click(f'tr[data-unit="{uid}"] button[data-action="{action}"]')
        self.confirm()
        css = f'#job-history .job-log[data-unit="{uid}"]'
        done = self.wait_page(lambda d: [t for t in self.texts(css + ':not([data-state="running"])') if t not in before],
                              timeout, f'{action} of {uid} to end')
        self.assertIn(f'— {state}', done[0])
        return self.js('return window.seenPhases'), done[0]

    # --- checks -------------------------------------------------------------

    def test_1_machine(self):
        """Every unit and domain of the machine, where it belongs in the
        tree, with its state; memory as lsmem ranges; nested devices; the
        hooks with the refused one and its reason."""
        self.assertIn('simulated server', self.text('#daemon-info'))
        for uid, unit in MACHINE.units.items():
            self.assertEqual(self.unit_state(uid), unit['State'], uid)
        self.assertEqual(self.unit_state('cpu0'), 'online')
        self.assertEqual(self.texts('tr.group[data-group="boards"] ~ tr.level-1[data-kind="sb"] strong'),
                         ['sb0', 'sb1', 'sb2', 'sb3'])
        for did, dom in MACHINE.domains.items():
            self.assertEqual(self.text(f'tr[data-domain="{did}"] [data-field="state"]'), 'connected')
            self.assertIn(', '.join(dom['Slots']), self.text(f'tr[data-domain="{did}"] [data-field="details"]'))
        # slots sit in their I/O unit, one level down, each device below its
        # bridge; rows in tree order
        rows = self.js('return [...document.querySelectorAll("#units-body tr")].map('
                       'r => [r.dataset.unit || r.dataset.device || r.dataset.memory || "", r.className]);')
        order = [r[0] for r in rows]
        i = order.index('iou0')
        self.assertEqual(order[i:i + 10], ['iou0', '0000:80:01.0', '0000:80:02.0', 'slot-3', '0000:81:00.0',
                                           '0000:82:08.0', '0000:83:00.0', '0000:82:10.0', '0000:84:00.0', 'slot-4'])
        levels = {r[0]: r[1] for r in rows}
        self.assertIn('level-2', levels['slot-3'])
        self.assertIn('level-3', levels['0000:81:00.0'])
        self.assertIn('level-4', levels['0000:82:08.0'])
        self.assertIn('level-5', levels['0000:83:00.0'])
        # sb0: blocks 8-71 of 1 GiB, as lsmem prints them
        blocks = MACHINE.blocks_of('sb0')
        mem = self.text('tr[data-memory="sb0"]')
        start, end = blocks[0] * MACHINE.block_size, (blocks[-1] + 1) * MACHINE.block_size - 1
        self.assertIn(f'0x{start:016x}-0x{end:016x}', mem)
        self.assertIn(f'64G', mem)
        self.assertIn(f'blocks {blocks[0]}-{blocks[-1]}', mem)
        self.assertIn('online', mem)
        self.assertIn('CPUs 4-19 (16 of 16 online)', self.text('tr[data-unit="sb0"] [data-field="details"]'))
        # the hooks that would run, the refused one with the daemon's reason
        self.assertEqual(self.text('#hooks-body tr[data-hook="10-log"][data-event="pre-remove"] [data-field="status"]'),
                         'runnable')
        refused = '#hooks-body tr[data-hook="20-group-writable"]'
        self.assertEqual(self.text(refused + ' [data-field="status"]'), 'refused')
        self.assertIn('writable', self.text(refused + ' [data-field="reason"]'))

    def test_2_pulled_board_leaves_online(self):
        """hotplug-sim ctl pull sb3: the page shows it absent within a
        second, without a reload."""
        self.assertEqual(self.unit_state('sb3'), 'online')
        t0 = time.monotonic()
        ht.sim_ctl('pull', 'sb3')
        self.wait_page(lambda d: self.unit_state('sb3') != 'online', 5, 'sb3 to leave online', poll=0.01)
        elapsed = time.monotonic() - t0
        self.measured.append(f'sb3 left "online" on the page {elapsed * 1000:.0f} ms after the pull')
        self.assertLess(elapsed, 1.0)
        self.wait_page(lambda d: self.unit_state('sb3') == 'absent', 5, 'sb3 absent')
        self.assertEqual(self.text('tr[data-unit="sb3"] [data-field="details"]'), '')

    def test_3_remove_and_add_from_the_page(self):
        """A remove of slot-4 started with the page's button runs its hooks,
        the live jobs table shows each phase and the job's record its steps
        and hooks; an add brings it back the same way."""
        ht.sim_ctl('delay', '300')          # the kernel's part lasts long enough to be seen
        self.addCleanup(ht.sim_ctl, 'delay', '0')
        phases, record = self.run_from_page('slot-4', 'remove')
        self.assertEqual(self.hook_runs('slot-4'), ['pre-remove', 'post-remove'])
        self.assertEqual(phases, ['pre-remove', 'disable', 'post-remove'])
        # the hook running, while it ran
        self.assertEqual(self.js('return [...window.seenHooks]'), ['10-log'])
        self.assertIn('pre-remove → disable → post-remove', record)
        self.assertIn('pre-remove 10-log: ok', record)
        self.assertIn('post-remove 10-log: ok', record)
        self.assertEqual(self.unit_state('slot-4'), 'offline')
        self.assertEqual(self.text('tr[data-unit="slot-4"] [data-field="lastjob"]'), 'remove succeeded')

        phases, record = self.run_from_page('slot-4', 'add')
        self.assertEqual(self.hook_runs('slot-4'), ['pre-remove', 'post-remove', 'pre-add', 'post-add'])
        self.assertEqual(phases, ['pre-add', 'enable', 'post-add'])
        self.assertIn('pre-add 10-log: ok', record)
        self.wait_page(lambda d: self.unit_state('slot-4') == 'online', 5, 'slot-4 online')
        self.assertEqual(self.texts('tr[data-unit="slot-4"] + tr[data-device] td.name'), ['0000:86:00.0'])

    def test_4_veto_shows_its_reason(self):
        """A pre-remove hook that vetoes: the page says so with the hook's
        reason, and the unit stays online."""
        reason = 'the batch run on slot-6 is not finished'
        with open(self.veto, 'w') as f:
            f.write(reason)
        self.addCleanup(os.unlink, self.veto)
        _, record = self.run_from_page('slot-6', 'remove', state='vetoed')
        self.assertIn(reason, record)
        alert = self.wait_page(lambda d: [t for t in self.texts('[data-alert="veto"]') if reason in t], 5,
                               'the veto alert')
        self.assertIn('remove of slot-6 vetoed', alert[0])
        self.assertEqual(self.text('tr[data-unit="slot-6"] [data-field="lastjob"]'), f'remove vetoed: {reason}')
        self.assertEqual(self.unit_state('slot-6'), 'online')
        # the veto ends the remove: its failure hooks run, nothing else
        self.assertEqual(self.hook_runs('slot-6'), ['pre-remove', 'remove-failed'])

    def test_5_busy_shows_its_blockers(self):
        """A remove of a unit in use is refused before any job: the page
        shows Busy with what is in the way, on the unit and in the alert,
        whose button removes it anyway."""
        ht.sim_ctl('link', 'ens1f0', 'up')
        self.addCleanup(ht.sim_ctl, 'link', 'ens1f0', 'down')
        self.wait_page(lambda d: 'ens1f0' in (self.text('tr[data-unit="slot-1"] [data-field="blockers"]') or ''),
                       30, 'slot-1 blockers naming ens1f0')
        self.click('tr[data-unit="slot-1"] button[data-action="remove"]')
        self.confirm()
        alert = self.wait_page(lambda d: [t for t in self.texts('[data-alert="error"]') if 'slot-1' in t], 10,
                               'the Busy alert')
        self.assertIn('Busy', alert[0])
        self.assertIn('ens1f0', alert[0])
        self.assertIn('Remove anyway', alert[0])
        self.assertEqual(self.unit_state('slot-1'), 'online')
        self.assertEqual(self.hook_runs('slot-1'), [])
        # the alert's button removes it anyway, with force
        self.click('[data-alert="error"] button[data-action="alert"]')
        record = self.wait_page(lambda d: self.text('#job-history .job-log[data-unit="slot-1"]:not([data-state="running"])'),
                                30, 'the forced remove to end')
        self.assertIn('— succeeded', record)
        self.assertEqual(self.hook_runs('slot-1'), ['pre-remove', 'post-remove'])
        self.assertEqual(self.unit_state('slot-1'), 'offline')


    def test_6_pending_switchover_cancelled(self):
        """A switchover of domain 0001 started from the page waits for a
        pre-switchover hook that answers "not yet": the page shows the
        domain disconnecting and what is pending, with the hook's reason;
        the page's Cancel switchover brings the domain back."""
        reason = 'transaction 7 still in flight'
        with open(self.hold, 'w') as f:
            f.write(reason)
        self.addCleanup(lambda: os.path.exists(self.hold) and os.unlink(self.hold))
        self.click('tr[data-domain="0001"] button[data-action="switchover"]')
        self.confirm()
        pending = self.wait_page(lambda d: self.text('#jobs-body tr[data-unit="0001"] [data-field="pending"]'), 10,
                                 'the pending hook')
        self.assertIn('10-hold', pending)
        self.assertIn(reason, pending)
        self.assertIn('since', pending)
        self.assertEqual(self.text('#jobs-body tr[data-unit="0001"] [data-field="phase"]'), 'pre-switchover')
        self.assertEqual(self.text('tr[data-domain="0001"] [data-field="state"]'), 'disconnecting')
        # the page at its busiest: a job live, the alerts of the checks before
        self.screenshot()
        self.click('tr[data-domain="0001"] button[data-action="cancel-switchover"]')
        self.wait_page(lambda d: self.text('#job-history .job-log[data-unit="0001"]:not([data-state="running"])'), 30,
                       'the switchover to end')
        self.assertEqual(self.text('#job-history .job-log[data-unit="0001"] [data-field="state"]'), 'cancelled')
        self.wait_page(lambda d: self.text('tr[data-domain="0001"] [data-field="state"]') == 'connected', 10,
                       'domain 0001 connected again')
        self.assertEqual(self.text('tr[data-domain="0001"] [data-field="lastjob"]').split(':')[0],
                         'switchover cancelled')


    def test_7_polkit_says_no(self):
        """polkit refuses: the page shows NotAuthorized, and nothing runs."""
        self.env.polkit.set_allowed(False)
        self.addCleanup(self.env.polkit.set_allowed, True)
        self.click('tr[data-unit="cpu3"] button[data-action="remove"]')
        self.confirm()
        alert = self.wait_page(lambda d: [t for t in self.texts('[data-alert="error"]') if 'cpu3' in t], 10,
                               'the NotAuthorized alert')
        self.assertIn('Remove cpu3: NotAuthorized', alert[0])
        self.assertEqual(self.unit_state('cpu3'), 'online')
        self.assertEqual(self.hook_runs('cpu3'), [])

    def test_8_replace_resumed_from_the_page(self):
        """A replace of slot-5 from the page: the unit shows quiesced, the
        job its window and a Resume button, which ends the window."""
        self.click('tr[data-unit="slot-5"] button[data-action="replace"]')
        self.confirm()
        row = '#jobs-body tr[data-unit="slot-5"]'
        window = self.wait_page(lambda d: self.text(row + ' [data-field="window"]'), 30, 'the replace window')
        self.assertIn('window ends', window)
        self.assertEqual(self.unit_state('slot-5'), 'quiesced')
        self.click(row + ' button[data-action="resume"]')
        record = self.wait_page(lambda d: self.text('#job-history .job-log[data-unit="slot-5"]:not([data-state="running"])'),
                                30, 'the replace to end')
        self.assertIn('— succeeded', record)
        self.assertIn('post-replace', record)
        self.wait_page(lambda d: self.unit_state('slot-5') == 'online', 5, 'slot-5 online')
        """The daemon stops: the page says so; it starts again: the page
        reads the machine afresh by itself (a card pulled meanwhile shows
        absent)."""
        self.env.daemon.stop()
        self.wait_page(lambda d: self.js('return !document.getElementById("daemon-problem").hidden'), 10,
                       'the page to notice')
        self.assertEqual(self.text('#daemon-problem'), 'hotplugd is not running.')
        # what changed meanwhile is only in the new daemon's objects
        ht.sim_ctl('pull', 'slot-6')
        self.env.daemon.start()
        self.wait_page(lambda d: self.js('return document.body.dataset.ready === "yes" && '
                                         'document.getElementById("daemon-problem").hidden'), 30,
                       'the page with the daemon back')
        self.assertEqual(self.unit_state('slot-6'), 'absent')
        self.assertEqual(self.unit_state('slot-4'), 'online')
        self.assertEqual(self.unit_state('sb3'), 'absent')
        self.assertEqual(self.text('tr[data-domain="0001"] [data-field="state"]'), 'connected')


if __name__ == '__main__':
    ht.run_tests()
