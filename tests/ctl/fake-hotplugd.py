#!/usr/bin/python3
# A stand-in for hotplugd on a private bus, for testing hotplugctl: it owns
# org.hotplugd.Hotplug1 on the bus in DBUS_SYSTEM_BUS_ADDRESS, publishes a
# fixed platform (units of every kind, a job, two domains) through
# org.freedesktop.DBus.ObjectManager, answers GetUnit, GetDomain and
# ListDevices as the API says, and takes orders from the test on the
# test-only interface org.hotplugd.Test (change a property, add or remove a
# unit). Prints READY on stdout once the name is owned.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import sys

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


class Error(dbus.DBusException):
    def __init__(self, name, message):
        super().__init__(message, name=ERROR + name)


def unit_props(uid, kind, state, parent='', cpus='', cpus_online='', nodes='',
               mem=0, blocks=0, blocks_online=0, ranges='', slots=(),
               domain='', phase='', job='/', blockers=()):
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
        'Blockers': dbus.Array([dbus.Struct(b, signature='ssss') for b in blockers],
                               signature='(ssss)'),
    }


def platform():
    units = [
        unit_props('sb10', 'sb', 'offline', cpus='48-63', nodes='3', mem=64 * GiB,
                   blocks=64, ranges='192-255'),
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
        unit_props('slot-2', 'slot', 'online', parent='sb0', domain='0000'),
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
    }}
    for did, state, slots in (('0000', 'connected', ['slot-1', 'slot-2', 'slot-3']),
                              ('0001', 'inactive', ['slot-10'])):
        pci = [d[0] for s in slots for d in DEVICES[s]]
        objects[PATH + '/domain/' + did] = {DOMAIN: {
            'Id': dbus.String(did),
            'ConnectionState': dbus.String(state),
            'Slots': dbus.Array(slots, signature='s'),
            'PciDevices': dbus.Array(pci, signature='s'),
            'Job': dbus.ObjectPath('/'),
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
        self.Reset()

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

    # org.hotplugd.Test: what the test asks of the "daemon"

    @dbus.service.method(TEST)
    def Reset(self):
        for path in list(self.children):
            self.children.pop(path).remove_from_connection()
        for path, interfaces in platform().items():
            self.children[path] = Object(self.bus, path, interfaces)
        self.fail_list_devices = ''

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
        self.children[path] = Object(self.bus, path, interfaces)
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
