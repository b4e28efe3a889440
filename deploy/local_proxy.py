"""Run deploy/nginx.conf on loopback: for the tests, the benches, and trying a deployment out.

The repository's configuration is used as it stands; only what a loopback run must change is
changed: plain HTTP on ``127.0.0.1:<port>`` instead of TLS on 443, the upstream's backend ports,
files under a scratch folder (pid, logs, temporary files), an access log that records which
backend served each request, and, for a load test from one address, the per-address limits
(``limits=False``). Needs Debian's nginx.

    BACKENDS=2 FIRST_PORT=5006 ALLOWED_ORIGINS=127.0.0.1:8080 bash deploy/backends.sh &
    python3 deploy/local_proxy.py --port 8080 --backends 5006 5007   # then open :8080
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CONF = Path(__file__).resolve().parent / "nginx.conf"
#: An access-log line: client, request, status, the backend(s) tried, the route cookie.
LOG_FORMAT = '$remote_addr "$request" $status upstream=$upstream_addr route=$ot_route'


def site_config(port: int, backends: list[int], limits: bool = True) -> str:
    """deploy/nginx.conf for plain HTTP on 127.0.0.1:``port`` in front of ``backends``."""
    text = CONF.read_text(encoding="utf-8")
    text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in backends)
    text, count = re.subn(r"(    server 127\.0\.0\.1:\d+ [^\n]*\n)+", servers, text)
    if count != 1:
        raise ValueError("deploy/nginx.conf: expected one block of upstream servers")
    # Plain HTTP here: a browser drops a SameSite=None cookie that is not Secure.
    text = text.replace("Secure; SameSite=None", "SameSite=Lax")
    if not limits:
        text = re.sub(r"^\s*limit_(req|conn) [^\n]*\n", "", text, flags=re.M)
    return text


def main_config(scratch: Path, site: str) -> str:
    """A whole nginx.conf around ``site``, every file inside ``scratch``."""
    temp = "".join(
        f"    {kind}_temp_path {scratch}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the scratch folder
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {scratch}/nginx.pid;\n"
        f"error_log {scratch}/error.log warn;\nevents {{ worker_connections 4096; }}\n"
        f"http {{\n{temp}    log_format ot '{LOG_FORMAT}';\n"
        f"    access_log {scratch}/access.log ot;\n{site}\n}}\n"
    )


def start(port: int, backends: list[int], scratch: Path, limits: bool = True):
    """Start nginx in the foreground of a new process group; wait until it listens."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    scratch.mkdir(parents=True, exist_ok=True)
    conf = scratch / "nginx.conf"
    conf.write_text(main_config(scratch, site_config(port, backends, limits)))
    checked = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t failed: {checked.stderr}")
    proc = subprocess.Popen(
        [nginx, "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=2).close()
            return proc
        except urllib.error.HTTPError:
            return proc  # nginx answers (a backend may not be up yet)
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((scratch / "error.log").read_text()) from None
            time.sleep(0.1)
    proc.kill()
    raise TimeoutError("nginx did not listen within 15 s")


def access_log(scratch: Path) -> list[dict[str, str]]:
    """Parsed access-log lines: request, status, upstream, route."""
    rows = []
    path = scratch / "access.log"
    for line in path.read_text().splitlines() if path.exists() else []:
        m = re.match(r'(\S+) "([^"]*)" (\d+) upstream=(\S*) route=(\S*)', line)
        if m:
            keys = ("client", "request", "status", "upstream", "route")
            rows.append(dict(zip(keys, m.groups(), strict=True)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backends", type=int, nargs="+", default=[5006, 5007])
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/ot-notebook-proxy"))
    parser.add_argument("--no-limits", action="store_true", help="drop per-address limits")
    args = parser.parse_args()
    proc = start(args.port, args.backends, args.scratch, limits=not args.no_limits)
    print(f"nginx on http://127.0.0.1:{args.port}/ -> {args.backends}; logs in {args.scratch}")
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return 0


if __name__ == "__main__":
    sys.exit(main())
