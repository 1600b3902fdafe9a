#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `make run`: open SMART Viewer from the build folder with --sandbox, which
# starts the offline sandbox (smart-sandbox from the same build) on a free
# loopback port, points the "Offline sandbox" profile at it and opens the
# sign-in page. The app stops the sandbox when it quits.
set -eu
build=$1
shift

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset): run this from a desktop session." >&2
  exit 1
fi

echo "Sign in as “clinician” (password “demo”), or as “patient”."
exec env GSETTINGS_SCHEMA_DIR="$build/data" "$build/src/smart-viewer" --sandbox "$@"
