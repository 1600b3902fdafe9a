#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# What a user sees from the two executables' command lines.
set -u
cli=$1
gui=$2
failed=0
fail () { echo "FAIL: $*" >&2; failed=1; }

out=$("$cli" --version) || fail "smart-viewer-cli --version exited $?"
case "$out" in "smart-viewer-cli "[0-9]*) ;; *) fail "unexpected --version output: $out" ;; esac

out=$("$cli" --help) || fail "smart-viewer-cli --help exited $?"
echo "$out" | grep -q -- "--version" || fail "--help does not list --version"
echo "$out" | grep -q "SMART on FHIR" || fail "--help has no summary"

"$cli" no-such-command 2>/tmp/sv-cli-err.$$ && fail "an unknown command succeeded"
grep -q "no-such-command" /tmp/sv-cli-err.$$ || fail "the unknown command is not named in the error"
rm -f /tmp/sv-cli-err.$$

"$cli" --no-such-option 2>/dev/null
[ $? -eq 2 ] || fail "an unknown option does not exit with 2"

"$cli" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no command does not exit with 2"

# The GUI's --version and --help work without a display.
out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$gui" --version) || fail "smart-viewer --version exited $?"
case "$out" in "smart-viewer "[0-9]*) ;; *) fail "unexpected smart-viewer --version output: $out" ;; esac
out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$gui" --help) || fail "smart-viewer --help exited $?"
echo "$out" | grep -q -- "--version" || fail "smart-viewer --help does not list --version"

[ $failed -eq 0 ] && echo "cli ok"
exit $failed
