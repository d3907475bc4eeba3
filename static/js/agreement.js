// The agreement page: one save per user action.
//
// Each field's form saves over htmx on "change" and on "submit" (its Save button, which
// also works without JavaScript). Typing and then clicking Save fires both: the input's
// change as it loses focus, then the button's submit. htmx queues the second and sends it
// after the first is answered. The server refuses a save on a stale revision whatever
// arrives, but a second save of the same text is never what the person meant: it is
// dropped here, when it is triggered. What counts is what the form holds (without the
// CSRF token and the revision, which the answer may have moved on).
//
// "Replace theirs with mine" is a submit button inside the status the answer replaces.
// htmx reads a form's clicked button when it sends the request, so a save queued behind
// the change event would go without it (the button is gone by then). Its value is read
// when the click happens and kept with that click's request.
(() => {
  const lastSent = new WeakMap();

  function isFieldForm(element) {
    return element instanceof HTMLFormElement && element.matches("form.pc-field");
  }

  function contentOf(form) {
    const kept = [];
    for (const [name, value] of new FormData(form)) {
      if (name !== "csrfmiddlewaretoken" && name !== "revision" && name !== "replace") {
        kept.push([name, String(value)]);
      }
    }
    return JSON.stringify(kept);
  }

  document.addEventListener("htmx:confirm", (event) => {
    const form = event.detail.elt;
    const trigger = event.detail.triggeringEvent;
    if (!isFieldForm(form) || !trigger) {
      return;
    }
    if (trigger.pcChecked) {
      return; // a queued save being sent now: it was checked when it was triggered
    }
    trigger.pcChecked = true;
    const button = trigger.type === "submit" ? trigger.submitter : null;
    trigger.pcReplace = button && button.name === "replace" ? button.value : "";
    const key = `${contentOf(form)}|${trigger.pcReplace}`;
    if (lastSent.get(form) === key) {
      event.preventDefault();
      return;
    }
    lastSent.set(form, key);
  });

  document.addEventListener("htmx:configRequest", (event) => {
    const trigger = event.detail.triggeringEvent;
    if (isFieldForm(event.detail.elt) && trigger && trigger.pcReplace) {
      event.detail.parameters.replace = trigger.pcReplace;
    }
  });

  // A save that never got an answer may be sent again, the same text included.
  for (const name of ["htmx:sendError", "htmx:responseError", "htmx:timeout"]) {
    document.addEventListener(name, (event) => {
      if (isFieldForm(event.detail.elt)) {
        lastSent.delete(event.detail.elt);
      }
    });
  }
})();
