// The notebook's one page script (loaded once per page by shell.extension, from this server).
// 1. Links to notebook boxes (#thm-brenier), from this page or another. The boxes live inside
//    Panel's shadow roots, where the browser's own fragment navigation cannot see them: find
//    the target through every shadow root, scroll to it, open it if it is a closed proof, and
//    move the keyboard focus there.
// 2. Text alternatives the libraries leave out: each typeset formula is named by its TeX (the
//    prose renderer keeps it in data-tex) with its SVG hidden from assistive technology; a
//    display formula too wide for the screen becomes focusable so the keyboard can scroll it;
//    a slider handle is named by its widget's title and announces the value as shown; plot
//    layers that do nothing with the keyboard leave the Tab order.
// 3. A lost connection (the server stopped or restarted, or the network dropped) is said
//    plainly, with a reload button: the page's view lives in its address, so a reload (which
//    a proxy sends to a live server) brings the same view back. Without it the figures would
//    look alive and silently ignore every drag.
// 4. A plot repaint no longer restyles its page. BokehJS rewrites the text of the <style>
//    element that places each title, legend and colour bar on every paint, even when the text
//    is the same; the browser then recomputes every style of the plot's shadow root at the next
//    colour lookup, several times per paint. A rewrite with the same text is skipped.
(function () {
  "use strict";

  // BokehJS's InlineStyleSheet (core/dom) sets `el.textContent = css` in `_update`.
  function restyleOnlyOnChange() {
    const dom = window.Bokeh && window.Bokeh.require && window.Bokeh.require("core/dom");
    const proto = dom && dom.InlineStyleSheet && dom.InlineStyleSheet.prototype;
    if (proto == null || typeof proto._update !== "function") return false;
    if (!proto._update.__otSameSkipped) {
      const update = proto._update;
      proto._update = function (css) {
        if (this.el != null && this.el.textContent === css) return;
        update.call(this, css);
      };
      proto._update.__otSameSkipped = true;
    }
    return true;
  }
  if (!restyleOnlyOnChange()) {
    let tries = 0;
    const wait = window.setInterval(function () {
      if (restyleOnlyOnChange() || ++tries > 600) window.clearInterval(wait);
    }, 20);
  }

  function allRoots() {
    const roots = [document];
    for (let k = 0; k < roots.length; k++) {
      for (const el of roots[k].querySelectorAll("*")) {
        if (el.shadowRoot) roots.push(el.shadowRoot);
      }
    }
    return roots;
  }

  function nameMath(root) {
    for (const box of root.querySelectorAll("mjx-container:not([data-ot-named])")) {
      const holder = box.closest("[data-tex]");
      if (holder == null) continue;
      box.setAttribute("data-ot-named", "");
      box.setAttribute("role", "img");
      box.setAttribute("aria-label", holder.getAttribute("data-tex"));
      for (const svg of box.querySelectorAll("svg")) svg.setAttribute("aria-hidden", "true");
    }
    for (const box of root.querySelectorAll("mjx-container")) {
      checkWide(box);
      // and again whenever the formula's box (or its paragraph) changes size
      if (wideWatch && !box.__otWatched) {
        box.__otWatched = true;
        wideWatch.observe(box);
        if (box.parentElement) wideWatch.observe(box.parentElement);
      }
    }
  }

  // A display formula too wide for its box scrolls (notebook.css) and takes the focus, so the
  // keyboard can scroll it. An inline formula wider than its paragraph (on a phone) scrolls
  // inside the line (notebook.css, data-ot-wide) instead of widening the page, focusable too.
  function checkWide(box) {
    if (box.getAttribute("display") === "true") {
      const wide = box.scrollWidth > box.clientWidth + 1;
      if (wide) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
      return;
    }
    const block = box.parentElement ? box.parentElement.closest("p, li, td, div") : null;
    if (block == null) return;
    const marked = box.hasAttribute("data-ot-wide");
    const wide = marked ? box.scrollWidth > box.clientWidth + 1
      : box.getBoundingClientRect().width > block.clientWidth + 1;
    if (wide && !marked) {
      box.setAttribute("data-ot-wide", "");
      box.setAttribute("tabindex", "0");
    } else if (!wide && marked) {
      box.removeAttribute("data-ot-wide");
      box.removeAttribute("tabindex");
    }
  }

  const wideWatch = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
    for (const entry of entries) {
      const el = entry.target;
      const boxes = el.tagName === "MJX-CONTAINER" ? [el] : el.querySelectorAll(":scope > mjx-container");
      for (const box of boxes) checkWide(box);
    }
  });


  // A slider's name and value text. Bokeh's slider (under Panel's FloatSlider, IntSlider and
  // the page's own ε slider) shows "title: value" above the track, but its handle announces
  // noUiSlider's raw number ("-3.00" for ε = 1e-3 on a log scale, "3.00" for the fourth of a
  // DiscreteSlider's options). The handle is named by the title and its value text follows
  // the value as shown. A DiscreteSlider has no title of its own: its label is the text
  // component just before the slider ("Samples per side: 300").
  function sliderText(root) {
    const title = root.querySelector(".bk-slider-title");
    if (title) {
      const shown = title.querySelector(".bk-slider-value");
      const value = shown ? shown.textContent.trim() : "";
      const name = title.textContent.replace(value, "").replace(/:\s*$/, "").trim();
      if (name) return [name, value];
    }
    const host = root.host;
    const label = host ? host.previousElementSibling : null;
    if (label && label.classList.contains("bk-Div")) {
      const text = deepText(label);
      const cut = text.lastIndexOf(":");
      if (cut > 0) return [text.slice(0, cut).trim(), text.slice(cut + 1).trim()];
      if (text) return [text, ""];
    }
    return ["", ""];
  }

  function nameSliders(root) {
    const handles = root.querySelectorAll('[role="slider"]');
    if (handles.length === 0) return;
    const [name, value] = sliderText(root);
    for (const handle of handles) {
      if (name && !handle.hasAttribute("aria-label")) handle.setAttribute("aria-label", name);
      if (value) handle.setAttribute("aria-valuetext", value);
      if (!handle.__otValueText) {
        // noUiSlider rewrites aria-valuetext on every move: put the shown value back (the
        // title, or a DiscreteSlider's label, is updated in the same task or the next).
        handle.__otValueText = new MutationObserver(() => {
          window.requestAnimationFrame(() => {
            const shown = sliderText(root)[1];
            if (shown && handle.getAttribute("aria-valuetext") !== shown) {
              handle.setAttribute("aria-valuetext", shown);
            }
          });
        });
        handle.__otValueText.observe(handle, {attributes: true, attributeFilter: ["aria-valuenow"]});
      }
    }
  }

  // Bokeh makes every plot's pointer-event layer focusable (tabindex 0): on a page of plots
  // the keyboard stopped on each of them and nothing happened there. Figures that the keyboard
  // does operate take the focus on their own element (histograms, the plan, the bump); the
  // layers leave the Tab order.
  function untabPlotLayers(root) {
    for (const layer of root.querySelectorAll('.bk-events[tabindex="0"]')) {
      layer.tabIndex = -1;
    }
  }

  // Panel's Checkbox puts its text in a div beside the input, not in a <label>.
  function nameCheckboxes(root) {
    for (const box of root.querySelectorAll('input[type="checkbox"]:not([aria-label])')) {
      const text = box.nextElementSibling;
      if (text && text.classList.contains("bk-label") && text.textContent.trim()) {
        box.setAttribute("aria-label", text.textContent.trim());
      }
    }
  }

  // Text of an element, including what Panel renders inside nested shadow roots.
  function deepText(el) {
    let text = "";
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) text += child.textContent;
        else if (child.nodeType === Node.ELEMENT_NODE && child.tagName !== "STYLE") walk(child);
      }
      if (node.shadowRoot) walk(node.shadowRoot);
    };
    walk(el);
    return text.replace(/\s+/g, " ").trim();
  }

  // A Card's collapse button holds its title in a nested component: name the button by it.
  function nameCardButtons(root) {
    for (const button of root.querySelectorAll("button.card-header:not([aria-label])")) {
      const text = deepText(button);
      if (text) button.setAttribute("aria-label", text);
    }
  }

  let pending = null;
  function sweep() {
    pending = null;
    for (const root of allRoots()) {
      nameMath(root);
      nameSliders(root);
      nameCheckboxes(root);
      untabPlotLayers(root);
      nameCardButtons(root);
    }
  }
  function sweepSoon() {
    if (pending === null) pending = window.setTimeout(sweep, 300);
  }
  // Panel renders (and MathJax typesets) after load; sweep as it does, then stop watching.
  for (const ms of [500, 1500, 3000, 6000, 12000, 24000]) window.setTimeout(sweep, ms);
  window.addEventListener("resize", sweepSoon);

  function findDeep(id) {
    const roots = [document];
    while (roots.length) {
      const root = roots.pop();
      const found = root.getElementById ? root.getElementById(id)
        : root.querySelector("#" + CSS.escape(id));
      if (found) return found;
      for (const el of root.querySelectorAll("*")) {
        if (el.shadowRoot) roots.push(el.shadowRoot);
      }
    }
    return null;
  }

  function show(target) {
    if (target.tagName === "DETAILS") target.open = true;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.scrollIntoView({block: "start"});
    target.focus({preventScroll: true});
  }

  function idOf(hash) {
    if (!hash || hash.length < 2 || hash.length > 80) return null;
    try { return decodeURIComponent(hash.slice(1)); } catch (e) { return null; }
  }

  // An embed's "open the full page" link (shell.full_page_link): the current view (the page
  // keeps its query in the address) without embed=1, set just before it is followed.
  function pointAtFullPage(event) {
    const link = event.composedPath().find((n) => n.tagName === "A");
    if (!link || !link.classList.contains("ot-full-page")) return;
    const url = new URL(window.location.href);
    url.searchParams.delete("embed");
    url.hash = "";
    link.href = url.href;
  }
  for (const kind of ["click", "auxclick", "pointerdown", "focusin", "contextmenu"]) {
    document.addEventListener(kind, pointAtFullPage, true);
  }

  document.addEventListener("click", function (event) {
    const link = event.composedPath().find((n) => n.tagName === "A");
    const href = link ? link.getAttribute("href") : null;
    const id = href && href.startsWith("#") ? idOf(href) : null;
    const target = id ? findDeep(id) : null;
    if (!target) return;
    event.preventDefault();
    const url = new URL(window.location.href);
    url.hash = href;  // keeps the query, which holds the page's state
    window.history.replaceState(window.history.state, "", url.href);
    show(target);
  }, true);

  // Printing: every box opens (proofs included), and closes again afterwards.
  let openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = [];
    for (const root of allRoots()) {
      for (const box of root.querySelectorAll("details:not([open])")) {
        box.open = true;
        openedForPrint.push(box);
      }
    }
  });
  window.addEventListener("afterprint", function () {
    for (const box of openedForPrint) box.open = false;
    openedForPrint = [];
  });

  function connectionLost() {
    if (document.getElementById("ot-connection-lost")) return;
    const banner = document.createElement("div");
    banner.id = "ot-connection-lost";
    banner.className = "ot-connection-lost";
    banner.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.textContent =
      "The connection to the notebook's server was lost: the figures no longer answer. " +
      "Reload to continue; your view is kept in the page's address.";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Reload";
    button.addEventListener("click", () => window.location.reload());
    banner.append(text, button);
    document.body.append(banner);
    button.focus({ preventScroll: true });
  }

  // Bokeh announces a closed websocket as a document event; wait for the document first.
  let waits = 0;
  const watchConnection = window.setInterval(function () {
    const docs = window.Bokeh && window.Bokeh.documents;
    if (docs && docs.length > 0) {
      window.clearInterval(watchConnection);
      for (const doc of docs) doc.on_event("connection_lost", connectionLost);
    } else if (++waits > 600) {
      window.clearInterval(watchConnection);
    }
  }, 100);

  // Opened with a #fragment: the prose renders after load, so look for a while.
  const id = idOf(window.location.hash);
  if (id) {
    let tries = 0;
    const timer = window.setInterval(function () {
      const target = findDeep(id);
      if (target || ++tries > 60) window.clearInterval(timer);
      if (target) window.setTimeout(() => show(target), 300);  // let math settle first
    }, 250);
  }
})();
