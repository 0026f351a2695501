/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "hotplug-log.h"
#include "hotplug-names.h"

#define RATE_WINDOW_USEC (30 * G_USEC_PER_SEC)
#define RATE_BURST       3

static gboolean log_verbose = FALSE;
static gboolean log_to_journal = FALSE;
static HotplugLogHook log_hook = NULL;
static gpointer log_hook_data = NULL;
static GHashTable *rate_table = NULL; /* key → RateEntry */
G_LOCK_DEFINE_STATIC (rate);

typedef struct
{
  gint64 window_start;
  guint  count;
  guint  suppressed;
} RateEntry;

static const char *
level_prefix (GLogLevelFlags level)
{
  switch (level & G_LOG_LEVEL_MASK)
    {
    case G_LOG_LEVEL_ERROR:
      return "error: ";
    case G_LOG_LEVEL_CRITICAL:
      return "critical: ";
    case G_LOG_LEVEL_WARNING:
      return "warning: ";
    case G_LOG_LEVEL_DEBUG:
      return "debug: ";
    default:
      return "";
    }
}

char *
hotplug_log_format_line (GLogLevelFlags level,
                         const char    *unit,
                         const char    *event,
                         const char    *devpath,
                         const char    *message)
{
  GString *s = g_string_new ("hotplugd: ");

  if (unit && *unit)
    g_string_append_printf (s, "[%s] ", unit);
  if (event && *event)
    g_string_append_printf (s, "%s@%s: ", event, devpath ? devpath : "");
  else if (devpath && *devpath)
    g_string_append_printf (s, "%s: ", devpath);
  g_string_append (s, level_prefix (level));
  g_string_append (s, message ? message : "");
  return g_string_free (s, FALSE);
}

static gboolean
level_enabled (GLogLevelFlags level, const char *domain)
{
  if ((level & G_LOG_LEVEL_MASK) != G_LOG_LEVEL_DEBUG && (level & G_LOG_LEVEL_MASK) != G_LOG_LEVEL_INFO)
    return TRUE;
  if (log_verbose)
    return TRUE;
  /* honours G_MESSAGES_DEBUG the way every GLib program does */
  return !g_log_writer_default_would_drop (level, domain ? domain : HOTPLUG_LOG_DOMAIN);
}

static GLogWriterOutput
hotplug_log_writer (GLogLevelFlags   level,
                    const GLogField *fields,
                    gsize            n_fields,
                    gpointer         user_data)
{
  const char *message = NULL, *unit = NULL, *event = NULL, *devpath = NULL, *domain = NULL;
  g_autofree char *line = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      const char *key = fields[i].key;
      const char *value = fields[i].length < 0 ? fields[i].value : NULL;

      if (value == NULL)
        continue;
      if (g_str_equal (key, "MESSAGE"))
        message = value;
      else if (g_str_equal (key, HOTPLUG_LOG_UNIT))
        unit = value;
      else if (g_str_equal (key, HOTPLUG_LOG_EVENT))
        event = value;
      else if (g_str_equal (key, HOTPLUG_LOG_DEVPATH))
        devpath = value;
      else if (g_str_equal (key, "GLIB_DOMAIN"))
        domain = value;
    }

  if (!level_enabled (level, domain))
    return G_LOG_WRITER_HANDLED;

  line = hotplug_log_format_line (level, unit, event, devpath, message);
  if (log_hook)
    log_hook (level, line, log_hook_data);

  if (log_to_journal &&
      g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;

  fprintf (stderr, "%s\n", line);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

void
hotplug_log_setup (gboolean verbose)
{
  static gsize once = 0;

  log_verbose = verbose;
  if (g_once_init_enter (&once))
    {
      log_to_journal = g_log_writer_is_journald (fileno (stderr));
      g_log_set_writer_func (hotplug_log_writer, NULL, NULL);
      g_once_init_leave (&once, 1);
    }
}

gboolean
hotplug_log_get_verbose (void)
{
  return log_verbose;
}

void
hotplug_log_set_hook (HotplugLogHook hook, gpointer user_data)
{
  log_hook = hook;
  log_hook_data = user_data;
}

#define MAX_EXTRA_FIELDS 8

static void
log_message_with (GLogLevelFlags      level,
                  const char         *topic,
                  const char         *unit,
                  const char         *event,
                  const char         *devpath,
                  const char         *message_id,
                  const char * const *extra,
                  const char         *message)
{
  GLogField fields[8 + MAX_EXTRA_FIELDS];
  gsize n = 0;

#define ADD_FIELD(k, v) \
  G_STMT_START { if (v) { fields[n].key = (k); fields[n].value = (v); fields[n].length = -1; n++; } } G_STMT_END

  ADD_FIELD ("GLIB_DOMAIN", HOTPLUG_LOG_DOMAIN);
  ADD_FIELD ("MESSAGE", message);
  ADD_FIELD (HOTPLUG_LOG_TOPIC, topic);
  ADD_FIELD (HOTPLUG_LOG_UNIT, unit);
  ADD_FIELD (HOTPLUG_LOG_EVENT, event);
  ADD_FIELD (HOTPLUG_LOG_DEVPATH, devpath);
  ADD_FIELD ("MESSAGE_ID", message_id);
  for (guint i = 0; extra && extra[i] && i < 2 * MAX_EXTRA_FIELDS; i += 2)
    ADD_FIELD (extra[i], extra[i + 1]);
#undef ADD_FIELD

  g_log_structured_array (level, fields, n);
}

static void
log_message (GLogLevelFlags level,
             const char    *topic,
             const char    *unit,
             const char    *event,
             const char    *devpath,
             const char    *message_id,
             const char    *message)
{
  log_message_with (level, topic, unit, event, devpath, message_id, NULL, message);
}

void
hotplug_log_fields (GLogLevelFlags      level,
                    const char         *topic,
                    const char         *unit,
                    const char         *message_id,
                    const char * const *fields,
                    const char         *format,
                    ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  if (!level_enabled (level, HOTPLUG_LOG_DOMAIN))
    return;
  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  log_message_with (level, topic, unit, NULL, NULL, message_id, fields, message);
}

void
hotplug_log_full (GLogLevelFlags level,
                  const char    *topic,
                  const char    *unit,
                  const char    *event,
                  const char    *devpath,
                  const char    *message_id,
                  const char    *format,
                  ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  /* skip the formatting of debug messages nobody sees */
  if (!level_enabled (level, HOTPLUG_LOG_DOMAIN))
    return;
  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  log_message (level, topic, unit, event, devpath, message_id, message);
}

gboolean
hotplug_log_ratelimited (GLogLevelFlags level,
                         const char    *key,
                         const char    *topic,
                         const char    *unit,
                         const char    *event,
                         const char    *devpath,
                         const char    *format,
                         ...)
{
  g_autofree char *message = NULL;
  gint64 now = g_get_monotonic_time ();
  RateEntry *entry;
  guint suppressed = 0;
  va_list ap;

  G_LOCK (rate);
  if (rate_table == NULL)
    rate_table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  entry = g_hash_table_lookup (rate_table, key);
  if (entry == NULL)
    {
      entry = g_new0 (RateEntry, 1);
      entry->window_start = now;
      g_hash_table_insert (rate_table, g_strdup (key), entry);
    }
  if (now - entry->window_start > RATE_WINDOW_USEC)
    {
      entry->window_start = now;
      entry->count = 0;
    }
  if (entry->count >= RATE_BURST)
    {
      entry->suppressed++;
      G_UNLOCK (rate);
      return FALSE;
    }
  entry->count++;
  suppressed = entry->suppressed;
  entry->suppressed = 0;
  G_UNLOCK (rate);

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (suppressed)
    {
      char *m = g_strdup_printf ("%s (%u similar messages suppressed)", message, suppressed);
      g_free (message);
      message = m;
    }
  log_message (level, topic, unit, event, devpath, NULL, message);
  return TRUE;
}
