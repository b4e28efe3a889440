// Hover on the plan: light up the source and target bars a cell (or a line) joins.
// args: p_source, q_source, p_mark, q_mark (one-bar sources), probe (i, j synced to the
// server, which writes the exact amount), lines (the moved-mass segments), cursor (the marked
// cell on the plan: x, y, w), focus_ring, mode ("cell", "line", or "keys": run once the plan
// has a size, cb_obj the figure; the keyboard route to the same readout).
function mark(i, j) {
  const xp = p_source.data.x;
  const xq = q_source.data.x;
  if (i < 0 || j < 0 || i >= xp.length || j >= xq.length) {
    p_mark.data = {x: [], top: []};
    q_mark.data = {x: [], top: []};
  } else {
    p_mark.data = {x: [xp[i]], top: [p_source.data.top[i]]};
    q_mark.data = {x: [xq[j]], top: [q_source.data.top[j]]};
  }
  if (i < 0 || j < 0 || i >= xp.length || j >= xq.length) {
    cursor.data = {x: [], y: [], w: []};
  } else {
    const w = xq.length > 1 ? xq[1] - xq[0] : 1;
    cursor.data = {x: [xq[j]], y: [xp[i]], w: [w]};
  }
  const old = probe.data;
  if (old.i[0] !== i || old.j[0] !== j) {
    probe.data = {i: [i], j: [j]};
  }
}
// Keyboard: the plan is one Tab stop; the arrows move a cursor over its cells (Shift: 8 cells
// at a time, Home/End: the corners), and the readout under the plot names the cell's mass, as
// hovering does.
function set_up_keys(fig) {
  const view = ot_figure_view(fig);
  if (view == null || view.el.__ot_keys) { return; }
  const el = view.el;
  el.__ot_keys = true;
  el.tabIndex = 0;
  el.setAttribute("role", "group");
  el.setAttribute("aria-label", "Transport plan: arrow keys move over its cells; " +
    "the mass of the cell is read out under the plot");
  el.style.outline = "none";
  el.addEventListener("focus", () => {
    if (!el.matches(":focus-visible")) { return; }
    el.style.outline = focus_ring;
    el.style.outlineOffset = "2px";
    const c = probe.data;
    if (c.i[0] < 0) {
      // Start on the heaviest source bar's row, in the middle of the target bars.
      const top = p_source.data.top;
      let best = 0;
      for (let k = 0; k < top.length; k++) { if (top[k] > top[best]) { best = k; } }
      mark(best, Math.floor(q_source.data.x.length / 2));
    }
  });
  el.addEventListener("blur", () => { el.style.outline = "none"; mark(-1, -1); });
  el.addEventListener("keydown", (e) => {
    const n = p_source.data.x.length, m = q_source.data.x.length;
    let i = Math.max(0, probe.data.i[0]), j = Math.max(0, probe.data.j[0]);
    const step = e.shiftKey ? 8 : 1;
    // rows (source bins) go up the plot, columns (target bins) to the right
    if (e.key === "ArrowUp") { i = Math.min(n - 1, i + step); }
    else if (e.key === "ArrowDown") { i = Math.max(0, i - step); }
    else if (e.key === "ArrowRight") { j = Math.min(m - 1, j + step); }
    else if (e.key === "ArrowLeft") { j = Math.max(0, j - step); }
    else if (e.key === "Home") { i = 0; j = 0; }
    else if (e.key === "End") { i = n - 1; j = m - 1; }
    else { return; }
    e.preventDefault();
    mark(i, j);
  });
}

if (mode === "keys") {
  set_up_keys(cb_obj);
} else if (mode === "cell") {
  const n = p_source.data.x.length;
  const m = q_source.data.x.length;
  const ev = cb_obj.event_name;
  if (ev === "mouseleave" || cb_obj.x == null) {
    mark(-1, -1);
  } else {
    // the image covers [0, 1] x [0, 1]: rows are source bins (y), columns target bins (x)
    const i = Math.floor(cb_obj.y * n);
    const j = Math.floor(cb_obj.x * m);
    const inside = i >= 0 && i < n && j >= 0 && j < m;
    mark(inside ? i : -1, inside ? j : -1);
  }
} else {
  const hit = cb_data.index.indices;
  if (hit.length > 0) {
    const k = hit[0];
    mark(lines.data.i[k], lines.data.j[k]);
  } else {
    mark(-1, -1);
  }
}
