#!/usr/bin/env bash
# The shipping checks that CI runs after the tests (.ci/run), on ./test's Release build: pack into the local feed,
# restore and run the packages and the tool from it (check-packages.sh), build and run examples/ against the packages
# (check-examples.sh), publish the Native AOT axon and compare it with the JIT build (check-aot.sh), build the
# documentation site (tools/docs/build.sh). Each step says how long it took; the last line is "ship: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() {  # name, then the command; a step's "ok:"/"FAILED:" lines are its checks, or the step counts as one check
  local name=$1 start rc n_ok n_failed; shift
  echo "-- $name"
  start=$(date +%s)
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  n_ok=$(grep -c '^ok: ' "$log") n_failed=$(grep -c '^FAILED: ' "$log")
  if [ $((n_ok + n_failed)) -eq 0 ]; then
    if [ "$rc" -eq 0 ]; then n_ok=1; else n_failed=1; fi
  elif [ "$rc" -ne 0 ] && [ "$n_failed" -eq 0 ]; then n_failed=1
  fi
  passed=$((passed + n_ok)) failed=$((failed + n_failed))
  echo "-- $name: $n_ok passed, $n_failed failed in $(( $(date +%s) - start )) s"
  return "$rc"
}

if step "dotnet pack into artifacts/feed" tools/ship/pack.sh --no-build; then
  step "the packages and the tool from the feed" tools/ship/check-packages.sh
  step "the examples, built against the packages" tools/ship/check-examples.sh
fi
step "Native AOT publish" tools/ship/publish-aot.sh &&
  step "Native AOT against JIT" tools/ship/check-aot.sh
step "the documentation site (docfx, warnings as errors)" tools/docs/build.sh
echo "ship: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
