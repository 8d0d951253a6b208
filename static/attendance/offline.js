/* Registers the check-in pages' service worker and asks it to keep, ahead of any
   Wi-Fi loss, the page on screen, its state, the offline page and the lists linked from
   the page (the day's lists). Sets data-offline-ready on <html> when done. */
"use strict";

(function () {
  const body = document.body;
  if (!("serviceWorker" in navigator) || !body.dataset.serviceWorker) return;

  function urlsToKeep() {
    const urls = new Set([location.pathname, body.dataset.scope + "hors-ligne/"]);
    document.querySelectorAll("link[rel=stylesheet], script[src]").forEach((node) => {
      urls.add(new URL(node.href || node.src, location.href).pathname);
    });
    // The fonts of the stylesheets, even a style not on screen yet (italic).
    Array.from(document.styleSheets).forEach((sheet) => {
      let rules = [];
      try { rules = Array.from(sheet.cssRules); } catch (error) { return; }
      rules.forEach((rule) => {
        if (!(rule instanceof CSSFontFaceRule)) return;
        const found = /url\(["']?([^"')]+)["']?\)/.exec(rule.style.getPropertyValue("src"));
        if (found) urls.add(new URL(found[1], sheet.href).pathname);
      });
    });
    const checkin = document.querySelector("[data-checkin]");
    if (checkin) urls.add(checkin.dataset.stateUrl);
    document.querySelectorAll("a[data-list-url]").forEach((link) => {
      urls.add(new URL(link.href).pathname);
      urls.add(link.dataset.stateUrl);
    });
    return Array.from(urls);
  }

  function say(text) {
    const place = document.querySelector("[data-offline-state]");
    if (place) place.textContent = text;
  }

  // The sign-in page (after a sign-out, or before somebody else signs in): the lists
  // kept for offline use (names, photos, health notes) go; taps not sent stay.
  if (location.pathname === body.dataset.scope + "connexion/") {
    navigator.serviceWorker.getRegistration(body.dataset.scope).then((registration) => {
      if (registration && registration.active) registration.active.postMessage({type: "forget"});
    });
    return;
  }

  navigator.serviceWorker.register(body.dataset.serviceWorker, {scope: body.dataset.scope})
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => new Promise((resolve) => {
      if (!navigator.onLine) return resolve(false);
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve(true);
      registration.active.postMessage({type: "keep", urls: urlsToKeep()}, [channel.port2]);
    }))
    .then((done) => {
      if (done) {
        document.documentElement.dataset.offlineReady = "true";
        say("Les listes du jour sont gardées sur cet appareil : elles restent utilisables sans réseau.");
      }
    })
    .catch(() => say("Cet appareil ne peut pas garder les listes hors ligne : gardez le réseau."));
})();
