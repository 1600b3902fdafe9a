#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# fuzz-json-reader.sh [SECONDS | -runs=N]
#
# Builds the libFuzzer target of the FHIR page reader (tests/fuzz-json-reader.c
# with src/core/sv-json-reader.c and the display helpers a page's rows go
# through) with clang, ASan and UBSan, and runs it for SECONDS (default 30)
# from the seed corpus, or N inputs from a fixed seed (-runs=N; 0 only
# replays the seeds).
# Exits 77 (skip) when clang or libFuzzer is not available, non-zero when the
# fuzzer finds a crash, a leak or a hang. SV_FUZZ_DIR keeps the build and the
# grown corpus (default: a temporary directory).
set -eu

arg=${1:-30}
case $arg in
  # A fixed number of inputs from a fixed seed: the same run every time.
  -runs=*) limit="$arg -seed=1" ;;
  *) limit=-max_total_time=$arg ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cc=${CLANG:-clang}

skip () {
  echo "SKIP: $*"
  exit 77
}

# The fuzzer is an ASan+UBSan build of its own: none from the sanitizer build.
[ "${SV_SANITIZE:-none}" = none ] || skip "runs from the normal build (b_sanitize=$SV_SANITIZE here)"
command -v "$cc" >/dev/null 2>&1 || skip "clang not found"
pkg-config --exists json-glib-1.0 gio-2.0 2>/dev/null || skip "pkg-config or json-glib not found"

work=${SV_FUZZ_DIR:-}
[ -n "$work" ] || { work=$(mktemp -d); trap 'rm -rf "$work"' EXIT INT TERM; }
mkdir -p "$work/corpus"

# libFuzzer ships in libclang-rt-*-dev; without it there is nothing to run.
echo 'int LLVMFuzzerTestOneInput (void) { return 0; }' > "$work/probe.c"
"$cc" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" >/dev/null 2>&1 ||
  skip "$cc cannot link libFuzzer (install libclang-rt-dev)"

cat > "$work/config.h" <<'H'
#pragma once
#define GETTEXT_PACKAGE "smart-viewer"
H

core=$top/src/core
# shellcheck disable=SC2046
"$cc" -g -O1 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
  -I"$work" -I"$core" \
  $(pkg-config --cflags json-glib-1.0 gio-2.0) \
  "$core"/sv-json-reader.c "$core"/sv-fhir-value.c "$core"/sv-problem.c "$core"/sv-medication.c \
  "$core"/sv-error.c "$here/fuzz-json-reader.c" \
  $(pkg-config --libs json-glib-1.0 gio-2.0) \
  -o "$work/sv-json-fuzz"

cd "$work"
echo "fuzzing: $limit"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} G_SLICE=always-malloc \
  ./sv-json-fuzz $limit -timeout=10 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -max_len=20000 -dict="$here/fuzz-json-reader.dict" -print_final_stats=1 \
    corpus "$here/fuzz-corpus/json-reader"
