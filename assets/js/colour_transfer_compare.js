// Before/after view of /colour_transfer (ESM of pages/colour_transfer_widgets.py's
// BeforeAfter): the mapped picture lies over the original and is clipped at the slider's
// position, so moving the split needs no round trip. A native range input: arrow keys,
// touch and screen readers work without extra code.
export function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "ct-compare";
  const before = document.createElement("img");
  const after = document.createElement("img");
  before.className = "ct-before";
  after.className = "ct-after";
  const line = document.createElement("div");
  line.className = "ct-split";
  box.append(before, after, line);
  const range = document.createElement("input");
  range.type = "range";
  range.min = "0";
  range.max = "100";
  range.step = "1";
  range.value = "50";
  range.className = "ct-range";
  range.setAttribute("aria-label", "split between the original (left) and the recoloured picture (right)");
  el.append(box, range);

  function split() {
    const v = Number(range.value);
    after.style.clipPath = `inset(0 0 0 ${v}%)`;
    line.style.left = `${v}%`;
    range.setAttribute("aria-valuetext", `${100 - v} percent recoloured`);
  }

  function pictures() {
    before.src = model.before;
    after.src = model.after;
    before.alt = model.before_alt;
    after.alt = model.after_alt;
    box.style.aspectRatio = `${model.aspect}`;
  }

  range.addEventListener("input", split);
  model.on(["before", "after", "before_alt", "after_alt", "aspect"], pictures);
  pictures();
  split();
}
