#!/usr/bin/env bash
# Sets up everything the tests need, then runs every test: type check, unit tests, then the
# real-kernel tests in network namespaces (root only; without root they are skipped with a reason).
#   scripts/test.sh          everything
#   scripts/test.sh --unit   unit tests only (no setup, no root)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" != "--unit" ]]; then
  bash scripts/setup.sh --test
fi
echo "== type check"
npx tsc -p .
npm run --silent build # the CLI tests run the bundle

unit=$(find src test -name '*.test.ts' -not -path 'test/netns/*' | sort)
echo "== unit tests"
node --import tsx --test --test-reporter=spec $unit

if [[ "${1:-}" != "--unit" ]]; then
  netns=$(find test/netns -name '*.test.ts' 2>/dev/null | sort)
  if [[ -n "$netns" ]]; then
    echo "== network-namespace tests (real kernel)"
    node --import tsx --test --test-concurrency=1 --test-reporter=spec $netns
  fi
fi
