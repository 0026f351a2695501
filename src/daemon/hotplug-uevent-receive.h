/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hotplug-event.h"

G_BEGIN_DECLS

/* Where one message lands; the event received points into it. */
typedef struct
{
  char data[16384];
} HotplugUeventBuffer;

/* Receives one message from the monitor socket FD.  Returns 1 with EVENT
 * filled (its strings point into BUFFER, valid until the next receive;
 * hotplug_uevent_clear() afterwards), 0 for a message that is not taken
 * (not trusted, malformed, or of a subsystem not in SUBSYSTEMS, a NULL
 * terminated list), or -errno (-EAGAIN: nothing more; -ENOBUFS: events
 * were lost). */
int  hotplug_uevent_receive (int                  fd,
                             const char *const   *subsystems,
                             HotplugUeventBuffer *buffer,
                             HotplugEvent        *event);
void hotplug_uevent_clear   (HotplugEvent *event);

G_END_DECLS
