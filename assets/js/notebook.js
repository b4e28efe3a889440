// The notebook's one page script (loaded once per page by shell.extension, from this server).
// 1. Links to notebook boxes (#thm-brenier), from this page or another. The boxes live inside
//    Panel's shadow roots, where the browser's own fragment navigation cannot see them: find
//    the target through every shadow root, scroll to it, open it if it is a closed proof, and
//    move the keyboard focus there.
// 2. Text alternatives the libraries leave out: each typeset formula is named by its TeX (the
//    prose renderer keeps it in data-tex) with its SVG hidden from assistive technology; a
//    display formula too wide for the screen becomes focusable so the keyboard can scroll it;
//    a slider handle is named by its widget's title.
(function () {
  "use strict";

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
    for (const box of root.querySelectorAll('mjx-container[display="true"]')) {
      const wide = box.scrollWidth > box.clientWidth + 1;
      if (wide) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    }
  }

  function nameSliders(root) {
    const title = root.querySelector(".bk-slider-title");
    const text = title ? title.textContent.replace(/:\s*$/, "").split(":")[0].trim() : "";
    if (!text) return;
    for (const handle of root.querySelectorAll('[role="slider"]:not([aria-label])')) {
      handle.setAttribute("aria-label", text);
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
