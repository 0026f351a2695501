/* hotplugctl hooks [EVENT] — the collaboration hooks hotplugd would run,
 * event by event and kind by kind, in run order, with those it masks or
 * refuses and why.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "ctl-common.h"
#include "hotplug-error.h"

typedef struct
{
  const char *event;
  const char *kind;
  const char *name;
  const char *path;
  const char *origin;
  const char *status;
  const char *reason;
} HotplugCtlHook;

static void
hotplug_ctl_hooks_json (GPtrArray *hooks)
{
  g_autoptr(GString) out = g_string_new ("[");

  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugCtlHook *hook = hooks->pdata[i];
      const struct { const char *key; const char *value; } members[] = {
        { "Event", hook->event }, { "Kind", hook->kind }, { "Name", hook->name },
        { "Path", hook->path }, { "Origin", hook->origin }, { "Status", hook->status },
        { "Reason", hook->reason },
      };

      g_string_append (out, i ? ",{" : "{");
      for (guint m = 0; m < G_N_ELEMENTS (members); m++)
        {
          if (m > 0)
            g_string_append_c (out, ',');
          hotplug_ctl_json_string (out, members[m].key);
          g_string_append_c (out, ':');
          hotplug_ctl_json_string (out, members[m].value);
        }
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  hotplug_ctl_json_print (out);
}

static gsize
hotplug_ctl_hooks_width (const char *text)
{
  return g_utf8_validate (text, -1, NULL) ? (gsize) g_utf8_strlen (text, -1) : strlen (text);
}

static void
hotplug_ctl_hooks_text (HotplugCtl *ctl, GPtrArray *hooks)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func (g_free);
  gsize name_width = 0, origin_width = 0, path_width = 0;

  /* Groups in the order the daemon first names them; hooks within a group
   * in its order, which is the run order. */
  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugCtlHook *hook = hooks->pdata[i];
      g_autofree char *group = g_strconcat (hook->event, "\n", hook->kind, NULL);
      gboolean seen = FALSE;

      for (guint g = 0; g < groups->len && !seen; g++)
        seen = g_str_equal (groups->pdata[g], group);
      if (!seen)
        g_ptr_array_add (groups, g_steal_pointer (&group));
      name_width = MAX (name_width, hotplug_ctl_hooks_width (hook->name));
      origin_width = MAX (origin_width, hotplug_ctl_hooks_width (hook->origin));
      path_width = MAX (path_width, hotplug_ctl_hooks_width (hook->path));
    }

  for (guint g = 0; g < groups->len; g++)
    {
      const char *group = groups->pdata[g];

      if (g > 0)
        printf ("\n");
      for (guint i = 0, n = 0; i < hooks->len; i++)
        {
          HotplugCtlHook *hook = hooks->pdata[i];
          g_autofree char *key = g_strconcat (hook->event, "\n", hook->kind, NULL);
          gboolean runnable = g_str_equal (hook->status, "runnable");
          gboolean refused = g_str_equal (hook->status, "refused");
          HotplugCtlStyle style = refused ? HOTPLUG_CTL_STYLE_BAD
                                  : runnable ? HOTPLUG_CTL_STYLE_NONE : HOTPLUG_CTL_STYLE_DIM;
          g_autofree char *status = NULL;

          if (!g_str_equal (key, group))
            continue;
          if (n++ == 0)
            {
              /* TRANSLATORS: a group of hooks: event and unit kind, "pre-remove (sb):" */
              g_autofree char *title = g_strdup_printf (_("%s (%s):"), hook->event, hook->kind);

              printf ("%s%s%s\n", hotplug_ctl_style_on (ctl, HOTPLUG_CTL_STYLE_BOLD), title,
                      hotplug_ctl_style_off (ctl, HOTPLUG_CTL_STYLE_BOLD));
            }
          if (refused && *hook->reason != '\0')
            /* TRANSLATORS: a hook that will not run and why: "refused: writable by others" */
            status = g_strdup_printf (_("%s: %s"), hook->status, hook->reason);
          else if (!runnable)
            status = g_strdup (hook->status);

          printf ("  %s%-*s  %-*s", hotplug_ctl_style_on (ctl, style),
                  (int) (name_width + strlen (hook->name) - hotplug_ctl_hooks_width (hook->name)),
                  hook->name,
                  (int) (origin_width + strlen (hook->origin) - hotplug_ctl_hooks_width (hook->origin)),
                  hook->origin);
          if (status != NULL)
            printf ("  %-*s  %s%s\n",
                    (int) (path_width + strlen (hook->path) - hotplug_ctl_hooks_width (hook->path)),
                    hook->path, status, hotplug_ctl_style_off (ctl, style));
          else
            printf ("  %s%s\n", hook->path, hotplug_ctl_style_off (ctl, style));
        }
    }
}

int
hotplug_ctl_hooks (HotplugCtl *ctl, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  int status;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GPtrArray) hooks = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *kind = NULL;
  const char *event = "";
  GVariantIter iter;

  const GOptionEntry entries[] = {
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind,
      N_("Only the hooks for this unit kind (sb, iou, slot, cpu, memory, domain)"), N_("KIND") },
    { NULL }
  };

  context = hotplug_ctl_option_context (ctl, "hooks", _("[EVENT]"),
                                        _("List the collaboration hooks hotplugd would run for "
                                          "each event (pre-remove, post-add, remove-failed, ...) "
                                          "and unit kind, in run order, with their origin and "
                                          "path; masked and refused hooks are marked with the "
                                          "reason."), TRUE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 1, NULL)))
    return status;
  if (argc == 2)
    event = argv[1];

  if (!hotplug_ctl_connect (ctl))
    return HOTPLUG_CTL_EXIT_ERROR;

  if (!hotplug_dbus_manager_call_list_hooks_sync (ctl->manager, event, kind ?: "", &list,
                                                  NULL, &error))
    {
      hotplug_ctl_print_gerror (error);
      return HOTPLUG_CTL_EXIT_ERROR;
    }

  g_variant_iter_init (&iter, list);
  for (;;)
    {
      HotplugCtlHook *hook = g_new0 (HotplugCtlHook, 1);

      if (!g_variant_iter_next (&iter, "(&s&s&s&s&s&s&s)", &hook->event, &hook->kind,
                                &hook->name, &hook->path, &hook->origin, &hook->status,
                                &hook->reason))
        {
          g_free (hook);
          break;
        }
      g_ptr_array_add (hooks, hook);
    }

  if (ctl->json)
    hotplug_ctl_hooks_json (hooks);
  else if (hooks->len == 0)
    printf (_("No hooks.\n"));
  else
    hotplug_ctl_hooks_text (ctl, hooks);
  return HOTPLUG_CTL_EXIT_OK;
}
