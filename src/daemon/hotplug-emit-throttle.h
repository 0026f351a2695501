/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* How often, at most, a skeleton's PropertiesChanged carries a change of
 * its fast properties: those that change with every step of a job (a
 * board's CpusOnline and MemoryBlocksOnline, a job's Step and Progress,
 * thousands of times for one board).  Each bus client would otherwise get
 * one signal per step on top of the step signals; a hundred clients made
 * the bus and the clients eat the CPU the job needs.  The first change is
 * sent as before (in the skeleton's idle), later ones within the interval
 * wait for its end and go as one; a change of any other property sends
 * whatever waits at once, together, so a State change always carries the
 * counts of its moment.  No value is lost: the last one is always sent. */
#define HOTPLUG_EMIT_INTERVAL_MS 100

typedef void (*HotplugNotifyFunc) (GObject *object, GParamSpec *pspec);

typedef struct
{
  GObject           *object;   /* the owner, which embeds this (not ref'd) */
  HotplugNotifyFunc  notify;   /* the skeleton's: schedules its PropertiesChanged */
  const char *const *fast;     /* GObject names of the fast properties (static) */
  gint64             last;     /* monotonic µs when a signal was last scheduled */
  guint              timer_id; /* the end of the interval, while changes wait */
} HotplugEmitThrottle;

void hotplug_emit_throttle_init (HotplugEmitThrottle *self,
                                 GObject             *object,
                                 HotplugNotifyFunc    notify,
                                 const char *const   *fast);
/* The owner's GObject notify vfunc calls this instead of the skeleton's. */
void hotplug_emit_throttle_notify (HotplugEmitThrottle *self,
                                   GParamSpec          *pspec);
/* In the owner's dispose or finalize: nothing waits any more. */
void hotplug_emit_throttle_clear (HotplugEmitThrottle *self);

G_END_DECLS
