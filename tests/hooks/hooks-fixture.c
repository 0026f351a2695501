/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hooks-fixture.h"

gboolean
need_root (void)
{
  if (geteuid () == 0)
    return TRUE;
  g_test_skip ("hooks must be owned by root: run the tests as root");
  return FALSE;
}

void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->tmp = g_dir_make_tmp ("hotplug-hooks-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (f->tmp, 0755);
  f->vendor = g_build_filename (f->tmp, "vendor", NULL);
  f->admin = g_build_filename (f->tmp, "admin", NULL);
  f->log = g_build_filename (f->tmp, "log", NULL);
  g_assert_cmpint (g_mkdir (f->vendor, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (f->admin, 0755), ==, 0);
  f->config = hotplug_config_new ();
  f->runner = hotplug_hook_runner_new (f->config, f->vendor, f->admin);
  f->progress = g_ptr_array_new_with_free_func (g_free);
}

void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;
  struct stat st;

  if (lstat (path, &st) < 0)
    return;
  if (S_ISDIR (st.st_mode) && (dir = g_dir_open (path, 0, NULL)))
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
  rm_rf (f->tmp);
  g_clear_object (&f->runner);
  g_clear_pointer (&f->config, hotplug_config_unref);
  g_ptr_array_unref (f->progress);
  g_free (f->tmp);
  g_free (f->vendor);
  g_free (f->admin);
  g_free (f->log);
}

/* root/dir/event/name with "#!/bin/sh\n" BODY, mode MODE; returns the path */
char *
write_hook (Fixture *f, const char *root, const char *dir, const char *event,
            const char *name, const char *body, int mode)
{
  g_autofree char *d = g_build_filename (root, dir, event, NULL);
  g_autofree char *text = g_strdup_printf ("#!/bin/sh\n%s\n", body);
  char *path = g_build_filename (d, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

/* A hook that logs its name and exits with STATUS */
void
logging_hook (Fixture *f, const char *root, const char *dir, const char *event,
              const char *name, int status)
{
  g_autofree char *body = g_strdup_printf ("echo %s >> '%s'\nexit %d", name, f->log, status);
  g_autofree char *path = write_hook (f, root, dir, event, name, body, 0755);
}

char *
read_log (Fixture *f)
{
  char *text = NULL;

  if (!g_file_get_contents (f->log, &text, NULL, NULL))
    return g_strdup ("");
  g_strdelimit (text, "\n", ' ');
  return g_strchomp (text);
}

typedef struct {
  Fixture           *f;
  HotplugHookResult *result;
  GError            *error;
  gboolean           done;
} RunWait;

static void
on_run_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  RunWait *w = user_data;

  w->result = hotplug_hook_runner_run_finish (HOTPLUG_HOOK_RUNNER (source), res, &w->error);
  w->done = TRUE;
}

static void
on_progress (HotplugHookRunner *runner, const HotplugHookRequest *request,
             const HotplugHookRecord *record, HotplugHookStage stage, gpointer user_data)
{
  Fixture *f = user_data;

  /* a spawned hook has its process (its group's leader: the runner
   * signals the group); it may have ended and been reaped already */
  if (stage == HOTPLUG_HOOK_SPAWNED)
    {
      g_assert_cmpint (record->pid, >, 0);
      g_ptr_array_add (f->progress, g_strdup_printf ("spawned %s", record->name));
      return;
    }
  g_ptr_array_add (f->progress, g_strdup_printf ("%s %s", stage == HOTPLUG_HOOK_FINISHED ? "end" : "start",
                                                 record->name));
}

static gboolean
on_tick (gpointer user_data)
{
  Fixture *f = user_data;

  f->ticks++;
  return G_SOURCE_CONTINUE;
}

HotplugHookResult *
run_full (Fixture *f, const HotplugHookRequest *req, GCancellable *cancellable, GError **error)
{
  RunWait w = { f, NULL, NULL, FALSE };
  guint tick = g_timeout_add (50, on_tick, f);

  hotplug_hook_runner_run_async (f->runner, req, cancellable, on_progress, f, NULL, on_run_done, &w);
  while (!w.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (w.error)
    g_propagate_error (error, w.error);
  return w.result;
}

HotplugHookResult *
run (Fixture *f, const char *event, const char *kind)
{
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new (event, kind, "sb0");
  g_autoptr(GError) error = NULL;
  HotplugHookResult *result;

  req->job = g_strdup ("7");
  result = run_full (f, req, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

HotplugHook *
lookup_hook (GPtrArray *hooks, const char *name)
{
  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugHook *h = g_ptr_array_index (hooks, i);
      if (g_str_equal (h->name, name))
        return h;
    }
  return NULL;
}

HotplugHook *
find_hook (GPtrArray *hooks, const char *name)
{
  HotplugHook *h = lookup_hook (hooks, name);

  if (h == NULL)
    g_error ("hook %s is not in the list", name);
  return h;
}

char *
hook_names (GPtrArray *hooks)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugHook *h = g_ptr_array_index (hooks, i);
      g_string_append_printf (s, "%s%s", i ? " " : "", h->name);
    }
  return g_string_free (s, FALSE);
}

gboolean
pid_gone (pid_t pid)
{
  /* gone, or a zombie waiting for init to reap it */
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
      g_autofree char *stat = NULL;
      const char *p;

      if (!g_file_get_contents (path, &stat, NULL, NULL))
        return TRUE;
      p = strrchr (stat, ')');
      if (p && p[1] == ' ' && p[2] == 'Z')
        return TRUE;
      g_usleep (20000);
    }
  return FALSE;
}

pid_t
read_pid (const char *path)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (pid_t) g_ascii_strtoll (text, NULL, 10);
}
