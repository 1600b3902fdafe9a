/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-patient-record.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-error.h"
#include "sv-fhir-value.h"
#include "sv-json-writer.h"
#include "sv-scope.h"

/* One patient's record as the view, the CLI and the summary show it: the
 * Patient for the banner, and the problems and medications as GListModels
 * that the view binds to. Loading reads the Patient, then searches
 * Condition, MedicationStatement and MedicationRequest in parallel; each
 * resource type has its own state, so that one failing never hides what
 * the others read. Loading again (another patient, a refresh) cancels what
 * is still in flight: callbacks of a cancelled load never touch the record. */

typedef enum
{
  RES_CONDITION,
  RES_STATEMENT,
  RES_REQUEST,
  N_RES
} Res;

static const char *res_types[N_RES] = { "Condition", "MedicationStatement", "MedicationRequest" };

typedef struct
{
  SvSectionState  state;
  guint           count;
  char           *message;
} Section;

struct _SvPatientRecord
{
  GObject       parent_instance;

  JsonObject   *patient;
  char         *patient_id;
  char         *name;
  char         *birth;
  int           age;
  char         *gender;
  char         *mrn;
  char         *mrn_label;
  gboolean      deceased;
  char         *deceased_text;
  char         *source_server;
  GDateTime    *last_fetched;
  gboolean      loading;
  char         *patient_error;

  GListStore   *problems;
  GListStore   *encounter_diagnoses;
  GListStore   *medications;
  GHashTable   *problem_index;

  Section       resources[N_RES];
  Section       sections[2];
  GPtrArray    *skipped;

  GCancellable *load_cancellable;
  gpointer      current_load;
};

G_DEFINE_FINAL_TYPE (SvPatientRecord, sv_patient_record, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (SvSection, sv_section,
  G_DEFINE_ENUM_VALUE (SV_SECTION_PROBLEMS, "problems"),
  G_DEFINE_ENUM_VALUE (SV_SECTION_MEDICATIONS, "medications"))

G_DEFINE_ENUM_TYPE (SvSectionState, sv_section_state,
  G_DEFINE_ENUM_VALUE (SV_SECTION_STATE_EMPTY, "empty"),
  G_DEFINE_ENUM_VALUE (SV_SECTION_STATE_LOADING, "loading"),
  G_DEFINE_ENUM_VALUE (SV_SECTION_STATE_OK, "ok"),
  G_DEFINE_ENUM_VALUE (SV_SECTION_STATE_PARTIAL, "partial"),
  G_DEFINE_ENUM_VALUE (SV_SECTION_STATE_NOT_PERMITTED, "not-permitted"),
  G_DEFINE_ENUM_VALUE (SV_SECTION_STATE_ERROR, "error"))

enum {
  PROP_0,
  PROP_PATIENT_ID,
  PROP_NAME,
  PROP_BIRTH,
  PROP_AGE,
  PROP_GENDER,
  PROP_MRN,
  PROP_MRN_LABEL,
  PROP_DECEASED,
  PROP_DECEASED_TEXT,
  PROP_SOURCE_SERVER,
  PROP_LAST_FETCHED,
  PROP_LOADING,
  PROP_PATIENT_ERROR,
  PROP_PROBLEMS,
  PROP_ENCOUNTER_DIAGNOSES,
  PROP_MEDICATIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SECTION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
section_set (Section        *section,
             SvSectionState  state,
             guint           count,
             const char     *message)
{
  section->state = state;
  section->count = count;
  g_free (section->message);
  section->message = g_strdup (message);
}

static void
sv_patient_record_finalize (GObject *object)
{
  SvPatientRecord *self = SV_PATIENT_RECORD (object);

  g_clear_pointer (&self->patient, json_object_unref);
  g_free (self->patient_id);
  g_free (self->name);
  g_free (self->birth);
  g_free (self->gender);
  g_free (self->mrn);
  g_free (self->mrn_label);
  g_free (self->deceased_text);
  g_free (self->source_server);
  g_clear_pointer (&self->last_fetched, g_date_time_unref);
  g_free (self->patient_error);
  g_clear_pointer (&self->problem_index, g_hash_table_unref);
  g_clear_pointer (&self->skipped, g_ptr_array_unref);
  for (guint i = 0; i < N_RES; i++)
    g_free (self->resources[i].message);
  for (guint i = 0; i < G_N_ELEMENTS (self->sections); i++)
    g_free (self->sections[i].message);

  G_OBJECT_CLASS (sv_patient_record_parent_class)->finalize (object);
}

static void
sv_patient_record_dispose (GObject *object)
{
  SvPatientRecord *self = SV_PATIENT_RECORD (object);

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->problems);
  g_clear_object (&self->encounter_diagnoses);
  g_clear_object (&self->medications);

  G_OBJECT_CLASS (sv_patient_record_parent_class)->dispose (object);
}

static void
sv_patient_record_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SvPatientRecord *self = SV_PATIENT_RECORD (object);

  switch (prop_id)
    {
    case PROP_PATIENT_ID:
      g_value_set_string (value, self->patient_id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_BIRTH:
      g_value_set_string (value, self->birth);
      break;
    case PROP_AGE:
      g_value_set_int (value, self->age);
      break;
    case PROP_GENDER:
      g_value_set_string (value, self->gender);
      break;
    case PROP_MRN:
      g_value_set_string (value, self->mrn);
      break;
    case PROP_MRN_LABEL:
      g_value_set_string (value, self->mrn_label);
      break;
    case PROP_DECEASED:
      g_value_set_boolean (value, self->deceased);
      break;
    case PROP_DECEASED_TEXT:
      g_value_set_string (value, self->deceased_text);
      break;
    case PROP_SOURCE_SERVER:
      g_value_set_string (value, self->source_server);
      break;
    case PROP_LAST_FETCHED:
      g_value_set_boxed (value, self->last_fetched);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_PATIENT_ERROR:
      g_value_set_string (value, self->patient_error);
      break;
    case PROP_PROBLEMS:
      g_value_set_object (value, self->problems);
      break;
    case PROP_ENCOUNTER_DIAGNOSES:
      g_value_set_object (value, self->encounter_diagnoses);
      break;
    case PROP_MEDICATIONS:
      g_value_set_object (value, self->medications);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
sv_patient_record_class_init (SvPatientRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_patient_record_finalize;
  object_class->dispose = sv_patient_record_dispose;
  object_class->get_property = sv_patient_record_get_property;

  properties[PROP_PATIENT_ID] = string_property ("patient-id");
  properties[PROP_NAME] = string_property ("name");
  properties[PROP_BIRTH] = string_property ("birth");
  properties[PROP_AGE] =
    g_param_spec_int ("age", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GENDER] = string_property ("gender");
  properties[PROP_MRN] = string_property ("mrn");
  properties[PROP_MRN_LABEL] = string_property ("mrn-label");
  properties[PROP_DECEASED] =
    g_param_spec_boolean ("deceased", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DECEASED_TEXT] = string_property ("deceased-text");
  properties[PROP_SOURCE_SERVER] = string_property ("source-server");
  properties[PROP_LAST_FETCHED] =
    g_param_spec_boxed ("last-fetched", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PATIENT_ERROR] = string_property ("patient-error");
  properties[PROP_PROBLEMS] =
    g_param_spec_object ("problems", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENCOUNTER_DIAGNOSES] =
    g_param_spec_object ("encounter-diagnoses", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEDICATIONS] =
    g_param_spec_object ("medications", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SvPatientRecord::section-changed:
   * @record: the record
   * @section: the #SvSection whose state, count or message changed
   */
  signals[SECTION_CHANGED] =
    g_signal_new ("section-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SV_TYPE_SECTION);
}

static void
sv_patient_record_init (SvPatientRecord *self)
{
  self->age = -1;
  self->problems = g_list_store_new (SV_TYPE_PROBLEM);
  self->encounter_diagnoses = g_list_store_new (SV_TYPE_PROBLEM);
  self->medications = g_list_store_new (SV_TYPE_MEDICATION);
  self->problem_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->skipped = g_ptr_array_new_with_free_func (g_free);
}

/**
 * sv_patient_record_new:
 *
 * Returns: (transfer full): an empty record
 */
SvPatientRecord *
sv_patient_record_new (void)
{
  return g_object_new (SV_TYPE_PATIENT_RECORD, NULL);
}

/* The medications section unites two resource types: it is loading while
 * either is, not permitted only when both are, in error when either failed
 * (the other's rows still show), partial when either stopped early. */
static void
update_sections (SvPatientRecord *self)
{
  Section *statement = &self->resources[RES_STATEMENT];
  Section *request = &self->resources[RES_REQUEST];
  Section *condition = &self->resources[RES_CONDITION];
  Section *medications = &self->sections[SV_SECTION_MEDICATIONS];
  g_autoptr(GString) message = g_string_new (NULL);
  SvSectionState state;

  section_set (&self->sections[SV_SECTION_PROBLEMS], condition->state,
               g_list_model_get_n_items (G_LIST_MODEL (self->problems)) +
               g_list_model_get_n_items (G_LIST_MODEL (self->encounter_diagnoses)),
               condition->message);

  if (statement->state == SV_SECTION_STATE_LOADING || request->state == SV_SECTION_STATE_LOADING)
    state = SV_SECTION_STATE_LOADING;
  else if (statement->state == SV_SECTION_STATE_NOT_PERMITTED && request->state == SV_SECTION_STATE_NOT_PERMITTED)
    state = SV_SECTION_STATE_NOT_PERMITTED;
  else if (statement->state == SV_SECTION_STATE_ERROR || request->state == SV_SECTION_STATE_ERROR)
    state = SV_SECTION_STATE_ERROR;
  else if (statement->state == SV_SECTION_STATE_PARTIAL || request->state == SV_SECTION_STATE_PARTIAL)
    state = SV_SECTION_STATE_PARTIAL;
  else
    state = MAX (statement->state, request->state) == SV_SECTION_STATE_NOT_PERMITTED
            ? SV_SECTION_STATE_OK : MAX (statement->state, request->state);

  /* A type that is simply not permitted while the other is readable is
   * worth no message: the section is complete as far as the app may see. */
  for (Res res = RES_STATEMENT; res <= RES_REQUEST; res++)
    {
      Section *part = &self->resources[res];

      if (part->message == NULL ||
          (part->state == SV_SECTION_STATE_NOT_PERMITTED && state != SV_SECTION_STATE_NOT_PERMITTED))
        continue;
      if (message->len > 0)
        g_string_append (message, "\n");
      if (state == SV_SECTION_STATE_NOT_PERMITTED)
        {
          g_string_append (message, part->message);
          break;
        }
      g_string_append_printf (message, "%s: %s", res_types[res], part->message);
    }

  section_set (medications, state, g_list_model_get_n_items (G_LIST_MODEL (self->medications)),
               message->len > 0 ? message->str : NULL);

  g_signal_emit (self, signals[SECTION_CHANGED], 0, SV_SECTION_PROBLEMS);
  g_signal_emit (self, signals[SECTION_CHANGED], 0, SV_SECTION_MEDICATIONS);
}

static void
set_string (SvPatientRecord *self,
            char           **field,
            char            *value,
            guint            prop)
{
  if (g_strcmp0 (*field, value) == 0)
    {
      g_free (value);
      return;
    }

  g_free (*field);
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static char *
gender_text (const SvJsonNode *patient)
{
  const char *gender = sv_json_node_get_string_member (patient, "gender");
  g_autofree char *reason = NULL;

  if (g_strcmp0 (gender, "male") == 0)
    return g_strdup (_("Male"));
  if (g_strcmp0 (gender, "female") == 0)
    return g_strdup (_("Female"));
  if (g_strcmp0 (gender, "other") == 0)
    return g_strdup (_("Other"));
  if (gender != NULL && g_strcmp0 (gender, "unknown") != 0)
    return g_strdup (gender);

  reason = sv_fhir_data_absent_reason (sv_json_node_get_object_member (patient, "_gender"));
  return sv_fhir_not_known (reason);
}

static void
set_patient (SvPatientRecord *self,
             JsonObject      *patient)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(SvJsonTree) tree = sv_json_tree_new_from_object (patient);
  const SvJsonNode *node = sv_json_tree_get_root (tree);
  g_autofree char *label = NULL;
  char *mrn;
  const char *deceased_date = sv_fhir_member_string (patient, "deceasedDateTime");
  JsonNode *deceased = json_object_has_member (patient, "deceasedBoolean")
                       ? json_object_get_member (patient, "deceasedBoolean") : NULL;
  int age;

  g_clear_pointer (&self->patient, json_object_unref);
  self->patient = json_object_ref (patient);

  set_string (self, &self->name, sv_fhir_patient_name (node), PROP_NAME);
  set_string (self, &self->birth, sv_fhir_patient_birth (node, now), PROP_BIRTH);
  set_string (self, &self->gender, gender_text (node), PROP_GENDER);
  mrn = sv_fhir_patient_mrn (node, &label);
  set_string (self, &self->mrn, mrn, PROP_MRN);
  set_string (self, &self->mrn_label, g_steal_pointer (&label), PROP_MRN_LABEL);
  set_string (self, &self->deceased_text, sv_fhir_date_format (deceased_date), PROP_DECEASED_TEXT);

  age = sv_fhir_age_in_years (sv_fhir_member_string (patient, "birthDate"), now);
  if (deceased_date != NULL || (deceased != NULL && JSON_NODE_HOLDS_VALUE (deceased) &&
                                json_node_get_value_type (deceased) == G_TYPE_BOOLEAN &&
                                json_node_get_boolean (deceased)))
    {
      /* The age of someone deceased is their age at death, or unknown. */
      if (deceased_date != NULL)
        {
          g_autoptr(GDateTime) death = g_date_time_new_from_iso8601 (deceased_date, NULL);
          int year, month, day;

          if (death == NULL && sv_fhir_date_parse (deceased_date, &year, &month, &day) >= SV_DATE_PRECISION_DAY)
            death = g_date_time_new_utc (year, month, day, 0, 0, 0);
          age = death != NULL ? sv_fhir_age_in_years (sv_fhir_member_string (patient, "birthDate"), death) : -1;
        }
      else
        age = -1;

      if (!self->deceased)
        {
          self->deceased = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DECEASED]);
        }
    }
  else if (self->deceased)
    {
      self->deceased = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DECEASED]);
    }

  if (age != self->age)
    {
      self->age = age;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AGE]);
    }
}

static void
set_loading (SvPatientRecord *self,
             gboolean         loading)
{
  if (self->loading == loading)
    return;

  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* Forgets the patient shown in the banner, and when it was fetched. */
static void
clear_patient (SvPatientRecord *self)
{
  g_clear_pointer (&self->patient, json_object_unref);
  set_string (self, &self->name, NULL, PROP_NAME);
  set_string (self, &self->birth, NULL, PROP_BIRTH);
  set_string (self, &self->gender, NULL, PROP_GENDER);
  set_string (self, &self->mrn, NULL, PROP_MRN);
  set_string (self, &self->mrn_label, NULL, PROP_MRN_LABEL);
  set_string (self, &self->deceased_text, NULL, PROP_DECEASED_TEXT);
  if (self->deceased)
    {
      self->deceased = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DECEASED]);
    }
  if (self->age != -1)
    {
      self->age = -1;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AGE]);
    }
  if (self->last_fetched != NULL)
    {
      g_clear_pointer (&self->last_fetched, g_date_time_unref);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_FETCHED]);
    }
}

/* Empties the lists; the patient stays when @keep_patient, so that a
 * refresh whose Patient read fails still shows who it was (and since
 * when), not "Not known". */
static void
clear_record (SvPatientRecord *self,
              gboolean         keep_patient)
{
  if (!keep_patient)
    clear_patient (self);

  g_hash_table_remove_all (self->problem_index);
  g_list_store_remove_all (self->problems);
  g_list_store_remove_all (self->encounter_diagnoses);
  g_list_store_remove_all (self->medications);
  g_ptr_array_set_size (self->skipped, 0);
}

typedef struct
{
  SvPatientRecord *record;
  SvFhirClient    *client;
  char            *patient_id;
  char            *scope;
  GCancellable    *cancellable;
  GCancellable    *user_cancellable;
  gulong           user_handler;
  guint            pending;
  guint            medication_searches;
  GPtrArray       *medication_rows;
  GHashTable      *included;
  GHashTable      *medication_trees;
  GPtrArray       *resolve_messages;
} Load;

static void
load_free (Load *load)
{
  if (load->user_handler != 0)
    g_cancellable_disconnect (load->user_cancellable, load->user_handler);
  g_clear_object (&load->user_cancellable);
  g_clear_object (&load->cancellable);
  g_clear_object (&load->client);
  g_clear_object (&load->record);
  g_free (load->patient_id);
  g_free (load->scope);
  g_ptr_array_unref (load->medication_rows);
  g_hash_table_unref (load->included);
  g_hash_table_unref (load->medication_trees);
  g_ptr_array_unref (load->resolve_messages);
  g_free (load);
}

/* Every step of a load ends here; the last one completes the task. */
static void
load_step_done (GTask *task)
{
  Load *load = g_task_get_task_data (task);
  SvPatientRecord *self = load->record;

  g_assert (load->pending > 0);
  if (--load->pending > 0)
    return;

  if (g_cancellable_is_cancelled (load->cancellable))
    {
      /* Cancelled by a newer load, the record is that load's now. */
      if (self->current_load == load)
        {
          set_loading (self, FALSE);
          self->current_load = NULL;
        }
      g_task_return_error_if_cancelled (task);
      return;
    }

  g_clear_pointer (&self->last_fetched, g_date_time_unref);
  self->last_fetched = g_date_time_new_now_local ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_FETCHED]);
  set_loading (self, FALSE);
  self->current_load = NULL;

  g_task_return_boolean (task, TRUE);
}

static char *
skipped_message (GPtrArray *skipped)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (skipped->len == 0)
    return NULL;

  g_string_append_printf (text,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "%u entry could not be read and is not shown: ",
                                       "%u entries could not be read and are not shown: ",
                                       skipped->len),
                          skipped->len);
  for (guint i = 0; i < skipped->len; i++)
    {
      if (i > 0)
        g_string_append (text, "; ");
      g_string_append (text, g_ptr_array_index (skipped, i));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Sets a resource type's state after its search, with the reasons for
 * skipped entries and for a stop in paging. */
static void
finish_resource (SvPatientRecord    *self,
                 Res                 res,
                 SvFhirSearchResult *result,
                 GPtrArray          *skipped,
                 guint               count)
{
  g_autofree char *skipped_text = skipped_message (skipped);
  g_autoptr(GString) message = g_string_new (NULL);

  if (result->partial && result->partial_reason != NULL)
    g_string_append (message, result->partial_reason);
  if (skipped_text != NULL)
    {
      if (message->len > 0)
        g_string_append_c (message, '\n');
      g_string_append (message, skipped_text);
    }

  for (guint i = 0; i < skipped->len; i++)
    g_ptr_array_add (self->skipped, g_strdup (g_ptr_array_index (skipped, i)));

  section_set (&self->resources[res], result->partial ? SV_SECTION_STATE_PARTIAL : SV_SECTION_STATE_OK,
               count, message->len > 0 ? message->str : NULL);
}

static void
fail_resource (SvPatientRecord *self,
               Res              res,
               const GError    *error)
{
  if (g_error_matches (error, SV_ERROR, SV_ERROR_DENIED))
    section_set (&self->resources[res], SV_SECTION_STATE_NOT_PERMITTED, 0, error->message);
  else
    section_set (&self->resources[res], SV_SECTION_STATE_ERROR, 0, error->message);
}

static void
add_invalid (GPtrArray          *skipped,
             SvFhirSearchResult *result)
{
  for (guint i = 0; i < result->invalid->len; i++)
    g_ptr_array_add (skipped, g_strdup (g_ptr_array_index (result->invalid, i)));
}

static char *
describe_skipped (const SvJsonNode *resource,
                  const char       *fallback_type,
                  const GError     *error)
{
  const char *type = sv_json_node_get_string_member (resource, "resourceType");
  const char *id = sv_json_node_get_string_member (resource, "id");

  /* Translators: a resource that could not be read, e.g. "Condition/123 (Its element “code” is not valid.)". */
  return g_strdup_printf (_("%s/%s (%s)"), type != NULL ? type : fallback_type,
                          id != NULL ? id : _("no id"), error->message);
}

static int
compare_problems (gconstpointer a,
                  gconstpointer b)
{
  return sv_problem_compare (*(SvProblem **) a, *(SvProblem **) b);
}

static int
compare_medications (gconstpointer a,
                     gconstpointer b)
{
  return sv_medication_compare (*(SvMedication **) a, *(SvMedication **) b);
}

static void
link_reasons (SvPatientRecord *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->medications));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SvMedication) row = g_list_model_get_item (G_LIST_MODEL (self->medications), i);
      const char *id = sv_medication_get_reason_condition_id (row);
      SvProblem *problem = id != NULL ? g_hash_table_lookup (self->problem_index, id) : NULL;

      if (problem != NULL && sv_medication_get_reason_text (row) == NULL)
        sv_medication_set_reason_text (row, sv_problem_get_display (problem));
    }
}

/* Rows are made and sorted in a worker: for thousands of entries that is
 * the longest step of a load, and the main loop must not stall. The worker
 * owns the search result until it returns; nothing else touches it. */
typedef struct
{
  Res                 res;
  SvFhirSearchResult *result;
  GPtrArray          *problems;
  GPtrArray          *diagnoses;
  GPtrArray          *medications;
  GPtrArray          *skipped;
} Built;

static void
built_free (Built *built)
{
  sv_fhir_search_result_free (built->result);
  g_ptr_array_unref (built->problems);
  g_ptr_array_unref (built->diagnoses);
  g_ptr_array_unref (built->medications);
  g_ptr_array_unref (built->skipped);
  g_free (built);
}

/* A search match made a row, in the search's worker thread while later
 * pages are fetched; @data is the Res. */
static GObject *
make_row (const SvJsonNode  *resource,
          GBytes            *text,
          gpointer           data,
          char             **skipped)
{
  Res res = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  GObject *row;

  if (res == RES_CONDITION)
    row = (GObject *) sv_problem_new_from_node (resource, text, &error);
  else
    row = (GObject *) sv_medication_new_from_node (resource, text, &error);

  if (row == NULL)
    *skipped = describe_skipped (resource, res_types[res], error);
  return row;
}

static void
build_rows_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Built *built = task_data;
  SvFhirSearchResult *result = built->result;

  add_invalid (built->skipped, result);
  for (guint i = 0; i < result->mapped_skipped->len; i++)
    g_ptr_array_add (built->skipped, g_strdup (g_ptr_array_index (result->mapped_skipped, i)));

  for (guint i = 0; i < result->mapped->len; i++)
    {
      gpointer row = g_ptr_array_index (result->mapped, i);

      if (built->res == RES_CONDITION)
        {
          if (sv_problem_get_entered_in_error (row))
            continue;
          else if (sv_problem_get_category (row) == SV_PROBLEM_CATEGORY_ENCOUNTER_DIAGNOSIS)
            g_ptr_array_add (built->diagnoses, g_object_ref (row));
          else
            g_ptr_array_add (built->problems, g_object_ref (row));
        }
      else if (!sv_medication_get_entered_in_error (row))
        g_ptr_array_add (built->medications, g_object_ref (row));
    }

  g_ptr_array_sort (built->problems, compare_problems);
  g_ptr_array_sort (built->diagnoses, compare_problems);
  g_ptr_array_sort (built->medications, compare_medications);

  g_task_return_boolean (task, TRUE);
}

static void
conditions_done (GTask *task,
                 Built *built)
{
  Load *load = g_task_get_task_data (task);
  SvPatientRecord *self = load->record;
  GPtrArray *lists[] = { built->problems, built->diagnoses };

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; i < lists[l]->len; i++)
      {
        SvProblem *row = g_ptr_array_index (lists[l], i);

        g_hash_table_replace (self->problem_index, (gpointer) sv_problem_get_id (row), row);
      }

  /* One splice per model: the view sees a single items-changed. */
  g_list_store_splice (self->problems, 0, g_list_model_get_n_items (G_LIST_MODEL (self->problems)),
                       built->problems->pdata, built->problems->len);
  g_list_store_splice (self->encounter_diagnoses, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->encounter_diagnoses)),
                       built->diagnoses->pdata, built->diagnoses->len);

  finish_resource (self, RES_CONDITION, built->result, built->skipped,
                   built->problems->len + built->diagnoses->len);
  link_reasons (self);
}

/* Names a row after a Medication; each Medication is made a tree once,
 * however many rows refer to it. */
static void
set_row_medication (Load         *load,
                    SvMedication *row,
                    JsonObject   *medication)
{
  SvJsonTree *tree = g_hash_table_lookup (load->medication_trees, medication);

  if (tree == NULL)
    {
      tree = sv_json_tree_new_from_object (medication);
      g_hash_table_insert (load->medication_trees, json_object_ref (medication), tree);
    }
  sv_medication_set_medication_node (row, sv_json_tree_get_root (tree));
}

/* Why some medication names are missing, added to the message of a
 * medication type that was read: that of a type not permitted is not
 * shown when the other was read (update_sections()). */
static void
report_resolve_messages (Load *load)
{
  SvPatientRecord *self = load->record;
  Section *part = &self->resources[self->resources[RES_REQUEST].state != SV_SECTION_STATE_NOT_PERMITTED
                                   ? RES_REQUEST : RES_STATEMENT];

  for (guint i = 0; i < load->resolve_messages->len; i++)
    {
      g_autofree char *message = part->message != NULL
                                 ? g_strconcat (part->message, "\n", g_ptr_array_index (load->resolve_messages, i), NULL)
                                 : g_strdup (g_ptr_array_index (load->resolve_messages, i));

      section_set (part, part->state, part->count, message);
    }
}

static void
medications_resolved_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  SvPatientRecord *self = load->record;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) found = sv_fhir_client_resolve_finish (SV_FHIR_CLIENT (object), result, &error);

  if (g_cancellable_is_cancelled (load->cancellable))
    {
      load_step_done (task);
      return;
    }

  if (found == NULL)
    g_ptr_array_add (load->resolve_messages,
                     g_strdup_printf (_("Some medication names could not be read: %s"), error->message));

  for (guint i = 0; i < load->medication_rows->len; i++)
    {
      SvMedication *row = g_ptr_array_index (load->medication_rows, i);
      g_autofree char *id = sv_fhir_reference_id (sv_medication_get_medication_reference (row), "Medication");
      JsonObject *medication = id != NULL && found != NULL ? g_hash_table_lookup (found, id) : NULL;

      if (medication == NULL && id == NULL && sv_medication_get_medication_reference (row) != NULL &&
          found != NULL)
        {
          const char *reference = sv_medication_get_medication_reference (row);
          const char *base = sv_fhir_client_get_base_url (load->client);

          if (g_str_has_prefix (reference, base))
            {
              g_autofree char *relative_id = sv_fhir_reference_id (reference + strlen (base), "Medication");

              if (relative_id != NULL)
                medication = g_hash_table_lookup (found, relative_id);
            }
        }

      if (medication != NULL)
        set_row_medication (load, row, medication);
    }

  report_resolve_messages (load);
  update_sections (self);
  load_step_done (task);
}

/* Medication names that the rows could not take from themselves: from
 * the Bundles' included entries, else by a batched read; a reference to
 * another server is kept as a link and never fetched with the token. */
static void
resolve_medications (GTask *task)
{
  Load *load = g_task_get_task_data (task);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  const char *base = sv_fhir_client_get_base_url (load->client);

  for (guint i = 0; i < load->medication_rows->len; i++)
    {
      SvMedication *row = g_ptr_array_index (load->medication_rows, i);
      const char *reference = sv_medication_get_medication_reference (row);
      g_autofree char *id = NULL;
      g_autofree char *key = NULL;
      JsonObject *included;

      if (reference == NULL || reference[0] == '#')
        continue;

      if (strstr (reference, "://") != NULL)
        {
          if (!sv_fhir_client_is_same_origin (load->client, reference) || !g_str_has_prefix (reference, base))
            {
              sv_medication_set_medication_url (row, reference);
              continue;
            }
          id = sv_fhir_reference_id (reference + strlen (base), "Medication");
        }
      else
        id = sv_fhir_reference_id (reference, "Medication");

      if (id == NULL)
        continue;

      key = g_strconcat ("Medication/", id, NULL);
      included = g_hash_table_lookup (load->included, key);
      if (included != NULL)
        set_row_medication (load, row, included);
      else
        g_ptr_array_add (ids, g_steal_pointer (&id));
    }

  if (ids->len == 0)
    return;

  if (!sv_scope_allows (load->scope, "Medication", SV_SCOPE_ACCESS_SEARCH))
    {
      g_ptr_array_add (load->resolve_messages,
                       g_strdup (_("Medication names given only by reference are not shown: reading medications was not permitted at sign-in.")));
      report_resolve_messages (load);
      return;
    }

  g_ptr_array_add (ids, NULL);
  load->pending++;
  sv_fhir_client_resolve_async (load->client, "Medication", (const char * const *) ids->pdata,
                                load->cancellable, medications_resolved_cb, g_object_ref (task));
}

static void
medications_done (GTask *task,
                  Built *built)
{
  Load *load = g_task_get_task_data (task);
  SvPatientRecord *self = load->record;
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < built->medications->len; i++)
    g_ptr_array_add (load->medication_rows, g_object_ref (g_ptr_array_index (built->medications, i)));

  g_hash_table_iter_init (&iter, built->result->included);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_replace (load->included, g_strdup (key), json_object_ref (value));

  finish_resource (self, built->res, built->result, built->skipped, built->medications->len);
}

static void
medication_searches_complete (GTask *task)
{
  Load *load = g_task_get_task_data (task);
  SvPatientRecord *self = load->record;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_full (load->medication_rows->len, g_object_unref);

  for (guint i = 0; i < load->medication_rows->len; i++)
    g_ptr_array_add (rows, g_object_ref (g_ptr_array_index (load->medication_rows, i)));
  g_ptr_array_sort (rows, compare_medications);
  g_list_store_splice (self->medications, 0, g_list_model_get_n_items (G_LIST_MODEL (self->medications)),
                       rows->pdata, rows->len);

  resolve_medications (task);
  link_reasons (self);
}

typedef struct
{
  GTask    *task;
  Res       res;
  gboolean  include;
} SearchOp;

static void start_search (GTask    *task,
                          Res       res,
                          gboolean  include);

/* After a search and its rows: the resource type's state, and once both
 * medication searches are done, the medication list. */
static void
search_finished (GTask *task,
                 Res    res)
{
  Load *load = g_task_get_task_data (task);

  if (res != RES_CONDITION && --load->medication_searches == 0)
    medication_searches_complete (task);

  update_sections (load->record);
  load_step_done (task);
}

static void
rows_built_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  Built *built = g_task_get_task_data (G_TASK (result));

  if (g_cancellable_is_cancelled (load->cancellable))
    {
      load_step_done (task);
      return;
    }

  if (built->res == RES_CONDITION)
    conditions_done (task, built);
  else
    medications_done (task, built);

  search_finished (task, built->res);
}

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  SearchOp *op = user_data;
  g_autoptr(GTask) task = op->task;
  Res res = op->res;
  gboolean include = op->include;
  Load *load = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SvFhirSearchResult *found = sv_fhir_client_search_finish (SV_FHIR_CLIENT (object), result, &error);
  g_autoptr(GTask) build = NULL;
  Built *built;

  g_free (op);

  if (g_cancellable_is_cancelled (load->cancellable))
    {
      sv_fhir_search_result_free (found);
      load_step_done (task);
      return;
    }

  /* _include is optional: a server that refuses the request with it (a
   * 400, as HealthLake and strict servers answer an unsupported parameter)
   * is asked again without, and the names are then read in batches. Any
   * other failure is the search's and is reported. */
  if (found == NULL && include && g_error_matches (error, SV_ERROR, SV_ERROR_BAD_REQUEST))
    {
      g_debug ("%s search with _include refused, asking without: %s", res_types[res], error->message);
      start_search (task, res, FALSE);
      load_step_done (task);
      return;
    }

  if (found == NULL)
    {
      g_debug ("%s search failed: %s", res_types[res], error->message);
      fail_resource (load->record, res, error);
      search_finished (task, res);
      return;
    }

  built = g_new0 (Built, 1);
  built->res = res;
  built->result = found;
  built->problems = g_ptr_array_new_with_free_func (g_object_unref);
  built->diagnoses = g_ptr_array_new_with_free_func (g_object_unref);
  built->medications = g_ptr_array_new_with_free_func (g_object_unref);
  built->skipped = g_ptr_array_new_with_free_func (g_free);

  build = g_task_new (NULL, load->cancellable, rows_built_cb, g_steal_pointer (&task));
  g_task_set_source_tag (build, build_rows_thread);
  g_task_set_task_data (build, built, (GDestroyNotify) built_free);
  g_task_run_in_thread (build, build_rows_thread);
}

static void
start_search (GTask    *task,
              Res       res,
              gboolean  include)
{
  Load *load = g_task_get_task_data (task);
  g_autofree char *subject = g_strconcat ("Patient/", load->patient_id, NULL);
  const char *params[7] = { "subject", subject, "_count", "100", NULL, NULL, NULL };
  SearchOp *op = g_new0 (SearchOp, 1);

  /* Asking the server to include the referenced Medications saves the
   * batched reads when it supports _include. */
  if (include && res != RES_CONDITION)
    {
      params[4] = "_include";
      params[5] = res == RES_REQUEST ? "MedicationRequest:medication" : "MedicationStatement:medication";
    }

  op->task = g_object_ref (task);
  op->res = res;
  op->include = params[4] != NULL;
  load->pending++;
  sv_fhir_client_search_map_async (load->client, res_types[res], params, make_row, GINT_TO_POINTER (res),
                                   load->cancellable, search_cb, op);
}

static void
patient_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  SvPatientRecord *self = load->record;
  GError *error = NULL;
  g_autoptr(JsonObject) patient = sv_fhir_client_read_finish (SV_FHIR_CLIENT (object), result, &error);

  if (g_cancellable_is_cancelled (load->cancellable))
    {
      g_clear_error (&error);
      load_step_done (task);
      return;
    }

  if (patient == NULL)
    {
      /* Without the patient nothing else is asked for. */
      for (Res res = 0; res < N_RES; res++)
        if (self->resources[res].state == SV_SECTION_STATE_LOADING)
          fail_resource (self, res, error);
      update_sections (self);
      set_string (self, &self->patient_error, g_strdup (error->message), PROP_PATIENT_ERROR);
      set_loading (self, FALSE);
      self->current_load = NULL;
      load->pending--;
      g_task_return_error (task, error);
      return;
    }

  set_patient (self, patient);

  for (Res res = 0; res < N_RES; res++)
    if (self->resources[res].state == SV_SECTION_STATE_LOADING)
      start_search (task, res, TRUE);

  if (load->medication_searches == 0)
    medication_searches_complete (task);

  update_sections (self);
  load_step_done (task);
}

static void
user_cancelled_cb (GCancellable *user_cancellable,
                   GCancellable *internal)
{
  g_cancellable_cancel (internal);
}

/**
 * sv_patient_record_load_async:
 * @self: a #SvPatientRecord
 * @client: the FHIR client of the session
 * @patient_id: the Patient's id
 * @granted_scope: (nullable): the scope granted at sign-in; resource types
 *   it does not allow are marked not permitted without asking the server
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when everything is read (or failed)
 * @user_data: data for @callback
 *
 * Reads the patient and their problems and medications into the record,
 * replacing what it held. A load still in flight is cancelled.
 */
void
sv_patient_record_load_async (SvPatientRecord     *self,
                              SvFhirClient        *client,
                              const char          *patient_id,
                              const char          *granted_scope,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Load *load;

  g_return_if_fail (SV_IS_PATIENT_RECORD (self));
  g_return_if_fail (SV_IS_FHIR_CLIENT (client));
  g_return_if_fail (patient_id != NULL);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  load = g_new0 (Load, 1);
  load->record = g_object_ref (self);
  load->client = g_object_ref (client);
  load->patient_id = g_strdup (patient_id);
  load->scope = g_strdup (granted_scope);
  load->cancellable = g_object_ref (self->load_cancellable);
  load->medication_rows = g_ptr_array_new_with_free_func (g_object_unref);
  load->included = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_object_unref);
  load->medication_trees = g_hash_table_new_full (g_direct_hash, g_direct_equal, (GDestroyNotify) json_object_unref,
                                                  (GDestroyNotify) sv_json_tree_unref);
  load->resolve_messages = g_ptr_array_new_with_free_func (g_free);
  if (cancellable != NULL)
    {
      load->user_cancellable = g_object_ref (cancellable);
      load->user_handler = g_cancellable_connect (cancellable, G_CALLBACK (user_cancelled_cb),
                                                  g_object_ref (load->cancellable), g_object_unref);
    }

  task = g_task_new (self, load->cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_patient_record_load_async);
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);
  self->current_load = load;

  clear_record (self, self->patient != NULL && g_strcmp0 (self->patient_id, patient_id) == 0);
  set_string (self, &self->patient_error, NULL, PROP_PATIENT_ERROR);
  set_string (self, &self->patient_id, g_strdup (patient_id), PROP_PATIENT_ID);
  set_string (self, &self->source_server, g_strdup (sv_fhir_client_get_base_url (client)), PROP_SOURCE_SERVER);

  for (Res res = 0; res < N_RES; res++)
    {
      if (sv_scope_allows (granted_scope, res_types[res], SV_SCOPE_ACCESS_SEARCH))
        {
          section_set (&self->resources[res], SV_SECTION_STATE_LOADING, 0, NULL);
          if (res != RES_CONDITION)
            load->medication_searches++;
        }
      else
        section_set (&self->resources[res], SV_SECTION_STATE_NOT_PERMITTED, 0,
                     _("Not permitted by the access granted at sign-in."));
    }
  update_sections (self);
  set_loading (self, TRUE);

  load->pending = 1;
  sv_fhir_client_read_async (client, "Patient", patient_id, load->cancellable,
                             patient_read_cb, g_steal_pointer (&task));
}

/**
 * sv_patient_record_load_finish:
 * @self: a #SvPatientRecord
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * A section that failed does not fail the load: its state says so. The
 * load fails when the Patient could not be read, or was cancelled.
 *
 * Returns: %TRUE when the patient was read
 */
gboolean
sv_patient_record_load_finish (SvPatientRecord  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sv_patient_record_get_patient:
 * @self: a #SvPatientRecord
 *
 * Returns: (transfer none) (nullable): the Patient resource
 */
JsonObject *
sv_patient_record_get_patient (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->patient;
}

/**
 * sv_patient_record_get_patient_id:
 * @self: a #SvPatientRecord
 *
 * Returns: (nullable): the id of the patient loaded or loading
 */
const char *
sv_patient_record_get_patient_id (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->patient_id;
}

/**
 * sv_patient_record_get_name:
 * @self: a #SvPatientRecord
 *
 * Returns: (nullable): the name for the banner, %NULL before the Patient is read
 */
const char *
sv_patient_record_get_name (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->name;
}

/**
 * sv_patient_record_get_birth:
 * @self: a #SvPatientRecord
 *
 * Returns: (nullable): "12 Mar 1961 (63 y)", or "Not known"
 */
const char *
sv_patient_record_get_birth (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->birth;
}

/**
 * sv_patient_record_get_age:
 * @self: a #SvPatientRecord
 *
 * Returns: the age in years (at death for the deceased), -1 when not known
 */
int
sv_patient_record_get_age (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), -1);
  return self->age;
}

/**
 * sv_patient_record_get_gender:
 * @self: a #SvPatientRecord
 *
 * Returns: (nullable): the administrative gender, translated, or "Not known"
 */
const char *
sv_patient_record_get_gender (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->gender;
}

/**
 * sv_patient_record_get_mrn:
 * @self: a #SvPatientRecord
 *
 * Returns: (nullable): the medical record number, never an SSN
 */
const char *
sv_patient_record_get_mrn (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->mrn;
}

/**
 * sv_patient_record_get_mrn_label:
 * @self: a #SvPatientRecord
 *
 * Returns: (nullable): the MRN's type text, e.g. "Medical Record Number"
 */
const char *
sv_patient_record_get_mrn_label (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->mrn_label;
}

/**
 * sv_patient_record_get_deceased:
 * @self: a #SvPatientRecord
 *
 * Returns: whether the patient is recorded as deceased
 */
gboolean
sv_patient_record_get_deceased (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), FALSE);
  return self->deceased;
}

/**
 * sv_patient_record_get_deceased_text:
 * @self: a #SvPatientRecord
 *
 * Returns: (nullable): the date of death when it is known
 */
const char *
sv_patient_record_get_deceased_text (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->deceased_text;
}

/**
 * sv_patient_record_get_source_server:
 * @self: a #SvPatientRecord
 *
 * Returns: (nullable): the FHIR base the record was read from
 */
const char *
sv_patient_record_get_source_server (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->source_server;
}

/**
 * sv_patient_record_get_patient_error:
 * @self: a #SvPatientRecord
 *
 * When the last load could not read the Patient: why. On a refresh of
 * the same patient the record keeps the patient read before (see
 * sv_patient_record_get_last_fetched() for when); for another patient
 * it holds no patient.
 *
 * Returns: (nullable): the message, or %NULL when the Patient was read
 *   or is being read
 */
const char *
sv_patient_record_get_patient_error (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->patient_error;
}

/**
 * sv_patient_record_get_last_fetched:
 * @self: a #SvPatientRecord
 *
 * Returns: (transfer none) (nullable): when the last load completed
 */
GDateTime *
sv_patient_record_get_last_fetched (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->last_fetched;
}

/**
 * sv_patient_record_get_loading:
 * @self: a #SvPatientRecord
 *
 * Returns: whether a load is in flight
 */
gboolean
sv_patient_record_get_loading (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), FALSE);
  return self->loading;
}

/**
 * sv_patient_record_get_problems:
 * @self: a #SvPatientRecord
 *
 * Returns: (transfer none): the problem list (problem-list items and health
 *   concerns) of #SvProblem, grouped and ordered
 */
GListModel *
sv_patient_record_get_problems (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return G_LIST_MODEL (self->problems);
}

/**
 * sv_patient_record_get_encounter_diagnoses:
 * @self: a #SvPatientRecord
 *
 * Returns: (transfer none): the encounter diagnoses of #SvProblem, grouped
 *   and ordered like the problem list
 */
GListModel *
sv_patient_record_get_encounter_diagnoses (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return G_LIST_MODEL (self->encounter_diagnoses);
}

/**
 * sv_patient_record_get_medications:
 * @self: a #SvPatientRecord
 *
 * Returns: (transfer none): the #SvMedication rows of both resource types,
 *   grouped and ordered
 */
GListModel *
sv_patient_record_get_medications (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return G_LIST_MODEL (self->medications);
}

/**
 * sv_patient_record_get_problems_are_encounter_diagnoses:
 * @self: a #SvPatientRecord
 *
 * Returns: %TRUE when there is no problem-list item, so that the view shows
 *   the encounter diagnoses as the problem list, under their own heading
 */
gboolean
sv_patient_record_get_problems_are_encounter_diagnoses (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), FALSE);
  return g_list_model_get_n_items (G_LIST_MODEL (self->problems)) == 0 &&
         g_list_model_get_n_items (G_LIST_MODEL (self->encounter_diagnoses)) > 0;
}

/**
 * sv_patient_record_find_problem:
 * @self: a #SvPatientRecord
 * @condition_id: a Condition id, e.g. a medication's reason
 *
 * Returns: (transfer none) (nullable): the row shown for that Condition
 */
SvProblem *
sv_patient_record_find_problem (SvPatientRecord *self,
                                const char      *condition_id)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);

  if (condition_id == NULL)
    return NULL;
  return g_hash_table_lookup (self->problem_index, condition_id);
}

/**
 * sv_patient_record_get_section_state:
 * @self: a #SvPatientRecord
 * @section: a #SvSection
 *
 * Returns: the state of @section
 */
SvSectionState
sv_patient_record_get_section_state (SvPatientRecord *self,
                                     SvSection        section)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), SV_SECTION_STATE_EMPTY);
  g_return_val_if_fail (section <= SV_SECTION_MEDICATIONS, SV_SECTION_STATE_EMPTY);
  return self->sections[section].state;
}

/**
 * sv_patient_record_get_section_count:
 * @self: a #SvPatientRecord
 * @section: a #SvSection
 *
 * Returns: how many rows the section shows (hidden ones not counted)
 */
guint
sv_patient_record_get_section_count (SvPatientRecord *self,
                                     SvSection        section)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), 0);
  g_return_val_if_fail (section <= SV_SECTION_MEDICATIONS, 0);
  return self->sections[section].count;
}

/**
 * sv_patient_record_get_section_message:
 * @self: a #SvPatientRecord
 * @section: a #SvSection
 *
 * Returns: (nullable): why the section is partial, not permitted or in
 *   error, and which entries were skipped; translated
 */
const char *
sv_patient_record_get_section_message (SvPatientRecord *self,
                                       SvSection        section)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  g_return_val_if_fail (section <= SV_SECTION_MEDICATIONS, NULL);
  return self->sections[section].message;
}

/**
 * sv_patient_record_get_resource_state:
 * @self: a #SvPatientRecord
 * @resource_type: "Condition", "MedicationStatement" or "MedicationRequest"
 * @count: (out) (optional): the rows read of that type
 * @message: (out) (optional) (transfer none): its message
 *
 * Returns: the state of one resource type's search
 */
SvSectionState
sv_patient_record_get_resource_state (SvPatientRecord  *self,
                                      const char       *resource_type,
                                      guint            *count,
                                      const char      **message)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), SV_SECTION_STATE_EMPTY);

  for (Res res = 0; res < N_RES; res++)
    if (g_strcmp0 (resource_type, res_types[res]) == 0)
      {
        if (count != NULL)
          *count = self->resources[res].count;
        if (message != NULL)
          *message = self->resources[res].message;
        return self->resources[res].state;
      }

  if (count != NULL)
    *count = 0;
  if (message != NULL)
    *message = NULL;
  return SV_SECTION_STATE_EMPTY;
}

/**
 * sv_patient_record_get_skipped:
 * @self: a #SvPatientRecord
 *
 * Returns: (transfer none) (element-type utf8): the entries that could not
 *   be read, as "Type/id (reason)"
 */
GPtrArray *
sv_patient_record_get_skipped (SvPatientRecord *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);
  return self->skipped;
}

/**
 * sv_section_state_to_string:
 * @state: a #SvSectionState
 *
 * Returns: the state's name in the JSON summary, e.g. "not-permitted"
 */
const char *
sv_section_state_to_string (SvSectionState state)
{
  GEnumClass *klass = g_type_class_ref (SV_TYPE_SECTION_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  g_type_class_unref (klass);
  return value != NULL ? value->value_nick : "empty";
}


static void
add_string (SvJsonWriter *writer,
            const char   *name,
            const char   *value)
{
  sv_json_writer_name (writer, name);
  sv_json_writer_string (writer, value);
}

static void
add_boolean (SvJsonWriter *writer,
             const char   *name,
             gboolean      value)
{
  sv_json_writer_name (writer, name);
  sv_json_writer_boolean (writer, value);
}

static void
add_codings (SvJsonWriter *writer,
             GPtrArray    *codings)
{
  sv_json_writer_name (writer, "codings");
  sv_json_writer_begin_array (writer);
  for (guint i = 0; codings != NULL && i < codings->len; i++)
    {
      SvCoding *coding = g_ptr_array_index (codings, i);

      sv_json_writer_begin_object (writer);
      add_string (writer, "system", coding->system);
      add_string (writer, "code", coding->code);
      add_string (writer, "display", coding->display);
      sv_json_writer_end_object (writer);
    }
  sv_json_writer_end_array (writer);
}

static const char *
enum_nick (GType type,
           int   value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);

  g_type_class_unref (klass);
  return enum_value != NULL ? enum_value->value_nick : NULL;
}

static void
begin_member_object (SvJsonWriter *writer,
                     const char   *name)
{
  sv_json_writer_name (writer, name);
  sv_json_writer_begin_object (writer);
}

/* The members every row starts with, problem or medication. */
static void
begin_row (SvJsonWriter *writer,
           const char   *id,
           const char   *resource_type,
           const char   *display,
           GPtrArray    *codings)
{
  sv_json_writer_begin_object (writer);
  add_string (writer, "id", id);
  add_string (writer, "resourceType", resource_type);
  add_string (writer, "display", display);
  add_codings (writer, codings);
}

static void
add_problem (SvJsonWriter *writer,
             SvProblem    *row)
{
  begin_row (writer, sv_problem_get_id (row), sv_problem_get_resource_type (row),
             sv_problem_get_display (row), sv_problem_get_codings (row));
  add_string (writer, "category", sv_problem_get_category_code (row));
  add_string (writer, "group", enum_nick (SV_TYPE_PROBLEM_GROUP, sv_problem_get_group (row)));

  begin_member_object (writer, "statuses");
  add_string (writer, "clinical", sv_problem_get_clinical_status (row));
  add_string (writer, "verification", sv_problem_get_verification_status (row));
  sv_json_writer_end_object (writer);

  begin_member_object (writer, "dates");
  add_string (writer, "onset", sv_problem_get_onset_text (row));
  add_string (writer, "onsetDate", sv_problem_get_onset_date (row));
  add_string (writer, "abatement", sv_problem_get_abatement_text (row));
  add_string (writer, "recorded", sv_problem_get_recorded_text (row));
  add_string (writer, "recordedDate", sv_problem_get_recorded_date (row));
  sv_json_writer_end_object (writer);

  add_string (writer, "dosage", NULL);
  add_string (writer, "source", NULL);
  add_string (writer, "reason", NULL);

  add_boolean (writer, "refuted", sv_problem_get_refuted (row));
  add_boolean (writer, "unconfirmed", sv_problem_get_unconfirmed (row));
  add_boolean (writer, "inferred", sv_problem_get_inferred (row));
  sv_json_writer_name (writer, "confidence");
  if (sv_problem_get_confidence (row) >= 0)
    sv_json_writer_double (writer, sv_problem_get_confidence (row));
  else
    sv_json_writer_null (writer);
  add_string (writer, "notes", sv_problem_get_notes (row));
  sv_json_writer_end_object (writer);
}

static void
add_medication (SvJsonWriter *writer,
                SvMedication *row)
{
  begin_row (writer, sv_medication_get_id (row), sv_medication_get_resource_type (row),
             sv_medication_get_display (row), sv_medication_get_codings (row));
  add_string (writer, "group", enum_nick (SV_TYPE_MEDICATION_GROUP, sv_medication_get_group (row)));

  begin_member_object (writer, "statuses");
  add_string (writer, "status", sv_medication_get_status (row));
  sv_json_writer_end_object (writer);

  begin_member_object (writer, "dates");
  add_string (writer, "period", sv_medication_get_period_text (row));
  add_string (writer, "startDate", sv_medication_get_start_date (row));
  sv_json_writer_end_object (writer);

  add_string (writer, "dosage", sv_medication_get_dosage_text (row));
  add_string (writer, "source", sv_medication_get_source (row));

  sv_json_writer_name (writer, "reason");
  if (sv_medication_get_reason_text (row) != NULL || sv_medication_get_reason_condition_id (row) != NULL)
    {
      sv_json_writer_begin_object (writer);
      add_string (writer, "text", sv_medication_get_reason_text (row));
      add_string (writer, "conditionId", sv_medication_get_reason_condition_id (row));
      sv_json_writer_end_object (writer);
    }
  else
    sv_json_writer_null (writer);

  add_boolean (writer, "notTaken", sv_medication_get_not_taken (row));
  add_string (writer, "medicationUrl", sv_medication_get_medication_url (row));
  add_string (writer, "notes", sv_medication_get_notes (row));
  sv_json_writer_end_object (writer);
}

static void
add_section (SvJsonWriter   *writer,
             const char     *name,
             SvSectionState  state,
             guint           count,
             const char     *message)
{
  sv_json_writer_name (writer, name);
  sv_json_writer_begin_object (writer);
  add_string (writer, "state", sv_section_state_to_string (state));
  sv_json_writer_name (writer, "count");
  sv_json_writer_int (writer, count);
  add_string (writer, "message", message);
  sv_json_writer_end_object (writer);
}

typedef struct
{
  SvPatientRecord *record;
  GString         *out;
  SvJsonWriter     writer;
} MedicationsPart;

static gpointer
write_medications_thread (gpointer data)
{
  MedicationsPart *part = data;
  GListModel *list = G_LIST_MODEL (part->record->medications);
  guint n = g_list_model_get_n_items (list);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SvMedication) row = g_list_model_get_item (list, i);

      add_medication (&part->writer, row);
    }
  return NULL;
}

/**
 * sv_patient_record_to_json_node:
 * @self: a #SvPatientRecord
 *
 * The stable JSON summary documented in docs/summary-json.md, as a tree.
 *
 * Returns: (transfer full): the summary
 */
JsonNode *
sv_patient_record_to_json_node (SvPatientRecord *self)
{
  g_autofree char *json = NULL;

  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);

  json = sv_patient_record_to_json (self);
  return json_from_string (json, NULL);
}

/**
 * sv_patient_record_to_json:
 * @self: a #SvPatientRecord
 *
 * The stable JSON summary documented in docs/summary-json.md, written
 * directly (a record of thousands of rows would otherwise be built as a
 * tree first), exactly as json-glib prints it indented.
 *
 * Returns: (transfer full): the JSON summary, indented
 */
char *
sv_patient_record_to_json (SvPatientRecord *self)
{
  g_autoptr(GString) out = NULL;
  SvJsonWriter writer;
  GListModel *lists[] = { G_LIST_MODEL (self->problems), G_LIST_MODEL (self->encounter_diagnoses) };
  MedicationsPart medications = { 0 };
  GThread *thread;
  guint n;

  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);

  n = g_list_model_get_n_items (lists[0]) + g_list_model_get_n_items (lists[1]) +
      g_list_model_get_n_items (G_LIST_MODEL (self->medications));
  out = g_string_sized_new (4096 + 1024 * (gsize) n);
  medications.out = g_string_sized_new (1024 * (gsize) g_list_model_get_n_items (G_LIST_MODEL (self->medications)));
  sv_json_writer_init (&writer, out);
  sv_json_writer_begin_object (&writer);

  sv_json_writer_name (&writer, "patient");
  if (self->patient != NULL)
    {
      sv_json_writer_begin_object (&writer);
      add_string (&writer, "id", sv_fhir_member_string (self->patient, "id"));
      add_string (&writer, "name", self->name);
      add_string (&writer, "birthDate", sv_fhir_member_string (self->patient, "birthDate"));
      add_string (&writer, "birth", self->birth);
      sv_json_writer_name (&writer, "age");
      if (self->age >= 0)
        sv_json_writer_int (&writer, self->age);
      else
        sv_json_writer_null (&writer);
      add_string (&writer, "gender", sv_fhir_member_string (self->patient, "gender"));
      add_string (&writer, "mrn", self->mrn);
      add_string (&writer, "mrnLabel", self->mrn_label);
      add_boolean (&writer, "deceased", self->deceased);
      add_string (&writer, "deceasedDate", sv_fhir_member_string (self->patient, "deceasedDateTime"));
      sv_json_writer_end_object (&writer);
    }
  else
    sv_json_writer_null (&writer);

  add_string (&writer, "source", self->source_server);

  sv_json_writer_name (&writer, "problems");
  sv_json_writer_begin_array (&writer);
  /* The medications are written by another thread meanwhile, into their
   * own text: both halves of a large record take milliseconds, and the
   * command's output waits for them. Each thread reads only its own
   * lists, and nothing changes them during this call. */
  sv_json_writer_init_inside (&medications.writer, medications.out, &writer);
  medications.record = self;
  thread = g_thread_new ("sv-summary-json", write_medications_thread, &medications);
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    {
      n = g_list_model_get_n_items (lists[l]);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(SvProblem) row = g_list_model_get_item (lists[l], i);

          add_problem (&writer, row);
        }
    }
  sv_json_writer_end_array (&writer);

  sv_json_writer_name (&writer, "medications");
  sv_json_writer_begin_array (&writer);
  g_thread_join (thread);
  sv_json_writer_append_values (&writer, &medications.writer);
  sv_json_writer_end_array (&writer);

  begin_member_object (&writer, "sections");
  add_section (&writer, "problems", self->sections[SV_SECTION_PROBLEMS].state,
               self->sections[SV_SECTION_PROBLEMS].count, self->sections[SV_SECTION_PROBLEMS].message);
  add_section (&writer, "medications", self->sections[SV_SECTION_MEDICATIONS].state,
               self->sections[SV_SECTION_MEDICATIONS].count, self->sections[SV_SECTION_MEDICATIONS].message);
  for (Res res = 0; res < N_RES; res++)
    add_section (&writer, res_types[res], self->resources[res].state, self->resources[res].count,
                 self->resources[res].message);
  sv_json_writer_end_object (&writer);

  sv_json_writer_name (&writer, "skipped");
  sv_json_writer_begin_array (&writer);
  for (guint i = 0; i < self->skipped->len; i++)
    sv_json_writer_string (&writer, g_ptr_array_index (self->skipped, i));
  sv_json_writer_end_array (&writer);

  sv_json_writer_end_object (&writer);
  g_string_free (medications.out, TRUE);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static const char *
problem_group_title (SvProblemGroup group)
{
  switch (group)
    {
    case SV_PROBLEM_GROUP_ACTIVE:
      return _("Active");
    case SV_PROBLEM_GROUP_REMISSION:
      return _("In remission");
    case SV_PROBLEM_GROUP_INACTIVE:
      return _("Inactive or resolved");
    case SV_PROBLEM_GROUP_UNKNOWN:
    default:
      return _("Status not known");
    }
}

static const char *
medication_group_title (SvMedicationGroup group)
{
  switch (group)
    {
    case SV_MEDICATION_GROUP_ACTIVE:
      return _("Active");
    case SV_MEDICATION_GROUP_STOPPED:
      return _("Stopped or completed");
    case SV_MEDICATION_GROUP_UNKNOWN:
    default:
      return _("Status not known");
    }
}

static void
append_section_state (GString    *text,
                      Section    *section,
                      const char *empty)
{
  switch (section->state)
    {
    case SV_SECTION_STATE_EMPTY:
    case SV_SECTION_STATE_LOADING:
      g_string_append_printf (text, "  %s\n", _("Still loading."));
      break;
    case SV_SECTION_STATE_NOT_PERMITTED:
      g_string_append_printf (text, "  %s\n", _("Not permitted."));
      break;
    case SV_SECTION_STATE_ERROR:
      g_string_append_printf (text, "  %s\n", _("Could not be read."));
      break;
    case SV_SECTION_STATE_PARTIAL:
      g_string_append_printf (text, "  %s\n", _("Incomplete: not all pages could be read."));
      break;
    case SV_SECTION_STATE_OK:
    default:
      if (section->count == 0)
        g_string_append_printf (text, "  %s\n", empty);
      break;
    }

  if (section->message != NULL)
    {
      g_auto(GStrv) lines = g_strsplit (section->message, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        g_string_append_printf (text, "  ! %s\n", lines[i]);
    }
}

static void
append_problems (GString    *text,
                 GListModel *model)
{
  guint n = g_list_model_get_n_items (model);
  int group = -1;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SvProblem) row = g_list_model_get_item (model, i);
      g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func (g_free);

      if ((int) sv_problem_get_group (row) != group)
        {
          group = sv_problem_get_group (row);
          g_string_append_printf (text, "  %s\n", problem_group_title (group));
        }

      if (sv_problem_get_onset_text (row) != NULL)
        /* Translators: when a problem began, e.g. "onset 12 Mar 2010". */
        g_ptr_array_add (details, g_strdup_printf (_("onset %s"), sv_problem_get_onset_text (row)));
      if (sv_problem_get_abatement_text (row) != NULL)
        /* Translators: when a problem ended, e.g. "ended 12 Mar 2011". */
        g_ptr_array_add (details, g_strdup_printf (_("ended %s"), sv_problem_get_abatement_text (row)));
      if (sv_problem_get_refuted (row))
        g_ptr_array_add (details, g_strdup (_("refuted")));
      if (sv_problem_get_unconfirmed (row))
        g_ptr_array_add (details, g_strdup (_("unconfirmed")));
      if (sv_problem_get_inferred (row))
        {
          if (sv_problem_get_confidence (row) >= 0)
            /* Translators: inferred by language processing, with a confidence in percent. */
            g_ptr_array_add (details, g_strdup_printf (_("inferred, %.0f %% confidence"),
                                                       sv_problem_get_confidence (row) * 100));
          else
            g_ptr_array_add (details, g_strdup (_("inferred")));
        }
      g_ptr_array_add (details, NULL);

      g_string_append_printf (text, "    • %s", sv_problem_get_display (row));
      if (details->len > 1)
        {
          g_autofree char *joined = g_strjoinv (", ", (char **) details->pdata);

          g_string_append_printf (text, " (%s)", joined);
        }
      g_string_append_c (text, '\n');
    }
}

static void
append_medications (GString    *text,
                    GListModel *model)
{
  guint n = g_list_model_get_n_items (model);
  int group = -1;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SvMedication) row = g_list_model_get_item (model, i);
      g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func (g_free);
      gboolean ordered = g_strcmp0 (sv_medication_get_source (row), "ordered") == 0;

      if ((int) sv_medication_get_group (row) != group)
        {
          group = sv_medication_get_group (row);
          g_string_append_printf (text, "  %s\n", medication_group_title (group));
        }

      g_ptr_array_add (details, g_strdup (ordered ? _("ordered") : _("reported")));
      if (sv_medication_get_not_taken (row))
        g_ptr_array_add (details, g_strdup (_("not taken")));
      if (sv_medication_get_dosage_text (row) != NULL)
        g_ptr_array_add (details, g_strdup (sv_medication_get_dosage_text (row)));
      if (sv_medication_get_period_text (row) != NULL)
        g_ptr_array_add (details, g_strdup (sv_medication_get_period_text (row)));
      if (sv_medication_get_reason_text (row) != NULL)
        /* Translators: what a medication is for, e.g. "for Hypertension". */
        g_ptr_array_add (details, g_strdup_printf (_("for %s"), sv_medication_get_reason_text (row)));
      g_ptr_array_add (details, NULL);

      {
        g_autofree char *joined = g_strjoinv (", ", (char **) details->pdata);

        g_string_append_printf (text, "    • %s (%s)\n", sv_medication_get_display (row), joined);
      }
    }
}

/**
 * sv_patient_record_to_text:
 * @self: a #SvPatientRecord
 *
 * A plain-text summary for the clipboard, printing and the CLI, in the
 * user's language.
 *
 * Returns: (transfer full): the text
 */
char *
sv_patient_record_to_text (SvPatientRecord *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *not_known = sv_fhir_not_known (NULL);
  gboolean encounter_only;

  g_return_val_if_fail (SV_IS_PATIENT_RECORD (self), NULL);

  g_string_append_printf (text, "%s\n", self->name != NULL ? self->name : not_known);
  g_string_append_printf (text, _("Born: %s"), self->birth != NULL ? self->birth : not_known);
  g_string_append (text, " · ");
  g_string_append_printf (text, _("Gender: %s"), self->gender != NULL ? self->gender : not_known);
  g_string_append (text, " · ");
  if (self->mrn != NULL)
    g_string_append_printf (text, "%s: %s", self->mrn_label, self->mrn);
  else
    g_string_append_printf (text, _("MRN: %s"), not_known);
  g_string_append_c (text, '\n');
  if (self->deceased)
    {
      if (self->deceased_text != NULL)
        g_string_append_printf (text, _("Deceased: %s"), self->deceased_text);
      else
        g_string_append (text, _("Deceased"));
      g_string_append_c (text, '\n');
    }
  if (self->source_server != NULL)
    {
      g_string_append_printf (text, _("Source: %s"), self->source_server);
      if (self->last_fetched != NULL)
        {
          /* Translators: strftime format of when the record was read. */
          g_autofree char *when = g_date_time_format (self->last_fetched, C_("date", "%-d %b %Y %H:%M"));

          g_string_append (text, " · ");
          g_string_append_printf (text, _("Fetched: %s"), when);
        }
      g_string_append_c (text, '\n');
    }

  encounter_only = sv_patient_record_get_problems_are_encounter_diagnoses (self);
  g_string_append_c (text, '\n');
  g_string_append_printf (text, "%s (%u)\n", _("Problems"),
                          g_list_model_get_n_items (G_LIST_MODEL (self->problems)));
  append_section_state (text, &self->sections[SV_SECTION_PROBLEMS],
                        encounter_only ? _("No problem list; see the encounter diagnoses.")
                                       : _("No problems recorded."));
  append_problems (text, G_LIST_MODEL (self->problems));

  if (g_list_model_get_n_items (G_LIST_MODEL (self->encounter_diagnoses)) > 0)
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (text, "%s (%u)\n", _("Encounter diagnoses"),
                              g_list_model_get_n_items (G_LIST_MODEL (self->encounter_diagnoses)));
      append_problems (text, G_LIST_MODEL (self->encounter_diagnoses));
    }

  g_string_append_c (text, '\n');
  g_string_append_printf (text, "%s (%u)\n", _("Medications"),
                          g_list_model_get_n_items (G_LIST_MODEL (self->medications)));
  append_section_state (text, &self->sections[SV_SECTION_MEDICATIONS], _("No medications recorded."));
  append_medications (text, G_LIST_MODEL (self->medications));

  return g_string_free (g_steal_pointer (&text), FALSE);
}
