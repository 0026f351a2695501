/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-error.h"
#include "hotplug-operation.h"

/* What switchover and connect do to a PCI domain, as steps. */

gboolean
hotplug_operation_check_domain (HotplugPlatform *platform, HotplugDomain *domain, HotplugOperation op,
                                char **noop_reason, GError **error)
{
  const char *id = hotplug_domain_get_id (domain);
  HotplugConnectionState state = hotplug_domain_get_connection_state (domain);

  *noop_reason = NULL;
  if (op == HOTPLUG_OPERATION_SWITCHOVER)
    {
      if (state == HOTPLUG_CONNECTION_DISCONNECTED)
        *noop_reason = g_strdup ("already disconnected");
      else if (state == HOTPLUG_CONNECTION_INACTIVE)
        *noop_reason = g_strdup ("not owned by this host (inactive)");
      return TRUE;
    }
  g_return_val_if_fail (op == HOTPLUG_OPERATION_CONNECT, FALSE);
  if (state == HOTPLUG_CONNECTION_CONNECTED)
    {
      *noop_reason = g_strdup ("already connected");
      return TRUE;
    }
  if (state == HOTPLUG_CONNECTION_DISCONNECTING)
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_BUSY,
                   "domain %s is being disconnected: cancel the switchover first (CancelSwitchover)", id);
      return FALSE;
    }
  if (!hotplug_domain_has_root_bus (domain))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_PRESENT,
                   "domain %s is not handed to this host: none of its root buses is here", id);
      return FALSE;
    }
  return TRUE;
}

static void
add_step (GPtrArray *steps, HotplugStepKind kind, const char *name, const char *value)
{
  g_ptr_array_add (steps, hotplug_step_new (kind, 0, name, value));
}

GPtrArray *
hotplug_operation_plan_domain (HotplugPlatform *platform, HotplugDomain *domain, HotplugOperation op,
                               gboolean force)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify) hotplug_step_free);
  const char *id = hotplug_domain_get_id (domain);
  g_autoptr(GPtrArray) devices = hotplug_platform_domain_devices (platform, id);

  if (op == HOTPLUG_OPERATION_SWITCHOVER)
    {
      add_step (steps, HOTPLUG_STEP_RUN_HOOKS, "pre-switchover", NULL);
      for (guint i = 0; i < devices->len; i++)
        {
          HotplugDomainDevice *d = g_ptr_array_index (devices, i);

          if (!force)
            add_step (steps, HOTPLUG_STEP_CHECK_BUSY, d->bdf, NULL);
          if (d->driver)
            add_step (steps, HOTPLUG_STEP_PCI_UNBIND, d->bdf, d->driver);
          add_step (steps, HOTPLUG_STEP_PCI_REMOVE, d->bdf, d->parent);
        }
      add_step (steps, HOTPLUG_STEP_RUN_HOOKS, "post-switchover", NULL);
      return steps;
    }
  {
    g_auto(GStrv) buses = hotplug_platform_domain_root_buses (platform, id);

    for (guint i = 0; buses[i]; i++)
      add_step (steps, HOTPLUG_STEP_BUS_RESCAN, buses[i], NULL);
    /* shallowest first: a bridge's driver before its children's */
    for (guint i = devices->len; i > 0; i--)
      {
        HotplugDomainDevice *d = g_ptr_array_index (devices, i - 1);

        if (d->driver == NULL)
          add_step (steps, HOTPLUG_STEP_PCI_PROBE, d->bdf, NULL);
      }
    add_step (steps, HOTPLUG_STEP_WAIT_DOMAIN, id, NULL);
    add_step (steps, HOTPLUG_STEP_RUN_HOOKS, "post-connect", NULL);
  }
  return steps;
}
