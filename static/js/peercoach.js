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
