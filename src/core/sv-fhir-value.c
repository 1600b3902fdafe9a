/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-fhir-value.h"

#include "sv-error.h"
#include "sv-json-reader.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

/* Display rules of ../shared/docs/FHIR-DISPLAY.md, as functions of the raw
 * JSON, so that the model, the view and the CLI show exactly the same text.
 * Every function tolerates members of the wrong JSON type: servers send odd
 * data, and a wrong type must read as "absent", never crash. */

#define SNOMED "http://snomed.info/sct"
#define ICD10CM "http://hl7.org/fhir/sid/icd-10-cm"
#define ICD10 "http://hl7.org/fhir/sid/icd-10"
#define RXNORM "http://www.nlm.nih.gov/research/umls/rxnorm"
#define V2_0203 "http://terminology.hl7.org/CodeSystem/v2-0203"
#define US_SSN "http://hl7.org/fhir/sid/us-ssn"

/* The display rules read trees of sv-json-reader.h: for thousands of rows
 * they are many times quicker to make, read and free than json-glib's. */
#define member_string sv_json_node_get_string_member
#define member_object sv_json_node_get_object_member
#define member_array sv_json_node_get_array_member
#define array_object sv_json_node_get_object_element

static gboolean
nonempty (const char *text)
{
  return text != NULL && *text != '\0';
}

/**
 * sv_fhir_member_string:
 * @object: (nullable): a JSON object
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is a string
 */
const char *
sv_fhir_member_string (JsonObject *object,
                       const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/**
 * sv_fhir_member_object:
 * @object: (nullable): a JSON object
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is an object
 */
JsonObject *
sv_fhir_member_object (JsonObject *object,
                       const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/**
 * sv_fhir_member_array:
 * @object: (nullable): a JSON object
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the member if it is an array
 */
JsonArray *
sv_fhir_member_array (JsonObject *object,
                      const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/**
 * sv_fhir_system_label:
 * @system: (nullable): a code system URI
 *
 * Returns: a short label for well-known systems ("SNOMED CT"), else @system
 */
const char *
sv_fhir_system_label (const char *system)
{
  static const struct { const char *uri; const char *label; } systems[] = {
    { SNOMED, "SNOMED CT" },
    { ICD10CM, "ICD-10-CM" },
    { ICD10, "ICD-10" },
    { RXNORM, "RxNorm" },
    { "http://loinc.org", "LOINC" },
    { "http://hl7.org/fhir/sid/ndc", "NDC" },
    { "http://www.whocc.no/atc", "ATC" },
  };

  if (system == NULL)
    return "";

  for (guint i = 0; i < G_N_ELEMENTS (systems); i++)
    if (strcmp (system, systems[i].uri) == 0)
      return systems[i].label;

  return system;
}

static const char *
coding_display_in (const SvJsonNode  *codings,
                   const char *system)
{
  guint n = sv_json_node_get_length (codings);

  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *coding = array_object (codings, i);

      if (g_strcmp0 (member_string (coding, "system"), system) == 0 &&
          nonempty (member_string (coding, "display")))
        return member_string (coding, "display");
    }

  return NULL;
}

/**
 * sv_fhir_concept_display:
 * @concept: (nullable): a CodeableConcept
 * @domain: which systems are preferred
 *
 * The text to show for a CodeableConcept: `text`, then the display of the
 * `userSelected` coding, then the display in the preferred system, then any
 * display, then the code with a short system label, then "Uncoded".
 *
 * Returns: (transfer full): the text, never %NULL
 */
char *
sv_fhir_concept_display (const SvJsonNode   *concept,
                         SvCodeDomain  domain)
{
  static const char *condition_systems[] = { SNOMED, ICD10CM, ICD10, NULL };
  static const char *medication_systems[] = { RXNORM, SNOMED, NULL };
  const char **preferred = NULL;
  const char *text = member_string (concept, "text");
  const SvJsonNode *codings = member_array (concept, "coding");
  guint n;

  if (nonempty (text))
    return g_strdup (text);

  if (codings == NULL)
    return g_strdup (_("Uncoded"));

  n = sv_json_node_get_length (codings);
  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *coding = array_object (codings, i);

      if (sv_json_node_get_boolean (sv_json_node_get_member (coding, "userSelected")) &&
          nonempty (member_string (coding, "display")))
        return g_strdup (member_string (coding, "display"));
    }

  if (domain == SV_CODE_DOMAIN_CONDITION)
    preferred = condition_systems;
  else if (domain == SV_CODE_DOMAIN_MEDICATION)
    preferred = medication_systems;

  for (guint i = 0; preferred != NULL && preferred[i] != NULL; i++)
    {
      const char *display = coding_display_in (codings, preferred[i]);

      if (display != NULL)
        return g_strdup (display);
    }

  for (guint i = 0; i < n; i++)
    {
      const char *display = member_string (array_object (codings, i), "display");

      if (nonempty (display))
        return g_strdup (display);
    }

  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *coding = array_object (codings, i);
      const char *code = member_string (coding, "code");

      if (nonempty (code))
        {
          const char *system = member_string (coding, "system");

          if (system == NULL)
            return g_strdup (code);
          /* Translators: a code without a display, e.g. "SNOMED CT 44054006". */
          return g_strdup_printf (C_("code", "%s %s"), sv_fhir_system_label (system), code);
        }
    }

  return g_strdup (_("Uncoded"));
}

/**
 * sv_fhir_concept_code:
 * @concept: (nullable): a CodeableConcept
 * @system: a code system URI
 *
 * Returns: (transfer none) (nullable): the first code of @system
 */
const char *
sv_fhir_concept_code (const SvJsonNode *concept,
                      const char *system)
{
  const SvJsonNode *codings = member_array (concept, "coding");
  guint n = codings != NULL ? sv_json_node_get_length (codings) : 0;

  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *coding = array_object (codings, i);

      if (g_strcmp0 (member_string (coding, "system"), system) == 0 &&
          nonempty (member_string (coding, "code")))
        return member_string (coding, "code");
    }

  return NULL;
}

/**
 * sv_fhir_concept_has_code:
 * @concept: (nullable): a CodeableConcept
 * @system: (nullable): a code system URI, or %NULL for any
 * @code: a code
 *
 * Returns: whether one of the codings is @system|@code
 */
gboolean
sv_fhir_concept_has_code (const SvJsonNode *concept,
                          const char *system,
                          const char *code)
{
  const SvJsonNode *codings = member_array (concept, "coding");
  guint n = codings != NULL ? sv_json_node_get_length (codings) : 0;

  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *coding = array_object (codings, i);

      if ((system == NULL || g_strcmp0 (member_string (coding, "system"), system) == 0) &&
          g_strcmp0 (member_string (coding, "code"), code) == 0)
        return TRUE;
    }

  return FALSE;
}

/**
 * sv_fhir_data_absent_reason:
 * @element: (nullable): an element, or the `_name` object of a primitive
 *
 * Returns: (transfer full) (nullable): the data-absent-reason code, if any
 */
char *
sv_fhir_data_absent_reason (const SvJsonNode *element)
{
  const SvJsonNode *extensions = member_array (element, "extension");
  guint n = extensions != NULL ? sv_json_node_get_length (extensions) : 0;

  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *extension = array_object (extensions, i);

      if (g_strcmp0 (member_string (extension, "url"), SV_FHIR_DATA_ABSENT_REASON_URL) == 0)
        {
          const char *code = member_string (extension, "valueCode");

          return g_strdup (nonempty (code) ? code : "unknown");
        }
    }

  return NULL;
}

/**
 * sv_fhir_not_known:
 * @reason: (nullable): a data-absent-reason code
 *
 * Returns: (transfer full): "Not known", with the reason when there is one
 */
char *
sv_fhir_not_known (const char *reason)
{
  static const struct { const char *code; const char *text; } reasons[] = {
    { "unknown", N_("unknown") },
    { "asked-unknown", N_("asked, unknown") },
    { "temp-unknown", N_("temporarily unknown") },
    { "not-asked", N_("not asked") },
    { "asked-declined", N_("declined") },
    { "masked", N_("masked") },
    { "not-applicable", N_("not applicable") },
    { "unsupported", N_("not supported") },
    { "as-text", N_("see text") },
    { "error", N_("error") },
    { "not-a-number", N_("not a number") },
    { "negative-infinity", N_("negative infinity") },
    { "positive-infinity", N_("positive infinity") },
    { "not-performed", N_("not performed") },
    { "not-permitted", N_("not permitted") },
  };

  if (!nonempty (reason))
    return g_strdup (_("Not known"));

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (strcmp (reason, reasons[i].code) == 0)
      /* Translators: a value that is missing, with the reason, e.g. "Not known (declined)". */
      return g_strdup_printf (_("Not known (%s)"), _(reasons[i].text));

  return g_strdup_printf (_("Not known (%s)"), reason);
}

static gboolean
parse_digits (const char *text,
              guint       count,
              int        *out)
{
  int value = 0;

  for (guint i = 0; i < count; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      value = value * 10 + (text[i] - '0');
    }

  *out = value;
  return TRUE;
}

/**
 * sv_fhir_date_parse:
 * @text: (nullable): a FHIR date or dateTime (`1961`, `1961-03`, `1961-03-12`, `1961-03-12T08:00:00Z`)
 * @year: (out): the year
 * @month: (out): the month, or 0
 * @day: (out): the day, or 0
 *
 * Returns: how much of the date was given, %SV_DATE_PRECISION_NONE when @text is not a date
 */
SvDatePrecision
sv_fhir_date_parse (const char *text,
                    int        *year,
                    int        *month,
                    int        *day)
{
  gsize len;

  *year = *month = *day = 0;

  if (text == NULL)
    return SV_DATE_PRECISION_NONE;

  len = strlen (text);
  if (len < 4 || !parse_digits (text, 4, year) || *year < 1)
    return SV_DATE_PRECISION_NONE;
  if (len == 4)
    return SV_DATE_PRECISION_YEAR;

  if (len < 7 || text[4] != '-' || !parse_digits (text + 5, 2, month) || *month < 1 || *month > 12)
    goto invalid;
  if (len == 7)
    return SV_DATE_PRECISION_MONTH;

  if (len < 10 || text[7] != '-' || !parse_digits (text + 8, 2, day) ||
      *day < 1 || *day > g_date_get_days_in_month (*month, *year))
    goto invalid;
  if (len == 10)
    return SV_DATE_PRECISION_DAY;

  if (text[10] != 'T')
    goto invalid;

  return SV_DATE_PRECISION_TIME;

invalid:
  *year = *month = *day = 0;
  return SV_DATE_PRECISION_NONE;
}

/**
 * sv_fhir_date_format:
 * @text: (nullable): a FHIR date or dateTime
 *
 * Formats a date for people: a full date in the locale's words
 * ("12 Mar 1961"), a partial one as given ("1961", "Mar 1961"); the time of
 * a dateTime is left out, as lists show days. Text that is not a date is
 * returned unchanged rather than hidden.
 *
 * Returns: (transfer full) (nullable): the text, %NULL for %NULL
 */
char *
sv_fhir_date_format (const char *text)
{
  g_autoptr(GDateTime) date = NULL;
  int year, month, day;

  if (text == NULL)
    return NULL;

  switch (sv_fhir_date_parse (text, &year, &month, &day))
    {
    case SV_DATE_PRECISION_NONE:
      return g_strdup (text);

    case SV_DATE_PRECISION_YEAR:
      return g_strdup_printf ("%04d", year);

    case SV_DATE_PRECISION_MONTH:
      date = g_date_time_new_utc (year, month, 1, 0, 0, 0);
      /* Translators: a month and year, strftime format, e.g. "Mar 1961". */
      return g_date_time_format (date, C_("date", "%b %Y"));

    case SV_DATE_PRECISION_DAY:
    case SV_DATE_PRECISION_TIME:
    default:
      date = g_date_time_new_utc (year, month, day, 0, 0, 0);
      /* Translators: a full date, strftime format, e.g. "12 Mar 1961". */
      return g_date_time_format (date, C_("date", "%-d %b %Y"));
    }
}

/**
 * sv_fhir_date_sort_key:
 * @text: (nullable): a FHIR date or dateTime
 *
 * A key that orders dates of any precision; a partial date sorts as the
 * start of its period, an absent or invalid one before all dates.
 *
 * Returns: the key
 */
gint64
sv_fhir_date_sort_key (const char *text)
{
  int year, month, day;
  SvDatePrecision precision = sv_fhir_date_parse (text, &year, &month, &day);
  gint64 key;

  if (precision == SV_DATE_PRECISION_NONE)
    return G_MININT64;

  key = ((gint64) year * 100 + MAX (month, 1)) * 100 + MAX (day, 1);
  key *= 1000000;

  if (precision == SV_DATE_PRECISION_TIME)
    {
      g_autoptr(GDateTime) parsed = g_date_time_new_from_iso8601 (text, NULL);

      if (parsed != NULL)
        {
          g_autoptr(GDateTime) utc = g_date_time_to_utc (parsed);

          key += g_date_time_get_hour (utc) * 10000 + g_date_time_get_minute (utc) * 100 +
                 g_date_time_get_second (utc);
        }
    }

  return key;
}

/**
 * sv_fhir_age_in_years:
 * @birth_date: (nullable): a FHIR date
 * @now: today
 *
 * Returns: the age in whole years, or -1 when it cannot be known
 */
int
sv_fhir_age_in_years (const char *birth_date,
                      GDateTime  *now)
{
  int year, month, day, age;

  if (sv_fhir_date_parse (birth_date, &year, &month, &day) < SV_DATE_PRECISION_DAY)
    return -1;

  age = g_date_time_get_year (now) - year;
  if (g_date_time_get_month (now) < month ||
      (g_date_time_get_month (now) == month && g_date_time_get_day_of_month (now) < day))
    age--;

  return age >= 0 ? age : -1;
}

static const SvJsonNode *
patient_preferred_name (const SvJsonNode *names)
{
  guint n = sv_json_node_get_length (names);

  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *name = array_object (names, i);

      if (g_strcmp0 (member_string (name, "use"), "official") == 0)
        return name;
    }

  return n > 0 ? array_object (names, 0) : NULL;
}

/**
 * sv_fhir_patient_name:
 * @patient: a Patient resource
 *
 * The `official` HumanName, else the first; its `text`, else the given names
 * and the family name; "Not known (reason)" when the name is absent.
 *
 * Returns: (transfer full): the name, never %NULL
 */
char *
sv_fhir_patient_name (const SvJsonNode *patient)
{
  const SvJsonNode *names = member_array (patient, "name");
  const SvJsonNode *name = names != NULL ? patient_preferred_name (names) : NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GString) text = NULL;
  const SvJsonNode *given;

  if (name == NULL)
    return sv_fhir_not_known (NULL);

  if (nonempty (member_string (name, "text")))
    return g_strdup (member_string (name, "text"));

  text = g_string_new (NULL);
  given = member_array (name, "given");
  for (guint i = 0; given != NULL && i < sv_json_node_get_length (given); i++)
    {
      const char *part = sv_json_node_get_string (sv_json_node_get_element (given, i));

      if (nonempty (part))
        {
          if (text->len > 0)
            g_string_append_c (text, ' ');
          g_string_append (text, part);
        }
    }

  if (nonempty (member_string (name, "family")))
    {
      if (text->len > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, member_string (name, "family"));
    }

  if (text->len > 0)
    return g_string_free (g_steal_pointer (&text), FALSE);

  reason = sv_fhir_data_absent_reason (name);
  return sv_fhir_not_known (reason);
}

/**
 * sv_fhir_patient_birth:
 * @patient: a Patient resource
 * @now: today, for the age
 *
 * Returns: (transfer full): "12 Mar 1961 (63 y)", a partial date as given,
 *   or "Not known (reason)"
 */
char *
sv_fhir_patient_birth (const SvJsonNode *patient,
                       GDateTime  *now)
{
  const char *birth_date = member_string (patient, "birthDate");
  g_autofree char *formatted = NULL;
  int age;

  if (!nonempty (birth_date))
    {
      g_autofree char *reason = sv_fhir_data_absent_reason (member_object (patient, "_birthDate"));

      return sv_fhir_not_known (reason);
    }

  formatted = sv_fhir_date_format (birth_date);
  age = sv_fhir_age_in_years (birth_date, now);
  if (age < 0)
    return g_steal_pointer (&formatted);

  /* Translators: a birth date and the age in years, e.g. "12 Mar 1961 (63 y)". */
  return g_strdup_printf (_("%s (%d y)"), formatted, age);
}

/**
 * sv_fhir_patient_mrn:
 * @patient: a Patient resource
 * @label: (out) (optional) (transfer full): the identifier type's text, e.g. "Medical Record Number"
 *
 * The identifier whose type is v2-0203 `MR`. A social security number is
 * never returned, whatever its type says.
 *
 * Returns: (transfer full) (nullable): the MRN
 */
char *
sv_fhir_patient_mrn (const SvJsonNode  *patient,
                     char       **label)
{
  const SvJsonNode *identifiers = member_array (patient, "identifier");
  guint n = identifiers != NULL ? sv_json_node_get_length (identifiers) : 0;

  if (label != NULL)
    *label = NULL;

  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *identifier = array_object (identifiers, i);
      const SvJsonNode *type = member_object (identifier, "type");
      const char *value = member_string (identifier, "value");

      if (!nonempty (value) || g_strcmp0 (member_string (identifier, "system"), US_SSN) == 0)
        continue;

      if (sv_fhir_concept_has_code (type, V2_0203, "MR"))
        {
          if (label != NULL)
            {
              const char *text = member_string (type, "text");

              *label = g_strdup (nonempty (text) ? text : _("MRN"));
            }
          return g_strdup (value);
        }
    }

  return NULL;
}

/**
 * sv_fhir_quantity_display:
 * @quantity: (nullable): a Quantity (or Age, Duration…)
 *
 * Returns: (transfer full) (nullable): "45 a", "1 tablet", the number alone
 *   without a unit, %NULL without a value
 */
char *
sv_fhir_quantity_display (const SvJsonNode *quantity)
{
  const SvJsonNode *value = sv_json_node_get_member (quantity, "value");
  const char *unit;
  g_autofree char *number = NULL;

  if (sv_json_node_get_node_type (value) == SV_JSON_INT)
    number = g_strdup_printf ("%" G_GINT64_FORMAT, sv_json_node_get_int (value));
  else if (sv_json_node_get_node_type (value) == SV_JSON_DOUBLE)
    number = g_strdup_printf ("%g", sv_json_node_get_double (value, 0));
  else
    return NULL;

  unit = member_string (quantity, "unit");
  if (!nonempty (unit))
    unit = member_string (quantity, "code");

  return nonempty (unit) ? g_strdup_printf ("%s %s", number, unit) : g_steal_pointer (&number);
}

/**
 * sv_fhir_choice_display:
 * @resource: a resource
 * @prefix: the choice element's name without its type, e.g. "onset"
 *
 * Shows an `[x]` element whatever its type: dateTime, Period, Age, Range or
 * string, as Condition.onset[x] and abatement[x] may be.
 *
 * Returns: (transfer full) (nullable): the text, %NULL when absent
 */
char *
sv_fhir_choice_display (const SvJsonNode *resource,
                        const char *prefix)
{
  g_autofree char *name = NULL;
  const SvJsonNode *object;
  const char *text;

  name = g_strconcat (prefix, "DateTime", NULL);
  if ((text = member_string (resource, name)) != NULL)
    return sv_fhir_date_format (text);

  g_free (name);
  name = g_strconcat (prefix, "String", NULL);
  if ((text = member_string (resource, name)) != NULL)
    return g_strdup (text);

  g_free (name);
  name = g_strconcat (prefix, "Period", NULL);
  if ((object = member_object (resource, name)) != NULL)
    {
      g_autofree char *start = sv_fhir_date_format (member_string (object, "start"));
      g_autofree char *end = sv_fhir_date_format (member_string (object, "end"));

      if (start != NULL && end != NULL)
        /* Translators: a period from one date to another. */
        return g_strdup_printf (_("%s – %s"), start, end);
      if (start != NULL)
        /* Translators: a period with a start only. */
        return g_strdup_printf (_("since %s"), start);
      if (end != NULL)
        /* Translators: a period with an end only. */
        return g_strdup_printf (_("until %s"), end);
      return NULL;
    }

  g_free (name);
  name = g_strconcat (prefix, "Age", NULL);
  if ((object = member_object (resource, name)) != NULL)
    {
      g_autofree char *age = sv_fhir_quantity_display (object);

      /* Translators: an age at which something began, e.g. "at age 45 a". */
      return age != NULL ? g_strdup_printf (_("at age %s"), age) : NULL;
    }

  g_free (name);
  name = g_strconcat (prefix, "Range", NULL);
  if ((object = member_object (resource, name)) != NULL)
    {
      g_autofree char *low = sv_fhir_quantity_display (member_object (object, "low"));
      g_autofree char *high = sv_fhir_quantity_display (member_object (object, "high"));

      if (low != NULL && high != NULL)
        /* Translators: an age range, e.g. "at age 40 a – 45 a". */
        return g_strdup_printf (_("at age %s – %s"), low, high);
      if (low != NULL)
        return g_strdup_printf (_("at age %s or older"), low);
      if (high != NULL)
        return g_strdup_printf (_("at age %s or younger"), high);
      return NULL;
    }

  return NULL;
}

G_DEFINE_BOXED_TYPE (SvCoding, sv_coding, sv_coding_copy, sv_coding_free)

/**
 * sv_coding_copy:
 * @coding: a #SvCoding
 *
 * Returns: (transfer full): a copy
 */
SvCoding *
sv_coding_copy (const SvCoding *coding)
{
  SvCoding *copy = g_new0 (SvCoding, 1);

  copy->system = g_strdup (coding->system);
  copy->code = g_strdup (coding->code);
  copy->display = g_strdup (coding->display);
  return copy;
}

/**
 * sv_coding_free:
 * @coding: (nullable): a #SvCoding
 */
void
sv_coding_free (SvCoding *coding)
{
  if (coding == NULL)
    return;

  g_free (coding->system);
  g_free (coding->code);
  g_free (coding->display);
  g_free (coding);
}

/**
 * sv_fhir_concept_codings:
 * @concept: (nullable): a CodeableConcept
 *
 * Returns: (transfer full) (element-type SvCoding): all its codings, in order
 */
GPtrArray *
sv_fhir_concept_codings (const SvJsonNode *concept)
{
  const SvJsonNode *codings = member_array (concept, "coding");
  guint n = codings != NULL ? sv_json_node_get_length (codings) : 0;
  GPtrArray *result = g_ptr_array_new_full (n, (GDestroyNotify) sv_coding_free);

  for (guint i = 0; i < n; i++)
    {
      const SvJsonNode *coding = array_object (codings, i);
      SvCoding *item;

      if (coding == NULL)
        continue;

      item = g_new0 (SvCoding, 1);
      item->system = g_strdup (member_string (coding, "system"));
      item->code = g_strdup (member_string (coding, "code"));
      item->display = g_strdup (member_string (coding, "display"));
      g_ptr_array_add (result, item);
    }

  return result;
}

/**
 * sv_fhir_status_code:
 * @concept: (nullable): a status CodeableConcept, e.g. Condition.clinicalStatus
 * @system: the status code system
 *
 * Servers sometimes leave out the system of a status coding: the first code
 * is taken when none has @system.
 *
 * Returns: (transfer none) (nullable): the status code
 */
const char *
sv_fhir_status_code (const SvJsonNode *concept,
                     const char *system)
{
  const char *code = sv_fhir_concept_code (concept, system);
  const SvJsonNode *codings;

  if (code != NULL)
    return code;

  codings = member_array (concept, "coding");
  for (guint i = 0; codings != NULL && i < sv_json_node_get_length (codings); i++)
    if (nonempty (member_string (array_object (codings, i), "code")))
      return member_string (array_object (codings, i), "code");

  return NULL;
}

static const char *
period_unit_adverb (const char *unit)
{
  static const struct { const char *code; const char *text; } units[] = {
    { "s", N_("every second") },
    { "min", N_("every minute") },
    { "h", N_("hourly") },
    { "d", N_("daily") },
    { "wk", N_("weekly") },
    { "mo", N_("monthly") },
    { "a", N_("yearly") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_strcmp0 (unit, units[i].code) == 0)
      return _(units[i].text);

  return NULL;
}

static double
member_number (const SvJsonNode *object,
               const char       *name,
               double            fallback)
{
  return sv_json_node_get_double (sv_json_node_get_member (object, name), fallback);
}

static char *
timing_display (const SvJsonNode *timing)
{
  const SvJsonNode *code = member_object (timing, "code");
  const SvJsonNode *repeat = member_object (timing, "repeat");
  const char *unit;
  double frequency, period;

  if (code != NULL)
    return sv_fhir_concept_display (code, SV_CODE_DOMAIN_OTHER);

  if (repeat == NULL)
    return NULL;

  unit = member_string (repeat, "periodUnit");
  period = member_number (repeat, "period", 0);
  frequency = member_number (repeat, "frequency", 1);
  if (unit == NULL || period <= 0)
    return NULL;

  if (period == 1 && period_unit_adverb (unit) != NULL)
    /* Translators: how often a dose is taken, e.g. "2 × daily". */
    return g_strdup_printf (_("%g × %s"), frequency, period_unit_adverb (unit));

  /* Translators: how often a dose is taken, e.g. "1 × every 8 h"; the unit is a UCUM code. */
  return g_strdup_printf (_("%g × every %g %s"), frequency, period, unit);
}

/**
 * sv_fhir_dosage_display:
 * @dosage: (nullable): a Dosage
 *
 * Its `text`, else a summary of dose, timing, route and "as needed".
 *
 * Returns: (transfer full) (nullable): the text, %NULL when nothing is said
 */
char *
sv_fhir_dosage_display (const SvJsonNode *dosage)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const SvJsonNode *dose_and_rate;
  const SvJsonNode *first = NULL;
  char *part;

  if (dosage == NULL)
    return NULL;

  if (nonempty (member_string (dosage, "text")))
    return g_strdup (member_string (dosage, "text"));

  dose_and_rate = member_array (dosage, "doseAndRate");
  if (dose_and_rate != NULL && sv_json_node_get_length (dose_and_rate) > 0)
    first = array_object (dose_and_rate, 0);
  if ((part = sv_fhir_quantity_display (member_object (first, "doseQuantity"))) != NULL)
    {
      /* Translators: the amount of one dose, e.g. "dose 2 tablet". */
      g_ptr_array_add (parts, g_strdup_printf (_("dose %s"), part));
      g_free (part);
    }
  else if (member_object (first, "doseRange") != NULL)
    {
      const SvJsonNode *range = member_object (first, "doseRange");
      g_autofree char *low = sv_fhir_quantity_display (member_object (range, "low"));
      g_autofree char *high = sv_fhir_quantity_display (member_object (range, "high"));

      if (low != NULL && high != NULL)
        g_ptr_array_add (parts, g_strdup_printf (_("dose %s – %s"), low, high));
    }

  if ((part = timing_display (member_object (dosage, "timing"))) != NULL)
    g_ptr_array_add (parts, part);

  if (member_object (dosage, "route") != NULL)
    g_ptr_array_add (parts, sv_fhir_concept_display (member_object (dosage, "route"),
                                                     SV_CODE_DOMAIN_OTHER));

  if (sv_json_node_get_boolean (sv_json_node_get_member (dosage, "asNeededBoolean")))
    g_ptr_array_add (parts, g_strdup (_("as needed")));
  else if (member_object (dosage, "asNeededCodeableConcept") != NULL)
    {
      g_autofree char *what = sv_fhir_concept_display (member_object (dosage, "asNeededCodeableConcept"),
                                                       SV_CODE_DOMAIN_CONDITION);

      /* Translators: a dose taken when needed for something, e.g. "as needed for pain". */
      g_ptr_array_add (parts, g_strdup_printf (_("as needed for %s"), what));
    }

  if (parts->len == 0)
    return NULL;

  g_ptr_array_add (parts, NULL);
  return g_strjoinv (", ", (char **) parts->pdata);
}

/**
 * sv_fhir_notes_text:
 * @resource: a resource with `note` (Annotation)
 *
 * Returns: (transfer full) (nullable): the notes' texts, one per line
 */
char *
sv_fhir_notes_text (const SvJsonNode *resource)
{
  const SvJsonNode *notes = member_array (resource, "note");
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; notes != NULL && i < sv_json_node_get_length (notes); i++)
    {
      const char *line = member_string (array_object (notes, i), "text");

      if (!nonempty (line))
        continue;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, line);
    }

  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static gboolean
find_score (const SvJsonNode *extension,
            double     *score)
{
  const char *url = member_string (extension, "url");
  const SvJsonNode *nested = member_array (extension, "extension");

  if (url != NULL && strstr (url, "score") != NULL &&
      sv_json_node_get_member (extension, "valueDecimal") != NULL)
    {
      double value = member_number (extension, "valueDecimal", -1);

      if (value >= 0)
        {
          *score = value;
          return TRUE;
        }
    }

  for (guint i = 0; nested != NULL && i < sv_json_node_get_length (nested); i++)
    if (find_score (array_object (nested, i), score))
      return TRUE;

  return FALSE;
}

/**
 * sv_fhir_inferred_confidence:
 * @resource: a resource
 * @confidence: (out): the confidence, -1 when the extension has none
 *
 * Whether HealthLake's NLP inferred @resource from clinical notes: it then
 * carries an extension or modifierExtension whose url starts with
 * `http://healthlake.amazonaws.com/`. The confidence is the first
 * `valueDecimal` found, depth first, under such an extension in an
 * extension whose url contains "score" (HealthLake nests the entity score
 * that way); when there are several scores, the first is the one of the
 * whole entity, which is what the user needs.
 *
 * Returns: %TRUE when @resource was inferred
 */
gboolean
sv_fhir_inferred_confidence (const SvJsonNode *resource,
                             double     *confidence)
{
  /* HealthLake's documented shape puts the scores in modifierExtension;
   * other exports use extension: both are read. */
  static const char *members[] = { "modifierExtension", "extension" };
  gboolean inferred = FALSE;

  *confidence = -1;
  for (guint m = 0; m < G_N_ELEMENTS (members); m++)
    {
      const SvJsonNode *extensions = member_array (resource, members[m]);

      for (guint i = 0; extensions != NULL && i < sv_json_node_get_length (extensions); i++)
        {
          const SvJsonNode *extension = array_object (extensions, i);
          const char *url = member_string (extension, "url");

          if (url == NULL || !g_str_has_prefix (url, SV_FHIR_HEALTHLAKE_EXTENSION_PREFIX))
            continue;

          inferred = TRUE;
          if (*confidence < 0 && find_score (extension, confidence))
            return TRUE;
        }
    }

  return inferred;
}

/**
 * sv_fhir_reference_id:
 * @reference: (nullable): a Reference.reference, e.g. "Condition/123"
 * @resource_type: the type it should point to
 *
 * Only relative references ("Type/id", optionally with "/_history/…") are
 * taken; an absolute URL is not, as it may name another server.
 *
 * Returns: (transfer full) (nullable): the id
 */
char *
sv_fhir_reference_id (const char *reference,
                      const char *resource_type)
{
  g_autofree char *prefix = NULL;
  const char *id;
  const char *end;

  if (reference == NULL || resource_type == NULL)
    return NULL;

  prefix = g_strconcat (resource_type, "/", NULL);
  if (!g_str_has_prefix (reference, prefix))
    return NULL;

  id = reference + strlen (prefix);
  end = strchr (id, '/');
  if (end == NULL)
    end = id + strlen (id);
  if (end == id)
    return NULL;

  return g_strndup (id, end - id);
}

/**
 * sv_fhir_resource_check:
 * @resource: (nullable): what should be a resource
 * @resource_type: the type it must have
 * @members: the members whose JSON type is checked when present, separated
 *   by spaces, each prefixed by its kind: "o:" object, "a:" array, "s:" string,
 *   "b:" boolean
 * @error: return location for a #GError
 *
 * Decides whether a resource can be shown at all: it must be an object of
 * @resource_type with an id, and members the view relies on must not have
 * the wrong JSON type. Anything else odd is tolerated by the display rules.
 *
 * Returns: %TRUE when @resource can be read
 */
gboolean
sv_fhir_resource_check (const SvJsonNode  *resource,
                        const char        *resource_type,
                        const char        *members,
                        GError           **error)
{
  const char *next;

  if (resource == NULL || g_strcmp0 (member_string (resource, "resourceType"), resource_type) != 0)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL,
                   _("It is not a %s."), resource_type);
      return FALSE;
    }

  if (!nonempty (member_string (resource, "id")))
    {
      g_set_error_literal (error, SV_ERROR, SV_ERROR_PROTOCOL, _("It has no id."));
      return FALSE;
    }

  /* Walked in place: this runs for every row of a large record. */
  for (const char *spec = members != NULL ? members : ""; *spec != '\0'; spec = next)
    {
      gsize length = strcspn (spec, " ");
      char name[64];
      const SvJsonNode *node;
      SvJsonType type;
      gboolean ok;

      next = spec + length + (spec[length] == ' ');
      if (length < 3 || length - 2 >= sizeof name)
        continue;
      memcpy (name, spec + 2, length - 2);
      name[length - 2] = '\0';

      if ((node = sv_json_node_get_member (resource, name)) == NULL)
        continue;

      type = sv_json_node_get_node_type (node);
      switch (spec[0])
        {
        case 'o':
          ok = type == SV_JSON_OBJECT;
          break;
        case 'a':
          ok = type == SV_JSON_ARRAY;
          break;
        case 's':
          ok = type == SV_JSON_STRING;
          break;
        case 'b':
          ok = type == SV_JSON_BOOLEAN;
          break;
        default:
          ok = TRUE;
        }

      if (!ok)
        {
          /* Translators: a FHIR element name, e.g. "clinicalStatus". */
          g_set_error (error, SV_ERROR, SV_ERROR_PROTOCOL, _("Its element “%s” is not valid."), name);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * sv_fhir_resource_from_text:
 * @text: (nullable): a resource's JSON text that was read once already
 *
 * Returns: (transfer full) (nullable): the resource's tree, %NULL when
 *   @text is %NULL or not a JSON object
 */
JsonObject *
sv_fhir_resource_from_text (GBytes *text)
{
  g_autoptr(JsonNode) root = NULL;
  gsize size = 0;
  const char *data = text != NULL ? g_bytes_get_data (text, &size) : NULL;

  if (data == NULL || size == 0)
    return NULL;

  root = sv_json_reader_parse (data, size, NULL, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/**
 * sv_fhir_resource_pretty_text:
 * @resource: (nullable): a resource's tree
 * @text: (nullable): its JSON text, used when @resource is %NULL
 *
 * Returns: (transfer full): the resource as indented JSON, for people to
 *   read ("{}" when there is neither)
 */
char *
sv_fhir_resource_pretty_text (JsonObject *resource,
                              GBytes     *text)
{
  g_autoptr(JsonObject) read = resource == NULL ? sv_fhir_resource_from_text (text) : NULL;
  g_autoptr(JsonNode) node = json_node_alloc ();

  if (resource == NULL)
    resource = read;
  if (resource == NULL)
    return g_strdup ("{}");

  json_node_init_object (node, resource);
  return json_to_string (node, TRUE);
}

/**
 * sv_fhir_resource_text:
 * @resource: a resource's tree
 *
 * Returns: (transfer full): the resource as compact JSON text
 */
GBytes *
sv_fhir_resource_text (JsonObject *resource)
{
  g_autoptr(JsonNode) node = json_node_alloc ();
  char *text;

  json_node_init_object (node, resource);
  text = json_to_string (node, FALSE);
  return g_bytes_new_take (text, strlen (text));
}
