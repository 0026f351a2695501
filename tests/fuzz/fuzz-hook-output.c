/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a hook prints: the bytes go through the hook runner's output path
 * (hotplug_hook_output_feed, then hotplug_hook_output_close) as read from
 * the pipe, cut into reads where the input's first bytes say.  Checked:
 * the kept output and the reason are valid UTF-8 and within their limits;
 * how the reads were cut changes nothing; the reason is the last reason=
 * line (sanitized, trailing blanks gone) when that line is within the
 * line limit; the output is the whole input made valid UTF-8 when nothing
 * was dropped, else a start of it and the count of the bytes dropped.  A
 * flood (the input printed again and again past the output limit) is
 * chosen by the first byte. */
#include "config.h"

#include "fuzz-common.h"
#include "hotplug-hooks-private.h"
#include "hotplug-util.h"

typedef struct {
  char    *output;
  char    *reason;
  guint64  dropped;
} Outcome;

static void
run (const char *data, gsize size, const guint8 *cuts, gsize n_cuts, Outcome *out)
{
  HotplugHookRequest request = { .event = (char *) "pre-remove", .unit = (char *) "sb1", .job = (char *) "7" };
  HotplugHookRecord *record = g_new0 (HotplugHookRecord, 1);
  RunData d = { 0 };
  gsize pos = 0;

  record->name = g_strdup ("50-fuzz");
  d.request = &request;
  d.record = record;
  d.unit_name = (char *) "hotplugd-hook-7-1-50-fuzz.service";
  d.out_fd = -1;
  d.line = g_string_new (NULL);
  d.output = g_string_new (NULL);
  for (gsize i = 0; pos < size; i++)
    {
      /* a read of 1 to 8192 bytes: pipes cut anywhere */
      gsize n = n_cuts ? 1 + (gsize) cuts[i % n_cuts] * 32 + i % 32 : size;

      n = MIN (n, size - pos);
      hotplug_hook_output_feed (&d, data + pos, n);
      pos += n;
    }
  hotplug_hook_output_close (&d);
  out->output = g_steal_pointer (&record->output);
  out->reason = g_steal_pointer (&record->reason);
  out->dropped = record->output_dropped;
  g_string_free (d.line, TRUE);
  hotplug_hook_record_free (record);
}

/* The reason= line the runner must have found: the last line that starts
 * with it (*WHOLE: the line is within the line limit; longer ones are cut
 * and only checked for the ellipsis).  FALSE: there is none. */
static gboolean
expected_reason (const char *data, gsize size, char **reason, gboolean *whole)
{
  const char *p = data, *end = data + size;
  gboolean found = FALSE;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      gsize len = nl ? (gsize) (nl - p) : (gsize) (end - p);

      if (len >= 7 && memcmp (p, "reason=", 7) == 0)
        {
          g_free (*reason);
          *reason = hotplug_utf8_sanitize (p + 7, (gssize) (len - 7), 0);
          g_strchomp (*reason);
          *whole = len <= HOTPLUG_HOOK_LINE_MAX;
          found = TRUE;
        }
      p += len + 1;
    }
  return found;
}

static void
check_outcome (const char *data, gsize size, const Outcome *o)
{
  g_autofree char *want = NULL;
  gboolean whole = FALSE;

  g_autofree char *all = hotplug_utf8_sanitize (data, (gssize) size, 0);

  FUZZ_CHECK_UTF8 (o->output, "the output");
  FUZZ_CHECK (strlen (o->output) <= HOTPLUG_HOOK_OUTPUT_MAX + 64, "%zu bytes of output kept", strlen (o->output));
  if (o->dropped == 0)
    FUZZ_CHECK (g_str_equal (o->output, all), "nothing dropped, yet the output is not the input");
  else
    {
      /* a start of the output, then the count of what was not kept */
      g_autofree char *note = g_strdup_printf ("[%" G_GUINT64_FORMAT " bytes dropped]\n", o->dropped);
      gsize kept = strlen (o->output) - strlen (note);

      FUZZ_CHECK (o->dropped <= size, "%" G_GUINT64_FORMAT " bytes dropped of %zu", o->dropped, size);
      FUZZ_CHECK (g_str_has_suffix (o->output, note), "the output does not end with the count of dropped bytes");
      FUZZ_CHECK (strncmp (o->output, all, kept) == 0, "what was kept is not the start of the output");
    }
  if (!expected_reason (data, size, &want, &whole))
    {
      FUZZ_CHECK (o->reason == NULL, "a reason “%s” from no reason= line", o->reason);
      return;
    }
  FUZZ_CHECK (o->reason != NULL, "a reason= line and no reason");
  FUZZ_CHECK_UTF8 (o->reason, "the reason");
  FUZZ_CHECK (strlen (o->reason) <= HOTPLUG_HOOK_LINE_MAX, "a reason of %zu bytes", strlen (o->reason));
  FUZZ_CHECK (strchr (o->reason, '\n') == NULL, "a newline in the reason");
  if (whole && strlen (want) <= HOTPLUG_HOOK_LINE_MAX)
    FUZZ_CHECK (g_str_equal (o->reason, want), "reason “%s”, expected “%s”", o->reason, want);
  else
    {
      /* cut: a start of the line, then the ellipsis */
      gsize kept = strlen (o->reason) - strlen ("\xe2\x80\xa6");

      FUZZ_CHECK (g_str_has_suffix (o->reason, "\xe2\x80\xa6"), "a cut reason without the ellipsis");
      if (whole)
        FUZZ_CHECK (strncmp (o->reason, want, kept) == 0, "the cut reason is not the start of the line");
    }
}

/* The text a hook prints: the input, or for a flood as many copies of it
 * as make FLOOD_MAX bytes (past the output limit). */
#define FLOOD_MAX (HOTPLUG_HOOK_OUTPUT_MAX + 8192)
#define FLOOD_TEXT_MIN 256

static char *
flood (const char *text, gsize len, gboolean flooding, gsize *out_len)
{
  guint copies = !flooding ? 1 : len > 0 ? (guint) (FLOOD_MAX / len + 1) : 1;
  GString *s = g_string_sized_new (len * copies);

  for (guint i = 0; i < copies; i++)
    g_string_append_len (s, text, (gssize) len);
  *out_len = s->len;
  return g_string_free (s, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* the first byte: how many of the next bytes choose the reads (its low
   * 3 bits), and whether the rest is printed once or floods (0xff, and a
   * text of FLOOD_TEXT_MIN bytes or more: each line costs a log call, and a
   * flood of short lines would slow the run to a crawl) */
  gsize n_cuts = size > 0 ? MIN ((gsize) (data[0] & 7), size - 1) : 0;
  gboolean flooding = size > 0 && data[0] == 0xff && size - 1 - n_cuts >= FLOOD_TEXT_MIN;
  gsize len = 0;
  g_autofree char *text = flood (size > 0 ? (const char *) data + 1 + n_cuts : "",
                                 size > 0 ? size - 1 - n_cuts : 0, flooding, &len);
  Outcome whole = { 0 }, cut = { 0 };

  fuzz_init ();
  run (text, len, NULL, 0, &whole);
  check_outcome (text, len, &whole);
  run (text, len, data + 1, n_cuts, &cut);
  FUZZ_CHECK (g_str_equal (whole.output, cut.output), "the output depends on how the reads were cut");
  FUZZ_CHECK (g_strcmp0 (whole.reason, cut.reason) == 0, "the reason depends on how the reads were cut: “%s”, “%s”",
              whole.reason, cut.reason);
  FUZZ_CHECK (whole.dropped == cut.dropped, "dropped %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
              whole.dropped, cut.dropped);
  g_free (whole.output);
  g_free (whole.reason);
  g_free (cut.output);
  g_free (cut.reason);
  return 0;
}
