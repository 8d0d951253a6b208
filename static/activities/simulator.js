// Price simulator: works without JavaScript (a GET form answered by the server); this
// only greys out the QF when the parent chooses not to give it, and shows the result
// without reloading the page.
(function () {
  "use strict";

  function syncQuotient(form) {
    var withoutQf = form.querySelector("input[name='sans_qf']");
    var quotient = form.querySelector("input[name='qf']");
    if (!withoutQf || !quotient) {
      return;
    }
    quotient.disabled = withoutQf.checked;
  }

  function enhance(section) {
    var form = section.querySelector("form[data-simulator]");
    if (!form || !window.fetch || !window.DOMParser) {
      return;
    }
    syncQuotient(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "sans_qf") {
        syncQuotient(form);
      }
    });
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter || form.querySelector("button[type='submit']");
      var query = new URLSearchParams(new FormData(form));
      if (submitter && submitter.name) {
        query.set(submitter.name, submitter.value);
      }
      var url = form.action.split("#")[0].split("?")[0] + "?" + query.toString();
      event.preventDefault();
      window
        .fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser()
            .parseFromString(html, "text/html")
            .getElementById(section.id);
          if (!fresh) {
            throw new Error("no simulator");
          }
          form.innerHTML = fresh.querySelector("form[data-simulator]").innerHTML;
          section.querySelector("[aria-live]").innerHTML =
            fresh.querySelector("[aria-live]").innerHTML;
          syncQuotient(form);
          window.history.replaceState(null, "", url + "#" + section.id);
          var summary = form.querySelector("[role='alert']");
          if (summary) {
            summary.focus();
          }
        })
        .catch(function () {
          window.location.assign(url + "#" + section.id);
        });
    });
  }

  document.querySelectorAll(".simulator").forEach(enhance);
})();
