/* hotplugctl — --json: D-Bus values and objects as JSON.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "ctl-common.h"

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

/* A boolean or a number; FALSE for any other class. */
static gboolean
hotplug_ctl_json_scalar (GString *out, GVariant *value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  double d;

  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      g_string_append (out, g_variant_get_boolean (value) ? "true" : "false");
      return TRUE;
    case G_VARIANT_CLASS_BYTE:
      g_string_append_printf (out, "%u", g_variant_get_byte (value));
      return TRUE;
    case G_VARIANT_CLASS_INT16:
      g_string_append_printf (out, "%d", g_variant_get_int16 (value));
      return TRUE;
    case G_VARIANT_CLASS_UINT16:
      g_string_append_printf (out, "%u", g_variant_get_uint16 (value));
      return TRUE;
    case G_VARIANT_CLASS_INT32:
      g_string_append_printf (out, "%d", g_variant_get_int32 (value));
      return TRUE;
    case G_VARIANT_CLASS_UINT32:
      g_string_append_printf (out, "%u", g_variant_get_uint32 (value));
      return TRUE;
    case G_VARIANT_CLASS_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (value));
      return TRUE;
    case G_VARIANT_CLASS_UINT64:
      g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_variant_get_uint64 (value));
      return TRUE;
    case G_VARIANT_CLASS_HANDLE:
      g_string_append_printf (out, "%d", g_variant_get_handle (value));
      return TRUE;
    case G_VARIANT_CLASS_DOUBLE:
      d = g_variant_get_double (value);
      /* JSON has no NaN or infinity */
      g_string_append (out, isfinite (d) ? g_ascii_dtostr (buf, sizeof buf, d) : "null");
      return TRUE;
    default:
      return FALSE;
    }
}

/* A container: a dictionary keyed by strings or object paths is an object,
 * anything else (array, tuple, dictionary entry) a list. */
static void
hotplug_ctl_json_container (GString *out, GVariant *value)
{
  gboolean object = hotplug_ctl_json_is_object (g_variant_get_type (value));
  gsize n = g_variant_n_children (value);

  g_string_append_c (out, object ? '{' : '[');
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

      if (i > 0)
        g_string_append_c (out, ',');
      if (object)
        {
          g_autoptr(GVariant) key = g_variant_get_child_value (child, 0);
          g_autoptr(GVariant) val = g_variant_get_child_value (child, 1);

          hotplug_ctl_json_string (out, g_variant_get_string (key, NULL));
          g_string_append_c (out, ':');
          hotplug_ctl_json_value (out, val);
        }
      else
        hotplug_ctl_json_value (out, child);
    }
  g_string_append_c (out, object ? '}' : ']');
}

void
hotplug_ctl_json_value (GString *out, GVariant *value)
{
  g_autoptr(GVariant) inner = NULL;

  if (hotplug_ctl_json_scalar (out, value))
    return;
  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      hotplug_ctl_json_string (out, g_variant_get_string (value, NULL));
      break;
    case G_VARIANT_CLASS_VARIANT:
      inner = g_variant_get_variant (value);
      hotplug_ctl_json_value (out, inner);
      break;
    case G_VARIANT_CLASS_MAYBE:
      inner = g_variant_get_maybe (value);
      if (inner != NULL)
        hotplug_ctl_json_value (out, inner);
      else
        g_string_append (out, "null");
      break;
    case G_VARIANT_CLASS_ARRAY:
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
      hotplug_ctl_json_container (out, value);
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

void
hotplug_ctl_json_running_job (GString *out, HotplugDbusJob *job)
{
  g_string_append (out, ",\"RunningJob\":");
  if (job == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '{');
  hotplug_ctl_json_properties (out, G_DBUS_PROXY (job));
  g_string_append_c (out, '}');
}
