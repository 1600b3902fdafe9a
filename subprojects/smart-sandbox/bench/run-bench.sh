#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Validated FHIR searches per second through the Lambda hop (the real
# token-validator via the Runtime API), side by side with the same searches
# when the authPayload is computed in-process.  Loopback only, bounded.
#
# usage: bench/run-bench.sh BUILD_DIR [SECONDS] [CONNECTIONS]
#   BUILD_DIR     the smart-sandbox build dir (holding smart-sandbox)
#   env VALIDATOR the token-validator (default: found like the sandbox does)
set -eu
[ -n "${BENCH_DEBUG:-}" ] && set -x

build=${1:?usage: run-bench.sh BUILD_DIR [SECONDS] [CONNECTIONS]}
secs=${2:-5}
conns=${3:-16}
here=$(cd "$(dirname "$0")" && pwd)
exe=$build/smart-sandbox
[ -x "$exe" ] || { echo "no $exe" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d /tmp/sb-bench-XXXXXX)
pid=

cleanup () {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

start () {
  # $@: extra arguments
  "$exe" --port 0 --data-dir "$work/data" "$@" >"$work/out" 2>>"$work/err" &
  pid=$!
  i=0
  until grep -q '^smart-sandbox ready ' "$work/out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 600 ] || { echo "sandbox not ready" >&2; cat "$work/err" >&2; exit 1; }
    kill -0 "$pid" 2>/dev/null || { echo "sandbox died" >&2; cat "$work/err" >&2; exit 1; }
    sleep 0.1
  done
  fhir=$(sed -n 's/^smart-sandbox ready fhir=\([^ ]*\) .*/\1/p' "$work/out")
  root=$(printf %s "$fhir" | sed 's#^\(http://[^/]*\)/.*#\1#')
  prefix=$(printf %s "$fhir" | sed 's#^http://[^/]*##')
  secret=$(sed -n 's/^backend_client_secret=//p' "$work/data/sandbox.ini")
  token_url=$(curl -sf "${fhir}.well-known/smart-configuration" \
              | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_endpoint"])')
  token=$(curl -sf -u "smart-backend:$secret" -d grant_type=client_credentials \
            -d 'scope=system/*.read' "$token_url" \
          | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  patients=$(curl -sf -H "Authorization: Bearer $token" "${fhir}Patient?_count=20" \
             | python3 -c 'import json,sys; print(",".join(e["resource"]["id"] for e in json.load(sys.stdin)["entry"]))')
}

stop () {
  kill -TERM "$pid"; wait "$pid" || true; pid=
  : >"$work/out"
}

run () {
  # warm up, then measure
  SB_TOKEN=$token SB_PATH_PREFIX=$prefix SB_PATIENTS=$patients \
    wrk -t2 -c"$conns" -d1s -s "$here/search.lua" "$root" >/dev/null
  SB_TOKEN=$token SB_PATH_PREFIX=$prefix SB_PATIENTS=$patients \
    wrk -t2 -c"$conns" -d"${secs}s" --timeout 5s -s "$here/search.lua" "$root" | sed -n 's/^RESULT //p'
}

validator_args=
[ -n "${VALIDATOR:-}" ] && validator_args="--validator $VALIDATOR"

echo "# smart-sandbox bench: GET Condition?patient=…&_count=10, system/*.read token,"
echo "# $conns connections, ${secs}s per mode, $(nproc) cores, loopback"
# shellcheck disable=SC2086
start --token-lifetime 3600 $validator_args
lambda=$(run)
stop
start --token-lifetime 3600 --in-process-authz
inproc=$(run)
stop

printf '%-34s %s\n' "lambda (token-validator x2)" "$lambda"
printf '%-34s %s\n' "in-process authPayload" "$inproc"
l=$(printf %s "$lambda" | sed 's/rps=\([0-9.]*\).*/\1/')
p=$(printf %s "$inproc" | sed 's/rps=\([0-9.]*\).*/\1/')
awk -v l="$l" -v p="$p" 'BEGIN { printf "lambda hop keeps %.0f%% of in-process throughput; target >= 500 validated searches/s: %s\n", 100 * l / p, (l >= 500 ? "met" : "NOT met") }'
case "$lambda" in *non2xx=0\ *) ;; *) echo "warning: non-2xx answers in the lambda run" >&2 ;; esac
