/*
 * Suggestions for commune and country fields: fills the field's native <datalist> from the
 * JSON endpoint named in its data-autocomplete-url, as the parent types. The browser shows
 * the list and handles the keyboard and screen readers. Without this script the field still
 * works: the server resolves what was typed and explains what is missing.
 */
(function () {
  "use strict";

  const DELAY_MS = 250;
  const MIN_LENGTH = 2;

  function enhance(input) {
    const list = document.getElementById(input.getAttribute("list"));
    const url = input.dataset.autocompleteUrl;
    if (!list || !url || input.dataset.autocompleteReady) {
      return;
    }
    input.dataset.autocompleteReady = "1";

    const cache = new Map();
    let timer = null;
    let controller = null;
    let shown = null;

    function fill(query, results) {
      if (shown === query) {
        return;
      }
      shown = query;
      const options = results.map(function (result) {
        const option = document.createElement("option");
        option.value = result.value;
        if (result.hint) {
          option.label = result.hint;
        }
        return option;
      });
      list.replaceChildren.apply(list, options);
    }

    function isSuggestion(value) {
      return Array.prototype.some.call(list.options, function (option) {
        return option.value === value;
      });
    }

    function update() {
      const query = input.value.trim().replace(/\s+/g, " ");
      // A suggestion just picked: refilling the list would only make it flicker.
      if (query.length < MIN_LENGTH || isSuggestion(input.value)) {
        return;
      }
      if (cache.has(query)) {
        fill(query, cache.get(query));
        return;
      }
      if (controller) {
        controller.abort();
      }
      controller = new AbortController();
      const separator = url.indexOf("?") === -1 ? "?" : "&";
      fetch(url + separator + "q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          const results = Array.isArray(data.results) ? data.results : [];
          cache.set(query, results);
          if (input.value.trim().replace(/\s+/g, " ") === query) {
            fill(query, results);
          }
        })
        .catch(function () {
          // Aborted or offline: the field keeps working without suggestions.
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, DELAY_MS);
    });
  }

  function init() {
    document
      .querySelectorAll("input[list][data-autocomplete-url]")
      .forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
