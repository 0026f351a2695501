/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-config.h"
#include "hotplug-error.h"
#include "hotplug-hooks.h"
#include "hotplug-names.h"

/* Every test gets a fresh vendor and admin root and a log file the hooks
 * append their names to.  Hooks are small sh scripts whose text names the
 * log (their environment is built from scratch, so it cannot tell them). */
typedef struct {
  char              *tmp;
  char              *vendor;
  char              *admin;
  char              *log;
  HotplugConfig     *config;
  HotplugHookRunner *runner;
  GPtrArray         *progress;  /* "start NAME" / "end NAME" */
  guint              ticks;
} Fixture;

static gboolean
need_root (void)
{
  if (geteuid () == 0)
    return TRUE;
  g_test_skip ("hooks must be owned by root: run the tests as root");
  return FALSE;
}

static void
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

static void
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

static void
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
static char *
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
static void
logging_hook (Fixture *f, const char *root, const char *dir, const char *event,
              const char *name, int status)
{
  g_autofree char *body = g_strdup_printf ("echo %s >> '%s'\nexit %d", name, f->log, status);
  g_autofree char *path = write_hook (f, root, dir, event, name, body, 0755);
}

static char *
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

static HotplugHookResult *
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

static HotplugHookResult *
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

static HotplugHook *
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

static HotplugHook *
find_hook (GPtrArray *hooks, const char *name)
{
  HotplugHook *h = lookup_hook (hooks, name);

  if (h == NULL)
    g_error ("hook %s is not in the list", name);
  return h;
}

static char *
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

static gboolean
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

static pid_t
read_pid (const char *path)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (pid_t) g_ascii_strtoll (text, NULL, 10);
}

/* ---- config ------------------------------------------------------------- */

static void
test_config_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugConfig) def = NULL;
  g_autoptr(HotplugConfig) c = NULL;

  def = hotplug_config_load_file ("/nonexistent/hotplugd.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (hotplug_config_get_hook_timeout (def, "10-x"), ==, 300.0);
  g_assert_cmpfloat (hotplug_config_get_kill_grace (def), ==, 5.0);

  c = hotplug_config_load_data ("[daemon]\njob-linger=5\n"
                                "[hooks]\ntimeout=60\nkill-grace=0.5\n"
                                "[hook 10-slow]\ntimeout=600\n", "test.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (hotplug_config_get_hook_timeout (c, "10-slow"), ==, 600.0);
  g_assert_cmpfloat (hotplug_config_get_hook_timeout (c, "20-other"), ==, 60.0);
  g_assert_cmpfloat (hotplug_config_get_hook_timeout (c, NULL), ==, 60.0);
  g_assert_cmpfloat (hotplug_config_get_kill_grace (c), ==, 0.5);
  g_assert_cmpfloat (hotplug_config_get_blockers_refresh (def), ==, 300.0);
  g_assert_cmpfloat (hotplug_config_get_blockers_refresh (c), ==, 300.0);
  g_clear_pointer (&c, hotplug_config_unref);
  c = hotplug_config_load_data ("[blockers]\nrefresh-interval=0\n", "test.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (hotplug_config_get_blockers_refresh (c), ==, 0.0);
  g_clear_pointer (&c, hotplug_config_unref);
  c = hotplug_config_load_data ("[blockers]\nrefresh-interval=2.5\n", "test.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (hotplug_config_get_blockers_refresh (c), ==, 2.5);
}

static void
test_config_bad (void)
{
  struct { const char *data, *expect; } cases[] = {
    { "[hooks]\ntimeout=abc\n", "[hooks] timeout" },
    { "[daemon]\nwhatever=1\n", "whatever" },
    { "[demon]\nstep-timeout=3\n", "[demon]" },
    { "[hooks]\ntimeout=0\n", "[hooks] timeout" },
    { "[hooks]\ntimeout=-3\n", "[hooks] timeout" },
    { "[hooks]\ntimeout=10s\n", "“10s”" },
    { "[hooks]\ntimeout=1e9\n", "[hooks] timeout" },
    { "[hooks]\ntimeout=nan\n", "[hooks] timeout" },
    { "[hooks]\nkill-grace=soon\n", "[hooks] kill-grace" },
    { "[hooks]\ntimout=5\n", "test.conf:2: [hooks] timout: unknown key" },
    { "[hook 10-x]\ntimeout=\n", "[hook 10-x] timeout" },
    { "[hook 10-x]\nkill-grace=1\n", "[hook 10-x] kill-grace: unknown key" },
    { "[hook ]\ntimeout=1\n", "expected a hook file name" },
    { "not a key file", "test.conf" },
    { "[blockers]\nrefresh-interval=often\n", "[blockers] refresh-interval" },
    { "[blockers]\nrefresh-interval=-1\n", "[blockers] refresh-interval" },
    { "[blockers]\nrefresh=5\n", "[blockers] refresh: unknown key" },
    /* the line of the key, past comments and other groups */
    { "# site settings\n[daemon]\nauto-remove-on-eject=false\n\n[hooks]\ntimeout=5\n[daemon]\n step-timeout = 6O\n",
      "test.conf:8: [daemon] step-timeout: expected a positive number of seconds up to 86400, got “6O”" },
    { "[daemon]\nauto-add=maybe\n", "test.conf:2: [daemon] auto-add: expected true or false" },
    { "[daemon]\n\n[demon]\nstep-timeout=3\n", "test.conf:3: [demon]: unknown group" },
    /* the file's bytes are quoted as valid UTF-8 */
    { "[hooks]\nrun-as-units=y\xffs\n", "got “y\xef\xbf\xbds”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HotplugConfig) c = hotplug_config_load_data (cases[i].data, "test.conf", &error);

      g_assert_null (c);
      g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, "test.conf"));
      g_assert_nonnull (strstr (error->message, cases[i].expect));
    }
}

/* a NUL byte in the file is an error, not the silent end of the text */
static void
test_config_nul (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hotplug-config.XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "hotplugd.conf", NULL);
  g_autofree char *want = g_strconcat (path, ":3: a NUL byte", NULL);
  static const char text[] = "[hooks]\ntimeout=5\n\0[daemon]\nbogus=1\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(HotplugConfig) c = NULL;

  g_assert_true (g_file_set_contents (path, text, sizeof text - 1, NULL));
  c = hotplug_config_load_file (path, &error);
  g_unlink (path);
  g_rmdir (dir);
  g_assert_null (c);
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, want));
}

/* ---- events and kinds --------------------------------------------------- */

static void
test_events (void)
{
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(GError) e3 = NULL;
  g_autoptr(GError) e4 = NULL;
  g_autoptr(GPtrArray) hooks = NULL;

  g_assert_cmpuint (g_strv_length ((char **) hotplug_hook_events ()), ==, 13);
  for (const char * const *e = hotplug_hook_events (); *e; e++)
    g_assert_true (hotplug_hook_event_is_valid (*e));
  g_assert_true (hotplug_hook_check_event ("pre-remove", "memory", NULL));
  g_assert_true (hotplug_hook_check_event ("pre-switchover", "domain", NULL));
  g_assert_true (hotplug_hook_check_event ("post-connect", "domain", NULL));
  g_assert_cmpstr (hotplug_hook_event_operation ("switchover-failed"), ==, "switchover");
  g_assert_cmpint (hotplug_hook_event_phase ("replace-failed"), ==, HOTPLUG_HOOK_PHASE_FAILED);

  hooks = hotplug_hooks_discover ("/nonexistent", NULL, "sb", "pre-eject", &e1);
  g_assert_null (hooks);
  g_assert_error (e1, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (e1->message, "“pre-eject”"));
  g_assert_false (hotplug_hook_check_event ("pre-add", "board", &e2));
  g_assert_nonnull (strstr (e2->message, "“board”"));
  g_assert_false (hotplug_hook_check_event ("pre-switchover", "sb", &e3));
  g_assert_nonnull (strstr (e3->message, "domain"));
  g_assert_false (hotplug_hook_check_event ("pre-add", "domain", &e4));
  g_assert_error (e4, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
}

static void
test_run_bad_request (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new ("pre-explode", "sb", "sb0");
  g_autoptr(HotplugHookResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = run_full (f, req, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, HOTPLUG_ERROR, HOTPLUG_ERROR_INVALID_ARGUMENT);
}

/* ---- discovery ---------------------------------------------------------- */

static void
test_discover_order (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) pre = NULL;
  g_autoptr(GPtrArray) failed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pre_names = NULL;
  g_autofree char *failed_names = NULL;
  const char *events[] = { "pre-remove", "remove-failed" };

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      logging_hook (f, f->vendor, "any", events[i], "50-vendor-any", 0);
      logging_hook (f, f->vendor, "sb", events[i], "10-vendor-sb", 0);
      logging_hook (f, f->admin, "any", events[i], "90-admin-any", 0);
      logging_hook (f, f->admin, "sb", events[i], "05-admin-sb", 0);
      /* byte order, not the locale's: '-' < 'B' < '_' */
      logging_hook (f, f->admin, "sb", events[i], "55_x", 0);
      logging_hook (f, f->admin, "sb", events[i], "55B-x", 0);
      logging_hook (f, f->admin, "any", events[i], "55-x", 0);
      /* another kind: not in the list */
      logging_hook (f, f->admin, "iou", events[i], "20-iou-only", 0);
    }

  pre = hotplug_hooks_discover (f->vendor, f->admin, "sb", "pre-remove", &error);
  g_assert_no_error (error);
  pre_names = hook_names (pre);
  g_assert_cmpstr (pre_names, ==, "05-admin-sb 10-vendor-sb 50-vendor-any 55-x 55B-x 55_x 90-admin-any");
  failed = hotplug_hooks_discover (f->vendor, f->admin, "sb", "remove-failed", &error);
  g_assert_no_error (error);
  failed_names = hook_names (failed);
  g_assert_cmpstr (failed_names, ==, "90-admin-any 55_x 55B-x 55-x 50-vendor-any 10-vendor-sb 05-admin-sb");

  if (!need_root ())
    return;
  for (guint i = 0; i < pre->len; i++)
    g_assert_cmpint (((HotplugHook *) g_ptr_array_index (pre, i))->status, ==, HOTPLUG_HOOK_RUNNABLE);
  g_assert_cmpint (find_hook (pre, "05-admin-sb")->origin, ==, HOTPLUG_HOOK_ORIGIN_ADMIN);
  g_assert_cmpstr (find_hook (pre, "05-admin-sb")->dir, ==, "sb");
  g_assert_cmpstr (find_hook (pre, "50-vendor-any")->dir, ==, "any");
  g_assert_cmpstr (find_hook (pre, "50-vendor-any")->root, ==, f->vendor);
}

static void
test_discover_override (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) hooks = NULL;
  g_autoptr(GError) error = NULL;
  HotplugHook *h;

  /* /etc beats /usr/lib, whatever the directory */
  logging_hook (f, f->vendor, "sb", "post-add", "10-same", 0);
  logging_hook (f, f->admin, "any", "post-add", "10-same", 0);
  /* within one root, the kind's directory beats any */
  logging_hook (f, f->vendor, "any", "post-add", "20-kind", 0);
  logging_hook (f, f->vendor, "sb", "post-add", "20-kind", 0);
  logging_hook (f, f->admin, "any", "post-add", "30-kind", 0);
  logging_hook (f, f->admin, "sb", "post-add", "30-kind", 0);

  hooks = hotplug_hooks_discover (f->vendor, f->admin, "sb", "post-add", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hooks->len, ==, 3);
  h = find_hook (hooks, "10-same");
  g_assert_cmpint (h->origin, ==, HOTPLUG_HOOK_ORIGIN_ADMIN);
  g_assert_cmpstr (h->dir, ==, "any");
  h = find_hook (hooks, "20-kind");
  g_assert_cmpint (h->origin, ==, HOTPLUG_HOOK_ORIGIN_VENDOR);
  g_assert_cmpstr (h->dir, ==, "sb");
  h = find_hook (hooks, "30-kind");
  g_assert_cmpint (h->origin, ==, HOTPLUG_HOOK_ORIGIN_ADMIN);
  g_assert_cmpstr (h->dir, ==, "sb");
  g_assert_true (g_str_has_prefix (h->path, f->admin));
}

static void
test_discover_mask (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) hooks = NULL;
  g_autoptr(HotplugHookResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mask = g_build_filename (f->admin, "any", "pre-add", "20-masked", NULL);
  g_autofree char *log = NULL;

  if (!need_root ())
    return;
  logging_hook (f, f->vendor, "sb", "pre-add", "10-runs", 0);
  logging_hook (f, f->vendor, "sb", "pre-add", "20-masked", 0);
  logging_hook (f, f->vendor, "any", "pre-add", "30-runs", 0);
  g_assert_cmpint (g_mkdir_with_parents (f->admin, 0755), ==, 0);
  logging_hook (f, f->admin, "any", "pre-add", "00-placeholder", 0);
  g_assert_cmpint (symlink ("/dev/null", mask), ==, 0);

  hooks = hotplug_hooks_discover (f->vendor, f->admin, "sb", "pre-add", &error);
  g_assert_no_error (error);
  g_assert_cmpint (find_hook (hooks, "20-masked")->status, ==, HOTPLUG_HOOK_MASKED);
  g_assert_cmpstr (hotplug_hook_status_to_string (find_hook (hooks, "20-masked")->status), ==, "masked");

  result = run (f, "pre-add", "sb");
  g_assert_cmpint (result->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  log = read_log (f);
  g_assert_cmpstr (log, ==, "00-placeholder 10-runs 30-runs");
  g_assert_cmpuint (result->records->len, ==, 3);
}

/* Hooks that discovery must refuse, each for the reason its name says,
 * beside one good hook (05-good) of the 'any' directory. */
static void
write_untrusted_hooks (Fixture *f)
{
  g_autofree char *p = NULL;
  g_autofree char *baddir = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *target = NULL;

  logging_hook (f, f->admin, "any", "pre-remove", "05-good", 0);
  g_free (write_hook (f, f->admin, "any", "pre-remove", "10-group-writable", "exit 0", 0775));
  g_free (write_hook (f, f->admin, "any", "pre-remove", "11-other-writable", "exit 0", 0757));
  p = write_hook (f, f->admin, "any", "pre-remove", "12-not-root", "exit 0", 0755);
  g_assert_cmpint (chown (p, 65534, 65534), ==, 0);
  g_clear_pointer (&p, g_free);
  p = write_hook (f, f->admin, "any", "pre-remove", "13-setuid", "exit 0", 0755);
  g_assert_cmpint (g_chmod (p, 04755), ==, 0);
  g_clear_pointer (&p, g_free);
  p = write_hook (f, f->admin, "any", "pre-remove", "14-setgid", "exit 0", 0755);
  g_assert_cmpint (g_chmod (p, 02755), ==, 0);
  g_clear_pointer (&p, g_free);
  g_free (write_hook (f, f->admin, "any", "pre-remove", "15-not-executable", "exit 0", 0644));
  p = g_build_filename (f->admin, "any", "pre-remove", "16-fifo", NULL);
  g_assert_cmpint (mkfifo (p, 0755), ==, 0);
  g_clear_pointer (&p, g_free);
  p = g_build_filename (f->admin, "any", "pre-remove", "17-link-to-dir", NULL);
  g_assert_cmpint (symlink ("/", p), ==, 0);
  g_clear_pointer (&p, g_free);
  p = g_build_filename (f->admin, "any", "pre-remove", "18-dangling", NULL);
  g_assert_cmpint (symlink ("/nonexistent/hook", p), ==, 0);
  g_clear_pointer (&p, g_free);
  g_free (write_hook (f, f->admin, "any", "pre-remove", "bad-name", "exit 0", 0755));
  g_free (write_hook (f, f->admin, "any", "pre-remove", "1-one-digit", "exit 0", 0755));
  /* a trusted-looking symlink to a file in a world-writable directory */
  outside = g_build_filename (f->tmp, "world", NULL);
  g_assert_cmpint (g_mkdir (outside, 0755), ==, 0);
  g_free (write_hook (f, f->tmp, "world", "", "hook", "exit 0", 0755));
  g_assert_cmpint (g_chmod (outside, 0777), ==, 0);
  p = g_build_filename (f->admin, "any", "pre-remove", "19-link-out", NULL);
  target = g_build_filename (outside, "hook", NULL);
  g_assert_cmpint (symlink (target, p), ==, 0);
  g_clear_pointer (&p, g_free);
  /* a good file in a directory that others can write */
  g_free (write_hook (f, f->admin, "sb", "pre-remove", "20-in-bad-dir", "exit 0", 0755));
  baddir = g_build_filename (f->admin, "sb", "pre-remove", NULL);
  g_assert_cmpint (g_chmod (baddir, 0777), ==, 0);
}

static void
test_discover_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) hooks = NULL;
  g_autoptr(HotplugHookResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  struct {
    const char *name, *reason;
  } expect[] = {
    { "10-group-writable", "writable by group (mode 0775)" },
    { "11-other-writable", "writable by others (mode 0757)" },
    { "12-not-root", "owned by uid 65534, not root" },
    { "13-setuid", "setuid (mode 4755)" },
    { "14-setgid", "setgid (mode 2755)" },
    { "15-not-executable", "not executable (mode 0644)" },
    { "16-fifo", "not a regular file" },
    { "17-link-to-dir", "not a regular file" },
    { "18-dangling", "dangling symlink" },
    { "bad-name", "name does not start with two digits" },
    { "1-one-digit", "name does not start with two digits" },
    { "19-link-out", "is writable by others" },
    { "20-in-bad-dir", "directory" },
  };
  const char *skipped[] = { ".hidden", "30-backup~", "31-x.swp", "32-x.orig", "33-x.rpmnew",
                            "34-x.rpmsave", "35-x.dpkg-old", "36-x.dpkg-dist" };

  if (!need_root ())
    return;

  write_untrusted_hooks (f);
  for (guint i = 0; i < G_N_ELEMENTS (skipped); i++)
    g_free (write_hook (f, f->admin, "any", "pre-remove", skipped[i], "exit 0", 0755));

  hooks = hotplug_hooks_discover (f->vendor, f->admin, "sb", "pre-remove", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugHook *h = g_ptr_array_index (hooks, i);
      g_test_message ("%s: %s %s", h->name, hotplug_hook_status_to_string (h->status),
                      h->reason ? h->reason : "");
    }
  g_assert_cmpint (find_hook (hooks, "05-good")->status, ==, HOTPLUG_HOOK_RUNNABLE);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      HotplugHook *h = find_hook (hooks, expect[i].name);

      g_assert_cmpint (h->status, ==, HOTPLUG_HOOK_REFUSED);
      g_assert_nonnull (strstr (h->reason, expect[i].reason));
    }
  for (guint i = 0; i < G_N_ELEMENTS (skipped); i++)
    g_assert_null (lookup_hook (hooks, skipped[i]));
  g_assert_cmpuint (hooks->len, ==, 1 + G_N_ELEMENTS (expect));

  /* refused hooks are listed with the result, and never run */
  result = run (f, "pre-remove", "sb");
  g_assert_cmpint (result->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  g_assert_cmpuint (result->records->len, ==, 1);
  g_assert_cmpuint (result->hooks->len, ==, hooks->len);
  log = read_log (f);
  g_assert_cmpstr (log, ==, "05-good");
}

/* ---- running ------------------------------------------------------------ */

static void
test_run_order (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) pre = NULL;
  g_autoptr(HotplugHookResult) failed = NULL;
  g_autofree char *log = NULL;
  g_autofree char *progress = NULL;

  if (!need_root ())
    return;
  logging_hook (f, f->vendor, "any", "pre-add", "30-c", 0);
  logging_hook (f, f->vendor, "memory", "pre-add", "10-a", 0);
  logging_hook (f, f->admin, "any", "pre-add", "20-b", 0);
  logging_hook (f, f->vendor, "any", "add-failed", "30-c", 0);
  logging_hook (f, f->vendor, "memory", "add-failed", "10-a", 0);
  logging_hook (f, f->admin, "any", "add-failed", "20-b", 0);

  pre = run (f, "pre-add", "memory");
  g_assert_cmpint (pre->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  g_assert_null (pre->reason);
  g_assert_cmpuint (g_strv_length (pre->failures), ==, 0);
  failed = run (f, "add-failed", "memory");
  g_assert_cmpint (failed->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  log = read_log (f);
  g_assert_cmpstr (log, ==, "10-a 20-b 30-c 30-c 20-b 10-a");

  g_ptr_array_add (f->progress, NULL);
  progress = g_strjoinv (",", (char **) f->progress->pdata);
  g_assert_cmpstr (progress, ==, "start 10-a,spawned 10-a,end 10-a,start 20-b,spawned 20-b,end 20-b,"
                                 "start 30-c,spawned 30-c,end 30-c,start 30-c,spawned 30-c,end 30-c,"
                                 "start 20-b,spawned 20-b,end 20-b,start 10-a,spawned 10-a,end 10-a");
  for (guint i = 0; i < pre->records->len; i++)
    {
      HotplugHookRecord *r = g_ptr_array_index (pre->records, i);
      g_assert_cmpint (r->exit_status, ==, 0);
      g_assert_cmpint (r->term_signal, ==, 0);
      g_assert_cmpint (r->duration_us, >, 0);
      g_assert_false (r->timed_out);
    }
}

static GHashTable *
parse_env (const char *text)
{
  GHashTable *env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i]; i++)
    {
      char *eq = strchr (lines[i], '=');
      if (eq == NULL)
        continue;
      g_hash_table_replace (env, g_strndup (lines[i], eq - lines[i]), g_strdup (eq + 1));
    }
  return env;
}

static GHashTable *
run_env_hook (Fixture *f, HotplugHookRequest *req, char **info)
{
  g_autofree char *body = NULL;
  g_autofree char *envfile = g_build_filename (f->tmp, "env", NULL);
  g_autofree char *infofile = g_build_filename (f->tmp, "info", NULL);
  g_autoptr(HotplugHookResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  /* /proc/$$/environ is exactly what the hook was started with (a shell's
   * own "env" would add PWD and friends) */
  body = g_strdup_printf ("tr '\\000' '\\n' < /proc/$$/environ > '%s'\n"
                          "echo \"args=$#:$1:$2\" > '%s'\n"
                          "echo \"stdin=$(readlink /proc/$$/fd/0)\" >> '%s'\n"
                          "echo \"pid=$$ pgid=$(ps -o pgid= -p $$ | tr -d ' ')\" >> '%s'\n"
                          "echo \"pgid_stat=$(cut -d' ' -f5 /proc/$$/stat)\" >> '%s'\n",
                          envfile, infofile, infofile, infofile, infofile);
  g_unlink (envfile);
  g_free (write_hook (f, f->admin, "any", req->event, "10-env", body, 0755));
  result = run_full (f, req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  g_assert_true (g_file_get_contents (envfile, &text, NULL, NULL));
  if (info)
    g_assert_true (g_file_get_contents (infofile, info, NULL, NULL));
  return parse_env (text);
}

static void
test_run_env (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new ("pre-remove", "sb", "sb1");
  g_autoptr(GHashTable) env = NULL;
  g_autofree char *info = NULL;
  g_autofree char *pid_line = NULL;
  g_auto(GStrv) info_lines = NULL;
  const char *lang = g_getenv ("LANG");
  struct { const char *name, *value; } expect[] = {
    { "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
    { "LANG", lang && *lang ? lang : "C.UTF-8" },
    { HOTPLUG_HOOK_API, "1" },
    { HOTPLUG_HOOK_EVENT, "pre-remove" },
    { HOTPLUG_HOOK_OPERATION, "remove" },
    { HOTPLUG_HOOK_KIND, "sb" },
    { HOTPLUG_HOOK_UNIT, "sb1" },
    { HOTPLUG_HOOK_JOB, "42" },
    { HOTPLUG_HOOK_SYSFS_PATH, "/sys/devices/LNXSYSTM:00/ACPI0004:01" },
    { HOTPLUG_HOOK_CPUS, "16-31,64" },
    { HOTPLUG_HOOK_MEMORY_BYTES, "68719476736" },
    { HOTPLUG_HOOK_NODES, "1" },
    { HOTPLUG_HOOK_PCI_DEVICES, "0000:40:00.0 0000:41:00.0" },
    { HOTPLUG_HOOK_FORCE, "1" },
    { HOTPLUG_HOOK_DRY_RUN, "1" },
  };
  const char *pci[] = { "0000:40:00.0", "0000:41:00.0", NULL };

  if (!need_root ())
    return;
  g_setenv ("HOTPLUG_TEST_MARKER", "must-not-leak", TRUE);
  req->job = g_strdup ("42");
  req->sysfs_path = g_strdup ("/sys/devices/LNXSYSTM:00/ACPI0004:01");
  req->cpus = g_strdup ("16-31,64");
  req->memory_bytes = G_GUINT64_CONSTANT (64) << 30;
  req->nodes = g_strdup ("1");
  req->pci_devices = g_strdupv ((char **) pci);
  req->force = TRUE;
  req->dry_run = TRUE;

  env = run_env_hook (f, req, &info);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    g_assert_cmpstr (g_hash_table_lookup (env, expect[i].name), ==, expect[i].value);
  /* nothing else: not the marker, not the simulator's variables (no
   * HOTPLUG_SIM_ROOT here), not HOME, not failure variables outside *-failed */
  g_assert_cmpuint (g_hash_table_size (env), ==, G_N_ELEMENTS (expect));
  g_assert_false (g_hash_table_contains (env, "HOTPLUG_TEST_MARKER"));

  info_lines = g_strsplit (info, "\n", -1);
  g_assert_cmpstr (info_lines[0], ==, "args=2:pre-remove:sb1");
  g_assert_cmpstr (info_lines[1], ==, "stdin=/dev/null");
  {
    int pid = 0, pgid = -1, pgid_stat = -2;
    g_assert_cmpint (sscanf (info_lines[2], "pid=%d pgid=%d", &pid, &pgid), ==, 2);
    g_assert_cmpint (sscanf (info_lines[3], "pgid_stat=%d", &pgid_stat), ==, 1);
    g_assert_cmpint (pid, >, 0);
    g_assert_cmpint (pid, ==, pgid);
    g_assert_cmpint (pid, ==, pgid_stat);
    g_assert_cmpint (pgid, !=, getpgrp ());
  }
  g_unsetenv ("HOTPLUG_TEST_MARKER");
}

static void
test_run_env_failed (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new ("switchover-failed", "domain", "0001");
  g_autoptr(GHashTable) env = NULL;

  if (!need_root ())
    return;
  req->failed_hook = g_strdup ("40-drain");
  req->failure_reason = g_strdup ("transaction log busy");
  env = run_env_hook (f, req, NULL);
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_HOOK_FAILED_HOOK), ==, "40-drain");
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_HOOK_FAILURE_REASON), ==, "transaction log busy");
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_HOOK_OPERATION), ==, "switchover");
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_HOOK_KIND), ==, "domain");
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_HOOK_FORCE), ==, "0");
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_HOOK_DRY_RUN), ==, "0");
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_HOOK_CPUS), ==, "");
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_HOOK_MEMORY_BYTES), ==, "0");
  g_assert_cmpuint (g_hash_table_size (env), ==, 17);
}

static void
test_run_env_sim (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new ("post-add", "cpu", "cpu3");
  g_autoptr(GHashTable) env = NULL;
  const char *vars[] = { "LD_PRELOAD", "UMOCKDEV_DIR", HOTPLUG_ENV_SIM_ROOT, HOTPLUG_ENV_SIM_SOCKET };
  g_autofree char *old_preload = g_strdup (g_getenv ("LD_PRELOAD"));
  g_autofree char *old_dir = g_strdup (g_getenv ("UMOCKDEV_DIR"));
  const char *preload = old_preload ? old_preload : "libc.so.6";

  if (!need_root ())
    return;
  g_setenv ("LD_PRELOAD", preload, TRUE);
  g_setenv ("UMOCKDEV_DIR", f->tmp, TRUE);
  g_setenv (HOTPLUG_ENV_SIM_ROOT, f->tmp, TRUE);
  g_setenv (HOTPLUG_ENV_SIM_SOCKET, "/run/sim.sock", TRUE);
  g_setenv ("HOTPLUG_TEST_MARKER", "must-not-leak", TRUE);
  env = run_env_hook (f, req, NULL);
  g_assert_cmpstr (g_hash_table_lookup (env, "LD_PRELOAD"), ==, preload);
  g_assert_cmpstr (g_hash_table_lookup (env, "UMOCKDEV_DIR"), ==, f->tmp);
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_ENV_SIM_ROOT), ==, f->tmp);
  g_assert_cmpstr (g_hash_table_lookup (env, HOTPLUG_ENV_SIM_SOCKET), ==, "/run/sim.sock");
  g_assert_false (g_hash_table_contains (env, "HOTPLUG_TEST_MARKER"));
  g_assert_cmpuint (g_hash_table_size (env), ==, 15 + G_N_ELEMENTS (vars));

  g_unsetenv ("HOTPLUG_TEST_MARKER");
  g_unsetenv (HOTPLUG_ENV_SIM_ROOT);
  g_unsetenv (HOTPLUG_ENV_SIM_SOCKET);
  if (old_preload)
    g_setenv ("LD_PRELOAD", old_preload, TRUE);
  else
    g_unsetenv ("LD_PRELOAD");
  if (old_dir)
    g_setenv ("UMOCKDEV_DIR", old_dir, TRUE);
  else
    g_unsetenv ("UMOCKDEV_DIR");
}

static void
test_run_fds (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) result = NULL;
  g_auto(GStrv) lines = NULL;
  int leaked, cloexec;
  guint seen = 0;

  if (!need_root ())
    return;
  /* one descriptor as the daemon holds them, one leaked without O_CLOEXEC
   * (by a library, say): the hook must see neither */
  cloexec = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  leaked = open ("/dev/null", O_RDONLY);
  g_assert_cmpint (leaked, >, 2);
  g_free (write_hook (f, f->admin, "any", "post-add", "10-fds", "exec ls -l /proc/self/fd", 0755));
  result = run (f, "post-add", "sb");
  close (leaked);
  close (cloexec);
  g_assert_cmpint (result->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  lines = g_strsplit (((HotplugHookRecord *) g_ptr_array_index (result->records, 0))->output, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *arrow = strstr (lines[i], " -> ");
      const char *p;
      int fd;

      if (arrow == NULL)
        continue;
      for (p = arrow; p > lines[i] && p[-1] != ' '; p--)
        ;
      fd = atoi (p);
      g_test_message ("%s", lines[i]);
      if (fd == 0)
        g_assert_nonnull (strstr (arrow, "/dev/null"));
      else if (fd == 1 || fd == 2)
        g_assert_nonnull (strstr (arrow, "pipe:"));
      else /* ls's own handle on the directory it lists */
        g_assert_nonnull (strstr (arrow, "/proc/"));
      seen++;
    }
  g_assert_cmpuint (seen, >=, 3);
  g_assert_cmpuint (seen, <=, 4);
}

static void
test_run_veto (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) r1 = NULL;
  g_autoptr(HotplugHookResult) r2 = NULL;
  g_autofree char *log = NULL;
  g_autofree char *body = g_strdup_printf ("echo 20-veto >> '%s'\necho 'checking things'\n"
                                           "echo 'reason=database sb0 still has 3 sessions'\necho done >&2\nexit 3",
                                           f->log);

  if (!need_root ())
    return;
  logging_hook (f, f->admin, "any", "pre-remove", "10-ok", 0);
  g_free (write_hook (f, f->vendor, "sb", "pre-remove", "20-veto", body, 0755));
  logging_hook (f, f->admin, "sb", "pre-remove", "30-after", 0);

  r1 = run (f, "pre-remove", "sb");
  g_assert_cmpint (r1->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
  g_assert_cmpstr (r1->hook, ==, "20-veto");
  g_assert_cmpstr (r1->reason, ==, "database sb0 still has 3 sessions");
  g_assert_cmpuint (r1->records->len, ==, 2);
  {
    HotplugHookRecord *rec = g_ptr_array_index (r1->records, 1);
    g_assert_cmpint (rec->exit_status, ==, 3);
    g_assert_cmpstr (rec->output, ==, "checking things\nreason=database sb0 still has 3 sessions\ndone\n");
  }
  log = read_log (f);
  g_assert_cmpstr (log, ==, "10-ok 20-veto");

  /* without reason=, the runner says what happened */
  g_free (write_hook (f, f->vendor, "sb", "pre-remove", "20-veto", "exit 4", 0755));
  r2 = run (f, "pre-remove", "sb");
  g_assert_cmpint (r2->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
  g_assert_cmpstr (r2->reason, ==, "hook 20-veto exited with status 4");
}

static void
test_run_failed_runs_all (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) failed = NULL;
  g_autoptr(HotplugHookResult) post = NULL;
  g_autofree char *log = NULL;

  if (!need_root ())
    return;
  logging_hook (f, f->admin, "any", "remove-failed", "10-fails", 1);
  logging_hook (f, f->admin, "any", "remove-failed", "20-ok", 0);
  logging_hook (f, f->vendor, "any", "remove-failed", "30-fails", 2);
  logging_hook (f, f->admin, "any", "post-remove", "10-fails", 5);
  logging_hook (f, f->admin, "any", "post-remove", "20-ok", 0);

  failed = run (f, "remove-failed", "sb");
  g_assert_cmpint (failed->outcome, ==, HOTPLUG_HOOK_OUTCOME_FAILED);
  g_assert_cmpuint (failed->records->len, ==, 3);
  g_assert_cmpuint (g_strv_length (failed->failures), ==, 2);
  g_assert_cmpstr (failed->failures[0], ==, "hook 30-fails exited with status 2");
  g_assert_cmpstr (failed->failures[1], ==, "hook 10-fails exited with status 1");
  g_assert_nonnull (strstr (failed->reason, "2 hooks failed"));

  post = run (f, "post-remove", "sb");
  g_assert_cmpint (post->outcome, ==, HOTPLUG_HOOK_OUTCOME_FAILED);
  g_assert_cmpstr (post->reason, ==, "hook 10-fails exited with status 5");
  log = read_log (f);
  g_assert_cmpstr (log, ==, "30-fails 20-ok 10-fails 10-fails 20-ok");
}

static void
test_run_retry (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) r1 = NULL;
  g_autoptr(HotplugHookResult) r2 = NULL;
  g_autoptr(HotplugHookResult) r3 = NULL;
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new ("pre-switchover", "domain", "0001");
  g_autoptr(GError) error = NULL;
  g_autofree char *flag = g_build_filename (f->tmp, "drained", NULL);
  g_autofree char *body = g_strdup_printf ("echo 20-drain >> '%s'\n[ -e '%s' ] && exit 0\n"
                                           "echo 'reason=2 transactions in flight'\nexit 75", f->log, flag);
  g_autofree char *log = NULL;

  if (!need_root ())
    return;
  logging_hook (f, f->admin, "any", "pre-switchover", "10-first", 0);
  g_free (write_hook (f, f->admin, "domain", "pre-switchover", "20-drain", body, 0755));
  logging_hook (f, f->admin, "any", "pre-switchover", "30-last", 0);

  r1 = run_full (f, req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r1->outcome, ==, HOTPLUG_HOOK_OUTCOME_RETRY);
  g_assert_cmpstr (r1->hook, ==, "20-drain");
  g_assert_cmpstr (r1->reason, ==, "2 transactions in flight");

  /* asked again, from the hook that said "not yet" */
  g_file_set_contents (flag, "", 0, NULL);
  req->resume_from = g_strdup (r1->hook);
  r2 = run_full (f, req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r2->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  log = read_log (f);
  g_assert_cmpstr (log, ==, "10-first 20-drain 20-drain 30-last");

  /* 75 means "not yet" only in pre-switchover: elsewhere it is a veto */
  g_free (write_hook (f, f->admin, "any", "pre-add", "10-tempfail", "exit 75", 0755));
  r3 = run (f, "pre-add", "slot");
  g_assert_cmpint (r3->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
}

/* A job recovered after the daemon died: the hooks that already ran for
 * the event are not run again. */
static void
test_run_skip (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new ("remove-failed", "sb", "sb1");
  g_autoptr(HotplugHookResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  const char *const skip[] = { "30-c", NULL };

  if (!need_root ())
    return;
  logging_hook (f, f->vendor, "any", "remove-failed", "10-a", 0);
  logging_hook (f, f->admin, "sb", "remove-failed", "20-b", 0);
  logging_hook (f, f->vendor, "any", "remove-failed", "30-c", 0);
  req->skip = g_strdupv ((char **) skip);
  r = run_full (f, req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  log = read_log (f);
  g_assert_cmpstr (log, ==, "20-b 10-a");
  g_assert_cmpuint (r->records->len, ==, 2);
}

static void
test_run_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) r1 = NULL;
  g_autoptr(HotplugHookResult) r2 = NULL;
  g_autofree char *child1 = g_build_filename (f->tmp, "child1", NULL);
  g_autofree char *child2 = g_build_filename (f->tmp, "child2", NULL);
  g_autofree char *body1 = g_strdup_printf ("sleep 30 &\necho $! > '%s'\nwait", child1);
  g_autofree char *body2 = g_strdup_printf ("trap 'echo got TERM' TERM\n(trap '' TERM; exec sleep 30) &\n"
                                            "echo $! > '%s'\nwhile :; do sleep 0.1; done", child2);
  HotplugHookRecord *rec;
  gint64 t0;
  pid_t pid;

  if (!need_root ())
    return;
  hotplug_config_set_hook_timeout (f->config, "10-slow", 1);
  hotplug_config_set_hook_timeout (f->config, "10-stubborn", 1);
  hotplug_config_set_kill_grace (f->config, 1);
  g_free (write_hook (f, f->admin, "any", "pre-remove", "10-slow", body1, 0755));
  logging_hook (f, f->admin, "any", "pre-remove", "20-never", 0);

  /* SIGTERM is enough: the hook and its child die with it */
  t0 = g_get_monotonic_time ();
  r1 = run (f, "pre-remove", "iou");
  g_assert_cmpint (r1->outcome, ==, HOTPLUG_HOOK_OUTCOME_TIMEOUT);
  g_assert_cmpstr (r1->reason, ==, "hook 10-slow timed out after 1 s");
  g_assert_cmpstr (r1->hook, ==, "10-slow");
  g_assert_cmpuint (r1->records->len, ==, 1);
  rec = g_ptr_array_index (r1->records, 0);
  g_assert_true (rec->timed_out);
  g_assert_cmpint (rec->term_signal, ==, SIGTERM);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 1900000);
  pid = read_pid (child1);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (pid_gone (pid));
  g_assert_false (g_file_test (f->log, G_FILE_TEST_EXISTS));

  /* a hook that traps TERM, with a child that ignores it: SIGKILL for both
   * after the grace period; the main loop keeps running meanwhile */
  g_free (write_hook (f, f->admin, "any", "post-remove", "10-stubborn", body2, 0755));
  f->ticks = 0;
  t0 = g_get_monotonic_time ();
  r2 = run (f, "post-remove", "iou");
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 2000000);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 3000000);
  g_assert_cmpuint (f->ticks, >=, 30);
  g_assert_cmpint (r2->outcome, ==, HOTPLUG_HOOK_OUTCOME_FAILED);
  g_assert_cmpstr (r2->failures[0], ==, "hook 10-stubborn timed out after 1 s");
  rec = g_ptr_array_index (r2->records, 0);
  g_assert_true (rec->timed_out);
  g_assert_cmpint (rec->term_signal, ==, SIGKILL);
  g_assert_nonnull (strstr (rec->output, "got TERM"));
  pid = read_pid (child2);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (pid_gone (pid));
}

static void
test_run_background_child (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) result = NULL;
  g_autofree char *child = g_build_filename (f->tmp, "child", NULL);
  g_autofree char *body = g_strdup_printf ("sleep 30 &\necho $! > '%s'\necho started\nexit 0", child);
  HotplugHookRecord *rec;
  gint64 t0;
  pid_t pid;

  if (!need_root ())
    return;
  g_free (write_hook (f, f->admin, "any", "post-add", "10-daemonize", body, 0755));
  logging_hook (f, f->admin, "any", "post-add", "20-next", 0);
  t0 = g_get_monotonic_time ();
  result = run (f, "post-add", "slot");
  g_test_message ("finished in %" G_GINT64_FORMAT " µs", g_get_monotonic_time () - t0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 1000000);
  g_assert_cmpint (result->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  g_assert_cmpuint (result->records->len, ==, 2);
  rec = g_ptr_array_index (result->records, 0);
  g_assert_cmpstr (rec->output, ==, "started\n");
  /* a normal exit leaves the hook's children alone */
  pid = read_pid (child);
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (kill (pid, 0), ==, 0);
  kill (pid, SIGKILL);
}

static void
test_run_big_output (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) result = NULL;
  HotplugHookRecord *rec;

  if (!need_root ())
    return;
  /* 10 MB in lines of 100 bytes, a reason= line at the very end */
  g_free (write_hook (f, f->admin, "any", "pre-add", "10-chatty",
                      "yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -c 10000000\n"
                      "echo reason=not used: exit 0\nexit 0", 0755));
  logging_hook (f, f->admin, "any", "pre-add", "20-next", 0);
  result = run (f, "pre-add", "sb");
  g_assert_cmpint (result->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  g_assert_cmpuint (result->records->len, ==, 2);
  rec = g_ptr_array_index (result->records, 0);
  g_assert_cmpint (rec->exit_status, ==, 0);
  g_assert_cmpuint (strlen (rec->output), <=, HOTPLUG_HOOK_OUTPUT_MAX + 64);
  g_assert_cmpuint (strlen (rec->output), >=, HOTPLUG_HOOK_OUTPUT_MAX - 200);
  g_assert_cmpuint (rec->output_dropped, >, 10000000 - HOTPLUG_HOOK_OUTPUT_MAX);
  g_assert_true (g_str_has_suffix (rec->output, " bytes dropped]\n"));
  /* the line after the flood was still seen */
  g_assert_cmpstr (rec->reason, ==, "not used: exit 0");
}

/* A reason= line that is not UTF-8, or that is longer than the line limit
 * and cut inside a character: the veto reason survives, valid, cut between
 * characters; the output and its log lines are valid too. */
static void
test_run_reason_utf8 (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) r1 = NULL;
  g_autoptr(HotplugHookResult) r2 = NULL;
  g_autoptr(HotplugHookResult) r3 = NULL;
  HotplugHookRecord *rec;

  if (!need_root ())
    return;
  g_free (write_hook (f, f->admin, "any", "pre-remove", "10-veto",
                      "printf 'reason=disk \\377 in use \\303\\n'\nexit 1", 0755));
  r1 = run (f, "pre-remove", "sb");
  g_assert_cmpint (r1->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
  g_assert_cmpstr (r1->reason, ==, "disk \xef\xbf\xbd in use \xef\xbf\xbd");
  rec = g_ptr_array_index (r1->records, 0);
  g_assert_true (g_utf8_validate (rec->output, -1, NULL));

  /* "reason=" and 3,000 "é": the 4,096-byte piece ends inside one; a NUL
   * in the middle of a line does not end it */
  g_free (write_hook (f, f->admin, "any", "pre-remove", "10-veto",
                      "printf 'x\\000y\\n'\n"
                      "printf reason=; i=0; while [ $i -lt 3000 ]; do printf '\\303\\251'; i=$((i+1)); done; echo\n"
                      "exit 1", 0755));
  r2 = run (f, "pre-remove", "sb");
  g_assert_cmpint (r2->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
  g_assert_true (g_utf8_validate (r2->reason, -1, NULL));
  g_assert_cmpuint (strlen (r2->reason), <=, 4096);
  g_assert_cmpuint (strlen (r2->reason), >=, 4000);
  g_assert_true (g_str_has_prefix (r2->reason, "\xc3\xa9\xc3\xa9"));
  g_assert_true (g_str_has_suffix (r2->reason, "\xc3\xa9\xe2\x80\xa6"));
  g_assert_null (strstr (r2->reason, "\xef\xbf\xbd"));
  rec = g_ptr_array_index (r2->records, 0);
  g_assert_true (g_utf8_validate (rec->output, -1, NULL));
  g_assert_true (g_str_has_prefix (rec->output, "x\xef\xbf\xbdy\n"));
  /* the rest of the line is kept whole: every "é" is in the output */
  g_assert_null (strstr (rec->output, "\xef\xbf\xbd\xc3"));

  /* a hook name that is not UTF-8 is refused, shown valid */
  g_free (write_hook (f, f->admin, "any", "pre-remove", "10-veto", "exit 0", 0755));
  g_free (write_hook (f, f->admin, "any", "pre-remove", "20-n\xff", "exit 1", 0755));
  r3 = run (f, "pre-remove", "sb");
  g_assert_cmpint (r3->outcome, ==, HOTPLUG_HOOK_OUTCOME_OK);
  for (guint i = 0; i < r3->hooks->len; i++)
    {
      HotplugHook *h = g_ptr_array_index (r3->hooks, i);

      g_assert_true (g_utf8_validate (h->name, -1, NULL));
      g_assert_true (g_utf8_validate (h->path, -1, NULL));
      if (g_str_has_prefix (h->name, "20-"))
        {
          g_assert_cmpint (h->status, ==, HOTPLUG_HOOK_REFUSED);
          g_assert_cmpstr (h->name, ==, "20-n\xef\xbf\xbd");
          g_assert_nonnull (strstr (h->reason, "UTF-8"));
        }
    }
}

static void
test_run_crash (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) post = NULL;
  g_autoptr(HotplugHookResult) pre = NULL;
  HotplugHookRecord *rec;

  if (!need_root ())
    return;
  g_free (write_hook (f, f->admin, "any", "post-replace", "10-crash", "kill -SEGV $$", 0755));
  g_free (write_hook (f, f->admin, "any", "pre-replace", "10-crash", "kill -SEGV $$", 0755));
  post = run (f, "post-replace", "iou");
  g_assert_cmpint (post->outcome, ==, HOTPLUG_HOOK_OUTCOME_FAILED);
  rec = g_ptr_array_index (post->records, 0);
  g_assert_cmpint (rec->term_signal, ==, SIGSEGV);
  g_assert_cmpint (rec->exit_status, ==, -1);
  g_assert_true (g_str_has_prefix (post->failures[0], "hook 10-crash was killed by signal 11"));
  pre = run (f, "pre-replace", "iou");
  g_assert_cmpint (pre->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
  g_assert_true (g_str_has_prefix (pre->reason, "hook 10-crash was killed by signal 11"));
}

static void
test_run_not_executable (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) result = NULL;
  g_autofree char *p = NULL;
  HotplugHookRecord *rec;

  if (!need_root ())
    return;
  p = write_hook (f, f->admin, "any", "pre-add", "10-bad-interpreter", "exit 0", 0755);
  g_file_set_contents (p, "#!/nonexistent/interpreter\n", -1, NULL);
  g_chmod (p, 0755);
  result = run (f, "pre-add", "cpu");
  g_assert_cmpint (result->outcome, ==, HOTPLUG_HOOK_OUTCOME_VETOED);
  rec = g_ptr_array_index (result->records, 0);
  g_assert_true (rec->spawn_failed);
  g_assert_true (g_str_has_prefix (result->reason, "hook 10-bad-interpreter could not be executed"));
}

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_run_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookRequest) req = hotplug_hook_request_new ("pre-remove", "sb", "sb0");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) early = g_cancellable_new ();
  g_autoptr(HotplugHookResult) result = NULL;
  g_autoptr(HotplugHookResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *child = g_build_filename (f->tmp, "child", NULL);
  g_autofree char *body = g_strdup_printf ("trap '' TERM\nsleep 30 &\necho $! > '%s'\nwait", child);
  HotplugHookRecord *rec;
  gint64 t0;

  if (!need_root ())
    return;
  hotplug_config_set_kill_grace (f->config, 0.3);
  logging_hook (f, f->admin, "any", "pre-remove", "10-first", 0);
  g_free (write_hook (f, f->admin, "any", "pre-remove", "20-long", body, 0755));
  logging_hook (f, f->admin, "any", "pre-remove", "30-never", 0);

  g_timeout_add (500, cancel_later, cancellable);
  t0 = g_get_monotonic_time ();
  result = run_full (f, req, cancellable, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2000000);
  g_assert_cmpint (result->outcome, ==, HOTPLUG_HOOK_OUTCOME_CANCELLED);
  g_assert_cmpstr (result->hook, ==, "20-long");
  g_assert_cmpuint (result->records->len, ==, 2);
  rec = g_ptr_array_index (result->records, 1);
  g_assert_cmpint (rec->term_signal, ==, SIGKILL);
  g_assert_true (pid_gone (read_pid (child)));

  /* cancelled before it starts: nothing runs */
  g_cancellable_cancel (early);
  r2 = run_full (f, req, early, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r2->outcome, ==, HOTPLUG_HOOK_OUTCOME_CANCELLED);
  g_assert_cmpuint (r2->records->len, ==, 0);
  {
    g_autofree char *log = read_log (f);
    g_assert_cmpstr (log, ==, "10-first");
  }
}

/* ---- the shipped examples ----------------------------------------------- */

static char *
example_path (const char *rel)
{
  const char *src = g_getenv ("HOTPLUG_SOURCE_DIR");

  return g_build_filename (src ? src : ".", "hooks.d", rel, NULL);
}

static int
run_example (const char *rel, const char * const *extra_env, char **out)
{
  g_autofree char *path = example_path (rel);
  const char *argv[] = { path, "pre-remove", "sb0", NULL };
  g_autoptr(GPtrArray) env = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_ptr_array_add (env, (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  g_ptr_array_add (env, (char *) "HOTPLUG_API=1");
  for (guint i = 0; extra_env[i]; i++)
    g_ptr_array_add (env, (char *) extra_env[i]);
  g_ptr_array_add (env, NULL);
  g_spawn_sync (NULL, (char **) argv, (char **) env->pdata, 0,
                NULL, NULL, out, NULL, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s: %s", rel, *out);
  return g_spawn_check_wait_status (status, NULL) ? 0 : (WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

/* Runs ARGV, a process that takes the name NAME once it has exec'd, and
 * waits until it has. */
static GPid
spawn_named (const char * const *argv, const char *name)
{
  g_autoptr(GError) error = NULL;
  GPid pid;

  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                 NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *comm_path = g_strdup_printf ("/proc/%d/comm", pid);
      g_autofree char *comm = NULL;
      if (g_file_get_contents (comm_path, &comm, NULL, NULL) && g_str_has_prefix (comm, name))
        break;
      g_usleep (10000);
    }
  return pid;
}

static void
kill_and_reap (GPid pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
}

/* Not pinned, but last ran on a CPU of the board (a sleeping process stays
 * where it last ran): refused too. */
static void
check_busy_cpus_running_on (const char *conf_env, const char *link, const char *name)
{
  const char *argv[] = { link, "30", NULL };
  g_autofree char *stat_path = NULL;
  g_autofree char *stat = NULL;
  g_autofree char *on_env = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expect = NULL;
  g_auto(GStrv) fields = NULL;
  const char *env[] = { conf_env, NULL, "HOTPLUG_UNIT=sb0", NULL };
  GPid pid = spawn_named (argv, name);

  g_usleep (100000);
  stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_assert_true (g_file_get_contents (stat_path, &stat, NULL, NULL));
  fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >, 37);
  on_env = g_strdup_printf ("HOTPLUG_CPUS=%s", fields[36]);
  env[1] = on_env;
  g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 1);
  expect = g_strdup_printf ("reason=critical processes use the CPUs of sb0: %s (pid %d) running on CPU %s\n",
                            name, pid, fields[36]);
  g_assert_cmpstr (out, ==, expect);
  kill_and_reap (pid);
}

static void
test_example_busy_cpus (Fixture *f, gconstpointer data)
{
  g_autofree char *conf = g_build_filename (f->tmp, "critical-processes", NULL);
  g_autofree char *conf_env = g_strconcat ("HOTPLUG_CRITICAL_PROCESSES=", conf, NULL);
  g_autofree char *name = g_strdup_printf ("hpcrit%d", (int) getpid () % 100000);
  g_autofree char *link = g_build_filename (f->tmp, name, NULL);
  g_autofree char *conf_text = g_strdup_printf ("# test\nsshd  %s\n", name);
  g_autofree char *cpu = NULL;
  g_autofree char *cpus_env = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expect = NULL;
  g_autoptr(GError) error = NULL;
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  const char *argv[] = { "taskset", "-c", NULL, link, "30", NULL };
  GPid pid;

  /* a process with a name of our own, pinned to the last CPU */
  cpu = g_strdup_printf ("%ld", ncpu - 1);
  argv[2] = cpu;
  g_assert_cmpint (symlink ("/bin/sleep", link), ==, 0);
  g_file_set_contents (conf, conf_text, -1, &error);
  g_assert_no_error (error);
  pid = spawn_named (argv, name);

  cpus_env = g_strdup_printf ("HOTPLUG_CPUS=%s", cpu);
  {
    const char *env[] = { conf_env, cpus_env, "HOTPLUG_UNIT=sb0", "HOTPLUG_EVENT=pre-remove", NULL };
    g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 1);
    expect = g_strdup_printf ("reason=critical processes use the CPUs of sb0: %s (pid %d) pinned to CPUs %s\n",
                              name, pid, cpu);
    g_assert_cmpstr (out, ==, expect);
    g_clear_pointer (&out, g_free);
  }
  {
    /* a board with the CPU among others: still pinned there, listed as a range */
    g_autofree char *range_env = g_strdup_printf ("HOTPLUG_CPUS=0-%ld,4096", ncpu - 1);
    const char *env[] = { conf_env, range_env, "HOTPLUG_UNIT=sb0", NULL };
    g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 1);
    g_assert_nonnull (strstr (out, name));
    g_clear_pointer (&out, g_free);
  }
  {
    const char *env[] = { conf_env, cpus_env, "HOTPLUG_UNIT=sb0", "HOTPLUG_FORCE=1", NULL };
    g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 0);
    g_assert_true (g_str_has_prefix (out, "forced remove of sb0"));
    g_clear_pointer (&out, g_free);
  }
  if (ncpu >= 2)
    {
      /* the board has other CPUs only: not pinned there, not running there */
      const char *env[] = { conf_env, "HOTPLUG_CPUS=0", "HOTPLUG_UNIT=sb0", NULL };
      g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 0);
      g_assert_cmpstr (out, ==, "");
      g_clear_pointer (&out, g_free);
    }
  {
    /* nobody of that name: no veto */
    g_autofree char *other_conf = g_build_filename (f->tmp, "other", NULL);
    g_autofree char *other_conf_env = g_strconcat ("HOTPLUG_CRITICAL_PROCESSES=", other_conf, NULL);
    const char *env[] = { other_conf_env, cpus_env, "HOTPLUG_UNIT=sb0", NULL };
    g_file_set_contents (other_conf, "no-such-process-x\n", -1, NULL);
    g_assert_cmpint (run_example ("sb/pre-remove/20-refuse-busy-cpus", env, &out), ==, 0);
    g_clear_pointer (&out, g_free);
  }
  kill_and_reap (pid);
  if (ncpu >= 2)
    check_busy_cpus_running_on (conf_env, link, name);
}

static void
test_example_services (Fixture *f, gconstpointer data)
{
  g_autofree char *conf = g_build_filename (f->tmp, "services", NULL);
  g_autofree char *conf_env = g_strconcat ("HOTPLUG_SERVICES_ON_REMOVE=", conf, NULL);
  g_autofree char *state_env = g_strconcat ("HOTPLUG_HOOK_STATE_DIR=", f->tmp, NULL);
  g_autofree char *out = NULL;

  if (g_file_test ("/run/systemd/system", G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("systemd is running: the example would really stop services");
      return;
    }
  g_file_set_contents (conf, "# services\ndb.service  cache.service\n", -1, NULL);
  {
    const char *env[] = { conf_env, state_env, "HOTPLUG_UNIT=sb2", "HOTPLUG_EVENT=pre-remove", NULL };
    g_assert_cmpint (run_example ("any/pre-remove/50-stop-services", env, &out), ==, 0);
    g_assert_cmpstr (out, ==, "systemd is not running: would stop db.service before removing sb2\n"
                              "systemd is not running: would stop cache.service before removing sb2\n");
    g_clear_pointer (&out, g_free);
  }
  {
    const char *env[] = { conf_env, state_env, "HOTPLUG_UNIT=sb2", "HOTPLUG_DRY_RUN=1", NULL };
    g_assert_cmpint (run_example ("any/pre-remove/50-stop-services", env, &out), ==, 0);
    g_assert_true (g_str_has_prefix (out, "dry run: would stop db.service"));
    g_clear_pointer (&out, g_free);
  }
  {
    const char *env[] = { conf_env, state_env, "HOTPLUG_UNIT=sb2", "HOTPLUG_EVENT=remove-failed", NULL };
    g_assert_cmpint (run_example ("any/remove-failed/50-start-services", env, &out), ==, 0);
    g_assert_nonnull (strstr (out, "would start cache.service after remove-failed of sb2"));
    g_clear_pointer (&out, g_free);
  }
}

static void
test_example_log_event (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  const char *env[] = { "HOTPLUG_EVENT=post-switchover", "HOTPLUG_UNIT=0001", "HOTPLUG_KIND=domain",
                        "HOTPLUG_DRY_RUN=1", NULL };

  for (const char * const *e = hotplug_hook_events (); *e; e++)
    {
      g_autofree char *rel = g_strdup_printf ("any/%s/00-log-event", *e);
      g_autofree char *path = example_path (rel);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE));
    }
  if (g_file_test ("/dev/log", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("a syslog socket exists: the example logs there");
      return;
    }
  /* without syslog, it tells stderr (captured by the runner) */
  {
    g_autofree char *path = example_path ("any/post-switchover/00-log-event");
    const char *argv[] = { path, "post-switchover", "0001", NULL };
    g_autoptr(GError) error = NULL;
    int status;

    g_spawn_sync (NULL, (char **) argv, (char **) env, 0, NULL, NULL, NULL, &out, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_true (g_str_has_prefix (out, "hotplugd-hook: event=post-switchover unit=0001 kind=domain"));
    g_assert_nonnull (strstr (out, "dry_run=1"));
  }
}

static void
test_example_layout (Fixture *f, gconstpointer data)
{
  g_autofree char *root = example_path ("");
  g_autoptr(GPtrArray) hooks = NULL;
  g_autoptr(GPtrArray) failed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;
  g_autofree char *failed_names = NULL;
  struct stat st;

  hooks = hotplug_hooks_discover (root, NULL, "sb", "pre-remove", &error);
  g_assert_no_error (error);
  names = hook_names (hooks);
  g_assert_cmpstr (names, ==, "00-log-event 20-refuse-busy-cpus 50-stop-services");
  failed = hotplug_hooks_discover (root, NULL, "iou", "remove-failed", &error);
  g_assert_no_error (error);
  failed_names = hook_names (failed);
  g_assert_cmpstr (failed_names, ==, "80-kdump-reload 50-start-services 00-log-event");

  /* in a checkout owned by root, the examples pass the trust checks too */
  g_assert_cmpint (stat (root, &st), ==, 0);
  if (geteuid () != 0 || st.st_uid != 0 || (st.st_mode & 022))
    {
      g_test_skip ("source tree not owned by root: trust of the examples not checked");
      return;
    }
  for (guint i = 0; i < hooks->len; i++)
    {
      HotplugHook *h = g_ptr_array_index (hooks, i);
      g_assert_cmpstr (h->reason, ==, NULL);
      g_assert_cmpint (h->status, ==, HOTPLUG_HOOK_RUNNABLE);
    }
}

int
main (int argc, char **argv)
{
  umask (022);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  g_test_add_func ("/hooks/config/parse", test_config_parse);
  g_test_add_func ("/hooks/config/bad", test_config_bad);
  g_test_add_func ("/hooks/config/nul", test_config_nul);
  g_test_add_func ("/hooks/events", test_events);
  ADD ("/hooks/run/bad-request", test_run_bad_request);
  ADD ("/hooks/discover/order", test_discover_order);
  ADD ("/hooks/discover/override", test_discover_override);
  ADD ("/hooks/discover/mask", test_discover_mask);
  ADD ("/hooks/discover/refused", test_discover_refused);
  ADD ("/hooks/run/order", test_run_order);
  ADD ("/hooks/run/env", test_run_env);
  ADD ("/hooks/run/env-failed", test_run_env_failed);
  ADD ("/hooks/run/env-sim", test_run_env_sim);
  ADD ("/hooks/run/fds", test_run_fds);
  ADD ("/hooks/run/veto", test_run_veto);
  ADD ("/hooks/run/failed-runs-all", test_run_failed_runs_all);
  ADD ("/hooks/run/retry", test_run_retry);
  ADD ("/hooks/run/timeout", test_run_timeout);
  ADD ("/hooks/run/skip", test_run_skip);
  ADD ("/hooks/run/background-child", test_run_background_child);
  ADD ("/hooks/run/big-output", test_run_big_output);
  ADD ("/hooks/run/reason-utf8", test_run_reason_utf8);
  ADD ("/hooks/run/crash", test_run_crash);
  ADD ("/hooks/run/not-executable", test_run_not_executable);
  ADD ("/hooks/run/cancel", test_run_cancel);
  ADD ("/hooks/examples/refuse-busy-cpus", test_example_busy_cpus);
  ADD ("/hooks/examples/services", test_example_services);
  ADD ("/hooks/examples/log-event", test_example_log_event);
  ADD ("/hooks/examples/layout", test_example_layout);
#undef ADD

  return g_test_run ();
}
