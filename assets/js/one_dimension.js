// /one_dimension: the CDFs, quantile functions, monotone plan and map T = G^-1 o F, drawn in
// the browser from the bars it holds (no round trip), and the level marks. The same
// computation in Python is pages/one_dimension_plots.py:curves (the tests compare the two).
// Args: p_source, q_source (the histograms: x, top), cdf, qf, qg, pieces, tmap (curves), lvl,
// lvl_pair (level marks), slider (the level), level (request to the server, via the flow),
// answer (the flow's answer model), level_eps, dot_min, dot_scale, mode:
// "bars" (a histogram changed), "slider" (the level moved), "hover_cdf" / "hover_q" (pointer
// on a figure: its y, resp. x, is the level).

function cdf_of(top) {
  const n = top.length;
  const F = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) { total += Math.max(0, top[i]); F[i] = total; }
  if (total <= 0) { return null; }
  for (let i = 0; i < n; i++) { F[i] /= total; }
  return F;
}

// min{x_i with mass : F_i >= s} (s <= 0: the leftmost point with mass)
function inverse(F, top, xs, s) {
  let last = 0;
  for (let i = 0; i < F.length; i++) {
    if (top[i] > 0) {
      last = i;
      if (F[i] >= s - level_eps) { return xs[i]; }
    }
  }
  return xs[last];
}

function quantile_steps(F, top, xs) {
  const s = [], x = [];
  for (let i = 0; i < F.length; i++) {
    if (top[i] > 0) {
      s.push(i > 0 ? F[i - 1] : 0, F[i]);
      x.push(xs[i], xs[i]);
    }
  }
  return {s, x};
}

// North-west corner walk over the bars with mass: the matched level intervals.
function match(p, q, xs) {
  const ip = [], jq = [];
  let tp = 0, tq = 0;
  for (let i = 0; i < p.length; i++) { if (p[i] > 0) { ip.push(i); tp += p[i]; } }
  for (let j = 0; j < q.length; j++) { if (q[j] > 0) { jq.push(j); tq += q[j]; } }
  const out = {lo: [], hi: [], xs: [], ys: [], mass: [], bottom: [], top: [], size: []};
  let i = 0, j = 0, level = 0;
  let ra = p[ip[0]] / tp, rb = q[jq[0]] / tq;
  while (i < ip.length && j < jq.length) {
    const m = Math.min(ra, rb);
    const x = xs[ip[i]], y = xs[jq[j]];
    out.lo.push(level); level += m; out.hi.push(level);
    out.xs.push(x); out.ys.push(y); out.mass.push(m);
    out.bottom.push(Math.min(x, y)); out.top.push(Math.max(x, y));
    out.size.push(dot_min + dot_scale * Math.sqrt(m));
    ra -= m; rb -= m;
    if (ra <= level_eps) { i += 1; ra = i < ip.length ? p[ip[i]] / tp : 0; }
    if (rb <= level_eps) { j += 1; rb = j < jq.length ? q[jq[j]] / tq : 0; }
  }
  return out;
}

function redraw_curves() {
  const xs = p_source.data.x, p = p_source.data.top, q = q_source.data.top;
  const F = cdf_of(p), G = cdf_of(q);
  if (F == null || G == null || q_source.data.x.length !== xs.length) {
    return false;  // a histogram without mass: the server says so; keep the last drawing
  }
  const n = xs.length;
  const t = [0], Fs = [0], Gs = [0];
  for (let i = 0; i < n; i++) {
    t.push(xs[i], xs[i]);
    Fs.push(i > 0 ? F[i - 1] : 0, F[i]);
    Gs.push(i > 0 ? G[i - 1] : 0, G[i]);
  }
  Fs[Fs.length - 1] = 1; Gs[Gs.length - 1] = 1;
  t.push(1); Fs.push(1); Gs.push(1);
  cdf.data = {t, F: Fs, G: Gs};
  qf.data = quantile_steps(F, p, xs);
  qg.data = quantile_steps(G, q, xs);
  pieces.data = match(p, q, xs);
  const tx = [], ty = [];
  let prev = null;
  for (let i = 0; i < n; i++) {
    if (!(p[i] > 0)) { continue; }
    const T = inverse(G, q, xs, F[i]);
    if (prev !== null) { tx.push(xs[i]); ty.push(prev); }
    tx.push(xs[i]); ty.push(T);
    prev = T;
  }
  tmap.data = {x: tx, y: ty};
  return true;
}

function mark_level(s) {
  const xs = p_source.data.x, p = p_source.data.top, q = q_source.data.top;
  const F = cdf_of(p), G = cdf_of(q);
  if (F == null || G == null) { return; }
  const xf = inverse(F, p, xs, s), xg = inverse(G, q, xs, s);
  lvl.data = {x: [xf, xg], s: [s, s], color: lvl.data.color};
  lvl_pair.data = {x: [xf], y: [xg]};
}

function send_level(s) {
  flow_request(level, answer, () => [s], () => { level.data = {s: [s]}; });
}

if (mode === "bars") {
  if (redraw_curves()) { mark_level(slider.value); }
} else if (mode === "slider") {
  const s = Math.min(1, Math.max(0, cb_obj.value));
  mark_level(s);
  send_level(s);
} else {
  const v = mode === "hover_cdf" ? cb_obj.y : cb_obj.x;
  if (v != null && isFinite(v)) {
    // the slider's own change runs the "slider" mode: marks and the server's readout
    slider.value = Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
  }
}
