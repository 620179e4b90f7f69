#!/usr/bin/env bash
# `npm test`: everything CI proves, one stage after another, each with its time.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() {
  local name=$1 start=$SECONDS
  shift
  echo "=== $name: npm run $*"
  npm run "$@"
  echo "=== $name: passed in $((SECONDS - start)) s"
}

stage "main suite" test:suite
stage "chaos" test:chaos
stage "PostgreSQL" test:postgres
stage "bench smoke" bench:smoke
echo "=== all stages passed in $((SECONDS / 60)) min"
