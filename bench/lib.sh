# What bench/run.sh and bench/soak.sh share: logging, the release build, and starting,
# watching and stopping the processes they measure. Sourced, not run. The caller sets
# ROOT, BENCH, NAME (its name in messages) and KEEP_LOGS (1: keep the servers' logs).

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '%s: %s\n' "$NAME" "$*" >&2; exit 1; }

# build: the servers and the bench tool, in release mode; sets BIN and TOOL.
build() {
  log "building the servers (release)"
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p auth-server -p resource-server-demo
  log "building the bench tool (release)"
  cargo build --release --quiet --manifest-path "$BENCH/Cargo.toml"
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
  TOOL="${CARGO_TARGET_DIR:-$BENCH/target}/release/bench-tool"
}

# Every process started is killed on exit; on failure (or with KEEP_LOGS=1) the
# servers' logs are copied to bench/results/logs/.
TMP="$(mktemp -d "${TMPDIR:-/tmp}/$NAME.XXXXXX")"
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # Processes a tool started itself and listed in $TMP/spawned.pids: it stops them
  # itself, so these are what is left if it died first. Only a pid still running
  # SPAWNED_EXE is stopped (a pid may have been reused since).
  if [[ -f "$TMP/spawned.pids" && -n "${SPAWNED_EXE:-}" ]]; then
    while read -r pid; do
      if [[ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" == "$SPAWNED_EXE" ]]; then kill "$pid" 2>/dev/null || true; fi
    done <"$TMP/spawned.pids"
  fi
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $status -ne 0 || "${KEEP_LOGS:-0}" == 1 ]]; then
    mkdir -p "$BENCH/results/logs" && cp "$TMP"/*.log "$BENCH/results/logs/" 2>/dev/null || true
    echo "$NAME: server logs copied to bench/results/logs/" >&2
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

# start_redis: a private redis-server (nothing kept on disk) on a free port; sets
# REDIS_PORT and REDIS_PID once it answers PING.
start_redis() {
  REDIS_PORT="$("$TOOL" free-port)"
  mkdir -p "$TMP/redis"
  start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP/redis"
  REDIS_PID=$LAST_PID
  for _ in $(seq 1 100); do
    [[ "$( (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && head -c 5 <&3) 2>/dev/null || true)" == "+PONG" ]] && return 0
    sleep 0.1
  done
  die "redis-server did not answer on port $REDIS_PORT within 10 s"
}
