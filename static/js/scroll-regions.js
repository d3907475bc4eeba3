// A table wider than the screen scrolls inside its .table-responsive box, a long line of a
// <pre> (the CSV header examples) inside the <pre>. A keyboard user can scroll them only if
// the box takes focus (WCAG 2.1.1; axe: scrollable-region-focusable), so a box that
// overflows joins the tab order, and leaves it when it fits again (a wide screen, no
// needless tab stop). Run on load, on resize and on every htmx swap.
(() => {
  const update = (root) => {
    root.querySelectorAll(".table-responsive, pre").forEach((box) => {
      if (box.scrollWidth > box.clientWidth) {
        box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  };
  document.addEventListener("DOMContentLoaded", () => update(document));
  document.addEventListener("htmx:load", () => update(document));
  let pending = null;
  window.addEventListener("resize", () => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => update(document), 150);
  });
})();
