"""A class on one server, on every interactive page: 30 students, 2 changes a second each.

Issue #15 asks for the class table on every page, not only the two slider pages that
``bench_class_load.py`` drives with a hand-written client. Writing such a client per page would
copy each page's JavaScript; this bench records it instead:

1. **Record.** Headless Chromium opens the page, focuses its main control and presses its key
   (the interactions of ``bench_page_load.py``: an arrow key on a slider, Shift+ArrowUp on a
   histogram bar, Enter on a button, ...) ``--presses`` times, 300 ms apart. Every websocket
   message the page sends for those presses is kept, with the document the page pulled.
2. **Replay.** Each student is ``bench_class_load``'s websocket client (GET, websocket, ``ACK``,
   ``PULL-DOC``, ``document_ready``), and twice a second sends what the next recorded press
   sent (a synced slider sends two messages, ``value`` then ``value_throttled``), in order and
   then round again (the first press's state differs from the last's, so each one
   is a change). Model ids differ per session: a recorded id is mapped to the model at the same
   place in this student's document (documents are built the same way each time; the types
   are checked).
3. **Answers.** A change is answered by the next ``PATCH-DOC`` that changes anything but the
   hidden URL writer or a progress bar. An answer answers every change still waiting (the
   pages coalesce), each with its own waiting time. A student holds its next change while one waits,
   for at most 250 ms, as ``assets/js/components/flow.js`` does.

Background work a page starts (the sweep of /domain_adaptation, the training of /wgan_critic,
the fitting of /flow_matching) runs as it would for a real class; its progress bars are not
answers.

    python3 bench/bench_class_every_page.py                       # every page, ~15 min
    python3 bench/bench_class_every_page.py --pages sinkhorn brenier --users 30

Bounded and local: this checkout's ``serve.sh`` on 127.0.0.1 only, users and duration capped.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import json
import os
import random
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import _browser
import bench_class_load as cl
import bench_page_load as pl

HOST = cl.HOST
#: The flow control's resend rule (flow.js): the held change goes out once the one in flight is
#: this old.
RESEND_AFTER_S = 0.25
#: Models whose change is not an answer: the hidden URL writer (``pages.query``), a background
#: job's progress bar.
NOT_ANSWERS = {"TextInput", "Progress"}
#: A progress report of a background job, as the pages write it (``shell.progress_bar``; a
#: status line ending in "…"; /sinkhorn's "(40 %: ...)"; the bar shown or hidden): not the
#: answer it announces.
PROGRESS_TEXT = re.compile(r"<progress |…\s*(</p>)?\s*$|\(\d+ %")


def is_progress(event: dict) -> bool:
    """True for a change that reports a job's progress.

    >>> is_progress({"attr": "text", "new": "&lt;p&gt;Working: solving…&lt;/p&gt;\\n"})
    True
    >>> is_progress({"attr": "text", "new": "&lt;progress max=&quot;100&quot; value=&quot;3&quot;"})
    True
    >>> is_progress({"attr": "text", "new": "&lt;p&gt;W₂ = 0.31&lt;/p&gt;"})
    False
    """
    if event.get("attr") == "visible":
        return True
    new = event.get("new")
    # Panel sends a pane's HTML escaped (the browser unescapes it)
    return isinstance(new, str) and PROGRESS_TEXT.search(html.unescape(new)) is not None


ID = re.compile(r'"(p\d+)"')
HEADER = (
    "| page | students | changes | sent | answered | p50 ms | p95 ms | max ms | replies/s "
    "| KB per reply | server CPU % | join s | RSS after joining MB | RSS peak MB | load avg |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def model_order(doc: dict) -> list[tuple[str, str]]:
    """(id, type) of every model defined in a document JSON, in the order it defines them
    (the same order for every session of a page). Panel's per-session class names
    (``ReadoutTable1``, ``ReadoutTable2``...) lose their digits."""
    found: dict[str, dict] = {}
    cl.walk_models(doc, found)
    return [(mid, re.sub(r"\d+$", "", node["name"])) for mid, node in found.items()]


@dataclass
class Recording:
    """What a page's JavaScript sent for a run of key presses, and the document it had."""

    page: str
    presses: list[list[list[str | bytes]]]  # per key press, its messages, each its frames
    order: list[tuple[str, str]]  # the recording session's models (model_order)

    def for_session(self, order: list[tuple[str, str]]) -> list[list[list[str | bytes]]]:
        """The presses with the recording's model ids replaced by another session's."""
        if [t for _, t in order] != [t for _, t in self.order]:
            raise RuntimeError(f"{self.page}: the documents of two sessions differ")
        mapping = {old: new for (old, _), (new, _) in zip(self.order, order, strict=True)}

        def swap(frame):
            if isinstance(frame, bytes):
                return frame
            return ID.sub(lambda m: f'"{mapping.get(m.group(1), m.group(1))}"', frame)

        return [[[swap(f) for f in message] for message in press] for press in self.presses]


def record(browser, base: str, page: str, presses: int) -> Recording:
    """Press the page's key ``presses`` times in Chromium; keep what it sent."""
    query, how, setup, key = pl.INTERACTIONS[page]
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    sent: list[str | bytes] = []
    pulled: list[dict] = []
    recording = {"on": False}

    def on_received(payload) -> None:
        if not pulled and isinstance(payload, str) and payload.startswith('{"doc"'):
            pulled.append(json.loads(payload)["doc"])

    def on_ws(ws) -> None:
        ws.on("framesent", lambda p: sent.append(p) if recording["on"] else None)
        ws.on("framereceived", on_received)

    tab.on("websocket", on_ws)
    tab.goto(f"{base}/{page}{query}")
    tab.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=90_000)
    tab.wait_for_timeout(2500)
    pl.focus(tab, how)
    for k in setup:
        tab.keyboard.press(k)
    tab.wait_for_timeout(800)
    recording["on"] = True
    starts = []
    for _ in range(presses):
        starts.append(len(sent))
        tab.keyboard.press(key)
        tab.wait_for_timeout(300)
    tab.wait_for_timeout(800)
    recording["on"] = False
    starts.append(len(sent))
    tab.close()
    if not pulled:
        raise RuntimeError(f"{page}: no document seen")
    by_press = []
    for lo, hi in itertools.pairwise(starts):
        messages = [
            m for m in split_frames(sent[lo:hi]) if json.loads(m[0]).get("msgtype") == "PATCH-DOC"
        ]
        if messages:
            by_press.append(messages)
    if not by_press:
        raise RuntimeError(f"{page}: the key sent nothing")
    return Recording(page, by_press, model_order(pulled[0]))


def split_frames(frames: list[str | bytes]) -> list[list[str | bytes]]:
    """Frames recorded in order, cut into messages at each header frame."""
    out: list[list[str | bytes]] = []
    for frame in frames:
        if isinstance(frame, str) and frame.startswith('{"msgid"'):
            out.append([])
        if out:
            out[-1].append(frame)
    return out


def with_new_id(message: list[str | bytes]) -> list[str | bytes]:
    header = json.loads(message[0])
    header["msgid"] = uuid.uuid4().hex.upper()
    return [json.dumps(header), *message[1:]]


@dataclass
class Student(cl.SessionClient):
    port: int
    page: str
    recording: Recording
    latencies: list[float] = field(default_factory=list)
    reply_bytes: list[int] = field(default_factory=list)
    replies: int = 0
    changes: int = 0
    sent: int = 0

    async def connect(self) -> None:
        doc = await self.open_session(self.port, self.page)
        order = model_order(doc.content["doc"])
        self.presses = self.recording.for_session(order)
        self.types = dict(order)
        await self.send(cl.message_frames("PATCH-DOC", cl.DOCUMENT_READY))
        self.outstanding: list[float] = []
        self.next_message = 0
        self.inflight_since: float | None = None
        self.held: list[float] = []

    def is_answer(self, message: cl.Message) -> bool:
        """A change of anything but the URL writer or a background job's progress report."""
        events = message.content.get("events", [])
        return any(
            self.types.get(e.get("model", {}).get("id")) not in NOT_ANSWERS and not is_progress(e)
            for e in events
            if isinstance(e, dict) and e.get("model", {}).get("id")
        )

    async def reader(self, measuring: asyncio.Event) -> None:
        pending_bytes = 0
        try:
            while True:
                message = await self.read_message()
                if message.header["msgtype"] != "PATCH-DOC":
                    continue  # OK acknowledgements of our own patches
                pending_bytes += message.nbytes
                if not self.is_answer(message):
                    continue
                now = time.perf_counter()
                answered, self.outstanding = self.outstanding, []
                if answered and measuring.is_set():
                    self.latencies.extend(now - t for t in answered)
                    self.replies += 1
                    self.reply_bytes.append(pending_bytes)
                pending_bytes = 0
                self.inflight_since = None
                if self.held:
                    await self.send_next(now)
        except (ConnectionError, asyncio.CancelledError):
            pass

    async def send_next(self, now: float) -> None:
        """The next recorded press's messages (the held changes ride on it: the newest state
        wins)."""
        press = self.presses[self.next_message % len(self.presses)]
        self.next_message += 1
        self.outstanding.extend(self.held)
        self.held = []
        self.inflight_since = now
        self.sent += 1
        for message in press:
            await self.send(with_new_id(message))

    async def move(self, rate: float, until: float, rng: random.Random) -> None:
        await asyncio.sleep(rng.uniform(0, 1 / rate))  # each student at its own phase
        next_at = time.perf_counter()
        while next_at < until:
            now = time.perf_counter()
            self.held.append(now)
            self.changes += 1
            if self.inflight_since is None or now - self.inflight_since > RESEND_AFTER_S:
                await self.send_next(now)
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


async def run_class(proc, port: int, recording: Recording, users: int, rate, seconds) -> dict:
    students = [Student(port, recording.page, recording) for _ in range(users)]
    measured = await cl.drive_class([proc], students, rate, seconds, settle=2.0)
    return {
        "page": recording.page,
        "users": users,
        "changes": sum(s.changes for s in students),
        "sent": sum(s.sent for s in students),
        **measured,
        "load": os.getloadavg()[0],
    }


def row(r: dict) -> str:
    return (
        f"| {r['page']} | {r['users']} | {r['changes']} | {r['sent']} | {r['answered']} "
        f"| {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} | {r['replies_per_s']:.0f} "
        f"| {r['kb_per_reply']:.1f} | {r['cpu_pct']:.0f} | {r['join_s']:.1f} "
        f"| {r['rss_idle_mb']:.0f} | {r['rss_peak_mb']:.0f} | {r['load']:.1f} |"
    )


def main() -> int:
    pages = [p for p, spec in pl.INTERACTIONS.items() if spec[1] and not p.startswith("floor")]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="+", default=pages, choices=pages)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--rate", type=float, default=2.0, help="changes per second per user")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--presses", type=int, default=12, help="key presses recorded per page")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.users > cl.MAX_USERS or args.seconds > cl.MAX_SECONDS or args.rate > 20:
        parser.error(f"bounded: at most {cl.MAX_USERS} users, {cl.MAX_SECONDS:g} s, 20/s")
    print(_measure_line())
    print(
        f"# {args.users} students, {args.rate:g} changes/s each, {args.seconds:g} s per page, "
        f"one process, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )
    print(HEADER, flush=True)
    results = []
    for page in args.pages:
        # A fresh server per page: each page's class starts from the same state.
        proc, base = _browser.start_server()
        port = int(base.rsplit(":", 1)[1])
        try:
            with _browser.chromium() as browser:
                recording = record(browser, base, page, args.presses)
            time.sleep(1.0)
            r = asyncio.run(run_class(proc, port, recording, args.users, args.rate, args.seconds))
        finally:
            _browser.stop_server(proc)
        results.append(r)
        print(row(r), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def _measure_line() -> str:
    import _measure

    return _measure.cpu_line()


if __name__ == "__main__":
    sys.exit(main())
