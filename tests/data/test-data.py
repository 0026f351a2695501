#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The files hotplugd ships: the D-Bus interface is documented member by
member, the systemd unit verifies, translations are complete, and
`meson install` puts everything where the system looks for it."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

SRC = os.environ['HOTPLUG_SOURCE_DIR']
BUILD = os.environ['HOTPLUG_BUILD_DIR']
DOC = 'org.gtk.GDBus.DocString'


def has_doc(el):
    return any(a.get('name') == DOC and a.get('value', '').strip() for a in el.findall('annotation'))


class Interface(unittest.TestCase):
    def test_every_member_documented(self):
        tree = ET.parse(os.path.join(SRC, 'data', 'dbus', 'org.hotplugd.Hotplug1.xml'))
        missing = []
        count = 0
        for iface in tree.getroot().findall('interface'):
            if not has_doc(iface):
                missing.append(iface.get('name'))
            for kind in ('method', 'property', 'signal'):
                for m in iface.findall(kind):
                    count += 1
                    where = f"{iface.get('name')}.{m.get('name')}"
                    if not has_doc(m):
                        missing.append(where)
                    for arg in m.findall('arg'):
                        count += 1
                        if not has_doc(arg):
                            missing.append(f"{where}({arg.get('name')})")
        self.assertGreater(count, 40)
        self.assertEqual(missing, [], 'members without a doc annotation')


def exposure(path):
    r = subprocess.run(['systemd-analyze', 'security', '--offline=yes', path], capture_output=True, text=True)
    m = re.search(r'Overall exposure level for \S+: ([0-9.]+)', r.stdout)
    return float(m.group(1)) if m else None


class SystemdUnit(unittest.TestCase):
    def test_verify(self):
        if not shutil.which('systemd-analyze'):
            self.skipTest('systemd-analyze is not installed')
        daemon = os.path.join(BUILD, 'src', 'daemon', 'hotplugd')
        if not os.path.exists(daemon):
            self.skipTest('the daemon is not built in this configuration')
        with open(os.path.join(BUILD, 'data', 'hotplugd.service')) as f:
            unit = f.read()
        unit = re.sub(r'ExecStart=.*', f'ExecStart={daemon}', unit)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'hotplugd.service')
            with open(path, 'w') as f:
                f.write(unit)
            r = subprocess.run(['systemd-analyze', 'verify', '--man=no', path], capture_output=True, text=True)
            problems = [l for l in (r.stdout + r.stderr).splitlines() if 'hotplugd.service' in l]
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(problems, [])
            ours = exposure(path)
            print(f'systemd-analyze security --offline=yes: hotplugd.service {ours}')
            peer = '/lib/systemd/system/upower.service'
            if os.path.exists(peer):
                print(f'systemd-analyze security --offline=yes: upower.service {exposure(peer)} (same run)')
            else:
                print('systemd-analyze security: upower.service is not installed: no peer figure')
            self.assertIsNotNone(ours, 'no exposure level in the output of systemd-analyze security')
            # hooks run as units of their own: the daemon's unit keeps almost nothing
            self.assertLess(ours, 2.6)


class TestlogSummary(unittest.TestCase):
    """tools/testlog-summary counts what tools/check reports: no skip passes
    for a success, no skip goes without its reason."""

    def summary(self, *records):
        with tempfile.NamedTemporaryFile('w', suffix='.json') as f:
            for r in records:
                f.write(json.dumps(r) + '\n')
            f.flush()
            r = subprocess.run([os.path.join(SRC, 'tools', 'testlog-summary'), f.name, 'x'],
                               capture_output=True, text=True)
        return r.stdout.strip().splitlines()[-1], r.returncode

    def test_counts(self):
        cases = [
            ("setUpClass (__main__.X) ... skipped 'runs under hotplug-sim'\n", 'OK', (0, 0, 1)),
            ("test_x (__main__.X.test_x) ... skipped ''\n", 'OK', (0, 1, 0)),
            ("test_x (__main__.X.test_x) ... ok\ntest_y (__main__.X.test_y) ... FAIL\n", 'FAIL', (1, 1, 0)),
            ('nothing to skip here, skipping\n', 'SKIP', (0, 1, 0)),
            ('SKIP: needs root\n', 'SKIP', (0, 0, 1)),
            ('ok 1 /a\nok 2 /b # SKIP no cpu1\nok 3 /c # SKIP\n', 'OK', (1, 1, 1)),
            ('ok 1 /a\n', 'FAIL', (1, 1, 0)),     # the program failed beyond its cases
        ]
        for out, result, (p, f, k) in cases:
            with self.subTest(case=cases.index((out, result, (p, f, k)))):
                line, rc = self.summary({'name': 't', 'result': result, 'stdout': '', 'stderr': out,
                                         'returncode': 1 if result == 'FAIL' else 0})
                self.assertEqual(line, f'x: {p} passed, {f} failed, {k} skipped')
                self.assertEqual(rc, 1 if f else 0)


class Catalog(unittest.TestCase):
    def test_every_message_id_explained(self):
        with open(os.path.join(SRC, 'src', 'common', 'hotplug-names.h')) as f:
            ids = set(re.findall(r'HOTPLUG_MSGID_\w+\s+"([0-9a-f]{32})"', f.read()))
        self.assertTrue(ids)
        catalog = os.path.join(SRC, 'data', 'systemd', 'hotplugd.catalog')
        if not shutil.which('journalctl'):
            self.skipTest('journalctl is not installed')
        with tempfile.TemporaryDirectory() as root:
            cdir = os.path.join(root, 'usr', 'lib', 'systemd', 'catalog')
            os.makedirs(cdir)
            os.makedirs(os.path.join(root, 'var', 'lib', 'systemd', 'catalog'))
            shutil.copy(catalog, cdir)
            r = subprocess.run(['journalctl', f'--root={root}', '--update-catalog'], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, '')
            r = subprocess.run(['journalctl', f'--root={root}', '--list-catalog'], capture_output=True, text=True)
            listed = {line.split()[0] for line in r.stdout.splitlines() if line.strip()}
        self.assertEqual(ids - listed, set(), 'MESSAGE_IDs without a catalog entry')
        self.assertEqual(listed - ids, set(), 'catalog entries no message uses')


class Translations(unittest.TestCase):
    def test_complete(self):
        with tempfile.TemporaryDirectory() as d:
            pot = os.path.join(d, 'hotplugd.pot')
            with open(os.path.join(SRC, 'po', 'POTFILES.in')) as f:
                files = [l.strip() for l in f if l.strip() and not l.startswith('#')]
            subprocess.run(['xgettext', '--from-code=UTF-8', '--add-comments', '--keyword=_', '--keyword=N_',
                            '--keyword=C_:1c,2', '--keyword=NC_:1c,2', '--keyword=g_dngettext:2,3',
                            '--keyword=ngettext:1,2', '-D', SRC, '-o', pot] + files,
                           check=True, capture_output=True)
            with open(os.path.join(SRC, 'po', 'LINGUAS')) as f:
                linguas = [l.strip() for l in f if l.strip()]
            self.assertTrue(linguas, 'no translation')
            for lang in linguas:
                merged = os.path.join(d, lang + '.po')
                subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching', '-o', merged,
                                os.path.join(SRC, 'po', lang + '.po'), pot], check=True)
                r = subprocess.run(['msgfmt', '--check', '--statistics', '-o', '/dev/null', merged],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertNotIn('untranslated', r.stderr, f'{lang}: {r.stderr.strip()}')
                self.assertNotIn('fuzzy', r.stderr, f'{lang}: {r.stderr.strip()}')


class Install(unittest.TestCase):
    def test_meson_install(self):
        with tempfile.TemporaryDirectory() as dest:
            r = subprocess.run(['meson', 'install', '-C', BUILD, '--no-rebuild', '--quiet', '--destdir', dest],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            found = set()
            for root, dirs, files in os.walk(dest):
                for f in files:
                    found.add(os.path.relpath(os.path.join(root, f), dest))
            expected = [
                r'/share/dbus-1/system\.d/org\.hotplugd\.Hotplug1\.conf$',
                r'/share/dbus-1/system-services/org\.hotplugd\.Hotplug1\.service$',
                r'/share/dbus-1/interfaces/org\.hotplugd\.Hotplug1\.xml$',
                r'/lib/systemd/system/hotplugd\.service$',
                r'/share/polkit-1/actions/org\.hotplugd\.hotplug1\.policy$',
                r'/share/locale/de/LC_MESSAGES/hotplugd\.mo$',
                r'/lib/ocf/resource\.d/hotplugd/pci-domain$',
            ] + [rf'/share/cockpit/hotplugd/{re.escape(f)}$' for f in CockpitPackage.files()]
            optional = {
                'daemon': r'/libexec/hotplugd$',
                'ctl': r'/bin/hotplugctl$',
                'sim': r'/bin/hotplug-sim$',
                'machines': r'/share/hotplugd/machines/default\.machine$',
            }
            for key, pat in optional.items():
                built = {
                    'daemon': os.path.exists(os.path.join(BUILD, 'src', 'daemon', 'hotplugd')),
                    'ctl': os.path.exists(os.path.join(BUILD, 'src', 'ctl', 'hotplugctl')),
                    'sim': os.path.exists(os.path.join(BUILD, 'src', 'sim', 'hotplug-sim')),
                    'machines': os.path.exists(os.path.join(SRC, 'data', 'machines', 'default.machine')),
                }[key]
                if built:
                    expected.append(pat)
            for pat in expected:
                self.assertTrue(any(re.search(pat, f) for f in found), f'{pat} not installed; got {sorted(found)}')
            # the OCF agent: under lib/ocf whatever the libdir, executable,
            # calling the installed hotplugctl
            agent = next(f for f in found if f.endswith('lib/ocf/resource.d/hotplugd/pci-domain'))
            self.assertEqual(os.stat(os.path.join(dest, agent)).st_mode & 0o777, 0o755)
            with open(os.path.join(dest, agent)) as f:
                self.assertRegex(f.read(), r'\nHOTPLUGCTL=/\S+/bin/hotplugctl\n')
            svc = next(f for f in found if f.endswith('system-services/org.hotplugd.Hotplug1.service'))
            with open(os.path.join(dest, svc)) as f:
                text = f.read()
            self.assertRegex(text, r'Exec=/\S+/hotplugd\n')
            self.assertIn('SystemdService=hotplugd.service', text)


class ShippedHooks(unittest.TestCase):
    def test_active_and_examples(self):
        """Every hook of hooks.d/ is installed once per place: the ones every
        site wants active under lib/hotplugd/hooks.d, the others as examples
        under share/hotplugd/examples/hooks.d, executable, with the layout of
        hooks.d/ and the script itself in place of its links."""
        source = os.path.join(SRC, 'hooks.d')
        places = {os.path.relpath(os.path.join(root, f), source)
                  for root, dirs, files in os.walk(source) for f in files if f != 'meson.build'}
        active = {f'any/{e}/80-kdump-reload' for e in ('post-add', 'post-remove', 'add-failed', 'remove-failed')}
        with tempfile.TemporaryDirectory() as dest:
            r = subprocess.run(['meson', 'install', '-C', BUILD, '--no-rebuild', '--quiet', '--destdir', dest],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            found = {}
            for root, dirs, files in os.walk(dest):
                for f in files:
                    path = os.path.join(root, f)
                    m = re.search(r'/(lib/hotplugd/hooks\.d|share/hotplugd/examples/hooks\.d)/(.*)$', path)
                    if m:
                        found.setdefault(m.group(1), set()).add(m.group(2))
                        self.assertFalse(os.path.islink(path), path)
                        self.assertEqual(os.stat(path).st_mode & 0o777, 0o755, path)
                        with open(path) as a, open(os.path.join(source, m.group(2))) as b:
                            self.assertEqual(a.read(), b.read(), path)
        self.assertEqual(found.get('lib/hotplugd/hooks.d'), active)
        self.assertEqual(found.get('share/hotplugd/examples/hooks.d'), places - active)

class CockpitPackage(unittest.TestCase):
    """data/cockpit/ as Cockpit loads it: a valid manifest, no inline
    script (Cockpit's Content Security Policy blocks it), every file the page
    names is in the package."""
    DIR = os.path.join(SRC, 'data', 'cockpit')

    @classmethod
    def files(cls):
        return sorted(f for f in os.listdir(cls.DIR) if f != 'meson.build')

    def test_manifest(self):
        import json
        with open(os.path.join(self.DIR, 'manifest.json')) as f:
            manifest = json.load(f)
        entries = {**manifest.get('menu', {}), **manifest.get('tools', {})}
        self.assertTrue(entries, 'the page is in no menu')
        for name, entry in entries.items():
            self.assertIn(entry.get('path', name + '.html'), self.files())
            self.assertTrue(entry.get('label'))

    def test_no_inline_script_and_every_file_there(self):
        with open(os.path.join(self.DIR, 'index.html')) as f:
            html = f.read()
        scripts = re.findall(r'<script\b([^>]*)>(.*?)</script>', html, re.S)
        self.assertTrue(scripts)
        for attrs, body in scripts:
            self.assertRegex(attrs, r'\bsrc="[^"]+"')
            self.assertEqual(body.strip(), '', 'inline script')
        self.assertNotRegex(html, r'\son[a-z]+=', 'inline event handler')
        self.assertNotRegex(html, r'\sstyle=', 'inline style')
        for ref in re.findall(r'\b(?:src|href)="([^"]+)"', html):
            if ref.startswith('../base1/'):
                continue        # Cockpit's own
            self.assertIn(ref, self.files())
        with open(os.path.join(self.DIR, 'meson.build')) as f:
            build = f.read()
        for name in self.files():
            self.assertIn(f"'{name}'", build, f'{name} is not installed')


if __name__ == '__main__':
    unittest.main(verbosity=2)
