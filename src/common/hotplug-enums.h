/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Values travel on the bus and in state files as their nicks
 * (hotplug_enum_to_string), so the nick is the contract. */

typedef enum {
  HOTPLUG_UNIT_KIND_SB,     /*< nick=sb >*/
  HOTPLUG_UNIT_KIND_IOU,    /*< nick=iou >*/
  HOTPLUG_UNIT_KIND_SLOT,   /*< nick=slot >*/
  HOTPLUG_UNIT_KIND_CPU,    /*< nick=cpu >*/
  HOTPLUG_UNIT_KIND_MEMORY, /*< nick=memory >*/
} HotplugUnitKind;

typedef enum {
  HOTPLUG_UNIT_STATE_ABSENT,   /*< nick=absent >*/
  HOTPLUG_UNIT_STATE_OFFLINE,  /*< nick=offline >*/
  HOTPLUG_UNIT_STATE_ADDING,   /*< nick=adding >*/
  HOTPLUG_UNIT_STATE_ONLINE,   /*< nick=online >*/
  HOTPLUG_UNIT_STATE_REMOVING, /*< nick=removing >*/
  HOTPLUG_UNIT_STATE_QUIESCED, /*< nick=quiesced >*/
  HOTPLUG_UNIT_STATE_FAILED,   /*< nick=failed >*/
} HotplugUnitState;

typedef enum {
  HOTPLUG_JOB_STATE_RUNNING,   /*< nick=running >*/
  HOTPLUG_JOB_STATE_SUCCEEDED, /*< nick=succeeded >*/
  HOTPLUG_JOB_STATE_FAILED,    /*< nick=failed >*/
  HOTPLUG_JOB_STATE_VETOED,    /*< nick=vetoed >*/
  HOTPLUG_JOB_STATE_CANCELLED, /*< nick=cancelled >*/
  HOTPLUG_JOB_STATE_TIMEOUT,   /*< nick=timeout >*/
} HotplugJobState;

typedef enum {
  HOTPLUG_CONNECTION_INACTIVE,      /*< nick=inactive >*/
  HOTPLUG_CONNECTION_CONNECTED,     /*< nick=connected >*/
  HOTPLUG_CONNECTION_DISCONNECTING, /*< nick=disconnecting >*/
  HOTPLUG_CONNECTION_DISCONNECTED,  /*< nick=disconnected >*/
  /* a failed switchover could not reconnect everything: the administrator
   * looks, and Connect repairs it */
  HOTPLUG_CONNECTION_FAILED,        /*< nick=failed >*/
} HotplugConnectionState;

G_END_DECLS
