#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulated sysfs against this machine's real one, for the parts both
have: a CPU, a memory block, a NUMA node, the PCI functions and the files
above them.  For each kind: the attribute names (what the real kernel has
and the simulator lacks is printed; what hotplugd, its hooks or kernel.md
rely on must be there), the value format of each shared attribute, the file
modes (who may write), the keys of each uevent file, and the keys of the
uevents sent when a CPU goes offline and online again (the real ones
observed on the kernel netlink group with cpu1, which is always put back).

Runs under hotplug-sim (its /sys is the simulated one); the real side is
read by a child of this file (--collect) without the umockdev preload, in a
mount namespace of its own with a fresh sysfs on /sys."""
import json
import os
import re
import select
import socket
import stat
import subprocess
import sys
import time
import unittest

# --- collecting (runs on either side) --------------------------------------

BASE_EVENT_KEYS = {'ACTION', 'DEVPATH', 'SUBSYSTEM', 'SEQNUM'}


def read_value(path):
    try:
        with open(path, 'rb') as f:
            data = f.read(4096)
    except OSError:
        return None
    return data.decode('utf-8', 'replace') if b'\0' not in data else '<binary>'


def collect_dir(path):
    """Each entry of PATH: its type, mode, value (a readable file) or target."""
    out = {}
    try:
        names = os.listdir(path)
    except OSError:
        return None
    for n in names:
        p = os.path.join(path, n)
        st = os.lstat(p)
        e = {'mode': stat.S_IMODE(st.st_mode)}
        if stat.S_ISLNK(st.st_mode):
            e['type'] = 'link'
            e['target'] = os.readlink(p)
        elif stat.S_ISDIR(st.st_mode):
            e['type'] = 'dir'
        else:
            e['type'] = 'file'
            if st.st_mode & 0o444:
                e['value'] = read_value(p)
        out[n] = e
    return out


def first_numbered(path, prefix, prefer=None):
    try:
        names = [n for n in os.listdir(path) if re.fullmatch(prefix + r'\d+', n)]
    except OSError:
        return None
    if prefer in names:
        return prefer
    return min(names, key=lambda n: int(n[len(prefix):])) if names else None


def netlink_monitor():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)   # NETLINK_KOBJECT_UEVENT
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((0, 1))   # the kernel group
    return s


def parse_uevent(msg):
    """KEY=VALUE pairs of a kernel message (action@devpath, then pairs) or of
    a libudev one (a header starting with "libudev", then pairs)."""
    if msg.startswith(b'libudev\0'):
        off = int.from_bytes(msg[16:20], 'little')
        msg = msg[off:]
    props = {}
    for item in msg.split(b'\0'):
        k, sep, v = item.decode('utf-8', 'replace').partition('=')
        if sep:
            props[k] = v
    return props


def drain(sock, devpath, seconds):
    events = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not select.select([sock], [], [], max(0, end - time.monotonic()))[0]:
            break
        props = parse_uevent(sock.recv(65536))
        if props.get('DEVPATH') == devpath:
            events.append(props)
    return events


def write_attr(path, value):
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def cpu_events(cpu):
    """The uevents of CPU going offline and online again; CPU is back online
    (read back) when this returns, whatever happened."""
    path = f'/sys/devices/system/cpu/{cpu}/online'
    devpath = f'/devices/system/cpu/{cpu}'
    if os.geteuid() != 0:
        return {'skip': 'not root: cannot take a CPU offline'}
    if read_value(path) != '1\n':
        return {'skip': f'{path} does not read 1 (missing, or the CPU is offline)'}
    sock = netlink_monitor()
    result = {}
    try:
        write_attr(path, '0')
        result['offline'] = drain(sock, devpath, 1.0)
    finally:
        for _ in range(50):
            try:
                write_attr(path, '1')
            except OSError:
                pass
            if read_value(path) == '1\n':
                break
            time.sleep(0.1)
    result['online'] = drain(sock, devpath, 1.0)
    result['restored'] = read_value(path) == '1\n'
    sock.close()
    return result


def collect(with_events):
    sysd = '/sys/devices/system'
    out = {'cpu-top': collect_dir(f'{sysd}/cpu'), 'memory-top': collect_dir(f'{sysd}/memory'),
           'node-top': collect_dir(f'{sysd}/node')}
    cpu = 'cpu1' if os.path.exists(f'{sysd}/cpu/cpu1/online') else None
    out['cpu'] = collect_dir(f'{sysd}/cpu/{cpu}') if cpu else None
    block = first_numbered(f'{sysd}/memory', 'memory', 'memory1')
    out['memory'] = collect_dir(f'{sysd}/memory/{block}') if block else None
    node = first_numbered(f'{sysd}/node', 'node')
    out['node'] = collect_dir(f'{sysd}/node/{node}') if node else None
    pci = {}
    try:
        for bdf in sorted(os.listdir('/sys/bus/pci/devices')):
            pci[bdf] = collect_dir(os.path.realpath(f'/sys/bus/pci/devices/{bdf}'))
    except OSError:
        pass
    out['pci'] = pci
    if with_events and cpu:
        out['cpu-events'] = cpu_events(cpu)
    return out


# --- the test ---------------------------------------------------------------

LIST = r'(\d+(-\d+)?(,\d+(-\d+)?)*)?\n'
UEVENT_VALUES_PCI_MODALIAS = r'pci:v[0-9A-F]{8}d[0-9A-F]{8}sv[0-9A-F]{8}sd[0-9A-F]{8}bc[0-9A-F]{2}sc[0-9A-F]{2}i[0-9A-F]{2}'
ZONE = r'(none|DMA|DMA32|Normal|Movable|Device)'
# the formats the kernel documents for what hotplugd, its hooks and
# kernel.md use: these must be there and read like this on both sides
REQUIRED = {
    'cpu-top': {'online': LIST, 'offline': LIST, 'present': LIST, 'possible': LIST, 'uevent': r''},
    'cpu': {'online': r'[01]\n', 'uevent': None},
    'memory-top': {'block_size_bytes': r'[0-9a-f]+\n',
                   'auto_online_blocks': r'(offline|online|online_kernel|online_movable)\n'},
    'memory': {'state': r'(online|offline|going-offline)\n', 'online': r'[01]\n',
               'phys_index': r'[0-9a-f]{8,}\n', 'phys_device': r'\d+\n', 'removable': r'1\n',
               'valid_zones': ZONE + r'( ' + ZONE + r')*\n', 'uevent': r''},
    'node-top': {'online': LIST, 'possible': LIST},
    'node': {'cpulist': LIST, 'uevent': r''},
    'pci': {'vendor': r'0x[0-9a-f]{4}\n', 'device': r'0x[0-9a-f]{4}\n',
            'subsystem_vendor': r'0x[0-9a-f]{4}\n', 'subsystem_device': r'0x[0-9a-f]{4}\n',
            'class': r'0x[0-9a-f]{6}\n', 'enable': r'\d+\n', 'irq': r'\d+\n', 'numa_node': r'-?\d+\n',
            'config': None, 'remove': None, 'rescan': None, 'uevent': None},
}
# formats of attributes nothing here reads, checked where both sides have them
MASK = r'[0-9a-f]{1,8}(,[0-9a-f]{8})*\n'
FORMATS = {
    'cpu-top': {'kernel_max': r'\d+\n', 'enabled': LIST, 'isolated': LIST,
                'modalias': r'cpu:type:[^:]+:feature:.*\n'},
    'node': {'cpumap': MASK},
    'pci': {'modalias': UEVENT_VALUES_PCI_MODALIAS + r'\n', 'revision': r'0x[0-9a-f]{2}\n',
            'power_state': r'(D0|D1|D2|D3hot|D3cold|unknown)\n', 'driver_override': r'.*\n'},
}
# links both sides must have (node links: a CPU's or block's node)
REQUIRED_LINKS = {'cpu': {'subsystem', 'node*'}, 'memory': {'subsystem', 'node*'},
                  'node': {'subsystem', 'cpu*', 'memory*'}, 'pci': {'subsystem'}}
# the keys of each uevent file, by the real kernel's drivers
UEVENT_VALUES = {
    'PCI_CLASS': r'[0-9A-F]{1,6}', 'PCI_ID': r'[0-9A-F]{4}:[0-9A-F]{4}',
    'PCI_SUBSYS_ID': r'[0-9A-F]{4}:[0-9A-F]{4}', 'PCI_SLOT_NAME': r'[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]',
    'MODALIAS': '(' + UEVENT_VALUES_PCI_MODALIAS + r'|cpu:type:[^:]+:feature:.*)',
    'DRIVER': r'[\w.-]+',
}


def shape(v):
    """A coarse class of an attribute value, for attributes without a
    documented format."""
    if v is None:
        return 'unreadable'
    if v == '<binary>':
        return 'binary'
    nl = '\n' if v.endswith('\n') else ''
    body = v[:-1] if nl else v
    for name, rx in (('empty', r''), ('int', r'-?\d+'), ('hex0x', r'0x[0-9a-f]+'), ('list', r'[\d,-]+'),
                     ('word', r'[A-Za-z_][\w:.-]*'), ('pairs', r'(\w+=[^\n]*\n?)+'),
                     ('words', r'[\w:.-]+( [\w:.-]+)+')):
        if re.fullmatch(rx, body):
            return name + nl
    return 'text' + nl


def uevent_pairs(entry):
    text = (entry or {}).get('value') or ''
    return dict(line.partition('=')[::2] for line in text.splitlines() if '=' in line)


def files(d):
    return {n for n, e in (d or {}).items() if e['type'] == 'file'}


def links(d):
    return {n for n, e in (d or {}).items() if e['type'] == 'link'}


def has_link(d, pattern):
    return any(re.fullmatch(pattern.replace('*', r'\d+'), n) for n in links(d))


def collect_real():
    """This machine's sysfs and cpu1's uevents, by a child without the
    preload that mounts a fresh sysfs over /sys in its own mount namespace."""
    env = {k: v for k, v in os.environ.items()
           if k not in ('LD_PRELOAD', 'UMOCKDEV_DIR', 'HOTPLUG_SIM_ROOT', 'HOTPLUG_SIM_SOCKET')}
    script = 'mount -t sysfs sysfs /sys || exit 77; exec "$0" "$1" --collect'
    r = subprocess.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script,
                        sys.executable, os.path.abspath(__file__)],
                       env=env, capture_output=True, text=True, timeout=60)
    if r.returncode == 77:
        raise unittest.SkipTest(f'cannot mount a sysfs in a mount namespace of its own: {r.stderr.strip()}')
    if r.returncode != 0:
        raise AssertionError(f'collecting the real sysfs failed ({r.returncode}): {r.stderr}')
    return json.loads(r.stdout)


def collect_sim():
    r = subprocess.run([sys.executable, os.path.abspath(__file__), '--collect', '--no-events'],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f'collecting the simulated sysfs failed ({r.returncode}): {r.stderr}')
    return json.loads(r.stdout)


class Fidelity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.environ.get('HOTPLUG_SIM_ROOT'):
            raise unittest.SkipTest('not under hotplug-sim: there is no simulated sysfs to compare')
        if os.geteuid() != 0:
            raise unittest.SkipTest('not root: cannot mount the real sysfs in a mount namespace of its own')
        cls.real = collect_real()
        cls.sim = collect_sim()
        cls.sim_events = sim_cpu_events()

    def pairs(self, kind):
        """(real directory, simulated directories) of KIND, or a skip."""
        real, sim = self.real.get(kind), self.sim.get(kind)
        if kind == 'pci':
            if not real:
                self.skipTest('this machine has no PCI functions in /sys/bus/pci/devices')
            self.assertTrue(sim, 'the simulated machine has no PCI functions')
            return list(real.values()), list(sim.values())
        if real is None:
            self.skipTest(f'this machine has no {kind} directory in its sysfs')
        self.assertIsNotNone(sim, f'the simulated sysfs has no {kind} directory')
        return [real], [sim]

    def compare(self, kind):
        reals, sims = self.pairs(kind)
        required = REQUIRED[kind]
        real_names = set.union(*(files(r) for r in reals))
        problems = []
        lacking = set()
        for sim in sims:
            missing = sorted(real_names - files(sim))
            if missing:
                lacking.update(missing)
            for name, fmt in required.items():
                if any(name in files(r) for r in reals) and name not in files(sim):
                    problems.append(f'{kind}: no {name} (hotplugd or kernel.md relies on it)')
            for pattern in REQUIRED_LINKS.get(kind, ()):
                if all(has_link(r, pattern) for r in reals) and not has_link(sim, pattern):
                    problems.append(f'{kind}: no {pattern} link')
            problems += self.compare_links(kind, reals, sim)
            problems += self.compare_values(kind, reals, sim)
            problems += self.compare_uevent(kind, reals, sim)
        if lacking:
            print(f'{kind}: real attributes the simulator lacks: {" ".join(sorted(lacking))}')
        # the formats must hold on the real side too, or they prove nothing
        for real in reals:
            for name, fmt in dict(FORMATS.get(kind, {}), **required).items():
                v = (real.get(name) or {}).get('value')
                if fmt is not None and v is not None and not re.fullmatch(fmt, v):
                    problems.append(f'{kind}: the real {name} reads {v!r}, not {fmt!r}: the test is wrong')
        problems = list(dict.fromkeys(problems))
        self.assertEqual(problems, [], "\n".join(problems))

    def compare_links(self, kind, reals, sim):
        """Where the links shared by both sides lead: the same bus, the same
        kind of node, CPU or block; a driver below its bus."""
        def where(name, target):
            parts = os.path.normpath(target).split('/')
            if name == 'driver':
                return tuple(parts[-4:-2]) + (parts[-2],)     # bus, BUS, drivers
            if name == 'subsystem':
                return tuple(parts[-2:])
            return (parts[-2], re.sub(r'\d+$', 'N', parts[-1]), parts[-1] == name)
        problems = []
        for name in sorted(links(sim)):
            real_where = {where(name, r[name]['target']) for r in reals if name in links(r)}
            if real_where and where(name, sim[name]['target']) not in real_where:
                problems.append(f'{kind}: link {name} -> {sim[name]["target"]}, the real one leads to '
                                f'{" or ".join("/".join(map(str, w)) for w in real_where)}')
        return problems

    def compare_values(self, kind, reals, sim):
        problems = []
        required = REQUIRED[kind]
        for name in sorted(files(sim)):
            re_entries = [r[name] for r in reals if name in r and r[name]['type'] == 'file']
            if not re_entries:
                continue
            s = sim[name]
            modes = {e['mode'] for e in re_entries}
            if s['mode'] not in modes:
                problems.append(f'{kind}: {name} has mode {s["mode"]:o}, the real one {"/".join(f"{m:o}" for m in modes)}')
            fmt = required.get(name, FORMATS.get(kind, {}).get(name, ''))
            if name == 'uevent' or fmt is None:
                continue
            if fmt:
                if s.get('value') is not None and not re.fullmatch(fmt, s['value']):
                    problems.append(f'{kind}: {name} reads {s["value"]!r}, not {fmt!r}')
                continue
            shapes = {shape(e.get('value')) for e in re_entries if e['mode'] & 0o444}
            if shapes and 'unreadable' not in shapes and shape(s.get('value')) not in shapes:
                problems.append(f'{kind}: {name} reads {s.get("value")!r} ({shape(s.get("value"))}), '
                                f'the real one {"/".join(sorted(shapes))}')
        return problems

    def compare_uevent(self, kind, reals, sim):
        problems = []
        real_keys = set().union(*(uevent_pairs(r.get('uevent')).keys() for r in reals)) - {'DRIVER'}
        pairs = uevent_pairs(sim.get('uevent'))
        keys = set(pairs) - {'DRIVER'}
        if keys != real_keys:
            problems.append(f'{kind}: uevent keys {sorted(keys)}, the real ones {sorted(real_keys)}')
        # the kernel adds DRIVER= exactly when a driver is bound
        for side, dirs in (('real', reals), ('simulated', [sim])):
            for d in dirs:
                if ('DRIVER' in uevent_pairs(d.get('uevent'))) != has_link(d, 'driver'):
                    problems.append(f'{kind}: a {side} uevent file has DRIVER= exactly when there is no '
                                    f'driver link')
        for side, dirs in (('real', reals), ('simulated', [sim])):
            for d in dirs:
                for k, v in uevent_pairs(d.get('uevent')).items():
                    if k in UEVENT_VALUES and not re.fullmatch(UEVENT_VALUES[k], v):
                        problems.append(f'{kind}: {side} uevent {k}={v!r} is not {UEVENT_VALUES[k]!r}')
        if kind == 'pci' and pairs:
            v = lambda n: int(sim[n]['value'], 16)
            if pairs.get('PCI_ID') != f'{v("vendor"):04X}:{v("device"):04X}':
                problems.append(f'pci: PCI_ID={pairs.get("PCI_ID")} is not vendor:device')
            if pairs.get('PCI_CLASS') != f'{v("class"):X}':
                problems.append(f'pci: PCI_CLASS={pairs.get("PCI_CLASS")} is not the class attribute')
            if 'modalias' in sim and pairs.get('MODALIAS') != sim['modalias']['value'].strip():
                problems.append(f'pci: MODALIAS={pairs.get("MODALIAS")} is not the modalias attribute')
            if pairs.get('PCI_SUBSYS_ID') != f'{v("subsystem_vendor"):04X}:{v("subsystem_device"):04X}':
                problems.append(f'pci: PCI_SUBSYS_ID={pairs.get("PCI_SUBSYS_ID")} is not the subsystem ids')
        return problems

    def test_cpu(self):
        self.compare('cpu')

    def test_cpu_top(self):
        self.compare('cpu-top')

    def test_memory(self):
        self.compare('memory')

    def test_memory_top(self):
        self.compare('memory-top')

    def test_node(self):
        self.compare('node')

    def test_node_top(self):
        self.compare('node-top')

    def test_pci(self):
        self.compare('pci')

    def test_cpu_events(self):
        """The keys of cpu1's offline and online uevents: the kernel's
        (observed here) against the simulator's."""
        real = self.real.get('cpu-events')
        if real is None:
            self.skipTest('this machine has no cpu1 with an online file')
        if 'skip' in real:
            self.skipTest(real['skip'])
        self.assertTrue(real['restored'], 'cpu1 did not come back online')
        real_cpu, sim_cpu = self.real['cpu'], self.sim['cpu']
        for action in ('offline', 'online'):
            self.assertEqual([e['ACTION'] for e in real[action]], [action],
                             f'the kernel sent {real[action]} for cpu1 {action}')
            self.assertEqual([e['ACTION'] for e in self.sim_events[action]], [action],
                             f'the simulator sent {self.sim_events[action]} for cpu1 {action}')
            rk, sk = set(real[action][0]), set(self.sim_events[action][0])
            # an event carries the base keys and the device's uevent file
            self.assertEqual(rk, BASE_EVENT_KEYS | set(uevent_pairs(real_cpu['uevent'])), 'real')
            self.assertEqual(sk, BASE_EVENT_KEYS | set(uevent_pairs(sim_cpu['uevent'])), 'simulated')
            self.assertEqual(rk - {'DRIVER'}, sk - {'DRIVER'}, f'{action}: the keys differ')
            self.assertEqual(self.sim_events[action][0]['SUBSYSTEM'], real[action][0]['SUBSYSTEM'])

    def test_memory_events(self):
        """A simulated block's offline and online uevents carry what the
        kernel sends for a block (its uevent file is empty): the base keys
        only.  Real memory is never taken offline here."""
        if self.real.get('memory') is None:
            self.skipTest('this machine has no memory blocks to compare the uevent file with')
        self.assertEqual(uevent_pairs(self.real['memory']['uevent']), {})
        for action in ('offline', 'online'):
            got = self.sim_events['memory-' + action]
            self.assertEqual([e['ACTION'] for e in got], [action])
            self.assertEqual(set(got[0]), BASE_EVENT_KEYS)
            self.assertEqual(got[0]['SUBSYSTEM'], 'memory')


def sim_cpu_events():
    """cpu1 offline and online, and a movable block offline and online, on
    the simulated machine; the uevents heard."""
    sock = netlink_monitor()
    out = {}
    try:
        for key, path, devpath, off, on in (
                ('', '/sys/devices/system/cpu/cpu1/online', '/devices/system/cpu/cpu1', '0', '1'),
                ('memory-', None, None, 'offline', 'online')):
            if path is None:
                block = movable_block()
                path = f'/sys/devices/system/memory/{block}/state'
                devpath = f'/devices/system/memory/{block}'
            # the simulator finds a new reader when it sends; give it the time
            time.sleep(0.2)
            write_attr(path, off)
            out[key + 'offline'] = drain(sock, devpath, 1.0)
            write_attr(path, on)
            out[key + 'online'] = drain(sock, devpath, 1.0)
    finally:
        sock.close()
    return out


def movable_block():
    d = '/sys/devices/system/memory'
    for n in sorted(os.listdir(d)):
        if n.startswith('memory') and read_value(f'{d}/{n}/valid_zones') == 'Movable\n':
            return n
    raise AssertionError('the simulated machine has no Movable block')


if __name__ == '__main__':
    if '--collect' in sys.argv:
        json.dump(collect('--no-events' not in sys.argv), sys.stdout)
        sys.exit(0)
    unittest.main(verbosity=2)
