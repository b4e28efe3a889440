// Picture upload of /colour_transfer (ESM of pages/colour_transfer_widgets.py's ImageUpload).
// A native file input (keyboard, touch, screen readers). The browser checks the file's size
// and type BEFORE reading it: a file over model.max_bytes never leaves the machine (it would
// exceed the server's websocket message limit), and the reason goes back as a short text.
// An accepted file is sent once, base64-encoded, with a counter so the same file re-picked
// is seen again. The server decodes it in memory and checks everything again.
export function render({ model, el }) {
  const label = document.createElement("label");
  label.className = "ct-upload";
  const text = document.createElement("span");
  text.textContent = model.label;
  const input = document.createElement("input");
  input.type = "file";
  input.accept = ".png,.jpg,.jpeg,image/png,image/jpeg";
  label.append(text, input);
  el.appendChild(label);

  function refuse(message) {
    model.refused = message;
    model.nonce = model.nonce + 1;
  }

  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    input.value = "";  // the same file picked again fires a change again
    if (!file) { return; }
    const kb = (b) => `${Math.round(b / 1000)} KB`;
    if (file.size > model.max_bytes) {
      refuse(`${file.name.slice(0, 60)} is ${kb(file.size)}; the limit is ${kb(model.max_bytes)}`);
      return;
    }
    if (file.size === 0) { refuse("the file is empty"); return; }
    const reader = new FileReader();
    reader.onerror = () => refuse("the browser could not read the file");
    reader.onload = () => {
      const url = String(reader.result);
      const comma = url.indexOf(",");
      model.filename = file.name.slice(0, 80);
      model.refused = "";
      model.data = comma >= 0 ? url.slice(comma + 1) : "";
      model.nonce = model.nonce + 1;
    };
    reader.readAsDataURL(file);
  });
}
