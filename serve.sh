#!/usr/bin/env bash
# Serve the whole notebook: / lands on the home page, every page at its own URL.
# Server settings come from the environment (see README "Deploying for a course"):
#   PORT (5006), ADDRESS (all interfaces when unset), ALLOWED_ORIGINS (comma-separated host[:port],
#   default localhost:$PORT), NUM_PROCS (1), BOKEH_SECRET_KEY (set => signed session ids).
set -euo pipefail
cd "$(dirname "$0")"
PORT="${PORT:-5006}"
args=(app.py pages/transport_plan.py pages/brenier.py pages/kl_vs_wasserstein.py
      --index app --port "$PORT" --static-dirs assets=./assets
      --num-procs "${NUM_PROCS:-1}" --liveness)
[ -n "${ADDRESS:-}" ] && args+=(--address "$ADDRESS")
IFS=',' read -r -a origins <<< "${ALLOWED_ORIGINS:-localhost:$PORT}"
for o in "${origins[@]}"; do args+=(--allow-websocket-origin "$o"); done
if [ -n "${BOKEH_SECRET_KEY:-}" ]; then
  args+=(--session-ids signed)
  export BOKEH_SIGN_SESSIONS=true
fi
# `python -m` puts this folder on sys.path, so pages can import ot_engine and pages.*
exec python3 -m panel serve "${args[@]}" "$@"
