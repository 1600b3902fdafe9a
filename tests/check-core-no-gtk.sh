#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# src/core is shared with smart-viewer-cli and must never pull in GTK or WebKit.
set -eu
core_dir=$1
if grep -rnE '#[[:space:]]*include[[:space:]]*[<"](gtk/|gdk/|adwaita|webkit|gsk/)' "$core_dir"; then
  echo "src/core includes a GTK, libadwaita or WebKit header (listed above)." >&2
  exit 1
fi
echo "src/core is GTK-free"
