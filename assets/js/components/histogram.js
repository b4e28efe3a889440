// A draggable histogram's browser code: one CustomJS per histogram (flow.js is prepended), so
// the shared flow code is carried once per histogram. Args: source (columns x, top), answer
// (the flow's answer model), ymax, label.
// Run by the figure's pan / tap events (cb_obj is the event): drag a bar. Run by a change of
// the figure's inner_width (cb_obj is the figure, once it has a size): the keyboard path.

// Ask the flow to send the bars (an in-place edit is synced only when forced).
function send_bars() {
  flow_request(source, answer, () => source.data.top,
               () => source.setv({data: source.data}, {check_eq: false}));
}

// Drag a bar (mouse and touch both come through Bokeh's pan and tap events). The bars change
// here at once, with no round trip; the server hears of them through the flow (one write in
// flight, the newest sent on the answer), so it never gets a backlog.
function drag_bar(ev) {
  const data = source.data;
  const xs = data.x;
  const top = data.top;
  const n = xs.length;
  if (n === 0 || ev.x == null || ev.y == null) {
    return;
  }
  const dx = n > 1 ? xs[1] - xs[0] : 1;
  const lo = xs[0] - dx / 2;
  const drag = source.__ot_drag || (source.__ot_drag = {i: null, y: null});
  const i = Math.min(n - 1, Math.max(0, Math.floor((ev.x - lo) / dx)));
  const y = Math.min(ymax, Math.max(0, ev.y));
  const kind = ev.event_name;
  if (kind === "panend") {
    // The moves painted the bars already; a pan ended by the browser (pointercancel) reports a
    // position that is not the finger's, so it paints nothing.
  } else if (kind === "panstart" || kind === "tap" || drag.i === null) {
    flow_known(source, answer, top);  // what the server holds (it may have sent new bars)
    top[i] = y;
  } else {
    // Paint every bar crossed since the last event, heights on the straight line between.
    const i0 = drag.i;
    const y0 = drag.y;
    const step = i >= i0 ? 1 : -1;
    for (let k = i0; k !== i + step; k += step) {
      const t = i === i0 ? 1 : (k - i0) / (i - i0);
      top[k] = y0 + t * (y - y0);
    }
  }
  drag.i = kind === "pan" || kind === "panstart" ? i : null;
  drag.y = y;
  source.change.emit();  // redraw in the browser now
  send_bars();
}

// Keyboard: Tab focuses the histogram; Left/Right pick a bar, Up/Down change its height (Shift:
// bigger steps), Home/End jump to the ends. The picked bar is the source's selection.
function set_up_keys(fig) {
  // A finger dragging a bar must not scroll the page: otherwise the browser takes the gesture
  // over after a few pixels (pointercancel) and the drag stops there.
  const view = ot_figure_view(fig, "none");
  if (view == null || view.el.__ot_keys) {
    return;
  }
  const el = view.el;
  el.__ot_keys = true;
  el.tabIndex = 0;
  el.style.outline = "none";  // a ring only for keyboard focus (below)
  el.setAttribute("role", "group");
  el.setAttribute("aria-label",
    label + ": Left and Right pick a bar, Up and Down change its height");
  el.addEventListener("focus", () => {
    if (!el.matches(":focus-visible")) {
      return;  // a click with the mouse: no focus ring, no keyboard cursor
    }
    el.style.outline = "3px solid var(--ot-focus-theme, #c45200)";  // the notebook's ring
    el.style.outlineOffset = "2px";
    if (source.selected.indices.length === 0) {
      // Start on a bar that can be seen: the tallest (a zero-height bar's outline is
      // invisible, so the keyboard cursor seemed to be nowhere).
      const top = source.data.top;
      let best = Math.floor(top.length / 2);
      for (let k = 0; k < top.length; k++) { if (top[k] > top[best]) { best = k; } }
      source.selected.indices = [best];
    }
  });
  el.addEventListener("blur", () => {
    el.style.outline = "none";
    source.selected.indices = [];
  });
  el.addEventListener("keydown", (e) => {
    const n = source.data.x.length;
    const sel = source.selected.indices;
    let i = sel.length > 0 ? sel[0] : 0;
    const top = source.data.top;
    if (e.key === "ArrowLeft") {
      i = Math.max(0, i - 1);
    } else if (e.key === "ArrowRight") {
      i = Math.min(n - 1, i + 1);
    } else if (e.key === "Home") {
      i = 0;
    } else if (e.key === "End") {
      i = n - 1;
    } else if (e.key === "ArrowUp" || e.key === "ArrowDown") {
      flow_known(source, answer, top);
      const step = (e.shiftKey ? 0.1 : 0.02) * (e.key === "ArrowUp" ? 1 : -1);
      top[i] = Math.min(ymax, Math.max(0, top[i] + step));
      source.change.emit();
      send_bars();
    } else {
      return;
    }
    e.preventDefault();
    source.selected.indices = [i];
  });
}

if (cb_obj.event_name != null) {
  drag_bar(cb_obj);
} else {
  set_up_keys(cb_obj);
}
