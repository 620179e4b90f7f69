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

# The totals last, in jest's own words, so the end of CI's log says how many tests ran.
node -e '
  const runs = require("node:fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  for (const r of runs) console.log(`=== ${r.stage}: ${r.numPassedTestSuites} suites, ${r.numPassedTests} tests passed`);
  console.log(`Test Suites: ${sum("numPassedTestSuites")} passed, ${sum("numTotalTestSuites")} total`);
  console.log(`Tests:       ${sum("numPassedTests")} passed, ${sum("numTotalTests")} total`);
' "$FLOTILLA_TEST_TALLY"
echo "=== all stages passed in $((SECONDS / 60)) min"
