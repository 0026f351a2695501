/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Structured logging for hotplugd.  Every message carries the fields an
 * administrator filters on (hotplug-names.h): topic, unit, event, devpath,
 * and a MESSAGE_ID for the events worth searching for.  Pass NULL for a
 * field that does not apply. */

void     hotplug_log_setup (gboolean verbose);
gboolean hotplug_log_get_verbose (void);

void     hotplug_log_full (GLogLevelFlags level,
                           const char    *topic,
                           const char    *unit,
                           const char    *event,
                           const char    *devpath,
                           const char    *message_id,
                           const char    *format,
                           ...) G_GNUC_PRINTF (7, 8);

/* Like hotplug_log_full(), with more structured fields: @fields holds
 * KEY, VALUE pairs (up to 8; a NULL value drops its field) and ends in
 * NULL. */
void     hotplug_log_fields (GLogLevelFlags      level,
                             const char         *topic,
                             const char         *unit,
                             const char         *message_id,
                             const char * const *fields,
                             const char         *format,
                             ...) G_GNUC_PRINTF (6, 7);

/* Like hotplug_log_full(), but at most a few messages per key in a time
 * window: one garbled sysfs file must not flood the journal when every
 * event re-reads it.  The number of dropped messages is told with the next
 * one that passes.  Returns TRUE when the message was logged. */
gboolean hotplug_log_ratelimited (GLogLevelFlags level,
                                  const char    *key,
                                  const char    *topic,
                                  const char    *unit,
                                  const char    *event,
                                  const char    *devpath,
                                  const char    *format,
                                  ...) G_GNUC_PRINTF (7, 8);

/* The one-line form written to stderr when it is not the journal:
 * "hotplugd: [sb0] offline@/devices/...: message".  Exposed for tests. */
char    *hotplug_log_format_line (GLogLevelFlags level,
                                  const char    *unit,
                                  const char    *event,
                                  const char    *devpath,
                                  const char    *message);

/* Tests watch what is logged: the hook sees every line that is written
 * (after rate limiting), with its level. */
typedef void (*HotplugLogHook) (GLogLevelFlags level, const char *line, gpointer user_data);
void     hotplug_log_set_hook (HotplugLogHook hook, gpointer user_data);

#define hotplug_debug(topic, ...)   hotplug_log_full (G_LOG_LEVEL_DEBUG, topic, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define hotplug_info(topic, ...)    hotplug_log_full (G_LOG_LEVEL_INFO, topic, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define hotplug_message(topic, ...) hotplug_log_full (G_LOG_LEVEL_MESSAGE, topic, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define hotplug_warning(topic, ...) hotplug_log_full (G_LOG_LEVEL_WARNING, topic, NULL, NULL, NULL, NULL, __VA_ARGS__)

G_END_DECLS
