// The verification workspace's keyboard: v verify, r reject, x revoke (choosing the decision
// and moving to the field that comes next), Ctrl+Enter (or Cmd+Enter) to record, n for the
// next item in the queue. Letters are ignored while typing in a field.
(function () {
  "use strict";
  var form = document.getElementById("decision-form");
  var next = document.getElementById("next-link");

  function choose(value, focusField) {
    if (!form) return;
    var radio = form.querySelector('input[name="action"][value="' + value + '"]');
    if (!radio) return;
    radio.checked = true;
    form.querySelector(focusField).focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" && target.type !== "radio" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "v") { event.preventDefault(); choose("verify", 'select[name="method"]'); }
    else if (event.key === "r") { event.preventDefault(); choose("reject", 'textarea[name="reason"]'); }
    else if (event.key === "x") { event.preventDefault(); choose("revoke", 'textarea[name="reason"]'); }
    else if (event.key === "n" && next) { event.preventDefault(); window.location.assign(next.href); }
  });
})();
