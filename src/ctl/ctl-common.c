/* hotplugctl — what every subcommand shares: messages and option parsing,
 * the connection to hotplugd, and the objects it publishes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-common.h"
#include "hotplug-error.h"
#include "hotplug-names.h"

/* ---- messages ---------------------------------------------------------- */

void
hotplug_ctl_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fflush (stdout);
  fprintf (stderr, "hotplugctl: %s\n", message);
}

void
hotplug_ctl_print_gerror (const GError *error)
{
  g_autoptr(GError) copy = g_error_copy (error);

  /* GDBus puts "GDBus.Error:org.hotplugd.Hotplug1.Error.Busy: " in front
   * of the daemon's own words; the user wants only the latter. */
  if (g_dbus_error_is_remote_error (copy))
    g_dbus_error_strip_remote_error (copy);
  hotplug_ctl_error ("%s", copy->message);
}

GOptionContext *
hotplug_ctl_option_context (HotplugCtl *ctl,
                            const char *command,
                            const char *params,
                            const char *summary,
                            gboolean    json)
{
  GOptionContext *context;
  g_autofree char *prgname = NULL;

  const GOptionEntry json_entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &ctl->json,
      N_("Machine-readable output (JSON)"), NULL },
    { NULL }
  };

  /* "Usage: hotplugctl show [OPTION…] UNIT" */
  prgname = g_strdup_printf ("hotplugctl %s", command);
  g_set_prgname (prgname);
  context = g_option_context_new (params);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  if (json)
    g_option_context_add_main_entries (context, json_entries, GETTEXT_PACKAGE);
  return context;
}

int
hotplug_ctl_usage_error (GOptionContext *context,
                         const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  hotplug_ctl_error ("%s", message);
  fprintf (stderr, "%s", help);
  return HOTPLUG_CTL_EXIT_USAGE;
}

int
hotplug_ctl_parse_options (GOptionContext *context,
                           int            *argc,
                           char         ***argv,
                           int             max_operands,
                           const char     *missing)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    return hotplug_ctl_usage_error (context, error->message);
  /* argv[0] is the command itself */
  if (missing && *argc < 2)
    return hotplug_ctl_usage_error (context, missing);
  if (*argc - 1 > max_operands)
    return hotplug_ctl_usage_error (context, _("too many arguments"));
  return 0;
}

/* ---- the connection ---------------------------------------------------- */

static GType
hotplug_ctl_proxy_type (GDBusObjectManagerClient *manager,
                        const char               *object_path,
                        const char               *interface_name,
                        gpointer                  user_data)
{
  if (interface_name == NULL)
    return G_TYPE_DBUS_OBJECT_PROXY;
  if (g_str_equal (interface_name, HOTPLUG_DBUS_IFACE_UNIT))
    return HOTPLUG_DBUS_TYPE_UNIT_PROXY;
  if (g_str_equal (interface_name, HOTPLUG_DBUS_IFACE_JOB))
    return HOTPLUG_DBUS_TYPE_JOB_PROXY;
  if (g_str_equal (interface_name, HOTPLUG_DBUS_IFACE_DOMAIN))
    return HOTPLUG_DBUS_TYPE_DOMAIN_PROXY;
  if (g_str_equal (interface_name, HOTPLUG_DBUS_IFACE_MANAGER))
    return HOTPLUG_DBUS_TYPE_MANAGER_PROXY;
  return G_TYPE_DBUS_PROXY;
}

static gboolean
hotplug_ctl_bus_call_bool (GDBusConnection *bus,
                           const char      *method,
                           GVariant        *args,
                           const char      *reply_type,
                           GVariant       **reply,
                           GError         **error)
{
  *reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus",
                                        "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", method, args,
                                        G_VARIANT_TYPE (reply_type),
                                        G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  return *reply != NULL;
}

/* Whether hotplugd owns its name; when it does not but the bus can start it
 * (a D-Bus service file), start it, as any other call to it would. */
static gboolean
hotplug_ctl_daemon_present (GDBusConnection *bus)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) started = NULL;
  g_autofree const char **names = NULL;
  gboolean owned = FALSE;

  if (!hotplug_ctl_bus_call_bool (bus, "NameHasOwner",
                                  g_variant_new ("(s)", HOTPLUG_DBUS_NAME),
                                  "(b)", &reply, &error))
    {
      g_debug ("NameHasOwner: %s", error->message);
      return FALSE;
    }
  g_variant_get (reply, "(b)", &owned);
  if (owned)
    return TRUE;

  g_clear_pointer (&reply, g_variant_unref);
  if (!hotplug_ctl_bus_call_bool (bus, "ListActivatableNames", NULL, "(as)", &reply, &error))
    return FALSE;
  g_variant_get (reply, "(^a&s)", &names);
  if (!g_strv_contains (names, HOTPLUG_DBUS_NAME))
    return FALSE;
  if (!hotplug_ctl_bus_call_bool (bus, "StartServiceByName",
                                  g_variant_new ("(su)", HOTPLUG_DBUS_NAME, 0),
                                  "(u)", &started, &error))
    {
      g_debug ("StartServiceByName: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
hotplug_ctl_not_running (void)
{
  hotplug_ctl_error (_("hotplugd is not running (%s not on the system bus)"),
                     HOTPLUG_DBUS_NAME);
}

gboolean
hotplug_ctl_connect (HotplugCtl *ctl)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *owner = NULL;

  /* Map org.hotplugd.Hotplug1.Error.* to HOTPLUG_ERROR before any call. */
  (void) HOTPLUG_ERROR;

  ctl->bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (ctl->bus == NULL)
    {
      g_debug ("system bus: %s", error->message);
      hotplug_ctl_not_running ();
      return FALSE;
    }

  if (!hotplug_ctl_daemon_present (ctl->bus))
    {
      hotplug_ctl_not_running ();
      return FALSE;
    }

  ctl->objects = g_dbus_object_manager_client_new_sync (ctl->bus,
                                                        G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                                        HOTPLUG_DBUS_NAME,
                                                        HOTPLUG_DBUS_PATH,
                                                        hotplug_ctl_proxy_type,
                                                        NULL, NULL, NULL, &error);
  if (ctl->objects == NULL)
    {
      hotplug_ctl_print_gerror (error);
      return FALSE;
    }

  /* The daemon may have gone between NameHasOwner and GetManagedObjects. */
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (ctl->objects));
  if (owner == NULL)
    {
      hotplug_ctl_not_running ();
      return FALSE;
    }

  /* Only its methods are used: the properties would be a wasted round trip. */
  ctl->manager = hotplug_dbus_manager_proxy_new_sync (ctl->bus,
                                                      G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                                      G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS |
                                                      G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                                      HOTPLUG_DBUS_NAME, HOTPLUG_DBUS_PATH,
                                                      NULL, &error);
  if (ctl->manager == NULL)
    {
      hotplug_ctl_print_gerror (error);
      return FALSE;
    }
  return TRUE;
}

void
hotplug_ctl_clear (HotplugCtl *ctl)
{
  g_clear_object (&ctl->manager);
  g_clear_object (&ctl->objects);
  g_clear_object (&ctl->bus);
}

/* ---- objects ----------------------------------------------------------- */

int
hotplug_ctl_kind_rank (const char *kind)
{
  static const char *const order[] = { "sb", "iou", "slot", "cpu", "memory" };

  for (guint i = 0; kind != NULL && i < G_N_ELEMENTS (order); i++)
    if (g_str_equal (kind, order[i]))
      return (int) i;
  return G_N_ELEMENTS (order);
}

int
hotplug_ctl_natural_compare (const char *a, const char *b)
{
  const char *sa = a, *sb = b;

  while (*a && *b)
    {
      if (g_ascii_isdigit (*a) && g_ascii_isdigit (*b))
        {
          const char *ea, *eb;
          gsize la, lb;
          int c;

          while (*a == '0' && g_ascii_isdigit (a[1]))
            a++;
          while (*b == '0' && g_ascii_isdigit (b[1]))
            b++;
          for (ea = a; g_ascii_isdigit (*ea); ea++)
            ;
          for (eb = b; g_ascii_isdigit (*eb); eb++)
            ;
          la = ea - a;
          lb = eb - b;
          if (la != lb)
            return la < lb ? -1 : 1;
          c = strncmp (a, b, la);
          if (c != 0)
            return c;
          a = ea;
          b = eb;
        }
      else if (*a != *b)
        return (guchar) *a - (guchar) *b;
      else
        a++, b++;
    }
  if (*a || *b)
    return (guchar) *a - (guchar) *b;
  /* cpu01 and cpu1: still a stable order */
  return strcmp (sa, sb);
}

static int
hotplug_ctl_unit_compare (gconstpointer pa, gconstpointer pb)
{
  HotplugDbusUnit *a = *(HotplugDbusUnit **) pa;
  HotplugDbusUnit *b = *(HotplugDbusUnit **) pb;
  int ra = hotplug_ctl_kind_rank (hotplug_dbus_unit_get_kind (a));
  int rb = hotplug_ctl_kind_rank (hotplug_dbus_unit_get_kind (b));

  if (ra != rb)
    return ra - rb;
  return hotplug_ctl_natural_compare (hotplug_dbus_unit_get_id (a) ?: "",
                                      hotplug_dbus_unit_get_id (b) ?: "");
}

static int
hotplug_ctl_domain_compare (gconstpointer pa, gconstpointer pb)
{
  HotplugDbusDomain *a = *(HotplugDbusDomain **) pa;
  HotplugDbusDomain *b = *(HotplugDbusDomain **) pb;

  return hotplug_ctl_natural_compare (hotplug_dbus_domain_get_id (a) ?: "",
                                      hotplug_dbus_domain_get_id (b) ?: "");
}

static GPtrArray *
hotplug_ctl_list_interface (HotplugCtl *ctl, const char *iface)
{
  GPtrArray *result = g_ptr_array_new_with_free_func (g_object_unref);
  GList *objects = g_dbus_object_manager_get_objects (ctl->objects);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      GDBusInterface *interface = g_dbus_object_get_interface (l->data, iface);

      if (interface != NULL)
        g_ptr_array_add (result, interface);
    }
  g_list_free_full (objects, g_object_unref);
  return result;
}

GPtrArray *
hotplug_ctl_list_units (HotplugCtl *ctl, const char *kind)
{
  GPtrArray *units = hotplug_ctl_list_interface (ctl, HOTPLUG_DBUS_IFACE_UNIT);

  if (kind != NULL)
    {
      for (guint i = units->len; i > 0; i--)
        if (g_strcmp0 (hotplug_dbus_unit_get_kind (units->pdata[i - 1]), kind) != 0)
          g_ptr_array_remove_index (units, i - 1);
    }
  g_ptr_array_sort (units, hotplug_ctl_unit_compare);
  return units;
}

GPtrArray *
hotplug_ctl_list_domains (HotplugCtl *ctl)
{
  GPtrArray *domains = hotplug_ctl_list_interface (ctl, HOTPLUG_DBUS_IFACE_DOMAIN);

  g_ptr_array_sort (domains, hotplug_ctl_domain_compare);
  return domains;
}

HotplugDbusJob *
hotplug_ctl_get_job (HotplugCtl *ctl, const char *path)
{
  if (path == NULL || !g_variant_is_object_path (path) || g_str_equal (path, "/"))
    return NULL;
  return (HotplugDbusJob *) g_dbus_object_manager_get_interface (ctl->objects, path,
                                                                 HOTPLUG_DBUS_IFACE_JOB);
}

HotplugDbusUnit *
hotplug_ctl_get_unit (HotplugCtl *ctl, const char *id, GError **error)
{
  g_autofree char *path = NULL;
  GDBusInterface *unit;

  if (!hotplug_dbus_manager_call_get_unit_sync (ctl->manager, id, &path, NULL, error))
    return NULL;
  unit = g_dbus_object_manager_get_interface (ctl->objects, path, HOTPLUG_DBUS_IFACE_UNIT);
  if (unit == NULL)
    {
      /* Gone between the two calls. */
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT,
                   _("no such unit: %s"), id);
      return NULL;
    }
  return HOTPLUG_DBUS_UNIT (unit);
}

GVariant *
hotplug_ctl_list_devices (HotplugCtl *ctl, const char *unit, GError **error)
{
  GVariant *devices = NULL;

  if (!hotplug_dbus_manager_call_list_devices_sync (ctl->manager, unit, &devices, NULL, error))
    return NULL;
  return devices;
}

