/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-error.h"
#include "hotplug-platform-private.h"

/* Waiting for the kernel's confirmation of a write: a job's step waits
 * here until the model, fed by the kernel's uevents, shows the change. */

typedef struct
{
  HotplugPlatformPredicate predicate;
  gpointer                 data;
  GDestroyNotify           destroy;
  guint                    timeout_id;
  gulong                   cancelled_id;
  guint                    timeout_ms;
} Waiter;

static void
waiter_free (Waiter *w)
{
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  if (w->destroy)
    w->destroy (w->data);
  g_free (w);
}

/* Ends a waiter: takes it off the list, then returns (once). */
static void
waiter_end (HotplugPlatform *self, GTask *task, GError *error)
{
  Waiter *w = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GList *link = g_list_find (self->waiters, task);

  if (link == NULL)
    {
      g_clear_error (&error);
      return;
    }
  self->waiters = g_list_delete_link (self->waiters, link);
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  if (cancellable && w->cancelled_id)
    g_cancellable_disconnect (cancellable, w->cancelled_id);
  w->cancelled_id = 0;
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
hotplug_platform_check_waiters (HotplugPlatform *self)
{
  GList *copy;

  if (self->waiters == NULL)
    return;
  /* a predicate that holds ends its waiter, whose callback may add or end
   * others: walk a referenced copy */
  copy = g_list_copy (self->waiters);
  for (GList *l = copy; l; l = l->next)
    g_object_ref (l->data);
  for (GList *l = copy; l; l = l->next)
    {
      GTask *task = l->data;
      Waiter *w = g_task_get_task_data (task);

      if (g_list_find (self->waiters, task) && w->predicate (self, w->data))
        waiter_end (self, task, NULL);
    }
  g_list_free_full (copy, g_object_unref);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  GTask *task = user_data;
  Waiter *w = g_task_get_task_data (task);

  w->timeout_id = 0;
  waiter_end (g_task_get_source_object (task), task,
              g_error_new (HOTPLUG_ERROR, HOTPLUG_ERROR_TIMEOUT,
                           "the kernel did not confirm within %u ms", w->timeout_ms));
  return G_SOURCE_REMOVE;
}

static gboolean
on_wait_cancelled_idle (gpointer user_data)
{
  GTask *task = user_data;

  waiter_end (g_task_get_source_object (task), task,
              g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  return G_SOURCE_REMOVE;
}

static void
on_wait_cancelled (GCancellable *cancellable, gpointer user_data)
{
  /* may run inside g_cancellable_cancel() anywhere: end from the loop */
  g_idle_add_full (G_PRIORITY_DEFAULT, on_wait_cancelled_idle, g_object_ref (user_data), g_object_unref);
}

void
hotplug_platform_wait_async (HotplugPlatform         *self,
                             HotplugPlatformPredicate predicate,
                             gpointer                 predicate_data,
                             GDestroyNotify           predicate_destroy,
                             guint                    timeout_ms,
                             GCancellable            *cancellable,
                             GAsyncReadyCallback      callback,
                             gpointer                 user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Waiter *w = g_new0 (Waiter, 1);

  g_task_set_source_tag (task, hotplug_platform_wait_async);
  w->predicate = predicate;
  w->data = predicate_data;
  w->destroy = predicate_destroy;
  w->timeout_ms = timeout_ms;
  g_task_set_task_data (task, w, (GDestroyNotify) waiter_free);
  /* the list holds the reference */
  self->waiters = g_list_append (self->waiters, task);
  if (predicate (self, predicate_data))
    {
      waiter_end (self, task, NULL);
      return;
    }
  w->timeout_id = g_timeout_add (timeout_ms, on_wait_timeout, task);
  if (cancellable)
    w->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_wait_cancelled), task, NULL);
}

gboolean
hotplug_platform_wait_finish (HotplugPlatform *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
