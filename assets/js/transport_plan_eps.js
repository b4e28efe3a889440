// The ε slider moved (CustomJS on its value; the slider itself is not synced).
// args: request (ColumnDataSource {log_eps: [value]}).
// Like a bar drag: the request is sent when no earlier one waits for its answer
// (transport_plan_ack.js sends the newest pending one when the answer arrives), so a fast
// slider never queues work on the server and the newest position always gets computed.
const st = request.__tp_drag || (request.__tp_drag = {
  inflight: false, dirty: false, sent: 0, last: request.data.log_eps[0], send: null,
});
// Send the position unless it is the one last sent: the server only answers a change.
st.send = () => {
  const value = request.data.log_eps[0];
  st.dirty = false;
  if (value === st.last) {
    st.inflight = false;
    return;
  }
  st.last = value;
  st.inflight = true;
  st.sent = performance.now();
  request.setv({data: request.data}, {check_eq: false});
};
request.data.log_eps[0] = cb_obj.value;
if (!st.inflight || performance.now() - st.sent > 250) {
  st.send();
} else {
  st.dirty = true;
}
