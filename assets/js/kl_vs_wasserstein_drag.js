// Drag the sliding bump on the "KL versus Wasserstein" page (body of a Bokeh CustomJS; flow.js
// is prepended). Args: phase ("start" | "move" | "end"), bump (the bump's source: x0 offsets,
// x, y), drag (a one-row source {shift} synced to the server), answer (the flow's answer model),
// markers (the current-shift markers: x, y, dy, inf_y, one row per divergence in `keys` order),
// curves (the drawn curves: shift, each key and d_<key>), keys, lo / hi (shift bounds),
// view_lo / view_hi (the x axis: the bump is drawn unclipped, so its points are clamped to it),
// steady_plots (the figure's plots, whose text measures are held while dragging; see
// hold_measures), focus_ring (the notebook's keyboard focus outline). Phase "setup" runs once
// the figure has a size (cb_obj: the figure) and sets up touch and keyboard (set_up).
// The bump and the markers follow the pointer in the browser with no round trip: a marker is
// placed on the curve as drawn (straight between the curve's samples). The server sends the
// readouts, critic and overlap. The shift goes to the server through the shared flow control
// (one request in flight, the newest sent on the answer), so there is never a backlog and the
// server always works on the newest position.
const st = drag._kvw || (drag._kvw = {active: false, shift: 0});
const data = bump.data;
// The bump's centre: its middle point (symmetric outline), which never leaves the axis.
const centre = Math.floor(data.x0.length / 2);

function send_shift() {
  flow_request(drag, answer, () => st.shift, () => {
    drag.data.shift[0] = st.shift;
    // An in-place edit is not synced by a plain assignment: force it.
    drag.setv({data: drag.data}, {check_eq: false});
  });
}

// The drawn curve `col` at shift s: straight between samples, as the line glyph draws it. Next
// to a gap (NaN: infinite value or undefined slope) the nearest sample is used instead, so a
// marker never sits halfway between a finite value and the ∞ band.
function on_curve(col, s) {
  const xs = curves.data.shift, ys = curves.data[col];
  const n = xs.length;
  const step = (xs[n - 1] - xs[0]) / (n - 1);
  const u = Math.min(n - 1, Math.max(0, (s - xs[0]) / step));
  const i = Math.min(n - 2, Math.floor(u));
  const t = u - i;
  const a = ys[i], b = ys[i + 1];
  if (Number.isFinite(a) && Number.isFinite(b)) { return a + t * (b - a); }
  return t < 0.5 ? a : b;
}

function move_markers(s) {
  const m = markers.data;
  if (!curves.data.shift || m.x.length !== keys.length) { return; }
  for (let k = 0; k < keys.length; k++) {
    m.x[k] = s;
    let y = on_curve(keys[k], s);
    // The curves leave infinite KL out (NaN); its marker sits on the ∞ band instead.
    if (!Number.isFinite(y) && Number.isFinite(m.inf_y[k])) { y = m.inf_y[k]; }
    m.y[k] = y;
    m.dy[k] = on_curve("d_" + keys[k], s);
  }
  markers.change.emit();  // re-render only; not synced to the server
}

// Bokeh re-measures every axis, title and legend of a plot on each repaint (a text measure
// with style lookups per side panel), even when only the overlay level changed. During a drag
// the only text that can change is tick labels, and only when a plot's ranges change (the
// critic's stepped range, a family change): so while the bump is dragged each of
// `steady_plots` measures only when its ranges differ from its last measure, or when Bokeh
// itself asks for a layout (`_needs_layout`: resize, new content). Reaches into Bokeh's
// PlotView: if the method is missing, nothing is changed.
function hold_measures(on) {
  const ids = new Set(steady_plots.map((p) => p.id));
  const walk = (v) => {
    if (v == null) { return; }
    if (v.model != null && ids.has(v.model.id)
        && typeof v._invalidate_layout_if_needed === "function") {
      if (on && v._kvw_measure === undefined) {
        const measure = v._invalidate_layout_if_needed;
        const ranges = (view) => {
          const {x_range: x, y_range: y} = view.model;
          return [x.start, x.end, y.start, y.end].join(" ");
        };
        v._kvw_measure = measure;
        v._kvw_ranges = ranges(v);
        v._invalidate_layout_if_needed = function () {
          const now = ranges(this);
          if (this._needs_layout || now !== this._kvw_ranges) {
            this._kvw_ranges = now;
            measure.call(this);
          }
        };
      } else if (!on && v._kvw_measure !== undefined) {
        delete v._invalidate_layout_if_needed;  // back to the prototype's method
        delete v._kvw_measure;
        delete v._kvw_ranges;
      }
    }
    for (const c of (v.child_views ?? [])) { walk(c); }
  };
  const index = (typeof Bokeh !== "undefined" && Bokeh.index) || {};
  for (const v of Object.values(index)) { walk(v); }
}

// The bump's shift as drawn now.
function drawn_shift() {
  return data.x[centre] - data.x0[centre];
}

// Move the bump and the markers to shift s (clamped, to 0.001) and ask the server for it.
function move_to(s) {
  s = Math.min(hi, Math.max(lo, s));
  s = Math.round(s * 1000) / 1000;
  st.shift = s;
  for (let i = 0; i < data.x.length; i++) {
    data.x[i] = Math.min(view_hi, Math.max(view_lo, data.x0[i] + s));
  }
  bump.change.emit();  // re-render only; not synced to the server
  move_markers(s);
  send_shift();
  return s;
}

// Run once the figure has a size (cb_obj is the figure): touch and keyboard.
// Touch: a horizontal finger drag moves the bump, a vertical one still scrolls the page
// (touch-action pan-y on Bokeh's event layer; without it the browser took the gesture over
// after ~15 px, cancelled the drag and the bump jumped). Keyboard: the figure is one Tab stop,
// a slider for the shift; Left/Right move the bump by 0.1 (Shift: 1), Home/End to the ends.
function set_up(fig) {
  const view = ot_figure_view(fig, "pan-y");
  if (view == null || view.el.__kvw_keys) { return; }
  const el = view.el;
  el.__kvw_keys = true;
  el.tabIndex = 0;
  el.setAttribute("role", "slider");
  el.setAttribute("aria-label", "Shift of the orange bump q: Left and Right move it");
  el.setAttribute("aria-valuemin", String(lo));
  el.setAttribute("aria-valuemax", String(hi));
  const show = (s) => {
    el.setAttribute("aria-valuenow", String(s));
    el.setAttribute("aria-valuetext", "shift " + s.toFixed(2));
  };
  show(Math.round(drawn_shift() * 1000) / 1000);
  bump.connect(bump.change, () => show(Math.round(drawn_shift() * 1000) / 1000));
  el.style.outline = "none";
  el.addEventListener("focus", () => {
    if (el.matches(":focus-visible")) { el.style.outline = focus_ring; el.style.outlineOffset = "2px"; }
  });
  el.addEventListener("blur", () => { el.style.outline = "none"; });
  el.addEventListener("keydown", (e) => {
    const step = e.shiftKey ? 1 : 0.1;
    const s0 = Math.round(drawn_shift() * 1000) / 1000;
    let s;
    if (e.key === "ArrowLeft" || e.key === "ArrowDown") { s = s0 - step; }
    else if (e.key === "ArrowRight" || e.key === "ArrowUp") { s = s0 + step; }
    else if (e.key === "Home") { s = lo; }
    else if (e.key === "End") { s = hi; }
    else { return; }
    e.preventDefault();
    if (!st.active) { flow_known(drag, answer, s0); }
    move_to(s);
  });
}

if (phase === "setup") {
  set_up(cb_obj);
  return;
}
if (phase === "start") {
  st.active = true;
  st.s0 = drawn_shift();
  st.x0 = cb_obj.x;
  // The shift the server holds (to the 0.001 a drag sends): a drag back to it sends nothing.
  flow_known(drag, answer, Math.round(st.s0 * 1000) / 1000);
  hold_measures(true);
  return;
}
if (!st.active) { return; }
if (phase === "end") {
  // A pan ended by the browser (pointercancel) reports a position that is not the finger's:
  // the last move already placed the bump, so only make sure the server gets it.
  st.active = false;
  hold_measures(false);
  send_shift();
  return;
}
move_to(st.s0 + (cb_obj.x - st.x0));
