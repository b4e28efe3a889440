// The Euler-steps slider of the flow-matching page, answered in the browser. The server sends
// every k's samples once per finished fit (`steps`: the 1..k_max sets of each pairing, end to
// end) and every k's W2 as the page formats it (`lines`: columns independent_text, ot_text), so
// a new k swaps the drawn samples, moves the marker on the W2 curve and rewrites the W2 row of
// the readouts with no round trip. The server still learns k (debounced) for the link and its
// own state, and sends the same values back; mode "guard" runs when such an echo lands and
// puts back the browser's k if the student has moved on since (no flicker to a stale k).
// args: steps, lines, samples_ind, samples_ot, now, k_max, mode.
(function () {
  let k;
  if (mode === "slider") {
    k = Math.min(Math.max(Math.round(cb_obj.value), 1), k_max);
    steps.__fm_k = k;
  } else {
    k = steps.__fm_k;
    if (k == null) {
      return;  // the browser has not moved k: the server's values are the shown ones
    }
  }
  const d = steps.data;
  const n = d.ind_x == null ? 0 : Math.floor(d.ind_x.length / k_max);
  function same(a, b) {
    if (a == null || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < b.length; i++) {
      if (a[i] !== b[i]) {
        return false;
      }
    }
    return true;
  }
  if (n > 0) {
    const lo = (k - 1) * n;
    const hi = k * n;
    for (const [src, p] of [[samples_ind, "ind"], [samples_ot, "ot"]]) {
      const x = d[p + "_x"].slice(lo, hi);
      const y = d[p + "_y"].slice(lo, hi);
      if (!same(src.data.x, x) || !same(src.data.y, y)) {
        src.data = {x: x, y: y};
      }
    }
  }
  if (now.location !== k) {
    now.location = k;
  }
  // The readout table lives in a shadow root: found once, kept on the model.
  let table = steps.__fm_table;
  if (table == null || !table.isConnected) {
    table = null;
    const roots = [document];
    while (table == null && roots.length > 0) {
      const root = roots.pop();
      table = root.querySelector("table.fm-readouts");
      for (const el of root.querySelectorAll("*")) {
        if (el.shadowRoot != null) {
          roots.push(el.shadowRoot);
        }
      }
    }
    steps.__fm_table = table;
  }
  const row = table == null ? null : table.querySelector("tr[data-key='w2']");
  if (row == null) {
    return;
  }
  const label = row.querySelector("th");
  const text = label.textContent.replace(/k = \d+/, "k = " + k);
  if (label.textContent !== text) {
    label.textContent = text;
  }
  const t = lines.data;
  if (t.ot_text != null && t.ot_text.length >= k) {
    for (const [cls, col] of [["fm-ind", "independent_text"], ["fm-ot", "ot_text"]]) {
      const cell = row.querySelector("." + cls);
      const value = String(t[col][k - 1]);
      if (cell != null && cell.textContent !== value) {
        cell.textContent = value;
      }
    }
  }
})();
