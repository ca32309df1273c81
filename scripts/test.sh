#!/usr/bin/env bash
# Runs the whole test suite under a process limit and prints one closing line
# "N passed, N failed" computed from bun test's own summary. Extra arguments go to bun test.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh

# A runaway spawning test must not take the machine down (root ignores this limit, see README).
ulimit -u 4096 2>/dev/null || true
log=$(mktemp)
trap 'rm -f "$log"' EXIT

bun test --timeout 60000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

pass=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
fail=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
skip=$(grep -Eo '^ *[0-9]+ skip$' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
if [ "$pass" = 0 ] && [ "$fail" = 0 ]; then
  echo "no tests ran" >&2
  [ "$status" = 0 ] && status=1
fi
if [ "$skip" != 0 ]; then
  echo "$pass passed, $fail failed, $skip skipped"
else
  echo "$pass passed, $fail failed"
fi
exit "$status"
