/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <gio/gio.h>

#include "hotplug-config.h"
#include "hotplug-error.h"
#include "hotplug-util.h"

/* Longest accepted limit: a day.  Anything above is more likely a typo
 * (milliseconds written as seconds) than an intent. */
#define MAX_SECONDS 86400.0

struct _HotplugConfig
{
  gatomicrefcount refcount;
  double          hook_timeout;
  double          kill_grace;
  HotplugHookUnits hook_units;
  GHashTable     *per_hook_timeout; /* name → double* */
  char           *online_type;
  double          step_timeout;
  double          job_linger;
  gboolean        auto_add;
  gboolean        auto_remove_on_eject;
  gboolean        surprise_removal_hooks;
  double          blockers_refresh;
  double          switchover_retry;
};

HotplugConfig *
hotplug_config_new (void)
{
  HotplugConfig *config = g_new0 (HotplugConfig, 1);

  g_atomic_ref_count_init (&config->refcount);
  config->hook_timeout = HOTPLUG_CONFIG_DEFAULT_HOOK_TIMEOUT;
  config->kill_grace = HOTPLUG_CONFIG_DEFAULT_KILL_GRACE;
  config->per_hook_timeout = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  config->online_type = g_strdup (HOTPLUG_CONFIG_DEFAULT_ONLINE_TYPE);
  config->step_timeout = HOTPLUG_CONFIG_DEFAULT_STEP_TIMEOUT;
  config->job_linger = HOTPLUG_CONFIG_DEFAULT_JOB_LINGER;
  config->auto_add = TRUE;
  config->auto_remove_on_eject = TRUE;
  config->surprise_removal_hooks = TRUE;
  config->blockers_refresh = HOTPLUG_CONFIG_DEFAULT_BLOCKERS_REFRESH;
  config->switchover_retry = HOTPLUG_CONFIG_DEFAULT_SWITCHOVER_RETRY;
  return config;
}

HotplugConfig *
hotplug_config_ref (HotplugConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_atomic_ref_count_inc (&config->refcount);
  return config;
}

void
hotplug_config_unref (HotplugConfig *config)
{
  g_return_if_fail (config != NULL);
  if (!g_atomic_ref_count_dec (&config->refcount))
    return;
  g_hash_table_unref (config->per_hook_timeout);
  g_free (config->online_type);
  g_free (config);
}

const char *
hotplug_config_default_path (void)
{
  return SYSCONFDIR "/hotplugd/hotplugd.conf";
}

/* Where a setting is, for messages: "FILE:LINE: [GROUP] KEY" (the line of
 * the key, or of the group when KEY is NULL; none when it is not found). */
typedef struct
{
  const char *origin;
  const char *data;
} Source;

static char *
where (const Source *src, const char *group, const char *key)
{
  g_auto(GStrv) lines = g_strsplit (src->data, "\n", -1);
  g_autofree char *header = g_strdup_printf ("[%s]", group);
  gboolean in_group = FALSE;

  for (guint i = 0; lines[i]; i++)
    {
      const char *l = lines[i];

      while (*l == ' ' || *l == '\t')
        l++;
      if (*l == '[')
        {
          in_group = g_str_has_prefix (l, header);
          if (in_group && key == NULL)
            return g_strdup_printf ("%s:%u: [%s]", src->origin, i + 1, group);
          continue;
        }
      if (in_group && key && g_str_has_prefix (l, key))
        {
          const char *rest = l + strlen (key);

          while (*rest == ' ' || *rest == '\t')
            rest++;
          if (*rest == '=')
            return g_strdup_printf ("%s:%u: [%s] %s", src->origin, i + 1, group, key);
        }
    }
  return key ? g_strdup_printf ("%s: [%s] %s", src->origin, group, key)
             : g_strdup_printf ("%s: [%s]", src->origin, group);
}

static gboolean
parse_seconds (GKeyFile     *kf,
               const Source *src,
               const char *group,
               const char *key,
               gboolean    allow_zero,
               double     *out,
               GError    **error)
{
  g_autofree char *raw = g_key_file_get_value (kf, group, key, NULL);
  g_autofree char *text = NULL;
  char *end = NULL;
  double v;

  g_autofree char *w = NULL;

  if (raw == NULL)
    return TRUE;
  text = g_strstrip (g_strdup (raw));
  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (*text == '\0' || end == NULL || *end != '\0' || errno != 0 || !isfinite (v) ||
      v < 0 || (v == 0 && !allow_zero) || v > MAX_SECONDS)
    {
      w = where (src, group, key);
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "%s: expected %s number of seconds up to %.0f, got “%s”",
                   w, allow_zero ? "a non-negative" : "a positive", MAX_SECONDS, raw);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
parse_bool (GKeyFile *kf, const Source *src, const char *group, const char *key,
            gboolean *out, GError **error)
{
  g_autoptr(GError) local = NULL;
  gboolean v;

  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;
  v = g_key_file_get_boolean (kf, group, key, &local);
  if (local)
    {
      g_autofree char *w = where (src, group, key);

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT, "%s: expected true or false", w);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
check_keys (GKeyFile           *kf,
            const Source       *src,
            const char         *group,
            const char * const *known,
            GError            **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);

  for (guint i = 0; keys && keys[i]; i++)
    if (!g_strv_contains (known, keys[i]))
      {
        g_autofree char *w = where (src, group, keys[i]);

        g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT, "%s: unknown key", w);
        return FALSE;
      }
  return TRUE;
}

static gboolean
parse_hook_units (GKeyFile *kf, const Source *src, HotplugHookUnits *out, GError **error)
{
  static const char * const words[] = { "auto", "yes", "no", NULL };
  g_autofree char *v = g_key_file_get_value (kf, "hooks", "run-as-units", NULL);

  if (v == NULL)
    return TRUE;
  g_strstrip (v);
  for (guint i = 0; words[i]; i++)
    if (g_str_equal (v, words[i]))
      {
        *out = (HotplugHookUnits) i;
        return TRUE;
      }
  {
    g_autofree char *w = where (src, "hooks", "run-as-units");

    g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                 "%s: expected auto, yes or no, got “%s”", w, v);
  }
  return FALSE;
}

/* [hooks]: the runner's defaults */
static gboolean
load_hooks_group (GKeyFile *kf, const Source *src, HotplugConfig *config, GError **error)
{
  static const char * const hooks_keys[] = { "timeout", "kill-grace", "run-as-units", NULL };

  if (!g_key_file_has_group (kf, "hooks"))
    return TRUE;
  return check_keys (kf, src, "hooks", hooks_keys, error) &&
         parse_seconds (kf, src, "hooks", "timeout", FALSE, &config->hook_timeout, error) &&
         parse_seconds (kf, src, "hooks", "kill-grace", TRUE, &config->kill_grace, error) &&
         parse_hook_units (kf, src, &config->hook_units, error);
}

static gboolean
parse_online_type (GKeyFile *kf, const Source *src, HotplugConfig *config, GError **error)
{
  static const char * const types[] = { "online", "online_kernel", "online_movable", NULL };
  g_autofree char *type = g_key_file_get_value (kf, "daemon", "memory-online-type", NULL);

  if (type == NULL)
    return TRUE;
  g_strstrip (type);
  if (!g_strv_contains (types, type))
    {
      g_autofree char *w = where (src, "daemon", "memory-online-type");

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "%s: expected online, online_kernel or online_movable, got “%s”", w, type);
      return FALSE;
    }
  g_free (config->online_type);
  config->online_type = g_steal_pointer (&type);
  return TRUE;
}

/* [daemon]: jobs, their timeouts and what starts them */
static gboolean
load_daemon_group (GKeyFile *kf, const Source *src, HotplugConfig *config, GError **error)
{
  static const char * const daemon_keys[] = { "memory-online-type", "step-timeout", "job-linger",
                                              "auto-add", "auto-remove-on-eject",
                                              "surprise-removal-hooks", "switchover-retry-interval", NULL };

  if (!g_key_file_has_group (kf, "daemon"))
    return TRUE;
  return check_keys (kf, src, "daemon", daemon_keys, error) &&
         parse_seconds (kf, src, "daemon", "step-timeout", FALSE, &config->step_timeout, error) &&
         parse_seconds (kf, src, "daemon", "job-linger", TRUE, &config->job_linger, error) &&
         parse_bool (kf, src, "daemon", "auto-add", &config->auto_add, error) &&
         parse_bool (kf, src, "daemon", "auto-remove-on-eject", &config->auto_remove_on_eject, error) &&
         parse_bool (kf, src, "daemon", "surprise-removal-hooks", &config->surprise_removal_hooks, error) &&
         parse_seconds (kf, src, "daemon", "switchover-retry-interval", FALSE, &config->switchover_retry, error) &&
         parse_online_type (kf, src, config, error);
}

/* [blockers]: how often the busy checks are refreshed */
static gboolean
load_blockers_group (GKeyFile *kf, const Source *src, HotplugConfig *config, GError **error)
{
  static const char * const blockers_keys[] = { "refresh-interval", NULL };

  if (!g_key_file_has_group (kf, "blockers"))
    return TRUE;
  return check_keys (kf, src, "blockers", blockers_keys, error) &&
         parse_seconds (kf, src, "blockers", "refresh-interval", TRUE, &config->blockers_refresh, error);
}

/* [hook NAME] groups: one hook's timeout; any other group is a mistake */
static gboolean
load_hook_group (GKeyFile *kf, const Source *src, const char *group, HotplugConfig *config, GError **error)
{
  static const char * const hook_keys[] = { "timeout", NULL };
  const char *name;
  double t = -1;

  if (!g_str_has_prefix (group, "hook "))
    {
      /* a typo in a group name would silently drop its settings */
      g_autofree char *w = where (src, group, NULL);

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "%s: unknown group (expected [daemon], [hooks], [blockers] or [hook NAME])", w);
      return FALSE;
    }
  name = group + strlen ("hook ");
  if (*name == '\0' || strchr (name, '/') != NULL)
    {
      g_autofree char *w = where (src, group, NULL);

      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "%s: expected a hook file name after “hook ”", w);
      return FALSE;
    }
  if (!check_keys (kf, src, group, hook_keys, error) ||
      !parse_seconds (kf, src, group, "timeout", FALSE, &t, error))
    return FALSE;
  if (t > 0)
    hotplug_config_set_hook_timeout (config, name, t);
  return TRUE;
}

static HotplugConfig *
load_data (const char *data, const char *origin, GError **error)
{
  g_autoptr(HotplugConfig) config = hotplug_config_new ();
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) groups = NULL;
  Source source = { origin ? origin : "hotplugd.conf", data };

  g_return_val_if_fail (data != NULL, NULL);

  if (!g_key_file_load_from_data (kf, data, -1, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "%s: %s", source.origin, local->message);
      return NULL;
    }
  if (!load_hooks_group (kf, &source, config, error) ||
      !load_daemon_group (kf, &source, config, error) ||
      !load_blockers_group (kf, &source, config, error))
    return NULL;
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i]; i++)
    if (!g_str_equal (groups[i], "daemon") && !g_str_equal (groups[i], "hooks") &&
        !g_str_equal (groups[i], "blockers") &&
        !load_hook_group (kf, &source, groups[i], config, error))
      return NULL;
  return g_steal_pointer (&config);
}

HotplugConfig *
hotplug_config_load_data (const char *data, const char *origin, GError **error)
{
  g_autoptr(GError) local = NULL;
  HotplugConfig *config = load_data (data, origin, &local);

  if (local)
    {
      /* the message may quote the file's bytes, and it goes to the log
       * and the bus: valid UTF-8 only */
      char *shown = hotplug_utf8_sanitize (local->message, -1, 0);

      g_free (local->message);
      local->message = shown;
      g_propagate_error (error, g_steal_pointer (&local));
    }
  return config;
}

HotplugConfig *
hotplug_config_load_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  const char *nul;
  gsize length = 0;

  if (path == NULL)
    path = hotplug_config_default_path ();
  if (!g_file_get_contents (path, &data, &length, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return hotplug_config_new ();
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "%s", local->message);
      return NULL;
    }
  /* text ends at a NUL: what follows would be silently ignored */
  nul = memchr (data, '\0', length);
  if (nul != NULL)
    {
      guint line = 1;

      for (const char *p = data; p < nul; p++)
        line += *p == '\n';
      g_set_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT,
                   "%s:%u: a NUL byte (not a text file)", path, line);
      return NULL;
    }
  return hotplug_config_load_data (data, path, error);
}

double
hotplug_config_get_hook_timeout (HotplugConfig *config, const char *hook_name)
{
  double *v;

  g_return_val_if_fail (config != NULL, HOTPLUG_CONFIG_DEFAULT_HOOK_TIMEOUT);
  if (hook_name && (v = g_hash_table_lookup (config->per_hook_timeout, hook_name)))
    return *v;
  return config->hook_timeout;
}

HotplugHookUnits
hotplug_config_get_hook_units (HotplugConfig *config)
{
  g_return_val_if_fail (config != NULL, HOTPLUG_HOOK_UNITS_AUTO);
  return config->hook_units;
}

void
hotplug_config_set_hook_units (HotplugConfig *config, HotplugHookUnits value)
{
  g_return_if_fail (config != NULL);
  config->hook_units = value;
}

double
hotplug_config_get_kill_grace (HotplugConfig *config)
{
  g_return_val_if_fail (config != NULL, HOTPLUG_CONFIG_DEFAULT_KILL_GRACE);
  return config->kill_grace;
}

void
hotplug_config_set_hook_timeout (HotplugConfig *config, const char *hook_name, double seconds)
{
  g_return_if_fail (config != NULL);
  g_return_if_fail (seconds > 0);
  if (hook_name == NULL)
    config->hook_timeout = seconds;
  else
    g_hash_table_replace (config->per_hook_timeout, g_strdup (hook_name),
                          g_memdup2 (&seconds, sizeof seconds));
}

void
hotplug_config_set_kill_grace (HotplugConfig *config, double seconds)
{
  g_return_if_fail (config != NULL);
  g_return_if_fail (seconds >= 0);
  config->kill_grace = seconds;
}

const char *
hotplug_config_get_memory_online_type (HotplugConfig *config)
{
  return config->online_type;
}

double
hotplug_config_get_step_timeout (HotplugConfig *config)
{
  return config->step_timeout;
}

double
hotplug_config_get_job_linger (HotplugConfig *config)
{
  return config->job_linger;
}

gboolean
hotplug_config_get_auto_add (HotplugConfig *config)
{
  return config->auto_add;
}

gboolean
hotplug_config_get_auto_remove_on_eject (HotplugConfig *config)
{
  return config->auto_remove_on_eject;
}

gboolean
hotplug_config_get_surprise_removal_hooks (HotplugConfig *config)
{
  return config->surprise_removal_hooks;
}

void
hotplug_config_set_step_timeout (HotplugConfig *config, double seconds)
{
  g_return_if_fail (seconds > 0);
  config->step_timeout = seconds;
}

void
hotplug_config_set_job_linger (HotplugConfig *config, double seconds)
{
  g_return_if_fail (seconds >= 0);
  config->job_linger = seconds;
}

void
hotplug_config_set_auto_add (HotplugConfig *config, gboolean value)
{
  config->auto_add = value;
}

double
hotplug_config_get_blockers_refresh (HotplugConfig *config)
{
  return config->blockers_refresh;
}

double
hotplug_config_get_switchover_retry (HotplugConfig *config)
{
  return config->switchover_retry;
}
