/* hotplugctl add|remove UNIT — start an operation on a unit and follow its
 * job phase by phase, step by step and hook by hook until it ends.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl-common.h"
#include "hotplug-error.h"
#include "hotplug-names.h"

#define HOTPLUG_CTL_DBUS_PROPERTIES "org.freedesktop.DBus.Properties"
#define HOTPLUG_CTL_DBUS_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"

/* A signal that came before the job's path was known: the daemon may emit
 * the first steps before it replies, and they are replayed once it has. */
typedef struct
{
  char     *path;
  char     *interface;
  char     *member;
  GVariant *parameters;
} HotplugCtlSignal;

static void
hotplug_ctl_signal_free (gpointer data)
{
  HotplugCtlSignal *signal = data;

  g_free (signal->path);
  g_free (signal->interface);
  g_free (signal->member);
  g_variant_unref (signal->parameters);
  g_free (signal);
}

typedef struct
{
  HotplugCtl   *ctl;
  const char   *operation;   /* "add", "remove": the method in lower case */
  const char   *method;      /* "Add", "Remove" */
  const char   *unit;        /* the unit id as given */
  gboolean      dry_run;
  GMainLoop    *loop;
  char         *owner;       /* hotplugd's unique name */
  guint         job_signals; /* subscription on the job path namespace */
  guint         removals;    /* InterfacesRemoved on the manager */
  guint         owner_watch;
  guint         sigint;
  GPtrArray    *early;       /* HotplugCtlSignal, before the reply */

  char         *job_path;
  guint         job_id;
  GHashTable   *steps;       /* step index -> description */
  char         *phase;       /* the last phase printed */
  char         *step;        /* what the job does now */
  char         *hook;        /* the hook running now */
  guint         progress;
  char         *reason;
  char         *state;       /* the end state a signal announced */
  gboolean      progress_shown;
  guint         interrupts;  /* SIGINTs so far */
  gboolean      ending;      /* the end was seen; reading the last words */
  gboolean      done;
  int           status;
} HotplugCtlOperation;

static const char *
hotplug_ctl_operation_mark (HotplugCtlOperation *self, gboolean ok)
{
  if (self->ctl->utf8)
    return ok ? "✓" : "✗";
  /* TRANSLATORS: step results where the terminal has no ✓ and ✗ */
  return ok ? _("ok") : _("FAILED");
}

static guint
hotplug_ctl_operation_columns (void)
{
  struct winsize size = { 0 };

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

static void
hotplug_ctl_operation_clear_progress (HotplugCtlOperation *self)
{
  if (!self->progress_shown)
    return;
  fputs ("\r\033[K", stdout);
  self->progress_shown = FALSE;
}

/* "[ 45%] remove sb1: offline memory block 1023" on the last line of the
 * terminal, redrawn in place; never wider than the terminal, or the
 * carriage return would no longer go back to its start. */
static void
hotplug_ctl_operation_draw_progress (HotplugCtlOperation *self)
{
  g_autofree char *line = NULL;
  g_autofree char *what = NULL;
  glong max = (glong) hotplug_ctl_operation_columns () - 1;

  if (!self->ctl->tty || self->done || self->ending || self->job_path == NULL)
    return;
  if (self->hook != NULL && *self->hook != '\0')
    what = g_strdup_printf ("%s (%s)", hotplug_ctl_or_dash (self->step),
                            strrchr (self->hook, '/') ? strrchr (self->hook, '/') + 1 : self->hook);
  else
    what = g_strdup (hotplug_ctl_or_dash (self->step));
  /* TRANSLATORS: the progress line: "[ 45%] remove sb1: offline memory block 1023" */
  line = g_strdup_printf (_("[%3u%%] %s %s: %s"), MIN (self->progress, 100u),
                          self->operation, self->unit, what);
  if (g_utf8_validate (line, -1, NULL) && g_utf8_strlen (line, -1) > max && max > 0)
    {
      char *end = g_utf8_offset_to_pointer (line, max);

      *end = '\0';
    }
  fputs ("\r\033[K", stdout);
  fputs (line, stdout);
  fflush (stdout);
  self->progress_shown = TRUE;
}

/* One line of the job's story on stdout, above the progress line. */
static void G_GNUC_PRINTF (2, 3)
hotplug_ctl_operation_print (HotplugCtlOperation *self, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  hotplug_ctl_operation_clear_progress (self);
  printf ("%s\n", text);
  fflush (stdout);
  hotplug_ctl_operation_draw_progress (self);
}

static void
hotplug_ctl_operation_set_phase (HotplugCtlOperation *self, const char *phase)
{
  if (phase == NULL || *phase == '\0' || g_strcmp0 (phase, self->phase) == 0)
    return;
  g_free (self->phase);
  self->phase = g_strdup (phase);
  /* TRANSLATORS: a job enters a phase: "phase pre-remove" */
  hotplug_ctl_operation_print (self, _("phase %s"), phase);
}

static void
hotplug_ctl_operation_quit (HotplugCtlOperation *self, int status)
{
  hotplug_ctl_operation_clear_progress (self);
  fflush (stdout);
  self->done = TRUE;
  self->status = status;
  g_main_loop_quit (self->loop);
}

/* The end, as the daemon told it: state and reason. */
static void
hotplug_ctl_operation_report (HotplugCtlOperation *self,
                              const char          *state,
                              const char          *reason)
{
  const char *format = NULL;
  int status = HOTPLUG_CTL_EXIT_ERROR;

  hotplug_ctl_operation_clear_progress (self);
  self->done = TRUE;
  if (reason != NULL && *reason == '\0')
    reason = NULL;

  if (g_strcmp0 (state, "succeeded") == 0)
    {
      if (reason != NULL)
        /* TRANSLATORS: "add sb1 succeeded: already online" */
        printf (_("%s %s succeeded: %s\n"), self->operation, self->unit, reason);
      else
        /* TRANSLATORS: "remove sb1 succeeded" */
        printf (_("%s %s succeeded\n"), self->operation, self->unit);
      if (self->dry_run)
        printf (_("Dry run: nothing was changed.\n"));
      hotplug_ctl_operation_quit (self, HOTPLUG_CTL_EXIT_OK);
      return;
    }

  /* One whole sentence per outcome, for the translators. */
  if (g_strcmp0 (state, "vetoed") == 0)
    {
      format = reason ? _("%s %s vetoed: %s") : _("%s %s vetoed");
      status = HOTPLUG_CTL_EXIT_VETOED;
    }
  else if (g_strcmp0 (state, "cancelled") == 0)
    {
      format = reason ? _("%s %s cancelled: %s") : _("%s %s cancelled");
      status = HOTPLUG_CTL_EXIT_CANCELLED;
    }
  else if (g_strcmp0 (state, "timeout") == 0)
    {
      format = reason ? _("%s %s timed out: %s") : _("%s %s timed out");
      status = HOTPLUG_CTL_EXIT_TIMEOUT;
    }
  else if (g_strcmp0 (state, "failed") == 0)
    format = reason ? _("%s %s failed: %s") : _("%s %s failed");

  if (format != NULL)
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      hotplug_ctl_error (format, self->operation, self->unit, reason);
#pragma GCC diagnostic pop
    }
  else
    /* TRANSLATORS: the job ended in a state this hotplugctl does not know */
    hotplug_ctl_error (_("%s %s ended in state %s"), self->operation, self->unit,
                       hotplug_ctl_or_dash (state));
  if (self->dry_run)
    fprintf (stderr, _("Dry run: nothing was changed.\n"));
  hotplug_ctl_operation_quit (self, status);
}

/* The job object went away before its end was seen (it lingers a while
 * after it ends, so this is rare): the unit keeps the outcome. */
static void
hotplug_ctl_operation_from_unit (HotplugCtlOperation *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugDbusUnit) unit = NULL;
  const char *state = NULL;

  unit = hotplug_ctl_get_unit (self->ctl, self->unit, &error);
  if (unit != NULL)
    {
      /* The object manager's copy may lag behind: ask. */
      g_autoptr(GVariant) reply = NULL;

      reply = g_dbus_connection_call_sync (self->ctl->bus, HOTPLUG_DBUS_NAME,
                                           g_dbus_proxy_get_object_path (G_DBUS_PROXY (unit)),
                                           HOTPLUG_CTL_DBUS_PROPERTIES, "GetAll",
                                           g_variant_new ("(s)", HOTPLUG_DBUS_IFACE_UNIT),
                                           G_VARIANT_TYPE ("(a{sv})"),
                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      if (reply != NULL)
        {
          g_autoptr(GVariant) props = g_variant_get_child_value (reply, 0);
          const char *operation = NULL, *reason = NULL;

          g_variant_lookup (props, "LastJobState", "&s", &state);
          g_variant_lookup (props, "LastJobOperation", "&s", &operation);
          g_variant_lookup (props, "LastJobReason", "&s", &reason);
          if (state != NULL && *state != '\0' &&
              (operation == NULL || *operation == '\0' || g_str_equal (operation, self->operation)))
            {
              hotplug_ctl_operation_report (self, state, reason);
              return;
            }
        }
    }
  if (error != NULL)
    g_debug ("last job of %s: %s", self->unit, error->message);
  hotplug_ctl_operation_clear_progress (self);
  hotplug_ctl_error (_("job %u went away before it ended; the outcome of %s %s is unknown"),
                     self->job_id, self->operation, self->unit);
  hotplug_ctl_operation_quit (self, HOTPLUG_CTL_EXIT_ERROR);
}

static void hotplug_ctl_operation_job_changed (HotplugCtlOperation *self, GVariant *changed);

static gboolean
hotplug_ctl_operation_is_end (const char *state)
{
  return state != NULL && *state != '\0' && !g_str_equal (state, "running");
}

static void
hotplug_ctl_operation_job_props (GObject      *source,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  HotplugCtlOperation *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) props = NULL;
  const char *state = NULL, *reason = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (self->done)
    return;
  if (reply == NULL)
    {
      /* Gone meanwhile: the unit keeps the outcome. */
      g_debug ("job %s: %s", self->job_path, error->message);
      hotplug_ctl_operation_from_unit (self);
      return;
    }
  props = g_variant_get_child_value (reply, 0);
  g_variant_lookup (props, "State", "&s", &state);
  g_variant_lookup (props, "Reason", "&s", &reason);
  if (hotplug_ctl_operation_is_end (state))
    {
      hotplug_ctl_operation_report (self, state, reason ?: self->reason);
      return;
    }
  if (self->ending)
    {
      /* The end was announced; a daemon that says otherwise now is not
       * believed over its own signal. */
      hotplug_ctl_operation_report (self, self->state, self->reason);
      return;
    }
  /* A first look at a running job: seed the progress line. */
  hotplug_ctl_operation_job_changed (self, props);
}

/* Reads the job's properties: once after the reply, to catch up with a job
 * that ended before it (a no-op that succeeds at once), and once at the end,
 * so that the reason is the daemon's last word whatever order its property
 * changes came in. Replies come in order with the signals. */
static void
hotplug_ctl_operation_read_job (HotplugCtlOperation *self)
{
  g_dbus_connection_call (self->ctl->bus, self->owner, self->job_path,
                          HOTPLUG_CTL_DBUS_PROPERTIES, "GetAll",
                          g_variant_new ("(s)", HOTPLUG_DBUS_IFACE_JOB),
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          hotplug_ctl_operation_job_props, self);
}

static void
hotplug_ctl_operation_job_changed (HotplugCtlOperation *self, GVariant *changed)
{
  const char *text = NULL;
  guint progress;
  guint64 window_end;
  gboolean redraw = FALSE;

  if (g_variant_lookup (changed, "Phase", "&s", &text))
    hotplug_ctl_operation_set_phase (self, text);
  if (g_variant_lookup (changed, "Step", "&s", &text))
    {
      g_free (self->step);
      self->step = g_strdup (text);
      redraw = TRUE;
    }
  if (g_variant_lookup (changed, "Hook", "&s", &text))
    {
      g_free (self->hook);
      self->hook = g_strdup (text);
      redraw = TRUE;
    }
  if (g_variant_lookup (changed, "Progress", "u", &progress))
    {
      self->progress = progress;
      redraw = TRUE;
    }
  if (g_variant_lookup (changed, "Reason", "&s", &text))
    {
      g_free (self->reason);
      self->reason = g_strdup (text);
    }
  if (g_variant_lookup (changed, "WindowEnd", "t", &window_end))
    {
      hotplug_ctl_operation_clear_progress (self);
      hotplug_ctl_window_changed (self->ctl, self->job_path, (gint64) window_end);
    }
  if (g_variant_lookup (changed, "State", "&s", &text) && hotplug_ctl_operation_is_end (text))
    {
      g_free (self->state);
      self->state = g_strdup (text);
      self->ending = TRUE;
      hotplug_ctl_operation_clear_progress (self);
      hotplug_ctl_operation_read_job (self);
      return;
    }
  if (redraw)
    hotplug_ctl_operation_draw_progress (self);
}

static void
hotplug_ctl_operation_step_started (HotplugCtlOperation *self, GVariant *parameters)
{
  const char *phase, *description;
  guint index;

  g_variant_get (parameters, "(&su&s)", &phase, &index, &description);
  hotplug_ctl_operation_set_phase (self, phase);
  g_hash_table_replace (self->steps, GUINT_TO_POINTER (index), g_strdup (description));
  g_free (self->step);
  self->step = g_strdup (description);
  hotplug_ctl_operation_print (self, "  %s %s", hotplug_ctl_arrow (self->ctl), description);
}

static void
hotplug_ctl_operation_step_finished (HotplugCtlOperation *self, GVariant *parameters)
{
  const char *message, *description;
  g_autofree char *unknown = NULL;
  gboolean ok;
  guint index;

  g_variant_get (parameters, "(ub&s)", &index, &ok, &message);
  description = g_hash_table_lookup (self->steps, GUINT_TO_POINTER (index));
  if (description == NULL)
    /* TRANSLATORS: a step whose start was not seen: "step 4" */
    description = unknown = g_strdup_printf (_("step %u"), index);
  if (!ok && *message != '\0')
    hotplug_ctl_operation_print (self, "  %s %s: %s", hotplug_ctl_operation_mark (self, ok),
                                 description, message);
  else
    hotplug_ctl_operation_print (self, "  %s %s", hotplug_ctl_operation_mark (self, ok),
                                 description);
}

static void
hotplug_ctl_operation_hook_finished (HotplugCtlOperation *self, GVariant *parameters)
{
  const char *event, *hook, *result;
  g_autofree char *duration = NULL;
  gint32 exit_status;
  guint64 usec;

  g_variant_get (parameters, "(&s&si&st)", &event, &hook, &exit_status, &result, &usec);
  duration = hotplug_ctl_format_duration (usec);
  if (exit_status > 0)
    /* TRANSLATORS: a hook ended: path, result, exit status, duration:
     * "    hook /etc/hotplugd/hooks.d/sb/pre-remove/10-x: vetoed: busy, exit status 1 (12 ms)" */
    hotplug_ctl_operation_print (self, _("    hook %s: %s, exit status %d (%s)"),
                                 hook, result, exit_status, duration);
  else
    /* TRANSLATORS: a hook ended: path, result, duration:
     * "    hook /etc/hotplugd/hooks.d/sb/pre-remove/10-x: ok (12 ms)" */
    hotplug_ctl_operation_print (self, _("    hook %s: %s (%s)"), hook, result, duration);
}

static void
hotplug_ctl_operation_dispatch (HotplugCtlOperation *self,
                                const char          *path,
                                const char          *interface,
                                const char          *member,
                                GVariant            *parameters)
{
  if (self->done || self->ending)
    return;

  if (g_str_equal (path, HOTPLUG_DBUS_PATH) &&
      g_str_equal (interface, HOTPLUG_CTL_DBUS_OBJECT_MANAGER) &&
      g_str_equal (member, "InterfacesRemoved") &&
      g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oas)")))
    {
      const char *removed;

      g_variant_get (parameters, "(&o@as)", &removed, NULL);
      if (g_str_equal (removed, self->job_path))
        hotplug_ctl_operation_from_unit (self);
      return;
    }

  if (!g_str_equal (path, self->job_path))
    return;

  if (g_str_equal (interface, HOTPLUG_CTL_DBUS_PROPERTIES) &&
      g_str_equal (member, "PropertiesChanged") &&
      g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    {
      const char *changed_interface;
      g_autoptr(GVariant) changed = NULL;

      g_variant_get (parameters, "(&s@a{sv}@as)", &changed_interface, &changed, NULL);
      if (g_str_equal (changed_interface, HOTPLUG_DBUS_IFACE_JOB))
        hotplug_ctl_operation_job_changed (self, changed);
      return;
    }

  if (!g_str_equal (interface, HOTPLUG_DBUS_IFACE_JOB))
    return;
  /* A daemon that sends a wrong signature gets ignored, not a crash. */
  if (g_str_equal (member, "StepStarted") &&
      g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sus)")))
    hotplug_ctl_operation_step_started (self, parameters);
  else if (g_str_equal (member, "StepFinished") &&
           g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ubs)")))
    hotplug_ctl_operation_step_finished (self, parameters);
  else if (g_str_equal (member, "HookFinished") &&
           g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssist)")))
    hotplug_ctl_operation_hook_finished (self, parameters);
}

static void
hotplug_ctl_operation_signal (GDBusConnection *bus,
                              const char      *sender,
                              const char      *path,
                              const char      *interface,
                              const char      *member,
                              GVariant        *parameters,
                              gpointer         user_data)
{
  HotplugCtlOperation *self = user_data;

  if (self->job_path == NULL)
    {
      HotplugCtlSignal *signal = g_new0 (HotplugCtlSignal, 1);

      signal->path = g_strdup (path);
      signal->interface = g_strdup (interface);
      signal->member = g_strdup (member);
      signal->parameters = g_variant_ref (parameters);
      g_ptr_array_add (self->early, signal);
      return;
    }
  hotplug_ctl_operation_dispatch (self, path, interface, member, parameters);
}

static void
hotplug_ctl_operation_cancelled (GObject      *source,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  HotplugCtlOperation *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && !self->done)
    {
      g_dbus_error_strip_remote_error (error);
      hotplug_ctl_operation_clear_progress (self);
      hotplug_ctl_error (_("cannot cancel job %u: %s"), self->job_id, error->message);
      hotplug_ctl_operation_draw_progress (self);
    }
}

static void
hotplug_ctl_operation_cancel (HotplugCtlOperation *self)
{
  hotplug_ctl_operation_clear_progress (self);
  /* TRANSLATORS: after the first Ctrl-C; %s is an ellipsis */
  fprintf (stderr, _("cancelling job %u%s (Ctrl-C again to detach)\n"),
           self->job_id, hotplug_ctl_ellipsis (self->ctl));
  fflush (stderr);
  hotplug_ctl_operation_draw_progress (self);
  /* Keep following: the rollback is worth seeing. */
  g_dbus_connection_call (self->ctl->bus, self->owner, self->job_path,
                          HOTPLUG_DBUS_IFACE_JOB, "Cancel", NULL, G_VARIANT_TYPE ("()"),
                          G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT, NULL,
                          hotplug_ctl_operation_cancelled, self);
}

static gboolean
hotplug_ctl_operation_interrupted (gpointer user_data)
{
  HotplugCtlOperation *self = user_data;

  if (self->done)
    return G_SOURCE_CONTINUE;
  self->interrupts++;
  if (self->interrupts == 1)
    {
      /* Before the reply, the cancel waits for the job's path. */
      if (self->job_path != NULL)
        hotplug_ctl_operation_cancel (self);
      return G_SOURCE_CONTINUE;
    }

  hotplug_ctl_operation_clear_progress (self);
  if (self->job_path != NULL)
    hotplug_ctl_error (_("detached; job %u keeps running"), self->job_id);
  else
    hotplug_ctl_error (_("detached; %s %s may still start"), self->operation, self->unit);
  hotplug_ctl_operation_quit (self, HOTPLUG_CTL_EXIT_DETACHED);
  return G_SOURCE_CONTINUE;
}

static void
hotplug_ctl_operation_vanished (GDBusConnection *bus,
                                const char      *name,
                                gpointer         user_data)
{
  HotplugCtlOperation *self = user_data;

  if (self->done)
    return;
  hotplug_ctl_operation_clear_progress (self);
  if (self->job_path != NULL)
    hotplug_ctl_error (_("hotplugd went away; the outcome of job %u is unknown"), self->job_id);
  else
    hotplug_ctl_error (_("hotplugd went away"));
  hotplug_ctl_operation_quit (self, HOTPLUG_CTL_EXIT_ERROR);
}

static void
hotplug_ctl_operation_started (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  HotplugCtlOperation *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GPtrArray) early = NULL;
  g_autofree char *number = NULL;
  guint64 id = 0;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (self->done)
    return;
  if (reply == NULL)
    {
      if (g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT))
        hotplug_ctl_error (_("no such unit: %s"), self->unit);
      else
        {
          g_dbus_error_strip_remote_error (error);
          /* TRANSLATORS: "cannot remove sb1: unit sb1 has a job running" */
          hotplug_ctl_error (_("cannot %s %s: %s"), self->operation, self->unit, error->message);
        }
      hotplug_ctl_operation_quit (self, HOTPLUG_CTL_EXIT_ERROR);
      return;
    }

  g_variant_get (reply, "(o)", &self->job_path);
  number = hotplug_ctl_job_number (self->job_path);
  if (number != NULL)
    g_ascii_string_to_unsigned (number, 10, 0, G_MAXUINT32, &id, NULL);
  self->job_id = (guint) id;

  if (self->dry_run)
    /* TRANSLATORS: the first line when following: "remove sb1: job 7 (dry run)" */
    hotplug_ctl_operation_print (self, _("%s %s: job %u (dry run)"), self->operation,
                                 self->unit, self->job_id);
  else
    /* TRANSLATORS: the first line when following: "remove sb1: job 7" */
    hotplug_ctl_operation_print (self, _("%s %s: job %u"), self->operation, self->unit,
                                 self->job_id);

  early = g_steal_pointer (&self->early);
  for (guint i = 0; i < early->len; i++)
    {
      HotplugCtlSignal *signal = early->pdata[i];

      hotplug_ctl_operation_dispatch (self, signal->path, signal->interface, signal->member,
                                      signal->parameters);
    }

  if (self->interrupts == 1)
    hotplug_ctl_operation_cancel (self);
  if (!self->done && !self->ending)
    hotplug_ctl_operation_read_job (self);
}

/* The match rule the daemon's job signals need, added before the method is
 * called so that the bus delivers even the first step. */
static gboolean
hotplug_ctl_operation_add_match (HotplugCtlOperation *self, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *rule = g_strdup_printf ("type='signal',sender='%s',path_namespace='%s'",
                                           HOTPLUG_DBUS_NAME, HOTPLUG_DBUS_JOB_PATH);

  reply = g_dbus_connection_call_sync (self->ctl->bus, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "AddMatch", g_variant_new ("(s)", rule), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  return reply != NULL;
}

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

/* --no-wait: start the job, print it, return. */
static int
hotplug_ctl_operation_no_wait (HotplugCtl *ctl, const char *operation, const char *method, const char *unit,
                               const char *unit_path, GVariant *options)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *number = NULL;
  const char *job_path;

  reply = g_dbus_connection_call_sync (ctl->bus, HOTPLUG_DBUS_NAME, unit_path,
                                       HOTPLUG_DBUS_IFACE_UNIT, method,
                                       g_variant_new ("(@a{sv})", options),
                                       G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                       G_MAXINT, NULL, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, HOTPLUG_ERROR, HOTPLUG_ERROR_NO_SUCH_UNIT))
        hotplug_ctl_error (_("no such unit: %s"), unit);
      else
        {
          g_dbus_error_strip_remote_error (error);
          hotplug_ctl_error (_("cannot %s %s: %s"), operation, unit, error->message);
        }
      return HOTPLUG_CTL_EXIT_ERROR;
    }
  g_variant_get (reply, "(&o)", &job_path);
  number = hotplug_ctl_job_number (job_path);
  /* TRANSLATORS: --no-wait: "job 7 /org/hotplugd/Hotplug1/job/7" */
  printf (_("job %s %s\n"), hotplug_ctl_or_dash (number), job_path);
  return HOTPLUG_CTL_EXIT_OK;
}

int
hotplug_ctl_operation_run (HotplugCtl *ctl,
                           int         argc,
                           char      **argv,
                           const char *operation,
                           const char *method,
                           const char *summary)
{
  g_autoptr(GOptionContext) context = NULL;
  int status;
  g_autoptr(GError) error = NULL;
  g_autofree char *timeout_text = NULL;
  g_autofree char *window_text = NULL;
  g_autofree char *unit_path = NULL;
  g_autoptr(GVariant) options = NULL;
  HotplugCtlOperation self = { 0 };
  HotplugCtlOperationArgs args = { 0 };
  gboolean no_wait = FALSE;
  guint64 timeout = 0, window = 0;

  const GOptionEntry entries[] = {
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait,
      N_("Print the job and return at once instead of following it"), NULL },
    { "force", 0, 0, G_OPTION_ARG_NONE, &args.force,
      N_("Ask for the operation with force (HOTPLUG_FORCE=1 for the hooks)"), NULL },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &args.dry_run,
      N_("Only run the pre-* hooks in dry-run mode and show what would be done"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_text,
      N_("Give up after SECONDS"), N_("SECONDS") },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &args.strict,
      N_("Fail when there is nothing to do instead of succeeding"), NULL },
    { NULL }
  };
  const GOptionEntry replace_entries[] = {
    { "window", 0, 0, G_OPTION_ARG_STRING, &window_text,
      N_("Wait at most SECONDS for the part to be swapped (default 300)"), N_("SECONDS") },
    { NULL }
  };
  const GOptionEntry remove_entries[] = {
    { "no-eject", 0, 0, G_OPTION_ARG_NONE, &args.no_eject,
      N_("Stop at offline: leave a board or I/O unit in place (add brings it back)"), NULL },
    { NULL }
  };

  context = hotplug_ctl_option_context (ctl, operation, _("UNIT"), summary, FALSE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (g_str_equal (method, "Remove"))
    g_option_context_add_main_entries (context, remove_entries, GETTEXT_PACKAGE);
  if (g_str_equal (method, "Replace"))
    g_option_context_add_main_entries (context, replace_entries, GETTEXT_PACKAGE);
  if ((status = hotplug_ctl_parse_options (context, &argc, &argv, 1, _("missing unit"))))
    return status;
  if (timeout_text != NULL &&
      !g_ascii_string_to_unsigned (timeout_text, 10, 1, G_MAXUINT32, &timeout, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("invalid timeout: %s (seconds, 1 or more)"),
                                                  timeout_text);

      return hotplug_ctl_usage_error (context, message);
    }
  if (window_text != NULL && !g_ascii_string_to_unsigned (window_text, 10, 1, 86400, &window, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("invalid window: %s (seconds, 1 to 86400)"), window_text);

      return hotplug_ctl_usage_error (context, message);
    }
  args.window = (guint32) window;

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

  args.has_timeout = timeout_text != NULL;
  args.timeout = (guint32) timeout;
  options = g_variant_ref_sink (hotplug_ctl_operation_options (&args));

  if (no_wait)
    return hotplug_ctl_operation_no_wait (ctl, operation, method, argv[1], unit_path, options);

  self.ctl = ctl;
  self.operation = operation;
  self.method = method;
  self.unit = argv[1];
  self.dry_run = args.dry_run;
  self.loop = g_main_loop_new (NULL, FALSE);
  self.early = g_ptr_array_new_with_free_func (hotplug_ctl_signal_free);
  self.steps = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self.owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (ctl->objects));
  self.status = HOTPLUG_CTL_EXIT_ERROR;

  /* Subscribe first, then call: the job's first steps may come before the
   * reply that names it. The match rule is ours; GDBus need not add its
   * own for every path. */
  if (self.owner == NULL || !hotplug_ctl_operation_add_match (&self, &error))
    {
      if (error != NULL)
        hotplug_ctl_print_gerror (error);
      else
        hotplug_ctl_error (_("hotplugd went away"));
      goto out;
    }
  self.job_signals = g_dbus_connection_signal_subscribe (ctl->bus, self.owner, NULL, NULL, NULL,
                                                         NULL, G_DBUS_SIGNAL_FLAGS_NO_MATCH_RULE,
                                                         hotplug_ctl_operation_signal, &self, NULL);
  self.removals = g_dbus_connection_signal_subscribe (ctl->bus, self.owner,
                                                      HOTPLUG_CTL_DBUS_OBJECT_MANAGER,
                                                      "InterfacesRemoved", HOTPLUG_DBUS_PATH,
                                                      NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                      hotplug_ctl_operation_signal, &self, NULL);
  self.owner_watch = g_bus_watch_name_on_connection (ctl->bus, HOTPLUG_DBUS_NAME,
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                     hotplug_ctl_operation_vanished, &self, NULL);
  self.sigint = g_unix_signal_add (SIGINT, hotplug_ctl_operation_interrupted, &self);

  /* No timeout: polkit may ask the user for a password first. */
  g_dbus_connection_call (ctl->bus, self.owner, unit_path, HOTPLUG_DBUS_IFACE_UNIT, method,
                          g_variant_new ("(@a{sv})", options), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT, NULL,
                          hotplug_ctl_operation_started, &self);
  g_main_loop_run (self.loop);

out:
  hotplug_ctl_window_stop ();
  if (self.sigint)
    g_source_remove (self.sigint);
  if (self.owner_watch)
    g_bus_unwatch_name (self.owner_watch);
  if (self.job_signals)
    g_dbus_connection_signal_unsubscribe (ctl->bus, self.job_signals);
  if (self.removals)
    g_dbus_connection_signal_unsubscribe (ctl->bus, self.removals);
  /* Let calls still under way finish with self->done set before self
   * goes out of scope. */
  self.done = TRUE;
  g_dbus_connection_flush_sync (ctl->bus, NULL, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&self.early, g_ptr_array_unref);
  g_hash_table_unref (self.steps);
  g_main_loop_unref (self.loop);
  g_free (self.owner);
  g_free (self.job_path);
  g_free (self.phase);
  g_free (self.step);
  g_free (self.hook);
  g_free (self.reason);
  g_free (self.state);
  return self.status;
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
