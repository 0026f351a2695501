#!/usr/bin/python3
# A stand-in for hotplugd on a private bus, for testing hotplugctl: it owns
# org.hotplugd.Hotplug1 on the bus in DBUS_SYSTEM_BUS_ADDRESS, publishes a
# fixed platform (units of every kind, two jobs, two domains) through
# org.freedesktop.DBus.ObjectManager, answers GetUnit, GetDomain,
# ListDevices and ListHooks as the API says, and takes orders from the test
# on the test-only interface org.hotplugd.Test (change a property, add or
# remove a unit, script the next job). Prints READY on stdout once the name
# is owned.
#
# Unit.Add, Remove and Replace, and Domain.PrepareForSwitchover and Connect,
# record the call and its options (with their
# D-Bus types) and either fail with the scripted error or create a job that
# plays the scripted actions, with the signals and property changes the API
# describes; Job.Cancel switches a job to its scripted rollback. A script is
# JSON: {"error": [NAME, MESSAGE]} or {"steps": [ACTION...], "cancel":
# [ACTION...] or null (Cancel is accepted and ignored), "sync": N (actions
# played before the reply, default 1), "interval_ms": N (between actions,
# default 5), "linger_ms": N (how long an ended job stays, default forever)}.
# Actions: ["start", PHASE, INDEX, DESCRIPTION, PROGRESS], ["finish", INDEX,
# OK, MESSAGE], ["hook", EVENT, PATH, EXIT_STATUS, RESULT, DURATION_US],
# ["progress", N], ["sleep", MS], ["end", STATE, REASON], ["vanish", STATE,
# REASON] (the job goes away without saying how it ended; the unit's
# LastJob* properties say it), ["pending", WHAT, REASON, AGO_MS] (the job's
# Pending, PendingReason and PendingSince, AGO_MS before now; WHAT empty:
# nothing pending), ["domain", STATE] (the domain's ConnectionState).
# A domain's jobs have the Pending properties, a unit's do not (as from a
# daemon older than them). Domain.CancelSwitchover plays the running
# switchover's "cancel" actions, or fails with the script's "cancel_error".
# A script {"model": true} makes a domain's jobs act as the daemon's
# would: Connect connects, PrepareForSwitchover disconnects (a pending hook
# on the way), and either succeeds at once where there is nothing to do.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import collections
import json
import os
import sys
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = 'org.hotplugd.Hotplug1'
PATH = '/org/hotplugd/Hotplug1'
MANAGER = NAME + '.Manager'
UNIT = NAME + '.Unit'
JOB = NAME + '.Job'
DOMAIN = NAME + '.Domain'
ERROR = NAME + '.Error.'
TEST = 'org.hotplugd.Test'
OM = 'org.freedesktop.DBus.ObjectManager'
GiB = 1024 ** 3
MiB = 1024 ** 2

# Devices below each slot, depth first: address, depth, parent, description.
DEVICES = {
    'slot-1': [
        ('0000:41:00.0', 0, '', '10b5:8747 0x060400'),
        ('0000:42:00.0', 1, '0000:41:00.0', '10b5:8747 0x060400'),
        ('0000:43:00.0', 2, '0000:42:00.0', '8086:1572 0x020000'),
        ('0000:42:01.0', 1, '0000:41:00.0', '144d:a808 0x010802'),
    ],
    'slot-2': [
        ('0000:51:00.0', 0, '', '15b3:1017 0x020000'),
        ('0000:51:00.1', 0, '', '15b3:1017 0x020000'),
    ],
    'slot-10': [
        ('0001:02:00.0', 0, '', '10de:20b0 0x030200'),
    ],
    'slot-3': [],
}


# What ListHooks knows, in run order within each event and kind.
HOOKS = [
    ('pre-remove', 'sb', '10-stop-batch-jobs', '/etc/hotplugd/hooks.d/sb/pre-remove/10-stop-batch-jobs',
     'admin', 'runnable', ''),
    ('pre-remove', 'sb', '50-drain-nfs', '/usr/lib/hotplugd/hooks.d/any/pre-remove/50-drain-nfs',
     'vendor', 'runnable', ''),
    ('pre-remove', 'sb', '60-old', '/etc/hotplugd/hooks.d/any/pre-remove/60-old',
     'admin', 'masked', ''),
    ('pre-remove', 'sb', '70-unsafe', '/etc/hotplugd/hooks.d/sb/pre-remove/70-unsafe',
     'admin', 'refused', 'writable by group or others'),
    ('pre-remove', 'cpu', '50-drain-nfs', '/usr/lib/hotplugd/hooks.d/any/pre-remove/50-drain-nfs',
     'vendor', 'runnable', ''),
    ('post-add', 'sb', '90-notify', '/usr/lib/hotplugd/hooks.d/any/post-add/90-notify',
     'vendor', 'runnable', ''),
    ('remove-failed', 'sb', '90-notify', '/usr/lib/hotplugd/hooks.d/any/remove-failed/90-notify',
     'vendor', 'runnable', ''),
    ('remove-failed', 'sb', '10-restart-batch-jobs',
     '/etc/hotplugd/hooks.d/sb/remove-failed/10-restart-batch-jobs', 'admin', 'runnable', ''),
]
EVENTS = ['pre-add', 'post-add', 'add-failed', 'pre-remove', 'post-remove', 'remove-failed',
          'pre-replace', 'post-replace', 'replace-failed', 'pre-switchover', 'post-switchover',
          'switchover-failed', 'post-connect']
KINDS = ['sb', 'iou', 'slot', 'cpu', 'memory', 'domain']

# D-Bus type of an option value, as dbus-python hands it over.
SIGNATURES = [(dbus.Boolean, 'b'), (dbus.Byte, 'y'), (dbus.Int16, 'n'), (dbus.UInt16, 'q'),
              (dbus.Int32, 'i'), (dbus.UInt32, 'u'), (dbus.Int64, 'x'), (dbus.UInt64, 't'),
              (dbus.Double, 'd'), (dbus.ObjectPath, 'o'), (dbus.String, 's')]


def signature(value):
    for t, sig in SIGNATURES:
        if isinstance(value, t):
            return sig
    return '?'


def plain(value):
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (int, float)):
        return value
    return str(value)


class Error(dbus.DBusException):
    def __init__(self, name, message):
        super().__init__(message, name=ERROR + name)


def unit_props(uid, kind, state, parent='', cpus='', cpus_online='', nodes='',
               mem=0, blocks=0, blocks_online=0, ranges='', slots=(),
               domain='', phase='', job='/', blockers=(), last=('', '', '', 0), not_hotpluggable=''):
    pci = []
    for s in ([uid] if kind == 'slot' else slots):
        pci += [d[0] for d in DEVICES.get(s, [])]
    return {
        'Id': dbus.String(uid),
        'Kind': dbus.String(kind),
        'State': dbus.String(state),
        'Phase': dbus.String(phase),
        'Parent': dbus.String(parent),
        'SysfsPath': dbus.String('/sys/devices/LNXSYSTM:00/' + uid),
        'Cpus': dbus.String(cpus),
        'CpusOnline': dbus.String(cpus_online),
        'Nodes': dbus.String(nodes),
        'MemoryBytes': dbus.UInt64(mem),
        'MemoryBlocks': dbus.UInt32(blocks),
        'MemoryBlocksOnline': dbus.UInt32(blocks_online),
        'MemoryRanges': dbus.String(ranges),
        'PciDevices': dbus.Array(pci, signature='s'),
        'Slots': dbus.Array(list(slots), signature='s'),
        'Domain': dbus.String(domain),
        'Job': dbus.ObjectPath(job),
        'LastJobOperation': dbus.String(last[0]),
        'LastJobState': dbus.String(last[1]),
        'LastJobReason': dbus.String(last[2]),
        'LastJobEndTime': dbus.UInt64(last[3]),
        'Blockers': dbus.Array([dbus.Struct(b, signature='ssss') for b in blockers],
                               signature='(ssss)'),
        'Hotpluggable': dbus.Boolean(not not_hotpluggable),
        'HotpluggableReason': dbus.String(not_hotpluggable),
    }


def job_props(jid, operation, uid, dry_run=False, force=False, props=None, pending=False):
    job = {
        'Id': dbus.UInt32(jid),
        'Operation': dbus.String(operation),
        'Unit': dbus.String(uid),
        'State': dbus.String('running'),
        'Phase': dbus.String(''),
        'Step': dbus.String(''),
        'Progress': dbus.UInt32(0),
        'Hook': dbus.String(''),
        'Reason': dbus.String(''),
        'StartTime': dbus.UInt64(int(time.time() * 1e6)),
        'EndTime': dbus.UInt64(0),
        'DryRun': dbus.Boolean(dry_run),
        'Force': dbus.Boolean(force),
        'Initiator': dbus.String(':1.1'),
    }
    if pending:
        job.update(Pending=dbus.String(''), PendingReason=dbus.String(''), PendingSince=dbus.UInt64(0))
    for name, value in (props or {}).items():
        job[name] = type(job[name])(value)
    return job


def platform():
    units = [
        unit_props('sb10', 'sb', 'offline', cpus='48-63', nodes='3', mem=64 * GiB,
                   blocks=64, ranges='192-255',
                   last=('add', 'vetoed', 'board sb10 is reserved', 1700000100000000)),
        unit_props('sb0', 'sb', 'online', cpus='0-15', cpus_online='0-15', nodes='0',
                   mem=64 * GiB, blocks=64, blocks_online=64, ranges='0-63',
                   slots=('slot-1', 'slot-2', 'slot-3'), domain='0000',
                   blockers=[('mount', '/dev/nvme0n1p1', '/data', '')]),
        unit_props('sb1', 'sb', 'removing', cpus='16-31', cpus_online='16-23', nodes='1',
                   mem=64 * GiB, blocks=64, blocks_online=32, ranges='64-127',
                   phase='pre-remove', job=PATH + '/job/3'),
        unit_props('sb2', 'sb', 'absent'),
        unit_props('iou1', 'iou', 'failed'),
        unit_props('iou0', 'iou', 'online', slots=('slot-10',), domain='0001'),
        unit_props('slot-10', 'slot', 'online', parent='iou0', domain='0001'),
        unit_props('slot-2', 'slot', 'online', parent='sb0', domain='0000',
                   not_hotpluggable='the platform lists this slot but cannot power it'),
        unit_props('slot-1', 'slot', 'online', parent='sb0', domain='0000'),
        unit_props('slot-3', 'slot', 'absent', parent='sb0', domain='0000'),
        unit_props('cpu10', 'cpu', 'offline', cpus='10', nodes='0'),
        unit_props('cpu2', 'cpu', 'online', cpus='2', cpus_online='2', nodes='0'),
        unit_props('memory-node1', 'memory', 'online', nodes='1', mem=8 * GiB,
                   blocks=64, blocks_online=60, ranges='1024-1087'),
    ]
    objects = {}
    for u in units:
        objects[PATH + '/unit/' + u['Id'].replace('-', '_')] = {UNIT: u}
    objects[PATH + '/job/2'] = {JOB: job_props(2, 'add', 'sb10', dry_run=True, props={
        'State': 'vetoed', 'Phase': 'pre-add', 'Progress': 10,
        'Reason': 'board sb10 is reserved', 'StartTime': 1700000000000000,
        'EndTime': 1700000100000000})}
    objects[PATH + '/job/3'] = {JOB: {
        'Id': dbus.UInt32(3),
        'Operation': dbus.String('remove'),
        'Unit': dbus.String('sb1'),
        'State': dbus.String('running'),
        'Phase': dbus.String('pre-remove'),
        'Step': dbus.String('running hook "10-stop-batch-jobs"\tC:\\jobs'),
        'Progress': dbus.UInt32(20),
        'Hook': dbus.String('/etc/hotplugd/hooks.d/any/pre-remove/10-stop-batch-jobs'),
        'Reason': dbus.String(''),
        'StartTime': dbus.UInt64(1700000000123456),
        'EndTime': dbus.UInt64(0),
        'DryRun': dbus.Boolean(False),
        'Force': dbus.Boolean(False),
        'Initiator': dbus.String('platform'),
    }}
    root = [('mount', '/', 'ext4 /dev/nvme0n1p2 on nvme0n1p2', ''), ('netdev', 'eth0', 'up, operstate up', '')]
    for did, state, slots, blockers in (('0000', 'connected', ['slot-1', 'slot-2', 'slot-3'], root),
                                        ('0001', 'inactive', ['slot-10'], [])):
        pci = [d[0] for s in slots for d in DEVICES[s]]
        objects[PATH + '/domain/' + did] = {DOMAIN: {
            'Id': dbus.String(did),
            'ConnectionState': dbus.String(state),
            'Slots': dbus.Array(slots, signature='s'),
            'PciDevices': dbus.Array(pci, signature='s'),
            'Job': dbus.ObjectPath('/'),
            'Blockers': dbus.Array([dbus.Struct(b, signature='ssss') for b in blockers], signature='(ssss)'),
        }}
    return objects


class Object(dbus.service.Object):
    '''One published object: its interfaces and their properties.'''

    def __init__(self, bus, path, interfaces):
        super().__init__(bus, path)
        self.interfaces = interfaces

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='ss', out_signature='v')
    def Get(self, interface, name):
        try:
            return self.interfaces[interface][name]
        except KeyError:
            raise dbus.DBusException('no property ' + name,
                                     name='org.freedesktop.DBus.Error.InvalidArgs')

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='s', out_signature='a{sv}')
    def GetAll(self, interface):
        return self.interfaces.get(interface, {})

    @dbus.service.signal(dbus.PROPERTIES_IFACE, signature='sa{sv}as')
    def PropertiesChanged(self, interface, changed, invalidated):
        pass

    def set(self, interface, **changes):
        props = self.interfaces[interface]
        changed = {}
        for name, value in changes.items():
            props[name] = changed[name] = type(props[name])(value)
        self.PropertiesChanged(interface, changed, [])


class Unit(Object):
    def __init__(self, bus, path, interfaces, manager):
        super().__init__(bus, path, interfaces)
        self.manager = manager

    @dbus.service.method(UNIT, in_signature='a{sv}', out_signature='o')
    def Add(self, options):
        return self.manager.start_job(self, 'add', options)

    @dbus.service.method(UNIT, in_signature='a{sv}', out_signature='o')
    def Remove(self, options):
        return self.manager.start_job(self, 'remove', options)

    @dbus.service.method(UNIT, in_signature='a{sv}', out_signature='o')
    def Replace(self, options):
        return self.manager.start_job(self, 'replace', options)


class Domain(Object):
    def __init__(self, bus, path, interfaces, manager):
        super().__init__(bus, path, interfaces)
        self.manager = manager

    @dbus.service.method(DOMAIN, in_signature='a{sv}', out_signature='o')
    def PrepareForSwitchover(self, options):
        return self.manager.start_job(self, 'switchover', options, DOMAIN)

    @dbus.service.method(DOMAIN, in_signature='a{sv}', out_signature='o')
    def Connect(self, options):
        return self.manager.start_job(self, 'connect', options, DOMAIN)

    @dbus.service.method(DOMAIN)
    def CancelSwitchover(self):
        did = str(self.interfaces[DOMAIN]['Id'])
        self.manager.calls.append({'method': 'CancelSwitchover', 'domain': did})
        if 'cancel_error' in self.manager.script:
            raise Error(*self.manager.script['cancel_error'])
        job = self.manager.children.get(str(self.interfaces[DOMAIN]['Job']))
        if isinstance(job, Job) and job.props['Operation'] == 'switchover' and \
                job.props['State'] == 'running' and job.script.get('cancel') is not None:
            job.actions = collections.deque(job.script['cancel'])
            job.schedule(0)


class Job(Object):
    '''A job playing a script: one action at a time, interval_ms apart.'''

    def __init__(self, bus, path, interfaces, manager, unit=None, script=None, iface=UNIT):
        super().__init__(bus, path, interfaces)
        self.manager = manager
        self.unit = unit
        self.iface = iface
        self.script = script or {}
        self.actions = collections.deque(self.script.get('steps', []))
        self.timer = 0
        self.gone = False

    @property
    def props(self):
        return self.interfaces[JOB]

    @dbus.service.method(JOB)
    def Cancel(self):
        self.manager.calls.append({'method': 'Cancel', 'job': int(self.props['Id'])})
        if self.props['State'] != 'running':
            raise Error('Failed', 'job %d already ended' % self.props['Id'])
        if self.script.get('cancel') is None:
            return
        self.actions = collections.deque(self.script['cancel'])
        self.schedule(0)

    @dbus.service.signal(JOB, signature='sus')
    def StepStarted(self, phase, index, description):
        pass

    @dbus.service.signal(JOB, signature='ubs')
    def StepFinished(self, index, ok, message):
        pass

    @dbus.service.signal(JOB, signature='ssist')
    def HookFinished(self, event, hook, exit_status, result, duration):
        pass

    def stop(self):
        self.gone = True
        if self.timer:
            GLib.source_remove(self.timer)
            self.timer = 0

    def schedule(self, ms):
        if self.timer:
            GLib.source_remove(self.timer)
        self.timer = GLib.timeout_add(ms, self.next)

    def play(self, count):
        '''Plays count actions at once (before the reply to Add).'''
        for _ in range(count):
            if not self.actions or self.actions[0][0] == 'sleep':
                break
            self.act(self.actions.popleft())

    def next(self):
        self.timer = 0
        if self.gone or not self.actions:
            return False
        action = self.actions.popleft()
        if action[0] == 'sleep':
            self.schedule(action[1])
            return False
        self.act(action)
        if self.actions and not self.gone:
            self.schedule(self.script.get('interval_ms', 5))
        return False

    def act(self, action):
        kind, args = action[0], action[1:]
        if kind == 'start':
            phase, index, description, progress = args
            self.StepStarted(phase, dbus.UInt32(index), description)
            self.set(JOB, Phase=phase, Step=description, Progress=progress)
            if self.iface == UNIT:
                self.unit.set(UNIT, Phase=phase)
        elif kind == 'finish':
            index, ok, message = args
            self.StepFinished(dbus.UInt32(index), dbus.Boolean(ok), message)
        elif kind == 'hook':
            event, path, status, result, duration = args
            self.set(JOB, Hook=path)
            self.HookFinished(event, path, dbus.Int32(status), result, dbus.UInt64(duration))
            self.set(JOB, Hook='')
        elif kind == 'progress':
            self.set(JOB, Progress=args[0])
        elif kind == 'pending':
            what, reason, ago_ms = args
            since = int(time.time() * 1e6) - ago_ms * 1000 if what else 0
            self.set(JOB, Pending=what, PendingReason=reason, PendingSince=since)
        elif kind == 'domain':
            self.unit.set(DOMAIN, ConnectionState=args[0])
        elif kind in ('end', 'vanish'):
            state, reason = args
            now = int(time.time() * 1e6)
            self.actions.clear()
            if kind == 'end':
                self.set(JOB, State=state, Reason=reason, EndTime=now, Hook='')
            if self.iface == DOMAIN:
                self.unit.set(DOMAIN, Job=dbus.ObjectPath('/'))
            else:
                self.unit.set(UNIT, Job=dbus.ObjectPath('/'), Phase='',
                              LastJobOperation=self.props['Operation'], LastJobState=state,
                              LastJobReason=reason, LastJobEndTime=now)
            if kind == 'vanish':
                self.manager.remove_job(self)
            elif 'linger_ms' in self.script:
                GLib.timeout_add(self.script['linger_ms'], self.manager.remove_job, self)


class Manager(Object):
    def __init__(self, bus):
        super().__init__(bus, PATH, {MANAGER: {
            'Version': dbus.String('0.1.0'),
            'EventSource': dbus.String('kernel'),
            'Simulated': dbus.Boolean(True),
            'Resyncs': dbus.UInt32(0),
        }})
        self.bus = bus
        self.children = {}
        self.fail_list_devices = ''
        self.calls = []
        self.script = {}
        self.next_job = 7
        self.Reset()

    def model_script(self, domain, operation):
        '''What the daemon does for a domain's Connect or PrepareForSwitchover.'''
        state = str(domain.interfaces[DOMAIN]['ConnectionState'])
        if operation == 'connect':
            if state == 'connected':
                return {'steps': [['end', 'succeeded', 'already connected']]}
            return {'steps': [['start', 'connect', 0, 'bind the devices', 50], ['finish', 0, True, ''],
                              ['domain', 'connected'], ['end', 'succeeded', '']]}
        if state in ('disconnected', 'inactive'):
            return {'steps': [['end', 'succeeded', 'already disconnected']]}
        hook = '/etc/hotplugd/hooks.d/domain/pre-switchover/10-flush-tx'
        return {'steps': [['start', 'pre-switchover', 0, 'run the pre-switchover hooks', 5],
                          ['domain', 'disconnecting'], ['pending', hook, 'transaction in flight', 0],
                          ['pending', '', '', 0], ['finish', 0, True, ''],
                          ['domain', 'disconnected'], ['end', 'succeeded', '']]}

    def start_job(self, unit, operation, options, iface=UNIT):
        uid = str(unit.interfaces[iface]['Id'])
        script = self.script
        if script.get('model') and iface == DOMAIN:
            script = self.model_script(unit, operation)
        self.calls.append({'method': operation, ('unit' if iface == UNIT else 'domain'): uid,
                           'options': {str(k): [signature(v), plain(v)]
                                       for k, v in options.items()}})
        if 'error' in script:
            raise Error(*script['error'])
        jid = self.next_job
        self.next_job += 1
        path = PATH + '/job/%d' % jid
        interfaces = {JOB: job_props(jid, operation, uid, bool(options.get('dry-run', False)),
                                     bool(options.get('force', False)), pending=iface == DOMAIN)}
        job = Job(self.bus, path, interfaces, self, unit, script, iface)
        self.children[path] = job
        self.InterfacesAdded(path, interfaces)
        unit.set(iface, Job=dbus.ObjectPath(path))
        # The first steps go out before the reply, as a daemon may send them.
        job.play(script.get('sync', 1))
        if job.actions:
            job.schedule(script.get('interval_ms', 5))
        return dbus.ObjectPath(path)

    def remove_job(self, job):
        job.stop()
        path = job.__dbus_object_path__
        if self.children.get(path) is job:
            del self.children[path]
            job.remove_from_connection()
            self.InterfacesRemoved(path, [JOB])
        return False

    def unit_path(self, uid):
        for path, ifaces in self.children.items():
            if UNIT in ifaces.interfaces and ifaces.interfaces[UNIT]['Id'] == uid:
                return path
        raise Error('NoSuchUnit', 'no such unit: ' + uid)

    # org.freedesktop.DBus.ObjectManager

    @dbus.service.method(OM, out_signature='a{oa{sa{sv}}}')
    def GetManagedObjects(self):
        return {p: o.interfaces for p, o in self.children.items()}

    @dbus.service.signal(OM, signature='oa{sa{sv}}')
    def InterfacesAdded(self, path, interfaces):
        pass

    @dbus.service.signal(OM, signature='oas')
    def InterfacesRemoved(self, path, interfaces):
        pass

    # org.hotplugd.Hotplug1.Manager

    @dbus.service.method(MANAGER, in_signature='s', out_signature='o')
    def GetUnit(self, uid):
        return dbus.ObjectPath(self.unit_path(uid))

    @dbus.service.method(MANAGER, in_signature='s', out_signature='o')
    def GetDomain(self, did):
        path = PATH + '/domain/' + did
        if path not in self.children:
            raise Error('NoSuchUnit', 'no such domain: ' + did)
        return dbus.ObjectPath(path)

    @dbus.service.method(MANAGER, in_signature='s', out_signature='a(suss)')
    def ListDevices(self, uid):
        path = self.unit_path(uid)
        if self.fail_list_devices:
            raise Error('Failed', self.fail_list_devices)
        unit = self.children[path].interfaces[UNIT]
        slots = [uid] if unit['Kind'] == 'slot' else list(unit['Slots'])
        return dbus.Array([dbus.Struct(d, signature='suss')
                           for s in slots for d in DEVICES.get(s, [])], signature='(suss)')

    @dbus.service.method(MANAGER, in_signature='ss', out_signature='a(sssssss)')
    def ListHooks(self, event, kind):
        if event and event not in EVENTS:
            raise Error('InvalidArgument', 'unknown event: ' + event)
        if kind and kind not in KINDS:
            raise Error('InvalidArgument', 'unknown unit kind: ' + kind)
        return dbus.Array([dbus.Struct(h, signature='sssssss') for h in HOOKS
                           if (not event or h[0] == event) and (not kind or h[1] == kind)],
                          signature='(sssssss)')

    # org.hotplugd.Test: what the test asks of the "daemon"

    @dbus.service.method(TEST)
    def Reset(self):
        for path in list(self.children):
            child = self.children.pop(path)
            if isinstance(child, Job):
                child.stop()
            child.remove_from_connection()
        for path, interfaces in platform().items():
            if UNIT in interfaces:
                self.children[path] = Unit(self.bus, path, interfaces, self)
            elif JOB in interfaces:
                self.children[path] = Job(self.bus, path, interfaces, self)
            elif DOMAIN in interfaces:
                self.children[path] = Domain(self.bus, path, interfaces, self)
            else:
                self.children[path] = Object(self.bus, path, interfaces)
        self.fail_list_devices = ''
        self.calls = []
        self.script = {}
        self.next_job = 7

    @dbus.service.method(TEST, in_signature='s')
    def SetJobScript(self, script):
        self.script = json.loads(script)

    @dbus.service.method(TEST)
    def RemoveJobs(self):
        for child in list(self.children.values()):
            if isinstance(child, Job):
                self.remove_job(child)

    @dbus.service.method(TEST, out_signature='s')
    def GetCalls(self):
        return json.dumps(self.calls)

    @dbus.service.method(TEST, in_signature='ossv')
    def SetProperty(self, path, interface, name, value):
        props = self.children[path].interfaces[interface]
        old = props[name]
        # Keep the D-Bus type the property has (value arrives as a variant).
        if isinstance(old, dbus.Array):
            new = dbus.Array(value, signature=old.signature)
        else:
            new = type(old)(value)
        props[name] = new
        self.children[path].PropertiesChanged(interface, {name: new}, [])

    @dbus.service.method(TEST, in_signature='sss')
    def AddUnit(self, uid, kind, state):
        path = PATH + '/unit/' + uid.replace('-', '_')
        interfaces = {UNIT: unit_props(uid, kind, state)}
        self.children[path] = Unit(self.bus, path, interfaces, self)
        self.InterfacesAdded(path, interfaces)

    @dbus.service.method(TEST, in_signature='s')
    def RemoveUnit(self, uid):
        path = self.unit_path(uid)
        self.children.pop(path).remove_from_connection()
        self.InterfacesRemoved(path, [UNIT])

    @dbus.service.method(TEST, in_signature='s')
    def FailListDevices(self, message):
        self.fail_list_devices = message


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
    manager = Manager(bus)  # noqa: F841 (exported while it lives)
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)  # noqa: F841
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)
    print('READY', flush=True)
    loop.run()


if __name__ == '__main__':
    sys.exit(main())
