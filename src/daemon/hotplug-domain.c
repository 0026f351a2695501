/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hotplug-domain.h"
#include "hotplug-enum-types.h"
#include "hotplug-error.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

struct _HotplugDomain
{
  HotplugDbusDomainSkeleton parent_instance;

  char                   *id;
  HotplugConnectionState  state;
};

G_DEFINE_TYPE (HotplugDomain, hotplug_domain, HOTPLUG_DBUS_TYPE_DOMAIN_SKELETON)

static void
hotplug_domain_finalize (GObject *object)
{
  HotplugDomain *self = HOTPLUG_DOMAIN (object);

  g_free (self->id);
  G_OBJECT_CLASS (hotplug_domain_parent_class)->finalize (object);
}

/* Switchover (software disconnection of a domain's devices) is not
 * implemented yet: say so plainly instead of pretending. */
static gboolean
handle_not_supported (HotplugDomain         *self,
                      GDBusMethodInvocation *invocation,
                      const char            *what)
{
  g_dbus_method_invocation_return_error (invocation, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_SUPPORTED,
                                         "%s of domain %s is not supported by this version of hotplugd",
                                         what, self->id);
  return TRUE;
}

static gboolean
handle_prepare (HotplugDbusDomain *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
  return handle_not_supported (HOTPLUG_DOMAIN (iface), invocation, "PrepareForSwitchover");
}

static gboolean
handle_cancel (HotplugDbusDomain *iface, GDBusMethodInvocation *invocation)
{
  return handle_not_supported (HOTPLUG_DOMAIN (iface), invocation, "CancelSwitchover");
}

static gboolean
handle_connect (HotplugDbusDomain *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
  return handle_not_supported (HOTPLUG_DOMAIN (iface), invocation, "Connect");
}

static void
hotplug_domain_class_init (HotplugDomainClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_domain_finalize;
}

static void
hotplug_domain_init (HotplugDomain *self)
{
  g_signal_connect (self, "handle-prepare-for-switchover", G_CALLBACK (handle_prepare), NULL);
  g_signal_connect (self, "handle-cancel-switchover", G_CALLBACK (handle_cancel), NULL);
  g_signal_connect (self, "handle-connect", G_CALLBACK (handle_connect), NULL);
}

HotplugDomain *
hotplug_domain_new (const char *id)
{
  HotplugDomain *self = g_object_new (HOTPLUG_TYPE_DOMAIN, NULL);
  HotplugDbusDomain *iface = HOTPLUG_DBUS_DOMAIN (self);

  self->id = g_strdup (id);
  self->state = HOTPLUG_CONNECTION_INACTIVE;
  hotplug_dbus_domain_set_id (iface, id);
  hotplug_dbus_domain_set_connection_state (iface,
                                            hotplug_enum_to_string (HOTPLUG_TYPE_CONNECTION_STATE, self->state));
  hotplug_dbus_domain_set_job (iface, "/");
  hotplug_dbus_domain_set_blockers (iface, g_variant_new_array (G_VARIANT_TYPE ("(ssss)"), NULL, 0));
  return self;
}

const char *
hotplug_domain_get_id (HotplugDomain *self)
{
  return self->id;
}

HotplugConnectionState
hotplug_domain_get_connection_state (HotplugDomain *self)
{
  return self->state;
}

void
hotplug_domain_set_connection_state (HotplugDomain *self, HotplugConnectionState state)
{
  if (self->state == state)
    return;
  self->state = state;
  hotplug_dbus_domain_set_connection_state (HOTPLUG_DBUS_DOMAIN (self),
                                            hotplug_enum_to_string (HOTPLUG_TYPE_CONNECTION_STATE, state));
}

static gboolean
strv_same (const char *const *a, const char *const *b)
{
  const char *const empty[] = { NULL };

  return g_strv_equal (a ? a : empty, b ? b : empty);
}

void
hotplug_domain_update (HotplugDomain *self, const char *const *slots, const char *const *pci_devices)
{
  HotplugDbusDomain *iface = HOTPLUG_DBUS_DOMAIN (self);
  const char *const empty[] = { NULL };

  if (!strv_same (hotplug_dbus_domain_get_slots (iface), slots))
    hotplug_dbus_domain_set_slots (iface, slots ? slots : empty);
  if (!strv_same (hotplug_dbus_domain_get_pci_devices (iface), pci_devices))
    hotplug_dbus_domain_set_pci_devices (iface, pci_devices ? pci_devices : empty);
}

void
hotplug_domain_update_blockers (HotplugDomain *self, GVariant *blockers)
{
  GVariant *old = hotplug_dbus_domain_get_blockers (HOTPLUG_DBUS_DOMAIN (self));
  g_autoptr(GVariant) sunk = g_variant_ref_sink (blockers);

  if (old == NULL || !g_variant_equal (old, sunk))
    hotplug_dbus_domain_set_blockers (HOTPLUG_DBUS_DOMAIN (self), sunk);
}

char *
hotplug_domain_object_path (const char *id)
{
  g_autofree char *escaped = g_dbus_escape_object_path (id);

  return g_strconcat (HOTPLUG_DBUS_DOMAIN_PATH "/", escaped, NULL);
}
