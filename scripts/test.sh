#!/usr/bin/env bash
# The README's test command (`npm test`): installs what the tests need, builds, type-checks, lints, runs every test,
# then (for a full run, no arguments) the Node-version-dependent tests again under Node 22 and 24.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm run build
npx tsc -p tsconfig.json --noEmit
npx tsc -p src/ui/tsconfig.json
npm run --silent lint
npx vitest run "$@"
if [ "$#" -eq 0 ]; then bash scripts/test-other-node.sh; fi
