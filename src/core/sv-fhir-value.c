/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-fhir-value.h"

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

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;

  node = json_object_get_member (object, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;

  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;

  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
array_object (JsonArray *array,
              guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
nonempty (const char *text)
{
  return text != NULL && *text != '\0';
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
coding_display_in (JsonArray  *codings,
                   const char *system)
{
  guint n = json_array_get_length (codings);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *coding = array_object (codings, i);

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
sv_fhir_concept_display (JsonObject   *concept,
                         SvCodeDomain  domain)
{
  static const char *condition_systems[] = { SNOMED, ICD10CM, ICD10, NULL };
  static const char *medication_systems[] = { RXNORM, SNOMED, NULL };
  const char **preferred = NULL;
  const char *text = member_string (concept, "text");
  JsonArray *codings = member_array (concept, "coding");
  guint n;

  if (nonempty (text))
    return g_strdup (text);

  if (codings == NULL)
    return g_strdup (_("Uncoded"));

  n = json_array_get_length (codings);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *coding = array_object (codings, i);
      JsonNode *selected = coding != NULL && json_object_has_member (coding, "userSelected")
        ? json_object_get_member (coding, "userSelected") : NULL;

      if (selected != NULL && JSON_NODE_HOLDS_VALUE (selected) &&
          json_node_get_value_type (selected) == G_TYPE_BOOLEAN &&
          json_node_get_boolean (selected) &&
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
      JsonObject *coding = array_object (codings, i);
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
sv_fhir_concept_code (JsonObject *concept,
                      const char *system)
{
  JsonArray *codings = member_array (concept, "coding");
  guint n = codings != NULL ? json_array_get_length (codings) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *coding = array_object (codings, i);

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
sv_fhir_concept_has_code (JsonObject *concept,
                          const char *system,
                          const char *code)
{
  JsonArray *codings = member_array (concept, "coding");
  guint n = codings != NULL ? json_array_get_length (codings) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *coding = array_object (codings, i);

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
sv_fhir_data_absent_reason (JsonObject *element)
{
  JsonArray *extensions = member_array (element, "extension");
  guint n = extensions != NULL ? json_array_get_length (extensions) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *extension = array_object (extensions, i);

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

static JsonObject *
patient_preferred_name (JsonArray *names)
{
  guint n = json_array_get_length (names);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *name = array_object (names, i);

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
sv_fhir_patient_name (JsonObject *patient)
{
  JsonArray *names = member_array (patient, "name");
  JsonObject *name = names != NULL ? patient_preferred_name (names) : NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GString) text = NULL;
  JsonArray *given;

  if (name == NULL)
    return sv_fhir_not_known (NULL);

  if (nonempty (member_string (name, "text")))
    return g_strdup (member_string (name, "text"));

  text = g_string_new (NULL);
  given = member_array (name, "given");
  for (guint i = 0; given != NULL && i < json_array_get_length (given); i++)
    {
      JsonNode *node = json_array_get_element (given, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
          nonempty (json_node_get_string (node)))
        {
          if (text->len > 0)
            g_string_append_c (text, ' ');
          g_string_append (text, json_node_get_string (node));
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
sv_fhir_patient_birth (JsonObject *patient,
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
sv_fhir_patient_mrn (JsonObject  *patient,
                     char       **label)
{
  JsonArray *identifiers = member_array (patient, "identifier");
  guint n = identifiers != NULL ? json_array_get_length (identifiers) : 0;

  if (label != NULL)
    *label = NULL;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *identifier = array_object (identifiers, i);
      JsonObject *type = member_object (identifier, "type");
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

static char *
quantity_display (JsonObject *quantity)
{
  JsonNode *value;
  const char *unit;
  g_autofree char *number = NULL;

  if (quantity == NULL || !json_object_has_member (quantity, "value"))
    return NULL;

  value = json_object_get_member (quantity, "value");
  if (!JSON_NODE_HOLDS_VALUE (value))
    return NULL;

  if (json_node_get_value_type (value) == G_TYPE_INT64)
    number = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
  else if (json_node_get_value_type (value) == G_TYPE_DOUBLE)
    number = g_strdup_printf ("%g", json_node_get_double (value));
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
sv_fhir_choice_display (JsonObject *resource,
                        const char *prefix)
{
  g_autofree char *name = NULL;
  JsonObject *object;
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
      g_autofree char *age = quantity_display (object);

      /* Translators: an age at which something began, e.g. "at age 45 a". */
      return age != NULL ? g_strdup_printf (_("at age %s"), age) : NULL;
    }

  g_free (name);
  name = g_strconcat (prefix, "Range", NULL);
  if ((object = member_object (resource, name)) != NULL)
    {
      g_autofree char *low = quantity_display (member_object (object, "low"));
      g_autofree char *high = quantity_display (member_object (object, "high"));

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
