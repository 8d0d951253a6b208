/* The check-in pages' service worker (served at /pointage/sw.js, scope /pointage/).
   Every GET it sees goes to the network first and is kept; when the network is down the
   kept copy answers, so an open list survives a reload without Wi-Fi. The page asks it
   to keep the day's lists ahead of time ("keep" messages). Taps are not its business:
   the page keeps them in IndexedDB and sends them itself. */
"use strict";

const CACHE = "pointage-v1";
const SCOPE = new URL(self.registration.scope).pathname;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("pointage-") && name !== CACHE)
          .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()));
});

function kept(url) {
  const path = new URL(url).pathname;
  return path.startsWith(SCOPE) || path.startsWith("/static/");
}

async function fromNetwork(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const copy = await cache.match(request, {ignoreVary: true});
    if (copy) return copy;
    if (request.mode === "navigate") {
      const page = await cache.match(SCOPE + "hors-ligne/");
      if (page) return page;
    }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (!kept(request.url)) return;
  event.respondWith(fromNetwork(request));
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  const port = event.ports && event.ports[0];
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => Promise.all(data.urls.map((url) =>
        fetch(url, {credentials: "same-origin", cache: "no-store"})
          .then((response) => response.ok ? cache.put(url, response) : null)
          .catch(() => null))))
      .then(() => port && port.postMessage({kept: data.urls.length}))
      .catch(() => port && port.postMessage({kept: 0})));
});
