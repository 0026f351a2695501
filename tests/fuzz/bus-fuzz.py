#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The project's bus fuzzer: hostile calls against every object hotplugd
exports, on the simulated server.

Runs under hotplug-sim (`hotplug-sim --machine default -- bus-fuzz.py`):
starts a private bus, the mock polkit and hotplugd under
G_DEBUG=fatal-criticals, with a hook root whose pre-* hooks print hostile
output.  Then, for --duration seconds in all:

  - as root with polkit allowing, then as an unprivileged caller (nobody)
    with polkit allowing and with polkit denying, it walks the
    introspection data of every exported object and calls every method and
    reads every property (and writes it where writable, and tries where
    not), with boundary values: empty, very long, non-ASCII and
    multi-byte-at-the-cut strings; every option key of every a{sv} (read
    from the XML docs, data/dbus/org.hotplugd.Hotplug1.xml) with every
    wrong type and with real combinations (dry-run mostly, not always);
    unknown keys, members, interfaces and object paths; huge, negative and
    zero numbers; wrong signatures.  Every job it starts is cancelled.
  - every reply must be a success or a documented error
    (org.hotplugd.Hotplug1.Error.*, or InvalidArgs, UnknownMethod,
    UnknownObject, AccessDenied); no call may go unanswered; the daemon
    must keep its PID and log no critical.
  - where dfuzzer is installed it runs too.

Exit status 0 when nothing was found, 1 with the findings listed.
Usage: bus-fuzz.py [--duration SECONDS] [--seed N]
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import xml.etree.ElementTree as ET

warnings.simplefilter('ignore', ImportWarning)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
import hotplugtest as ht  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = ht.BUS_NAME
ROOT = ht.MANAGER_PATH
PROPS = 'org.freedesktop.DBus.Properties'
NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
ALLOWED = {'org.hotplugd.Hotplug1.Error.' + n for n in
           ('NotAuthorized', 'NoSuchUnit', 'InvalidArgument', 'NotPresent', 'Busy', 'Vetoed',
            'Timeout', 'Failed', 'Cancelled', 'NotSupported')} | \
          {'org.freedesktop.DBus.Error.' + n for n in
           ('InvalidArgs', 'UnknownMethod', 'UnknownObject', 'AccessDenied')}
# methods whose success starts a job: it is cancelled at once
# the daemon is no longer there: the run stops
GONE = {'org.freedesktop.DBus.Error.ServiceUnknown', 'org.freedesktop.DBus.Error.NoReply',
        'org.freedesktop.DBus.Error.NameHasNoOwner', 'org.freedesktop.DBus.Error.Disconnected'}
# a critical (as the daemon logs it, or as GLib prints it), a sanitizer
BAD_LOG = re.compile(r'critical|runtime error|AddressSanitizer|LeakSanitizer', re.IGNORECASE)
JOB_METHODS = {'Add', 'Remove', 'Replace', 'PrepareForSwitchover', 'Connect'}
CALL_TIMEOUT_MS = 15000

# A pre-* hook that prints what hook authors get wrong: bytes that are not
# UTF-8, NULs, a multi-byte reason longer than a line, a flood; vetoes now
# and then.
HOSTILE_HOOK = r'''#!/bin/sh
n=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
printf 'x\000y\377\n'
case $((n % 4)) in
0) printf 'reason=busy \377\303 disk\n'; exit 1 ;;
1) printf reason=; i=0; while [ $i -lt 2100 ]; do printf '\342\202\254'; i=$((i+1)); done; echo; exit 1 ;;
2) head -c 70000 /dev/zero | tr '\0' '\303'; echo ;;
esac
exit 0
'''


# configurations that Manager.Reload must refuse, quoting what is wrong
HOSTILE_CONFIG = [b'[hooks]\ntimeout=\xff\xc3\n', b'[ho\xffoks]\ntimeout=30\n', b'not a key \xff\n',
                  b'[hooks]\ntimeout=' + '€'.encode() * 5000 + b'\n', b'[hook 5\xff]\ntimeout=1\n',
                  b'\x00\x01[daemon]\n', b'[daemon]\n\xef\xbb\xbfunknown=1\n']


# --- values ---------------------------------------------------------------

def cut_strings():
    """Strings whose multi-byte characters straddle the lengths where a
    message or an id is likely cut."""
    out = []
    for ch in ('é', '€', '😀'):
        for cut in (15, 16, 32, 64, 255, 256, 257, 4096):
            for shift in range(len(ch.encode())):
                n = cut - shift
                out.append('a' * shift + ch * (n // len(ch.encode()) + 2))
    return out


def boundary_strings(real=()):
    base = ['', 'x', ' ', '/', '//', 'a/b', '..', '\t', '\n', 'a\nb', '\x7f', '\u0085', '\u200b',
            '\ufffd', '\ufeff', 'ß', 'Steckplatz ß', '日本語', 'عربي', 'e\u0301', '%s%n%x', '\\',
            "'", '"', '*', 'sb0 ', ' sb0', 'slot-', 'job', '-1', '0', '4294967296',
            'a' * 255, 'a' * 256, 'a' * 257, 'a' * 4097, 'a' * 70000, '€' * 30000]
    return base + cut_strings() + list(real)


def variants(real):
    """A real id made wrong in the ways a caller gets it wrong."""
    return [real + ' ', real.upper(), real + '\u0301', real + '€' * 100, real + '/x', real[:-1]]


def numbers(sig):
    return {
        'y': [0, 1, 255], 'n': [0, -1, -32768, 32767], 'q': [0, 1, 65535],
        'i': [0, -1, 1, -2 ** 31, 2 ** 31 - 1], 'u': [0, 1, 300, 3600, 2 ** 31, 2 ** 32 - 1],
        'x': [0, -1, -2 ** 63, 2 ** 63 - 1], 't': [0, 1, 2 ** 63, 2 ** 64 - 1],
        'd': [0.0, -1.0, 1e308, float('nan'), float('inf')], 'b': [False, True],
    }[sig]


# one value of each type: the wrong types of an option
ANY_TYPES = [('b', True), ('b', False), ('y', 255), ('n', -1), ('q', 65535), ('i', -1), ('i', 0),
             ('u', 0), ('u', 2 ** 32 - 1), ('x', -2 ** 63), ('t', 2 ** 64 - 1), ('d', 1.5),
             ('s', ''), ('s', '€' * 100), ('o', '/'), ('g', 'a{sv}'), ('as', []), ('as', ['x']),
             ('ay', b'\xff\xfe'), ('a{sv}', {}), ('v', GLib.Variant('s', 'x')), ('(ss)', ('a', 'b')),
             ('ai', [-1, 0])]


def doc_strings(elem):
    return ' '.join(a.get('value') for a in elem.findall('annotation') if a.get('name') == 'org.gtk.GDBus.DocString')


def doc_options(xml_path):
    """{(interface, method): {key: type}}: the option keys of every a{sv}
    argument, from its doc string or the method's "Options: ..." clause."""
    found = {}
    for iface in ET.parse(xml_path).getroot().iter('interface'):
        for m in iface.iter('method'):
            opts = [a for a in m.findall('arg') if a.get('type') == 'a{sv}']
            if not opts:
                continue
            text = ' '.join(doc_strings(a) for a in opts)
            method_doc = doc_strings(m)
            if 'Options:' in method_doc:
                text += ' ' + method_doc.split('Options:', 1)[1].split('.', 1)[0]
            found[(iface.get('name'), m.get('name'))] = dict(
                re.findall(r'\b([a-z][a-z-]*) \(([a-z{}]+)[,)]', text))
    return found


class DaemonGone(Exception):
    pass


def shorten(text, limit=40):
    if len(text) <= limit:
        return text
    return f'{text[:limit]}…({len(text.encode())} bytes)'


def show(params):
    """The arguments of a call, long strings shortened."""
    def one(v):
        if isinstance(v, str):
            return repr(shorten(v))
        if isinstance(v, dict):
            return '{' + ', '.join(f'{one(k)}: {x.print_(True) if isinstance(x, GLib.Variant) else one(x)}'
                                   for k, x in v.items()) + '}'
        if isinstance(v, (list, tuple)):
            return '(' + ', '.join(one(x) for x in v) + ')'
        return repr(v)
    return one(params.unpack()) if params is not None else '()'


class Fuzzer:
    def __init__(self, conn, rng, deadline, options, allow_real):
        self.conn = conn
        self.rng = rng
        self.deadline = deadline
        self.options = options
        self.allow_real = allow_real
        self.calls = 0
        self.outcomes = {}
        self.findings = []
        self.jobs_started = 0
        self.covered = set()
        self.first_sweep = True

    # --- calling ---------------------------------------------------------

    def call(self, path, iface, method, params, what=None):
        self.calls += 1
        key = f'{iface}.{method}'
        try:
            r = self.conn.call_sync(BUS_NAME, path, iface, method, params, None, Gio.DBusCallFlags.NONE,
                                    CALL_TIMEOUT_MS, None)
            self.count(key, 'ok')
            return r
        except GLib.Error as e:
            name = Gio.DBusError.get_remote_error(e) or f'{e.domain}:{e.code}'
            self.count(key, name)
            if name not in ALLOWED:
                self.findings.append({'call': f'{shorten(path)} {key}{show(params)}', 'what': what or '',
                                      'error': name, 'message': e.message[:300]})
                if name in GONE:
                    raise DaemonGone(name)
            return None

    def count(self, key, outcome):
        per = self.outcomes.setdefault(key, {})
        per[outcome] = per.get(outcome, 0) + 1

    def time_left(self):
        # the first sweep is whole, whatever the deadline
        return self.first_sweep or time.monotonic() < self.deadline

    # --- the walk --------------------------------------------------------

    def introspect(self, path):
        r = self.call(path, 'org.freedesktop.DBus.Introspectable', 'Introspect', None)
        return Gio.DBusNodeInfo.new_for_xml(r.unpack()[0]) if r else None

    def walk(self, path=ROOT, out=None):
        out = {} if out is None else out
        node = self.introspect(path)
        if node is None:
            return out
        if node.interfaces:
            out[path] = node.interfaces
        for child in node.nodes:
            self.walk(path.rstrip('/') + '/' + child.path, out)
        return out

    def real_ids(self):
        r = self.call(ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects', None)
        ids = []
        for ifaces in (r.unpack()[0] if r else {}).values():
            for name in (ht.UNIT_IFACE, ht.DOMAIN_IFACE):
                if name in ifaces:
                    ids.append(ifaces[name]['Id'])
        return ids

    # --- values of a signature -------------------------------------------

    def values(self, sig, iface, method, ids):
        if sig == 's':
            return boundary_strings(ids + ['pre-add', 'post-remove', 'switchover-failed', 'sb', 'slot',
                                           'domain', 'cpu', 'memory', 'iou'])
        if sig == 'o':
            return ['/', ROOT, ROOT + '/unit/nope', ROOT + '/job/0', ROOT + '/job/4294967295']
        if sig == 'a{sv}':
            return self.option_dicts(self.options.get((iface, method), {}))
        if sig in 'ynqiuxtdb':
            return numbers(sig)
        return []

    def option_dicts(self, keys):
        dry = {'dry-run': GLib.Variant('b', True)} if 'dry-run' in keys else {}
        # the first is what the other arguments' calls get: a dry run
        dicts = [dry, {'': GLib.Variant('b', True)}] + ([{}] if self.allow_real else [])
        for k in boundary_strings()[::7]:
            dicts.append({k: GLib.Variant('b', True)})
        for key, want in keys.items():
            for t, v in ANY_TYPES:
                if t != want:
                    dicts.append({key: GLib.Variant(t, v)})
            for v in (numbers(want) if want in 'ynqiuxtdb' else []):
                dicts.append({key: GLib.Variant(want, v), 'dry-run': GLib.Variant('b', True)}
                             if 'dry-run' in keys and key != 'dry-run' else {key: GLib.Variant(want, v)})
        # real combinations: dry-run mostly, now and then for real
        for _ in range(12):
            d = {}
            for key, want in keys.items():
                if self.rng.random() < 0.5 and want in 'ynqiuxtdb':
                    d[key] = GLib.Variant(want, self.rng.choice(numbers(want)[:4]))
            if 'dry-run' in keys:
                d['dry-run'] = GLib.Variant('b', not (self.allow_real and self.rng.random() < 0.25))
            dicts.append(d)
        return dicts

    # --- one object ------------------------------------------------------

    def fuzz_properties(self, path, iface):
        self.call(path, PROPS, 'GetAll', GLib.Variant('(s)', (iface.name,)))
        for p in iface.properties:
            self.call(path, PROPS, 'Get', GLib.Variant('(ss)', (iface.name, p.name)))
            # writable or not, a write is tried: read-only ones must refuse it
            if (iface.name, p.name) in self.covered:
                continue
            self.covered.add((iface.name, p.name))
            for v in self.values(p.signature, iface.name, p.name, [])[:6]:
                self.call(path, PROPS, 'Set', GLib.Variant('(ssv)', (iface.name, p.name,
                                                                     GLib.Variant(p.signature, v))))
        for name in ('', 'Nope', '€' * 40):
            self.call(path, PROPS, 'Get', GLib.Variant('(ss)', (iface.name, name)))
        self.call(path, PROPS, 'Get', GLib.Variant('(ss)', ('org.hotplugd.Hotplug1.Nope', 'Id')))
        self.call(path, PROPS, 'GetAll', GLib.Variant('(s)', ('',)))

    def combos(self, iface, m, ids, budget):
        """Argument tuples for one method: the first time it is met, every
        value of every argument (the others at their first value, which is
        the empty string for strings, so ListHooks('', '') is a real call
        too), then BUDGET random ones."""
        sigs = [a.signature for a in m.in_args]
        pools = [self.values(s, iface.name, m.name, ids) for s in sigs]
        if not sigs:
            return [()]
        out = []
        if (iface.name, m.name) not in self.covered:
            self.covered.add((iface.name, m.name))
            first = [p[0] if p else None for p in pools]
            out.append(tuple(first))
            for i, pool in enumerate(pools):
                for v in pool[1:]:
                    out.append(tuple(first[:i] + [v] + first[i + 1:]))
        for _ in range(budget):
            out.append(tuple(self.rng.choice(variants(self.rng.choice(ids)) if s == 's' and ids and
                                              self.rng.random() < 0.2 else p)
                             for s, p in zip(sigs, pools)))
        return out

    def fuzz_method(self, path, iface, m, ids, budget):
        sigs = [a.signature for a in m.in_args]
        combos = self.combos(iface, m, ids, budget)
        for combo in combos:
            if not self.time_left():
                return
            r = self.call(path, iface.name, m.name, GLib.Variant('(' + ''.join(sigs) + ')', combo), m.name)
            if r is not None and m.name in JOB_METHODS:
                self.jobs_started += 1
                job = r.unpack()[0]
                self.call(job, ht.JOB_IFACE, 'Cancel', None, 'cancel what it started')
        # wrong signatures
        for params in (None, GLib.Variant('(u)', (1,)), GLib.Variant('(ss)', ('a', 'b')),
                       GLib.Variant('(a{sv}s)', ({}, 'x'))):
            if params is None and not sigs:
                continue
            self.call(path, iface.name, m.name, params, 'wrong signature')

    def fuzz_object(self, path, ifaces, ids, budget):
        for iface in ifaces:
            if not self.time_left():
                return
            if iface.name.startswith('org.freedesktop.DBus.') and iface.name != 'org.freedesktop.DBus.ObjectManager':
                continue
            self.fuzz_properties(path, iface)
            for m in iface.methods:
                self.fuzz_method(path, iface, m, ids, budget)
            self.call(path, iface.name, 'NoSuchMethod', None)
        self.call(path, 'org.hotplugd.Hotplug1.Nope', 'Add', GLib.Variant('(a{sv})', ({},)))

    def unknown_paths(self, ids):
        paths = [ROOT + '/unit/nope', ROOT + '/unit/' + 'a' * 300, ROOT + '/job/0',
                 ROOT + '/job/18446744073709551615', ROOT + '/domain/ffff', '/org', '/org/hotplugd/x']
        for p in paths:
            for iface, method, params in ((ht.UNIT_IFACE, 'Add', GLib.Variant('(a{sv})', ({},))),
                                          (ht.JOB_IFACE, 'Cancel', None),
                                          (ht.DOMAIN_IFACE, 'CancelSwitchover', None),
                                          (PROPS, 'GetAll', GLib.Variant('(s)', (ht.UNIT_IFACE,)))):
                self.call(p, iface, method, params, 'unknown object')

    def run(self):
        """Sweeps until the deadline; the first sweep covers every member
        of every object, later ones draw other values."""
        budget = 8
        sweeps = 0
        while self.time_left():
            objects = self.walk()
            ids = self.real_ids()
            # jobs pile up (they linger once ended): a few of them a sweep
            jobs = sorted(p for p in objects if p.startswith(ROOT + '/job/'))
            order = [p for p in objects if p not in jobs] + self.rng.sample(jobs, min(len(jobs), 4))
            self.rng.shuffle(order)
            order.sort(key=lambda p: p != ROOT)      # the manager first
            for path in order:
                self.fuzz_object(path, objects[path], ids, budget)
                if not self.time_left():
                    break
            self.unknown_paths(ids)
            self.first_sweep = False
            sweeps += 1
            budget = 80
        return {'calls': self.calls, 'sweeps': sweeps, 'jobs': self.jobs_started,
                'outcomes': self.outcomes, 'findings': self.findings}


# --- the run --------------------------------------------------------------

def connect(address):
    return Gio.DBusConnection.new_for_address_sync(
        address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)


def worker(args):
    conn = connect(args.address)
    fz = Fuzzer(conn, random.Random(args.seed), time.monotonic() + args.duration,
                doc_options(os.path.join(ht.SRC, 'data', 'dbus', 'org.hotplugd.Hotplug1.xml')), args.real)
    try:
        result = fz.run()
    except DaemonGone as e:
        result = {'calls': fz.calls, 'sweeps': 0, 'jobs': fz.jobs_started, 'outcomes': fz.outcomes,
                  'findings': fz.findings, 'stopped': str(e)}
    json.dump(result, sys.stdout)
    return 0


def write_hooks(root):
    for kind, events in (('any', ('pre-add', 'pre-remove', 'pre-replace')), ('domain', ('pre-switchover',))):
        for ev in events:
            d = os.path.join(root, kind, ev)
            os.makedirs(d, 0o755, exist_ok=True)
            with open(os.path.join(d, '50-hostile'), 'w') as f:
                f.write(HOSTILE_HOOK)
            os.chmod(os.path.join(d, '50-hostile'), 0o755)
    for dirpath, _, _ in os.walk(root):
        os.chmod(dirpath, 0o755)


def readable_copy():
    """What an unprivileged worker runs and reads, copied where nobody can
    read it (the checkout may be in a directory only root can enter): this
    script, the harness module, the interface XML and hotplugctl, in the
    same layout.  Returns the copy's root."""
    if readable_copy.root:
        return readable_copy.root
    root = tempfile.mkdtemp(prefix='hotplug-fuzz-src.')
    for rel in (('tests', 'fuzz', 'bus-fuzz.py'), ('tests', 'integration', 'hotplugtest.py'),
                ('data', 'dbus', 'org.hotplugd.Hotplug1.xml')):
        os.makedirs(os.path.join(root, *rel[:-1]), exist_ok=True)
        shutil.copy(os.path.join(ht.SRC, *rel), os.path.join(root, *rel))
    shutil.copy(ht.ctl_exe(), os.path.join(root, 'hotplugctl'))
    for d, _, files in os.walk(root):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o755 if f == 'hotplugctl' else 0o644)
    readable_copy.root = root
    return root


readable_copy.root = None


def pass_as(who, duration, seed, findings, summary):
    script = os.path.abspath(__file__)
    env = dict(os.environ)
    if who != 'root':
        root = readable_copy()
        script = os.path.join(root, 'tests', 'fuzz', 'bus-fuzz.py')
        env['HOTPLUG_SOURCE_DIR'] = root
        # the simulator's shim lives in the build tree: a D-Bus client needs none
        env.pop('LD_PRELOAD', None)
    cmd = ([] if who == 'root' else NOBODY) + [
        '/usr/bin/python3', script, '--worker', '--address', os.environ['DBUS_SYSTEM_BUS_ADDRESS'],
        '--duration', str(duration), '--seed', str(seed)] + (['--real'] if who == 'root' else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 300, env=env)
    if r.returncode != 0:
        findings.append({'call': f'fuzzer as {who}', 'error': f'exit {r.returncode}', 'message': r.stderr[-2000:]})
        return
    out = json.loads(r.stdout)
    summary[who] = out
    findings += [dict(f, who=who) for f in out['findings']]


def check_daemon(env, pid, findings, when):
    d = env.daemon
    for line in d.read_log().splitlines()[check_daemon.seen:]:
        check_daemon.seen += 1
        if BAD_LOG.search(line):
            findings.append({'call': when, 'error': 'in the daemon log', 'message': line[:300]})
    if d.proc.poll() is not None or d.proc.pid != pid:
        findings.append({'call': when, 'error': 'daemon died', 'message': f'exit {d.proc.returncode}'})
        return False
    try:
        conn = ht.bus_connect()
        t0 = time.monotonic()
        conn.call_sync(BUS_NAME, ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects', None, None,
                       Gio.DBusCallFlags.NONE, 10000, None)
        if time.monotonic() - t0 > 5:
            findings.append({'call': when, 'error': 'slow', 'message': 'GetManagedObjects took over 5 s'})
        conn.close_sync(None)
    except GLib.Error as e:
        findings.append({'call': when, 'error': 'no answer', 'message': e.message})
    return True


check_daemon.seen = 0

# hotplugctl's arguments: what a shell passes along, bytes included
CTL_ARGS = [b'', b' ', b'/', b'-', b'--', b'\xff', b'sb\xff0', b'\xc3', b'slot-\xe2\x82', b'a' * 5000,
            '€'.encode() * 3000, 'Steckplatz ß'.encode(), b'%s%n', b'sb0\n', b'4294967296', b'-1']


def ctl_commands():
    r = subprocess.run([ht.ctl_exe(), '--help'], capture_output=True, text=True, timeout=30)
    text = r.stdout.split('Commands:', 1)[-1]
    return [line.split()[0] for line in text.splitlines() if line.startswith('  ') and line.split()]


def fuzz_ctl(who, rng, findings, budget):
    """hotplugctl with hostile arguments: it must answer with an exit status
    of its own (no signal, no hang) and print no critical."""
    runs = 0
    for cmd in ctl_commands():
        if cmd == 'monitor':
            continue            # it streams until stopped
        helptext = subprocess.run([ht.ctl_exe(), cmd, '--help'], capture_output=True, text=True, timeout=30).stdout
        extra = [o.encode() for o in ('--no-wait', '--dry-run') if o in helptext]
        for arg in rng.sample(CTL_ARGS, min(budget, len(CTL_ARGS))):
            exe = ht.ctl_exe() if who == 'root' else os.path.join(readable_copy(), 'hotplugctl')
            argv = ([] if who == 'root' else NOBODY) + [exe.encode(), cmd.encode(), arg] + extra
            runs += 1
            env = {k: v for k, v in os.environ.items() if who == 'root' or k != 'LD_PRELOAD'}
            try:
                r = subprocess.run(argv, capture_output=True, timeout=60, env=env)
            except subprocess.TimeoutExpired:
                findings.append({'call': f'hotplugctl {cmd} {shorten(repr(arg))}', 'error': 'hang', 'message': ''})
                continue
            bad = [line for line in r.stderr.decode(errors='replace').splitlines() if BAD_LOG.search(line)]
            if r.returncode < 0 or r.returncode > 5 or bad:
                findings.append({'call': f'hotplugctl {cmd} {shorten(repr(arg))} as {who}',
                                 'error': f'exit {r.returncode}', 'message': ' '.join(bad)[:300]})
    return runs


def run_dfuzzer(duration, findings):
    exe = shutil.which('dfuzzer')
    if exe is None:
        print('dfuzzer: not installed (not packaged here): that part is skipped')
        return
    print(f'dfuzzer: {exe} against {BUS_NAME}')
    try:
        r = subprocess.run([exe, '-v', '-n', BUS_NAME], capture_output=True, text=True,
                           timeout=max(30, duration))
        print(r.stdout[-3000:])
        if r.returncode not in (0, 3):      # 3: dfuzzer's "warnings only"
            findings.append({'call': 'dfuzzer', 'error': f'exit {r.returncode}', 'message': r.stderr[-500:]})
    except subprocess.TimeoutExpired:
        print('dfuzzer: stopped at the time limit')


def main():
    ap = argparse.ArgumentParser(description='hotplugd bus fuzzer (runs under hotplug-sim)')
    ap.add_argument('--duration', type=float, default=5.0, help='seconds of fuzzing in all')
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--address', help=argparse.SUPPRESS)
    ap.add_argument('--real', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    if not ht.in_simulator():
        print('SKIP: runs under hotplug-sim (it starts jobs)')
        return 77
    seed = args.seed if args.seed is not None else random.randrange(2 ** 32)
    print(f'bus-fuzz: seed {seed}, {args.duration:g} s')
    hooks = tempfile.mkdtemp(prefix='hotplug-fuzz-hooks.')
    os.chmod(hooks, 0o755)
    findings, summary = [], {}
    try:
        write_hooks(hooks)
        conf = os.path.join(hooks, 'hotplugd.conf')
        with open(conf, 'w') as f:
            f.write('[hooks]\ntimeout=30\n')
        with ht.Environment(polkit='allow', daemon_args=['--config', conf],
                            daemon_env={'G_DEBUG': 'fatal-criticals', 'HOTPLUG_HOOKS_DIR': hooks}) as env:
            pid = env.daemon.proc.pid
            # what Manager.Reload reads from now on: bytes no parser expects
            with open(conf, 'wb') as f:
                f.write(HOSTILE_CONFIG[seed % len(HOSTILE_CONFIG)])
            passes = (('root', 'allow', 0.5), ('nobody', 'allow', 0.25), ('nobody', 'deny', 0.25))
            for i, (who, polkit, share) in enumerate(passes):
                env.polkit.set_allowed(polkit == 'allow')
                pass_as(who, max(1.0, args.duration * share), seed + i, findings, summary)
                summary.setdefault(who, {})['polkit'] = polkit
                if not check_daemon(env, pid, findings, f'after the pass as {who} (polkit {polkit})'):
                    break
                print(f'  as {who:6} polkit {polkit:5}: {summary[who].get("calls", 0)} calls, '
                      f'{summary[who].get("sweeps", 0)} sweeps, {summary[who].get("jobs", 0)} jobs started')
            if env.daemon.proc.poll() is None:
                env.polkit.set_allowed(True)
                runs = sum(fuzz_ctl(who, random.Random(seed), findings, 2 if args.duration < 30 else 16)
                           for who in ('root', 'nobody'))
                print(f'  hotplugctl: {runs} runs with hostile arguments')
                check_daemon(env, pid, findings, 'after hotplugctl')
            ran = env.daemon.read_log().count('hook 50-hostile ')
            print(f'  hostile hooks that ended in a veto or failure: {ran}')
            if ran == 0:
                findings.append({'call': 'the pre-* hooks', 'error': 'never ran', 'message': hooks})
            if env.daemon.proc.poll() is None:
                run_dfuzzer(args.duration, findings)
                check_daemon(env, pid, findings, 'after dfuzzer')
    finally:
        shutil.rmtree(hooks, ignore_errors=True)
        if readable_copy.root:
            shutil.rmtree(readable_copy.root, ignore_errors=True)
    outcomes = {}
    for s in summary.values():
        for k, per in s.get('outcomes', {}).items():
            for o, n in per.items():
                outcomes.setdefault(k, {}).setdefault(o, 0)
                outcomes[k][o] += n
    for k in sorted(outcomes):
        print(f'  {k}: ' + ', '.join(f'{o.rsplit(".", 1)[-1]} {n}' for o, n in sorted(outcomes[k].items())))
    for f in findings:
        print('FINDING: ' + json.dumps(f, ensure_ascii=False))
    print(f'bus-fuzz: {len(findings)} findings (seed {seed})')
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
