#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine: npm packages, and from Debian's
# packages gpg (interop tests), ZooKeeper + Java (storage backend tests), systemd-analyze (unit checks),
# curl and xxd (the docs' operator commands), chromium (the web interface's browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."

# `npm ci` installs exactly the lock file (a clean clone in CI); `npm install` only when there is none.
if [ ! -x node_modules/.bin/vitest ] || [ package.json -nt node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
fi

missing=()
# The native addon (native/, built by `npm ci` through the install script) needs a C++ toolchain.
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
[ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
[ -f /usr/share/java/slf4j-simple.jar ] || missing+=(libslf4j-java)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# The operator-flow test types the DC/OS docs' commands: curl, and xxd to hex-decode the unseal key.
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v xxd >/dev/null 2>&1 || missing+=(xxd)
# The seal test dumps the running store's memory with gdb's gcore and searches it for secrets.
command -v gcore >/dev/null 2>&1 || missing+=(gdb)
# Tests of the daemon's status API: a real unix datagram receiver for sd_notify and Prometheus'
# own text-format parser both run under Debian's python3.
[ -x /usr/bin/python3 ] || missing+=(python3)
/usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || missing+=(python3-prometheus-client)
# The web interface's end-to-end tests drive Debian's chromium through playwright-core.
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 69
  fi
  echo "setup: installing ${missing[*]} from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# node_modules made before the addon existed, or a toolchain installed just now: build it here.
[ -f native/build/Release/secrets_agent_native.node ] || node scripts/build-native.mjs
