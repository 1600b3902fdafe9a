#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The patient view's figures for issue 6, against the sandbox's large record
# (patient-010: 2,059 Conditions, 2,018 medication entries after the display
# rules), measured by the patient-view UI test in benchmark mode:
#   (b) from "open patient" to all rows rendered, and the longest main-loop
#       stall while loading (a 5 ms timeout source measuring its own gaps),
#       for the first open and for a refresh (F5);
#   (c) the peak RSS of the GUI process after loading (GSK_RENDERER=cairo;
#       the sign-in web view is gone by then, its processes are not counted).
# SV_BENCH_TRACE=1 also prints when each list arrived and every main-loop
# gap over 20 ms. Numbers to report, never asserted. BUILD is a build folder with the
# companions (-Dcompanions=true).
#
# Usage: tools/bench-gui.sh BUILD
set -eu
build=${1:-_build}
top=$(cd "$(dirname "$0")/.." && pwd)

ninja -C "$build" tests/test-patient-view >/dev/null
SV_BENCH=1 GSK_RENDERER=cairo "$top/tests/run-headless.sh" "$build" patient-view -v 2>&1 |
  grep -E '^(# )?(bench|trace):|Bail|FAIL' | sed 's/^# //'
