// Links to notebook boxes (#thm-brenier) and to them from other pages. The boxes live inside
// Panel's shadow roots, where the browser's own fragment navigation cannot see them: find the
// target through every shadow root, scroll to it, open it if it is a closed proof, and move
// the keyboard focus there. Loaded once per page (shell.extension), from this server.
(function () {
  "use strict";

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
