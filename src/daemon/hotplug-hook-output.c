/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a hook prints: captured from its pipe, bounded, logged line by line
 * with the hook's name and job, and parsed for its reason= line. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hotplug-hooks-private.h"
#include "hotplug-log.h"
#include "hotplug-names.h"
#include "hotplug-util.h"

/* After the hook exits, read at most this much of what its children left
 * in the pipe: a background writer must not keep us reading forever. */
#define HOOK_DRAIN_MAX (256 * 1024)

void
hotplug_hook_log (RunData *d, GLogLevelFlags level, const char *message_id, const char *format, ...)
{
  g_autofree char *message = NULL;
  const char *const fields[] = {
    HOTPLUG_LOG_HOOK, d->record ? d->record->name : "",
    HOTPLUG_LOG_JOB, d->request->job ? d->request->job : "",
    HOTPLUG_LOG_EVENT, d->request->event,
    NULL
  };
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  hotplug_log_fields (level, "hooks", d->request->unit ? d->request->unit : "", message_id, fields, "%s", message);
}

/* A line the hook printed, in the journal under the hook's own name (and
 * its unit's: journalctl -u shows it). */
static void
log_output (RunData *d, const char *text)
{
  const char *const fields[] = {
    "SYSLOG_IDENTIFIER", d->record->name,
    HOTPLUG_LOG_HOOK, d->record->name,
    HOTPLUG_LOG_JOB, d->request->job ? d->request->job : "",
    HOTPLUG_LOG_EVENT, d->request->event,
    "OBJECT_SYSTEMD_UNIT", d->unit_name,
    NULL
  };

  /* notice, not info: what a hook says is for the administrator */
  hotplug_log_fields (G_LOG_LEVEL_MESSAGE, "hooks", d->request->unit ? d->request->unit : "", NULL, fields,
                      "%s: %s", d->record->name, text);
}

/* The reason of a reason= line: blanks at the end go, and it is at most
 * HOTPLUG_HOOK_LINE_MAX bytes (the replacement characters of invalid bytes
 * can make a line three times longer) with an ellipsis where it was cut.
 * CUT: the line went on past the line limit. */
static char *
reason_of (const char *text, gboolean cut)
{
  g_autofree char *reason = g_strchomp (g_strdup (text));

  if (cut)
    {
      g_autofree char *shorter = g_steal_pointer (&reason);

      reason = g_strconcat (shorter, "\xe2\x80\xa6", NULL);
    }
  if (strlen (reason) <= HOTPLUG_HOOK_LINE_MAX)
    return g_steal_pointer (&reason);
  return hotplug_utf8_sanitize (reason, -1, HOTPLUG_HOOK_LINE_MAX);
}

/* One line of output (without its newline).  A line longer than
 * HOTPLUG_HOOK_LINE_MAX arrives in pieces, cut between characters: CUT
 * says the line goes on in the next piece.  What the hook printed is made
 * valid UTF-8 (it becomes a job's reason on the bus, and log fields) and
 * only the first piece of a line can be its reason= line. */
static void
output_line (RunData *d, const char *line, gsize len, gboolean newline, gboolean cut)
{
  HotplugHookRecord *rec = d->record;
  g_autofree char *text = hotplug_utf8_sanitize (line, (gssize) len, 0);
  gsize text_len = strlen (text);
  gboolean first = !d->continued;

  d->continued = cut;
  if (first && len >= strlen ("reason=") && memcmp (line, "reason=", strlen ("reason=")) == 0)
    {
      g_free (rec->reason);
      rec->reason = reason_of (text + strlen ("reason="), cut);
    }

  /* Keep a prefix of the output; once full, everything after is only
   * counted, so a hook printing megabytes costs no memory. */
  if (!d->overflowing && d->output->len + text_len + 1 <= HOTPLUG_HOOK_OUTPUT_MAX)
    {
      g_string_append_len (d->output, text, text_len);
      if (newline)
        g_string_append_c (d->output, '\n');
      log_output (d, text);
    }
  else
    {
      d->overflowing = TRUE;
      rec->output_dropped += len + (newline ? 1 : 0);
    }
}

void
hotplug_hook_output_feed (RunData *d, const char *buf, gsize n)
{
  while (n > 0)
    {
      const char *nl = memchr (buf, '\n', n);
      gsize take = nl ? (gsize) (nl - buf) : n;
      gsize room = HOTPLUG_HOOK_LINE_MAX - d->line->len;

      if (take > room)
        take = room;
      g_string_append_len (d->line, buf, take);
      buf += take;
      n -= take;
      if (n > 0 && *buf == '\n')
        {
          output_line (d, d->line->str, d->line->len, TRUE, FALSE);
          g_string_truncate (d->line, 0);
          buf++;
          n--;
        }
      else if (d->line->len >= HOTPLUG_HOOK_LINE_MAX)
        {
          /* a character cut by the limit goes whole into the next piece */
          gsize keep = hotplug_utf8_incomplete_tail (d->line->str, d->line->len);
          gsize piece = d->line->len - keep;

          output_line (d, d->line->str, piece, FALSE, TRUE);
          g_string_erase (d->line, 0, (gssize) piece);
        }
    }
}

gboolean
hotplug_hook_on_output (int fd, GIOCondition condition, gpointer user_data)
{
  RunData *d = user_data;
  char buf[16384];
  ssize_t n;

  n = read (fd, buf, sizeof buf);
  if (n > 0)
    {
      hotplug_hook_output_feed (d, buf, n);
      return G_SOURCE_CONTINUE;
    }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  /* EOF: keep waiting for the exit, which is what ends a hook. */
  g_clear_pointer (&d->out_source, g_source_unref);
  close (d->out_fd);
  d->out_fd = -1;
  return G_SOURCE_REMOVE;
}

void
hotplug_hook_output_close (RunData *d)
{
  gsize drained = 0;

  hotplug_hook_clear_source (&d->out_source);
  if (d->out_fd >= 0)
    {
      /* Whatever the hook wrote before exiting is in the pipe; its
       * children may keep the write end open, so read only what is there. */
      while (drained < HOOK_DRAIN_MAX)
        {
          char buf[16384];
          ssize_t n = read (d->out_fd, buf, sizeof buf);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          hotplug_hook_output_feed (d, buf, n);
          drained += n;
        }
      close (d->out_fd);
      d->out_fd = -1;
    }
  if (d->line->len > 0)
    output_line (d, d->line->str, d->line->len, FALSE, FALSE);
  d->continued = FALSE;
  g_string_truncate (d->line, 0);
  if (d->record->output_dropped > 0)
    {
      g_autofree char *note = g_strdup_printf ("[%" G_GUINT64_FORMAT " bytes dropped]",
                                               d->record->output_dropped);
      g_string_append_printf (d->output, "%s\n", note);
      hotplug_hook_log (d, G_LOG_LEVEL_MESSAGE, NULL, "%s: %s", d->record->name, note);
    }
  d->record->output = g_string_free (g_steal_pointer (&d->output), FALSE);
}

