#!/usr/bin/env bash
# The deployment test: brings the system up from docker-compose.yml as it is, then
#   1. runs README.md's "Try it" shell blocks verbatim from the host, through the
#      gateway (localhost:8080, localhost:8081), and checks what they printed;
#   2. signs in to the portal through the auth server's login page (the code flow,
#      the portal reaching the auth server through the gateway), and checks that
#      the service-to-service job (reports-job) is served;
#   3. scales resource-server to 3 and sees every replica serve a request;
#   4. revokes a session and sees every replica refuse its token;
#   5. SIGKILLs one auth-server replica and keeps logging in;
#   6. restarts the auth-server replicas one after the other under a token and refresh
#      loop (each request retried at most 3 times on 502/503): nothing is lost, and a
#      token and session from before the restart still work;
#   7. stops the stack and checks that every container exited by itself within the
#      grace period (a container still running after it is killed: exit code 137).
#
# Needs a Docker engine and Compose v2 (`.ci/run` installs and starts them), curl and
# jq. Base images missing locally are pulled or built by scripts/docker-standins.sh.
# Uses the host's ports 8080, 8081, 8082 and 8090; stops the stack it started.
set -euo pipefail
cd "$(dirname "$0")/.."

AUTH=http://localhost:8080
API=http://localhost:8081
project=token-auth-compose-test
compose() { docker compose -p "$project" "$@"; }
log() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  compose ps -a >&2 || true
  compose logs --tail 40 >&2 || true
  exit 1
}
# poll DEADLINE_SECONDS DESCRIPTION COMMAND...: runs COMMAND until it succeeds.
poll() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out waiting until $what"
    sleep 0.5
  done
}

cleanup() { compose down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

log "base images"
bash scripts/docker-standins.sh

log "build and start"
started=$SECONDS
compose build
compose up -d --wait --wait-timeout 180 || fail "the stack did not become healthy"
echo "up and healthy after $((SECONDS - started)) s (build included)"

token_for() { # user password -> the token endpoint's JSON
  curl -sS "$AUTH/oauth2/token" -d grant_type=password -d client_id=web-app -d username="$1" -d password="$2"
}
status_of() { # token path -> HTTP status at the API
  curl -s -o /dev/null -w '%{http_code}' "$API$2" -H "Authorization: Bearer $1"
}

log "the metadata names the public issuer"
issuer=$(curl -sS "$AUTH/.well-known/oauth-authorization-server" | jq -r .issuer)
[ "$issuer" = "http://localhost:8080" ] || fail "issuer is $issuer"

log "README.md's walk-through, verbatim"
walkthrough=$(mktemp)
awk '/^### Try it/ {on=1; next} on && /^##/ {exit} on && /^```sh$/ {code=1; next} code && /^```$/ {code=0; next} code' \
  README.md >"$walkthrough"
[ -s "$walkthrough" ] || fail "no shell blocks under README.md's '### Try it'"
output=$(bash -e "$walkthrough" 2>&1) || fail "the walk-through failed: $output"
printf '%s\n' "$output"
grep -q '"sub":"alice"' <<<"$output" || fail "/api/me did not answer for alice"
grep -q '"title":"notes"' <<<"$output" || fail "the document was not created"
grep -q '{"documents":\[{[^]]*"title":"notes"' <<<"$output" || fail "the list (maybe from another replica) lacks the document"
grep -q 'www-authenticate: Bearer realm="documents-api"' <<<"$output" || fail "no RFC 6750 challenge"
grep -qE '(^|})200$' <<<"$output" || fail "the revocation did not answer 200"
# The walk-through's call after the revocation is not checked here: it pauses a second,
# which says nothing on a loaded machine; the revocation reaching every replica is
# checked below, polled with a deadline.
grep -q '"token_type":"Bearer"' <<<"$output" || fail "no client_credentials token"

log "introspection-mode example on :8082"
access=$(token_for bob bob-dev-password | jq -r .access_token)
code=$(curl -s -o /dev/null -w '%{http_code}' http://localhost:8082/api/me -H "Authorization: Bearer $access")
[ "$code" = 200 ] || fail "the introspecting resource server answered $code"

log "the portal: sign in on the auth server's login page, as a browser would"
jar=$(mktemp)
browse() { curl -s -c "$jar" -b "$jar" "$@"; }
authorize=$(browse -o /dev/null -w '%{redirect_url}' http://localhost:8090/login)
case $authorize in "$AUTH/oauth2/authorize?"*) ;; *) fail "the portal sent the browser to '$authorize'" ;; esac
login_page=$(browse "$authorize")
form=()
while read -r name value; do form+=(--data-urlencode "$name=$value"); done < <(
  grep -o '<input type="hidden" name="[^"]*" value="[^"]*"' <<<"$login_page" |
    sed -E 's/.*name="([^"]*)" value="([^"]*)"/\1 \2/')
[ "${#form[@]}" -gt 0 ] || fail "no login form at $authorize"
callback=$(browse -o /dev/null -w '%{redirect_url}' "$AUTH/oauth2/authorize" "${form[@]}" \
  --data-urlencode username=alice --data-urlencode password=alice-dev-password)
case $callback in "http://localhost:8090/callback?"*) ;; *) fail "the login form answered '$callback'" ;; esac
browse -o /dev/null "$callback"
browse http://localhost:8090/api/me | grep -q '"sub":"alice"' || fail "the portal did not sign alice in"
rm -f "$jar"

log "service to service: the reports job"
# Logs are read into a variable before grep: `producer | grep -q` under pipefail fails
# when grep quits early and the producer gets SIGPIPE.
reports_log() { compose logs reports-job 2>/dev/null; }
reports_ok() { local logs; logs=$(reports_log) && grep -q '"ok":[1-9]' <<<"$logs"; }
poll 60 "the reports job has a successful run" reports_ok
logs=$(reports_log)
! grep -q '"unauthorized":[1-9]' <<<"$logs" || fail "a 401 reached the reports job's callers"

# served_by_all N TOKEN EXPECTED_STATUS: sends requests through the gateway until each
# of the N resource-server replicas has answered one of them with EXPECTED_STATUS,
# recognised by the request id it echoed and logged.
served_by_all() {
  local replicas=$1 token=$2 expected=$3
  local ids containers seen
  ids=$(mktemp)
  for _ in $(seq 1 $((replicas * 4))); do
    curl -s -o /dev/null -D - "$API/api/me" -H "Authorization: Bearer $token" |
      awk -v want="$expected" 'NR == 1 && $2 != want {exit 1} tolower($1) == "x-request-id:" {print $2}' |
      tr -d '\r' >>"$ids" || { rm -f "$ids"; return 1; }
  done
  containers=$(compose ps -q resource-server)
  [ "$(wc -w <<<"$containers")" -eq "$replicas" ] || { rm -f "$ids"; return 1; }
  seen=0
  for container in $containers; do
    logs=$(docker logs "$container" 2>&1)
    grep -q -F -f "$ids" <<<"$logs" && seen=$((seen + 1))
  done
  rm -f "$ids"
  [ "$seen" -eq "$replicas" ]
}

log "scale resource-server to 3: every replica serves"
compose up -d --wait --scale resource-server=3 --no-recreate resource-server || fail "scaling failed"
tokens=$(token_for alice alice-dev-password)
access=$(jq -r .access_token <<<"$tokens")
refresh=$(jq -r .refresh_token <<<"$tokens")
poll 60 "each of 3 replicas served through localhost:8081" served_by_all 3 "$access" 200

log "revoke the session: every replica refuses its token"
code=$(curl -s -o /dev/null -w '%{http_code}' "$AUTH/oauth2/revoke" -d client_id=web-app -d token="$refresh")
[ "$code" = 200 ] || fail "revocation answered $code"
poll 30 "each of 3 replicas refused the revoked token" served_by_all 3 "$access" 401

log "kill one auth-server replica: logins go on"
# Not `| head -1`: under pipefail, compose writing to a closed pipe fails the script.
mapfile -t replicas < <(compose ps -q auth-server)
victim=${replicas[0]}
docker kill "$victim" >/dev/null
for i in $(seq 1 20); do
  token_for alice alice-dev-password | jq -e .access_token >/dev/null || fail "login $i after the kill failed"
done
compose up -d --wait auth-server || fail "the killed replica did not come back"

log "rolling restart of the auth servers under load"
before=$(token_for alice alice-dev-password)
old_access=$(jq -r .access_token <<<"$before")
old_refresh=$(jq -r .refresh_token <<<"$before")
stop_load=$(mktemp)
load_log=$(mktemp)
(
  # Retried like a client would: on a lost connection, 502 or 503, at most 5 times.
  attempt() { curl -s -o /dev/null -w '%{http_code}' --retry 5 --retry-connrefused --retry-delay 1 "$@"; }
  refresh_token=$(token_for bob bob-dev-password | jq -r .refresh_token)
  while [ -e "$stop_load" ]; do
    # New tokens for a service (a login per round would soon end the oldest of bob's
    # sessions, AUTH_MAX_SESSIONS_PER_USER), and the same session refreshed each round.
    echo "token $(attempt -u ops:ops-dev-secret "$AUTH/oauth2/token" -d grant_type=client_credentials)"
    answer=$(curl -s --retry 5 --retry-connrefused --retry-delay 1 "$AUTH/oauth2/token" \
      -d grant_type=refresh_token -d client_id=web-app -d refresh_token="$refresh_token") || answer=''
    next=$(jq -r '.refresh_token // empty' <<<"$answer" 2>/dev/null) || next=''
    # A failed answer is an error document (or the gateway's page): no token in it.
    if [ -n "$next" ]; then refresh_token=$next; echo "refresh 200"; else echo "refresh failed: ${answer:0:300}"; fi
  done
) >"$load_log" 2>&1 &
load_pid=$!
# routed_to CONTAINER: the gateway sends requests to it again (one of a few requests
# through :8080 shows up in its log by the request id it echoed).
routed_to() {
  local ids logs
  ids=$(for _ in 1 2 3 4; do
    curl -s -o /dev/null -D - "$AUTH/.well-known/oauth-authorization-server" |
      awk 'tolower($1) == "x-request-id:" {print $2}' | tr -d '\r'
  done)
  [ -n "$ids" ] || return 1
  logs=$(docker logs "$1" 2>&1)
  grep -q -F "$ids" <<<"$logs"
}
for replica in $(compose ps -q auth-server); do
  docker restart -t 5 "$replica" >/dev/null
  # Only once the gateway routes to it again does the next replica go down.
  poll 60 "the gateway routes to the restarted replica" routed_to "$replica"
done
rm -f "$stop_load"
wait "$load_pid" || fail "the load loop stopped: $(tail -3 "$load_log")"
requests=$(wc -l <"$load_log")
echo "$requests requests during the rolling restart"
[ "$requests" -gt 0 ] || fail "the load loop sent nothing"
if grep -v -x -e 'token 200' -e 'refresh 200' "$load_log"; then
  fail "requests were lost during the rolling restart (above)"
fi
[ "$(status_of "$old_access" /api/me)" = 200 ] || fail "a token from before the restart was refused"
again=$(curl -sS "$AUTH/oauth2/token" -d grant_type=refresh_token -d client_id=web-app -d refresh_token="$old_refresh")
jq -e .access_token >/dev/null <<<"$again" || fail "a session from before the restart was lost: $again"

log "the reports job saw no 401 in all of this"
logs=$(reports_log)
! grep -q '"unauthorized":[1-9]' <<<"$logs" || fail "a 401 reached the reports job's callers"
grep -q '"ok":[1-9]' <<<"$logs" || fail "the reports job made no successful call"

log "stop: every container exits by itself"
started=$SECONDS
compose stop
echo "stopped in $((SECONDS - started)) s"
killed=0
for container in $(compose ps -a -q); do
  read -r name code <<<"$(docker inspect -f '{{.Name}} {{.State.ExitCode}}' "$container")"
  echo "$name exited with $code"
  [ "$code" != 137 ] || killed=1
done
[ "$killed" = 0 ] || fail "a container had to be killed: it did not stop within its grace period"

log "compose test passed"
