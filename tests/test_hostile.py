"""One hostile client beside a normal one: the hostile messages are refused, the normal
client's answers stay prompt, and the server keeps little memory.

Both clients speak Bokeh's websocket protocol directly (bench/bench_class_load.py's client
code), on loopback, against serve.sh as the README runs it. The normal client moves
/kl_vs_wasserstein's shift slider and times each answer: alone first, then while the hostile
client on /transport_plan sends oversized, forged, malformed and rapid messages.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pages import registry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import bench_class_load as proto  # noqa: E402 - the bench's protocol client

PAGE = "kl_vs_wasserstein"
HOSTILE_PAGE = "transport_plan"
ROUNDS = 12
EXTRA_DELAY_S = 0.5  # the goal: at most this much extra delay for another session
RSS_GROWTH_MB = 30


@pytest.fixture(scope="module")
def hostile_server(serving):
    port = serving.free_port()
    env = serving.serve_env(port)
    with serving.serve_process(
        ["bash", str(ROOT / "serve.sh")], port, env, log_name="hostile.log"
    ) as base:
        yield port, base


def panel_pid(port: int) -> int | None:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "panel serve" in text and f"--port {port} " in text:
            return int(cmdline.parent.name)
    return None


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


async def round_trip(student: proto.Student, value: float, timeout: float = 10.0) -> float:
    """Move the slider to ``value``; seconds until the figure's answer arrives."""
    start = time.perf_counter()
    await student.send_change(value)
    deadline = start + timeout
    while True:
        message = await asyncio.wait_for(student.read_message(), deadline - time.perf_counter())
        if student.is_answer(message):
            return time.perf_counter() - start


async def measure(student: proto.Student, rounds: int, offset: float) -> list[float]:
    lo, hi = student.values
    out = []
    for k in range(rounds):
        value = lo + (hi - lo) * ((k * 0.37 + offset) % 1.0)
        out.append(await round_trip(student, round(value, 3)))
        await asyncio.sleep(0.05)
    return out


def frames(msgtype: str, content) -> list[str]:
    header = {"msgid": f"h{time.monotonic_ns()}", "msgtype": msgtype}
    return [json.dumps(header), "{}", content if isinstance(content, str) else json.dumps(content)]


def change(model_id: str, attr: str, new) -> list[str]:
    event = {"kind": "ModelChanged", "model": {"id": model_id}, "attr": attr, "new": new}
    return frames("PATCH-DOC", {"events": [event]})


class Hostile(proto.Student):
    """A transport_plan session that sends what no page sends; collects the ERROR replies."""

    async def attack(self) -> dict:
        bars = proto.find_named(self.models, "tp_p")["id"] if self._has("tp_p") else None
        target = bars or self.request_id
        plan_id = self.slider_id
        errors: list[str] = []
        sends = [
            # a bar source set to a big list (refused by size, before Bokeh decodes it)
            change(target, "data", {"type": "map", "entries": [["top", [0.5] * 30_000]]}),
            # a property the page never lets the browser write
            change(plan_id, "tags", ["x" * 60] * 3000),
            change(self.answer_id, "data", {"type": "map", "entries": [["seq", [1]]]}),
            # a bar sync of the wrong length (accepted by the guard, refused by the histogram)
            change(target, "data", {"type": "map", "entries": [["x", [0.1]], ["top", [0.2]]]}),
            # nonsense
            change("no-such-model", "value", 1),
            frames("PATCH-DOC", {"events": [{"kind": "RootAdded"}]}),
            frames("PUSH-DOC", {"doc": {}}),
            change(plan_id, "value", [[[[[[[[[[[[1]]]]]]]]]]]]),
        ]
        for message in sends:
            await self.send(message)
        # high rate: 1,000 small forged patches as fast as the socket takes them
        for k in range(1000):
            await self.send(change(plan_id, "tags", [k]))
        # read the replies that came back (errors for the refused ones)
        end = time.perf_counter() + 5
        while time.perf_counter() < end:
            try:
                message = await asyncio.wait_for(self.read_message(), 0.5)
            except TimeoutError:
                break
            if message.header["msgtype"] == "ERROR":
                errors.append(message.content.get("text", ""))
        return {"errors": errors}

    async def malformed(self) -> bool:
        """Content that is not JSON: True if the server closed the connection."""
        await self.send(frames("PATCH-DOC", "{not json"))
        try:
            for _ in range(50):
                await asyncio.wait_for(self.read_message(), 5)
        except (ConnectionError, TimeoutError):
            pass
        return self.ws.close_code is not None

    def _has(self, name: str) -> bool:
        try:
            proto.find_named(self.models, name)
        except LookupError:
            return False
        return True


async def oversized(port: int) -> bool:
    """A 400 KB message (above WS_MAX_MESSAGE): True if the server closed the socket."""
    student = proto.Student(port, HOSTILE_PAGE)
    await student.connect()
    await student.send(frames("PATCH-DOC", {"events": [], "pad": "x" * 400_000}))
    try:
        for _ in range(50):
            await asyncio.wait_for(student.read_message(), 5)
    except (ConnectionError, TimeoutError):
        pass
    closed = student.ws.protocol is None or student.ws.close_code is not None
    student.close()
    return closed


def test_a_hostile_client_is_refused_and_does_not_stall_another(hostile_server, run_async):
    port, _ = hostile_server
    pid = panel_pid(port)

    async def scenario():
        normal = proto.Student(port, PAGE)
        await normal.connect()
        await measure(normal, 3, 0.0)  # warm up
        before = await measure(normal, ROUNDS, 0.1)
        rss_before = rss_mb(pid) if pid else None
        hostile = Hostile(port, HOSTILE_PAGE)
        await hostile.connect()
        attack = asyncio.ensure_future(hostile.attack())
        during = await measure(normal, ROUNDS, 0.2)
        report = await attack
        closed = await oversized(port)
        after_msgs = await measure(normal, 4, 0.3)
        # the hostile page's server state took none of it
        await hostile.send(proto.message_frames("PULL-DOC-REQ", {}))
        doc = None
        for _ in range(100):
            message = await asyncio.wait_for(hostile.read_message(), 10)
            if message.header["msgtype"] == "PULL-DOC-REPLY":
                doc = message
                break
        closed_malformed = await hostile.malformed()
        hostile.close()
        normal.close()
        assert closed_malformed, "content that is not JSON must close the connection"
        rss_after = rss_mb(pid) if pid else None
        doc = (doc, hostile.models[hostile.slider_id])
        return before, during, after_msgs, report, closed, doc, rss_before, rss_after

    before, during, after_msgs, report, closed, doc, rss_before, rss_after = run_async(
        lambda: asyncio.wait_for(scenario(), 50)
    )
    print(
        f"alone {statistics.median(before) * 1e3:.0f} ms (max {max(before) * 1e3:.0f}); "
        f"under attack {statistics.median(during) * 1e3:.0f} ms (max {max(during) * 1e3:.0f}); "
        f"RSS {rss_before} -> {rss_after} MB; {len(report['errors'])} errors"
    )
    # the normal client: answered throughout, at most EXTRA_DELAY_S later than alone
    assert max(during) <= max(before) + EXTRA_DELAY_S, (before, during)
    assert max(after_msgs) <= max(before) + EXTRA_DELAY_S, after_msgs
    # the hostile messages: refused, with a fixed text that echoes nothing
    assert len(report["errors"]) >= 1000, len(report["errors"])
    assert set(report["errors"]) == {"message refused"}, set(report["errors"])
    assert closed, "a message above WS_MAX_MESSAGE must close the connection"
    reply, slider = doc
    models: dict = {}
    proto.walk_models(reply.content["doc"], models)
    tags = models[slider["id"]]["attributes"].get("tags")
    assert tags == slider["attributes"].get("tags"), str(tags)[:200]
    if rss_before is not None:
        assert rss_after - rss_before <= RSS_GROWTH_MB, (rss_before, rss_after)


def test_responses_do_not_name_the_server(hostile_server):
    _, base = hostile_server
    with urllib.request.urlopen(base + "/liveness", timeout=10) as response:
        assert response.headers.get("Server") is None
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(base + "/no-such-page", timeout=10)
    assert err.value.headers.get("Server") is None


class Forger:
    """A raw session of any registered page: its document's models, and forged changes."""

    def __init__(self, port: int, slug: str) -> None:
        self.port, self.slug = port, slug

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        token, *_ = await loop.run_in_executor(None, proto.fetch_token, self.port, self.slug)
        request = proto.HTTPRequest(
            f"ws://{proto.HOST}:{self.port}/{self.slug}/ws",
            headers={"Origin": f"http://{proto.HOST}:{self.port}"},
        )
        self.ws = await proto.websocket_connect(request, subprotocols=["bokeh", token])
        self.assembler = proto.Assembler()
        assert (await self.read()).header["msgtype"] == "ACK"
        self.models = await self.pull()

    async def read(self) -> proto.Message:
        while True:
            frame = await asyncio.wait_for(self.ws.read_message(), 20)
            if frame is None:
                raise ConnectionError("websocket closed")
            message = self.assembler.feed(frame)
            if message is not None:
                return message

    async def pull(self) -> dict:
        for frame in proto.message_frames("PULL-DOC-REQ", {}):
            await self.ws.write_message(frame)
        while True:
            message = await self.read()
            if message.header["msgtype"] == "PULL-DOC-REPLY":
                models: dict = {}
                proto.walk_models(message.content["doc"], models)
                return models

    def forgeries(self) -> list[tuple[str, str, object]]:
        """(model id, attribute, value) no page accepts from a browser."""
        out = []
        for model_id, model in self.models.items():
            kind = model["name"]
            if kind == "ColumnDataSource":
                big = {"type": "map", "entries": [["x", [0.5] * 30_000]]}
                out += [(model_id, "data", big), (model_id, "name", "forged")]
            elif kind == "CustomJS":
                out.append((model_id, "code", "alert(1)"))
            elif kind in ("Column", "Row", "figure", "Figure"):
                out += [(model_id, "children", []), (model_id, "tags", ["x" * 60] * 1000)]
        return out

    async def attack(self) -> list[str]:
        """Send every forgery; the ERROR texts that came back, one per refused message."""
        sent = self.forgeries()
        for model_id, attr, new in sent:
            for frame in change(model_id, attr, new):
                await self.ws.write_message(frame)
        errors = []
        while len(errors) < len(sent):
            message = await self.read()
            if message.header["msgtype"] == "ERROR":
                errors.append(message.content.get("text", ""))
        return errors


@pytest.mark.parametrize("slug", [info.slug for info in registry.ALL])
def test_every_page_refuses_forged_changes_and_keeps_its_state(hostile_server, run_async, slug):
    """Each registered page, new ones included: a browser may only change what the page
    declared, within its sizes; everything else is refused with a fixed text and changes
    nothing, and the session goes on."""
    port, _ = hostile_server

    async def scenario():
        forger = Forger(port, slug)
        await forger.connect()
        sent = forger.forgeries()
        errors = await forger.attack()
        after = await forger.pull()  # the session still answers
        forger.ws.close()
        return forger.models, sent, errors, after

    before, sent, errors, after = run_async(lambda: asyncio.wait_for(scenario(), 60))
    assert sent, "every page has sources or layouts to forge"
    assert errors == ["message refused"] * len(sent)
    for model_id, attr, _ in sent:
        was, now = (refs(m[model_id]["attributes"].get(attr)) for m in (before, after))
        if attr == "data":  # the page may have redrawn the source itself: not with ours
            for _, column in now["entries"]:
                length = column["shape"][0] if isinstance(column, dict) else len(column)
                assert length < 30_000, (slug, model_id)
        else:
            assert now == was, (slug, model_id, attr)


def refs(value):
    """A document value with each model, whether defined in place or referenced, as its id."""
    if isinstance(value, dict):
        if "id" in value:
            return value["id"]
        return {k: refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [refs(v) for v in value]
    return value


def test_after_a_burst_of_page_loads_the_memory_returns(serving):
    """30 loads of the heaviest page, 10 at a time, sessions that never connect: past
    PAGE_LOADS the loads are refused at once, and once the sessions expire the server is back
    within 10 % of its size before the burst, with serve.sh's default allocator (Python's own,
    plus pages/memory.py's trim: README, "Memory")."""
    port = serving.free_port()
    env = serving.serve_env(port, SESSION_LIFETIME="1000", PAGE_LOADS="3")
    env.pop("PYTHONMALLOC", None)
    with serving.serve_process(["bash", str(ROOT / "serve.sh")], port, env, "burst.log") as base:
        pid = panel_pid(port)
        assert pid is not None

        def load(_=None) -> int:
            try:
                with urllib.request.urlopen(base + "/kl_vs_wasserstein", timeout=300) as r:
                    r.read()
                    return r.status
            except urllib.error.HTTPError as err:
                return err.code

        def settled_rss(limit: float | None = None, timeout: float = 60.0) -> float:
            """RSS once the sessions expired and the memory hook ran (it no longer falls)."""
            deadline = time.monotonic() + timeout
            last = rss_mb(pid)
            while time.monotonic() < deadline:
                time.sleep(3)
                now = rss_mb(pid)
                if (limit is not None and now <= limit) or (limit is None and now >= last):
                    return now
                last = now
            return last

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(3) as pool:
            assert set(pool.map(load, range(6))) == {200}
        time.sleep(8)  # expired (1 s), then trimmed (5 s after)
        before = settled_rss()
        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(load, range(30)))
        # At most 3 loads queue at once (PAGE_LOADS): the others are refused at once.
        assert set(statuses) == {200, 503}, statuses
        after = settled_rss(limit=before * 1.10)
    print(f"RSS {before:.0f} MB before the burst, {after:.0f} MB after its sessions expired")
    assert after <= before * 1.10, (before, after)
