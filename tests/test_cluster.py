"""Several server processes behind nginx (deploy/nginx.conf), as a course would deploy them.

Two backends (plain ``serve.sh`` processes on their own ports) behind the repository's nginx
configuration, run on loopback by deploy/local_proxy.py: a class of protocol clients spreads
over both, every page's websocket reaches the backend that built its session (sticky by the
route cookie), and stopping a backend in the middle of a class leaves its students a clear
"connection lost" notice whose reload brings the same view back from the live backend. A second
nginx runs the file with its per-address limits on, for a hostile client and a burst of loads.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tornado import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "deploy"))
import bench_class_load as proto  # noqa: E402 - the bench's protocol client
import local_proxy  # noqa: E402

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PAGE = "kl_vs_wasserstein"

if NGINX is None and os.environ.get("CI"):
    pytest.fail("nginx is not installed (install.sh installs it)", pytrace=False)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backend:
    """One ``serve.sh`` on its own port, in its own process group (so it can be stopped)."""

    def __init__(self, port: int, proxy_ports: list[int], log: Path) -> None:
        self.port = port
        origins = ",".join(f"{h}:{p}" for p in proxy_ports for h in ("127.0.0.1", "localhost"))
        env = dict(os.environ, PORT=str(port), ADDRESS="127.0.0.1", ALLOWED_ORIGINS=origins)
        env.pop("BOKEH_SECRET_KEY", None)
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                ["bash", str(ROOT / "serve.sh")],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/liveness", timeout=2)
                return
            except OSError:
                time.sleep(0.25)
        raise TimeoutError(f"backend on {self.port} did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("proxy")
    proxy_port, limited_port = _free_port(), _free_port()
    backends = [
        Backend(_free_port(), [proxy_port, limited_port], scratch / f"backend{k}.log")
        for k in (0, 1)
    ]
    proxies = []
    try:
        for b in backends:
            b.wait_ready()
        ports = [b.port for b in backends]
        # Limits off: the whole class comes from one address here.
        proxies.append(local_proxy.start(proxy_port, ports, scratch, limits=False))
        # The file exactly as deployed (per-address limits on), for the hostile client.
        proxies.append(local_proxy.start(limited_port, ports, scratch / "limited"))
        yield {
            "port": proxy_port,
            "base": f"http://127.0.0.1:{proxy_port}",
            "limited_port": limited_port,
            "backends": backends,
            "scratch": scratch,
        }
    finally:
        for proxy in proxies:
            proxy.terminate()
            proxy.wait(timeout=10)
        for b in backends:
            b.stop()


def test_a_class_spreads_over_both_backends_and_each_websocket_stays_with_its_session(
    cluster, run_async
):
    # Route ids known to hash to each backend, so the spread is not left to chance (8 random
    # ids all land on one backend about once in a hundred runs).
    cookies = [f"ot_route={r}" for r in route_ids_per_backend(cluster, 4)]

    async def lesson():
        students = [proto.Student(cluster["port"], PAGE, cookie=c) for c in cookies]
        for s in students:
            await s.connect()
        for k, s in enumerate(students):
            await proto_round_trip(s, 1.0 + 0.25 * k)
        for s in students:
            s.close()

    run_async(lesson)
    # nginx logs a websocket when it closes: wait for all eight.
    deadline = time.monotonic() + 30
    while True:
        by_route, paths = routes(cluster["scratch"])
        full = [r for r in by_route if paths[r] == {f"/{PAGE}", f"/{PAGE}/ws"}]
        if len(full) >= 8 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(full) >= 8, paths  # every student's load and websocket went through nginx
    assert all(len(by_route[r]) == 1 for r in full), by_route  # sticky
    used = {next(iter(by_route[r])) for r in full}
    assert len(used) == 2, used  # eight students spread over both backends


def route_ids_per_backend(cluster, count: int) -> list[str]:
    """``count`` route ids for each backend, learnt from where nginx sends a /liveness probe."""
    found = defaultdict(list)
    for _ in range(200):
        route = uuid.uuid4().hex
        request = urllib.request.Request(f"{cluster['base']}/liveness?probe={route}")
        request.add_header("Cookie", f"ot_route={route}")
        urllib.request.urlopen(request, timeout=10).close()
        rows = [r for r in local_proxy.access_log(cluster["scratch"]) if r["route"] == route]
        if rows and len(found[rows[-1]["upstream"]]) < count:
            found[rows[-1]["upstream"]].append(route)
        if len(found) == len(cluster["backends"]) and all(len(v) == count for v in found.values()):
            return [r for ids in zip(*found.values(), strict=True) for r in ids]
    raise AssertionError(f"200 random route ids did not reach every backend: {dict(found)}")


def routes(scratch: Path) -> tuple[dict, dict]:
    """Per route cookie: the backends that served the page's requests, and their paths."""
    by_route, paths = defaultdict(set), defaultdict(set)
    for row in local_proxy.access_log(scratch):
        path = row["request"].split(" ")[1]
        if path.startswith(f"/{PAGE}"):
            by_route[row["route"]].add(row["upstream"])
            paths[row["route"]].add(path.split("?")[0])
    return by_route, paths


async def proto_round_trip(student, value: float, timeout: float = 30.0) -> None:
    """One slider change answered by the page (as tests/test_hostile.py measures it)."""
    await student.send_change(value)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = await asyncio.wait_for(student.read_message(), timeout)
        if message.header.get("msgtype") == "PATCH-DOC" and student.is_answer(message):
            return
    raise TimeoutError("no answer through the proxy")


# --- one hostile client, through the proxy as deployed (per-address limits on) --------------


def frames(msgtype: str, content) -> list[str]:
    """One Bokeh protocol message; ``content`` may be a string that is not JSON at all."""
    header = json.dumps({"msgid": f"h{time.monotonic_ns()}", "msgtype": msgtype})
    return [header, "{}", content if isinstance(content, str) else json.dumps(content)]


def forged_tags(model_id: str, tags: list) -> list[str]:
    """A change of ``tags``, which no page lets a browser write."""
    event = {"kind": "ModelChanged", "model": {"id": model_id}, "attr": "tags", "new": tags}
    return frames("PATCH-DOC", {"events": [event]})


async def closed_by_server(student, message: list[str]) -> bool:
    """Send ``message``; True once the server (through nginx) closes the websocket."""
    await student.send(message)
    try:
        for _ in range(200):
            await asyncio.wait_for(student.read_message(), 20)
    except (ConnectionError, TimeoutError, websocket.WebSocketClosedError):
        return True
    return False


def test_through_nginx_a_hostile_client_is_refused_and_another_is_still_answered(
    cluster, run_async
):
    """A raw websocket client behind the deployed proxy sends forged, high-rate, malformed and
    oversized messages while a normal student drags: every hostile message is refused (its
    session kept until it sends something that is not a message at all), and the student is
    answered throughout. Outcomes only; the delays are printed, not asserted."""
    port = cluster["limited_port"]

    async def scenario():
        normal = proto.Student(port, PAGE)
        await normal.connect()
        hostile = proto.Student(port, "transport_plan")
        await hostile.connect()
        flood = 300

        async def attack() -> list[str]:
            await hostile.send(forged_tags(hostile.slider_id, ["x" * 60] * 2000))
            for k in range(flood):  # high rate: as fast as the socket takes them
                await hostile.send(forged_tags(hostile.slider_id, [k]))
            errors = []
            while len(errors) < flood + 1:
                message = await asyncio.wait_for(hostile.read_message(), 60)
                if message.header["msgtype"] == "ERROR":
                    errors.append(message.content.get("text", ""))
            return errors

        async def drag() -> list[float]:
            delays = []
            for k in range(6):
                t0 = time.perf_counter()
                await proto_round_trip(normal, 0.5 + 0.4 * k)
                delays.append(time.perf_counter() - t0)
            return delays

        errors, delays = await asyncio.gather(attack(), drag())
        # the hostile session is kept, its state untouched
        await hostile.send(proto.message_frames("PULL-DOC-REQ", {}))
        while (reply := await hostile.read_message()).header["msgtype"] != "PULL-DOC-REPLY":
            pass
        models: dict = {}
        proto.walk_models(reply.content["doc"], models)
        tags = models[hostile.slider_id]["attributes"].get("tags")
        # then not a message at all, and a message above WS_MAX_MESSAGE: each closes its socket
        malformed = await closed_by_server(hostile, frames("PATCH-DOC", "{not json"))
        big = proto.Student(port, "transport_plan")
        await big.connect()
        oversized = await closed_by_server(big, frames("PATCH-DOC", {"pad": "x" * 400_000}))
        after = time.perf_counter()
        await proto_round_trip(normal, 3.0)  # the student is still answered
        delays.append(time.perf_counter() - after)
        normal.close()
        was = hostile.models[hostile.slider_id]["attributes"].get("tags")
        return errors, (was, tags), malformed, oversized, delays

    errors, (was, tags), malformed, oversized, delays = run_async(
        lambda: asyncio.wait_for(scenario(), 240)
    )
    print("student's answers (ms) during and after the attack:", [round(d * 1e3) for d in delays])
    assert errors == ["message refused"] * len(errors) and len(errors) == 301, set(errors)
    assert tags == was, str(tags)[:200]
    assert malformed, "content that is not JSON must close the connection"
    assert oversized, "a message above WS_MAX_MESSAGE must close the connection"


def test_nginx_limits_a_burst_of_page_loads_and_names_no_server_version(cluster, run_async):
    """The deployed proxy: one address's burst of page loads is cut at the configured burst
    (429 at once), an open session is still answered, and no response names a server
    version (neither nginx's nor Tornado's)."""
    port = cluster["limited_port"]
    base = f"http://127.0.0.1:{port}"
    burst_allowed = int(re.search(r"zone=ot_pages burst=(\d+)", local_proxy.CONF.read_text())[1])
    per_second = 30 / 60  # rate=30r/m
    loads = burst_allowed + 60

    def get(path: str) -> tuple[int, str | None, bytes]:
        try:
            with urllib.request.urlopen(base + path, timeout=60) as r:
                return r.status, r.headers.get("Server"), r.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Server"), err.read()

    async def scenario():
        normal = proto.Student(port, PAGE)
        await normal.connect()
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        # The limit acts before the request reaches a backend, so a path the backends answer
        # with a cheap 404 stands for a page load here (no session built per request).
        with ThreadPoolExecutor(10) as pool:
            got = await asyncio.gather(
                *(loop.run_in_executor(pool, get, f"/no-such-page-{k}") for k in range(loads))
            )
        elapsed = time.perf_counter() - start
        await proto_round_trip(normal, 2.0)  # an open session is untouched by the limit
        normal.close()
        return got, elapsed

    got, elapsed = run_async(lambda: asyncio.wait_for(scenario(), 180))
    statuses = [status for status, _, _ in got]
    passed = len(statuses) - statuses.count(429)
    print(f"{loads} loads in {elapsed:.1f} s: {passed} passed, {statuses.count(429)} refused (429)")
    assert set(statuses) <= {404, 429}, set(statuses)
    assert passed <= burst_allowed + 1 + per_second * elapsed + 1, (passed, elapsed)
    assert 429 in statuses
    liveness = get("/liveness")
    for _, server, body in [*got, liveness]:
        assert server in (None, "nginx"), server  # `server_tokens off`, no TornadoServer
        assert not re.search(rb"nginx/\d|tornado", body, re.I), body[:200]
    assert liveness[0] == 200


@pytest.mark.browser
def test_a_stopped_backend_leaves_a_reload_notice_and_reload_restores_the_view(
    cluster, open_watched_page
):
    base = cluster["base"]
    with open_watched_page(viewport={"width": 1000, "height": 800}) as page:
        page.goto(f"{base}/{PAGE}?shift=2.5")
        page.wait_for_bokeh()
        page.locator("table.kvw-readouts").wait_for()
        route = next(c["value"] for c in page.context.cookies() if c["name"] == "ot_route")
        served = {
            row["upstream"]
            for row in local_proxy.access_log(cluster["scratch"])
            if row["route"] == route and row["request"].split(" ")[1].startswith(f"/{PAGE}")
        }
        assert len(served) == 1, served  # page and websocket on one backend
        port = int(served.pop().rsplit(":", 1)[1])
        victim = next(b for b in cluster["backends"] if b.port == port)
        victim.stop()
        notice = page.locator("#ot-connection-lost")
        notice.wait_for(timeout=20_000)
        assert notice.get_attribute("role") == "alert"
        assert "Reload" in notice.inner_text()
        # The lost websocket is reported on the console; nothing else may be.
        page.watch.console_errors = [
            e for e in page.watch.console_errors if "websocket" not in e.lower()
        ]
        notice.get_by_role("button", name="Reload").click()
        page.wait_for_load_state()
        page.wait_for_bokeh()
        page.locator("table.kvw-readouts").wait_for()  # the figure is drawn again
        assert "shift=2.5" in page.url
        # The live backend answers: a change reaches it and comes back into the address.
        page.wait_for_function("() => !document.getElementById('ot-connection-lost')")
        page.evaluate(
            """() => {
              const slider = [...Bokeh.documents[0].all_models].find(
                m => typeof m.title === 'string' && m.title.startsWith('shift s'));
              slider.value = 1.0;
            }"""
        )
        page.wait_for_function(
            "() => location.search.includes('shift=1&') || location.search.endsWith('shift=1')"
        )


def test_backends_script_starts_one_server_per_port(tmp_path):
    env = dict(os.environ, SERVE_DRY_RUN="1", BACKENDS="3", FIRST_PORT="6100")
    out = subprocess.run(
        ["bash", str(ROOT / "deploy" / "backends.sh")], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "panel serve" in line]
    ports = sorted(int(re.search(r"--port (\d+) ", line).group(1)) for line in lines)
    assert ports == [6100, 6101, 6102]
    for line in lines:
        assert "--num-procs 1 " in line
        assert "--address 127.0.0.1" in line and "--use-xheaders" in line
    bad = subprocess.run(
        ["bash", str(ROOT / "deploy" / "backends.sh")],
        env=dict(env, BACKENDS="0"),
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "BACKENDS" in bad.stderr
