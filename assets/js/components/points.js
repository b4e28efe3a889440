// Draggable points in the plane (body of a Bokeh CustomJS; see pages/components/points.py).
// Runs on the figure's pan / tap / double-tap events (cb_obj: the event) and once the figure
// is laid out (cb_obj: the figure; sets up the keyboard). Args: plot, source (x, y, group as
// text: drawn), moves (the packed sync to the server), answer (the flow answer model: flow.js
// is prepended), x0/x1/y0/y1 (bounds), max_points,
// min_points, can_add, can_remove, add_group, group_names, label, radius (hit radius, px),
// step (keyboard step, fraction of the span), digits.
// The points follow the pointer in the browser with no round trip: in-place edits of the
// source and `source.change.emit()` re-render without syncing it. The server gets the points
// through `moves` only (send, below); it writes `source` itself only when no drag is going on.
const st = moves._pts || (moves._pts = {drag: -1, off: [0, 0], seq: 0, raf: null,
                                        settled: false, live: null, el: null});
const span_x = x1 - x0, span_y = y1 - y0;

function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
function count() { return source.data.x.length; }
function picked() {
  const sel = source.selected.indices;
  return sel.length > 0 && sel[0] < count() ? sel[0] : -1;
}
function pick(i) { source.selected.indices = i < 0 ? [] : [i]; }

// The packed sync [seq, settled, x0, y0, g0, ...] of the points as they are now.
function pack(settled) {
  const d = source.data, n = d.x.length;
  const m = new Float64Array(2 + 3 * n);
  st.seq += 1;
  m[0] = st.seq;
  m[1] = settled ? 1 : 0;
  for (let i = 0; i < n; i++) {
    m[2 + 3 * i] = d.x[i];
    m[3 + 3 * i] = d.y[i];
    m[4 + 3 * i] = Number(d.group[i]);
  }
  st.packed = m;
  return m;
}

// Through the shared flow (flow.js): one sync in flight, the newest sent on the answer.
function send(settled) {
  if (st.raf !== null) { cancelAnimationFrame(st.raf); st.raf = null; }
  flow_request(moves, answer, () => pack(settled),
               () => moves.setv({data: {m: st.packed}}, {check_eq: false}));
}

// While dragging: at most one sync per animation frame (the latest position wins).
function send_soon(settled) {
  st.settled = settled;
  if (st.raf === null) {
    st.raf = requestAnimationFrame(() => { st.raf = null; send(st.settled); });
  }
}

function fmt(v) { return v.toFixed(digits).replace("-", "−"); }
function announce(text) {
  if (st.live == null) { return; }
  if (!st.live.isConnected && st.el != null && st.el.shadowRoot != null) {
    st.el.shadowRoot.appendChild(st.live);  // Bokeh re-rendered the plot's shadow root
  }
  st.live.textContent = text;
  st.live.style.display = text ? "block" : "none";
}
function describe(i) {
  const d = source.data;
  const name = group_names[Number(d.group[i])] ?? "point";
  return `${name} ${i + 1} of ${d.x.length}: x ${fmt(d.x[i])}, y ${fmt(d.y[i])}`;
}

// The point nearest (x, y) within `radius` pixels, or -1.
function hit(x, y) {
  const d = source.data;
  const kx = plot.inner_width / (plot.x_range.end - plot.x_range.start);
  const ky = plot.inner_height / (plot.y_range.end - plot.y_range.start);
  let best = -1, best_r2 = radius * radius;
  for (let i = 0; i < d.x.length; i++) {
    const dx = (d.x[i] - x) * kx, dy = (d.y[i] - y) * ky;
    const r2 = dx * dx + dy * dy;
    if (r2 <= best_r2) { best = i; best_r2 = r2; }
  }
  return best;
}

function move_to(i, x, y) {
  const d = source.data;
  d.x[i] = clamp(x, x0, x1);
  d.y[i] = clamp(y, y0, y1);
  source.change.emit();  // re-render only; not synced
}

// Columns replaced in place (plain arrays: a server-sent column may be a fixed-size typed
// array), so the source's data object stays the same and is not synced.
function add(x, y) {
  const d = source.data;
  if (!can_add || d.x.length >= max_points) { return false; }
  d.x = [...Array.from(d.x), clamp(x, x0, x1)];
  d.y = [...Array.from(d.y), clamp(y, y0, y1)];
  d.group = [...Array.from(d.group), add_group];
  source.change.emit();
  pick(d.x.length - 1);
  send(true);
  announce("added " + describe(d.x.length - 1));
  return true;
}

function remove(i) {
  const d = source.data;
  if (!can_remove || i < 0 || d.x.length <= min_points) { return false; }
  const gone = describe(i);
  const keep = (_, k) => k !== i;
  d.x = Array.from(d.x).filter(keep);
  d.y = Array.from(d.y).filter(keep);
  d.group = Array.from(d.group).filter(keep);
  pick(d.x.length > 0 ? Math.min(i, d.x.length - 1) : -1);
  source.change.emit();
  send(true);
  announce("removed " + gone + (d.x.length > 0 ? "; now " + describe(picked()) : ""));
  return true;
}

function setup_keys() {
  // A finger on the plot drags points; otherwise the browser takes the gesture as a scroll and
  // cancels the drag after a few moves.
  const view = ot_figure_view(plot, "pinch-zoom");
  if (view == null || view.el.__ot_points) { return; }
  const el = view.el;
  el.__ot_points = true;
  st.el = el;
  el.tabIndex = 0;
  el.style.outline = "none";  // a ring only for keyboard focus (below)
  el.setAttribute("role", "group");
  el.setAttribute("aria-roledescription", "draggable points");
  const keys = ["Tab picks a point", "arrows move it"];
  if (can_remove) { keys.push("Delete removes it"); }
  if (can_add) { keys.push("Insert adds one"); }
  el.setAttribute("aria-label", label + ": " + keys.join(", "));
  const live = document.createElement("div");
  live.className = "ot-points-live";
  live.setAttribute("aria-live", "polite");
  live.setAttribute("role", "status");
  live.style.cssText = "position:absolute;right:6px;top:4px;z-index:10;pointer-events:none;"
    + "display:none;font:12px sans-serif;padding:1px 5px;border-radius:3px;"
    + "background:rgba(255,255,255,0.9);color:#111;";
  st.live = live;
  if (el.shadowRoot != null) { el.shadowRoot.appendChild(live); }

  el.addEventListener("focusin", () => {
    if (!el.matches(":focus-visible")) {
      return;  // a click: no ring (the tap picks the point)
    }
    el.style.outline = "2px solid currentColor";
    if (picked() < 0 && count() > 0) { pick(0); }
    if (picked() >= 0) { announce(describe(picked())); }
  });
  el.addEventListener("focusout", (e) => {
    if (e.relatedTarget != null && el.contains(e.relatedTarget)) { return; }
    el.style.outline = "none";
    pick(-1);
    announce("");
  });
  el.addEventListener("keydown", (e) => {
    const n = count();
    let i = picked();
    const big = e.shiftKey ? 10 : 1;
    if (e.key === "Tab") {
      const next = i < 0 ? (e.shiftKey ? n - 1 : 0) : i + (e.shiftKey ? -1 : 1);
      if (next < 0 || next >= n) { return; }  // leave the plot: no keyboard trap
      pick(next);
      announce(describe(next));
    } else if (e.key === "Home" || e.key === "End") {
      if (n === 0) { return; }
      i = e.key === "Home" ? 0 : n - 1;
      pick(i);
      announce(describe(i));
    } else if (e.key.startsWith("Arrow")) {
      if (n === 0) { return; }
      if (i < 0) { i = 0; pick(0); }
      const d = source.data;
      const dx = {ArrowLeft: -1, ArrowRight: 1}[e.key] ?? 0;
      const dy = {ArrowDown: -1, ArrowUp: 1}[e.key] ?? 0;
      move_to(i, d.x[i] + dx * big * step * span_x, d.y[i] + dy * big * step * span_y);
      send_soon(true);
      announce(describe(i));
    } else if (e.key === "Delete" || e.key === "Backspace") {
      if (!remove(i)) { return; }
    } else if (e.key === "Insert" || e.key === "+") {
      if (!add((x0 + x1) / 2, (y0 + y1) / 2)) { return; }
    } else if (e.key === "Escape") {
      pick(-1);
      announce("");
    } else {
      return;
    }
    e.preventDefault();
  });
}

const event = cb_obj.event_name;
if (event === undefined) {
  setup_keys();  // laid out (inner_width changed)
} else if (event === "panstart") {
  const i = hit(cb_obj.x, cb_obj.y);
  st.drag = i;
  if (i >= 0) {
    st.off = [source.data.x[i] - cb_obj.x, source.data.y[i] - cb_obj.y];
    pick(i);
  }
} else if (event === "pan") {
  const i = st.drag;
  if (i >= 0 && i < count()) {
    move_to(i, cb_obj.x + st.off[0], cb_obj.y + st.off[1]);
    send_soon(false);
  }
} else if (event === "panend") {
  // The point stays where the last pan put it: a touch's panend carries no position.
  const i = st.drag;
  st.drag = -1;
  if (i >= 0 && i < count()) {
    send(true);
    announce(describe(i));
  }
} else if (event === "tap") {
  const i = hit(cb_obj.x, cb_obj.y);
  if (i >= 0) {
    pick(i);
    announce(describe(i));
  } else if (!add(cb_obj.x, cb_obj.y)) {
    pick(-1);
  }
} else if (event === "doubletap") {
  remove(hit(cb_obj.x, cb_obj.y));
}
