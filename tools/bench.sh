#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `make bench`: every benchmark of the project, one after the other, each
# reporting ratios measured side by side in the same run. BUILD is an
# optimised build folder.
set -eu
build=$1
status=0

echo "== token-validator (issue 3)"
subprojects/token-validator/bench/run-bench.sh "$build" || status=1

echo "== smart-sandbox (issue 4)"
subprojects/smart-sandbox/bench/run-bench.sh "$build/subprojects/smart-sandbox" || status=1

echo "== patient record model (issue 6)"
meson test -C "$build" --benchmark --suite fhir -v 2>&1 | grep -E '^(record|load|longest|JSON|memory|Bail)|FAIL' || true

echo "== summary: smart-viewer-cli vs fhirclient (issue 6)"
tools/bench-summary.sh "$build" || status=1

echo "== patient view (issue 6)"
tools/bench-gui.sh "$build" || status=1

exit $status
