#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# fuzz.sh [SECONDS]
#
# Builds the libFuzzer target (tests/fuzz-target.c plus the validator
# sources) with clang, ASan and UBSan, and runs it for SECONDS (default 30)
# from the seed corpus.  Exits 77 (skip) when clang or libFuzzer is not
# available, non-zero when the fuzzer finds a crash, a leak or a hang.
# TV_FUZZ_DIR keeps the build and the grown corpus (default: a temporary
# directory).
set -eu

seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cc=${CLANG:-clang}

case ${TV_SANITIZE:-none} in
  none|"") ;;
  *)
    # The fuzzer is an ASan+UBSan build of its own; running it again from
    # the sanitizer build would only double the suite's time.
    echo "SKIP: runs from the normal build (b_sanitize=$TV_SANITIZE here)"
    exit 77 ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "SKIP: clang not found"
  exit 77
fi
if ! command -v pkg-config >/dev/null 2>&1; then
  echo "SKIP: pkg-config not found"
  exit 77
fi

if [ -n "${TV_FUZZ_DIR:-}" ]; then
  work=$TV_FUZZ_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT INT TERM
fi

# libFuzzer ships in libclang-rt-*-dev; without it there is nothing to run.
printf 'int LLVMFuzzerTestOneInput (const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput (const unsigned char *d, unsigned long n) { (void) d; (void) n; return 0; }\n' > "$work/probe.c"
if ! "$cc" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
  echo "SKIP: $cc cannot link libFuzzer (install libclang-rt-dev)"
  exit 77
fi

cat > "$work/config.h" <<'H'
#pragma once
#define TV_PACKAGE_NAME "token-validator"
#define TV_VERSION "fuzz"
H

# shellcheck disable=SC2046
"$cc" -g -O1 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$work" -I"$top/src" \
  $(pkg-config --cflags cjose jansson libcrypto libcurl) \
  "$top"/src/tv-config.c "$top"/src/tv-event.c "$top"/src/tv-handler.c "$top"/src/tv-http.c \
  "$top"/src/tv-jwks.c "$top"/src/tv-secrets.c "$top"/src/tv-smart.c "$top"/src/tv-util.c \
  "$top"/src/tv-validator.c "$here/fuzz-target.c" \
  $(pkg-config --libs cjose jansson libcrypto libcurl) \
  -o "$work/tv-fuzz"

mkdir -p "$work/corpus"
cd "$work"
echo "fuzzing for $seconds s"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  ./tv-fuzz -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -max_len=20000 -print_final_stats=1 corpus "$here/fuzz-corpus"
