#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# run-bench.sh BUILD_DIR
#
# Prints, in one run and side by side: (a) warm invocations/s through the
# handler, (b) the Python + PyJWT reference on the same events, (c) OpenSSL's
# RSA-2048 verifications/s, (d) cold start through the Runtime API emulator
# (build tree and unpacked Lambda zip), (e) peak RSS.  BUILD_DIR is this
# subproject's build directory or a top-level one containing it.  Use an
# optimised build (--buildtype=release) for meaningful numbers.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
build=$1
for dir in "$build" "$build/subprojects/token-validator"; do
  if [ -x "$dir/token-validator" ] && [ -x "$dir/bench/tv-bench" ]; then
    exe=$dir/token-validator
    bench=$dir/bench/tv-bench
    break
  fi
done
if [ -z "${exe:-}" ]; then
  echo "$0: build token-validator and bench/tv-bench in $build first" >&2
  exit 1
fi

# PyJWT and cryptography come from Debian (python3-jwt); a python3 from
# elsewhere earlier in PATH may not have them.
py=
for cand in /usr/bin/python3 python3; do
  if command -v "$cand" >/dev/null 2>&1 \
     && "$cand" -c 'import jwt, cryptography' 2>/dev/null; then
    py=$cand
    break
  fi
done
if [ -z "$py" ]; then
  echo "$0: needs python3 with PyJWT and cryptography (python3-jwt)" >&2
  exit 1
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "$0: needs openssl" >&2
  exit 1
fi

exec "$py" "$here/bench.py" "$exe" "$bench" "$here/../deploy/build-lambda-zip.sh"
