#!/usr/bin/env bash
# The whole stack on this machine, embedded store, development users and clients:
#   auth server      http://127.0.0.1:8080
#   resource server  http://127.0.0.1:8081  (local verification)
#   documents portal http://localhost:8090  (a browser app; sign in as alice)
# Ctrl-C stops them all. Nothing survives a restart (no Redis).
set -euo pipefail
cd "$(dirname "$0")/.."

# Built one package at a time up front, as `cargo run` below selects them (so it finds
# each binary fresh and rebuilds nothing), and then starts what it just built wherever
# the target directory is (CARGO_TARGET_DIR, a cargo config), never a stale copy.
for package in auth-server resource-server-demo web-portal; do
  cargo build --bins -p "$package"
done

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM

AUTH_BIND=127.0.0.1:8080 \
AUTH_BOOTSTRAP=config/dev-bootstrap.toml \
  cargo run --quiet -p auth-server --bin auth-server &
pids+=($!)

# The resource server finds the auth server through its metadata and waits for it.
RS_BIND=127.0.0.1:8081 \
RS_AUTH_URL=http://127.0.0.1:8080 \
RS_AUDIENCE=documents-api \
RS_CLIENT_ID=documents-api \
RS_CLIENT_SECRET=documents-api-dev-secret \
  cargo run --quiet -p resource-server-demo --bin resource-server &
pids+=($!)

# The browser app's backend: it keeps the tokens, the browser gets a session cookie.
PORTAL_BIND=127.0.0.1:8090 \
PORTAL_PUBLIC_URL=http://localhost:8090 \
PORTAL_AUTH_URL=http://127.0.0.1:8080 \
PORTAL_API_URL=http://127.0.0.1:8081 \
PORTAL_CLIENT_SECRET=web-portal-dev-secret \
  cargo run --quiet -p web-portal &
pids+=($!)

wait -n
