// The header's account switcher switches as soon as an account is picked. Without JavaScript
// the form keeps its "Switch" button. Keyboard users browsing the list with the arrow keys are
// not sent away on every step: a keyboard change switches on Enter, or when the select loses
// focus; the button stays reachable (shown when focused).
(function () {
  "use strict";
  var BROWSING = /^(Arrow|Page|Home|End)|^.$/;

  function wire(select) {
    var form = select.form;
    var initial = select.value;
    var byKeyboard = false;
    function submit() {
      if (select.value !== initial) form.requestSubmit();
    }
    form.classList.add("account-switcher--auto");
    select.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        submit();
      } else if (BROWSING.test(event.key)) {
        byKeyboard = true;
      }
    });
    select.addEventListener("pointerdown", function () {
      byKeyboard = false;
    });
    select.addEventListener("change", function () {
      if (!byKeyboard) submit();
    });
    select.addEventListener("blur", submit);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("account-select");
    if (select && select.form) wire(select);
  });
})();
