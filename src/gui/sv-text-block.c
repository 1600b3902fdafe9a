/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-text-block"

#include "config.h"

#include "sv-text-block.h"

/* Wrapped text of a few lines, the last one ellipsized, for the rows of the
 * record lists. A GtkListView of GTK 4.8 measures every row it makes, about
 * 200 per list, visible or not; a wrapping GtkLabel lays its text out three
 * or four times to be measured (at no width, at any width, at the width it
 * gets). This lays it out once, at the width it is offered, and asks for no
 * width of its own: the row gives it what is left beside the badges and the
 * button. Font, colour, italics and opacity come from CSS like a label's;
 * the line through a refuted or not-taken entry is set by the row. */

struct _SvTextBlock
{
  GtkWidget    parent_instance;

  char        *text;
  int          lines;
  gboolean     strikethrough;
  PangoLayout *layout;
};

G_DEFINE_FINAL_TYPE (SvTextBlock, sv_text_block, GTK_TYPE_WIDGET)

static PangoLayout *
ensure_layout (SvTextBlock *self)
{
  if (self->layout == NULL)
    {
      self->layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), self->text);
      pango_layout_set_wrap (self->layout, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
      pango_layout_set_height (self->layout, -self->lines);
      if (self->strikethrough)
        {
          g_autoptr(PangoAttrList) attributes = pango_attr_list_new ();

          pango_attr_list_insert (attributes, pango_attr_strikethrough_new (TRUE));
          pango_layout_set_attributes (self->layout, attributes);
        }
    }

  return self->layout;
}

/* The layout follows the widget's Pango context (GTK updates it, and asks
 * for a new size, when the CSS font changes); only the text, the lines and
 * the strikethrough make a new one. */
static void
invalidate (SvTextBlock *self)
{
  g_clear_object (&self->layout);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static GtkSizeRequestMode
sv_text_block_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
sv_text_block_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  SvTextBlock *self = SV_TEXT_BLOCK (widget);
  PangoLayout *layout;
  int height;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Any width will do: the text wraps to it. */
      *minimum = 0;
      *natural = 0;
      return;
    }

  layout = ensure_layout (self);
  pango_layout_set_width (layout, for_size < 0 ? -1 : for_size * PANGO_SCALE);
  pango_layout_get_pixel_size (layout, NULL, &height);
  *minimum = height;
  *natural = height;
}

static void
sv_text_block_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  SvTextBlock *self = SV_TEXT_BLOCK (widget);
  PangoLayout *layout;
  GdkRGBA color;

  if (self->text == NULL || *self->text == '\0')
    return;

  layout = ensure_layout (self);
  /* The width it was measured at: laid out already, not again. */
  pango_layout_set_width (layout, gtk_widget_get_width (widget) * PANGO_SCALE);
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  gtk_snapshot_append_layout (snapshot, layout, &color);
}

/**
 * sv_text_block_set_text:
 * @self: a text block
 * @text: (nullable): what to show
 */
void
sv_text_block_set_text (SvTextBlock *self,
                        const char  *text)
{
  g_return_if_fail (SV_IS_TEXT_BLOCK (self));

  if (g_strcmp0 (self->text, text) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->text != NULL ? self->text : "", -1);
  invalidate (self);
}

/**
 * sv_text_block_get_text:
 * @self: a text block
 *
 * Returns: the text shown, never %NULL
 */
const char *
sv_text_block_get_text (SvTextBlock *self)
{
  g_return_val_if_fail (SV_IS_TEXT_BLOCK (self), NULL);
  return self->text != NULL ? self->text : "";
}

/**
 * sv_text_block_set_strikethrough:
 * @self: a text block
 * @strikethrough: whether a line goes through the text
 */
void
sv_text_block_set_strikethrough (SvTextBlock *self,
                                 gboolean     strikethrough)
{
  g_return_if_fail (SV_IS_TEXT_BLOCK (self));

  strikethrough = !!strikethrough;
  if (self->strikethrough == strikethrough)
    return;

  self->strikethrough = strikethrough;
  invalidate (self);
}

/**
 * sv_text_block_get_strikethrough:
 * @self: a text block
 *
 * Returns: whether a line goes through the text
 */
gboolean
sv_text_block_get_strikethrough (SvTextBlock *self)
{
  g_return_val_if_fail (SV_IS_TEXT_BLOCK (self), FALSE);
  return self->strikethrough;
}

static void
sv_text_block_finalize (GObject *object)
{
  SvTextBlock *self = SV_TEXT_BLOCK (object);

  g_clear_object (&self->layout);
  g_free (self->text);

  G_OBJECT_CLASS (sv_text_block_parent_class)->finalize (object);
}

static void
sv_text_block_class_init (SvTextBlockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sv_text_block_finalize;
  widget_class->get_request_mode = sv_text_block_get_request_mode;
  widget_class->measure = sv_text_block_measure;
  widget_class->snapshot = sv_text_block_snapshot;

  gtk_widget_class_set_css_name (widget_class, "textblock");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
sv_text_block_init (SvTextBlock *self)
{
}

/**
 * sv_text_block_new:
 * @lines: at most this many lines are shown, the last one ellipsized
 *
 * Returns: (transfer floating): an empty text block
 */
GtkWidget *
sv_text_block_new (int lines)
{
  SvTextBlock *self = g_object_new (SV_TYPE_TEXT_BLOCK, NULL);

  self->lines = MAX (lines, 1);

  return GTK_WIDGET (self);
}
