"""serve.sh as the README runs it: every URL answers, origins are enforced, its environment
handling (checked through SERVE_DRY_RUN) is right, signed sessions work; the Dockerfile is sane.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import secrets
import shlex
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from pages import registry

ROOT = Path(__file__).resolve().parent.parent
SERVE = ["bash", str(ROOT / "serve.sh")]
PAGE_PATHS = ["/", *(f"/{info.slug}" for info in registry.PAGES)]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode("utf-8", "replace")


# --- the running server -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGE_PATHS, "/liveness", "/assets/css/notebook.css"])
def test_every_url_answers_200(server, path):
    status, _ = get(server + path)
    assert status == 200


def test_root_is_the_notebook_home_not_panels_index(server):
    _, body = get(server + "/")
    assert f"<title>{registry.HOME.title}</title>" in body


def test_pages_reference_no_other_host(server):
    # The offline promise at the HTML level (the browser tests check every request too).
    for path in PAGE_PATHS:
        _, body = get(server + path)
        hosts = set(re.findall(r"""(?:src|href)=["']https?://([^/"']+)""", body))
        assert hosts <= {"127.0.0.1", "localhost"}, (path, hosts)


def _websocket_status(base: str, path: str, origin: str) -> int:
    """HTTP status of a websocket upgrade request from ``origin`` (101 if accepted).

    A plain HTTP/1.1 upgrade request: no asyncio, so it cannot clash with Playwright's loop.
    """
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(
            "GET",
            path,
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Key": base64.b64encode(secrets.token_bytes(16)).decode(),
                "Sec-WebSocket-Version": "13",
                "Origin": origin,
            },
        )
        return conn.getresponse().status
    finally:
        conn.close()


def test_websocket_from_a_foreign_origin_is_refused(server):
    ws = f"/{registry.PAGES[0].slug}/ws"
    assert _websocket_status(server, ws, "http://evil.example.org") == 403
    assert _websocket_status(server, ws, server) == 101  # the server's own origin gets through


# --- serve.sh's environment handling ----------------------------------------------------------


SETTINGS = ("PORT", "ADDRESS", "ALLOWED_ORIGINS", "NUM_PROCS", "PREFIX", "USE_XHEADERS")


def run_dry(*args: str, **env: str) -> subprocess.CompletedProcess:
    """serve.sh with SERVE_DRY_RUN=1 and only the given settings (none from this shell)."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS and k != "BOKEH_SECRET_KEY"}
    return subprocess.run(
        [*SERVE, *args], env={**clean, "SERVE_DRY_RUN": "1", **env}, capture_output=True, text=True
    )


def dry_run(*args: str, **env: str) -> list[str]:
    out = run_dry(*args, **env)
    assert out.returncode == 0, out.stderr
    return shlex.split(out.stdout)


def flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_defaults_serve_every_page_with_home_as_index():
    argv = dry_run()
    assert argv[:4] == ["python3", "-m", "panel", "serve"]
    # One served entry point per registry entry, named after its route.
    served = [Path(a) for a in argv[4 : 4 + len(registry.ALL)]]
    assert [p.name for p in served] == [f"{info.slug}.py" for info in registry.ALL]
    assert len({p.parent for p in served}) == 1
    assert flag_values(argv, "--index") == ["app"]
    assert flag_values(argv, "--port") == ["5006"]
    assert flag_values(argv, "--allow-websocket-origin") == ["localhost:5006", "127.0.0.1:5006"]
    assert flag_values(argv, "--static-dirs") == ["assets=./assets"]
    assert "--liveness" in argv
    assert flag_values(argv, "--websocket-max-message-size") == ["262144"]
    assert "--session-ids" not in argv and "--address" not in argv


def test_allowed_origins_become_one_flag_each():
    argv = dry_run(ALLOWED_ORIGINS=" ot.example.edu, ,course.example.edu:8443,[::1]:5006 ")
    assert flag_values(argv, "--allow-websocket-origin") == [
        "ot.example.edu",
        "course.example.edu:8443",
        "[::1]:5006",
    ]


def test_production_settings_map_to_flags():
    argv = dry_run(PORT="8080", ADDRESS="127.0.0.1", NUM_PROCS="2", PREFIX="/ot", USE_XHEADERS="1")
    assert flag_values(argv, "--port") == ["8080"]
    assert flag_values(argv, "--address") == ["127.0.0.1"]
    assert flag_values(argv, "--num-procs") == ["2"]
    assert flag_values(argv, "--prefix") == ["/ot"]
    assert "--use-xheaders" in argv
    assert flag_values(argv, "--allow-websocket-origin") == ["localhost:8080", "127.0.0.1:8080"]


def test_secret_key_signs_sessions_and_never_reaches_the_command_line():
    key = secrets.token_urlsafe(32)
    argv = dry_run(BOKEH_SECRET_KEY=key)
    assert flag_values(argv, "--session-ids") == ["signed"]
    assert key not in " ".join(argv)


def test_extra_arguments_pass_through():
    assert dry_run("--check-unused-sessions", "5000")[-2:] == ["--check-unused-sessions", "5000"]


@pytest.mark.parametrize(
    "env",
    [
        {"PORT": "abc"},
        {"PORT": "70000"},
        {"PORT": "5006; rm -rf /"},
        {"NUM_PROCS": "two"},
        {"ALLOWED_ORIGINS": ","},
        {"ALLOWED_ORIGINS": "ok.example.edu,bad host;x"},
        {"PREFIX": "/ot x"},
        {"WS_MAX_MESSAGE": "1e9"},
        {"WS_MAX_MESSAGE": "10"},
    ],
)
def test_bad_settings_stop_with_a_message(env):
    out = run_dry(**env)
    assert out.returncode == 2
    assert out.stderr.startswith("serve.sh: ") and out.stdout == ""


# --- signed sessions, for real ----------------------------------------------------------------


@pytest.mark.browser
def test_signed_sessions_serve_working_pages(page, serving):
    port = serving.free_port()
    env = serving.serve_env(port, BOKEH_SECRET_KEY=secrets.token_urlsafe(32))
    with serving.serve_process(SERVE, port, env, log_name="signed_server.log") as base:
        for path in PAGE_PATHS:
            assert get(base + path)[0] == 200
        page.goto(base + "/")
        page.wait_for_bokeh()
        page.locator("mjx-container").first.wait_for(timeout=15_000)  # the session is live
        # A forged (unsigned) session id is refused.
        forged = urllib.request.Request(base + "/?bokeh-session-id=forged-session-id")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(forged, timeout=10)
        assert err.value.code == 403


# --- several processes (NUM_PROCS) stay offline -----------------------------------------------


def _pull_doc_of_a_fresh_session(base: str, slug: str) -> dict:
    """The document a websocket receives for a session no process rendered HTML for.

    That is what happens under ``NUM_PROCS`` > 1 when a page's websocket reaches another
    process than its page load: Bokeh creates the session from the websocket alone. A tiny
    client of Bokeh's protocol (ACK, then PULL-DOC-REQ -> PULL-DOC-REPLY), run on its own thread
    and event loop so it cannot clash with Playwright's.
    """
    import asyncio
    import json
    from concurrent.futures import ThreadPoolExecutor

    from bokeh.util.token import generate_jwt_token, generate_session_id
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    token = generate_jwt_token(generate_session_id(), signed=False)
    url = base.replace("http://", "ws://") + f"/{slug}/ws"

    async def pull() -> dict:
        request = HTTPRequest(url, headers={"Origin": base})
        ws = await websocket_connect(request, subprotocols=["bokeh", token])
        try:
            ack = [await ws.read_message() for _ in range(3)]
            assert json.loads(ack[0])["msgtype"] == "ACK"
            for frame in ('{"msgid": "1", "msgtype": "PULL-DOC-REQ"}', "{}", "{}"):
                await ws.write_message(frame)
            header = json.loads(await ws.read_message())
            assert header["msgtype"] == "PULL-DOC-REPLY", header
            await ws.read_message()  # metadata
            return json.loads(await ws.read_message())["doc"]
        finally:
            ws.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, pull()).result(timeout=60)


def _stylesheet_urls(node) -> list[str]:
    urls = []
    if isinstance(node, dict):
        if node.get("name") == "ImportedStyleSheet":
            urls.append(node.get("attributes", {}).get("url", ""))
        for value in node.values():
            urls += _stylesheet_urls(value)
    elif isinstance(node, list):
        for value in node:
            urls += _stylesheet_urls(value)
    return urls


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_a_session_opened_by_websocket_alone_loads_css_from_this_server(server, path):
    slug = path.strip("/") or "app"
    urls = _stylesheet_urls(_pull_doc_of_a_fresh_session(server, slug))
    assert any(u.startswith("static/extensions/panel/") for u in urls), urls
    assert not [u for u in urls if "://" in u], urls  # Panel's CDN, before the fix


@pytest.mark.browser
def test_several_processes_serve_every_page_offline_and_stop_together(page, serving):
    # The `page` fixture fails the test on any request to another host; with two processes
    # many of these page loads open their websocket on the other process.
    port = serving.free_port()
    env = serving.serve_env(port, NUM_PROCS="2")
    with serving.serve_process(SERVE, port, env, log_name="two_procs_server.log") as base:
        for _ in range(3):
            for path in PAGE_PATHS:
                page.goto(base + path)
                page.wait_for_bokeh()
                page.wait_for_load_state("networkidle")
        # Leave the page first: an open page's reconnection attempts to a stopped server are
        # the browser's own console errors, not the notebook's.
        page.goto("about:blank")
    # serve.sh passed the stop signal on to both workers: soon nothing listens on the port.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=2)
        except OSError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("a server process outlived serve.sh")


# --- the Docker image, read (docker build cannot run here) ------------------------------------


def test_dockerfile_is_slim_pinned_non_root_healthchecked_and_secret_free():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, flags=re.M)
    assert "pip install --no-cache-dir -r requirements.txt" in text
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*liveness", text, flags=re.M)
    assert re.search(r'^CMD \["bash", "serve.sh"\]', text, flags=re.M)
    assert not re.search(r"^(ENV|ARG)\b.*(SECRET|KEY|TOKEN|PASSWORD)", text, flags=re.M | re.I)
    for needed in ["serve.sh", "pages", "ot_engine", "assets"]:
        assert re.search(rf"^COPY .*\b{re.escape(needed)}\b", text, flags=re.M), needed


def test_requirements_are_pinned_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][A-Za-z0-9.]*", line), line


@pytest.mark.parametrize("theme", ["%ff", "dark%00", "%C0%AF", "x" * 300])
def test_a_malformed_theme_in_a_link_still_gives_the_page(server, theme):
    # Panel decoded ?theme= as strict UTF-8 and answered HTTP 500; the shell decides it first.
    status, body = get(f"{server}/{registry.PAGES[0].slug}?theme={theme}")
    assert status == 200 and "background-color: #121212" not in body


def test_dark_theme_and_the_phone_viewport_reach_the_page_head(server):
    _, body = get(f"{server}/{registry.PAGES[0].slug}?theme=dark")
    head = body.split("</head>")[0]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in head
    assert "background-color: #121212" in head


# --- the proxy configuration in the repository --------------------------------------------


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_deploy_nginx_conf_is_valid_and_hides_versions(tmp_path):
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    wanted = ("server_tokens off;", "proxy_hide_header Server;", "limit_req zone=", "limit_conn ")
    for line in wanted:
        assert line in text
    # nginx -t on it, inside a minimal main config (plain listen: no certificate here)
    site = tmp_path / "site.conf"
    site.write_text(text.replace("listen 443 ssl;", "listen 127.0.0.1:18443;"))
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"error_log {tmp_path}/error.log;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{ include {site}; }}\n"
    )
    out = subprocess.run(["nginx", "-t", "-c", str(main)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
