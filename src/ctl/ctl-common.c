/* hotplugctl — helpers shared by the subcommands.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-common.h"
#include "hotplug-error.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

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

/* ---- display helpers --------------------------------------------------- */

char *
hotplug_ctl_format_size (guint64 bytes)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  guint u = 0;
  guint64 scale = 1;

  while (u + 1 < G_N_ELEMENTS (units) && bytes / scale >= 1024)
    {
      scale *= 1024;
      u++;
    }
  if (bytes % scale == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", bytes / scale, units[u]);
  return g_strdup_printf ("%.1f %s", (double) bytes / (double) scale, units[u]);
}

guint
hotplug_ctl_list_count (const char *list)
{
  g_autoptr(GArray) values = NULL;

  if (list == NULL || *list == '\0')
    return 0;
  values = hotplug_list_parse (list, NULL);
  return values ? values->len : 0;
}

char *
hotplug_ctl_format_cpus (const char *cpus, const char *online)
{
  if (cpus == NULL || *cpus == '\0')
    return g_strdup ("-");
  return g_strdup_printf ("%u/%u %s", hotplug_ctl_list_count (online),
                          hotplug_ctl_list_count (cpus), cpus);
}

char *
hotplug_ctl_format_memory (guint64 bytes, guint blocks, guint online)
{
  g_autofree char *size = NULL;

  if (bytes == 0 && blocks == 0)
    return g_strdup ("-");
  size = hotplug_ctl_format_size (bytes);
  /* TRANSLATORS: memory size, blocks online / blocks: "64 GiB 64/64 blocks" */
  return g_strdup_printf (_("%s %u/%u blocks"), size, online, blocks);
}

const char *
hotplug_ctl_or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "-";
}

const char *
hotplug_ctl_arrow (HotplugCtl *ctl)
{
  return ctl->utf8 ? "→" : "->";
}

const char *
hotplug_ctl_ellipsis (HotplugCtl *ctl)
{
  return ctl->utf8 ? "…" : "...";
}

char *
hotplug_ctl_format_time (guint64 usec)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) now = NULL;

  if (usec == 0)
    return NULL;
  time = g_date_time_new_from_unix_local ((gint64) (usec / G_USEC_PER_SEC));
  now = g_date_time_new_now_local ();
  if (time == NULL || now == NULL)
    return NULL;
  if (g_date_time_get_year (time) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (time) == g_date_time_get_day_of_year (now))
    return g_date_time_format (time, "%H:%M:%S");
  return g_date_time_format (time, "%Y-%m-%d %H:%M");
}

char *
hotplug_ctl_format_duration (guint64 usec)
{
  guint64 ms = usec / 1000;

  if (ms < 1000)
    /* TRANSLATORS: a duration in milliseconds */
    return g_strdup_printf (_("%u ms"), (guint) ms);
  if (ms < 60 * 1000)
    /* TRANSLATORS: a duration in seconds, one decimal */
    return g_strdup_printf (_("%.1f s"), (double) ms / 1000.0);
  /* TRANSLATORS: a duration in minutes and seconds */
  return g_strdup_printf (_("%u min %u s"), (guint) (ms / 60000), (guint) (ms / 1000 % 60));
}

char *
hotplug_ctl_job_path (const char *job)
{
  guint64 number;

  if (job == NULL || *job == '\0')
    return NULL;
  if (job[0] == '/')
    return g_variant_is_object_path (job) ? g_strdup (job) : NULL;
  if (!g_ascii_string_to_unsigned (job, 10, 0, G_MAXUINT32, &number, NULL))
    return NULL;
  return g_strdup_printf ("%s/%" G_GUINT64_FORMAT, HOTPLUG_DBUS_JOB_PATH, number);
}

char *
hotplug_ctl_job_number (const char *path)
{
  const char *slash;

  if (path == NULL || g_str_equal (path, "/") || *path == '\0')
    return NULL;
  slash = strrchr (path, '/');
  return g_strdup (slash ? slash + 1 : path);
}

char *
hotplug_ctl_slot_address (const char *const *pci_devices)
{
  const char *first;
  const char *dot;

  if (pci_devices == NULL || pci_devices[0] == NULL || *pci_devices[0] == '\0')
    return NULL;
  /* 0000:41:00.0 is function 0 of the device in slot 0000:41:00 */
  first = pci_devices[0];
  dot = strrchr (first, '.');
  return dot ? g_strndup (first, dot - first) : g_strdup (first);
}

HotplugCtlStyle
hotplug_ctl_state_style (const char *state)
{
  static const struct { const char *state; HotplugCtlStyle style; } styles[] = {
    { "online", HOTPLUG_CTL_STYLE_GOOD },
    { "connected", HOTPLUG_CTL_STYLE_GOOD },
    { "succeeded", HOTPLUG_CTL_STYLE_GOOD },
    { "adding", HOTPLUG_CTL_STYLE_BUSY },
    { "removing", HOTPLUG_CTL_STYLE_BUSY },
    { "quiesced", HOTPLUG_CTL_STYLE_BUSY },
    { "disconnecting", HOTPLUG_CTL_STYLE_BUSY },
    { "running", HOTPLUG_CTL_STYLE_BUSY },
    { "failed", HOTPLUG_CTL_STYLE_BAD },
    { "vetoed", HOTPLUG_CTL_STYLE_BAD },
    { "timeout", HOTPLUG_CTL_STYLE_BAD },
    { "absent", HOTPLUG_CTL_STYLE_DIM },
    { "inactive", HOTPLUG_CTL_STYLE_DIM },
    { "disconnected", HOTPLUG_CTL_STYLE_DIM },
  };

  for (guint i = 0; state != NULL && i < G_N_ELEMENTS (styles); i++)
    if (g_str_equal (state, styles[i].state))
      return styles[i].style;
  return HOTPLUG_CTL_STYLE_NONE;
}

const char *
hotplug_ctl_style_on (HotplugCtl *ctl, HotplugCtlStyle style)
{
  if (!ctl->color)
    return "";
  switch (style)
    {
    case HOTPLUG_CTL_STYLE_BOLD:
      return "\033[1m";
    case HOTPLUG_CTL_STYLE_GOOD:
      return "\033[32m";
    case HOTPLUG_CTL_STYLE_BUSY:
      return "\033[33m";
    case HOTPLUG_CTL_STYLE_BAD:
      return "\033[1;31m";
    case HOTPLUG_CTL_STYLE_DIM:
      return "\033[2m";
    case HOTPLUG_CTL_STYLE_NONE:
    default:
      return "";
    }
}

const char *
hotplug_ctl_style_off (HotplugCtl *ctl, HotplugCtlStyle style)
{
  if (!ctl->color || style == HOTPLUG_CTL_STYLE_NONE)
    return "";
  return "\033[0m";
}

/* ---- tables ------------------------------------------------------------ */

typedef struct
{
  GPtrArray *cells;   /* char * */
  GArray    *styles;  /* HotplugCtlStyle */
  char      *trailer;
} HotplugCtlRow;

struct _HotplugCtlTable
{
  GPtrArray *headers;
  GPtrArray *rows;    /* HotplugCtlRow * */
};

static void
hotplug_ctl_row_free (gpointer data)
{
  HotplugCtlRow *row = data;

  g_ptr_array_unref (row->cells);
  g_array_unref (row->styles);
  g_free (row->trailer);
  g_free (row);
}

HotplugCtlTable *
hotplug_ctl_table_new (const char *first_header, ...)
{
  HotplugCtlTable *table = g_new0 (HotplugCtlTable, 1);
  va_list args;

  table->headers = g_ptr_array_new_with_free_func (g_free);
  table->rows = g_ptr_array_new_with_free_func (hotplug_ctl_row_free);

  va_start (args, first_header);
  for (const char *h = first_header; h != NULL; h = va_arg (args, const char *))
    g_ptr_array_add (table->headers, g_strdup (h));
  va_end (args);
  return table;
}

void
hotplug_ctl_table_free (HotplugCtlTable *table)
{
  g_ptr_array_unref (table->headers);
  g_ptr_array_unref (table->rows);
  g_free (table);
}

void
hotplug_ctl_table_add_row (HotplugCtlTable *table)
{
  HotplugCtlRow *row = g_new0 (HotplugCtlRow, 1);

  row->cells = g_ptr_array_new_with_free_func (g_free);
  row->styles = g_array_new (FALSE, FALSE, sizeof (HotplugCtlStyle));
  g_ptr_array_add (table->rows, row);
}

static HotplugCtlRow *
hotplug_ctl_table_last_row (HotplugCtlTable *table)
{
  g_return_val_if_fail (table->rows->len > 0, NULL);
  return table->rows->pdata[table->rows->len - 1];
}

void
hotplug_ctl_table_add_cell (HotplugCtlTable *table,
                            HotplugCtlStyle  style,
                            const char      *text)
{
  HotplugCtlRow *row = hotplug_ctl_table_last_row (table);

  g_return_if_fail (row != NULL && row->cells->len < table->headers->len);
  g_ptr_array_add (row->cells, g_strdup (hotplug_ctl_or_dash (text)));
  g_array_append_val (row->styles, style);
}

void
hotplug_ctl_table_add_trailer (HotplugCtlTable *table, const char *text)
{
  HotplugCtlRow *row = hotplug_ctl_table_last_row (table);

  g_return_if_fail (row != NULL);
  g_free (row->trailer);
  row->trailer = g_strdup (text);
}

/* Width on screen; the cells hold ids, numbers and state names, so one
 * column per character is good enough. */
static gsize
hotplug_ctl_width (const char *text)
{
  return g_utf8_validate (text, -1, NULL) ? (gsize) g_utf8_strlen (text, -1) : strlen (text);
}

static void
hotplug_ctl_print_cell (GString         *line,
                        HotplugCtl      *ctl,
                        HotplugCtlStyle  style,
                        const char      *text,
                        gsize            width,
                        gboolean         last)
{
  g_string_append (line, hotplug_ctl_style_on (ctl, style));
  g_string_append (line, text);
  g_string_append (line, hotplug_ctl_style_off (ctl, style));
  if (!last)
    {
      for (gsize w = hotplug_ctl_width (text); w < width; w++)
        g_string_append_c (line, ' ');
      g_string_append (line, "  ");
    }
}

void
hotplug_ctl_table_print (HotplugCtlTable *table, HotplugCtl *ctl)
{
  guint ncols = table->headers->len;
  g_autofree gsize *widths = g_new0 (gsize, ncols);
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint c = 0; c < ncols; c++)
    widths[c] = hotplug_ctl_width (table->headers->pdata[c]);
  for (guint r = 0; r < table->rows->len; r++)
    {
      HotplugCtlRow *row = table->rows->pdata[r];

      for (guint c = 0; c < row->cells->len; c++)
        widths[c] = MAX (widths[c], hotplug_ctl_width (row->cells->pdata[c]));
    }

  for (guint c = 0; c < ncols; c++)
    hotplug_ctl_print_cell (line, ctl, HOTPLUG_CTL_STYLE_BOLD,
                            table->headers->pdata[c], widths[c], c + 1 == ncols);
  printf ("%s\n", line->str);

  for (guint r = 0; r < table->rows->len; r++)
    {
      HotplugCtlRow *row = table->rows->pdata[r];

      g_string_truncate (line, 0);
      for (guint c = 0; c < row->cells->len; c++)
        hotplug_ctl_print_cell (line, ctl, g_array_index (row->styles, HotplugCtlStyle, c),
                                row->cells->pdata[c], widths[c], c + 1 == row->cells->len);
      printf ("%s\n", line->str);
      if (row->trailer != NULL)
        fputs (row->trailer, stdout);
    }
}

/* ---- device trees ------------------------------------------------------ */

char *
hotplug_ctl_device_tree (HotplugCtl *ctl, GVariant *devices, const char *indent)
{
  const char *branch = ctl->utf8 ? "├─ " : "|- ";
  const char *corner = ctl->utf8 ? "└─ " : "`- ";
  const char *pipe = ctl->utf8 ? "│  " : "|  ";
  gsize n = g_variant_n_children (devices);
  g_autofree guint *depth = g_new0 (guint, n + 1);
  g_autofree gboolean *last = g_new0 (gboolean, n + 1);
  GString *out = g_string_new (NULL);

  /* A depth never jumps by more than one below its predecessor, whatever
   * the daemon said, so the drawing stays a tree. */
  for (gsize i = 0; i < n; i++)
    {
      guint d;

      g_variant_get_child (devices, i, "(&sus&s)", NULL, &d, NULL, NULL);
      depth[i] = i == 0 ? 0 : MIN (d, depth[i - 1] + 1);
    }

  for (gsize i = 0; i < n; i++)
    {
      const char *address, *description;
      gboolean is_last = TRUE;

      g_variant_get_child (devices, i, "(&sus&s)", &address, NULL, NULL, &description);
      for (gsize j = i + 1; j < n && depth[j] >= depth[i]; j++)
        if (depth[j] == depth[i])
          {
            is_last = FALSE;
            break;
          }
      last[depth[i]] = is_last;

      g_string_append (out, indent);
      for (guint k = 0; k < depth[i]; k++)
        g_string_append (out, last[k] ? "   " : pipe);
      g_string_append (out, is_last ? corner : branch);
      g_string_append (out, address);
      if (*description)
        g_string_append_printf (out, " %s", description);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* ---- JSON -------------------------------------------------------------- */

void
hotplug_ctl_json_string (GString *out, const char *text)
{
  g_autofree char *valid = NULL;

  /* D-Bus strings are UTF-8 already; anything else is made so rather than
   * producing invalid JSON. */
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) text; *p; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, *p);
        }
    }
  g_string_append_c (out, '"');
}

static gboolean
hotplug_ctl_json_is_object (const GVariantType *type)
{
  const GVariantType *element;

  if (!g_variant_type_is_array (type))
    return FALSE;
  element = g_variant_type_element (type);
  if (!g_variant_type_is_dict_entry (element))
    return FALSE;
  return g_variant_type_equal (g_variant_type_key (element), G_VARIANT_TYPE_STRING) ||
         g_variant_type_equal (g_variant_type_key (element), G_VARIANT_TYPE_OBJECT_PATH);
}

void
hotplug_ctl_json_value (GString *out, GVariant *value)
{
  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      g_string_append (out, g_variant_get_boolean (value) ? "true" : "false");
      break;
    case G_VARIANT_CLASS_BYTE:
      g_string_append_printf (out, "%u", g_variant_get_byte (value));
      break;
    case G_VARIANT_CLASS_INT16:
      g_string_append_printf (out, "%d", g_variant_get_int16 (value));
      break;
    case G_VARIANT_CLASS_UINT16:
      g_string_append_printf (out, "%u", g_variant_get_uint16 (value));
      break;
    case G_VARIANT_CLASS_INT32:
      g_string_append_printf (out, "%d", g_variant_get_int32 (value));
      break;
    case G_VARIANT_CLASS_UINT32:
      g_string_append_printf (out, "%u", g_variant_get_uint32 (value));
      break;
    case G_VARIANT_CLASS_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (value));
      break;
    case G_VARIANT_CLASS_UINT64:
      g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_variant_get_uint64 (value));
      break;
    case G_VARIANT_CLASS_HANDLE:
      g_string_append_printf (out, "%d", g_variant_get_handle (value));
      break;
    case G_VARIANT_CLASS_DOUBLE:
      {
        double d = g_variant_get_double (value);
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        /* JSON has no NaN or infinity */
        if (isfinite (d))
          g_string_append (out, g_ascii_dtostr (buf, sizeof buf, d));
        else
          g_string_append (out, "null");
      }
      break;
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      hotplug_ctl_json_string (out, g_variant_get_string (value, NULL));
      break;
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr(GVariant) inner = g_variant_get_variant (value);

        hotplug_ctl_json_value (out, inner);
      }
      break;
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr(GVariant) inner = g_variant_get_maybe (value);

        if (inner != NULL)
          hotplug_ctl_json_value (out, inner);
        else
          g_string_append (out, "null");
      }
      break;
    case G_VARIANT_CLASS_ARRAY:
      if (hotplug_ctl_json_is_object (g_variant_get_type (value)))
        {
          gsize n = g_variant_n_children (value);

          g_string_append_c (out, '{');
          for (gsize i = 0; i < n; i++)
            {
              g_autoptr(GVariant) entry = g_variant_get_child_value (value, i);
              g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
              g_autoptr(GVariant) val = g_variant_get_child_value (entry, 1);

              if (i > 0)
                g_string_append_c (out, ',');
              hotplug_ctl_json_string (out, g_variant_get_string (key, NULL));
              g_string_append_c (out, ':');
              hotplug_ctl_json_value (out, val);
            }
          g_string_append_c (out, '}');
          break;
        }
      G_GNUC_FALLTHROUGH;
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
      {
        gsize n = g_variant_n_children (value);

        g_string_append_c (out, '[');
        for (gsize i = 0; i < n; i++)
          {
            g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

            if (i > 0)
              g_string_append_c (out, ',');
            hotplug_ctl_json_value (out, child);
          }
        g_string_append_c (out, ']');
      }
      break;
    default:
      g_string_append (out, "null");
      break;
    }
}

static int
hotplug_ctl_strv_compare (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

void
hotplug_ctl_json_properties (GString *out, GDBusProxy *proxy)
{
  g_auto(GStrv) names = g_dbus_proxy_get_cached_property_names (proxy);
  gboolean first = TRUE;

  if (names == NULL)
    return;
  qsort (names, g_strv_length (names), sizeof (char *), hotplug_ctl_strv_compare);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_dbus_proxy_get_cached_property (proxy, names[i]);

      if (value == NULL)
        continue;
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      hotplug_ctl_json_string (out, names[i]);
      g_string_append_c (out, ':');
      hotplug_ctl_json_value (out, value);
    }
}

void
hotplug_ctl_json_devices (GString *out, GVariant *devices)
{
  gsize n = g_variant_n_children (devices);

  g_string_append_c (out, '[');
  for (gsize i = 0; i < n; i++)
    {
      const char *address, *parent, *description;
      guint depth;

      g_variant_get_child (devices, i, "(&su&s&s)", &address, &depth, &parent, &description);
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"Address\":");
      hotplug_ctl_json_string (out, address);
      g_string_append_printf (out, ",\"Depth\":%u,\"Parent\":", depth);
      hotplug_ctl_json_string (out, parent);
      g_string_append (out, ",\"Description\":");
      hotplug_ctl_json_string (out, description);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

void
hotplug_ctl_json_print (GString *out)
{
  printf ("%s\n", out->str);
  fflush (stdout);
}
