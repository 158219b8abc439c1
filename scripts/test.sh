#!/usr/bin/env bash
# The README's test command (`npm test`): installs what the tests need, builds, type-checks, lints, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm run build
npx tsc -p tsconfig.json --noEmit
npx tsc -p src/ui/tsconfig.json
npm run --silent lint
npx vitest run "$@"
