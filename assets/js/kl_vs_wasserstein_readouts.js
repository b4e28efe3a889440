// Readout table of the "KL versus Wasserstein" page (ESM of a Panel JSComponent).
// model.rows: [[key, label, colour, value text, slope text], ...], formatted by the server.
// On each update only the text of the cells changes (textContent: never parsed as HTML), in
// cells of fixed width, so nothing else on the page is laid out again. (A Bokeh Div whose text
// changes re-lays out the whole page, every plot's axes included: ~14 ms per update.)
export function render({ model, el }) {
  const table = document.createElement("table");
  table.className = "kvw-readouts";
  const head = table.createTHead().insertRow();
  for (const [text, cls] of [["divergence", "kvw-name"], ["value", "kvw-num"], ["d/ds", "kvw-num"]]) {
    const th = document.createElement("th");
    th.textContent = text;
    th.className = cls;
    head.appendChild(th);
  }
  const body = table.createTBody();
  let shape = "";  // the keys, labels and colours the rows were built for

  function update() {
    const rows = model.rows || [];
    const now = JSON.stringify(rows.map((r) => [r[0], r[1], r[2]]));
    if (now !== shape) {
      shape = now;
      body.replaceChildren();
      for (const [key, label, colour] of rows) {
        const tr = body.insertRow();
        tr.dataset.key = key;
        const name = tr.insertCell();
        name.className = "kvw-name";
        name.style.color = colour;
        name.textContent = label;
        tr.insertCell().className = "kvw-num kvw-value";
        tr.insertCell().className = "kvw-num kvw-slope";
      }
    }
    rows.forEach((r, i) => {
      const cells = body.rows[i].cells;
      if (cells[1].textContent !== r[3]) { cells[1].textContent = r[3]; }
      if (cells[2].textContent !== r[4]) { cells[2].textContent = r[4]; }
    });
  }

  model.on("rows", update);
  update();
  el.appendChild(table);
}
