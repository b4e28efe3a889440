// Drag a bar of a histogram (body of a CustomJS on panstart / pan / panend / tap of its figure;
// flow.js is prepended). Args: source (columns x, top), answer (the flow's answer model), ymax.
// The bars change here at once (no round trip); the server hears of them through the flow
// (one write in flight, the newest sent on the answer), so it never gets a backlog.
const data = source.data;
const xs = data.x;
const top = data.top;
const n = xs.length;
if (n === 0 || cb_obj.x == null || cb_obj.y == null) {
  return;
}
const dx = n > 1 ? xs[1] - xs[0] : 1;
const lo = xs[0] - dx / 2;
const drag = source.__ot_drag || (source.__ot_drag = {i: null, y: null});
const bin = (x) => Math.min(n - 1, Math.max(0, Math.floor((x - lo) / dx)));
const height = (y) => Math.min(ymax, Math.max(0, y));

const ev = cb_obj.event_name;
const i = bin(cb_obj.x);
const y = height(cb_obj.y);
if (ev === "panend") {
  // The moves painted the bars already; a pan ended by the browser (pointercancel) reports a
  // position that is not the finger's, so it paints nothing.
  drag.i = null;
} else if (ev === "panstart" || ev === "tap" || drag.i === null) {
  flow_known(source, answer, top);  // what the server holds (it may have sent new bars)
  top[i] = y;
} else {
  // Paint every bar crossed since the last event, heights on the straight line between.
  const i0 = drag.i;
  const y0 = drag.y;
  const step = i >= i0 ? 1 : -1;
  for (let k = i0; k !== i + step; k += step) {
    const t = i === i0 ? 1 : (k - i0) / (i - i0);
    top[k] = y0 + t * (y - y0);
  }
}
if (ev === "pan" || ev === "panstart") {
  drag.i = i;
  drag.y = y;
} else {
  drag.i = null;
}
source.change.emit();  // redraw in the browser now
// An in-place edit is synced only when forced (check_eq: false).
flow_request(source, answer, () => source.data.top,
             () => source.setv({data: source.data}, {check_eq: false}));
