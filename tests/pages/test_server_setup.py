"""pages/server_setup.py (run by ``panel serve --setup``) installs what it lists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json, runpy
runpy.run_path("pages/server_setup.py")
from bokeh.settings import settings
from pages import memory
from panel.reactive import Reactive
print(json.dumps({
    "event_hold": getattr(Reactive, "_ot_held", False),
    "validate_doc": settings.perform_document_validation(),
    "diagnostics": settings.perform_error_diagnostics(),
    "memory_hook": memory._installed is not None,
    "frozen": gc.get_freeze_count(),
}))
"""


def probe(**env: str) -> dict:
    """What a server process has installed after ``server_setup`` (``env`` added to the
    environment, ``HOLD_EVENTS`` left to its default unless given)."""
    base = {k: v for k, v in os.environ.items() if k != "HOLD_EVENTS"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **env},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_server_process_skips_per_load_checks_and_freezes_what_its_imports_built():
    state = probe()
    assert state["validate_doc"] is False and state["diagnostics"] is False
    assert state["memory_hook"]
    assert state["frozen"] > 10_000  # Panel, Bokeh and the pages' imports
    assert state["event_hold"]  # one message per browser event, unless HOLD_EVENTS=0


def test_hold_events_0_leaves_panels_event_path_alone():
    assert probe(HOLD_EVENTS="0")["event_hold"] is False
