// Every use of BokehJS internals by a figure's set-up, in one place (pages/compat.py JS_HOOKS
// lists them; tests/browser/test_frame.py checks each on the pinned BokehJS). Prepended to the
// CustomJS bodies that need it (pages/components/js.py), so a BokehJS upgrade that moves them
// is mended here once.

// The figure's view (Document.views_manager), with Bokeh's pointer-event layer inside it
// (CanvasView.events_el) taken out of the Tab order and without its dotted outline: the figure
// itself is the one Tab stop. `touch_action` says what a finger on the figure does ("none": it
// drags; "pan-y": it drags sideways and still scrolls the page). Null until the view exists.
function ot_figure_view(fig, touch_action) {
  const views = fig.document == null ? null : fig.document.views_manager;
  const view = views == null ? null : views.find_one(fig);
  if (view == null) {
    return null;
  }
  const layer = view.canvas_view == null ? null : view.canvas_view.events_el;
  if (layer != null) {
    layer.tabIndex = -1;
    layer.style.outline = "none";
    if (touch_action) {
      layer.style.touchAction = touch_action;
    }
  }
  // A pointer held still for 300 ms becomes Bokeh's "press", whose moves are then ignored: a
  // student who rests a finger (or the mouse button) on a bar or a point before dragging it
  // could not drag. No figure here uses press tools, so a press never starts
  // (UIGestures.press_threshold, a class-wide setting; the longest timeout a browser keeps).
  const gestures = view.canvas_view?.ui_event_bus?.ui_gestures;
  if (gestures != null) {
    gestures.constructor.press_threshold = 2 ** 31 - 1;
  }
  return view;
}
