/* hotplugctl — how things are shown: sizes, times, states and their colours,
 * aligned tables and device trees.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-common.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

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

