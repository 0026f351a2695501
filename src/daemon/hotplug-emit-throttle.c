/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-emit-throttle.h"

void
hotplug_emit_throttle_init (HotplugEmitThrottle *self, GObject *object, HotplugNotifyFunc notify,
                            const char *const *fast)
{
  self->object = object;
  self->notify = notify;
  self->fast = fast;
  self->last = 0;
  self->timer_id = 0;
}

static void
schedule (HotplugEmitThrottle *self, GParamSpec *pspec)
{
  g_clear_handle_id (&self->timer_id, g_source_remove);
  self->last = g_get_monotonic_time ();
  self->notify (self->object, pspec);
}

static gboolean
on_interval_end (gpointer user_data)
{
  HotplugEmitThrottle *self = user_data;

  self->timer_id = 0;
  schedule (self, NULL);
  return G_SOURCE_REMOVE;
}

void
hotplug_emit_throttle_notify (HotplugEmitThrottle *self, GParamSpec *pspec)
{
  gint64 since = g_get_monotonic_time () - self->last;

  if (pspec == NULL || !g_strv_contains (self->fast, pspec->name) ||
      since >= HOTPLUG_EMIT_INTERVAL_MS * G_TIME_SPAN_MILLISECOND)
    {
      schedule (self, pspec);
      return;
    }
  if (self->timer_id == 0)
    {
      guint left = (guint) ((HOTPLUG_EMIT_INTERVAL_MS * G_TIME_SPAN_MILLISECOND - since) / G_TIME_SPAN_MILLISECOND);

      self->timer_id = g_timeout_add (left + 1, on_interval_end, self);
      g_source_set_name_by_id (self->timer_id, "[hotplugd] fast properties' interval");
    }
}

void
hotplug_emit_throttle_clear (HotplugEmitThrottle *self)
{
  g_clear_handle_id (&self->timer_id, g_source_remove);
}
