/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook runner running hooks: order, environment, descriptors, vetoes,
 * retries, timeouts, output, crashes, cancellation. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hotplug-config.h"
#include "hotplug-error.h"
#include "hotplug-hooks.h"
#include "hotplug-names.h"
#include "hooks-fixture.h"

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
  /* not the test's own: under valgrind that names valgrind's preloads,
   * which valgrind takes out of every child's environment */
  const char *preload = "libc.so.6";

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
  /* valgrind's preloads are in the environment of the programs it runs */
  if (strstr (g_getenv ("LD_PRELOAD") ? g_getenv ("LD_PRELOAD") : "", "vgpreload"))
    {
      g_test_skip ("under valgrind, whose forked child dies when its execve fails");
      return;
    }
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

int
main (int argc, char **argv)
{
  umask (022);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
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
#undef ADD

  return g_test_run ();
}
