// Canvas-2D view of the Brenier potential: a height field over a square of the plane, drawn
// with an orthographic projection and a painter's sort, so it runs without WebGL. Rotation,
// the play animation of t and the separation handle are drawn entirely in the browser; only
// the end state (angles, t) is sent back to Python, and the separation while the handle is
// dragged, through the shared flow control (components/flow.js, prepended to this module by
// pages/brenier_surface.py): one change in flight, the newest sent when the server's answer
// (`ack`) arrives.
//
// Python sends the numbers (all from ot_engine); this file only draws them:
//   heights   n*n potential values, row j (x2 = grid[j]) then column i (x1 = grid[i])
//   grid_n, half_width           the square [-half_width, half_width]^2
//   arrows    flat [x1, x2, T1, T2, ...]   gradient-field arrows x -> T(x)
//   samples   flat [x1, x2, T1, T2, ...]   source samples and where the map sends them
//   rings     flat [x1, x2, T1, T2, ...]   source density contours (ring_size points each);
//                                           their images under T are the target's contours
//   mean_p, mean_q               [x1, x2]
//   probe     [x1, x2, T1, T2]   the Monge-Ampere point and its image (the server's answer);
//             the browser asks for a new point (mx, my) by hovering or tapping the plane

const DEG = Math.PI / 180;
const SURFACE_LOW = [236, 232, 244];
const SURFACE_HIGH = [96, 80, 140];
// Ink for text, plane edges and level curves, per page theme.
const INK = {
  light: { text: "rgba(60, 60, 60, 0.95)", edge: "rgba(128, 128, 128, 0.55)", level: "rgba(80, 64, 128, 0.85)", play: "rgba(255, 255, 255, 0.85)", playText: "#222" },
  dark: { text: "rgba(225, 225, 225, 0.95)", edge: "rgba(190, 190, 190, 0.6)", level: "rgba(190, 175, 240, 0.9)", play: "rgba(40, 40, 40, 0.85)", playText: "#eee" },
};
const LEVEL_COUNT = 9;
const HANDLE_RADIUS_PX = 14;
const PLAY_SECONDS = 2.0;
const Z_GAP = 0.3;
const Z_SPAN = 0.7;
const FIT = 1.5; // half-width of the view box, in units of the plane's half-width

function hexToRgb(hex) {
  const v = parseInt(hex.replace("#", ""), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function mix(a, b, s) {
  return [a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s, a[2] + (b[2] - a[2]) * s];
}

function rgba(c, alpha) {
  return `rgba(${c[0] | 0}, ${c[1] | 0}, ${c[2] | 0}, ${alpha})`;
}

// Marching squares on the height grid: line segments of the level set {h = level}.
function levelSegments(h, n, grid, level, out) {
  for (let j = 0; j < n - 1; j++) {
    for (let i = 0; i < n - 1; i++) {
      const v = [h[j * n + i], h[j * n + i + 1], h[(j + 1) * n + i + 1], h[(j + 1) * n + i]];
      const xs = [grid[i], grid[i + 1], grid[i + 1], grid[i]];
      const ys = [grid[j], grid[j], grid[j + 1], grid[j + 1]];
      const pts = [];
      for (let k = 0; k < 4; k++) {
        const a = v[k], b = v[(k + 1) % 4];
        if ((a < level) !== (b < level)) {
          const s = (level - a) / (b - a);
          const k2 = (k + 1) % 4;
          pts.push(xs[k] + s * (xs[k2] - xs[k]), ys[k] + s * (ys[k2] - ys[k]));
        }
      }
      for (let k = 0; k + 3 < pts.length; k += 4) out.push(pts[k], pts[k + 1], pts[k + 2], pts[k + 3]);
    }
  }
}

export function render({ model, el }) {
  const wrap = document.createElement("div");
  wrap.className = "brenier-wrap";
  wrap.style.cssText = "position:relative;width:100%;height:100%;";
  const canvas = document.createElement("canvas");
  canvas.className = "brenier-canvas";
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "img");
  canvas.setAttribute(
    "aria-label",
    "Brenier potential surface. Drag or use the arrow keys to rotate; drag the orange dot to move the target."
  );
  canvas.style.cssText = "display:block;width:100%;height:100%;touch-action:none;cursor:grab;outline:none;";
  const play = document.createElement("button");
  play.type = "button";
  play.className = "brenier-play";
  play.textContent = "▶ play t";
  play.title = "Animate t from 0 to 1: every source sample slides along its straight path to T(x)";
  play.style.cssText =
    "position:absolute;left:8px;bottom:8px;font:13px system-ui,sans-serif;padding:3px 10px;" +
    "border:1px solid #999;border-radius:4px;background:rgba(255,255,255,0.85);cursor:pointer;";
  const ink = model.dark ? INK.dark : INK.light;
  play.style.background = ink.play;
  play.style.color = ink.playText;
  wrap.append(canvas, play);
  const ctx = canvas.getContext("2d");

  // View state owned by the browser while the user interacts; committed to the model on release.
  const local = { az: model.az, el: model.el, t: model.t, handle: null, playing: false };
  let quadColors = null;   // per-quad fill colours, rebuilt when the heights change
  let levelCache = null;   // level-curve segments, rebuilt when the heights change
  let frame = null;
  let heightsPending = false; // set when new heights arrive, cleared once they are drawn
  const frameTimes = [];
  window.brenierFrameTimes = frameTimes;

  function rebuildCaches() {
    const n = model.grid_n, h = model.heights;
    quadColors = null;
    levelCache = null;
    if (!h || h.length !== n * n) return;
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k < h.length; k++) { lo = Math.min(lo, h[k]); hi = Math.max(hi, h[k]); }
    const span = hi > lo ? hi - lo : 1;
    const grid = [];
    for (let i = 0; i < n; i++) grid.push(-model.half_width + (2 * model.half_width * i) / (n - 1));
    // Heights are rescaled to [Z_GAP, Z_GAP + Z_SPAN] * half_width for legibility (the page
    // says so); the gap floats the surface above the base plane so its layers stay visible.
    const zs = new Float32Array(n * n);
    const zBase = Z_GAP * model.half_width, zTop = Z_SPAN * model.half_width;
    for (let k = 0; k < h.length; k++) zs[k] = zBase + ((h[k] - lo) / span) * zTop;
    // Fixed light in world coordinates: the shading does not change while rotating.
    const light = [-0.35, -0.45, 0.82];
    const cell = grid[1] - grid[0];
    const colors = new Array((n - 1) * (n - 1));
    for (let j = 0; j < n - 1; j++) {
      for (let i = 0; i < n - 1; i++) {
        const z00 = zs[j * n + i], z10 = zs[j * n + i + 1], z01 = zs[(j + 1) * n + i];
        const z11 = zs[(j + 1) * n + i + 1];
        const gx = (z10 + z11 - z00 - z01) / (2 * cell), gy = (z01 + z11 - z00 - z10) / (2 * cell);
        const norm = Math.hypot(gx, gy, 1);
        const lambert = Math.max(0, (-gx * light[0] - gy * light[1] + light[2]) / norm);
        const s = (z00 + z10 + z01 + z11 - 4 * zBase) / (4 * zTop);
        const base = mix(SURFACE_LOW, SURFACE_HIGH, s);
        colors[j * (n - 1) + i] = rgba(mix([40, 30, 70], base, 0.45 + 0.55 * lambert), 0.55);
      }
    }
    const segments = [];
    for (let k = 1; k <= LEVEL_COUNT; k++) levelSegments(h, n, grid, lo + (span * k) / (LEVEL_COUNT + 1), segments);
    quadColors = { colors, zs, grid };
    levelCache = segments;
  }

  function layers() {
    return new Set(model.layers || []);
  }

  // Orthographic camera: azimuth about the vertical axis, then elevation above the plane.
  function camera() {
    const rect = canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(50, rect.width), hgt = Math.max(50, rect.height);
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(hgt * dpr);
    }
    const ca = Math.cos(local.az * DEG), sa = Math.sin(local.az * DEG);
    const ce = Math.cos(local.el * DEG), se = Math.sin(local.el * DEG);
    const L = model.half_width;
    const scale = Math.min(w, hgt) / (2 * L * FIT);
    const zMid = 0.5 * (Z_GAP + Z_SPAN) * L * ce;
    return {
      w, hgt, dpr, ca, sa, ce, se, scale,
      // screen x, screen y (pixels, CSS units) and depth (larger = nearer the viewer)
      x: (x, y) => w / 2 + scale * (x * ca - y * sa),
      y: (x, y, z) => hgt / 2 - scale * ((x * sa + y * ca) * se + z * ce - zMid),
      depth: (x, y, z) => -(x * sa + y * ca) * ce + z * se,
    };
  }

  function drawArrow(cam, x0, y0, x1, y1, color, width) {
    const ax = cam.x(x0, y0), ay = cam.y(x0, y0, 0), bx = cam.x(x1, y1), by = cam.y(x1, y1, 0);
    const len = Math.hypot(bx - ax, by - ay);
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(ax, ay);
    ctx.lineTo(bx, by);
    ctx.stroke();
    if (len < 3) return;
    const ux = (bx - ax) / len, uy = (by - ay) / len, head = Math.min(7, 0.4 * len);
    ctx.beginPath();
    ctx.moveTo(bx, by);
    ctx.lineTo(bx - head * ux + 0.5 * head * uy, by - head * uy - 0.5 * head * ux);
    ctx.lineTo(bx - head * ux - 0.5 * head * uy, by - head * uy + 0.5 * head * ux);
    ctx.closePath();
    ctx.fill();
  }

  function meanQ() {
    return local.handle ? local.handle : [model.mean_q[0], model.mean_q[1]];
  }

  // The Monge-Ampere point x (a ring) and T(x) (a filled dot), joined by a dashed segment.
  // While a new point waits for the server, only its ring is drawn, at the pointer.
  function drawProbe(cam) {
    const pr = model.probe;
    const x = local.probe || (pr && pr.length === 4 ? [pr[0], pr[1]] : null);
    if (!x) return;
    const sx = cam.x(x[0], x[1]), sy = cam.y(x[0], x[1], 0);
    const answered = pr && pr.length === 4 && !local.probe;
    ctx.lineWidth = 2;
    if (answered) {
      const tx = cam.x(pr[2], pr[3]), ty = cam.y(pr[2], pr[3], 0);
      ctx.strokeStyle = ink.text;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(sx, sy);
      ctx.lineTo(tx, ty);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = model.target_color;
      ctx.beginPath();
      ctx.arc(tx, ty, 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.strokeStyle = ink.text;
      ctx.stroke();
    }
    ctx.strokeStyle = model.source_color;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(sx, sy, 6, 0, 2 * Math.PI);
    ctx.stroke();
  }

  function draw() {
    frame = null;
    const start = performance.now();
    const cam = camera();
    ctx.setTransform(cam.dpr, 0, 0, cam.dpr, 0, 0);
    ctx.clearRect(0, 0, cam.w, cam.hgt);
    const L = model.half_width;
    const show = layers();
    const src = hexToRgb(model.source_color), tgt = hexToRgb(model.target_color);
    const t = local.t;

    // Base plane and a light unit grid.
    ctx.fillStyle = "rgba(128, 128, 128, 0.07)";
    ctx.strokeStyle = ink.edge;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(cam.x(-L, -L), cam.y(-L, -L, 0));
    ctx.lineTo(cam.x(L, -L), cam.y(L, -L, 0));
    ctx.lineTo(cam.x(L, L), cam.y(L, L, 0));
    ctx.lineTo(cam.x(-L, L), cam.y(-L, L, 0));
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    ctx.strokeStyle = "rgba(128, 128, 128, 0.18)";
    ctx.beginPath();
    for (let g = -L + 1; g < L; g += 1) {
      ctx.moveTo(cam.x(g, -L), cam.y(g, -L, 0));
      ctx.lineTo(cam.x(g, L), cam.y(g, L, 0));
      ctx.moveTo(cam.x(-L, g), cam.y(-L, g, 0));
      ctx.lineTo(cam.x(L, g), cam.y(L, g, 0));
    }
    ctx.stroke();
    ctx.fillStyle = ink.text;
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillText("x₁", cam.x(L + 0.5, -L), cam.y(L + 0.5, -L, 0));
    ctx.fillText("x₂", cam.x(-L, L + 0.5), cam.y(-L, L + 0.5, 0));

    if (show.has("levels") && levelCache) {
      ctx.strokeStyle = ink.level;
      ctx.lineWidth = 1;
      ctx.beginPath();
      const s = levelCache;
      for (let k = 0; k < s.length; k += 4) {
        ctx.moveTo(cam.x(s[k], s[k + 1]), cam.y(s[k], s[k + 1], 0));
        ctx.lineTo(cam.x(s[k + 2], s[k + 3]), cam.y(s[k + 2], s[k + 3], 0));
      }
      ctx.stroke();
    }

    const rings = model.rings, ringSize = model.ring_size;
    function strokeRings(which, color, ox = 0, oy = 0) {
      if (!rings || !ringSize) return;
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      const count = rings.length / (4 * ringSize);
      for (let r = 0; r < count; r++) {
        ctx.beginPath();
        for (let k = 0; k < ringSize; k++) {
          const o = 4 * (r * ringSize + k);
          const x = (which === "p" ? rings[o] : rings[o + 2]) + ox;
          const y = (which === "p" ? rings[o + 1] : rings[o + 3]) + oy;
          if (k === 0) ctx.moveTo(cam.x(x, y), cam.y(x, y, 0));
          else ctx.lineTo(cam.x(x, y), cam.y(x, y, 0));
        }
        ctx.closePath();
        ctx.stroke();
      }
    }
    const mp = model.mean_p, mq = meanQ();
    if (show.has("source")) {
      strokeRings("p", rgba(src, 0.95));
      ctx.fillStyle = rgba(src, 1);
      ctx.beginPath();
      ctx.arc(cam.x(mp[0], mp[1]), cam.y(mp[0], mp[1], 0), 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    // While the handle is dragged, q's contours follow it (a shift of the mean only
    // translates them); the surface and arrows follow once the server answers.
    if (show.has("target")) strokeRings("q", rgba(tgt, 0.95), mq[0] - model.mean_q[0], mq[1] - model.mean_q[1]);

    if (show.has("arrows") && model.arrows) {
      const a = model.arrows;
      for (let k = 0; k < a.length; k += 4) drawArrow(cam, a[k], a[k + 1], a[k + 2], a[k + 3], model.arrow_color, 1.3);
    }

    if (show.has("samples") && model.samples) {
      const s = model.samples;
      ctx.fillStyle = rgba(mix(src, tgt, t), 0.75);
      ctx.beginPath();
      for (let k = 0; k < s.length; k += 4) {
        const x = (1 - t) * s[k] + t * s[k + 2], y = (1 - t) * s[k + 1] + t * s[k + 3];
        const px = cam.x(x, y), py = cam.y(x, y, 0);
        ctx.moveTo(px + 2.2, py);
        ctx.arc(px, py, 2.2, 0, 2 * Math.PI);
      }
      ctx.fill();
    }

    if (show.has("surface") && quadColors) {
      const n = model.grid_n, zs = quadColors.zs, grid = quadColors.grid;
      const px = new Float32Array(n * n), py = new Float32Array(n * n), dz = new Float32Array(n * n);
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          const k = j * n + i;
          px[k] = cam.x(grid[i], grid[j]);
          py[k] = cam.y(grid[i], grid[j], zs[k]);
          dz[k] = cam.depth(grid[i], grid[j], zs[k]);
        }
      }
      const m = n - 1, order = new Uint32Array(m * m), depth = new Float32Array(m * m);
      for (let j = 0; j < m; j++) {
        for (let i = 0; i < m; i++) {
          const q = j * m + i, k = j * n + i;
          order[q] = q;
          depth[q] = dz[k] + dz[k + 1] + dz[k + n] + dz[k + n + 1];
        }
      }
      order.sort((a, b) => depth[a] - depth[b]); // far quads first
      ctx.lineWidth = 0.6;
      for (let r = 0; r < order.length; r++) {
        const q = order[r], j = (q / m) | 0, i = q - j * m, k = j * n + i;
        ctx.beginPath();
        ctx.moveTo(px[k], py[k]);
        ctx.lineTo(px[k + 1], py[k + 1]);
        ctx.lineTo(px[k + n + 1], py[k + n + 1]);
        ctx.lineTo(px[k + n], py[k + n]);
        ctx.closePath();
        ctx.fillStyle = quadColors.colors[q];
        ctx.fill();
      }
    }

    // The target mean is a handle: drawn last so it is always visible and grabbable.
    if (show.has("target")) {
      const hx = cam.x(mq[0], mq[1]), hy = cam.y(mq[0], mq[1], 0);
      ctx.fillStyle = rgba(tgt, 1);
      ctx.strokeStyle = "white";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(hx, hy, 7, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      canvas.dataset.handle = `${hx.toFixed(1)},${hy.toFixed(1)}`; // for tests and tools
    }

    if (show.has("probe")) drawProbe(cam);

    ctx.fillStyle = ink.text;
    ctx.font = "13px system-ui, sans-serif";
    ctx.fillText(`t = ${t.toFixed(2)}   azimuth ${local.az.toFixed(0)}°, elevation ${local.el.toFixed(0)}°`, 10, 18);

    const end = performance.now();
    const elapsed = end - start;
    if (heightsPending) {
      heightsPending = false;
      window.brenierHeightsDrawnAt = end; // when the last surface from the server hit the screen
    }
    frameTimes.push(elapsed);
    if (frameTimes.length > 1000) frameTimes.splice(0, frameTimes.length - 1000);
    canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);
    canvas.dataset.az = local.az.toFixed(1);
    canvas.dataset.el = local.el.toFixed(1);
  }

  function requestDraw() {
    if (frame === null) frame = requestAnimationFrame(draw);
  }

  // New data from the server: draw as soon as every property of the same message has been
  // applied (a microtask), not at the next animation frame, so a slider feels immediate.
  let dataDrawQueued = false;
  // "Save the figure" (components/export.js) redraws this canvas at its own pixel ratio.
  canvas.setAttribute("data-ot-export", "");
  canvas.__otRedraw = draw;

  function drawSoon() {
    if (dataDrawQueued) return;
    dataDrawQueued = true;
    queueMicrotask(() => {
      dataDrawQueued = false;
      if (frame !== null) {
        cancelAnimationFrame(frame);
        frame = null;
      }
      draw();
    });
  }

  // Screen point -> base-plane point (inverse of the z = 0 projection; fine for el >= 5 deg).
  function toPlane(cam, sx, sy) {
    const u = (sx - cam.w / 2) / cam.scale;
    const v = (cam.hgt / 2 - sy) / cam.scale + 0.5 * (Z_GAP + Z_SPAN) * model.half_width * cam.ce;
    const wv = v / cam.se; // along-ground coordinate away from the viewer
    return [u * cam.ca + wv * cam.sa, -u * cam.sa + wv * cam.ca];
  }

  let drag = null;
  // The flow's request and answer (plain objects: the flow keeps its state on them).
  const separation = {}, answered = {};
  function clampSeparation(p) {
    const lim = model.separation_limit;
    const q = (v, m) => Math.round(Math.max(-lim, Math.min(lim, v - m)) * 20) / 20 + m;
    return [q(p[0], model.mean_p[0]), q(p[1], model.mean_p[1])];
  }
  let wanted = null;  // the newest separation asked for
  function sendSeparation() {
    if (!local.handle) return;
    wanted = [local.handle[0] - model.mean_p[0], local.handle[1] - model.mean_p[1]];
    flow_request(separation, answered, () => wanted, () => {
      model.dx = wanted[0];
      model.dy = wanted[1];
    });
  }
  // The Monge-Ampere point: hovered with a mouse, or tapped; sent through the same flow.
  const probe = {};
  function askProbe(ev) {
    if (!layers().has("probe")) return;
    const rect = canvas.getBoundingClientRect();
    const pt = toPlane(camera(), ev.clientX - rect.left, ev.clientY - rect.top);
    const L = model.half_width;
    if (Math.abs(pt[0]) > L || Math.abs(pt[1]) > L) return;
    const q = (v) => Math.round(v * 20) / 20;
    local.probe = [q(pt[0]), q(pt[1])];
    canvas.dataset.probe = `${local.probe[0]},${local.probe[1]}`;
    flow_request(probe, answered, () => local.probe, () => {
      model.mx = local.probe[0];
      model.my = local.probe[1];
    });
    requestDraw();
  }
  function probeBusy() {
    const st = probe.__ot_flow;
    return st != null && (st.inflight || st.pending != null);
  }
  // True while a separation waits for the server (sent and unanswered, or not sent yet).
  function separationBusy() {
    const st = separation.__ot_flow;
    return st != null && (st.inflight || st.pending != null);
  }

  canvas.addEventListener("pointerdown", (ev) => {
    const rect = canvas.getBoundingClientRect();
    const sx = ev.clientX - rect.left, sy = ev.clientY - rect.top;
    const cam = camera();
    const mq = meanQ();
    const onHandle =
      layers().has("target") &&
      Math.hypot(sx - cam.x(mq[0], mq[1]), sy - cam.y(mq[0], mq[1], 0)) < HANDLE_RADIUS_PX;
    drag = { kind: onHandle ? "handle" : "rotate", x: ev.clientX, y: ev.clientY, az: local.az, el: local.el };
    flow_known(probe, answered, [model.mx, model.my]);
    if (onHandle) {
      local.handle = [mq[0], mq[1]];
      flow_known(separation, answered, [model.dx, model.dy]);  // what the server holds
    }
    canvas.setPointerCapture(ev.pointerId);
    canvas.style.cursor = "grabbing";
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!drag) {
      if (ev.pointerType === "mouse") askProbe(ev);
      return;
    }
    if (drag.kind === "rotate") {
      local.az = ((drag.az + (ev.clientX - drag.x) * 0.5 + 540) % 360) - 180;
      local.el = Math.max(model.el_min, Math.min(90, drag.el + (ev.clientY - drag.y) * 0.4));
    } else {
      const rect = canvas.getBoundingClientRect();
      local.handle = clampSeparation(toPlane(camera(), ev.clientX - rect.left, ev.clientY - rect.top));
      sendSeparation();
    }
    requestDraw();
  });
  function endDrag(ev) {
    if (!drag) return;
    const tap = ev && ev.type === "pointerup" && Math.hypot(ev.clientX - drag.x, ev.clientY - drag.y) < 5;
    if (drag.kind === "rotate" && tap) {
      // A tap (a finger has no hover) picks the Monge-Ampere point; the view stays.
      local.az = drag.az;
      local.el = drag.el;
      askProbe(ev);
    } else if (drag.kind === "rotate") {
      // Commit to a tenth of a degree: the view, its data attributes and the URL agree.
      local.az = Math.round(local.az * 10) / 10;
      local.el = Math.round(local.el * 10) / 10;
      canvas.dataset.az = local.az.toFixed(1);
      canvas.dataset.el = local.el.toFixed(1);
      model.az = local.az;
      model.el = local.el;
      requestDraw();
    } else {
      sendSeparation();
      const mq = model.mean_q;
      if (Math.abs(local.handle[0] - mq[0]) < 1e-9 && Math.abs(local.handle[1] - mq[1]) < 1e-9) local.handle = null;
    }
    drag = null;
    canvas.style.cursor = "grab";
  }
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);
  canvas.addEventListener("keydown", (ev) => {
    const step = { ArrowLeft: [-5, 0], ArrowRight: [5, 0], ArrowUp: [0, 5], ArrowDown: [0, -5] }[ev.key];
    if (!step) return;
    ev.preventDefault();
    local.az = ((local.az + step[0] + 540) % 360) - 180;
    local.el = Math.max(model.el_min, Math.min(90, local.el + step[1]));
    model.az = local.az;
    model.el = local.el;
    requestDraw();
  });

  play.addEventListener("click", () => {
    if (local.playing) {
      local.playing = false;
      return;
    }
    local.playing = true;
    play.textContent = "❚❚ pause";
    const t0 = performance.now(), from = local.t >= 1 ? 0 : local.t;
    function step(now) {
      if (!local.playing) {
        play.textContent = "▶ play t";
        model.t = Math.round(local.t * 100) / 100;
        return;
      }
      local.t = Math.min(1, from + (now - t0) / (1000 * PLAY_SECONDS));
      draw();
      if (local.t < 1) requestAnimationFrame(step);
      else {
        local.playing = false;
        play.textContent = "▶ play t";
        model.t = 1;
      }
    }
    requestAnimationFrame(step);
  });

  model.on(["heights", "grid_n", "half_width"], () => {
    heightsPending = true;
    rebuildCaches();
    drawSoon();
  });
  model.on(["mean_q"], () => {
    // The server has caught up with the handle once it answers the last separation sent.
    if (!drag && !separationBusy()) local.handle = null;
    drawSoon();
  });
  model.on("ack", () => {
    flow_ack(answered);
    if (!drag && !separationBusy()) local.handle = null;  // caught up (mean_q came first)
    if (!probeBusy()) { local.probe = null; requestDraw(); }
  });
  model.on(["probe"], drawSoon);
  model.on(["az", "el"], () => {
    if (drag && drag.kind === "rotate") return;
    local.az = model.az;
    local.el = model.el;
    requestDraw();
  });
  model.on(["t"], () => {
    if (!local.playing) { local.t = model.t; requestDraw(); }
  });
  model.on(["layers", "arrows", "samples", "rings", "mean_p"], drawSoon);
  model.on("resize", requestDraw);
  model.on("after_layout", requestDraw);
  const resize = typeof ResizeObserver !== "undefined" ? new ResizeObserver(requestDraw) : null;
  if (resize) resize.observe(wrap);
  model.on("remove", () => {
    local.playing = false;
    if (resize) resize.disconnect();
  });

  rebuildCaches();
  requestDraw();
  return wrap;
}
