#!/usr/bin/env bash
# `npm run demo`: the quickstart end to end on this machine. Installs and builds if needed, starts a
# Secret Store on 127.0.0.1 (a temp data directory), stores three secrets, and runs
# examples/app-env-and-file.json through `secrets-agent run` with a small workload that reports what
# it received (names, sizes and modes; never a value). Everything it made is removed at the end,
# unless `--keep` (`npm run demo -- --keep`): then the store keeps running for a person to try the
# web interface, and the script prints its URL, the admin login, and how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    *) echo "usage: scripts/demo.sh [--keep]  (unknown argument: $arg)" >&2; exit 64 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }

if [ ! -d node_modules ]; then
  step "installing dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
fi
if [ ! -f dist/src/cli/secrets-agent.cjs ] || [ ! -f dist/ui/index.html ] || [ -n "$(find src -newer dist/src/cli/main.js \( -name '*.ts' -o -name '*.tsx' -o -name '*.css' \) -print -quit)" ]; then
  step "building"
  npm run --silent build
fi
agent() { node "$repo/dist/src/cli/secrets-agent.cjs" "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/secrets-agent-demo.XXXXXX")
server_pid=""
finished=0
cleanup() {
  # --keep leaves a demo that got to its end running; a failed one is always cleaned up.
  if [ "$keep" -eq 1 ] && [ "$finished" -eq 1 ]; then return; fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "starting a Secret Store on 127.0.0.1 (data in $work/store)"
# First start: creates the superuser `admin` (password from a file, never argv) and the service
# account the agent logs in with, allowed to read only what the app needs.
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/admin-password"
chmod 600 "$work/admin-password"
# A simple command (not the `agent` function), so that $! is the node process itself.
node "$repo/dist/src/cli/secrets-agent.cjs" store serve --data-dir "$work/store" --listen 127.0.0.1:0 \
  --superuser admin --password-file "$work/admin-password" \
  --service-account invoice-api-agent --credential-out "$work/agent-credential.json" \
  --grant 'dcos:secrets:default:/billing/*:read' --grant 'dcos:secrets:default:/ca-bundle:read' \
  > "$work/store.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 600); do
  url=$(sed -n 's/.*"url":"\([^"]*\)".*"msg":"secret store listening".*/\1/p' "$work/store.log" | head -n 1)
  # The service account's credential names the server's URL, so it is written just after listening.
  [ -n "$url" ] && [ -s "$work/agent-credential.json" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/store.log" >&2; echo "demo: the store did not start" >&2; exit 69; }
  sleep 0.1
done
[ -n "$url" ] && [ -s "$work/agent-credential.json" ] || { cat "$work/store.log" >&2; echo "demo: the store did not report its URL or write the credential" >&2; exit 69; }
echo "store listening at $url; superuser admin, service account invoice-api-agent ($work/agent-credential.json, mode $(stat -c %a "$work/agent-credential.json"))"
admin=(--url "$url" --username admin --password-file "$work/admin-password")
conn=(--url "$url" --credential-file "$work/agent-credential.json")

step "storing three secrets as admin (the values come from stdin and files, never from argv)"
printf 's3cr3t-db-password\n' | agent secret create billing/invoice-api/db-password --value-file - "${admin[@]}"
head -c 1200 /dev/urandom > "$work/server.key"
agent secret create billing/invoice-api/tls-key --file "$work/server.key" "${admin[@]}"
printf -- '-----BEGIN CERTIFICATE-----\ndemo\n-----END CERTIFICATE-----\n' > "$work/ca.pem"
agent secret create ca-bundle --text-file "$work/ca.pem" "${admin[@]}"
echo "stored billing/invoice-api/db-password, billing/invoice-api/tls-key (binary), ca-bundle"

step "the plan, as the service account: secrets-agent explain --app examples/app-env-and-file.json"
agent explain --app examples/app-env-and-file.json "${conn[@]}"

step "secrets-agent run --app examples/app-env-and-file.json -- <workload>"
mkdir -m 755 "$work/sandbox"
# The workload reports what it got without printing any value.
cat > "$work/workload.sh" <<'EOF'
#!/bin/sh
echo "workload: env secret DB_PASSWORD received (${#DB_PASSWORD} characters)"
if [ -z "${STRIPE_API_KEY+x}" ]; then echo "workload: STRIPE_API_KEY absent (optional in the app definition)"; fi
for file in secrets/tls/server.key secrets/tls/ca.pem; do
  echo "workload: file secret $file received ($(wc -c < "$file") bytes, mode $(stat -L -c %a "$file"))"
done
EOF
chmod 755 "$work/workload.sh"
set +e
agent run --app examples/app-env-and-file.json "${conn[@]}" --sandbox "$work/sandbox" -- "$work/workload.sh"
status=$?
set -e
[ "$status" -eq 0 ] || { echo "demo: run exited with $status" >&2; exit "$status"; }
if [ -e "$work/sandbox/secrets" ]; then echo "demo: secret files were left behind" >&2; exit 70; fi
echo "run exited 0; the secret files are gone from the sandbox"

finished=1
if [ "$keep" -eq 1 ]; then
  step "done: the store keeps running (--keep)"
  echo "web interface: $url/ui/"
  echo "log in as:     admin / $(cat "$work/admin-password")   (a random demo password, also in $work/admin-password)"
  echo "stop it with:  kill $server_pid && rm -rf $work"
else
  echo
  echo "(the web interface was at $url/ui/ while the store ran; \`npm run demo -- --keep\` leaves it running)"
  step "done: the store was stopped and $work removed"
fi
