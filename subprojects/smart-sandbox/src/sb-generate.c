/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sb-generate.c — the sandbox's deterministic synthetic population.
 *
 * Everything here is driven by a splitmix64 generator seeded from the caller's
 * seed and a fixed "today" (SB_GENERATE_TODAY): g_random's sequence is not
 * promised to stay the same across GLib versions, and a population that moved
 * with the wall clock or the library would make POPULATION.md and the tests
 * lie.  The JSON text is written by hand into one reused GString instead of
 * going through JsonBuilder/JsonGenerator: it is several times faster for
 * the ~10,000 resources of the large record, and the bytes (member order,
 * number formatting) then depend on nothing but this file.  No floating point
 * is formatted anywhere, for the same reason.
 *
 * The *structure* of the population (which patient id shows which edge case,
 * who the demo users are, how many records each has) is fixed by the patient
 * index and does not depend on the seed; the seed varies names, dates, codes
 * and statuses of the ordinary patients.  That is what lets POPULATION.md
 * name patients by id. */
#define G_LOG_DOMAIN "smart-sandbox"

#include "config.h"

#include "sb-generate.h"

#include <string.h>

#define N_PATIENTS          120
#define N_PRACTITIONERS     6
#define CLINICIAN_INDEX     1    /* practitioner-01 */
#define DEMO_PATIENT        1
#define DEMO_LINKED         2
#define LARGE_PATIENT       10
#define LARGE_CONDITIONS    2100
#define LARGE_STATEMENTS    1050
#define LARGE_REQUESTS      1050

#define SNOMED   "http://snomed.info/sct"
#define ICD10CM  "http://hl7.org/fhir/sid/icd-10-cm"
#define RXNORM   "http://www.nlm.nih.gov/research/umls/rxnorm"
#define UCUM     "http://unitsofmeasure.org"
#define LOINC    "http://loinc.org"
#define V2_0203  "http://terminology.hl7.org/CodeSystem/v2-0203"
#define DAR_URL  "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
#define AWS_CM   "http://healthlake.amazonaws.com/aws-cm/infer-icd10/"
#define MRN_SYSTEM   "urn:oid:2.16.840.1.113883.3.9999.1.2"
#define LOCAL_SYSTEM "urn:oid:2.16.840.1.113883.3.9999.1.17"
#define US_CORE  "http://hl7.org/fhir/us/core/StructureDefinition/"

/* ------------------------------------------------------------------ */
/* Pseudo-random numbers: splitmix64, one independent stream per patient
 * so that adding a resource to one patient does not reshuffle the rest. */

typedef struct
{
  guint64 state;
} SbRng;

static guint64
rng_next (SbRng *rng)
{
  guint64 z = (rng->state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void
rng_init (SbRng  *rng,
          guint32 seed,
          guint   stream)
{
  rng->state = ((guint64) seed << 32) ^ ((guint64) stream * G_GUINT64_CONSTANT (0xD1B54A32D192ED03));
  rng_next (rng);
}

/* Uniform in [0, n); n must be > 0. */
static guint
rng_below (SbRng *rng,
           guint  n)
{
  return (guint) (((rng_next (rng) >> 32) * (guint64) n) >> 32);
}

static gint
rng_between (SbRng *rng,
             gint   lo,
             gint   hi)
{
  if (hi <= lo)
    return lo;
  return lo + (gint) rng_below (rng, (guint) (hi - lo + 1));
}

static gboolean
rng_percent (SbRng *rng,
             guint  percent)
{
  return rng_below (rng, 100) < percent;
}

/* Picks an index from a table of weights. */
static guint
rng_weighted (SbRng       *rng,
              const guint *weights,
              guint        n)
{
  guint total = 0, r;

  for (guint i = 0; i < n; i++)
    total += weights[i];
  r = rng_below (rng, total);
  for (guint i = 0; i < n; i++)
    {
      if (r < weights[i])
        return i;
      r -= weights[i];
    }
  return n - 1;
}

#define RNG_PICK(rng, array) ((array)[rng_below ((rng), G_N_ELEMENTS (array))])

/* ------------------------------------------------------------------ */
/* Calendar arithmetic on day numbers (days since 1970-01-01), proleptic
 * Gregorian, after Howard Hinnant's civil-date algorithms. */

static gint32
days_from_civil (gint  y,
                 guint m,
                 guint d)
{
  gint era;
  guint yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (guint) (y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (gint32) doe - 719468;
}

static void
civil_from_days (gint32 z,
                 gint  *y_out,
                 guint *m_out,
                 guint *d_out)
{
  gint era;
  guint doe, yoe, doy, mp, m;
  gint y;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (guint) (z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = (gint) yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d_out = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  *m_out = m;
  *y_out = y + (m <= 2);
}

static gint32
today (void)
{
  return days_from_civil (2026, 11, 1);
}

typedef enum
{
  PREC_YEAR,
  PREC_MONTH,
  PREC_DAY,
  PREC_TIME
} Precision;

typedef struct
{
  char s[40];
} Stamp;

/* Formats a day number as a FHIR date/dateTime of the given precision;
 * @secs is the time of day and @tz the offset ("Z", "+01:00"). */
static Stamp
stamp (gint32      day,
       Precision   precision,
       guint       secs,
       const char *tz)
{
  Stamp st;
  gint y;
  guint m, d;

  civil_from_days (day, &y, &m, &d);
  switch (precision)
    {
    case PREC_YEAR:
      g_snprintf (st.s, sizeof st.s, "%04d", y);
      break;
    case PREC_MONTH:
      g_snprintf (st.s, sizeof st.s, "%04d-%02u", y, m);
      break;
    case PREC_DAY:
      g_snprintf (st.s, sizeof st.s, "%04d-%02u-%02u", y, m, d);
      break;
    case PREC_TIME:
    default:
      g_snprintf (st.s, sizeof st.s, "%04d-%02u-%02uT%02u:%02u:%02u%s", y, m, d,
                  (secs / 3600) % 24, (secs / 60) % 60, secs % 60, tz);
      break;
    }
  return st;
}

static Stamp
date_of (gint32 day)
{
  return stamp (day, PREC_DAY, 0, "");
}

/* ------------------------------------------------------------------ */
/* A minimal streaming JSON writer: the caller opens and closes containers,
 * the writer only keeps track of commas.  Strings are UTF-8 already; only
 * the characters JSON requires are escaped. */

#define JW_MAX_DEPTH 24

typedef struct
{
  GString *out;
  guint depth;
  gboolean comma[JW_MAX_DEPTH];
} JsonWriter;

static void
jw_reset (JsonWriter *w)
{
  g_string_truncate (w->out, 0);
  w->depth = 0;
  w->comma[0] = FALSE;
}

static void
jw_escape (GString    *out,
           const char *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", (guint) *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

static void
jw_prefix (JsonWriter *w,
           const char *key)
{
  if (w->comma[w->depth])
    g_string_append_c (w->out, ',');
  w->comma[w->depth] = TRUE;
  if (key != NULL)
    {
      jw_escape (w->out, key);
      g_string_append_c (w->out, ':');
    }
}

static void
jw_open (JsonWriter *w,
         const char *key,
         char        c)
{
  jw_prefix (w, key);
  g_string_append_c (w->out, c);
  g_assert (w->depth + 1 < JW_MAX_DEPTH);
  w->depth++;
  w->comma[w->depth] = FALSE;
}

static void
jw_close (JsonWriter *w,
          char        c)
{
  g_assert (w->depth > 0);
  g_string_append_c (w->out, c);
  w->depth--;
}

static void
jw_obj (JsonWriter *w,
        const char *key)
{
  jw_open (w, key, '{');
}

static void
jw_end (JsonWriter *w)
{
  jw_close (w, '}');
}

static void
jw_arr (JsonWriter *w,
        const char *key)
{
  jw_open (w, key, '[');
}

static void
jw_end_arr (JsonWriter *w)
{
  jw_close (w, ']');
}

static void
jw_str (JsonWriter *w,
        const char *key,
        const char *value)
{
  jw_prefix (w, key);
  jw_escape (w->out, value);
}

static void G_GNUC_PRINTF (3, 4)
jw_strf (JsonWriter *w,
         const char *key,
         const char *format,
         ...)
{
  g_autofree char *value = NULL;
  va_list args;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  jw_str (w, key, value);
}

static void
jw_int (JsonWriter *w,
        const char *key,
        gint64      value)
{
  jw_prefix (w, key);
  g_string_append_printf (w->out, "%" G_GINT64_FORMAT, value);
}

/* A JSON number given as its literal text ("0.3"); keeps decimals exact. */
static void
jw_num (JsonWriter *w,
        const char *key,
        const char *literal)
{
  jw_prefix (w, key);
  g_string_append (w->out, literal);
}

/* A decimal with @places fractional digits from an integer: (1234, 4) → 0.1234. */
static void
jw_fixed (JsonWriter *w,
          const char *key,
          guint       value,
          guint       places)
{
  guint scale = 1;

  for (guint i = 0; i < places; i++)
    scale *= 10;
  jw_prefix (w, key);
  g_string_append_printf (w->out, "%u.%0*u", value / scale, (int) places, value % scale);
}

static void
jw_bool (JsonWriter *w,
         const char *key,
         gboolean    value)
{
  jw_prefix (w, key);
  g_string_append (w->out, value ? "true" : "false");
}

/* ------------------------------------------------------------------ */
/* FHIR datatype helpers. */

static void
fhir_coding (JsonWriter *w,
             const char *system,
             const char *code,
             const char *display)
{
  jw_obj (w, NULL);
  jw_str (w, "system", system);
  jw_str (w, "code", code);
  if (display != NULL)
    jw_str (w, "display", display);
  jw_end (w);
}

/* A CodeableConcept with one coding; @text may be NULL. */
static void
fhir_cc (JsonWriter *w,
         const char *key,
         const char *system,
         const char *code,
         const char *display,
         const char *text)
{
  jw_obj (w, key);
  jw_arr (w, "coding");
  fhir_coding (w, system, code, display);
  jw_end_arr (w);
  if (text != NULL)
    jw_str (w, "text", text);
  jw_end (w);
}

/* A list of one CodeableConcept (category and friends). */
static void
fhir_cc_list (JsonWriter *w,
              const char *key,
              const char *system,
              const char *code,
              const char *display,
              const char *text)
{
  jw_arr (w, key);
  fhir_cc (w, NULL, system, code, display, text);
  jw_end_arr (w);
}

static void
fhir_ref (JsonWriter *w,
          const char *key,
          const char *reference,
          const char *display)
{
  jw_obj (w, key);
  jw_str (w, "reference", reference);
  if (display != NULL)
    jw_str (w, "display", display);
  jw_end (w);
}

static void
fhir_quantity (JsonWriter *w,
               const char *key,
               const char *value,
               const char *unit,
               const char *ucum)
{
  jw_obj (w, key);
  jw_num (w, "value", value);
  jw_str (w, "unit", unit);
  if (ucum != NULL)
    {
      jw_str (w, "system", UCUM);
      jw_str (w, "code", ucum);
    }
  jw_end (w);
}

static void
fhir_age (JsonWriter *w,
          const char *key,
          guint       years)
{
  char value[16];

  g_snprintf (value, sizeof value, "%u", years);
  fhir_quantity (w, key, value, "years", "a");
}

/* meta with lastUpdated and, optionally, a profile. */
static void
fhir_meta (JsonWriter *w,
           gint32      day,
           guint       secs,
           const char *profile)
{
  gint32 t = today ();

  /* lastUpdated is an instant and must not lie in the future. */
  if (day >= t)
    day = t - 1;
  jw_obj (w, "meta");
  jw_str (w, "versionId", "1");
  jw_str (w, "lastUpdated", stamp (day, PREC_TIME, secs, "Z").s);
  if (profile != NULL)
    {
      jw_arr (w, "profile");
      jw_str (w, NULL, profile);
      jw_end_arr (w);
    }
  jw_end (w);
}

static void
fhir_dar (JsonWriter *w,
          const char *key,
          const char *reason)
{
  jw_obj (w, key);
  jw_arr (w, "extension");
  jw_obj (w, NULL);
  jw_str (w, "url", DAR_URL);
  jw_str (w, "valueCode", reason);
  jw_end (w);
  jw_end_arr (w);
  jw_end (w);
}

/* ------------------------------------------------------------------ */
/* Vocabulary.  SNOMED CT, ICD-10-CM and RxNorm codes with their displays,
 * most of them as they appear in Synthea's output (what HealthLake's
 * preloaded data stores hold). */

typedef enum
{
  C_HTN, C_DM2, C_HLD, C_ASTHMA, C_COPD, C_AF, C_IHD, C_HF, C_DEPR, C_ANX,
  C_OA, C_BACK, C_OSTEO, C_CKD3, C_ANEMIA, C_BREAST_CA, C_LUNG_CA, C_PHARYNG,
  C_SINUS, C_BRONCH, C_STREP, C_OTITIS, C_UTI, C_RHINITIS, C_ANKLE,
  C_FX_FOREARM, C_COVID, C_SUSP_COVID, C_PREDIAB, C_OBESITY, C_OSA, C_FEVER,
  C_DYSPNEA, C_MIGRAINE, C_GERD, C_HYPOTHYROID, C_JOINT_PAIN, C_STRESS,
  C_EMPLOYMENT, C_KIDNEY_TX, C_ANAPHYLAXIS,
  N_CONCEPTS
} ConceptId;

typedef struct
{
  const char *snomed;
  const char *display;
  const char *icd10;          /* NULL when there is no obvious ICD-10-CM code */
  const char *icd10_display;
  gboolean chronic;
} Concept;

static const Concept concepts[N_CONCEPTS] = {
  [C_HTN] = { "59621000", "Essential hypertension (disorder)", "I10", "Essential (primary) hypertension", TRUE },
  [C_DM2] = { "44054006", "Diabetes mellitus type 2 (disorder)", "E11.9", "Type 2 diabetes mellitus without complications", TRUE },
  [C_HLD] = { "55822004", "Hyperlipidemia (disorder)", "E78.5", "Hyperlipidemia, unspecified", TRUE },
  [C_ASTHMA] = { "195967001", "Asthma (disorder)", "J45.909", "Unspecified asthma, uncomplicated", TRUE },
  [C_COPD] = { "13645005", "Chronic obstructive lung disease (disorder)", "J44.9", "Chronic obstructive pulmonary disease, unspecified", TRUE },
  [C_AF] = { "49436004", "Atrial fibrillation (disorder)", "I48.91", "Unspecified atrial fibrillation", TRUE },
  [C_IHD] = { "414545008", "Ischemic heart disease (disorder)", "I25.9", "Chronic ischemic heart disease, unspecified", TRUE },
  [C_HF] = { "84114007", "Heart failure (disorder)", "I50.9", "Heart failure, unspecified", TRUE },
  [C_DEPR] = { "35489007", "Depressive disorder (disorder)", "F32.A", "Depression, unspecified", TRUE },
  [C_ANX] = { "197480006", "Anxiety disorder (disorder)", "F41.9", "Anxiety disorder, unspecified", TRUE },
  [C_OA] = { "396275006", "Osteoarthritis (disorder)", "M19.90", "Unspecified osteoarthritis, unspecified site", TRUE },
  [C_BACK] = { "278860009", "Chronic low back pain (finding)", "M54.50", "Low back pain, unspecified", TRUE },
  [C_OSTEO] = { "64859006", "Osteoporosis (disorder)", "M81.0", "Age-related osteoporosis without current pathological fracture", TRUE },
  [C_CKD3] = { "433144002", "Chronic kidney disease stage 3 (disorder)", "N18.30", "Chronic kidney disease, stage 3 unspecified", TRUE },
  [C_ANEMIA] = { "271737000", "Anemia (disorder)", "D64.9", "Anemia, unspecified", TRUE },
  [C_BREAST_CA] = { "254837009", "Malignant neoplasm of breast (disorder)", "C50.919", "Malignant neoplasm of unspecified site of unspecified female breast", TRUE },
  [C_LUNG_CA] = { "254637007", "Non-small cell lung cancer (disorder)", "C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung", TRUE },
  [C_PHARYNG] = { "195662009", "Acute viral pharyngitis (disorder)", "J02.9", "Acute pharyngitis, unspecified", FALSE },
  [C_SINUS] = { "444814009", "Viral sinusitis (disorder)", "J01.90", "Acute sinusitis, unspecified", FALSE },
  [C_BRONCH] = { "10509002", "Acute bronchitis (disorder)", "J20.9", "Acute bronchitis, unspecified", FALSE },
  [C_STREP] = { "43878008", "Streptococcal sore throat (disorder)", "J02.0", "Streptococcal pharyngitis", FALSE },
  [C_OTITIS] = { "65363002", "Otitis media (disorder)", "H66.90", "Otitis media, unspecified, unspecified ear", FALSE },
  [C_UTI] = { "301011002", "Escherichia coli urinary tract infection (disorder)", "N39.0", "Urinary tract infection, site not specified", FALSE },
  [C_RHINITIS] = { "367498001", "Seasonal allergic rhinitis (disorder)", "J30.2", "Other seasonal allergic rhinitis", TRUE },
  [C_ANKLE] = { "44465007", "Sprain of ankle (disorder)", "S93.409A", "Sprain of unspecified ligament of unspecified ankle, initial encounter", FALSE },
  [C_FX_FOREARM] = { "65966004", "Fracture of forearm (disorder)", "S52.90XA", "Unspecified fracture of unspecified forearm, initial encounter for closed fracture", FALSE },
  [C_COVID] = { "840539006", "COVID-19", "U07.1", "COVID-19", FALSE },
  [C_SUSP_COVID] = { "840544004", "Suspected COVID-19", NULL, NULL, FALSE },
  [C_PREDIAB] = { "15777000", "Prediabetes (finding)", "R73.03", "Prediabetes", TRUE },
  [C_OBESITY] = { "162864005", "Body mass index 30+ - obesity (finding)", "E66.9", "Obesity, unspecified", TRUE },
  [C_OSA] = { "78275009", "Obstructive sleep apnea syndrome (disorder)", "G47.33", "Obstructive sleep apnea (adult) (pediatric)", TRUE },
  [C_FEVER] = { "386661006", "Fever (finding)", "R50.9", "Fever, unspecified", FALSE },
  [C_DYSPNEA] = { "267036007", "Dyspnea (finding)", "R06.00", "Dyspnea, unspecified", FALSE },
  [C_MIGRAINE] = { "37796009", "Migraine (disorder)", "G43.909", "Migraine, unspecified, not intractable, without status migrainosus", TRUE },
  [C_GERD] = { "235595009", "Gastroesophageal reflux disease (disorder)", "K21.9", "Gastro-esophageal reflux disease without esophagitis", TRUE },
  [C_HYPOTHYROID] = { "40930008", "Hypothyroidism (disorder)", "E03.9", "Hypothyroidism, unspecified", TRUE },
  [C_JOINT_PAIN] = { "57676002", "Joint pain (finding)", "M25.50", "Pain in unspecified joint", FALSE },
  [C_STRESS] = { "73595000", "Stress (finding)", "Z73.3", "Stress, not elsewhere classified", FALSE },
  [C_EMPLOYMENT] = { "160903007", "Full-time employment (finding)", NULL, NULL, FALSE },
  [C_KIDNEY_TX] = { "698306007", "Awaiting transplantation of kidney (situation)", "Z76.82", "Awaiting organ transplant status", TRUE },
  [C_ANAPHYLAXIS] = { "39579001", "Anaphylaxis (disorder)", "T78.2XXA", "Anaphylactic shock, unspecified, initial encounter", FALSE },
};

typedef struct
{
  const char *rxnorm;
  const char *display;
  const char *snomed;          /* substance code, NULL if none */
  const char *snomed_display;
  const char *route_code;      /* SNOMED CT route */
  const char *route_display;
  const char *dose_value;      /* JSON number literal */
  const char *dose_unit;
  const char *dose_ucum;
  guint frequency, period;     /* frequency per period; 0 = as needed */
  const char *period_unit;
  const char *text;            /* dosage text */
  gint reason;                 /* ConceptId or -1 */
  gboolean shared;             /* published as a Medication resource */
  gboolean tablet;
} Drug;


typedef enum
{
  D_LISINOPRIL, D_METFORMIN, D_SIMVASTATIN, D_HCTZ, D_ALBUTEROL, D_BUDESONIDE,
  D_ALENDRONATE, D_IBUPROFEN, D_ACETAMINOPHEN, D_ASPIRIN, D_METOPROLOL,
  D_INSULIN, D_EPOETIN, D_AMOXICILLIN, D_AMOXCLAV, D_PENICILLIN, D_FERROUS,
  D_FEXOFENADINE, D_EPINEPHRINE, D_DIAZEPAM, D_NITROGLYCERIN,
  D_PHENAZOPYRIDINE, D_NITROFURANTOIN, D_PACLITAXEL, D_CISPLATIN,
  D_TACROLIMUS, D_NAPROXEN, D_WARFARIN, D_FLUOXETINE,
  N_DRUG_IDS
} DrugId;

#define ORAL "26643006", "Oral route"
#define SUBCUT "34206005", "Subcutaneous route"
#define IV "47625008", "Intravenous route"
#define IM "78421000", "Intramuscular route"
#define INHALED "447694001", "Respiratory tract route"
#define SUBLINGUAL "37839007", "Sublingual route"

static const Drug drugs[] = {
  { "314076", "lisinopril 10 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 1, 1, "d", "Take 1 tablet by mouth once daily.", C_HTN, TRUE, TRUE },
  { "860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", "372567009", "Metformin (substance)", ORAL, "1", "tablet", "{tbl}", 2, 1, "d", "Take 1 tablet by mouth twice daily with meals.", C_DM2, TRUE, TRUE },
  { "314231", "Simvastatin 10 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 1, 1, "d", "Take 1 tablet by mouth at bedtime.", C_HLD, TRUE, TRUE },
  { "310798", "Hydrochlorothiazide 25 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 1, 1, "d", "Take 1 tablet by mouth every morning.", C_HTN, FALSE, TRUE },
  { "351137", "albuterol 0.21 MG/ML Inhalation Solution", NULL, NULL, INHALED, "3", "mL", "mL", 0, 6, "h", "Inhale the contents of 1 vial via nebuliser every 6 hours as needed for wheezing.", C_ASTHMA, FALSE, FALSE },
  { "351109", "budesonide 0.25 MG/ML Inhalation Suspension", NULL, NULL, INHALED, "2", "mL", "mL", 2, 1, "d", "Inhale 2 mL via nebuliser twice daily.", C_ASTHMA, FALSE, FALSE },
  { "904419", "Alendronic acid 10 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 1, 1, "d", "Take 1 tablet by mouth in the morning with a full glass of water, 30 minutes before food.", C_OSTEO, FALSE, TRUE },
  { "206905", "Ibuprofen 400 MG Oral Tablet [Ibu]", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 0, 6, "h", "Take 1 tablet every 6 hours as needed for pain, with food.", C_BACK, FALSE, TRUE },
  { "313782", "Acetaminophen 325 MG Oral Tablet", "387517004", "Paracetamol (substance)", ORAL, "2", "tablet", "{tbl}", 0, 6, "h", "Take 2 tablets every 6 hours as needed for pain or fever. Do not exceed 8 tablets in 24 hours.", C_FEVER, FALSE, TRUE },
  { "243670", "Aspirin 81 MG Oral Tablet", "387458008", "Aspirin (substance)", ORAL, "1", "tablet", "{tbl}", 1, 1, "d", "Take 1 tablet by mouth once daily.", C_IHD, TRUE, TRUE },
  { "866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 1, 1, "d", "Take 1 tablet by mouth once daily. Do not crush or chew.", C_AF, TRUE, TRUE },
  { "106892", "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension [Humulin]", NULL, NULL, SUBCUT, "20", "U", "[iU]", 2, 1, "d", "Inject 20 units under the skin twice daily, 30 minutes before breakfast and dinner.", C_DM2, TRUE, FALSE },
  { "205923", "1 ML Epoetin Alfa 4000 UNT/ML Injection [Epogen]", NULL, NULL, SUBCUT, "4000", "U", "[iU]", 3, 1, "wk", "Inject 4000 units under the skin three times a week.", C_CKD3, TRUE, FALSE },
  { "308192", "Amoxicillin 500 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 3, 1, "d", "Take 1 tablet by mouth three times daily for 10 days.", C_OTITIS, FALSE, TRUE },
  { "562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 3, 1, "d", "Take 1 tablet by mouth three times daily for 7 days.", C_SINUS, FALSE, TRUE },
  { "834061", "Penicillin V Potassium 250 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 4, 1, "d", "Take 1 tablet by mouth four times daily for 10 days.", C_STREP, FALSE, TRUE },
  { "310325", "ferrous sulfate 325 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 1, 1, "d", "Take 1 tablet by mouth once daily.", C_ANEMIA, FALSE, TRUE },
  { "997488", "Fexofenadine hydrochloride 30 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 2, 1, "d", "Take 1 tablet by mouth twice daily during pollen season.", C_RHINITIS, FALSE, TRUE },
  { "1870230", "NDA020800 0.3 ML Epinephrine 1 MG/ML Auto-Injector", NULL, NULL, IM, "0.3", "mL", "mL", 0, 1, "d", "Inject 0.3 mL into the outer thigh once as needed for anaphylaxis; call emergency services.", C_ANAPHYLAXIS, FALSE, FALSE },
  { "197591", "Diazepam 5 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 0, 8, "h", "Take 1 tablet by mouth every 8 hours as needed for anxiety.", C_ANX, FALSE, TRUE },
  { "705129", "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray", NULL, NULL, SUBLINGUAL, "1", "spray", "{spray}", 0, 5, "min", "1 spray under the tongue at the onset of chest pain; may repeat every 5 minutes, up to 3 sprays.", C_IHD, FALSE, FALSE },
  { "1094107", "Phenazopyridine hydrochloride 100 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 3, 1, "d", "Take 1 tablet by mouth three times daily after meals for 2 days.", C_UTI, FALSE, TRUE },
  { "311989", "Nitrofurantoin 5 MG/ML Oral Suspension", NULL, NULL, ORAL, "10", "mL", "mL", 4, 1, "d", "Take 10 mL by mouth four times daily for 5 days.", C_UTI, FALSE, FALSE },
  { "583214", "PACLitaxel 100 MG Injection", NULL, NULL, IV, "100", "mg", "mg", 1, 3, "wk", "Given intravenously in clinic every 3 weeks.", C_BREAST_CA, TRUE, FALSE },
  { "1736854", "Cisplatin 50 MG Injection", NULL, NULL, IV, "50", "mg", "mg", 1, 3, "wk", "Given intravenously in clinic every 3 weeks.", C_LUNG_CA, TRUE, FALSE },
  { "108515", "1 ML tacrolimus 5 MG/ML Injection", NULL, NULL, IV, "1", "mL", "mL", 1, 1, "d", "Given intravenously once daily in hospital.", C_KIDNEY_TX, FALSE, FALSE },
  { "849574", "Naproxen sodium 220 MG Oral Tablet", NULL, NULL, ORAL, "1", "tablet", "{tbl}", 0, 12, "h", "Take 1 tablet every 12 hours as needed for joint pain.", C_JOINT_PAIN, FALSE, TRUE },
  { "855332", "Warfarin Sodium 5 MG Oral Tablet", "372756006", "Warfarin (substance)", ORAL, "1", "tablet", "{tbl}", 1, 1, "d", "Take 1 tablet by mouth once daily in the evening, or as directed by the anticoagulation clinic.", C_AF, TRUE, TRUE },
  { "310385", "Fluoxetine 20 MG Oral Capsule", NULL, NULL, ORAL, "1", "capsule", "{capsule}", 1, 1, "d", "Take 1 capsule by mouth every morning.", C_DEPR, FALSE, FALSE },
};

#define N_DRUGS G_N_ELEMENTS (drugs)
G_STATIC_ASSERT (G_N_ELEMENTS (drugs) == N_DRUG_IDS);

/* Practitioners: index 0 is practitioner-01, the demo "clinician". */
typedef struct
{
  const char *given;
  const char *family;
  const char *gender;
  const char *city;
} PractitionerSpec;

static const PractitionerSpec practitioners[N_PRACTITIONERS] = {
  { "Amara", "Okafor", "female", "Springfield" },
  { "Henrik", "Lindqvist", "male", "Springfield" },
  { "Priya", "Raman", "female", "Riverside" },
  { "Mei-Ling", "Chen", "female", "Riverside" },
  { "Tomás", "Ferreira", "male", "Fairview" },
  { "Fatima", "Al-Sayed", "female", "Fairview" },
};

static const char *const given_female[] = {
  "Emma", "Olivia", "Sofía", "Chloé", "Ingrid", "Aisha", "Mei", "Priya",
  "Fatima", "Hana", "Léa", "Maja", "Zofia", "Ngozi", "Anaïs", "Siobhán",
  "Greta", "Lucía", "Yuki", "Elif", "Noor", "Ayesha", "Grace", "Ruth",
  "Helen", "Amélie", "Björg", "Dagný", "Thandiwe", "Ana", "María José",
  "Renée", "Małgorzata", "Jasmin",
};

static const char *const given_male[] = {
  "Liam", "Noah", "José", "Søren", "Mateo", "Kwame", "Hiroshi", "Raj",
  "Omar", "Lukas", "Björn", "Jürgen", "François", "Chidi", "Wei", "Minh",
  "Arjun", "Tomás", "Emre", "Diego", "Henrik", "Ivan", "Pedro", "Samuel",
  "Daniel", "Oluwaseun", "Dmitri", "Andrés", "Mikael", "Yusuf", "Jean-Luc",
  "Þór", "Łukasz", "Ömer",
};

static const char *const family_names[] = {
  "Smith", "Johnson", "García", "Müller", "Nguyen", "Okafor", "Patel", "Kim",
  "Andersson", "Rossi", "Kowalski", "Dubois", "O'Connor", "Fernández",
  "Schneider", "Haddad", "Tanaka", "Chen", "Jensen", "Mensah", "Adeyemi",
  "Silva", "Costa", "Yılmaz", "Novák", "Horváth", "Papadopoulos", "Brown",
  "Wilson", "Martínez", "Rodríguez", "Hernández", "Begum", "Khan", "Singh",
  "Dlamini", "Björklund", "Fitzgerald-Hayes", "van der Berg", "de la Cruz",
  "MacLeod", "Ødegaard", "Jóhannsdóttir", "Śliwińska", "Lefèvre",
};

/* Names written in another script: official name in that script with a
 * text, plus a Latin-script "usual" name. */
typedef struct
{
  const char *family;
  const char *given;
  const char *text;
  const char *latin_family;
  const char *latin_given;
  const char *gender;
  const char *language;
  const char *language_display;
} ScriptName;

static const ScriptName script_names[] = {
  { "佐藤", "花子", "佐藤 花子", "Sato", "Hanako", "female", "ja", "Japanese" },
  { "鈴木", "健一", "鈴木 健一", "Suzuki", "Ken'ichi", "male", "ja", "Japanese" },
  { "王", "芳", "王芳", "Wang", "Fang", "female", "zh", "Chinese" },
  { "李", "伟", "李伟", "Li", "Wei", "male", "zh", "Chinese" },
  { "김", "민준", "김민준", "Kim", "Min-jun", "male", "ko", "Korean" },
  { "박", "서연", "박서연", "Park", "Seo-yeon", "female", "ko", "Korean" },
  { "Παπαδάκη", "Ελένη", "Ελένη Παπαδάκη", "Papadaki", "Eleni", "female", "el", "Greek" },
  { "Иванов", "Сергей", "Сергей Иванов", "Ivanov", "Sergei", "male", "ru", "Russian" },
};

typedef struct
{
  const char *city;
  const char *state;     /* NULL outside the US */
  const char *postal_prefix;
  const char *country;
  const char *tz;
  const char *street1;
  const char *street2;
} Place;

static const Place places[] = {
  { "Springfield", "MA", "011", "US", "-05:00", "Maple Street", "Elm Avenue" },
  { "Riverside", "CA", "925", "US", "-08:00", "Magnolia Avenue", "Orange Street" },
  { "Fairview", "OR", "970", "US", "-08:00", "Halsey Street", "Cedar Lane" },
  { "Madison", "WI", "537", "US", "-06:00", "State Street", "Willy Street" },
  { "Austin", "TX", "787", "US", "-06:00", "Congress Avenue", "Barton Springs Road" },
  { "Boston", "MA", "021", "US", "-05:00", "Beacon Street", "Tremont Street" },
  { "Chicago", "IL", "606", "US", "-06:00", "Halsted Street", "Clark Street" },
  { "Oslo", NULL, "05", "NO", "+01:00", "Kirkeveien", "Thorvald Meyers gate" },
  { "München", NULL, "803", "DE", "+01:00", "Schillerstraße", "Leopoldstraße" },
  { "Sevilla", NULL, "410", "ES", "+01:00", "Calle Betis", "Avenida de la Constitución" },
  { "Kraków", NULL, "31-", "PL", "+01:00", "ulica Floriańska", "ulica Grodzka" },
};


/* ------------------------------------------------------------------ */
/* Generator state and the patient model. */

G_DEFINE_QUARK (sb-generate-error-quark, sb_generate_error)

typedef struct
{
  SbResourceSink sink;
  gpointer user_data;
  JsonWriter w;
  GError *error;
  gboolean failed;
  guint n_patients;
} Gen;

/* Hands the resource in the writer to the sink and empties the writer. */
static void
gen_emit (Gen *g)
{
  g_assert (g->w.depth == 0);
  if (!g->failed && !g->sink (g->w.out->str, g->w.out->len, g->user_data, &g->error))
    {
      g->failed = TRUE;
      if (g->error == NULL)
        g_set_error_literal (&g->error, SB_GENERATE_ERROR, SB_GENERATE_ERROR_SINK,
                             "Storing a generated resource failed");
    }
  jw_reset (&g->w);
}

enum
{
  P_DEMO          = 1 << 0,
  P_LINK_SEEALSO  = 1 << 1,
  P_PARTIAL_YEAR  = 1 << 2,
  P_PARTIAL_MONTH = 1 << 3,
  P_SCRIPT        = 1 << 4,
  P_DECEASED_BOOL = 1 << 5,
  P_DECEASED_DT   = 1 << 6,
  P_BIRTH_ABSENT  = 1 << 7,
  P_NAME_ABSENT   = 1 << 8,
  P_LARGE         = 1 << 9,
  P_LONG          = 1 << 10,
  P_CODING        = 1 << 11,
  P_NLP           = 1 << 12,
  P_USUAL_FIRST   = 1 << 13,
  P_EMPTY         = 1 << 14,
  P_SYNTHEA       = 1 << 15,
  P_REPLACED      = 1 << 16,
  P_REPLACES      = 1 << 17,
  P_NO_MRN        = 1 << 18,
  P_SSN           = 1 << 19,
};

/* The patients whose content POPULATION.md documents; everything about
 * them but the random clinical history of the ordinary ones is fixed. */
typedef struct
{
  guint index;
  const char *given;
  const char *given2;
  const char *family;
  const char *gender;     /* NULL: absent */
  gint by;
  guint bm, bd;
  guint flags;
  guint gp;               /* 1-based practitioner, 0 = none */
  guint place;
  const ScriptName *script;
} FixedPatient;

static const ScriptName yamada = { "山田", "太郎", "山田 太郎", "Yamada", "Tarō", "male", "ja", "Japanese" };
static const ScriptName al_farsi = { "الفارسي", "أحمد", "أحمد الفارسي", "Al-Farsi", "Ahmed", "male", "ar", "Arabic" };

static const FixedPatient fixed_patients[] = {
  { 1, "Zoë", "Anneliese", "Müller", "female", 1984, 7, 19, P_DEMO | P_LINK_SEEALSO | P_NLP | P_SSN, 1, 0, NULL },
  { 2, "Zoe", NULL, "Mueller", "female", 1984, 7, 19, P_LINK_SEEALSO, 2, 5, NULL },
  { 3, "José", "Luis", "Núñez", "male", 1961, 4, 2, P_PARTIAL_YEAR | P_SSN, 1, 4, NULL },
  { 4, "Søren", NULL, "Ødegård", "male", 1961, 3, 17, P_PARTIAL_MONTH, 1, 7, NULL },
  { 5, NULL, NULL, NULL, "male", 1958, 11, 23, P_SCRIPT, 1, 0, &yamada },
  { 6, "Ingrid", NULL, "Bergström", "female", 1932, 5, 2, P_DECEASED_BOOL, 1, 3, NULL },
  { 7, "Kwame", "Kofi", "Mensah", "male", 1947, 8, 11, P_DECEASED_DT | P_SSN, 1, 5, NULL },
  { 8, "Alex", NULL, "Kim", NULL, 1979, 1, 1, P_BIRTH_ABSENT, 1, 6, NULL },
  { 9, NULL, NULL, NULL, "unknown", 1988, 4, 12, P_NAME_ABSENT, 1, 6, NULL },
  { 10, "Margaret", "Rose", "O'Brien-Whitfield", "female", 1939, 9, 30, P_LARGE | P_SSN, 1, 0, NULL },
  { 11, "Maximiliane", "Theodora Friederike", "Wolfeschlegelsteinhausenbergerdorff", "female", 1972, 2, 29, P_LONG, 1, 8, NULL },
  { 12, "Minh Khai", NULL, "Nguyễn", "female", 1995, 6, 15, P_CODING, 1, 1, NULL },
  { 13, NULL, NULL, NULL, "male", 1969, 10, 5, P_SCRIPT | P_NLP | P_SSN, 1, 6, &al_farsi },
  { 14, "Robert", NULL, "Tables", "male", 1978, 3, 14, P_USUAL_FIRST, 1, 5, NULL },
  { 15, "Chidi", NULL, "Okonkwo", "male", 2001, 1, 20, P_EMPTY, 1, 3, NULL },
  { 16, "Łukasz", NULL, "Wróblewski", "male", 1983, 9, 9, P_SYNTHEA, 1, 10, NULL },
  { 17, "Aoife", NULL, "Ní Bhriain", "female", 1992, 12, 1, P_NO_MRN | P_SSN, 1, 5, NULL },
  { 18, "Mateus", NULL, "Conceição", "male", 1955, 4, 4, 0, 0, 2, NULL },
  { 30, "Hannah", NULL, "Schmidt", "female", 1966, 5, 17, P_REPLACED, 3, 8, NULL },
  { 31, "Hannah", NULL, "Schmidt", "female", 1966, 5, 17, P_REPLACES | P_SSN, 3, 8, NULL },
};

typedef struct
{
  char id[40];
  char display[160];
  guint concept;
  gint32 onset;
} CondRef;

typedef struct
{
  guint index;
  char id[24];
  char ref[40];
  guint flags;
  guint gp;
  const char *gender;
  gint32 birth;
  gint32 end;             /* death, or today */
  const Place *place;
  const FixedPatient *fixed;
  GArray *conds;          /* CondRef */
  guint n_cond, n_ms, n_mr, n_nlp;
  SbRng rng;
} Pat;

static const FixedPatient *
fixed_patient (guint index)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixed_patients); i++)
    if (fixed_patients[i].index == index)
      return &fixed_patients[i];
  return NULL;
}

/* The GP is a function of the index only, so the clinician's panel (and
 * with it the user/ scope tests) does not move with the seed. */
static guint
gp_for_index (guint index)
{
  const FixedPatient *fx = fixed_patient (index);

  if (fx != NULL)
    return fx->gp;
  if (index % 4 == 3)
    return CLINICIAN_INDEX;
  if (index % 23 == 0)
    return 0;
  return 2 + (index * 7) % 5;
}

static void
practitioner_id (guint  index,
                 char  *buf,
                 gsize  size)
{
  g_snprintf (buf, size, "practitioner-%02u", index);
}

static char *
practitioner_ref (guint index)
{
  return g_strdup_printf ("Practitioner/practitioner-%02u", index);
}

/* ASCII slug of a name for e-mail addresses: canonical decomposition drops
 * the accents (Unicode keeps decompositions stable, unlike transliteration
 * tables), a few letters without decomposition are spelled out. */
static void
append_slug (GString    *out,
             const char *name)
{
  for (const char *p = name; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p), d[4];
      gsize n = g_unichar_fully_decompose (c, FALSE, d, G_N_ELEMENTS (d));

      if (n > 0 && d[0] < 0x80 && g_ascii_isalnum ((char) d[0]))
        g_string_append_c (out, g_ascii_tolower ((char) d[0]));
      else if (c == 0xF8 || c == 0xD8)
        g_string_append_c (out, 'o');
      else if (c == 0x142 || c == 0x141)
        g_string_append_c (out, 'l');
      else if (c == 0xDF)
        g_string_append (out, "ss");
      else if (c == 0xFE || c == 0xDE)
        g_string_append (out, "th");
      else if (c == 0x131)
        g_string_append_c (out, 'i');
    }
}

/* ------------------------------------------------------------------ */
/* Practitioners and shared Medications. */

static void
write_practitioner (Gen  *g,
                    guint index)
{
  const PractitionerSpec *ps = &practitioners[index - 1];
  JsonWriter *w = &g->w;
  char id[32];
  g_autoptr(GString) email = g_string_new (NULL);

  practitioner_id (index, id, sizeof id);
  append_slug (email, ps->given);
  g_string_append_c (email, '.');
  append_slug (email, ps->family);
  g_string_append (email, "@clinic.example.org");

  jw_obj (w, NULL);
  jw_str (w, "resourceType", "Practitioner");
  jw_str (w, "id", id);
  fhir_meta (w, today () - 400 + (gint32) index, 3600 * (8 + index), US_CORE "us-core-practitioner");
  jw_arr (w, "identifier");
  jw_obj (w, NULL);
  jw_str (w, "system", "http://hl7.org/fhir/sid/us-npi");
  /* 9999… numbers are what Synthea uses: valid in shape, never issued. */
  jw_strf (w, "value", "99999%05u", 1000 + index * 37);
  jw_end (w);
  jw_end_arr (w);
  jw_bool (w, "active", TRUE);
  jw_arr (w, "name");
  jw_obj (w, NULL);
  jw_str (w, "use", "official");
  jw_str (w, "family", ps->family);
  jw_arr (w, "given");
  jw_str (w, NULL, ps->given);
  jw_end_arr (w);
  jw_arr (w, "prefix");
  jw_str (w, NULL, "Dr.");
  jw_end_arr (w);
  jw_end (w);
  jw_end_arr (w);
  jw_arr (w, "telecom");
  jw_obj (w, NULL);
  jw_str (w, "system", "phone");
  jw_strf (w, "value", "+1 555-010-%04u", 2000 + index);
  jw_str (w, "use", "work");
  jw_end (w);
  jw_obj (w, NULL);
  jw_str (w, "system", "email");
  jw_str (w, "value", email->str);
  jw_str (w, "use", "work");
  jw_end (w);
  jw_end_arr (w);
  jw_arr (w, "address");
  jw_obj (w, NULL);
  jw_str (w, "use", "work");
  jw_arr (w, "line");
  jw_strf (w, NULL, "%u Health Center Drive", 100 + index * 11);
  jw_end_arr (w);
  jw_str (w, "city", ps->city);
  jw_str (w, "country", "US");
  jw_end (w);
  jw_end_arr (w);
  jw_str (w, "gender", ps->gender);
  jw_arr (w, "qualification");
  jw_obj (w, NULL);
  fhir_cc (w, "code", "http://terminology.hl7.org/CodeSystem/v2-0360", "MD", "Doctor of Medicine", NULL);
  jw_end (w);
  jw_end_arr (w);
  jw_end (w);
  gen_emit (g);
}

/* The medication's CodeableConcept; @snomed adds the SNOMED CT coding when
 * the drug has one. */
static void
write_drug_code (JsonWriter  *w,
                 const char  *key,
                 const Drug  *d,
                 gboolean     rxnorm,
                 gboolean     snomed,
                 gboolean     displays,
                 gboolean     text)
{
  jw_obj (w, key);
  if (rxnorm || (snomed && d->snomed != NULL))
    {
      jw_arr (w, "coding");
      if (rxnorm)
        fhir_coding (w, RXNORM, d->rxnorm, displays ? d->display : NULL);
      if (snomed && d->snomed != NULL)
        fhir_coding (w, SNOMED, d->snomed, displays ? d->snomed_display : NULL);
      jw_end_arr (w);
    }
  if (text)
    jw_str (w, "text", d->display);
  jw_end (w);
}

static void
write_drug_form (JsonWriter *w,
                 const Drug *d)
{
  if (d->tablet)
    fhir_cc (w, "form", SNOMED, "385055001", "Tablet", "Tablet");
}

static void
write_shared_medication (Gen        *g,
                         const Drug *d)
{
  JsonWriter *w = &g->w;

  jw_obj (w, NULL);
  jw_str (w, "resourceType", "Medication");
  jw_strf (w, "id", "medication-%s", d->rxnorm);
  fhir_meta (w, today () - 380, 7200, US_CORE "us-core-medication");
  write_drug_code (w, "code", d, TRUE, TRUE, TRUE, TRUE);
  jw_str (w, "status", "active");
  write_drug_form (w, d);
  jw_end (w);
  gen_emit (g);
}

/* ------------------------------------------------------------------ */
/* Patients. */

static void
write_human_name (JsonWriter *w,
                  const char *use,
                  const char *text,
                  const char *family,
                  const char *given,
                  const char *given2,
                  const char *prefix,
                  const char *suffix)
{
  jw_obj (w, NULL);
  jw_str (w, "use", use);
  if (text != NULL)
    jw_str (w, "text", text);
  if (family != NULL)
    jw_str (w, "family", family);
  if (given != NULL)
    {
      jw_arr (w, "given");
      jw_str (w, NULL, given);
      if (given2 != NULL)
        jw_str (w, NULL, given2);
      jw_end_arr (w);
    }
  if (prefix != NULL)
    {
      jw_arr (w, "prefix");
      jw_str (w, NULL, prefix);
      jw_end_arr (w);
    }
  if (suffix != NULL)
    {
      jw_arr (w, "suffix");
      jw_str (w, NULL, suffix);
      jw_end_arr (w);
    }
  jw_end (w);
}

static void
write_identifiers (JsonWriter *w,
                   Pat        *p)
{
  static const char *const mrn_texts[] = { "Medical Record Number", "MRN", "Hospital number" };
  SbRng *rng = &p->rng;

  jw_arr (w, "identifier");
  /* The SSN comes first on purpose: clients that show "the first
   * identifier" would show the one they must hide. */
  if (p->flags & P_SSN)
    {
      jw_obj (w, NULL);
      fhir_cc (w, "type", V2_0203, "SS", "Social Security number", "Social Security Number");
      jw_str (w, "system", "http://hl7.org/fhir/sid/us-ssn");
      jw_strf (w, "value", "999-%02u-%04u", 10 + rng_below (rng, 89), 1000 + rng_below (rng, 8999));
      jw_end (w);
    }
  if (!(p->flags & P_NO_MRN))
    {
      jw_obj (w, NULL);
      jw_str (w, "use", "usual");
      fhir_cc (w, "type", V2_0203, "MR", "Medical record number", RNG_PICK (rng, mrn_texts));
      jw_str (w, "system", MRN_SYSTEM);
      jw_strf (w, "value", "SB%06u", 100000 + p->index * 7919 % 900000);
      jw_end (w);
    }
  else
    {
      jw_obj (w, NULL);
      fhir_cc (w, "type", V2_0203, "DL", "Driver's license number", "Driver's licence");
      jw_str (w, "system", "urn:oid:2.16.840.1.113883.4.3.25");
      jw_strf (w, "value", "S%08u", rng_below (rng, 99999999));
      jw_end (w);
    }
  jw_end_arr (w);
}

static void
write_patient (Gen *g,
               Pat *p)
{
  static const char *const prefixes_f[] = { "Ms.", "Mrs.", "Dr." };
  static const char *const prefixes_m[] = { "Mr.", "Dr." };
  static const char *const marital[][2] = {
    { "M", "Married" }, { "S", "Never Married" }, { "D", "Divorced" }, { "W", "Widowed" }, { "U", "unmarried" },
  };
  const FixedPatient *fx = p->fixed;
  const ScriptName *script = fx != NULL ? fx->script : NULL;
  JsonWriter *w = &g->w;
  SbRng *rng = &p->rng;
  const char *given = NULL, *given2 = NULL, *family = NULL;
  const char *language = NULL, *language_display = NULL;
  g_autoptr(GString) email = g_string_new (NULL);
  g_autofree char *gp_ref = NULL;
  guint m;

  /* Names. */
  if (fx != NULL)
    {
      given = fx->given;
      given2 = fx->given2;
      family = fx->family;
    }
  else
    {
      if (rng_percent (rng, 6))
        {
          script = &script_names[rng_below (rng, G_N_ELEMENTS (script_names))];
          p->gender = script->gender;
          p->flags |= P_SCRIPT;
        }
      else
        {
          gboolean female = g_strcmp0 (p->gender, "female") == 0;

          given = female ? RNG_PICK (rng, given_female) : RNG_PICK (rng, given_male);
          if (rng_percent (rng, 20))
            given2 = female ? RNG_PICK (rng, given_female) : RNG_PICK (rng, given_male);
          if (g_strcmp0 (given, given2) == 0)
            given2 = NULL;
          family = RNG_PICK (rng, family_names);
        }
    }
  if (script != NULL)
    {
      language = script->language;
      language_display = script->language_display;
      append_slug (email, script->latin_given);
      g_string_append_c (email, '.');
      append_slug (email, script->latin_family);
    }
  else if (given != NULL)
    {
      append_slug (email, given);
      g_string_append_c (email, '.');
      append_slug (email, family);
    }

  jw_obj (w, NULL);
  jw_str (w, "resourceType", "Patient");
  jw_str (w, "id", p->id);
  fhir_meta (w, today () - 1 - rng_between (rng, 0, 300), rng_below (rng, 86400), US_CORE "us-core-patient");
  if (g_strcmp0 (p->place->country, "US") == 0 && p->gender != NULL
      && (g_str_equal (p->gender, "female") || g_str_equal (p->gender, "male")))
    {
      jw_arr (w, "extension");
      jw_obj (w, NULL);
      jw_str (w, "url", US_CORE "us-core-birthsex");
      jw_str (w, "valueCode", g_str_equal (p->gender, "female") ? "F" : "M");
      jw_end (w);
      jw_end_arr (w);
    }
  write_identifiers (w, p);
  jw_bool (w, "active", !(p->flags & P_REPLACED));

  jw_arr (w, "name");
  if (p->flags & P_NAME_ABSENT)
    {
      /* A name withheld by the source system: the HumanName carries only
       * the reason. */
      jw_obj (w, NULL);
      jw_arr (w, "extension");
      jw_obj (w, NULL);
      jw_str (w, "url", DAR_URL);
      jw_str (w, "valueCode", "masked");
      jw_end (w);
      jw_end_arr (w);
      jw_end (w);
    }
  else if (script != NULL)
    {
      write_human_name (w, "official", script->text, script->family, script->given, NULL, NULL, NULL);
      write_human_name (w, "usual", NULL, script->latin_family, script->latin_given, NULL, NULL, NULL);
    }
  else if (p->flags & P_USUAL_FIRST)
    {
      write_human_name (w, "usual", "Bobby Tables", "Tables", "Bobby", NULL, NULL, NULL);
      write_human_name (w, "official", NULL, family, given, "James", "Mr.", NULL);
    }
  else
    {
      const char *prefix = NULL, *suffix = NULL;
      gboolean female = g_strcmp0 (p->gender, "female") == 0;

      if (fx == NULL && rng_percent (rng, 12))
        prefix = female ? RNG_PICK (rng, prefixes_f) : RNG_PICK (rng, prefixes_m);
      if (fx == NULL && !female && rng_percent (rng, 4))
        suffix = rng_percent (rng, 50) ? "Jr." : "III";
      write_human_name (w, "official", NULL, family, given, given2, prefix, suffix);
      if (fx == NULL && female && rng_percent (rng, 10))
        write_human_name (w, "maiden", NULL, RNG_PICK (rng, family_names), given, NULL, NULL, NULL);
    }
  jw_end_arr (w);

  jw_arr (w, "telecom");
  jw_obj (w, NULL);
  jw_str (w, "system", "phone");
  jw_strf (w, "value", "+1 555-01%u-%04u", rng_below (rng, 10), rng_below (rng, 10000));
  jw_str (w, "use", rng_percent (rng, 60) ? "mobile" : "home");
  jw_end (w);
  if (email->len > 1 && rng_percent (rng, 70))
    {
      g_string_append (email, "@example.org");
      jw_obj (w, NULL);
      jw_str (w, "system", "email");
      jw_str (w, "value", email->str);
      jw_str (w, "use", "home");
      jw_end (w);
    }
  jw_end_arr (w);

  if (p->gender != NULL)
    jw_str (w, "gender", p->gender);

  if (p->flags & P_BIRTH_ABSENT)
    fhir_dar (w, "_birthDate", "unknown");
  else
    jw_str (w, "birthDate", stamp (p->birth, (p->flags & P_PARTIAL_YEAR) ? PREC_YEAR
                                             : (p->flags & P_PARTIAL_MONTH) ? PREC_MONTH
                                             : PREC_DAY, 0, "").s);

  if (p->flags & P_DECEASED_BOOL)
    jw_bool (w, "deceasedBoolean", TRUE);
  else if (p->flags & P_DECEASED_DT)
    jw_str (w, "deceasedDateTime", stamp (p->end, PREC_TIME, 9 * 3600 + 30 * 60, p->place->tz).s);
  else if (fx == NULL && rng_percent (rng, 10))
    jw_bool (w, "deceasedBoolean", FALSE);

  jw_arr (w, "address");
  jw_obj (w, NULL);
  jw_str (w, "use", "home");
  jw_arr (w, "line");
  if (g_str_equal (p->place->country, "US"))
    jw_strf (w, NULL, "%u %s", 1 + rng_below (rng, 2400), rng_percent (rng, 50) ? p->place->street1 : p->place->street2);
  else
    jw_strf (w, NULL, "%s %u", rng_percent (rng, 50) ? p->place->street1 : p->place->street2, 1 + rng_below (rng, 120));
  if (rng_percent (rng, 15))
    jw_strf (w, NULL, "Apt %u", 1 + rng_below (rng, 40));
  jw_end_arr (w);
  jw_str (w, "city", p->place->city);
  if (p->place->state != NULL)
    jw_str (w, "state", p->place->state);
  jw_strf (w, "postalCode", "%s%02u", p->place->postal_prefix, rng_below (rng, 100));
  jw_str (w, "country", p->place->country);
  jw_end (w);
  jw_end_arr (w);

  m = rng_below (rng, G_N_ELEMENTS (marital));
  fhir_cc (w, "maritalStatus", "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
           marital[m][0], marital[m][1], marital[m][1]);

  if (language == NULL)
    {
      static const char *const langs[][3] = {
        { "NO", "nb", "Norwegian Bokmål" }, { "DE", "de", "German" }, { "ES", "es", "Spanish" }, { "PL", "pl", "Polish" },
      };

      language = "en-US";
      language_display = "English (United States)";
      for (guint i = 0; i < G_N_ELEMENTS (langs); i++)
        if (g_str_equal (p->place->country, langs[i][0]))
          {
            language = langs[i][1];
            language_display = langs[i][2];
          }
    }
  jw_arr (w, "communication");
  jw_obj (w, NULL);
  fhir_cc (w, "language", "urn:ietf:bcp:47", language, language_display, NULL);
  jw_bool (w, "preferred", TRUE);
  jw_end (w);
  jw_end_arr (w);

  if (p->gp != 0)
    {
      const PractitionerSpec *ps = &practitioners[p->gp - 1];
      g_autofree char *display = g_strdup_printf ("Dr. %s %s", ps->given, ps->family);

      gp_ref = practitioner_ref (p->gp);
      jw_arr (w, "generalPractitioner");
      fhir_ref (w, NULL, gp_ref, display);
      jw_end_arr (w);
    }

  if (p->flags & (P_LINK_SEEALSO | P_REPLACED | P_REPLACES))
    {
      const char *type = (p->flags & P_REPLACED) ? "replaced-by" : (p->flags & P_REPLACES) ? "replaces" : "seealso";
      guint other = p->index == DEMO_PATIENT ? DEMO_LINKED
                    : p->index == DEMO_LINKED ? DEMO_PATIENT
                    : (p->flags & P_REPLACED) ? p->index + 1 : p->index - 1;

      jw_arr (w, "link");
      jw_obj (w, NULL);
      jw_obj (w, "other");
      jw_strf (w, "reference", "Patient/patient-%03u", other);
      jw_end (w);
      jw_str (w, "type", type);
      jw_end (w);
      jw_end_arr (w);
    }
  jw_end (w);
  gen_emit (g);
}

/* ------------------------------------------------------------------ */
/* Conditions. */

typedef enum
{
  CAT_PROBLEM,
  CAT_CONCERN,
  CAT_ENCOUNTER
} Category;

typedef enum
{
  X_NONE,
  X_DATETIME,
  X_PERIOD,
  X_AGE,
  X_RANGE,
  X_STRING
} ChoiceKind;

enum
{
  CODE_ICD           = 1 << 0,   /* add the ICD-10-CM coding */
  CODE_TEXT          = 1 << 1,   /* add a clinician's text */
  CODE_NO_DISPLAY    = 1 << 2,   /* codings without display */
  CODE_USER_SELECTED = 1 << 3,   /* the ICD-10-CM coding is userSelected */
  CODE_TEXT_ONLY     = 1 << 4,   /* free text, no coding */
  CODE_LOCAL         = 1 << 5,   /* only a local code system, no display */
  CODE_NONE          = 1 << 6,   /* no code element at all */
  CODE_ICD_ONLY      = 1 << 7,   /* ICD-10-CM only, no SNOMED CT */
  CODE_LONG          = 1 << 8,   /* a very long text */
};

enum
{
  NOTE_NONE,
  NOTE_SHORT,
  NOTE_LONG
};

typedef struct
{
  guint concept;
  Category category;
  const char *clinical;       /* NULL: absent */
  const char *verification;   /* NULL: absent */
  ChoiceKind onset;
  ChoiceKind abatement;
  guint code;
  guint note;
} CondSpec;

static const char *const onset_strings[] = {
  "In early childhood", "Since early adulthood", "Around the time of retirement",
  "Several years ago, exact date not known", "After the birth of her first child",
  "Following a car accident in the late 1990s", "During military service",
};

static const char *const abatement_strings[] = {
  "After completing the course of antibiotics", "Resolved spontaneously",
  "After surgery", "Following weight loss", "Some time during adolescence",
  "Not since moving to a drier climate",
};

static const char *const short_notes[] = {
  "Patient reports symptoms are well controlled.",
  "Discussed lifestyle modification; follow-up in 3 months.",
  "Referred to specialist for further assessment.",
  "Family history: mother had the same condition.",
  "Patient declines further investigation at this time.",
  "Reviewed at annual check-up; no change.",
  "Entered from the referral letter; awaiting confirmation by the GP.",
};

static const char long_note[] =
  "Extended history taken at the request of the patient, who brought written "
  "notes from three previous practices. Symptoms first noticed during a period "
  "of high work stress and intermittently present since then, with flares "
  "typically lasting two to three weeks and often following respiratory "
  "infections. Previous treatments included several short courses of "
  "medication with partial response; adherence was limited by side effects "
  "(nausea, poor sleep) which the patient describes in detail.\n\n"
  "On examination today: comfortable at rest, observations within normal "
  "limits, no focal findings. Results from the outside laboratory (scanned, "
  "see document store) are consistent with the working diagnosis but do not "
  "exclude the alternatives discussed.\n\n"
  "Plan: continue current management, shared decision-making about "
  "escalation documented, safety-netting advice given verbally and in "
  "writing, review in six weeks or sooner if symptoms worsen. The patient "
  "asked for this note to be visible in the patient portal and agreed to the "
  "summary above. Interpreter not required. Time spent: 40 minutes, more than "
  "half of it in counselling and coordination of care.";

static const char long_text_suffix[] =
  ", with recurrent exacerbations requiring unscheduled care, partially "
  "responsive to first-line treatment, complicated by intolerance of two "
  "alternative agents, under shared care with the specialist clinic, and "
  "currently monitored by the practice nurse at three-monthly intervals "
  "pending the outcome of the multidisciplinary review";

/* The display without SNOMED CT's semantic tag, as a clinician would
 * write it: "Asthma (disorder)" → "Asthma". */
static char *
clinical_text (const char *display)
{
  const char *paren = strrchr (display, '(');

  if (paren != NULL && paren > display && paren[-1] == ' ' && g_str_has_suffix (display, ")"))
    return g_strndup (display, (gsize) (paren - display - 1));
  return g_strdup (display);
}

static void
random_cond_spec (SbRng    *rng,
                  CondSpec *s,
                  gboolean  synthea)
{
  static const char *const chronic_status[] = { "active", "recurrence", "relapse", "remission", "inactive", "resolved", NULL };
  static const guint chronic_weights[] = { 70, 5, 5, 8, 5, 4, 3 };
  static const char *const acute_status[] = { "resolved", "inactive", "active", NULL };
  static const guint acute_weights[] = { 75, 10, 10, 5 };
  static const char *const verification[] = { "confirmed", "unconfirmed", "provisional", "differential", "refuted", "entered-in-error", NULL };
  static const guint verification_weights[] = { 82, 4, 4, 3, 3, 2, 2 };
  static const ChoiceKind onsets[] = { X_DATETIME, X_PERIOD, X_AGE, X_RANGE, X_STRING, X_NONE };
  static const guint onset_weights[] = { 75, 6, 8, 4, 4, 3 };
  static const guint abatement_weights[] = { 70, 8, 6, 4, 6, 6 };
  const Concept *c;

  memset (s, 0, sizeof *s);
  s->concept = rng_below (rng, N_CONCEPTS);
  c = &concepts[s->concept];

  if (synthea)
    {
      /* What HealthLake's preloaded Synthea data looks like: encounter
       * diagnoses only, always both statuses, SNOMED CT with text. */
      s->category = CAT_ENCOUNTER;
      s->clinical = c->chronic && rng_percent (rng, 70) ? "active" : "resolved";
      s->verification = "confirmed";
      s->onset = X_DATETIME;
      s->abatement = g_str_equal (s->clinical, "resolved") ? X_DATETIME : X_NONE;
      s->code = CODE_TEXT;
      return;
    }

  if (c->chronic)
    s->category = rng_percent (rng, 70) ? CAT_PROBLEM : rng_percent (rng, 40) ? CAT_CONCERN : CAT_ENCOUNTER;
  else
    s->category = rng_percent (rng, 85) ? CAT_ENCOUNTER : CAT_PROBLEM;

  if (c->chronic)
    s->clinical = chronic_status[rng_weighted (rng, chronic_weights, G_N_ELEMENTS (chronic_weights))];
  else
    s->clinical = acute_status[rng_weighted (rng, acute_weights, G_N_ELEMENTS (acute_weights))];
  s->verification = verification[rng_weighted (rng, verification_weights, G_N_ELEMENTS (verification_weights))];
  /* con-5: no clinicalStatus on an entered-in-error Condition. */
  if (g_strcmp0 (s->verification, "entered-in-error") == 0)
    s->clinical = NULL;

  s->onset = onsets[rng_weighted (rng, onset_weights, G_N_ELEMENTS (onset_weights))];
  /* con-4: an abatement only with inactive, resolved or remission. */
  if (s->clinical != NULL
      && (g_str_equal (s->clinical, "resolved") || g_str_equal (s->clinical, "inactive")
          || g_str_equal (s->clinical, "remission")))
    s->abatement = onsets[rng_weighted (rng, abatement_weights, G_N_ELEMENTS (abatement_weights))];

  if (c->icd10 != NULL && rng_percent (rng, 40))
    s->code |= CODE_ICD;
  if (rng_percent (rng, 50))
    s->code |= CODE_TEXT;
  if (rng_percent (rng, 3))
    s->code = CODE_NO_DISPLAY;
  else if ((s->code & CODE_ICD) && rng_percent (rng, 10))
    s->code = CODE_ICD | CODE_USER_SELECTED;
  else if (rng_percent (rng, 2))
    s->code = CODE_TEXT_ONLY;

  if (rng_percent (rng, 12))
    s->note = NOTE_SHORT;
}

static gint32
clamp_day (gint32 day,
           gint32 latest)
{
  return day < latest ? day : latest;
}

static guint
age_years (gint32 birth,
           gint32 day)
{
  return day > birth ? (guint) ((gint64) (day - birth) * 4 / 1461) : 0;
}

/* Writes onset[x] / abatement[x] in the requested form. */
static void
write_choice (JsonWriter  *w,
              SbRng       *rng,
              const char  *prefix,
              ChoiceKind   kind,
              gint32       day,
              gint32       birth,
              gint32       latest,
              const char  *tz,
              const char  *const *strings,
              guint        n_strings)
{
  g_autofree char *key = NULL;
  guint age = age_years (birth, day);

  switch (kind)
    {
    case X_NONE:
      return;
    case X_DATETIME:
      {
        static const Precision precisions[] = { PREC_TIME, PREC_DAY, PREC_MONTH, PREC_YEAR };
        static const guint weights[] = { 70, 20, 6, 4 };

        key = g_strconcat (prefix, "DateTime", NULL);
        jw_str (w, key, stamp (day, precisions[rng_weighted (rng, weights, G_N_ELEMENTS (weights))],
                               8 * 3600 + rng_below (rng, 10 * 3600), tz).s);
      }
      return;
    case X_PERIOD:
      {
        gint32 end = clamp_day (day + rng_between (rng, 7, 120), latest);

        key = g_strconcat (prefix, "Period", NULL);
        jw_obj (w, key);
        jw_str (w, "start", date_of (day).s);
        jw_str (w, "end", date_of (end > day ? end : day).s);
        jw_end (w);
      }
      return;
    case X_AGE:
      key = g_strconcat (prefix, "Age", NULL);
      fhir_age (w, key, age);
      return;
    case X_RANGE:
      key = g_strconcat (prefix, "Range", NULL);
      jw_obj (w, key);
      fhir_age (w, "low", age > 2 ? age - 2 : 0);
      fhir_age (w, "high", age + 3);
      jw_end (w);
      return;
    case X_STRING:
    default:
      key = g_strconcat (prefix, "String", NULL);
      jw_str (w, key, strings[rng_below (rng, n_strings)]);
      return;
    }
}

static void
write_condition_code (JsonWriter    *w,
                      const Concept *c,
                      guint          flags)
{
  g_autofree char *text = clinical_text (c->display);
  gboolean displays = !(flags & CODE_NO_DISPLAY);

  if (flags & CODE_NONE)
    return;
  jw_obj (w, "code");
  if (flags & CODE_TEXT_ONLY)
    {
      jw_strf (w, "text", "%s — patient's own description, not yet coded", text);
      jw_end (w);
      return;
    }
  jw_arr (w, "coding");
  if (flags & CODE_LOCAL)
    fhir_coding (w, LOCAL_SYSTEM, c->snomed, NULL);
  else
    {
      if (!(flags & CODE_ICD_ONLY))
        fhir_coding (w, SNOMED, c->snomed, displays ? c->display : NULL);
      if ((flags & (CODE_ICD | CODE_ICD_ONLY)) && c->icd10 != NULL)
        {
          jw_obj (w, NULL);
          jw_str (w, "system", ICD10CM);
          jw_str (w, "code", c->icd10);
          if (displays)
            jw_str (w, "display", c->icd10_display);
          if (flags & CODE_USER_SELECTED)
            jw_bool (w, "userSelected", TRUE);
          jw_end (w);
        }
    }
  jw_end_arr (w);
  if (flags & CODE_LONG)
    jw_strf (w, "text", "%s%s", text, long_text_suffix);
  else if (flags & CODE_TEXT)
    jw_str (w, "text", text);
  jw_end (w);
}

static gint32
random_day_in_life (SbRng *rng,
                    Pat   *p,
                    guint  min_age_days)
{
  gint32 lo = p->birth + (gint32) min_age_days;
  gint32 hi = p->end - 2;

  if (lo > hi)
    lo = p->birth + 1 < hi ? p->birth + 1 : hi;
  return rng_between (rng, lo, hi);
}

static void
write_condition (Gen            *g,
                 Pat            *p,
                 const CondSpec *s)
{
  static const char *const category_codes[][3] = {
    [CAT_PROBLEM] = { "http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item" },
    [CAT_CONCERN] = { "http://hl7.org/fhir/us/core/CodeSystem/condition-category", "health-concern", "Health Concern" },
    [CAT_ENCOUNTER] = { "http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis" },
  };
  const Concept *c = &concepts[s->concept];
  JsonWriter *w = &g->w;
  SbRng *rng = &p->rng;
  gint32 onset, abatement, recorded;
  CondRef ref;
  g_autofree char *recorder = NULL;

  if (g->failed)
    return;
  onset = random_day_in_life (rng, p, c->chronic ? 18 * 365 : 365);
  /* (Not MIN(): it would draw from the generator twice.) */
  abatement = clamp_day (onset + rng_between (rng, 5, c->chronic ? 2000 : 60), p->end - 1);
  recorded = clamp_day (onset + rng_between (rng, 0, 30), p->end - 1);
  recorder = practitioner_ref (p->gp != 0 ? p->gp : 2);

  memset (&ref, 0, sizeof ref);
  p->n_cond++;
  g_snprintf (ref.id, sizeof ref.id, (p->flags & P_LARGE) ? "condition-%03u-%04u" : "condition-%03u-%02u",
              p->index, p->n_cond);
  if (!(s->code & (CODE_NONE | CODE_TEXT_ONLY | CODE_NO_DISPLAY | CODE_LOCAL)))
    {
      g_autofree char *text = clinical_text (c->display);
      g_strlcpy (ref.display, text, sizeof ref.display);
    }
  ref.concept = s->concept;
  ref.onset = onset;
  g_array_append_val (p->conds, ref);

  jw_obj (w, NULL);
  jw_str (w, "resourceType", "Condition");
  jw_str (w, "id", ref.id);
  fhir_meta (w, recorded + rng_between (rng, 0, 3), rng_below (rng, 86400),
             s->category == CAT_ENCOUNTER ? US_CORE "us-core-condition-encounter-diagnosis"
                                          : US_CORE "us-core-condition-problems-health-concerns");
  if (s->clinical != NULL)
    fhir_cc (w, "clinicalStatus", "http://terminology.hl7.org/CodeSystem/condition-clinical", s->clinical, NULL, NULL);
  if (s->verification != NULL)
    fhir_cc (w, "verificationStatus", "http://terminology.hl7.org/CodeSystem/condition-ver-status",
             s->verification, NULL, NULL);
  fhir_cc_list (w, "category", category_codes[s->category][0], category_codes[s->category][1],
                category_codes[s->category][2], NULL);
  write_condition_code (w, c, s->code);
  fhir_ref (w, "subject", p->ref, NULL);
  write_choice (w, rng, "onset", s->onset, onset, p->birth, p->end - 1, p->place->tz,
                onset_strings, G_N_ELEMENTS (onset_strings));
  write_choice (w, rng, "abatement", s->abatement, abatement, p->birth, p->end - 1, p->place->tz,
                abatement_strings, G_N_ELEMENTS (abatement_strings));
  jw_str (w, "recordedDate", stamp (recorded, PREC_TIME, 9 * 3600 + rng_below (rng, 9 * 3600), p->place->tz).s);
  fhir_ref (w, "recorder", recorder, NULL);
  if (s->note != NOTE_NONE)
    {
      jw_arr (w, "note");
      jw_obj (w, NULL);
      fhir_ref (w, "authorReference", recorder, NULL);
      jw_str (w, "time", stamp (recorded, PREC_TIME, 17 * 3600, p->place->tz).s);
      jw_str (w, "text", s->note == NOTE_LONG ? long_note : RNG_PICK (rng, short_notes));
      jw_end (w);
      jw_end_arr (w);
    }
  jw_end (w);
  gen_emit (g);
}

/* A Condition inferred by HealthLake's integrated NLP from a clinical note,
 * in the shape HealthLake stores it: SYSTEM_GENERATED tag, a coding in the
 * aws-cm infer-icd10 system and the confidence scores, the Linkage and the
 * source DocumentReference as modifierExtensions.  No category and no
 * statuses: HealthLake does not add them.  The note and the Linkage are
 * emitted as well so that every reference resolves. */
static void
write_nlp_findings (Gen *g,
                    Pat *p)
{
  static const guint candidates[] = { C_HTN, C_HLD, C_GERD, C_OSA, C_MIGRAINE, C_ANX, C_OA, C_ANEMIA, C_OBESITY };
  JsonWriter *w = &g->w;
  SbRng *rng = &p->rng;
  guint concept = RNG_PICK (rng, candidates);
  const Concept *c = &concepts[concept];
  gint32 day = random_day_in_life (rng, p, 18 * 365);
  guint secs = 9 * 3600 + rng_below (rng, 8 * 3600);
  char cond_id[40], doc_id[40], link_id[40];
  g_autofree char *note = NULL, *data = NULL, *text = clinical_text (c->display);
  g_autofree char *author = practitioner_ref (p->gp != 0 ? p->gp : 2);

  if (g->failed)
    return;
  p->n_nlp++;
  g_snprintf (cond_id, sizeof cond_id, "condition-%03u-nlp%u", p->index, p->n_nlp);
  g_snprintf (doc_id, sizeof doc_id, "docref-%03u-%u", p->index, p->n_nlp);
  g_snprintf (link_id, sizeof link_id, "linkage-%03u-%u", p->index, p->n_nlp);

  note = g_strdup_printf ("%s\n\n# Chief Complaint\n- Follow-up visit\n\n# Assessment and Plan\n"
                          "Patient is presenting with %s. Discussed options; review in 3 months.\n",
                          date_of (day).s, text);
  data = g_base64_encode ((const guchar *) note, strlen (note));

  jw_obj (w, NULL);
  jw_str (w, "resourceType", "DocumentReference");
  jw_str (w, "id", doc_id);
  fhir_meta (w, day + 1, secs, NULL);
  jw_arr (w, "extension");
  jw_obj (w, NULL);
  jw_str (w, "url", "http://healthlake.amazonaws.com/system-generated-resources/");
  jw_arr (w, "extension");
  jw_obj (w, NULL);
  jw_str (w, "url", "http://healthlake.amazonaws.com/linkage");
  jw_obj (w, "valueReference");
  jw_strf (w, "reference", "Linkage/%s", link_id);
  jw_end (w);
  jw_end (w);
  jw_obj (w, NULL);
  jw_str (w, "url", "http://healthlake.amazonaws.com/nlp-entity");
  jw_obj (w, "valueReference");
  jw_strf (w, "reference", "Condition/%s", cond_id);
  jw_end (w);
  jw_end (w);
  jw_end_arr (w);
  jw_end (w);
  jw_end_arr (w);
  jw_str (w, "status", "current");
  fhir_cc (w, "type", LOINC, "11506-3", "Progress note", NULL);
  fhir_cc_list (w, "category", "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                "clinical-note", "Clinical Note", NULL);
  fhir_ref (w, "subject", p->ref, NULL);
  jw_str (w, "date", stamp (day, PREC_TIME, secs, "Z").s);
  jw_arr (w, "author");
  fhir_ref (w, NULL, author, NULL);
  jw_end_arr (w);
  jw_arr (w, "content");
  jw_obj (w, NULL);
  jw_obj (w, "attachment");
  jw_str (w, "contentType", "text/plain");
  jw_str (w, "data", data);
  jw_str (w, "title", "Progress note");
  jw_end (w);
  jw_end (w);
  jw_end_arr (w);
  jw_end (w);
  gen_emit (g);

  jw_obj (w, NULL);
  jw_str (w, "resourceType", "Condition");
  jw_str (w, "id", cond_id);
  jw_obj (w, "meta");
  jw_str (w, "lastUpdated", stamp (day + 1, PREC_TIME, secs + 60, "Z").s);
  jw_arr (w, "tag");
  jw_obj (w, NULL);
  jw_str (w, "display", "SYSTEM_GENERATED");
  jw_end (w);
  jw_end_arr (w);
  jw_end (w);
  jw_arr (w, "modifierExtension");
  jw_obj (w, NULL);
  jw_str (w, "url", AWS_CM "aws-cm-icd10-entity-score");
  jw_fixed (w, "valueDecimal", 45000000 + rng_below (rng, 54999999), 8);
  jw_end (w);
  jw_obj (w, NULL);
  jw_str (w, "url", AWS_CM "aws-cm-icd10-entity-Concept-Score");
  jw_fixed (w, "valueDecimal", 10000000 + rng_below (rng, 85000000), 8);
  jw_end (w);
  jw_obj (w, NULL);
  jw_str (w, "url", "http://healthlake.amazonaws.com/system-generated-linkage");
  jw_obj (w, "valueReference");
  jw_strf (w, "reference", "Linkage/%s", link_id);
  jw_end (w);
  jw_end (w);
  jw_obj (w, NULL);
  jw_str (w, "url", "http://healthlake.amazonaws.com/source-document-reference");
  jw_obj (w, "valueReference");
  jw_strf (w, "reference", "DocumentReference/%s", doc_id);
  jw_end (w);
  jw_end (w);
  jw_end_arr (w);
  fhir_cc (w, "code", AWS_CM, c->icd10, c->icd10_display, c->icd10_display);
  fhir_ref (w, "subject", p->ref, NULL);
  jw_end (w);
  gen_emit (g);

  jw_obj (w, NULL);
  jw_str (w, "resourceType", "Linkage");
  jw_str (w, "id", link_id);
  jw_obj (w, "meta");
  jw_str (w, "lastUpdated", stamp (day + 1, PREC_TIME, secs + 61, "Z").s);
  jw_arr (w, "tag");
  jw_obj (w, NULL);
  jw_str (w, "display", "SYSTEM_GENERATED");
  jw_end (w);
  jw_end_arr (w);
  jw_end (w);
  jw_bool (w, "active", TRUE);
  jw_arr (w, "item");
  jw_obj (w, NULL);
  jw_str (w, "type", "alternate");
  jw_obj (w, "resource");
  jw_strf (w, "reference", "Condition/%s", cond_id);
  jw_str (w, "type", "Condition");
  jw_end (w);
  jw_end (w);
  jw_obj (w, NULL);
  jw_str (w, "type", "source");
  jw_obj (w, "resource");
  jw_strf (w, "reference", "DocumentReference/%s", doc_id);
  jw_str (w, "type", "DocumentReference");
  jw_end (w);
  jw_end (w);
  jw_end_arr (w);
  jw_end (w);
  gen_emit (g);
}

/* ------------------------------------------------------------------ */
/* MedicationStatements and MedicationRequests. */

typedef enum
{
  MED_RXNORM,          /* medicationCodeableConcept, RxNorm with display and text */
  MED_RXNORM_SNOMED,   /* RxNorm and SNOMED CT codings */
  MED_SNOMED,          /* SNOMED CT only */
  MED_CODE_ONLY,       /* RxNorm code without display or text */
  MED_TEXT_ONLY,       /* text only */
  MED_CONTAINED,       /* contained Medication, referenced as #id */
  MED_SHARED           /* Medication/medication-<rxnorm> */
} MedForm;

enum
{
  DOSE_NONE   = 0,
  DOSE_TEXT   = 1 << 0,
  DOSE_STRUCT = 1 << 1,
  DOSE_LONG   = 1 << 2,
};

typedef enum
{
  REASON_NONE,
  REASON_CODE,
  REASON_REF
} ReasonKind;

typedef struct
{
  gboolean request;
  guint drug;
  const char *status;
  MedForm form;
  guint dose;
  ReasonKind reason;
} MedSpec;

static const char long_dosage[] =
  "Week 1: take one tablet by mouth once daily in the morning. Week 2: if "
  "tolerated, increase to one tablet twice daily (morning and early evening). "
  "From week 3: continue twice daily. Take with food and a full glass of "
  "water; do not lie down for 30 minutes afterwards. Skip a missed dose if it "
  "is less than 6 hours until the next one; never take two doses together. "
  "Stop and contact the practice if you notice a rash, swelling of the lips or "
  "tongue, unusual bruising, or black stools. Blood tests are due at 4 and 12 "
  "weeks; the practice will text you a reminder.";

static void
random_med_spec (SbRng    *rng,
                 Pat      *p,
                 MedSpec  *s,
                 gboolean  request,
                 gboolean  synthea)
{
  static const char *const ms_status[] = { "active", "completed", "stopped", "intended", "on-hold", "unknown", "not-taken", "entered-in-error" };
  static const guint ms_weights[] = { 40, 20, 12, 6, 6, 6, 6, 4 };
  static const char *const mr_status[] = { "active", "completed", "stopped", "on-hold", "cancelled", "draft", "unknown", "entered-in-error" };
  static const guint mr_weights[] = { 35, 25, 20, 6, 5, 3, 3, 3 };
  static const MedForm forms[] = { MED_RXNORM, MED_RXNORM_SNOMED, MED_SNOMED, MED_CODE_ONLY, MED_TEXT_ONLY, MED_CONTAINED, MED_SHARED };
  static const guint form_weights[] = { 50, 10, 5, 3, 2, 12, 18 };
  static const guint doses[] = { DOSE_TEXT, DOSE_STRUCT, DOSE_TEXT | DOSE_STRUCT, DOSE_NONE };
  static const guint dose_weights[] = { 35, 20, 40, 5 };
  const Drug *d;
  gboolean have_reason = FALSE;

  memset (s, 0, sizeof *s);
  s->request = request;
  s->drug = rng_below (rng, N_DRUGS);
  /* Prefer a drug that treats one of the patient's problems. */
  if (p->conds->len > 0 && rng_percent (rng, 60))
    {
      const CondRef *cr = &g_array_index (p->conds, CondRef, rng_below (rng, p->conds->len));

      for (guint i = 0; i < N_DRUGS; i++)
        if (drugs[(s->drug + i) % N_DRUGS].reason == (gint) cr->concept)
          {
            s->drug = (s->drug + i) % N_DRUGS;
            break;
          }
    }
  d = &drugs[s->drug];
  for (guint i = 0; i < p->conds->len; i++)
    if (d->reason == (gint) g_array_index (p->conds, CondRef, i).concept)
      have_reason = TRUE;

  if (synthea)
    {
      s->status = rng_percent (rng, 85) ? "stopped" : "active";
      s->form = MED_RXNORM;
      s->dose = DOSE_STRUCT;
      s->reason = have_reason ? REASON_REF : REASON_NONE;
      return;
    }
  s->status = request ? mr_status[rng_weighted (rng, mr_weights, G_N_ELEMENTS (mr_weights))]
                      : ms_status[rng_weighted (rng, ms_weights, G_N_ELEMENTS (ms_weights))];
  /* Nothing is planned for the dead. */
  if (p->end < today () && g_str_equal (s->status, "intended"))
    s->status = "stopped";
  s->form = forms[rng_weighted (rng, form_weights, G_N_ELEMENTS (form_weights))];
  if ((s->form == MED_RXNORM_SNOMED || s->form == MED_SNOMED) && d->snomed == NULL)
    s->form = MED_RXNORM;
  if (s->form == MED_SHARED && !d->shared)
    s->form = MED_CONTAINED;
  s->dose = doses[rng_weighted (rng, dose_weights, G_N_ELEMENTS (dose_weights))];
  if (have_reason && rng_percent (rng, 45))
    s->reason = REASON_REF;
  else if (d->reason >= 0 && rng_percent (rng, 25))
    s->reason = REASON_CODE;
}

static void
write_medication_x (JsonWriter *w,
                    const Drug *d,
                    MedForm     form)
{
  switch (form)
    {
    case MED_RXNORM:
      write_drug_code (w, "medicationCodeableConcept", d, TRUE, FALSE, TRUE, TRUE);
      break;
    case MED_RXNORM_SNOMED:
      write_drug_code (w, "medicationCodeableConcept", d, TRUE, TRUE, TRUE, FALSE);
      break;
    case MED_SNOMED:
      write_drug_code (w, "medicationCodeableConcept", d, FALSE, TRUE, TRUE, FALSE);
      break;
    case MED_CODE_ONLY:
      write_drug_code (w, "medicationCodeableConcept", d, TRUE, FALSE, FALSE, FALSE);
      break;
    case MED_TEXT_ONLY:
      write_drug_code (w, "medicationCodeableConcept", d, FALSE, FALSE, FALSE, TRUE);
      break;
    case MED_CONTAINED:
      fhir_ref (w, "medicationReference", "#med", NULL);
      break;
    case MED_SHARED:
    default:
      {
        g_autofree char *ref = g_strdup_printf ("Medication/medication-%s", d->rxnorm);
        fhir_ref (w, "medicationReference", ref, d->display);
      }
      break;
    }
}

static void
write_contained_medication (JsonWriter *w,
                            const Drug *d)
{
  jw_arr (w, "contained");
  jw_obj (w, NULL);
  jw_str (w, "resourceType", "Medication");
  jw_str (w, "id", "med");
  write_drug_code (w, "code", d, TRUE, TRUE, TRUE, TRUE);
  write_drug_form (w, d);
  jw_end (w);
  jw_end_arr (w);
}

static void
write_dosage (JsonWriter *w,
              const Drug *d,
              guint       dose)
{
  jw_obj (w, NULL);
  jw_int (w, "sequence", 1);
  if (dose & DOSE_LONG)
    jw_str (w, "text", long_dosage);
  else if (dose & DOSE_TEXT)
    jw_str (w, "text", d->text);
  if (dose & DOSE_STRUCT)
    {
      jw_obj (w, "timing");
      jw_obj (w, "repeat");
      /* For as-needed drugs the period is the minimum interval. */
      jw_int (w, "frequency", d->frequency != 0 ? d->frequency : 1);
      jw_int (w, "period", d->period);
      jw_str (w, "periodUnit", d->period_unit);
      jw_end (w);
      jw_end (w);
      jw_bool (w, "asNeededBoolean", d->frequency == 0);
      fhir_cc (w, "route", SNOMED, d->route_code, d->route_display, NULL);
      jw_arr (w, "doseAndRate");
      jw_obj (w, NULL);
      fhir_cc (w, "type", "http://terminology.hl7.org/CodeSystem/dose-rate-type", "ordered", "Ordered", NULL);
      fhir_quantity (w, "doseQuantity", d->dose_value, d->dose_unit, d->dose_ucum);
      jw_end (w);
      jw_end_arr (w);
    }
  jw_end (w);
}

/* Finds the patient's Condition the drug treats; NULL if none. */
static const CondRef *
find_reason (Pat        *p,
             const Drug *d)
{
  for (guint i = 0; i < p->conds->len; i++)
    {
      const CondRef *cr = &g_array_index (p->conds, CondRef, i);

      if ((gint) cr->concept == d->reason)
        return cr;
    }
  return NULL;
}

static void
write_reason (JsonWriter    *w,
              const Drug    *d,
              ReasonKind     kind,
              const CondRef *cr)
{
  if (kind == REASON_REF && cr == NULL)
    kind = d->reason >= 0 ? REASON_CODE : REASON_NONE;
  if (kind == REASON_CODE && d->reason >= 0)
    {
      const Concept *c = &concepts[d->reason];

      jw_arr (w, "reasonCode");
      fhir_cc (w, NULL, SNOMED, c->snomed, c->display, NULL);
      jw_end_arr (w);
    }
  else if (kind == REASON_REF)
    {
      g_autofree char *ref = g_strdup_printf ("Condition/%s", cr->id);

      jw_arr (w, "reasonReference");
      fhir_ref (w, NULL, ref, cr->display[0] != '\0' ? cr->display : NULL);
      jw_end_arr (w);
    }
}

static void
write_medication_entry (Gen           *g,
                        Pat           *p,
                        const MedSpec *s)
{
  const Drug *d = &drugs[s->drug];
  JsonWriter *w = &g->w;
  SbRng *rng = &p->rng;
  const CondRef *cr = s->reason == REASON_REF ? find_reason (p, d) : NULL;
  gint32 start, stop, t = today ();
  gboolean finished = g_str_equal (s->status, "completed") || g_str_equal (s->status, "stopped")
                      || g_str_equal (s->status, "cancelled");
  gboolean large = (p->flags & P_LARGE) != 0;
  guint secs = 8 * 3600 + rng_below (rng, 9 * 3600);
  g_autofree char *prescriber = practitioner_ref (p->gp != 0 && rng_percent (rng, 80) ? p->gp : 1 + rng_below (rng, N_PRACTITIONERS));
  char id[48];

  if (g->failed)
    return;

  /* Started after the problem it treats, and within the patient's life. */
  if (cr != NULL && cr->onset < p->end - 10)
    start = rng_between (rng, cr->onset, MIN (cr->onset + 400, p->end - 2));
  else
    start = random_day_in_life (rng, p, 2 * 365);
  stop = clamp_day (start + rng_between (rng, 5, 900), p->end - 1);
  if (stop <= start)
    stop = start + 1;

  if (s->request)
    g_snprintf (id, sizeof id, large ? "medrequest-%03u-%04u" : "medrequest-%03u-%02u", p->index, ++p->n_mr);
  else
    g_snprintf (id, sizeof id, large ? "medstatement-%03u-%04u" : "medstatement-%03u-%02u", p->index, ++p->n_ms);

  jw_obj (w, NULL);
  jw_str (w, "resourceType", s->request ? "MedicationRequest" : "MedicationStatement");
  jw_str (w, "id", id);
  fhir_meta (w, (finished ? stop : start) + 1, secs, s->request ? US_CORE "us-core-medicationrequest" : NULL);
  if (s->form == MED_CONTAINED)
    write_contained_medication (w, d);
  jw_str (w, "status", s->status);

  if (!s->request)
    {
      gboolean intended = g_str_equal (s->status, "intended");

      if (g_str_equal (s->status, "not-taken"))
        {
          jw_arr (w, "statusReason");
          jw_obj (w, NULL);
          jw_str (w, "text", "Patient chose not to take it after reading the package leaflet");
          jw_end (w);
          jw_end_arr (w);
        }
      fhir_cc (w, "category", "http://terminology.hl7.org/CodeSystem/medication-statement-category",
               rng_percent (rng, 70) ? "community" : "patientspecified",
               NULL, NULL);
      write_medication_x (w, d, s->form);
      fhir_ref (w, "subject", p->ref, NULL);
      if (intended)
        {
          /* Planned: starts after "today". */
          jw_obj (w, "effectivePeriod");
          jw_str (w, "start", date_of (t + rng_between (rng, 7, 60)).s);
          jw_end (w);
        }
      else if (g_str_equal (s->status, "not-taken"))
        jw_str (w, "effectiveDateTime", date_of (start).s);
      else if (g_str_equal (s->status, "unknown"))
        ; /* nobody knows when */
      else if (finished)
        {
          jw_obj (w, "effectivePeriod");
          jw_str (w, "start", stamp (start, PREC_TIME, secs, p->place->tz).s);
          jw_str (w, "end", date_of (stop).s);
          jw_end (w);
        }
      else if (rng_percent (rng, 30))
        jw_str (w, "effectiveDateTime", date_of (start).s);
      else
        {
          jw_obj (w, "effectivePeriod");
          jw_str (w, "start", stamp (start, PREC_TIME, secs, p->place->tz).s);
          jw_end (w);
        }
      jw_str (w, "dateAsserted", stamp (intended ? t - 3 : MIN (start + 2, p->end - 1), PREC_TIME,
                                        secs + 900, p->place->tz).s);
      if (rng_percent (rng, 50))
        fhir_ref (w, "informationSource", p->ref, NULL);
      else
        fhir_ref (w, "informationSource", prescriber, NULL);
      write_reason (w, d, s->reason, cr);
      if (s->dose != DOSE_NONE)
        {
          jw_arr (w, "dosage");
          write_dosage (w, d, s->dose);
          jw_end_arr (w);
        }
    }
  else
    {
      gboolean draft = g_str_equal (s->status, "draft");

      jw_str (w, "intent", draft ? "plan" : "order");
      fhir_cc_list (w, "category", "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                    rng_percent (rng, 80) ? "community" : "outpatient",
                    NULL, NULL);
      write_medication_x (w, d, s->form);
      fhir_ref (w, "subject", p->ref, NULL);
      jw_str (w, "authoredOn", stamp (start, PREC_TIME, secs, p->place->tz).s);
      fhir_ref (w, "requester", prescriber, NULL);
      write_reason (w, d, s->reason, cr);
      if (s->dose != DOSE_NONE)
        {
          jw_arr (w, "dosageInstruction");
          write_dosage (w, d, s->dose);
          jw_end_arr (w);
        }
      if (!draft)
        {
          char quantity[16];

          jw_obj (w, "dispenseRequest");
          jw_obj (w, "validityPeriod");
          jw_str (w, "start", date_of (start).s);
          jw_str (w, "end", date_of (finished ? stop : start + 365).s);
          jw_end (w);
          jw_int (w, "numberOfRepeatsAllowed", rng_below (rng, 6));
          /* Tablets are dispensed by count, everything else by the pack. */
          if (d->tablet || g_str_equal (d->dose_unit, "capsule"))
            {
              g_snprintf (quantity, sizeof quantity, "%u", 30 * (1 + rng_below (rng, 3)));
              fhir_quantity (w, "quantity", quantity, d->dose_unit, d->dose_ucum);
            }
          else
            fhir_quantity (w, "quantity", "1", "package", "{package}");
          fhir_quantity (w, "expectedSupplyDuration", "30", "days", "d");
          jw_end (w);
        }
    }
  if (rng_percent (rng, 5) || (s->dose & DOSE_LONG))
    {
      jw_arr (w, "note");
      jw_obj (w, NULL);
      jw_str (w, "text", (s->dose & DOSE_LONG) ? long_note : RNG_PICK (rng, short_notes));
      jw_end (w);
      jw_end_arr (w);
    }
  jw_end (w);
  gen_emit (g);
}

/* ------------------------------------------------------------------ */
/* The curated records.  The demo patient shows every status and form at
 * least once, so a workshop sees all of FHIR-DISPLAY.md in one record. */

static const CondSpec demo_conditions[] = {
  { C_HTN, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_ICD | CODE_TEXT, NOTE_SHORT },
  { C_DM2, CAT_PROBLEM, "active", "confirmed", X_PERIOD, X_NONE, CODE_ICD, NOTE_NONE },
  { C_ASTHMA, CAT_PROBLEM, "recurrence", "confirmed", X_AGE, X_NONE, CODE_TEXT, NOTE_NONE },
  { C_DEPR, CAT_PROBLEM, "relapse", "confirmed", X_RANGE, X_NONE, CODE_ICD, NOTE_NONE },
  { C_BREAST_CA, CAT_PROBLEM, "remission", "confirmed", X_DATETIME, X_DATETIME, CODE_ICD | CODE_TEXT, NOTE_SHORT },
  { C_BACK, CAT_CONCERN, "active", "confirmed", X_STRING, X_NONE, 0, NOTE_NONE },
  { C_OBESITY, CAT_CONCERN, "active", "provisional", X_DATETIME, X_NONE, 0, NOTE_NONE },
  { C_HYPOTHYROID, CAT_PROBLEM, "inactive", "confirmed", X_DATETIME, X_PERIOD, CODE_ICD, NOTE_NONE },
  { C_PHARYNG, CAT_ENCOUNTER, "resolved", "confirmed", X_DATETIME, X_DATETIME, CODE_TEXT, NOTE_NONE },
  { C_ANKLE, CAT_ENCOUNTER, "resolved", "confirmed", X_DATETIME, X_AGE, 0, NOTE_NONE },
  { C_FX_FOREARM, CAT_ENCOUNTER, "resolved", "confirmed", X_AGE, X_RANGE, CODE_ICD, NOTE_NONE },
  { C_OTITIS, CAT_ENCOUNTER, "resolved", "confirmed", X_STRING, X_STRING, 0, NOTE_NONE },
  { C_SUSP_COVID, CAT_ENCOUNTER, "resolved", "refuted", X_DATETIME, X_DATETIME, 0, NOTE_NONE },
  { C_MIGRAINE, CAT_PROBLEM, NULL, "entered-in-error", X_DATETIME, X_NONE, CODE_TEXT, NOTE_SHORT },
  { C_ANEMIA, CAT_PROBLEM, "active", "unconfirmed", X_DATETIME, X_NONE, 0, NOTE_NONE },
  { C_OSA, CAT_PROBLEM, "active", "differential", X_DATETIME, X_NONE, 0, NOTE_NONE },
  { C_FEVER, CAT_ENCOUNTER, NULL, "confirmed", X_DATETIME, X_NONE, 0, NOTE_NONE },
  { C_DYSPNEA, CAT_ENCOUNTER, "resolved", NULL, X_NONE, X_NONE, CODE_NO_DISPLAY, NOTE_NONE },
  { C_RHINITIS, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_ICD | CODE_USER_SELECTED, NOTE_NONE },
  { C_EMPLOYMENT, CAT_ENCOUNTER, "active", "confirmed", X_DATETIME, X_NONE, CODE_TEXT, NOTE_NONE },
  { C_ANAPHYLAXIS, CAT_ENCOUNTER, "resolved", "confirmed", X_DATETIME, X_DATETIME, CODE_ICD, NOTE_NONE },
};

static const MedSpec demo_meds[] = {
  { FALSE, D_LISINOPRIL, "active", MED_SHARED, DOSE_TEXT | DOSE_STRUCT, REASON_REF },
  { FALSE, D_METFORMIN, "active", MED_RXNORM, DOSE_TEXT, REASON_CODE },
  { FALSE, D_ALBUTEROL, "intended", MED_CONTAINED, DOSE_STRUCT, REASON_REF },
  { FALSE, D_FLUOXETINE, "on-hold", MED_RXNORM, DOSE_TEXT, REASON_REF },
  { FALSE, D_IBUPROFEN, "stopped", MED_RXNORM, DOSE_TEXT, REASON_NONE },
  { FALSE, D_AMOXICILLIN, "completed", MED_RXNORM, DOSE_TEXT | DOSE_STRUCT, REASON_REF },
  { FALSE, D_ACETAMINOPHEN, "unknown", MED_SNOMED, DOSE_NONE, REASON_NONE },
  { FALSE, D_ASPIRIN, "not-taken", MED_RXNORM_SNOMED, DOSE_TEXT, REASON_NONE },
  { FALSE, D_DIAZEPAM, "entered-in-error", MED_RXNORM, DOSE_TEXT, REASON_NONE },
  { TRUE, D_LISINOPRIL, "active", MED_SHARED, DOSE_TEXT | DOSE_STRUCT, REASON_REF },
  { TRUE, D_INSULIN, "active", MED_SHARED, DOSE_STRUCT, REASON_REF },
  { TRUE, D_FEXOFENADINE, "on-hold", MED_CONTAINED, DOSE_TEXT, REASON_CODE },
  { TRUE, D_PACLITAXEL, "completed", MED_SHARED, DOSE_TEXT, REASON_REF },
  { TRUE, D_PENICILLIN, "stopped", MED_RXNORM, DOSE_TEXT | DOSE_STRUCT, REASON_CODE },
  { TRUE, D_EPINEPHRINE, "active", MED_RXNORM, DOSE_TEXT, REASON_REF },
  { TRUE, D_SIMVASTATIN, "cancelled", MED_RXNORM, DOSE_TEXT, REASON_NONE },
  { TRUE, D_WARFARIN, "draft", MED_RXNORM_SNOMED, DOSE_TEXT, REASON_NONE },
  { TRUE, D_NAPROXEN, "unknown", MED_CODE_ONLY, DOSE_NONE, REASON_NONE },
  { TRUE, D_METOPROLOL, "entered-in-error", MED_SHARED, DOSE_TEXT, REASON_NONE },
};

/* patient-012: how a CodeableConcept may look. */
static const CondSpec coding_conditions[] = {
  { C_HTN, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_NO_DISPLAY, NOTE_NONE },
  { C_DM2, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_ICD | CODE_NO_DISPLAY, NOTE_NONE },
  { C_ASTHMA, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_ICD | CODE_USER_SELECTED, NOTE_NONE },
  { C_MIGRAINE, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_TEXT_ONLY, NOTE_NONE },
  { C_GERD, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_LOCAL, NOTE_NONE },
  { C_STRESS, CAT_CONCERN, "active", "confirmed", X_DATETIME, X_NONE, CODE_NONE, NOTE_SHORT },
  { C_OA, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_ICD_ONLY, NOTE_NONE },
  { C_ANX, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_ICD | CODE_TEXT | CODE_USER_SELECTED, NOTE_NONE },
};

static const MedSpec coding_meds[] = {
  { FALSE, D_HCTZ, "active", MED_CODE_ONLY, DOSE_TEXT, REASON_NONE },
  { FALSE, D_METFORMIN, "active", MED_SNOMED, DOSE_STRUCT, REASON_REF },
  { FALSE, D_BUDESONIDE, "active", MED_TEXT_ONLY, DOSE_TEXT, REASON_NONE },
  { TRUE, D_WARFARIN, "active", MED_RXNORM_SNOMED, DOSE_TEXT | DOSE_STRUCT, REASON_NONE },
  { TRUE, D_DIAZEPAM, "active", MED_CONTAINED, DOSE_NONE, REASON_REF },
};

/* patient-011: long texts everywhere. */
static const CondSpec long_conditions[] = {
  { C_ASTHMA, CAT_PROBLEM, "active", "confirmed", X_DATETIME, X_NONE, CODE_ICD | CODE_LONG, NOTE_LONG },
  { C_MIGRAINE, CAT_PROBLEM, "relapse", "confirmed", X_STRING, X_NONE, CODE_LONG, NOTE_LONG },
  { C_BACK, CAT_CONCERN, "active", "provisional", X_DATETIME, X_NONE, CODE_TEXT, NOTE_LONG },
};

static const MedSpec long_meds[] = {
  { FALSE, D_ALENDRONATE, "active", MED_RXNORM, DOSE_LONG | DOSE_STRUCT, REASON_NONE },
  { TRUE, D_BUDESONIDE, "active", MED_RXNORM, DOSE_LONG, REASON_REF },
};

static void
write_spec_list (Gen            *g,
                 Pat            *p,
                 const CondSpec *conds,
                 guint           n_conds)
{
  for (guint i = 0; i < n_conds && !g->failed; i++)
    write_condition (g, p, &conds[i]);
}

static void
write_med_list (Gen           *g,
                Pat           *p,
                const MedSpec *meds,
                guint          n_meds)
{
  for (guint i = 0; i < n_meds && !g->failed; i++)
    write_medication_entry (g, p, &meds[i]);
}

static void
write_random_record (Gen  *g,
                     Pat  *p,
                     guint n_conditions,
                     guint n_statements,
                     guint n_requests)
{
  gboolean synthea = (p->flags & P_SYNTHEA) != 0;
  CondSpec cs;
  MedSpec ms;

  for (guint i = 0; i < n_conditions && !g->failed; i++)
    {
      random_cond_spec (&p->rng, &cs, synthea);
      write_condition (g, p, &cs);
    }
  for (guint i = 0; i < n_statements && !g->failed; i++)
    {
      random_med_spec (&p->rng, p, &ms, FALSE, synthea);
      write_medication_entry (g, p, &ms);
    }
  for (guint i = 0; i < n_requests && !g->failed; i++)
    {
      random_med_spec (&p->rng, p, &ms, TRUE, synthea);
      write_medication_entry (g, p, &ms);
    }
}

static void
write_patient_record (Gen *g,
                      Pat *p)
{
  SbRng *rng = &p->rng;

  write_patient (g, p);
  if (p->flags & P_EMPTY)
    return;

  if (p->flags & P_LARGE)
    {
      /* Interleave statements and requests as a long-lived record would. */
      CondSpec cs;
      MedSpec ms;

      for (guint i = 0; i < LARGE_CONDITIONS && !g->failed; i++)
        {
          random_cond_spec (rng, &cs, FALSE);
          write_condition (g, p, &cs);
        }
      for (guint i = 0; i < LARGE_STATEMENTS + LARGE_REQUESTS && !g->failed; i++)
        {
          random_med_spec (rng, p, &ms, i % 2 == 1, FALSE);
          write_medication_entry (g, p, &ms);
        }
      return;
    }

  if (p->index == DEMO_PATIENT)
    {
      write_spec_list (g, p, demo_conditions, G_N_ELEMENTS (demo_conditions));
      write_nlp_findings (g, p);
      write_med_list (g, p, demo_meds, G_N_ELEMENTS (demo_meds));
      return;
    }
  if (p->flags & P_CODING)
    {
      write_spec_list (g, p, coding_conditions, G_N_ELEMENTS (coding_conditions));
      write_med_list (g, p, coding_meds, G_N_ELEMENTS (coding_meds));
      return;
    }
  if (p->flags & P_LONG)
    {
      write_spec_list (g, p, long_conditions, G_N_ELEMENTS (long_conditions));
      write_med_list (g, p, long_meds, G_N_ELEMENTS (long_meds));
      return;
    }

  if (p->flags & P_SYNTHEA)
    write_random_record (g, p, (guint) rng_between (rng, 4, 10), 0, (guint) rng_between (rng, 3, 8));
  else
    write_random_record (g, p, (guint) rng_between (rng, 2, 9), (guint) rng_between (rng, 0, 4),
                         (guint) rng_between (rng, 1, 5));

  if (p->flags & P_NLP)
    {
      write_nlp_findings (g, p);
      write_nlp_findings (g, p);
    }
  else if (p->index % 8 == 5 && !(p->flags & P_SYNTHEA))
    write_nlp_findings (g, p);
}

/* Sets up the patient model for @index: identity, flags, GP, birth. */
static void
pat_init (Pat     *p,
          guint32  seed,
          guint    index)
{
  const FixedPatient *fx = fixed_patient (index);
  SbRng *rng = &p->rng;

  memset (p, 0, sizeof *p);
  p->index = index;
  g_snprintf (p->id, sizeof p->id, "patient-%03u", index);
  g_snprintf (p->ref, sizeof p->ref, "Patient/patient-%03u", index);
  rng_init (rng, seed, index);
  p->fixed = fx;
  p->gp = gp_for_index (index);
  p->end = today ();
  p->conds = g_array_new (FALSE, FALSE, sizeof (CondRef));

  if (fx != NULL)
    {
      p->flags = fx->flags;
      p->gender = fx->gender;
      p->birth = days_from_civil (fx->by, fx->bm, fx->bd);
      p->place = &places[fx->place];
      if (p->flags & P_DECEASED_DT)
        p->end = days_from_civil (2025, 2, 14);
      else if (p->flags & P_DECEASED_BOOL)
        p->end = days_from_civil (2019, 10, 3);
    }
  else
    {
      guint age = (guint) rng_between (rng, 0, 96);

      p->gender = rng_percent (rng, 2) ? "other" : rng_percent (rng, 50) ? "female" : "male";
      /* At least a month old, so that every record has room for a history. */
      p->birth = p->end - 30 - (gint32) (age * 365 + rng_below (rng, 365));
      p->place = &places[rng_below (rng, G_N_ELEMENTS (places))];
      if (rng_percent (rng, 60))
        p->flags |= P_SSN;
    }
}

static void
pat_clear (Pat *p)
{
  g_clear_pointer (&p->conds, g_array_unref);
}

/**
 * sb_generate_population:
 * @seed: the seed; the same seed always gives the same bytes
 * @sink: receives each resource, referenced resources first
 * @user_data: for @sink
 * @info_out: (out) (optional): the demo users and the large record
 * @error: return location for an error from @sink
 *
 * Generates the sandbox population: Practitioners, shared Medications, then
 * each Patient followed by its Conditions, NLP findings, MedicationStatements
 * and MedicationRequests.  POPULATION.md documents what each patient shows.
 *
 * Returns: %TRUE on success; %FALSE when the sink failed, with @error set.
 */
gboolean
sb_generate_population (guint32            seed,
                        SbResourceSink     sink,
                        gpointer           user_data,
                        SbPopulationInfo  *info_out,
                        GError           **error)
{
  Gen g = { 0 };

  g_return_val_if_fail (sink != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g.sink = sink;
  g.user_data = user_data;
  g.w.out = g_string_sized_new (64 * 1024);

  for (guint i = 1; i <= N_PRACTITIONERS && !g.failed; i++)
    write_practitioner (&g, i);
  for (guint i = 0; i < N_DRUGS && !g.failed; i++)
    if (drugs[i].shared)
      write_shared_medication (&g, &drugs[i]);

  for (guint i = 1; i <= N_PATIENTS && !g.failed; i++)
    {
      Pat p;

      pat_init (&p, seed, i);
      write_patient_record (&g, &p);
      pat_clear (&p);
      if (!g.failed)
        g.n_patients++;
    }

  g_string_free (g.w.out, TRUE);
  if (g.failed)
    {
      g_propagate_error (error, g.error);
      return FALSE;
    }

  if (info_out != NULL)
    {
      char id[32];

      practitioner_id (CLINICIAN_INDEX, id, sizeof id);
      info_out->clinician_practitioner_id = g_strdup (id);
      info_out->patient_id = g_strdup_printf ("patient-%03u", DEMO_PATIENT);
      info_out->large_patient_id = g_strdup_printf ("patient-%03u", LARGE_PATIENT);
      info_out->n_patients = g.n_patients;
    }
  return TRUE;
}

void
sb_population_info_clear (SbPopulationInfo *info)
{
  if (info == NULL)
    return;
  g_clear_pointer (&info->clinician_practitioner_id, g_free);
  g_clear_pointer (&info->patient_id, g_free);
  g_clear_pointer (&info->large_patient_id, g_free);
  info->n_patients = 0;
}
