/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-problem.h"


#include "sv-fhir-value.h"

/* One row of the problem list: a Condition read once into the texts and
 * flags the view, the CLI and the summary show, by the rules of
 * FHIR-DISPLAY.md. Rows are immutable, so that a list of thousands can be
 * built and sorted cheaply. */

#define CLINICAL_SYSTEM "http://terminology.hl7.org/CodeSystem/condition-clinical"
#define VERIFICATION_SYSTEM "http://terminology.hl7.org/CodeSystem/condition-ver-status"
#define CATEGORY_SYSTEM "http://terminology.hl7.org/CodeSystem/condition-category"

struct _SvProblem
{
  GObject            parent_instance;

  JsonObject        *resource;
  GBytes            *text;
  char              *id;
  char              *recorded_date;
  char              *display;
  GPtrArray         *codings;
  char              *clinical_status;
  char              *verification_status;
  SvProblemGroup     group;
  SvProblemCategory  category;
  char              *onset_text;
  char              *abatement_text;
  char              *recorded_text;
  char              *onset_date;
  gint64             onset_key;
  gint64             recorded_key;
  gboolean           inferred;
  double             confidence;
  char              *notes;
  char              *raw_json;
};

G_DEFINE_FINAL_TYPE (SvProblem, sv_problem, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (SvProblemGroup, sv_problem_group,
  G_DEFINE_ENUM_VALUE (SV_PROBLEM_GROUP_ACTIVE, "active"),
  G_DEFINE_ENUM_VALUE (SV_PROBLEM_GROUP_REMISSION, "remission"),
  G_DEFINE_ENUM_VALUE (SV_PROBLEM_GROUP_UNKNOWN, "unknown"),
  G_DEFINE_ENUM_VALUE (SV_PROBLEM_GROUP_INACTIVE, "inactive"))

G_DEFINE_ENUM_TYPE (SvProblemCategory, sv_problem_category,
  G_DEFINE_ENUM_VALUE (SV_PROBLEM_CATEGORY_PROBLEM_LIST, "problem-list-item"),
  G_DEFINE_ENUM_VALUE (SV_PROBLEM_CATEGORY_HEALTH_CONCERN, "health-concern"),
  G_DEFINE_ENUM_VALUE (SV_PROBLEM_CATEGORY_ENCOUNTER_DIAGNOSIS, "encounter-diagnosis"))

enum {
  PROP_0,
  PROP_ID,
  PROP_RESOURCE_TYPE,
  PROP_DISPLAY,
  PROP_CODINGS,
  PROP_CLINICAL_STATUS,
  PROP_VERIFICATION_STATUS,
  PROP_GROUP,
  PROP_CATEGORY,
  PROP_ONSET_TEXT,
  PROP_ABATEMENT_TEXT,
  PROP_RECORDED_TEXT,
  PROP_REFUTED,
  PROP_UNCONFIRMED,
  PROP_INFERRED,
  PROP_CONFIDENCE,
  PROP_NOTES,
  PROP_RAW_JSON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
sv_problem_finalize (GObject *object)
{
  SvProblem *self = SV_PROBLEM (object);

  g_clear_pointer (&self->resource, json_object_unref);
  g_clear_pointer (&self->text, g_bytes_unref);
  g_clear_pointer (&self->codings, g_ptr_array_unref);
  g_free (self->id);
  g_free (self->recorded_date);
  g_free (self->display);
  g_free (self->clinical_status);
  g_free (self->verification_status);
  g_free (self->onset_text);
  g_free (self->abatement_text);
  g_free (self->recorded_text);
  g_free (self->onset_date);
  g_free (self->notes);
  g_free (self->raw_json);

  G_OBJECT_CLASS (sv_problem_parent_class)->finalize (object);
}

static void
sv_problem_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  SvProblem *self = SV_PROBLEM (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, sv_problem_get_id (self));
      break;
    case PROP_RESOURCE_TYPE:
      g_value_set_string (value, sv_problem_get_resource_type (self));
      break;
    case PROP_DISPLAY:
      g_value_set_string (value, self->display);
      break;
    case PROP_CODINGS:
      g_value_set_boxed (value, self->codings);
      break;
    case PROP_CLINICAL_STATUS:
      g_value_set_string (value, self->clinical_status);
      break;
    case PROP_VERIFICATION_STATUS:
      g_value_set_string (value, self->verification_status);
      break;
    case PROP_GROUP:
      g_value_set_enum (value, self->group);
      break;
    case PROP_CATEGORY:
      g_value_set_enum (value, self->category);
      break;
    case PROP_ONSET_TEXT:
      g_value_set_string (value, self->onset_text);
      break;
    case PROP_ABATEMENT_TEXT:
      g_value_set_string (value, self->abatement_text);
      break;
    case PROP_RECORDED_TEXT:
      g_value_set_string (value, self->recorded_text);
      break;
    case PROP_REFUTED:
      g_value_set_boolean (value, sv_problem_get_refuted (self));
      break;
    case PROP_UNCONFIRMED:
      g_value_set_boolean (value, sv_problem_get_unconfirmed (self));
      break;
    case PROP_INFERRED:
      g_value_set_boolean (value, self->inferred);
      break;
    case PROP_CONFIDENCE:
      g_value_set_double (value, self->confidence);
      break;
    case PROP_NOTES:
      g_value_set_string (value, self->notes);
      break;
    case PROP_RAW_JSON:
      g_value_set_string (value, sv_problem_get_raw_json (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
boolean_property (const char *name)
{
  return g_param_spec_boolean (name, NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
sv_problem_class_init (SvProblemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_problem_finalize;
  object_class->get_property = sv_problem_get_property;

  properties[PROP_ID] = string_property ("id");
  properties[PROP_RESOURCE_TYPE] = string_property ("resource-type");
  properties[PROP_DISPLAY] = string_property ("display");
  properties[PROP_CODINGS] =
    g_param_spec_boxed ("codings", NULL, NULL, G_TYPE_PTR_ARRAY,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLINICAL_STATUS] = string_property ("clinical-status");
  properties[PROP_VERIFICATION_STATUS] = string_property ("verification-status");
  properties[PROP_GROUP] =
    g_param_spec_enum ("group", NULL, NULL, SV_TYPE_PROBLEM_GROUP, SV_PROBLEM_GROUP_UNKNOWN,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CATEGORY] =
    g_param_spec_enum ("category", NULL, NULL, SV_TYPE_PROBLEM_CATEGORY,
                       SV_PROBLEM_CATEGORY_PROBLEM_LIST,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONSET_TEXT] = string_property ("onset-text");
  properties[PROP_ABATEMENT_TEXT] = string_property ("abatement-text");
  properties[PROP_RECORDED_TEXT] = string_property ("recorded-text");
  properties[PROP_REFUTED] = boolean_property ("refuted");
  properties[PROP_UNCONFIRMED] = boolean_property ("unconfirmed");
  properties[PROP_INFERRED] = boolean_property ("inferred");
  properties[PROP_CONFIDENCE] =
    g_param_spec_double ("confidence", NULL, NULL, -1, G_MAXDOUBLE, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NOTES] = string_property ("notes");
  properties[PROP_RAW_JSON] = string_property ("raw-json");

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_problem_init (SvProblem *self)
{
  self->confidence = -1;
}

static SvProblemCategory
category_of (const SvJsonNode *condition)
{
  const SvJsonNode *categories = sv_json_node_get_array_member (condition, "category");
  gboolean problem_list = FALSE, concern = FALSE, diagnosis = FALSE;

  for (guint i = 0; i < sv_json_node_get_length (categories); i++)
    {
      const SvJsonNode *category = sv_json_node_get_object_element (categories, i);

      problem_list |= sv_fhir_concept_has_code (category, NULL, "problem-list-item");
      concern |= sv_fhir_concept_has_code (category, NULL, "health-concern");
      diagnosis |= sv_fhir_concept_has_code (category, NULL, "encounter-diagnosis");
    }

  /* A Condition that is both is on the problem list; one without any of
   * the US Core categories is taken as a problem, which is what servers
   * without US Core mean by a Condition. */
  if (problem_list)
    return SV_PROBLEM_CATEGORY_PROBLEM_LIST;
  if (concern)
    return SV_PROBLEM_CATEGORY_HEALTH_CONCERN;
  if (diagnosis)
    return SV_PROBLEM_CATEGORY_ENCOUNTER_DIAGNOSIS;
  return SV_PROBLEM_CATEGORY_PROBLEM_LIST;
}

static gboolean
has_choice (const SvJsonNode *resource,
            const char       *prefix)
{
  static const char *types[] = { "DateTime", "Period", "Age", "Range", "String" };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      char name[64];

      g_snprintf (name, sizeof name, "%s%s", prefix, types[i]);
      if (sv_json_node_get_member (resource, name) != NULL)
        return TRUE;
    }

  return FALSE;
}

static SvProblemGroup
group_of (const char       *clinical_status,
          const SvJsonNode *condition)
{
  if (g_strcmp0 (clinical_status, "active") == 0 || g_strcmp0 (clinical_status, "recurrence") == 0 ||
      g_strcmp0 (clinical_status, "relapse") == 0)
    return SV_PROBLEM_GROUP_ACTIVE;
  if (g_strcmp0 (clinical_status, "remission") == 0)
    return SV_PROBLEM_GROUP_REMISSION;
  if (g_strcmp0 (clinical_status, "inactive") == 0 || g_strcmp0 (clinical_status, "resolved") == 0)
    return SV_PROBLEM_GROUP_INACTIVE;

  /* Without a status, an abatement says the problem is over. */
  return has_choice (condition, "abatement") ? SV_PROBLEM_GROUP_INACTIVE : SV_PROBLEM_GROUP_UNKNOWN;
}

/* The date an onset[x] starts at, for sorting; Age, Range and string onsets
 * have none and sort last. */
static const char *
onset_date_of (const SvJsonNode *condition)
{
  const char *date = sv_json_node_get_string_member (condition, "onsetDateTime");

  if (date == NULL)
    date = sv_json_node_get_string_member (sv_json_node_get_object_member (condition, "onsetPeriod"), "start");
  return date;
}

/**
 * sv_problem_new_from_json:
 * @condition: a Condition resource
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the row, %NULL when @condition cannot
 *   be read (wrong type, no id, elements of the wrong JSON type)
 */
SvProblem *
sv_problem_new_from_json (JsonObject  *condition,
                          GError     **error)
{
  g_autoptr(SvJsonTree) tree = sv_json_tree_new_from_object (condition);
  g_autoptr(GBytes) text = sv_fhir_resource_text (condition);

  return sv_problem_new_from_node (sv_json_tree_get_root (tree), text, error);
}

/**
 * sv_problem_new_from_node:
 * @condition: a Condition resource
 * @text: its JSON text as the server sent it
 * @error: return location for a #GError
 *
 * The row keeps @text rather than a tree, which is many times larger: a
 * record of thousands of rows then holds little more than the texts it
 * shows. A tree is read again from the text when one is asked for
 * (sv_problem_get_resource(), the raw JSON).
 *
 * Returns: (transfer full) (nullable): the row, %NULL when @condition cannot
 *   be read (wrong type, no id, elements of the wrong JSON type)
 */
SvProblem *
sv_problem_new_from_node (const SvJsonNode  *condition,
                          GBytes            *text,
                          GError           **error)
{
  g_autoptr(SvProblem) self = NULL;
  const SvJsonNode *code;

  g_return_val_if_fail (text != NULL, NULL);

  if (!sv_fhir_resource_check (condition, "Condition",
                               "o:code o:clinicalStatus o:verificationStatus a:category "
                               "s:onsetDateTime o:onsetPeriod o:onsetAge o:onsetRange s:onsetString "
                               "s:abatementDateTime o:abatementPeriod o:abatementAge o:abatementRange "
                               "s:abatementString s:recordedDate a:note a:extension",
                               error))
    return NULL;

  self = g_object_new (SV_TYPE_PROBLEM, NULL);
  self->text = g_bytes_ref (text);
  self->id = g_strdup (sv_json_node_get_string_member (condition, "id"));
  self->recorded_date = g_strdup (sv_json_node_get_string_member (condition, "recordedDate"));

  code = sv_json_node_get_object_member (condition, "code");
  self->display = sv_fhir_concept_display (code, SV_CODE_DOMAIN_CONDITION);
  self->codings = sv_fhir_concept_codings (code);
  self->clinical_status =
    g_strdup (sv_fhir_status_code (sv_json_node_get_object_member (condition, "clinicalStatus"), CLINICAL_SYSTEM));
  self->verification_status =
    g_strdup (sv_fhir_status_code (sv_json_node_get_object_member (condition, "verificationStatus"),
                                   VERIFICATION_SYSTEM));
  self->group = group_of (self->clinical_status, condition);
  self->category = category_of (condition);
  self->onset_text = sv_fhir_choice_display (condition, "onset");
  self->abatement_text = sv_fhir_choice_display (condition, "abatement");
  self->recorded_text = sv_fhir_date_format (self->recorded_date);
  self->onset_date = g_strdup (onset_date_of (condition));
  self->onset_key = sv_fhir_date_sort_key (self->onset_date);
  self->recorded_key = sv_fhir_date_sort_key (self->recorded_date);
  self->inferred = sv_fhir_inferred_confidence (condition, &self->confidence);
  self->notes = sv_fhir_notes_text (condition);

  return g_steal_pointer (&self);
}

/**
 * sv_problem_get_id:
 * @self: a #SvProblem
 *
 * Returns: the Condition's id
 */
const char *
sv_problem_get_id (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->id;
}

/**
 * sv_problem_get_resource_type:
 * @self: a #SvProblem
 *
 * Returns: "Condition"
 */
const char *
sv_problem_get_resource_type (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return "Condition";
}

/**
 * sv_problem_get_display:
 * @self: a #SvProblem
 *
 * Returns: the name by the CodeableConcept rules, never %NULL
 */
const char *
sv_problem_get_display (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->display;
}

/**
 * sv_problem_get_codings:
 * @self: a #SvProblem
 *
 * Returns: (transfer none) (element-type SvCoding): all codings of the code
 */
GPtrArray *
sv_problem_get_codings (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->codings;
}

/**
 * sv_problem_get_clinical_status:
 * @self: a #SvProblem
 *
 * Returns: (nullable): the clinicalStatus code, %NULL when absent
 */
const char *
sv_problem_get_clinical_status (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->clinical_status;
}

/**
 * sv_problem_get_verification_status:
 * @self: a #SvProblem
 *
 * Returns: (nullable): the verificationStatus code
 */
const char *
sv_problem_get_verification_status (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->verification_status;
}

/**
 * sv_problem_get_group:
 * @self: a #SvProblem
 *
 * Returns: the group the row is listed under
 */
SvProblemGroup
sv_problem_get_group (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), SV_PROBLEM_GROUP_UNKNOWN);
  return self->group;
}

/**
 * sv_problem_get_category:
 * @self: a #SvProblem
 *
 * Returns: whether the row is on the problem list or an encounter diagnosis
 */
SvProblemCategory
sv_problem_get_category (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), SV_PROBLEM_CATEGORY_PROBLEM_LIST);
  return self->category;
}

/**
 * sv_problem_get_category_code:
 * @self: a #SvProblem
 *
 * Returns: "problem-list-item", "health-concern" or "encounter-diagnosis"
 */
const char *
sv_problem_get_category_code (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return g_enum_get_value (g_type_class_peek (SV_TYPE_PROBLEM_CATEGORY), self->category)->value_nick;
}

/**
 * sv_problem_get_onset_text:
 * @self: a #SvProblem
 *
 * Returns: (nullable): onset[x] for people, whatever its type
 */
const char *
sv_problem_get_onset_text (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->onset_text;
}

/**
 * sv_problem_get_abatement_text:
 * @self: a #SvProblem
 *
 * Returns: (nullable): abatement[x] for people
 */
const char *
sv_problem_get_abatement_text (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->abatement_text;
}

/**
 * sv_problem_get_recorded_text:
 * @self: a #SvProblem
 *
 * Returns: (nullable): the recordedDate for people
 */
const char *
sv_problem_get_recorded_text (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->recorded_text;
}

/**
 * sv_problem_get_onset_date:
 * @self: a #SvProblem
 *
 * Returns: (nullable): the FHIR date the onset starts at, as given
 */
const char *
sv_problem_get_onset_date (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->onset_date;
}

/**
 * sv_problem_get_recorded_date:
 * @self: a #SvProblem
 *
 * Returns: (nullable): recordedDate as given
 */
const char *
sv_problem_get_recorded_date (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->recorded_date;
}

/**
 * sv_problem_get_refuted:
 * @self: a #SvProblem
 *
 * Returns: whether the verification status is `refuted` (struck through)
 */
gboolean
sv_problem_get_refuted (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), FALSE);
  return g_strcmp0 (self->verification_status, "refuted") == 0;
}

/**
 * sv_problem_get_unconfirmed:
 * @self: a #SvProblem
 *
 * Returns: whether the verification status is `unconfirmed`, `provisional`
 *   or `differential`
 */
gboolean
sv_problem_get_unconfirmed (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), FALSE);
  return g_strcmp0 (self->verification_status, "unconfirmed") == 0 ||
         g_strcmp0 (self->verification_status, "provisional") == 0 ||
         g_strcmp0 (self->verification_status, "differential") == 0;
}

/**
 * sv_problem_get_entered_in_error:
 * @self: a #SvProblem
 *
 * Returns: whether the row must be hidden
 */
gboolean
sv_problem_get_entered_in_error (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), FALSE);
  return g_strcmp0 (self->verification_status, "entered-in-error") == 0 ||
         g_strcmp0 (self->clinical_status, "entered-in-error") == 0;
}

/**
 * sv_problem_get_inferred:
 * @self: a #SvProblem
 *
 * Returns: whether HealthLake's NLP inferred the Condition from notes
 */
gboolean
sv_problem_get_inferred (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), FALSE);
  return self->inferred;
}

/**
 * sv_problem_get_confidence:
 * @self: a #SvProblem
 *
 * Returns: the inference's confidence score, -1 when there is none
 */
double
sv_problem_get_confidence (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), -1);
  return self->confidence;
}

/**
 * sv_problem_get_notes:
 * @self: a #SvProblem
 *
 * Returns: (nullable): the notes' texts, one per line
 */
const char *
sv_problem_get_notes (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);
  return self->notes;
}

/**
 * sv_problem_get_raw_json:
 * @self: a #SvProblem
 *
 * Made on first use only: few rows are ever opened in detail.
 *
 * Returns: the resource as indented JSON
 */
const char *
sv_problem_get_raw_json (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);

  if (self->raw_json == NULL)
    self->raw_json = sv_fhir_resource_pretty_text (self->resource, self->text);

  return self->raw_json;
}

/**
 * sv_problem_get_resource:
 * @self: a #SvProblem
 *
 * Returns: (transfer none): the Condition, read again from its text when
 *   the row kept only that
 */
JsonObject *
sv_problem_get_resource (SvProblem *self)
{
  g_return_val_if_fail (SV_IS_PROBLEM (self), NULL);

  if (self->resource == NULL)
    self->resource = sv_fhir_resource_from_text (self->text);
  return self->resource;
}

static int
compare_desc (gint64 a,
              gint64 b)
{
  return a < b ? 1 : a > b ? -1 : 0;
}

/**
 * sv_problem_compare:
 * @a: a #SvProblem
 * @b: a #SvProblem
 *
 * The problem list's order: by group, then onset descending, then
 * recordedDate descending; rows without a date come last in their group.
 * The display and the id break ties so that the order is stable.
 *
 * Returns: <0, 0 or >0
 */
int
sv_problem_compare (SvProblem *a,
                    SvProblem *b)
{
  int result;

  if (a->group != b->group)
    return a->group < b->group ? -1 : 1;
  if ((result = compare_desc (a->onset_key, b->onset_key)) != 0)
    return result;
  if ((result = compare_desc (a->recorded_key, b->recorded_key)) != 0)
    return result;
  if ((result = g_utf8_collate (a->display, b->display)) != 0)
    return result;
  return g_strcmp0 (sv_problem_get_id (a), sv_problem_get_id (b));
}
