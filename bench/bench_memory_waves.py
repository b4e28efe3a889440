"""Server memory as a class comes and goes: sessions opened and closed in waves, RSS per wave.

One ``serve.sh`` on loopback (its own settings, plus any ``--env KEY=VALUE``). Three ways in:

- ``--waves W --per-wave N``: W waves; each opens N *connected* sessions (the page load, its
  websocket, ``PULL-DOC`` and ``document_ready``, as a browser does; the pages taken in turn),
  holds them all open, closes them, and waits until the server has dropped them
  (``SESSION_LIFETIME`` after the close, then pages/memory.py's trim). Printed per wave: RSS
  before, at the wave's peak, and after; a leak shows as "after" climbing wave by wave.
- ``--burst N``: N plain page loads, 10 at a time, whose websockets never connect (a burst of
  reloads, or a script): the loads past ``PAGE_LOADS`` are refused with a 503, the rest expire
  after ``SESSION_LIFETIME``. Printed: RSS before, peak, after expiry.
- ``--slope K``: per page (after two sessions that import its modules), K connected sessions
  held open at once: (RSS with them - RSS before) / K, the memory each connected student costs.

Bounded and local: 127.0.0.1 only, at most 2,000 sessions per run, all closed at the end.

    python3 bench/bench_memory_waves.py --waves 10 --per-wave 100
    python3 bench/bench_memory_waves.py --burst 30 --pages kl_vs_wasserstein --env PAGE_LOADS=3
    python3 bench/bench_memory_waves.py --slope 10 --pages all
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _browser
import _measure
import bench_class_load as proto

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pages import registry  # noqa: E402 - needs the repository root on the path

MAX_SESSIONS = 2000
WAVE_PAGES = ["transport_plan", "kl_vs_wasserstein", "brenier", "one_dimension"]


def rss(proc: subprocess.Popen) -> float:
    return proto.server_usage(proc.pid)[0]


def cpu(proc: subprocess.Popen) -> float:
    """CPU seconds the server has used so far."""
    return proto.server_usage(proc.pid)[1]


class Session:
    """One page's session, opened as a browser opens it (a 503 from the page gate is retried
    after its Retry-After, as the refusal page does)."""

    def __init__(self, port: int, page: str) -> None:
        self.port, self.page, self.ws = port, page, None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(60):
            try:
                token, *_ = await loop.run_in_executor(
                    None, proto.fetch_token, self.port, self.page
                )
                break
            except urllib.error.HTTPError as err:
                if err.code != 503:
                    raise
                await asyncio.sleep(2)
        else:
            raise RuntimeError(f"/{self.page}: refused 60 times")
        request = proto.HTTPRequest(
            f"ws://{proto.HOST}:{self.port}/{self.page}/ws",
            headers={"Origin": f"http://{proto.HOST}:{self.port}"},
        )
        self.ws = await proto.websocket_connect(
            request, subprotocols=["bokeh", token], max_message_size=64 * 2**20
        )
        assembler = proto.Assembler()

        async def read() -> proto.Message:
            while True:
                frame = await asyncio.wait_for(self.ws.read_message(), 120)
                if frame is None:
                    raise ConnectionError("websocket closed")
                message = assembler.feed(frame)
                if message is not None:
                    return message

        assert (await read()).header["msgtype"] == "ACK"
        for frame in proto.message_frames("PULL-DOC-REQ", {}):
            await self.ws.write_message(frame)
        while (await read()).header["msgtype"] != "PULL-DOC-REPLY":
            pass
        for frame in proto.message_frames("PATCH-DOC", proto.DOCUMENT_READY):
            await self.ws.write_message(frame)

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


async def open_many(port: int, pages: list[str], n: int, at_once: int = 4) -> list[Session]:
    gate = asyncio.Semaphore(at_once)
    sessions = [Session(port, pages[k % len(pages)]) for k in range(n)]

    async def one(s: Session) -> None:
        async with gate:
            await s.open()

    await asyncio.gather(*(one(s) for s in sessions))
    return sessions


def settle(proc: subprocess.Popen, lifetime_s: float, timeout: float = 90.0) -> float:
    """RSS once closed sessions are dropped (lifetime + 1 s check) and trimmed (5 s later):
    wait that long, then until RSS stops falling."""
    time.sleep(lifetime_s + 1 + 5 + 1)
    deadline = time.monotonic() + timeout
    last = rss(proc)
    while time.monotonic() < deadline:
        time.sleep(2)
        now = rss(proc)
        if now >= last - 0.5:
            return now
        last = now
    return last


async def hold_and_close(proc, port: int, pages: list[str], n: int) -> tuple[float, float]:
    """Open ``n`` sessions, then close them all: (RSS with them open, seconds to open)."""
    t0 = time.perf_counter()
    sessions = await open_many(port, pages, n)
    opened_s = time.perf_counter() - t0
    await asyncio.sleep(1)
    held = rss(proc)
    for s in sessions:
        s.close()
    await asyncio.sleep(0.5)  # the close frames go out before this loop ends
    return held, opened_s


def waves(proc, port, pages, count, per_wave, lifetime_s) -> list[dict]:
    rows = []
    for w in range(count):
        before, cpu0 = rss(proc), cpu(proc)
        peak, opened_s = asyncio.run(hold_and_close(proc, port, pages, per_wave))
        cpu_ms = 1000 * (cpu(proc) - cpu0) / per_wave
        after = settle(proc, lifetime_s)
        row = dict(wave=w + 1, before=before, peak=peak, after=after, cpu_ms=cpu_ms)
        row["load"] = _browser.load_average()
        rows.append(row)
        print(
            f"| {w + 1} | {per_wave} | {before:.0f} | {peak:.0f} | {after:.0f} | "
            f"{(peak - before) / per_wave:.2f} | {opened_s:.0f} | {cpu_ms:.0f} | "
            f"{row['load']:.1f} |",
            flush=True,
        )
    return rows


def burst(proc, base, pages, n, lifetime_s) -> dict:
    def load(k: int) -> int:
        try:
            with urllib.request.urlopen(f"{base}/{pages[k % len(pages)]}", timeout=300) as r:
                r.read()
                return r.status
        except urllib.error.HTTPError as err:
            return err.code

    before, cpu0 = rss(proc), cpu(proc)
    peak = before
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(load, k) for k in range(n)]
        while not all(f.done() for f in futures):
            time.sleep(0.2)
            peak = max(peak, rss(proc))
        statuses = [f.result() for f in futures]
    time.sleep(0.5)
    peak, cpu1 = max(peak, rss(proc)), cpu(proc)
    after = settle(proc, lifetime_s)
    out = dict(before=before, peak=peak, after=after, load=_browser.load_average())
    out["served"], out["refused"] = statuses.count(200), statuses.count(503)
    out["cpu_ms"] = 1000 * (cpu1 - cpu0) / max(1, out["served"])
    return out


def slope(proc, port, pages, k, lifetime_s) -> None:
    print("| page | sessions | RSS before MB | RSS with them MB | MB per session | load |")
    print("| --- | --- | --- | --- | --- | --- |")
    for page in pages:
        # The page's first session imports its modules and fills per-class caches, once.
        asyncio.run(hold_and_close(proc, port, [page], 2))
        before = settle(proc, lifetime_s)
        held, _ = asyncio.run(hold_and_close(proc, port, [page], k))
        print(
            f"| /{page} | {k} | {before:.0f} | {held:.0f} | {(held - before) / k:.2f} | "
            f"{_browser.load_average():.1f} |",
            flush=True,
        )
        settle(proc, lifetime_s)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waves", type=int, default=0)
    parser.add_argument("--per-wave", type=int, default=100)
    parser.add_argument("--burst", type=int, default=0, help="page loads that never connect")
    parser.add_argument("--slope", type=int, default=0, help="sessions held per page")
    parser.add_argument("--pages", nargs="+", default=WAVE_PAGES)
    parser.add_argument("--warm", type=int, default=8, help="sessions opened before measuring")
    parser.add_argument("--lifetime", type=int, default=2000, help="SESSION_LIFETIME, ms")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for serve.sh")
    args = parser.parse_args()
    pages = [i.slug for i in registry.ALL] if args.pages == ["all"] else args.pages
    total = args.waves * args.per_wave + args.burst + args.slope * len(pages)
    if total > MAX_SESSIONS or not total:
        parser.error(f"bounded: 1 to {MAX_SESSIONS} sessions per run")
    os.environ["SESSION_LIFETIME"] = str(args.lifetime)
    for item in args.env:
        key, _, value = item.partition("=")
        os.environ[key] = value
    lifetime_s = args.lifetime / 1000
    print(f"# CPU: {_measure.cpu_line()}; {os.cpu_count()} CPUs")
    print(f"# serve.sh with SESSION_LIFETIME={args.lifetime} {' '.join(args.env)}")
    print(f"# load average {_browser.load_average():.1f} at start")
    proc, base = _browser.start_server()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    port = int(base.rsplit(":", 1)[1])
    try:
        asyncio.run(_warm(port, pages, args.warm))
        print(f"# after {args.warm} warm-up sessions: {settle(proc, lifetime_s):.0f} MB")
        if args.burst:
            r = burst(proc, base, pages, args.burst, lifetime_s)
            print(
                f"burst of {args.burst}: {r['served']} served, {r['refused']} refused; RSS "
                f"{r['before']:.0f} -> peak {r['peak']:.0f} -> {r['after']:.0f} MB after expiry "
                f"({100 * (r['after'] / r['before'] - 1):+.1f} %); "
                f"server CPU {r['cpu_ms']:.0f} ms per served load (refusals included); "
                f"load {r['load']:.1f}"
            )
        if args.waves:
            print(
                "| wave | sessions | RSS before MB | RSS peak MB | RSS after MB | "
                "MB per session | open s | CPU ms per session | load |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            rows = waves(proc, port, pages, args.waves, args.per_wave, lifetime_s)
            first = rows[0]["peak"]
            last = rows[-1]["after"]
            worst = max(r["peak"] for r in rows)
            print(
                f"first wave's peak {first:.0f} MB; highest peak {worst:.0f} MB "
                f"({100 * (worst / first - 1):+.1f} %); after the last wave {last:.0f} MB; "
                f"after the first {rows[0]['after']:.0f} MB"
            )
        if args.slope:
            slope(proc, port, pages, args.slope, lifetime_s)
        print(f"# load average {_browser.load_average():.1f} at the end")
    finally:
        _browser.stop_server(proc)
    return 0


async def _warm(port: int, pages: list[str], n: int) -> None:
    for s in await open_many(port, pages, n):
        s.close()
    await asyncio.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
