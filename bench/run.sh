#!/usr/bin/env bash
# The benchmark suite in one command: builds in release mode, starts every
# process it measures on 127.0.0.1 (a private redis-server, the auth server, three
# local-mode resource servers and one in introspection mode, the two ceiling routes,
# and node oidc-provider as the peer), runs each case for a fixed time, then the
# growth cases (a large state seeded into the private Redis, new resource servers
# started on it), stops all it started, and writes bench/results/latest.{md,json,svg}.
#
#   bench/run.sh            full run: BENCH_DURATION seconds per case (default 10)
#   bench/run.sh --quick    smoke run (~1.5 s per case, large state scaled to 1/20),
#                           written to bench/results/quick/
#
# Other knobs: BENCH_CONNECTIONS (default 32), BENCH_ROUNDS (slices per case, the best
# one counts; default 3), BENCH_THREADS (load-generator threads, default 1),
# BENCH_STATE_SCALE (the large state's share of 1 000 000 users and sessions and
# 300 000 revocations; default 1, 0.05 with --quick), BENCH_KEEP_LOGS=1 (copy the
# servers' logs to bench/results/logs/).
set -euo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
if (( QUICK )); then
  DURATION="${BENCH_DURATION:-1.5}"; OUT="$BENCH/results/quick"; QUICK_FLAG=(--quick)
else
  DURATION="${BENCH_DURATION:-10}"; OUT="$BENCH/results"; QUICK_FLAG=()
fi
NAME=bench; KEEP_LOGS="${BENCH_KEEP_LOGS:-0}"
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

# --- tools ---------------------------------------------------------------------------
apt_install() {
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing $* (Debian packages)"
    apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null 2>&1; }
  fi
}
command -v cargo >/dev/null || die "cargo is needed"
command -v curl >/dev/null || apt_install curl
command -v openssl >/dev/null || apt_install openssl
command -v redis-server >/dev/null || apt_install redis-server
# wrk only cross-checks our own load generator on the empty route; optional.
command -v wrk >/dev/null || apt_install wrk || true
for tool in curl openssl redis-server; do command -v "$tool" >/dev/null || die "$tool is needed (apt-get install -y $tool)"; done

load1="$(cut -d' ' -f1 /proc/loadavg)"
log "load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }' && echo "    (the machine is busy: figures will be noisy; run again when it is quiet)"

# --- build ---------------------------------------------------------------------------
build

log "starting redis-server, auth server, resource servers, ceiling routes"
start_redis

KEK="$(openssl rand 32 | base64 | tr '+/' '-_' | tr -d '=\n')"
start auth env AUTH_BIND=127.0.0.1:0 AUTH_OPS_BIND=127.0.0.1:0 REDIS_URL="redis://127.0.0.1:$REDIS_PORT" AUTH_KEY_ENCRYPTION_KEY="$KEK" \
  AUTH_BOOTSTRAP="$BENCH/bootstrap.toml" AUTH_ACCESS_TTL=3600 AUTH_LOGIN_ATTEMPTS_PER_MINUTE=1000000 AUTH_REVOCATIONS_PER_MINUTE=1000000 \
  "$BIN/auth-server"
AUTH_PID=$LAST_PID
AUTH="$(listening auth "$AUTH_PID")"
ready "$AUTH/readyz" auth
curl -sf "$AUTH/.well-known/jwks.json" >"$TMP/jwks.json"

RS_ENV=(RS_BIND=127.0.0.1:0 RS_OPS_BIND=127.0.0.1:0 RS_AUTH_URL="$AUTH" RS_AUDIENCE=documents-api RS_CLIENT_ID=documents-api RS_CLIENT_SECRET=documents-api-bench-secret)
RS_ARGS=()
for i in 1 2 3; do
  start "rs-local-$i" env "${RS_ENV[@]}" RS_VERIFY=local "$BIN/resource-server"
  pid=$LAST_PID; url="$(listening "rs-local-$i" "$pid")"; ready "$url/readyz" "rs-local-$i"
  RS_ARGS+=(--rs-local "rs-local-$i=$url@$pid")
done
start rs-introspect env "${RS_ENV[@]}" RS_VERIFY=introspect "$BIN/resource-server"
pid=$LAST_PID; url="$(listening rs-introspect "$pid")"; ready "$url/readyz" rs-introspect
RS_ARGS+=(--rs-introspect "rs-introspect=$url@$pid")

start empty "$TOOL" serve-empty
EMPTY_PID=$LAST_PID; EMPTY="$(listening empty "$EMPTY_PID")"
start verify "$TOOL" serve-verify --jwks "$TMP/jwks.json" --issuer "$AUTH" --audience documents-api
VERIFY_PID=$LAST_PID; VERIFY="$(listening verify "$VERIFY_PID")"

# --- the peer ----------------------------------------------------------------------------
PEER_ARGS=()
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PEER_ARGS=(--peer-missing "node and npm are not installed")
else
  log "installing node oidc-provider@9 into a temp dir (npm registry)"
  mkdir -p "$TMP/peer"
  if (cd "$TMP/peer" && npm init -y >/dev/null && timeout 300 npm install --no-audit --no-fund --silent oidc-provider@9 >"$TMP/npm.log" 2>&1); then
    PEER_PORT="$("$TOOL" free-port)"
    start peer env PEER_PORT="$PEER_PORT" PEER_MODULES="$TMP/peer/node_modules" node "$BENCH/peer/server.mjs"
    PEER_PID=$LAST_PID; PEER="$(listening peer "$PEER_PID")"
    PEER_ARGS=(--peer "peer=$PEER@$PEER_PID")
    echo "    oidc-provider $(node -p "require('$TMP/peer/node_modules/oidc-provider/package.json').version") on node $(node --version)"
  else
    PEER_ARGS=(--peer-missing "npm install oidc-provider@9 failed: $(tail -n 3 "$TMP/npm.log" | tr '\n' ' ')")
  fi
fi

# --- measure -----------------------------------------------------------------------------
log "running every case: ${DURATION} s each (plus warm-up)"
# The resource servers bench-tool starts itself (growth cases) are listed here, so the
# cleanup stops them even if bench-tool dies first.
SPAWNED="$TMP/spawned.pids"
SPAWNED_EXE="$(readlink -f "$BIN/resource-server")"
"$TOOL" run --duration "$DURATION" "${QUICK_FLAG[@]}" \
  --auth "auth=$AUTH@$AUTH_PID" "${RS_ARGS[@]}" \
  --empty "empty-route=$EMPTY@$EMPTY_PID" --verify "bare-verify=$VERIFY@$VERIFY_PID" \
  "${PEER_ARGS[@]}" --watch "redis=$REDIS_PID" --redis "127.0.0.1:$REDIS_PORT" \
  --rs-binary "$BIN/resource-server" --log-dir "$TMP" --spawned-pids "$SPAWNED" --out "$OUT"
log "written: ${OUT#"$ROOT/"}/latest.md, latest.json, latest.svg"
