/* hotplugctl monitor — one line per change until interrupted: unit states,
 * phases and online counts, units and jobs coming and going, job progress
 * in words, domain connection states.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>

#include "ctl-common.h"
#include "hotplug-names.h"

typedef struct
{
  const char *interface;
  const char *property;
  const char *label;     /* the word shown in the text form */
} HotplugCtlWatched;

/* The properties worth a line; the others (job progress, sysfs paths) would
 * drown them. */
static const HotplugCtlWatched hotplug_ctl_watched[] = {
  { HOTPLUG_DBUS_IFACE_UNIT,   "State",              "state" },
  { HOTPLUG_DBUS_IFACE_UNIT,   "Phase",              "phase" },
  { HOTPLUG_DBUS_IFACE_UNIT,   "CpusOnline",         "cpus-online" },
  { HOTPLUG_DBUS_IFACE_UNIT,   "MemoryBlocksOnline", "memory-blocks-online" },
  { HOTPLUG_DBUS_IFACE_JOB,    "State",              "state" },
  { HOTPLUG_DBUS_IFACE_JOB,    "Phase",              "phase" },
  { HOTPLUG_DBUS_IFACE_JOB,    "Step",               "step" },
  { HOTPLUG_DBUS_IFACE_JOB,    "Pending",            "pending" },
  { HOTPLUG_DBUS_IFACE_DOMAIN, "ConnectionState",    "connection" },
};

typedef struct
{
  HotplugCtl *ctl;
  GMainLoop  *loop;
  /* The last value seen of each watched property, so that a change shows
   * what it changed from: "path\ninterface\nproperty" -> GVariant. */
  GHashTable *last;
} HotplugCtlMonitor;

static const HotplugCtlWatched *
hotplug_ctl_monitor_watched (const char *interface, const char *property)
{
  for (guint i = 0; i < G_N_ELEMENTS (hotplug_ctl_watched); i++)
    if (g_str_equal (hotplug_ctl_watched[i].interface, interface) &&
        g_str_equal (hotplug_ctl_watched[i].property, property))
      return &hotplug_ctl_watched[i];
  return NULL;
}

static char *
hotplug_ctl_monitor_key (const char *path, const char *interface, const char *property)
{
  return g_strconcat (path, "\n", interface, "\n", property, NULL);
}

static void
hotplug_ctl_monitor_remember (HotplugCtlMonitor *self, GDBusProxy *proxy)
{
  const char *interface = g_dbus_proxy_get_interface_name (proxy);
  const char *path = g_dbus_proxy_get_object_path (proxy);

  for (guint i = 0; i < G_N_ELEMENTS (hotplug_ctl_watched); i++)
    {
      GVariant *value;

      if (!g_str_equal (hotplug_ctl_watched[i].interface, interface))
        continue;
      value = g_dbus_proxy_get_cached_property (proxy, hotplug_ctl_watched[i].property);
      if (value != NULL)
        g_hash_table_replace (self->last,
                              hotplug_ctl_monitor_key (path, interface, hotplug_ctl_watched[i].property),
                              value);
    }
}

static void
hotplug_ctl_monitor_forget (HotplugCtlMonitor *self, const char *path)
{
  g_autofree char *prefix = g_strconcat (path, "\n", NULL);
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, self->last);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (g_str_has_prefix (key, prefix))
      g_hash_table_iter_remove (&iter);
}

static char *
hotplug_ctl_monitor_now (gboolean iso)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *seconds = NULL;

  if (iso)
    return g_date_time_format_iso8601 (now);
  seconds = g_date_time_format (now, "%H:%M:%S");
  return g_strdup_printf ("%s.%03d", seconds ?: "", g_date_time_get_microsecond (now) / 1000);
}

/* The printed name of an object: "sb1", "job 3", "domain 0000". */
static char *
hotplug_ctl_monitor_name (GDBusProxy *proxy, const char **type)
{
  const char *interface = g_dbus_proxy_get_interface_name (proxy);

  if (g_str_equal (interface, HOTPLUG_DBUS_IFACE_UNIT))
    {
      *type = "unit";
      return g_strdup (hotplug_ctl_or_dash (hotplug_dbus_unit_get_id (HOTPLUG_DBUS_UNIT (proxy))));
    }
  if (g_str_equal (interface, HOTPLUG_DBUS_IFACE_JOB))
    {
      *type = "job";
      /* TRANSLATORS: how monitor names a job: "job 3" */
      return g_strdup_printf (_("job %u"), hotplug_dbus_job_get_id (HOTPLUG_DBUS_JOB (proxy)));
    }
  if (g_str_equal (interface, HOTPLUG_DBUS_IFACE_DOMAIN))
    {
      *type = "domain";
      /* TRANSLATORS: how monitor names a domain: "domain 0000" */
      return g_strdup_printf (_("domain %s"),
                              hotplug_ctl_or_dash (hotplug_dbus_domain_get_id (HOTPLUG_DBUS_DOMAIN (proxy))));
    }
  return NULL;
}

static const char *
hotplug_ctl_monitor_id (GDBusProxy *proxy)
{
  const char *interface = g_dbus_proxy_get_interface_name (proxy);

  if (g_str_equal (interface, HOTPLUG_DBUS_IFACE_UNIT))
    return hotplug_dbus_unit_get_id (HOTPLUG_DBUS_UNIT (proxy));
  if (g_str_equal (interface, HOTPLUG_DBUS_IFACE_DOMAIN))
    return hotplug_dbus_domain_get_id (HOTPLUG_DBUS_DOMAIN (proxy));
  return NULL;
}

/* Starts a JSON line with the members every event has. */
static GString *
hotplug_ctl_monitor_json_start (const char *event, const char *type, GDBusProxy *proxy)
{
  g_autofree char *time = hotplug_ctl_monitor_now (TRUE);
  GString *out = g_string_new ("{\"time\":");

  hotplug_ctl_json_string (out, time ?: "");
  g_string_append (out, ",\"event\":");
  hotplug_ctl_json_string (out, event);
  if (type != NULL)
    {
      g_string_append (out, ",\"type\":");
      hotplug_ctl_json_string (out, type);
    }
  if (proxy != NULL)
    {
      g_string_append (out, ",\"path\":");
      hotplug_ctl_json_string (out, g_dbus_proxy_get_object_path (proxy));
      if (g_str_equal (type, "job"))
        g_string_append_printf (out, ",\"id\":%u", hotplug_dbus_job_get_id (HOTPLUG_DBUS_JOB (proxy)));
      else
        {
          g_string_append (out, ",\"id\":");
          hotplug_ctl_json_string (out, hotplug_ctl_monitor_id (proxy) ?: "");
        }
    }
  return out;
}

static void
hotplug_ctl_monitor_line (HotplugCtlMonitor *self, const char *text)
{
  g_autofree char *time = hotplug_ctl_monitor_now (FALSE);

  printf ("%s %s\n", time, text);
  fflush (stdout);
}

static char *
hotplug_ctl_monitor_value_text (GVariant *value)
{
  if (value == NULL)
    return g_strdup ("-");
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_strdup (hotplug_ctl_or_dash (g_variant_get_string (value, NULL)));
  return g_variant_print (value, FALSE);
}

static void
hotplug_ctl_monitor_changed (HotplugCtlMonitor *self,
                             GDBusProxy        *proxy,
                             const char        *property,
                             GVariant          *value)
{
  const HotplugCtlWatched *watched;
  g_autofree char *key = NULL;
  g_autofree char *name = NULL;
  GVariant *old;
  const char *type = NULL;

  watched = hotplug_ctl_monitor_watched (g_dbus_proxy_get_interface_name (proxy), property);
  if (watched == NULL)
    return;
  key = hotplug_ctl_monitor_key (g_dbus_proxy_get_object_path (proxy),
                                 g_dbus_proxy_get_interface_name (proxy), property);
  old = g_hash_table_lookup (self->last, key);
  if (old != NULL && g_variant_equal (old, value))
    return;
  name = hotplug_ctl_monitor_name (proxy, &type);
  if (name == NULL)
    return;

  if (self->ctl->json)
    {
      g_autoptr(GString) out = hotplug_ctl_monitor_json_start ("changed", type, proxy);

      g_string_append (out, ",\"property\":");
      hotplug_ctl_json_string (out, property);
      g_string_append (out, ",\"old\":");
      if (old != NULL)
        hotplug_ctl_json_value (out, old);
      else
        g_string_append (out, "null");
      g_string_append (out, ",\"new\":");
      hotplug_ctl_json_value (out, value);
      g_string_append_c (out, '}');
      hotplug_ctl_json_print (out);
    }
  else
    {
      g_autofree char *old_text = hotplug_ctl_monitor_value_text (old);
      g_autofree char *new_text = hotplug_ctl_monitor_value_text (value);
      g_autofree char *text = g_strdup_printf ("%s %s %s %s %s", name, watched->label, old_text,
                                               hotplug_ctl_arrow (self->ctl), new_text);

      hotplug_ctl_monitor_line (self, text);
    }
  g_hash_table_replace (self->last, g_steal_pointer (&key), g_variant_ref (value));
}

static void
hotplug_ctl_monitor_properties_changed (GDBusObjectManagerClient *manager,
                                        GDBusObjectProxy         *object,
                                        GDBusProxy               *proxy,
                                        GVariant                 *changed,
                                        const char *const        *invalidated,
                                        gpointer                  user_data)
{
  HotplugCtlMonitor *self = user_data;
  GVariantIter iter;
  const char *property;
  GVariant *value;

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &property, &value))
    {
      hotplug_ctl_monitor_changed (self, proxy, property, value);
      g_variant_unref (value);
    }
}

/* The interface that names an object: its unit, job or domain. */
static GDBusProxy *
hotplug_ctl_monitor_main_proxy (GDBusObject *object)
{
  static const char *const interfaces[] = {
    HOTPLUG_DBUS_IFACE_UNIT, HOTPLUG_DBUS_IFACE_JOB, HOTPLUG_DBUS_IFACE_DOMAIN,
  };

  for (guint i = 0; i < G_N_ELEMENTS (interfaces); i++)
    {
      GDBusInterface *interface = g_dbus_object_get_interface (object, interfaces[i]);

      if (interface != NULL)
        return G_DBUS_PROXY (interface);
    }
  return NULL;
}

static void
hotplug_ctl_monitor_object_event (HotplugCtlMonitor *self,
                                  GDBusObject       *object,
                                  gboolean           added)
{
  g_autoptr(GDBusProxy) proxy = hotplug_ctl_monitor_main_proxy (object);
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  const char *type = NULL;

  if (proxy == NULL || (name = hotplug_ctl_monitor_name (proxy, &type)) == NULL)
    return;

  if (self->ctl->json)
    {
      g_autoptr(GString) out = hotplug_ctl_monitor_json_start (added ? "added" : "removed",
                                                               type, proxy);

      if (added)
        {
          g_string_append (out, ",\"properties\":{");
          hotplug_ctl_json_properties (out, proxy);
          g_string_append_c (out, '}');
        }
      g_string_append_c (out, '}');
      hotplug_ctl_json_print (out);
      return;
    }

  if (g_str_equal (type, "unit") && added)
    {
      HotplugDbusUnit *unit = HOTPLUG_DBUS_UNIT (proxy);

      /* TRANSLATORS: monitor: "sb4 added: sb, offline" */
      text = g_strdup_printf (_("%s added: %s, %s"), name,
                              hotplug_ctl_or_dash (hotplug_dbus_unit_get_kind (unit)),
                              hotplug_ctl_or_dash (hotplug_dbus_unit_get_state (unit)));
    }
  else if (g_str_equal (type, "job") && added)
    {
      HotplugDbusJob *job = HOTPLUG_DBUS_JOB (proxy);

      /* TRANSLATORS: monitor: "job 3 started: remove sb1" */
      text = g_strdup_printf (_("%s started: %s %s"), name,
                              hotplug_ctl_or_dash (hotplug_dbus_job_get_operation (job)),
                              hotplug_ctl_or_dash (hotplug_dbus_job_get_unit (job)));
    }
  else if (added)
    /* TRANSLATORS: monitor: "domain 0001 added" */
    text = g_strdup_printf (_("%s added"), name);
  else
    /* TRANSLATORS: monitor: "sb4 removed", "job 3 removed" */
    text = g_strdup_printf (_("%s removed"), name);
  hotplug_ctl_monitor_line (self, text);
}

static void
hotplug_ctl_monitor_object_added (GDBusObjectManager *manager,
                                  GDBusObject        *object,
                                  gpointer            user_data)
{
  HotplugCtlMonitor *self = user_data;
  GList *interfaces = g_dbus_object_get_interfaces (object);

  for (GList *l = interfaces; l != NULL; l = l->next)
    hotplug_ctl_monitor_remember (self, l->data);
  g_list_free_full (interfaces, g_object_unref);
  hotplug_ctl_monitor_object_event (self, object, TRUE);
}

static void
hotplug_ctl_monitor_object_removed (GDBusObjectManager *manager,
                                    GDBusObject        *object,
                                    gpointer            user_data)
{
  HotplugCtlMonitor *self = user_data;

  hotplug_ctl_monitor_object_event (self, object, FALSE);
  hotplug_ctl_monitor_forget (self, g_dbus_object_get_object_path (object));
}

static void
hotplug_ctl_monitor_owner_changed (GObject    *manager,
                                   GParamSpec *pspec,
                                   gpointer    user_data)
{
  HotplugCtlMonitor *self = user_data;
  g_autofree char *owner = NULL;

  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));
  if (self->ctl->json)
    {
      g_autoptr(GString) out = hotplug_ctl_monitor_json_start (owner ? "daemon-started" : "daemon-stopped",
                                                               NULL, NULL);

      g_string_append_c (out, '}');
      hotplug_ctl_json_print (out);
    }
  else
    hotplug_ctl_monitor_line (self, owner ? _("hotplugd started") : _("hotplugd stopped"));
}

static gboolean
hotplug_ctl_monitor_quit (gpointer user_data)
{
  HotplugCtlMonitor *self = user_data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_CONTINUE;
}

int
hotplug_ctl_monitor (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  int status;
  HotplugCtlMonitor self = { ctl, NULL, NULL };
  GList *objects;
  guint sigint, sigterm;

  context = hotplug_ctl_option_context (ctl, "monitor", NULL,
                                        _("Print one line per change of a unit, job or domain "
                                          "until interrupted. With --json, one JSON object "
                                          "per line."), TRUE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 0, NULL)))
    return status;

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  self.loop = g_main_loop_new (NULL, FALSE);
  self.last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) g_variant_unref);

  objects = g_dbus_object_manager_get_objects (ctl->objects);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      GList *interfaces = g_dbus_object_get_interfaces (l->data);

      for (GList *i = interfaces; i != NULL; i = i->next)
        hotplug_ctl_monitor_remember (&self, i->data);
      g_list_free_full (interfaces, g_object_unref);
    }
  g_list_free_full (objects, g_object_unref);

  g_signal_connect (ctl->objects, "interface-proxy-properties-changed",
                    G_CALLBACK (hotplug_ctl_monitor_properties_changed), &self);
  g_signal_connect (ctl->objects, "object-added",
                    G_CALLBACK (hotplug_ctl_monitor_object_added), &self);
  g_signal_connect (ctl->objects, "object-removed",
                    G_CALLBACK (hotplug_ctl_monitor_object_removed), &self);
  g_signal_connect (ctl->objects, "notify::name-owner",
                    G_CALLBACK (hotplug_ctl_monitor_owner_changed), &self);
  sigint = g_unix_signal_add (SIGINT, hotplug_ctl_monitor_quit, &self);
  sigterm = g_unix_signal_add (SIGTERM, hotplug_ctl_monitor_quit, &self);

  /* On stderr, so that the stream on stdout is only changes; also tells a
   * script that the subscription is in place. */
  fprintf (stderr, _("Monitoring hotplugd. Press Ctrl-C to stop.\n"));
  fflush (stderr);

  g_main_loop_run (self.loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (ctl->objects, &self);
  g_hash_table_unref (self.last);
  g_main_loop_unref (self.loop);
  return HOTPLUG_CTL_EXIT_OK;
}
