/* hotplugctl add|remove|replace UNIT — start an operation on a unit and
 * follow its job phase by phase, step by step and hook by hook until it
 * ends (ctl-follow.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ctl-follow.h"
#include "hotplug-error.h"
#include "hotplug-names.h"

/* The command line's options, as the daemon takes them. */
typedef struct
{
  gboolean force;
  gboolean dry_run;
  gboolean strict;
  gboolean no_eject;
  gboolean has_timeout;
  guint32  timeout;
  guint32  window;   /* replace: 0 for the daemon's default */
} HotplugCtlOperationArgs;

static GVariant *
hotplug_ctl_operation_options (const HotplugCtlOperationArgs *args)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (args->force)
    g_variant_builder_add (&options, "{sv}", "force", g_variant_new_boolean (TRUE));
  if (args->dry_run)
    g_variant_builder_add (&options, "{sv}", "dry-run", g_variant_new_boolean (TRUE));
  if (args->has_timeout)
    g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (args->timeout));
  if (args->strict)
    g_variant_builder_add (&options, "{sv}", "strict", g_variant_new_boolean (TRUE));
  /* only what was asked: the daemon decides eject's default per unit */
  if (args->no_eject)
    g_variant_builder_add (&options, "{sv}", "eject", g_variant_new_boolean (FALSE));
  if (args->window)
    g_variant_builder_add (&options, "{sv}", "window", g_variant_new_uint32 (args->window));
  return g_variant_builder_end (&options);
}

/* The options of add, remove and replace; returns 0 or the usage status. */
static int
hotplug_ctl_operation_parse (HotplugCtl              *ctl,
                             int                     *argc,
                             char                  ***argv,
                             const char              *operation,
                             const char              *method,
                             const char              *summary,
                             HotplugCtlOperationArgs *args,
                             gboolean                *no_wait)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *timeout_text = NULL;
  g_autofree char *window_text = NULL;
  guint64 window = 0;
  int status;

  const GOptionEntry entries[] = {
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, no_wait,
      N_("Print the job and return at once instead of following it"), NULL },
    { "force", 0, 0, G_OPTION_ARG_NONE, &args->force,
      N_("Ask for the operation with force (HOTPLUG_FORCE=1 for the hooks)"), NULL },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &args->dry_run,
      N_("Only run the pre-* hooks in dry-run mode and show what would be done"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_text,
      N_("Give up after SECONDS"), N_("SECONDS") },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &args->strict,
      N_("Fail when there is nothing to do instead of succeeding"), NULL },
    { NULL }
  };
  const GOptionEntry replace_entries[] = {
    { "window", 0, 0, G_OPTION_ARG_STRING, &window_text,
      N_("Wait at most SECONDS for the part to be swapped (default 300)"), N_("SECONDS") },
    { NULL }
  };
  const GOptionEntry remove_entries[] = {
    { "no-eject", 0, 0, G_OPTION_ARG_NONE, &args->no_eject,
      N_("Stop at offline: leave a board or I/O unit in place (add brings it back)"), NULL },
    { NULL }
  };

  context = hotplug_ctl_option_context (ctl, operation, _("UNIT"), summary, FALSE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (g_str_equal (method, "Remove"))
    g_option_context_add_main_entries (context, remove_entries, GETTEXT_PACKAGE);
  if (g_str_equal (method, "Replace"))
    g_option_context_add_main_entries (context, replace_entries, GETTEXT_PACKAGE);
  if ((status = hotplug_ctl_parse_options (context, argc, argv, 1, _("missing unit"))))
    return status;
  if ((status = hotplug_ctl_parse_timeout (context, timeout_text, &args->has_timeout, &args->timeout)))
    return status;
  if (window_text != NULL && !g_ascii_string_to_unsigned (window_text, 10, 1, 86400, &window, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("invalid window: %s (seconds, 1 to 86400)"), window_text);

      return hotplug_ctl_usage_error (context, message);
    }
  args->window = (guint32) window;
  return 0;
}

int
hotplug_ctl_operation_run (HotplugCtl *ctl,
                           int         argc,
                           char      **argv,
                           const char *operation,
                           const char *method,
                           const char *summary)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *unit_path = NULL;
  g_autoptr(GVariant) options = NULL;
  HotplugCtlOperationArgs args = { 0 };
  HotplugCtlJobRequest request = { 0 };
  gboolean no_wait = FALSE;
  int status;

  status = hotplug_ctl_operation_parse (ctl, &argc, &argv, operation, method, summary, &args, &no_wait);
  if (status != 0)
    return status;

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  if (!hotplug_dbus_manager_call_get_unit_sync (ctl->manager, argv[1], &unit_path, NULL, &error))
    {
      if (g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT))
        hotplug_ctl_error (_("no such unit: %s"), argv[1]);
      else
        hotplug_ctl_print_gerror (error);
      return HOTPLUG_CTL_EXIT_ERROR;
    }

  options = g_variant_ref_sink (hotplug_ctl_operation_options (&args));
  request.operation = operation;
  request.method = method;
  request.interface = HOTPLUG_DBUS_IFACE_UNIT;
  request.target = argv[1];
  request.target_path = unit_path;
  request.options = options;
  request.dry_run = args.dry_run;
  if (no_wait)
    return hotplug_ctl_follow_no_wait (ctl, &request);
  return hotplug_ctl_follow_run (ctl, &request);
}

int
hotplug_ctl_add (HotplugCtl *ctl, int argc, char **argv)
{
  return hotplug_ctl_operation_run (ctl, argc, argv, "add", "Add",
                                _("Bring a unit into service and follow the job phase by phase "
                                  "until it ends. Exit status 0 only if it succeeded."));
}

int
hotplug_ctl_remove (HotplugCtl *ctl, int argc, char **argv)
{
  return hotplug_ctl_operation_run (ctl, argc, argv, "remove", "Remove",
                                _("Take a unit out of service and follow the job phase by phase "
                                  "until it ends. Exit status 0 only if it succeeded."));
}
