/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "hotplug-event.h"

G_DEFINE_BOXED_TYPE (HotplugEvent, hotplug_event, hotplug_event_copy, hotplug_event_free)

HotplugEvent *
hotplug_event_new (const char *action,
                   const char *subsystem,
                   const char *devpath)
{
  HotplugEvent *event = g_new0 (HotplugEvent, 1);
  const char *slash;

  g_return_val_if_fail (action != NULL, NULL);
  g_return_val_if_fail (devpath != NULL, NULL);

  event->action = g_strdup (action);
  event->subsystem = g_strdup (subsystem ? subsystem : "");
  event->devpath = g_strdup (devpath);
  slash = strrchr (devpath, '/');
  event->sysname = g_strdup (slash ? slash + 1 : devpath);
  /* properties are created on first use: enumeration makes tens of
   * thousands of events that have none */
  return event;
}

HotplugEvent *
hotplug_event_copy (const HotplugEvent *event)
{
  HotplugEvent *copy = hotplug_event_new (event->action, event->subsystem, event->devpath);
  GHashTableIter iter;
  gpointer k, v;

  copy->seqnum = event->seqnum;
  if (event->properties == NULL)
    return copy;
  g_hash_table_iter_init (&iter, event->properties);
  while (g_hash_table_iter_next (&iter, &k, &v))
    hotplug_event_set_property (copy, k, v);
  return copy;
}

void
hotplug_event_free (HotplugEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->action);
  g_free (event->subsystem);
  g_free (event->devpath);
  g_free (event->sysname);
  g_clear_pointer (&event->properties, g_hash_table_unref);
  g_free (event);
}

void
hotplug_event_set_property (HotplugEvent *event,
                            const char   *key,
                            const char   *value)
{
  g_return_if_fail (event != NULL && key != NULL);
  if (event->properties == NULL)
    event->properties = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (value)
    g_hash_table_insert (event->properties, g_strdup (key), g_strdup (value));
  else
    g_hash_table_remove (event->properties, key);
}

const char *
hotplug_event_get_property (const HotplugEvent *event,
                            const char         *key)
{
  return event->properties ? g_hash_table_lookup (event->properties, key) : NULL;
}
