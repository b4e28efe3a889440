// Hover on the plan: light up the source and target bars a cell (or a line) joins.
// args: p_source, q_source, p_mark, q_mark (one-bar sources), probe (i, j synced to the
// server, which writes the exact amount), lines (the moved-mass segments), mode.
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
  const old = probe.data;
  if (old.i[0] !== i || old.j[0] !== j) {
    probe.data = {i: [i], j: [j]};
  }
}
if (mode === "cell") {
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
