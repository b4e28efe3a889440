"""A class on one server: simulated students move a slider, the server answers each change.

Each simulated student is a small websocket client that speaks Bokeh's protocol directly (no
browser, no ``bokeh.client``, which stalls after ~100 updates and adds ~40 ms per round trip):

1. ``GET /<page>`` creates the session, exactly as a browser's page load does; the session
   token is read from the page's HTML;
2. ``ws://127.0.0.1:PORT/<page>/ws`` with subprotocols ``["bokeh", token]``; the server's
   ``ACK``, then ``PULL-DOC-REQ`` -> ``PULL-DOC-REPLY`` (the whole document, to find the slider's
   model id), then the ``document_ready`` event the browser sends (Panel's onload hooks run on it);
3. twice a second (each student at its own phase) the student moves the slider, and the client
   sends what the page's JavaScript sends for that move:

   - ``/kl_vs_wasserstein`` (a synced Panel slider): a ``PATCH-DOC`` setting the slider's
     ``value`` and one setting ``value_throttled``, open loop; a change is answered by the next
     ``PATCH-DOC`` carrying new plot data, and that reply answers every change still waiting
     (the page coalesces: latest value wins), each with its own waiting time;
   - ``/transport_plan`` (an unsynced Bokeh slider, assets/js/transport_plan_eps.js): a
     ``PATCH-DOC`` setting the request source ``tp_eps_request``'s ``data`` to
     ``{log_eps: [value]}``, with the shared flow control (assets/js/components/flow.js): one
     request in flight; a move made while one waits is kept (newest wins) and sent when the
     server's answer (a change of ``tp_answer``'s ``data``) arrives, or at its next move if the
     request in flight is older than 250 ms (the page also sends it then by a timer). A change
     is answered by the answer whose ``eps`` is its value's (or a later value's) ε, so a move
     held back by flow control waits for the answer to its own request.

``--validate`` checks the client against a real headless Chromium page: both move the slider to
the same value on a fresh session; what they send must be the same events (models named by
type, not id), and the server's reply must change the same model types and properties with the
same readout text.

Bounded and local: the server is this checkout's ``serve.sh`` on 127.0.0.1 only, users and
duration are capped, every session is closed at the end of its run.

    python3 bench/bench_class_load.py                      # the README table (~4.5 min)
    python3 bench/bench_class_load.py --users 25 --seconds 5 --pages transport_plan
    python3 bench/bench_class_load.py --validate
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import _browser
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

HOST = _browser.HOST  # loopback only, on purpose
MAX_USERS = 300
MAX_SECONDS = 60.0

#: Page -> (how to find its slider in the document, values a student moves it between).
SLIDERS = {
    # ε slider (log10 of ε / max C) between 10^-3 and 10^-1.
    "transport_plan": ({"name": "tp_eps_slider"}, (-3.0, -1.0)),
    "kl_vs_wasserstein": ({"title": "shift s (centre of q)"}, None),
}
#: Pages whose slider is not synced: its moves go through a request source (by model name),
#: with one request in flight, and the server answers on an answer source.
REQUESTS = {"transport_plan": ("tp_eps_request", "tp_answer")}
#: transport_plan_eps.js sends the pending move anyway once the request in flight is this old.
RESEND_AFTER_S = 0.25


def transport_plan_eps(log10_value: float) -> float:
    """The ε fraction the server answers for a slider position (pages/transport_plan.py's
    ``_slider_eps``: 3 significant digits), to tell which request an answer is for."""
    return float(f"{10**log10_value:.3g}")


# --- Bokeh's wire protocol ---------------------------------------------------------------------


def message_frames(msgtype: str, content: dict) -> list[str]:
    """The three text frames of a client message: header, metadata, content."""
    header = {"msgid": uuid.uuid4().hex.upper(), "msgtype": msgtype}
    return [json.dumps(header), "{}", json.dumps(content)]


def patch_value(model_id: str, value: float) -> list[list[str]]:
    """What Chromium sends for one slider step: ``value``, then ``value_throttled``."""
    return [
        message_frames(
            "PATCH-DOC",
            {
                "events": [
                    {"kind": "ModelChanged", "model": {"id": model_id}, "attr": a, "new": value}
                ]
            },
        )
        for a in ("value", "value_throttled")
    ]


def patch_request(source_id: str, value: float) -> list[list[str]]:
    """What transport_plan_eps.js sends for one request: the source's whole ``data``."""
    event = {
        "kind": "ModelChanged",
        "model": {"id": source_id},
        "attr": "data",
        "new": {"type": "map", "entries": [["log_eps", [value]]]},
    }
    return [message_frames("PATCH-DOC", {"events": [event]})]


def decode_data(new) -> dict:
    """A ``ColumnDataSource.data`` as sent in a ``ModelChanged`` event (a map of plain lists
    for the small sources read here)."""
    if isinstance(new, dict) and new.get("type") == "map":
        return dict(new.get("entries", []))
    return new if isinstance(new, dict) else {}


DOCUMENT_READY = {
    "events": [
        {
            "kind": "MessageSent",
            "msg_type": "bokeh_event",
            "msg_data": {
                "type": "event",
                "name": "document_ready",
                "values": {"type": "map"},
            },
        }
    ]
}


@dataclass
class Message:
    header: dict
    content: dict
    nbytes: int  # every frame of the message, buffers included


class Assembler:
    """Turns websocket frames back into whole messages: header, metadata, content, then a
    text buffer header and a binary payload per buffer (``num_buffers`` in the header)."""

    def __init__(self) -> None:
        self._frames: list[str | bytes] = []
        self._expected = 3

    def feed(self, frame: str | bytes) -> Message | None:
        self._frames.append(frame)
        if len(self._frames) == 1:
            self._expected = 3 + 2 * int(json.loads(frame).get("num_buffers", 0))
        if len(self._frames) < self._expected:
            return None
        frames, self._frames = self._frames, []
        return to_message(frames)


def to_message(frames: list[str | bytes]) -> Message:
    nbytes = sum(len(f.encode() if isinstance(f, str) else f) for f in frames)
    return Message(json.loads(frames[0]), json.loads(frames[2]), nbytes)


def split_recorded(frames: list[str | bytes]) -> list[Message]:
    """Messages from frames recorded by Playwright, which leaves out empty binary frames (so
    buffers cannot be counted): a new message starts at each header frame."""
    messages, current = [], []
    for frame in frames:
        if isinstance(frame, str) and frame.startswith('{"msgid"') and current:
            messages.append(to_message(current))
            current = []
        current.append(frame)
    if current:
        messages.append(to_message(current))
    return messages


def walk_models(node, found: dict[str, dict]) -> None:
    """Every model defined in a document JSON: id -> {"name": ..., "attributes": ...}."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "id" in node and "name" in node:
            found[node["id"]] = node
        for value in node.values():
            walk_models(value, found)
    elif isinstance(node, list):
        for value in node:
            walk_models(value, found)


def find_named(models: dict[str, dict], name: str) -> dict:
    for model in models.values():
        if model.get("attributes", {}).get("name") == name:
            return model
    raise LookupError(f"no model named {name!r} in the document")


def find_slider(models: dict[str, dict], match: dict) -> dict:
    for model in models.values():
        attrs = model.get("attributes", {})
        if model["name"] == "Slider" and all(attrs.get(k) == v for k, v in match.items()):
            return model
    raise LookupError(f"no Slider with {match} in the document")


TOKEN_RE = re.compile(r'"token":\s*"([A-Za-z0-9_\-.]+)"')


def fetch_token(port: int, page: str, cookie: str = "") -> tuple[str, int, str]:
    """GET the page (this creates the session) and read its token from the HTML.

    Also returns the cookies the answer set (``name=value; ...``), which a browser sends back
    with the page's websocket: behind deploy/nginx.conf they route it to the same backend.
    ``cookie`` is sent with the GET, as a browser returning with a route cookie would.
    """
    request = urllib.request.Request(f"http://{HOST}:{port}/{page}")
    if cookie:
        request.add_header("Cookie", cookie)
    with urllib.request.urlopen(request, timeout=60) as response:
        html = response.read().decode("utf-8", "replace")
        set_cookies = response.headers.get_all("Set-Cookie") or []
    match = TOKEN_RE.search(html)
    if match is None:
        raise RuntimeError("no session token in the page HTML")
    cookies = "; ".join(c.split(";", 1)[0].strip() for c in set_cookies)
    return match.group(1), len(html), cookies


# --- one student ---------------------------------------------------------------------------


class SessionClient:
    """A browser's page session over Bokeh's protocol: what every simulated student shares."""

    ws: object
    assembler: Assembler

    async def open_session(self, port: int, page: str, cookie: str = "") -> Message:
        """GET the page (the session is built), open its websocket with the session's token as
        a browser does, read the ``ACK`` and pull the document (returned)."""
        loop = asyncio.get_running_loop()
        token, _, cookies = await loop.run_in_executor(None, fetch_token, port, page, cookie)
        headers = {"Origin": f"http://{HOST}:{port}"}
        if cookies:
            headers["Cookie"] = cookies
        request = HTTPRequest(f"ws://{HOST}:{port}/{page}/ws", headers=headers)
        self.ws = await websocket_connect(
            request, subprotocols=["bokeh", token], max_message_size=64 * 2**20
        )
        self.ws.protocol.stream.set_nodelay(True)  # as a browser does
        self.assembler = Assembler()
        ack = await self.read_message()
        assert ack.header["msgtype"] == "ACK", ack.header
        await self.send(message_frames("PULL-DOC-REQ", {}))
        doc = await self.read_message()
        while doc.header["msgtype"] == "PATCH-DOC":  # a change made before the pull: in it
            doc = await self.read_message()
        assert doc.header["msgtype"] == "PULL-DOC-REPLY", doc.header
        return doc

    async def send(self, frames: list[str | bytes]) -> None:
        for frame in frames:
            await self.ws.write_message(frame, binary=isinstance(frame, bytes))

    async def read_message(self) -> Message:
        while True:
            frame = await self.ws.read_message()
            if frame is None:
                raise ConnectionError("websocket closed")
            message = self.assembler.feed(frame)
            if message is not None:
                return message

    def close(self) -> None:
        self.ws.close()


@dataclass
class Student(SessionClient):
    port: int
    page: str
    latencies: list[float] = field(default_factory=list)
    reply_bytes: list[int] = field(default_factory=list)
    replies: int = 0
    sent: int = 0  # moves of the slider
    requests: int = 0  # change messages sent for them (fewer under flow control)
    errors: list[str] = field(default_factory=list)
    cookie: str = ""  # sent with the page load (e.g. a known route cookie behind nginx)

    async def connect(self) -> None:
        doc = await self.open_session(self.port, self.page, self.cookie)
        self.models: dict[str, dict] = {}
        walk_models(doc.content["doc"], self.models)
        match, values = SLIDERS[self.page]
        slider = find_slider(self.models, match)
        self.slider_id = slider["id"]
        attrs = slider["attributes"]
        self.values = values or (attrs["start"], attrs["end"])
        self.request_id = self.answer_id = None
        if self.page in REQUESTS:
            request_name, answer_name = REQUESTS[self.page]
            request_source = find_named(self.models, request_name)
            self.request_id = request_source["id"]
            self.answer_id = find_named(self.models, answer_name)["id"]
        await self.send(message_frames("PATCH-DOC", DOCUMENT_READY))
        # Changes (times of the moves) sent and waiting for an answer; with a request source,
        # as (move time, ε it asks for), plus the moves held back by the flow control.
        self.outstanding: list = []
        self.held: list[float] = []
        self.inflight = False
        self.pending: float | None = None
        # As transport_plan_eps.js, the position the page started at counts as sent: a move
        # back to it sends nothing (the figure already shows it).
        self.last_sent: float | None = None
        if self.request_id is not None:
            initial = decode_data(request_source["attributes"].get("data")).get("log_eps")
            self.last_sent = initial[0] if isinstance(initial, list) and initial else None
        self.sent_at = 0.0

    def change_frames(self, value: float) -> list[list[str]]:
        """What the page sends for one move of its slider to ``value``."""
        if self.request_id is not None:
            return patch_request(self.request_id, value)
        return patch_value(self.slider_id, value)

    async def send_change(self, value: float) -> None:
        for frames in self.change_frames(value):
            await self.send(frames)

    def answer_eps(self, message: Message) -> float | None:
        """The ε of the last ``tp_answer`` change in this message (None if there is none)."""
        found = None
        for event in message.content.get("events", []):
            if event.get("attr") == "data" and event.get("model", {}).get("id") == self.answer_id:
                # A ColumnDataChanged event (whole data replaced) carries it as "data".
                new = event.get("data", event.get("new"))
                eps = decode_data(new).get("eps") or [None]
                found = eps[0] if eps[0] is not None else float("nan")
        return found

    def is_answer(self, message: Message) -> bool:
        """A PATCH-DOC that redraws the figure (new data for a plot), not just a URL sync."""
        return any(
            event.get("attr") == "data"
            and self.models.get(event.get("model", {}).get("id", ""), {}).get("name")
            == "ColumnDataSource"
            and event.get("model", {}).get("id") != self.request_id
            for event in message.content.get("events", [])
        )

    async def reader(self, measuring: asyncio.Event) -> None:
        pending_bytes = 0
        try:
            while True:
                message = await self.read_message()
                if message.header["msgtype"] != "PATCH-DOC":
                    continue  # OK acknowledgements of our own patches
                pending_bytes += message.nbytes
                now = time.perf_counter()
                if self.request_id is not None:
                    eps = self.answer_eps(message)
                    if eps is None:
                        continue
                    answered = self.answered_by(eps)
                else:
                    if not self.is_answer(message):
                        continue
                    answered, self.outstanding = self.outstanding, []
                if answered and measuring.is_set():
                    self.latencies.extend(now - t for t in answered)
                    self.replies += 1
                    self.reply_bytes.append(pending_bytes)
                pending_bytes = 0
                if self.request_id is not None:
                    await self.release(now)
        except (ConnectionError, asyncio.CancelledError):
            pass

    def answered_by(self, eps: float) -> list[float]:
        """Moves answered by an answer for ``eps``: those sent up to the request asking it."""
        asked = [e for _, e in self.outstanding]
        if eps not in asked:
            return []  # an answer to something else (the ack still releases the flow)
        last = len(asked) - 1 - asked[::-1].index(eps)
        answered = [t for t, _ in self.outstanding[: last + 1]]
        self.outstanding = self.outstanding[last + 1 :]
        return answered

    async def release(self, now: float) -> None:
        """flow.js's ``flow_ack``: an answer frees the flow; send the held move if any."""
        if not self.inflight:
            return
        self.inflight = False
        if self.pending is not None:
            await self.send_request(now)

    async def send_request(self, now: float) -> None:
        """flow.js's ``flow_send``: the newest position unless the server has it."""
        value, self.pending = self.pending, None
        held, self.held = self.held, []
        if value == self.last_sent:
            self.inflight = False
            self.latencies.extend(now - t for t in held)  # already on screen
            return
        self.last_sent, self.inflight, self.sent_at = value, True, now
        self.outstanding.extend((t, transport_plan_eps(value)) for t in held)
        self.requests += 1
        await self.send_change(value)

    async def move(self, rate: float, until: float, rng: random.Random) -> None:
        low, high = self.values
        await asyncio.sleep(rng.uniform(0, 1 / rate))  # each student at its own phase
        next_at = time.perf_counter()
        value = None
        while next_at < until:
            previous, value = value, round(rng.uniform(low, high), 2)
            if value == previous:  # an unchanged value gets no reply
                value = round(value + 0.01 if value < high else value - 0.01, 2)
            now = time.perf_counter()
            if self.request_id is not None:
                self.pending = value
                self.held.append(now)
                if not self.inflight or now - self.sent_at > RESEND_AFTER_S:
                    await self.send_request(now)
            else:
                self.outstanding.append(now)
                self.requests += 1
                await self.send_change(value)
            self.sent += 1
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


# --- the server ----------------------------------------------------------------------------


def server_pids(root_pid: int) -> list[int]:
    """serve.sh and all its descendants (the panel process and any forked workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def server_usage(root_pid: int) -> tuple[float, float]:
    """(RSS in MB summed over the server's python processes, their CPU seconds so far)."""
    rss_kb, ticks = 0, 0
    for pid in server_pids(root_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            if "python" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        rss_kb += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return rss_kb / 1024, ticks / os.sysconf("SC_CLK_TCK")


# --- one run -------------------------------------------------------------------------------


def usage(procs: list[subprocess.Popen]) -> tuple[float, float]:
    """(RSS in MB, CPU seconds) summed over every server (several behind a proxy)."""
    totals = [server_usage(p.pid) for p in procs]
    return sum(t[0] for t in totals), sum(t[1] for t in totals)


async def drive_class(procs: list, students: list, rate: float, seconds: float, settle=1.0) -> dict:
    """Join ``students`` (a few page loads at a time, as a class arriving), let the pages
    settle, let every student move for ``seconds`` at ``rate``, and measure what they waited
    for and what the servers spent. A student has ``connect()``, ``reader(measuring)``,
    ``move(rate, until, rng)``, ``close()``, and collects ``latencies`` (s), ``replies`` and
    ``reply_bytes``."""
    gate = asyncio.Semaphore(8)

    async def join(student) -> None:
        async with gate:
            await student.connect()

    t0 = time.perf_counter()
    await asyncio.gather(*(join(s) for s in students))
    join_s = time.perf_counter() - t0
    rss_idle, _ = usage(procs)

    measuring = asyncio.Event()
    readers = [asyncio.create_task(s.reader(measuring)) for s in students]
    await asyncio.sleep(settle)  # let onload work and first renders settle
    measuring.set()
    print("# measuring", file=sys.stderr, flush=True)  # a mark for profilers (py-spy)
    rss_peak = 0.0
    _, cpu0 = usage(procs)
    start = time.perf_counter()
    until = start + seconds
    rng = random.Random(1)
    movers = [
        asyncio.create_task(s.move(rate, until, random.Random(rng.random()))) for s in students
    ]
    while time.perf_counter() < until:
        await asyncio.sleep(0.5)
        rss_peak = max(rss_peak, usage(procs)[0])
    await asyncio.gather(*movers)
    await asyncio.sleep(min(5.0, 1.0 + seconds / 4))  # answers still on their way count
    elapsed = time.perf_counter() - start
    _, cpu1 = usage(procs)
    for task in readers:
        task.cancel()
    for s in students:
        s.close()

    latencies = [x for s in students for x in s.latencies]
    nbytes = [b for s in students for b in s.reply_bytes]
    return {
        "answered": len(latencies),
        "p50_ms": 1000 * _browser.percentile(latencies, 0.50),
        "p95_ms": 1000 * _browser.percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies, default=float("nan")),
        "replies_per_s": sum(s.replies for s in students) / seconds,
        "kb_per_reply": statistics.fmean(nbytes) / 1024 if nbytes else float("nan"),
        "cpu_pct": 100 * (cpu1 - cpu0) / elapsed,
        "rss_idle_mb": rss_idle,
        "rss_peak_mb": rss_peak,
        "join_s": join_s,
    }


async def run_class(
    procs: list[subprocess.Popen], port: int, page: str, users: int, rate: float, seconds: float
) -> dict:
    students = [Student(port, page) for _ in range(users)]
    measured = await drive_class(procs, students, rate, seconds)
    return {
        "page": page,
        "users": users,
        "rate": rate,
        "seconds": seconds,
        "changes": sum(s.sent for s in students),
        "requests": sum(s.requests for s in students),
        **measured,
    }


def row(r: dict) -> str:
    return (
        f"| {r['page']} | {r['users']} | {r['rate']:g}/s | {r['changes']} | {r['requests']} | "
        f"{r['answered']} | "
        f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} | {r['replies_per_s']:.0f} | "
        f"{r['kb_per_reply']:.1f} | {r['cpu_pct']:.0f} | {r['rss_idle_mb']:.0f} | "
        f"{r['rss_peak_mb']:.0f} |"
    )


HEADER = (
    "| page | users | changes each | changes | change messages | answered | p50 ms | p95 ms | "
    "max ms | replies/s | KB per reply | server CPU % | RSS after joining MB | RSS peak MB |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


# --- validation against Chromium ----------------------------------------------------------


def model_role(model: dict) -> str:
    """A model named by what it is, not by its id: its type without the numbered suffix
    Panel gives per-session classes (``ReadoutTable1``, ``ReadoutTable2``), plus its
    ``name`` when the page gave it one (``tp_eps_request``)."""
    role = re.sub(r"\d+$", "", model.get("name", "?"))
    name = model.get("attributes", {}).get("name")
    if not isinstance(name, str) or re.sub(r"\d+$", "", name) == role:
        return role  # no name, or Panel's automatic one (``ReadoutTable00296``)
    return f"{role}[{name}]"


def reply_signature(models: dict[str, dict], replies: list[Message]) -> tuple:
    """What the server's replies to one change changed, independent of model ids: the
    (model role, attribute) pairs and the new value of every text attribute (timings masked)."""
    changed, texts = set(), set()
    for reply in replies:
        for event in reply.content.get("events", []):
            model = models.get(event.get("model", {}).get("id", ""), {})
            changed.add((model_role(model), event.get("attr", event.get("kind"))))
            if isinstance(event.get("new"), str):  # timings differ run to run
                texts.add(re.sub(r"[0-9.]+ ms", "<t> ms", event["new"]))
    return tuple(sorted(changed)), tuple(sorted(texts))


def sent_signature(models: dict[str, dict], messages: list[Message]) -> tuple:
    """What a client sent for one move: each PATCH-DOC's events, model ids as roles."""
    sent = []
    for message in messages:
        if message.header["msgtype"] != "PATCH-DOC":
            continue
        for event in message.content.get("events", []):
            event = dict(event)
            if "model" in event:
                event["model"] = model_role(models.get(event["model"].get("id", ""), {}))
            sent.append(json.dumps(event, sort_keys=True))
    return tuple(sent)


def browser_reply(port: int, page: str, value: float) -> tuple:
    """Chromium moves the slider to ``value``: what it sent, and what the server replied."""
    received: list[str | bytes] = []
    sent: list[str | bytes] = []

    def record(ws) -> None:
        ws.on("framereceived", lambda f: received.append(f))
        ws.on("framesent", lambda f: sent.append(f))

    with _browser.chromium() as browser:
        pg = browser.new_page()
        pg.on("websocket", record)
        pg.goto(f"http://{HOST}:{port}/{page}")
        pg.wait_for_function("() => window.Bokeh && Object.keys(Bokeh.index).length > 0")
        pg.wait_for_timeout(1500)
        mark, sent_mark = len(received), len(sent)
        match, _ = SLIDERS[page]
        # Change the slider's value in the browser's document as a user's drag does (value on
        # every step, value_throttled at the end); the page's own JavaScript then sends what
        # it sends (a synced slider's properties, or transport_plan's eps request).
        pg.evaluate(
            """([match, value]) => {
              for (const m of Bokeh.documents[0].all_models) {
                if (m.type !== "Slider") continue;
                if (Object.entries(match).every(([k, v]) => m[k] === v)) {
                  m.value = value; m.value_throttled = value; return;
                }
              }
              throw new Error("slider not found");
            }""",
            [match, value],
        )
        pg.wait_for_timeout(1500)
    models: dict[str, dict] = {}
    messages = split_recorded(received[:mark])
    for message in messages:
        if message.header["msgtype"] == "PULL-DOC-REPLY":
            walk_models(message.content["doc"], models)
    replies = [m for m in split_recorded(received[mark:]) if m.header["msgtype"] == "PATCH-DOC"]
    return sent_signature(models, split_recorded(sent[sent_mark:])), reply_signature(
        models, replies
    )


async def client_reply(port: int, page: str, value: float) -> tuple:
    student = Student(port, page)
    await student.connect()
    await asyncio.sleep(1.5)
    while True:  # drain what onload sent
        try:
            await asyncio.wait_for(student.read_message(), timeout=0.3)
        except TimeoutError:
            break
    frames = student.change_frames(value)
    for message in frames:
        await student.send(message)
    replies = []
    deadline = time.perf_counter() + 1.5  # the same window as the browser's
    while (left := deadline - time.perf_counter()) > 0:
        try:
            message = await asyncio.wait_for(student.read_message(), timeout=left)
        except TimeoutError:
            break
        if message.header["msgtype"] == "PATCH-DOC":
            replies.append(message)
    student.close()
    sent = [to_message(message) for message in frames]
    return sent_signature(student.models, sent), reply_signature(student.models, replies)


def validate(port: int, pages: list[str]) -> bool:
    ok = True
    for page in pages:
        value = -2.5 if page == "transport_plan" else 0.9
        sent_b, reply_b = browser_reply(port, page, value)
        sent_c, reply_c = asyncio.run(client_reply(port, page, value))
        for what, b, c in (("sent", sent_b, sent_c), ("reply", reply_b, reply_c)):
            same = b == c and bool(c and c[0])
            ok &= same
            shown = list(c) if what == "sent" else list(c[0])
            print(
                f"{page}: value {value}: {what} from Chromium and from the client "
                f"{'match' if same else 'DIFFER'}: {shown}"
            )
            if not same:
                print("  chromium:", b)
                print("  client:  ", c)
    return ok


# --- main ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--rate", type=float, default=2.0, help="changes per second per user")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pages", nargs="+", default=list(SLIDERS), choices=list(SLIDERS))
    parser.add_argument("--num-procs", type=int, default=1)
    parser.add_argument(
        "--backends", type=int, default=0, help="N one-process servers behind nginx instead"
    )
    parser.add_argument("--validate", action="store_true", help="compare with real Chromium")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if max(args.users) > MAX_USERS or args.seconds > MAX_SECONDS or args.rate > 20:
        parser.error(f"bounded: at most {MAX_USERS} users, {MAX_SECONDS:g} s, 20 changes/s")

    port = _browser.free_port()
    proxy = None
    if args.backends:
        # Several one-process servers behind deploy/nginx.conf (limits off: one address).
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy"))
        import local_proxy

        origins = f"{HOST}:{port},localhost:{port}"
        servers = [_browser.start_server(None, 1, origins=origins) for _ in range(args.backends)]
        procs = [proc for proc, _ in servers]
        ports = [int(base.rsplit(":", 1)[1]) for _, base in servers]
        scratch = Path(f"/tmp/ot-bench-proxy-{os.getpid()}")
        proxy = local_proxy.start(port, ports, scratch, limits=False)
    else:
        procs = [_browser.start_server(port, args.num_procs)[0]]
    try:
        if args.validate:
            return 0 if validate(port, args.pages) else 1
        results = []
        setup = (
            f"{args.backends} one-process backends behind nginx (deploy/nginx.conf)"
            if args.backends
            else f"NUM_PROCS={args.num_procs}"
        )
        print(
            f"# {args.rate:g} changes/s per user, {args.seconds:g} s per run, {setup}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
        )
        print(HEADER)
        for page in args.pages:
            for users in args.users:
                r = asyncio.run(run_class(procs, port, page, users, args.rate, args.seconds))
                results.append(r)
                print(row(r), flush=True)
                time.sleep(2.0)  # closed sessions are cleaned up between classes
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for proc in procs:
            _browser.stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
