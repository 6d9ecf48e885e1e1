#!/usr/bin/env bash
# The soak in one command: builds in release mode, starts a whole stack on 127.0.0.1
# free ports (a private redis-server, two auth-server replicas sharing it behind a
# round-robin balancer that is their issuer URL, two local-mode resource servers and
# one introspecting), runs a steady mixed load for a while (logins, refresh chains,
# API calls, RFC 7009 revocations of both token kinds, refresh-token reuse, two key
# rotations), samples every process's memory, stops all it started, and writes
# bench/results/soak-latest.{json,md,svg}. Exits non-zero when the verdict fails.
#
#   bench/soak.sh                 10 minutes
#   bench/soak.sh --minutes N     N minutes
#   bench/soak.sh --quick         about 1 minute, written to bench/results/quick/
#
# Other knobs: SOAK_USERS (simulated users, default 6, at most 8), SOAK_PACE_MS (pause
# after each request of a user, default 150), SOAK_BESIDE (what else runs on the
# machine, recorded with the results), SOAK_KEEP_LOGS=1 (copy the servers' logs to
# bench/results/logs/). CARGO_TARGET_DIR is honoured.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
MINUTES=10; QUICK=0
while (( $# )); do
  case "$1" in
    --quick) QUICK=1; MINUTES=1 ;;
    --minutes) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; MINUTES="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$MINUTES" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "--minutes takes a number" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
if (( QUICK )); then OUT="$BENCH/results/quick"; SAMPLE=2; QUICK_FLAG=(--quick); else OUT="$BENCH/results"; SAMPLE=5; QUICK_FLAG=(); fi
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'soak: %s\n' "$*" >&2; exit 1; }

for tool in cargo curl openssl redis-server; do
  command -v "$tool" >/dev/null || die "$tool is needed (apt-get install -y $tool; cargo from rustup)"
done
log "load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

# --- build ---------------------------------------------------------------------------
log "building the servers (release)"
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p auth-server -p resource-server-demo
log "building the bench tool (release)"
cargo build --release --quiet --manifest-path "$BENCH/Cargo.toml"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
TOOL="${CARGO_TARGET_DIR:-$BENCH/target}/release/bench-tool"

# --- processes -------------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")"
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $status -ne 0 || "${SOAK_KEEP_LOGS:-0}" == 1 ]]; then
    mkdir -p "$BENCH/results/logs" && cp "$TMP"/*.log "$BENCH/results/logs/" 2>/dev/null || true
    echo "soak: server logs copied to bench/results/logs/" >&2
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME COMMAND...: runs it in the background with its output in $TMP/NAME.log.
start() {
  local name="$1"; shift
  "$@" >"$TMP/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# listening NAME PID: waits (30 s at most) for `listening on http://ADDR` in its log.
listening() {
  local name="$1" pid="$2" url=""
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { cat "$TMP/$name.log" >&2; die "$name exited during start-up"; }
    url="$(sed 's/\x1b\[[0-9;]*m//g' "$TMP/$name.log" | grep -o 'listening on http://127\.0\.0\.1:[0-9]*' | head -n1 | sed 's/^listening on //' || true)"
    [[ -n "$url" ]] && { echo "$url"; return 0; }
    sleep 0.1
  done
  cat "$TMP/$name.log" >&2; die "$name did not report its address within 30 s"
}

# ready URL NAME: waits (30 s at most) for 200 from URL.
ready() {
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  die "$2 not ready at $1 within 30 s"
}

log "starting redis-server, two auth-server replicas behind a balancer, three resource servers"
REDIS_PORT="$("$TOOL" free-port)"
mkdir -p "$TMP/redis"
start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP/redis"
REDIS_PID=$LAST_PID
for _ in $(seq 1 100); do
  [[ "$( (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && head -c 5 <&3) 2>/dev/null || true)" == "+PONG" ]] && break
  sleep 0.1
done

# Both replicas share Redis, the key-encryption key and the issuer: the balancer's URL,
# as behind a real load balancer. Access tokens live 60 s (not 300) so revocation
# records and retired keys expire many times within the run: the soak then sees the
# servers' steady state, not only their growth towards it.
LB_PORT="$("$TOOL" free-port)"
ISSUER="http://127.0.0.1:$LB_PORT"
KEK="$(openssl rand 32 | base64 | tr '+/' '-_' | tr -d '=\n')"
AUTH_ENV=(AUTH_BIND=127.0.0.1:0 AUTH_OPS_BIND=127.0.0.1:0 AUTH_ISSUER="$ISSUER" REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  AUTH_KEY_ENCRYPTION_KEY="$KEK" AUTH_BOOTSTRAP="$BENCH/soak-bootstrap.toml" AUTH_ACCESS_TTL=60)
AUTH_ARGS=(); TARGETS=()
for replica in a b; do
  start "auth-$replica" env "${AUTH_ENV[@]}" "$BIN/auth-server"
  pid=$LAST_PID; url="$(listening "auth-$replica" "$pid")"; ready "$url/readyz" "auth-$replica"
  AUTH_ARGS+=(--auth "auth-$replica=$url@$pid"); TARGETS+=(--to "${url#http://}")
done
start balancer "$TOOL" balance --bind "127.0.0.1:$LB_PORT" "${TARGETS[@]}"
LB_PID=$LAST_PID; listening balancer "$LB_PID" >/dev/null
ready "$ISSUER/.well-known/oauth-authorization-server" balancer

RS_ENV=(RS_BIND=127.0.0.1:0 RS_OPS_BIND=127.0.0.1:0 RS_AUTH_URL="$ISSUER" RS_AUDIENCE=documents-api RS_CLIENT_ID=documents-api RS_CLIENT_SECRET=documents-api-soak-secret)
RS_ARGS=()
for i in 1 2; do
  start "rs-local-$i" env "${RS_ENV[@]}" RS_VERIFY=local "$BIN/resource-server"
  pid=$LAST_PID; url="$(listening "rs-local-$i" "$pid")"; ready "$url/readyz" "rs-local-$i"
  RS_ARGS+=(--rs-local "rs-local-$i=$url@$pid")
done
start rs-introspect env "${RS_ENV[@]}" RS_VERIFY=introspect "$BIN/resource-server"
pid=$LAST_PID; url="$(listening rs-introspect "$pid")"; ready "$url/readyz" rs-introspect
RS_ARGS+=(--rs-introspect "rs-introspect=$url@$pid")

# --- the soak ------------------------------------------------------------------------------
log "soaking for $MINUTES minute(s)"
"$TOOL" soak --minutes "$MINUTES" "${QUICK_FLAG[@]}" "${AUTH_ARGS[@]}" "${RS_ARGS[@]}" \
  --watch "redis=$REDIS_PID" --watch "balancer=$LB_PID" --sample-every "$SAMPLE" \
  --users "${SOAK_USERS:-6}" --pace-ms "${SOAK_PACE_MS:-150}" --beside "${SOAK_BESIDE:-}" --out "$OUT"
log "written: ${OUT#"$ROOT/"}/soak-latest.md, soak-latest.json, soak-latest.svg"
