// /benamou_brenier: the frame at time t, drawn in the browser from data it holds (no round
// trip per frame): the 1-D level pieces (pieces) and the Gaussians' parameters (gauss). The
// same arithmetic in Python is pages/benamou_brenier_plots.py (frame_columns,
// gaussian_columns); the tests compare the two. Modes: "slider" (t moved: redraw, send t to
// the server for the link unless playing), "play" (start or stop the animation), "data" (the
// server sent a new flow: redraw at the current t).

function frame_at(t) {
  const d = pieces.data;
  const n = d.s_lo.length;
  const out = {left: [], right: [], rho: [], v0: [], v1: [], v: []};
  for (let k = 0; k < n; k++) {
    const l = (1 - t) * d.src_lo[k] + t * d.tgt_lo[k];
    const r = (1 - t) * d.src_hi[k] + t * d.tgt_hi[k];
    const v0 = d.tgt_lo[k] - d.src_lo[k], v1 = d.tgt_hi[k] - d.src_hi[k];
    out.left.push(l); out.right.push(r);
    out.rho.push((d.s_hi[k] - d.s_lo[k]) / (r - l));
    out.v0.push(v0); out.v1.push(v1); out.v.push(0.5 * (v0 + v1));
  }
  return out;
}

// 2 x 2 helpers, row-major [a, b, c, d]
function mul(X, Y) {
  return [X[0] * Y[0] + X[1] * Y[2], X[0] * Y[1] + X[1] * Y[3],
          X[2] * Y[0] + X[3] * Y[2], X[2] * Y[1] + X[3] * Y[3]];
}
function inv(X) {
  const det = X[0] * X[3] - X[1] * X[2];
  return [X[3] / det, -X[1] / det, -X[2] / det, X[0] / det];
}

// Points m + r * S^(1/2) (cos a, sin a), S symmetric 2 x 2 (closed-form eigenvectors).
function ellipse(m, S, r) {
  const tr = S[0] + S[3], det = S[0] * S[3] - S[1] * S[1];
  const disc = Math.sqrt(Math.max(0, tr * tr / 4 - det));
  const l1 = Math.max(0, tr / 2 + disc), l2 = Math.max(0, tr / 2 - disc);
  let ex = 1, ey = 0;
  if (Math.abs(S[1]) > 1e-14) { ex = l1 - S[3]; ey = S[1]; } else if (S[3] > S[0]) { ex = 0; ey = 1; }
  const nrm = Math.hypot(ex, ey); ex /= nrm; ey /= nrm;
  const xs = [], ys = [];
  for (let i = 0; i <= ellipse_points; i++) {
    const a = 2 * Math.PI * i / ellipse_points;
    const u = r * Math.sqrt(l1) * Math.cos(a), w = r * Math.sqrt(l2) * Math.sin(a);
    xs.push(m[0] + u * ex - w * ey); ys.push(m[1] + u * ey + w * ex);
  }
  return [xs, ys];
}

function draw_gauss(t) {
  const p = gauss.data.p, b = box.data.b;
  if (p == null || p.length !== 12) { return; }
  const m0 = [p[0], p[1]], m1 = [p[2], p[3]];
  const S0 = [p[4], p[5], p[6], p[7]], A = [p[8], p[9], p[10], p[11]];
  const At = [(1 - t) + t * A[0], t * A[1], t * A[2], (1 - t) + t * A[3]];
  const St = mul(mul(At, S0), At);
  const mt = [(1 - t) * m0[0] + t * m1[0], (1 - t) * m0[1] + t * m1[1]];
  const B = mul([A[0] - 1, A[1], A[2], A[3] - 1], inv(At));
  const Si = inv(St);
  const x0 = [], y0 = [], x1 = [], y1 = [];
  for (let i = 1; i <= arrows_n; i++) {
    for (let j = 1; j <= arrows_n; j++) {
      const x = b[0] + (b[1] - b[0]) * j / (arrows_n + 1);
      const y = b[2] + (b[3] - b[2]) * i / (arrows_n + 1);
      const dx = x - mt[0], dy = y - mt[1];
      const q = dx * (Si[0] * dx + Si[1] * dy) + dy * (Si[2] * dx + Si[3] * dy);
      if (q > 9) { continue; }
      const vx = m1[0] - m0[0] + B[0] * dx + B[1] * dy;
      const vy = m1[1] - m0[1] + B[2] * dx + B[3] * dy;
      x0.push(x); y0.push(y); x1.push(x + arrow_scale * vx); y1.push(y + arrow_scale * vy);
    }
  }
  const e1 = ellipse(mt, St, 1), e2 = ellipse(mt, St, 2);
  ellipses.data = {x: [e1[0], e2[0]], y: [e1[1], e2[1]]};
  arrows.data = {x0, y0, x1, y1};
  mean.data = {x: [mt[0]], y: [mt[1]]};
}

function draw(t) {
  if (pieces.data.s_lo != null && pieces.data.s_lo.length > 0) { frame.data = frame_at(t); }
  draw_gauss(t);
  now.data = {t: [t]};
}

function send_time(t) {
  flow_request(request, answer, () => [t], () => { request.data = {t: [t]}; });
}

const state = slider.__bb || (slider.__bb = {timer: null});

function stop() {
  if (state.timer != null) { cancelAnimationFrame(state.timer); state.timer = null; }
  play.label = "▶ Play";
  send_time(slider.value);
}

if (mode === "data") {
  draw(slider.value);
} else if (mode === "slider") {
  const t = Math.min(1, Math.max(0, cb_obj.value));
  draw(t);
  if (state.timer == null) { send_time(t); }
} else if (mode === "play") {
  if (state.timer != null) {
    stop();
  } else {
    play.label = "❚❚ Pause";
    let start = null;
    const from = slider.value >= 1 ? 0 : slider.value;
    const step = (now_ms) => {
      if (start == null) { start = now_ms; }
      const t = Math.min(1, from + (now_ms - start) / 4000);
      slider.value = Math.round(t * 1000) / 1000;
      if (t >= 1) { state.timer = null; stop(); return; }
      state.timer = requestAnimationFrame(step);
    };
    state.timer = requestAnimationFrame(step);
  }
}
