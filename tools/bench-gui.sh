#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The patient view's figures for issue 6, against the sandbox's large record
# (patient-010: 2,059 Conditions, 2,018 medication entries after the display
# rules), measured by the patient-view UI test in benchmark mode:
#   (b) from "open patient" to all rows rendered, and the longest main-loop
#       stall while loading (a 5 ms timeout source measuring its own gaps),
#       for the first open and for a refresh (F5); with the main thread's
#       own CPU time, in all and in the busiest frame, since on a loaded
#       machine a gap also counts the time other processes had the CPU (the
#       main thread's CPU time within the longest gap is printed too);
#   (c) the RSS of the GUI process before opening the patient (signed in,
#       the sign-in web view gone), after loading, its peak, and 1.5 s after
#       a refresh (GSK_RENDERER=cairo; the web processes are not counted).
# RUNS runs (default 3), each printed, then the median of each figure.
# SV_BENCH_TRACE=1 also prints when each list arrived and every main-loop
# gap over 20 ms. Numbers to report, never asserted. BUILD is a build folder
# with the companions (-Dcompanions=true).
#
# Usage: [RUNS=3] tools/bench-gui.sh BUILD
set -eu
build=${1:-_build}
runs=${RUNS:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
all=$(mktemp)
trap 'rm -f "$all"' EXIT INT TERM

ninja -C "$build" tests/test-patient-view >/dev/null
i=1
while [ "$i" -le "$runs" ]; do
  echo "-- run $i of $runs"
  SV_BENCH=1 GSK_RENDERER=cairo "$top/tests/run-headless.sh" "$build" patient-view -v 2>&1 |
    grep -E '^(# )?(bench|trace):|Bail|FAIL' | sed 's/^# //' | tee -a "$all"
  i=$((i + 1))
done

# The median of each number, by its place in its line.
echo "-- median of $runs runs"
grep '^bench:' "$all" | python3 -c '
import re, sys, statistics
number = r"(?<![\w.-])[0-9]+(?:\.[0-9]+)?"
lines = {}
for line in sys.stdin:
    key = re.sub(number, "#", line.rstrip())
    lines.setdefault(key, []).append([float(n) for n in re.findall(number, line)])
for key, values in lines.items():
    medians = iter([statistics.median(column) for column in zip(*values)])
    print(re.sub("#", lambda m: "%.10g" % next(medians), key))
'
