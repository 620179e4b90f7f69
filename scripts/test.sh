#!/usr/bin/env bash
# `npm test`: everything CI proves, one stage after another, each with its time, then the totals.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each jest stage appends its counts here (test/setup/tally-reporter.cjs).
export FLOTILLA_TEST_TALLY
FLOTILLA_TEST_TALLY=$(mktemp)
trap 'rm -f "$FLOTILLA_TEST_TALLY"' EXIT

stage() {
  local name=$1 start=$SECONDS
  shift
  echo "=== $name: npm run $*"
  FLOTILLA_TEST_STAGE=$name npm run "$@"
  echo "=== $name: passed in $((SECONDS - start)) s"
}

stage "main suite" test:suite
stage "chaos" test:chaos
stage "PostgreSQL" test:postgres
stage "bench smoke" bench:smoke

# The totals last. The final line is the plain "Tests: N passed, N failed" form that CI reads as the
# run's count of executed tests (jest's own "N passed, N total" summary is not among the forms it reads).
node -e '
  const runs = require("node:fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  for (const r of runs) console.log(`=== ${r.stage}: ${r.numPassedTestSuites} suites, ${r.numPassedTests} tests passed`);
  console.log(`=== all stages passed in ${Math.round(Number(process.argv[2]) / 60)} min`);
  console.log(`Tests: ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests") + sum("numTodoTests")} skipped`);
' "$FLOTILLA_TEST_TALLY" "$SECONDS"
