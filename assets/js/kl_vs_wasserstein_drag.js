// Drag the sliding bump on the "KL versus Wasserstein" page (body of a Bokeh CustomJS).
// Args: phase ("start" | "move" | "end"), bump (the bump's ColumnDataSource: x0 offsets, x, y),
// drag (a one-row source {shift, seq} synced to the server), lo / hi (shift bounds), every_ms.
// The bump follows the pointer in the browser with no round trip; the shift is sent to the
// server at most every `every_ms` and once more on release (the server keeps only the latest).
const st = drag._kvw || (drag._kvw = {active: false, last_sent: 0, timer: null, shift: 0});
const data = bump.data;

function send() {
  if (st.timer !== null) { clearTimeout(st.timer); st.timer = null; }
  st.last_sent = Date.now();
  const d = drag.data;
  d.shift[0] = st.shift;
  d.seq[0] = d.seq[0] + 1;
  // An in-place edit is not synced by a plain assignment: force it.
  drag.setv({data: d}, {check_eq: false});
}

if (phase === "start") {
  st.active = true;
  st.s0 = data.x[0] - data.x0[0];
  st.x0 = cb_obj.x;
  return;
}
if (!st.active) { return; }
let s = st.s0 + (cb_obj.x - st.x0);
s = Math.min(hi, Math.max(lo, s));
s = Math.round(s * 1000) / 1000;
st.shift = s;
for (let i = 0; i < data.x.length; i++) { data.x[i] = data.x0[i] + s; }
bump.change.emit();  // re-render only; not synced to the server
if (phase === "end") {
  st.active = false;
  send();
  return;
}
const wait = every_ms - (Date.now() - st.last_sent);
if (wait <= 0) { send(); } else if (st.timer === null) { st.timer = setTimeout(send, wait); }
