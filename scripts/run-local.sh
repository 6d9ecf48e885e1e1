#!/usr/bin/env bash
# The whole stack on this machine, embedded store, development users and clients:
#   auth server      http://127.0.0.1:8080
#   resource server  http://127.0.0.1:8081  (local verification)
# Ctrl-C stops both. Nothing survives a restart (no Redis).
set -euo pipefail
cd "$(dirname "$0")/.."

# Built once up front; `cargo run` below then starts the binaries it just built, wherever
# the target directory is (CARGO_TARGET_DIR, a cargo config), never a stale copy.
cargo build --bins -p auth-server -p resource-server-demo

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

wait -n
