/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-core"

#include "config.h"

#include "sv-profile-store.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sv-error.h"

/**
 * SvProfileStore:
 *
 * The server profiles, kept as a key file in
 * `$XDG_CONFIG_HOME/smart-viewer/profiles.ini` so GUI and CLI share them and
 * a user can read what is stored. Nothing secret is ever written here.
 *
 * The file is small and written only when the user saves, so the I/O is
 * synchronous.
 */
struct _SvProfileStore
{
  GObject parent_instance;

  char *path;
  GPtrArray *profiles;
  char *last_used;
};

G_DEFINE_FINAL_TYPE (SvProfileStore, sv_profile_store, G_TYPE_OBJECT)

#define GROUP_PREFIX "Profile "
#define GENERAL_GROUP "General"

static void
sv_profile_store_finalize (GObject *object)
{
  SvProfileStore *self = SV_PROFILE_STORE (object);

  g_free (self->path);
  g_ptr_array_unref (self->profiles);
  g_free (self->last_used);

  G_OBJECT_CLASS (sv_profile_store_parent_class)->finalize (object);
}

static void
sv_profile_store_class_init (SvProfileStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_profile_store_finalize;
}

static void
sv_profile_store_init (SvProfileStore *self)
{
  self->profiles = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * sv_profile_store_new:
 * @path: (nullable): the key file, or %NULL for the user's default
 *
 * Returns: (transfer full): an empty store; call sv_profile_store_load()
 */
SvProfileStore *
sv_profile_store_new (const char *path)
{
  SvProfileStore *self = g_object_new (SV_TYPE_PROFILE_STORE, NULL);

  if (path != NULL)
    self->path = g_strdup (path);
  else
    self->path = g_build_filename (g_get_user_config_dir (), "smart-viewer", "profiles.ini", NULL);

  return self;
}

const char *
sv_profile_store_get_path (SvProfileStore *self)
{
  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), NULL);
  return self->path;
}

static char *
get_key (GKeyFile   *file,
         const char *group,
         const char *key)
{
  return g_key_file_get_string (file, group, key, NULL);
}

/**
 * sv_profile_store_load:
 * @self: a store
 * @error: return location for an error
 *
 * Reads the file. A missing file is an empty store, not an error; a broken
 * profile is skipped with a warning so one bad entry cannot lock a user out
 * of the others.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_profile_store_load (SvProfileStore  *self,
                       GError         **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) groups = NULL;

  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), FALSE);

  g_ptr_array_set_size (self->profiles, 0);
  g_clear_pointer (&self->last_used, g_free);

  if (!g_key_file_load_from_file (file, self->path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;

      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("The server profiles in “%s” could not be read (%s). Fix or remove that file."),
                   self->path, local_error->message);
      return FALSE;
    }

  self->last_used = get_key (file, GENERAL_GROUP, "LastUsed");

  groups = g_key_file_get_groups (file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *group = groups[i];
      g_autoptr(SvServerProfile) profile = NULL;
      g_autofree char *value = NULL;
      g_autoptr(GError) invalid = NULL;
      SvIdpKind kind;
      SvRedirectMode mode;

      if (!g_str_has_prefix (group, GROUP_PREFIX))
        continue;

      profile = sv_server_profile_new (group + strlen (GROUP_PREFIX));

      value = get_key (file, group, "IdpKind");
      if (value != NULL && sv_idp_kind_from_string (value, &kind))
        sv_server_profile_set_idp_kind (profile, kind);
      g_clear_pointer (&value, g_free);

      value = get_key (file, group, "RedirectMode");
      if (value != NULL && sv_redirect_mode_from_string (value, &mode))
        sv_server_profile_set_redirect_mode (profile, mode);
      g_clear_pointer (&value, g_free);

#define LOAD(key, setter)                               \
      value = get_key (file, group, key);               \
      if (value != NULL)                                \
        setter (profile, value);                        \
      g_clear_pointer (&value, g_free);

      LOAD ("FhirBaseUrl", sv_server_profile_set_fhir_base_url)
      LOAD ("ClientId", sv_server_profile_set_client_id)
      LOAD ("Scopes", sv_server_profile_set_scopes)
      LOAD ("PatientClaim", sv_server_profile_set_patient_claim)
      LOAD ("Issuer", sv_server_profile_set_issuer)
      LOAD ("AuthorizationEndpoint", sv_server_profile_set_authorization_endpoint)
      LOAD ("TokenEndpoint", sv_server_profile_set_token_endpoint)
      LOAD ("RevocationEndpoint", sv_server_profile_set_revocation_endpoint)
      LOAD ("JwksUri", sv_server_profile_set_jwks_uri)
#undef LOAD

      if (!sv_server_profile_validate (profile, &invalid))
        {
          g_warning ("Skipping the stored server profile “%s”: %s",
                     sv_server_profile_get_name (profile), invalid->message);
          continue;
        }

      g_ptr_array_add (self->profiles, g_steal_pointer (&profile));
    }

  return TRUE;
}

static void
set_key (GKeyFile   *file,
         const char *group,
         const char *key,
         const char *value)
{
  if (value != NULL)
    g_key_file_set_string (file, group, key, value);
}

/**
 * sv_profile_store_save:
 * @self: a store
 * @error: return location for an error
 *
 * Writes the file atomically (readable by the user only, since server
 * addresses and client ids of a hospital are not for everyone).
 *
 * Returns: %TRUE on success
 */
gboolean
sv_profile_store_save (SvProfileStore  *self,
                       GError         **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), FALSE);

  if (self->last_used != NULL)
    g_key_file_set_string (file, GENERAL_GROUP, "LastUsed", self->last_used);

  for (guint i = 0; i < self->profiles->len; i++)
    {
      SvServerProfile *profile = g_ptr_array_index (self->profiles, i);
      g_autofree char *group = g_strconcat (GROUP_PREFIX, sv_server_profile_get_name (profile), NULL);

      set_key (file, group, "FhirBaseUrl", sv_server_profile_get_fhir_base_url (profile));
      set_key (file, group, "ClientId", sv_server_profile_get_client_id (profile));
      set_key (file, group, "Scopes", sv_server_profile_get_scopes (profile));
      set_key (file, group, "RedirectMode",
               sv_redirect_mode_to_string (sv_server_profile_get_redirect_mode (profile)));
      set_key (file, group, "IdpKind", sv_idp_kind_to_string (sv_server_profile_get_idp_kind (profile)));
      set_key (file, group, "PatientClaim", sv_server_profile_get_patient_claim (profile));
      set_key (file, group, "Issuer", sv_server_profile_get_issuer (profile));
      set_key (file, group, "AuthorizationEndpoint", sv_server_profile_get_authorization_endpoint (profile));
      set_key (file, group, "TokenEndpoint", sv_server_profile_get_token_endpoint (profile));
      set_key (file, group, "RevocationEndpoint", sv_server_profile_get_revocation_endpoint (profile));
      set_key (file, group, "JwksUri", sv_server_profile_get_jwks_uri (profile));
    }

  dir = g_path_get_dirname (self->path);
  data = g_key_file_to_data (file, &length, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (self->path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, SV_ERROR, SV_ERROR_FAILED,
                   _("The server profiles could not be saved to “%s” (%s). Check that the folder is writable."),
                   self->path, local_error ? local_error->message : g_strerror (errno));
      return FALSE;
    }

  return TRUE;
}

/**
 * sv_profile_store_list:
 * @self: a store
 *
 * Returns: (transfer container) (element-type SvServerProfile): the profiles in file order
 */
GPtrArray *
sv_profile_store_list (SvProfileStore *self)
{
  GPtrArray *list;

  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), NULL);

  list = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->profiles->len; i++)
    g_ptr_array_add (list, g_object_ref (g_ptr_array_index (self->profiles, i)));

  return list;
}

static int
find_index (SvProfileStore *self,
            const char     *name)
{
  for (guint i = 0; i < self->profiles->len; i++)
    {
      if (g_strcmp0 (sv_server_profile_get_name (g_ptr_array_index (self->profiles, i)), name) == 0)
        return (int) i;
    }
  return -1;
}

/**
 * sv_profile_store_lookup:
 * @self: a store
 * @name: a profile name
 *
 * Returns: (transfer none) (nullable): the profile called @name
 */
SvServerProfile *
sv_profile_store_lookup (SvProfileStore *self,
                         const char     *name)
{
  int index;

  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), NULL);

  index = find_index (self, name);
  return index < 0 ? NULL : g_ptr_array_index (self->profiles, index);
}

/**
 * sv_profile_store_add:
 * @self: a store
 * @profile: a profile
 * @replace: whether a profile of the same name may be replaced
 * @error: return location for an error
 *
 * Adds @profile in memory after validating it; call sv_profile_store_save().
 *
 * Returns: %TRUE on success
 */
gboolean
sv_profile_store_add (SvProfileStore   *self,
                      SvServerProfile  *profile,
                      gboolean          replace,
                      GError          **error)
{
  int index;

  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), FALSE);
  g_return_val_if_fail (SV_IS_SERVER_PROFILE (profile), FALSE);

  if (!sv_server_profile_validate (profile, error))
    return FALSE;

  index = find_index (self, sv_server_profile_get_name (profile));
  if (index >= 0 && !replace)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("A profile called “%s” exists already. Choose another name or remove the old profile first."),
                   sv_server_profile_get_name (profile));
      return FALSE;
    }

  if (index >= 0)
    {
      g_object_unref (g_ptr_array_index (self->profiles, index));
      g_ptr_array_index (self->profiles, index) = g_object_ref (profile);
    }
  else
    g_ptr_array_add (self->profiles, g_object_ref (profile));

  return TRUE;
}

/**
 * sv_profile_store_remove:
 * @self: a store
 * @name: a profile name
 * @error: return location for an error
 *
 * Returns: %TRUE when the profile existed and was removed
 */
gboolean
sv_profile_store_remove (SvProfileStore  *self,
                         const char      *name,
                         GError         **error)
{
  int index;

  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), FALSE);

  index = find_index (self, name);
  if (index < 0)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("There is no profile called “%s”. List the profiles to see their names."), name);
      return FALSE;
    }

  g_ptr_array_remove_index (self->profiles, index);
  if (g_strcmp0 (self->last_used, name) == 0)
    g_clear_pointer (&self->last_used, g_free);

  return TRUE;
}

const char *
sv_profile_store_get_last_used (SvProfileStore *self)
{
  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), NULL);
  return self->last_used;
}

void
sv_profile_store_set_last_used (SvProfileStore *self,
                                const char     *name)
{
  g_return_if_fail (SV_IS_PROFILE_STORE (self));
  g_free (self->last_used);
  self->last_used = g_strdup (name);
}

/**
 * sv_profile_store_choose:
 * @self: a store
 * @name: (nullable): the profile the user asked for
 * @error: return location for an error
 *
 * Picks @name, else the only profile, else the last used one.
 *
 * Returns: (transfer none) (nullable): the profile
 */
SvServerProfile *
sv_profile_store_choose (SvProfileStore  *self,
                         const char      *name,
                         GError         **error)
{
  SvServerProfile *profile;

  g_return_val_if_fail (SV_IS_PROFILE_STORE (self), NULL);

  if (name != NULL)
    {
      profile = sv_profile_store_lookup (self, name);
      if (profile == NULL)
        g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                     _("There is no profile called “%s”. List the profiles to see their names."), name);
      return profile;
    }

  if (self->profiles->len == 1)
    return g_ptr_array_index (self->profiles, 0);

  if (self->profiles->len == 0)
    {
      g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                   _("There are no server profiles yet. Add one first."));
      return NULL;
    }

  profile = self->last_used ? sv_profile_store_lookup (self, self->last_used) : NULL;
  if (profile == NULL)
    g_set_error (error, SV_ERROR, SV_ERROR_INVALID_INPUT,
                 _("There are several server profiles and none was used before. Choose one by name."));
  return profile;
}
