#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The man pages (man/*.[1-8]) pass two linters without a single message:
mandoc's (-T lint -W all: errors, warnings and style) and groff's, with
every warning on (-ww), as man(1) formats them for a UTF-8 terminal and for
an ASCII one; each page is installed, and the pages they name of this
project exist."""
import glob
import os
import re
import shutil
import subprocess
import unittest

SRC = os.environ['HOTPLUG_SOURCE_DIR']
PAGES = sorted(glob.glob(os.path.join(SRC, 'man', '*.[1-8]')))


def run(argv):
    r = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ, LC_ALL='C.UTF-8'))
    return r.returncode, (r.stdout + r.stderr).strip()


class ManPages(unittest.TestCase):
    def test_pages_found(self):
        names = [os.path.basename(p) for p in PAGES]
        for page in ('hotplugd.8', 'hotplugctl.1', 'hotplug-sim.1', 'hotplugd.conf.5', 'hotplugd-hooks.7'):
            self.assertIn(page, names)

    def test_mandoc_lint(self):
        if not shutil.which('mandoc'):
            self.skipTest('mandoc is not installed (Debian package mandoc)')
        for page in PAGES:
            with self.subTest(page=os.path.basename(page)):
                status, out = run(['mandoc', '-T', 'lint', '-W', 'all', page])
                self.assertEqual(out, '')
                self.assertEqual(status, 0)

    def test_groff_warnings(self):
        if not shutil.which('groff'):
            self.skipTest('groff is not installed (Debian package groff-base)')
        for page in PAGES:
            # tbl for the pages with tables; utf8 and ascii are the devices
            # man(1) formats for in a UTF-8 and in a C locale
            for device in ('utf8', 'ascii'):
                with self.subTest(page=os.path.basename(page), device=device):
                    status, out = run(['groff', '-ww', '-z', '-t', '-man', '-T' + device, page])
                    self.assertEqual(out, '')
                    self.assertEqual(status, 0)

    def test_installed(self):
        with open(os.path.join(SRC, 'man', 'meson.build')) as f:
            listed = set(re.findall(r"'([\w.-]+\.[1-8])'", f.read()))
        self.assertEqual(listed, {os.path.basename(p) for p in PAGES})

    def test_references(self):
        """Every page of this project that a page names exists."""
        names = {os.path.basename(p) for p in PAGES}
        for page in PAGES:
            with open(page) as f:
                text = f.read()
            for name, section in re.findall(r'^\.BR\s+((?:hotplug|ocf_hotplugd)[\w.\\-]*)\s+\((\d)\)', text, re.M):
                name = name.replace('\\-', '-')
                self.assertIn(f'{name}.{section}', names, f'{os.path.basename(page)} names {name}({section})')


if __name__ == '__main__':
    unittest.main(verbosity=2)
