/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-timeline-entry"

#include "config.h"

#include "sv-timeline-entry.h"

#include "sv-redact.h"

/* One step of a session in the inspector's timeline. Everything that goes
 * in is redacted by the setters themselves, so no caller (the session
 * watcher, the sandbox events, an imported file someone edited by hand)
 * can put a token, code or verifier into an entry by forgetting to. */

struct _SvTimelineEntry
{
  GObject         parent_instance;

  guint           id;
  SvTimelineKind  kind;
  gint64          monotonic_us;
  gint64          wall_us;
  char           *title;
  JsonObject     *details;
  char           *method;
  char           *url;
  gboolean        has_bearer;
  guint           status;
  gint64          duration_us;
  gint64          bytes;
  guint           page;
  guint           link_id;
};

G_DEFINE_FINAL_TYPE (SvTimelineEntry, sv_timeline_entry, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_KIND,
  PROP_TITLE,
  PROP_STATUS,
  PROP_LINK_ID,
  PROP_DURATION_US,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GEnumValue kind_values[] = {
  { SV_TIMELINE_KIND_DISCOVERY, "SV_TIMELINE_KIND_DISCOVERY", "discovery" },
  { SV_TIMELINE_KIND_AUTHORIZATION_REQUEST, "SV_TIMELINE_KIND_AUTHORIZATION_REQUEST", "authorization-request" },
  { SV_TIMELINE_KIND_REDIRECT, "SV_TIMELINE_KIND_REDIRECT", "redirect" },
  { SV_TIMELINE_KIND_TOKEN_REQUEST, "SV_TIMELINE_KIND_TOKEN_REQUEST", "token-request" },
  { SV_TIMELINE_KIND_TOKEN_RESPONSE, "SV_TIMELINE_KIND_TOKEN_RESPONSE", "token-response" },
  { SV_TIMELINE_KIND_FHIR_REQUEST, "SV_TIMELINE_KIND_FHIR_REQUEST", "fhir-request" },
  { SV_TIMELINE_KIND_REFRESH, "SV_TIMELINE_KIND_REFRESH", "refresh" },
  { SV_TIMELINE_KIND_REVOCATION, "SV_TIMELINE_KIND_REVOCATION", "revocation" },
  { SV_TIMELINE_KIND_ERROR, "SV_TIMELINE_KIND_ERROR", "error" },
  { SV_TIMELINE_KIND_SERVER_EVENT, "SV_TIMELINE_KIND_SERVER_EVENT", "server-event" },
  { SV_TIMELINE_KIND_SIMULATE, "SV_TIMELINE_KIND_SIMULATE", "simulate" },
  { SV_TIMELINE_KIND_SECTION, "SV_TIMELINE_KIND_SECTION", "section" },
  { 0, NULL, NULL },
};

GType
sv_timeline_kind_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static (g_intern_static_string ("SvTimelineKind"), kind_values));
  return type;
}

/**
 * sv_timeline_kind_to_string:
 * @kind: a #SvTimelineKind
 *
 * Returns: the stable name of @kind used by the export ("fhir-request", …)
 */
const char *
sv_timeline_kind_to_string (SvTimelineKind kind)
{
  for (guint i = 0; kind_values[i].value_nick != NULL; i++)
    if (kind_values[i].value == (gint) kind)
      return kind_values[i].value_nick;
  return "error";
}

gboolean
sv_timeline_kind_from_string (const char     *text,
                              SvTimelineKind *kind)
{
  for (guint i = 0; text != NULL && kind_values[i].value_nick != NULL; i++)
    if (g_strcmp0 (kind_values[i].value_nick, text) == 0)
      {
        *kind = kind_values[i].value;
        return TRUE;
      }
  return FALSE;
}

static void
sv_timeline_entry_finalize (GObject *object)
{
  SvTimelineEntry *self = SV_TIMELINE_ENTRY (object);

  g_free (self->title);
  g_clear_pointer (&self->details, json_object_unref);
  g_free (self->method);
  g_free (self->url);

  G_OBJECT_CLASS (sv_timeline_entry_parent_class)->finalize (object);
}

static void
sv_timeline_entry_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SvTimelineEntry *self = SV_TIMELINE_ENTRY (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_STATUS:
      g_value_set_uint (value, self->status);
      break;
    case PROP_LINK_ID:
      g_value_set_uint (value, self->link_id);
      break;
    case PROP_DURATION_US:
      g_value_set_int64 (value, self->duration_us);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_timeline_entry_class_init (SvTimelineEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_timeline_entry_finalize;
  object_class->get_property = sv_timeline_entry_get_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, SV_TYPE_TIMELINE_KIND, SV_TIMELINE_KIND_ERROR,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* Changes when the response arrives, so a list row can follow it. */
  properties[PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LINK_ID] =
    g_param_spec_uint ("link-id", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Changes when the response has been read (with the byte count). */
  properties[PROP_DURATION_US] =
    g_param_spec_int64 ("duration-us", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_timeline_entry_init (SvTimelineEntry *self)
{
  self->details = json_object_new ();
  self->monotonic_us = g_get_monotonic_time ();
  self->wall_us = g_get_real_time ();
  self->duration_us = -1;
  self->bytes = -1;
}

/**
 * sv_timeline_entry_new:
 * @kind: what the step is
 * @title: (nullable): one line for the list; redacted
 *
 * Returns: (transfer full): a new entry stamped with the current time
 */
SvTimelineEntry *
sv_timeline_entry_new (SvTimelineKind  kind,
                       const char     *title)
{
  SvTimelineEntry *self = g_object_new (SV_TYPE_TIMELINE_ENTRY, NULL);

  self->kind = kind;
  self->title = title != NULL ? sv_redact_text (title) : g_strdup ("");
  return self;
}

guint
sv_timeline_entry_get_id (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), 0);
  return self->id;
}

SvTimelineKind
sv_timeline_entry_get_kind (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), 0);
  return self->kind;
}

gint64
sv_timeline_entry_get_monotonic_time (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), 0);
  return self->monotonic_us;
}

gint64
sv_timeline_entry_get_wall_time (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), 0);
  return self->wall_us;
}

const char *
sv_timeline_entry_get_title (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), NULL);
  return self->title;
}

/* Returns: (transfer none): the redacted details; do not modify */
JsonObject *
sv_timeline_entry_get_details (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), NULL);
  return self->details;
}

const char *
sv_timeline_entry_get_method (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), NULL);
  return self->method;
}

/* Returns: (nullable): the request URL, redacted */
const char *
sv_timeline_entry_get_url (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), NULL);
  return self->url;
}

/* Returns: the HTTP status, 0 while none arrived (or for non-HTTP entries) */
guint
sv_timeline_entry_get_status (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), 0);
  return self->status;
}

/* Returns: µs from queueing to the end of the response, -1 when unknown */
gint64
sv_timeline_entry_get_duration_us (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), -1);
  return self->duration_us;
}

/* Returns: response body bytes, -1 when unknown */
gint64
sv_timeline_entry_get_bytes (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), -1);
  return self->bytes;
}

/* Returns: the page of a search (1 = first), 0 for anything else */
guint
sv_timeline_entry_get_page (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), 0);
  return self->page;
}

/* Returns: the id of the entry this one belongs to (a server event's client request), 0 for none */
guint
sv_timeline_entry_get_link_id (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), 0);
  return self->link_id;
}

gboolean
sv_timeline_entry_get_has_bearer (SvTimelineEntry *self)
{
  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), FALSE);
  return self->has_bearer;
}

void
sv_timeline_entry_set_id (SvTimelineEntry *self,
                          guint            id)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  self->id = id;
}

void
sv_timeline_entry_set_kind (SvTimelineEntry *self,
                            SvTimelineKind   kind)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  self->kind = kind;
}

void
sv_timeline_entry_set_times (SvTimelineEntry *self,
                             gint64           monotonic_us,
                             gint64           wall_us)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  self->monotonic_us = monotonic_us;
  self->wall_us = wall_us;
}

void
sv_timeline_entry_set_title (SvTimelineEntry *self,
                             const char      *title)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  g_free (self->title);
  self->title = title != NULL ? sv_redact_text (title) : g_strdup ("");
}

/**
 * sv_timeline_entry_set_detail:
 * @self: a #SvTimelineEntry
 * @name: the member name
 * @value: (transfer none): any JSON; a redacted copy is kept
 */
void
sv_timeline_entry_set_detail (SvTimelineEntry *self,
                              const char      *name,
                              JsonNode        *value)
{
  g_autoptr(JsonObject) wrapper = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) redacted = NULL;
  JsonObject *copy;

  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  g_return_if_fail (name != NULL && value != NULL);

  /* Redacted with its name, which is what tells sv_redact_json() that
   * "access_token": "…" is a secret. */
  json_object_set_member (wrapper, name, json_node_copy (value));
  node = json_node_init_object (json_node_alloc (), wrapper);
  redacted = sv_redact_json (node);
  copy = json_node_get_object (redacted);
  json_object_set_member (self->details, name, json_node_copy (json_object_get_member (copy, name)));
}

void
sv_timeline_entry_set_detail_string (SvTimelineEntry *self,
                                     const char      *name,
                                     const char      *value)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

  if (value == NULL)
    return;
  json_node_set_string (node, value);
  sv_timeline_entry_set_detail (self, name, node);
}

/**
 * sv_timeline_entry_set_request:
 * @self: a #SvTimelineEntry
 * @method: the HTTP method
 * @url: the URL as sent; only its redacted form is kept
 * @has_bearer: whether the request carried an `Authorization` header (its
 *   value is never given, never kept; "Copy as curl" says `$ACCESS_TOKEN`)
 */
void
sv_timeline_entry_set_request (SvTimelineEntry *self,
                               const char      *method,
                               const char      *url,
                               gboolean         has_bearer)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));

  g_free (self->method);
  self->method = g_strdup (method);
  g_free (self->url);
  self->url = url != NULL ? sv_redact_url (url) : NULL;
  self->has_bearer = has_bearer;
}

void
sv_timeline_entry_set_status (SvTimelineEntry *self,
                              guint            status)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

void
sv_timeline_entry_set_transfer (SvTimelineEntry *self,
                                gint64           duration_us,
                                gint64           bytes)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  self->duration_us = duration_us;
  self->bytes = bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION_US]);
}

void
sv_timeline_entry_set_page (SvTimelineEntry *self,
                            guint            page)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  self->page = page;
}

void
sv_timeline_entry_set_link_id (SvTimelineEntry *self,
                               guint            link_id)
{
  g_return_if_fail (SV_IS_TIMELINE_ENTRY (self));
  if (self->link_id == link_id)
    return;
  self->link_id = link_id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LINK_ID]);
}

/**
 * sv_timeline_entry_dup_curl:
 * @self: a #SvTimelineEntry
 *
 * "Copy as curl" for an HTTP entry: the redacted URL and, when the request
 * carried a bearer token, `-H 'Authorization: Bearer $ACCESS_TOKEN'`. The
 * request body is not known to the timeline (libsoup does not hand it
 * back), so a token request comes without its form.
 *
 * Returns: (transfer full) (nullable): the command, or %NULL for an entry
 *   that is not a request
 */
char *
sv_timeline_entry_dup_curl (SvTimelineEntry *self)
{
  const char *headers[2] = { NULL, NULL };

  g_return_val_if_fail (SV_IS_TIMELINE_ENTRY (self), NULL);

  if (self->url == NULL)
    return NULL;
  if (self->has_bearer)
    headers[0] = "Authorization: Bearer $ACCESS_TOKEN";
  return sv_redact_curl_command (self->method, self->url, headers, NULL);
}
