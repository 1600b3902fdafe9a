/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-fhir"

#include "config.h"

#include "sv-patient-search.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-patient-match.h"

/* The patient picker's searches, on top of SvFhirClient's public API: what
 * the user typed becomes FHIR search parameters, the Patients found become
 * SvPatientMatch rows. */

/* At most this many matches per search: the picker is for finding one
 * patient, not for browsing the whole server. */
#define MAX_MATCHES "25"

static gboolean
looks_like_date (const char *text)
{
  static const char *patterns[] = { "^[0-9]{4}$", "^[0-9]{4}-[0-9]{2}$", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" };

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    if (g_regex_match_simple (patterns[i], text, 0, 0))
      return TRUE;
  return FALSE;
}

static gboolean
has_digit (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      return TRUE;
  return FALSE;
}

/**
 * sv_patient_search_params:
 * @query: what the user typed
 *
 * A birth date (`1961`, `1961-03`, `1961-03-12`) searches `birthdate`; a
 * word with digits searches `identifier` (an MRN); anything else searches
 * `name`, each word narrowing the result (repeated parameters are ANDed).
 *
 * Returns: (transfer full) (nullable): the search parameters, names and
 *   values alternating (not yet escaped), %NULL when @query is blank
 */
char **
sv_patient_search_params (const char *query)
{
  g_autoptr(GPtrArray) builder = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *trimmed = g_strstrip (g_strdup (query != NULL ? query : ""));
  g_auto(GStrv) words = NULL;
  guint n = 0;

  if (*trimmed == '\0')
    return NULL;

  if (looks_like_date (trimmed))
    {
      g_ptr_array_add (builder, g_strdup ("birthdate"));
      g_ptr_array_add (builder, g_strdup (trimmed));
    }
  else if (strchr (trimmed, ' ') == NULL && has_digit (trimmed))
    {
      g_ptr_array_add (builder, g_strdup ("identifier"));
      g_ptr_array_add (builder, g_strdup (trimmed));
    }
  else
    {
      words = g_strsplit_set (trimmed, " \t,", -1);
      for (guint i = 0; words[i] != NULL; i++)
        if (*words[i] != '\0')
          {
            g_ptr_array_add (builder, g_strdup ("name"));
            g_ptr_array_add (builder, g_strdup (words[i]));
            n++;
          }
      if (n == 0)
        return NULL;
    }

  g_ptr_array_add (builder, g_strdup ("_count"));
  g_ptr_array_add (builder, g_strdup (MAX_MATCHES));
  g_ptr_array_add (builder, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&builder), FALSE);
}

static void
on_searched (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvFhirSearchResult) found = sv_fhir_client_search_finish (SV_FHIR_CLIENT (source), result, &error);
  GPtrArray *matches;

  if (found == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  matches = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < found->matches->len; i++)
    g_ptr_array_add (matches, sv_patient_match_new_from_json (g_ptr_array_index (found->matches, i)));

  /* Fewer matches than the server has are not shown as if they were all:
   * paging that stopped early, or entries that were not resources. */
  if (found->partial)
    g_task_set_task_data (task, g_strdup (found->partial_reason != NULL ? found->partial_reason
                                          : _("The server’s answer ended early.")), g_free);
  else if (found->invalid != NULL && found->invalid->len > 0)
    g_task_set_task_data (task, g_strdup_printf (ngettext ("%u entry of the answer was not a readable Patient (%s).",
                                                           "%u entries of the answer were not readable Patients (%s).",
                                                           found->invalid->len),
                                                 found->invalid->len, (const char *) g_ptr_array_index (found->invalid, 0)),
                          g_free);
  g_task_return_pointer (task, matches, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * sv_patient_search_async:
 * @client: the FHIR client
 * @query: what the user typed
 * @cancellable: (nullable): cancel it when the user types on
 * @callback: called with the matches
 * @user_data: data for @callback
 *
 * Searches Patients; see sv_patient_search_params().
 */
void
sv_patient_search_async (SvFhirClient        *client,
                         const char          *query,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (client, cancellable, callback, user_data);
  g_auto(GStrv) params = sv_patient_search_params (query);

  g_task_set_source_tag (task, sv_patient_search_async);

  if (params == NULL)
    {
      g_task_return_pointer (task, g_ptr_array_new_with_free_func (g_object_unref),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  sv_fhir_client_search_async (client, "Patient", (const char * const *) params, cancellable,
                               on_searched, g_steal_pointer (&task));
}

/**
 * sv_patient_search_finish:
 * @result: the result passed to the callback
 * @partial_reason: (out) (optional) (nullable) (transfer full): when not
 *   all matches could be read, why (translated); %NULL otherwise
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type SvPatientMatch): the matches
 */
GPtrArray *
sv_patient_search_finish (GAsyncResult  *result,
                          char         **partial_reason,
                          GError       **error)
{
  GPtrArray *matches = g_task_propagate_pointer (G_TASK (result), error);

  if (partial_reason != NULL)
    *partial_reason = matches != NULL ? g_strdup (g_task_get_task_data (G_TASK (result))) : NULL;
  return matches;
}

static void
on_resolved (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char * const *ids = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) found = sv_fhir_client_resolve_finish (SV_FHIR_CLIENT (source), result, &error);
  GPtrArray *matches;

  if (found == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* In the order asked (most recent first); ids the server no longer has,
   * or that this account may not see, are left out. */
  matches = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      JsonObject *patient = g_hash_table_lookup (found, ids[i]);

      if (patient != NULL)
        g_ptr_array_add (matches, sv_patient_match_new_from_json (patient));
    }
  g_task_return_pointer (task, matches, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * sv_patient_search_ids_async:
 * @client: the FHIR client
 * @ids: (array zero-terminated=1): Patient ids, e.g. the recently opened ones
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the matches
 * @user_data: data for @callback
 *
 * Reads the Patients with one batched `_id` search.
 */
void
sv_patient_search_ids_async (SvFhirClient        *client,
                             const char * const  *ids,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (client, cancellable, callback, user_data);

  g_task_set_source_tag (task, sv_patient_search_ids_async);
  g_task_set_task_data (task, g_strdupv ((char **) ids), (GDestroyNotify) g_strfreev);

  if (ids == NULL || ids[0] == NULL)
    {
      g_task_return_pointer (task, g_ptr_array_new_with_free_func (g_object_unref),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  sv_fhir_client_resolve_async (client, "Patient", ids, cancellable, on_resolved, g_steal_pointer (&task));
}

/**
 * sv_patient_search_ids_finish:
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type SvPatientMatch): the matches
 */
GPtrArray *
sv_patient_search_ids_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
