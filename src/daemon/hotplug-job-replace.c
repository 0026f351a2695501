/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The replace window of a job: the unit quiesced, waiting — bounded — for
 * the part to be swapped (the platform reports it) or for Job.Resume. */
#include "config.h"

#include "hotplug-error.h"
#include "hotplug-job-private.h"
#include "hotplug-log.h"

#define TOPIC "job"

static HotplugDbusJob *
iface (HotplugJob *self)
{
  return HOTPLUG_DBUS_JOB (self);
}

void
hotplug_job_quiesce (HotplugJob *self, const HotplugStep *step)
{
  hotplug_unit_job_running (self->unit, HOTPLUG_UNIT_STATE_QUIESCED);
  hotplug_job_step_ended (self, NULL);
}

void
hotplug_job_window_clear (HotplugJob *self)
{
  g_clear_handle_id (&self->window_id, g_source_remove);
  g_clear_handle_id (&self->cancel_idle, g_source_remove);
  g_clear_signal_handler (&self->swap_handler, self->platform);
  if (self->cancel_handler)
    g_cancellable_disconnect (self->cancellable, self->cancel_handler);
  self->cancel_handler = 0;
}

static gboolean
in_window (HotplugJob *self)
{
  return self->window_id != 0;
}

/* The window ends: with the part back (NULL) or not (the error says why). */
static void
end_window (HotplugJob *self, const GError *error)
{
  g_autoptr(HotplugJob) ref G_GNUC_UNUSED = g_object_ref (self);

  hotplug_job_window_clear (self);
  hotplug_dbus_job_set_window_end (iface (self), 0);
  hotplug_job_step_ended (self, error);
}

static gboolean
on_window_over (gpointer user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);
  g_autoptr(GError) error = NULL;
  guint window = self->options.window_s ? self->options.window_s : HOTPLUG_REPLACE_WINDOW_DEFAULT_S;

  self->window_id = 0; /* this source ends by returning */
  g_set_error (&error, HOTPLUG_ERROR, HOTPLUG_ERROR_TIMEOUT,
               "the replace window of %u s ended before the part was swapped", window);
  end_window (self, error);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled_idle (gpointer user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);
  g_autoptr(GError) error = NULL;

  self->cancel_idle = 0;
  if (!in_window (self))
    return G_SOURCE_REMOVE;
  g_set_error_literal (&error, HOTPLUG_ERROR, self->timed_out ? HOTPLUG_ERROR_TIMEOUT : HOTPLUG_ERROR_CANCELLED,
                       self->timed_out ? "the job's time limit expired" : hotplug_job_cancel_reason (self));
  end_window (self, error);
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);

  /* from the main loop, never inside g_cancellable_connect() */
  if (self->cancel_idle == 0)
    self->cancel_idle = g_idle_add (on_cancelled_idle, self);
}

static void
swapped (HotplugJob *self, const char *how)
{
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (self->unit), "quiesce", NULL, NULL,
                    "job %u: %s", self->id, how);
  end_window (self, NULL);
}

static void
on_part_swapped (HotplugPlatform *platform, HotplugUnit *unit, gpointer user_data)
{
  HotplugJob *self = HOTPLUG_JOB (user_data);

  if (unit == self->unit)
    swapped (self, "the platform reports the part swapped");
}

void
hotplug_job_wait_swap (HotplugJob *self, const HotplugStep *step)
{
  guint window = self->options.window_s ? self->options.window_s : HOTPLUG_REPLACE_WINDOW_DEFAULT_S;

  hotplug_dbus_job_set_window_end (iface (self), g_get_real_time () + (gint64) window * G_USEC_PER_SEC);
  self->window_id = g_timeout_add_seconds (window, on_window_over, self);
  self->swap_handler = g_signal_connect (self->platform, "part-swapped", G_CALLBACK (on_part_swapped), self);
  self->cancel_handler = g_cancellable_connect (self->cancellable, G_CALLBACK (on_cancelled), self, NULL);
  hotplug_log_full (G_LOG_LEVEL_MESSAGE, TOPIC, hotplug_unit_get_id (self->unit), "quiesce", NULL, NULL,
                    "job %u: %s quiesced: swap the part within %u s (then Job.Resume, unless the platform "
                    "reports it)", self->id, hotplug_unit_get_id (self->unit), window);
}

gboolean
hotplug_job_resume (HotplugJob *self, GError **error)
{
  if (!in_window (self))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "job %u is not waiting for a part (%s)", self->id,
                   hotplug_job_is_running (self) ? "it is not in its replace window" : "it has ended");
      return FALSE;
    }
  swapped (self, "resumed: the part is back");
  return TRUE;
}
