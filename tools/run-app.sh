#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `make run`: start the offline sandbox (when it is built) in the background,
# open SMART Viewer from the build folder, and stop the sandbox when the app
# exits.
set -eu
build=$1
shift
sandbox="$build/subprojects/smart-sandbox/smart-sandbox"
sandbox_pid=""

cleanup () {
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

if [ -x "$sandbox" ]; then
  ready_file=$(mktemp)
  "$sandbox" --port 0 --flavor "${SANDBOX_FLAVOR:-keycloak}" >"$ready_file" 2>&1 &
  sandbox_pid=$!
  i=0
  until grep -q '^smart-sandbox ready ' "$ready_file"; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$sandbox_pid" 2>/dev/null; then
      cat "$ready_file" >&2
      echo "The sandbox did not start; opening the app without it." >&2
      sandbox_pid=""
      break
    fi
    sleep 0.1
  done
  [ -n "$sandbox_pid" ] && cat "$ready_file"
  rm -f "$ready_file"
fi

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset): run this from a desktop session." >&2
  exit 1
fi

GSETTINGS_SCHEMA_DIR="$build/data" "$build/src/smart-viewer" "$@"
