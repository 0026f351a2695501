/* hotplugctl — what following a job prints: the story of the job line by
 * line (phases, steps, hooks, what it waits on), the progress line redrawn
 * in place on a terminal, and the outcome.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl-follow.h"

static const char *
hotplug_ctl_follow_mark (HotplugCtlFollow *self, gboolean ok)
{
  if (self->ctl->utf8)
    return ok ? "✓" : "✗";
  /* TRANSLATORS: step results where the terminal has no ✓ and ✗ */
  return ok ? _("ok") : _("FAILED");
}

static guint
hotplug_ctl_follow_columns (void)
{
  struct winsize size = { 0 };

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

static const char *
hotplug_ctl_follow_basename (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash ? slash + 1 : path;
}

/* How long something has been pending, in whole seconds: "12 s",
 * "2 min 5 s". */
static char *
hotplug_ctl_follow_pending_for (HotplugCtlFollow *self)
{
  gint64 now = g_get_real_time ();
  guint64 seconds = 0;

  if (self->pending_since > 0 && (guint64) now > self->pending_since)
    seconds = ((guint64) now - self->pending_since) / G_USEC_PER_SEC;
  if (seconds < 60)
    /* TRANSLATORS: a duration in whole seconds */
    return g_strdup_printf (_("%u s"), (guint) seconds);
  return g_strdup_printf (_("%u min %u s"), (guint) (seconds / 60), (guint) (seconds % 60));
}

void
hotplug_ctl_follow_clear_progress (HotplugCtlFollow *self)
{
  if (!self->progress_shown)
    return;
  fputs ("\r\033[K", stdout);
  self->progress_shown = FALSE;
}

/* What the progress line says the job does: the step and its hook, or
 * what it waits on and for how long. */
static char *
hotplug_ctl_follow_doing (HotplugCtlFollow *self)
{
  if (self->pending != NULL)
    {
      g_autofree char *duration = hotplug_ctl_follow_pending_for (self);
      const char *what = hotplug_ctl_follow_basename (self->pending);

      if (self->pending_reason != NULL)
        /* TRANSLATORS: on the progress line: "pending for 12 s: 10-flush-tx (transaction 42 in flight)" */
        return g_strdup_printf (_("pending for %s: %s (%s)"), duration, what, self->pending_reason);
      /* TRANSLATORS: on the progress line: "pending for 12 s: 0001:02:00.0" */
      return g_strdup_printf (_("pending for %s: %s"), duration, what);
    }
  if (self->hook != NULL && *self->hook != '\0')
    return g_strdup_printf ("%s (%s)", hotplug_ctl_or_dash (self->step),
                            hotplug_ctl_follow_basename (self->hook));
  return g_strdup (hotplug_ctl_or_dash (self->step));
}

/* "[ 45%] remove sb1: offline memory block 1023" on the last line of the
 * terminal, redrawn in place; never wider than the terminal, or the
 * carriage return would no longer go back to its start. */
void
hotplug_ctl_follow_draw_progress (HotplugCtlFollow *self)
{
  g_autofree char *line = NULL;
  g_autofree char *what = NULL;
  glong max = (glong) hotplug_ctl_follow_columns () - 1;

  if (!self->ctl->tty || self->done || self->ending || self->job_path == NULL)
    return;
  what = hotplug_ctl_follow_doing (self);
  /* TRANSLATORS: the progress line: "[ 45%] remove sb1: offline memory block 1023" */
  line = g_strdup_printf (_("[%3u%%] %s %s: %s"), MIN (self->progress, 100u),
                          self->operation, self->target, what);
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
void
hotplug_ctl_follow_print (HotplugCtlFollow *self, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  hotplug_ctl_follow_clear_progress (self);
  printf ("%s\n", text);
  fflush (stdout);
  hotplug_ctl_follow_draw_progress (self);
}

void
hotplug_ctl_follow_set_phase (HotplugCtlFollow *self, const char *phase)
{
  if (phase == NULL || *phase == '\0' || g_strcmp0 (phase, self->phase) == 0)
    return;
  g_free (self->phase);
  self->phase = g_strdup (phase);
  /* TRANSLATORS: a job enters a phase: "phase pre-remove" */
  hotplug_ctl_follow_print (self, _("phase %s"), phase);
}

/* ---- pending ----------------------------------------------------------- */

static gboolean
hotplug_ctl_follow_pending_tick (gpointer user_data)
{
  HotplugCtlFollow *self = user_data;

  hotplug_ctl_follow_draw_progress (self);
  return G_SOURCE_CONTINUE;
}

static void
hotplug_ctl_follow_pending_ended (HotplugCtlFollow *self)
{
  g_autofree char *duration = hotplug_ctl_follow_pending_for (self);

  /* TRANSLATORS: what a job waited on no longer holds it:
   * "  no longer pending: /etc/hotplugd/hooks.d/domain/pre-switchover/10-flush-tx (after 12 s)" */
  hotplug_ctl_follow_print (self, _("  no longer pending: %s (after %s)"), self->pending, duration);
  g_clear_pointer (&self->pending, g_free);
  g_clear_pointer (&self->pending_reason, g_free);
  self->pending_since = 0;
  g_clear_handle_id (&self->pending_tick, g_source_remove);
}

void
hotplug_ctl_follow_set_pending (HotplugCtlFollow *self,
                                const char       *pending,
                                const char       *reason,
                                const guint64    *since)
{
  g_autofree char *duration = NULL;
  gboolean news = FALSE;

  if (since != NULL && *since != 0)
    self->pending_since = *since;
  if (reason != NULL && g_strcmp0 (*reason ? reason : NULL, self->pending_reason) != 0)
    {
      g_free (self->pending_reason);
      self->pending_reason = *reason ? g_strdup (reason) : NULL;
      news = self->pending != NULL;
    }
  if (pending != NULL && *pending == '\0')
    {
      if (self->pending != NULL)
        hotplug_ctl_follow_pending_ended (self);
      return;
    }
  if (pending != NULL && g_strcmp0 (pending, self->pending) != 0)
    {
      g_free (self->pending);
      self->pending = g_strdup (pending);
      if (since == NULL || *since == 0)
        self->pending_since = (guint64) g_get_real_time ();
      news = TRUE;
    }
  if (!news)
    return;

  duration = hotplug_ctl_follow_pending_for (self);
  if (self->pending_reason != NULL)
    /* TRANSLATORS: the job waits: a hook that answered "not yet", or a
     * device that refused and is retried; then its reason:
     * "  pending for 0 s: /etc/hotplugd/hooks.d/domain/pre-switchover/10-flush-tx: transaction 42 in flight" */
    hotplug_ctl_follow_print (self, _("  pending for %s: %s: %s"), duration, self->pending,
                              self->pending_reason);
  else
    /* TRANSLATORS: "  pending for 0 s: 0001:02:00.0" */
    hotplug_ctl_follow_print (self, _("  pending for %s: %s"), duration, self->pending);
  if (self->ctl->tty && self->pending_tick == 0)
    self->pending_tick = g_timeout_add (1000, hotplug_ctl_follow_pending_tick, self);
}

/* ---- steps and hooks ---------------------------------------------------- */

void
hotplug_ctl_follow_step_started (HotplugCtlFollow *self, GVariant *parameters)
{
  const char *phase, *description;
  guint index;

  g_variant_get (parameters, "(&su&s)", &phase, &index, &description);
  hotplug_ctl_follow_set_phase (self, phase);
  g_hash_table_replace (self->steps, GUINT_TO_POINTER (index), g_strdup (description));
  g_free (self->step);
  self->step = g_strdup (description);
  hotplug_ctl_follow_print (self, "  %s %s", hotplug_ctl_arrow (self->ctl), description);
}

void
hotplug_ctl_follow_step_finished (HotplugCtlFollow *self, GVariant *parameters)
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
    hotplug_ctl_follow_print (self, "  %s %s: %s", hotplug_ctl_follow_mark (self, ok),
                              description, message);
  else
    hotplug_ctl_follow_print (self, "  %s %s", hotplug_ctl_follow_mark (self, ok), description);
}

void
hotplug_ctl_follow_hook_finished (HotplugCtlFollow *self, GVariant *parameters)
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
    hotplug_ctl_follow_print (self, _("    hook %s: %s, exit status %d (%s)"),
                              hook, result, exit_status, duration);
  else
    /* TRANSLATORS: a hook ended: path, result, duration:
     * "    hook /etc/hotplugd/hooks.d/sb/pre-remove/10-x: ok (12 ms)" */
    hotplug_ctl_follow_print (self, _("    hook %s: %s (%s)"), hook, result, duration);
  /* The hook that held the job said yes: said here, in order with the
   * steps, rather than when the property change comes. */
  if (exit_status == 0 && g_strcmp0 (hook, self->pending) == 0)
    hotplug_ctl_follow_pending_ended (self);
}

/* ---- the end ------------------------------------------------------------ */

void
hotplug_ctl_follow_quit (HotplugCtlFollow *self, int status)
{
  hotplug_ctl_follow_clear_progress (self);
  g_clear_handle_id (&self->pending_tick, g_source_remove);
  fflush (stdout);
  self->done = TRUE;
  self->status = status;
  g_main_loop_quit (self->loop);
}

static void
hotplug_ctl_follow_succeeded (HotplugCtlFollow *self, const char *reason)
{
  if (reason != NULL)
    /* TRANSLATORS: "add sb1 succeeded: already online" */
    printf (_("%s %s succeeded: %s\n"), self->operation, self->target, reason);
  else
    /* TRANSLATORS: "remove sb1 succeeded" */
    printf (_("%s %s succeeded\n"), self->operation, self->target);
  if (self->request->dry_run)
    printf (_("Dry run: nothing was changed.\n"));
  hotplug_ctl_follow_quit (self, HOTPLUG_CTL_EXIT_OK);
}

void
hotplug_ctl_follow_report (HotplugCtlFollow *self,
                           const char       *state,
                           const char       *reason)
{
  const char *format = NULL;
  int status = HOTPLUG_CTL_EXIT_ERROR;

  hotplug_ctl_follow_clear_progress (self);
  self->done = TRUE;
  if (reason != NULL && *reason == '\0')
    reason = NULL;

  if (g_strcmp0 (state, "succeeded") == 0)
    {
      hotplug_ctl_follow_succeeded (self, reason);
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
      hotplug_ctl_error (format, self->operation, self->target, reason);
#pragma GCC diagnostic pop
    }
  else
    /* TRANSLATORS: the job ended in a state this hotplugctl does not know */
    hotplug_ctl_error (_("%s %s ended in state %s"), self->operation, self->target,
                       hotplug_ctl_or_dash (state));
  if (self->request->dry_run)
    fprintf (stderr, _("Dry run: nothing was changed.\n"));
  hotplug_ctl_follow_quit (self, status);
}
