/* hotplugctl switchover|connect DOMAIN — hand a PCI domain over to a peer
 * host (software disconnection) or take it into service here, following the
 * job like add and remove; hotplugctl cancel-switchover DOMAIN.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "ctl-follow.h"
#include "hotplug-error.h"
#include "hotplug-names.h"

/* A domain as the user gives it: 1 to 4 hex digits ("1", "0001", "00a0"),
 * as the daemon names it: four lower-case hex digits. NULL if it is not
 * one. */
static char *
hotplug_ctl_domain_id (const char *text)
{
  guint64 number;
  gsize length = strlen (text);

  if (length < 1 || length > 4)
    return NULL;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isxdigit (text[i]))
      return NULL;
  number = g_ascii_strtoull (text, NULL, 16);
  return g_strdup_printf ("%04x", (guint) number);
}

/* The domain operand of a command: 0 and the id, or the usage status. */
static int
hotplug_ctl_domain_operand (GOptionContext *context, int *argc, char ***argv, char **id)
{
  int status;

  if ((status = hotplug_ctl_parse_options (context, argc, argv, 1, _("missing domain"))))
    return status;
  *id = hotplug_ctl_domain_id ((*argv)[1]);
  if (*id == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("not a domain: %s (up to four hex digits: 0001)"),
                                                  (*argv)[1]);

      return hotplug_ctl_usage_error (context, message);
    }
  return 0;
}

/* Manager.GetDomain; prints why not and returns NULL. */
static char *
hotplug_ctl_domain_path (HotplugCtl *ctl, const char *id)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;

  if (!hotplug_dbus_manager_call_get_domain_sync (ctl->manager, id, &path, NULL, &error))
    {
      if (g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT))
        hotplug_ctl_error (_("no such domain: %s"), id);
      else
        hotplug_ctl_print_gerror (error);
      return NULL;
    }
  return path;
}

typedef struct
{
  gboolean no_wait;
  gboolean force;
  gboolean dry_run;
  gboolean persist;
  gboolean has_timeout;
  guint32  timeout;
} HotplugCtlDomainArgs;

static GVariant *
hotplug_ctl_domain_options (const HotplugCtlDomainArgs *args)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (args->force)
    g_variant_builder_add (&options, "{sv}", "force", g_variant_new_boolean (TRUE));
  if (args->dry_run)
    g_variant_builder_add (&options, "{sv}", "dry-run", g_variant_new_boolean (TRUE));
  if (args->has_timeout)
    g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (args->timeout));
  if (args->persist)
    g_variant_builder_add (&options, "{sv}", "persist", g_variant_new_boolean (TRUE));
  return g_variant_builder_end (&options);
}

/* Starts METHOD on the domain and follows the job (or not: --no-wait). */
static int
hotplug_ctl_domain_job (HotplugCtl                 *ctl,
                        const char                 *id,
                        const char                 *operation,
                        const char                 *method,
                        const HotplugCtlDomainArgs *args)
{
  g_autofree char *path = NULL;
  g_autoptr(GVariant) options = NULL;
  HotplugCtlJobRequest request = { 0 };

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;
  path = hotplug_ctl_domain_path (ctl, id);
  if (path == NULL)
    return HOTPLUG_CTL_EXIT_ERROR;

  options = g_variant_ref_sink (hotplug_ctl_domain_options (args));
  request.operation = operation;
  request.method = method;
  request.interface = HOTPLUG_DBUS_IFACE_DOMAIN;
  request.target = id;
  request.target_path = path;
  request.options = options;
  request.dry_run = args->dry_run;
  if (args->no_wait)
    return hotplug_ctl_follow_no_wait (ctl, &request);
  return hotplug_ctl_follow_run (ctl, &request);
}

/* The options switchover and connect share (connect has no --force or
 * --persist). */
static GOptionContext *
hotplug_ctl_domain_context (HotplugCtl           *ctl,
                            const char           *command,
                            const char           *summary,
                            HotplugCtlDomainArgs *args,
                            char                **timeout_text)
{
  GOptionContext *context = hotplug_ctl_option_context (ctl, command, _("DOMAIN"), summary, FALSE);
  const GOptionEntry entries[] = {
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &args->no_wait,
      N_("Print the job and return at once instead of following it"), NULL },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &args->dry_run,
      N_("Only run the hooks in dry-run mode and show what would be done"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, timeout_text,
      N_("Give up after SECONDS"), N_("SECONDS") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  return context;
}

int
hotplug_ctl_switchover (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *timeout_text = NULL;
  g_autofree char *id = NULL;
  HotplugCtlDomainArgs args = { 0 };
  int status;
  const GOptionEntry entries[] = {
    { "force", 0, 0, G_OPTION_ARG_NONE, &args.force,
      N_("Disconnect even devices in use (HOTPLUG_FORCE=1 for the hooks)"), NULL },
    { "persist", 0, 0, G_OPTION_ARG_NONE, &args.persist,
      N_("Keep retrying devices that refuse instead of failing"), NULL },
    { NULL }
  };

  context = hotplug_ctl_domain_context (ctl, "switchover",
                                        _("Prepare a PCI domain for switchover to a peer host: run the "
                                          "pre-switchover hooks, disconnect its devices, and follow the "
                                          "job until the domain is disconnected (safe to hand over). A "
                                          "hook that answers \"not yet\" or a device that refuses is shown "
                                          "as pending. Exit status 0 only if it succeeded."),
                                        &args, &timeout_text);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = hotplug_ctl_domain_operand (context, &argc, &argv, &id)))
    return status;
  if ((status = hotplug_ctl_parse_timeout (context, timeout_text, &args.has_timeout, &args.timeout)))
    return status;
  return hotplug_ctl_domain_job (ctl, id, "switchover", "PrepareForSwitchover", &args);
}

int
hotplug_ctl_connect_domain (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *timeout_text = NULL;
  g_autofree char *id = NULL;
  HotplugCtlDomainArgs args = { 0 };
  int status;

  context = hotplug_ctl_domain_context (ctl, "connect",
                                        _("Take a PCI domain into service on this host (also repairs a "
                                          "domain left failed by a switchover) and follow the job until "
                                          "it is connected. Exit status 0 only if it succeeded."),
                                        &args, &timeout_text);
  if ((status = hotplug_ctl_domain_operand (context, &argc, &argv, &id)))
    return status;
  if ((status = hotplug_ctl_parse_timeout (context, timeout_text, &args.has_timeout, &args.timeout)))
    return status;
  return hotplug_ctl_domain_job (ctl, id, "connect", "Connect", &args);
}

/* The switchover job running on the domain, or NULL. */
static HotplugDbusJob *
hotplug_ctl_domain_switchover_job (HotplugCtl *ctl, const char *path)
{
  g_autoptr(GDBusInterface) domain = NULL;
  HotplugDbusJob *job;

  domain = g_dbus_object_manager_get_interface (ctl->objects, path, HOTPLUG_DBUS_IFACE_DOMAIN);
  if (domain == NULL)
    return NULL;
  job = hotplug_ctl_get_job (ctl, hotplug_dbus_domain_get_job (HOTPLUG_DBUS_DOMAIN (domain)));
  if (job != NULL && g_strcmp0 (hotplug_dbus_job_get_operation (job), "switchover") != 0)
    g_clear_object (&job);
  return job;
}

int
hotplug_ctl_cancel_switchover (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(HotplugDbusJob) job = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  int status;

  context = hotplug_ctl_option_context (ctl, "cancel-switchover", _("DOMAIN"),
                                        _("End a running or pending switchover of a PCI domain: the "
                                          "domain goes back to connected. Does nothing when none runs."),
                                        FALSE);
  if ((status = hotplug_ctl_domain_operand (context, &argc, &argv, &id)))
    return status;
  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;
  if ((path = hotplug_ctl_domain_path (ctl, id)) == NULL)
    return HOTPLUG_CTL_EXIT_ERROR;
  job = hotplug_ctl_domain_switchover_job (ctl, path);

  /* polkit may ask for a password: no timeout */
  reply = g_dbus_connection_call_sync (ctl->bus, HOTPLUG_DBUS_NAME, path, HOTPLUG_DBUS_IFACE_DOMAIN,
                                       "CancelSwitchover", NULL, G_VARIANT_TYPE ("()"),
                                       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                       G_MAXINT, NULL, &error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      /* TRANSLATORS: "cannot cancel the switchover of 0001: not authorized" */
      hotplug_ctl_error (_("cannot cancel the switchover of %s: %s"), id, error->message);
      return HOTPLUG_CTL_EXIT_ERROR;
    }
  if (job != NULL)
    /* TRANSLATORS: "job 7 (switchover 0001): cancel requested" */
    printf (_("job %u (%s %s): cancel requested\n"), hotplug_dbus_job_get_id (job), "switchover", id);
  else
    printf (_("No switchover of %s was running.\n"), id);
  return HOTPLUG_CTL_EXIT_OK;
}
