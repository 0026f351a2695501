#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The bash completion of hotplugctl (data/bash-completion/hotplugctl)
without a daemon: commands, each command's options, option values, the
words bash splits at '=', and what `meson install` puts where
bash-completion's loader finds it.  Bash runs the completion function as
readline would: COMP_WORDS and COMP_CWORD set, COMPREPLY read back; and
Tab typed into an interactive bash on a pseudo-terminal.  The ids a daemon
answers with are tests/integration/test-completion.py."""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ['HOTPLUG_SOURCE_DIR']
BUILD = os.environ['HOTPLUG_BUILD_DIR']
SCRIPT = os.path.join(SRC, 'data', 'bash-completion', 'hotplugctl')
HOTPLUGCTL = os.environ.get('HOTPLUGCTL') or os.path.join(BUILD, 'src', 'ctl', 'hotplugctl')

UNIT_EVENTS = ['pre-add', 'post-add', 'add-failed', 'pre-remove', 'post-remove', 'remove-failed',
               'pre-replace', 'post-replace', 'replace-failed']
DOMAIN_EVENTS = ['pre-switchover', 'post-switchover', 'switchover-failed', 'post-connect']

# COMP_WORDS from the arguments, the last one the word under the cursor;
# one candidate per line on stdout
DRIVER = '''
source "$SCRIPT" || exit 2
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_hotplugctl
status=$?
[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\\n' "${COMPREPLY[@]}"
exit $status
'''


def complete(*words, env=None, script=SCRIPT):
    """The candidates bash offers for hotplugctl WORDS... (the last word is
    the one completed; '' for an empty one).  hotplugctl is found on PATH,
    as in a shell."""
    e = dict(env if env is not None else os.environ)
    e['PATH'] = os.path.dirname(HOTPLUGCTL) + os.pathsep + e.get('PATH', '/usr/bin:/bin')
    e['SCRIPT'] = script
    r = subprocess.run(['bash', '--norc', '--noprofile', '-c', DRIVER, 'bash', 'hotplugctl'] + list(words),
                       capture_output=True, text=True, env=e, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f'completing {words}: exit {r.returncode}: {r.stderr}')
    return r.stdout.splitlines()


def no_bus_env():
    """The environment of a shell with no hotplugd to ask: a system bus
    address where nothing listens."""
    d = tempfile.mkdtemp(prefix='hotplug-nobus.')
    return d, dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f'unix:path={d}/none')


class Offline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.env = no_bus_env()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def c(self, *words):
        return complete(*words, env=self.env)

    def help_commands(self):
        r = subprocess.run([HOTPLUGCTL, '--help'], capture_output=True, text=True,
                           env=dict(self.env, LC_ALL='C'), check=True)
        section = r.stdout.split('Commands:\n', 1)[1]
        return [m.group(1) for m in re.finditer(r'^  (\S+)  ', section, re.M)]

    def test_commands(self):
        commands = self.help_commands()
        for c in ('status', 'show', 'add', 'remove', 'replace', 'jobs', 'cancel', 'monitor', 'hooks',
                  'domains', 'switchover', 'cancel-switchover', 'connect', 'slots'):
            self.assertIn(c, commands)
        self.assertEqual(self.c(''), commands)
        self.assertEqual(self.c('re'), ['remove', 'replace'])
        self.assertEqual(sorted(self.c('cancel')), ['cancel', 'cancel-switchover'])
        # hotplugctl's own options before the command
        self.assertEqual(self.c('--json', 'sl'), ['slots'])
        self.assertEqual(self.c('-j', 'dom'), ['domains'])
        self.assertEqual(self.c('nothing-like-it'), [])

    def test_global_options(self):
        self.assertEqual(sorted(self.c('-')), ['--help', '--json', '--version'])
        self.assertEqual(self.c('--v'), ['--version'])

    def test_command_options(self):
        remove = self.c('remove', '-')
        for o in ('--no-wait', '--force', '--dry-run', '--strict', '--no-eject', '--timeout=', '--help'):
            self.assertIn(o, remove)
        self.assertNotIn('--no-eject', self.c('add', '-'))
        self.assertNotIn('--timeout', remove, 'an option with a value is offered with its "="')
        replace = self.c('replace', '-')
        self.assertIn('--window=', replace)
        self.assertIn('--resume=', replace, 'replace --resume JOB is not in --help, and still completes')
        self.assertEqual(sorted(self.c('remove', '--no-')), ['--no-eject', '--no-wait'])
        self.assertEqual(self.c('slots', '--t'), ['--tree'])
        self.assertEqual(self.c('switchover', '--p'), ['--persist'])
        self.assertIn('--json', self.c('status', '-'))
        self.assertEqual(self.c('hooks', '--k'), ['--kind='])
        # options anywhere after the command, also after the unit
        self.assertEqual(self.c('remove', 'sb1', '--dr'), ['--dry-run'])
        self.assertEqual(self.c('--json', 'hooks', '--k'), ['--kind='])

    def test_option_values(self):
        kinds = ['sb', 'iou', 'slot', 'cpu', 'memory', 'domain']
        self.assertEqual(self.c('hooks', '--kind', ''), kinds)
        self.assertEqual(sorted(self.c('hooks', '-k', 's')), ['sb', 'slot'])
        # as bash splits "--kind=" and "--kind=s" (= is in COMP_WORDBREAKS):
        # the candidates replace only what follows the "="
        self.assertEqual(self.c('hooks', '--kind', '='), kinds)
        self.assertEqual(self.c('hooks', '--kind', '=', 's'), ['sb', 'slot'])
        # and as one word, where '=' breaks no word
        self.assertEqual(self.c('hooks', '--kind=s'), ['--kind=sb', '--kind=slot'])
        # an option's value is no positional argument; a value that takes
        # no argument completes to nothing
        self.assertEqual(self.c('remove', '--timeout', ''), [])
        self.assertEqual(self.c('remove', '--timeout', '=', ''), [])

    def test_hook_events(self):
        self.assertEqual(self.c('hooks', ''), UNIT_EVENTS + DOMAIN_EVENTS)
        self.assertEqual(self.c('hooks', 'pre-r'), ['pre-remove', 'pre-replace'])
        # the kind given, in any spelling, narrows the events
        self.assertEqual(self.c('hooks', '--kind', 'domain', ''), DOMAIN_EVENTS)
        self.assertEqual(self.c('hooks', '--kind=domain', ''), DOMAIN_EVENTS)
        self.assertEqual(self.c('hooks', '--kind', '=', 'domain', 'p'),
                         ['pre-switchover', 'post-switchover', 'post-connect'])
        self.assertEqual(self.c('hooks', '-k', 'sb', 'post-'), ['post-add', 'post-remove', 'post-replace'])
        self.assertEqual(self.c('--json', 'hooks', '-k', 'cpu', ''), UNIT_EVENTS)
        # one event only
        self.assertEqual(self.c('hooks', 'pre-add', ''), [])

    def test_no_daemon(self):
        """Without a daemon the ids complete to nothing, at once."""
        start = time.monotonic()
        for words in (('remove', ''), ('show', 's'), ('cancel', ''), ('connect', ''),
                      ('replace', '--resume', '')):
            self.assertEqual(self.c(*words), [], words)
        self.assertLess(time.monotonic() - start, 10)

    def test_json_reader(self):
        """The JSON reader keeps each value under its path, whatever the
        nesting and the strings hold."""
        doc = {'Units': [{'Id': 'sb0', 'Blockers': [{'Id': 'not-a-unit'}], 'Reason': 'a "quoted", {x}: [y]\\'},
                         {'Id': 'slot-3', 'Empty': {}, 'List': [], 'N': 3, 'B': True, 'Z': None}],
               'Domains': [{'Id': '0001', 'RunningJob': {'Id': 7}}]}
        text = json.dumps(doc, ensure_ascii=False, separators=(',', ':')) + '\n'
        r = subprocess.run(['bash', '--norc', '-c', 'source "$1" && _hotplugctl_json', 'bash', SCRIPT],
                           input=text, capture_output=True, text=True, check=True)
        lines = dict(line.split('\t', 1) for line in r.stdout.splitlines())
        self.assertEqual(lines['Units.0.Id'], 'sb0')
        self.assertEqual(lines['Units.0.Blockers.0.Id'], 'not-a-unit')
        self.assertEqual(lines['Units.1.Id'], 'slot-3')
        self.assertEqual(lines['Units.1.N'], '3')
        self.assertEqual(lines['Units.1.B'], 'true')
        self.assertEqual(lines['Units.1.Z'], 'null')
        self.assertEqual(lines['Domains.0.Id'], '0001')
        self.assertEqual(lines['Domains.0.RunningJob.Id'], '7')
        self.assertEqual([k for k in lines if re.fullmatch(r'Units\.[0-9]+\.Id', k)], ['Units.0.Id', 'Units.1.Id'])
        # pretty-printed, the same
        r2 = subprocess.run(['bash', '--norc', '-c', 'source "$1" && _hotplugctl_json', 'bash', SCRIPT],
                            input=json.dumps(doc, indent=2), capture_output=True, text=True, check=True)
        self.assertEqual(r2.stdout, r.stdout)

    def test_shellcheck(self):
        if not shutil.which('shellcheck'):
            self.skipTest('shellcheck is not installed')
        r = subprocess.run(['shellcheck', '--shell=bash', SCRIPT], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Readline(unittest.TestCase):
    """An interactive bash on a pseudo-terminal, Tab typed: what readline
    makes of the candidates, where '=' breaks words."""

    def setUp(self):
        self.tmp, env = no_bus_env()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        env.update(PATH=os.path.dirname(HOTPLUGCTL) + os.pathsep + env.get('PATH', '/usr/bin:/bin'),
                   PS1='$ ', TERM='dumb', INPUTRC='/dev/null', HOME=self.tmp)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe('bash', ['bash', '--norc', '--noprofile', '-i'], env)
        self.addCleanup(self.close)
        self.type(f'source {SCRIPT}; echo sourced\n', 'sourced')

    def close(self):
        os.write(self.fd, b'\x15exit\n')
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def type(self, text, want, timeout=20):
        """Types TEXT; the terminal's output until it shows WANT."""
        os.write(self.fd, text.encode())
        out = ''
        deadline = time.monotonic() + timeout
        while want not in out and time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.1)[0]:
                out += os.read(self.fd, 4096).decode(errors='replace')
        self.assertIn(want, out)
        return out

    def line(self, text, want):
        self.type(text + '\t', want)
        # ^U: the next line starts empty
        os.write(self.fd, b'\x15')

    def test_tab(self):
        self.line('hotplugctl rep', 'hotplugctl replace ')
        # no space after an option's "=", its value after it
        self.line('hotplugctl remove --ti', 'hotplugctl remove --timeout=')
        self.line('hotplugctl hooks --kind=d', 'hotplugctl hooks --kind=domain ')
        self.line('hotplugctl hooks --kind dom', 'hotplugctl hooks --kind domain ')
        self.line('hotplugctl hooks -k domain post-c', 'hotplugctl hooks -k domain post-connect ')


class Install(unittest.TestCase):
    def test_bash_completion_finds_it(self):
        """`meson install` puts the script in bash-completion's completions
        directory under the prefix, and bash-completion's loader, looking
        there (XDG_DATA_DIRS), binds hotplugctl to it."""
        loader = '/usr/share/bash-completion/bash_completion'
        with tempfile.TemporaryDirectory() as dest:
            r = subprocess.run(['meson', 'install', '-C', BUILD, '--no-rebuild', '--quiet', '--destdir', dest],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            found = [os.path.join(root, f) for root, _, files in os.walk(dest) for f in files
                     if f == 'hotplugctl' and 'completion' in root]
            self.assertEqual(len(found), 1, found)
            self.assertRegex(found[0], r'/share/bash-completion/completions/hotplugctl$')
            with open(found[0]) as a, open(SCRIPT) as b:
                self.assertEqual(a.read(), b.read())
            if not os.path.exists(loader):
                self.skipTest(f'bash-completion is not installed ({loader}): its loader not tried')
            share = os.path.dirname(os.path.dirname(os.path.dirname(found[0])))
            env = dict(os.environ, XDG_DATA_DIRS=share, HOME=dest, BASH_COMPLETION_USER_DIR=dest)
            r = subprocess.run(['bash', '--norc', '--noprofile', '-c',
                                f'source {loader} && __load_completion hotplugctl && complete -p hotplugctl'],
                               capture_output=True, text=True, env=env)
            self.assertEqual(r.stdout.strip(), 'complete -F _hotplugctl hotplugctl', r.stderr)


if __name__ == '__main__':
    unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
