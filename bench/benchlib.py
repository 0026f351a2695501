# SPDX-License-Identifier: GPL-2.0-or-later
"""What several benches share: a daemon without hooks, and perf's report
of where a daemon's time went."""
import contextlib
import fcntl
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


REALKERNEL_LOCK = '/tmp/hotplugd-realkernel.lock'


def _ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f'/proc/{pid}/stat') as f:
                pid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def _held_by_ancestor(fd):
    """Whether a process this one runs under holds the flock on FD's file
    (a caller that wrapped the bench in flock(1) already)."""
    st = os.fstat(fd)
    key = f'{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}'
    mine = _ancestors()
    with open('/proc/locks') as f:
        for line in f:
            fields = line.split()
            if len(fields) > 5 and fields[1] == 'FLOCK' and fields[5] == key and fields[4].isdigit() \
                    and int(fields[4]) in mine:
                return True
    return False


@contextlib.contextmanager
def realkernel_lock():
    """The lock every user of the real kernel's CPUs and uevents takes on
    this machine; taken here unless a process this one runs under holds it
    (flock /tmp/hotplugd-realkernel.lock bench/run cpu), waited for otherwise."""
    fd = os.open(REALKERNEL_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _held_by_ancestor(fd):
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
