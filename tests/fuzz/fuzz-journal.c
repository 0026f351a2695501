/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash journal records: hotplug_journal_parse() on any bytes (not
 * NUL-terminated, as read from the file).  Checked: the valid length is
 * within the input and only a torn last line lies past it; every accepted
 * record line starts with its checksum in 8 hex digits; record types
 * are valid UTF-8 without blanks and fields are a{sv}; parsing just the
 * valid part gives the same records; and the records written again by the
 * daemon's own serializer (hotplug_journal_format_record) parse back to
 * the same records, as a whole file. */
#include "config.h"

#include "fuzz-common.h"
#include "hotplug-error.h"
#include "hotplug-journal.h"

static void
check_same (GPtrArray *a, GPtrArray *b, const char *what)
{
  FUZZ_CHECK (a->len == b->len, "%s: %u records, then %u", what, a->len, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      HotplugJournalRecord *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);

      FUZZ_CHECK (g_str_equal (x->type, y->type), "%s: record %u: type %s, then %s", what, i, x->type, y->type);
      FUZZ_CHECK (g_variant_equal (x->fields, y->fields), "%s: record %u: other fields", what, i);
    }
}

/* Each record line of the VALID bytes of TEXT (past the header) as the
 * serializer writes it: 8 hex digits, a blank. */
static void
check_record_lines (const char *text, gsize valid)
{
  const char *line = memchr (text, '\n', valid);

  while (line != NULL && line + 1 < text + valid)
    {
      line++;
      for (guint k = 0; k < 8; k++)
        FUZZ_CHECK (g_ascii_isxdigit (line[k]), "a record whose checksum is not 8 hex digits accepted");
      FUZZ_CHECK (line[8] == ' ', "a record without the blank after its checksum accepted");
      line = memchr (line, '\n', (gsize) (text + valid - line));
    }
}

static void
check_round_trip (GPtrArray *records)
{
  g_autoptr(GString) text = g_string_new ("hotplugd-journal 1\n");
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GError) error = NULL;
  gsize valid = 0;

  for (guint i = 0; i < records->len; i++)
    {
      HotplugJournalRecord *r = g_ptr_array_index (records, i);
      g_autofree char *line = hotplug_journal_format_record (r->type, r->fields);

      FUZZ_CHECK (line != NULL, "record %u cannot be written", i);
      g_string_append (text, line);
    }
  again = hotplug_journal_parse (text->str, text->len, &valid, &error);
  FUZZ_CHECK (again != NULL, "what the serializer wrote does not parse: %s", error->message);
  FUZZ_CHECK (valid == text->len, "what the serializer wrote is torn at %zu of %zu", valid, text->len);
  check_same (records, again, "written again");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) prefix = NULL;
  g_autoptr(GError) error = NULL;
  gsize valid = G_MAXSIZE;

  fuzz_init ();
  records = hotplug_journal_parse (text, size, &valid, &error);
  if (records == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == HOTPLUG_ERROR, "no records and no error of ours");
      FUZZ_CHECK_UTF8 (error->message, "the error message");
      return 0;
    }
  FUZZ_CHECK (error == NULL, "records and an error: %s", error->message);
  FUZZ_CHECK (valid <= size, "valid length %zu of %zu", valid, size);
  FUZZ_CHECK (valid > 0 && text[valid - 1] == '\n', "the valid part does not end a line");
  /* past the valid part: one torn line, ended or not */
  if (valid < size)
    {
      const char *nl = memchr (text + valid, '\n', size - valid);

      FUZZ_CHECK (nl == NULL || nl == text + size - 1, "more than one line past the valid length");
    }
  check_record_lines (text, valid);
  for (guint i = 0; i < records->len; i++)
    {
      HotplugJournalRecord *r = g_ptr_array_index (records, i);

      FUZZ_CHECK_UTF8 (r->type, "a record type");
      FUZZ_CHECK (*r->type && strpbrk (r->type, " \n") == NULL, "record type “%s”", r->type);
      FUZZ_CHECK (g_variant_is_of_type (r->fields, G_VARIANT_TYPE_VARDICT), "fields of type %s",
                  g_variant_get_type_string (r->fields));
    }
  prefix = hotplug_journal_parse (text, valid, NULL, &error);
  FUZZ_CHECK (prefix != NULL, "the valid part alone does not parse: %s", error->message);
  check_same (records, prefix, "the valid part alone");
  check_round_trip (records);
  return 0;
}
