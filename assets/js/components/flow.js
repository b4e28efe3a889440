// One flow-control protocol for every draggable figure (browser half; the server half is
// pages/components/flow.py). A CustomJS body cannot import a module, so Python prepends this
// file to each body that uses it (pages/components/js.py); it only declares functions.
//
// A request is a model the browser writes and the server reads (a ColumnDataSource). Per
// request at most one write is in flight: a change is sent at once when nothing is in flight,
// otherwise only the newest is kept and sent when the server's answer arrives (a change of
// the answer model, whatever it carries), or once FLOW_TIMEOUT_MS have passed without one
// (an answer that seems lost must not stall a drag). A value the server already has is never
// sent: Bokeh drops an unchanged value without an answer, which used to hold the next one back.
const FLOW_TIMEOUT_MS = __FLOW_TIMEOUT_MS__;

function flow_copy(value) {
  return value != null && typeof value === "object" ? Array.from(value) : value;
}

function flow_same(a, b) {
  if (a === b) { return true; }
  if (a == null || b == null || typeof a !== "object" || typeof b !== "object") { return false; }
  if (a.length !== b.length) { return false; }
  for (let k = 0; k < a.length; k++) { if (a[k] !== b[k]) { return false; } }
  return true;
}

// The request's state, made on first use. `answer` is the model whose changes acknowledge it;
// the request registers there, so one answer releases every request of a page.
function flow_state(request, answer) {
  let st = request.__ot_flow;
  if (st == null) {
    st = request.__ot_flow = {inflight: false, sent_at: 0, last: undefined, pending: null,
                              timer: null, sends: 0};
    const all = answer.__ot_flows || (answer.__ot_flows = new Set());
    all.add(request);
  }
  return st;
}

// What the server holds now (the page started with it, or the server wrote it): a move back to
// it sends nothing. Ignored while a write is in flight (the server's copy is about to change).
function flow_known(request, answer, value) {
  const st = flow_state(request, answer);
  if (!st.inflight) { st.last = flow_copy(value); }
}

// Ask for the request's newest value to reach the server. read() returns that value (read at
// send time, so the newest is sent); write() performs the forced sync.
function flow_request(request, answer, read, write) {
  const st = flow_state(request, answer);
  st.pending = {read, write};
  const waited = performance.now() - st.sent_at;
  if (!st.inflight || waited >= FLOW_TIMEOUT_MS) {
    flow_send(request);
  } else if (st.timer == null) {
    st.timer = setTimeout(() => { st.timer = null; flow_send(request); },
                          FLOW_TIMEOUT_MS - waited);
  }
}

// Send the pending value now (an answer came, or the wait timed out).
function flow_send(request) {
  const st = request.__ot_flow;
  if (st.timer != null) { clearTimeout(st.timer); st.timer = null; }
  st.inflight = false;
  const p = st.pending;
  st.pending = null;
  if (p == null) { return; }
  const value = flow_copy(p.read());
  if (flow_same(value, st.last)) { return; }  // the server has it: it would never answer
  st.last = value;
  st.inflight = true;
  st.sent_at = performance.now();
  st.sends += 1;
  p.write();
}

// The server answered: release every request waiting on this answer model.
function flow_ack(answer) {
  for (const request of (answer.__ot_flows || [])) {
    if (request.__ot_flow.inflight) { flow_send(request); }
  }
}
