/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The options of Unit.Add, Remove and Replace, and of a domain's
 * PrepareForSwitchover and Connect, checked before any job. */
#include "config.h"

#include <string.h>

#include "hotplug-error.h"
#include "hotplug-job.h"
#include "hotplug-util.h"

static gboolean
parse (GVariant *options, const char *const *known, HotplugJobOptions *out, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  memset (out, 0, sizeof *out);
  if (options == NULL)
    return TRUE;
  g_variant_iter_init (&iter, options);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      const GVariantType *want = NULL;

      if (!g_strv_contains (known, key))
        {
          g_autofree char *list = g_strjoinv (", ", (char **) known);
          g_autofree char *shown = hotplug_utf8_sanitize (key, -1, 64);

          g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                       "unknown option “%s” (known: %s)", shown, list);
          g_variant_unref (value);
          return FALSE;
        }
      if (g_str_equal (key, "timeout") || g_str_equal (key, "window"))
        want = G_VARIANT_TYPE_UINT32;
      else
        want = G_VARIANT_TYPE_BOOLEAN;
      if (!g_variant_is_of_type (value, want))
        {
          g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                       "option “%s” must be of type %s, not %s", key,
                       (const char *) want, g_variant_get_type_string (value));
          g_variant_unref (value);
          return FALSE;
        }
      if (g_str_equal (key, "force"))
        out->force = g_variant_get_boolean (value);
      else if (g_str_equal (key, "persist"))
        out->persist = g_variant_get_boolean (value);
      else if (g_str_equal (key, "dry-run"))
        out->dry_run = g_variant_get_boolean (value);
      else if (g_str_equal (key, "strict"))
        out->flags = g_variant_get_boolean (value) ? out->flags | HOTPLUG_OPERATION_FLAG_STRICT
                                                   : out->flags & ~HOTPLUG_OPERATION_FLAG_STRICT;
      else if (g_str_equal (key, "eject"))
        {
          out->flags |= HOTPLUG_OPERATION_FLAG_EJECT_SET;
          if (g_variant_get_boolean (value))
            out->flags &= ~HOTPLUG_OPERATION_FLAG_NO_EJECT;
          else
            out->flags |= HOTPLUG_OPERATION_FLAG_NO_EJECT;
        }
      else if (g_str_equal (key, "window"))
        {
          out->window_s = g_variant_get_uint32 (value);
          out->flags |= HOTPLUG_OPERATION_FLAG_WINDOW_SET;
          if (out->window_s == 0 || out->window_s > HOTPLUG_REPLACE_WINDOW_MAX_S)
            {
              g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                           "option “window” must be 1 to %u seconds", HOTPLUG_REPLACE_WINDOW_MAX_S);
              g_variant_unref (value);
              return FALSE;
            }
        }
      else
        {
          out->timeout_s = g_variant_get_uint32 (value);
          if (out->timeout_s == 0)
            {
              g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                           "option “timeout” must be a positive number of seconds");
              g_variant_unref (value);
              return FALSE;
            }
        }
    }
  return TRUE;
}

gboolean
hotplug_job_options_parse (GVariant *options, HotplugJobOptions *out, GError **error)
{
  static const char *const unit_keys[] = { "force", "dry-run", "timeout", "strict", "eject", "window", NULL };

  return parse (options, unit_keys, out, error);
}

gboolean
hotplug_job_options_parse_domain (GVariant *options, HotplugOperation op, HotplugJobOptions *out,
                                  GError **error)
{
  static const char *const switchover_keys[] = { "timeout", "persist", "force", "dry-run", NULL };
  static const char *const connect_keys[] = { "timeout", "dry-run", NULL };

  return parse (options, op == HOTPLUG_OPERATION_SWITCHOVER ? switchover_keys : connect_keys, out, error);
}
