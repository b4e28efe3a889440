// A /unbalanced slider moved (CustomJS on its value; the slider itself is not synced; flow.js
// is prepended). Args: request (ColumnDataSource {<key>: [value]}), answer (the flow's
// answer), key. Like a bar drag it goes through the page's flow: a fast slider never queues
// work on the server and its newest position always gets computed.
if (request.__ot_flow == null) {
  flow_known(request, answer, request.data[key][0]);
}
request.data[key][0] = cb_obj.value;
flow_request(request, answer, () => request.data[key][0],
             () => request.setv({data: request.data}, {check_eq: false}));
