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
  echo "[npm test] $name: npm run $*"
  FLOTILLA_TEST_STAGE=$name npm run "$@"
  echo "[npm test] $name: done, $((SECONDS - start)) s"
}

stage "main suite" test:suite
stage "chaos" test:chaos
stage "PostgreSQL" test:postgres
stage "bench smoke" bench:smoke

# The totals last. The final line is the plain "N passed, N failed, N skipped" form that CI reads as
# the run's count of executed tests (jest's own "N passed, N total" summary is not among the forms it
# reads). No other line may look like another runner's closing line: stage markers in pytest's
# "=== … passed in N s" shape were read as a pytest run that executed nothing (stops 21–23).
node -e '
  const runs = require("node:fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  for (const r of runs) console.log(`[npm test] ${r.stage}: ${r.numPassedTestSuites} suites, ${r.numPassedTests} tests`);
  console.log(`[npm test] every stage done, ${Math.round(Number(process.argv[2]) / 60)} min`);
  console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests") + sum("numTodoTests")} skipped`);
' "$FLOTILLA_TEST_TALLY" "$SECONDS"
