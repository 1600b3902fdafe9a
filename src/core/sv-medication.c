/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-medication.h"

#include <string.h>

#include "sv-fhir-value.h"

/* One row of the medication list, from a MedicationStatement ("reported")
 * or a MedicationRequest ("ordered"), by the rules of FHIR-DISPLAY.md. The
 * name may come later: a medicationReference that is neither contained nor
 * in the Bundle is resolved by the record, which then sets the Medication. */

struct _SvMedication
{
  GObject            parent_instance;

  JsonObject        *resource;
  GBytes            *text;
  char              *id;
  gboolean           ordered;
  char              *display;
  GPtrArray         *codings;
  char              *status;
  SvMedicationGroup  group;
  gboolean           not_taken;
  char              *dosage_text;
  char              *period_text;
  char              *start_date;
  gint64             start_key;
  char              *reason_text;
  char              *reason_condition_id;
  char              *medication_reference;
  char              *medication_url;
  char              *notes;
  char              *raw_json;
};

G_DEFINE_FINAL_TYPE (SvMedication, sv_medication, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (SvMedicationGroup, sv_medication_group,
  G_DEFINE_ENUM_VALUE (SV_MEDICATION_GROUP_ACTIVE, "active"),
  G_DEFINE_ENUM_VALUE (SV_MEDICATION_GROUP_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (SV_MEDICATION_GROUP_UNKNOWN, "unknown"))

enum {
  PROP_0,
  PROP_ID,
  PROP_RESOURCE_TYPE,
  PROP_SOURCE,
  PROP_DISPLAY,
  PROP_CODINGS,
  PROP_STATUS,
  PROP_GROUP,
  PROP_NOT_TAKEN,
  PROP_DOSAGE_TEXT,
  PROP_PERIOD_TEXT,
  PROP_REASON_TEXT,
  PROP_REASON_CONDITION_ID,
  PROP_MEDICATION_REFERENCE,
  PROP_MEDICATION_URL,
  PROP_NOTES,
  PROP_RAW_JSON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
sv_medication_finalize (GObject *object)
{
  SvMedication *self = SV_MEDICATION (object);

  g_clear_pointer (&self->resource, json_object_unref);
  g_clear_pointer (&self->text, g_bytes_unref);
  g_clear_pointer (&self->codings, g_ptr_array_unref);
  g_free (self->id);
  g_free (self->display);
  g_free (self->status);
  g_free (self->dosage_text);
  g_free (self->period_text);
  g_free (self->start_date);
  g_free (self->reason_text);
  g_free (self->reason_condition_id);
  g_free (self->medication_reference);
  g_free (self->medication_url);
  g_free (self->notes);
  g_free (self->raw_json);

  G_OBJECT_CLASS (sv_medication_parent_class)->finalize (object);
}

static void
sv_medication_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SvMedication *self = SV_MEDICATION (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, sv_medication_get_id (self));
      break;
    case PROP_RESOURCE_TYPE:
      g_value_set_string (value, sv_medication_get_resource_type (self));
      break;
    case PROP_SOURCE:
      g_value_set_string (value, sv_medication_get_source (self));
      break;
    case PROP_DISPLAY:
      g_value_set_string (value, self->display);
      break;
    case PROP_CODINGS:
      g_value_set_boxed (value, self->codings);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_GROUP:
      g_value_set_enum (value, self->group);
      break;
    case PROP_NOT_TAKEN:
      g_value_set_boolean (value, self->not_taken);
      break;
    case PROP_DOSAGE_TEXT:
      g_value_set_string (value, self->dosage_text);
      break;
    case PROP_PERIOD_TEXT:
      g_value_set_string (value, self->period_text);
      break;
    case PROP_REASON_TEXT:
      g_value_set_string (value, self->reason_text);
      break;
    case PROP_REASON_CONDITION_ID:
      g_value_set_string (value, self->reason_condition_id);
      break;
    case PROP_MEDICATION_REFERENCE:
      g_value_set_string (value, self->medication_reference);
      break;
    case PROP_MEDICATION_URL:
      g_value_set_string (value, self->medication_url);
      break;
    case PROP_NOTES:
      g_value_set_string (value, self->notes);
      break;
    case PROP_RAW_JSON:
      g_value_set_string (value, sv_medication_get_raw_json (self));
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
sv_medication_class_init (SvMedicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_medication_finalize;
  object_class->get_property = sv_medication_get_property;

  properties[PROP_ID] = string_property ("id");
  properties[PROP_RESOURCE_TYPE] = string_property ("resource-type");
  properties[PROP_SOURCE] = string_property ("source");
  properties[PROP_DISPLAY] = string_property ("display");
  properties[PROP_CODINGS] =
    g_param_spec_boxed ("codings", NULL, NULL, G_TYPE_PTR_ARRAY,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] = string_property ("status");
  properties[PROP_GROUP] =
    g_param_spec_enum ("group", NULL, NULL, SV_TYPE_MEDICATION_GROUP, SV_MEDICATION_GROUP_UNKNOWN,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NOT_TAKEN] =
    g_param_spec_boolean ("not-taken", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOSAGE_TEXT] = string_property ("dosage-text");
  properties[PROP_PERIOD_TEXT] = string_property ("period-text");
  properties[PROP_REASON_TEXT] = string_property ("reason-text");
  properties[PROP_REASON_CONDITION_ID] = string_property ("reason-condition-id");
  properties[PROP_MEDICATION_REFERENCE] = string_property ("medication-reference");
  properties[PROP_MEDICATION_URL] = string_property ("medication-url");
  properties[PROP_NOTES] = string_property ("notes");
  properties[PROP_RAW_JSON] = string_property ("raw-json");

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_medication_init (SvMedication *self)
{
}

static SvMedicationGroup
group_of (const char *status)
{
  static const char *active[] = { "active", "intended", "on-hold", "draft" };
  static const char *stopped[] = { "stopped", "completed", "cancelled", "not-taken" };

  for (guint i = 0; i < G_N_ELEMENTS (active); i++)
    if (g_strcmp0 (status, active[i]) == 0)
      return SV_MEDICATION_GROUP_ACTIVE;
  for (guint i = 0; i < G_N_ELEMENTS (stopped); i++)
    if (g_strcmp0 (status, stopped[i]) == 0)
      return SV_MEDICATION_GROUP_STOPPED;
  return SV_MEDICATION_GROUP_UNKNOWN;
}

static const SvJsonNode *
find_contained (const SvJsonNode *resource,
                const char       *id)
{
  const SvJsonNode *contained = sv_json_node_get_array_member (resource, "contained");

  for (guint i = 0; i < sv_json_node_get_length (contained); i++)
    {
      const SvJsonNode *object = sv_json_node_get_object_element (contained, i);

      if (g_strcmp0 (sv_json_node_get_string_member (object, "resourceType"), "Medication") == 0 &&
          g_strcmp0 (sv_json_node_get_string_member (object, "id"), id) == 0)
        return object;
    }

  return NULL;
}

static void
set_reasons (SvMedication     *self,
             const SvJsonNode *resource)
{
  const SvJsonNode *codes = sv_json_node_get_array_member (resource, "reasonCode");
  const SvJsonNode *references = sv_json_node_get_array_member (resource, "reasonReference");
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < sv_json_node_get_length (codes); i++)
    {
      const SvJsonNode *code = sv_json_node_get_object_element (codes, i);

      if (code != NULL)
        g_ptr_array_add (texts, sv_fhir_concept_display (code, SV_CODE_DOMAIN_CONDITION));
    }

  for (guint i = 0; i < sv_json_node_get_length (references); i++)
    {
      const SvJsonNode *reference = sv_json_node_get_object_element (references, i);
      const char *display = sv_json_node_get_string_member (reference, "display");
      g_autofree char *id = sv_fhir_reference_id (sv_json_node_get_string_member (reference, "reference"),
                                                  "Condition");

      if (id != NULL && self->reason_condition_id == NULL)
        self->reason_condition_id = g_steal_pointer (&id);
      if (display != NULL && *display != '\0')
        g_ptr_array_add (texts, g_strdup (display));
    }

  if (texts->len > 0)
    {
      g_ptr_array_add (texts, NULL);
      self->reason_text = g_strjoinv (", ", (char **) texts->pdata);
    }
}

static void
set_medication_name (SvMedication     *self,
                     const SvJsonNode *resource)
{
  const SvJsonNode *concept = sv_json_node_get_object_member (resource, "medicationCodeableConcept");
  const SvJsonNode *reference = sv_json_node_get_object_member (resource, "medicationReference");
  const char *target = sv_json_node_get_string_member (reference, "reference");
  const char *display = sv_json_node_get_string_member (reference, "display");

  if (concept != NULL || reference == NULL)
    {
      self->display = sv_fhir_concept_display (concept, SV_CODE_DOMAIN_MEDICATION);
      self->codings = sv_fhir_concept_codings (concept);
      return;
    }

  if (target != NULL && target[0] == '#')
    {
      const SvJsonNode *contained = find_contained (resource, target + 1);

      if (contained != NULL)
        {
          sv_medication_set_medication_node (self, contained);
          return;
        }
    }

  /* Shown until the record resolves the reference, or for good when it
   * cannot: the reference's own display, else "Not known". */
  self->medication_reference = g_strdup (target);
  self->display = display != NULL && *display != '\0' ? g_strdup (display) : sv_fhir_not_known (NULL);
  self->codings = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_coding_free);
}

/**
 * sv_medication_new_from_json:
 * @resource: a MedicationStatement or MedicationRequest
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the row, %NULL when @resource cannot
 *   be read
 */
SvMedication *
sv_medication_new_from_json (JsonObject  *resource,
                             GError     **error)
{
  g_autoptr(SvJsonTree) tree = sv_json_tree_new_from_object (resource);
  g_autoptr(GBytes) text = sv_fhir_resource_text (resource);

  return sv_medication_new_from_node (sv_json_tree_get_root (tree), text, error);
}

/**
 * sv_medication_new_from_node:
 * @resource: a MedicationStatement or MedicationRequest
 * @text: its JSON text as the server sent it
 * @error: return location for a #GError
 *
 * The row keeps @text rather than a tree (see sv_problem_new_from_node()).
 *
 * Returns: (transfer full) (nullable): the row, %NULL when @resource cannot
 *   be read
 */
SvMedication *
sv_medication_new_from_node (const SvJsonNode  *resource,
                             GBytes            *text,
                             GError           **error)
{
  g_autoptr(SvMedication) self = NULL;
  const char *type = sv_json_node_get_string_member (resource, "resourceType");
  const char *start = NULL;
  const SvJsonNode *dosage;

  g_return_val_if_fail (text != NULL, NULL);

  if (!sv_fhir_resource_check (resource,
                               g_strcmp0 (type, "MedicationStatement") == 0 ? "MedicationStatement"
                                                                            : "MedicationRequest",
                               "s:status o:medicationCodeableConcept o:medicationReference a:dosage "
                               "a:dosageInstruction s:effectiveDateTime o:effectivePeriod s:authoredOn "
                               "s:dateAsserted a:reasonCode a:reasonReference a:note a:contained",
                               error))
    return NULL;

  self = g_object_new (SV_TYPE_MEDICATION, NULL);
  self->text = g_bytes_ref (text);
  self->id = g_strdup (sv_json_node_get_string_member (resource, "id"));
  self->ordered = g_strcmp0 (type, "MedicationRequest") == 0;
  self->status = g_strdup (sv_json_node_get_string_member (resource, "status"));
  self->group = group_of (self->status);
  self->not_taken = g_strcmp0 (self->status, "not-taken") == 0;

  /* An order not to give a medication is shown like one not taken. */
  if (sv_json_node_get_boolean (sv_json_node_get_member (resource, "doNotPerform")))
    self->not_taken = TRUE;

  set_medication_name (self, resource);

  dosage = sv_json_node_get_object_element (sv_json_node_get_array_member (resource, self->ordered
                                                                                     ? "dosageInstruction"
                                                                                     : "dosage"), 0);
  self->dosage_text = sv_fhir_dosage_display (dosage);

  if (self->ordered)
    {
      start = sv_json_node_get_string_member (resource, "authoredOn");
      self->period_text = sv_fhir_date_format (start);
    }
  else
    {
      start = sv_json_node_get_string_member (resource, "effectiveDateTime");
      if (start == NULL)
        start = sv_json_node_get_string_member (sv_json_node_get_object_member (resource, "effectivePeriod"), "start");
      if (start == NULL)
        start = sv_json_node_get_string_member (resource, "dateAsserted");
      self->period_text = sv_fhir_choice_display (resource, "effective");
      if (self->period_text == NULL)
        self->period_text = sv_fhir_date_format (sv_json_node_get_string_member (resource, "dateAsserted"));
    }
  self->start_date = g_strdup (start);
  self->start_key = sv_fhir_date_sort_key (start);

  set_reasons (self, resource);
  self->notes = sv_fhir_notes_text (resource);

  return g_steal_pointer (&self);
}

/**
 * sv_medication_get_id:
 * @self: a #SvMedication
 *
 * Returns: the resource's id
 */
const char *
sv_medication_get_id (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->id;
}

/**
 * sv_medication_get_resource_type:
 * @self: a #SvMedication
 *
 * Returns: "MedicationStatement" or "MedicationRequest"
 */
const char *
sv_medication_get_resource_type (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->ordered ? "MedicationRequest" : "MedicationStatement";
}

/**
 * sv_medication_get_source:
 * @self: a #SvMedication
 *
 * Returns: "ordered" for a MedicationRequest, "reported" for a
 *   MedicationStatement (not translated: the view translates it)
 */
const char *
sv_medication_get_source (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->ordered ? "ordered" : "reported";
}

/**
 * sv_medication_get_display:
 * @self: a #SvMedication
 *
 * Returns: the medication's name, never %NULL
 */
const char *
sv_medication_get_display (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->display;
}

/**
 * sv_medication_get_codings:
 * @self: a #SvMedication
 *
 * Returns: (transfer none) (element-type SvCoding): the medication's codings
 */
GPtrArray *
sv_medication_get_codings (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->codings;
}

/**
 * sv_medication_get_status:
 * @self: a #SvMedication
 *
 * Returns: (nullable): the status code
 */
const char *
sv_medication_get_status (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->status;
}

/**
 * sv_medication_get_group:
 * @self: a #SvMedication
 *
 * Returns: the group the row is listed under
 */
SvMedicationGroup
sv_medication_get_group (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), SV_MEDICATION_GROUP_UNKNOWN);
  return self->group;
}

/**
 * sv_medication_get_not_taken:
 * @self: a #SvMedication
 *
 * Returns: whether the medication is not taken (or ordered not to be)
 */
gboolean
sv_medication_get_not_taken (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), FALSE);
  return self->not_taken;
}

/**
 * sv_medication_get_entered_in_error:
 * @self: a #SvMedication
 *
 * Returns: whether the row must be hidden
 */
gboolean
sv_medication_get_entered_in_error (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), FALSE);
  return g_strcmp0 (self->status, "entered-in-error") == 0;
}

/**
 * sv_medication_get_dosage_text:
 * @self: a #SvMedication
 *
 * Returns: (nullable): the first dosage's text, else a summary
 */
const char *
sv_medication_get_dosage_text (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->dosage_text;
}

/**
 * sv_medication_get_period_text:
 * @self: a #SvMedication
 *
 * Returns: (nullable): the effective date or period of a statement, the
 *   date an order was authored
 */
const char *
sv_medication_get_period_text (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->period_text;
}

/**
 * sv_medication_get_start_date:
 * @self: a #SvMedication
 *
 * Returns: (nullable): the FHIR date the row sorts by, as given
 */
const char *
sv_medication_get_start_date (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->start_date;
}

/**
 * sv_medication_get_reason_text:
 * @self: a #SvMedication
 *
 * Returns: (nullable): what the medication is for
 */
const char *
sv_medication_get_reason_text (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->reason_text;
}

/**
 * sv_medication_get_reason_condition_id:
 * @self: a #SvMedication
 *
 * Returns: (nullable): the id of the Condition the medication treats
 */
const char *
sv_medication_get_reason_condition_id (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->reason_condition_id;
}

/**
 * sv_medication_get_medication_reference:
 * @self: a #SvMedication
 *
 * Returns: (nullable): the medicationReference not resolved yet (or never)
 */
const char *
sv_medication_get_medication_reference (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->medication_reference;
}

/**
 * sv_medication_get_medication_url:
 * @self: a #SvMedication
 *
 * Returns: (nullable): the address of a Medication on another server, shown
 *   as a link and never fetched with the token
 */
const char *
sv_medication_get_medication_url (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->medication_url;
}

/**
 * sv_medication_get_notes:
 * @self: a #SvMedication
 *
 * Returns: (nullable): the notes' texts, one per line
 */
const char *
sv_medication_get_notes (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);
  return self->notes;
}

/**
 * sv_medication_get_raw_json:
 * @self: a #SvMedication
 *
 * Returns: the resource as indented JSON
 */
const char *
sv_medication_get_raw_json (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);

  if (self->raw_json == NULL)
    self->raw_json = sv_fhir_resource_pretty_text (self->resource, self->text);

  return self->raw_json;
}

/**
 * sv_medication_get_resource:
 * @self: a #SvMedication
 *
 * Returns: (transfer none): the MedicationStatement or MedicationRequest,
 *   read again from its text when the row kept only that
 */
JsonObject *
sv_medication_get_resource (SvMedication *self)
{
  g_return_val_if_fail (SV_IS_MEDICATION (self), NULL);

  if (self->resource == NULL)
    self->resource = sv_fhir_resource_from_text (self->text);
  return self->resource;
}

/**
 * sv_medication_set_medication:
 * @self: a #SvMedication
 * @medication: the Medication resource the row refers to
 *
 * Takes the name and codings from the resolved Medication.
 */
void
sv_medication_set_medication (SvMedication *self,
                              JsonObject   *medication)
{
  g_autoptr(SvJsonTree) tree = NULL;

  g_return_if_fail (SV_IS_MEDICATION (self));
  g_return_if_fail (medication != NULL);

  tree = sv_json_tree_new_from_object (medication);
  sv_medication_set_medication_node (self, sv_json_tree_get_root (tree));
}

/**
 * sv_medication_set_medication_node:
 * @self: a #SvMedication
 * @medication: the Medication resource the row refers to
 *
 * Takes the name and codings from the resolved Medication.
 */
void
sv_medication_set_medication_node (SvMedication     *self,
                                   const SvJsonNode *medication)
{
  const SvJsonNode *code;

  g_return_if_fail (SV_IS_MEDICATION (self));
  g_return_if_fail (medication != NULL);

  code = sv_json_node_get_object_member (medication, "code");
  g_free (self->display);
  self->display = sv_fhir_concept_display (code, SV_CODE_DOMAIN_MEDICATION);
  g_clear_pointer (&self->codings, g_ptr_array_unref);
  self->codings = sv_fhir_concept_codings (code);
  g_clear_pointer (&self->medication_reference, g_free);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CODINGS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEDICATION_REFERENCE]);
}

/**
 * sv_medication_set_medication_url:
 * @self: a #SvMedication
 * @url: the Medication's address on another server
 *
 * Marks the reference as one that is shown as a link, not fetched.
 */
void
sv_medication_set_medication_url (SvMedication *self,
                                  const char   *url)
{
  g_return_if_fail (SV_IS_MEDICATION (self));

  g_free (self->medication_url);
  self->medication_url = g_strdup (url);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEDICATION_URL]);
}

/**
 * sv_medication_set_reason_text:
 * @self: a #SvMedication
 * @text: the display of the Condition the medication treats
 *
 * Used when a reasonReference has no display but the record knows the
 * Condition.
 */
void
sv_medication_set_reason_text (SvMedication *self,
                               const char   *text)
{
  g_return_if_fail (SV_IS_MEDICATION (self));

  g_free (self->reason_text);
  self->reason_text = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON_TEXT]);
}

static int
compare_desc (gint64 a,
              gint64 b)
{
  return a < b ? 1 : a > b ? -1 : 0;
}

/**
 * sv_medication_compare:
 * @a: a #SvMedication
 * @b: a #SvMedication
 *
 * The medication list's order: by group, then effective start or
 * authoredOn descending, then by name and id so that the order is stable.
 *
 * Returns: <0, 0 or >0
 */
int
sv_medication_compare (SvMedication *a,
                       SvMedication *b)
{
  int result;

  if (a->group != b->group)
    return a->group < b->group ? -1 : 1;
  if ((result = compare_desc (a->start_key, b->start_key)) != 0)
    return result;
  if ((result = g_utf8_collate (a->display, b->display)) != 0)
    return result;
  return g_strcmp0 (sv_medication_get_id (a), sv_medication_get_id (b));
}
