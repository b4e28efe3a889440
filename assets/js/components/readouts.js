// The readout table (ESM of pages/components/readouts.py's ReadoutTable, a Panel JSComponent).
// model.rows: [[key, label, colour, value text per column, (flag text)], ...], formatted by
// the server. Every text is written with textContent: never parsed as HTML. An update that
// keeps the rows' keys, labels, colours and flags rewrites only the cells whose text changed
// (fixed-width cells: nothing else on the page is laid out again); otherwise the body is
// rebuilt.
export function render({ model, el }) {
  const table = document.createElement("table");
  const caption = table.createCaption();
  const cols = document.createElement("colgroup");
  const head = table.createTHead().insertRow();
  const body = table.createTBody();
  table.appendChild(cols);
  table.insertBefore(cols, table.tHead);
  let shape = "";  // what the body was built for

  function build_frame() {
    table.className = ["ot-readouts", model.table_class].filter(Boolean).join(" ");
    caption.textContent = model.caption;
    caption.className = model.show_caption ? "" : "ot-sr-only";
    const columns = model.columns || [];
    cols.replaceChildren();
    const label_col = document.createElement("col");
    label_col.style.width = model.label_width;
    cols.appendChild(label_col);
    for (let i = 0; i < columns.length; i++) { cols.appendChild(document.createElement("col")); }
    head.replaceChildren();
    const cells = [[model.label_header, "ot-readout-label"]];
    for (const [key, text] of columns) { cells.push([text, "ot-readout-num " + key]); }
    for (const [text, cls] of cells) {
      const th = document.createElement("th");
      th.scope = "col";
      th.className = cls;
      th.textContent = text;
      head.appendChild(th);
    }
    shape = "";
    update();
  }

  function flag_of(row, n) {
    return row.length > 3 + n && row[3 + n] ? String(row[3 + n]) : "";
  }

  function update() {
    const rows = model.rows || [];
    const columns = model.columns || [];
    const n = columns.length;
    const now = JSON.stringify(rows.map((r) => [r[0], r[1], r[2], flag_of(r, n)]));
    if (now !== shape) {
      shape = now;
      body.replaceChildren();
      for (const r of rows) {
        const flag = flag_of(r, n);
        const tr = body.insertRow();
        tr.dataset.key = String(r[0]);
        const name = document.createElement("th");
        name.scope = "row";
        name.className = "ot-readout-label";
        // The row's colour is a swatch before the label (the curve's colour), never the
        // text's: coloured text on the controls' grey card failed contrast in both themes.
        if (r[2]) {
          const swatch = document.createElement("span");
          swatch.className = "ot-swatch";
          swatch.setAttribute("aria-hidden", "true");
          swatch.style.backgroundColor = String(r[2]);
          name.appendChild(swatch);
        }
        name.appendChild(document.createTextNode((flag ? "⚠ " : "") + String(r[1])));
        tr.appendChild(name);
        for (const [key] of columns) { tr.insertCell().className = "ot-readout-num " + key; }
        if (flag) {
          tr.className = "ot-flagged";
          const note = body.insertRow();
          note.className = "ot-flag-note";
          note.dataset.flagFor = String(r[0]);
          const td = note.insertCell();
          td.colSpan = n + 1;
          td.textContent = flag;
        }
      }
    }
    const trs = body.querySelectorAll("tr[data-key]");
    rows.forEach((r, i) => {
      const cells = trs[i].cells;
      for (let c = 0; c < n; c++) {
        const text = r[3 + c] == null ? "" : String(r[3 + c]);
        if (cells[1 + c].textContent !== text) { cells[1 + c].textContent = text; }
      }
    });
  }

  model.on("rows", update);
  model.on(["columns", "label_header", "label_width", "caption", "show_caption", "table_class"],
           build_frame);
  build_frame();
  el.appendChild(table);
}
