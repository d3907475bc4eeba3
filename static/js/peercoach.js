// Small progressive enhancements; the pages work without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Confirm destructive actions marked with data-confirm (no inline handlers: CSP).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });

  // New program: picking a format sets the pairing rules that suit it (circles mix
  // groups), unless the coordinator already set that rule by hand.
  document.querySelectorAll("form[data-format-defaults]").forEach((form) => {
    const defaults = JSON.parse(form.dataset.formatDefaults);
    const touched = new Set();
    form.addEventListener("change", (event) => {
      const name = event.target.name;
      if (name !== "format") {
        touched.add(name);
        return;
      }
      Object.entries(defaults[event.target.value] || {}).forEach(([field, value]) => {
        if (touched.has(field)) return;
        form.querySelectorAll(`[name="${field}"]`).forEach((input) => {
          if (input.type === "checkbox") input.checked = value;
          else if (input.type === "radio") input.checked = input.value === value;
        });
      });
    });
  });
});

// HTMX updates for keyboard and screen-reader users (WCAG 4.1.3 and 2.4.3).
//
// Heard: a status that an update brings (the agreement's "Saved." or its conflict warning,
// the pairing page's messages) is new content inside a new element. Screen readers speak
// only changes to a live region that was already on the page, so the text is copied into
// the page's own regions (#pc-announce, polite; #pc-announce-alert for role="alert"),
// which base.html renders empty on every page.
//
// Focus kept: when the update replaced the element that had focus (the pairing page's
// "Swap" button, the agreement's "Replace theirs with mine"), focus would fall back to the
// top of the page and a keyboard user would start again from there. It goes instead to
// the same control in the new content (same id, or same name and value, or same text),
// else to the field of the form the update landed in, else to the first control of the
// new content (a goal step's "Mark done" that became "Done"), else to the content itself.
(() => {
  const SOURCES = '[role="status"], [role="alert"], .pc-messages';
  const CONTROLS =
    'input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href]';
  let focusBefore = null;

  function say(text, urgent) {
    const region = document.getElementById(urgent ? "pc-announce-alert" : "pc-announce");
    const words = text.replace(/\s+/g, " ").trim();
    if (!region || !words) return;
    // Emptied first, so that the same words twice ("Saved." again) are spoken again.
    region.textContent = "";
    window.setTimeout(() => {
      region.textContent = words;
    }, 100);
  }

  function sourcesIn(element) {
    if (element.matches(SOURCES)) return [element];
    return [...element.querySelectorAll(SOURCES)].filter(
      (source) => !source.parentElement.closest(SOURCES),
    );
  }

  function describe(element) {
    return {
      element,
      id: element.id,
      tag: element.tagName,
      name: element.getAttribute("name"),
      value: element.getAttribute("value"),
      text: element.textContent.trim(),
    };
  }

  function sameControl(before, within) {
    if (before.id) {
      const byId = document.getElementById(before.id);
      if (byId) return byId;
    }
    const candidates = [...within.querySelectorAll(before.tag)];
    if (within.tagName === before.tag) candidates.unshift(within);
    return (
      candidates.find(
        (el) =>
          before.name &&
          el.getAttribute("name") === before.name &&
          el.getAttribute("value") === before.value,
      ) || candidates.find((el) => before.text && el.textContent.trim() === before.text)
    );
  }

  function fieldOf(element) {
    const form = element.closest("form");
    if (!form) return null;
    return (
      form.querySelector('input[type="radio"]:checked, input[type="checkbox"]:checked') ||
      form.querySelector(CONTROLS)
    );
  }

  function focusLost() {
    const active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  document.addEventListener("htmx:beforeSwap", () => {
    const active = document.activeElement;
    focusBefore = active && active !== document.body ? describe(active) : null;
  });

  // An update settles each new element (out-of-band ones too) in turn: focus is placed
  // once they all have, preferring the content the request aimed at over out-of-band parts.
  let settled = [];

  function focusRestore() {
    const before = focusBefore;
    const elements = settled.filter((el) => el.isConnected);
    focusBefore = null;
    settled = [];
    if (!before || before.element.isConnected || !focusLost()) return;
    const main = elements.filter((el) => !el.hasAttribute("hx-swap-oob"));
    let next = null;
    for (const el of [...main, ...elements]) {
      next = next || sameControl(before, el);
    }
    for (const el of main) {
      next = next || fieldOf(el) || el.querySelector(CONTROLS);
    }
    if (!next && main.length) {
      next = main[0];
      next.setAttribute("tabindex", "-1");
    }
    if (next) next.focus();
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    const element = event.target;
    if (!(element instanceof Element) || !element.isConnected) return;
    for (const source of sourcesIn(element)) {
      say(source.textContent, source.getAttribute("role") === "alert");
    }
    if (!settled.length) window.setTimeout(focusRestore, 0);
    settled.push(element);
  });
})();
