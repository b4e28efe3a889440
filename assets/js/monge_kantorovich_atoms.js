// Atoms on a line for /monge_kantorovich (body of a Bokeh CustomJS; flow.js and bokeh_compat.js
// are prepended; see pages/monge_kantorovich_plots.py). Runs on the figure's pan and tap events
// (cb_obj: the event) and once the figure is laid out (cb_obj: the figure: keyboard, touch).
// Args: plot, atoms (drawn: x, w, base, top, label_y, side "s"/"t", share), curves (the plan's
// and the map's curves: src, dst rows of atoms, x0, x1, cx0, cx1), moves (the packed sync to
// the server), answer (the flow's answer model), x0/x1 (positions), w0/w1 (masses as drawn),
// base_s/base_t (baselines), height (drawn height per unit of mass), focus_ring.
// The atoms, their shares and the curves' ends follow the pointer in the browser with no round
// trip (in-place edits and change.emit(), not synced). The server gets the atoms through
// `moves` only, one sync in flight (flow.js); it redraws the curves from the new plan.
const st = moves._mk || (moves._mk = {drag: -1, off: [0, 0], head: true, raf: null,
                                      settled: false, live: null, el: null});

function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
function count() { return atoms.data.x.length; }
function picked() {
  const sel = atoms.selected.indices;
  return sel.length > 0 && sel[0] < count() ? sel[0] : -1;
}
function pick(i) { atoms.selected.indices = i < 0 ? [] : [i]; }
function is_source(i) { return atoms.data.side[i] === "s"; }
function n_sources() { return atoms.data.side.filter((s) => s === "s").length; }

// [settled, ns, nt, x_s..., w_s..., x_t..., w_t...]: the atoms as drawn now.
function pack(settled) {
  const d = atoms.data, n = count(), ns = n_sources(), nt = n - ns;
  const m = new Float64Array(3 + 2 * n);
  m[0] = settled ? 1 : 0;
  m[1] = ns;
  m[2] = nt;
  for (let i = 0; i < ns; i++) { m[3 + i] = d.x[i]; m[3 + ns + i] = d.w[i]; }
  for (let j = 0; j < nt; j++) { m[3 + 2 * ns + j] = d.x[ns + j]; m[3 + 2 * ns + nt + j] = d.w[ns + j]; }
  st.packed = m;
  return m;
}

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

function shares() {
  const d = atoms.data;
  let ts = 0, tt = 0;
  for (let i = 0; i < count(); i++) { if (is_source(i)) { ts += d.w[i]; } else { tt += d.w[i]; } }
  return (i) => d.w[i] / (is_source(i) ? ts : tt);
}

function describe(i) {
  const d = atoms.data, ns = n_sources();
  const src = is_source(i);
  const k = src ? i + 1 : i - ns + 1, of = src ? ns : count() - ns;
  return `${src ? "source" : "target"} atom ${k} of ${of}: position ${d.x[i].toFixed(2)}, `
    + `mass ${d.w[i].toFixed(2)} (share ${shares()(i).toFixed(3)})`;
}

function announce(text) {
  if (st.live == null) { return; }
  if (!st.live.isConnected && st.el != null && st.el.shadowRoot != null) {
    st.el.shadowRoot.appendChild(st.live);  // Bokeh re-rendered the plot's shadow root
  }
  st.live.textContent = text;
  st.live.style.display = text ? "block" : "none";
}

// The atom under (x, y): within 14 px of its stem sideways and between its baseline and head
// (with the same slack), the nearest in x. -1 if none.
function hit(x, y) {
  const d = atoms.data;
  const kx = plot.inner_width / (plot.x_range.end - plot.x_range.start);
  const ky = plot.inner_height / (plot.y_range.end - plot.y_range.start);
  const slack = 14;
  let best = -1, best_dx = slack;
  for (let i = 0; i < count(); i++) {
    const lo = Math.min(d.base[i], d.top[i]) - slack / ky;
    const hi = Math.max(d.base[i], d.top[i]) + slack / ky;
    const dx = Math.abs(d.x[i] - x) * kx;
    if (y >= lo && y <= hi && dx <= best_dx) { best = i; best_dx = dx; }
  }
  return best;
}

// Redraw atom i at position x with mass w (as drawn), the shares, and the curves' ends.
function set_atom(i, x, w) {
  const d = atoms.data;
  d.x[i] = Math.round(clamp(x, x0, x1) * 1000) / 1000;
  d.w[i] = Math.round(clamp(w, w0, w1) * 100) / 100;
  const sign = is_source(i) ? 1 : -1;
  d.top[i] = d.base[i] + sign * height * d.w[i];
  d.label_y[i] = d.top[i] + sign * 0.11;
  const share = shares();
  for (let k = 0; k < count(); k++) { d.share[k] = share(k).toFixed(3); }
  atoms.change.emit();
  for (const c of curves) {
    const e = c.data;
    for (let r = 0; r < e.src.length; r++) {
      if (e.src[r] < count()) { e.x0[r] = e.cx0[r] = d.x[e.src[r]]; }
      if (e.dst[r] < count()) { e.x1[r] = e.cx1[r] = d.x[e.dst[r]]; }
    }
    c.change.emit();
  }
}

// The mass an up-down pointer at y asks for (atom i; its baseline and direction).
function mass_at(i, y) {
  return (is_source(i) ? y - base_s : base_t - y) / height;
}

function set_up() {
  // A finger on the figure drags atoms (the page scrolls from outside the figure).
  const view = ot_figure_view(plot, "pinch-zoom");
  if (view == null || view.el.__mk_keys) { return; }
  const el = view.el;
  el.__mk_keys = true;
  st.el = el;
  el.tabIndex = 0;
  el.style.outline = "none";
  el.setAttribute("role", "group");
  el.setAttribute("aria-roledescription", "draggable atoms");
  el.setAttribute("aria-label", "Source and target atoms: Tab picks an atom, Left and Right "
    + "move it, Up and Down change its mass (Shift: larger steps)");
  const live = document.createElement("div");
  live.className = "mk-live";
  live.setAttribute("aria-live", "polite");
  live.setAttribute("role", "status");
  live.style.cssText = "position:absolute;left:6px;top:4px;z-index:10;pointer-events:none;"
    + "display:none;font:12px sans-serif;padding:1px 5px;border-radius:3px;"
    + "background:rgba(255,255,255,0.92);color:#111;";
  st.live = live;
  if (el.shadowRoot != null) { el.shadowRoot.appendChild(live); }
  el.addEventListener("focusin", () => {
    if (!el.matches(":focus-visible")) { return; }  // a click: no ring
    el.style.outline = focus_ring;
    el.style.outlineOffset = "2px";
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
    if (e.key === "Tab") {
      const next = i < 0 ? (e.shiftKey ? n - 1 : 0) : i + (e.shiftKey ? -1 : 1);
      if (next < 0 || next >= n) { pick(-1); return; }  // leave the figure: no keyboard trap
      pick(next);
      announce(describe(next));
    } else if (e.key.startsWith("Arrow")) {
      if (n === 0) { return; }
      if (i < 0) { i = 0; pick(0); }
      const d = atoms.data;
      const dx = ({ArrowLeft: -1, ArrowRight: 1}[e.key] ?? 0) * (e.shiftKey ? 0.1 : 0.01);
      const dw = ({ArrowDown: -1, ArrowUp: 1}[e.key] ?? 0) * (e.shiftKey ? 0.25 : 0.05);
      if (st.drag < 0) { flow_known(moves, answer, pack(true)); }
      set_atom(i, d.x[i] + dx, d.w[i] + dw);
      send_soon(true);
      announce(describe(i));
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
  set_up();
} else if (event === "panstart") {
  const i = hit(cb_obj.x, cb_obj.y);
  st.drag = i;
  if (i >= 0) {
    const d = atoms.data;
    st.off = [d.x[i] - cb_obj.x, mass_at(i, d.top[i]) - mass_at(i, cb_obj.y)];
    // The head (its marker) changes the mass as well; the stem only moves the atom.
    const ky = plot.inner_height / (plot.y_range.end - plot.y_range.start);
    st.head = Math.abs(cb_obj.y - d.top[i]) * ky <= 18;
    flow_known(moves, answer, pack(true));
    pick(i);
  }
} else if (event === "pan") {
  const i = st.drag;
  if (i >= 0 && i < count()) {
    const w = st.head ? mass_at(i, cb_obj.y) + st.off[1] : atoms.data.w[i];
    set_atom(i, cb_obj.x + st.off[0], w);
    send_soon(false);
  }
} else if (event === "panend") {
  // The atom stays where the last pan put it (a touch's panend carries no position).
  const i = st.drag;
  st.drag = -1;
  if (i >= 0 && i < count()) {
    send(true);
    announce(describe(i));
  }
} else if (event === "tap") {
  const i = hit(cb_obj.x, cb_obj.y);
  pick(i);
  announce(i >= 0 ? describe(i) : "");
}
