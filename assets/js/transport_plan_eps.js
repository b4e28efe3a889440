// The ε slider moved (CustomJS on its value; the slider itself is not synced; flow.js is
// prepended). Args: request (ColumnDataSource {log_eps: [value]}), answer (the flow's answer).
// Like a bar drag it goes through the flow: a fast slider never queues work on the server and
// the newest position always gets computed. The page's starting position counts as sent.
if (request.__ot_flow == null) {
  flow_known(request, answer, request.data.log_eps[0]);
}
request.data.log_eps[0] = cb_obj.value;
flow_request(request, answer, () => request.data.log_eps[0],
             () => request.setv({data: request.data}, {check_eq: false}));
