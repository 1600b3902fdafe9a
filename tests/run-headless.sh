#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs `meson test` the way CI does: a virtual X display, a private session
# bus, an unlocked throw-away gnome-keyring and a temporary HOME, so a test
# can never touch the user's own keyring, settings or caches.
#
# Usage: tests/run-headless.sh BUILD_DIR [meson test arguments…]
set -eu
build=$1
shift

tmp_home=$(mktemp -d "${TMPDIR:-/tmp}/sv-test-home.XXXXXX")
trap 'rm -rf "$tmp_home"' EXIT INT TERM
export HOME="$tmp_home"
export XDG_CONFIG_HOME="$tmp_home/.config"
export XDG_DATA_HOME="$tmp_home/.local/share"
export XDG_CACHE_HOME="$tmp_home/.cache"
export XDG_STATE_HOME="$tmp_home/.local/state"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
runtime_dir="$tmp_home/runtime"
mkdir -m 700 "$runtime_dir"
export XDG_RUNTIME_DIR="$runtime_dir"

# WebKit's web process sandbox needs user namespaces; only where the machine
# refuses them (some containers) is it switched off, and only for tests.
if command -v bwrap >/dev/null 2>&1 && ! bwrap --ro-bind / / true >/dev/null 2>&1; then
  export WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS=1
fi

# A stale log must never be summed as if it were this run.
rm -f "$build/meson-logs/testlog.json"

export SV_MESON_BUILD="$build"
exec xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
  dbus-run-session -- sh -c '
    eval "$(printf %s "sv-test-keyring" | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    meson test -C "$SV_MESON_BUILD" --print-errorlogs "$@"
    status=$?

    exit $status' sv-run-headless "$@"
