// The ε slider moved (CustomJS on its value; the slider itself is not synced).
// args: request (ColumnDataSource {log_eps: [value]}).
// Like a bar drag: the request is sent when no earlier one waits for its answer
// (transport_plan_ack.js sends the newest pending one when the answer arrives), so a fast
// slider never queues work on the server and the newest position always gets computed.
const st = request.__tp_drag || (request.__tp_drag = {
  i: null, y: null, inflight: false, dirty: false, sent: 0,
});
request.data.log_eps[0] = cb_obj.value;
if (!st.inflight || performance.now() - st.sent > 250) {
  st.inflight = true;
  st.dirty = false;
  st.sent = performance.now();
  request.setv({data: request.data}, {check_eq: false});
} else {
  st.dirty = true;
}
