/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hotplug-blockers.h"
#include "hotplug-error.h"
#include "hotplug-kernel.h"
#include "hotplug-log.h"
#include "hotplug-operation.h"
#include "hotplug-util.h"

typedef struct
{
  HotplugStep              *step;
  char                     *path;  /* rooted; NULL: nothing to write */
  char                     *value;
  guint                     timeout_ms;
  gboolean                  written;
  HotplugKernelWrittenFunc  written_func;
  gpointer                  written_data;
  GCancellable             *cancellable;
} RunData;

static void
run_data_free (RunData *d)
{
  hotplug_step_free (d->step);
  g_free (d->path);
  g_free (d->value);
  g_clear_object (&d->cancellable);
  g_free (d);
}

static gboolean
step_predicate (HotplugPlatform *platform, gpointer data)
{
  return hotplug_operation_step_done (platform, data);
}

static void
on_wait_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (hotplug_platform_wait_finish (HOTPLUG_PLATFORM (source), res, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
wait_confirmation (GTask *task)
{
  RunData *d = g_task_get_task_data (task);

  hotplug_platform_wait_async (g_task_get_source_object (task), step_predicate, hotplug_step_copy (d->step),
                               (GDestroyNotify) hotplug_step_free, d->timeout_ms, d->cancellable,
                               on_wait_done, task);
}

static void
write_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RunData *d = task_data;
  GError *error = NULL;

  /* blockers: the disks below a PCI device are synced and their caches
   * flushed before it goes, forced or not; a flush that fails does not
   * stop the removal (the device is going either way) but is said */
  if (d->step->kind == HOTPLUG_STEP_PCI_REMOVE &&
      !hotplug_blockers_flush_pci_device (d->step->name, &error))
    {
      hotplug_warning ("kernel", "before removing %s: %s", d->step->name, error->message);
      g_clear_error (&error);
    }
  if (hotplug_sysfs_write (d->path, d->value, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* FIFREEZE / FITHAW on the filesystem mounted at the step's name.  A thaw
 * of a filesystem that is not frozen (any more), or no longer mounted,
 * has nothing to do: recovery thaws what a dead daemon may have frozen. */
static void
freeze_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RunData *d = task_data;
  gboolean freeze = d->step->kind == HOTPLUG_STEP_FREEZE;
  int fd = open (d->step->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int e = 0;

  if (fd < 0 || ioctl (fd, freeze ? FIFREEZE : FITHAW, 0) < 0)
    e = errno;
  if (fd >= 0)
    close (fd);
  if (e == 0 || (!freeze && (e == EINVAL || e == ENOENT || e == ENOTDIR)))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "cannot %s %s: %s",
                             freeze ? "freeze" : "thaw", d->step->name,
                             e == EBUSY && freeze ? "it is frozen already" : g_strerror (e));
}

static void
on_freeze_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  RunData *d = g_task_get_task_data (task);
  GError *error = NULL;

  /* a failed ioctl changed nothing */
  if (g_task_propagate_boolean (G_TASK (res), &error))
    {
      d->written = TRUE;
      g_task_return_boolean (task, TRUE);
    }
  else
    g_task_return_error (task, error);
}

static void
on_write_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  RunData *d = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      /* a write error fails the step at once: the kernel refused it */
      g_task_return_error (task, error);
      return;
    }
  d->written = TRUE;
  if (d->written_func)
    d->written_func (hotplug_sysfs_unroot (d->path), d->value, d->written_data);
  wait_confirmation (g_steal_pointer (&task));
}

void
hotplug_kernel_run_async (HotplugPlatform          *platform,
                          const HotplugStep        *step,
                          guint                     timeout_ms,
                          HotplugKernelWrittenFunc  written,
                          GCancellable             *cancellable,
                          GAsyncReadyCallback       callback,
                          gpointer                  user_data)
{
  GTask *task = g_task_new (platform, NULL, callback, user_data);
  RunData *d = g_new0 (RunData, 1);
  g_autofree char *rel = NULL;
  const char *value = NULL;
  g_autoptr(GTask) write = NULL;

  d->step = hotplug_step_copy (step);
  d->timeout_ms = timeout_ms;
  d->written_func = written;
  d->written_data = user_data;
  d->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, d, (GDestroyNotify) run_data_free);
  if (step->kind == HOTPLUG_STEP_FREEZE || step->kind == HOTPLUG_STEP_THAW)
    {
      write = g_task_new (NULL, NULL, on_freeze_done, task);
      g_task_set_task_data (write, d, NULL);
      g_task_run_in_thread (write, freeze_thread);
      return;
    }
  if (!hotplug_step_get_write (step, &rel, &value))
    {
      wait_confirmation (task);
      return;
    }
  d->path = hotplug_sysfs_path (rel);
  d->value = g_strdup (value);
  /* one write at a time per job: the next step starts from its result */
  write = g_task_new (NULL, NULL, on_write_done, task);
  g_task_set_task_data (write, d, NULL);
  g_task_run_in_thread (write, write_thread);
}

void
hotplug_kernel_wait_async (HotplugPlatform     *platform,
                           const HotplugStep   *step,
                           guint                timeout_ms,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = g_task_new (platform, NULL, callback, user_data);
  RunData *d = g_new0 (RunData, 1);

  d->step = hotplug_step_copy (step);
  d->timeout_ms = timeout_ms;
  d->written = TRUE;
  g_task_set_task_data (task, d, (GDestroyNotify) run_data_free);
  wait_confirmation (task);
}

gboolean
hotplug_kernel_run_finish (HotplugPlatform *platform, GAsyncResult *result, gboolean *written, GError **error)
{
  RunData *d = g_task_get_task_data (G_TASK (result));

  if (written)
    *written = d->written;
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
hotplug_kernel_step_holds (HotplugPlatform *platform, const HotplugStep *step)
{
  switch (step->kind)
    {
    case HOTPLUG_STEP_CPU_OFFLINE:
    case HOTPLUG_STEP_CPU_ONLINE:
    case HOTPLUG_STEP_MEMORY_OFFLINE:
    case HOTPLUG_STEP_MEMORY_ONLINE:
    case HOTPLUG_STEP_CONTAINER_OFFLINE:
    case HOTPLUG_STEP_CONTAINER_ONLINE:
    case HOTPLUG_STEP_PCI_REMOVE:
    case HOTPLUG_STEP_SLOT_POWER_OFF:
    case HOTPLUG_STEP_SLOT_POWER_ON:
    case HOTPLUG_STEP_PCI_UNBIND:
    case HOTPLUG_STEP_PCI_BIND:
      return hotplug_operation_step_done (platform, step);
    case HOTPLUG_STEP_BUS_RESCAN:
    case HOTPLUG_STEP_PCI_RESCAN:
      return *step->value != '\0' && hotplug_operation_step_done (platform, step);
    case HOTPLUG_STEP_RUN_HOOKS:
    case HOTPLUG_STEP_EJECT:
    case HOTPLUG_STEP_WAIT_DEVICES:
    default:
      return FALSE;
    }
}
