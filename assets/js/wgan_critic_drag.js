// The fake cloud of the WGAN critic page follows the dragged handle in the browser, with no
// round trip: moving the generator's offset translates every fake point, and its arrows, by
// the same vector. The server draws the cloud and the arrows at the offset it computed for
// (`drawn`: one row x, y); the browser adds (handle - drawn) to what the server sent, so the
// picture is right at every frame and snaps to the server's own arrows when its answer lands.
// The fields, the arrows' directions and every number stay the server's.
// Runs once the critic figure is laid out (or a drag starts) and sets up listeners; the
// translation edits the sources in place and emits `change`, which re-renders without a sync.
// args: handle (the draggable points' source, one row), drawn, moved (sources to translate:
// the shared fake cloud and each figure's arrows).
(function () {
  if (drawn.__wg_moving) {
    return;  // set up already
  }
  drawn.__wg_moving = true;
  // Columns read as x (the rest as y), per source kind.
  const X_COLS = new Set(["x", "x0", "x1"]);

  // The server's values of a source, copied when the server sends a new data object (an edit
  // in place keeps the object, so the copy stays what the server sent), and the shift drawn.
  function state(src) {
    let st = src.__wg_base;
    if (st == null || st.data !== src.data) {
      const cols = {};
      for (const [k, v] of Object.entries(src.data)) {
        cols[k] = Float64Array.from(v);
      }
      st = src.__wg_base = {data: src.data, cols: cols, dx: 0, dy: 0};
    }
    return st;
  }

  function translate() {
    queued = false;
    const h = handle.data, d = drawn.data;
    if (h.x == null || h.x.length < 1 || d.x == null || d.x.length < 1) {
      return;
    }
    const dx = h.x[0] - d.x[0], dy = h.y[0] - d.y[0];
    for (const src of moved) {
      const fresh = src.__wg_base == null || src.__wg_base.data !== src.data;
      const st = state(src);
      if (fresh ? dx === 0 && dy === 0 : st.dx === dx && st.dy === dy) {
        continue;  // drawn there already
      }
      st.dx = dx;
      st.dy = dy;
      for (const [k, v] of Object.entries(st.cols)) {
        const col = src.data[k];
        const shift = X_COLS.has(k) ? dx : dy;
        for (let i = 0; i < v.length; i++) {
          col[i] = v[i] + shift;
        }
      }
      src.change.emit();  // re-render only; not synced
    }
  }

  // Once per task: an answer changes several sources in one message, a drag event one.
  let queued = false;
  function soon() {
    if (!queued) {
      queued = true;
      queueMicrotask(translate);
    }
  }

  // A move of the handle (in place while dragging, or the server's write), or new server data.
  handle.connect(handle.change, soon);
  drawn.connect(drawn.properties.data.change, soon);
  for (const src of moved) {
    src.connect(src.properties.data.change, soon);
  }
  translate();
})();
