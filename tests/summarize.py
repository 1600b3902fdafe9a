#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sums the results of `meson test` in one or more build folders and prints
the closing line that CI reads: `N passed, N failed, N skipped`."""

import json
import os
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main(build_dirs):
    passed = failed = skipped = 0
    for build in build_dirs:
        log = os.path.join(build, "meson-logs", "testlog.json")
        if not os.path.exists(log):
            print(f"{build}: no test log; the test run did not happen", file=sys.stderr)
            failed += 1
            continue
        with open(log, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                result = json.loads(line).get("result", "ERROR")
                if result in PASSED:
                    passed += 1
                elif result in SKIPPED:
                    skipped += 1
                else:
                    failed += 1
                    print(f"{build}: {json.loads(line).get('name')}: {result}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
