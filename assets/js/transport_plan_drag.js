// Drag a histogram bar (CustomJS body for panstart / pan / panend / tap on a bar figure).
// args: source (ColumnDataSource with columns x, top), ymax.
// The bars change here at once; the server hears about it through a forced sync that is
// sent when no earlier sync is still waiting for its answer (see transport_plan_ack.js), so
// the server never gets a backlog and the browser never waits on it.
const data = source.data;
const xs = data.x;
const top = data.top;
const n = xs.length;
if (n === 0 || cb_obj.x == null || cb_obj.y == null) {
  return;
}
const dx = n > 1 ? xs[1] - xs[0] : 1;
const lo = xs[0] - dx / 2;
const st = source.__tp_drag || (source.__tp_drag = {
  i: null, y: null, inflight: false, dirty: false, sent: 0, last: null, send: null,
});
const bin = (x) => Math.min(n - 1, Math.max(0, Math.floor((x - lo) / dx)));
const height = (y) => Math.min(ymax, Math.max(0, y));

// Send the bars unless the server already has them: the server only answers a change, and
// a sync waiting for an answer that never comes would hold the next one back.
function send() {
  const now = source.data.top;
  const last = st.last;
  st.dirty = false;
  if (last != null && last.length === now.length && last.every((v, k) => v === now[k])) {
    st.inflight = false;
    return;
  }
  st.last = Array.from(now);
  st.inflight = true;
  st.sent = performance.now();
  source.setv({data: source.data}, {check_eq: false});
}
st.send = send;

const ev = cb_obj.event_name;
const i = bin(cb_obj.x);
const y = height(cb_obj.y);
if (ev === "panstart" || ev === "tap" || st.i === null) {
  if (!st.inflight) {
    st.last = Array.from(top);  // what the server holds (it may have sent new bars)
  }
  top[i] = y;
} else {
  // Paint every bar crossed since the last event, heights on the straight line between.
  const i0 = st.i;
  const y0 = st.y;
  const step = i >= i0 ? 1 : -1;
  for (let k = i0; k !== i + step; k += step) {
    const t = i === i0 ? 1 : (k - i0) / (i - i0);
    top[k] = y0 + t * (y - y0);
  }
}
st.i = i;
st.y = y;
source.change.emit();  // redraw in the browser now, without a round trip
if (ev === "panend" || ev === "tap") {
  st.i = null;
  send();
} else if (!st.inflight || performance.now() - st.sent > 250) {
  send();  // (250 ms: an answer that never came does not block the drag)
} else {
  st.dirty = true;
}
