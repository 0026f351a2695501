#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The inside of hotplugtest.PeerHost: runs as the COMMAND of a second
hotplug-sim (`hotplug-sim --machine host-b --fabric DIR -- /usr/bin/python3
peer-host.py INFO [POLKIT]`), starts that host's own private system bus,
polkit mock and daemon (hotplugtest.Environment), writes INFO (JSON: the
bus address, the simulator's control socket and testbed, this process's
pid) and waits until SIGTERM, then tears everything down."""
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotplugtest as ht  # noqa: E402


def main():
    info_path = sys.argv[1]
    polkit = sys.argv[2] if len(sys.argv) > 2 else 'allow'
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with ht.Environment(polkit=polkit) as env:
        info = dict(bus=env.bus.address, sim_socket=os.environ['HOTPLUG_SIM_SOCKET'],
                    sim_root=os.environ['HOTPLUG_SIM_ROOT'], pid=os.getpid(),
                    preload=os.environ.get('LD_PRELOAD', ''))
        with open(info_path + '.new', 'w') as f:
            json.dump(info, f)
        os.rename(info_path + '.new', info_path)
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
