/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by the parser fuzz harnesses (fuzz-*.c): each defines
 * LLVMFuzzerTestOneInput, runs one of the project's parsers on the input
 * and checks what it handed out.  A broken invariant aborts, so libFuzzer
 * (or the replay driver, fuzz-replay.c) reports it with the input that
 * broke it; so does a GLib critical or error. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                              \
  G_STMT_START {                                                           \
    if (G_UNLIKELY (!(cond)))                                              \
      {                                                                    \
        fprintf (stderr, "%s:%d: invariant failed: %s: ", __FILE__,        \
                 __LINE__, #cond);                                         \
        fprintf (stderr, __VA_ARGS__);                                     \
        fputc ('\n', stderr);                                              \
        abort ();                                                          \
      }                                                                    \
  } G_STMT_END

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  /* what is logged goes to the journal as text: valid UTF-8 only */
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      FUZZ_CHECK (g_utf8_validate (fields[i].value, -1, NULL), "log field %s is not valid UTF-8", fields[i].key);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    {
      for (gsize i = 0; i < n_fields; i++)
        if (g_str_equal (fields[i].key, "MESSAGE"))
          fprintf (stderr, "GLib critical: %s\n", (const char *) fields[i].value);
      abort ();
    }
  /* what the parsers log on the way is not checked here: dropped, so that
   * a run is not slowed down by writing it */
  return G_LOG_WRITER_HANDLED;
}

/* Once per process: criticals abort. */
static inline void
fuzz_init (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      g_once_init_leave (&done, 1);
    }
}

/* TEXT (NUL-terminated) is valid UTF-8; WHAT names it in the report. */
#define FUZZ_CHECK_UTF8(text, what)                                        \
  FUZZ_CHECK (g_utf8_validate ((text), -1, NULL), "%s is not valid UTF-8", (what))

/* "ORIGIN:LINE: ..." names a line of TEXT (1 to its number of lines), or
 * the message names no line ("ORIGIN: ..."). */
static inline void
fuzz_check_line_ref (const char *message, const char *origin, const char *text)
{
  const char *p = message + strlen (origin);
  guint64 line, lines = 1;
  char *end = NULL;

  FUZZ_CHECK (g_str_has_prefix (message, origin), "the message does not start with %s: %s", origin, message);
  if (*p != ':' || !g_ascii_isdigit (p[1]))
    return;
  line = g_ascii_strtoull (p + 1, &end, 10);
  for (const char *c = text; *c; c++)
    lines += *c == '\n';
  FUZZ_CHECK (*end == ':', "no ':' after the line number: %s", message);
  FUZZ_CHECK (line >= 1 && line <= lines, "line %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ": %s",
              line, lines, message);
}

/* The path of a file holding the input (a memfd, made once and rewritten
 * each time), for the loaders that read a file. */
static inline const char *
fuzz_input_file (const uint8_t *data, size_t size)
{
  static int fd = -1;
  static char path[64];

  if (fd < 0)
    {
      fd = memfd_create ("fuzz-input", MFD_CLOEXEC);
      FUZZ_CHECK (fd >= 0, "memfd_create: %s", g_strerror (errno));
      g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
    }
  FUZZ_CHECK (ftruncate (fd, 0) == 0 && pwrite (fd, data, size, 0) == (ssize_t) size, "cannot write %s", path);
  return path;
}
