/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "hotplug-domain.h"
#include "hotplug-enum-types.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

#define TOPIC "domain"

struct _HotplugDomain
{
  HotplugDbusDomainSkeleton parent_instance;

  char                   *id;
  char                   *state_file;   /* NULL: kept in memory only */
  HotplugConnectionState  state;
  gboolean                has_devices;
  gboolean                has_root_bus;
  guint                   holds;        /* unit jobs of this host in the domain */
  gboolean                job;          /* a job on the domain runs */
  gboolean                job_dry_run;
  HotplugConnectionState  before_job;   /* where a failed connect goes back to */
};

G_DEFINE_TYPE (HotplugDomain, hotplug_domain, HOTPLUG_DBUS_TYPE_DOMAIN_SKELETON)

static const char *
state_name (HotplugConnectionState state)
{
  return hotplug_enum_to_string (HOTPLUG_TYPE_CONNECTION_STATE, state);
}

static void
save (HotplugDomain *self)
{
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (self->state_file == NULL)
    return;
  dir = g_path_get_dirname (self->state_file);
  text = g_strconcat (state_name (self->state), "\n", NULL);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s: %s", dir,
                 g_strerror (errno));
  else
    g_file_set_contents_full (self->state_file, text, -1,
                              G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, &error);
  if (error)
    hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, self->id, NULL, NULL, NULL,
                      "cannot keep the state of domain %s: %s", self->id, error->message);
}

/* The only writer of ConnectionState. */
static void
set_state (HotplugDomain *self, HotplugConnectionState state, const char *why)
{
  if (self->state == state)
    return;
  hotplug_log_full (state == HOTPLUG_CONNECTION_FAILED ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE, TOPIC,
                    self->id, NULL, NULL, HOTPLUG_MSGID_DOMAIN_STATE, "domain %s: %s → %s%s%s", self->id,
                    state_name (self->state), state_name (state), why ? ": " : "", why ? why : "");
  self->state = state;
  hotplug_dbus_domain_set_connection_state (HOTPLUG_DBUS_DOMAIN (self), state_name (state));
  save (self);
}

static gboolean
load (HotplugDomain *self, HotplugConnectionState *state)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gint value;

  if (self->state_file == NULL || !g_file_get_contents (self->state_file, &text, NULL, &error))
    {
      if (error && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, self->id, NULL, NULL, NULL,
                          "cannot read the saved state of domain %s: %s", self->id, error->message);
      return FALSE;
    }
  g_strstrip (text);
  if (!hotplug_enum_from_string (HOTPLUG_TYPE_CONNECTION_STATE, text, &value))
    {
      /* not trusted, not fatal: the state is decided afresh and saved */
      g_autofree char *shown = g_strescape (text, NULL);

      hotplug_log_full (G_LOG_LEVEL_WARNING, TOPIC, self->id, NULL, NULL, NULL,
                        "%s: “%.64s” is not a connection state: ignored", self->state_file, shown);
      return FALSE;
    }
  *state = value;
  return TRUE;
}

/* What the domain is when the daemon starts or first sees it. */
static void
restore (HotplugDomain *self)
{
  HotplugConnectionState saved;

  if (!load (self, &saved))
    {
      set_state (self, self->has_devices ? HOTPLUG_CONNECTION_CONNECTED : HOTPLUG_CONNECTION_INACTIVE,
                 self->has_devices ? "its devices are in use here" : "none of its devices is visible here");
      save (self);
      return;
    }
  switch (saved)
    {
    case HOTPLUG_CONNECTION_DISCONNECTING:
      /* a switchover the daemon did not see to its end: the journal's
       * recovery job rolls it back or finishes it and says which */
      self->state = saved;
      break;
    case HOTPLUG_CONNECTION_CONNECTED:
    case HOTPLUG_CONNECTION_FAILED:
      self->state = saved;
      if (!self->has_devices && !self->has_root_bus)
        set_state (self, HOTPLUG_CONNECTION_INACTIVE,
                   "none of its devices is visible any more: another host has taken it");
      break;
    case HOTPLUG_CONNECTION_DISCONNECTED:
      self->state = saved;
      if (!self->has_root_bus && !self->has_devices)
        set_state (self, HOTPLUG_CONNECTION_INACTIVE, "the platform has handed it to another host");
      break;
    case HOTPLUG_CONNECTION_INACTIVE:
    default:
      self->state = saved;
      break;
    }
  hotplug_dbus_domain_set_connection_state (HOTPLUG_DBUS_DOMAIN (self), state_name (self->state));
}

static void
hotplug_domain_finalize (GObject *object)
{
  HotplugDomain *self = HOTPLUG_DOMAIN (object);

  g_free (self->id);
  g_free (self->state_file);
  G_OBJECT_CLASS (hotplug_domain_parent_class)->finalize (object);
}

static void
hotplug_domain_class_init (HotplugDomainClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hotplug_domain_finalize;
}

static void
hotplug_domain_init (HotplugDomain *self)
{
}

HotplugDomain *
hotplug_domain_new (const char *id, const char *state_dir, gboolean has_devices, gboolean has_root_bus)
{
  HotplugDomain *self = g_object_new (HOTPLUG_TYPE_DOMAIN, NULL);
  HotplugDbusDomain *iface = HOTPLUG_DBUS_DOMAIN (self);

  self->id = g_strdup (id);
  if (state_dir)
    self->state_file = g_build_filename (state_dir, HOTPLUG_STATE_DOMAINS_DIR, id, NULL);
  self->state = HOTPLUG_CONNECTION_INACTIVE;
  self->has_devices = has_devices;
  self->has_root_bus = has_root_bus;
  hotplug_dbus_domain_set_id (iface, id);
  hotplug_dbus_domain_set_connection_state (iface, state_name (self->state));
  hotplug_dbus_domain_set_job (iface, "/");
  hotplug_dbus_domain_set_blockers (iface, g_variant_new_array (G_VARIANT_TYPE ("(ssss)"), NULL, 0));
  restore (self);
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

gboolean
hotplug_domain_has_root_bus (HotplugDomain *self)
{
  return self->has_root_bus;
}

static gboolean
strv_same (const char *const *a, const char *const *b)
{
  const char *const empty[] = { NULL };

  return g_strv_equal (a ? a : empty, b ? b : empty);
}

void
hotplug_domain_update (HotplugDomain *self, const char *const *slots, const char *const *pci_devices,
                       gboolean has_root_bus)
{
  HotplugDbusDomain *iface = HOTPLUG_DBUS_DOMAIN (self);
  const char *const empty[] = { NULL };
  gboolean had_devices = self->has_devices;
  gboolean had_root_bus = self->has_root_bus;

  if (!strv_same (hotplug_dbus_domain_get_slots (iface), slots))
    hotplug_dbus_domain_set_slots (iface, slots ? slots : empty);
  if (!strv_same (hotplug_dbus_domain_get_pci_devices (iface), pci_devices))
    hotplug_dbus_domain_set_pci_devices (iface, pci_devices ? pci_devices : empty);
  self->has_devices = pci_devices && pci_devices[0];
  self->has_root_bus = has_root_bus;

  /* what this host does itself is no news */
  if (self->job || self->holds > 0)
    return;
  if ((self->state == HOTPLUG_CONNECTION_CONNECTED || self->state == HOTPLUG_CONNECTION_FAILED) &&
      had_devices && !self->has_devices)
    set_state (self, HOTPLUG_CONNECTION_INACTIVE,
               "its devices vanished while it was connected: another host has taken it by force");
  else if (self->state == HOTPLUG_CONNECTION_DISCONNECTED && had_root_bus && !has_root_bus &&
           !self->has_devices)
    set_state (self, HOTPLUG_CONNECTION_INACTIVE, "the platform has handed it to another host");
}

void
hotplug_domain_hold (HotplugDomain *self, gboolean hold)
{
  if (hold)
    self->holds++;
  else if (self->holds > 0)
    self->holds--;
}

void
hotplug_domain_job_attached (HotplugDomain *self, const char *job_path)
{
  if (g_strcmp0 (hotplug_dbus_domain_get_job (HOTPLUG_DBUS_DOMAIN (self)), job_path) != 0)
    hotplug_dbus_domain_set_job (HOTPLUG_DBUS_DOMAIN (self), job_path);
}

void
hotplug_domain_job_started (HotplugDomain *self, HotplugOperation op, gboolean dry_run)
{
  self->job = TRUE;
  self->job_dry_run = dry_run;
  self->before_job = self->state;
  if (dry_run)
    return;
  if (op == HOTPLUG_OPERATION_SWITCHOVER && self->state == HOTPLUG_CONNECTION_CONNECTED)
    set_state (self, HOTPLUG_CONNECTION_DISCONNECTING, "software disconnection begins");
}

void
hotplug_domain_job_phase (HotplugDomain *self, const char *phase)
{
  if (self->job_dry_run)
    return;
  /* every device is stopped: what post-switchover hooks see (and a
   * daemon that dies from here on finishes forward) */
  if (g_strcmp0 (phase, "post-switchover") == 0 && self->state == HOTPLUG_CONNECTION_DISCONNECTING)
    set_state (self, HOTPLUG_CONNECTION_DISCONNECTED, "every device is disconnected");
  else if (g_strcmp0 (phase, "post-connect") == 0)
    set_state (self, HOTPLUG_CONNECTION_CONNECTED, "its devices are in use here");
}

void
hotplug_domain_job_ended (HotplugDomain *self, HotplugOperation op, HotplugJobState state,
                          const char *reason, gboolean undo_failed)
{
  gboolean ok = state == HOTPLUG_JOB_STATE_SUCCEEDED;

  self->job = FALSE;
  hotplug_domain_job_attached (self, "/");
  if (self->job_dry_run)
    return;
  if (op == HOTPLUG_OPERATION_SWITCHOVER)
    {
      if (ok && self->state == HOTPLUG_CONNECTION_DISCONNECTING)
        set_state (self, HOTPLUG_CONNECTION_DISCONNECTED, "every device is disconnected");
      else if (!ok && undo_failed)
        set_state (self, HOTPLUG_CONNECTION_FAILED, reason);
      else if (!ok && (self->state == HOTPLUG_CONNECTION_DISCONNECTING ||
                       self->state == HOTPLUG_CONNECTION_DISCONNECTED))
        set_state (self, HOTPLUG_CONNECTION_CONNECTED, reason);
    }
  else if (op == HOTPLUG_OPERATION_CONNECT)
    {
      if (ok)
        set_state (self, HOTPLUG_CONNECTION_CONNECTED, NULL);
      else if (self->before_job != HOTPLUG_CONNECTION_CONNECTED)
        set_state (self, self->before_job, reason);
    }
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
