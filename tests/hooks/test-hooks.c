/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook runner: its configuration, the events and kinds, how hooks are
 * found (order, overrides, masks, the trust checks). */
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
#include "hooks-fixture.h"

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

/* A hook reached through a symlink that another user owns: its target
 * (a root file in a root directory) passes every check when the hooks are
 * listed, but the owner of the link can point it elsewhere at any time,
 * e.g. while an earlier hook of the same event runs, and hotplugd then
 * runs that user's program as root.  Such a hook is refused (as one whose
 * target directory others can write is). */
static void
test_discover_link_owned_by_user (Fixture *f, gconstpointer data)
{
  g_autoptr(HotplugHookResult) result = NULL;
  g_autoptr(GPtrArray) hooks = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  g_autofree char *link = NULL;
  g_autofree char *good = NULL;
  g_autofree char *evil = NULL;
  g_autofree char *flip = NULL;
  g_autofree char *body = NULL;
  g_autofree char *p = NULL;
  g_autofree char *log = NULL;
  HotplugHook *h;

  if (!need_root ())
    return;

  /* a root hook in a root directory */
  good = write_hook (f, f->tmp, "trusted", "", "hook", "exit 0", 0755);
  /* a user's directory (writable by that user only), with the user's
   * link to that hook and a program of the user's own */
  user = g_build_filename (f->tmp, "user", NULL);
  body = g_strdup_printf ("echo user-program >> '%s'", f->log);
  evil = write_hook (f, f->tmp, "user", "", "program", body, 0755);
  g_assert_cmpint (chown (evil, 65534, 65534), ==, 0);
  g_assert_cmpint (g_chmod (evil, 0755), ==, 0);
  link = g_build_filename (user, "link", NULL);
  g_assert_cmpint (symlink (good, link), ==, 0);
  g_assert_cmpint (lchown (link, 65534, 65534), ==, 0);
  g_assert_cmpint (chown (user, 65534, 65534), ==, 0);
  /* the administrator's hook goes through the user's link */
  p = g_build_filename (f->admin, "any", "pre-remove", "20-via-user-link", NULL);
  logging_hook (f, f->admin, "any", "pre-remove", "05-first", 0);
  g_assert_cmpint (symlink (link, p), ==, 0);

  hooks = hotplug_hooks_discover (f->vendor, f->admin, "sb", "pre-remove", &error);
  g_assert_no_error (error);
  h = find_hook (hooks, "20-via-user-link");
  g_test_message ("20-via-user-link: %s %s", hotplug_hook_status_to_string (h->status), h->reason ? h->reason : "");

  /* what the user does while 10-meanwhile (any earlier hook) runs: point
   * the link at the user's own program (done here by the hook, as root,
   * for the test: the user owns the link and its directory) */
  flip = g_strdup_printf ("ln -sfn '%s' '%s'", evil, link);
  g_free (write_hook (f, f->admin, "any", "pre-remove", "10-meanwhile", flip, 0755));

  result = run (f, "pre-remove", "sb");
  log = read_log (f);
  g_test_message ("log: %s", log);
  g_assert_null (strstr (log, "user-program"));
  g_assert_cmpint (h->status, ==, HOTPLUG_HOOK_REFUSED);
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
  ADD ("/hooks/discover/link-owned-by-user", test_discover_link_owned_by_user);
#undef ADD

  return g_test_run ();
}
