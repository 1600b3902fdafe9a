#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Issue 6, benchmark (a): `smart-viewer-cli summary --format json` against
# the reference SMART JavaScript client (npm fhirclient on Node) reading the
# sandbox's large record (patient-010) with the same grant, side by side in
# one run; prints the medians, the counts each side fetched and the ratio
# (target ≤ 0.5). Numbers to report, never asserted.
#
# fhirclient is installed from tools/bench-summary/package-lock.json into
# BUILD/bench-summary/node_modules (once; again when the lock file changes).
# Without npm/Node, or when the install fails, the benchmark says so and is
# skipped. The CLI keeps its sign-in in the keyring, so this runs it in a
# private session bus with an unlocked throw-away keyring and a temporary
# HOME, like tests/run-headless.sh.
#
# Usage: tools/bench-summary.sh BUILD [RUNS]   (BUILD: an optimised build
# with the companions, -Dcompanions=true)
set -eu
build=$(cd "${1:-_build-release}" && pwd)
runs=${2:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
here="$top/tools/bench-summary"
dest="$build/bench-summary"
cli="$build/src/cli/smart-viewer-cli"
sandbox="$build/subprojects/smart-sandbox/smart-sandbox"

ninja -C "$build" src/cli/smart-viewer-cli subprojects/smart-sandbox/smart-sandbox >/dev/null
if [ ! -x "$sandbox" ]; then
  echo "bench: summary vs fhirclient skipped: smart-sandbox is not built (-Dcompanions=true)"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "bench: summary vs fhirclient skipped: Node/npm is not installed"
  exit 0
fi
mkdir -p "$dest"
if ! cmp -s "$here/package-lock.json" "$dest/package-lock.json" \
   || [ ! -f "$dest/node_modules/fhirclient/package.json" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$dest/"
  echo "bench: installing fhirclient into $dest/node_modules"
  # Exactly the lock file, no install scripts (none are needed). The lock
  # was made with legacy peer dependencies: otherwise npm adds React Native
  # (a peer of isomorphic-webcrypto's mobile back ends, never loaded on Node),
  # 530 packages and 376 MB instead of 76 and 60 MB.
  if ! (cd "$dest" && npm ci --legacy-peer-deps --no-audit --no-fund --ignore-scripts --loglevel=error \
         --fetch-retries=2 --fetch-timeout=60000 >/dev/null); then
    rm -rf "$dest/node_modules" "$dest/package-lock.json"
    echo "bench: summary vs fhirclient skipped: npm ci failed"
    exit 0
  fi
fi

tmp_home=$(mktemp -d "${TMPDIR:-/tmp}/sv-bench-home.XXXXXX")
trap 'rm -rf "$tmp_home"' EXIT INT TERM
export HOME="$tmp_home"
export XDG_CONFIG_HOME="$tmp_home/.config"
export XDG_DATA_HOME="$tmp_home/.local/share"
export XDG_CACHE_HOME="$tmp_home/.cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
mkdir -m 700 "$tmp_home/runtime"
export XDG_RUNTIME_DIR="$tmp_home/runtime"

# The session bus and keyring daemon end with dbus-run-session.
timeout 600 dbus-run-session -- sh -c '
  eval "$(printf %s "sv-bench-keyring" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  exec python3 "$0" "$@"' "$here/bench.py" "$cli" "$sandbox" "$dest" "$runs"
