#!/usr/bin/env bash
# Serve the whole notebook: / lands on the home page, every page at its own URL.
# The list of pages comes from pages/registry.py, which writes one tiny served entry point
# per page (the route is the file's name) into a temporary folder removed on exit.
# Server settings come from the environment (see README "Deploying for a course"):
#   PORT             port to listen on (5006)
#   ADDRESS          interface to bind (all interfaces when unset; 127.0.0.1 behind a proxy)
#   ALLOWED_ORIGINS  comma-separated host[:port] list allowed to open the websocket, i.e. the
#                    public host(s) of the notebook (default localhost:$PORT,127.0.0.1:$PORT)
#   NUM_PROCS        server processes (1); see the README before raising it
#   PREFIX           URL path prefix when the proxy serves the notebook under e.g. /ot
#   USE_XHEADERS     1 behind a proxy that sets X-Forwarded-For / X-Forwarded-Proto
#   BOKEH_SECRET_KEY set => signed session ids (read by Bokeh from the environment, never
#                    passed on the command line where `ps` would show it)
#   WS_MAX_MESSAGE   largest websocket message a browser may send, in bytes (262144: the largest
#                    the notebook sends is a 256-bin histogram sync of ~10 KB; Bokeh's 20 MB
#                    default let one forged message block every session for seconds)
#   PAGE_LOADS       page GETs in progress at once (8); more get a quick 503 with Retry-After
#                    (pages/server_setup.py, run in each process through --setup)
#   SESSION_LIFETIME ms a session may stay without a websocket before cleanup (10000)
#   SERVE_DRY_RUN    1 => print the command instead of running it (tests, debugging)
# Extra arguments are passed on to `panel serve`.
set -euo pipefail
cd "$(dirname "$0")"

fail() {
  echo "serve.sh: $*" >&2
  exit 2
}

PORT="${PORT:-5006}"
NUM_PROCS="${NUM_PROCS:-1}"
WS_MAX_MESSAGE="${WS_MAX_MESSAGE:-262144}"
PAGE_LOADS="${PAGE_LOADS:-8}"
SESSION_LIFETIME="${SESSION_LIFETIME:-10000}"
[[ "$PORT" =~ ^[0-9]{1,5}$ ]] && ((PORT > 0 && PORT < 65536)) || fail "PORT must be 1-65535, got '$PORT'"
[[ "$NUM_PROCS" =~ ^[0-9]{1,3}$ ]] || fail "NUM_PROCS must be a whole number, got '$NUM_PROCS'"
[[ "$WS_MAX_MESSAGE" =~ ^[0-9]{4,9}$ ]] || fail "WS_MAX_MESSAGE must be 1000 to 999999999 bytes"
[[ "$PAGE_LOADS" =~ ^[1-9][0-9]{0,3}$ ]] || fail "PAGE_LOADS must be 1-9999, got '$PAGE_LOADS'"
[[ "$SESSION_LIFETIME" =~ ^[0-9]{4,7}$ ]] || fail "SESSION_LIFETIME must be 1000-9999999 ms"
export PAGE_LOADS
# One BLAS thread per server process: sessions share the process's one event loop, and a
# threaded BLAS on a busy 2-core machine made a 200 x 200 product 60x slower, not faster
# (bench/README_gromov_wasserstein.md). Several cores: NUM_PROCS. Overridable.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"

served="$(mktemp -d "${TMPDIR:-/tmp}/ot-notebook-served.XXXXXX")"
trap 'rm -rf "$served"' EXIT
mapfile -t pages < <(python3 -m pages.registry "$served")
((${#pages[@]} > 0)) || fail "pages/registry.py listed no page"

args=("${pages[@]}"
      --index app --port "$PORT" --static-dirs assets=./assets
      --num-procs "$NUM_PROCS" --liveness --websocket-max-message-size "$WS_MAX_MESSAGE"
      --setup pages/server_setup.py
      --check-unused-sessions 1000 --unused-session-lifetime "$SESSION_LIFETIME")
[ -n "${ADDRESS:-}" ] && args+=(--address "$ADDRESS")
if [ -n "${PREFIX:-}" ]; then
  [[ "$PREFIX" =~ ^/?[A-Za-z0-9._~/-]+$ ]] || fail "PREFIX may hold only a URL path, got '$PREFIX'"
  args+=(--prefix "$PREFIX")
fi
[ "${USE_XHEADERS:-0}" = "1" ] && args+=(--use-xheaders)

# One flag per allowed origin; spaces around commas and empty entries are ignored.
IFS=',' read -r -a origins <<< "${ALLOWED_ORIGINS:-localhost:$PORT,127.0.0.1:$PORT}"
origin_re='^[][A-Za-z0-9.*:-]+$'  # host, *.host, [::1], with an optional :port
n_origins=0
for origin in "${origins[@]}"; do
  origin="${origin//[[:space:]]/}"
  [ -z "$origin" ] && continue
  [[ "$origin" =~ $origin_re ]] || fail "ALLOWED_ORIGINS entry is not host[:port]: '$origin'"
  args+=(--allow-websocket-origin "$origin")
  n_origins=$((n_origins + 1))
done
((n_origins > 0)) || fail "ALLOWED_ORIGINS names no origin"

if [ -n "${BOKEH_SECRET_KEY:-}" ]; then
  # Signed session ids: a client cannot forge a session (or its arguments and headers).
  args+=(--session-ids signed)
  export BOKEH_SIGN_SESSIONS=true
fi

if [ "${SERVE_DRY_RUN:-0}" = "1" ]; then
  printf '%q ' python3 -m panel serve "${args[@]}" "$@"
  printf '\n'
  exit 0
fi
# `python -m` puts this folder on sys.path, so the entry points import ot_engine and pages.*
# The server runs in its own process group and every stop signal goes to the whole group:
# with several processes Tornado's forking parent dies on SIGTERM without passing it on, and
# its workers would keep serving (and holding the port). The entry points are removed on exit.
set -m
python3 -m panel serve "${args[@]}" "$@" &
server=$!
trap 'kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" || true; rm -rf "$served"; exit 143' TERM INT HUP
status=0
wait "$server" || status=$?
exit "$status"
