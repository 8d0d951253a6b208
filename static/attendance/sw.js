/* The check-in pages' service worker (served at /pointage/sw.js, scope /pointage/).
   Every GET it sees goes to the network first and is kept; when the network is down the
   kept copy answers, so an open list survives a reload without Wi-Fi. The page asks it
   to keep the day's lists ahead of time ("keep" messages), with their photos. Taps are not its business:
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

/* "forget": somebody signed out; drop the kept lists and photos (the pages stay
   cached only for the next animateur who keeps them again), keep the static files and
   the offline page. */
function forget() {
  return caches.open(CACHE).then((cache) => cache.keys().then((requests) => Promise.all(
    requests.filter((request) => {
      const path = new URL(request.url).pathname;
      return path.startsWith(SCOPE) && path !== SCOPE + "hors-ligne/" && path !== SCOPE + "sw.js";
    }).map((request) => cache.delete(request)))));
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "forget") {
    event.waitUntil(forget());
    return;
  }
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  const port = event.ports && event.ports[0];
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => Promise.all(data.urls.map((url) => keep(cache, url))))
      .then(() => port && port.postMessage({kept: data.urls.length}))
      .catch(() => port && port.postMessage({kept: 0})));
});

/* Keep one URL; a list's state (etat.json) names the list's photos, kept with it (a
   few kB each: the server makes them small), unless already kept (their URL changes
   with the photo). */
function keep(cache, url) {
  return fetch(url, {credentials: "same-origin", cache: "no-store"})
    .then((response) => {
      if (!response.ok) return null;
      const photos = new URL(url, self.location.href).pathname.endsWith("/etat.json")
        ? response.clone().json().then((body) => body.photos || []).catch(() => [])
        : Promise.resolve([]);
      return cache.put(url, response).then(() => photos).then((urls) => Promise.all(
        urls.map((photo) => cache.match(photo).then((found) => found || fetch(photo, {credentials: "same-origin"})
          .then((answer) => (answer.ok ? cache.put(photo, answer) : null))))));
    })
    .catch(() => null);
}
