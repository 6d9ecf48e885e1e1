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
NAME=soak; KEEP_LOGS="${SOAK_KEEP_LOGS:-0}"
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

for tool in cargo curl openssl redis-server; do
  command -v "$tool" >/dev/null || die "$tool is needed (apt-get install -y $tool; cargo from rustup)"
done
log "load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

# --- build ---------------------------------------------------------------------------
build

log "starting redis-server, two auth-server replicas behind a balancer, three resource servers"
start_redis

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
