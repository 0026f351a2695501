# SPDX-License-Identifier: GPL-2.0-or-later
"""What several benches share: a daemon without hooks, and perf's report
of where a daemon's time went."""
import contextlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import hotplugtest as ht  # noqa: E402


@contextlib.contextmanager
def daemon_without_hooks(config):
    """An Environment whose daemon reads CONFIG (hotplugd.conf text) and an
    empty admin hook root: no hooks run."""
    conf = tempfile.NamedTemporaryFile('w', suffix='.conf', delete=False)
    conf.write(config)
    conf.close()
    hooks = tempfile.mkdtemp()
    try:
        with ht.Environment(polkit='allow', daemon_args=['--config', conf.name],
                            daemon_env={'HOTPLUG_HOOKS_DIR': hooks}) as env:
            yield env
    finally:
        os.unlink(conf.name)
        os.rmdir(hooks)


def print_perf_report(perf, data, top, percent_limit='1'):
    """Self time by shared object, then the TOP functions, from perf.data."""
    for sort, limit in (('dso', 6), ('dso,sym', top)):
        out = subprocess.run([perf, 'report', '-i', data, '--no-children', '--sort', sort, '--stdio',
                              '-g', 'none', '--percent-limit', percent_limit],
                             capture_output=True, text=True).stdout
        lines = [line.rstrip() for line in out.splitlines() if line.strip() and not line.startswith('#')]
        for line in lines[:limit]:
            print('  ' + line)
