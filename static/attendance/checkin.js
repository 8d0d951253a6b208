/* The check-in list: one tap marks a child present or absent, arrival and departure
   times for services billed by time. Every tap is kept in IndexedDB first (with an id and
   the time it was made), shown at once, and sent when the network allows; a tap sent
   twice is recorded once by the server. Each field shows the latest tap, this tablet's or
   another's (the server's state is read again every few seconds). The status line says
   whether everything is sent.

   A tablet is shared: each tap keeps the account that made it, and is sent only while
   that account is signed in. Taps left by somebody else (signed out before the network
   came back) are held on the tablet, neither shown nor sent under the current account,
   and the status line says so; signing out with taps not sent asks to confirm. */
"use strict";

(function () {
  const root = document.querySelector("[data-checkin]");
  if (!root) return;

  const LIST = root.dataset.stateUrl;
  const SITE = Number(root.dataset.site);
  const SESSION = Number(root.dataset.session);
  const DATE = root.dataset.date;
  const ENDS = root.dataset.ends;
  const FIELDS = ["status", "arrival", "departure"];
  const LABELS = {present: "Présent", absent: "Absent", absent_justified: "Absence justifiée", "": "Non pointé"};
  const POLL_MS = 5000;
  const USER = Number(root.dataset.user);

  const syncBox = root.querySelector("[data-sync]");
  const syncText = root.querySelector("[data-sync-text]");
  let server = {};
  let taps = [];          // this list's taps by this account (or already sent), from IndexedDB
  let pending = 0;        // this account's unsent taps of every list on this tablet
  let held = [];          // other accounts' unsent taps: never sent from this session
  let sending = false;
  let problem = "";
  let lastSent = null;

  // --- each row's controls, from the page's <template> elements -----------------------
  const TIMES = [["arrival", "Arrivée", root.dataset.starts], ["departure", "Départ", root.dataset.ends]];

  function template(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  function addControls(row) {
    if ("closed" in row.dataset || "readonly" in root.dataset) return;
    const pk = row.dataset.enrolment;
    const name = row.querySelector(".child__name").textContent;
    const actions = template("checkin-status");
    actions.setAttribute("aria-labelledby", "nom-" + pk);
    if ("justifiable" in row.dataset) actions.appendChild(template("checkin-justified"));
    row.appendChild(actions);
    if (!("timed" in row.dataset)) return;
    const times = document.createElement("div");
    times.className = "child__times";
    TIMES.forEach(([field, label, booked]) => {
      const block = template("checkin-time");
      const input = block.querySelector("input");
      input.id = field + "-" + pk;
      input.dataset.time = field;
      input.value = booked;
      block.querySelector("label").htmlFor = input.id;
      block.querySelector("[data-label]").textContent = label;
      block.querySelector("label [data-who]").textContent = " de " + name;
      block.querySelector("[data-save]").dataset.save = field;
      block.querySelector("[data-save] [data-who]").textContent = " l'heure : " + label.toLowerCase() + " de " + name;
      block.querySelector("[data-now]").dataset.now = field;
      block.querySelector("[data-now] [data-who]").textContent = " : " + label.toLowerCase() + " de " + name;
      times.appendChild(block);
    });
    row.appendChild(times);
  }
  root.querySelectorAll("li.child").forEach(addControls);

  function readServer(children) {
    server = {};
    children.forEach((child) => { server[child.enrolment] = child; });
  }
  readServer(JSON.parse(document.getElementById("checkin-state").textContent));

  // --- IndexedDB ------------------------------------------------------------------
  const db = new Promise((resolve, reject) => {
    const request = indexedDB.open("pointage", 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore("taps", {keyPath: "id"});
      store.createIndex("list", "list");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  function store(mode, work) {
    return db.then((database) => new Promise((resolve, reject) => {
      const transaction = database.transaction("taps", mode);
      const request = work(transaction.objectStore("taps"));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
    }));
  }

  const allTaps = () => store("readonly", (taps) => taps.getAll());
  const putTaps = (list) => store("readwrite", (taps) => { list.forEach((tap) => taps.put(tap)); return null; });

  const mine = (tap) => tap.user === USER;

  function reload() {
    return allTaps().then((every) => {
      taps = every.filter((tap) => tap.list === LIST && (tap.sent || mine(tap)));
      pending = every.filter((tap) => !tap.sent && mine(tap)).length;
      held = every.filter((tap) => !tap.sent && !mine(tap));
    });
  }

  // --- merging: for each field, the latest tap wins --------------------------------
  const time = (iso) => (iso ? Date.parse(iso) : -Infinity);

  function merged(enrolment) {
    const state = Object.assign({status: "", arrival: "", departure: ""}, server[enrolment] || {});
    const result = {pending: false, refused: ""};
    FIELDS.forEach((field) => {
      let value = state[field] || "";
      let at = time(state[field + "_at"]);
      let latest = null;
      taps.forEach((tap) => {
        if (tap.enrolment !== enrolment || tap.field !== field) return;
        if (!latest || time(tap.at) >= time(latest.at)) latest = tap;
        if (tap.refused) return;
        if (time(tap.at) > at) {
          value = tap.value;
          at = time(tap.at);
          result.pending = result.pending || !tap.sent;
        }
      });
      result[field] = value;
      if (latest && latest.refused) result.refused = latest.message;
    });
    return result;
  }

  function nowHHMM() {
    const now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }

  function today() {
    const now = new Date();
    return now.getFullYear() + "-" + String(now.getMonth() + 1).padStart(2, "0") + "-" + String(now.getDate()).padStart(2, "0");
  }

  function late(state) {
    if (state.status !== "present") return false;
    if (state.departure) return state.departure > ENDS;
    return DATE < today() || (DATE === today() && nowHHMM() > ENDS);
  }

  // --- the screen --------------------------------------------------------------------
  function renderRow(row) {
    const enrolment = Number(row.dataset.enrolment);
    const state = merged(enrolment);
    row.dataset.status = state.status;
    row.querySelectorAll("[data-field=status]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.value === state.status));
    });
    row.querySelectorAll("input[data-time]").forEach((input) => {
      const value = state[input.dataset.time];
      if (value && document.activeElement !== input) input.value = value;
    });
    const parts = [LABELS[state.status] || state.status];
    if ("timed" in row.dataset) {
      parts.push("arrivée " + (state.arrival || "non saisie"));
      parts.push("départ " + (state.departure || "non saisi"));
    }
    let text = parts.join(" · ");
    if (state.pending) text += " — en attente d'envoi";
    if (state.refused) text += " — refusé : " + state.refused;
    row.querySelector("[data-state]").textContent = text;
    row.querySelector("[data-late]").hidden = !late(state);
    row.classList.toggle("is-pending", state.pending);
    if (state.status && row.parentElement && row.parentElement.dataset.list === "addable") {
      root.querySelector("[data-list=unbooked]").appendChild(row);
    }
    return state;
  }

  function render() {
    const counts = {booked: 0, present: 0, absent: 0, unchecked: 0};
    root.querySelectorAll("li.child").forEach((row) => {
      const state = renderRow(row);
      const list = row.parentElement.dataset.list;
      if (list === "addable") return;
      if (list === "booked" && !("closed" in row.dataset)) {
        counts.booked += 1;
        if (!state.status) counts.unchecked += 1;
      }
      if (state.status === "present") counts.present += 1;
      if (state.status.startsWith("absent")) counts.absent += 1;
    });
    root.querySelector("[data-counts]").textContent =
      counts.booked + " inscrit(s) · " + counts.present + " présent(s) · " +
      counts.absent + " absent(s) · " + counts.unchecked + " non pointé(s)";
    renderSync();
  }

  function renderSync() {
    let text;
    if (sending) text = "Envoi de " + pending + " pointage(s)…";
    else if (pending && !navigator.onLine) text = "Hors ligne : " + pending + " pointage(s) gardé(s) sur cet appareil, envoyé(s) au retour du réseau.";
    else if (pending) text = pending + " pointage(s) pas encore envoyé(s)" + (problem ? " : " + problem : ".");
    else if (!navigator.onLine) text = "Hors ligne : tout ce qui a été pointé sur cet appareil est envoyé ; les pointages suivants seront gardés.";
    else text = "Tout est envoyé." + (lastSent ? " Dernier envoi à " + lastSent + "." : "");
    syncText.textContent = text;
    syncBox.dataset.pending = String(pending);
    syncBox.classList.toggle("sync--pending", pending > 0);
    heldBox.hidden = !held.length;
    heldBox.dataset.held = String(held.length);
    if (held.length) {
      const names = Array.from(new Set(held.map((tap) => tap.userName || "un autre compte")));
      heldBox.textContent = held.length + " pointage(s) fait(s) sur cet appareil par " +
        names.join(", ") + " ne sont pas encore envoyés. Ils ne seront jamais envoyés " +
        "sous votre nom : ils partiront quand cette personne se reconnectera ici.";
    }
  }

  const heldBox = document.createElement("p");
  heldBox.className = "notice sync-held";
  heldBox.dataset.held = "0";
  heldBox.hidden = true;
  syncBox.after(heldBox);

  // --- taps --------------------------------------------------------------------------
  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function record(enrolment, field, value) {
    const tap = {
      id: newId(), list: LIST, site: SITE, session: SESSION, date: DATE,
      enrolment, field, value, at: new Date().toISOString(), sent: false,
      user: USER, userName: root.dataset.userName,
    };
    taps.push(tap);
    pending += 1;
    render();
    putTaps([tap]).then(send);
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("li.child");
    if (!row) return;
    const enrolment = Number(row.dataset.enrolment);
    if (button.dataset.field === "status") {
      record(enrolment, "status", button.getAttribute("aria-pressed") === "true" ? "" : button.dataset.value);
    } else if (button.dataset.now) {
      const input = row.querySelector("input[data-time=" + button.dataset.now + "]");
      input.value = nowHHMM();
      record(enrolment, button.dataset.now, input.value);
    } else if (button.dataset.save) {
      const input = row.querySelector("input[data-time=" + button.dataset.save + "]");
      record(enrolment, button.dataset.save, input.value);
    }
  });

  // --- sending and reading back ------------------------------------------------------
  function send() {
    if (sending || !navigator.onLine) { renderSync(); return Promise.resolve(); }
    return allTaps().then((every) => {
      const unsent = every.filter((tap) => !tap.sent && mine(tap)).slice(0, 500);
      if (!unsent.length) return refresh();
      sending = true;
      renderSync();
      return fetch(root.dataset.tapsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf},
        body: JSON.stringify({taps: unsent.map((tap) => ({
          id: tap.id, site: tap.site, session: tap.session, date: tap.date,
          enrolment: tap.enrolment, field: tap.field, value: tap.value, at: tap.at,
          user: tap.user,
        }))}),
      }).then((response) => response.json().catch(() => ({})).then((body) => {
        if (!response.ok) throw new Error(body.error || "le serveur a répondu " + response.status);
        const byId = {};
        unsent.forEach((tap) => { byId[tap.id] = tap; });
        (body.results || []).forEach((result) => {
          const tap = byId[result.id];
          if (!tap || result.outcome === "held") return;  // another account's: kept
          tap.sent = true;
          if (result.outcome === "refused" || result.outcome === "invalid") {
            tap.refused = true;
            tap.message = result.message;
          }
        });
        problem = "";
        lastSent = nowHHMM();
        return putTaps(unsent);
      })).catch((error) => {
        problem = navigator.onLine ? error.message : "";
      }).then(() => {
        sending = false;
        return reload();
      }).then(refresh).then(() => {
        if (pending && navigator.onLine && !problem) return send();
      });
    });
  }

  function refresh() {
    if (!navigator.onLine) { render(); return Promise.resolve(); }
    return fetch(LIST, {credentials: "same-origin", cache: "no-store"})
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => { if (body && body.children) readServer(body.children); })
      .catch(() => null)
      .then(render);
  }

  // Signing out with taps not sent: say what becomes of them, then a second click.
  const logout = document.querySelector(".logout-form");
  if (logout) {
    logout.addEventListener("submit", (event) => {
      if (!pending || logout.dataset.confirmed) return;
      event.preventDefault();
      logout.dataset.confirmed = "true";
      const warning = document.createElement("p");
      warning.className = "notice notice--error";
      warning.setAttribute("role", "alert");
      warning.textContent = pending + " pointage(s) ne sont pas encore envoyés. Ils restent " +
        "sur cet appareil et partiront à votre prochaine connexion ici ; personne d'autre " +
        "ne les enverra. Cliquez à nouveau sur « Se déconnecter » pour confirmer.";
      syncBox.before(warning);
      logout.querySelector("button").textContent = "Se déconnecter quand même";
    });
  }

  window.addEventListener("online", send);
  window.addEventListener("offline", renderSync);
  setInterval(() => {
    if (document.visibilityState === "visible") send();
  }, POLL_MS);

  reload().then(() => {
    render();
    root.dataset.ready = "true";
    return send();
  }).catch(() => {
    syncText.textContent = "Cet appareil ne peut pas garder les pointages (stockage refusé) : gardez le réseau.";
  });
})();
