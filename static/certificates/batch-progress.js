// Follows a certificate batch while the background task lays it out: polls the batch's
// JSON state every two seconds and updates the progress bar, until done or failed.
// Also follows the yearly QF campaign (data-batch-name, data-batch-unit): with
// data-batch-reload, the page is loaded again once finished, to show the report.
(function () {
  "use strict";
  var box = document.querySelector("[data-batch-status]");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("[data-batch-bar]");
  var state = box.querySelector("[data-batch-state]");
  var count = box.querySelector("[data-batch-count]");
  var error = box.querySelector("[data-batch-error]");
  var download = box.querySelector("[data-batch-download]");
  var refresh = box.querySelector("[data-batch-refresh]");
  var live = document.querySelector("[data-batch-live]");
  var name = box.getAttribute("data-batch-name") || "Lot";
  var unit = box.getAttribute("data-batch-unit");
  var lastStatus = null;

  function show(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + " %";
    state.textContent = data.status_label;
    count.textContent = data.done + " sur " + data.total + (unit ? " " + unit : "");
    if (data.status !== lastStatus && live) {
      live.textContent = name + " : " + data.status_label.toLowerCase() + ".";
      lastStatus = data.status;
    }
    if (data.status === "failed") {
      error.textContent = data.error;
      error.hidden = false;
    }
    if (data.status === "done" && data.file_url) {
      var link = download.querySelector("a");
      link.href = data.file_url;
      link.textContent = "Télécharger le PDF (" + data.total + " pages)";
      download.hidden = false;
    }
    // An interrupted campaign (its run stopped beating) is reloaded to offer its resumption.
    var finished = data.status === "done" || data.status === "failed" || data.interrupted === true;
    refresh.hidden = finished;
    if (finished && box.hasAttribute("data-batch-reload")) { window.location.reload(); }
    return finished;
  }

  function poll() {
    fetch(box.getAttribute("data-batch-status"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) { if (!show(data)) { window.setTimeout(poll, 2000); } })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  refresh.hidden = true;
  poll();
})();
