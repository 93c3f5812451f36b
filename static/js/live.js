// Live updates: htmx polls the rows in flight. When a poll fails (server error, network down,
// timeout) say so instead of silently freezing; htmx keeps polling, and the first answer that
// arrives hides the notice again.
(function () {
  "use strict";
  function notice() {
    return document.getElementById("live-notice");
  }
  function pause() {
    var el = notice();
    if (el) el.hidden = false;
  }
  function resume(event) {
    var el = notice();
    if (el && event.detail && event.detail.successful) el.hidden = true;
  }
  document.addEventListener("htmx:responseError", pause);
  document.addEventListener("htmx:sendError", pause);
  document.addEventListener("htmx:timeout", pause);
  document.addEventListener("htmx:afterRequest", resume);
})();
