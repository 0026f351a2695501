/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hotplugd.conf: hotplug_config_load_data() on any text (and
 * hotplug_config_load_file() on the input with a NUL, which it must
 * refuse).  It either gives
 * a configuration whose every value is within its documented range, or an
 * error in HOTPLUG_ERROR that is valid UTF-8 (it goes to the log and the
 * bus), starts with the file's name and names a line that exists. */
#include "config.h"

#include <math.h>

#include "fuzz-common.h"
#include "hotplug-config.h"
#include "hotplug-error.h"

#define ORIGIN "/etc/hotplugd/hotplugd.conf"

static void
check_seconds (double v, gboolean allow_zero, const char *what)
{
  FUZZ_CHECK (isfinite (v) && v <= 86400.0 && (allow_zero ? v >= 0 : v > 0), "%s = %g", what, v);
}

static void
check_config (HotplugConfig *config, const char *text)
{
  static const char *const types[] = { "online", "online_kernel", "online_movable", NULL };
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_auto(GStrv) groups = NULL;
  HotplugHookUnits units = hotplug_config_get_hook_units (config);

  check_seconds (hotplug_config_get_hook_timeout (config, NULL), FALSE, "hook timeout");
  check_seconds (hotplug_config_get_kill_grace (config), TRUE, "kill-grace");
  check_seconds (hotplug_config_get_step_timeout (config), FALSE, "step-timeout");
  check_seconds (hotplug_config_get_job_linger (config), TRUE, "job-linger");
  check_seconds (hotplug_config_get_blockers_refresh (config), TRUE, "refresh-interval");
  check_seconds (hotplug_config_get_switchover_retry (config), FALSE, "switchover-retry-interval");
  FUZZ_CHECK (units == HOTPLUG_HOOK_UNITS_AUTO || units == HOTPLUG_HOOK_UNITS_YES ||
              units == HOTPLUG_HOOK_UNITS_NO, "run-as-units = %d", (int) units);
  FUZZ_CHECK (g_strv_contains (types, hotplug_config_get_memory_online_type (config)),
              "memory-online-type = %s", hotplug_config_get_memory_online_type (config));

  /* every [hook NAME] accepted names a file and has a limit in range */
  FUZZ_CHECK (g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, NULL), "accepted, yet not a key file");
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i]; i++)
    if (g_str_has_prefix (groups[i], "hook "))
      {
        const char *name = groups[i] + strlen ("hook ");

        FUZZ_CHECK (*name && strchr (name, '/') == NULL, "hook name “%s” accepted", name);
        check_seconds (hotplug_config_get_hook_timeout (config, name), FALSE, "a hook's timeout");
      }
    else
      FUZZ_CHECK (g_str_equal (groups[i], "hooks") || g_str_equal (groups[i], "daemon") ||
                  g_str_equal (groups[i], "blockers"), "group [%s] accepted", groups[i]);
}

/* An error "ORIGIN:N: ..." names a line that is the group's header or the
 * key's line: the line is in the message. */
static void
check_named_line (const char *message, const char *text)
{
  const char *p = message + strlen (ORIGIN);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *named = NULL;
  const char *line;
  char *end = NULL;
  guint64 n;

  if (*p != ':' || !g_ascii_isdigit (p[1]))
    return;
  n = g_ascii_strtoull (p + 1, &end, 10);
  line = lines[n - 1];
  while (*line == ' ' || *line == '\t')
    line++;
  if (!g_utf8_validate (line, -1, NULL))
    return;   /* quoted with replacement characters */
  if (*line == '[')
    named = g_strndup (line, strcspn (line, "]") + 1);
  else
    {
      FUZZ_CHECK (strchr (line, '=') != NULL, "line %" G_GUINT64_FORMAT " “%s” is neither a group nor a key: %s",
                  n, line, message);
      g_autofree char *key = g_strchomp (g_strndup (line, strcspn (line, "=")));

      named = g_strconcat ("] ", key, ":", NULL);
    }
  FUZZ_CHECK (strstr (end, named) != NULL, "line %" G_GUINT64_FORMAT " “%s” is not what the message names: %s",
              n, line, message);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* as the daemon reads the file: a C string */
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugConfig) config = NULL;

  fuzz_init ();
  if (memchr (data, '\0', size) != NULL)
    {
      /* the file, read whole: a NUL is an error, not the end of the text */
      const char *path = fuzz_input_file (data, size);
      g_autoptr(HotplugConfig) bad = hotplug_config_load_file (path, &error);

      FUZZ_CHECK (bad == NULL && error != NULL, "a file with a NUL byte loaded");
      FUZZ_CHECK_UTF8 (error->message, "the error message");
      FUZZ_CHECK (g_str_has_prefix (error->message, path), "the error does not name the file: %s", error->message);
      g_clear_error (&error);
    }
  config = hotplug_config_load_data (text, ORIGIN, &error);
  if (config == NULL)
    {
      FUZZ_CHECK (error != NULL, "no configuration and no error");
      FUZZ_CHECK (error->domain == HOTPLUG_ERROR, "error domain %s", g_quark_to_string (error->domain));
      FUZZ_CHECK_UTF8 (error->message, "the error message");
      fuzz_check_line_ref (error->message, ORIGIN, text);
      check_named_line (error->message, text);
      return 0;
    }
  FUZZ_CHECK (error == NULL, "a configuration and an error: %s", error->message);
  check_config (config, text);
  return 0;
}
