// The month form without JavaScript is complete; this only tells, as the parent ticks
// and unticks days, how many changes the "Voir le coût" step will show.
(function () {
  "use strict";
  var form = document.querySelector("[data-month-form]");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="jours"]'));
  if (!boxes.length) { return; }
  boxes.forEach(function (box) { box.dataset.initial = box.checked ? "1" : ""; });
  var actions = form.querySelector(".actions");
  var counter = document.createElement("p");
  counter.className = "js-count";
  counter.setAttribute("role", "status");
  actions.insertBefore(counter, actions.firstChild);
  function update() {
    var added = 0, removed = 0;
    boxes.forEach(function (box) {
      var initial = box.dataset.initial === "1";
      if (box.checked && !initial) { added += 1; }
      if (!box.checked && initial) { removed += 1; }
    });
    var parts = [];
    if (added) { parts.push(added + (added > 1 ? " jours à réserver" : " jour à réserver")); }
    if (removed) { parts.push(removed + (removed > 1 ? " jours à annuler" : " jour à annuler")); }
    counter.textContent = parts.length ? parts.join(", ") + " (non enregistré)" : "";
  }
  form.addEventListener("change", update);
  update();
})();
