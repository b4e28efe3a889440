#!/usr/bin/env bash
# Several independent notebook servers on consecutive ports of one host, for the proxy in
# deploy/nginx.conf (README "Deploying for a course"). Each is a plain serve.sh (one process,
# its own port), so a proxy can send every browser to the same one (sticky sessions); one per
# core. Settings: BACKENDS (2), FIRST_PORT (5006), ADDRESS (127.0.0.1); every other serve.sh
# setting (ALLOWED_ORIGINS: the proxy's public host; BOKEH_SECRET_KEY, USE_XHEADERS...) is
# passed on. A stop signal stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "backends.sh: $*" >&2
  exit 2
}

BACKENDS="${BACKENDS:-2}"
FIRST_PORT="${FIRST_PORT:-5006}"
[[ "$BACKENDS" =~ ^[1-9][0-9]?$ ]] || fail "BACKENDS must be 1-99, got '$BACKENDS'"
[[ "$FIRST_PORT" =~ ^[0-9]{1,5}$ ]] && ((FIRST_PORT > 0 && FIRST_PORT + BACKENDS <= 65536)) ||
  fail "FIRST_PORT must leave room for $BACKENDS ports below 65536, got '$FIRST_PORT'"
export ADDRESS="${ADDRESS:-127.0.0.1}" USE_XHEADERS="${USE_XHEADERS:-1}"

if [ "${SERVE_DRY_RUN:-0}" = "1" ]; then  # each backend's command, in port order
  for ((i = 0; i < BACKENDS; i++)); do PORT=$((FIRST_PORT + i)) NUM_PROCS=1 bash serve.sh; done
  exit 0
fi

pids=()
stop() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
  exit 143
}
trap stop TERM INT HUP
for ((i = 0; i < BACKENDS; i++)); do
  PORT=$((FIRST_PORT + i)) NUM_PROCS=1 bash serve.sh &
  pids+=($!)
done
# A backend that stops (crashed, or killed to test a fault) leaves the others serving.
wait
