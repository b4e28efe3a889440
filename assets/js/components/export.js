// "Save the figure": compose the page's figure into one PNG (or SVG) with its readouts as a
// caption, and download it. Used by pages/takehome.py (FigureExport), one per page.
//
// A click asks Python for the caption (model.send_msg); Python answers by counting `request`
// up with the caption lines. Then every Bokeh plot inside the page's role="figure" element is
// repainted at SCALE x its CSS size (PlotView.export, with devicePixelRatio raised for the
// duration of the synchronous call), every foreign canvas (the Brenier surface, marked
// data-ot-export) is redrawn the same way, and they are placed where they sit on screen.
// The caption is drawn as text (never parsed as HTML). Private hooks: pages/compat.py JS_HOOKS.

const MIN_SCALE = 2;

function allRoots() {
  const roots = [document];
  for (let k = 0; k < roots.length; k++) {
    for (const el of roots[k].querySelectorAll("*")) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
    }
  }
  return roots;
}

function figureRegion() {
  for (const root of allRoots()) {
    const hit = root.querySelector('[role="figure"]');
    if (hit) return hit;
  }
  return null;
}

// Run fn with window.devicePixelRatio at `ratio` (BokehJS and the Brenier canvas read it).
function withPixelRatio(ratio, fn) {
  const own = Object.getOwnPropertyDescriptor(window, "devicePixelRatio");
  Object.defineProperty(window, "devicePixelRatio", {value: ratio, configurable: true, writable: true});
  try {
    return fn();
  } finally {
    if (own) Object.defineProperty(window, "devicePixelRatio", own);
    else delete window.devicePixelRatio;
  }
}

function plotViews() {
  const out = [];
  const docs = (window.Bokeh && window.Bokeh.documents) || [];
  for (const doc of docs) {
    const views = doc.views_manager;
    if (views == null) continue;
    for (const view of views.query((v) => v.canvas_view != null && typeof v.export === "function")) {
      out.push(view);
    }
  }
  return out;
}

function inside(rect, box) {
  return rect.width > 0 && rect.height > 0 && rect.right > box.left && rect.left < box.right &&
    rect.bottom > box.top && rect.top < box.bottom;
}

function foreignCanvases() {
  const out = [];
  for (const root of allRoots()) {
    for (const c of root.querySelectorAll("canvas[data-ot-export]")) out.push(c);
  }
  return out;
}

// What to place: {kind, rect, view | canvas}, in page order, relative to the figure's box.
function pieces(box) {
  const items = [];
  for (const view of plotViews()) {
    const el = view.el;
    if (el == null || !el.isConnected) continue;
    const rect = el.getBoundingClientRect();
    if (inside(rect, box)) items.push({kind: "plot", rect, view});
  }
  // A plot nested in another plot's layout is drawn by its parent: keep outermost only.
  const plots = items.filter((a) => !items.some((b) => b !== a && b.view.child_views &&
    [...b.view.child_views].includes(a.view)));
  for (const canvas of foreignCanvases()) {
    const rect = canvas.getBoundingClientRect();
    if (inside(rect, box)) plots.push({kind: "canvas", rect, canvas});
  }
  return plots;
}

function captionLines(ctx, lines, width) {
  const out = [];
  for (const line of lines) {
    const words = String(line).split(/\s+/);
    let current = "";
    for (const word of words) {
      const next = current ? current + " " + word : word;
      if (current && ctx.measureText(next).width > width) {
        out.push(current);
        current = word;
      } else {
        current = next;
      }
    }
    out.push(current);
  }
  return out;
}

function colours() {
  const style = getComputedStyle(document.body);
  let bg = style.backgroundColor;
  if (!bg || bg === "rgba(0, 0, 0, 0)" || bg === "transparent") bg = "#ffffff";
  return {bg, fg: style.color || "#000000"};
}

function drawCanvas(canvas, scale) {
  // Redraw at the export scale if the component knows how (brenier_surface.js), then copy.
  const copy = document.createElement("canvas");
  const rect = canvas.getBoundingClientRect();
  copy.width = Math.round(rect.width * scale);
  copy.height = Math.round(rect.height * scale);
  const redraw = canvas.__otRedraw;
  if (typeof redraw === "function") withPixelRatio(scale, () => redraw());
  copy.getContext("2d").drawImage(canvas, 0, 0, copy.width, copy.height);
  if (typeof redraw === "function") redraw();
  return copy;
}

const FONT_PX = 14;
const LINE_PX = 19;
const PAD = 12;

function composePNG(box, items, lines, scale) {
  const {bg, fg} = colours();
  const width = Math.ceil(box.width);
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = `${FONT_PX}px system-ui, sans-serif`;
  const wrapped = captionLines(measure, lines, width - 2 * PAD);
  const captionHeight = wrapped.length ? wrapped.length * LINE_PX + 2 * PAD : 0;
  const height = Math.ceil(box.height) + captionHeight;
  const out = document.createElement("canvas");
  out.width = Math.round(width * scale);
  out.height = Math.round(height * scale);
  const ctx = out.getContext("2d");
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, out.width, out.height);
  for (const item of items) {
    const x = (item.rect.left - box.left) * scale, y = (item.rect.top - box.top) * scale;
    if (item.kind === "plot") {
      const layer = withPixelRatio(scale, () => item.view.export("png", true));
      ctx.drawImage(layer.canvas, x, y, item.rect.width * scale, item.rect.height * scale);
    } else {
      ctx.drawImage(drawCanvas(item.canvas, scale), x, y);
    }
  }
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = fg;
  ctx.font = measure.font;
  ctx.textBaseline = "top";
  wrapped.forEach((line, k) => ctx.fillText(line, PAD, box.height + PAD + k * LINE_PX));
  return new Promise((resolve, reject) =>
    out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("empty image"))), "image/png"));
}

const SVG_NS = "http://www.w3.org/2000/svg";

function composeSVG(box, items, lines, scale) {
  const {bg, fg} = colours();
  const width = Math.ceil(box.width);
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = `${FONT_PX}px system-ui, sans-serif`;
  const wrapped = captionLines(measure, lines, width - 2 * PAD);
  const height = Math.ceil(box.height) + (wrapped.length ? wrapped.length * LINE_PX + 2 * PAD : 0);
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("xmlns", SVG_NS);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const back = document.createElementNS(SVG_NS, "rect");
  back.setAttribute("width", "100%");
  back.setAttribute("height", "100%");
  back.setAttribute("fill", bg);
  svg.appendChild(back);
  for (const item of items) {
    const x = item.rect.left - box.left, y = item.rect.top - box.top;
    if (item.kind === "plot") {
      const layer = item.view.export("svg", true);
      const inner = layer.ctx.get_svg().cloneNode(true);
      inner.setAttribute("x", String(x));
      inner.setAttribute("y", String(y));
      svg.appendChild(inner);
    } else {
      const image = document.createElementNS(SVG_NS, "image");
      image.setAttribute("href", drawCanvas(item.canvas, scale).toDataURL("image/png"));
      for (const [k, v] of [["x", x], ["y", y], ["width", item.rect.width], ["height", item.rect.height]])
        image.setAttribute(k, String(v));
      svg.appendChild(image);
    }
  }
  wrapped.forEach((line, k) => {
    const text = document.createElementNS(SVG_NS, "text");
    text.setAttribute("x", String(PAD));
    text.setAttribute("y", String(box.height + PAD + k * LINE_PX + FONT_PX));
    text.setAttribute("fill", fg);
    text.setAttribute("font-family", "system-ui, sans-serif");
    text.setAttribute("font-size", String(FONT_PX));
    text.textContent = line;  // text, never markup
    svg.appendChild(text);
  });
  const source = new XMLSerializer().serializeToString(svg);
  return Promise.resolve(new Blob([source], {type: "image/svg+xml"}));
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function composeFigure(format, lines) {
  const region = figureRegion();
  if (region == null) throw new Error("no figure on this page");
  const box = region.getBoundingClientRect();
  const scale = Math.min(4, Math.max(MIN_SCALE, MIN_SCALE * (window.devicePixelRatio || 1)));
  const items = pieces(box);
  const blob = format === "svg" ? await composeSVG(box, items, lines, scale)
    : await composePNG(box, items, lines, scale);
  return {blob, width: box.width, height: box.height, scale};
}

export function render({ model, el }) {
  const bar = document.createElement("div");
  bar.className = "ot-export";
  const status = document.createElement("span");
  status.className = "ot-export-status";
  status.setAttribute("role", "status");
  const make = (label, format, description) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.title = description;
    button.addEventListener("click", () => {
      status.textContent = "";
      model.send_msg({format});
    });
    return button;
  };
  bar.appendChild(make("Save the figure (PNG)", "png", "The figure and its numbers, as a PNG at twice the screen's resolution"));
  if (model.svg) bar.appendChild(make("SVG", "svg", "The figure and its numbers, as an SVG"));
  bar.appendChild(status);
  el.appendChild(bar);
  model.on("request", async () => {
    try {
      const {blob} = await composeFigure(model.format, model.caption || []);
      download(blob, `${model.filename || "figure"}.${model.format === "svg" ? "svg" : "png"}`);
    } catch (err) {
      status.textContent = "Could not save the figure.";
      console.warn("save the figure:", err);
    }
  });
}
