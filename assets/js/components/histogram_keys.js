// Keyboard path for a histogram (CustomJS on the figure's inner_width: runs once it has a
// size; flow.js is prepended). Args: source (columns x, top), answer, ymax, label.
// Tab focuses the histogram; Left/Right pick a bar, Up/Down change its height (Shift: bigger
// steps), Home/End jump to the ends. The picked bar is the source's selection.
const views = cb_obj.document == null ? null : cb_obj.document.views_manager;
const view = views == null ? null : views.find_one(cb_obj);
if (view == null || view.el.__ot_keys) {
  return;
}
const el = view.el;
el.__ot_keys = true;
el.tabIndex = 0;
el.style.outline = "none";  // a ring only for keyboard focus (below)
// Bokeh's pointer-event layer inside the figure is focusable too (tabindex 0, and a dotted
// outline when focused): a mouse click left that dotted border on the histogram, and Tab
// stopped there a second time. Keep it clickable, out of the Tab order, without an outline.
const layer = view.canvas_view == null ? null : view.canvas_view.events_el;
if (layer != null) {
  layer.tabIndex = -1;
  layer.style.outline = "none";
  // A finger dragging a bar must not scroll the page: otherwise the browser takes the gesture
  // over after a few pixels (pointercancel) and the drag stops there.
  layer.style.touchAction = "none";
}
el.setAttribute("role", "group");
el.setAttribute("aria-label",
  label + ": Left and Right pick a bar, Up and Down change its height");
el.addEventListener("focus", () => {
  if (!el.matches(":focus-visible")) {
    return;  // a click with the mouse: no focus ring, no keyboard cursor
  }
  el.style.outline = "2px solid currentColor";
  if (source.selected.indices.length === 0) {
    source.selected.indices = [Math.floor(source.data.x.length / 2)];
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
  const step = e.shiftKey ? 0.1 : 0.02;
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
    const sign = e.key === "ArrowUp" ? 1 : -1;
    top[i] = Math.min(ymax, Math.max(0, top[i] + sign * step));
    source.change.emit();
    flow_request(source, answer, () => source.data.top,
                 () => source.setv({data: source.data}, {check_eq: false}));
  } else {
    return;
  }
  e.preventDefault();
  source.selected.indices = [i];
});
