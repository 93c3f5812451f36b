// Bulk selection on the image list: "select all on this page", a running count, and ticks that
// survive the live updates (htmx re-renders rows in flight). Without JavaScript the checkboxes
// and the bulk buttons work as a plain form; only these conveniences are missing.
(function () {
  "use strict";
  var chosen = new Set();

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));
  }

  function refresh() {
    var all = boxes();
    var ticked = all.filter(function (box) { return box.checked; }).length;
    var count = document.getElementById("bulk-count");
    if (count) count.textContent = ticked ? ticked + " selected" : "";
    var page = document.getElementById("select-page");
    if (page) {
      page.checked = all.length > 0 && ticked === all.length;
      page.indeterminate = ticked > 0 && ticked < all.length;
    }
  }

  function restore() {
    boxes().forEach(function (box) { box.checked = chosen.has(box.value); });
    refresh();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-page") {
      boxes().forEach(function (box) {
        box.checked = target.checked;
        if (target.checked) chosen.add(box.value); else chosen.delete(box.value);
      });
    } else if (target.name === "ids" && target.getAttribute("form") === "bulk-form") {
      if (target.checked) chosen.add(target.value); else chosen.delete(target.value);
    } else {
      return;
    }
    refresh();
  });

  document.addEventListener("htmx:afterSettle", restore);
  document.addEventListener("DOMContentLoaded", function () {
    var label = document.getElementById("select-page-label");
    if (!label) return;
    label.hidden = false;
    boxes().forEach(function (box) { if (box.checked) chosen.add(box.value); });
    refresh();
  });
})();
