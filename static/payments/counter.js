// The counter payment form: the reference's label follows the method, and the bank
// shows only for a cheque. Without JavaScript every field shows, with a general label.
(function () {
  "use strict";
  var form = document.getElementById("counter-payment");
  var data = document.getElementById("reference-labels");
  if (!form || !data) return;
  var labels = JSON.parse(data.textContent);
  var reference = form.querySelector('[data-field="reference"]');
  var bank = form.querySelector('[data-field="bank"]');
  var referenceLabel = reference && reference.querySelector("label");
  var general = referenceLabel ? referenceLabel.textContent : "";
  function update() {
    var checked = form.querySelector('input[name="method"]:checked');
    var method = checked ? checked.value : "";
    if (reference) {
      reference.hidden = method === "cash";
      referenceLabel.textContent = labels[method] || general;
    }
    if (bank) bank.hidden = method !== "cheque";
  }
  form.addEventListener("change", update);
  update();
})();
