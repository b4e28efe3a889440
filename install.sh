#!/usr/bin/env bash
# Install everything the notebook and its tests need, on a fresh Debian machine with Python 3.11:
# the pinned Python packages (app and test tools), Debian's Chromium for the browser tests and
# nginx for the proxy tests (when run as root and missing), and axe-core for the accessibility
# checks (when npm is present).
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  else
    echo "install.sh: no chromium; browser tests will be skipped (apt-get install chromium)" >&2
  fi
fi
# nginx for the deployment tests (tests/test_cluster.py runs deploy/nginx.conf on loopback);
# RUNLEVEL=1 keeps the package from starting its own server on port 80.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    RUNLEVEL=1 apt-get install -y -qq nginx >/dev/null
  else
    echo "install.sh: no nginx; the proxy tests will be skipped (apt-get install nginx)" >&2
  fi
fi
python3 -m pip install -q -r requirements-dev.txt
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq npm >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  npm ci --silent --no-audit --no-fund
else
  echo "install.sh: no npm; accessibility tests will be skipped (apt-get install npm)" >&2
fi
