/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sb-idp"

#include "config.h"

#include <openssl/crypto.h>
#include <string.h>

#include "sb-idp-private.h"
#include "sb-store.h"

/* The authorization endpoint: request checks, then the login, patient
 * picker and consent pages, then the code.  Between pages the request is
 * kept server-side under an opaque random id carried in a hidden field;
 * that id doubles as the CSRF token, since a third-party page cannot learn
 * it. */

#define SB_PICKER_MAX_ROWS 100

void
sb_idp_pending_free (SbPending *pending)
{
  g_free (pending->tx);
  g_free (pending->client_id);
  g_free (pending->redirect_uri);
  g_free (pending->state);
  g_free (pending->nonce);
  g_free (pending->code_challenge);
  g_ptr_array_unref (pending->scopes);
  g_free (pending->username);
  g_free (pending->patient);
  g_free (pending);
}

void
sb_idp_code_free (SbCode *code)
{
  g_free (code->redirect_uri);
  g_free (code->code_challenge);
  g_free (code);
}

static char *
esc (const char *text)
{
  return g_markup_escape_text (text != NULL ? text : "", -1);
}

/* ---- error answers ------------------------------------------------------- */

/* Before client_id and redirect_uri are trusted, errors must not redirect
 * anywhere (RFC 6749 §4.1.2.1): they are shown to the user instead. */
static void
error_page (SbIdp *idp, SoupServerMessage *msg, const char *error, const char *text)
{
  g_autofree char *etext = esc (text);
  g_autofree char *eerror = esc (error);
  g_autofree char *body = g_strdup_printf (
    "<p role=\"alert\">%s</p>\n<p class=\"hint\">Error code: <code>%s</code>. "
    "Go back to the app and start the sign-in again.</p>", etext, eerror);
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "step", "request");
  json_object_set_string_member (fields, "error", error);
  json_object_set_string_member (fields, "error_description", text);
  sb_idp_emit (idp, "authorize", fields);
  sb_idp_set_html (msg, 400, idp, "Sign-in cannot continue", body);
}

static void
error_redirect (SbIdp *idp, SoupServerMessage *msg, const char *redirect_uri,
                const char *state, const char *error, const char *description)
{
  g_autofree char *location = sb_idp_add_query (redirect_uri,
                                                "error", error,
                                                "error_description", description,
                                                "state", state,
                                                "iss", idp->ctx->issuer,
                                                NULL);
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "step", "redirect");
  json_object_set_string_member (fields, "error", error);
  json_object_set_string_member (fields, "error_description", description);
  sb_idp_emit (idp, "authorize", fields);
  sb_idp_set_redirect (msg, location);
}

static void
pending_error (SbIdp *idp, SoupServerMessage *msg, SbPending *pending,
               const char *error, const char *description)
{
  error_redirect (idp, msg, pending->redirect_uri, pending->state, error, description);
  g_hash_table_remove (idp->pending, pending->tx);
}

/* ---- pages ------------------------------------------------------------------ */

static void
append_scope_summary (GString *body, SbPending *pending)
{
  guint i;

  g_string_append (body, "<details><summary>What the app asks for</summary><ul>\n");
  for (i = 0; i < pending->scopes->len; i++)
    {
      g_autofree char *s = esc (pending->scopes->pdata[i]);

      g_string_append_printf (body, "<li><code>%s</code></li>\n", s);
    }
  g_string_append (body, "</ul></details>\n");
}

static void
login_page (SbIdp *idp, SoupServerMessage *msg, SbPending *pending, const char *error,
            const char *username)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *client = esc (pending->client_id);
  g_autofree char *tx = esc (pending->tx);
  g_autofree char *user = esc (username);
  g_autofree char *action = esc (idp->auth_path);

  g_string_append_printf (body, "<p>Sign in to continue to <strong>%s</strong>.</p>\n", client);
  if (error != NULL)
    {
      g_autofree char *e = esc (error);

      g_string_append_printf (body, "<p role=\"alert\" id=\"login-error\">%s</p>\n", e);
    }
  g_string_append_printf (
    body,
    "<form method=\"post\" action=\"%s\">\n"
    "<input type=\"hidden\" name=\"tx\" value=\"%s\">\n"
    "<input type=\"hidden\" name=\"step\" value=\"login\">\n"
    "<label for=\"username\">Username</label>\n"
    "<input type=\"text\" id=\"username\" name=\"username\" value=\"%s\" autocomplete=\"username\" "
    "autocapitalize=\"none\" spellcheck=\"false\" required autofocus%s>\n"
    "<label for=\"password\">Password</label>\n"
    "<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" "
    "required%s>\n"
    "<button type=\"submit\" name=\"decision\" value=\"login\">Sign in</button>\n"
    "<button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Cancel</button>\n"
    "</form>\n"
    "<p class=\"hint\">Demo users: <code>clinician</code> and <code>patient</code>, password "
    "<code>demo</code> (set in <code>sandbox.ini</code> in the data directory).</p>\n",
    action, tx, user,
    error != NULL ? " aria-describedby=\"login-error\" aria-invalid=\"true\"" : "",
    error != NULL ? " aria-describedby=\"login-error\" aria-invalid=\"true\"" : "");
  append_scope_summary (body, pending);
  sb_idp_set_html (msg, error != NULL ? 401 : 200, idp, "Sign in", body->str);
}

/* "Given Family" of a Patient resource, with birth date and gender so that
 * namesakes can be told apart. */
static char *
patient_label (SbIdp *idp, const char *id)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  JsonObject *res;
  const char *birth, *gender;

  if (idp->ctx->store != NULL)
    node = sb_store_get (idp->ctx->store, "Patient", id);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  res = json_node_get_object (node);
  if (json_object_has_member (res, "name")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (res, "name")))
    {
      JsonArray *names = json_object_get_array_member (res, "name");

      if (json_array_get_length (names) > 0
          && JSON_NODE_HOLDS_OBJECT (json_array_get_element (names, 0)))
        {
          JsonObject *name = json_array_get_object_element (names, 0);
          const char *text = json_object_get_string_member_with_default (name, "text", NULL);

          if (text != NULL)
            g_string_append (s, text);
          else
            {
              if (json_object_has_member (name, "given")
                  && JSON_NODE_HOLDS_ARRAY (json_object_get_member (name, "given")))
                {
                  JsonArray *given = json_object_get_array_member (name, "given");
                  guint i;

                  for (i = 0; i < json_array_get_length (given); i++)
                    {
                      JsonNode *g = json_array_get_element (given, i);

                      if (JSON_NODE_HOLDS_VALUE (g) && json_node_get_value_type (g) == G_TYPE_STRING)
                        g_string_append_printf (s, "%s ", json_node_get_string (g));
                    }
                }
              g_string_append (s, json_object_get_string_member_with_default (name, "family", ""));
            }
        }
    }
  g_strstrip (s->str);
  s->len = strlen (s->str);
  if (s->len == 0)
    g_string_append_printf (s, "Patient %s", id);
  birth = json_object_get_string_member_with_default (res, "birthDate", NULL);
  gender = json_object_get_string_member_with_default (res, "gender", NULL);
  if (birth != NULL || gender != NULL)
    {
      g_string_append (s, " (");
      if (birth != NULL)
        g_string_append_printf (s, "born %s", birth);
      if (birth != NULL && gender != NULL)
        g_string_append (s, ", ");
      if (gender != NULL)
        g_string_append (s, gender);
      g_string_append_c (s, ')');
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The practitioner id of a "Practitioner/<id>" fhirUser, or NULL. */
static char *
user_practitioner_id (SbIdp *idp, const char *username)
{
  g_autofree char *fhir_user = sb_idp_user_string (idp, username, "fhirUser");

  if (fhir_user != NULL && g_str_has_prefix (fhir_user, "Practitioner/"))
    return g_strdup (fhir_user + strlen ("Practitioner/"));
  return NULL;
}

/* The patients a user may pick: a practitioner's own patients (those whose
 * generalPractitioner is them, as fine-grained authorization will enforce),
 * or, for a user without a Practitioner, any patient. */
static GPtrArray *
pickable_patients (SbIdp *idp, const char *username, const char *query)
{
  g_autofree char *practitioner = user_practitioner_id (idp, username);
  g_autoptr(GPtrArray) own = NULL;
  g_autoptr(GPtrArray) found = NULL;
  GPtrArray *result;
  guint i;

  if (idp->ctx->store == NULL)
    return g_ptr_array_new_with_free_func (g_free);
  if (practitioner == NULL)
    {
      result = sb_store_find_patients (idp->ctx->store, query != NULL ? query : "", SB_PICKER_MAX_ROWS);
      return result != NULL ? result : g_ptr_array_new_with_free_func (g_free);
    }
  own = sb_store_patients_for_practitioner (idp->ctx->store, practitioner);
  if (own == NULL)
    return g_ptr_array_new_with_free_func (g_free);
  if (query == NULL || *query == '\0')
    return g_steal_pointer (&own);
  found = sb_store_find_patients (idp->ctx->store, query, 5000);
  result = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; found != NULL && i < found->len; i++)
    {
      guint j;

      for (j = 0; j < own->len; j++)
        if (strcmp (found->pdata[i], own->pdata[j]) == 0)
          {
            g_ptr_array_add (result, g_strdup (found->pdata[i]));
            break;
          }
    }
  return result;
}

static gboolean
patient_allowed (SbIdp *idp, const char *username, const char *patient)
{
  g_autofree char *practitioner = user_practitioner_id (idp, username);
  g_autoptr(GPtrArray) own = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint i;

  if (patient == NULL || idp->ctx->store == NULL)
    return FALSE;
  if (practitioner == NULL)
    {
      node = sb_store_get (idp->ctx->store, "Patient", patient);
      return node != NULL;
    }
  own = sb_store_patients_for_practitioner (idp->ctx->store, practitioner);
  for (i = 0; own != NULL && i < own->len; i++)
    if (strcmp (own->pdata[i], patient) == 0)
      return TRUE;
  return FALSE;
}

static void
picker_page (SbIdp *idp, SoupServerMessage *msg, SbPending *pending, const char *query,
             const char *error)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(GPtrArray) ids = pickable_patients (idp, pending->username, query);
  g_autofree char *tx = esc (pending->tx);
  g_autofree char *q = esc (query);
  g_autofree char *action = esc (idp->auth_path);
  guint i, shown = 0;

  g_string_append (body, "<p>The app asks to work with one patient. Choose who.</p>\n");
  if (error != NULL)
    {
      g_autofree char *e = esc (error);

      g_string_append_printf (body, "<p role=\"alert\">%s</p>\n", e);
    }
  g_string_append_printf (
    body,
    "<form method=\"post\" action=\"%s\" role=\"search\">\n"
    "<input type=\"hidden\" name=\"tx\" value=\"%s\">\n"
    "<input type=\"hidden\" name=\"step\" value=\"search\">\n"
    "<label for=\"q\">Search by name</label>\n"
    "<input type=\"search\" id=\"q\" name=\"q\" value=\"%s\">\n"
    "<button type=\"submit\">Search</button>\n"
    "</form>\n",
    action, tx, q);

  g_string_append_printf (body,
                          "<form method=\"post\" action=\"%s\">\n"
                          "<input type=\"hidden\" name=\"tx\" value=\"%s\">\n"
                          "<input type=\"hidden\" name=\"step\" value=\"patient\">\n"
                          "<fieldset>\n<legend>Patients (%u)</legend>\n",
                          action, tx, ids->len);
  for (i = 0; i < ids->len && shown < SB_PICKER_MAX_ROWS; i++)
    {
      g_autofree char *label = patient_label (idp, ids->pdata[i]);
      g_autofree char *elabel = NULL;
      g_autofree char *eid = esc (ids->pdata[i]);

      if (label == NULL)
        continue;
      elabel = esc (label);
      g_string_append_printf (body,
                              "<div class=\"choice\"><input type=\"radio\" name=\"patient\" id=\"p%u\" value=\"%s\" required>"
                              " <label for=\"p%u\">%s</label></div>\n",
                              shown, eid, shown, elabel);
      shown++;
    }
  if (shown == 0)
    g_string_append (body, "<p>No patient matches.</p>\n");
  else if (shown < ids->len)
    g_string_append_printf (body, "<p class=\"hint\">Showing the first %u; search to narrow the list.</p>\n",
                            shown);
  g_string_append (body,
                   "</fieldset>\n"
                   "<button type=\"submit\" name=\"decision\" value=\"continue\">Continue</button>\n"
                   "<button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Cancel</button>\n"
                   "</form>\n");
  sb_idp_set_html (msg, 200, idp, "Choose a patient", body->str);
}

static void
consent_page (SbIdp *idp, SoupServerMessage *msg, SbPending *pending)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *tx = esc (pending->tx);
  g_autofree char *client = esc (pending->client_id);
  g_autofree char *user = esc (pending->username);
  g_autofree char *action = esc (idp->auth_path);
  guint i;

  g_string_append_printf (body, "<p>Signed in as <strong>%s</strong>.</p>\n", user);
  if (pending->patient != NULL)
    {
      g_autofree char *label = patient_label (idp, pending->patient);
      g_autofree char *elabel = esc (label != NULL ? label : pending->patient);

      g_string_append_printf (body, "<p>Patient: <strong>%s</strong></p>\n", elabel);
    }
  g_string_append_printf (body,
                          "<form method=\"post\" action=\"%s\">\n"
                          "<input type=\"hidden\" name=\"tx\" value=\"%s\">\n"
                          "<input type=\"hidden\" name=\"step\" value=\"consent\">\n"
                          "<fieldset>\n<legend><strong>%s</strong> asks for these permissions. "
                          "Untick what you do not want to grant.</legend>\n",
                          action, tx, client);
  for (i = 0; i < pending->scopes->len; i++)
    {
      const char *scope = pending->scopes->pdata[i];
      g_autofree char *escope = esc (scope);
      g_autofree char *desc = sb_idp_scope_describe (scope);
      g_autofree char *edesc = esc (desc);

      g_string_append_printf (body,
                              "<div class=\"choice\"><input type=\"checkbox\" name=\"scope\" id=\"s%u\" value=\"%s\" checked>"
                              " <label for=\"s%u\"><code>%s</code> — %s</label></div>\n",
                              i, escope, i, escope, edesc);
    }
  g_string_append (body,
                   "</fieldset>\n"
                   "<button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n"
                   "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n"
                   "</form>\n");
  sb_idp_set_html (msg, 200, idp, "Allow access?", body->str);
}

/* ---- the request ---------------------------------------------------------- */

static gboolean
valid_challenge (const char *c)
{
  gsize len = strlen (c), i;

  if (len < 43 || len > 128)
    return FALSE;
  for (i = 0; i < len; i++)
    if (!g_ascii_isalnum (c[i]) && strchr ("-._~", c[i]) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
aud_matches (SbIdp *idp, const char *aud)
{
  const char *base = idp->ctx->fhir_base;
  gsize len = strlen (base);

  /* The base is published with a trailing slash; clients often drop it. */
  if (strcmp (aud, base) == 0)
    return TRUE;
  return len > 0 && base[len - 1] == '/' && strlen (aud) == len - 1 && strncmp (aud, base, len - 1) == 0;
}

static void
new_request (SbIdp *idp, SoupServerMessage *msg, SbForm *form)
{
  static const char *const single[] = {
    "response_type", "scope", "state", "code_challenge", "code_challenge_method", "aud",
    "nonce", "response_mode", "launch", NULL
  };
  const char *client_id = sb_form_get (form, "client_id");
  const char *redirect_uri = sb_form_get (form, "redirect_uri");
  const char *state = sb_form_get (form, "state");
  const char *response_type, *scope, *challenge, *method, *aud, *mode, *dup;
  g_auto(GStrv) asked = NULL;
  SbPending *pending;
  JsonObject *fields;
  guint i;

  if (client_id == NULL || sb_form_count (form, "client_id") != 1)
    {
      error_page (idp, msg, "invalid_request", "The app did not say which client it is (client_id).");
      return;
    }
  if (g_strcmp0 (client_id, idp->ctx->public_client_id) != 0)
    {
      if (g_strcmp0 (client_id, idp->ctx->backend_client_id) == 0)
        error_page (idp, msg, "unauthorized_client",
                    "This client is a backend service and cannot sign users in.");
      else
        error_page (idp, msg, "invalid_client", "This app is not registered with the sandbox.");
      return;
    }
  if (redirect_uri == NULL || sb_form_count (form, "redirect_uri") != 1
      || !sb_idp_redirect_uri_allowed (idp, client_id, redirect_uri))
    {
      error_page (idp, msg, "invalid_redirect_uri",
                  "The redirect address is missing or not registered for this app.");
      return;
    }

  /* From here on the redirect URI is trusted: errors go back to the app. */
  dup = sb_form_find_duplicate (form, single);
  if (dup != NULL)
    {
      g_autofree char *desc = g_strdup_printf ("Parameter %s repeated", dup);

      error_redirect (idp, msg, redirect_uri, sb_form_count (form, "state") == 1 ? state : NULL,
                      "invalid_request", desc);
      return;
    }
  response_type = sb_form_get (form, "response_type");
  scope = sb_form_get (form, "scope");
  challenge = sb_form_get (form, "code_challenge");
  method = sb_form_get (form, "code_challenge_method");
  aud = sb_form_get (form, "aud");
  mode = sb_form_get (form, "response_mode");

  if (response_type == NULL)
    {
      error_redirect (idp, msg, redirect_uri, state, "invalid_request", "Missing response_type");
      return;
    }
  if (strcmp (response_type, "code") != 0)
    {
      error_redirect (idp, msg, redirect_uri, state, "unsupported_response_type",
                      "Only response_type=code is supported");
      return;
    }
  if (state == NULL || *state == '\0')
    {
      error_redirect (idp, msg, redirect_uri, NULL, "invalid_request", "state is required");
      return;
    }
  if (mode != NULL && strcmp (mode, "query") != 0)
    {
      error_redirect (idp, msg, redirect_uri, state, "invalid_request",
                      "Only response_mode=query is supported");
      return;
    }
  if (sb_form_get (form, "request") != NULL)
    {
      error_redirect (idp, msg, redirect_uri, state, "request_not_supported",
                      "Request objects are not supported");
      return;
    }
  if (sb_form_get (form, "request_uri") != NULL)
    {
      error_redirect (idp, msg, redirect_uri, state, "request_uri_not_supported",
                      "request_uri is not supported");
      return;
    }
  if (sb_form_get (form, "launch") != NULL)
    {
      error_redirect (idp, msg, redirect_uri, state, "invalid_request",
                      "EHR launch is not supported; use a standalone launch");
      return;
    }
  if (challenge == NULL || *challenge == '\0')
    {
      error_redirect (idp, msg, redirect_uri, state, "invalid_request",
                      "PKCE is required: send code_challenge with code_challenge_method=S256");
      return;
    }
  if (method == NULL || strcmp (method, "S256") != 0)
    {
      error_redirect (idp, msg, redirect_uri, state, "invalid_request",
                      method != NULL && strcmp (method, "plain") == 0
                      ? "PKCE method plain is not allowed; use S256"
                      : "code_challenge_method must be S256");
      return;
    }
  if (!valid_challenge (challenge))
    {
      error_redirect (idp, msg, redirect_uri, state, "invalid_request", "Malformed code_challenge");
      return;
    }
  if (aud != NULL && !aud_matches (idp, aud))
    {
      error_redirect (idp, msg, redirect_uri, state, "invalid_request",
                      "aud is not this sandbox's FHIR base URL");
      return;
    }
  if (scope == NULL || *scope == '\0')
    {
      error_redirect (idp, msg, redirect_uri, state, "invalid_scope", "scope is required");
      return;
    }

  if (g_hash_table_size (idp->pending) >= SB_IDP_MAX_PENDING)
    {
      /* Every GET costs memory until the page expires; cap it so a loop
       * hitting the endpoint cannot grow the sandbox without bound. */
      error_redirect (idp, msg, redirect_uri, state, "temporarily_unavailable",
                      "Too many sign-ins in progress; try again in a few minutes");
      return;
    }

  pending = g_new0 (SbPending, 1);
  pending->scopes = g_ptr_array_new_with_free_func (g_free);
  asked = g_strsplit (scope, " ", -1);
  for (i = 0; asked[i] != NULL; i++)
    {
      SbScopeKind kind;
      guint j;
      gboolean seen = FALSE;

      if (asked[i][0] == '\0')
        continue;
      kind = sb_idp_scope_kind (asked[i]);
      if (kind == SB_SCOPE_SYSTEM
          || (kind == SB_SCOPE_INVALID && idp->cognito))
        {
          /* Cognito refuses scopes it does not know; system/ scopes belong to
           * client_credentials in both flavors. */
          g_autofree char *desc = g_strdup_printf ("Scope not allowed here: %s", asked[i]);

          sb_idp_pending_free (pending);
          error_redirect (idp, msg, redirect_uri, state, "invalid_scope", desc);
          return;
        }
      if (kind == SB_SCOPE_INVALID)
        continue;   /* Keycloak silently drops client scopes it does not know. */
      for (j = 0; j < pending->scopes->len; j++)
        seen = seen || strcmp (pending->scopes->pdata[j], asked[i]) == 0;
      if (!seen)
        g_ptr_array_add (pending->scopes, g_strdup (asked[i]));
    }
  if (pending->scopes->len == 0)
    {
      sb_idp_pending_free (pending);
      error_redirect (idp, msg, redirect_uri, state, "invalid_scope", "No supported scope requested");
      return;
    }

  pending->tx = sb_idp_random_token (24);
  pending->client_id = g_strdup (client_id);
  pending->redirect_uri = g_strdup (redirect_uri);
  pending->state = g_strdup (state);
  pending->nonce = g_strdup (sb_form_get (form, "nonce"));
  pending->code_challenge = g_strdup (challenge);
  pending->created = g_get_monotonic_time ();
  g_hash_table_replace (idp->pending, pending->tx, pending);

  fields = json_object_new ();
  json_object_set_string_member (fields, "step", "request");
  json_object_set_string_member (fields, "client_id", client_id);
  json_object_set_string_member (fields, "redirect_uri", redirect_uri);
  json_object_set_string_member (fields, "scope", scope);
  sb_idp_emit (idp, "authorize", fields);
  login_page (idp, msg, pending, NULL, NULL);
}

/* ---- the steps -------------------------------------------------------------- */

static gboolean
pending_has (SbPending *pending, const char *scope)
{
  guint i;

  for (i = 0; i < pending->scopes->len; i++)
    if (strcmp (pending->scopes->pdata[i], scope) == 0)
      return TRUE;
  return FALSE;
}

static void
step_login (SbIdp *idp, SoupServerMessage *msg, SbPending *pending, SbForm *form)
{
  const char *username = sb_form_get (form, "username");
  const char *password = sb_form_get (form, "password");
  g_autofree char *expected = NULL;
  g_autofree char *patient = NULL;
  JsonObject *fields;
  gboolean ok;

  if (pending->username != NULL)
    {
      /* Back button and resubmit: carry on where the user was. */
      if (pending->need_picker && pending->patient == NULL)
        picker_page (idp, msg, pending, NULL, NULL);
      else
        consent_page (idp, msg, pending);
      return;
    }
  if (username != NULL && strchr (username, ']') == NULL)
    expected = sb_idp_user_string (idp, username, "password");
  ok = expected != NULL && password != NULL && sb_idp_secret_equal (password, expected);
  if (expected != NULL)
    OPENSSL_cleanse (expected, strlen (expected));

  fields = json_object_new ();
  json_object_set_string_member (fields, "username", username != NULL ? username : "");
  json_object_set_string_member (fields, "result", ok ? "ok" : "failed");
  sb_idp_emit (idp, "login", fields);

  if (!ok)
    {
      if (++pending->failed_logins >= SB_IDP_MAX_LOGIN_FAILURES)
        {
          pending_error (idp, msg, pending, "access_denied", "Too many failed sign-in attempts");
          return;
        }
      login_page (idp, msg, pending, "Wrong username or password.", username);
      return;
    }

  pending->username = g_strdup (username);
  patient = sb_idp_user_string (idp, username, "patient");
  if (patient != NULL && *patient != '\0')
    pending->patient = g_steal_pointer (&patient);
  pending->need_picker = pending->patient == NULL && pending_has (pending, "launch/patient");
  if (pending->need_picker)
    picker_page (idp, msg, pending, NULL, NULL);
  else
    consent_page (idp, msg, pending);
}

static void
step_patient (SbIdp *idp, SoupServerMessage *msg, SbPending *pending, SbForm *form)
{
  const char *patient = sb_form_get (form, "patient");

  if (!patient_allowed (idp, pending->username, patient))
    {
      picker_page (idp, msg, pending, NULL,
                   patient == NULL ? "Choose a patient first." : "You cannot choose that patient.");
      return;
    }
  g_free (pending->patient);
  pending->patient = g_strdup (patient);
  consent_page (idp, msg, pending);
}

static void
step_consent (SbIdp *idp, SoupServerMessage *msg, SbPending *pending, SbForm *form)
{
  g_autoptr(GString) granted = g_string_new (NULL);
  g_autofree char *code = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *location = NULL;
  g_autofree char *sid = NULL;
  g_autofree char *own_patient = sb_idp_user_string (idp, pending->username, "patient");
  const char *patient = pending->patient;
  SbFamily *family;
  SbCode *entry;
  JsonObject *fields;
  guint i, j;

  /* Only what was asked and is still ticked, in the order asked. */
  for (i = 0; i < pending->scopes->len; i++)
    for (j = 0; j < form->names->len; j++)
      if (strcmp (form->names->pdata[j], "scope") == 0
          && strcmp (form->values->pdata[j], pending->scopes->pdata[i]) == 0)
        {
          g_string_append_printf (granted, "%s%s", granted->len > 0 ? " " : "",
                                  (const char *) pending->scopes->pdata[i]);
          break;
        }

  fields = json_object_new ();
  json_object_set_string_member (fields, "username", pending->username);
  json_object_set_string_member (fields, "decision", "allow");
  json_object_set_string_member (fields, "scope", granted->str);
  if (patient != NULL)
    json_object_set_string_member (fields, "patient", patient);
  sb_idp_emit (idp, "consent", fields);

  if (granted->len == 0)
    {
      pending_error (idp, msg, pending, "access_denied", "No permission was granted");
      return;
    }
  /* A picked patient is launch context: unticking launch/patient drops it.
   * A patient user's own id is who they are and always stays. */
  if (patient != NULL && !sb_idp_scope_has (granted->str, "launch/patient")
      && g_strcmp0 (patient, own_patient) != 0)
    patient = NULL;

  sid = sb_idp_random_token (16);
  family = sb_idp_family_new (idp, pending->client_id, pending->username, patient,
                              granted->str, sid, pending->nonce);
  code = sb_idp_random_token (32);
  hash = sb_idp_sha256_hex (code);
  entry = g_new0 (SbCode, 1);
  entry->family = family;
  entry->redirect_uri = g_strdup (pending->redirect_uri);
  entry->code_challenge = g_strdup (pending->code_challenge);
  entry->created = g_get_monotonic_time ();
  g_hash_table_replace (idp->codes, g_steal_pointer (&hash), entry);

  location = sb_idp_add_query (pending->redirect_uri,
                               "code", code,
                               "state", pending->state,
                               "iss", idp->ctx->issuer,
                               NULL);
  sb_idp_set_redirect (msg, location);
  g_hash_table_remove (idp->pending, pending->tx);
}

static void
continue_request (SbIdp *idp, SoupServerMessage *msg, SbForm *form)
{
  const char *tx = sb_form_get (form, "tx");
  const char *step = sb_form_get (form, "step");
  const char *decision = sb_form_get (form, "decision");
  SbPending *pending = tx != NULL ? g_hash_table_lookup (idp->pending, tx) : NULL;

  if (pending == NULL
      || g_get_monotonic_time () - pending->created > SB_IDP_PENDING_LIFETIME_S * G_USEC_PER_SEC)
    {
      error_page (idp, msg, "invalid_request",
                  "This sign-in page has expired or was already used.");
      return;
    }
  if (g_strcmp0 (decision, "deny") == 0)
    {
      JsonObject *fields = json_object_new ();

      json_object_set_string_member (fields, "username", pending->username != NULL ? pending->username : "");
      json_object_set_string_member (fields, "decision", "deny");
      json_object_set_string_member (fields, "step", step != NULL ? step : "");
      sb_idp_emit (idp, "consent", fields);
      pending_error (idp, msg, pending, "access_denied", "The user denied the request");
      return;
    }
  if (g_strcmp0 (step, "login") == 0)
    step_login (idp, msg, pending, form);
  else if (pending->username == NULL)
    login_page (idp, msg, pending, NULL, NULL);
  else if (g_strcmp0 (step, "search") == 0 && pending->need_picker)
    picker_page (idp, msg, pending, sb_form_get (form, "q"), NULL);
  else if (g_strcmp0 (step, "patient") == 0 && pending->need_picker)
    step_patient (idp, msg, pending, form);
  else if (pending->need_picker && pending->patient == NULL)
    picker_page (idp, msg, pending, NULL, NULL);
  else if (g_strcmp0 (step, "consent") == 0 && g_strcmp0 (decision, "allow") == 0)
    step_consent (idp, msg, pending, form);
  else
    consent_page (idp, msg, pending);
}

void
sb_idp_handle_authorize (SoupServer        *server,
                         SoupServerMessage *msg,
                         const char        *path,
                         GHashTable        *query,
                         gpointer           user_data)
{
  SbIdp *idp = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(SbForm) form = NULL;

  if (strcmp (method, SOUP_METHOD_GET) == 0)
    {
      form = sb_idp_request_query (msg);
      new_request (idp, msg, form);
      return;
    }
  if (strcmp (method, SOUP_METHOD_POST) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, POST");
      sb_idp_set_html (msg, 405, idp, "Method not allowed", "<p>Use GET or POST.</p>");
      return;
    }
  form = sb_idp_request_body (msg);
  if (form == NULL)
    {
      error_page (idp, msg, "invalid_request", "Expected a form submission.");
      return;
    }
  /* A POST with a tx continues a sign-in; one without is an authorization
   * request sent as a form (OIDC Core §3.1.2.1, SMART "authorize-post"). */
  if (sb_form_get (form, "tx") != NULL)
    continue_request (idp, msg, form);
  else
    new_request (idp, msg, form);
}
