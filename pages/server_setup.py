"""Run by ``panel serve --setup`` (serve.sh) in each server process before it serves anything:
the safety hooks of :mod:`pages.compat` that act on the server rather than on one page.

* every browser PATCH-DOC is checked (declared properties, sizes) before Bokeh applies it,
  PUSH-DOC is refused, and failures are answered with a fixed text;
* a message may announce at most a few binary buffers;
* no ``Server`` header;
* at most ``PAGE_LOADS`` page GETs at once (serve.sh's environment), the others a quick 503;
* a click or a pick on a choice widget is answered without Panel's 50 ms hold;
* small arrays go inside a message's JSON, not as two more websocket frames each;
* no per-load document validation or error diagnostics (the tests validate every page);
* built pages are frozen for Python's collector, so its pauses stay short (``pages/memory.py``);
* the effects of one widget change or button click go out as one message (``HOLD_EVENTS=0``
  turns it off, for comparisons). It was off for a while: a CI run once lost the last of five
  quick key presses on /wgan_critic with it on. That page then answered some presses twice,
  its second answer writing the slider back; no page does now (tests/pages/test_page.py), and
  the keyboard tests of every page pass with the hold on a loaded machine.
"""

import os

from pages import compat

compat.install_patch_guard()
compat.install_buffer_cap()
compat.hide_server_header()
compat.install_page_gate(int(os.environ.get("PAGE_LOADS", "8")))
compat.serve_fast()  # choices at once, small arrays inline, no per-load checks, frozen pages
if os.environ.get("HOLD_EVENTS", "1") != "0":
    compat.install_event_hold()
