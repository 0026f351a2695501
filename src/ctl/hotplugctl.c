/* hotplugctl — the command-line client of hotplugd: global options and the
 * table of subcommands.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl-common.h"
#include "hotplug-util.h"

/* One line per subcommand; the first is the default. */
static const HotplugCtlCommand hotplug_ctl_commands[] = {
  { "status",  hotplug_ctl_status,  N_("Show units and domains at a glance (default)") },
  { "show",    hotplug_ctl_show,    N_("Show every property of one unit") },
  { "slots",   hotplug_ctl_slots,   N_("List PCI slots and their devices") },
  { "domains", hotplug_ctl_domains, N_("List PCI domains") },
  { "add",     hotplug_ctl_add,     N_("Bring a unit into service and follow the job") },
  { "remove",  hotplug_ctl_remove,  N_("Take a unit out of service and follow the job") },
  { "replace", hotplug_ctl_replace, N_("Replace a unit's part in service and follow the job") },
  { "switchover", hotplug_ctl_switchover, N_("Hand a PCI domain over to a peer host and follow the job") },
  { "cancel-switchover", hotplug_ctl_cancel_switchover, N_("End a running or pending switchover") },
  { "connect", hotplug_ctl_connect_domain, N_("Take a PCI domain into service and follow the job") },
  { "jobs",    hotplug_ctl_jobs,    N_("List running and recently ended jobs") },
  { "cancel",  hotplug_ctl_cancel,  N_("Cancel a running job") },
  { "hooks",   hotplug_ctl_hooks,   N_("List the hooks that would run for each event") },
  { "monitor", hotplug_ctl_monitor, N_("Print changes as they happen") },
};

static const HotplugCtlCommand *
hotplug_ctl_find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (hotplug_ctl_commands); i++)
    if (g_str_equal (hotplug_ctl_commands[i].name, name))
      return &hotplug_ctl_commands[i];
  return NULL;
}

static char *
hotplug_ctl_commands_help (void)
{
  GString *text = g_string_new (_("Commands:"));
  gsize width = 0;

  for (guint i = 0; i < G_N_ELEMENTS (hotplug_ctl_commands); i++)
    width = MAX (width, strlen (hotplug_ctl_commands[i].name));
  for (guint i = 0; i < G_N_ELEMENTS (hotplug_ctl_commands); i++)
    g_string_append_printf (text, "\n  %-*s  %s", (int) width,
                            hotplug_ctl_commands[i].name,
                            _(hotplug_ctl_commands[i].summary));
  g_string_append_c (text, '\n');
  g_string_append (text, _("Run 'hotplugctl COMMAND --help' for a command's options."));
  return g_string_free (text, FALSE);
}

/* Ids, names and option values travel as D-Bus strings: UTF-8 only. */
static gboolean
arguments_are_utf8 (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!g_utf8_validate (argv[i], -1, NULL))
      {
        g_autofree char *shown = hotplug_utf8_sanitize (argv[i], -1, 64);

        hotplug_ctl_error (_("“%s” is not valid: ids and arguments are UTF-8 text"), shown);
        return FALSE;
      }
  return TRUE;
}

/* Colours unless NO_COLOR or a dumb terminal; redrawing a line needs a
 * terminal that knows "erase to end of line". */
static void
detect_terminal (HotplugCtl *ctl)
{
  const char *no_color = g_getenv ("NO_COLOR");
  const char *term = g_getenv ("TERM");

  ctl->color = isatty (STDOUT_FILENO) && (no_color == NULL || *no_color == '\0') &&
               g_strcmp0 (term, "dumb") != 0;
  ctl->utf8 = g_get_charset (NULL);
  ctl->tty = isatty (STDOUT_FILENO) && term != NULL && *term != '\0' &&
             g_strcmp0 (term, "dumb") != 0;
}

int
main (int argc, char **argv)
{
  HotplugCtl ctl = { 0 };
  gboolean version = FALSE;
  const HotplugCtlCommand *command;
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *commands_help = NULL;
  int status;

  const GOptionEntry entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &ctl.json,
      N_("Machine-readable output (JSON)"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  commands_help = hotplug_ctl_commands_help ();
  context = g_option_context_new (_("[COMMAND] [ARGS…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Control and inspect hotplugd, the hot add and remove daemon."));
  g_option_context_set_description (context, commands_help);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Stop at the command: what follows is the command's to parse. */
  g_option_context_set_strict_posix (context, TRUE);
  /* the command and its arguments follow: no limit here */
  if (hotplug_ctl_parse_options (context, &argc, &argv, G_MAXINT, NULL) != 0)
    return HOTPLUG_CTL_EXIT_USAGE;

  if (version)
    {
      printf ("hotplugctl %s\n", PACKAGE_VERSION);
      return HOTPLUG_CTL_EXIT_OK;
    }

  if (!arguments_are_utf8 (argc, argv))
    return HOTPLUG_CTL_EXIT_USAGE;

  if (argc < 2)
    command = &hotplug_ctl_commands[0];
  else if ((command = hotplug_ctl_find_command (argv[1])) == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("unknown command: %s"), argv[1]);

      return hotplug_ctl_usage_error (context, message);
    }

  detect_terminal (&ctl);

  if (argc < 2)
    {
      char *default_argv[] = { (char *) command->name, NULL };

      status = command->run (&ctl, 1, default_argv);
    }
  else
    status = command->run (&ctl, argc - 1, argv + 1);

  fflush (stdout);
  hotplug_ctl_clear (&ctl);
  return status;
}
