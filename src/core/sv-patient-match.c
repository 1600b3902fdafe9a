/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-patient-match.h"

#include <glib/gi18n.h>

#include "sv-fhir-value.h"

/* One row of the patient picker: what tells two patients apart (name, birth
 * date, gender, MRN), computed once from the Patient resource so the list
 * only binds strings. */

struct _SvPatientMatch
{
  GObject  parent_instance;

  char    *id;
  char    *name;
  char    *birth;
  char    *gender;
  char    *mrn;
};

G_DEFINE_FINAL_TYPE (SvPatientMatch, sv_patient_match, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_BIRTH,
  PROP_GENDER,
  PROP_MRN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
sv_patient_match_finalize (GObject *object)
{
  SvPatientMatch *self = SV_PATIENT_MATCH (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->birth);
  g_free (self->gender);
  g_free (self->mrn);

  G_OBJECT_CLASS (sv_patient_match_parent_class)->finalize (object);
}

static void
sv_patient_match_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SvPatientMatch *self = SV_PATIENT_MATCH (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_BIRTH:
      g_value_set_string (value, self->birth);
      break;
    case PROP_GENDER:
      g_value_set_string (value, self->gender);
      break;
    case PROP_MRN:
      g_value_set_string (value, self->mrn);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_patient_match_class_init (SvPatientMatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_patient_match_finalize;
  object_class->get_property = sv_patient_match_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BIRTH] = g_param_spec_string ("birth", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_GENDER] = g_param_spec_string ("gender", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MRN] = g_param_spec_string ("mrn", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_patient_match_init (SvPatientMatch *self)
{
}

static const char *
gender_label (const char *gender)
{
  if (g_strcmp0 (gender, "female") == 0)
    return _("Female");
  if (g_strcmp0 (gender, "male") == 0)
    return _("Male");
  if (g_strcmp0 (gender, "other") == 0)
    return _("Other");
  if (g_strcmp0 (gender, "unknown") == 0)
    return _("Unknown");
  return NULL;
}

/**
 * sv_patient_match_new_from_json:
 * @patient: a Patient resource
 *
 * Returns: (transfer full): a picker row for @patient
 */
SvPatientMatch *
sv_patient_match_new_from_json (JsonObject *patient)
{
  SvPatientMatch *self;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(SvJsonTree) tree = NULL;
  const char *gender;

  g_return_val_if_fail (patient != NULL, NULL);

  tree = sv_json_tree_new_from_object (patient);
  self = g_object_new (SV_TYPE_PATIENT_MATCH, NULL);
  self->id = g_strdup (json_object_get_string_member_with_default (patient, "id", ""));
  self->name = sv_fhir_patient_name (sv_json_tree_get_root (tree));
  self->birth = sv_fhir_patient_birth (sv_json_tree_get_root (tree), now);
  gender = gender_label (json_object_get_string_member_with_default (patient, "gender", NULL));
  self->gender = g_strdup (gender != NULL ? gender : _("Not known"));
  self->mrn = sv_fhir_patient_mrn (sv_json_tree_get_root (tree), NULL);

  return self;
}

/**
 * sv_patient_match_get_id:
 * @self: a match
 *
 * Returns: the Patient's logical id
 */
const char *
sv_patient_match_get_id (SvPatientMatch *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_MATCH (self), NULL);
  return self->id;
}

/**
 * sv_patient_match_get_name:
 * @self: a match
 *
 * Returns: the display name
 */
const char *
sv_patient_match_get_name (SvPatientMatch *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_MATCH (self), NULL);
  return self->name;
}

/**
 * sv_patient_match_get_birth:
 * @self: a match
 *
 * Returns: the birth date with the age, or "Not known"
 */
const char *
sv_patient_match_get_birth (SvPatientMatch *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_MATCH (self), NULL);
  return self->birth;
}

/**
 * sv_patient_match_get_gender:
 * @self: a match
 *
 * Returns: the translated administrative gender, or "Not known"
 */
const char *
sv_patient_match_get_gender (SvPatientMatch *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_MATCH (self), NULL);
  return self->gender;
}

/**
 * sv_patient_match_get_mrn:
 * @self: a match
 *
 * Returns: (nullable): the medical record number
 */
const char *
sv_patient_match_get_mrn (SvPatientMatch *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_MATCH (self), NULL);
  return self->mrn;
}

/**
 * sv_patient_match_describe:
 * @self: a match
 *
 * Returns: (transfer full): born, gender and MRN on one line, for the row's
 *   subtitle and its accessible description
 */
char *
sv_patient_match_describe (SvPatientMatch *self)
{
  g_return_val_if_fail (SV_IS_PATIENT_MATCH (self), NULL);

  /* Translators: a patient picker row: birth date (with age), gender, MRN. */
  return g_strdup_printf (_("Born %s · %s · MRN %s"), self->birth, self->gender,
                          self->mrn != NULL ? self->mrn : _("Not known"));
}
