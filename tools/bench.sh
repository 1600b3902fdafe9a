#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `make bench`: every benchmark of the project, one after the other, each
# reporting ratios measured side by side in the same run.
set -eu
build=$1
status=0
for bench in \
  subprojects/token-validator/bench/run-bench.sh:"$build/subprojects/token-validator" \
  subprojects/smart-sandbox/bench/run-bench.sh:"$build/subprojects/smart-sandbox"
do
  script=${bench%%:*}
  dir=${bench#*:}
  if [ -x "$script" ]; then
    echo "== $script"
    "$script" "$dir" || status=1
  fi
done
exit $status
