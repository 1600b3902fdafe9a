#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the interop test's pinned npm packages (package.json +
# package-lock.json next to this script) into each DIR given, as
# DIR/node_modules. `make check` calls it with <build>/interop for each build.
#
# It never fails the build: without npm, or when the registry cannot be
# reached, it says so and the interop test then skips. TLS verification
# stays on; npm finds the system CA bundle through its own configuration or
# NODE_EXTRA_CA_CERTS.
#
# Usage: tests/interop/install-node-modules.sh DIR…
set -u
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v npm >/dev/null 2>&1; then
  echo "interop: npm is not installed; the oidc-provider interop test will be skipped" >&2
  exit 0
fi

for dir in "$@"; do
  mkdir -p "$dir" || continue
  # Already installed from this very lock file: nothing to do.
  if cmp -s "$here/package-lock.json" "$dir/package-lock.json" \
     && [ -f "$dir/node_modules/oidc-provider/package.json" ]; then
    continue
  fi
  cp "$here/package.json" "$here/package-lock.json" "$dir/" || continue
  echo "interop: installing oidc-provider into $dir/node_modules"
  # `npm ci` installs exactly the lock file; no install scripts are needed
  # (or run) for these packages.
  if ! (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error \
         --fetch-retries=2 --fetch-timeout=60000); then
    rm -rf "$dir/node_modules" "$dir/package-lock.json"
    echo "interop: npm ci failed; the oidc-provider interop test will be skipped" >&2
  fi
done
exit 0
